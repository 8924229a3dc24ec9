//! `regctl client-setup HOST:PORT`: make this machine's docker (and optionally containerd and
//! podman) trust a registry, or undo it with `--remove`.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{GlobalArgs, Printer};
use crate::client_setup::probe::{self, Speaks};
use crate::client_setup::{
    self, ca::CaCertificate, Applied, ChangeKind, MirrorUrl, Operation, Plan, RegistryAddr,
    Request, Transport,
};

/// Configure docker (or containerd, podman) on this machine to use a registry
#[derive(Debug, Args)]
#[command(
    long_about = "Configure this machine as a client of a registry.\n\n\
Plain HTTP (the default): adds HOST:PORT to \"insecure-registries\" in /etc/docker/daemon.json, \
keeping every other setting, with a timestamped backup of the old file.\n\
TLS with a private CA (--ca-file): installs the CA as /etc/docker/certs.d/HOST:PORT/ca.crt.\n\
--containerd writes /etc/containerd/certs.d/HOST:PORT/hosts.toml; --podman writes a \
/etc/containers/registries.conf.d drop-in (and the CA under /etc/containers/certs.d).\n\n\
--mirror URL (repeatable, with or without HOST:PORT) makes the registry at URL a Docker Hub mirror: \
docker's \"registry-mirrors\" in daemon.json (merged, order kept), with --containerd \
/etc/containerd/certs.d/docker.io/hosts.toml and with --podman a docker.io mirror drop-in, both \
listing exactly the mirrors of this run. --mirror URL/REGISTRY (e.g. http://HOST:PORT/ghcr.io) \
mirrors REGISTRY through regctl's proxy.upstreams prefix REGISTRY/, for containerd and podman \
(docker mirrors only Docker Hub, without a path). An http:// mirror's HOST:PORT is also added to \
\"insecure-registries\", so its local repositories can be pushed to; an https:// mirror with a \
private CA takes --ca-file.\n\n\
It prints what to restart and restarts nothing unless --restart is given. --remove undoes \
everything it did for HOST:PORT and deletes only files it wrote.",
    after_help = "Examples:\n  regctl client-setup 192.168.0.106:5000 --dry-run\n  sudo regctl client-setup 192.168.0.106:5000 --restart\n  sudo regctl client-setup registry.example.com:5000 \\\n      --ca-file certs/ca.crt --containerd --podman\n  regctl client-setup registry.lan:5000 --root ./image-rootfs --containerd\n  sudo regctl client-setup 192.168.0.106:5000 --remove\n  sudo regctl client-setup --mirror http://192.168.0.106:5000 \\\n      --containerd --podman --restart\n  sudo regctl client-setup --mirror http://192.168.0.106:5000 --remove"
)]
pub struct ClientSetupArgs {
    /// The registry as clients address it: hostname, IPv4 or [IPv6], and port
    #[arg(value_name = "HOST:PORT", value_parser = parse_registry, required_unless_present = "mirror")]
    pub registry: Option<RegistryAddr>,
    /// A mirror to use (repeat for several, tried in order): http(s)://HOST:PORT mirrors Docker Hub (docker's registry-mirrors; containerd and podman with --containerd, --podman); http(s)://HOST:PORT/REGISTRY mirrors REGISTRY under regctl's proxy.upstreams prefix REGISTRY/ (containerd and podman only)
    #[arg(long, value_name = "URL", value_parser = parse_mirror)]
    pub mirror: Vec<MirrorUrl>,
    /// The registry's CA certificate (PEM): set up TLS with a private CA instead of plain HTTP
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Also configure containerd (certs.d/HOST:PORT/hosts.toml)
    #[arg(long)]
    pub containerd: bool,
    /// Also configure podman, buildah and skopeo (a registries.conf.d drop-in)
    #[arg(long)]
    pub podman: bool,
    /// Leave docker's files alone (for hosts with only containerd or podman)
    #[arg(long)]
    pub no_docker: bool,
    /// Undo: drop HOST:PORT from insecure-registries (and each --mirror from registry-mirrors) and delete the files regctl wrote for them
    #[arg(long, conflicts_with = "ca_file")]
    pub remove: bool,
    /// Print the diff of every file that would change and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Apply every path under DIR instead of / (for tests and for preparing images)
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Do not probe HOST:PORT (or an http:// mirror) for TLS before listing it as insecure (e.g. the registry is not running yet)
    #[arg(long)]
    pub no_probe: bool,
    /// Restart the services that need it (`systemctl restart docker`) after writing
    #[arg(long, conflicts_with_all = ["dry_run", "root"])]
    pub restart: bool,
}

/// Plain HTTP is what insecure-registries is for: refuse it for a registry that speaks TLS, and
/// say so when nothing could be learnt. Runs before anything is planned or written.
fn check_plain_http(registry: &RegistryAddr, printer: Printer) -> anyhow::Result<()> {
    match probe::probe(registry, std::time::Duration::from_secs(1)) {
        Speaks::PlainHttp => Ok(()),
        Speaks::Tls => anyhow::bail!(
            "{registry} speaks TLS, so it does not belong in docker's insecure-registries (for a TLS registry that only turns off certificate checks); pass --ca-file with the CA that signed its certificate (`regctl init` wrote it as DIR/certs/ca.crt), or nothing at all if a public CA signed it; nothing was written"
        ),
        Speaks::Unknown(why) => {
            printer.warn(format!(
                "could not probe {registry} ({why}): listing it as a plain-HTTP registry; if it serves TLS, undo with --remove and use --ca-file instead"
            ));
            Ok(())
        }
    }
}

/// An `http://` mirror must speak plain HTTP: clients would fail against a TLS one.
fn check_plain_http_mirror(mirror: &MirrorUrl, printer: Printer) -> anyhow::Result<()> {
    match probe::probe(&mirror.addr, std::time::Duration::from_secs(1)) {
        Speaks::PlainHttp => Ok(()),
        Speaks::Tls => anyhow::bail!(
            "{} speaks TLS: give the mirror as https://{}{} (with --ca-file if a private CA signed its certificate); nothing was written",
            mirror.addr,
            mirror.addr,
            mirror.namespace.as_deref().map(|n| format!("/{n}")).unwrap_or_default()
        ),
        Speaks::Unknown(why) => {
            printer.warn(format!(
                "could not probe the mirror {mirror} ({why}): setting it up as plain HTTP; if it serves TLS, undo with --remove and give it as https://"
            ));
            Ok(())
        }
    }
}

fn parse_mirror(input: &str) -> Result<MirrorUrl, String> {
    input
        .parse()
        .map_err(|err: client_setup::MirrorUrlError| err.to_string())
}

fn parse_registry(input: &str) -> Result<RegistryAddr, String> {
    input
        .parse()
        .map_err(|err: client_setup::AddressError| err.to_string())
}

/// `-o json`: the plan, and what was done with it.
#[derive(Serialize)]
struct Report<'a> {
    registry: &'a str,
    mirrors: &'a [String],
    operation: &'a str,
    transport: Option<Transport>,
    dry_run: bool,
    changes: Vec<ChangeReport>,
    unchanged: &'a [PathBuf],
    restart_needed: &'a [String],
    restarted: Vec<String>,
    notes: &'a [String],
    ca_certificates: &'a [CaCertificate],
}

