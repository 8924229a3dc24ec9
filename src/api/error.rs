//! How registry errors become OCI errors.

use crate::digest::DigestError;
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::reference::ReferenceError;
use crate::registry::RegistryError;
use crate::storage::StorageError;

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        let message = e.to_string();
        match e {
            RegistryError::BlobUnknown(d) => ApiError::new(ErrorCode::BlobUnknown)
                .with_detail(serde_json::json!({ "digest": d.as_str() })),
            RegistryError::ManifestUnknown => ApiError::new(ErrorCode::ManifestUnknown),
            RegistryError::NameUnknown => ApiError::new(ErrorCode::NameUnknown),
            RegistryError::UploadUnknown => ApiError::new(ErrorCode::BlobUploadUnknown),
            RegistryError::RangeInvalid { .. } | RegistryError::UploadInUse { .. } => {
                ApiError::new(ErrorCode::RangeInvalid).with_message(message)
            }
            RegistryError::SizeInvalid { .. } => {
                ApiError::new(ErrorCode::SizeInvalid).with_message(message)
            }
            RegistryError::DigestMismatch { expected, actual } => {
                ApiError::new(ErrorCode::DigestInvalid).with_detail(serde_json::json!({
                    "expected": expected.as_str(),
                    "actual": actual.as_str(),
                }))
            }
            RegistryError::BodyInterrupted(_) => {
                ApiError::new(ErrorCode::BlobUploadInvalid).with_message(message)
            }
            RegistryError::ManifestInvalid(_) => {
                ApiError::new(ErrorCode::ManifestInvalid).with_message(message)
            }
            RegistryError::ManifestBlobUnknown(d) => ApiError::new(ErrorCode::ManifestBlobUnknown)
                .with_detail(serde_json::json!({ "digest": d.as_str() })),
            RegistryError::TagImmutable { .. } => {
                ApiError::new(ErrorCode::Denied).with_message(message)
            }
            RegistryError::Io(e) => storage_error(&e),
        }
    }
}

/// A storage failure: logged with the operation and key (the client is not told storage paths),
/// answered 507 when the disk or quota is full, else 500.
fn storage_error(e: &std::io::Error) -> ApiError {
    let (op, key) = StorageError::of(e).map_or(("-", "-"), |s| (s.op, s.key.as_str()));
    if StorageError::is_full(e) {
        tracing::error!(
            op,
            key,
            error = %e,
            "storage full: free space on the storage volume (or raise its quota), e.g. with \
             `regctl gc`"
        );
        return ApiError::new(ErrorCode::StorageFull).with_message(
            "storage full: the registry's storage has no space left; retry once an operator \
             has freed space",
        );
    }
    let message = match e.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
            "storage error: the registry cannot write its storage (read-only or permission \
             denied); see the server log"
        }
        _ => "storage error; see the server log",
    };
    tracing::error!(op, key, error = %e, "storage error");
    ApiError::new(ErrorCode::Unknown).with_message(message)
}

/// A digest or reference in a URL or query that cannot be used.
pub(super) fn digest_error(e: &DigestError) -> ApiError {
    ApiError::new(ErrorCode::DigestInvalid).with_message(e.to_string())
}

pub(super) fn reference_error(e: &ReferenceError) -> ApiError {
    match e {
        ReferenceError::Digest(d) => digest_error(d),
        ReferenceError::Tag => ApiError::new(ErrorCode::TagInvalid).with_message(e.to_string()),
        ReferenceError::Name(_) => {
            ApiError::new(ErrorCode::NameInvalid).with_message(e.to_string())
        }
    }
}

/// For lookups, a well-formed digest of an algorithm regctl does not store (sha384, sha512) names
/// content that cannot be here: "unknown", not "invalid".
pub(super) fn is_unstorable_algorithm(e: &DigestError) -> bool {
    matches!(e, DigestError::Unsupported(alg) if alg == "sha384" || alg == "sha512")
}
