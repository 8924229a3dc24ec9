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
