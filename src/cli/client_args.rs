//! What every client command shares: the connection and credential flags, the default registry
//! taken from the local config, and the async runtime the library runs on.

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::Args;

use super::{GlobalArgs, Printer};
use crate::remote::{
    Client, ClientOptions, Credentials, DockerConfig, Paging, Registry, RemoteError,
};

/// Connection and credential flags of the client commands.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Allow plain HTTP and accept any TLS certificate
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file (for a registry with a private CA). Without it:
    /// `ca.crt` next to the local config's TLS certificate, then
    /// `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// User name; without it the credentials stored by `regctl login` or `docker login`
    /// (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`,
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: Option<String>,
    /// Read the password from stdin (with --user)
    #[arg(long, requires = "user")]
    pub password_stdin: bool,
}

/// Pagination flags of the listing commands.
#[derive(Debug, Clone, Copy, Args)]
pub struct PagingArgs {
    /// Stop after this many entries
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Ask for this many entries per request (`n`); the registry's default when absent
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: Option<u64>,
}

impl PagingArgs {
    #[must_use]
    pub fn paging(&self) -> Paging {
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Paging {
            page_size: self.page_size.map(to_usize),
            limit: self.limit.map(to_usize),
        }
    }
}

/// A registry chosen by the user or by the local config, and whether that config says plain HTTP.
#[derive(Debug, Clone)]
pub struct Target {
    pub registry: Registry,
    pub plain_http: bool,
    /// `ca.crt` next to the local config's TLS certificate (what `regctl init` writes), when this
    /// is the registry that config serves and the file exists.
    pub local_ca: Option<PathBuf>,
}

/// The registry to talk to: the one named, else the one the local config serves.
///
/// # Errors
/// When none is named and there is no local config to take one from.
pub fn resolve_registry(named: Option<Registry>, global: &GlobalArgs) -> anyhow::Result<Target> {
    let path = global.config_path();
    if let Some(registry) = named {
        // The registry this machine serves keeps the transport its config gives it.
        let local = if path.exists() {
            local_registry(&path).ok().flatten()
        } else {
            None
        };
        let local = local.filter(|l| l.registry == registry);
        let plain_http = local.as_ref().is_some_and(|l| l.plain_http);
        return Ok(Target {
            registry,
            plain_http,
            local_ca: local.and_then(|l| l.local_ca),
        });
    }
    if !path.exists() {
        bail!(
            "no registry given and no local config {} to take it from (name the registry, e.g. \
             `registry.example.com:5000`, or pass -c config.yml)",
            path.display()
        );
    }
    local_registry(&path)?.with_context(|| {
        format!(
            "no registry given and {} has no http.addr or http.host (name the registry, e.g. \
             `registry.example.com:5000`)",
            path.display()
        )
    })
}

/// The registry a distribution config serves: `http.host` when set, else `http.addr` (a wildcard
/// bind is reached through loopback), plain HTTP unless `http.tls` is configured.
fn local_registry(path: &Path) -> anyhow::Result<Option<Target>> {
    let loaded = crate::config::load(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    let http = &loaded.config.http;
    let has_tls = loaded.config.tls_files().is_some() || !http.tls.letsencrypt.hosts.is_empty();
    // init writes DIR/certs/{ca.crt,server.crt}: the CA sits next to the served certificate.
    let local_ca = loaded
        .config
        .tls_files()
        .and_then(|(cert, _)| {
            let cert = if cert.is_relative() {
                path.parent().unwrap_or(Path::new(".")).join(cert)
            } else {
                cert
            };
            cert.parent().map(|dir| dir.join("ca.crt"))
        })
        .filter(|ca| ca.is_file());
    if !http.host.is_empty() {
        let (scheme, rest) = http.host.split_once("://").unwrap_or(("https", &http.host));
        let authority = rest.split('/').next().unwrap_or(rest);
        let registry = Registry::parse(authority)
            .with_context(|| format!("http.host in {}", path.display()))?;
        return Ok(Some(Target {
            registry,
            plain_http: scheme.eq_ignore_ascii_case("http"),
            local_ca,
        }));
    }
    let Some(addr) = loaded.config.http_addr() else {
        return Ok(None);
    };
    let Some((host, port)) = addr.rsplit_once(':') else {
        bail!(
            "http.addr `{addr}` in {} has no port (expected HOST:PORT or :PORT)",
            path.display()
        );
    };
    let host = match host {
        "" | "0.0.0.0" | "[::]" | "::" => "localhost",
        other => other,
    };
    let registry = Registry::parse(&format!("{host}:{port}"))
        .with_context(|| format!("http.addr in {}", path.display()))?;
    Ok(Some(Target {
        registry,
        plain_http: !has_tls,
        local_ca,
    }))
}

/// A single-threaded runtime: the client's concurrency is I/O-bound and the CLI is short-lived.
///
/// # Errors
/// When the runtime cannot start.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Reads a password from stdin the way `docker login --password-stdin` does (one trailing newline
/// dropped).
///
/// # Errors
/// When stdin cannot be read or is empty.
pub fn password_from_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the password from stdin")?;
    let password = text
        .strip_suffix('\n')
        .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t));
    if password.is_empty() {
        bail!("the password read from stdin is empty");
    }
    Ok(password.to_owned())
}

