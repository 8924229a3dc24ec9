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

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;
use time::OffsetDateTime;

use crate::certs::acme::Issued;
use crate::certs::inspect;
use crate::certs::selfsigned::{self, SelfSignedFiles, SelfSignedRequest};
use crate::certs::{CertError, SubjectName};
use crate::client_setup::{RegistryAddr, RegistryHost};
use crate::config::{self, GenerateOptions, LetsEncryptOptions};
use crate::htpasswd::{self, HtpasswdError, DEFAULT_BCRYPT_COST};

/// The registry's configuration, relative to the home directory.
pub const CONFIG_FILE: &str = "config.yml";
/// The htpasswd file, relative to the home directory.
pub const HTPASSWD_FILE: &str = "auth/htpasswd";
/// Certificates and keys, relative to the home directory.
pub const CERTS_DIR: &str = "certs";
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
    #[error("invalid listen address `{input}`: {reason} (expected IP:PORT, e.g. 0.0.0.0:5000, 127.0.0.1:5000 or [::]:5000)")]
    InvalidAddr { input: String, reason: String },
    #[error("invalid host `{input}`: {reason}")]
    InvalidHost { input: String, reason: String },
    #[error("no public host name or IP given (pass --host)")]
    NoHosts,
    #[error("ACME needs a contact e-mail address for the account (pass --email)")]
    AcmeNeedsEmail,
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

/// Where the registry listens: an IP address (or all addresses) and a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr {
    /// `None`: every address (`:PORT`, as distribution writes it).
    pub ip: Option<IpAddr>,
    pub port: u16,
}

impl ListenAddr {
    /// Every IPv4 address on `port`: reachable from the network.
    #[must_use]
    pub fn all(port: u16) -> Self {
        Self {
            ip: Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            port,
        }
    }

    /// Loopback on `port`: this machine only.
    #[must_use]
    pub fn loopback(port: u16) -> Self {
        Self {
            ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            port,
        }
    }

