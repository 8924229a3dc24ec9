//! The audit trail: one `regctl::audit` line per write request to the API (manifest push, tag or
//! manifest delete, blob delete, blob upload commit, mount), whatever its outcome: who (the user
//! the auth layer settled on, the client address), what (repository, reference, the stored
//! digest), and the result. Refused and failed writes are audited too, which the success-only
//! event line (`regctl::event`) and the webhooks are not.
//!
//! Independent of `log.accesslog.disabled`; with `log.formatter: json` the lines are JSON like
//! every other. Reads (GET/HEAD) and chunk PATCHes cost one method comparison.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::Method;

use super::logging::RequestBodyStats;
use super::AuthenticatedUser;
use crate::oci::reference::Route;

pub use crate::audit::AUDIT_TARGET;

/// The audited action of a request, `None` for what is not a write.
fn action(method: &Method, route: &Route<'_>, query: &str) -> Option<&'static str> {
    let has = |key: &str| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(key))
    };
    match (method, route) {
        (&Method::PUT, Route::Manifest { .. }) => Some("push"),
        (&Method::DELETE, Route::Manifest { reference, .. }) if reference.contains(':') => {
            Some("delete")
        }
        (&Method::DELETE, Route::Manifest { .. }) => Some("untag"),
        (&Method::DELETE, Route::Blob { .. }) => Some("delete-blob"),
        (&Method::PUT, Route::Upload { .. }) => Some("push-blob"),
        (&Method::POST, Route::UploadStart { .. }) if has("mount") => Some("mount"),
        (&Method::POST, Route::UploadStart { .. }) if has("digest") => Some("push-blob"),
        _ => None,
    }
}

/// The `digest=` or `mount=` value of a query, for blob writes.
fn query_digest<'q>(query: &'q str, key: &str) -> &'q str {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or("")
}

/// The audit middleware: `axum::middleware::from_fn(audit)`, outside the auth layers (it reads
/// the user they settled on from the response).
pub async fn audit(request: Request, next: Next) -> Response {
    let method = request.method();
    if matches!(*method, Method::GET | Method::HEAD | Method::PATCH) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let method = method.clone();
    let route = Route::parse(&path);
    let Some(action) = route
        .as_ref()
        .and_then(|route| action(&method, route, &query))
    else {
        return next.run(request).await;
    };
    let remote = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let body = request.extensions().get::<Arc<RequestBodyStats>>().cloned();
    let response = next.run(request).await;
    let status = response.status();
    let (repository, reference) = match route {
        Some(
            Route::Manifest { name, reference }
            | Route::Blob {
                name,
                digest: reference,
            },
        ) => (name, reference),
        Some(Route::Upload { name, .. }) => (name, query_digest(&query, "digest")),
        Some(Route::UploadStart { name }) if action == "mount" => {
            (name, query_digest(&query, "mount"))
        }
        Some(Route::UploadStart { name }) => (name, query_digest(&query, "digest")),
        _ => ("-", "-"),
    };
    // A delete by digest answers without the header: the reference is the digest then, so a
    // search of the trail for a digest finds its deletion too.
    let digest = response
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .or_else(|| reference.contains(':').then_some(reference))
        .unwrap_or("-");
    let user = response
        .extensions()
        .get::<AuthenticatedUser>()
        .map_or("-", |u| u.0.as_str());
    let result = crate::audit::Outcome::of_status(status).as_str();
    tracing::info!(
        target: AUDIT_TARGET,
        action,
        result,
        status = status.as_u16(),
        user,
        remote = %remote.map_or_else(|| "-".to_owned(), |a| a.to_string()),
        repository,
        reference = if reference.is_empty() { "-" } else { reference },
        digest,
        bytes_in = body.as_ref().map_or(0, |b| b.bytes()),
        "audit"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_named_and_reads_are_not() {
        let r = |p| Route::parse(p).unwrap();
        assert_eq!(
            action(&Method::PUT, &r("/v2/a/manifests/v1"), ""),
            Some("push")
        );
        assert_eq!(
            action(&Method::DELETE, &r("/v2/a/manifests/v1"), ""),
            Some("untag")
        );
        let digest = format!("/v2/a/manifests/sha256:{}", "0".repeat(64));
        assert_eq!(action(&Method::DELETE, &r(&digest), ""), Some("delete"));
        assert_eq!(
            action(
                &Method::POST,
                &r("/v2/a/blobs/uploads/"),
                "mount=sha256:x&from=b"
            ),
            Some("mount")
        );
        assert_eq!(action(&Method::POST, &r("/v2/a/blobs/uploads/"), ""), None);
        assert_eq!(action(&Method::GET, &r("/v2/a/manifests/v1"), ""), None);
        assert_eq!(query_digest("mount=sha256:x&from=b", "mount"), "sha256:x");
        assert_eq!(query_digest("from=b", "mount"), "");
    }
}
