//! `regctl init`: a registry home directory from nothing — `config.yml`, `auth/htpasswd`, `certs/`,
//! `data/` and optionally a systemd unit — written all at once or not at all.
//!
//! Every file is produced by the module that owns its format ([`config::generate`], `htpasswd::edit`,
//! `certs::selfsigned::issue`) inside a staging directory on the same filesystem as the target;
//! only when everything has been produced is it moved into place, `config.yml` last, so a failure
//! at any point leaves the directory as it was (a crash leaves at most files without a
//! `config.yml`, which a second `regctl init` accepts). Existing data is never deleted: an existing
//! CA is reused, existing htpasswd users are kept, a replaced `config.yml` is kept as a backup and
//! the storage directory is only ever created.

//!
//! The parts: [`options`] (what init decides and the checks that need no filesystem),
//! [`hosts`] (public names, the client-facing `HOST:PORT`, defaults), `staging` (the all-or-nothing
//! transaction), [`systemd`] (the unit file) and [`next_steps`] (the commands printed afterwards).

mod hosts;
mod next_steps;
mod options;
mod staging;
mod systemd;
#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

use crate::certs::CertError;
use crate::htpasswd::HtpasswdError;
pub use crate::listen_addr::ListenAddr;

pub use hosts::*;
pub use next_steps::*;
pub use options::*;
pub use staging::init;
pub use systemd::*;

/// The registry's configuration, relative to the home directory.
pub const CONFIG_FILE: &str = "config.yml";
/// The htpasswd file, relative to the home directory.
pub const HTPASSWD_FILE: &str = "auth/htpasswd";
/// Certificates and keys, relative to the home directory.
pub const CERTS_DIR: &str = "certs";
/// A directory with only the CA certificate (self-signed), relative to the home directory.
pub const CA_CERT_DIR: &str = "certs/client";
/// The default storage root, relative to the home directory.
pub const DATA_DIR: &str = "data";
/// The systemd unit `--systemd` writes, relative to the home directory.
pub const SYSTEMD_UNIT_FILE: &str = "regctl.service";
/// Let's Encrypt account cache; the certificate and key sit beside it as `.crt` and `.key`.
pub const LETSENCRYPT_CACHEFILE: &str = "certs/letsencrypt.json";
/// The registry port docker's documentation and registry:2 use.
pub const DEFAULT_PORT: u16 = 5000;
/// The port Let's Encrypt connects to for TLS-ALPN-01, which `regctl serve` answers on its own
/// listener.
pub const ACME_PORT: u16 = 443;

/// Why `regctl init` refused or failed. Nothing has been left behind when one of these is
/// returned, except as [`InitError::Incomplete`] says.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(
        "{} already exists; refusing to overwrite it (pass --force to replace it: the old file is kept as a backup and data is never touched)",
        path.display()
    )]
    ConfigExists { path: PathBuf },
    #[error("{} exists and is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error(transparent)]
    InvalidAddr(#[from] crate::listen_addr::ListenAddrError),
    #[error("invalid host `{input}`: {reason}")]
    InvalidHost { input: String, reason: String },
    #[error("no public host name or IP given (pass --host)")]
    NoHosts,
    #[error("ACME needs a contact e-mail address for the account (pass --email)")]
    AcmeNeedsEmail,
    #[error("Let's Encrypt cannot issue a certificate for {host}: {reason} (use --tls self-signed, or give a public DNS name with --host)")]
    AcmeNotPublic { host: String, reason: &'static str },
    #[error("invalid --public-url `{url}`: {reason}")]
    InvalidPublicUrl { url: String, reason: String },
    #[error("invalid e-mail address `{0}`")]
    InvalidEmail(String),
    #[error("the certificate {} and key {} cannot be served", certificate.display(), key.display())]
    TlsFiles {
        certificate: PathBuf,
        key: PathBuf,
        #[source]
        source: Box<CertError>,
    },
    #[error(
        "{} holds a CA that init cannot reuse; move it away, or replace it with `regctl cert self-signed --force --dir {}` (every client must then trust the new ca.crt)",
        dir.display(), dir.display()
    )]
    ExistingCa {
        dir: PathBuf,
        #[source]
        source: Box<CertError>,
    },
    #[error("cannot create the certificates")]
    Certificates(#[source] Box<CertError>),
    #[error("cannot create {}", path.display())]
    Htpasswd {
        path: PathBuf,
        #[source]
        source: HtpasswdError,
    },
    #[error("user {user} already exists in {} (pass --force to set its password, or use `regctl user passwd {user}`)", path.display())]
    UserExists { user: String, path: PathBuf },
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} cannot be written into a systemd unit: {reason}", path.display())]
    UnitPath { path: PathBuf, reason: &'static str },
    #[error("{cause}; these could not be undone and need a look: {}", leftovers.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Incomplete {
        cause: Box<InitError>,
        leftovers: Vec<PathBuf>,
    },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> InitError + 'a {
    move |source| InitError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}
