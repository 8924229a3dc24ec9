//! `regctl login` / `regctl logout`: store or remove registry credentials where docker keeps them.

use std::io::IsTerminal as _;

use anyhow::{bail, Context as _};
use clap::Args;
use serde::Serialize;

use super::client_args::{self, ClientArgs};
use super::GlobalArgs;
use crate::remote::{Credentials, DockerConfig, LoginCheck, Registry};

/// Check and store registry credentials in the docker config
#[derive(Debug, Args)]
#[command(
    long_about = "Check credentials against a registry and store them where docker keeps them: \
the credential helper named by credHelpers/credsStore in $DOCKER_CONFIG/config.json \
(~/.docker/config.json), else base64 in its `auths` (file mode 0600). docker, skopeo, podman and \
the other regctl commands then use them.",
    after_help = "Examples:\n  regctl login registry.example.com:5000 -u alice\n  echo \"$PASSWORD\" | regctl login registry.example.com:5000 -u alice \\\n      --password-stdin\n  regctl login localhost:5000 --insecure -u alice --password-stdin \\\n      < password.txt"
)]
pub struct LoginArgs {
    /// Registry as HOST[:PORT] (default: the one the local config serves)
    #[arg(value_name = "REGISTRY", value_parser = Registry::parse)]
    pub registry: Option<Registry>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Remove the stored credentials of a registry
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
regctl logout registry.example.com:5000\n  \
DOCKER_CONFIG=/srv/ci/.docker regctl logout localhost:5000")]
pub struct LogoutArgs {
    /// Registry as HOST[:PORT] (default: the one the local config serves)
    #[arg(value_name = "REGISTRY", value_parser = Registry::parse)]
    pub registry: Option<Registry>,
}

#[derive(Debug, Serialize)]
struct LoginOutcome {
    registry: String,
    username: String,
    stored_in: String,
    /// False when the registry does not ask for credentials, so they could not be checked.
    verified: bool,
}

#[derive(Debug, Serialize)]
struct LogoutOutcome {
    registry: String,
    removed: bool,
    config: String,
}

/// Verifies the credentials, then stores them.
///
/// # Errors
/// Rejected credentials, unreachable registry, unwritable docker config.
pub fn run_login(args: &LoginArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let target = client_args::resolve_registry(args.registry.clone(), global)?;
    let username = match &args.client.user {
        Some(user) => user.clone(),
        None => prompt_username(&target.registry)?,
    };
    let password = client_args::password_for(&username, &args.client, &target.registry)?;
    let credentials = Credentials::Basic {
        username: username.clone(),
        password,
    };
    let check = client_args::runtime()?.block_on(async {
        let client =
            client_args::connect(&target, &args.client, Some(credentials.clone()), &printer)
                .await?;
        anyhow::Ok(client.verify_login().await?)
    })?;
    if check == LoginCheck::NoAuthRequired {
        printer.warn(format!(
            "{} does not ask for credentials; storing them anyway",
            target.registry
        ));
    }
    let mut config = DockerConfig::load_default()?;
    let source = config.store(&target.registry, &credentials)?;
    config.save()?;
    printer.info(format!(
        "Login succeeded: credentials for {username} at {} stored in {source}",
        target.registry
    ));
    if printer.is_json() {
        printer.json(&LoginOutcome {
            registry: target.registry.to_string(),
            username,
            stored_in: source.to_string(),
            verified: check == LoginCheck::Accepted,
        })?;
    }
    Ok(())
}

/// Removes the stored credentials (file and helper).
///
/// # Errors
/// Unreadable or unwritable docker config, failing helper.
pub fn run_logout(args: &LogoutArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let target = client_args::resolve_registry(args.registry.clone(), global)?;
    let mut config = DockerConfig::load_default()?;
    let removed = config.erase(&target.registry)?;
    if removed {
        config.save()?;
        printer.info(format!(
            "removed the credentials for {} from {}",
            target.registry,
            config.path().display()
        ));
    } else {
        printer.info(format!("not logged in to {}", target.registry));
    }
    if printer.is_json() {
        printer.json(&LogoutOutcome {
            registry: target.registry.to_string(),
            removed,
            config: config.path().display().to_string(),
        })?;
    }
    Ok(())
}

fn prompt_username(registry: &Registry) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!("no user name: pass -u USER (and --password-stdin to read the password from stdin)");
    }
    let username: String = dialoguer::Input::new()
        .with_prompt(format!("Username for {registry}"))
        .interact_text()
        .context("cannot read the user name")?;
    if username.trim().is_empty() {
        bail!("the user name is empty");
    }
    Ok(username.trim().to_owned())
}
