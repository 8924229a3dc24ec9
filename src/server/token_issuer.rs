//! regctl as its own token server, with `auth.htpasswd.policy`: the 401 challenge becomes
//! `Bearer realm="<registry>/auth/token",service="regctl"`, and `GET /auth/token` issues short
//! JWTs (ES256, a key generated at start) to htpasswd users, CI tokens and anonymous clients.
//!
//! Why: the docker engine cannot pull anonymously from a registry that challenges with Basic (it
//! answers "no basic auth credentials" without sending the request), but it follows the token
//! flow anonymously, as on Docker Hub. The token only proves who the client is (the subject, and
//! the CI token it signed in with); the policy still decides every request, so a rule changed
//! after a token was issued applies at once, and a revoked CI token ends its bearer tokens too.
//! Clients that send Basic credentials up front (curl -u, scripts) keep working unchanged.
//!
//! The signing key lives only in this process: tokens from before a restart are refused and
//! clients fetch new ones on their next 401 (they live 5 minutes).

use std::net::SocketAddr;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http::{header, HeaderValue, StatusCode};

use super::auth::{unix_now, HtpasswdAuth, Verdict};
use super::token_auth::jwt::{self, Algorithm, Claims, TokenError};
use super::token_auth::keys::{Curve, Trust, VerifyKey};
use crate::access::{Action, Subject};
use crate::oci::reference::Name;

/// Where the token endpoint is served (distribution's default `autoredirectpath`).
pub const TOKEN_PATH: &str = "/auth/token";
/// The `service` of the challenge and the tokens' audience and issuer.
pub const SERVICE: &str = "regctl";
/// How long an issued token is valid.
pub const LIFETIME_SECS: u64 = 300;
const KEY_ID: &str = "regctl-session-key";

/// Actions a token grants on one resource (`repository:<name>`, `registry:catalog`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub kind: &'static str,
    pub name: String,
    pub actions: Vec<&'static str>,
}

/// Why the issuer could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot generate the token signing key")]
pub struct IssuerError;

/// The signing key and its verifier.
pub struct Issuer {
    key: EcdsaKeyPair,
    trust: Trust,
    rng: SystemRandom,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Issuer")
    }
}

impl Issuer {
    /// A fresh P-256 key.
    ///
    /// # Errors
    /// [`IssuerError`] when the crypto library cannot generate one.
    pub fn generate() -> Result<Self, IssuerError> {
        let key =
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| IssuerError)?;
        let public = VerifyKey::Ec {
            curve: Curve::P256,
            point: key.public_key().as_ref().to_vec(),
        };
        Ok(Self {
            trust: Trust::single(KEY_ID, public),
            key,
            rng: SystemRandom::new(),
        })
    }

    /// A token for `subject` (empty: anonymous) granting `access` (informational: the policy
    /// decides each request).
    ///
    /// # Errors
    /// [`IssuerError`] when signing fails.
    pub fn issue(
        &self,
        subject: &str,
        ci_token: Option<&str>,
        access: &[Grant],
    ) -> Result<String, IssuerError> {
        let now = unix_now();
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "kid": KEY_ID});
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|grant| {
                serde_json::json!({"type": grant.kind, "name": grant.name, "actions": grant.actions})
            })
            .collect();
        let mut claims = serde_json::json!({
            "iss": SERVICE,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + LIFETIME_SECS,
            "nbf": now.saturating_sub(1),
            "iat": now,
            "jti": uuid::Uuid::new_v4().to_string(),
            "access": access,
        });
        if let Some(id) = ci_token {
            claims["regctl_ci_token"] = serde_json::Value::from(id);
        }
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self
            .key
            .sign(&self.rng, signed.as_bytes())
            .map_err(|_| IssuerError)?;
        Ok(format!("{signed}.{}", b64(signature.as_ref())))
    }

    /// Verifies a token this issuer signed.
    ///
    /// # Errors
    /// [`TokenError`].
    pub fn verify(&self, raw: &str) -> Result<Claims, TokenError> {
        jwt::verify(
            raw,
            &self.trust,
            &jwt::Expected {
                issuer: SERVICE,
                service: SERVICE,
                algorithms: &[Algorithm::ES256],
            },
            i64::try_from(unix_now()).unwrap_or(i64::MAX),
        )
    }
}

