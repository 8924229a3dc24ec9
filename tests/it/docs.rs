//! The committed completions and man pages must be what the binary generates; regenerate them with
//! `scripts/gen-docs` after changing the CLI.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::common::{regctl, success_stdout};

fn read_dir_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

fn assert_generated_matches(subcommand: &str, committed: &str) {
    let tmp = tempfile::tempdir().unwrap();
    success_stdout(
        &regctl()
            .args([subcommand, "--dir"])
            .arg(tmp.path())
            .output()
            .unwrap(),
    );
    let generated = read_dir_files(tmp.path());
    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(committed);
    let on_disk = read_dir_files(&committed_dir);
    assert_eq!(
        generated.keys().collect::<Vec<_>>(),
        on_disk.keys().collect::<Vec<_>>(),
        "{committed}/ is stale: run scripts/gen-docs"
    );
    for (name, bytes) in &generated {
        assert!(
            on_disk[name] == *bytes,
            "{committed}/{name} is stale: run scripts/gen-docs"
        );
    }
}

#[test]
fn committed_completions_are_current() {
    assert_generated_matches("completions", "completions");
}

#[test]
fn committed_man_pages_are_current() {
    assert_generated_matches("man", "man");
}

#[test]
fn completions_print_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = success_stdout(&regctl().args(["completions", shell]).output().unwrap());
        assert!(out.contains("regctl"), "{shell} completion mentions regctl");
    }
}

/// Every command path in the clap tree, e.g. `["user", "add"]`.
fn command_paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    for sub in cmd.get_subcommands() {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_owned());
        out.push(path.clone());
        command_paths(sub, &path, out);
    }
}

#[test]
fn every_command_help_has_an_example() {
    let mut paths = Vec::new();
    command_paths(&regctl::cli::command(), &[], &mut paths);
    assert!(paths.len() > 3, "the clap tree has subcommands");
    for path in paths {
        let help = success_stdout(&regctl().args(&path).arg("--help").output().unwrap());
        assert!(
            help.contains("Example"),
            "`regctl {} --help` has no example:\n{help}",
            path.join(" ")
        );
    }
}

#[test]
fn usage_errors_exit_2_and_failures_exit_1() {
    let out = regctl().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = regctl()
        .args(["man", "--dir", "/proc/version/not-a-dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("caused by:"), "{stderr}");
}

/// The example lines of `help` (after "Examples:"), as rendered.
fn example_lines(help: &str) -> Vec<String> {
    help.split_once("Examples:\n")
        .map(|(_, rest)| rest.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `command` up to its first unquoted pipe, redirection, `&&`, `;` or comment: the part that runs
/// regctl, split into words. Leading `VAR=value` assignments and `sudo` are dropped.
fn regctl_words(command: &str) -> Option<Vec<String>> {
    let mut pieces = vec![String::new()];
    let mut quote = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => pieces.last_mut().unwrap().push(c),
            (None, '\'' | '"') => quote = Some(c),
            (None, '|' | ';' | '&' | '<' | '>' | '#') => pieces.push(String::new()),
            (None, c) => pieces.last_mut().unwrap().push(c),
        }
    }
    let piece = pieces.into_iter().find(|p| p.contains("regctl"))?;
    let words: Vec<String> = piece
        .split_whitespace()
        .skip_while(|w| *w == "sudo" || (w.contains('=') && !w.starts_with('-')))
        .map(str::to_owned)
        .collect();
    (words.first().map(String::as_str) == Some("regctl")).then_some(words)
}

fn walk_examples(cmd: &mut clap::Command, path: &str, problems: &mut Vec<String>) {
    let raw = cmd
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    let rendered = cmd.render_help().to_string();
    let (raw_lines, shown) = (example_lines(&raw), example_lines(&rendered));
    if raw_lines.len() != shown.len() {
        problems.push(format!(
            "{path}: clap re-wrapped the examples at 80 columns:\n{}",
            shown.join("\n")
        ));
    }
    let mut logical = String::new();
    for line in &raw_lines {
        if line.chars().count() > 76 {
            problems.push(format!(
                "{path}: example line wider than 76 columns: {line}"
            ));
        }
        match line.strip_suffix('\\') {
            Some(start) => logical.push_str(start),
            None => {
                logical.push_str(line);
                if let Some(words) = regctl_words(&logical) {
                    if let Err(err) = <regctl::cli::Cli as clap::CommandFactory>::command()
                        .try_get_matches_from(&words)
                    {
                        problems.push(format!("{path}: example `{logical}` does not parse: {err}"));
                    }
                }
                logical.clear();
            }
        }
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .filter(|n| n != "help")
        .collect();
    for name in names {
        let sub = cmd.find_subcommand_mut(&name).unwrap();
        walk_examples(sub, &format!("{path} {name}"), problems);
    }
}

/// Every `--help` example survives an 80-column terminal (one line, or ` \` continuations that
/// clap does not re-wrap) and parses as a regctl command line.
#[test]
fn help_examples_fit_80_columns_and_parse() {
    use clap::CommandFactory as _;
    let mut cmd = regctl::cli::Cli::command().term_width(80);
    cmd.build();
    let mut problems = Vec::new();
    walk_examples(&mut cmd, "regctl", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
