//! `log.audit.file`: the audit lines, and only them, appended to a file of their own as JSON
//! (one object per line, the same object `log.formatter: json` writes), whatever the main log's
//! formatter.
//!
//! A tracing layer must never block the async runtime on a disk, so the layer's writer
//! ([`AuditSink`]) only hands each formatted line to a bounded queue ([`QUEUE_LINES`]) that one
//! dedicated thread drains into the file. A line that finds the queue full (or that the disk
//! refuses) is dropped and counted; the thread then writes one `audit lines dropped` line with
//! the count into the file and warns in the main log, so a gap in the trail is never silent.
//!
//! The file is opened with `O_APPEND` and every batch is one `write`, so `regctl serve` and a
//! `regctl gc` or `regctl prune` next to it can share one file without tearing lines.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Lines the queue holds before new ones are dropped: at a few hundred bytes a line, about
/// 2 MiB, seconds of a busy registry's writes should the disk stall.
pub const QUEUE_LINES: usize = 8192;

/// The mode of a new audit file (minus the umask): the service's group may read the trail,
/// nobody else.
pub const FILE_MODE: u32 = 0o640;

/// How often the writer thread reports drops when no line arrives to trigger it.
const DROP_REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// How long [`AuditFileGuard`] waits for the queue to reach the file when dropped.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Lines written by one `write` at most (a burst is written in batches, not line by line).
const BATCH_LINES: usize = 256;

/// Why the audit file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuditFileError {
    #[error(
        "log.audit.file {path}: the directory {dir} does not exist (create it, or change the key)"
    )]
    NoDirectory { path: PathBuf, dir: PathBuf },
    #[error("log.audit.file {0}: is a directory, not a file")]
    IsDirectory(PathBuf),
    #[error("log.audit.file {path}: cannot open it for appending")]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the audit file's writer thread")]
    Thread(#[source] io::Error),
}

/// What `config validate` and the start-up check: the directory exists and the path is not one.
///
/// # Errors
/// [`AuditFileError::NoDirectory`], [`AuditFileError::IsDirectory`].
pub fn check_path(path: &Path) -> Result<(), AuditFileError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(AuditFileError::NoDirectory {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        });
    }
    if path.is_dir() {
        return Err(AuditFileError::IsDirectory(path.to_path_buf()));
    }
    Ok(())
}

enum Message {
    Line(Vec<u8>),
    /// Answered once every line queued before it is written.
    Flush(SyncSender<()>),
}

/// The layer's writer: `tracing_subscriber::fmt::layer().with_writer(sink)`.
#[derive(Clone)]
pub struct AuditSink {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
    /// Wait for room instead of dropping: for the command-line writes (`regctl gc`, `prune`),
    /// which run on no async runtime and would rather be slower than lose a line.
    blocking: bool,
}

impl AuditSink {
    fn send(&self, line: Vec<u8>) {
        let sent = if self.blocking {
            self.queue.send(Message::Line(line)).is_ok()
        } else {
            match self.queue.try_send(Message::Line(line)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            }
        };
        if !sent {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One formatted line on its way to the queue (the fmt layer writes each event in one call).
pub struct AuditLine<'a> {
    sink: &'a AuditSink,
    line: Vec<u8>,
}

impl Write for AuditLine<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for AuditLine<'_> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.sink.send(std::mem::take(&mut self.line));
        }
    }
}

impl<'a> MakeWriter<'a> for AuditSink {
    type Writer = AuditLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        AuditLine {
            sink: self,
            line: Vec::new(),
        }
    }
}

/// Keeps the writer thread's queue reachable; dropping it waits (at most 5 s) until every line
/// queued so far is in the file, so a command's last lines are not lost at exit.
pub struct AuditFileGuard {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

impl AuditFileGuard {
    /// Lines dropped so far and not yet reported in the file.
    #[must_use]
    pub fn pending_drops(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits until every line queued so far is written (at most `timeout`).
    pub fn flush(&self, timeout: Duration) {
        let (ack, acked) = mpsc::sync_channel(1);
        if self.queue.send(Message::Flush(ack)).is_ok() {
            let _ = acked.recv_timeout(timeout);
        }
    }
}

impl Drop for AuditFileGuard {
    fn drop(&mut self) {
        self.flush(FLUSH_TIMEOUT);
    }
}

/// Whether a full queue drops the line (a server: never block a request) or waits (a
/// command-line write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    Drop,
    Wait,
}

/// Opens (creating it [`FILE_MODE`]) the audit file for appending and starts its writer thread.
///
/// # Errors
/// [`AuditFileError`]: a missing directory, a directory at the path, no permission.
pub fn open(
    path: &Path,
    when_full: WhenFull,
) -> Result<(AuditSink, AuditFileGuard), AuditFileError> {
    open_with_queue(path, QUEUE_LINES, when_full)
}

fn open_with_queue(
    path: &Path,
    capacity: usize,
    when_full: WhenFull,
) -> Result<(AuditSink, AuditFileGuard), AuditFileError> {
    check_path(path)?;
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(|source| AuditFileError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    start(file, path.to_path_buf(), capacity, when_full)
}

fn start(
    file: File,
    path: PathBuf,
    capacity: usize,
    when_full: WhenFull,
) -> Result<(AuditSink, AuditFileGuard), AuditFileError> {
    let (queue, lines) = mpsc::sync_channel(capacity);
    let dropped = Arc::new(AtomicU64::new(0));
    let writer = Writer {
        file,
        path,
        dropped: Arc::clone(&dropped),
        last_error: None,
    };
    std::thread::Builder::new()
        .name("regctl-audit".into())
        .spawn(move || writer.run(&lines))
        .map_err(AuditFileError::Thread)?;
    Ok((
        AuditSink {
            queue: queue.clone(),
            dropped: Arc::clone(&dropped),
            blocking: when_full == WhenFull::Wait,
        },
        AuditFileGuard { queue, dropped },
    ))
}

struct Writer {
    file: File,
    path: PathBuf,
    dropped: Arc<AtomicU64>,
    last_error: Option<String>,
}

impl Writer {
    fn run(mut self, lines: &Receiver<Message>) {
        let mut batch = Vec::new();
        loop {
            let first = match lines.recv_timeout(DROP_REPORT_INTERVAL) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    self.report_drops();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            self.report_drops();
            let mut acks = Vec::new();
            let mut count = 0;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Line(line) => {
                        batch.extend_from_slice(&line);
                        count += 1;
                    }
                    Message::Flush(ack) => acks.push(ack),
                }
                if count < BATCH_LINES {
                    next = lines.try_recv().ok();
                }
            }
            self.write(&batch, count);
            batch.clear();
            for ack in acks {
                let _ = ack.try_send(());
            }
        }
        self.report_drops();
    }

