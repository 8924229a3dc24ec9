//! regctl: one binary to run a private container registry.
//!
//! Layout (see ARCHITECTURE.md for the invariants of each module):
//! - [`api`]: the OCI Distribution API as an axum router over a [`registry::Registry`].
//! - [`cli`]: argument parsing and rendering, one file per subcommand; the only place `anyhow` is used.
//! - [`digest`]: sha256 digests and the resumable streaming hasher.
//! - [`fsutil`]: atomic writes (temp file + fsync + rename + directory fsync).
//! - [`htpasswd`]: Apache htpasswd files: parse, verify (bcrypt, apr1, {SHA}, plain), edit.
//! - [`oci`]: the OCI grammar and route parser, manifest parsing, error codes.
//! - [`registry`]: the HTTP-free registry core: blobs, uploads, manifests, tags, catalog, referrers.
//! - [`storage`]: the `Storage` trait, registry:2's key layout, the filesystem backend.

pub mod api;
pub mod cli;
pub mod digest;
pub mod fsutil;
pub mod htpasswd;
pub mod oci;
pub mod registry;
pub mod storage;
