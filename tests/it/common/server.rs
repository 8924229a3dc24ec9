//! Starts `regctl serve` as a child process on an ephemeral loopback port.
//!
//! The contract every `regctl serve` honours: `--addr 127.0.0.1:0` binds an ephemeral port, and once
//! it accepts connections it prints one line on stdout containing `listening on <URL>` where URL is
//! `http://IP:PORT` or `https://IP:PORT`, followed by a space or the end of the line.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::regctl;

/// A running `regctl serve`; killed when dropped.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The ready line as printed.
    pub ready_line: String,
}

impl Server {
    /// Serves `root` with no config file, plus `extra` arguments and `envs`.
    pub fn start(root: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--root"];
        let root = root.to_str().expect("utf-8 temp path");
        args.push(root);
        args.extend_from_slice(extra);
        Self::start_with_args(&args, envs)
    }

    /// Runs `regctl ARGS` (which must include `serve`) and waits for the ready line.
    pub fn start_with_args(args: &[&str], envs: &[(&str, &str)]) -> Self {
        Self::start_with_stderr(args, envs, Stdio::inherit())
    }

    /// [`Server::start_with_args`] with the server's log (stderr) sent to `stderr`, e.g. a file
    /// a test shows when it fails.
    pub fn start_with_stderr(args: &[&str], envs: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut cmd = regctl();
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn regctl serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && line.contains("listening on ") {
                    let _ = tx.send(line);
                    sent = true;
                }
            }
        });
        let ready_line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("regctl serve {args:?} did not print its ready line (exit: {status:?})");
            }
        };
        let url = ready_line
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("URL after `listening on`")
            .trim_end_matches([',', ')'])
            .to_owned();
        let addr = url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_owned();
        Self {
            child,
            base: url,
            addr,
            ready_line,
        }
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let status = self.child.wait().expect("wait for regctl serve");
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
