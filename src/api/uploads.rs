//! Blob uploads: `POST /v2/<name>/blobs/uploads/` (session, monolithic `?digest=`, or
//! `?mount=&from=`), then `PATCH`/`PUT`/`GET`/`DELETE` on the upload URL.

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::digest_error;
use super::{empty_response, query_param, Api, Event, Subject};
use crate::digest::Digest;
use crate::notify::Action;
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::reference::{Name, UploadId};
use crate::registry::{BlobInfo, RegistryError, UploadStatus};

const UPLOAD_UUID: &str = "docker-upload-uuid";

/// `Content-Range` of a chunk: `start-end` (inclusive), as the spec writes it; the
/// `bytes start-end/total` form some clients send is accepted too.
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let v = value.trim();
    let v = v
        .strip_prefix("bytes=")
        .or_else(|| v.strip_prefix("bytes "))
        .unwrap_or(v);
    let v = v.split_once('/').map_or(v, |(range, _total)| range);
    let (start, end) = v.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(start) || !digits(end) {
        return None;
    }
    let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
    // `end - start + 1` must fit in a u64.
    (start <= end && end < u64::MAX).then_some((start, end))
}

/// The chunk range of a PATCH or PUT, checked against its Content-Length.
fn chunk_range(parts: &Parts) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(value) = parts.headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let range = value
        .to_str()
        .ok()
        .and_then(parse_content_range)
        .ok_or_else(|| {
            ApiError::new(ErrorCode::RangeInvalid)
                .with_message("Content-Range must be <start>-<end>, inclusive")
        })?;
    let length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = length {
        if length != range.1 - range.0 + 1 {
            return Err(ApiError::new(ErrorCode::SizeInvalid).with_message(format!(
                "Content-Length {length} does not match Content-Range {}-{}",
                range.0, range.1
            )));
        }
    }
    Ok(Some(range))
}

/// Upload bodies are raw bytes; anything else is refused rather than stored.
fn check_octet_stream(parts: &Parts) -> Result<(), ApiError> {
    let Some(value) = parts.headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media = value.to_str().unwrap_or("");
    let media = crate::oci::manifest::bare_media_type(media);
    if media.is_empty() || media.eq_ignore_ascii_case("application/octet-stream") {
        Ok(())
    } else {
        Err(
            ApiError::new(ErrorCode::BlobUploadInvalid).with_message(format!(
                "upload bodies must be application/octet-stream, not {}",
                super::truncate(media, 100)
            )),
        )
    }
}

/// `Range: 0-<last byte>`; distribution sends `0-0` for an empty upload.
fn range_header(offset: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("0-{}", offset.saturating_sub(1)))
        .unwrap_or(HeaderValue::from_static("0-0"))
}

fn upload_path(name: Name<'_>, id: &str) -> String {
    format!("/v2/{}/blobs/uploads/{id}", name.as_str())
}

fn blob_path(name: Name<'_>, digest: &Digest) -> String {
    format!("/v2/{}/blobs/{digest}", name.as_str())
}

impl Api {
    fn upload_response(
        &self,
        status: StatusCode,
        name: Name<'_>,
        upload: &UploadStatus,
        parts: &Parts,
    ) -> Response {
        let mut response = empty_response(status);
        let headers = response.headers_mut();
        headers.insert(
            header::LOCATION,
            self.location(parts, &upload_path(name, &upload.id)),
        );
        headers.insert(header::RANGE, range_header(upload.offset));
        if let Ok(v) = HeaderValue::from_str(&upload.id) {
            headers.insert(UPLOAD_UUID, v);
        }
        response
    }

    /// A finished upload: registry:2 notifies a blob push (no event line).
    fn notify_pushed(&self, name: Name<'_>, blob: &BlobInfo, parts: &Parts) {
        Event {
            action: Action::Push,
            repository: name.as_str(),
            tag: "",
            digest: blob.digest.as_str(),
            media_type: "",
            size: Some(blob.size),
            subject: Subject::Blob { from: "" },
        }
        .notify(self, parts);
    }

    fn created_response(&self, name: Name<'_>, blob: &BlobInfo, parts: &Parts) -> Response {
        let mut response = empty_response(StatusCode::CREATED);
        let headers = response.headers_mut();
        headers.insert(
            header::LOCATION,
            self.location(parts, &blob_path(name, &blob.digest)),
        );
        if let Ok(v) = HeaderValue::from_str(blob.digest.as_str()) {
            headers.insert("docker-content-digest", v);
        }
        response
    }

    /// A 416 that also says where the upload stands, so the client can resume.
    fn range_error(&self, e: RegistryError, name: Name<'_>, id: &str, parts: &Parts) -> ApiError {
        let offset = match &e {
            RegistryError::RangeInvalid { offset, .. } | RegistryError::UploadInUse { offset } => {
                Some(*offset)
            }
            _ => None,
        };
        let mut error = ApiError::from(e);
        if let Some(offset) = offset {
            error = error
                .with_header(
                    header::LOCATION,
                    self.location(parts, &upload_path(name, id)),
                )
                .with_header(header::RANGE, range_header(offset));
        }
        error
    }

