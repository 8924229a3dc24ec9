//! What `regctl init` decides ([`InitOptions`], [`Layout`], [`InitOutcome`]) and the checks that
//! need nothing but the options: refusals and warnings, before anything is written.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;

use super::hosts::is_loopback_name;
use super::{
    io_err, InitError, ListenAddr, ACME_PORT, CERTS_DIR, CONFIG_FILE, DATA_DIR, HTPASSWD_FILE,
    LETSENCRYPT_CACHEFILE, SYSTEMD_UNIT_FILE,
};
use crate::certs::acme::Issued;
use crate::certs::inspect;
use crate::certs::selfsigned::SelfSignedFiles;
use crate::certs::{CertError, SubjectName};

/// How the registry does TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain HTTP.
    None,
    /// A private CA in `certs/` and a server certificate signed by it.
    SelfSigned,
    /// Let's Encrypt through `http.tls.letsencrypt`; `regctl serve` obtains the certificate.
    Acme { email: String },
    /// An existing certificate chain and key, used where they are.
    Files { certificate: PathBuf, key: PathBuf },
}

impl TlsMode {
    /// The `--tls` value naming this mode.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SelfSigned => "self-signed",
            Self::Acme { .. } => "acme",
            Self::Files { .. } => "files",
        }
    }
}

/// The first user of the htpasswd file.
#[derive(Clone)]
pub struct InitUser {
    pub name: String,
    pub password: Vec<u8>,
}

impl fmt::Debug for InitUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Everything `regctl init` decides; the CLI fills it from flags and prompts.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The registry home directory.
    pub dir: PathBuf,
    pub addr: ListenAddr,
    /// Names and addresses clients use; the first is the one printed in commands.
    pub hosts: Vec<SubjectName>,
    pub tls: TlsMode,
    /// `None`: no authentication.
    pub user: Option<InitUser>,
    pub delete: bool,
    /// The storage root; `None` means `DIR/data`.
    pub storage: Option<PathBuf>,
    /// Write `DIR/regctl.service` starting this executable.
    pub systemd_exe: Option<PathBuf>,
    /// Replace an existing `config.yml` (and set the password of an existing user).
    pub force: bool,
    /// `http.host`, written only when given: the URL every upload `Location` then names. Without
    /// it the server builds them from the address each client used, so `127.0.0.1:PORT`, a DNS
    /// name and a NAT address all work.
    pub public_url: Option<String>,
}

/// The files of a registry home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    #[must_use]
    pub fn config(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }
    #[must_use]
    pub fn htpasswd(&self) -> PathBuf {
        self.dir.join(HTPASSWD_FILE)
    }
    #[must_use]
    pub fn certs(&self) -> PathBuf {
        self.dir.join(CERTS_DIR)
    }
    #[must_use]
    pub fn data(&self) -> PathBuf {
        self.dir.join(DATA_DIR)
    }
    #[must_use]
    pub fn systemd_unit(&self) -> PathBuf {
        self.dir.join(SYSTEMD_UNIT_FILE)
    }
    #[must_use]
    pub fn letsencrypt_cachefile(&self) -> PathBuf {
        self.dir.join(LETSENCRYPT_CACHEFILE)
    }
    #[must_use]
    pub fn self_signed(&self) -> SelfSignedFiles {
        SelfSignedFiles::new(self.certs())
    }
}

/// What was written, for the report and the next steps.
#[derive(Debug, Clone, Serialize)]
pub struct InitOutcome {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub addr: String,
    /// `HOST:PORT` as clients (docker, skopeo, client-setup) spell the registry.
    pub registry: String,
    /// The URL clients use (the first host): what the report and next steps name.
    pub url: String,
    /// `http.host` as written, when `--public-url` asked for it.
    pub http_host: Option<String>,
    pub tls: &'static str,
    pub htpasswd: Option<PathBuf>,
    pub user: Option<String>,
    /// The user existed (kept from an earlier htpasswd file) and got the new password.
    pub user_password_reset: bool,
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The CA clients must trust (self-signed only).
    pub ca_certificate: Option<PathBuf>,
    pub ca_reused: bool,
    /// A directory holding only `ca.crt`, for `skopeo --cert-dir` / podman (which take every
    /// `*.key` there as a client key and refuse one without its certificate).
    pub ca_cert_dir: Option<PathBuf>,
    pub storage: PathBuf,
    pub storage_created: bool,
    pub delete: bool,
    pub systemd_unit: Option<PathBuf>,
    /// Where the replaced `config.yml` was kept (`--force`).
    pub config_backup: Option<PathBuf>,
    pub warnings: Vec<String>,
}

/// Refuses a directory that is a file, or that already holds a config when `force` is not set.
/// Cheap: the CLI calls it before asking any question.
///
/// # Errors
/// [`InitError::NotADirectory`], [`InitError::ConfigExists`].
pub fn check_target(dir: &Path, force: bool) -> Result<(), InitError> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(InitError::NotADirectory {
                path: dir.to_owned(),
            })
        }
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io_err("read", dir)(err)),
    }
    let config = Layout::new(dir).config();
    if !force && std::fs::symlink_metadata(&config).is_ok() {
        return Err(InitError::ConfigExists { path: config });
    }
    Ok(())
}

