//! One endpoint's bounded on-disk queue: undelivered events survive a restart (registry:2 keeps
//! them in memory only and loses them).
//!
//! Layout of the endpoint's directory: segments `<seq>.jsonl` (one compact JSON event per line,
//! appended in batches, each batch flushed with `fdatasync` before its events count as queued)
//! and `cursor` (`<seq> <offset>`: the first undelivered byte, replaced atomically after each
//! delivery). Delivery is at-least-once: a cursor update lost in a crash resends an event with
//! the same `id`. After a restart writing starts in a fresh segment, so a line torn by a crash
//! can only end an old segment; it has no newline and is skipped.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A segment is closed for writing past this size; delivered segments are deleted.
const SEGMENT_BYTES: u64 = 1 << 20;

const CURSOR_FILE: &str = "cursor";
const SEGMENT_SUFFIX: &str = ".jsonl";

/// Where the next undelivered event starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    segment: u64,
    offset: u64,
}

/// An event read from the queue and where the one after it starts.
#[derive(Debug)]
pub struct Queued {
    pub line: Vec<u8>,
    next: Position,
}

#[derive(Debug)]
struct State {
    /// Segments on disk, oldest first; the last one is being written.
    segments: VecDeque<u64>,
    writer: File,
    written: u64,
    cursor: Position,
    reader: Option<(u64, BufReader<File>, u64)>,
    /// Complete lines not delivered yet.
    pending: usize,
    /// When the cursor file was last written, and whether it lags the cursor.
    cursor_written: Option<std::time::Instant>,
    cursor_dirty: bool,
}

/// How often the cursor file is rewritten while events are delivered back to back: a crash
/// resends at most this much (at-least-once), and a busy endpoint costs no file per event.
const CURSOR_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// A bounded queue of event lines in `dir`.
#[derive(Debug)]
pub struct DiskQueue {
    dir: PathBuf,
    max_events: usize,
    state: Mutex<State>,
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:016}{SEGMENT_SUFFIX}"))
}

fn count_lines(path: &Path, from: u64) -> std::io::Result<usize> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut reader = BufReader::new(file);
    let mut count = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(count);
        }
        if line.ends_with(b"\n") {
            count += 1;
        }
    }
}

