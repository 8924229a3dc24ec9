//! `regctl client-setup`: configure this machine's docker (and optionally containerd and podman) to
//! use a registry, replacing the hand edit of `/etc/docker/daemon.json` and the manual copy of a CA.
//!
//! The work happens in two steps so that `--dry-run` and the real run cannot disagree: [`plan`]
//! reads every file involved and computes the complete list of [`FileChange`]s (refusing, before
//! anything is written, whatever it cannot edit safely), then [`apply`] writes exactly that list.
//!
//! Ownership: every file regctl creates starts with [`OWNER_MARKER`]; `--remove` deletes only
//! files that carry it and never replaces a file that lacks it. daemon.json is shared with the
//! user, so there regctl only adds or removes its one `insecure-registries` entry.

mod address;
pub mod ca;
pub mod containerd;
pub mod daemon_json;
pub mod podman;
pub mod probe;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

pub use address::{AddressError, MirrorUrl, MirrorUrlError, RegistryAddr, RegistryHost};
use ca::CaCertificate;
use daemon_json::DaemonJsonError;

/// First line of every file regctl writes here (a comment in TOML, explanatory text before the PEM
/// blocks of a CA file): how `--remove` tells its own files from the user's.
pub const OWNER_MARKER: &str = "# Written by regctl client-setup";
/// dockerd's config file.
pub const DOCKER_DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// docker's per-registry CA directories (`certs.d/HOST:PORT/ca.crt`).
pub const DOCKER_CERTS_D: &str = "/etc/docker/certs.d";

const FILE_MODE: u32 = 0o644;

/// Why client set-up cannot go ahead; every variant raised while planning means nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not UTF-8 text, so regctl will not edit it (nothing was written)")]
    NotText { path: PathBuf },
    #[error("cannot edit {path}: fix it by hand first (nothing was written)")]
    DaemonJson {
        path: PathBuf,
        #[source]
        source: DaemonJsonError,
    },
    #[error("{path} cannot be used as the registry's CA certificate")]
    InvalidCa {
        path: PathBuf,
        #[source]
        source: ca::CaError,
    },
    #[error("{path} already exists and was not written by regctl; move it away or merge it by hand (nothing was written)")]
    ForeignFile { path: PathBuf },
    #[error(
        "nothing to configure: docker is skipped and neither --containerd nor --podman was given"
    )]
    NoTarget,
    #[error("nothing to configure: name a registry (HOST:PORT) or a --mirror URL")]
    NothingNamed,
    #[error("{path} changed after regctl read it; run the command again")]
    ChangedMeanwhile { path: PathBuf },
    #[error("cannot back up {path} to {backup}")]
    Backup {
        path: PathBuf,
        backup: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot remove {path}")]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{command}` failed: {detail}")]
    Restart { command: String, detail: String },
}

/// Install (plain HTTP, or TLS when a CA file is given) or undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Install { ca_file: Option<PathBuf> },
    Remove,
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The registry clients push to and pull from by name; `None` when only mirrors are set up.
    pub registry: Option<RegistryAddr>,
    /// Docker Hub mirrors (`--mirror`), in the order clients should try them.
    pub mirrors: Vec<MirrorUrl>,
    pub operation: Operation,
    /// Configure docker (daemon.json or certs.d); off for hosts with only containerd or podman.
    pub docker: bool,
    pub containerd: bool,
    pub podman: bool,
    /// Every system path is taken relative to this directory (`/` for the running system).
    pub root: PathBuf,
}

/// How clients will talk to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    PlainHttp,
    Tls,
}

/// What a [`FileChange`] does to its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

/// One file to write or delete, with the content it had when planned.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    /// The path on disk (under `--root`).
    pub path: PathBuf,
    /// The path on the configured system, as docker/containerd/podman will see it.
    pub target: String,
    pub kind: ChangeKind,
    /// The content read while planning; `None` when the file did not exist.
    #[serde(skip)]
    pub old: Option<String>,
    /// The content to write; `None` deletes the file.
    #[serde(skip)]
    pub new: Option<String>,
    /// Permissions of a created file (a replaced file keeps its own).
    pub mode: u32,
    /// Keep a timestamped copy of the old content next to the file before replacing it.
    pub backup: bool,
}

