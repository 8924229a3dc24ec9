//! `regctl init`: asks (or reads from flags) where and how the registry should run, writes its
//! home directory through [`crate::init`], and prints the commands to run next.
//!
//! Every question has a flag. On a terminal the unanswered ones are asked with dialoguer prompts
//! that re-ask until the answer is valid; without one, `--yes` takes the defaults, and anything
//! still missing is an error naming the flags to pass, before anything is read or written.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Password, Select};
use serde::Serialize;
use time::OffsetDateTime;

use super::{GlobalArgs, Printer};
use crate::certs::SubjectName;
use crate::htpasswd;
use crate::init::{self, InitOptions, InitOutcome, InitUser, ListenAddr, NextStep, TlsMode};

/// The user name offered when none is given.
const DEFAULT_USER: &str = "admin";

/// Set up a registry: config.yml, users, certificates and storage in one directory
#[derive(Debug, Args)]
#[command(
    long_about = "Set up a registry in DIR: config.yml (distribution's schema, commented), \
auth/htpasswd with a first user, certs/ (a private CA and server certificate, Let's Encrypt, or \
your own files), data/ for the images and, with --systemd, a service unit.\n\n\
On a terminal it asks each question it has no flag for. Without a terminal, pass every answer \
as a flag or --yes to accept the defaults; a missing answer is an error naming its flag. \
Everything is written at once or not at all. A DIR that already has a config.yml is refused \
unless --force is given; existing users, the CA and stored images are always kept.",
    after_help = "Examples:\n  regctl init\n  printf '%s\\n' \"$PASSWORD\" | regctl init /srv/registry \\\n      --host 192.168.0.106 --tls self-signed --user abc --password-stdin \\\n      --yes\n  regctl init ./registry --host registry.example.com --tls acme \\\n      --email ops@example.com --user admin --systemd\n  regctl init ./registry --addr 127.0.0.1:5000 --tls none --no-auth --yes\n  regctl init ./registry --host registry.example.com --tls self-signed \\\n      --public-url https://registry.example.com --user admin\n  regctl init ./registry --host registry.lan --tls files \\\n      --tls-cert /etc/ssl/registry.crt --tls-key /etc/ssl/registry.key \\\n      --user admin"
)]
pub struct InitArgs {
    /// The registry's directory (created if missing)
    #[arg(value_name = "DIR", default_value = "registry")]
    pub dir: PathBuf,
    /// Address and port to listen on [default: 0.0.0.0:5000; 127.0.0.1:5000 for loopback hosts; port 443 with ACME]
    #[arg(long, value_name = "IP:PORT", value_parser = parse_addr)]
    pub addr: Option<ListenAddr>,
    /// Host name or IP clients use: put in the certificate and the printed commands (repeat for several; the first is the main one) [default: 127.0.0.1 with a loopback --addr, else this machine's address]
    #[arg(long = "host", value_name = "HOST", value_parser = parse_host)]
    pub hosts: Vec<SubjectName>,
    /// Write http.host: the one URL every upload Location names. Only for a registry behind a proxy or NAT that rewrites addresses; without it Locations follow the address each client used
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// TLS: a private CA, Let's Encrypt, existing files, or plain HTTP [default: self-signed]
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsChoice>,
    /// Certificate chain (PEM) for --tls files
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls files
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Contact e-mail for the Let's Encrypt account (--tls acme)
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// First user of the htpasswd file [default: admin]
    #[arg(long, value_name = "NAME", conflicts_with = "no_auth")]
    pub user: Option<String>,
    /// Read the user's password from the first line of stdin
    #[arg(long, conflicts_with = "no_auth")]
    pub password_stdin: bool,
    /// No authentication: anyone who can connect can push and pull
    #[arg(long)]
    pub no_auth: bool,
    /// Allow deleting images over the API (`--delete` or `--delete=false`) [default: false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          require_equals = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub delete: Option<bool>,
    /// Where the images are stored [default: DIR/data]
    #[arg(long, value_name = "DIR")]
    pub storage: Option<PathBuf>,
    /// Also write DIR/regctl.service, a hardened systemd unit running `regctl serve`
    #[arg(long)]
    pub systemd: bool,
    /// Replace an existing DIR/config.yml (kept as a backup) and reset an existing user's password
    #[arg(long)]
    pub force: bool,
    /// Accept the default for every question not answered by a flag
    #[arg(short = 'y', long)]
    pub yes: bool,
}

