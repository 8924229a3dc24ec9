//! An in-memory backend: registry:2's key space in a sorted map, for unit tests and single-process
//! use. It has no directories at all (like S3), so code that passes on it does not lean on the
//! filesystem's. Its [`MemoryCoordinator`] is a reader/writer lock with the same semantics as the
//! filesystem's `flock` protocol, within one process.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::backend::{
    BlobSource, Child, ChildKind, Committed, Durability, Meta, Storage, Upload, WalkEntry,
};
use super::chunks::BlobChunks;
use super::coordinator::{Coordinator, Guard, LockError};
use super::paths::{descendant, Key};
use super::StorageError;

#[derive(Debug, Clone)]
struct File {
    data: Bytes,
    modified: SystemTime,
    changed: SystemTime,
}

impl File {
    fn new(data: Bytes) -> Self {
        let now = SystemTime::now();
        Self {
            data,
            modified: now,
            changed: now,
        }
    }

    fn meta(&self) -> Meta {
        Meta {
            len: self.data.len() as u64,
            modified: self.modified,
            changed: self.changed,
        }
    }
}

type Files = Arc<Mutex<BTreeMap<String, File>>>;

/// A whole store in memory; clones share it.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    files: Files,
}

impl MemoryStorage {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self) -> MutexGuard<'_, BTreeMap<String, File>> {
        lock(&self.files)
    }
}

fn lock(files: &Files) -> MutexGuard<'_, BTreeMap<String, File>> {
    files.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `prefix/`: what every key strictly below `prefix` starts with.
fn below(prefix: &Key) -> String {
    format!("{}/", prefix.as_str())
}

/// Bytes already in memory, as one chunk.
struct MemoryChunks(Option<Bytes>);

impl BlobChunks for MemoryChunks {
    fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.0.take().filter(|b| !b.is_empty()))
    }
}

struct MemorySource(Bytes);

impl BlobSource for MemorySource {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn chunks(self: Box<Self>, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>> {
        let range = slice(&self.0, start, len)?;
        Ok(Box::new(MemoryChunks(Some(range))))
    }
}

fn slice(data: &Bytes, start: u64, len: u64) -> io::Result<Bytes> {
    let end = start.saturating_add(len);
    if end > data.len() as u64 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "range past the end of the file",
        ));
    }
    // Both are within the length of an in-memory buffer, so they fit a usize.
    let (start, end) = (
        usize::try_from(start).unwrap_or(usize::MAX),
        usize::try_from(end).unwrap_or(usize::MAX),
    );
    Ok(data.slice(start..end))
}

/// An upload's bytes, held here until [`Upload::persist`] stores them under the data key.
struct MemoryUpload {
    files: Files,
    key: Key,
    data: Vec<u8>,
    base: u64,
}

impl Upload for MemoryUpload {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(data);
        Ok(())
    }

    fn rewind(&mut self, len: u64) -> io::Result<()> {
        if len < self.base || len > self.size() {
            return Err(StorageError::wrap(
                "rewind",
                self.key.as_str(),
                io::Error::new(io::ErrorKind::InvalidInput, "rewind outside the upload"),
            ));
        }
        self.data
            .truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }

    fn persist(&mut self) -> io::Result<()> {
        let file = File::new(Bytes::copy_from_slice(&self.data));
        lock(&self.files).insert(self.key.as_str().to_owned(), file);
        Ok(())
    }

    fn chunks(&mut self, start: u64, len: u64) -> io::Result<Box<dyn BlobChunks>> {
        let data = Bytes::copy_from_slice(&self.data);
        Ok(Box::new(MemoryChunks(Some(slice(&data, start, len)?))))
    }

    fn seal(&mut self, len: u64) -> io::Result<()> {
        if len > self.size() {
            return Err(StorageError::wrap(
                "seal",
                self.key.as_str(),
                io::Error::new(io::ErrorKind::InvalidInput, "seal past the upload's size"),
            ));
        }
        self.data
            .truncate(usize::try_from(len).unwrap_or(usize::MAX));
        self.persist()
    }

    fn commit(self: Box<Self>, to: &Key) -> io::Result<Committed> {
        let mut files = lock(&self.files);
        files.remove(self.key.as_str());
        if files.contains_key(to.as_str()) {
            return Ok(Committed::AlreadyPresent);
        }
        files.insert(to.as_str().to_owned(), File::new(Bytes::from(self.data)));
        Ok(Committed::Stored)
    }

    fn abort(self: Box<Self>) -> io::Result<()> {
        lock(&self.files).remove(self.key.as_str());
        Ok(())
    }
}

