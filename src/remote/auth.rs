//! The two ways a registry asks for credentials: HTTP Basic, and the Docker token flow
//! (`WWW-Authenticate: Bearer realm=...,service=...,scope=...`, then a token from the realm).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password (or a personal access token used as password).
    Basic { username: String, password: String },
    /// An OAuth2 refresh token that docker stores as `identitytoken` (user name `<token>`).
    IdentityToken(String),
}

impl std::fmt::Debug for Credentials {
    // Secrets never reach logs or error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Self::IdentityToken(_) => f.write_str("IdentityToken(***)"),
        }
    }
}

impl Credentials {
    /// The user name shown to people (`<token>` for an identity token, as docker writes it).
    #[must_use]
    pub fn username(&self) -> &str {
        match self {
            Self::Basic { username, .. } => username,
            Self::IdentityToken(_) => "<token>",
        }
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic {
        realm: Option<String>,
    },
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses the first challenge of a `WWW-Authenticate` value; `None` for schemes we do not speak.
    #[must_use]
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let (scheme, params) = header
            .split_once(char::is_whitespace)
            .unwrap_or((header, ""));
        let params = parse_params(params);
        if scheme.eq_ignore_ascii_case("basic") {
            Some(Self::Basic {
                realm: params.get("realm").cloned(),
            })
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Some(Self::Bearer {
                realm: params.get("realm")?.clone(),
                service: params.get("service").cloned(),
                scope: params.get("scope").cloned(),
            })
        } else {
            None
        }
    }
}

/// `key="quoted, value",key2=token` → map with lower-cased keys; commas inside quotes are kept
/// (scopes such as `repository:a:pull,push` contain them).
fn parse_params(input: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            return params;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(escaped) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => break,
                    other => value.push(other),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
            value = value.trim().to_owned();
        }
        params.insert(key, value);
    }
}

/// What a token endpoint answers (`token` per Docker's spec, `access_token` per OAuth2).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// The spec's default lifetime when a token server does not say.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Renew a little early so a token does not expire between check and use.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(crate) struct CachedToken {
    pub value: String,
    pub expires_at: Instant,
}

impl std::fmt::Debug for CachedToken {
    // A bearer token is a credential: keep it out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("value", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl CachedToken {
    pub fn new(value: String, expires_in: Option<u64>) -> Self {
        let lifetime = expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        Self {
            value,
            expires_at: Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN),
        }
    }

    pub fn is_fresh(&self) -> bool {
        Instant::now() < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_with_comma_in_scope() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:a/b:pull,push".into()),
            }
        );
    }

    #[test]
    fn basic_challenge_and_unknown_schemes() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic {
                realm: Some("Registry Realm".into())
            })
        );
        assert_eq!(
            Challenge::parse("basic"),
            Some(Challenge::Basic { realm: None })
        );
        assert_eq!(Challenge::parse("Negotiate abc"), None);
        assert_eq!(
            Challenge::parse("Bearer service=x"),
            None,
            "realm is required"
        );
    }

    #[test]
    fn unquoted_params_and_escapes() {
        let c = Challenge::parse(r#"Bearer realm=http://t/token, service="a\"b""#).unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "http://t/token".into(),
                service: Some("a\"b".into()),
                scope: None,
            }
        );
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = Credentials::Basic {
            username: "alice".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
