//! `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`, with single byte ranges.

use std::io::Read;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::{digest_error, is_unstorable_algorithm};
use super::{empty_response, Api};
use crate::digest::Digest;
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::reference::Name;
use crate::storage::BlobSource;

/// Bytes per read when streaming a blob: large enough that syscalls and task hand-offs are noise.
const READ_CHUNK: u64 = 512 << 10;
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

/// A chunk buffer that returns to its reader when the last `Bytes` made from it is dropped:
/// allocating a fresh chunk per read would map, fault in and unmap half a megabyte every time.
struct PooledChunk {
    buf: Vec<u8>,
    len: usize,
    home: std::sync::mpsc::Sender<Vec<u8>>,
}

impl AsRef<[u8]> for PooledChunk {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for PooledChunk {
    fn drop(&mut self) {
        // The reader may have finished already; then the buffer is simply freed.
        let _ = self.home.send(std::mem::take(&mut self.buf));
    }
}

/// Reads until `buf` is full or the reader is exhausted.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Streams `len` bytes of `source` from `start`, reading ahead on a blocking thread into a small
/// pool of reused buffers.
fn stream_blob(source: Box<dyn BlobSource>, start: u64, len: u64) -> Body {
    if len == 0 {
        return Body::empty();
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut reader = match source.reader_at(start) {
            Ok(r) => r.take(len),
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        let chunk_len = usize::try_from(READ_CHUNK.min(len)).unwrap_or(1 << 19);
        let (home, returned) = std::sync::mpsc::channel::<Vec<u8>>();
        loop {
            let mut buf = returned.try_recv().unwrap_or_else(|_| vec![0; chunk_len]);
            match read_full(&mut reader, &mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    let chunk = Bytes::from_owner(PooledChunk {
                        buf,
                        len: n,
                        home: home.clone(),
                    });
                    // The client went away: stop reading.
                    if tx.blocking_send(Ok(chunk)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
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
        let head = parts.method == http::Method::HEAD;
        let range = parts.headers.get(header::RANGE);
        let (size, source) = if head {
            (self.registry.stat_blob(name, digest).await?, None)
        } else {
            let source = self.registry.open_blob(name, digest).await?;
            (source.len(), Some(source))
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
        if status == StatusCode::PARTIAL_CONTENT {
            let end = start + len - 1;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
                headers.insert(header::CONTENT_RANGE, v);
            }
        }
        Ok(response)
    }

    pub(super) async fn delete_blob(
        &self,
        name: Name<'_>,
        digest: &str,
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