    /// Whether only this machine can connect.
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            None => write!(f, ":{}", self.port),
            Some(IpAddr::V4(ip)) => write!(f, "{ip}:{}", self.port),
            Some(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

impl FromStr for ListenAddr {
    type Err = InitError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| InitError::InvalidAddr {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        let (ip, port) = if let Some(port) = text.strip_prefix(':') {
            (None, port)
        } else if let Ok(addr) = text.parse::<SocketAddr>() {
            if addr.port() == 0 {
                return Err(fail("the port must be a number from 1 to 65535"));
            }
            return Ok(Self {
                ip: Some(addr.ip()),
                port: addr.port(),
            });
        } else {
            let (host, port) = text
                .rsplit_once(':')
                .ok_or_else(|| fail("the port is missing"))?;
            if host.parse::<IpAddr>().is_err() {
                return Err(fail(if host.contains(':') {
                    "write an IPv6 address in brackets, e.g. [::]:5000"
                } else {
                    "the host must be an IP address of this machine (0.0.0.0 for all)"
                }));
            }
            (host.parse().ok(), port)
        };
        match port.parse::<u16>() {
            Ok(0) | Err(_) => Err(fail("the port must be a number from 1 to 65535")),
            Ok(port) => Ok(Self { ip, port }),
        }
    }
}

/// Parses a public host name or IP the way clients will type it: valid in a certificate and in
/// docker's `HOST:PORT`.
///
/// # Errors
/// [`InitError::InvalidHost`] saying why.
pub fn parse_host(input: &str) -> Result<SubjectName, InitError> {
    let invalid = |reason: String| InitError::InvalidHost {
        input: input.to_owned(),
        reason,
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    if trimmed.contains("://") || trimmed.contains('/') {
        return Err(invalid(
            "give only the name or IP, without scheme, port or path".to_owned(),
        ));
    }
    let name = SubjectName::parse(trimmed).map_err(|_| {
        invalid(if trimmed.contains(':') && !trimmed.starts_with('[') {
            "give the name or IP without a port (the port comes from the listen address)".to_owned()
        } else {
            "it is neither a DNS name nor an IP address".to_owned()
        })
    })?;
    // docker's reference grammar is stricter than certificates (no `_`, no wildcards).
    registry_addr(&name, DEFAULT_PORT).map_err(|err| invalid(err.reason))?;
    Ok(name)
}

/// The `HOST:PORT` clients use for `host`.
fn registry_addr(
    host: &SubjectName,
    port: u16,
) -> Result<RegistryAddr, crate::client_setup::AddressError> {
    match host {
        SubjectName::Ip(IpAddr::V4(ip)) => Ok(RegistryAddr {
            host: RegistryHost::V4(*ip),
            port,
        }),
        SubjectName::Ip(IpAddr::V6(ip)) => Ok(RegistryAddr {
            host: RegistryHost::V6(*ip),
            port,
        }),
        SubjectName::Dns(name) => format!("{name}:{port}").parse(),
    }
}

/// The address other machines most likely reach this one at: the source address of the default
/// route (a UDP `connect` sends nothing), or loopback when there is none.
#[must_use]
pub fn default_host() -> SubjectName {
    let probe = || -> io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        // TEST-NET-1: never routed, only used to pick the outgoing interface.
        socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    match probe() {
        Ok(ip) if !ip.is_unspecified() => SubjectName::Ip(ip),
        _ => SubjectName::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

/// The listen address to suggest: loopback when every host is loopback (nothing else could
/// connect anyway), every address otherwise; port 443 for ACME, 5000 otherwise.
#[must_use]
pub fn default_addr(hosts: &[SubjectName], tls: &TlsMode) -> ListenAddr {
    let port = if matches!(tls, TlsMode::Acme { .. }) {
        ACME_PORT
    } else {
        DEFAULT_PORT
    };
    let all_loopback = !hosts.is_empty() && hosts.iter().all(is_loopback_name);
    if all_loopback {
        ListenAddr::loopback(port)
    } else {
        ListenAddr::all(port)
    }
}

fn is_loopback_name(host: &SubjectName) -> bool {
    match host {
        SubjectName::Ip(ip) => ip.is_loopback(),
        SubjectName::Dns(name) => name == "localhost",
    }
}

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
    /// `http.host`.
    pub url: String,
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
            for host in &opts.hosts {
                if let SubjectName::Ip(ip) = host {
                    warnings.push(format!(
                        "{ip} is an IP address: Let's Encrypt issues certificates for public DNS names (use --tls self-signed for an address)"
                    ));
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

/// The certificate chain and key must be a pair rustls can serve; names and expiry only warn.
fn check_tls_files(
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

/// Writes the registry home described by `opts`: all of it, or — on any error — nothing.
///
/// # Errors
/// Refusals ([`check_target`], [`check_options`]), an existing CA that cannot be reused, an
/// existing user without `force`, and I/O failures (after which everything written is undone).
pub fn init(opts: &InitOptions, now: OffsetDateTime) -> Result<InitOutcome, InitError> {
    let dir = std::path::absolute(&opts.dir).map_err(io_err("resolve", &opts.dir))?;
    check_target(&dir, opts.force)?;
    let warnings = check_options(opts, now)?;
    let layout = Layout::new(&dir);
    let storage = match &opts.storage {
        Some(path) => std::path::absolute(path).map_err(io_err("resolve", path))?,
        None => layout.data(),
    };
    let mut undo = Undo::default();
    match write_all(opts, &layout, &storage, now, &mut undo) {
        Ok(mut outcome) => {
            outcome.warnings = warnings;
            undo.forget();
            Ok(outcome)
        }
        Err(cause) => {
            let leftovers = undo.rollback();
            if leftovers.is_empty() {
                Err(cause)
            } else {
                Err(InitError::Incomplete {
                    cause: Box::new(cause),
                    leftovers,
                })
            }
        }
    }
}

fn write_all(
    opts: &InitOptions,
    layout: &Layout,
    storage: &Path,
    now: OffsetDateTime,
    undo: &mut Undo,
) -> Result<InitOutcome, InitError> {
    let dir_existed = layout.dir.is_dir();
    // The staging directory must be on DIR's filesystem so that moving files in is a rename.
    let stage_parent = if dir_existed {
        layout.dir.clone()
    } else {
        let parent = layout
            .dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned);
        undo.create_dir_all(&parent)?;
        parent
    };
    let staging = tempfile::Builder::new()
        .prefix(".regctl-init-")
        .tempdir_in(&stage_parent)
        .map_err(io_err("create a staging directory in", &stage_parent))?;
    let staged = Layout::new(staging.path());
    let mut outcome = stage(opts, layout, &staged, storage, now)?;

    if dir_existed {
        outcome.config_backup = commit_into_existing(&staged.dir, &layout.dir, now, undo)?;
    } else {
        let staged_dir = staging.keep();
        undo.push(Action::CreatedTree(layout.dir.clone()));
        let rename = std::fs::rename(&staged_dir, &layout.dir);
        if let Err(err) = rename {
            // Still the staging directory: clean it up instead of the target.
            let _ = std::fs::remove_dir_all(&staged_dir);
            return Err(io_err("create", &layout.dir)(err));
        }
        set_mode(&layout.dir, 0o755)?;
        crate::fsutil::fsync_dir(&stage_parent).map_err(io_err("sync", &stage_parent))?;
    }
    // After the move: a storage directory inside a new DIR must not exist before DIR does.
    if storage != layout.data() {
        undo.create_dir_all(storage)?;
    }
    Ok(outcome)
}

/// Produces every file in `staged`, with paths inside them pointing at their final place in
/// `layout`.
fn stage(
    opts: &InitOptions,
    layout: &Layout,
    staged: &Layout,
    storage: &Path,
    now: OffsetDateTime,
) -> Result<InitOutcome, InitError> {
    let primary = opts.hosts.first().ok_or(InitError::NoHosts)?;
    let registry = registry_addr(primary, opts.addr.port)
        .map_err(|err| InitError::InvalidHost {
            input: primary.to_string(),
            reason: err.reason,
        })?
        .to_string();
    std::fs::create_dir(staged.certs()).map_err(io_err("create", &staged.certs()))?;

    let mut outcome = InitOutcome {
        dir: layout.dir.clone(),
        config: layout.config(),
        addr: opts.addr.to_string(),
        url: service_url(primary, opts.addr.port, opts.tls != TlsMode::None),
        registry,
        tls: opts.tls.name(),
        htpasswd: None,
        user: None,
        user_password_reset: false,
        certificate: None,
        key: None,
        ca_certificate: None,
        ca_reused: false,
        storage: storage.to_owned(),
        storage_created: !storage.exists(),
        delete: opts.delete,
        systemd_unit: None,
        config_backup: None,
        warnings: Vec::new(),
    };

    let mut tls_files = None;
    let mut letsencrypt = None;
    match &opts.tls {
        TlsMode::None => {}
        TlsMode::SelfSigned => {
            let (final_files, staged_files) = (layout.self_signed(), staged.self_signed());
            // The CA is what clients trust: carrying it over makes `issue` reuse it.
            copy_if_present(&final_files.ca_cert(), &staged_files.ca_cert())?;
            copy_if_present(&final_files.ca_key(), &staged_files.ca_key())?;
            let issued = selfsigned::issue(
                &SelfSignedRequest {
                    dir: staged.certs(),
                    hosts: opts.hosts.clone(),
                    leaf_days: selfsigned::DEFAULT_LEAF_DAYS,
                    replace_ca: false,
                },
                now,
            )
            .map_err(|err| existing_ca_error(err, &layout.certs()))?;
            outcome.ca_reused = issued.ca_reused;
            outcome.ca_certificate = Some(final_files.ca_cert());
            tls_files = Some((final_files.server_cert(), final_files.server_key()));
        }
        TlsMode::Acme { email } => {
            let cachefile = layout.letsencrypt_cachefile();
            let store = crate::certs::acme::CertStore::for_cachefile(&cachefile);
            outcome.certificate = Some(store.cert_path);
            outcome.key = Some(store.key_path);
            letsencrypt = Some(LetsEncryptOptions {
                cachefile,
                email: email.trim().to_owned(),
                hosts: opts.hosts.iter().map(ToString::to_string).collect(),
            });
        }
        TlsMode::Files { certificate, key } => {
            tls_files = Some((
                std::path::absolute(certificate).map_err(io_err("resolve", certificate))?,
                std::path::absolute(key).map_err(io_err("resolve", key))?,
            ));
        }
    }
    if let Some((certificate, key)) = &tls_files {
        outcome.certificate = Some(certificate.clone());
        outcome.key = Some(key.clone());
    }

    if let Some(user) = &opts.user {
        let staged_path = staged.htpasswd();
        copy_if_present(&layout.htpasswd(), &staged_path)?;
        let force = opts.force;
        let reset = htpasswd::edit(&staged_path, |file| {
            if file.get(&user.name).is_some() {
                if !force {
                    return Err(HtpasswdError::UserExists {
                        user: user.name.clone(),
                    });
                }
                file.set_password(&user.name, &user.password, DEFAULT_BCRYPT_COST)?;
                Ok(true)
            } else {
                file.add(&user.name, &user.password, DEFAULT_BCRYPT_COST)?;
                Ok(false)
            }
        })
        .map_err(|source| match source {
            HtpasswdError::UserExists { user } => InitError::UserExists {
                user,
                path: layout.htpasswd(),
            },
            source => InitError::Htpasswd {
                path: layout.htpasswd(),
                source,
            },
        })?;
        outcome.htpasswd = Some(layout.htpasswd());
        outcome.user = Some(user.name.clone());
        outcome.user_password_reset = reset;
    }

    let config = config::generate(&GenerateOptions {
        addr: opts.addr.to_string(),
        root: storage.to_owned(),
        htpasswd: outcome.htpasswd.clone(),
        realm: config::DEFAULT_REALM.to_owned(),
        tls: tls_files,
        delete: opts.delete,
        host: Some(outcome.url.clone()),
        letsencrypt,
    });
    write_new(&staged.config(), config.as_bytes(), 0o644)?;

    if let Some(exe) = &opts.systemd_exe {
        let mut writable = vec![storage.to_owned()];
        if matches!(opts.tls, TlsMode::Acme { .. }) {
            writable.push(layout.certs());
        }
        let owner = owner_of(&staged.dir)?;
        let unit = systemd_unit(&UnitSpec {
            exe,
            config: &layout.config(),
            writable: &writable,
            port: opts.addr.port,
            owner,
        })?;
        write_new(&staged.systemd_unit(), unit.as_bytes(), 0o644)?;
        outcome.systemd_unit = Some(layout.systemd_unit());
    }

    if storage == layout.data() && !storage.exists() {
        std::fs::create_dir(staged.data()).map_err(io_err("create", &staged.data()))?;
    }
    Ok(outcome)
}

/// `https://HOST[:PORT]`, leaving out the scheme's default port.
fn service_url(host: &SubjectName, port: u16, tls: bool) -> String {
    let (scheme, default_port) = if tls { ("https", 443) } else { ("http", 80) };
    let host = match host {
        SubjectName::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        other => other.to_string(),
    };
    if port == default_port {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    }
}

/// `selfsigned::issue` ran in the staging directory; name the real one in its refusal.
fn existing_ca_error(err: CertError, certs_dir: &Path) -> InitError {
    let source = match err {
        CertError::PartialCa {
            present, missing, ..
        } => CertError::PartialCa {
            dir: certs_dir.to_owned(),
            present,
            missing,
        },
        CertError::UnusableCa { reason, .. } => CertError::UnusableCa {
            dir: certs_dir.to_owned(),
            reason,
        },
        CertError::BadKey { source, .. } => CertError::BadKey {
            path: certs_dir.join("ca.key"),
            source,
        },
        CertError::BadCertificate { source, .. } => CertError::BadCertificate {
            path: certs_dir.join("ca.crt"),
            source,
        },
        CertError::NoCertificate { .. } => CertError::NoCertificate {
            path: certs_dir.join("ca.crt"),
        },
        other => return InitError::Certificates(Box::new(other)),
    };
    InitError::ExistingCa {
        dir: certs_dir.to_owned(),
        source: Box::new(source),
    }
}

fn copy_if_present(from: &Path, to: &Path) -> Result<(), InitError> {
    let bytes = match std::fs::read(from) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io_err("read", from)(err)),
    };
    let mode = file_mode(from).unwrap_or(0o600);
    crate::fsutil::atomic_write(to, &bytes, Some(mode)).map_err(io_err("write", to))
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), InitError> {
    crate::fsutil::atomic_write(path, contents, Some(mode)).map_err(io_err("write", path))
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), InitError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(io_err("set permissions of", path))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<(), InitError> {
    Ok(())
}

/// The uid and gid that own `path` (the staging directory, so: the user running init).
#[cfg(unix)]
fn owner_of(path: &Path) -> Result<Option<(u32, u32)>, InitError> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path).map_err(io_err("read", path))?;
    Ok(Some((meta.uid(), meta.gid())))
}

#[cfg(not(unix))]
fn owner_of(_path: &Path) -> Result<Option<(u32, u32)>, InitError> {
    Ok(None)
}

/// Moves every staged file into the existing `target`, `config.yml` last. Files whose content is
/// already there are left alone; replaced files are set aside and restored by [`Undo`] on
/// failure. Returns where the old `config.yml` was kept.
fn commit_into_existing(
    staged: &Path,
    target: &Path,
    now: OffsetDateTime,
    undo: &mut Undo,
) -> Result<Option<PathBuf>, InitError> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    collect(staged, Path::new(""), &mut files, &mut dirs)?;
    for dir in &dirs {
        undo.create_dir_all(&target.join(dir))?;
    }
    // config.yml last: it is what marks the directory as initialised.
    files.sort_by_key(|rel| rel == Path::new(CONFIG_FILE));
    let mut config_backup = None;
    for rel in &files {
        let (from, to) = (staged.join(rel), target.join(rel));
        let existing = match std::fs::symlink_metadata(&to) {
            Ok(meta) if meta.is_dir() => {
                return Err(InitError::Io {
                    action: "write",
                    path: to,
                    source: io::Error::new(
                        io::ErrorKind::IsADirectory,
                        "a directory is in the way",
                    ),
                })
            }
            Ok(_) => true,
            Err(_) => false,
        };
        if existing {
            let same = match (std::fs::read(&from), std::fs::read(&to)) {
                (Ok(a), Ok(b)) => a == b && file_mode(&from) == file_mode(&to),
                _ => false,
            };
            if same {
                continue;
            }
            let keep = rel == Path::new(CONFIG_FILE);
            let aside = if keep {
                let stamp = now
                    .format(time::macros::format_description!(
                        "[year][month][day]T[hour][minute][second]Z"
                    ))
                    .unwrap_or_else(|_| now.unix_timestamp().to_string());
                unused_path(&to.with_file_name(format!("{CONFIG_FILE}.bak-{stamp}")))
            } else {
                unused_path(&to.with_file_name(format!(
                    ".{}.regctl-old",
                    rel.file_name().map_or_else(
                        || "file".into(),
                        |n| n.to_string_lossy().into_owned()
                    )
                )))
            };
            std::fs::rename(&to, &aside).map_err(io_err("set aside", &to))?;
            undo.push(Action::SetAside {
                original: to.clone(),
                aside: aside.clone(),
                keep,
            });
            if keep {
                config_backup = Some(aside);
            }
        }
        std::fs::rename(&from, &to).map_err(io_err("write", &to))?;
        if !existing {
            undo.push(Action::CreatedFile(to.clone()));
        }
        if let Some(parent) = to.parent() {
            crate::fsutil::fsync_dir(parent).map_err(io_err("sync", parent))?;
        }
    }
    Ok(config_backup)
}

/// `path`, or `path.1`, `path.2`… whichever does not exist yet.
fn unused_path(path: &Path) -> PathBuf {
    let mut candidate = path.to_owned();
    let mut n = 1;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        candidate = PathBuf::from(format!("{}.{n}", path.display()));
        n += 1;
    }
    candidate
}

/// Relative paths of every file and directory under `root`, parents before children.
fn collect(
    root: &Path,
    rel: &Path,
    files: &mut Vec<PathBuf>,
    dirs: &mut Vec<PathBuf>,
) -> Result<(), InitError> {
    let here = root.join(rel);
    let mut entries = std::fs::read_dir(&here)
        .map_err(io_err("read", &here))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err("read", &here))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let rel = rel.join(entry.file_name());
        let kind = entry.file_type().map_err(io_err("read", &entry.path()))?;
        if kind.is_dir() {
            dirs.push(rel.clone());
            collect(root, &rel, files, dirs)?;
        } else {
            files.push(rel);
        }
    }
    Ok(())
}

