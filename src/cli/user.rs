//! `regctl user`: the registry's users, kept in an htpasswd file (bcrypt, as registry:2 requires).
//!
//! Passwords come from a terminal prompt or one line of stdin, never from an argument, so they do
//! not end up in the process list or the shell history.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand};

use super::{GlobalArgs, Printer};
use crate::htpasswd::{self, Entry, HashScheme, Htpasswd, BCRYPT_COSTS, DEFAULT_BCRYPT_COST};

/// The environment variable registry:2 reads the htpasswd path from, over the config file.
const HTPASSWD_PATH_ENV: &str = "REGISTRY_AUTH_HTPASSWD_PATH";

/// Manage registry users in the htpasswd file
#[derive(Debug, Args)]
#[command(
    long_about = "Manage registry users in the htpasswd file.\n\n\
The file is --htpasswd FILE, else $REGISTRY_AUTH_HTPASSWD_PATH, else auth.htpasswd.path of the \
config (-c/--config, default ./config.yml). New entries are bcrypt ($2y$), the only scheme \
registry:2 accepts; other lines of the file are kept exactly as they are.",
    after_help = "Examples:\n  regctl user add alice --htpasswd auth/htpasswd\n  printf '%s\\n' \"$CI_PASSWORD\" | regctl user add ci-bot --password-stdin \\\n      -c config.yml\n  regctl user list -o json\n  regctl user passwd alice\n  regctl user remove bob"
)]
pub struct UserArgs {
    /// htpasswd file to use instead of the one the config names
    #[arg(long, global = true, value_name = "FILE")]
    pub htpasswd: Option<PathBuf>,
    /// Group file (Apache AuthGroupFile) instead of the one the access policy names
    #[arg(long, global = true, value_name = "FILE")]
    pub groups_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    Add(AddArgs),
    List(ListArgs),
    Passwd(PasswdArgs),
    Remove(RemoveArgs),
    Verify(VerifyArgs),
}

/// Where the password comes from.
#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Read the password from the first line of stdin instead of prompting
    #[arg(long)]
    pub password_stdin: bool,
}

/// Add a user (the htpasswd file is created, mode 0600, if it does not exist)
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl user add alice --htpasswd auth/htpasswd\n  printf '%s\\n' \"$CI_PASSWORD\" | regctl user add ci-bot --password-stdin\n  regctl user add alice --cost 12\n  regctl user add ci --group ci --group readers"
)]
pub struct AddArgs {
    /// The user name (no ':', whitespace or control characters)
    pub user: String,
    /// Also add the user to this group of the access policy's group file (repeatable)
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,
    #[command(flatten)]
    pub password: PasswordSource,
    /// bcrypt cost: each step doubles the work of hashing and of every login
    #[arg(long, value_name = "4..31", default_value_t = DEFAULT_BCRYPT_COST,
          value_parser = clap::value_parser!(u32).range(i64::from(*BCRYPT_COSTS.start())..=i64::from(*BCRYPT_COSTS.end())))]
    pub cost: u32,
}

/// List users, their hash scheme and whether registry:2 accepts them
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl user list\n  regctl user list --htpasswd /etc/nginx/htpasswd\n  regctl user list -o json \\\n      | jq -r '.[] | select(.registry_compatible | not) | .user'"
)]
pub struct ListArgs {}

/// Set a user's password (no old password needed: whoever can write the file can change it)
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl user passwd alice\n  printf '%s\\n' \"$NEW_PASSWORD\" | regctl user passwd alice \\\n      --password-stdin --cost 12"
)]
pub struct PasswdArgs {
    /// The user whose password to set
    pub user: String,
    #[command(flatten)]
    pub password: PasswordSource,
    /// bcrypt cost: each step doubles the work of hashing and of every login
    #[arg(long, value_name = "4..31", default_value_t = DEFAULT_BCRYPT_COST,
          value_parser = clap::value_parser!(u32).range(i64::from(*BCRYPT_COSTS.start())..=i64::from(*BCRYPT_COSTS.end())))]
    pub cost: u32,
}

/// Remove a user (every entry of that name)
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl user remove bob\n  regctl user remove bob --htpasswd auth/htpasswd"
)]
pub struct RemoveArgs {
    /// The user to remove
    pub user: String,
}

/// Check a user's password: exit 0 if it is correct, 1 if not
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl user verify alice\n  printf '%s\\n' \"$PASSWORD\" | regctl user verify alice --password-stdin && \\\n      echo ok"
)]
pub struct VerifyArgs {
    /// The user whose password to check
    pub user: String,
    #[command(flatten)]
    pub password: PasswordSource,
}