#[derive(Serialize)]
struct ChangeReport {
    path: PathBuf,
    target: String,
    kind: ChangeKind,
    backup: Option<PathBuf>,
    diff: String,
}

pub fn run(args: &ClientSetupArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let request = Request {
        registry: args.registry.clone(),
        mirrors: args.mirror.clone(),
        operation: if args.remove {
            Operation::Remove
        } else {
            Operation::Install {
                ca_file: args.ca_file.clone(),
            }
        },
        docker: !args.no_docker,
        containerd: args.containerd,
        podman: args.podman,
        root: args.root.clone(),
    };
    if !args.remove && !args.no_probe {
        if let (Some(registry), None) = (&args.registry, &args.ca_file) {
            check_plain_http(registry, printer)?;
        }
        for mirror in args.mirror.iter().filter(|m| !m.tls) {
            check_plain_http_mirror(mirror, printer)?;
        }
    }
    let plan = client_setup::plan(&request)?;

    let applied = if args.dry_run {
        Vec::new()
    } else {
        client_setup::apply(&plan).map_err(|err| with_sudo_hint(err, &args.root))?
    };

    let mut restarted = Vec::new();
    let mut restart_error = None;
    if args.restart && !args.dry_run {
        for unit in &plan.restart {
            match client_setup::restart_unit("systemctl", unit) {
                Ok(()) => restarted.push(unit.clone()),
                Err(err) => {
                    restart_error = Some(anyhow::Error::new(err).context(format!(
                        "the files were written, but {unit} did not restart; run `sudo systemctl restart {unit}` and check `journalctl -u {unit}`"
                    )));
                    break;
                }
            }
        }
    }

    if printer.is_json() {
        printer.json(&report(&plan, &applied, args.dry_run, restarted))?;
    } else {
        render(&printer, &plan, &applied, args, &restarted)?;
    }
    match restart_error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

fn report<'a>(
    plan: &'a Plan,
    applied: &[Applied],
    dry_run: bool,
    restarted: Vec<String>,
) -> Report<'a> {
    Report {
        registry: &plan.registry,
        mirrors: &plan.mirrors,
        operation: plan.operation,
        transport: plan.transport,
        dry_run,
        changes: plan
            .changes
            .iter()
            .map(|change| ChangeReport {
                path: change.path.clone(),
                target: change.target.clone(),
                kind: change.kind,
                backup: applied
                    .iter()
                    .find(|done| done.path == change.path)
                    .and_then(|done| done.backup.clone()),
                diff: change.unified_diff(),
            })
            .collect(),
        unchanged: &plan.unchanged,
        restart_needed: &plan.restart,
        restarted,
        notes: &plan.notes,
        ca_certificates: &plan.ca_certificates,
    }
}