/// One step that can be taken back.
#[derive(Debug)]
enum Action {
    /// A directory that did not exist (removed on rollback only if still empty).
    CreatedDir(PathBuf),
    /// A whole directory tree that did not exist a moment ago (the renamed staging directory).
    CreatedTree(PathBuf),
    CreatedFile(PathBuf),
    /// An existing file renamed to `aside`; restored on rollback, deleted on success unless `keep`.
    SetAside {
        original: PathBuf,
        aside: PathBuf,
        keep: bool,
    },
}

/// The steps taken so far, undone in reverse order on failure.
#[derive(Debug, Default)]
struct Undo {
    actions: Vec<Action>,
}

impl Undo {
    fn push(&mut self, action: Action) {
        self.actions.push(action);
    }

    /// `create_dir_all`, remembering each directory it actually created.
    fn create_dir_all(&mut self, path: &Path) -> Result<(), InitError> {
        let mut missing = Vec::new();
        let mut cursor = Some(path);
        while let Some(dir) = cursor {
            if dir.as_os_str().is_empty() || dir.is_dir() {
                break;
            }
            missing.push(dir.to_owned());
            cursor = dir.parent();
        }
        for dir in missing.into_iter().rev() {
            match std::fs::create_dir(&dir) {
                Ok(()) => self.push(Action::CreatedDir(dir)),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
                Err(err) => return Err(io_err("create", &dir)(err)),
            }
        }
        Ok(())
    }

