//! The OCI Distribution API (v1.1) over HTTP: every `/v2` endpoint, as an axum [`Router`].
//!
//! One handler takes every `/v2` request, parses the path from the right into a [`Route`] (names
//! may be nested to any depth), validates names, tags and digests before anything touches storage,
//! and dispatches on the method. Authentication, extra headers, TLS and logging are layered around
//! this router by the server shell.

mod access;
mod blobs;
mod error;
mod listing;
mod manifests;
mod uploads;

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use http::request::Parts;
use http::{header, HeaderName, HeaderValue, Method, StatusCode};

use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::reference::{Name, Route};
use crate::registry::Registry;
use crate::server::AuthenticatedUser;

/// The tracing target of event lines: one per successful push, pull, delete or mount.
pub const EVENT_TARGET: &str = "regctl::event";

/// What an event says; emitted only once the operation succeeded.
struct Event<'a> {
    action: crate::notify::Action,
    repository: &'a str,
    /// Tags involved, comma-separated; empty when by digest.
    tag: &'a str,
    digest: &'a str,
    media_type: &'a str,
    size: Option<u64>,
    /// What the notification's target is.
    subject: Subject<'a>,
}

/// The kind of object an event is about, as registry:2's bridge tells them apart.
#[derive(Clone, Copy)]
enum Subject<'a> {
    /// A manifest, with its bytes when they are at hand (for `includereferences`).
    Manifest(Option<&'a [u8]>),
    /// A blob; for a mount, the repository it came from.
    Blob { from: &'a str },
}

impl Event<'_> {
    /// The event line (`regctl::event`) and the notification. The user comes from the shell's
    /// auth layer (`AuthenticatedUser` in the request's extensions); `-` without
    /// authentication.
    fn emit(&self, api: &Api, parts: &Parts) {
        let user = parts
            .extensions
            .get::<AuthenticatedUser>()
            .map_or("-", |u| u.0.as_str());
        fn or_dash(s: &str) -> &str {
            if s.is_empty() {
                "-"
            } else {
                s
            }
        }
        match self.size {
            Some(size) => tracing::info!(
                target: EVENT_TARGET,
                action = self.action.as_str(),
                user,
                repository = self.repository,
                tag = or_dash(self.tag),
                digest = or_dash(self.digest),
                media_type = or_dash(self.media_type),
                size,
                "event"
            ),
            None => tracing::info!(
                target: EVENT_TARGET,
                action = self.action.as_str(),
                user,
                repository = self.repository,
                tag = or_dash(self.tag),
                digest = or_dash(self.digest),
                media_type = or_dash(self.media_type),
                "event"
            ),
        }
        self.notify(api, parts);
    }

    /// Only the notification: the events registry:2 sends that have no event line (blob pushes
    /// and pulls, HEAD of a manifest).
    fn notify(&self, api: &Api, parts: &Parts) {
        let Some(notifier) = api.opts.notifier.as_deref() else {
            return;
        };
        if !notifier.is_listening() {
            return;
        }
        let mut base = crate::notify::Event::new(self.action);
        base.request = request_record(parts);
        if let Some(user) = parts.extensions.get::<AuthenticatedUser>() {
            base.actor.name.clone_from(&user.0);
        }
        let target = &mut base.target;
        target.repository = self.repository.to_owned();
        target.digest = self.digest.to_owned();
        let size = self.size.unwrap_or(0);
        target.size = size;
        target.length = size;
        let deleted = self.action == crate::notify::Action::Delete;
        match self.subject {
            Subject::Manifest(bytes) => {
                target.media_type = self.media_type.to_owned();
                if !deleted && !self.digest.is_empty() {
                    target.url = api.url(
                        parts,
                        &format!("/v2/{}/manifests/{}", self.repository, self.digest),
                    );
                }
                if let (true, Some(bytes)) = (notifier.include_references(), bytes) {
                    target.references = crate::notify::manifest_references(bytes);
                }
            }
            Subject::Blob { from } => {
                if !deleted {
                    // registry:2's blob descriptors carry no type of their own.
                    target.media_type = crate::notify::BLOB_MEDIA_TYPE.to_owned();
                    target.url = api.url(
                        parts,
                        &format!("/v2/{}/blobs/{}", self.repository, self.digest),
                    );
                }
                target.from_repository = from.to_owned();
            }
        }
        // registry:2 sends one event per tag; a push with several tags (`?tag=`) is several.
        let tags: Vec<&str> = self.tag.split(',').filter(|t| !t.is_empty()).collect();
        let Some((last, others)) = tags.split_last() else {
            notifier.publish(base);
            return;
        };
        for tag in others {
            let mut event = base.clone();
            event.id = crate::notify::event::new_id();
            event.target.tag = (*tag).to_owned();
            notifier.publish(event);
        }
        base.target.tag = (*last).to_owned();
        notifier.publish(base);
    }
}