/// Checks the parts of `opts` that do not depend on the filesystem state of DIR, and returns the
/// warnings the operator should read (exposure without authentication, plain-HTTP passwords,
/// unreachable set-ups).
///
/// # Errors
/// No hosts, ACME without e-mail, unusable certificate files.
pub fn check_options(opts: &InitOptions, now: OffsetDateTime) -> Result<Vec<String>, InitError> {
    let Some(primary) = opts.hosts.first() else {
        return Err(InitError::NoHosts);
    };
    let mut warnings = Vec::new();
    let exposed = !opts.addr.is_loopback();
    if exposed && opts.user.is_none() {
        warnings.push(format!(
            "NO AUTHENTICATION on a network address: anyone who can reach {} can push and overwrite{} images. Add a user later with `regctl user add` and an auth section, or re-run init with --user",
            opts.addr,
            if opts.delete { ", and delete," } else { "" }
        ));
    }
    if exposed && opts.user.is_some() && opts.tls == TlsMode::None {
        warnings.push(
            "plain HTTP on a network address: passwords and images cross the network unencrypted (choose --tls self-signed or acme)"
                .to_owned(),
        );
    }
    if opts.addr.is_loopback() && !opts.hosts.iter().all(is_loopback_name) {
        warnings.push(format!(
            "the registry listens on {} (this machine only), so clients using {primary} cannot reach it; listen on 0.0.0.0:{} instead",
            opts.addr, opts.addr.port
        ));
    }
    if let Some(url) = &opts.public_url {
        check_public_url(url, &opts.tls)?;
    }
    match &opts.tls {
        TlsMode::Acme { email } => {
            if email.trim().is_empty() {
                return Err(InitError::AcmeNeedsEmail);
            }
            if !email.contains('@') || email.chars().any(char::is_whitespace) {
                return Err(InitError::InvalidEmail(email.clone()));
            }
            if opts.addr.port != ACME_PORT {
                warnings.push(format!(
                    "Let's Encrypt validates on port {ACME_PORT}: forward port {ACME_PORT} of {primary} to {}, or listen on port {ACME_PORT}",
                    opts.addr.port
                ));
            }
            // Let's Encrypt can never validate these: refuse now rather than fail at every start.
            for host in &opts.hosts {
                if let Some(reason) = not_public(host) {
                    return Err(InitError::AcmeNotPublic {
                        host: host.to_string(),
                        reason,
                    });
                }
            }
        }
        TlsMode::Files { certificate, key } => {
            warnings.extend(check_tls_files(certificate, key, &opts.hosts, now)?);
        }
        TlsMode::None | TlsMode::SelfSigned => {}
    }
    Ok(warnings)
}

/// Why Let's Encrypt cannot issue a certificate for `host`, if it cannot: IP addresses and names
/// that only resolve on a local network.
fn not_public(host: &SubjectName) -> Option<&'static str> {
    let name =
        match host {
            SubjectName::Ip(_) => return Some(
                "it is an IP address; Let's Encrypt issues certificates for public DNS names only",
            ),
            SubjectName::Dns(name) => name.trim_end_matches('.').to_ascii_lowercase(),
        };
    let local_suffixes = [
        "localhost",
        "local",
        "lan",
        "home",
        "internal",
        "intranet",
        "corp",
        "home.arpa",
        "test",
        "example",
        "invalid",
    ];
    if !name.contains('.') {
        return Some("it is a single-label name that only resolves on a local network");
    }
    if local_suffixes
        .iter()
        .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
    {
        return Some("its top-level domain is private (local, lan, localhost, internal, ...) and cannot be validated from the internet");
    }
    None
}

/// `--public-url`: an http(s) URL with a host and nothing after it, whose scheme matches the TLS
/// mode (a proxy in front may terminate TLS, so `https` with `--tls none` is allowed).
fn check_public_url(url: &str, tls: &TlsMode) -> Result<(), InitError> {
    let fail = |reason: &str| InitError::InvalidPublicUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        if *tls != TlsMode::None {
            return Err(fail(
                "the registry serves TLS, so its URL starts with https://",
            ));
        }
        rest
    } else {
        return Err(fail("it must start with https:// or http://"));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty()
        || authority.contains(['/', '?', '#', '@'])
        || authority.contains(char::is_whitespace)
    {
        return Err(fail(
            "give only scheme, host and optional port, e.g. https://registry.example.com",
        ));
    }
    Ok(())
}

/// The certificate chain and key must be a pair rustls can serve; names and expiry only warn.
/// The CLI calls it right after the question, before asking anything else.
///
/// # Errors
/// [`InitError::TlsFiles`] when they cannot be read or do not match.
pub fn check_tls_files(
    certificate: &Path,
    key: &Path,
    hosts: &[SubjectName],
    now: OffsetDateTime,
) -> Result<Vec<String>, InitError> {
    let fail = |source| InitError::TlsFiles {
        certificate: certificate.to_owned(),
        key: key.to_owned(),
        source: Box::new(source),
    };
    let read_text = |path: &Path| -> Result<String, CertError> {
        let bytes = std::fs::read(path).map_err(|source| CertError::Read {
            path: path.to_owned(),
            source,
        })?;
        String::from_utf8(bytes).map_err(|e| CertError::BadCertificate {
            path: path.to_owned(),
            source: Box::new(e),
        })
    };
    let issued = Issued {
        chain_pem: read_text(certificate).map_err(fail)?,
        key_pem: read_text(key).map_err(fail)?,
    };
    issued.certified_key().map_err(fail)?;
    let chain = inspect::inspect_file(certificate, now).map_err(fail)?;
    let Some(leaf) = chain.first() else {
        return Ok(Vec::new());
    };
    let mut warnings = Vec::new();
    for host in hosts {
        if !leaf.covers(host) {
            warnings.push(format!(
                "{} does not cover {host} (it names {}): clients using {host} will refuse it",
                certificate.display(),
                leaf.sans.join(", ")
            ));
        }
    }
    warnings.extend(
        inspect::warnings(leaf, None, now)
            .into_iter()
            .filter(|w| !w.contains("does not cover")),
    );
    Ok(warnings)
}
