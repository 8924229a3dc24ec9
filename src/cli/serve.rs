//! `regctl serve`: the embedded registry.
//!
//! Settings come from config.yml, then `REGISTRY_*` variables, then the flags (each overrides the
//! previous). Signals: SIGINT/SIGTERM stop accepting and drain in-flight requests (a second one
//! stops at once); SIGHUP re-reads the TLS certificate and key.
//!
//! With `http.tls.letsencrypt` the ready line waits for the certificate: when none is stored yet
//! the listener is already bound and answers only the ACME server's TLS-ALPN-01 validations
//! (every other handshake is refused) until the certificate is obtained, and only then is the
//! server announced as listening. A first certificate that cannot be obtained ends the process
//! with the ACME server's reason; failed renewals are logged and retried while the current
//! certificate stays in use.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use axum::Router;
use clap::Args;
use tokio::signal::unix::{signal, SignalKind};

use crate::api::{self, ApiOptions};
use crate::config::{self, Loaded};
use crate::notify::{self, Notifier};
use crate::proxy::Upstreams;
use crate::registry::{Registry, RegistryOptions};
use crate::report::error_chain;
use crate::server::{self, ServeSettings};
use crate::storage::settings::StorageSettings;
use crate::web::{self, WebOptions};

use super::{GlobalArgs, Printer};

/// Run the registry server (registry:2 compatible storage, config and environment)
#[derive(Debug, Args)]
#[command(
    long_about = "Run the registry server.\n\n\
Reads distribution's config.yml and the same REGISTRY_* environment overrides as `registry \
serve` (for example REGISTRY_HTTP_ADDR, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY, \
REGISTRY_AUTH=htpasswd with REGISTRY_AUTH_HTPASSWD_REALM and _PATH, REGISTRY_AUTH=token with \
REGISTRY_AUTH_TOKEN_REALM, _SERVICE, _ISSUER and _ROOTCERTBUNDLE, REGISTRY_HTTP_TLS_CERTIFICATE \
and _KEY); --addr and --root win over both. Without any configuration it serves ./registry-data \
on 127.0.0.1:5000 without authentication.\n\n\
The web pages at / show the repositories, their tags, platforms and sizes, and delete tags for \
users allowed to (with storage.delete.enabled). With auth.htpasswd they need a login with the \
same users; without it they are as open as the API; with auth.token they are off. A request for / that does not ask for \
text/html (a load-balancer probe, curl) gets 200 with an empty body, as registry:2 answers; \
--no-web turns the pages off.\n\n\
When ready it prints one line on stdout: `regctl serve: listening on URL (storage ROOT, auth \
on|off, TLS on|off)`. SIGINT or SIGTERM stops accepting connections and lets in-flight requests \
finish (up to http.draintimeout, 30s by default); SIGHUP reloads the TLS certificate.\n\n\
With http.tls.letsencrypt (cachefile, email, hosts, directoryurl) the certificate comes from an \
ACME CA (Let's Encrypt unless directoryurl says otherwise): the CA validates with TLS-ALPN-01 on \
this server's own TLS port, so it must be reachable on port 443 of every host. The certificate \
and key are stored beside the cachefile (.crt, .key) and reused after a restart; a new one is \
obtained when a third of its lifetime (at most 30 days) is left, without a restart. Until the \
first certificate is in place only ACME validations are answered, and the ready line is printed \
once it is. REGCTL_ACME_CA_ROOT=FILE makes the ACME client trust the PEM root in FILE for the \
ACME server's own HTTPS, for testing with private ACME servers such as pebble.",
    after_help = "Examples:\n  regctl serve\n  regctl serve --addr 0.0.0.0:5000 --root /var/lib/registry\n  regctl serve -c /etc/regctl/config.yml\n  regctl serve --no-web\n  REGCTL_ACME_CA_ROOT=pebble.minica.pem regctl serve -c config-pebble.yml\n  REGISTRY_AUTH=htpasswd REGISTRY_AUTH_HTPASSWD_REALM=Registry \\\n      REGISTRY_AUTH_HTPASSWD_PATH=auth/htpasswd regctl serve"
)]
pub struct ServeArgs {
    /// Listen on HOST:PORT (port 0 picks a free port); overrides http.addr
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Store images under DIR; overrides storage.filesystem.rootdirectory
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Do not serve the web pages at / (it then answers 200, empty)
    #[arg(long)]
    pub no_web: bool,
}