/// The password for `--user`: stdin with `--password-stdin`, else a prompt on a terminal.
///
/// # Errors
/// Without a terminal and without `--password-stdin`.
pub fn password_for(user: &str, args: &ClientArgs, registry: &Registry) -> anyhow::Result<String> {
    if args.password_stdin {
        return password_from_stdin();
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password for {user}: pass it on stdin with --password-stdin");
    }
    let password = rpassword::prompt_password(format!("Password for {user} at {registry}: "))
        .context("cannot read the password")?;
    if password.is_empty() {
        bail!("the password is empty");
    }
    Ok(password)
}

/// Credentials from `--user`, else from the docker config (helpers included). A broken or
/// missing credential helper is a warning: the registry may not need credentials at all.
///
/// # Errors
/// When a password cannot be read or the docker config is unreadable.
pub fn credentials(
    args: &ClientArgs,
    registry: &Registry,
    printer: &Printer,
) -> anyhow::Result<Option<Credentials>> {
    if let Some(user) = &args.user {
        let password = password_for(user, args, registry)?;
        return Ok(Some(Credentials::Basic {
            username: user.clone(),
            password,
        }));
    }
    let docker = DockerConfig::load_default()?;
    let mut configs = vec![docker];
    for path in containers_auth_files() {
        configs.push(DockerConfig::load(&path)?);
    }
    for config in &configs {
        match config.credentials_for(registry) {
            Ok(Some(credentials)) => {
                printer.detail(format!(
                    "using the credentials for {registry} from {}",
                    config.path().display()
                ));
                return Ok(Some(credentials));
            }
            Ok(None) => {}
            Err(err @ RemoteError::CredentialHelper { .. }) => {
                printer.warn(format!("{err}; continuing without stored credentials"));
                return Ok(None);
            }
            Err(err) => return Err(err.into()),
        }
    }
    printer.detail(format!("no stored credentials for {registry}"));
    Ok(None)
}

/// The containers (podman, skopeo, buildah) credential files, in the order they look them up:
/// `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
/// `~/.config/containers/auth.json`. Their format is docker's `auths` map.
fn containers_auth_files() -> Vec<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut files = Vec::new();
    if let Some(file) = var("REGISTRY_AUTH_FILE") {
        files.push(file);
    }
    if let Some(dir) = var("XDG_RUNTIME_DIR") {
        files.push(dir.join("containers/auth.json"));
    }
    if let Some(home) = var("HOME") {
        files.push(home.join(".config/containers/auth.json"));
    }
    files
}

/// Connects to `target` with the flags and stored credentials.
///
/// # Errors
/// Transport and authentication errors, explained.
pub async fn connect(
    target: &Target,
    args: &ClientArgs,
    credentials: Option<Credentials>,
    printer: &Printer,
) -> anyhow::Result<Client> {
    let ca_file = ca_file_for(target, args);
    match &ca_file {
        Some(path) => printer.detail(format!("trusting the CA in {}", path.display())),
        None => printer.detail("trusting the system CAs only"),
    }
    let options = ClientOptions {
        insecure: args.insecure,
        plain_http: target.plain_http,
        ca_file,
        credentials,
    };
    Ok(Client::connect(target.registry.clone(), options).await?)
}

/// Where docker (and `regctl client-setup`) keep per-registry CAs; `$REGCTL_CERTS_D` overrides
/// it, e.g. for a `client-setup --root` tree or tests.
fn certs_d() -> PathBuf {
    std::env::var_os("REGCTL_CERTS_D")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/etc/docker/certs.d"), PathBuf::from)
}

/// The CA to trust, in order: `--ca-file`, the CA next to the local config's certificate (what
/// `init` made), docker's `certs.d/HOST:PORT/ca.crt` (what `client-setup` wrote).
fn ca_file_for(target: &Target, args: &ClientArgs) -> Option<PathBuf> {
    if let Some(path) = &args.ca_file {
        return Some(path.clone());
    }
    if let Some(path) = &target.local_ca {
        return Some(path.clone());
    }
    let docker = certs_d().join(target.registry.as_str()).join("ca.crt");
    docker.is_file().then_some(docker)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target_of(yaml: &str) -> Option<Target> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        let storage = "storage:\n  filesystem:\n    rootdirectory: /tmp/regctl-test\n";
        std::fs::write(&path, format!("version: 0.1\n{storage}{yaml}")).unwrap();
        local_registry(&path).unwrap()
    }

    #[test]
    fn local_registry_from_addr_and_host() {
        let t = target_of("http:\n  addr: :5000\n").unwrap();
        assert_eq!(t.registry.as_str(), "localhost:5000");
        assert!(t.plain_http);
        let t = target_of(
            "http:\n  addr: 0.0.0.0:443\n  tls:\n    certificate: c.pem\n    key: k.pem\n",
        )
        .unwrap();
        assert_eq!(t.registry.as_str(), "localhost:443");
        assert!(!t.plain_http);
        let t = target_of("http:\n  addr: :5000\n  host: https://reg.example:5000/\n").unwrap();
        assert_eq!(t.registry.as_str(), "reg.example:5000");
        assert!(!t.plain_http);
        assert!(target_of("").is_none());
    }
}
