//! regctl: one binary to run a private container registry.
//!
//! Layout (see ARCHITECTURE.md for the invariants of each module):
//! - [`access`]: per-repository access rules, groups and CI tokens; `Policy::decide`.
//! - [`api`]: the OCI Distribution API as an axum router over a [`registry::Registry`].
//! - [`certs`]: self-signed CA + server certificates, ACME (HTTP-01, TLS-ALPN-01), inspection.
//! - [`cli`]: argument parsing and rendering, one file per subcommand; the only place `anyhow` is used.
//! - [`client_setup`]: configure docker/containerd/podman on a client machine to use a registry.
//! - [`gc`]: garbage collection on registry:2 filesystem storage, safe next to a running registry.
//! - [`config`]: distribution's config.yml: typed model, `REGISTRY_*` overrides, validation, generation.
//! - [`doctor`]: `regctl doctor`: a client machine's view of a registry, each problem with its fix.
//! - [`digest`]: sha256 digests and the resumable streaming hasher.
//! - [`fsutil`]: atomic writes (temp file + fsync + rename + directory fsync).
//! - [`htpasswd`]: Apache htpasswd files: parse, verify (bcrypt, apr1, {SHA}, plain), edit.
//! - [`notify`]: registry:2's notification envelope and per-endpoint delivery rules (webhooks).
//! - [`oci`]: the OCI grammar and route parser, manifest parsing, error codes.
//! - [`registry`]: the HTTP-free registry core: blobs, uploads, manifests, tags, catalog, referrers.
//! - [`retention`]: retention policies (`regctl prune`) and storage usage (`regctl du`).
//! - [`report`]: one-line error chains for logs and diagnostics.
//! - [`remote`]: a client for any OCI registry (Basic and token auth, docker credentials, paging).
//! - [`init`]: a registry home (config.yml, auth/htpasswd, certs/, data/, systemd unit), written all or nothing.
//! - [`server`]: the shell of `regctl serve`: listener, TLS, HTTP/1.1 + HTTP/2, htpasswd auth,
//!   response headers, access log, graceful shutdown around the registry API router.
//! - [`storage`]: the `Storage` trait, registry:2's key layout, the filesystem backend.
//! - [`web`]: the web pages at `/`: repositories, tags, manifests, deletes, rendered from the core.

pub mod access;
pub mod api;
pub mod audit;
pub mod certs;
pub mod cli;
pub mod client_setup;
pub mod config;
pub mod digest;
pub mod doctor;
pub mod fsck;
pub mod fsutil;
pub mod gc;
pub mod health;
pub mod htpasswd;
pub mod init;
pub mod listen_addr;
pub mod metrics;
pub mod notify;
pub mod oci;
pub mod proxy;
pub mod registry;
pub mod remote;
pub mod report;
pub mod retention;
pub mod server;
pub mod storage;
pub mod upload_purge;
pub mod web;