pub fn run(args: &ServeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let (settings, loaded) = load_settings(args, global)?;
    // Held to the end: dropping it flushes the audit file's last lines.
    let _log = server::logging::init(&settings.log).context("cannot set up logging")?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    if !loaded.source.exists() {
        tracing::info!(
            "no config file ({} not found): serving {} on {} {}",
            global.config_path().display(),
            settings.storage.describe(),
            settings.addr,
            if settings.htpasswd.is_some() {
                "with htpasswd authentication"
            } else {
                "without authentication"
            }
        );
    }
    let (notifier, workers) = open_notifier(&settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("regctl-serve")
        .build()
        .context("cannot start the async runtime")?;
    // Inside the runtime, so an object-store backend runs its client on it.
    let (app, registry) = {
        let _enter = runtime.enter();
        build_app(&settings, notifier.clone())?
    };
    let outcome = runtime.block_on(async {
        // A store that does not answer (wrong bucket, endpoint or credentials) is said at once,
        // not at the first push; the server still starts, as registry:2 does, and /readyz
        // reports it until the store answers.
        if let Err(e) = registry.probe_storage().await {
            tracing::warn!(
                "storage {} does not answer: {}; requests that need it fail until it does",
                settings.storage.describe(),
                crate::report::error_chain(&e)
            );
        }
        start_health(&settings, &registry)?;
        spawn_upload_purger(&settings, registry);
        if let Some(workers) = workers {
            workers.spawn();
        }
        let served = serve(&settings, app, notifier.as_ref(), printer).await;
        // Events published before the stop are on disk, so a restart delivers them.
        if let Some(notifier) = &notifier {
            notifier.flush(Duration::from_secs(5)).await;
        }
        served
    });
    // Connections cut off by a second signal may still hold blocking tasks (bcrypt): do not wait.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome
}

/// `notifications` (src/notify): the endpoints' queues, opened before the server starts; also
/// with only `http.debug.addr`, for `/debug/events`. `None` (no cost in the API) otherwise.
fn open_notifier(
    settings: &ServeSettings,
) -> anyhow::Result<(Option<Arc<Notifier>>, Option<notify::Workers>)> {
    if settings.notifications.is_none() && settings.debug.is_none() {
        return Ok((None, None));
    }
    let (notifier, workers) = Notifier::open(
        settings.notifications.as_ref(),
        // Queues are local files next to a filesystem store; an object-store replica keeps
        // them in its working directory unless notifications.queue.directory says where.
        settings
            .storage
            .filesystem_root()
            .unwrap_or(Path::new("./regctl")),
        notify::source_addr(&settings.addr),
    )
    .context("cannot set up notifications (notifications)")?;
    Ok((Some(notifier), Some(workers)))
}

/// The registry API over the configured storage, as the router the server shell wraps.
fn build_app(
    settings: &ServeSettings,
    notifier: Option<Arc<Notifier>>,
) -> anyhow::Result<(Router, Arc<Registry>)> {
    let store = settings
        .storage
        .open()
        .with_context(|| format!("cannot use storage {}", settings.storage.describe()))?;
    let registry = Arc::new(Registry::open(
        &store,
        RegistryOptions {
            immutable_tags: settings.immutable_tags.clone(),
            revalidate_after: settings.storage.cache_trust(),
            record_pulls: !settings.readonly,
            ..RegistryOptions::default()
        },
    ));
    let policies = crate::retention::from_config(&settings.retention)
        .map_err(|problems| anyhow::anyhow!(crate::server::SettingsError::Invalid(problems)))?;
    if policies.schedule().is_some() && settings.readonly {
        tracing::warn!(
            "retention.schedule is not applied while storage.maintenance.readonly is enabled"
        );
    }
    if let Some(every) = policies.schedule().filter(|_| !settings.readonly) {
        tokio::spawn(crate::retention::schedule::run(
            Arc::clone(&registry),
            store.clone(),
            policies,
            settings.immutable_tags.clone(),
            every,
        ));
    }
    if let Some(proxy) = settings.proxy.as_ref() {
        match proxy.budget {
            Some(_) if settings.readonly => tracing::warn!(
                "proxy.cachebudget is not enforced while storage.maintenance.readonly is enabled"
            ),
            Some(budget) => {
                tokio::spawn(crate::proxy::evict::run(
                    Arc::clone(&registry),
                    store.clone(),
                    proxy.clone(),
                    settings.immutable_tags.clone(),
                    budget,
                ));
            }
            None => {}
        }
    }
    let options = ApiOptions {
        delete_enabled: settings.delete_enabled,
        readonly: settings.readonly,
        relative_urls: settings.relativeurls,
        redirect: settings.blob_redirects,
        host: settings.host.clone(),
        scheme: if settings.is_tls() { "https" } else { "http" },
        proxy: settings
            .proxy
            .as_ref()
            .map(Upstreams::new)
            .transpose()?
            .map(Arc::new),
        notifier: notifier.clone(),
        ..ApiOptions::default()
    };
    let mut app = api::router(Arc::clone(&registry), options);
    if settings.web_ui {
        app = app.merge(web::router(
            Arc::clone(&registry),
            WebOptions {
                delete_enabled: settings.delete_enabled,
                readonly: settings.readonly,
                login_required: settings.htpasswd.is_some(),
                secure_cookies: settings.is_tls(),
                public_host: settings.host.clone(),
                store: Some(store.clone()),
                notifier: notifier.clone(),
            },
        ));
    }
    Ok((app, registry))
}

/// `health.*` (src/health.rs): periodic checks, the storage one through the registry.
fn start_health(settings: &ServeSettings, registry: &Arc<Registry>) -> anyhow::Result<()> {
    let registry = Arc::clone(registry);
    crate::health::start(&settings.health, move || {
        let registry = Arc::clone(&registry);
        async move { registry.probe_storage().await.map_err(|e| error_chain(&e)) }
    })
    .context("cannot set up the health checks (health)")?;
    Ok(())
}

/// `storage.maintenance.uploadpurging`: removes abandoned uploads, first shortly after start (as
/// distribution does, with jitter so replicas do not purge in step), then every interval.
fn spawn_upload_purger(settings: &ServeSettings, registry: Arc<Registry>) {
    let purging = settings.uploadpurging.clone();
    if !purging.enabled || settings.readonly {
        return;
    }
    tokio::spawn(async move {
        let jitter = Duration::from_secs(30 + rand::random::<u64>() % 60);
        tokio::time::sleep(jitter).await;
        loop {
            match registry.purge_uploads(purging.age, purging.dryrun).await {
                Ok(report) => tracing::info!(?report, dry_run = purging.dryrun, "upload purge"),
                Err(err) => tracing::warn!(error = %error_chain(&err), "upload purge failed"),
            }
            tokio::time::sleep(purging.interval).await;
        }
    });
}

async fn serve(
    settings: &ServeSettings,
    app: Router,
    notifier: Option<&Arc<Notifier>>,
    printer: Printer,
) -> anyhow::Result<()> {
    // Handlers are installed before the ready line so a signal right after it is not lost.
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;

    // metrics hook (src/metrics.rs): before bind, so the public server's layer sees the metrics.
    let debug_routes = notifier.map_or_else(Router::new, |n| n.debug_routes(Router::new()));
    let _debug = regctl_metrics_start(settings, debug_routes).await?;
    if let Some(notifier) = notifier {
        // Every endpoint's series exist from the start, so a first drop shows as an increase.
        notifier.register_metrics();
    }
    let server = server::Server::bind(settings, app)
        .await
        .context("cannot start the registry server")?;
    let local_addr = server.local_addr();
    let is_tls = server.is_tls();
    // health hook: with ACME, /readyz waits for the certificate.
    if let (Some(health), Some(acme)) = (crate::health::installed(), server.letsencrypt()) {
        health.require_certificate(move || acme.has_certificate());
    }
    if let Some(warning) = settings
        .host
        .as_deref()
        .and_then(|host| host_mismatch(host, local_addr, is_tls))
    {
        tracing::warn!("{warning}");
    }
    if let Some(certificate) = server.certificate() {
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                match certificate.reload() {
                    Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
                    Err(err) => tracing::error!(
                        error = %error_chain(&err),
                        "SIGHUP: TLS certificate not reloaded; the previous one stays in use"
                    ),
                }
            }
        });
    }
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let (second_tx, second_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let name = next_stop_signal(&mut interrupt, &mut terminate).await;
        tracing::info!(signal = name, "shutting down gracefully");
        let _ = first_tx.send(());
        let name = next_stop_signal(&mut interrupt, &mut terminate).await;
        tracing::warn!(
            signal = name,
            "second signal: stopping without waiting for in-flight requests"
        );
        let _ = second_tx.send(());
    });
    let mut announced = Ok(());
    let serving = server.serve_when_ready(
        async {
            let _ = first_rx.await;
        },
        |_| announced = printer.line(ready_line(settings, local_addr, is_tls)),
    );
    tokio::select! {
        served = serving => served.context("cannot start the registry server")?,
        _ = second_rx => {}
    }
    announced
}

