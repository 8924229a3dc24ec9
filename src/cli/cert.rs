//! `regctl cert`: create a private CA and server certificate, obtain one from an ACME CA, or show
//! what a certificate covers and how long it stays valid.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde::Serialize;
use time::OffsetDateTime;

use crate::certs::acme::{self, AcmeRequest, CertStore, ChallengeKind};
use crate::certs::challenge::{self, ChallengeResponder};
use crate::certs::configfile::{self, TlsSettings};
use crate::certs::inspect::{self, format_time, CertSummary};
use crate::certs::names::host_of_url;
use crate::certs::selfsigned::{self, SelfSignedRequest};
use crate::certs::SubjectName;

use super::{GlobalArgs, Printer};

/// Create, obtain and inspect TLS certificates for the registry
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl cert self-signed --host registry.example.com --host 192.168.0.106 \\\n      --update-config\n  regctl cert acme --host registry.example.com --email ops@example.com\n  regctl cert show"
)]
pub struct CertArgs {
    #[command(subcommand)]
    pub command: CertCommand,
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    SelfSigned(SelfSignedArgs),
    Acme(AcmeArgs),
    Show(ShowArgs),
}

/// Create a private CA (or reuse the one in DIR) and a server certificate signed by it
///
/// Writes ca.crt, ca.key, server.crt (server certificate followed by the CA) and server.key.
/// An existing CA in DIR is kept, so clients that already trust it keep working; only the server
/// certificate is replaced.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl cert self-signed --host registry.example.com --host 192.168.0.106\n  regctl -c /etc/regctl/config.yml cert self-signed --host registry.lan \\\n      --update-config\n  regctl cert self-signed --host localhost --host 127.0.0.1 --dir ./certs \\\n      --days 90 --force"
)]
pub struct SelfSignedArgs {
    /// A DNS name or IP address clients use to reach the registry (repeat for each)
    #[arg(long = "host", value_name = "HOST", required = true)]
    pub hosts: Vec<String>,
    /// Where to write the files [default: certs/ beside the config file]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Validity of the server certificate in days (the CA is valid for 10 years)
    #[arg(long, value_name = "DAYS", default_value_t = selfsigned::DEFAULT_LEAF_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Create a new CA even if DIR has one (every client must then trust the new ca.crt)
    #[arg(long)]
    pub force: bool,
    /// Point http.tls.certificate and http.tls.key of the config file at the new files
    #[arg(long)]
    pub update_config: bool,
    /// Registry port for the printed client-setup command [default: the port of http.addr, else 5000]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// Obtain a certificate from an ACME CA such as Let's Encrypt
///
/// regctl answers the challenge itself: HTTP-01 on port 80 (the default) or TLS-ALPN-01 on port
/// 443, so that port must be reachable from the internet at each --host and not used by another
/// program while this runs. The ACME account is cached in DIR/acme-account.json. A certificate
/// that still covers every host and is not within --renew-before of expiry is kept.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sudo regctl cert acme --host registry.example.com --email ops@example.com\n  regctl cert acme --staging --host registry.example.com \\\n      --http-port 8080   # port 80 forwarded to 8080\n  regctl cert acme --host registry.example.com --challenge tls-alpn-01 \\\n      --update-config\n  regctl cert acme --directory https://127.0.0.1:14000/dir \\\n      --ca-root pebble.minica.pem --host registry.test"
)]
pub struct AcmeArgs {
    /// A DNS name (or IP address, if the CA issues for IPs) the certificate must cover (repeat for each)
    #[arg(long = "host", value_name = "HOST", required = true)]
    pub hosts: Vec<String>,
    /// Contact address for expiry and policy notices
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// ACME directory URL [default: Let's Encrypt production]
    #[arg(long, value_name = "URL", conflicts_with = "staging")]
    pub directory: Option<String>,
    /// Use Let's Encrypt's staging CA (untrusted certificates, for trying things out)
    #[arg(long)]
    pub staging: bool,
    /// Trust this PEM CA for the ACME server's own HTTPS (a private ACME server such as pebble)
    #[arg(long, value_name = "PEM")]
    pub ca_root: Option<PathBuf>,
    /// Where to write server.crt, server.key and the account cache [default: certs/ beside the config file]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// How to prove control of the hosts
    #[arg(long, value_name = "TYPE", default_value = "http-01", value_parser = ["http-01", "tls-alpn-01"])]
    pub challenge: String,
    /// Address to answer HTTP-01 challenges on (`::` to answer over IPv6 too: Let's Encrypt
    /// validates over IPv6 when the name has an AAAA record)
    #[arg(long, value_name = "IP", default_value = "0.0.0.0")]
    pub http_addr: IpAddr,
    /// Port to answer HTTP-01 challenges on (the CA always connects to port 80)
    #[arg(long, value_name = "PORT", default_value_t = 80)]
    pub http_port: u16,
    /// Address to answer TLS-ALPN-01 challenges on (`::` for IPv6 too)
    #[arg(long, value_name = "IP", default_value = "0.0.0.0")]
    pub tls_addr: IpAddr,
    /// Port to answer TLS-ALPN-01 challenges on (the CA always connects to port 443)
    #[arg(long, value_name = "PORT", default_value_t = 443)]
    pub tls_port: u16,
    /// Keep an existing certificate unless it expires within this long
    #[arg(long, value_name = "DURATION", default_value = "30days", value_parser = humantime::parse_duration)]
    pub renew_before: Duration,
    /// Obtain a new certificate even if the existing one is still good
    #[arg(long)]
    pub force: bool,
    /// Point http.tls.certificate and http.tls.key of the config file at the new files
    #[arg(long)]
    pub update_config: bool,
}

