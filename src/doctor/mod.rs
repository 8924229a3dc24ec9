//! `regctl doctor HOST:PORT`: from a client machine, find out why login, push or pull fails and
//! say what to do. Every check produces a [`Finding`]: a status, what was seen (the evidence) and,
//! when something is wrong, the fix as a command or config line.
//!
//! The checks run in the order a client meets the problems — name, socket, TLS or plain HTTP,
//! the certificate, this machine's docker/containerd/podman trust, `/v2/`, authentication,
//! stored credentials, and with `--write` a test push — and a check whose premise failed is not
//! run (no TLS findings without a connection). Nothing here prints; the CLI renders the report.
//!
//! Facts owned elsewhere are asked for there: docker's daemon.json lists through
//! `client_setup::daemon_json`, the plain-HTTP/TLS probe through `client_setup::probe`, the
//! certificate's names and dates through `certs::inspect`, credentials through
//! `remote::DockerConfig` and the auth handshake through `remote::Client`.

mod api;
mod clients;
pub mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::client_setup::probe::{self, Speaks};
use crate::client_setup::{RegistryAddr, RegistryHost};

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but something deserves attention (e.g. certificate checks turned off).
    Warn,
    Fail,
    /// Not run: its premise failed or it needs `--write`.
    Skipped,
}

/// One diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable name of the check (`dns`, `tcp`, `transport`, `certificate`, `docker`, ...).
    pub check: &'static str,
    pub status: Status,
    /// One sentence: what was found.
    pub summary: String,
    /// What was seen that supports it.
    pub evidence: Vec<String>,
    /// What to run or change, when something is wrong.
    pub fix: Option<String>,
}

impl Finding {
    fn new(check: &'static str, status: Status, summary: impl Into<String>) -> Self {
        Self {
            check,
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            fix: None,
        }
    }

    fn ok(check: &'static str, summary: impl Into<String>) -> Self {
        Self::new(check, Status::Ok, summary)
    }

    fn fail(check: &'static str, summary: impl Into<String>) -> Self {
        Self::new(check, Status::Fail, summary)
    }

    fn skipped(check: &'static str, summary: impl Into<String>) -> Self {
        Self::new(check, Status::Skipped, summary)
    }

    fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The whole diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub registry: String,
    /// `https`, `http`, or `None` when it could not be told.
    pub scheme: Option<&'static str>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any check failed (the command's exit status).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.status == Status::Fail)
    }
}

/// What to diagnose and where this machine's files are.
#[derive(Debug, Clone)]
pub struct Options {
    pub registry: RegistryAddr,
    /// Every system path (daemon.json, certs.d, the CA bundle) is read under this directory.
    pub root: PathBuf,
    /// docker's config.json with the stored credentials; `None`: none could be located.
    pub docker_config: Option<PathBuf>,
    /// Push a 1-byte blob and a 2 MiB chunk to this repository.
    pub write: Option<String>,
    /// For every connection attempt.
    pub timeout: Duration,
}

/// The repository `--write` pushes its test blob to unless told otherwise.
pub const DEFAULT_WRITE_REPOSITORY: &str = "regctl-doctor/probe";