async fn regctl_metrics_start(
    settings: &ServeSettings,
    debug_routes: Router,
) -> anyhow::Result<Option<crate::metrics::DebugServer>> {
    crate::metrics::start(settings.debug.as_ref(), debug_routes)
        .await
        .context("cannot start the debug listener (http.debug)")
}

async fn next_stop_signal(
    interrupt: &mut tokio::signal::unix::Signal,
    terminate: &mut tokio::signal::unix::Signal,
) -> &'static str {
    tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    }
}

/// Why `http.host` (the base of every upload `Location`) may not reach this server: its scheme
/// says https with TLS off (or http with TLS on), or its port is not the one listened on. Clients
/// follow those Locations, so every push then fails; behind a reverse proxy that serves
/// `http.host` and forwards here, the difference is intended.
fn host_mismatch(host: &str, listening: SocketAddr, tls: bool) -> Option<String> {
    let (scheme, rest) = host.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or("");
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let after_host = authority
        .rsplit_once(']')
        .map_or(authority, |(_, tail)| tail);
    let port = match after_host.rsplit_once(':') {
        Some((_, port)) => port.parse::<u16>().ok()?,
        None => default_port,
    };
    let scheme_is_https = default_port == 443;
    let ours = format!(
        "{}://{listening} (TLS {})",
        if tls { "https" } else { "http" },
        if tls { "on" } else { "off" }
    );
    let problem = if scheme_is_https != tls {
        format!("its scheme is {scheme}")
    } else if port != listening.port() {
        format!("its port is {port}")
    } else {
        return None;
    };
    Some(format!(
        "http.host is {host} but regctl serve listens on {ours} and {problem}: upload Locations \
         point clients at http.host, so pushes fail unless a reverse proxy serves {host} and \
         forwards here. Fix http.host in the config, or remove it so \
         Locations follow each request's address, or change --addr / http.addr / http.tls"
    ))
}