/// `--tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsChoice {
    /// Plain HTTP (clients must list the registry as insecure)
    None,
    /// A private CA and a server certificate signed by it
    SelfSigned,
    /// Let's Encrypt, obtained by `regctl serve` (public DNS name, port 443 reachable)
    Acme,
    /// An existing certificate and key (--tls-cert, --tls-key)
    Files,
}

fn parse_addr(input: &str) -> Result<ListenAddr, String> {
    input
        .parse()
        .map_err(|err: crate::listen_addr::ListenAddrError| err.to_string())
}

fn parse_host(input: &str) -> Result<SubjectName, String> {
    init::parse_host(input).map_err(|err| err.to_string())
}

/// `-o json`.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    outcome: &'a InitOutcome,
    next_steps: &'a [NextStep],
}

pub fn run(args: &InitArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    // Refuse before asking anything: nobody should answer ten questions to learn that.
    init::check_target(&args.dir, args.force)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !interactive {
        let missing = missing_flags(args);
        if !missing.is_empty() && args.yes {
            // --yes was given: what is left has no default, so say which flags supply it.
            bail!(
                "--yes takes the defaults, but {} {} none: pass {}",
                missing
                    .iter()
                    .map(|(what, _)| *what)
                    .collect::<Vec<_>>()
                    .join(", "),
                if missing.len() == 1 { "has" } else { "have" },
                missing
                    .iter()
                    .map(|(_, flag)| *flag)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if !missing.is_empty() {
            bail!(
                "no terminal to ask on, and no answer for: {} (pass {}, or --yes to accept the defaults)",
                missing.iter().map(|(what, _)| *what).collect::<Vec<_>>().join(", "),
                missing.iter().map(|(_, flag)| *flag).collect::<Vec<_>>().join(", "),
            );
        }
    }
    let prompts = Prompts {
        interactive,
        yes: args.yes,
        theme: ColorfulTheme::default(),
    };
    let opts = ask(args, &prompts)?;
    let now = OffsetDateTime::now_utc();
    // Warnings and refusals before the last confirmation, so the operator sees them in time.
    let warnings = init::check_options(&opts, now)?;
    for warning in &warnings {
        printer.warn(warning);
    }
    if interactive && !args.yes && !prompts.confirm_write(&opts)? {
        bail!("nothing was written");
    }
    let outcome = init::init(&opts, now)
        .with_context(|| format!("cannot set up a registry in {}", args.dir.display()))?;
    let steps = init::next_steps(&outcome);
    if printer.is_json() {
        return printer.json(&Report {
            outcome: &outcome,
            next_steps: &steps,
        });
    }
    report(&outcome, &steps, printer)
}

/// The questions that have no flag and no usable default, when nobody can be asked.
fn missing_flags(args: &InitArgs) -> Vec<(&'static str, &'static str)> {
    let mut missing = Vec::new();
    let mut need = |what, flag, answered: bool, has_default: bool| {
        if !(answered || args.yes && has_default) {
            missing.push((what, flag));
        }
    };
    need("public host", "--host HOST", !args.hosts.is_empty(), true);
    need("TLS", "--tls MODE", args.tls.is_some(), true);
    need(
        "listen address",
        "--addr IP:PORT",
        args.addr.is_some(),
        true,
    );
    let auth_answered = args.no_auth || args.user.is_some() || args.password_stdin;
    need(
        "authentication",
        "--user NAME or --no-auth",
        auth_answered,
        true,
    );
    need("deletes", "--delete[=BOOL]", args.delete.is_some(), true);
    need("storage", "--storage DIR", args.storage.is_some(), true);
    match args.tls {
        Some(TlsChoice::Acme) => need("ACME e-mail", "--email EMAIL", args.email.is_some(), false),
        Some(TlsChoice::Files) => {
            need(
                "certificate",
                "--tls-cert FILE",
                args.tls_cert.is_some(),
                false,
            );
            need(
                "private key",
                "--tls-key FILE",
                args.tls_key.is_some(),
                false,
            );
        }
        _ => {}
    }
    if !args.no_auth {
        need(
            "password",
            "--password-stdin (or --no-auth for a registry without users)",
            args.password_stdin,
            false,
        );
    }
    missing
}

/// dialoguer prompts, used only for questions without a flag.
struct Prompts {
    interactive: bool,
    yes: bool,
    theme: ColorfulTheme,
}

impl Prompts {
    /// Whether to ask a question that has a default (not with --yes, not without a terminal).
    fn asks(&self) -> bool {
        self.interactive && !self.yes
    }

    fn input<T>(
        &self,
        prompt: &str,
        default: String,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> anyhow::Result<T> {
        let text: String = Input::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default)
            .validate_with(|text: &String| parse(text).map(|_| ()))
            .interact_text()
            .context("cannot read the answer from the terminal")?;
        parse(&text).map_err(anyhow::Error::msg)
    }

    fn select(&self, prompt: &str, items: &[&str], default: usize) -> anyhow::Result<usize> {
        Select::with_theme(&self.theme)
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact()
            .context("cannot read the answer from the terminal")
    }

    fn confirm(&self, prompt: &str, default: bool) -> anyhow::Result<bool> {
        Confirm::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default)
            .interact()
            .context("cannot read the answer from the terminal")
    }

    fn password(&self, user: &str) -> anyhow::Result<Vec<u8>> {
        let password = Password::with_theme(&self.theme)
            .with_prompt(format!("Password for {user}"))
            .with_confirmation("Repeat the password", "the passwords do not match")
            // Let the validator, not dialoguer's silent re-prompt, explain an empty password.
            .allow_empty_password(true)
            .validate_with(|text: &String| {
                htpasswd::validate_password(text.as_bytes()).map_err(|err| err.to_string())
            })
            .interact()
            .context("cannot read the password from the terminal")?;
        Ok(password.into_bytes())
    }

    fn confirm_write(&self, opts: &InitOptions) -> anyhow::Result<bool> {
        self.confirm(
            &format!(
                "Write the registry to {}?",
                std::path::absolute(&opts.dir)
                    .unwrap_or_else(|_| opts.dir.clone())
                    .display()
            ),
            true,
        )
    }
}

/// Fills [`InitOptions`] from flags, then defaults (`--yes`) or prompts.
fn ask(args: &InitArgs, prompts: &Prompts) -> anyhow::Result<InitOptions> {
    // Listening on loopback only: this machine is the only client, so name it as it reaches itself.
    let default_host = match args.addr {
        Some(addr) if addr.is_loopback() => SubjectName::Ip(
            addr.ip
                .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        ),
        _ => init::default_host(),
    };
    let hosts = if !args.hosts.is_empty() {
        args.hosts.clone()
    } else if prompts.asks() {
        prompts.input(
            "Public host name or IP clients use (several: comma-separated)",
            default_host.to_string(),
            parse_host_list,
        )?
    } else {
        vec![default_host]
    };

    let tls_choice = match args.tls {
        Some(choice) => choice,
        None if prompts.asks() => {
            let choices = [
                (
                    TlsChoice::SelfSigned,
                    "self-signed: a private CA; clients install its ca.crt",
                ),
                (
                    TlsChoice::Acme,
                    "acme: Let's Encrypt; needs a public DNS name and port 443 reachable",
                ),
                (TlsChoice::Files, "files: an existing certificate and key"),
                (
                    TlsChoice::None,
                    "none: plain HTTP; clients must allow it as insecure",
                ),
            ];
            let labels: Vec<&str> = choices.iter().map(|(_, label)| *label).collect();
            choices[prompts.select("TLS", &labels, 0)?].0
        }
        None => TlsChoice::SelfSigned,
    };
    let tls = match tls_choice {
        TlsChoice::None => TlsMode::None,
        TlsChoice::SelfSigned => TlsMode::SelfSigned,
        TlsChoice::Acme => TlsMode::Acme {
            email: match &args.email {
                Some(email) => email.clone(),
                None => needed(prompts, "--email EMAIL", || {
                    prompts.input("E-mail for Let's Encrypt notices", String::new(), |text| {
                        let text = text.trim();
                        if text.contains('@') && !text.contains(char::is_whitespace) {
                            Ok(text.to_owned())
                        } else {
                            Err("enter an e-mail address such as ops@example.com".to_owned())
                        }
                    })
                })?,
            },
        },
        TlsChoice::Files => TlsMode::Files {
            certificate: match &args.tls_cert {
                Some(path) => path.clone(),
                None => needed(prompts, "--tls-cert FILE", || {
                    prompts.input("Certificate chain file (PEM)", String::new(), existing_file)
                })?,
            },
            key: match &args.tls_key {
                Some(path) => path.clone(),
                None => needed(prompts, "--tls-key FILE", || {
                    prompts.input("Private key file (PEM)", String::new(), existing_file)
                })?,
            },
        },
    };

    if let TlsMode::Files { certificate, key } = &tls {
        // Check the pair now, not after every other question.
        init::check_tls_files(certificate, key, &hosts, OffsetDateTime::now_utc())?;
    }
    let default_addr = init::default_addr(&hosts, &tls);
    let addr = match args.addr {
        Some(addr) => addr,
        None if prompts.asks() => prompts.input(
            "Listen address and port (0.0.0.0 = every network, 127.0.0.1 = this machine only)",
            default_addr.to_string(),
            |text| parse_addr(text.trim()),
        )?,
        None => default_addr,
    };

    let auth = if args.no_auth {
        false
    } else if args.user.is_some() || args.password_stdin || !prompts.asks() {
        true
    } else {
        prompts.select(
            "Authentication",
            &[
                "htpasswd: a user name and password",
                "none: anyone who can connect can push and pull",
            ],
            0,
        )? == 0
    };
    let user = if auth {
        let name = match &args.user {
            Some(name) => {
                htpasswd::validate_user(name)?;
                name.clone()
            }
            None if prompts.asks() => {
                prompts.input("User name", DEFAULT_USER.to_owned(), |text| {
                    htpasswd::validate_user(text)
                        .map(|()| text.to_owned())
                        .map_err(|err| err.to_string())
                })?
            }
            None => DEFAULT_USER.to_owned(),
        };
        let password = if args.password_stdin {
            let password = read_stdin_password()?;
            htpasswd::validate_password(&password)
                .with_context(|| format!("cannot use the password read from stdin for {name}"))?;
            password
        } else {
            needed(prompts, "--password-stdin", || prompts.password(&name))?
        };
        Some(InitUser { name, password })
    } else {
        None
    };

    let delete = match args.delete {
        Some(delete) => delete,
        None if prompts.asks() => prompts.confirm(
            "Allow deleting images over the API (space is reclaimed by garbage collection)?",
            false,
        )?,
        None => false,
    };

    let storage = match &args.storage {
        Some(path) => Some(path.clone()),
        None if prompts.asks() => {
            let default = std::path::absolute(&args.dir)
                .unwrap_or_else(|_| args.dir.clone())
                .join(init::DATA_DIR);
            let chosen = prompts.input(
                "Where to store the images",
                default.display().to_string(),
                |text| {
                    if text.trim().is_empty() {
                        Err("enter a directory".to_owned())
                    } else {
                        Ok(PathBuf::from(text.trim()))
                    }
                },
            )?;
            (chosen != default).then_some(chosen)
        }
        None => None,
    };

    let systemd_exe = if args.systemd {
        Some(
            std::env::current_exe()
                .context("cannot find the path of the regctl executable for the systemd unit")?,
        )
    } else {
        None
    };
    Ok(InitOptions {
        dir: args.dir.clone(),
        addr,
        hosts,
        tls,
        user,
        delete,
        storage,
        systemd_exe,
        force: args.force,
        public_url: args.public_url.clone(),
    })
}

/// An answer without a default: asked on a terminal (even with --yes), an error otherwise.
fn needed<T>(
    prompts: &Prompts,
    flag: &str,
    ask: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    if prompts.interactive {
        ask()
    } else {
        bail!("no terminal to ask on: pass {flag}")
    }
}

fn parse_host_list(text: &str) -> Result<Vec<SubjectName>, String> {
    let mut hosts: Vec<SubjectName> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let host = parse_host(part)?;
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    if hosts.is_empty() {
        return Err("enter at least one host name or IP address".to_owned());
    }
    Ok(hosts)
}

fn existing_file(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text.trim());
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} is not a readable file", path.display()))
    }
}

