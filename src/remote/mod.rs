//! A client for any OCI/Docker registry, used by `regctl catalog`, `tags`, `manifest`, `delete`,
//! `login` and `logout`.
//!
//! - [`reference`]: `REGISTRY/REPO[:TAG|@DIGEST]` with docker's registry-host rule.
//! - [`auth`]: `WWW-Authenticate` challenges, Basic and the Docker token flow.
//! - [`docker_config`]: credentials in `~/.docker/config.json` and `docker-credential-*` helpers.
//! - [`client`]: [`Client`], split into transport (HTTPS, `--insecure`, `--ca-file`, ping), the
//!   auth handshake, the API calls (catalog, tags, manifests, delete) and image details.

pub mod auth;
pub mod client;
pub mod docker_config;
pub mod image_size;
pub mod reference;

use std::path::PathBuf;

pub use auth::Credentials;
pub use client::{
    Client, ClientOptions, ImageDetails, LoginCheck, Manifest, Paging, Platform, TagInfo,
};
pub use docker_config::{CredentialSource, DockerConfig};
pub use reference::{Reference, Registry, Target};

/// Everything that can go wrong talking to a registry; each message says how to fix it when we know.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("`{input}` is not a registry address: {reason}")]
    InvalidRegistry { input: String, reason: String },

    #[error("`{input}` is not an image reference: {reason}")]
    InvalidReference { input: String, reason: String },

    #[error("`{0}` is not a platform (expected os/arch or os/arch/variant, e.g. linux/arm64/v8)")]
    InvalidPlatform(String),

    #[error(
        "{registry} speaks plain HTTP: server gave HTTP response to HTTPS client (add --insecure \
         to this command to allow plain HTTP, and run `regctl client-setup {registry}` on machines \
         whose docker must use it)"
    )]
    HttpResponseToHttps { registry: String },

    #[error(
        "the TLS certificate of {registry} is not trusted: {reason} (pass --ca-file CA.pem with \
         the CA that signed it, run `regctl client-setup {registry} --ca-file CA.pem` so docker \
         trusts it too, or add --insecure to skip verification)"
    )]
    UntrustedCertificate { registry: String, reason: String },

    #[error(
        "the TLS certificate of {registry} is not valid for the name {host} (reissue it with \
         {host} among its subject alternative names, or add --insecure to skip verification)"
    )]
    CertificateNameMismatch { registry: String, host: String },

    #[error(
        "nothing listens on {registry}; is `regctl serve` running, and on which address? (its \
         ready line and `http.addr` in its config.yml say where it listens)"
    )]
    ConnectionRefused { registry: String },

    #[error(
        "cannot resolve the host name {host} of {registry} (check the spelling, DNS or \
         /etc/hosts, or use the registry's IP address)"
    )]
    UnknownHost { registry: String, host: String },

    #[error("cannot connect to {registry} ({url})")]
    Connect {
        registry: String,
        url: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("request to {url} failed")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("{registry} is not a container registry: {reason}")]
    NotARegistry { registry: String, reason: String },

    #[error(
        "{registry} requires authentication (run `regctl login {registry}`, or pass -u USER with \
         --password-stdin)"
    )]
    AuthenticationRequired { registry: String },

    #[error(
        "{registry} rejected the credentials of user `{username}` (a wrong user name or \
         password: on the registry machine, `regctl user verify {username}` checks the password \
         against its htpasswd file and `regctl user passwd {username}` resets it)"
    )]
    CredentialsRejected { registry: String, username: String },

    #[error("{registry} denied {what}: {message}")]
    Denied {
        registry: String,
        what: String,
        message: String,
    },

    #[error("the token server {realm} failed: {reason}")]
    Token { realm: String, reason: String },

    /// `hint` is empty or starts with "; ": what exists instead.
    #[error("{what} not found{hint}")]
    NotFound { what: String, hint: String },

    #[error(
        "{registry} has deletes disabled (set `storage.delete.enabled: true` under `storage` in \
         its config.yml, or REGISTRY_STORAGE_DELETE_ENABLED=true, and restart it)"
    )]
    DeleteDisabled { registry: String },

    #[error(
        "{registry} refused to delete the tag alone (HTTP {status}: {message}); registries before \
         distribution v3 cannot untag. Delete the manifest by digest instead (without \
         --tag-only), which also removes every tag pointing at it"
    )]
    TagDeleteUnsupported {
        registry: String,
        status: u16,
        message: String,
    },

    #[error("no manifest for platform {platform} in index {digest} (it has: {available})")]
    PlatformNotFound {
        platform: String,
        digest: String,
        available: String,
    },

    #[error("{what} has digest {actual}, but the registry said {expected}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },

    #[error("{method} {url} failed: {message}")]
    Registry {
        method: String,
        url: String,
        status: u16,
        message: String,
    },

    #[error("unexpected answer for {what}: {reason}")]
    InvalidResponse { what: String, reason: String },

    #[error("cannot use the CA file {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },

    #[error("cannot set up the HTTP client")]
    ClientSetup(#[source] reqwest::Error),

    #[error("cannot find the docker config: neither DOCKER_CONFIG nor HOME is set")]
    NoDockerConfigDir,

    #[error("cannot read the docker config {}", path.display())]
    DockerConfigRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the docker config {} is invalid: {reason}", path.display())]
    DockerConfigInvalid { path: PathBuf, reason: String },

    #[error("cannot write the docker config {}", path.display())]
    DockerConfigWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the credential helper {helper} failed: {reason}")]
    CredentialHelper { helper: String, reason: String },
}