impl FileChange {
    /// A unified diff from the planned old content to the new (`/dev/null` for a missing side).
    #[must_use]
    pub fn unified_diff(&self) -> String {
        let old = self.old.as_deref().unwrap_or_default();
        let new = self.new.as_deref().unwrap_or_default();
        let shown = self.path.display().to_string();
        let old_name = if self.old.is_some() {
            shown.as_str()
        } else {
            "/dev/null"
        };
        let new_name = if self.new.is_some() {
            shown.as_str()
        } else {
            "/dev/null"
        };
        similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header(old_name, new_name)
            .to_string()
    }
}

/// Everything [`apply`] will do, computed without writing anything.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The registry's `HOST:PORT`, or the mirrors' URLs when no registry was named.
    pub registry: String,
    /// The Docker Hub mirrors set up or removed.
    pub mirrors: Vec<String>,
    pub operation: &'static str,
    /// `None` for `--remove`.
    pub transport: Option<Transport>,
    pub changes: Vec<FileChange>,
    /// Files that already are as wanted.
    pub unchanged: Vec<PathBuf>,
    /// Per-registry directories to delete once they are empty (only with `--remove`).
    pub remove_dirs_if_empty: Vec<PathBuf>,
    /// systemd units that must restart to read the new configuration.
    pub restart: Vec<String>,
    /// Steps and warnings for the user that regctl does not carry out itself.
    pub notes: Vec<String>,
    /// The certificates in `--ca-file`.
    pub ca_certificates: Vec<CaCertificate>,
}

impl Plan {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// What [`apply`] did to one file.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub path: PathBuf,
    pub kind: ChangeKind,
    pub backup: Option<PathBuf>,
}

/// Reads every file involved and computes the changes for `request`.
///
/// # Errors
/// An unreadable file, a daemon.json that is not a JSON object with an `insecure-registries` array
/// of strings, an invalid CA file, a file in regctl's place that regctl did not write, or no tool
/// selected. Nothing has been written when this fails.
pub fn plan(request: &Request) -> Result<Plan, ClientSetupError> {
    let mut planner = Planner::new(request);
    let install = match &request.operation {
        Operation::Install { ca_file } => {
            planner.install(ca_file.as_deref())?;
            true
        }
        Operation::Remove => {
            planner.remove()?;
            false
        }
    };
    Ok(planner.finish(install))
}

/// Carries out `plan`: backups first, then every write (temp file + fsync + rename), then every
/// deletion, then the emptied directories.
///
/// # Errors
/// A file that changed since it was planned (checked before each write), or an I/O failure. Files
/// handled before the failure stay changed; each one is either old or new, never torn.
pub fn apply(plan: &Plan) -> Result<Vec<Applied>, ClientSetupError> {
    let mut applied = Vec::with_capacity(plan.changes.len());
    for change in &plan.changes {
        let current = read_text(&change.path)?;
        if current != change.old {
            return Err(ClientSetupError::ChangedMeanwhile {
                path: change.path.clone(),
            });
        }
        let backup = match (&change.old, change.backup) {
            (Some(old), true) => Some(write_backup(&change.path, old)?),
            _ => None,
        };
        match &change.new {
            Some(new) => {
                let mode = change.old.is_none().then_some(change.mode);
                crate::fsutil::atomic_write(&change.path, new.as_bytes(), mode).map_err(
                    |source| ClientSetupError::Write {
                        path: change.path.clone(),
                        source,
                    },
                )?;
            }
            None => delete_file(&change.path)?,
        }
        applied.push(Applied {
            path: change.path.clone(),
            kind: change.kind,
            backup,
        });
    }
    for dir in &plan.remove_dirs_if_empty {
        remove_dir_if_empty(dir)?;
    }
    Ok(applied)
}

