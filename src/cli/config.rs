//! `regctl config generate|validate|show`: distribution's config.yml, written, checked and shown
//! after `REGISTRY_*` overrides.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};

use super::{GlobalArgs, Printer};
use crate::config::{self, Diagnostic, GenerateOptions};

/// Generate, validate and show the registry config (distribution's config.yml)
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl config generate --htpasswd /etc/regctl/htpasswd --file config.yml\n  regctl config validate -c config.yml\n  regctl config set storage.delete.enabled true -c config.yml\n  REGISTRY_HTTP_ADDR=0.0.0.0:5000 regctl config show -v"
)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    Generate(GenerateArgs),
    Validate(ValidateArgs),
    Show(ShowArgs),
    Set(SetArgs),
    Unset(UnsetArgs),
}

/// Set one key of config.yml in place, keeping its comments and layout
#[derive(Debug, Args)]
#[command(
    long_about = "Set one key of config.yml in place, keeping its comments and layout.\n\n\
KEY is a dotted path (storage.delete.enabled); missing sections are created. VALUE is a YAML \
scalar (true, 168h, 0.0.0.0:5000, 'a quoted string') or a one-line [list]. The edited file is \
checked as `regctl config validate` checks it and written (atomically, keeping its mode) only \
when valid; otherwise the problems are printed and nothing is written. Files using YAML the \
editor cannot change safely (flow mappings, anchors, multi-line values) are refused.",
    after_help = "Examples:\n  regctl config set storage.delete.enabled true\n  regctl config set http.addr 0.0.0.0:5000 -c /etc/regctl/config.yml\n  regctl config set storage.maintenance.readonly.enabled true --dry-run"
)]
pub struct SetArgs {
    /// Dotted key path, e.g. storage.delete.enabled
    pub key: String,
    /// YAML scalar, e.g. true, 168h, 'text'
    pub value: String,
    /// Print the change as a unified diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Remove one key (and what is nested under it) from config.yml, keeping the rest as written
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl config unset http.host\n  regctl config unset http.tls -c config.yml --dry-run"
)]
pub struct UnsetArgs {
    /// Dotted key path, e.g. http.host
    pub key: String,
    /// Print the change as a unified diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Write a commented config.yml that registry:2 and regctl both accept
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl config generate > config.yml\n  regctl config generate --addr 0.0.0.0:5000 --root /srv/registry --delete \\\n      --file config.yml\n  regctl config generate --htpasswd auth/htpasswd \\\n      --tls-cert certs/server.crt --tls-key certs/server.key \\\n      --host registry.example.com:5000 --file config.yml --force"
)]
pub struct GenerateArgs {
    /// Address to listen on (http.addr); 0.0.0.0:PORT serves the network
    #[arg(long, value_name = "HOST:PORT", default_value = config::DEFAULT_ADDR)]
    pub addr: String,
    /// Storage directory (storage.filesystem.rootdirectory)
    #[arg(long, value_name = "DIR", default_value = config::DEFAULT_ROOT_DIRECTORY)]
    pub root: PathBuf,
    /// Require basic authentication against this htpasswd file (auth.htpasswd.path)
    #[arg(long, value_name = "FILE")]
    pub htpasswd: Option<PathBuf>,
    /// Realm clients show when asking for a password (auth.htpasswd.realm)
    #[arg(long, default_value = config::DEFAULT_REALM, requires = "htpasswd")]
    pub realm: String,
    /// Serve HTTPS with this PEM certificate (http.tls.certificate)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key of --tls-cert, PEM (http.tls.key)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow deleting manifests and blobs (storage.delete.enabled)
    #[arg(long)]
    pub delete: bool,
    /// URL or HOST[:PORT] clients reach the registry at (http.host)
    #[arg(long, value_name = "URL")]
    pub host: Option<String>,
    /// Write to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long, requires = "file")]
    pub force: bool,
}