    /// Success: drop the set-aside copies of replaced files that are not kept as backups.
    fn forget(self) {
        for action in self.actions {
            if let Action::SetAside {
                aside, keep: false, ..
            } = action
            {
                let _ = std::fs::remove_file(aside);
            }
        }
    }

    /// Failure: undo everything in reverse; returns the paths that could not be restored.
    fn rollback(self) -> Vec<PathBuf> {
        let mut leftovers = Vec::new();
        for action in self.actions.into_iter().rev() {
            let result = match &action {
                Action::CreatedDir(dir) => match std::fs::remove_dir(dir) {
                    // Someone else put something there meanwhile: not ours to delete.
                    Err(err) if err.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(()),
                    other => other,
                },
                Action::CreatedTree(dir) => std::fs::remove_dir_all(dir),
                Action::CreatedFile(file) => std::fs::remove_file(file),
                Action::SetAside {
                    original, aside, ..
                } => std::fs::rename(aside, original),
            };
            if result.is_err() {
                leftovers.push(match action {
                    Action::CreatedDir(p) | Action::CreatedTree(p) | Action::CreatedFile(p) => p,
                    Action::SetAside { aside, .. } => aside,
                });
            }
        }
        leftovers
    }
}

/// What the systemd unit runs and may write.
#[derive(Debug, Clone)]
pub struct UnitSpec<'a> {
    pub exe: &'a Path,
    pub config: &'a Path,
    /// Directories the service writes (storage; certs for ACME); everything else is read-only.
    pub writable: &'a [PathBuf],
    pub port: u16,
    /// uid and gid to run as; `None` or uid 0 runs as root.
    pub owner: Option<(u32, u32)>,
}