/// The line the test harness and scripts wait for (`listening on URL` is the contract).
fn ready_line(settings: &ServeSettings, addr: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let on_off = |on: bool| if on { "on" } else { "off" };
    format!(
        "regctl serve: listening on {scheme}://{addr} (storage {}, auth {}, TLS {})",
        settings.storage.describe(),
        on_off(settings.htpasswd.is_some() || settings.token.is_some()),
        on_off(tls)
    )
}

/// The settings: config.yml (or the defaults when there is none), then `REGISTRY_*` variables,
/// then `--addr`/`--root`. An invalid config is refused with every problem `config validate` finds.
fn load_settings(args: &ServeArgs, global: &GlobalArgs) -> anyhow::Result<(ServeSettings, Loaded)> {
    let path = config::resolve_path(global.config.as_deref());
    let named =
        global.config_is_explicit() || std::env::var_os("REGISTRY_CONFIGURATION_PATH").is_some();
    let mut loaded = if path.exists() || named {
        config::load(&path).with_context(|| format!("cannot use config {}", path.display()))?
    } else {
        config::load_str(DEFAULT_CONFIG, &config::process_env())
            .context("cannot apply the REGISTRY_* variables")?
    };
    // `--root` replaces the configured directory before validation, so a directory it overrides
    // (such as the default ./registry-data in an unwritable working directory) is never checked.
    if let Some(root) = &args.root {
        if let Some(other) = loaded
            .config
            .storage_driver()
            .filter(|driver| *driver != "filesystem")
        {
            bail!(
                "--root sets storage.filesystem.rootdirectory, but the config stores images with \
                 the {other} driver: drop --root, or change the storage section"
            );
        }
        if let Some(driver) = loaded
            .config
            .storage
            .driver
            .as_mut()
            .filter(|d| d.name == "filesystem")
        {
            driver.params.insert(
                "rootdirectory".to_owned(),
                serde_yaml::Value::String(root.to_string_lossy().into_owned()),
            );
        }
    }
    let errors: Vec<String> = config::validate(&loaded)
        .into_iter()
        .filter(config::Diagnostic::is_error)
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect();
    let origin = if loaded.source.exists() {
        loaded.source.display().to_string()
    } else {
        "the defaults with REGISTRY_* variables".to_owned()
    };
    if !errors.is_empty() {
        bail!(
            "the config is invalid ({origin}):\n  {}",
            errors.join("\n  ")
        );
    }
    let mut settings = ServeSettings::from_config(&loaded.config)
        .with_context(|| format!("cannot serve with {origin}"))?;
    if let Some(addr) = &args.addr {
        settings.addr.clone_from(addr);
    }
    if let Some(root) = &args.root {
        settings.storage = StorageSettings::Filesystem(root.clone());
    }
    // The pages sign users in against htpasswd; with tokens from a token server they would have
    // no one to ask, and must not become a way around it.
    settings.web_ui = !args.no_web && settings.token.is_none();
    if settings.token.is_some() && !args.no_web {
        tracing::info!("the web pages are off with auth.token (they sign in with auth.htpasswd)");
    }
    if let Some(letsencrypt) = settings.letsencrypt.as_mut() {
        letsencrypt.ca_root = acme_ca_root()?;
    }
    Ok((settings, loaded))
}