/// Runs every check.
pub async fn diagnose(options: &Options) -> Report {
    let mut findings = Vec::new();
    let addr = options.registry.to_string();
    let report = |findings: Vec<Finding>, scheme| Report {
        registry: addr.clone(),
        scheme,
        findings,
    };

    let Some(sockets) = resolve(options, &mut findings).await else {
        return report(findings, None);
    };
    let Some(reached) = connect(options, &sockets, &mut findings).await else {
        return report(findings, None);
    };

    let speaks = {
        let registry = options.registry.clone();
        let timeout = options.timeout;
        tokio::task::spawn_blocking(move || probe::probe(&registry, timeout))
            .await
            .unwrap_or_else(|e| Speaks::Unknown(e.to_string()))
    };
    let chain = match &speaks {
        Speaks::PlainHttp => {
            findings.push(
                Finding::ok("transport", format!("{addr} speaks plain HTTP (no TLS)")).evidence(
                    format!("GET http://{addr}/v2/ was answered in HTTP; clients expect HTTPS unless told that the registry is insecure"),
                ),
            );
            None
        }
        Speaks::Tls => {
            match tls::fetch_chain(reached, &host_text(&options.registry), options.timeout).await {
                Ok(chain) => {
                    findings.push(
                        Finding::ok("transport", format!("{addr} speaks TLS"))
                            .evidence(format!("handshake with {reached}: {}", chain.version)),
                    );
                    Some(chain)
                }
                Err(why) => {
                    findings.push(
                    Finding::fail("transport", format!("{addr} looks like TLS but the handshake failed"))
                        .evidence(why)
                        .fix("on the registry machine, check its certificate and key: regctl cert show"),
                );
                    return report(findings, Some("https"));
                }
            }
        }
        Speaks::Unknown(why) => {
            findings.push(
                Finding::fail("transport", format!("{addr} answered neither HTTP nor TLS"))
                    .evidence(why.clone())
                    .fix(format!("check that {addr} is the registry's port, not another service: curl -v http://{addr}/v2/")),
            );
            return report(findings, None);
        }
    };
    let scheme = if chain.is_some() { "https" } else { "http" };

    if let Some(chain) = &chain {
        findings.push(certificate_finding(&options.registry, chain));
    }
    findings.extend(clients::trust_findings(options, &sockets, chain.as_ref()));
    findings.extend(api::findings(options, scheme).await);
    report(findings, Some(scheme))
}

/// `path` (absolute, as on the configured system) under `root`.
#[must_use]
pub fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// The host as sent in SNI and checked against certificates (IPv6 without brackets).
fn host_text(addr: &RegistryAddr) -> String {
    match &addr.host {
        RegistryHost::Name(name) => name.clone(),
        RegistryHost::V4(ip) => ip.to_string(),
        RegistryHost::V6(ip) => ip.to_string(),
    }
}