/// Show subject, names, issuer and validity of a certificate
///
/// Without FILE, shows the certificate the config serves (http.tls.certificate, or the
/// certificate cached for http.tls.letsencrypt). Warns when it expires within 30 days or does
/// not cover the host of http.host.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl cert show\n  regctl cert show certs/server.crt\n  regctl -c /etc/regctl/config.yml cert show -o json"
)]
pub struct ShowArgs {
    /// A PEM certificate or chain file [default: the config's certificate]
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

pub fn run(args: &CertArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    match &args.command {
        CertCommand::SelfSigned(a) => self_signed(a, global, &printer),
        CertCommand::Acme(a) => acme_cmd(a, global, &printer),
        CertCommand::Show(a) => show(a, global, &printer),
    }
}

fn parse_hosts(hosts: &[String]) -> anyhow::Result<Vec<SubjectName>> {
    let mut parsed: Vec<SubjectName> = Vec::with_capacity(hosts.len());
    for host in hosts {
        let name = SubjectName::parse(host)?;
        if !parsed.contains(&name) {
            parsed.push(name);
        }
    }
    Ok(parsed)
}

/// The config's TLS settings when the config file exists; an error only when the user named a
/// config explicitly and it is missing or broken.
fn config_settings(global: &GlobalArgs) -> anyhow::Result<Option<TlsSettings>> {
    let path = global.config_path();
    if !path.exists() {
        if global.config_is_explicit() {
            bail!("config file {} does not exist", path.display());
        }
        return Ok(None);
    }
    Ok(Some(configfile::read_tls_settings(&path)?))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn update_config(
    global: &GlobalArgs,
    printer: &Printer,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<()> {
    let config = global.config_path();
    if !config.exists() {
        bail!(
            "cannot update {}: it does not exist (create it with `regctl init` or pass -c PATH)",
            config.display()
        );
    }
    configfile::set_tls_files(
        &config,
        &absolute(cert),
        &absolute(key),
        &crate::config::process_env(),
    )?;
    printer.info(format!(
        "updated http.tls.certificate and http.tls.key in {} (the rest of the file is unchanged)",
        config.display()
    ));
    Ok(())
}

/// The registry port from `http.addr` (`:5000`, `0.0.0.0:5000`, `[::]:5000`).
fn config_port(global: &GlobalArgs) -> Option<u16> {
    let doc = crate::config::read_tree(&global.config_path()).ok()?;
    let addr = doc.get("http")?.get("addr")?.as_str()?;
    addr.rsplit_once(':')?.1.parse().ok()
}

#[derive(Serialize)]
struct SelfSignedReport {
    ca_certificate: PathBuf,
    ca_key: PathBuf,
    certificate: PathBuf,
    key: PathBuf,
    ca_reused: bool,
    hosts: Vec<String>,
    not_after: String,
    client_setup: String,
}

fn self_signed(
    args: &SelfSignedArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> anyhow::Result<()> {
    let hosts = parse_hosts(&args.hosts)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| selfsigned::default_dir(&global.config_path()));
    let outcome = selfsigned::issue(
        &SelfSignedRequest {
            dir: dir.clone(),
            hosts: hosts.clone(),
            leaf_days: args.days,
            replace_ca: args.force,
        },
        OffsetDateTime::now_utc(),
    )
    .with_context(|| format!("cannot create certificates in {}", dir.display()))?;
    let files = &outcome.files;
    if outcome.ca_reused {
        printer.info(format!(
            "kept the existing CA {} (clients that trust it keep working)",
            files.ca_cert().display()
        ));
    } else {
        printer.info(format!(
            "created a new CA: {} (key {}, valid {} years)",
            files.ca_cert().display(),
            files.ca_key().display(),
            selfsigned::CA_DAYS / 365
        ));
    }
    printer.info(format!(
        "wrote {} and {} for {} (valid until {})",
        files.server_cert().display(),
        files.server_key().display(),
        args.hosts.join(", "),
        format_time(outcome.leaf_not_after)
    ));
    if outcome.leaf_capped_by_ca {
        printer.warn(format!(
            "the CA expires before {} days are up, so the server certificate ends with it; \
             run again with --force to create a new CA (clients must then trust the new ca.crt)",
            args.days
        ));
    }
    if args.update_config {
        update_config(global, printer, &files.server_cert(), &files.server_key())?;
    }

    let port = args.port.or_else(|| config_port(global)).unwrap_or(5000);
    let host = match &hosts[0] {
        SubjectName::Ip(IpAddr::V6(v6)) => format!("[{v6}]"),
        other => other.to_string(),
    };
    let ca_file = absolute(&files.ca_cert());
    let client_setup = format!(
        "regctl client-setup {host}:{port} --ca-file {}",
        ca_file.display()
    );
    if printer.is_json() {
        return printer.json(&SelfSignedReport {
            ca_certificate: ca_file,
            ca_key: absolute(&files.ca_key()),
            certificate: absolute(&files.server_cert()),
            key: absolute(&files.server_key()),
            ca_reused: outcome.ca_reused,
            hosts: hosts.iter().map(ToString::to_string).collect(),
            not_after: format_time(outcome.leaf_not_after),
            client_setup,
        });
    }
    printer.info("On every client, with ca.crt copied there, run:");
    printer.line(format!("  {client_setup}"))
}

#[derive(Serialize)]
struct AcmeReport {
    certificate: PathBuf,
    key: PathBuf,
    account: PathBuf,
    obtained: bool,
    directory: String,
    challenge: &'static str,
    hosts: Vec<String>,
    not_after: Option<String>,
}

fn acme_cmd(args: &AcmeArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<()> {
    let hosts = parse_hosts(&args.hosts)?;
    let challenge: ChallengeKind = args
        .challenge
        .parse()
        .map_err(|msg: String| anyhow::anyhow!(msg))?;
    let directory_url = match (&args.directory, args.staging) {
        (Some(url), _) => url.clone(),
        (None, true) => acme::letsencrypt_staging().to_owned(),
        (None, false) => acme::letsencrypt_production().to_owned(),
    };
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| selfsigned::default_dir(&global.config_path()));
    let store = CertStore::in_dir(&dir);
    let request = AcmeRequest {
        directory_url: directory_url.clone(),
        email: args.email.clone(),
        hosts: hosts.clone(),
        ca_root: args.ca_root.clone(),
        challenge,
    };
    let now = OffsetDateTime::now_utc();

    let existing = store.load()?;
    let keep = !args.force
        && existing.as_ref().is_some_and(|issued| {
            !acme::needs_renewal(&issued.chain_pem, now, args.renew_before)
                && acme::covers_all(&issued.chain_pem, &hosts)
        });
    let obtained = if keep {
        printer.info(format!(
            "{} covers {} and is not due for renewal; kept it (use --force to replace it now)",
            store.cert_path.display(),
            args.hosts.join(", ")
        ));
        false
    } else {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let issued = runtime.block_on(obtain_with_listener(args, &request, &store, printer))?;
        store
            .save(&issued)
            .context("cannot save the new certificate")?;
        printer.info(format!(
            "wrote {} and {} (account cached in {})",
            store.cert_path.display(),
            store.key_path.display(),
            store.account_path.display()
        ));
        true
    };
    if args.update_config {
        update_config(global, printer, &store.cert_path, &store.key_path)?;
    }

    let not_after = inspect::inspect_file(&store.cert_path, now)
        .ok()
        .and_then(|chain| chain.into_iter().next())
        .map(|leaf| format_time(leaf.not_after));
    if printer.is_json() {
        return printer.json(&AcmeReport {
            certificate: absolute(&store.cert_path),
            key: absolute(&store.key_path),
            account: absolute(&store.account_path),
            obtained,
            directory: directory_url,
            challenge: challenge.as_str(),
            hosts: hosts.iter().map(ToString::to_string).collect(),
            not_after,
        });
    }
    printer.line(format!(
        "{} {} (valid until {})",
        if obtained { "obtained" } else { "kept" },
        store.cert_path.display(),
        not_after.as_deref().unwrap_or("unknown")
    ))
}

async fn obtain_with_listener(
    args: &AcmeArgs,
    request: &AcmeRequest,
    store: &CertStore,
    printer: &Printer,
) -> anyhow::Result<acme::Issued> {
    let responder = ChallengeResponder::new();
    let server = match request.challenge {
        ChallengeKind::Http01 => {
            let addr = SocketAddr::new(args.http_addr, args.http_port);
            challenge::spawn_http01(addr, &responder)
                .await
                .with_context(|| bind_hint(args.http_port, "--http-port"))?
        }
        ChallengeKind::TlsAlpn01 => {
            let addr = SocketAddr::new(args.tls_addr, args.tls_port);
            challenge::spawn_tls_alpn01(addr, &responder)
                .await
                .with_context(|| bind_hint(args.tls_port, "--tls-port"))?
        }
    };
    printer.info(format!(
        "requesting a certificate for {} from {} ({} answered on {})",
        args.hosts.join(", "),
        request.directory_url,
        request.challenge,
        server.local_addr
    ));
    let result = acme::obtain(request, store, &responder).await;
    server.stop().await;
    result.with_context(|| format!("cannot obtain a certificate from {}", request.directory_url))
}

fn bind_hint(port: u16, flag: &str) -> String {
    if port < 1024 {
        format!(
            "cannot answer the ACME challenge on port {port}: run as root, grant CAP_NET_BIND_SERVICE, or forward the port and pass {flag}"
        )
    } else {
        format!("cannot answer the ACME challenge on port {port}")
    }
}

#[derive(Serialize)]
struct ShowReport<'a> {
    file: PathBuf,
    certificate: &'a CertSummary,
    chain: &'a [CertSummary],
    warnings: &'a [String],
}

fn show(args: &ShowArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<()> {
    let settings = config_settings(global)?;
    let file = match (&args.file, &settings) {
        (Some(file), _) => file.clone(),
        (None, Some(settings)) => configured_certificate(settings).with_context(|| {
            format!(
                "{} configures no certificate (no http.tls.certificate or http.tls.letsencrypt); pass FILE",
                global.config_path().display()
            )
        })?,
        (None, None) => bail!(
            "no certificate to show: pass FILE, or -c CONFIG with http.tls.certificate ({} does not exist)",
            global.config_path().display()
        ),
    };
    let now = OffsetDateTime::now_utc();
    let chain = inspect::inspect_file(&file, now)?;
    let (leaf, rest) = chain
        .split_first()
        .context("the certificate file is empty")?;
    let served_host = settings
        .as_ref()
        .and_then(|s| s.host.as_deref())
        .and_then(host_of_url);
    let warnings = inspect::warnings(leaf, served_host.as_ref(), now);
    for warning in &warnings {
        printer.warn(warning);
    }
    if printer.is_json() {
        return printer.json(&ShowReport {
            file: absolute(&file),
            certificate: leaf,
            chain: rest,
            warnings: &warnings,
        });
    }
    let mut rows = vec![
        vec!["file".to_owned(), file.display().to_string()],
        vec!["subject".to_owned(), leaf.subject.clone()],
        vec!["names".to_owned(), leaf.sans.join(", ")],
        vec!["issuer".to_owned(), leaf.issuer.clone()],
        vec!["not before".to_owned(), format_time(leaf.not_before)],
        vec!["not after".to_owned(), format_time(leaf.not_after)],
        vec!["days left".to_owned(), leaf.days_left.to_string()],
        vec!["serial".to_owned(), leaf.serial.clone()],
    ];
    if leaf.is_ca {
        rows.push(vec!["CA".to_owned(), "yes".to_owned()]);
    }
    for (n, cert) in rest.iter().enumerate() {
        rows.push(vec![
            format!("chain[{}]", n + 1),
            format!("{} (until {})", cert.subject, format_time(cert.not_after)),
        ]);
    }
    printer.table(&["FIELD", "VALUE"], rows)
}

fn configured_certificate(settings: &TlsSettings) -> Option<PathBuf> {
    settings.certificate.clone().or_else(|| {
        settings
            .letsencrypt
            .as_ref()
            .and_then(|le| le.cachefile.as_deref())
            .map(|cachefile| CertStore::for_cachefile(cachefile).cert_path)
    })
}
