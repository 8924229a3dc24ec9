//! `regctl man`: man pages generated from the clap model.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

/// Print the regctl(1) man page, or write every page to a directory
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl man | man -l -\n  regctl man --dir /usr/local/share/man/man1"
)]
pub struct ManArgs {
    /// Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> anyhow::Result<()> {
    let cmd = super::command();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        clap_mangen::generate_to(cmd, dir)
            .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
        return Ok(());
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .context("cannot render the man page")?;
    super::output::write_stdout(&out)
}