async fn resolve(options: &Options, findings: &mut Vec<Finding>) -> Option<Vec<SocketAddr>> {
    let addr = options.registry.to_string();
    let lookup = tokio::time::timeout(options.timeout, tokio::net::lookup_host(addr.clone())).await;
    match lookup {
        Ok(Ok(found)) => {
            let sockets: Vec<SocketAddr> = found.collect();
            if sockets.is_empty() {
                findings.push(Finding::fail(
                    "dns",
                    format!("{addr} resolves to no address"),
                ));
                return None;
            }
            let ips = sockets
                .iter()
                .map(|s| s.ip().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let summary = match options.registry.host {
                RegistryHost::Name(_) => {
                    format!("{} resolves to {ips}", host_text(&options.registry))
                }
                _ => format!(
                    "{} is an IP address (no DNS needed)",
                    host_text(&options.registry)
                ),
            };
            findings.push(Finding::ok("dns", summary));
            Some(sockets)
        }
        Ok(Err(err)) => {
            let host = host_text(&options.registry);
            findings.push(
                Finding::fail("dns", format!("cannot resolve {host}"))
                    .evidence(err.to_string())
                    .fix(format!("add the registry to /etc/hosts or DNS, or use its IP address; check with: getent hosts {host}")),
            );
            None
        }
        Err(_) => {
            findings.push(
                Finding::fail(
                    "dns",
                    format!(
                        "resolving {} took longer than {:?}",
                        host_text(&options.registry),
                        options.timeout
                    ),
                )
                .fix(
                    "check /etc/resolv.conf and the DNS server: getent hosts ".to_owned()
                        + &host_text(&options.registry),
                ),
            );
            None
        }
    }
}

async fn connect(
    options: &Options,
    sockets: &[SocketAddr],
    findings: &mut Vec<Finding>,
) -> Option<SocketAddr> {
    let addr = options.registry.to_string();
    let mut failures = Vec::new();
    for socket in sockets {
        match tokio::time::timeout(options.timeout, tokio::net::TcpStream::connect(socket)).await {
            Ok(Ok(_)) => {
                let mut finding = Finding::ok("tcp", format!("{socket} accepts connections"));
                for failure in failures {
                    finding = finding.evidence(failure);
                }
                findings.push(finding);
                return Some(*socket);
            }
            Ok(Err(err)) => failures.push(format!("{socket}: {err}")),
            Err(_) => failures.push(format!(
                "{socket}: no answer within {:?} (a firewall dropping packets?)",
                options.timeout
            )),
        }
    }
    let port = options.registry.port;
    let mut finding = Finding::fail("tcp", format!("nothing accepts connections on {addr}"))
        .fix(format!(
            "on the registry machine, check that regctl serve listens on port {port} on an address this machine reaches (its ready line says where; `ss -ltn 'sport = :{port}'`) and that no firewall blocks it"
        ));
    for failure in failures {
        finding = finding.evidence(failure);
    }
    findings.push(finding);
    None
}

fn certificate_finding(registry: &RegistryAddr, chain: &tls::ServedChain) -> Finding {
    use crate::certs::inspect::{format_time, CertSummary};
    use crate::certs::SubjectName;
    let now = time::OffsetDateTime::now_utc();
    let origin = PathBuf::from(format!("the certificate served by {registry}"));
    let summaries: Vec<CertSummary> = chain
        .certificates
        .iter()
        .filter_map(|der| CertSummary::from_der(der, &origin, now).ok())
        .collect();
    let Some(leaf) = summaries.first() else {
        return Finding::fail("certificate", "the served certificate does not parse");
    };
    let host = host_text(registry);
    let mut finding = Finding::ok(
        "certificate",
        format!(
            "the certificate is valid for {host} until {}",
            format_time(leaf.not_after)
        ),
    )
    .evidence(format!("subject: {}", leaf.subject))
    .evidence(format!(
        "names: {}",
        if leaf.sans.is_empty() {
            "none (no subject alternative names)".to_owned()
        } else {
            leaf.sans.join(", ")
        }
    ))
    .evidence(format!(
        "issuer: {}{}",
        leaf.issuer,
        if leaf.subject == leaf.issuer {
            " (self-signed)"
        } else {
            ""
        }
    ))
    .evidence(format!(
        "valid from {} to {} ({} days left)",
        format_time(leaf.not_before),
        format_time(leaf.not_after),
        leaf.days_left
    ))
    .evidence(format!(
        "chain served: {} certificate(s){}",
        summaries.len(),
        summaries
            .iter()
            .skip(1)
            .map(|c| format!("; then {}", c.subject))
            .collect::<String>()
    ));
    let mut problems = Vec::new();
    let covered = SubjectName::parse(&host).is_ok_and(|name| leaf.covers(&name));
    if !covered {
        problems.push(format!("it does not name {host}"));
    }
    if leaf.not_after <= now {
        problems.push(format!("it expired on {}", format_time(leaf.not_after)));
    } else if leaf.not_before > now {
        problems.push(format!(
            "it is valid only from {} (check the clocks)",
            format_time(leaf.not_before)
        ));
    }
    if !problems.is_empty() {
        finding.status = Status::Fail;
        finding.summary = format!(
            "the certificate cannot be used for {host}: {}",
            problems.join("; ")
        );
        finding.fix = Some(format!(
            "on the registry machine, issue a certificate naming {host}: regctl cert self-signed --host {host} --update-config (or regctl cert acme --host {host} for a public name), then restart regctl serve"
        ));
    } else if leaf.days_left <= crate::certs::inspect::EXPIRY_WARNING_DAYS {
        finding.status = Status::Warn;
        finding.summary = format!("the certificate expires in {} days", leaf.days_left);
        finding.fix = Some(
            "renew it on the registry machine: regctl cert show says how it was issued".to_owned(),
        );
    }
    finding
}