fn render(
    printer: &Printer,
    plan: &Plan,
    applied: &[Applied],
    args: &ClientSetupArgs,
    restarted: &[String],
) -> anyhow::Result<()> {
    for path in &plan.unchanged {
        printer.detail(format!("already as wanted: {}", path.display()));
    }
    if plan.is_empty() {
        printer.info(if args.remove {
            format!(
                "nothing to remove: regctl has no set-up for {} here",
                plan.registry
            )
        } else {
            format!("nothing to change: {} is already configured", plan.registry)
        });
    } else if args.dry_run {
        for change in &plan.changes {
            printer.line(change.unified_diff().trim_end())?;
        }
        printer.info(format!(
            "dry run: {} file(s) would change; nothing was written",
            plan.changes.len()
        ));
    } else {
        printer.table(
            &["FILE", "CHANGE", "BACKUP"],
            applied.iter().map(|done| {
                vec![
                    done.path.display().to_string(),
                    kind_word(done.kind).to_owned(),
                    done.backup
                        .as_ref()
                        .map_or_else(String::new, |b| b.display().to_string()),
                ]
            }),
        )?;
    }
    for note in &plan.notes {
        printer.info(format!("note: {note}"));
    }
    if !restarted.is_empty() {
        printer.info(format!("restarted: {}", restarted.join(", ")));
    } else if !plan.restart.is_empty() {
        let when = if args.dry_run {
            "after applying, run"
        } else {
            "to apply, run"
        };
        for unit in &plan.restart {
            printer.info(format!("{when}: sudo systemctl restart {unit}"));
        }
    } else if !plan.is_empty() && !args.dry_run {
        printer.info("no restart needed");
    }
    Ok(())
}

fn kind_word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Create => "created",
        ChangeKind::Update => "updated",
        ChangeKind::Delete => "deleted",
    }
}

/// System files need root; say so rather than leave the user with a bare "permission denied".
fn with_sudo_hint(err: client_setup::ClientSetupError, root: &std::path::Path) -> anyhow::Error {
    let denied = std::error::Error::source(&err)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied);
    let err = anyhow::Error::new(err);
    if denied && root == std::path::Path::new("/") {
        err.context("permission denied: client-setup edits system files, run it with sudo")
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_argument_errors_are_sentences() {
        let err = parse_registry("https://x:1").unwrap_err();
        assert!(
            err.starts_with("invalid registry address `https://x:1`"),
            "{err}"
        );
    }

    #[test]
    fn context_is_only_added_for_permission_problems() {
        let err = client_setup::ClientSetupError::Write {
            path: PathBuf::from("/etc/docker/daemon.json"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let shown = with_sudo_hint(err, std::path::Path::new("/")).to_string();
        assert!(shown.contains("sudo"), "{shown}");
        let err = client_setup::ClientSetupError::NoTarget;
        let shown = with_sudo_hint(err, std::path::Path::new("/")).to_string();
        assert!(!shown.contains("sudo"), "{shown}");
    }
}