/// Check a config and report every problem at once, each with its key path
#[derive(Debug, Args)]
#[command(
    long_about = "Check a config and report every problem at once, each with its key path.\n\n\
Checks what distribution checks when it starts (version, types, durations, one storage driver, \
one auth method, REGISTRY_* variables) and what it would trip over later: unknown keys (which \
registry:2 silently ignores), listen addresses, htpasswd, certificate and key files and whether \
the key matches the certificate, and whether the storage directory is writable. Relative paths \
are resolved against the current directory, as registry:2 does.\n\nExits 0 when the config is \
valid (warnings allowed), 1 otherwise.",
    after_help = "Examples:\n  regctl config validate\n  regctl config validate /etc/docker/registry/config.yml\n  REGISTRY_AUTH=htpasswd regctl config validate -c config.yml -o json"
)]
pub struct ValidateArgs {
    /// Config file (default: --config, $REGCTL_CONFIG, $REGISTRY_CONFIGURATION_PATH, ./config.yml)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Print the effective config: the file after REGISTRY_* overrides and defaults
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl config show\n  REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/srv/registry \\\n      regctl config show -v\n  regctl config show -c /etc/docker/registry/config.yml -o json"
)]
pub struct ShowArgs {
    /// Config file (default: --config, $REGCTL_CONFIG, $REGISTRY_CONFIGURATION_PATH, ./config.yml)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

pub fn run(args: &ConfigArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    match &args.command {
        ConfigCommand::Generate(args) => generate(args, &printer),
        ConfigCommand::Validate(args) => validate(args, global, &printer),
        ConfigCommand::Show(args) => show(args, global, &printer),
        ConfigCommand::Set(args) => edit(
            config::Change::Set(&args.key, &args.value),
            args.dry_run,
            global,
            &printer,
        ),
        ConfigCommand::Unset(args) => edit(
            config::Change::Unset(&args.key),
            args.dry_run,
            global,
            &printer,
        ),
    }
}

fn config_path(file: Option<&Path>, global: &GlobalArgs) -> PathBuf {
    config::resolve_path(file.or(global.config.as_deref()))
}

/// Paths in the config are resolved by the registry against its working directory; writing them
/// absolute keeps the config valid wherever the registry is started from.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

fn generate(args: &GenerateArgs, printer: &Printer) -> anyhow::Result<()> {
    if let Err(reason) = config::parse_listen_addr(&args.addr) {
        bail!("--addr {:?} is not a listen address: {reason}", args.addr);
    }
    let opts = GenerateOptions {
        addr: args.addr.clone(),
        root: absolute(&args.root)?,
        htpasswd: args.htpasswd.as_deref().map(absolute).transpose()?,
        realm: args.realm.clone(),
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some((absolute(cert)?, absolute(key)?)),
            _ => None,
        },
        delete: args.delete,
        host: args.host.clone(),
        letsencrypt: None,
    };
    let text = config::generate(&opts);
    let Some(file) = &args.file else {
        return super::output::write_stdout(text.as_bytes());
    };
    if file.exists() && !args.force {
        bail!(
            "{} already exists (use --force to replace it)",
            file.display()
        );
    }
    crate::fsutil::atomic_write(file, text.as_bytes(), None)
        .with_context(|| format!("cannot write {}", file.display()))?;
    printer.info(format!(
        "wrote {}; check it with `regctl config validate -c {}`",
        file.display(),
        file.display()
    ));
    Ok(())
}

#[derive(serde::Serialize)]
struct ValidationReport<'a> {
    file: String,
    valid: bool,
    diagnostics: &'a [Diagnostic],
}

fn validate(args: &ValidateArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<()> {
    let path = config_path(args.file.as_deref(), global);
    let diagnostics = config::check(&path, &config::process_env());
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if printer.is_json() {
        printer.json(&ValidationReport {
            file: path.display().to_string(),
            valid: errors == 0,
            diagnostics: &diagnostics,
        })?;
    } else {
        for diagnostic in &diagnostics {
            printer.line(diagnostic.to_string())?;
        }
    }
    if errors > 0 {
        bail!(
            "{} has {errors} problem{}",
            path.display(),
            if errors == 1 { "" } else { "s" }
        );
    }
    if let Ok(loaded) = config::load(&path) {
        for (key, why) in config::without_effect(&loaded.config) {
            printer.detail(format!(
                "{key}: accepted without effect in regctl serve: {why}"
            ));
        }
    }
    printer.info(format!("{} is valid", path.display()));
    Ok(())
}

/// `config set` / `config unset`: edit, check as `config validate` does, then write or diff.
fn edit(
    change: config::Change<'_>,
    dry_run: bool,
    global: &GlobalArgs,
    printer: &Printer,
) -> anyhow::Result<()> {
    let path = config_path(None, global);
    if !path.exists() {
        bail!(
            "{} does not exist (create it with `regctl config generate --file {}` or \
             `regctl init`, or pass -c PATH)",
            path.display(),
            path.display()
        );
    }
    let edited = config::edit_file(&path, &[change], &config::process_env())?;
    if dry_run {
        super::output::write_stdout(edited.diff().as_bytes())?;
    }
    for diagnostic in &edited.diagnostics {
        printer.line(diagnostic.to_string())?;
    }
    let errors = edited.errors().count();
    if errors > 0 {
        bail!(
            "not written: {} would have {errors} problem{} after `{change}` (see above; \
             `regctl config validate` shows the file's current state)",
            path.display(),
            if errors == 1 { "" } else { "s" }
        );
    }
    if dry_run {
        printer.info(format!("dry run: {} not changed", path.display()));
        return Ok(());
    }
    if edited.after == edited.before {
        printer.info(format!(
            "{} already has that; nothing to change",
            path.display()
        ));
        return Ok(());
    }
    edited.write()?;
    printer.info(format!(
        "{change} in {}; restart `regctl serve` for it to take effect",
        path.display()
    ));
    Ok(())
}

fn show(args: &ShowArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<()> {
    let path = config_path(args.file.as_deref(), global);
    let loaded = config::load(&path)?;
    for warning in &loaded.warnings {
        printer.warn(warning);
    }
    if printer.is_json() {
        printer.json(&loaded.config)?;
    } else {
        let text = serde_yaml::to_string(&loaded.config).context("cannot render the config")?;
        super::output::write_stdout(text.as_bytes())?;
    }
    if loaded.overrides.is_empty() {
        printer.detail(format!("{}: no REGISTRY_* overrides", path.display()));
    } else {
        printer.detail(format!("{}, overridden by:", path.display()));
        for applied in &loaded.overrides {
            printer.detail(format!("  {} set {}", applied.var, applied.path));
        }
    }
    Ok(())
}