impl Storage for MemoryStorage {
    fn get(&self, key: &Key, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let files = self.files();
        let Some(file) = files.get(key.as_str()) else {
            return Ok(None);
        };
        if file.data.len() as u64 > limit {
            return Err(StorageError::wrap(
                "read",
                key.as_str(),
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} bytes, more than the {limit} expected", file.data.len()),
                ),
            ));
        }
        Ok(Some(file.data.to_vec()))
    }

    fn head(&self, key: &Key) -> io::Result<Option<Meta>> {
        Ok(self.files().get(key.as_str()).map(File::meta))
    }

    fn put(&self, key: &Key, data: &[u8], _durability: Durability) -> io::Result<()> {
        self.files().insert(
            key.as_str().to_owned(),
            File::new(Bytes::copy_from_slice(data)),
        );
        Ok(())
    }

    fn create(&self, key: &Key, data: &[u8]) -> io::Result<bool> {
        match self.files().entry(key.as_str().to_owned()) {
            std::collections::btree_map::Entry::Occupied(_) => Ok(false),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(File::new(Bytes::copy_from_slice(data)));
                Ok(true)
            }
        }
    }

    fn open(&self, key: &Key) -> io::Result<Option<Box<dyn BlobSource>>> {
        Ok(self
            .files()
            .get(key.as_str())
            .map(|file| Box::new(MemorySource(file.data.clone())) as Box<dyn BlobSource>))
    }

    fn list(&self, prefix: &Key) -> io::Result<Vec<Child>> {
        let start = below(prefix);
        let mut children: Vec<Child> = Vec::new();
        for key in self.files().range(start.clone()..).map(|(k, _)| k) {
            let Some(rest) = key.strip_prefix(&start) else {
                break;
            };
            let child = match rest.split_once('/') {
                Some((name, _)) => Child {
                    name: name.to_owned(),
                    kind: ChildKind::Prefix,
                },
                None => Child {
                    name: rest.to_owned(),
                    kind: ChildKind::File,
                },
            };
            if children.last() != Some(&child) {
                children.push(child);
            }
        }
        children.sort();
        children.dedup();
        Ok(children)
    }

    fn walk(
        &self,
        prefix: &Key,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(WalkEntry),
    ) -> io::Result<()> {
        let start = below(prefix);
        // A snapshot of the matching entries, so the visitor may call this storage again.
        let found: Vec<(String, Meta)> = self
            .files()
            .range(start.clone()..)
            .take_while(|(k, _)| k.starts_with(&start))
            .filter(|(k, _)| want(k.rsplit('/').next().unwrap_or_default()))
            .map(|(k, f)| (k[start.len()..].to_owned(), f.meta()))
            .collect();
        for (relative, meta) in found {
            if let Some(key) = descendant(prefix, &relative) {
                visit(WalkEntry {
                    key,
                    relative,
                    meta,
                });
            }
        }
        Ok(())
    }

    fn delete(&self, key: &Key) -> io::Result<()> {
        self.files().remove(key.as_str());
        Ok(())
    }

    fn delete_tree(&self, prefix: &Key) -> io::Result<()> {
        let start = below(prefix);
        let mut files = self.files();
        files.remove(prefix.as_str());
        files.retain(|k, _| !k.starts_with(&start));
        Ok(())
    }

    fn open_upload(&self, key: &Key, offset: u64) -> io::Result<Box<dyn Upload>> {
        let stored = self
            .files()
            .get(key.as_str())
            .map(|f| f.data.clone())
            .unwrap_or_default();
        if offset > stored.len() as u64 {
            return Err(StorageError::wrap(
                "open for append",
                key.as_str(),
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("offset {offset} is past the stored {} bytes", stored.len()),
                ),
            ));
        }
        let kept = slice(&stored, 0, offset)?;
        let upload = MemoryUpload {
            files: Arc::clone(&self.files),
            key: key.clone(),
            data: kept.to_vec(),
            base: offset,
        };
        if stored.is_empty() {
            // Created on open, as a file-backed upload is.
            lock(&self.files).insert(key.as_str().to_owned(), File::new(Bytes::new()));
        }
        Ok(Box::new(upload))
    }

    fn upload_size(&self, key: &Key) -> io::Result<Option<u64>> {
        Ok(self.files().get(key.as_str()).map(|f| f.data.len() as u64))
    }

    fn touch(&self, key: &Key) -> io::Result<()> {
        match self.files().get_mut(key.as_str()) {
            Some(file) => {
                file.changed = SystemTime::now();
                Ok(())
            }
            None => Err(StorageError::wrap(
                "touch",
                key.as_str(),
                io::Error::from(io::ErrorKind::NotFound),
            )),
        }
    }

    fn describe(&self) -> String {
        "memory".to_owned()
    }
}