/// Runs `systemctl restart UNIT` (`systemctl` is the program to run, so tests can substitute it).
///
/// # Errors
/// When the program cannot be started or exits unsuccessfully; the detail carries its stderr.
pub fn restart_unit(systemctl: &str, unit: &str) -> Result<(), ClientSetupError> {
    let command = format!("{systemctl} restart {unit}");
    let output = Command::new(systemctl)
        .args(["restart", unit])
        .output()
        .map_err(|err| ClientSetupError::Restart {
            command: command.clone(),
            detail: format!("cannot run {systemctl}: {err}"),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Err(ClientSetupError::Restart {
        command,
        detail: if stderr.is_empty() {
            format!("exited with {}", output.status)
        } else {
            format!("exited with {}: {stderr}", output.status)
        },
    })
}

struct Planner<'a> {
    request: &'a Request,
    plan: Plan,
    /// daemon.json as read (`None`: absent) and as edited so far; every edit of this run goes
    /// into one change, so apply's "still as read" check holds.
    daemon_json: Option<DaemonJsonDraft>,
}

/// daemon.json as read while planning and as this run's edits leave it.
struct DaemonJsonDraft {
    old: Option<String>,
    new: Option<String>,
    /// An edit was asked for (so an unchanged file is reported as already as wanted).
    edited: bool,
}

impl<'a> Planner<'a> {
    fn new(request: &'a Request) -> Self {
        let registry = match &request.registry {
            Some(addr) => addr.to_string(),
            None => request
                .mirrors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        Self {
            request,
            plan: Plan {
                registry,
                mirrors: request.mirrors.iter().map(ToString::to_string).collect(),
                operation: match request.operation {
                    Operation::Install { .. } => "install",
                    Operation::Remove => "remove",
                },
                transport: None,
                changes: Vec::new(),
                unchanged: Vec::new(),
                remove_dirs_if_empty: Vec::new(),
                restart: Vec::new(),
                notes: Vec::new(),
                ca_certificates: Vec::new(),
            },
            daemon_json: None,
        }
    }

    fn on_disk(&self, target: &str) -> PathBuf {
        self.request.root.join(target.trim_start_matches('/'))
    }

    /// daemon.json's text as this run has edited it so far.
    fn daemon_json_text(&mut self) -> Result<Option<String>, ClientSetupError> {
        if self.daemon_json.is_none() {
            let current = read_text(&self.on_disk(DOCKER_DAEMON_JSON))?;
            self.daemon_json = Some(DaemonJsonDraft {
                old: current.clone(),
                new: current,
                edited: false,
            });
        }
        Ok(self
            .daemon_json
            .as_ref()
            .and_then(|draft| draft.new.clone()))
    }

    /// Applies one list edit to daemon.json (in memory, until [`Planner::finish`]).
    fn edit_daemon_json(
        &mut self,
        edit: impl FnOnce(Option<&str>) -> Result<Option<String>, DaemonJsonError>,
    ) -> Result<bool, ClientSetupError> {
        let text = self.daemon_json_text()?;
        let edited = edit(text.as_deref()).map_err(|source| ClientSetupError::DaemonJson {
            path: self.on_disk(DOCKER_DAEMON_JSON),
            source,
        })?;
        let changed = edited.is_some();
        if let Some(draft) = self.daemon_json.as_mut() {
            draft.edited = true;
            if let Some(new) = edited {
                draft.new = Some(new);
            }
        }
        Ok(changed)
    }

    /// Turns the daemon.json edits into one change (first in the plan: it is the file users
    /// look at) and asks for docker's restart.
    fn finish(mut self, install: bool) -> Plan {
        if let Some(draft) = self.daemon_json.take().filter(|d| d.edited) {
            let path = self.on_disk(DOCKER_DAEMON_JSON);
            if draft.old == draft.new {
                if install {
                    self.plan.unchanged.insert(0, path);
                }
            } else {
                let at = self.plan.changes.len();
                self.push_change(path, DOCKER_DAEMON_JSON, draft.old, draft.new);
                let change = self.plan.changes.remove(at);
                self.plan.changes.insert(0, change);
                self.plan.restart.push("docker".to_owned());
            }
        }
        self.plan
    }

    fn install(&mut self, ca_file: Option<&Path>) -> Result<(), ClientSetupError> {
        let request = self.request;
        if !request.docker && !request.containerd && !request.podman {
            return Err(ClientSetupError::NoTarget);
        }
        if request.registry.is_none() && request.mirrors.is_empty() {
            return Err(ClientSetupError::NothingNamed);
        }
        let ca_pem = ca_file.map(|path| self.load_ca(path)).transpose()?;
        if let Some(registry) = &request.registry {
            self.plan.transport = Some(if ca_pem.is_some() {
                Transport::Tls
            } else {
                Transport::PlainHttp
            });
            self.install_registry(registry, ca_pem.as_deref())?;
        }
        if !request.mirrors.is_empty() {
            self.install_mirrors(ca_pem.as_deref())?;
        }
        Ok(())
    }

    fn install_registry(
        &mut self,
        registry: &RegistryAddr,
        ca_pem: Option<&[u8]>,
    ) -> Result<(), ClientSetupError> {
        let request = self.request;
        let addr = registry.to_string();
        let installed_ca = ca_pem.map(|pem| ca::installed_content(&addr, pem));
        let ca_target = |certs_d: &str| format!("{certs_d}/{addr}/ca.crt");

        if request.docker {
            match (&installed_ca, ca_pem) {
                (Some(content), Some(pem)) => {
                    if self.owned_file(&ca_target(DOCKER_CERTS_D), content, Some(pem))? {
                        self.plan.notes.push(
                            "docker reads certs.d on every connection: no restart needed"
                                .to_owned(),
                        );
                    }
                    let current = self.daemon_json_text()?;
                    if daemon_json::lists_insecure_registry(current.as_deref(), &addr) {
                        self.plan.notes.push(format!(
                            "{addr} is still listed in insecure-registries of {}; docker then accepts it without verifying TLS. Run `regctl client-setup --remove {addr}` first to drop it.",
                            self.on_disk(DOCKER_DAEMON_JSON).display()
                        ));
                    }
                }
                _ => {
                    self.edit_daemon_json(|text| daemon_json::add_insecure_registry(text, &addr))?;
                }
            }
        }

        if request.containerd {
            let ca_path = ca_target(containerd::CERTS_D);
            if let (Some(content), Some(pem)) = (&installed_ca, ca_pem) {
                self.owned_file(&ca_path, content, Some(pem))?;
            }
            let hosts =
                containerd::hosts_toml(registry, installed_ca.as_ref().map(|_| ca_path.as_str()));
            if self.owned_file(
                &format!("{}/{addr}/hosts.toml", containerd::CERTS_D),
                &hosts,
                None,
            )? {
                self.containerd_note()?;
            }
        }

        if request.podman {
            if let (Some(content), Some(pem)) = (&installed_ca, ca_pem) {
                self.owned_file(&ca_target(podman::CERTS_D), content, Some(pem))?;
            }
            let drop_in = podman::drop_in(registry, installed_ca.is_none());
            if self.owned_file(
                &format!("{}/{}", podman::DROP_IN_DIR, podman::drop_in_name(registry)),
                &drop_in,
                None,
            )? {
                self.podman_note();
            }
        }
        Ok(())
    }

    /// Mirrors: daemon.json's `registry-mirrors` for the Docker Hub mirrors without a path
    /// (merged, order kept), and per mirrored registry containerd's `certs.d/REGISTRY/hosts.toml`
    /// and podman's mirror drop-in (both list exactly this run's mirrors of that registry). An
    /// `https://` mirror gets `--ca-file` installed as its CA; a plain-HTTP mirror's `HOST:PORT`
    /// also goes into docker's insecure-registries (see the note).
    fn install_mirrors(&mut self, ca_pem: Option<&[u8]>) -> Result<(), ClientSetupError> {
        let request = self.request;
        let mirrors = &request.mirrors;
        let ca_target =
            |certs_d: &str, mirror: &MirrorUrl| format!("{certs_d}/{}/ca.crt", mirror.addr);
        for mirror in mirrors.iter().filter(|m| m.tls) {
            let Some(pem) = ca_pem else { break };
            if request.registry.as_ref() == Some(&mirror.addr) {
                continue; // install_registry put its CA in place already.
            }
            let content = ca::installed_content(&mirror.addr.to_string(), pem);
            let mut certs_ds = Vec::new();
            if request.docker {
                certs_ds.push(DOCKER_CERTS_D);
            }
            if request.containerd {
                certs_ds.push(containerd::CERTS_D);
            }
            if request.podman {
                certs_ds.push(podman::CERTS_D);
            }
            for certs_d in certs_ds {
                self.owned_file(&ca_target(certs_d, mirror), &content, Some(pem))?;
            }
        }

        if request.docker {
            for mirror in mirrors.iter().filter(|m| m.is_transparent()) {
                let entry = mirror.to_string();
                self.edit_daemon_json(|text| {
                    daemon_json::add_entry(text, daemon_json::REGISTRY_MIRRORS, &entry)
                })?;
            }
            for mirror in mirrors.iter().filter(|m| !m.is_transparent()) {
                self.plan.notes.push(format!(
                    "{mirror} is not given to docker: docker uses mirrors only for Docker Hub and only without a path; pull through it by name ({}/{}/IMAGE)",
                    mirror.addr,
                    mirror.mirrored_registry()
                ));
            }
            let mut insecure: Vec<String> = Vec::new();
            for mirror in mirrors.iter().filter(|m| !m.tls) {
                let addr = mirror.addr.to_string();
                if !insecure.contains(&addr) {
                    insecure.push(addr);
                }
            }
            for addr in insecure {
                self.edit_daemon_json(|text| daemon_json::add_insecure_registry(text, &addr))?;
                self.plan.notes.push(format!(
                    "{addr} was added to insecure-registries too: docker pulls Docker Hub images through an http:// mirror without it, but pushing to or pulling from {addr}/REPOSITORY (the mirror's own repositories) needs it"
                ));
            }
            if mirrors.iter().any(MirrorUrl::is_transparent) {
                self.plan.notes.push(
                    "docker uses registry-mirrors only for Docker Hub images (`docker pull nginx`, `docker pull docker.io/library/nginx`) and falls back to Docker Hub when no mirror answers".to_owned(),
                );
            }
        }

        for (registry, group) in by_registry(mirrors) {
            if request.containerd {
                let hosts = containerd::mirror_hosts_toml(registry, &group, |mirror| {
                    ca_pem.map(|_| ca_target(containerd::CERTS_D, mirror))
                });
                if self.owned_file(
                    &format!("{}/{registry}/hosts.toml", containerd::CERTS_D),
                    &hosts,
                    None,
                )? {
                    self.containerd_note()?;
                }
            }
            if request.podman {
                let drop_in = podman::mirror_drop_in(registry, &group);
                if self.owned_file(
                    &format!(
                        "{}/{}",
                        podman::DROP_IN_DIR,
                        podman::mirror_drop_in_name(registry)
                    ),
                    &drop_in,
                    None,
                )? {
                    self.podman_note();
                }
            }
        }
        Ok(())
    }

    fn podman_note(&mut self) {
        let note =
            "podman, buildah and skopeo read registries.conf.d on every run: no restart needed";
        if !self.plan.notes.iter().any(|n| n == note) {
            self.plan.notes.push(note.to_owned());
        }
    }

    fn remove(&mut self) -> Result<(), ClientSetupError> {
        let request = self.request;
        if request.registry.is_none() && request.mirrors.is_empty() {
            return Err(ClientSetupError::NothingNamed);
        }
        if let Some(registry) = &request.registry {
            self.remove_registry(registry)?;
        }
        if !request.mirrors.is_empty() {
            self.remove_mirrors()?;
        }
        Ok(())
    }

    fn remove_registry(&mut self, registry: &RegistryAddr) -> Result<(), ClientSetupError> {
        let addr = registry.to_string();
        // containerd's and podman's files go whatever flags are given (regctl only ever deletes
        // files carrying its marker); docker's are left alone with --no-docker.
        let mut certs_ds = vec![containerd::CERTS_D, podman::CERTS_D];
        if self.request.docker {
            certs_ds.insert(0, DOCKER_CERTS_D);
            self.edit_daemon_json(|text| daemon_json::remove_insecure_registry(text, &addr))?;
        }
        for certs_d in &certs_ds {
            self.remove_owned(&format!("{certs_d}/{addr}/ca.crt"))?;
        }
        self.remove_owned(&format!("{}/{addr}/hosts.toml", containerd::CERTS_D))?;
        self.remove_owned(&format!(
            "{}/{}",
            podman::DROP_IN_DIR,
            podman::drop_in_name(registry)
        ))?;
        for certs_d in certs_ds {
            let dir = self.on_disk(&format!("{certs_d}/{addr}"));
            if dir.is_dir() && !self.plan.remove_dirs_if_empty.contains(&dir) {
                self.plan.remove_dirs_if_empty.push(dir);
            }
        }
        Ok(())
    }

    /// Undoes [`Planner::install_mirrors`]: each mirror leaves registry-mirrors (a plain-HTTP
    /// one's HOST:PORT leaves insecure-registries too, as a registry's removal does), an
    /// `https://` mirror's CA files go, and the docker.io mirror files regctl wrote are deleted.
    fn remove_mirrors(&mut self) -> Result<(), ClientSetupError> {
        let request = self.request;
        if request.docker {
            for mirror in request.mirrors.iter().filter(|m| m.is_transparent()) {
                let entry = mirror.to_string();
                self.edit_daemon_json(|text| {
                    daemon_json::remove_entry(text, daemon_json::REGISTRY_MIRRORS, &entry)
                })?;
            }
            for mirror in request.mirrors.iter().filter(|m| !m.tls) {
                if request.registry.as_ref() != Some(&mirror.addr) {
                    let addr = mirror.addr.to_string();
                    self.edit_daemon_json(|text| {
                        daemon_json::remove_insecure_registry(text, &addr)
                    })?;
                }
            }
        }
        for mirror in request.mirrors.iter().filter(|m| m.tls) {
            if request.registry.as_ref() == Some(&mirror.addr) {
                continue;
            }
            let mut certs_ds = vec![containerd::CERTS_D, podman::CERTS_D];
            if request.docker {
                certs_ds.insert(0, DOCKER_CERTS_D);
            }
            for certs_d in certs_ds {
                let target = format!("{certs_d}/{}/ca.crt", mirror.addr);
                self.remove_owned(&target)?;
                let dir = self.on_disk(&format!("{certs_d}/{}", mirror.addr));
                if dir.is_dir() && !self.plan.remove_dirs_if_empty.contains(&dir) {
                    self.plan.remove_dirs_if_empty.push(dir);
                }
            }
        }
        for (registry, _) in by_registry(&request.mirrors) {
            self.remove_owned(&format!("{}/{registry}/hosts.toml", containerd::CERTS_D))?;
            let dir = self.on_disk(&format!("{}/{registry}", containerd::CERTS_D));
            if dir.is_dir() && !self.plan.remove_dirs_if_empty.contains(&dir) {
                self.plan.remove_dirs_if_empty.push(dir);
            }
            self.remove_owned(&format!(
                "{}/{}",
                podman::DROP_IN_DIR,
                podman::mirror_drop_in_name(registry)
            ))?;
        }
        Ok(())
    }

    fn load_ca(&mut self, path: &Path) -> Result<Vec<u8>, ClientSetupError> {
        let pem = fs::read(path).map_err(|source| ClientSetupError::Read {
            path: path.to_owned(),
            source,
        })?;
        let certs = ca::inspect(&pem).map_err(|source| ClientSetupError::InvalidCa {
            path: path.to_owned(),
            source,
        })?;
        for cert in &certs {
            if !cert.is_ca {
                self.plan.notes.push(format!(
                    "the certificate `{}` in {} is not a CA certificate; clients trust it only as the registry's own self-signed certificate",
                    cert.subject,
                    path.display()
                ));
            }
            if cert.expired {
                self.plan.notes.push(format!(
                    "the certificate `{}` in {} expired on {}",
                    cert.subject,
                    path.display(),
                    cert.not_after
                ));
            }
        }
        self.plan.ca_certificates = certs;
        Ok(pem)
    }

    /// Plans a file only regctl writes: created when absent, replaced when regctl wrote it, left
    /// alone when already right (or, for a CA, when the user installed the same certificates).
    /// Returns whether the file will change.
    fn owned_file(
        &mut self,
        target: &str,
        content: &str,
        same_ca: Option<&[u8]>,
    ) -> Result<bool, ClientSetupError> {
        let path = self.on_disk(target);
        let current = read_text(&path)?;
        match current.as_deref() {
            Some(existing) if existing == content => {
                self.plan.unchanged.push(path);
                Ok(false)
            }
            Some(existing)
                if !existing.starts_with(OWNER_MARKER)
                    && same_ca
                        .is_some_and(|pem| ca::same_certificates(existing.as_bytes(), pem)) =>
            {
                self.plan.unchanged.push(path);
                Ok(false)
            }
            Some(existing) if !existing.starts_with(OWNER_MARKER) => {
                Err(ClientSetupError::ForeignFile { path })
            }
            _ => {
                self.push_change(path, target, current, Some(content.to_owned()));
                Ok(true)
            }
        }
    }

    fn remove_owned(&mut self, target: &str) -> Result<(), ClientSetupError> {
        let path = self.on_disk(target);
        match read_text(&path) {
            Ok(Some(existing)) if existing.starts_with(OWNER_MARKER) => {
                self.push_change(path, target, Some(existing), None);
            }
            Ok(Some(_)) | Err(ClientSetupError::NotText { .. }) => self.plan.notes.push(format!(
                "{} was left in place: regctl did not write it",
                path.display()
            )),
            Ok(None) => {}
            Err(err) => return Err(err),
        }
        Ok(())
    }

    fn push_change(
        &mut self,
        path: PathBuf,
        target: &str,
        old: Option<String>,
        new: Option<String>,
    ) {
        let kind = match (&old, &new) {
            (None, _) => ChangeKind::Create,
            (Some(_), Some(_)) => ChangeKind::Update,
            (Some(_), None) => ChangeKind::Delete,
        };
        // daemon.json is the user's file: keep what it was before regctl touched it.
        let backup = target == DOCKER_DAEMON_JSON && old.is_some();
        self.plan.changes.push(FileChange {
            path,
            target: target.to_owned(),
            kind,
            old,
            new,
            mode: FILE_MODE,
            backup,
        });
    }

    fn containerd_note(&mut self) -> Result<(), ClientSetupError> {
        let config = self.on_disk(containerd::CONFIG_TOML);
        let text = read_text(&config)?;
        if text
            .as_deref()
            .is_some_and(containerd::config_path_includes_certs_d)
        {
            self.plan.notes.push(
                "containerd reads hosts.toml on every pull (config_path is set): no restart needed"
                    .to_owned(),
            );
        } else {
            self.plan.notes.push(format!(
                "containerd reads {certs_d} only when its CRI registry config_path names it: in {config} set `config_path = \"{certs_d}\"` under [plugins.\"io.containerd.cri.v1.images\".registry] (containerd 2.x) or [plugins.\"io.containerd.grpc.v1.cri\".registry] (1.x), then run `sudo systemctl restart containerd`; `ctr` needs `--hosts-dir {certs_d}`",
                certs_d = containerd::CERTS_D,
                config = containerd::CONFIG_TOML,
            ));
        }
        Ok(())
    }
}

/// `mirrors` grouped by the registry they stand in for, in order of first appearance, each
/// group in the order given.
fn by_registry(mirrors: &[MirrorUrl]) -> Vec<(&str, Vec<&MirrorUrl>)> {
    let mut groups: Vec<(&str, Vec<&MirrorUrl>)> = Vec::new();
    for mirror in mirrors {
        let registry = mirror.mirrored_registry();
        match groups.iter_mut().find(|(name, _)| *name == registry) {
            Some((_, group)) => group.push(mirror),
            None => groups.push((registry, vec![mirror])),
        }
    }
    groups
}

/// A file's text, `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>, ClientSetupError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| ClientSetupError::NotText {
                path: path.to_owned(),
            }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ClientSetupError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes `PATH.bak-YYYYMMDDTHHMMSSZ` (with `.N` appended if that name is taken: an existing
/// backup is never overwritten), with the original's permissions.
fn write_backup(path: &Path, old: &str) -> Result<PathBuf, ClientSetupError> {
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| "unknown-time".to_owned());
    let mode = file_mode(path);
    let base = format!("{}.bak-{stamp}", path.display());
    let mut attempt = 0u32;
    loop {
        let backup = PathBuf::from(if attempt == 0 {
            base.clone()
        } else {
            format!("{base}.{attempt}")
        });
        match crate::fsutil::create_new(&backup, old.as_bytes(), mode) {
            Ok(()) => return Ok(backup),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1;
            }
            Err(source) => {
                return Err(ClientSetupError::Backup {
                    path: path.to_owned(),
                    backup,
                    source,
                })
            }
        }
    }
}

