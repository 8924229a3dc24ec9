//! The command line: the clap model, global flags, dispatch and error reporting.
//!
//! Each subcommand lives in its own file and only parses, calls the library and renders. This is
//! the one layer that uses `anyhow`: library errors are typed and get their context added here.

mod access;
mod catalog;
mod cert;
mod client_args;
mod client_setup;
mod completions;
mod config;
mod delete;
mod doctor;
mod du;
mod events;
mod fsck;
mod gc;
mod init;
mod login;
mod man;
mod manifest;
pub mod output;
mod prune;
mod serve;
mod tags;
mod token;
mod user;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use output::{OutputFormat, Printer};

/// regctl: run a private container registry with one binary.
#[derive(Debug, Parser)]
#[command(
    name = "regctl",
    version,
    about = "Run a private container registry with one binary",
    long_about = "regctl sets up and runs a private Docker/OCI registry: users (htpasswd), a \
registry:2-compatible config.yml, client machines, and the registry server itself.\n\n\
It is not regclient's client tool of the same name.",
    after_help = "Examples:\n  regctl user add alice --htpasswd auth/htpasswd\n  regctl config validate -c config.yml\n  regctl completions bash > /etc/bash_completion.d/regctl",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Registry config file (distribution's config.yml schema)
    #[arg(
        short = 'c',
        long = "config",
        global = true,
        env = "REGCTL_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,
    /// Output format for results
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Print only results and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    /// The config path: `--config`, else `$REGCTL_CONFIG`, else `./config.yml`.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| PathBuf::from("config.yml"))
    }

    /// Whether the user named a config explicitly (then a missing file is an error, not a default).
    #[must_use]
    pub fn config_is_explicit(&self) -> bool {
        self.config.is_some()
    }

    #[must_use]
    pub fn printer(&self) -> Printer {
        Printer::new(self.output, self.quiet, self.verbose)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    ClientSetup(client_setup::ClientSetupArgs),
    Cert(cert::CertArgs),
    Config(config::ConfigArgs),
    Catalog(catalog::CatalogArgs),
    Tags(tags::TagsArgs),
    Manifest(manifest::ManifestArgs),
    Delete(delete::DeleteArgs),
    Doctor(doctor::DoctorArgs),
    Events(events::EventsArgs),
    Login(login::LoginArgs),
    Logout(login::LogoutArgs),
    Completions(completions::CompletionsArgs),
    Gc(gc::GcArgs),
    Fsck(fsck::FsckArgs),
    Prune(prune::PruneArgs),
    Du(du::DuArgs),
    Init(init::InitArgs),
    Man(man::ManArgs),
    User(user::UserArgs),
    Access(access::AccessArgs),
    Token(token::TokenArgs),
    Serve(serve::ServeArgs),
}

/// Builds the clap command tree (used by completions, man pages and tests).
#[must_use]
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Parses the process arguments, runs the command and maps the outcome to an exit code:
/// 0 success, 1 failure, 2 usage error (clap's own).
#[must_use]
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = err.exit_code();
            let _ = err.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}

/// Runs a parsed command line.
///
/// # Errors
/// Whatever the subcommand fails with, with context for the user.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let Cli { global, command } = cli;
    match command {
        Command::ClientSetup(args) => client_setup::run(&args, &global),
        Command::Cert(args) => cert::run(&args, &global),
        Command::Config(args) => config::run(&args, &global),
        Command::Catalog(args) => catalog::run(&args, &global),
        Command::Tags(args) => tags::run(&args, &global),
        Command::Manifest(args) => manifest::run(&args, &global),
        Command::Delete(args) => delete::run(&args, &global),
        Command::Doctor(args) => doctor::run(&args, &global),
        Command::Events(args) => events::run(&args, &global),
        Command::Login(args) => login::run_login(&args, &global),
        Command::Logout(args) => login::run_logout(&args, &global),
        Command::Completions(args) => completions::run(&args),
        Command::Gc(args) => gc::run(&args, &global),
        Command::Fsck(args) => fsck::run(&args, &global),
        Command::Prune(args) => prune::run(&args, &global),
        Command::Du(args) => du::run(&args, &global),
        Command::Init(args) => init::run(&args, &global),
        Command::Man(args) => man::run(&args),
        Command::User(args) => user::run(&args, &global),
        Command::Access(args) => access::run(&args, &global),
        Command::Token(args) => token::run(&args, &global),
        Command::Serve(args) => serve::run(&args, &global),
    }
}

/// Prints `error: <sentence>` and then each cause on its own line.
fn report(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
}

/// `regctl catalog | head` closing the pipe early is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_model_is_consistent() {
        super::command().debug_assert();
    }
}
