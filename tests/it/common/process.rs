//! Third-party servers started by tests: kill-on-drop ownership and waiting for their port.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// Kills the process when the test ends, however it ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `addr` accepts TCP connections; fails if `child` exits first or after a minute.
pub fn wait_for_port(addr: &str, child: &mut Child, what: &str) {
    wait_for_port_showing_log(addr, child, what, None);
}

/// [`wait_for_port`], with the contents of `log` (the child's output) in the failure message.
pub fn wait_for_port_showing_log(addr: &str, child: &mut Child, what: &str, log: Option<&Path>) {
    let show_log = || {
        log.map(|path| format!(":\n{}", std::fs::read_to_string(path).unwrap_or_default()))
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited before listening on {addr}: {status}{}",
                show_log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{what} never listened on {addr}{}",
            show_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
