//! `regctl doctor HOST:PORT`: diagnose, from this machine, why login, push or pull fails.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{client_args, GlobalArgs, Printer};
use crate::client_setup::{self, RegistryAddr};
use crate::doctor::{self, Finding, Options, Report, Status};
use crate::remote::DockerConfig;

/// Diagnose why docker login, push or pull to a registry fails from this machine
#[derive(Debug, Args)]
#[command(
    long_about = "Diagnose, from a client machine, why docker login, push or pull to a registry fails, \
and say what to do. Checks, in the order a client meets them: DNS; TCP reach; TLS or plain HTTP; \
the certificate's names, chain and expiry against HOST; whether docker (and containerd, podman \
where /etc/containerd, /etc/containers exist) on this machine would use it: daemon.json \
insecure-registries, certs.d CAs, the system CA bundle; GET /v2/ with its \
Docker-Distribution-API-Version header and the auth challenge (and whether a token realm \
answers); the credentials docker stored in config.json ($DOCKER_CONFIG or ~/.docker) and whether \
the registry accepts them. With --write it also pushes a 1-byte blob (POST, PUT, then DELETE \
where deletes are enabled), checks that the upload Location points where this machine reaches, \
and sends a 2 MiB PATCH chunk, which a proxy limiting request bodies refuses (nginx's 413).\n\n\
Each finding is printed with its evidence and, when something is wrong, the fix as a command. \
The exit status is 1 when any check fails.",
    after_help = "Examples:\n  regctl doctor registry.example.com:5000\n  regctl doctor 192.168.0.106:5000 --write\n  regctl doctor registry.lan:5000 --root ./image-rootfs -o json"
)]
pub struct DoctorArgs {
    /// The registry as clients address it: hostname, IPv4 or [IPv6], and port
    #[arg(value_name = "HOST:PORT", value_parser = parse_registry)]
    pub registry: RegistryAddr,
    /// Also push a 1-byte test blob and a 2 MiB chunk (deleted again where the registry allows)
    #[arg(long)]
    pub write: bool,
    /// The repository --write pushes to
    #[arg(long, value_name = "REPO", default_value = doctor::DEFAULT_WRITE_REPOSITORY, requires = "write")]
    pub repository: String,
    /// Read every system path (daemon.json, certs.d, CA bundle) under DIR instead of /
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Timeout of each connection attempt
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

fn parse_registry(input: &str) -> Result<RegistryAddr, String> {
    input
        .parse()
        .map_err(|err: client_setup::AddressError| err.to_string())
}

pub fn run(args: &DoctorArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let options = Options {
        registry: args.registry.clone(),
        root: args.root.clone(),
        docker_config: DockerConfig::default_path().ok(),
        write: args.write.then(|| args.repository.clone()),
        timeout: args.timeout,
    };
    let report = client_args::runtime()?.block_on(doctor::diagnose(&options));
    if printer.is_json() {
        printer.json(&report)?;
    } else {
        render(&printer, &report)?;
    }
    let failed = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .count();
    if failed > 0 {
        anyhow::bail!(
            "{failed} check(s) failed for {}; each shows its fix",
            report.registry
        );
    }
    Ok(())
}

/// `✔`/`✘` on a terminal, plain words otherwise or with `NO_COLOR` (so logs and greps read them).
fn mark(status: Status, symbols: bool) -> &'static str {
    match (status, symbols) {
        (Status::Ok, true) => "✔",
        (Status::Warn, true) => "!",
        (Status::Fail, true) => "✘",
        (Status::Skipped, true) => "-",
        (Status::Ok, false) => "ok",
        (Status::Warn, false) => "warn",
        (Status::Fail, false) => "FAIL",
        (Status::Skipped, false) => "skip",
    }
}

fn render(printer: &Printer, report: &Report) -> anyhow::Result<()> {
    let symbols = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = report
        .findings
        .iter()
        .map(|f| f.check.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for finding in &report.findings {
        // -q: only what needs doing.
        if printer.quiet && !matches!(finding.status, Status::Fail | Status::Warn) {
            continue;
        }
        text.push_str(&line(finding, symbols, width));
    }
    let text = text.trim_end();
    if !text.is_empty() {
        printer.line(text)?;
    }
    Ok(())
}

fn line(finding: &Finding, symbols: bool, width: usize) -> String {
    let mut out = format!(
        "{:<4} {:<width$}  {}\n",
        mark(finding.status, symbols),
        finding.check,
        finding.summary
    );
    let indent = " ".repeat(4 + 1 + width + 2);
    for evidence in &finding.evidence {
        out.push_str(&format!("{indent}{evidence}\n"));
    }
    if let Some(fix) = &finding.fix {
        out.push_str(&format!("{indent}fix: {fix}\n"));
    }
    out
}
