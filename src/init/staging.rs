//! The all-or-nothing transaction: every file is produced in a staging directory on DIR's
//! filesystem, then moved in with `config.yml` last; [`Undo`] takes every step back on failure.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::hosts::registry_addr;
use super::systemd::{systemd_unit, UnitSpec};
use super::{
    check_options, check_target, io_err, InitError, InitOptions, InitOutcome, Layout, TlsMode,
    CA_CERT_DIR, CONFIG_FILE,
};
use crate::certs::selfsigned::{self, SelfSignedRequest};
use crate::certs::{CertError, SubjectName};
use crate::config::{self, GenerateOptions, LetsEncryptOptions};
use crate::htpasswd::{self, HtpasswdError, DEFAULT_BCRYPT_COST};

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
        ca_cert_dir: None,
        http_host: opts.public_url.clone(),
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
                    hosts: certificate_hosts(&opts.hosts),
                    leaf_days: selfsigned::DEFAULT_LEAF_DAYS,
                    replace_ca: false,
                },
                now,
            )
            .map_err(|err| existing_ca_error(err, &layout.certs()))?;
            outcome.ca_reused = issued.ca_reused;
            outcome.ca_certificate = Some(final_files.ca_cert());
            // skopeo and podman read a --cert-dir whole: give them one with the CA alone.
            let staged_ca_dir = staged.dir.join(CA_CERT_DIR);
            std::fs::create_dir(&staged_ca_dir).map_err(io_err("create", &staged_ca_dir))?;
            copy_if_present(&staged_files.ca_cert(), &staged_ca_dir.join("ca.crt"))?;
            outcome.ca_cert_dir = Some(layout.dir.join(CA_CERT_DIR));
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
        host: opts.public_url.clone(),
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

/// The names the self-signed certificate covers: the hosts, and loopback too, so that the
/// registry machine itself can use `127.0.0.1:PORT` or `localhost:PORT` (as the README does).
fn certificate_hosts(hosts: &[SubjectName]) -> Vec<SubjectName> {
    let mut names = hosts.to_vec();
    for extra in [
        SubjectName::Ip(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        SubjectName::Dns("localhost".to_owned()),
    ] {
        if !names.contains(&extra) {
            names.push(extra);
        }
    }
    names
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
pub(super) fn collect(
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
