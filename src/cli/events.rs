//! `regctl events tail`: the notification events of a running `regctl serve`, read from its
//! debug listener's `/debug/events` stream (src/notify).

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use futures_util::StreamExt as _;

use super::GlobalArgs;
use crate::config;
use crate::notify::{Event, EVENTS_PATH};

/// Show the events (pushes, pulls, deletes, mounts) of a running server
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  regctl events tail -c /etc/regctl/config.yml\n  regctl events tail --addr 127.0.0.1:5001 -o json"
)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    Tail(TailArgs),
}

/// Stream the events of a running server as they happen
#[derive(Debug, Args)]
#[command(
    long_about = "Stream the events of a running `regctl serve` as they happen: the events its \
notification endpoints get (registry:2's envelope fields), whether or not any endpoint is \
configured.\n\n\
They are read from the server's debug listener (http.debug.addr), path /debug/events, one JSON \
object per line; the address comes from --addr, else from http.debug.addr of the config. Only \
events from the moment of connecting are shown. With -o json each event is printed as one JSON \
line, as the server sends it.",
    after_help = "Examples:\n  regctl events tail -c /etc/regctl/config.yml\n  regctl events tail --addr 127.0.0.1:5001 -o json\n  regctl events tail --addr 127.0.0.1:5001 --count 1"
)]
pub struct TailArgs {
    /// The debug listener as HOST:PORT (default: http.debug.addr of the config)
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Stop after N events
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

pub fn run(args: &EventsArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    match &args.command {
        EventsCommand::Tail(tail) => run_tail(tail, global),
    }
}

/// `--addr`, else the config's `http.debug.addr` (`:PORT` is this machine).
fn debug_addr(args: &TailArgs, global: &GlobalArgs) -> anyhow::Result<String> {
    let addr = match &args.addr {
        Some(addr) => addr.clone(),
        None => {
            let path = config::resolve_path(global.config.as_deref());
            let loaded = config::load(&path)
                .with_context(|| format!("cannot read config {}", path.display()))?;
            let addr = loaded.config.http.debug.addr;
            if addr.is_empty() {
                bail!(
                    "{} sets no http.debug.addr: the events are served on the debug listener; \
                     set http.debug.addr (e.g. 127.0.0.1:5001) and restart the server, or pass \
                     --addr",
                    path.display()
                );
            }
            addr
        }
    };
    Ok(match addr.strip_prefix(':') {
        Some(port) => format!("127.0.0.1:{port}"),
        None => addr
            .strip_prefix("0.0.0.0:")
            .map_or(addr.clone(), |port| format!("127.0.0.1:{port}")),
    })
}

/// One line for a person: when, what, which object, who.
fn describe(event: &Event) -> String {
    let target = &event.target;
    let mut object = target.repository.clone();
    if !target.tag.is_empty() {
        object.push(':');
        object.push_str(&target.tag);
    }
    if !target.digest.is_empty() {
        object.push('@');
        object.push_str(&target.digest);
    }
    let mut line = format!("{} {:<6} {object}", event.timestamp, event.action.as_str());
    if !target.from_repository.is_empty() {
        line.push_str(&format!(" from {}", target.from_repository));
    }
    if !target.media_type.is_empty() {
        line.push_str(&format!(" ({}", target.media_type));
        if target.size > 0 {
            line.push_str(&format!(", {} bytes", target.size));
        }
        line.push(')');
    }
    let user = if event.actor.name.is_empty() {
        "-"
    } else {
        &event.actor.name
    };
    line.push_str(&format!(" by {user}"));
    if !event.request.addr.is_empty() {
        line.push_str(&format!(" at {}", event.request.addr));
    }
    line
}

fn run_tail(args: &TailArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let url = format!("http://{}{EVENTS_PATH}", debug_addr(args, global)?);
    super::client_args::runtime()?.block_on(async {
        let response = reqwest::get(&url)
            .await
            .with_context(|| format!("cannot connect to the debug listener at {url}"))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            bail!("{url} answered 404: that server does not stream events (is it regctl serve?)");
        }
        if !response.status().is_success() {
            bail!("{url} answered {}", response.status());
        }
        printer.info(format!("streaming events from {url} (Ctrl-C to stop)"));
        let mut body = response.bytes_stream();
        let mut pending = Vec::new();
        let mut shown = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.with_context(|| format!("the stream from {url} broke off"))?;
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let line = &line[..line.len() - 1];
                if line.is_empty() {
                    continue;
                }
                let event: Event = serde_json::from_slice(line)
                    .with_context(|| format!("{url} sent a line that is not an event"))?;
                if printer.is_json() {
                    printer.line(serde_json::to_string(&event)?)?;
                } else {
                    printer.line(describe(&event))?;
                }
                shown += 1;
                if args.count.is_some_and(|count| shown >= count) {
                    return Ok(());
                }
            }
        }
        bail!("the server closed the event stream at {url}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Action;

    #[test]
    fn a_push_reads_as_one_line() {
        let mut event = Event::new(Action::Push);
        event.target.repository = "team/app".to_owned();
        event.target.tag = "v1".to_owned();
        event.target.digest = "sha256:aa".to_owned();
        event.target.media_type = "application/vnd.oci.image.manifest.v1+json".to_owned();
        event.target.size = 528;
        event.actor.name = "alice".to_owned();
        event.request.addr = "127.0.0.1:4000".to_owned();
        let line = describe(&event);
        assert!(
            line.ends_with(
                " push   team/app:v1@sha256:aa (application/vnd.oci.image.manifest.v1+json, \
                 528 bytes) by alice at 127.0.0.1:4000"
            ),
            "{line}"
        );
    }
}