/// One row of `regctl user list -o json`.
#[derive(Debug, serde::Serialize)]
struct UserRow<'a> {
    user: &'a str,
    #[serde(flatten)]
    scheme: HashScheme,
    registry_compatible: bool,
    /// With a group file: the groups the user is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<String>>,
}

pub fn run(args: &UserArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let path = htpasswd_path(args.htpasswd.as_deref(), global)?;
    printer.detail(format!("htpasswd file: {}", path.display()));
    let groups = groups_path(args.groups_file.as_deref(), global);
    match &args.command {
        UserCommand::Add(add) => run_add(add, &path, groups, printer),
        UserCommand::List(_) => run_list(&path, groups.ok(), printer),
        UserCommand::Passwd(passwd) => run_passwd(passwd, &path, printer),
        UserCommand::Remove(remove) => run_remove(remove, &path, groups.ok(), printer),
        UserCommand::Verify(verify) => run_verify(verify, &path, printer),
    }
}

/// The group file: `--groups-file`, else the one the config's access policy names.
fn groups_path(explicit: Option<&Path>, global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    let policy = super::access::policy_path(None, global)?;
    Ok(super::access::load_policy(&policy)?.group_file().to_owned())
}

fn run_add(
    args: &AddArgs,
    path: &Path,
    groups: anyhow::Result<PathBuf>,
    printer: Printer,
) -> anyhow::Result<()> {
    let user = args.user.as_str();
    let context = || format!("cannot add user {user} to {}", path.display());
    // Refuse before prompting: nobody should type a password twice to then learn the name is taken.
    htpasswd::validate_user(user).with_context(context)?;
    let groups = if args.group.is_empty() {
        None
    } else {
        for group in &args.group {
            crate::access::groups::validate_group(group).with_context(context)?;
        }
        Some(groups.context(
            "--group needs a group file: pass --groups-file FILE, or set auth.htpasswd.policy in the config",
        )?)
    };
    let current = Htpasswd::load_or_empty(path).with_context(context)?;
    warn_about_malformed_lines(&current, path, printer);
    if current.get(user).is_some() {
        return Err(anyhow::Error::new(htpasswd::HtpasswdError::UserExists {
            user: user.to_owned(),
        }))
        .with_context(context);
    }
    let password = read_new_password(&args.password).with_context(context)?;
    htpasswd::edit(path, |file| file.add(user, &password, args.cost)).with_context(context)?;
    printer.info(format!(
        "added user {user} to {} (bcrypt, cost {})",
        path.display(),
        args.cost
    ));
    if let Some(groups) = groups {
        crate::access::groups::edit(&groups, |file| {
            for group in &args.group {
                file.add_member(group, user)?;
            }
            Ok(())
        })
        .with_context(|| format!("cannot add {user} to its groups in {}", groups.display()))?;
        printer.info(format!(
            "added {user} to group {} in {}",
            args.group.join(", "),
            groups.display()
        ));
    }
    Ok(())
}

fn run_passwd(args: &PasswdArgs, path: &Path, printer: Printer) -> anyhow::Result<()> {
    let user = args.user.as_str();
    let context = || {
        format!(
            "cannot set the password of user {user} in {}",
            path.display()
        )
    };
    let current = Htpasswd::load(path).with_context(context)?;
    warn_about_malformed_lines(&current, path, printer);
    existing_entry(&current, user).with_context(context)?;
    let password = read_new_password(&args.password).with_context(context)?;
    htpasswd::edit(path, |file| file.set_password(user, &password, args.cost))
        .with_context(context)?;
    printer.info(format!(
        "set the password of {user} in {} (bcrypt, cost {})",
        path.display(),
        args.cost
    ));
    Ok(())
}

