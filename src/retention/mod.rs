//! Retention (`regctl prune`) and storage usage (`regctl du`) over any store.
//!
//! Both start from one [`inventory::read`] of the store. Retention decides with [`Policies`]
//! (config `retention.policies`) which tags go, removes them through `Registry::delete_tag` (the
//! API's and `regctl delete`'s path, which refuses immutable tags) and leaves manifests and blobs
//! to gc. The bytes a removal frees are computed as gc with `--delete-untagged` will mark
//! ([`live`]): blobs that only the removed tags' manifests (and their index children and
//! referrers) kept alive, counted once, minus anything a kept tag or another repository still
//! references.

pub mod inventory;
mod live;
mod policy;
pub mod prune;
pub mod schedule;
pub mod usage;

pub use inventory::{Inventory, Progress, Silent};
pub use policy::{from_config, Fate, Policies, TagFacts};

/// Why retention or usage could not be computed or applied.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("repository name {0:?} in the store is not a valid name")]
    Name(String),
    #[error("storage error: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
}

/// RFC 3339 (UTC, seconds) of a push time, as the reports show it.
#[must_use]
pub fn timestamp(at: std::time::SystemTime) -> String {
    let at = time::OffsetDateTime::from(at)
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