#[cfg(unix)]
fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).map_or(FILE_MODE, |m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> u32 {
    FILE_MODE
}

fn delete_file(path: &Path) -> Result<(), ClientSetupError> {
    let removed = fs::remove_file(path).and_then(|()| match path.parent() {
        Some(dir) => crate::fsutil::fsync_dir(dir),
        None => Ok(()),
    });
    removed.map_err(|source| ClientSetupError::Remove {
        path: path.to_owned(),
        source,
    })
}

fn remove_dir_if_empty(dir: &Path) -> Result<(), ClientSetupError> {
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
            ) =>
        {
            Ok(())
        }
        Err(source) => Err(ClientSetupError::Remove {
            path: dir.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(root: &Path, operation: Operation) -> Request {
        Request {
            registry: Some("registry.lan:5000".parse().unwrap()),
            mirrors: Vec::new(),
            operation,
            docker: true,
            containerd: true,
            podman: true,
            root: root.to_owned(),
        }
    }

    #[test]
    fn plain_http_plan_then_apply_then_nothing_left_to_do() {
        let root = tempfile::tempdir().unwrap();
        let install = request(root.path(), Operation::Install { ca_file: None });
        let first = plan(&install).unwrap();
        let targets: Vec<&str> = first.changes.iter().map(|c| c.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                DOCKER_DAEMON_JSON,
                "/etc/containerd/certs.d/registry.lan:5000/hosts.toml",
                "/etc/containers/registries.conf.d/50-regctl-registry.lan_5000.conf",
            ]
        );
        assert!(first
            .changes
            .iter()
            .all(|c| c.kind == ChangeKind::Create && !c.backup));
        assert_eq!(first.restart, ["docker"]);
        apply(&first).unwrap();
        let second = plan(&install).unwrap();
        assert!(second.is_empty(), "{second:?}");
        assert!(second.restart.is_empty());
        assert_eq!(second.unchanged.len(), 3);
    }

    #[test]
    fn apply_refuses_a_file_changed_since_planning() {
        let root = tempfile::tempdir().unwrap();
        let mut install = request(root.path(), Operation::Install { ca_file: None });
        install.containerd = false;
        install.podman = false;
        let planned = plan(&install).unwrap();
        let daemon_json = root.path().join("etc/docker/daemon.json");
        fs::create_dir_all(daemon_json.parent().unwrap()).unwrap();
        fs::write(&daemon_json, "{}").unwrap();
        assert!(matches!(
            apply(&planned),
            Err(ClientSetupError::ChangedMeanwhile { .. })
        ));
        assert_eq!(fs::read_to_string(&daemon_json).unwrap(), "{}");
    }

    #[test]
    fn a_foreign_file_is_never_replaced_or_removed() {
        let root = tempfile::tempdir().unwrap();
        let hosts = root
            .path()
            .join("etc/containerd/certs.d/registry.lan:5000/hosts.toml");
        fs::create_dir_all(hosts.parent().unwrap()).unwrap();
        fs::write(&hosts, "server = \"https://mirror\"\n").unwrap();
        let err = plan(&request(root.path(), Operation::Install { ca_file: None })).unwrap_err();
        assert!(matches!(err, ClientSetupError::ForeignFile { .. }), "{err}");
        let removal = plan(&request(root.path(), Operation::Remove)).unwrap();
        assert!(removal.changes.is_empty());
        assert!(removal.notes.iter().any(|n| n.contains("left in place")));
    }

    #[test]
    fn remove_with_no_docker_leaves_docker_alone() {
        let root = tempfile::tempdir().unwrap();
        apply(&plan(&request(root.path(), Operation::Install { ca_file: None })).unwrap()).unwrap();
        let mut removal = request(root.path(), Operation::Remove);
        removal.docker = false;
        let planned = plan(&removal).unwrap();
        let targets: Vec<&str> = planned.changes.iter().map(|c| c.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "/etc/containerd/certs.d/registry.lan:5000/hosts.toml",
                "/etc/containers/registries.conf.d/50-regctl-registry.lan_5000.conf",
            ]
        );
        assert!(planned.changes.iter().all(|c| c.kind == ChangeKind::Delete));
        assert!(planned.restart.is_empty());
    }

    #[test]
    fn restart_failure_names_the_command_and_its_error() {
        let err = restart_unit("false", "docker").unwrap_err().to_string();
        assert!(
            err.starts_with("`false restart docker` failed: exited with"),
            "{err}"
        );
        let err = restart_unit("/nonexistent/systemctl", "docker")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot run /nonexistent/systemctl"), "{err}");
    }

    #[test]
    fn diff_of_a_new_file_starts_at_dev_null() {
        let change = FileChange {
            path: PathBuf::from("/etc/x"),
            target: "/etc/x".to_owned(),
            kind: ChangeKind::Create,
            old: None,
            new: Some("a\n".to_owned()),
            mode: FILE_MODE,
            backup: false,
        };
        assert_eq!(
            change.unified_diff(),
            "--- /dev/null\n+++ /etc/x\n@@ -0,0 +1 @@\n+a\n"
        );
    }
}