/// registry:2's `request` record: a fresh id, the client address (`X-Forwarded-For`'s first
/// entry, then `X-Real-Ip`, then the peer), `Host`, method and user agent.
fn request_record(parts: &Parts) -> crate::notify::RequestRecord {
    let remote = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0);
    crate::notify::RequestRecord::of(&parts.method, &parts.uri, &parts.headers, remote)
}

/// How the API behaves (from distribution's config: `storage.delete.enabled`,
/// `storage.maintenance.readonly`, `http.relativeurls`, `http.host`).
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Allow DELETE of manifests, tags and blobs; otherwise 405 UNSUPPORTED.
    pub delete_enabled: bool,
    /// Refuse every write with 405 UNSUPPORTED (read-only maintenance mode).
    pub readonly: bool,
    /// Send `Location` as a path instead of an absolute URL.
    pub relative_urls: bool,
    /// Base of absolute URLs, e.g. `https://reg.example.com:5000`; otherwise taken from the
    /// request (`X-Forwarded-Proto`/`X-Forwarded-Host`, then `Host`).
    pub host: Option<String>,
    /// Scheme the server is reached with (`http` or `https`), unless `X-Forwarded-Proto` says.
    pub scheme: &'static str,
    /// Largest manifest accepted on push (413 above it).
    pub max_manifest_bytes: usize,
    /// `proxy.remoteurl` / `proxy.upstreams`: repositories cached from upstreams (misses go to
    /// the upstream, writes are refused); the others are local.
    pub proxy: Option<Arc<crate::proxy::Upstreams>>,
    /// Not `storage.redirect.disable`: blob GETs answer 307 to the backend's download URL when it
    /// has one (S3), as registry:2 does.
    pub redirect: bool,
    /// `notifications`: where events go besides the event line (src/notify); `None` costs
    /// nothing.
    pub notifier: Option<Arc<crate::notify::Notifier>>,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            delete_enabled: false,
            readonly: false,
            relative_urls: false,
            host: None,
            scheme: "http",
            max_manifest_bytes: 4 << 20,
            proxy: None,
            redirect: false,
            notifier: None,
        }
    }
}

struct Api {
    registry: Arc<Registry>,
    opts: ApiOptions,
}

impl Api {
    /// The upstream that caches repository `name`, if any (`None`: a local repository).
    fn proxy_for(&self, name: Option<Name<'_>>) -> Option<&Arc<crate::proxy::Proxy>> {
        self.opts.proxy.as_ref()?.for_repository(name?)
    }
}

/// Every endpoint under `/v2`.
pub fn router(registry: Arc<Registry>, opts: ApiOptions) -> Router {
    let api = Arc::new(Api { registry, opts });
    Router::new()
        .route("/v2", any(dispatch))
        .route("/v2/", any(dispatch))
        .route("/v2/{*rest}", any(dispatch))
        .with_state(api)
}

const API_VERSION: HeaderName = HeaderName::from_static("docker-distribution-api-version");

async fn dispatch(State(api): State<Arc<Api>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let mut response = match Route::parse(parts.uri.path()) {
        Some(route) => match api.handle(route, &parts, body).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        },
        None => not_found(),
    };
    response
        .headers_mut()
        .insert(API_VERSION, HeaderValue::from_static("registry/2.0"));
    response
}

/// An unknown endpoint: distribution's plain 404.
fn not_found() -> Response {
    let body = "404 page not found\n";
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::NOT_FOUND;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    response
}