/// The first line of stdin without its terminator; spaces are part of the password.
fn read_stdin_password() -> anyhow::Result<Vec<u8>> {
    let mut line = Vec::new();
    std::io::stdin()
        .lock()
        .read_until(b'\n', &mut line)
        .context("cannot read the password from stdin")?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(line)
}

fn report(outcome: &InitOutcome, steps: &[NextStep], printer: Printer) -> anyhow::Result<()> {
    printer.info(format!(
        "created the registry in {}:",
        outcome.dir.display()
    ));
    printer.info(format!("  config      {}", outcome.config.display()));
    if let (Some(path), Some(user)) = (&outcome.htpasswd, &outcome.user) {
        let what = if outcome.user_password_reset {
            "password reset"
        } else {
            "added"
        };
        printer.info(format!(
            "  users       {} (user {user} {what})",
            path.display()
        ));
    }
    match (outcome.tls, &outcome.ca_certificate) {
        ("self-signed", Some(ca)) => printer.info(format!(
            "  TLS         {} signed by {} ({})",
            display_opt(outcome.certificate.as_deref()),
            ca.display(),
            if outcome.ca_reused {
                "existing CA kept"
            } else {
                "new CA"
            }
        )),
        ("acme", _) => printer.info(format!(
            "  TLS         Let's Encrypt, obtained by `regctl serve` into {}",
            display_opt(outcome.certificate.as_deref())
        )),
        ("files", _) => printer.info(format!(
            "  TLS         {} and {}",
            display_opt(outcome.certificate.as_deref()),
            display_opt(outcome.key.as_deref())
        )),
        _ => printer.info("  TLS         none (plain HTTP)"),
    }
    printer.info(format!(
        "  storage     {}{}",
        outcome.storage.display(),
        if outcome.storage_created {
            ""
        } else {
            " (existing, untouched)"
        }
    ));
    if let Some(url) = &outcome.http_host {
        printer.info(format!(
            "  http.host   {url} (every upload Location names it)"
        ));
    }
    printer.info(format!(
        "  listening   {} as {} (deletes {})",
        outcome.addr,
        outcome.url,
        if outcome.delete {
            "enabled"
        } else {
            "disabled"
        }
    ));
    if let Some(unit) = &outcome.systemd_unit {
        printer.info(format!("  service     {}", unit.display()));
    }
    if let Some(backup) = &outcome.config_backup {
        printer.info(format!("  old config  kept as {}", backup.display()));
    }
    printer.line("")?;
    for step in steps {
        printer.line(&step.what)?;
        for command in &step.commands {
            printer.line(format!("  {command}"))?;
        }
    }
    Ok(())
}

fn display_opt(path: Option<&Path>) -> String {
    path.map_or_else(|| "-".to_owned(), |p| p.display().to_string())
}
