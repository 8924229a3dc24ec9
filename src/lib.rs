//! regctl: one binary to run a private container registry.
//!
//! Layout (see ARCHITECTURE.md for the invariants of each module):
//! - [`cli`]: argument parsing and rendering, one file per subcommand; the only place `anyhow` is used.
//! - [`fsutil`]: atomic writes (temp file + fsync + rename + directory fsync).
//! - [`htpasswd`]: Apache htpasswd files: parse, verify (bcrypt, apr1, {SHA}, plain), edit.
//! - [`remote`]: a client for any OCI registry: references, Basic and token auth, docker credentials.

pub mod cli;
pub mod fsutil;
pub mod htpasswd;
pub mod remote;