impl Api {
    async fn handle(
        &self,
        route: Route<'_>,
        parts: &Parts,
        body: Body,
    ) -> Result<Response, ApiError> {
        let method = &parts.method;
        let name = match route.name() {
            Some(raw) => Some(Name::parse(raw).map_err(|e| {
                ApiError::new(ErrorCode::NameInvalid)
                    .with_message(e.to_string())
                    .with_detail(serde_json::json!({ "name": truncate(raw, 300) }))
            })?),
            None => None,
        };
        let is_write = matches!(
            *method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        );
        if is_write && self.opts.readonly && name.is_some() {
            return Err(ApiError::new(ErrorCode::Unsupported)
                .with_message("the registry is in read-only mode")
                .with_header(header::ALLOW, HeaderValue::from_static("GET, HEAD")));
        }
        if let (true, Some(proxy)) = (is_write, self.proxy_for(name)) {
            // registry:2 in proxy mode answers every push and delete with 405 UNSUPPORTED.
            return Err(ApiError::new(ErrorCode::Unsupported)
                .with_message(crate::proxy::write_refusal(proxy))
                .with_header(header::ALLOW, HeaderValue::from_static("GET, HEAD")));
        }
        access::authorize(parts, &route, name)?;
        match (route, name) {
            (Route::Base, _) => match *method {
                Method::GET | Method::HEAD => Ok(json_response(StatusCode::OK, b"{}".to_vec())),
                _ => Err(method_not_allowed("GET, HEAD")),
            },
            (Route::Catalog, _) => match *method {
                Method::GET => self.catalog(parts).await,
                _ => Err(method_not_allowed("GET")),
            },
            (Route::Tags { .. }, Some(name)) => match *method {
                Method::GET => self.tags(name, parts).await,
                _ => Err(method_not_allowed("GET")),
            },
            (Route::Referrers { digest, .. }, Some(name)) => match *method {
                Method::GET => self.referrers(name, digest, parts).await,
                _ => Err(method_not_allowed("GET")),
            },
            (Route::Manifest { reference, .. }, Some(name)) => match *method {
                Method::GET | Method::HEAD => self.get_manifest(name, reference, parts).await,
                Method::PUT => self.put_manifest(name, reference, parts, body).await,
                Method::DELETE => self.delete_manifest(name, reference, parts).await,
                _ => Err(method_not_allowed("GET, HEAD, PUT, DELETE")),
            },
            (Route::Blob { digest, .. }, Some(name)) => match *method {
                Method::GET | Method::HEAD => self.get_blob(name, digest, parts).await,
                Method::DELETE => self.delete_blob(name, digest, parts).await,
                _ => Err(method_not_allowed("GET, HEAD, DELETE")),
            },
            (Route::UploadStart { .. }, Some(name)) => match *method {
                Method::POST => self.start_upload(name, parts, body).await,
                _ => Err(method_not_allowed("POST")),
            },
            (Route::Upload { id, .. }, Some(name)) => match *method {
                Method::GET | Method::HEAD => self.upload_status(name, id, parts).await,
                Method::PATCH => self.patch_upload(name, id, parts, body).await,
                Method::PUT => self.put_upload(name, id, parts, body).await,
                Method::DELETE => self.cancel_upload(name, id).await,
                _ => Err(method_not_allowed("GET, HEAD, PATCH, PUT, DELETE")),
            },
            // Every other route carries a name, validated above.
            _ => Ok(not_found()),
        }
    }

