//! How results reach the user: tables or JSON on stdout, messages on stderr, progress bars only on
//! a terminal. Every subcommand prints through a [`Printer`] so `-q`, `-v` and `-o json` behave the
//! same everywhere.

use std::io::{IsTerminal as _, Write as _};

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    /// Human-readable tables and sentences
    #[default]
    Table,
    /// Machine-readable JSON on stdout
    Json,
}

/// Renders results and messages according to the global flags.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub format: OutputFormat,
    pub quiet: bool,
    pub verbose: u8,
}

impl Printer {
    #[must_use]
    pub fn new(format: OutputFormat, quiet: bool, verbose: u8) -> Self {
        Self {
            format,
            quiet,
            verbose,
        }
    }

    #[must_use]
    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// A status message for a person, on stderr; silent with `-q`.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", msg.as_ref());
        }
    }

    /// Detail shown only with `-v`.
    pub fn detail(&self, msg: impl AsRef<str>) {
        if self.verbose > 0 && !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", msg.as_ref());
        }
    }

    /// A warning, on stderr even with `-q`.
    pub fn warn(&self, msg: impl AsRef<str>) {
        let _ = writeln!(std::io::stderr().lock(), "warning: {}", msg.as_ref());
    }

    /// A result line on stdout (what scripts read).
    ///
    /// # Errors
    /// When stdout is closed (a broken pipe is reported as such and treated as success by main).
    pub fn line(&self, msg: impl AsRef<str>) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", msg.as_ref())?;
        Ok(())
    }

    /// Prints `value` as pretty JSON on stdout.
    ///
    /// # Errors
    /// When serialization or writing fails.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        write_stdout(text.as_bytes())
    }

    /// Prints a table whose first column names what it lists (repositories, tags); with `-q`
    /// only that column, one value a line and no header, so `regctl tags -q REPO | xargs ...`
    /// reads names.
    ///
    /// # Errors
    /// When writing fails.
    pub fn key_table<R, C>(&self, headers: &[&str], rows: R) -> anyhow::Result<()>
    where
        R: IntoIterator<Item = Vec<C>>,
        C: Into<comfy_table::Cell>,
    {
        if !self.quiet {
            return self.table(headers, rows);
        }
        let mut text = String::new();
        for row in rows {
            if let Some(key) = row.into_iter().next() {
                text.push_str(&key.into().content());
                text.push('\n');
            }
        }
        write_stdout(text.as_bytes())
    }

    /// Prints a table with a header row on stdout.
    ///
    /// # Errors
    /// When writing fails.
    pub fn table<R, C>(&self, headers: &[&str], rows: R) -> anyhow::Result<()>
    where
        R: IntoIterator<Item = Vec<C>>,
        C: Into<comfy_table::Cell>,
    {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(headers.iter().copied());
        // A pseudo-terminal nobody sized (`script`, `docker exec -t`, some CI runners) reports 0
        // columns, which would squash every column to one character: use the natural width then.
        // A shell that exported COLUMNS still says how wide the window is.
        if table.width() == Some(0) {
            match std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse::<u16>().ok())
            {
                Some(columns) if columns > 0 => {
                    table.set_width(columns);
                }
                _ => {
                    table.set_content_arrangement(ContentArrangement::Disabled);
                }
            }
        }
        for row in rows {
            table.add_row(row);
        }
        if !std::io::stdout().is_terminal() {
            // Piped: plain space-aligned columns (as crane and regclient print), which `awk`,
            // `cut` and `column` read; borders are for people.
            table
                .load_preset(comfy_table::presets::NOTHING)
                .set_content_arrangement(ContentArrangement::Disabled);
            let mut text = String::new();
            for line in table.lines() {
                // The cell padding after the last column stays: other areas' tests and scripts
                // match a value followed by a space.
                let line = line.strip_prefix(' ').unwrap_or(&line);
                text.push_str(line);
                text.push('\n');
            }
            return write_stdout(text.as_bytes());
        }
        let mut text = table.to_string();
        text.push('\n');
        write_stdout(text.as_bytes())
    }

    /// A progress bar on stderr, hidden when stderr is not a terminal, with `-q` or with JSON
    /// output (so scripts and pipes never see control characters).
    #[must_use]
    pub fn progress(&self, len: u64, what: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len), self.progress_target());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        bar
    }

    /// A running count on stderr for work whose total is unknown until it ends (following
    /// pagination): a bar would claim to be full after every page. Hidden like [`Self::progress`].
    #[must_use]
    pub fn counter(&self, what: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, self.progress_target());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {pos} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(what.to_owned());
        bar
    }

    fn progress_target(&self) -> ProgressDrawTarget {
        if self.quiet || self.is_json() || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        }
    }
}

/// Writes bytes to stdout and flushes.
///
/// # Errors
/// When stdout is closed.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

// One home for the short forms, shared with the web pages.
pub use crate::oci::display::{short_digest, short_media_type};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_shorten_to_twelve_hex_digits_unless_wide() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(short_digest(&digest, false), "sha256:abababababab");
        assert_eq!(short_digest(&digest, true), digest);
        assert_eq!(short_digest("-", false), "-");
    }

    #[test]
    fn media_types_shorten_unless_wide() {
        let index = "application/vnd.oci.image.index.v1+json";
        assert_eq!(short_media_type(index, false), "oci index");
        assert_eq!(short_media_type(index, true), index);
        assert_eq!(
            short_media_type(
                "application/vnd.docker.distribution.manifest.list.v2+json",
                false
            ),
            "docker list"
        );
        assert_eq!(
            short_media_type("application/vnd.cncf.helm.config.v1+json", false),
            "cncf.helm.config.v1+json"
        );
    }
}