/// A hardened systemd service running `regctl serve -c CONFIG`.
///
/// # Errors
/// [`InitError::UnitPath`] when a path cannot be expressed in a unit file (not UTF-8, a newline).
pub fn systemd_unit(spec: &UnitSpec<'_>) -> Result<String, InitError> {
    let exe = unit_word(spec.exe)?;
    let config = unit_word(spec.config)?;
    let writable = spec
        .writable
        .iter()
        .map(|p| unit_word(p))
        .collect::<Result<Vec<_>, _>>()?
        .join(" ");
    let privileged_port = spec.port < 1024;
    let user = match spec.owner {
        Some((uid, gid)) if uid != 0 => format!(
            "# The user and group that ran `regctl init` and own its files.\nUser={uid}\nGroup={gid}\n"
        ),
        _ => "# Runs as root because `regctl init` ran as root. Better: a dedicated user, e.g.\n\
              #   useradd --system --no-create-home regctl && chown -R regctl: <the registry directory>\n\
              # and then: User=regctl\n"
            .to_owned(),
    };
    let capabilities = if privileged_port {
        "# Binding a port below 1024 needs this one capability and no other.\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
    } else {
        "CapabilityBoundingSet=\n"
    };
    Ok(format!(
        "\
# Written by regctl init. Install with:
#   sudo cp {unit_name} /etc/systemd/system/ && sudo systemctl daemon-reload
#   sudo systemctl enable --now regctl
[Unit]
Description=regctl container registry
Documentation=man:regctl-serve(1)
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
ExecStart={exe} serve -c {config}
# SIGHUP reloads certificates without dropping connections.
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
{user}
# Hardening: the registry needs the network, read access to its config, users and certificates,
# and write access to its storage only.
NoNewPrivileges=yes
{capabilities}ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={writable}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
UMask=0027
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
",
        unit_name = SYSTEMD_UNIT_FILE,
    ))
}

