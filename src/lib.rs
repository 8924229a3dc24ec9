//! regctl: one binary to run a private container registry.
//!
//! Layout (see ARCHITECTURE.md for the invariants of each module):
//! - [`cli`]: argument parsing and rendering, one file per subcommand; the only place `anyhow` is used.
//! - [`config`]: distribution's config.yml: typed model, `REGISTRY_*` overrides, validation, generation.
//! - [`fsutil`]: atomic writes (temp file + fsync + rename + directory fsync).
//! - [`htpasswd`]: Apache htpasswd files: parse, verify (bcrypt, apr1, {SHA}, plain), edit.

pub mod cli;
pub mod config;
pub mod fsutil;
pub mod htpasswd;
