//! `regctl completions`: shell completion scripts generated from the clap model.

use std::fs;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use clap_complete::Shell;

/// Print a shell completion script, or write all of them to a directory
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl completions bash \\\n      > ~/.local/share/bash-completion/completions/regctl\n  regctl completions zsh > \"${fpath[1]}/_regctl\"\n  regctl completions --dir completions/"
)]
pub struct CompletionsArgs {
    /// The shell to generate for
    #[arg(value_enum, required_unless_present = "dir")]
    pub shell: Option<Shell>,
    /// Write the scripts for every shell into DIR instead of printing one
    #[arg(long, value_name = "DIR", conflicts_with = "shell")]
    pub dir: Option<PathBuf>,
}

/// Every shell regctl ships a completion script for.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

pub fn run(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = super::command();
    if let Some(dir) = &args.dir {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for shell in SHELLS {
            clap_complete::generate_to(shell, &mut cmd, "regctl", dir)
                .with_context(|| format!("cannot write the {shell} completions"))?;
        }
        return Ok(());
    }
    if let Some(shell) = args.shell {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "regctl", &mut out);
        super::output::write_stdout(&out)?;
    }
    Ok(())
}