/// A path as one word of a unit file: quoted when needed, with systemd's specifiers (`%`) and
/// variable expansion (`$`) escaped.
fn unit_word(path: &Path) -> Result<String, InitError> {
    let text = path.to_str().ok_or_else(|| InitError::UnitPath {
        path: path.to_owned(),
        reason: "it is not valid UTF-8",
    })?;
    if text.chars().any(char::is_control) {
        return Err(InitError::UnitPath {
            path: path.to_owned(),
            reason: "it contains a control character",
        });
    }
    let escaped = text
        .replace('%', "%%")
        .replace('$', "$$")
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    if escaped.contains([' ', '\'', '"', '\\', ';']) {
        Ok(format!("\"{escaped}\""))
    } else {
        Ok(escaped)
    }
}

/// A command the operator runs next, with a sentence saying what it is for.
#[derive(Debug, Clone, Serialize)]
pub struct NextStep {
    pub what: String,
    pub commands: Vec<String>,
}

/// What to run after init: start the server, set up clients, log in, install the service.
#[must_use]
pub fn next_steps(outcome: &InitOutcome) -> Vec<NextStep> {
    let config = shell_word(&outcome.config.display().to_string());
    let mut steps = vec![NextStep {
        what: "Start the registry:".to_owned(),
        commands: vec![format!("regctl serve -c {config}")],
    }];
    if outcome.tls == "acme" {
        steps[0].what = "Start the registry (it obtains the Let's Encrypt certificate at start, so port 443 of every host must be reachable from the internet):".to_owned();
    }
    let registry = &outcome.registry;
    match (outcome.tls, &outcome.ca_certificate) {
        ("self-signed", Some(ca)) => steps.push(NextStep {
            what: format!(
                "On each client machine, with {} copied there, make docker (and with --podman, podman and skopeo) trust the CA:",
                ca.display()
            ),
            commands: vec![format!(
                "sudo regctl client-setup {registry} --ca-file {}",
                shell_word(&ca.display().to_string())
            )],
        }),
        ("none", _) => steps.push(NextStep {
            what: "On each client machine, allow plain HTTP for this registry (docker's insecure-registries):".to_owned(),
            commands: vec![format!("sudo regctl client-setup {registry}")],
        }),
        ("files", _) => steps.push(NextStep {
            what: "Clients need no set-up when the certificate comes from a public CA; for a private CA, on each client:".to_owned(),
            commands: vec![format!("sudo regctl client-setup {registry} --ca-file CA.crt")],
        }),
        _ => {}
    }
    let login_target = registry
        .strip_suffix(&format!(":{ACME_PORT}"))
        .filter(|_| outcome.tls != "none")
        .unwrap_or(registry);
    let mut login = Vec::new();
    if let Some(user) = &outcome.user {
        login.push(format!(
            "docker login {login_target} -u {}",
            shell_word(user)
        ));
        let skopeo_tls = match (outcome.tls, &outcome.ca_certificate) {
            ("none", _) => " --tls-verify=false".to_owned(),
            (_, Some(ca)) => format!(
                " --cert-dir {}",
                shell_word(&ca.parent().unwrap_or(Path::new(".")).display().to_string())
            ),
            _ => String::new(),
        };
        login.push(format!(
            "skopeo login{skopeo_tls} {login_target} -u {}",
            shell_word(user)
        ));
    }
    login.push(format!(
        "docker tag alpine {login_target}/alpine && docker push {login_target}/alpine"
    ));
    steps.push(NextStep {
        what: if outcome.user.is_some() {
            "Log in and push:".to_owned()
        } else {
            "Push:".to_owned()
        },
        commands: login,
    });
    if let Some(unit) = &outcome.systemd_unit {
        steps.push(NextStep {
            what: "Run it as a service instead:".to_owned(),
            commands: vec![
                format!(
                    "sudo cp {} /etc/systemd/system/",
                    shell_word(&unit.display().to_string())
                ),
                "sudo systemctl daemon-reload && sudo systemctl enable --now regctl".to_owned(),
            ],
        });
    }
    steps
}