fn run_remove(
    args: &RemoveArgs,
    path: &Path,
    groups: Option<PathBuf>,
    printer: Printer,
) -> anyhow::Result<()> {
    let user = args.user.as_str();
    let context = || format!("cannot remove user {user} from {}", path.display());
    // Loading first turns a missing file into "cannot read" instead of creating an empty one.
    let current = Htpasswd::load(path).with_context(context)?;
    warn_about_malformed_lines(&current, path, printer);
    if current.get(user).is_none() {
        // Name the users there are: a typo is the likely cause, and adding is not the cure.
        return Err(missing_user(&current, user, false)).with_context(context);
    }
    let removed = htpasswd::edit(path, |file| file.remove(user)).with_context(context)?;
    let entries = if removed == 1 {
        String::new()
    } else {
        format!(" ({removed} entries)")
    };
    printer.info(format!(
        "removed user {user} from {}{entries}",
        path.display()
    ));
    if let Some(groups) = groups.filter(|g| g.exists()) {
        let left = crate::access::groups::edit(&groups, |file| Ok(file.remove_member(user)))
            .with_context(|| format!("cannot remove {user} from {}", groups.display()))?;
        if !left.is_empty() {
            printer.info(format!(
                "removed {user} from group {} in {}",
                left.join(", "),
                groups.display()
            ));
        }
    }
    let left = Htpasswd::load(path).with_context(context)?;
    if left.entries().next().is_none() {
        printer.warn(format!(
            "{} has no users left: nobody can log in to a registry that uses it; add one with `regctl user add NAME --htpasswd {}`",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

/// "no such user", naming the users the file has (and, when it helps, how to create one).
fn missing_user(file: &Htpasswd, user: &str, suggest_add: bool) -> anyhow::Error {
    let mut names: Vec<&str> = file.entries().map(|e| e.user.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let existing = if names.is_empty() {
        "the file has no users".to_owned()
    } else {
        format!("its users are: {}", names.join(", "))
    };
    let add = if suggest_add {
        format!("; to create it: regctl user add {user}")
    } else {
        String::new()
    };
    anyhow::anyhow!("user {user} does not exist ({existing}{add})")
}

fn run_verify(args: &VerifyArgs, path: &Path, printer: Printer) -> anyhow::Result<()> {
    let user = args.user.as_str();
    let context = || format!("cannot verify the password of user {user}");
    let file = Htpasswd::load(path).with_context(context)?;
    let entry = existing_entry(&file, user).with_context(context)?;
    let scheme = entry.scheme();
    if scheme == HashScheme::Crypt {
        bail!(
            "cannot verify the password of user {user}: the entry uses the system's crypt(3), \
             which regctl does not implement (re-set it with `regctl user passwd {user}`)"
        );
    }
    let password = if args.password.password_stdin {
        read_stdin_password()
    } else {
        prompt("Password: ")
    }
    .with_context(context)?;
    if !entry.verify(&password) {
        bail!("wrong password for user {user} in {}", path.display());
    }
    printer.info(format!("the password of {user} is correct"));
    if !scheme.registry_compatible() {
        printer.warn(format!(
            "the entry of {user} is {scheme}, which registry:2 rejects: re-set it with \
             `regctl user passwd {user}`"
        ));
    }
    Ok(())
}

fn run_list(path: &Path, groups: Option<PathBuf>, printer: Printer) -> anyhow::Result<()> {
    let file = Htpasswd::load(path)?;
    warn_about_file(&file, path, printer);
    let entries: Vec<&Entry> = file.entries().collect();
    let group_file = match &groups {
        Some(groups) => Some(
            crate::access::groups::GroupFile::load_or_empty(groups)
                .with_context(|| format!("cannot read the group file {}", groups.display()))?,
        ),
        None => None,
    };
    let groups_of = |user: &str| group_file.as_ref().map(|g| g.groups_of(user));
    if printer.is_json() {
        let rows: Vec<UserRow<'_>> = entries
            .iter()
            .map(|e| UserRow {
                user: &e.user,
                scheme: e.scheme(),
                registry_compatible: e.scheme().registry_compatible(),
                groups: groups_of(&e.user),
            })
            .collect();
        return printer.json(&rows);
    }
    if let Some(group_file) = &group_file {
        if entries.is_empty() {
            printer.info(format!("no users in {}", path.display()));
            return Ok(());
        }
        return printer.key_table(
            &["USER", "HASH", "REGISTRY:2", "GROUPS"],
            entries.iter().map(|e| {
                let scheme = e.scheme();
                vec![
                    e.user.clone(),
                    scheme.to_string(),
                    if scheme.registry_compatible() {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_owned(),
                    group_file.groups_of(&e.user).join(", "),
                ]
            }),
        );
    }
    if entries.is_empty() {
        printer.info(format!("no users in {}", path.display()));
        return Ok(());
    }
    printer.table(
        &["USER", "HASH", "REGISTRY:2 COMPATIBLE"],
        entries.iter().map(|e| {
            let scheme = e.scheme();
            vec![
                e.user.clone(),
                scheme.to_string(),
                if scheme.registry_compatible() {
                    "yes"
                } else {
                    "no"
                }
                .to_owned(),
            ]
        }),
    )
}

/// Warns about what makes the file misbehave under registry:2 or Apache.
fn warn_about_file(file: &Htpasswd, path: &Path, printer: Printer) {
    warn_about_malformed_lines(file, path, printer);
    for user in file.duplicate_users() {
        printer.warn(format!(
            "user {user} has more than one entry: Apache uses the first and registry:2 the last; \
             `regctl user passwd {user}` leaves one"
        ));
    }
    let rejected: Vec<String> = file
        .entries()
        .filter(|e| !e.scheme().registry_compatible())
        .map(|e| format!("{} ({})", e.user, e.scheme()))
        .collect();
    if !rejected.is_empty() {
        printer.warn(format!(
            "registry:2 accepts only bcrypt entries: {} cannot log in to it; re-set them with \
             `regctl user passwd USER`",
            rejected.join(", ")
        ));
    }
}

/// Lines regctl keeps as they are (it is not its place to delete them) but that break the file.
fn warn_about_malformed_lines(file: &Htpasswd, path: &Path, printer: Printer) {
    for (number, text) in file.malformed_lines() {
        let consequence = if text.contains(':') {
            "it is ignored"
        } else {
            "Apache's htpasswd and registry:2 both refuse to load a file with such a line"
        };
        printer.warn(format!(
            "line {number} of {} is not a `user:hash` entry; {consequence}",
            path.display()
        ));
    }
}

fn existing_entry<'a>(file: &'a Htpasswd, user: &str) -> anyhow::Result<&'a Entry> {
    file.get(user).ok_or_else(|| missing_user(file, user, true))
}

/// The htpasswd file: `--htpasswd`, else `$REGISTRY_AUTH_HTPASSWD_PATH`, else the config's
/// `auth.htpasswd.path`, resolved against the working directory as registry:2 does.
fn htpasswd_path(explicit: Option<&Path>, global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    if let Some(path) = std::env::var_os(HTPASSWD_PATH_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let config = global.config_path();
    if !config.exists() && !global.config_is_explicit() {
        bail!(
            "no htpasswd file given: pass --htpasswd FILE, or name one in auth.htpasswd.path of a \
             config file (-c/--config; {} does not exist)",
            config.display()
        );
    }
    let loaded = crate::config::load(&config)
        .with_context(|| format!("cannot read config {}", config.display()))?;
    loaded
        .config
        .htpasswd()
        .map(|(_, path)| path)
        .ok_or_else(|| {
            anyhow!(
                "{} has no auth.htpasswd.path: pass --htpasswd FILE or set auth.htpasswd.path in \
                 the config (or ${HTPASSWD_PATH_ENV})",
                config.display()
            )
        })
}

/// A new password, asked twice on the terminal or read once from stdin, checked before hashing.
fn read_new_password(source: &PasswordSource) -> anyhow::Result<Vec<u8>> {
    if source.password_stdin {
        let password = read_stdin_password()?;
        htpasswd::validate_password(&password)?;
        return Ok(password);
    }
    let password = prompt("Password: ")?;
    // Say what is wrong before the confirmation prompt, not after it.
    htpasswd::validate_password(&password)?;
    let confirmation = prompt("Confirm password: ")?;
    if password != confirmation {
        bail!("the two passwords do not match; nothing was changed");
    }
    Ok(password)
}

/// Prompts on the terminal without echo.
fn prompt(label: &str) -> anyhow::Result<Vec<u8>> {
    // rpassword would open /dev/tty even with stdin redirected; a script that forgot
    // --password-stdin should fail fast instead of waiting for a human.
    if !std::io::stdin().is_terminal() {
        bail!(
            "stdin is not a terminal, so there is no one to ask for the password: pipe it in and \
             pass --password-stdin (e.g. `printf '%s\\n' \"$PASSWORD\" | regctl user add alice \
             --password-stdin`)"
        );
    }
    rpassword::prompt_password(label)
        .map(String::into_bytes)
        .context("cannot read the password from the terminal (use --password-stdin instead)")
}

/// The first line of stdin, without its line terminator (`\n` or `\r\n`) and nothing else
/// removed: leading and trailing spaces are part of the password.
fn read_stdin_password() -> anyhow::Result<Vec<u8>> {
    let mut line = Vec::new();
    let read = std::io::stdin()
        .lock()
        .read_until(b'\n', &mut line)
        .context("cannot read the password from stdin")?;
    if read == 0 {
        bail!("stdin is empty: --password-stdin expects the password on the first line");
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(line)
}