/// `REGCTL_ACME_CA_ROOT`: a PEM root for the ACME server's own HTTPS (private ACME servers such as
/// pebble). Not a config.yml key: registry:2 has none, and production never needs it.
fn acme_ca_root() -> anyhow::Result<Option<PathBuf>> {
    let Some(path) = std::env::var_os(ACME_CA_ROOT_ENV).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    std::fs::metadata(&path)
        .with_context(|| format!("{ACME_CA_ROOT_ENV} names {}", path.display()))?;
    Ok(Some(path))
}

const ACME_CA_ROOT_ENV: &str = "REGCTL_ACME_CA_ROOT";

/// What `regctl serve` runs with when there is no config file: registry:2's sample config, but on
/// loopback (binding beyond it is a deliberate choice) and storing under the working directory.
const DEFAULT_CONFIG: &str = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ./registry-data\nhttp:\n  addr: 127.0.0.1:5000\n";

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn parse(flags: &[&str]) -> (ServeArgs, GlobalArgs) {
        let mut argv = vec!["regctl", "serve"];
        argv.extend_from_slice(flags);
        let cli = super::super::Cli::try_parse_from(argv).unwrap();
        let super::super::Command::Serve(args) = cli.command else {
            panic!("not the serve command");
        };
        (args, cli.global)
    }

    #[test]
    fn flags_win_over_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /srv/file\nhttp:\n  addr: 127.0.0.1:6000\n",
        )
        .unwrap();
        let config = config.to_str().unwrap();
        let (args, global) = parse(&["-c", config, "--root", "/srv/flag"]);
        let (settings, _) = load_settings(&args, &global).unwrap();
        assert_eq!(
            settings.storage,
            StorageSettings::Filesystem(PathBuf::from("/srv/flag"))
        );
        assert_eq!(settings.addr, "127.0.0.1:6000");
    }

    #[test]
    fn an_invalid_config_is_refused_with_its_problems() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp\nhttp:\n  tls:\n    certificate: /nope.crt\n    key: /nope.key\n",
        )
        .unwrap();
        let (args, global) = parse(&["-c", config.to_str().unwrap()]);
        let err = format!("{:#}", load_settings(&args, &global).unwrap_err());
        assert!(err.contains("http.tls.certificate"), "{err}");
    }

    #[test]
    fn http_host_that_does_not_match_the_listener_is_named() {
        let at = |a: &str| a.parse::<SocketAddr>().unwrap();
        let w = host_mismatch("https://127.0.0.1:5000", at("127.0.0.1:5055"), false).unwrap();
        assert!(
            w.contains("https://127.0.0.1:5000") && w.contains("http://127.0.0.1:5055"),
            "{w}"
        );
        assert!(host_mismatch("https://r:5000", at("0.0.0.0:5000"), false).is_some());
        assert!(host_mismatch("http://r:5000", at("0.0.0.0:5001"), false).is_some());
        assert!(host_mismatch("http://r:5000", at("0.0.0.0:5000"), false).is_none());
        assert!(host_mismatch("https://r", at("0.0.0.0:443"), true).is_none());
        assert!(host_mismatch("https://[::1]:5000/", at("[::1]:5000"), true).is_none());
        assert!(host_mismatch("http://r", at("0.0.0.0:5000"), false).is_some());
    }

    #[test]
    fn ready_line_names_address_storage_auth_and_tls() {
        let settings = ServeSettings::default();
        let line = ready_line(&settings, "127.0.0.1:5000".parse().unwrap(), false);
        assert_eq!(
            line,
            "regctl serve: listening on http://127.0.0.1:5000 (storage ./registry-data, auth off, TLS off)"
        );
    }
}