/// The reference lock (shared by servers, exclusive for a sweep) and the collector lock, in
/// process.
#[derive(Debug, Clone, Default)]
pub struct MemoryCoordinator {
    state: Arc<(Mutex<LockState>, Condvar)>,
}

#[derive(Debug, Default)]
struct LockState {
    references: usize,
    sweeping: bool,
    collecting: bool,
}

enum Held {
    Reference,
    Sweep,
    Collector,
}

struct Release(Arc<(Mutex<LockState>, Condvar)>, Held);

impl Drop for Release {
    fn drop(&mut self) {
        let (state, changed) = &*self.0;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        match self.1 {
            Held::Reference => state.references -= 1,
            Held::Sweep => state.sweeping = false,
            Held::Collector => state.collecting = false,
        }
        changed.notify_all();
    }
}

impl MemoryCoordinator {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl Coordinator for MemoryCoordinator {
    fn reference_guard(&self) -> io::Result<Guard> {
        let (state, changed) = &*self.state;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.sweeping {
            state = changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.references += 1;
        Ok(Guard::holding(Release(
            Arc::clone(&self.state),
            Held::Reference,
        )))
    }

    fn sweep_lock(&self, timeout: Duration) -> Result<Guard, LockError> {
        let began = Instant::now();
        let (state, changed) = &*self.state;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.sweeping || state.references > 0 {
            let waited = began.elapsed();
            if waited >= timeout {
                return Err(LockError::Busy {
                    lock: "the reference lock".to_owned(),
                    waited,
                });
            }
            state = changed
                .wait_timeout(state, timeout - waited)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.sweeping = true;
        Ok(Guard::holding(Release(
            Arc::clone(&self.state),
            Held::Sweep,
        )))
    }

    fn collector_lock(&self) -> Result<Guard, LockError> {
        let (state, _) = &*self.state;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.collecting {
            return Err(LockError::Busy {
                lock: "the collector lock".to_owned(),
                waited: Duration::ZERO,
            });
        }
        state.collecting = true;
        Ok(Guard::holding(Release(
            Arc::clone(&self.state),
            Held::Collector,
        )))
    }

    fn spans_processes(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_conformance_suite() {
        super::super::conformance::run(&MemoryStorage::new());
    }

    #[test]
    fn coordinates_like_the_filesystem_locks() {
        super::super::conformance::run_coordinator(&MemoryCoordinator::new());
    }
}