    fn write(&mut self, batch: &[u8], lines: usize) {
        if batch.is_empty() {
            return;
        }
        if let Err(e) = self.file.write_all(batch) {
            self.dropped.fetch_add(lines as u64, Ordering::Relaxed);
            self.last_error = Some(e.to_string());
        }
    }

    /// Says how many lines were dropped since the last report: in the file (best effort: the
    /// disk may be why) and in the main log.
    fn report_drops(&mut self) {
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped == 0 {
            return;
        }
        let reason = self
            .last_error
            .take()
            .unwrap_or_else(|| format!("the queue of {QUEUE_LINES} lines was full"));
        let timestamp = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let line = serde_json::json!({
            "timestamp": timestamp,
            "level": "WARN",
            "message": "audit lines dropped",
            "dropped": dropped,
            "reason": reason,
            "target": crate::audit::AUDIT_TARGET,
        });
        let mut text = line.to_string();
        text.push('\n');
        let _ = self.file.write_all(text.as_bytes());
        // Not the audit target: the warning goes to the main log, not back into this queue.
        tracing::warn!(
            target: "regctl::logging",
            dropped,
            reason = %reason,
            file = %self.path.display(),
            "audit lines dropped; the audit file misses them"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn line(sink: &AuditSink, text: &str) {
        let mut writer = sink.make_writer();
        writer.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn lines_are_appended_to_a_new_0640_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "earlier\n").unwrap();
        std::fs::remove_file(&path).unwrap();
        {
            let (sink, _guard) = open(&path, WhenFull::Drop).unwrap();
            line(&sink, "{\"a\":1}\n");
        }
        {
            let (sink, _guard) = open(&path, WhenFull::Drop).unwrap();
            line(&sink, "{\"a\":2}\n");
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // The umask may take bits away, never add them.
        assert_eq!(mode & !FILE_MODE, 0, "mode {mode:o}");
        assert!(mode & 0o600 == 0o600, "mode {mode:o}");
    }

    #[test]
    fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope/audit.log");
        let err = open(&path, WhenFull::Drop).err().expect("refused");
        assert!(matches!(err, AuditFileError::NoDirectory { .. }));
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = open(dir.path(), WhenFull::Drop).err().expect("refused");
        assert!(matches!(err, AuditFileError::IsDirectory(_)));
    }

    #[test]
    fn a_full_queue_drops_counts_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        // A queue of one line and a writer that cannot keep up with a burst of 2000 sends.
        let (sink, guard) = open_with_queue(&path, 1, WhenFull::Drop).unwrap();
        for i in 0..2000 {
            line(&sink, &format!("{{\"n\":{i}}}\n"));
        }
        guard.flush(Duration::from_secs(5));
        drop(guard);
        // The report is written before the next batch or within a second.
        std::thread::sleep(DROP_REPORT_INTERVAL * 2);
        let text = std::fs::read_to_string(&path).unwrap();
        let written = text.lines().filter(|l| l.starts_with("{\"n\"")).count();
        let reported: u64 = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == "audit lines dropped")
            .map(|v| v["dropped"].as_u64().unwrap())
            .sum();
        assert!(reported > 0, "nothing dropped:\n{text}");
        assert_eq!(
            written as u64 + reported,
            2000,
            "every line written or counted"
        );
    }

    #[test]
    fn a_waiting_queue_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let (sink, guard) = open_with_queue(&path, 1, WhenFull::Wait).unwrap();
        for i in 0..2000 {
            line(&sink, &format!("{{\"n\":{i}}}\n"));
        }
        drop(guard);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2000);
        assert!(!text.contains("dropped"));
    }
}
