//! OCI error codes and the JSON error body `{"errors":[{"code","message","detail"}]}`.
//!
//! Status codes follow distribution (`registry/api/errcode`, `registry/api/v2/errors.go`), with the
//! codes distribution 3 added for ranges and pagination. Every 4xx we send carries this body and an
//! exact Content-Length.

use std::borrow::Cow;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

/// The error codes of the distribution spec, plus the ones distribution adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    /// distribution's `UNAVAILABLE` (503): a pull-through cache cannot reach its upstream.
    Unavailable,
    /// distribution 3: an out-of-order chunk or unsatisfiable range (416).
    RangeInvalid,
    /// distribution: `n` is not a valid page size.
    PaginationNumberInvalid,
    /// distribution: the tag is malformed.
    TagInvalid,
    /// The request body is larger than allowed (413).
    SizeTooLarge,
    /// The storage has no space or quota left (507 Insufficient Storage; the code stays `UNKNOWN`,
    /// as no distribution code exists for it).
    StorageFull,
    Unknown,
}

impl ErrorCode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlobUnknown => "BLOB_UNKNOWN",
            Self::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Self::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Self::DigestInvalid => "DIGEST_INVALID",
            Self::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Self::ManifestInvalid => "MANIFEST_INVALID",
            Self::ManifestUnknown => "MANIFEST_UNKNOWN",
            Self::NameInvalid => "NAME_INVALID",
            Self::NameUnknown => "NAME_UNKNOWN",
            Self::SizeInvalid | Self::SizeTooLarge => "SIZE_INVALID",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Denied => "DENIED",
            Self::Unsupported => "UNSUPPORTED",
            Self::TooManyRequests => "TOOMANYREQUESTS",
            Self::Unavailable => "UNAVAILABLE",
            Self::RangeInvalid => "RANGE_INVALID",
            Self::PaginationNumberInvalid => "PAGINATION_NUMBER_INVALID",
            Self::TagInvalid => "TAG_INVALID",
            Self::StorageFull | Self::Unknown => "UNKNOWN",
        }
    }

    #[must_use]
    pub fn status(self) -> StatusCode {
        match self {
            Self::BlobUnknown
            | Self::BlobUploadUnknown
            | Self::ManifestUnknown
            | Self::NameUnknown => StatusCode::NOT_FOUND,
            // distribution answers 404 here; a malformed upload request is the client's fault and
            // 400 is what the spec's endpoint table lists for uploads.
            Self::BlobUploadInvalid
            | Self::DigestInvalid
            | Self::ManifestBlobUnknown
            | Self::ManifestInvalid
            | Self::NameInvalid
            | Self::SizeInvalid
            | Self::PaginationNumberInvalid
            | Self::TagInvalid => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Denied => StatusCode::FORBIDDEN,
            Self::Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::RangeInvalid => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::SizeTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Self::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    #[must_use]
    pub fn default_message(self) -> &'static str {
        match self {
            Self::BlobUnknown => "blob unknown to registry",
            Self::BlobUploadInvalid => "blob upload invalid",
            Self::BlobUploadUnknown => "blob upload unknown to registry",
            Self::DigestInvalid => "provided digest did not match uploaded content",
            Self::ManifestBlobUnknown => {
                "manifest references a manifest or blob unknown to registry"
            }
            Self::ManifestInvalid => "manifest invalid",
            Self::ManifestUnknown => "manifest unknown",
            Self::NameInvalid => "invalid repository name",
            Self::NameUnknown => "repository name not known to registry",
            Self::SizeInvalid => "provided length did not match content length",
            Self::SizeTooLarge => "payload too large",
            Self::Unauthorized => "authentication required",
            Self::Denied => "requested access to the resource is denied",
            Self::Unsupported => "the operation is unsupported",
            Self::TooManyRequests => "too many requests",
            Self::Unavailable => "service unavailable",
            Self::RangeInvalid => "invalid content range",
            Self::PaginationNumberInvalid => "invalid number of results requested",
            Self::TagInvalid => "manifest tag did not match URI",
            Self::StorageFull => "storage full: the registry has no space left to store this",
            Self::Unknown => "unknown error",
        }
    }
}

/// One API error: a code, a message, an optional JSON detail, and extra response headers (a 416
/// says where the upload stands; a 405 says which methods are allowed).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    pub detail: Option<Box<serde_json::Value>>,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    #[must_use]
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: Cow::Borrowed(code.default_message()),
            detail: None,
            headers: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = message.into();
        self
    }

    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<serde_json::Value>) -> Self {
        self.detail = Some(Box::new(detail.into()));
        self
    }

    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The JSON body.
    #[must_use]
    pub fn body(&self) -> Vec<u8> {
        let mut entry = serde_json::Map::new();
        entry.insert("code".into(), self.code.as_str().into());
        entry.insert("message".into(), self.message.as_ref().into());
        if let Some(detail) = &self.detail {
            entry.insert("detail".into(), (**detail).clone());
        }
        let body = serde_json::json!({ "errors": [entry] });
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = Response::new(axum::body::Body::from(body.clone()));
        *response.status_mut() = self.code.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_code_message_and_detail() {
        let err = ApiError::new(ErrorCode::ManifestBlobUnknown).with_detail("sha256:00");
        let v: serde_json::Value = serde_json::from_slice(&err.body()).unwrap();
        assert_eq!(v["errors"][0]["code"], "MANIFEST_BLOB_UNKNOWN");
        assert_eq!(v["errors"][0]["detail"], "sha256:00");
        assert_eq!(err.code.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn response_is_well_framed() {
        let response = ApiError::new(ErrorCode::RangeInvalid).into_response();
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        let len: usize = response.headers()[header::CONTENT_LENGTH]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(len, ApiError::new(ErrorCode::RangeInvalid).body().len());
    }
}
