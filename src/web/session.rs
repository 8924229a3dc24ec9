//! Browser sessions: the login form's answer is a random session token in an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` over TLS), looked up in a bounded in-memory table.
//!
//! Why a form and a cookie rather than HTTP Basic: a browser caches Basic credentials until it
//! quits, so there is no logout, and it sends them with every cross-site request, so every form
//! would be a CSRF target. The table lives in memory: a restart logs everyone out, which is the
//! safe direction. The table is keyed by the token's SHA-256, so a lookup's timing says nothing
//! about the token, and a memory dump holds no usable token.
//!
//! CSRF: every state-changing form carries a per-session token, compared in constant time, and
//! every POST must come from this origin (`Sec-Fetch-Site`/`Origin`, when the browser sends
//! them). Without htpasswd there is no session; then a `regctl_csrf` cookie set with the
//! confirmation page is the token the form must repeat (double submit).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::header::{COOKIE, HOST, ORIGIN};
use http::HeaderMap;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "regctl_session";
/// Name of the double-submit CSRF cookie used without authentication.
pub const CSRF_COOKIE: &str = "regctl_csrf";
/// A session ends this long after login, used or not.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; past it the oldest is dropped (its user logs in again).
pub const MAX_SESSIONS: usize = 10_000;

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// The token state-changing forms of this session carry.
    pub csrf: String,
    started: Instant,
}

/// The session table.
#[derive(Debug, Default)]
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Session>>,
}

/// 32 random bytes as 64 hex digits.
#[must_use]
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    /// Starts a session for `user`; returns the cookie value.
    pub fn start(&self, user: &str) -> String {
        let token = random_token();
        let now = Instant::now();
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.len() >= MAX_SESSIONS {
            table.retain(|_, s| now.duration_since(s.started) < SESSION_LIFETIME);
        }
        if table.len() >= MAX_SESSIONS {
            if let Some(oldest) = table.iter().min_by_key(|(_, s)| s.started).map(|(k, _)| *k) {
                table.remove(&oldest);
            }
        }
        table.insert(
            key(&token),
            Session {
                user: user.to_owned(),
                csrf: random_token(),
                started: now,
            },
        );
        token
    }

    /// The live session a cookie value names.
    pub fn get(&self, token: &str) -> Option<Session> {
        let k = key(token);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let session = table.get(&k)?;
        if session.started.elapsed() >= SESSION_LIFETIME {
            table.remove(&k);
            return None;
        }
        Some(session.clone())
    }

    /// Ends the session a cookie value names.
    pub fn end(&self, token: &str) {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key(token));
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
#[must_use]
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` over TLS; an empty
/// `value` with `max_age` 0 deletes the cookie.
#[must_use]
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// Whether two tokens are equal, in constant time.
#[must_use]
pub fn tokens_match(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Whether a POST comes from one of this site's own pages: browsers send `Sec-Fetch-Site`
/// (`same-origin`) and `Origin` with form posts; either one naming another site refuses it.
/// A client sending neither (curl) is not a browser and cannot be tricked into posting.
#[must_use]
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .unwrap_or("");
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_start_find_and_end() {
        let sessions = Sessions::default();
        let token = sessions.start("alice");
        let session = sessions.get(&token).unwrap();
        assert_eq!(session.user, "alice");
        assert_eq!(session.csrf.len(), 64);
        assert!(sessions.get("nope").is_none());
        sessions.end(&token);
        assert!(sessions.get(&token).is_none());
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; regctl_session=abc ; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
        let set = set_cookie(SESSION_COOKIE, "x", Duration::from_secs(5), true);
        assert_eq!(
            set,
            "regctl_session=x; Path=/; Max-Age=5; HttpOnly; SameSite=Strict; Secure"
        );
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "reg.example:5000".parse().unwrap());
        assert!(same_origin(&headers));
        headers.insert(ORIGIN, "http://reg.example:5000".parse().unwrap());
        assert!(same_origin(&headers));
        headers.insert(ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&headers));
        headers.insert(ORIGIN, "http://reg.example:5000".parse().unwrap());
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!same_origin(&headers));
        assert!(!tokens_match("", ""));
        assert!(tokens_match("ab", "ab"));
        assert!(!tokens_match("ab", "ac"));
    }
}
