//! `auth.token`: bearer tokens from an existing token server (docker_auth, GitLab, Harbor core,
//! Docker Hub's own), verified exactly as registry:2 verifies them, so configs that use token auth
//! keep working.
//!
//! Each `/v2` request needs the access registry:2 asks for (registry/handlers/app.go
//! `appendAccessRecords`): by method, `pull` for GET/HEAD, `pull` + `push` for POST/PUT/PATCH,
//! `delete` for DELETE, on `repository:<name>`; `pull` on the `from` repository of a mount;
//! `registry:catalog:*` for the catalog; nothing but a valid token for `/v2/`. A request without
//! the access is answered 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` (and
//! `error="invalid_token"` or `"insufficient_scope"`) and an `UNAUTHORIZED` body listing the
//! access records, byte for byte as registry:2, so clients fetch the right token and retry.
//!
//! This mapping is registry:2's, and differs from the access policy's (`api/access.rs`): a token
//! server grants what clients ask for, and clients ask for what registry:2 requires.

pub mod jwt;
pub mod keys;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};

use crate::oci::reference::Route;

pub use jwt::{Algorithm, Claims, TokenError};
pub use keys::{KeysError, Trust};

/// distribution's default `autoredirectpath`.
pub const DEFAULT_AUTO_REDIRECT_PATH: &str = "/auth/token";

/// `auth.token`, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub realm: String,
    pub service: String,
    pub issuer: String,
    pub rootcertbundle: Option<PathBuf>,
    pub jwks: Option<PathBuf>,
    /// `autoredirect: true`: the realm is this path on the host the request named, with the
    /// scheme from `X-Forwarded-Proto` (default https).
    pub autoredirect_path: Option<String>,
    /// `signingalgorithms` as written; empty means all of them.
    pub signing_algorithms: Vec<String>,
}

/// Why token auth could not be set up (the server does not start).
#[derive(Debug, thiserror::Error)]
pub enum TokenAuthError {
    #[error("auth.token.{0} is required (registry:2 refuses to start without it)")]
    Missing(&'static str),
    #[error("auth.token.signingalgorithms: unsupported signing algorithm {0:?} (one of EdDSA, HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512)")]
    Algorithm(String),
    #[error("auth.token.{key} {value:?} cannot be sent in a WWW-Authenticate header")]
    Unquotable { key: &'static str, value: String },
    #[error("auth.token: {0}")]
    Keys(#[from] KeysError),
}

/// The access controller: settings, trusted keys, accepted algorithms.
#[derive(Debug)]
pub struct TokenAuth {
    settings: TokenSettings,
    trust: Trust,
    algorithms: Vec<Algorithm>,
}

/// One access record: an action on a typed, named resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub kind: &'static str,
    pub name: String,
    pub action: &'static str,
}

/// What was wrong with the request's token, for the challenge's `error` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// No bearer token: no `error` parameter.
    Required,
    Invalid,
    InsufficientScope,
}

impl TokenAuth {
    /// Checks the settings and loads the keys.
    ///
    /// # Errors
    /// [`TokenAuthError`]: what registry:2 refuses to start with, plus values that cannot be
    /// quoted in a header.
    pub fn load(settings: TokenSettings) -> Result<Self, TokenAuthError> {
        for (key, value) in [
            ("realm", &settings.realm),
            ("issuer", &settings.issuer),
            ("service", &settings.service),
        ] {
            if value.is_empty() {
                return Err(TokenAuthError::Missing(key));
            }
        }
        for (key, value) in [("realm", &settings.realm), ("service", &settings.service)] {
            if HeaderValue::from_str(&quote(value)).is_err() {
                return Err(TokenAuthError::Unquotable {
                    key,
                    value: value.clone(),
                });
            }
        }
        let algorithms = if settings.signing_algorithms.is_empty() {
            Algorithm::ALL.to_vec()
        } else {
            settings
                .signing_algorithms
                .iter()
                .map(|name| {
                    Algorithm::from_name(name)
                        .ok_or_else(|| TokenAuthError::Algorithm(name.clone()))
                })
                .collect::<Result<_, _>>()?
        };
        let trust = Trust::load(settings.rootcertbundle.as_deref(), settings.jwks.as_deref())?;
        Ok(Self {
            settings,
            trust,
            algorithms,
        })
    }

