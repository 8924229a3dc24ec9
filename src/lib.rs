//! regctl: one binary to run a private container registry.
//!
//! Layout (see ARCHITECTURE.md for the invariants of each module):
//! - [`certs`]: self-signed CA + server certificates, ACME (HTTP-01, TLS-ALPN-01), inspection.
//! - [`cli`]: argument parsing and rendering, one file per subcommand; the only place `anyhow` is used.
//! - [`client_setup`]: configure docker/containerd/podman on a client machine to use a registry.
//! - [`config`]: distribution's config.yml: typed model, `REGISTRY_*` overrides, validation, generation.
//! - [`fsutil`]: atomic writes (temp file + fsync + rename + directory fsync).
//! - [`htpasswd`]: Apache htpasswd files: parse, verify (bcrypt, apr1, {SHA}, plain), edit.
//! - [`init`]: a registry home (config.yml, auth/htpasswd, certs/, data/, systemd unit), written all or nothing.
//! - [`server`]: the shell of `regctl serve`: listener, TLS, HTTP/1.1 + HTTP/2, htpasswd auth,
//!   response headers, access log, graceful shutdown around the registry API router.
//! - [`remote`]: a client for any OCI registry: references, Basic and token auth, docker credentials.

pub mod certs;
pub mod cli;
pub mod client_setup;
pub mod config;
pub mod fsutil;
pub mod htpasswd;
pub mod init;
pub mod remote;
pub mod server;
