//! `regctl serve`: the embedded registry.
//!
//! Settings come from config.yml, then `REGISTRY_*` variables, then the flags (each overrides the
//! previous). Signals: SIGINT/SIGTERM stop accepting and drain in-flight requests (a second one
//! stops at once); SIGHUP re-reads the TLS certificate and key.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use axum::http::header;
use axum::routing::get;
use axum::Router;
use clap::Args;
use tokio::signal::unix::{signal, SignalKind};

use crate::server::{self, HtpasswdSettings, LogFormatter, LogLevel, ServeSettings, TlsSettings};

use super::{GlobalArgs, Printer};

/// Run the registry server (registry:2 compatible storage, config and environment)
#[derive(Debug, Args)]
#[command(
    long_about = "Run the registry server.\n\n\
Reads distribution's config.yml and the same REGISTRY_* environment overrides as `registry \
serve` (for example REGISTRY_HTTP_ADDR, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY, \
REGISTRY_AUTH=htpasswd with REGISTRY_AUTH_HTPASSWD_REALM and _PATH, REGISTRY_HTTP_TLS_CERTIFICATE \
and _KEY); --addr and --root win over both. Without any configuration it serves ./registry-data \
on 127.0.0.1:5000 without authentication.\n\n\
When ready it prints one line on stdout: `regctl serve: listening on URL (storage ROOT, auth \
on|off, TLS on|off)`. SIGINT or SIGTERM stops accepting connections and lets in-flight requests \
finish (up to http.draintimeout, 30s by default); SIGHUP reloads the TLS certificate.",
    after_help = "Examples:\n  regctl serve\n  regctl serve --addr 0.0.0.0:5000 --root /var/lib/registry\n  regctl serve -c /etc/regctl/config.yml\n  REGISTRY_AUTH=htpasswd REGISTRY_AUTH_HTPASSWD_REALM=Registry REGISTRY_AUTH_HTPASSWD_PATH=auth/htpasswd regctl serve"
)]
pub struct ServeArgs {
    /// Listen on HOST:PORT (port 0 picks a free port); overrides http.addr
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Store images under DIR; overrides storage.filesystem.rootdirectory
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

pub fn run(args: &ServeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let config_file = config_file(global)?;
    let settings = settings_from_env_and_flags(args, |name| std::env::var(name).ok())?;
    server::logging::init(&settings.log).context("cannot set up logging")?;
    if config_file.is_none() {
        tracing::info!(
            "no config file ({} not found): serving {} on {} {}",
            global.config_path().display(),
            settings.root.display(),
            settings.addr,
            if settings.htpasswd.is_some() {
                "with htpasswd authentication"
            } else {
                "without authentication"
            }
        );
    }
    let app = build_app(&settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("regctl-serve")
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(serve(&settings, app, printer));
    // Connections cut off by a second signal may still hold blocking tasks (bcrypt): do not wait.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome
}

/// The integration point for `crate::api::router`: the registry API mounted behind the server
/// shell. Until the API lands it answers the API version check, `GET /v2/`, only.
fn build_app(_settings: &ServeSettings) -> anyhow::Result<Router> {
    Ok(Router::new().route(
        "/v2/",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                "{}",
            )
        }),
    ))
}

