//! `regctl serve` (minimal): serves the registry API over plain HTTP on one address.
//!
//! The full server (config file, `REGISTRY_*` overrides, TLS, htpasswd auth, headers, logging,
//! graceful shutdown) replaces this file; this one exists so the API can be run and tested.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use crate::api::{self, ApiOptions};
use crate::cli::Printer;
use crate::registry::{Registry, RegistryOptions};

/// Run the registry server
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl serve\n  regctl serve --addr 127.0.0.1:5000 --root /var/lib/registry\n  REGISTRY_STORAGE_DELETE_ENABLED=true regctl serve"
)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5000")]
    pub addr: SocketAddr,
    /// Storage root (registry:2's rootdirectory)
    #[arg(long, value_name = "DIR", default_value = "./registry-data")]
    pub root: PathBuf,
}

pub fn run(args: &ServeArgs, printer: &Printer) -> anyhow::Result<()> {
    let env_true =
        |key: &str| std::env::var(key).is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let registry = Registry::open_filesystem(&args.root, RegistryOptions::default())
        .with_context(|| format!("cannot use storage root {}", args.root.display()))?;
    let opts = ApiOptions {
        delete_enabled: env_true("REGISTRY_STORAGE_DELETE_ENABLED"),
        readonly: env_true("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED"),
        ..ApiOptions::default()
    };
    let app = api::router(Arc::new(registry), opts);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        printer.line(format!(
            "regctl serve: listening on http://{addr} (storage {}, auth off, TLS off)",
            args.root.display()
        ))?;
        axum::serve(listener, app)
            .await
            .context("the server failed")
    })
}
