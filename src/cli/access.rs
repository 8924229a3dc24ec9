//! `regctl access show|check`: the access policy (`auth.htpasswd.policy`) as the server applies
//! it, and which rule decides a question.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand};

use super::{GlobalArgs, Printer};
use crate::access::{Action, DecidedBy, Policy, Subject};
use crate::oci::reference::Name;

/// Show the access policy and check what it allows
#[derive(Debug, Args)]
#[command(
    long_about = "Show the access policy and check what it allows.\n\n\
The policy is --policy FILE, else auth.htpasswd.policy of the config (-c/--config, default \
./config.yml). Rules are tried in order and the first that names the user (or one of their \
groups) and matches the repository decides; members of the admin group may do everything.",
    after_help = "Examples:\n  regctl access show -c config.yml\n  regctl access check bob push team/app\n  regctl access check anonymous pull public/tool --policy access.yml"
)]
pub struct AccessArgs {
    /// Policy file to use instead of the one the config names
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(subcommand)]
    pub command: AccessCommand,
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    Show(ShowArgs),
    Check(CheckArgs),
}

/// Print the effective rules, in the order they are tried
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  regctl access show\n  regctl access show -o json")]
pub struct ShowArgs {}

/// Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl access check bob push team/app\n  regctl access check anonymous pull public/tool\n  regctl access check ci delete team/app -o json"
)]
pub struct CheckArgs {
    /// The user (`anonymous` for requests without credentials)
    pub user: String,
    /// pull, push or delete
    pub action: String,
    /// The repository, e.g. team/app
    pub repo: String,
}

/// The policy file: `explicit`, else the config's `auth.htpasswd.policy`.
pub(super) fn policy_path(explicit: Option<&Path>, global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    let config = global.config_path();
    if !config.exists() && !global.config_is_explicit() {
        bail!(
            "no access policy given: pass --policy FILE, or name one in auth.htpasswd.policy of \
             a config file (-c/--config; {} does not exist)",
            config.display()
        );
    }
    let loaded = crate::config::load(&config)
        .with_context(|| format!("cannot read config {}", config.display()))?;
    loaded.config.access_policy().ok_or_else(|| {
        anyhow!(
            "{} has no auth.htpasswd.policy: pass --policy FILE or set it with `regctl config \
             set auth.htpasswd.policy access.yml`",
            config.display()
        )
    })
}

/// The policy at `path`, with its groups.
pub(super) fn load_policy(path: &Path) -> anyhow::Result<Policy> {
    Policy::load(path).with_context(|| format!("cannot load the access policy {}", path.display()))
}

pub fn run(args: &AccessArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let path = policy_path(args.policy.as_deref(), global)?;
    printer.detail(format!("access policy: {}", path.display()));
    let policy = load_policy(&path)?;
    match &args.command {
        AccessCommand::Show(_) => show(&policy, printer),
        AccessCommand::Check(check) => run_check(check, &policy, printer),
    }
}

#[derive(serde::Serialize)]
struct RuleRow {
    rule: usize,
    repositories: Vec<String>,
    users: Vec<String>,
    groups: Vec<String>,
    allow: Vec<&'static str>,
}

fn show(policy: &Policy, printer: Printer) -> anyhow::Result<()> {
    let rules: Vec<RuleRow> = policy
        .rules()
        .iter()
        .enumerate()
        .map(|(i, rule)| RuleRow {
            rule: i + 1,
            repositories: rule
                .repositories
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            users: rule.users.clone(),
            groups: rule.groups.clone(),
            allow: rule.allow.iter().map(Action::as_str).collect(),
        })
        .collect();
    let anonymous: Vec<&str> = policy.anonymous().iter().map(|p| p.as_str()).collect();
    if printer.is_json() {
        return printer.json(&serde_json::json!({
            "policy": policy.path(),
            "groupfile": policy.group_file(),
            "tokens": policy.tokens_file(),
            "admins": policy.admins(),
            "anonymous": anonymous,
            "default": policy.default_actions().iter().map(Action::as_str).collect::<Vec<_>>(),
            "rules": rules,
        }));
    }
    let mut rows = Vec::new();
    if let Some(admins) = policy.admins() {
        rows.push(vec![
            "admin".to_owned(),
            "**".to_owned(),
            format!("group {admins}"),
            "pull, push, delete".to_owned(),
        ]);
    }
    for rule in &rules {
        let mut who = Vec::new();
        if !rule.users.is_empty() {
            who.push(rule.users.join(", "));
        }
        if !rule.groups.is_empty() {
            who.push(format!("group {}", rule.groups.join(", ")));
        }
        let allow = if rule.allow.is_empty() {
            "nothing (deny)".to_owned()
        } else {
            rule.allow.join(", ")
        };
        rows.push(vec![
            rule.rule.to_string(),
            rule.repositories.join(", "),
            who.join("; "),
            allow,
        ]);
    }
    if !anonymous.is_empty() {
        rows.push(vec![
            "anon".to_owned(),
            anonymous.join(", "),
            "anyone".to_owned(),
            "pull".to_owned(),
        ]);
    }
    rows.push(vec![
        "default".to_owned(),
        "**".to_owned(),
        "logged-in users".to_owned(),
        policy.default_actions().to_string(),
    ]);
    printer.table(&["RULE", "REPOSITORIES", "WHO", "ALLOW"], rows)?;
    printer.detail(format!(
        "groups: {}; tokens: {}",
        policy.group_file().display(),
        policy.tokens_file().display()
    ));
    Ok(())
}

fn run_check(args: &CheckArgs, policy: &Policy, printer: Printer) -> anyhow::Result<()> {
    let action: Action = args.action.parse()?;
    let name = Name::parse(&args.repo)
        .with_context(|| format!("{:?} is not a repository name", args.repo))?;
    let subject = if args.user == "anonymous" {
        Subject::anonymous()
    } else {
        Subject::user(&args.user)
    };
    let decision = policy.decide(&subject, action, &name);
    let verdict = if decision.allowed {
        "allowed"
    } else {
        "denied"
    };
    let reason = policy.explain(decision.by);
    if printer.is_json() {
        let (kind, rule) = match decision.by {
            DecidedBy::Admin => ("admin", None),
            DecidedBy::Rule(i) => ("rule", Some(i + 1)),
            DecidedBy::Anonymous(_) => ("anonymous", None),
            DecidedBy::Default => ("default", None),
            DecidedBy::TokenScope => ("token", None),
        };
        printer.json(&serde_json::json!({
            "user": args.user,
            "action": action.as_str(),
            "repository": name.as_str(),
            "allowed": decision.allowed,
            "decided_by": kind,
            "rule": rule,
            "reason": reason,
            "groups": policy.groups_of(&args.user),
        }))?;
    } else {
        printer.line(format!(
            "{verdict}: {} {action} {} (decided by {reason})",
            args.user,
            name.as_str()
        ))?;
    }
    if !decision.allowed {
        bail!("{} may not {action} {}", args.user, name.as_str());
    }
    Ok(())
}