async fn serve(settings: &ServeSettings, app: Router, printer: Printer) -> anyhow::Result<()> {
    // Handlers are installed before the ready line so a signal right after it is not lost.
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;

    let server = server::Server::bind(settings, app)
        .await
        .context("cannot start the registry server")?;
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
    printer.line(ready_line(settings, server.local_addr(), server.is_tls()))?;

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
    tokio::select! {
        () = server.serve(async { let _ = first_rx.await; }) => {}
        _ = second_rx => {}
    }
    Ok(())
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

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The line the test harness and scripts wait for (`listening on URL` is the contract).
fn ready_line(settings: &ServeSettings, addr: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let on_off = |on: bool| if on { "on" } else { "off" };
    format!(
        "regctl serve: listening on {scheme}://{addr} (storage {}, auth {}, TLS {})",
        settings.root.display(),
        on_off(settings.htpasswd.is_some()),
        on_off(tls)
    )
}

/// Refuses a config file: this build cannot read one, and ignoring it could serve without the
/// authentication it asks for. Returns the config file in use (`None`: defaults plus overrides).
///
/// Integration point for `crate::config::load`, which reads and validates the file.
fn config_file(global: &GlobalArgs) -> anyhow::Result<Option<PathBuf>> {
    let config_path = global.config_path();
    if global.config_is_explicit() || config_path.exists() {
        bail!(
            "{} cannot be read: this build of regctl takes its server settings from REGISTRY_* \
             variables and flags only (move the file away or pass the settings as REGISTRY_* \
             variables)",
            config_path.display()
        );
    }
    Ok(None)
}

/// Builds the settings from `REGISTRY_*` variables (read through `env`) and the flags.
///
/// Integration point for `crate::config`: there `REGISTRY_*` overrides are applied to the loaded
/// file with distribution's full rules and the result is turned into [`ServeSettings`]; what
/// remains here is applying `--addr` and `--root`, which win over both.
fn settings_from_env_and_flags(
    args: &ServeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<ServeSettings> {
    let mut settings = ServeSettings::default();
    let string = |name: &str| env(name).map(|raw| yaml_scalar(&raw));
    let flag = |name: &str| -> anyhow::Result<Option<bool>> {
        string(name)
            .map(|value| match value.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Ok(true),
                "false" | "no" | "off" | "" => Ok(false),
                _ => bail!("{name}={value:?}: expected true or false"),
            })
            .transpose()
    };
    let duration = |name: &str| -> anyhow::Result<Option<Duration>> {
        string(name)
            .map(|value| {
                humantime::parse_duration(&value)
                    .with_context(|| format!("{name}={value:?}: expected a duration such as 30s"))
            })
            .transpose()
    };

    if let Some(addr) = string("REGISTRY_HTTP_ADDR") {
        settings.addr = addr;
    }
    if let Some(root) = string("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY") {
        settings.root = PathBuf::from(root);
    }
    if let Some(enabled) = flag("REGISTRY_STORAGE_DELETE_ENABLED")? {
        settings.delete_enabled = enabled;
    }
    if let Some(enabled) = flag("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED")? {
        settings.readonly = enabled;
    }
    if let Some(enabled) = flag("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_ENABLED")? {
        settings.uploadpurging.enabled = enabled;
    }
    if let Some(age) = duration("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE")? {
        settings.uploadpurging.age = age;
    }
    if let Some(interval) = duration("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_INTERVAL")? {
        settings.uploadpurging.interval = interval;
    }
    if let Some(dryrun) = flag("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_DRYRUN")? {
        settings.uploadpurging.dryrun = dryrun;
    }

    let auth = string("REGISTRY_AUTH");
    let realm = string("REGISTRY_AUTH_HTPASSWD_REALM");
    let htpasswd_path = string("REGISTRY_AUTH_HTPASSWD_PATH");
    match auth.as_deref() {
        None | Some("htpasswd") => {}
        Some(other) => {
            bail!("REGISTRY_AUTH={other:?}: regctl serve supports htpasswd authentication only")
        }
    }
    if auth.is_some() || realm.is_some() || htpasswd_path.is_some() {
        let Some(realm) = realm.filter(|r| !r.is_empty()) else {
            bail!("htpasswd authentication needs a realm: set REGISTRY_AUTH_HTPASSWD_REALM");
        };
        let Some(path) = htpasswd_path.filter(|p| !p.is_empty()) else {
            bail!("htpasswd authentication needs a file: set REGISTRY_AUTH_HTPASSWD_PATH");
        };
        settings.htpasswd = Some(HtpasswdSettings {
            realm,
            path: PathBuf::from(path),
        });
    }

    let certificate = string("REGISTRY_HTTP_TLS_CERTIFICATE").filter(|c| !c.is_empty());
    let key = string("REGISTRY_HTTP_TLS_KEY").filter(|k| !k.is_empty());
    settings.tls = match (certificate, key) {
        (Some(certificate), Some(key)) => {
            let client_cas = match env("REGISTRY_HTTP_TLS_CLIENTCAS") {
                Some(raw) => serde_yaml::from_str::<Vec<PathBuf>>(&raw).with_context(|| {
                    format!("REGISTRY_HTTP_TLS_CLIENTCAS={raw:?}: expected a YAML list of files")
                })?,
                None => Vec::new(),
            };
            Some(TlsSettings {
                certificate: PathBuf::from(certificate),
                key: PathBuf::from(key),
                client_cas,
            })
        }
        (None, None) => None,
        (Some(_), None) => {
            bail!("REGISTRY_HTTP_TLS_CERTIFICATE is set but REGISTRY_HTTP_TLS_KEY is not")
        }
        (None, Some(_)) => {
            bail!("REGISTRY_HTTP_TLS_KEY is set but REGISTRY_HTTP_TLS_CERTIFICATE is not")
        }
    };
    if let Some(disabled) = flag("REGISTRY_HTTP_HTTP2_DISABLED")? {
        settings.http2_disabled = disabled;
    }
    if let Some(raw) = env("REGISTRY_HTTP_HEADERS") {
        settings.headers = parse_headers(&raw).with_context(|| {
            format!(
                "REGISTRY_HTTP_HEADERS={raw:?}: expected a YAML map of header names to lists of \
                 values, e.g. {{X-Content-Type-Options: [nosniff]}}"
            )
        })?;
    }
    settings.draintimeout = duration("REGISTRY_HTTP_DRAINTIMEOUT")?;
    settings.host = string("REGISTRY_HTTP_HOST").filter(|h| !h.is_empty());
    if let Some(relative) = flag("REGISTRY_HTTP_RELATIVEURLS")? {
        settings.relativeurls = relative;
    }

    if let Some(level) = string("REGISTRY_LOG_LEVEL") {
        settings.log.level = level.parse::<LogLevel>()?;
    }
    if let Some(formatter) = string("REGISTRY_LOG_FORMATTER") {
        settings.log.formatter = formatter.parse::<LogFormatter>()?;
    }
    if let Some(disabled) = flag("REGISTRY_LOG_ACCESSLOG_DISABLED")? {
        settings.log.accesslog_disabled = disabled;
    }

    if let Some(addr) = &args.addr {
        settings.addr.clone_from(addr);
    }
    if let Some(root) = &args.root {
        settings.root.clone_from(root);
    }
    Ok(settings)
}

/// A YAML scalar as distribution reads env values: `"quoted"` loses its quotes; anything that is
/// not a plain scalar is taken verbatim.
fn yaml_scalar(raw: &str) -> String {
    match serde_yaml::from_str::<serde_yaml::Value>(raw) {
        Ok(serde_yaml::Value::String(text)) => text,
        Ok(serde_yaml::Value::Bool(value)) => value.to_string(),
        Ok(serde_yaml::Value::Number(value)) => value.to_string(),
        _ => raw.to_owned(),
    }
}

/// `http.headers` as YAML: `{Name: [value, ...]}`; a single string is taken as a one-value list.
fn parse_headers(raw: &str) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let value: serde_yaml::Value = serde_yaml::from_str(raw)?;
    let serde_yaml::Value::Mapping(map) = value else {
        bail!("not a map");
    };
    let mut headers = Vec::with_capacity(map.len());
    for (name, values) in map {
        let Some(name) = name.as_str() else {
            bail!("header names must be strings");
        };
        let values = match values {
            serde_yaml::Value::Sequence(items) => items
                .iter()
                .map(|item| match item {
                    serde_yaml::Value::String(text) => Ok(text.clone()),
                    serde_yaml::Value::Number(n) => Ok(n.to_string()),
                    serde_yaml::Value::Bool(b) => Ok(b.to_string()),
                    _ => bail!("the values of {name} must be strings"),
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            serde_yaml::Value::String(text) => vec![text],
            _ => bail!("the values of {name} must be a list of strings"),
        };
        headers.push((name.to_owned(), values));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser as _;

    use super::*;

    fn settings(flags: &[&str], vars: &[(&str, &str)]) -> anyhow::Result<ServeSettings> {
        let mut argv = vec!["regctl", "serve"];
        argv.extend_from_slice(flags);
        let super::super::Command::Serve(args) = super::super::Cli::try_parse_from(argv)?.command
        else {
            bail!("not the serve command");
        };
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        settings_from_env_and_flags(&args, |name| vars.get(name).map(|v| (*v).to_owned()))
    }

    #[test]
    fn defaults_without_anything() {
        assert_eq!(settings(&[], &[]).unwrap(), ServeSettings::default());
    }

    #[test]
    fn flags_win_over_env() {
        let s = settings(
            &["--addr", "127.0.0.1:0", "--root", "/srv/flag"],
            &[
                ("REGISTRY_HTTP_ADDR", ":5000"),
                ("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/srv/env"),
            ],
        )
        .unwrap();
        assert_eq!(s.addr, "127.0.0.1:0");
        assert_eq!(s.root, PathBuf::from("/srv/flag"));
        let s = settings(&[], &[("REGISTRY_HTTP_ADDR", "\":5000\"")]).unwrap();
        assert_eq!(s.addr, ":5000");
    }

    #[test]
    fn reads_the_registry_variables() {
        let s = settings(
            &[],
            &[
                ("REGISTRY_STORAGE_DELETE_ENABLED", "true"),
                ("REGISTRY_AUTH", "htpasswd"),
                ("REGISTRY_AUTH_HTPASSWD_REALM", "Registry Realm"),
                ("REGISTRY_AUTH_HTPASSWD_PATH", "/auth/htpasswd"),
                ("REGISTRY_HTTP_TLS_CERTIFICATE", "/certs/tls.crt"),
                ("REGISTRY_HTTP_TLS_KEY", "/certs/tls.key"),
                (
                    "REGISTRY_HTTP_TLS_CLIENTCAS",
                    "[/certs/ca1.pem, /certs/ca2.pem]",
                ),
                ("REGISTRY_HTTP_HTTP2_DISABLED", "true"),
                (
                    "REGISTRY_HTTP_HEADERS",
                    "{X-Content-Type-Options: [nosniff], Access-Control-Allow-Origin: '*'}",
                ),
                ("REGISTRY_HTTP_DRAINTIMEOUT", "1m30s"),
                ("REGISTRY_LOG_LEVEL", "debug"),
                ("REGISTRY_LOG_FORMATTER", "json"),
                ("REGISTRY_LOG_ACCESSLOG_DISABLED", "true"),
                ("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE", "2h"),
            ],
        )
        .unwrap();
        assert!(s.delete_enabled);
        assert_eq!(
            s.htpasswd,
            Some(HtpasswdSettings {
                realm: "Registry Realm".to_owned(),
                path: PathBuf::from("/auth/htpasswd"),
            })
        );
        let tls = s.tls.unwrap();
        assert_eq!(tls.certificate, PathBuf::from("/certs/tls.crt"));
        assert_eq!(tls.client_cas.len(), 2);
        assert!(s.http2_disabled);
        assert_eq!(
            s.headers,
            vec![
                (
                    "X-Content-Type-Options".to_owned(),
                    vec!["nosniff".to_owned()]
                ),
                (
                    "Access-Control-Allow-Origin".to_owned(),
                    vec!["*".to_owned()]
                ),
            ]
        );
        assert_eq!(s.draintimeout, Some(Duration::from_secs(90)));
        assert_eq!(s.log.level, LogLevel::Debug);
        assert_eq!(s.log.formatter, LogFormatter::Json);
        assert!(s.log.accesslog_disabled);
        assert_eq!(s.uploadpurging.age, Duration::from_secs(7200));
    }

    #[test]
    fn incomplete_settings_are_refused_with_the_missing_variable() {
        let err = settings(&[], &[("REGISTRY_AUTH", "htpasswd")]).unwrap_err();
        assert!(
            err.to_string().contains("REGISTRY_AUTH_HTPASSWD_REALM"),
            "{err}"
        );
        let err = settings(
            &[],
            &[
                ("REGISTRY_AUTH", "htpasswd"),
                ("REGISTRY_AUTH_HTPASSWD_REALM", "r"),
            ],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("REGISTRY_AUTH_HTPASSWD_PATH"),
            "{err}"
        );
        let err = settings(&[], &[("REGISTRY_AUTH", "token")]).unwrap_err();
        assert!(err.to_string().contains("htpasswd"), "{err}");
        let err = settings(&[], &[("REGISTRY_HTTP_TLS_CERTIFICATE", "/c")]).unwrap_err();
        assert!(err.to_string().contains("REGISTRY_HTTP_TLS_KEY"), "{err}");
        let err = settings(&[], &[("REGISTRY_STORAGE_DELETE_ENABLED", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("true or false"), "{err}");
        let err = settings(&[], &[("REGISTRY_HTTP_HEADERS", "[a, b]")]).unwrap_err();
        assert!(err.to_string().contains("REGISTRY_HTTP_HEADERS"), "{err}");
    }

    #[test]
    fn the_ready_line_names_url_storage_auth_and_tls() {
        let settings = ServeSettings {
            root: PathBuf::from("/srv/registry"),
            ..ServeSettings::default()
        };
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(
            ready_line(&settings, addr, true),
            "regctl serve: listening on https://127.0.0.1:5000 (storage /srv/registry, auth off, TLS on)"
        );
    }
}
