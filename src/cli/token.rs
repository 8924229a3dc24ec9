//! `regctl token create|list|revoke`: CI tokens, credentials limited to some repositories and
//! actions, kept hashed in the token store the access policy names.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};

use super::{GlobalArgs, Printer};
use crate::access::tokens::{self, NewToken, Token};
use crate::access::ActionSet;

/// Manage CI tokens: passwords limited to repositories and actions
#[derive(Debug, Args)]
#[command(
    long_about = "Manage CI tokens: passwords limited to repositories and actions.\n\n\
A token is used as the password of its user (`docker login -u ci --password-stdin`); the \
policy still applies, and the token narrows it further. Tokens are stored hashed in the file \
the policy names (tokens:, default tokens.json next to it) and shown only once, on creation. A \
token stops working when it expires, is revoked, or its user leaves the htpasswd file.",
    after_help = "Examples:\n  regctl token create --user ci --repo 'team/**' --actions pull,push\n  regctl token list\n  regctl token revoke 3f2a9c0d1b7e"
)]
pub struct TokenArgs {
    /// Policy file to use instead of the one the config names
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    Create(CreateArgs),
    List(ListArgs),
    Revoke(RevokeArgs),
}

/// Create a token and print it (the only time it is shown)
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl token create --user ci --repo 'team/**' --actions pull,push\n  regctl token create --user ci --repo team/app --repo team/web -q"
)]
pub struct CreateArgs {
    /// The user the token logs in as (must be in the htpasswd file when used)
    #[arg(long)]
    pub user: String,
    /// Repository pattern the token may be used on (repeatable)
    #[arg(long = "repo", value_name = "PATTERN", required = true)]
    pub repos: Vec<String>,
    /// Actions the token allows: pull, push, delete, comma-separated, or *
    #[arg(long, default_value = "pull")]
    pub actions: String,
    /// Lifetime (90d, 12h, 1y) or never
    #[arg(long, default_value = "90d")]
    pub expires: String,
    /// What the token is for
    #[arg(long, default_value = "")]
    pub description: String,
}

/// List tokens (never their secrets)
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  regctl token list\n  regctl token list -o json")]
pub struct ListArgs {}

/// Revoke a token: it stops working within a second on a running server
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  regctl token revoke 3f2a9c0d1b7e")]
pub struct RevokeArgs {
    /// The token's id (regctl token list)
    pub id: String,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn date(unix: u64) -> String {
    let at = UNIX_EPOCH + std::time::Duration::from_secs(unix);
    humantime::format_rfc3339_seconds(at).to_string()
}

pub fn run(args: &TokenArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let policy_path = super::access::policy_path(args.policy.as_deref(), global)?;
    let policy = super::access::load_policy(&policy_path)?;
    let store = policy.tokens_file().to_owned();
    printer.detail(format!("token store: {}", store.display()));
    match &args.command {
        TokenCommand::Create(create) => run_create(create, &store, &policy, printer),
        TokenCommand::List(_) => run_list(&store, printer),
        TokenCommand::Revoke(revoke) => {
            let token = tokens::revoke(&store, &revoke.id)
                .with_context(|| format!("cannot revoke token {}", revoke.id))?;
            printer.info(format!("revoked token {} of {}", token.id, token.user));
            Ok(())
        }
    }
}

fn run_create(
    args: &CreateArgs,
    store: &std::path::Path,
    policy: &crate::access::Policy,
    printer: Printer,
) -> anyhow::Result<()> {
    crate::htpasswd::validate_user(&args.user)?;
    let actions: ActionSet = args.actions.parse()?;
    let created = now();
    let expires = if args.expires == "never" {
        None
    } else {
        let lifetime = humantime::parse_duration(&args.expires).with_context(|| {
            format!(
                "--expires {:?}: use a duration such as 90d or 12h, or never",
                args.expires
            )
        })?;
        if lifetime.is_zero() {
            bail!("--expires must be longer than 0 (or never)");
        }
        Some(created.saturating_add(lifetime.as_secs()))
    };
    let (token, secret) = tokens::create(
        store,
        NewToken {
            user: args.user.clone(),
            repositories: args.repos.clone(),
            actions,
            expires,
            description: args.description.clone(),
        },
        created,
    )
    .context("cannot create the token")?;
    if printer.is_json() {
        return printer.json(&serde_json::json!({
            "id": token.id,
            "user": token.user,
            "token": secret,
            "repositories": token.repositories,
            "actions": token.actions,
            "expires": token.expires.map(date),
        }));
    }
    // The secret goes to stdout (alone with -q, for `| docker login --password-stdin`); the
    // rest is a message.
    printer.line(&secret)?;
    let expiry = token.expires.map_or("never expires".to_owned(), |at| {
        format!("expires {}", date(at))
    });
    printer.info(format!(
        "created token {} for {} ({} on {}; {expiry}); it is shown only now: store it as the \
         CI secret and log in with `docker login -u {} --password-stdin`",
        token.id,
        token.user,
        token.actions,
        token.repositories.join(", "),
        token.user
    ));
    if policy.groups_of(&args.user).is_empty()
        && policy.rules().iter().all(|r| !r.users.contains(&args.user))
    {
        printer.warn(format!(
            "{} is in no group and named by no rule: the policy may allow the token nothing \
             (check with `regctl access check {} push REPO`)",
            args.user, args.user
        ));
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct TokenRow<'a> {
    id: &'a str,
    user: &'a str,
    repositories: &'a [String],
    actions: &'a str,
    created: String,
    expires: Option<String>,
    expired: bool,
    description: &'a str,
}

fn run_list(store: &std::path::Path, printer: Printer) -> anyhow::Result<()> {
    let loaded = tokens::TokenStore::load(store)?;
    let now = now();
    let rows: Vec<TokenRow<'_>> = loaded
        .tokens()
        .iter()
        .map(|t: &Token| TokenRow {
            id: &t.id,
            user: &t.user,
            repositories: &t.repositories,
            actions: &t.actions,
            created: date(t.created),
            expires: t.expires.map(date),
            expired: t.expired(now),
            description: &t.description,
        })
        .collect();
    if printer.is_json() {
        return printer.json(&rows);
    }
    if rows.is_empty() {
        printer.info(format!("no tokens in {}", store.display()));
        return Ok(());
    }
    printer.key_table(
        &["ID", "USER", "REPOSITORIES", "ACTIONS", "EXPIRES"],
        rows.iter().map(|r| {
            let expires = match (&r.expires, r.expired) {
                (_, true) => "expired".to_owned(),
                (Some(at), false) => at.get(..10).unwrap_or(at).to_owned(),
                (None, false) => "never".to_owned(),
            };
            vec![
                r.id.to_owned(),
                r.user.to_owned(),
                r.repositories.join(", "),
                r.actions.to_owned(),
                expires,
            ]
        }),
    )
}