/// `text` quoted for a POSIX shell when it holds anything but safe characters.
fn shell_word(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:@+=,".contains(&b));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &Path) -> InitOptions {
        InitOptions {
            dir: dir.to_owned(),
            addr: ListenAddr::loopback(5000),
            hosts: vec![SubjectName::parse("127.0.0.1").unwrap()],
            tls: TlsMode::SelfSigned,
            user: Some(InitUser {
                name: "abc".to_owned(),
                password: b"secret".to_vec(),
            }),
            delete: false,
            storage: None,
            systemd_exe: None,
            force: false,
        }
    }

    /// Every path under `dir` with its bytes (directories as None), for before/after comparisons.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        let mut out = Vec::new();
        if !dir.exists() {
            return out;
        }
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        collect(dir, Path::new(""), &mut files, &mut dirs).unwrap();
        out.extend(dirs.into_iter().map(|d| (d, None)));
        out.extend(
            files
                .into_iter()
                .map(|f| (f.clone(), Some(std::fs::read(dir.join(&f)).unwrap()))),
        );
        out.sort();
        out
    }

    #[test]
    fn listen_addr_forms() {
        assert_eq!(
            "0.0.0.0:5000".parse::<ListenAddr>().unwrap(),
            ListenAddr::all(5000)
        );
        assert_eq!(":5000".parse::<ListenAddr>().unwrap().to_string(), ":5000");
        assert_eq!(
            "[::1]:443".parse::<ListenAddr>().unwrap().to_string(),
            "[::1]:443"
        );
        assert!("[::1]:443".parse::<ListenAddr>().unwrap().is_loopback());
        for bad in [
            "",
            "5000",
            "127.0.0.1",
            "127.0.0.1:0",
            "127.0.0.1:65536",
            "127.0.0.1:http",
            "::1:5000",
            "registry.example.com:5000",
        ] {
            let err = bad.parse::<ListenAddr>().unwrap_err().to_string();
            assert!(err.contains("expected IP:PORT"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn hosts_must_work_for_docker_and_certificates() {
        assert_eq!(
            parse_host("Registry.Example.com").unwrap().to_string(),
            "registry.example.com"
        );
        assert!(parse_host("[fd00::1]").is_ok());
        for bad in [
            "",
            "a b",
            "host:5000",
            "https://x",
            "*.example.com",
            "under_score",
        ] {
            assert!(parse_host(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn default_addr_follows_hosts_and_tls() {
        let lo = [SubjectName::parse("127.0.0.1").unwrap()];
        let lan = [SubjectName::parse("192.168.0.106").unwrap()];
        assert_eq!(
            default_addr(&lo, &TlsMode::None),
            ListenAddr::loopback(5000)
        );
        assert_eq!(default_addr(&lan, &TlsMode::None), ListenAddr::all(5000));
        assert_eq!(
            default_addr(
                &lan,
                &TlsMode::Acme {
                    email: "a@b".into()
                }
            )
            .port,
            443
        );
    }

    #[test]
    fn writes_a_complete_home_and_refuses_a_second_time() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/registry");
        let now = OffsetDateTime::now_utc();
        let out = init(&options(&dir), now).unwrap();
        assert!(dir.join("config.yml").is_file());
        assert!(dir.join("certs/ca.crt").is_file());
        assert!(dir.join("certs/server.key").is_file());
        assert!(dir.join("data").is_dir());
        assert!(htpasswd::Htpasswd::load(&dir.join("auth/htpasswd"))
            .unwrap()
            .verify("abc", b"secret"));
        assert_eq!(out.registry, "127.0.0.1:5000");
        assert_eq!(out.url, "https://127.0.0.1:5000");
        let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("registry")]);

        let before = snapshot(&dir);
        let err = init(&options(&dir), now).unwrap_err();
        assert!(matches!(err, InitError::ConfigExists { .. }), "{err}");
        assert_eq!(snapshot(&dir), before);
    }

    #[test]
    fn force_keeps_ca_users_data_and_a_backup_of_the_config() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("registry");
        let now = OffsetDateTime::now_utc();
        init(&options(&dir), now).unwrap();
        let ca = std::fs::read(dir.join("certs/ca.crt")).unwrap();
        let old_config = std::fs::read(dir.join("config.yml")).unwrap();
        std::fs::write(dir.join("data/blob"), b"data").unwrap();
        htpasswd::edit(&dir.join("auth/htpasswd"), |f| {
            f.add("other", b"pw", htpasswd::BCRYPT_COSTS.start().to_owned())
        })
        .unwrap();

        let mut again = options(&dir);
        again.force = true;
        again.delete = true;
        again.user.as_mut().unwrap().password = b"new".to_vec();
        let out = init(&again, now).unwrap();
        assert!(out.ca_reused);
        assert!(out.user_password_reset);
        assert_eq!(std::fs::read(dir.join("certs/ca.crt")).unwrap(), ca);
        assert_eq!(std::fs::read(dir.join("data/blob")).unwrap(), b"data");
        let users = htpasswd::Htpasswd::load(&dir.join("auth/htpasswd")).unwrap();
        assert!(users.verify("abc", b"new") && users.verify("other", b"pw"));
        let backup = out.config_backup.unwrap();
        assert_eq!(std::fs::read(backup).unwrap(), old_config);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(".regctl")),
            "no staging or set-aside files left: {names:?}"
        );
    }

    #[test]
    fn a_failure_while_moving_in_leaves_the_directory_as_it_was() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("registry");
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("data/blob"), b"data").unwrap();
        // regctl.service is moved in after auth/ and certs/, and a directory is in its way.
        std::fs::create_dir_all(dir.join("regctl.service")).unwrap();
        let before = snapshot(&dir);
        let mut opts = options(&dir);
        opts.systemd_exe = Some(PathBuf::from("/usr/bin/regctl"));
        let err = init(&opts, OffsetDateTime::now_utc()).unwrap_err();
        assert!(err.to_string().contains("regctl.service"), "{err}");
        assert_eq!(snapshot(&dir), before);
    }

    #[test]
    fn storage_elsewhere_is_created_even_inside_a_new_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("registry");
        let mut opts = options(&dir);
        opts.storage = Some(dir.join("images/v2"));
        let out = init(&opts, OffsetDateTime::now_utc()).unwrap();
        assert!(out.storage_created);
        assert!(dir.join("images/v2").is_dir());
        assert!(!dir.join("data").exists());
        let config = std::fs::read_to_string(dir.join("config.yml")).unwrap();
        assert!(
            config.contains(&format!(
                "rootdirectory: {}",
                dir.join("images/v2").display()
            )),
            "{config}"
        );
    }

    #[test]
    fn an_existing_user_needs_force() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("registry");
        htpasswd::edit(&dir.join("auth/htpasswd"), |f| f.add("abc", b"old", 4)).unwrap();
        let before = snapshot(&dir);
        let err = init(&options(&dir), OffsetDateTime::now_utc()).unwrap_err();
        assert!(err.to_string().contains("user abc already exists"), "{err}");
        assert_eq!(snapshot(&dir), before);
    }

    #[test]
    fn half_a_ca_is_reported_at_its_real_place() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("registry");
        std::fs::create_dir_all(dir.join("certs")).unwrap();
        std::fs::write(dir.join("certs/ca.crt"), b"x").unwrap();
        let err = init(&options(&dir), OffsetDateTime::now_utc()).unwrap_err();
        let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
        assert!(
            text.contains(&dir.join("certs").display().to_string()),
            "{text}"
        );
        assert!(!text.contains(".regctl-init"), "{text}");
    }

    #[test]
    fn unit_words_are_escaped() {
        assert_eq!(
            unit_word(Path::new("/usr/bin/regctl")).unwrap(),
            "/usr/bin/regctl"
        );
        assert_eq!(
            unit_word(Path::new("/srv/my reg/100%$x")).unwrap(),
            "\"/srv/my reg/100%%$$x\""
        );
        assert!(unit_word(Path::new("/a\nb")).is_err());
    }

    #[test]
    fn warns_about_exposure() {
        let tmp = tempfile::tempdir().unwrap();
        let mut opts = options(tmp.path());
        opts.addr = ListenAddr::all(5000);
        opts.user = None;
        let warnings = check_options(&opts, OffsetDateTime::now_utc()).unwrap();
        assert!(
            warnings.iter().any(|w| w.contains("NO AUTHENTICATION")),
            "{warnings:?}"
        );
        opts.addr = ListenAddr::loopback(5000);
        opts.hosts = vec![SubjectName::parse("192.168.0.106").unwrap()];
        let warnings = check_options(&opts, OffsetDateTime::now_utc()).unwrap();
        assert!(
            warnings.iter().any(|w| w.contains("cannot reach")),
            "{warnings:?}"
        );
    }
}