/// The challenge for a request: the realm on the registry itself, as the client addressed it
/// unless `http.host` names the public URL.
#[must_use]
pub fn challenge(public_base: Option<&str>, tls: bool, request_host: Option<&str>) -> String {
    let base = match public_base {
        Some(base) => base.trim_end_matches('/').to_owned(),
        None => format!(
            "{}://{}",
            if tls { "https" } else { "http" },
            request_host.unwrap_or("localhost")
        ),
    };
    format!("Bearer realm=\"{base}{TOKEN_PATH}\",service=\"{SERVICE}\"")
}

/// `GET /auth/token?service=…&scope=…`: Basic credentials (a password or a CI token) or none.
pub async fn token_endpoint(State(auth): State<Arc<HtpasswdAuth>>, request: Request) -> Response {
    let Some(snapshot) = auth.policy() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let credentials = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(super::auth::basic_credentials)
        .filter(|(user, password)| !user.is_empty() || !password.is_empty());
    let (user, ci) = match credentials {
        None => (None, None),
        Some((user, password)) => {
            match auth
                .authenticate(&user, &password, Some(&snapshot), client)
                .await
            {
                Ok(ci) => (Some(user), ci),
                Err(Verdict::Busy) => return HtpasswdAuth::busy_response(),
                Err(Verdict::Limited(wait)) => return HtpasswdAuth::limited_response(wait),
                Err(Verdict::Invalid | Verdict::Valid) => return wrong_credentials(),
            }
        }
    };
    let subject = Subject {
        user: user.as_deref(),
        scope: ci.as_ref().map(|ci| &*ci.scope),
    };
    let mut granted: Vec<Grant> = Vec::new();
    let scopes: Vec<String> = crate::api::query_values(request.uri().query(), "scope")
        .map(std::borrow::Cow::into_owned)
        .collect();
    for requested in scopes.iter().flat_map(|s| s.split(' ')) {
        let Some((kind, rest)) = requested.split_once(':') else {
            continue;
        };
        let Some((name, actions)) = rest.rsplit_once(':') else {
            continue;
        };
        let (kind, actions): (&'static str, Vec<&'static str>) = match kind {
            "repository" => (
                "repository",
                match Name::parse(name) {
                    Ok(name) => Action::ALL
                        .into_iter()
                        .filter(|a| actions.split(',').any(|x| x == a.as_str() || x == "*"))
                        .filter(|a| snapshot.policy.decide(&subject, *a, &name).allowed)
                        .map(Action::as_str)
                        .collect(),
                    Err(_) => Vec::new(),
                },
            ),
            "registry"
                if name == "catalog" && (user.is_some() || snapshot.policy.has_anonymous()) =>
            {
                ("registry", vec!["*"])
            }
            _ => continue,
        };
        if !actions.is_empty() {
            granted.push(Grant {
                kind,
                name: name.to_owned(),
                actions,
            });
        }
    }
    let Some(issuer) = auth.issuer() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ci_id = ci.as_ref().map(|ci| ci.id.as_str());
    let Ok(token) = issuer.issue(user.as_deref().unwrap_or(""), ci_id, &granted) else {
        tracing::error!("cannot sign a token");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // RFC 3339, as docker parses it.
    let issued_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut response = axum::Json(serde_json::json!({
        "token": token,
        "access_token": token,
        "expires_in": LIFETIME_SECS,
        "issued_at": issued_at,
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn wrong_credentials() -> Response {
    crate::oci::error::ApiError::new(crate::oci::error::ErrorCode::Unauthorized)
        .with_message("wrong user name or password")
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_carry_subject_access_and_ci_token() {
        let issuer = Issuer::generate().unwrap();
        let token = issuer
            .issue(
                "rita",
                Some("abcd"),
                &[Grant {
                    kind: "repository",
                    name: "team/app".into(),
                    actions: vec!["pull"],
                }],
            )
            .unwrap();
        let claims = issuer.verify(&token).unwrap();
        assert_eq!(claims.subject, "rita");
        assert_eq!(claims.ci_token.as_deref(), Some("abcd"));
        assert!(claims.grants("repository", "team/app", "pull"));
        // Another process's key does not verify it.
        let other = Issuer::generate().unwrap();
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn the_realm_is_on_the_registry() {
        assert_eq!(
            challenge(None, false, Some("127.0.0.1:5000")),
            "Bearer realm=\"http://127.0.0.1:5000/auth/token\",service=\"regctl\""
        );
        assert_eq!(
            challenge(Some("https://reg.example.com/"), false, Some("x")),
            "Bearer realm=\"https://reg.example.com/auth/token\",service=\"regctl\""
        );
    }
}