    pub(super) async fn start_upload(
        &self,
        name: Name<'_>,
        parts: &Parts,
        body: Body,
    ) -> Result<Response, ApiError> {
        if let (Some(mount), Some(from)) = (query_param(parts, "mount"), query_param(parts, "from"))
        {
            // As distribution does, an unusable mount request falls back to an ordinary upload;
            // so does one from a repository the client may not pull (access hook).
            if let (Ok(digest), Ok(from)) = (Digest::parse(&mount), Name::parse(&from)) {
                if !super::access::allows(parts, crate::access::Action::Pull, from) {
                    let upload = self.registry.start_upload(name).await?;
                    return Ok(self.upload_response(StatusCode::ACCEPTED, name, &upload, parts));
                }
                if let Some(blob) = self.registry.mount_blob(name, from, digest).await? {
                    Event {
                        action: Action::Mount,
                        repository: name.as_str(),
                        tag: "",
                        digest: blob.digest.as_str(),
                        media_type: "",
                        size: Some(blob.size),
                        subject: Subject::Blob {
                            from: from.as_str(),
                        },
                    }
                    .emit(self, parts);
                    return Ok(self.created_response(name, &blob, parts));
                }
            }
        }
        if let Some(digest) = query_param(parts, "digest") {
            let digest = Digest::parse(&digest).map_err(|e| digest_error(&e))?;
            check_octet_stream(parts)?;
            let blob = self
                .registry
                .put_blob(name, body.into_data_stream(), digest)
                .await?;
            self.notify_pushed(name, &blob, parts);
            return Ok(self.created_response(name, &blob, parts));
        }
        let upload = self.registry.start_upload(name).await?;
        Ok(self.upload_response(StatusCode::ACCEPTED, name, &upload, parts))
    }

    pub(super) async fn upload_status(
        &self,
        name: Name<'_>,
        id: &str,
        parts: &Parts,
    ) -> Result<Response, ApiError> {
        let upload_id = UploadId::parse(id).ok_or(ApiError::new(ErrorCode::BlobUploadUnknown))?;
        let upload = self.registry.upload_status(name, upload_id).await?;
        Ok(self.upload_response(StatusCode::NO_CONTENT, name, &upload, parts))
    }

    pub(super) async fn patch_upload(
        &self,
        name: Name<'_>,
        id: &str,
        parts: &Parts,
        body: Body,
    ) -> Result<Response, ApiError> {
        let upload_id = UploadId::parse(id).ok_or(ApiError::new(ErrorCode::BlobUploadUnknown))?;
        check_octet_stream(parts)?;
        let range = chunk_range(parts)?;
        let upload = self
            .registry
            .append_upload(name, upload_id, range, body.into_data_stream())
            .await
            .map_err(|e| self.range_error(e, name, id, parts))?;
        Ok(self.upload_response(StatusCode::ACCEPTED, name, &upload, parts))
    }

    pub(super) async fn put_upload(
        &self,
        name: Name<'_>,
        id: &str,
        parts: &Parts,
        body: Body,
    ) -> Result<Response, ApiError> {
        let upload_id = UploadId::parse(id).ok_or(ApiError::new(ErrorCode::BlobUploadUnknown))?;
        let digest = query_param(parts, "digest").ok_or_else(|| {
            ApiError::new(ErrorCode::DigestInvalid)
                .with_message("the digest query parameter is required to finish an upload")
        })?;
        let digest = Digest::parse(&digest).map_err(|e| digest_error(&e))?;
        let range = chunk_range(parts)?;
        let blob = self
            .registry
            .finish_upload(name, upload_id, range, body.into_data_stream(), digest)
            .await
            .map_err(|e| self.range_error(e, name, id, parts))?;
        self.notify_pushed(name, &blob, parts);
        Ok(self.created_response(name, &blob, parts))
    }

    pub(super) async fn cancel_upload(
        &self,
        name: Name<'_>,
        id: &str,
    ) -> Result<Response, ApiError> {
        let upload_id = UploadId::parse(id).ok_or(ApiError::new(ErrorCode::BlobUploadUnknown))?;
        self.registry.cancel_upload(name, upload_id).await?;
        Ok(empty_response(StatusCode::NO_CONTENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("0-99"), Some((0, 99)));
        assert_eq!(parse_content_range("bytes 100-199/*"), Some((100, 199)));
        assert_eq!(parse_content_range("bytes=5-5"), Some((5, 5)));
        for bad in [
            "",
            "-1",
            "5-4",
            "a-b",
            "1-",
            "0-99999999999999999999999",
            "0-18446744073709551615",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn content_range_parsing_never_panics(s in "\\PC{0,40}", a: u64, b: u64) {
            let _ = parse_content_range(&s);
            if let Some((start, end)) = parse_content_range(&format!("{a}-{b}")) {
                proptest::prop_assert!(start <= end && end - start < u64::MAX);
            }
        }
    }
}
