//! regctl: one binary to run a private container registry.
//!
//! Layout (see ARCHITECTURE.md for the invariants of each module):
//! - [`cli`]: argument parsing and rendering, one file per subcommand; the only place `anyhow` is used.
//! - [`client_setup`]: configure docker/containerd/podman on a client machine to use a registry.
//! - [`gc`]: garbage collection on registry:2 filesystem storage, safe next to a running registry.
//! - [`fsutil`]: atomic writes (temp file + fsync + rename + directory fsync).
//! - [`htpasswd`]: Apache htpasswd files: parse, verify (bcrypt, apr1, {SHA}, plain), edit.

pub mod cli;
pub mod client_setup;
pub mod fsutil;
pub mod gc;
pub mod htpasswd;