impl DiskQueue {
    /// Opens (or creates) the queue in `dir`, counting what is still undelivered.
    ///
    /// # Errors
    /// When the directory cannot be created or read.
    pub fn open(dir: &Path, max_events: usize) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut segments: Vec<u64> = std::fs::read_dir(dir)?
            .filter_map(|entry| {
                let name = entry.ok()?.file_name();
                name.to_str()?.strip_suffix(SEGMENT_SUFFIX)?.parse().ok()
            })
            .collect();
        segments.sort_unstable();
        let cursor = std::fs::read_to_string(dir.join(CURSOR_FILE))
            .ok()
            .and_then(|text| {
                let (segment, offset) = text.trim().split_once(' ')?;
                Some(Position {
                    segment: segment.parse().ok()?,
                    offset: offset.parse().ok()?,
                })
            });
        let first = segments.first().copied().unwrap_or(0);
        let cursor = match cursor {
            Some(c) if segments.contains(&c.segment) => c,
            // The cursor's segment was delivered and deleted (or there is no cursor yet).
            Some(c) => Position {
                segment: segments
                    .iter()
                    .copied()
                    .find(|s| *s > c.segment)
                    .unwrap_or(first),
                offset: 0,
            },
            None => Position {
                segment: first,
                offset: 0,
            },
        };
        let mut pending = 0;
        let mut kept = VecDeque::new();
        for &seq in &segments {
            if seq < cursor.segment {
                let _ = std::fs::remove_file(segment_path(dir, seq));
                continue;
            }
            let from = if seq == cursor.segment {
                cursor.offset
            } else {
                0
            };
            pending += count_lines(&segment_path(dir, seq), from)?;
            kept.push_back(seq);
        }
        let next = segments.last().map_or(0, |s| s + 1);
        let writer = OpenOptions::new()
            .create(true)
            .append(true)
            .open(segment_path(dir, next))?;
        kept.push_back(next);
        let cursor = if pending == 0 {
            Position {
                segment: next,
                offset: 0,
            }
        } else {
            cursor
        };
        for &seq in kept.iter().take_while(|s| **s < cursor.segment) {
            let _ = std::fs::remove_file(segment_path(dir, seq));
        }
        kept.retain(|s| *s >= cursor.segment);
        Ok(Self {
            dir: dir.to_owned(),
            max_events,
            state: Mutex::new(State {
                segments: kept,
                writer,
                written: 0,
                cursor,
                reader: None,
                pending,
                cursor_written: None,
                cursor_dirty: false,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Events queued and not delivered yet.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.lock().pending
    }

    /// How many more events fit (the persister drops the rest before encoding them).
    #[must_use]
    pub fn room(&self) -> usize {
        self.max_events.saturating_sub(self.lock().pending)
    }

    /// Appends as many of `lines` (each without its newline) as fit under the bound, durably;
    /// returns how many were queued (the rest are dropped by the caller).
    ///
    /// # Errors
    /// When the segment cannot be written or synced: nothing of the batch counts as queued.
    pub fn append(&self, lines: &[Vec<u8>]) -> std::io::Result<usize> {
        let mut state = self.lock();
        let room = self.max_events.saturating_sub(state.pending);
        let accepted = lines.len().min(room);
        if accepted == 0 {
            return Ok(0);
        }
        let mut batch = Vec::with_capacity(lines[..accepted].iter().map(|l| l.len() + 1).sum());
        for line in &lines[..accepted] {
            batch.extend_from_slice(line);
            batch.push(b'\n');
        }
        state.writer.write_all(&batch)?;
        state.writer.sync_data()?;
        state.written += batch.len() as u64;
        state.pending += accepted;
        if state.written >= SEGMENT_BYTES {
            let next = state.segments.back().map_or(0, |s| s + 1);
            state.writer = OpenOptions::new()
                .create(true)
                .append(true)
                .open(segment_path(&self.dir, next))?;
            state.written = 0;
            state.segments.push_back(next);
        }
        Ok(accepted)
    }

    /// The oldest undelivered event, without removing it.
    ///
    /// # Errors
    /// When a segment cannot be read.
    pub fn peek(&self) -> std::io::Result<Option<Queued>> {
        let mut guard = self.lock();
        let state = &mut *guard;
        while state.pending > 0 {
            let cursor = state.cursor;
            let reusable = matches!(&state.reader, Some((seq, _, at)) if *seq == cursor.segment && *at == cursor.offset);
            if !reusable {
                let mut file = File::open(segment_path(&self.dir, cursor.segment))?;
                file.seek(SeekFrom::Start(cursor.offset))?;
                state.reader = Some((cursor.segment, BufReader::new(file), cursor.offset));
            }
            let Some((_, reader, at)) = state.reader.as_mut() else {
                return Ok(None);
            };
            let mut line = Vec::new();
            let read = reader.read_until(b'\n', &mut line)?;
            *at += read as u64;
            if line.ends_with(b"\n") {
                line.pop();
                return Ok(Some(Queued {
                    line,
                    next: Position {
                        segment: cursor.segment,
                        offset: cursor.offset + read as u64,
                    },
                }));
            }
            // The end of a segment (a torn last line, if any, is skipped): on to the next one,
            // unless this is the one being written.
            let position = state.segments.iter().position(|s| *s == cursor.segment);
            let Some(next) = position.and_then(|i| state.segments.get(i + 1)).copied() else {
                return Ok(None);
            };
            if !line.is_empty() {
                tracing::warn!(dir = %self.dir.display(), segment = cursor.segment, "skipping a torn event line");
            }
            state.segments.retain(|s| *s >= next);
            let _ = std::fs::remove_file(segment_path(&self.dir, cursor.segment));
            state.cursor = Position {
                segment: next,
                offset: 0,
            };
            state.reader = None;
        }
        Ok(None)
    }

    /// Marks the event `peek` returned as delivered. The cursor file is rewritten when the
    /// queue is empty or [`CURSOR_INTERVAL`] has passed since it last was ([`Self::sync`] at
    /// shutdown writes the rest).
    ///
    /// # Errors
    /// When the cursor cannot be written (the event may then be delivered again after a restart).
    pub fn ack(&self, queued: &Queued) -> std::io::Result<()> {
        let mut state = self.lock();
        state.cursor = queued.next;
        state.pending = state.pending.saturating_sub(1);
        state.cursor_dirty = true;
        let due = state
            .cursor_written
            .is_none_or(|at| at.elapsed() >= CURSOR_INTERVAL);
        if state.pending == 0 || due {
            self.write_cursor(&mut state)?;
        }
        Ok(())
    }

    /// Writes the cursor file if it lags the deliveries.
    ///
    /// # Errors
    /// When the cursor cannot be written.
    pub fn sync(&self) -> std::io::Result<()> {
        let mut state = self.lock();
        if state.cursor_dirty {
            self.write_cursor(&mut state)?;
        }
        Ok(())
    }

    fn write_cursor(&self, state: &mut State) -> std::io::Result<()> {
        let text = format!("{} {}\n", state.cursor.segment, state.cursor.offset);
        let tmp = self.dir.join(format!("{CURSOR_FILE}.tmp"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, self.dir.join(CURSOR_FILE))?;
        state.cursor_written = Some(std::time::Instant::now());
        state.cursor_dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &DiskQueue) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(item) = queue.peek().unwrap() {
            out.push(String::from_utf8(item.line.clone()).unwrap());
            queue.ack(&item).unwrap();
        }
        out
    }

    #[test]
    fn survives_reopening_with_undelivered_events_and_bounds_the_count() {
        let dir = tempfile::tempdir().unwrap();
        let queue = DiskQueue::open(dir.path(), 3).unwrap();
        assert_eq!(
            queue
                .append(&[b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()])
                .unwrap(),
            3
        );
        let first = queue.peek().unwrap().unwrap();
        assert_eq!(first.line, b"a");
        // Not acknowledged: peeking again yields the same event.
        assert_eq!(queue.peek().unwrap().unwrap().line, b"a");
        queue.ack(&first).unwrap();
        assert_eq!(queue.append(&[b"e".to_vec()]).unwrap(), 1);
        queue.sync().unwrap();
        drop(queue);

        let queue = DiskQueue::open(dir.path(), 3).unwrap();
        assert_eq!(queue.pending(), 3);
        queue.append(&[b"f".to_vec()]).unwrap_or_default();
        assert_eq!(drain(&queue), ["b", "c", "e"]);
        assert_eq!(queue.pending(), 0);
        drop(queue);
        let queue = DiskQueue::open(dir.path(), 3).unwrap();
        assert_eq!(queue.pending(), 0);
        assert!(queue.peek().unwrap().is_none());
        // Delivered segments are gone: only the fresh one is left.
        let files = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_str()
                    .unwrap()
                    .ends_with(SEGMENT_SUFFIX)
            })
            .count();
        assert_eq!(files, 1);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_segments_roll() {
        let dir = tempfile::tempdir().unwrap();
        let queue = DiskQueue::open(dir.path(), 100_000).unwrap();
        queue.append(&[b"one".to_vec()]).unwrap();
        drop(queue);
        // A crash in the middle of a batch.
        let mut segment = OpenOptions::new()
            .append(true)
            .open(segment_path(dir.path(), 0))
            .unwrap();
        segment.write_all(b"{\"torn").unwrap();
        let queue = DiskQueue::open(dir.path(), 100_000).unwrap();
        assert_eq!(queue.pending(), 1);
        let big = vec![b'x'; 4096];
        let lines: Vec<Vec<u8>> = (0..300).map(|_| big.clone()).collect();
        assert_eq!(queue.append(&lines).unwrap(), 300);
        queue.append(&[b"last".to_vec()]).unwrap();
        let drained = drain(&queue);
        assert_eq!(drained.len(), 302);
        assert_eq!(drained[0], "one");
        assert_eq!(drained[301], "last");
    }
}
