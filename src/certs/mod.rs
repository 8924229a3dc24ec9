//! TLS certificates: a private CA with server certificates ([`selfsigned`]), certificates from an
//! ACME CA such as Let's Encrypt ([`acme`], answered by [`challenge`]), and reading certificates
//! back ([`inspect`]).
//!
//! Everything here is usable without a running server; `regctl serve` plugs in through
//! [`acme::ensure_certificate`] and [`challenge::ChallengeResponder`].

pub mod acme;
pub mod challenge;
pub mod configfile;
pub mod inspect;
pub mod keypair;
pub mod names;
pub mod selfsigned;

use std::path::{Path, PathBuf};

pub use names::SubjectName;

/// Everything that can go wrong while creating, obtaining or reading certificates.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{0}` is neither a DNS name nor an IP address")]
    InvalidHost(String),
    #[error("no host names given (pass --host at least once)")]
    NoHosts,
    #[error(
        "{} has {present} but not {missing}; refusing to guess which CA clients trust (use --force to create a new CA)",
        dir.display()
    )]
    PartialCa {
        dir: PathBuf,
        present: &'static str,
        missing: &'static str,
    },
    #[error("the CA in {} is unusable: {reason} (use --force to create a new CA)", dir.display())]
    UnusableCa { dir: PathBuf, reason: String },
    #[error("{} contains no PEM certificate", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{} contains a certificate that cannot be parsed", path.display())]
    BadCertificate {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{} contains no usable private key", path.display())]
    BadKey {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot build the certificate")]
    Generate(#[from] rcgen::Error),
    // Boxed: the config errors are large and CertError travels in many Results.
    #[error(transparent)]
    Config(Box<crate::config::ConfigError>),
    #[error(transparent)]
    ConfigEdit(Box<crate::config::EditFileError>),
    #[error(
        "not written: after setting the new certificate, {} would have {}",
        path.display(), problems.join("; ")
    )]
    ConfigInvalid {
        path: PathBuf,
        problems: Vec<String>,
    },
    #[error("the ACME server refused or failed while {step}")]
    Acme {
        step: &'static str,
        #[source]
        source: instant_acme::Error,
    },
    #[error("the ACME server offers no {kind} challenge for {identifier}")]
    ChallengeUnavailable { kind: String, identifier: String },
    #[error("the ACME server could not validate {identifier}: {detail}")]
    ValidationFailed { identifier: String, detail: String },
    #[error("the ACME order ended in state {0} instead of ready")]
    OrderNotReady(String),
    #[error("{} is not a valid ACME account cache", path.display())]
    AccountCache {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot listen on {addr} for the {what}")]
    Listen {
        addr: String,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS set-up failed")]
    Tls(#[from] rustls::Error),
}

impl From<crate::config::ConfigError> for CertError {
    fn from(err: crate::config::ConfigError) -> Self {
        Self::Config(Box::new(err))
    }
}

impl From<crate::config::EditFileError> for CertError {
    fn from(err: crate::config::EditFileError) -> Self {
        Self::ConfigEdit(Box::new(err))
    }
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|source| CertError::Read {
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), CertError> {
    crate::fsutil::atomic_write(path, contents, Some(mode)).map_err(|source| CertError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Mode for private keys and account credentials.
pub(crate) const PRIVATE_MODE: u32 = 0o600;
/// Mode for certificates, which clients need to read.
pub(crate) const PUBLIC_MODE: u32 = 0o644;