    /// `path` as the client should use it, as distribution's URL builder makes it: a path with
    /// `relative_urls`; else under `http.host` when set; else under the address the client used —
    /// `X-Forwarded-Proto`/`X-Forwarded-Host` (first value; `X-Forwarded-Port` when the host has
    /// no port), then RFC 7239 `Forwarded` (`proto=`, `host=`), then `Host` (or the HTTP/2
    /// authority); a path when none is usable.
    fn url(&self, parts: &Parts, path: &str) -> String {
        if self.opts.relative_urls {
            return path.to_owned();
        }
        if let Some(host) = &self.opts.host {
            return format!("{}{path}", host.trim_end_matches('/'));
        }
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let forwarded = |key: &str| header("forwarded").and_then(|v| forwarded_param(v, key));
        let scheme = match header("x-forwarded-proto").or_else(|| forwarded("proto")) {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            Some(p) if p.eq_ignore_ascii_case("http") => "http",
            _ => self.opts.scheme,
        };
        let host = header("x-forwarded-host")
            .or_else(|| forwarded("host"))
            .or_else(|| {
                parts
                    .headers
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
            })
            .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))
            .filter(|h| valid_host(h));
        let Some(host) = host else {
            return path.to_owned();
        };
        let port = header("x-forwarded-port")
            .filter(|p| !has_port(host) && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
        match port {
            Some(port) => format!("{scheme}://{host}:{port}{path}"),
            None => format!("{scheme}://{host}{path}"),
        }
    }

    fn location(&self, parts: &Parts, path: &str) -> HeaderValue {
        HeaderValue::from_str(&self.url(parts, path))
            .or_else(|_| HeaderValue::from_str(path))
            .unwrap_or_else(|_| HeaderValue::from_static("/v2/"))
    }
}

/// A `Host` we are willing to echo into `Location`: host name or IP literal with optional port.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 300
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        })
}

/// Whether a `Host` value names a port (`host:port`, `[v6]:port`; a bare IPv6 literal has none).
fn has_port(host: &str) -> bool {
    match host.rsplit_once(']') {
        Some((_, rest)) => rest.starts_with(':'),
        None => host.bytes().filter(|&b| b == b':').count() == 1,
    }
}

/// `key`'s value in the first element of an RFC 7239 `Forwarded` header (`for=..;proto=https`),
/// without quotes.
fn forwarded_param<'a>(element: &'a str, key: &str) -> Option<&'a str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"'))
            .filter(|v| !v.is_empty())
    })
}

fn method_not_allowed(allow: &'static str) -> ApiError {
    ApiError::new(ErrorCode::Unsupported)
        .with_message("method not allowed for this endpoint")
        .with_header(header::ALLOW, HeaderValue::from_static(allow))
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let len = body.len();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}

/// A response without a body (and `Content-Length: 0`).
fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    response
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The first value of query parameter `key`, percent-decoded.
fn query_param<'a>(parts: &'a Parts, key: &'a str) -> Option<Cow<'a, str>> {
    query_params(parts, key).next()
}

/// Every value of query parameter `key`, percent-decoded.
fn query_params<'a>(parts: &'a Parts, key: &'a str) -> impl Iterator<Item = Cow<'a, str>> + 'a {
    query_values(parts.uri.query(), key)
}

/// The first value of query parameter `key` in a raw query string, percent-decoded: the one
/// query grammar, which the server's token auth reads the mount source with too.
#[must_use]
pub fn query_value<'a>(query: Option<&'a str>, key: &'a str) -> Option<Cow<'a, str>> {
    query_values(query, key).next()
}

/// Every value of query parameter `key` in a raw query string, percent-decoded.
pub fn query_values<'a>(
    query: Option<&'a str>,
    key: &'a str,
) -> impl Iterator<Item = Cow<'a, str>> + 'a {
    query.unwrap_or("").split('&').filter_map(move |pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == key).then(|| percent_decode(v))
    })
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space); invalid escapes stay literal.
fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("plain"), "plain");
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn hosts() {
        assert!(valid_host("reg.example.com:5000"));
        assert!(valid_host("[::1]:5000"));
        assert!(!valid_host("evil.com/x"));
        assert!(!valid_host(""));
        assert!(has_port("a:5000") && has_port("[::1]:1"));
        assert!(!has_port("a") && !has_port("[::1]") && !has_port("::1"));
    }

    #[test]
    fn forwarded_params() {
        let v = "for=192.0.2.60;proto=https;host=\"reg.example.com:8443\"";
        assert_eq!(forwarded_param(v, "proto"), Some("https"));
        assert_eq!(forwarded_param(v, "host"), Some("reg.example.com:8443"));
        assert_eq!(forwarded_param(v, "by"), None);
    }
}