    /// Verifies `raw` now.
    ///
    /// # Errors
    /// [`TokenError`].
    pub fn verify(&self, raw: &str) -> Result<Claims, TokenError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        jwt::verify(
            raw,
            &self.trust,
            &jwt::Expected {
                issuer: &self.settings.issuer,
                service: &self.settings.service,
                algorithms: &self.algorithms,
            },
            now,
        )
    }

    fn challenge(&self, request: &Request, records: &[Access], failure: Failure) -> Response {
        let realm = match &self.settings.autoredirect_path {
            Some(path) => {
                let scheme = request
                    .headers()
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty())
                    .unwrap_or("https");
                let host = request
                    .headers()
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .or_else(|| request.uri().authority().map(http::uri::Authority::as_str))
                    .unwrap_or_default();
                format!("{scheme}://{host}{path}")
            }
            None => self.settings.realm.clone(),
        };
        let mut value = format!(
            "Bearer realm={},service={}",
            quote(&realm),
            quote(&self.settings.service)
        );
        let scope = scope_param(records);
        if !scope.is_empty() {
            value.push_str(",scope=");
            value.push_str(&quote(&scope));
        }
        match failure {
            Failure::Required => {}
            Failure::Invalid => value.push_str(",error=\"invalid_token\""),
            Failure::InsufficientScope => value.push_str(",error=\"insufficient_scope\""),
        }
        let detail: Vec<serde_json::Value> = records
            .iter()
            .map(|a| {
                serde_json::json!({
                    "Type": a.kind, "Class": "", "Name": a.name, "Action": a.action,
                })
            })
            .collect();
        let detail = if detail.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::Value::Array(detail)
        };
        let mut body = serde_json::json!({"errors": [{
            "code": "UNAUTHORIZED",
            "message": "authentication required",
            "detail": detail,
        }]})
        .to_string();
        body.push('\n');
        let mut response = (
            StatusCode::UNAUTHORIZED,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            Body::from(body),
        )
            .into_response();
        // A realm from the request's Host may not be a valid header value: then no challenge.
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Go's `%q` for the strings a challenge carries (printable ASCII in practice); the Basic
/// challenge's realm and the token service's realm are quoted with it too.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The token of an `Authorization: Bearer <token>` header, split at the first space as
/// distribution splits it (scheme case-insensitive); `None` for other schemes.
pub(super) fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// `type:name:action,action` per resource, space-separated, in the order the records came.
fn scope_param(records: &[Access]) -> String {
    let mut scopes: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for record in records {
        match scopes
            .iter_mut()
            .find(|(kind, name, _)| *kind == record.kind && *name == record.name)
        {
            Some((_, _, actions)) => {
                if !actions.contains(&record.action) {
                    actions.push(record.action);
                }
            }
            None => scopes.push((record.kind, &record.name, vec![record.action])),
        }
    }
    scopes
        .iter()
        .map(|(kind, name, actions)| format!("{kind}:{name}:{}", actions.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The access a request needs; `None` for paths that are not API routes (answered 404 by the
/// API, without authentication, as distribution's router does).
#[must_use]
pub fn required_access(method: &Method, path: &str, query: Option<&str>) -> Option<Vec<Access>> {
    let route = Route::parse(path)?;
    let name = match route {
        Route::Base => return Some(Vec::new()),
        Route::Catalog => {
            return Some(vec![Access {
                kind: "registry",
                name: "catalog".to_owned(),
                action: "*",
            }])
        }
        Route::Tags { name }
        | Route::Manifest { name, .. }
        | Route::Blob { name, .. }
        | Route::UploadStart { name }
        | Route::Upload { name, .. }
        | Route::Referrers { name, .. } => name,
    };
    let mut records = Vec::with_capacity(3);
    push_for_method(&mut records, method, name);
    if let Some(from) = crate::api::query_value(query, "from").filter(|f| !f.is_empty()) {
        push_for_method(&mut records, &Method::GET, &from);
    }
    Some(records)
}

fn push_for_method(records: &mut Vec<Access>, method: &Method, name: &str) {
    let access = |action| Access {
        kind: "repository",
        name: name.to_owned(),
        action,
    };
    match *method {
        Method::GET | Method::HEAD => records.push(access("pull")),
        Method::POST | Method::PUT | Method::PATCH => {
            records.push(access("pull"));
            records.push(access("push"));
        }
        Method::DELETE => records.push(access("delete")),
        _ => {}
    }
}

/// The axum middleware: `axum::middleware::from_fn_with_state(auth, require_bearer_token)`.
pub async fn require_bearer_token(
    State(auth): State<Arc<TokenAuth>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(records) = required_access(
        request.method(),
        request.uri().path(),
        request.uri().query(),
    ) else {
        return next.run(request).await;
    };
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(bearer_token)
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    let Some(token) = token else {
        crate::metrics::auth(crate::metrics::AuthOutcome::Challenge); // metrics hook
        return auth.challenge(&request, &records, Failure::Required);
    };
    let claims = match auth.verify(&token) {
        Ok(claims) => claims,
        Err(e) => {
            tracing::info!(error = %e, "bearer token refused");
            crate::metrics::auth(crate::metrics::AuthOutcome::Failure); // metrics hook
            return auth.challenge(&request, &records, Failure::Invalid);
        }
    };
    if let Some(missing) = records
        .iter()
        .find(|a| !claims.grants(a.kind, &a.name, a.action))
    {
        tracing::info!(
            target: crate::server::logging::ACCESS_TARGET,
            user = %claims.subject,
            action = missing.action,
            resource = %format!("{}:{}", missing.kind, missing.name),
            "token does not grant the access the request needs"
        );
        return auth.challenge(&request, &records, Failure::InsufficientScope);
    }
    crate::metrics::auth(crate::metrics::AuthOutcome::Success); // metrics hook
    let user = super::AuthenticatedUser(claims.subject);
    request.extensions_mut().insert(user.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(user);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(method: Method, path_and_query: &str) -> Option<Vec<String>> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        required_access(&method, path, query).map(|r| {
            r.iter()
                .map(|a| format!("{}:{}:{}", a.kind, a.name, a.action))
                .collect()
        })
    }

    #[test]
    fn routes_need_what_registry_2_asks_for() {
        assert_eq!(records(Method::GET, "/v2/"), Some(vec![]));
        assert_eq!(
            records(Method::GET, "/v2/_catalog"),
            Some(vec!["registry:catalog:*".into()])
        );
        assert_eq!(
            records(Method::HEAD, "/v2/a/b/manifests/latest"),
            Some(vec!["repository:a/b:pull".into()])
        );
        assert_eq!(
            records(Method::PATCH, "/v2/a/blobs/uploads/x"),
            Some(vec!["repository:a:pull".into(), "repository:a:push".into()])
        );
        assert_eq!(
            records(Method::DELETE, "/v2/a/manifests/sha256:00"),
            Some(vec!["repository:a:delete".into()])
        );
        assert_eq!(
            records(
                Method::POST,
                "/v2/a/blobs/uploads/?mount=sha256:00&from=b%2Fc"
            ),
            Some(vec![
                "repository:a:pull".into(),
                "repository:a:push".into(),
                "repository:b/c:pull".into()
            ])
        );
        assert_eq!(records(Method::GET, "/metrics"), None);
    }

    #[test]
    fn scopes_group_actions_per_resource() {
        let r = |kind, name: &str, action| Access {
            kind,
            name: name.to_owned(),
            action,
        };
        assert_eq!(
            scope_param(&[
                r("repository", "a", "pull"),
                r("repository", "a", "push"),
                r("repository", "b", "pull")
            ]),
            "repository:a:pull,push repository:b:pull"
        );
        assert_eq!(scope_param(&[]), "");
    }

    #[test]
    fn registry_2_refuses_to_start_without_realm_issuer_service_or_keys() {
        let settings = TokenSettings {
            realm: "https://auth/token".into(),
            service: "registry".into(),
            issuer: "issuer".into(),
            rootcertbundle: None,
            jwks: None,
            autoredirect_path: None,
            signing_algorithms: Vec::new(),
        };
        assert!(matches!(
            TokenAuth::load(TokenSettings {
                issuer: String::new(),
                ..settings.clone()
            }),
            Err(TokenAuthError::Missing("issuer"))
        ));
        assert!(matches!(
            TokenAuth::load(TokenSettings {
                signing_algorithms: vec!["none".into()],
                ..settings.clone()
            }),
            Err(TokenAuthError::Algorithm(_))
        ));
        assert!(matches!(
            TokenAuth::load(settings),
            Err(TokenAuthError::Keys(KeysError::NoKeys))
        ));
    }
}
