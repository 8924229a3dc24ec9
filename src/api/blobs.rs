//! `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`, with single byte ranges.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::{digest_error, is_unstorable_algorithm};
use super::{empty_response, Api, Event, Subject};
use crate::digest::Digest;
use crate::notify::Action;
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::reference::Name;
use crate::registry::BlobRead;
use crate::storage::BlobSource;

/// Go's `http.Redirect` answer to a GET, which registry:2 sends for a blob in S3: 307, the
/// `Location`, and a one-line HTML body naming it.
fn temporary_redirect(url: &str) -> Response {
    let escaped = url
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    let mut response = Response::new(Body::from(format!(
        "<a href=\"{escaped}\">Temporary Redirect</a>.\n\n"
    )));
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(url) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Chunks read ahead of the socket.
const READ_AHEAD: usize = 3;

/// The outcome of a `Range` header against a blob of known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ByteRange {
    Full,
    /// Inclusive.
    Partial(u64, u64),
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n`. Several ranges are answered with the whole blob
/// (RFC 9110 lets a server ignore Range); anything malformed is unsatisfiable.
pub(super) fn parse_range(value: &str, len: u64) -> ByteRange {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return ByteRange::Unsatisfiable;
    };
    if spec.contains(',') {
        return ByteRange::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Unsatisfiable;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.is_empty(), number(first), number(last)) {
        (true, _, Some(suffix)) if suffix > 0 && len > 0 => {
            ByteRange::Partial(len - suffix.min(len), len - 1)
        }
        (false, Some(start), None) if last.is_empty() && start < len => {
            ByteRange::Partial(start, len - 1)
        }
        (false, Some(start), Some(end)) if start <= end && start < len => {
            ByteRange::Partial(start, end.min(len - 1))
        }
        _ => ByteRange::Unsatisfiable,
    }
}

/// Streams `len` bytes of `source` from `start`: the storage produces chunks on a blocking thread,
/// a few ahead of the socket.
fn stream_blob(source: Box<dyn BlobSource>, start: u64, len: u64) -> Body {
    if len == 0 {
        return Body::empty();
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut chunks = match source.chunks(start, len) {
            Ok(chunks) => chunks,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        loop {
            let item = match chunks.next_chunk() {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => return,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            // The client went away: stop reading.
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

impl Api {
    pub(super) async fn get_blob(
        &self,
        name: Name<'_>,
        digest: &str,
        parts: &Parts,
    ) -> Result<Response, ApiError> {
        let digest = match Digest::parse(digest) {
            Ok(d) => d,
            Err(e) if is_unstorable_algorithm(&e) => {
                return Err(ApiError::new(ErrorCode::BlobUnknown))
            }
            Err(e) => return Err(digest_error(&e)),
        };
        let cache = match self.proxy_for(Some(name)) {
            Some(proxy) => {
                let outcome = proxy.ensure_blob(&self.registry, name, digest).await?;
                crate::metrics::cache(crate::metrics::CacheKind::Blob, outcome);
                Some(outcome)
            }
            None => None,
        };
        let head = parts.method == http::Method::HEAD;
        let range = parts.headers.get(header::RANGE);
        // HEAD is answered here even where registry:2 redirects it: same headers, no bytes.
        let (size, source) = if head {
            (self.registry.stat_blob(name, digest).await?, None)
        } else {
            match self
                .registry
                .read_blob(name, digest, self.opts.redirect)
                .await?
            {
                BlobRead::Source(source) => (source.len(), Some(source)),
                BlobRead::Redirect { url, size } => {
                    // registry:2 notifies a redirected GET as a pull too.
                    self.pull_event(name, digest, size, parts);
                    let mut response = temporary_redirect(&url);
                    if let Some(outcome) = cache {
                        response.extensions_mut().insert(outcome);
                    }
                    return Ok(response);
                }
            }
        };
        let range = match range {
            Some(value) => parse_range(value.to_str().unwrap_or(""), size),
            None => ByteRange::Full,
        };
        let (status, start, len) = match range {
            ByteRange::Full => (StatusCode::OK, 0, size),
            ByteRange::Partial(start, end) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
            ByteRange::Unsatisfiable => {
                return Err(ApiError::new(ErrorCode::RangeInvalid)
                    .with_message(format!(
                        "the range cannot be satisfied by a blob of {size} bytes"
                    ))
                    .with_header(
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&format!("bytes */{size}"))
                            .unwrap_or(HeaderValue::from_static("bytes */0")),
                    ))
            }
        };
        let body = match source {
            Some(source) => stream_blob(source, start, len),
            None => Body::empty(),
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        if let Some(outcome) = cache {
            response.extensions_mut().insert(outcome);
        }
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Ok(v) = HeaderValue::from_str(digest.as_str()) {
            headers.insert("docker-content-digest", v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("\"{digest}\"")) {
            headers.insert(header::ETAG, v);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=31536000"),
        );
        self.pull_event(name, digest, size, parts);
        if status == StatusCode::PARTIAL_CONTENT {
            let end = start + len - 1;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
                headers.insert(header::CONTENT_RANGE, v);
            }
        }
        Ok(response)
    }

    /// registry:2 notifies every blob GET and HEAD it serves as a pull (no event line).
    fn pull_event(&self, name: Name<'_>, digest: Digest, size: u64, parts: &Parts) {
        Event {
            action: Action::Pull,
            repository: name.as_str(),
            tag: "",
            digest: digest.as_str(),
            media_type: "",
            size: Some(size),
            subject: Subject::Blob { from: "" },
        }
        .notify(self, parts);
    }

    pub(super) async fn delete_blob(
        &self,
        name: Name<'_>,
        digest: &str,
        parts: &Parts,
    ) -> Result<Response, ApiError> {
        if !self.opts.delete_enabled {
            return Err(ApiError::new(ErrorCode::Unsupported)
                .with_message("deletes are disabled (storage.delete.enabled is false)"));
        }
        let digest = match Digest::parse(digest) {
            Ok(d) => d,
            Err(e) if is_unstorable_algorithm(&e) => {
                return Err(ApiError::new(ErrorCode::BlobUnknown))
            }
            Err(e) => return Err(digest_error(&e)),
        };
        self.registry.delete_blob(name, digest).await?;
        Event {
            action: Action::Delete,
            repository: name.as_str(),
            tag: "",
            digest: digest.as_str(),
            media_type: "",
            size: None,
            subject: Subject::Blob { from: "" },
        }
        .emit(self, parts);
        Ok(empty_response(StatusCode::ACCEPTED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use ByteRange::*;
        assert_eq!(parse_range("bytes=0-9", 100), Partial(0, 9));
        assert_eq!(parse_range("bytes=90-200", 100), Partial(90, 99));
        assert_eq!(parse_range("bytes=10-", 100), Partial(10, 99));
        assert_eq!(parse_range("bytes=-10", 100), Partial(90, 99));
        assert_eq!(parse_range("bytes=-1000", 100), Partial(0, 99));
        assert_eq!(parse_range("bytes=0-0,5-6", 100), Full);
        for bad in [
            "bytes=100-",
            "bytes=5-4",
            "bytes=-0",
            "bytes=a-b",
            "items=0-1",
            "bytes=",
            "bytes=-",
            "bytes=1-2-3",
        ] {
            assert_eq!(parse_range(bad, 100), Unsatisfiable, "{bad}");
        }
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(
            parse_range("bytes=99999999999999999999-", 10),
            Unsatisfiable
        );
    }

    proptest::proptest! {
        #[test]
        fn range_parsing_never_panics_and_stays_in_bounds(s in "bytes=[0-9-]{0,30}", len in 0u64..1_000_000, a: u64, b: u64) {
            for value in [s, format!("bytes={a}-{b}"), format!("bytes=-{a}"), format!("bytes={a}-")] {
                if let ByteRange::Partial(start, end) = parse_range(&value, len) {
                    proptest::prop_assert!(start <= end && end < len, "{value} {len}");
                }
            }
        }
    }
}
