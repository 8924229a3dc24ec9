//! Blob uploads: sessions, streamed appends, commit, cancel and purge.
//!
//! Bytes are hashed as they arrive and appended to the upload data at `_uploads/<uuid>/data`
//! (a [`Upload`]: a file, or an S3 multipart upload); a finished upload is verified against its
//! digest, sealed and committed to `blobs/.../data` only if that is absent, so a blob is visible
//! only when complete and correct, and identical concurrent uploads all succeed. A body that breaks off mid-request is cut back to the last acknowledged offset,
//! so the session stays consistent and nothing becomes visible.
//!
//! Sessions live in memory (offset + hasher) and are rebuilt from storage when missing (after a
//! restart, on another replica, or for an upload registry:2 started): the offset is the upload
//! data's stored size and the hasher comes from `hashstates/sha256/<offset>` in Go's format, or from rehashing.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::{catalog, write_link, BlobInfo, Registry, RegistryError};
use crate::digest::{Digest, Hasher};
use crate::oci::reference::{Name, UploadId};
use crate::storage::backend::{Durability, Storage, Upload};
use crate::storage::coordinator::Coordinator;
use crate::storage::paths::{self, Key};

/// Bytes gathered before the writer thread starts: small bodies are written in one go together
/// with the commit, large ones stream through a dedicated blocking writer.
const BATCH_BYTES: usize = 1 << 20;
/// Chunks in flight between the request task and the writer.
const WRITER_QUEUE: usize = 16;

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadStatus {
    pub id: String,
    /// Bytes received so far.
    pub offset: u64,
}

/// What `purge_uploads` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    /// Upload sessions seen.
    pub scanned: usize,
    /// `<repository>/<uuid>` of each upload removed (or that would be, on a dry run).
    pub removed: Vec<String>,
}

#[derive(Default)]
pub(super) struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
}

struct Session {
    repo: String,
    state: tokio::sync::Mutex<SessionState>,
}

struct SessionState {
    offset: u64,
    hasher: Hasher,
    /// Offset of the hash state file last written, removed when a newer one is written.
    hash_state_at: Option<u64>,
    /// Committed, cancelled or broken: every later request sees BLOB_UPLOAD_UNKNOWN.
    closed: bool,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.lock().get(id).cloned()
    }

    /// Inserts unless another request loaded the same session first; returns the one in the map.
    fn insert(&self, id: &str, session: Session) -> Arc<Session> {
        Arc::clone(
            self.lock()
                .entry(id.to_owned())
                .or_insert_with(|| Arc::new(session)),
        )
    }

    fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// How much of a body is read and dropped after its write failed, before answering.
const DISCARD_AFTER_FAILURE: usize = 64 << 20;

/// The write side of one request: lazily opened upload data plus the running hash.
struct Sink {
    storage: Arc<dyn Storage>,
    key: Key,
    upload: Option<Box<dyn Upload>>,
    start: u64,
    hasher: Hasher,
    written: u64,
}

impl Sink {
    fn upload(&mut self) -> io::Result<&mut Box<dyn Upload>> {
        match &mut self.upload {
            Some(upload) => Ok(upload),
            slot @ None => Ok(slot.insert(self.storage.open_upload(&self.key, self.start)?)),
        }
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.upload()?.append(chunk)?;
        self.hasher.update(chunk);
        self.written += chunk.len() as u64;
        Ok(())
    }

    fn end(&self) -> u64 {
        self.start + self.written
    }

    /// Undoes this request's bytes.
    fn rollback(&mut self) -> io::Result<()> {
        let start = self.start;
        if let Some(upload) = &mut self.upload {
            upload.rewind(start)?;
            upload.persist()?;
        }
        Ok(())
    }

    /// Makes this request's bytes visible to the next request of the session (the end of a PATCH).
    fn persist(&mut self) -> io::Result<()> {
        match &mut self.upload {
            Some(upload) => upload.persist(),
            None => Ok(()),
        }
    }

    /// Cuts off anything past what was hashed (bytes a crashed writer may have left), makes the
    /// data durable and hands the upload over for its commit.
    fn seal(&mut self) -> io::Result<Box<dyn Upload>> {
        let end = self.end();
        self.upload()?.seal(end)?;
        self.upload
            .take()
            .ok_or_else(|| io::Error::other("upload closed before its commit"))
    }
}

struct Pumped {
    /// `None` only if the writer thread died.
    sink: Option<Sink>,
    /// Chunks received but not yet written.
    pending: Vec<Bytes>,
    result: Result<(), RegistryError>,
}

/// Streams a request body into `sink`: bodies under [`BATCH_BYTES`] are handed back for the final
/// blocking step; larger ones go through a writer thread so receiving, hashing and writing overlap.
async fn pump<S, E>(mut sink: Sink, mut body: S) -> Pumped
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut pending = Vec::new();
    let mut pending_len = 0usize;
    loop {
        match body.next().await {
            None => {
                return Pumped {
                    sink: Some(sink),
                    pending,
                    result: Ok(()),
                }
            }
            Some(Err(e)) => {
                return Pumped {
                    sink: Some(sink),
                    pending: Vec::new(),
                    result: Err(RegistryError::BodyInterrupted(e.to_string())),
                }
            }
            Some(Ok(chunk)) => {
                if chunk.is_empty() {
                    continue;
                }
                pending_len += chunk.len();
                pending.push(chunk);
                if pending_len >= BATCH_BYTES {
                    break;
                }
            }
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(WRITER_QUEUE);
    let writer = tokio::task::spawn_blocking(move || {
        for chunk in pending {
            if let Err(e) = sink.write(&chunk) {
                return (sink, Err(e));
            }
        }
        while let Some(chunk) = rx.blocking_recv() {
            if let Err(e) = sink.write(&chunk) {
                return (sink, Err(e));
            }
        }
        (sink, Ok(()))
    });
    let mut body_result = Ok(());
    while let Some(item) = body.next().await {
        match item {
            Ok(chunk) => {
                // A send error means the writer stopped on an I/O error, reported below. The
                // rest of the body (up to a bound) is read and dropped first, so a client still
                // sending gets that error (e.g. 507 storage full) instead of a reset connection.
                if tx.send(chunk).await.is_err() {
                    let mut discarded = 0usize;
                    while discarded < DISCARD_AFTER_FAILURE {
                        match body.next().await {
                            Some(Ok(chunk)) => discarded += chunk.len(),
                            _ => break,
                        }
                    }
                    break;
                }
            }
            Err(e) => {
                body_result = Err(RegistryError::BodyInterrupted(e.to_string()));
                break;
            }
        }
    }
    drop(tx);
    match writer.await {
        Ok((sink, write_result)) => Pumped {
            sink: Some(sink),
            pending: Vec::new(),
            result: write_result.map_err(RegistryError::Io).and(body_result),
        },
        Err(e) => Pumped {
            sink: None,
            pending: Vec::new(),
            result: Err(RegistryError::Io(io::Error::other(e))),
        },
    }
}

/// Writes the chunks `pump` left over and checks the body length against its Content-Range.
fn drain_pending(
    sink: &mut Sink,
    pending: Vec<Bytes>,
    expected_len: Option<u64>,
) -> Result<(), RegistryError> {
    for chunk in pending {
        sink.write(&chunk)?;
    }
    if let Some(expected) = expected_len {
        if sink.written != expected {
            return Err(RegistryError::SizeInvalid {
                expected,
                received: sink.written,
            });
        }
    }
    Ok(())
}

/// Verifies, seals and commits an upload's data into the blob store, links it into the
/// repository and removes the upload directory.
fn commit(
    storage: &dyn Storage,
    locks: &dyn Coordinator,
    sink: &mut Sink,
    expected: Digest,
    layer_link: &Key,
    upload_dir: &Key,
) -> Result<BlobInfo, RegistryError> {
    let actual = sink.hasher.clone().finish();
    if actual != expected {
        return Err(RegistryError::DigestMismatch {
            expected,
            actual: Box::new(actual),
        });
    }
    let sealed = sink.seal()?;
    // An existing blob is kept instead of replaced (create-if-absent): it must not be swept
    // before the link is written. The data was streamed without the guard; only the commit
    // takes it.
    let guard = locks.reference_guard()?;
    sealed.commit(&paths::blob_data(&expected))?;
    write_link(storage, layer_link, &expected)?;
    guard.confirm()?;
    storage.delete_tree(upload_dir)?;
    Ok(BlobInfo {
        digest: expected,
        size: sink.end(),
    })
}

/// Hashes the first `len` bytes of an upload's data (when no usable hash state was stored).
fn rehash(storage: &dyn Storage, key: &Key, len: u64) -> Result<Hasher, RegistryError> {
    let mut hasher = Hasher::new();
    if len == 0 {
        return Ok(hasher);
    }
    let mut upload = storage.open_upload(key, len)?;
    let mut chunks = upload.chunks(0, len)?;
    while let Some(chunk) = chunks.next_chunk()? {
        hasher.update(&chunk);
    }
    Ok(hasher)
}

/// An upload's offset and hash as storage holds them: the offset is the stored data's size, the
/// hash comes from the hash state stored at that offset (Go's format, registry:2's too) or from
/// rehashing. With `known` (the offset a session in memory has), `None` when storage agrees.
/// [`RegistryError::UploadUnknown`] when the upload is gone (finished, cancelled or never made).
fn load_session(
    s: &dyn Storage,
    repo: &str,
    upload: &str,
    known: Option<u64>,
) -> Result<Option<(u64, Hasher)>, RegistryError> {
    // Validated by the caller; parsing the owned copies again is free of I/O.
    let name = Name::parse(repo).map_err(|_| RegistryError::NameUnknown)?;
    let id = UploadId::parse(upload).ok_or(RegistryError::UploadUnknown)?;
    let data = paths::upload_data(name, id);
    let data_len = s.upload_size(&data)?;
    if data_len.is_none() && s.head(&paths::upload_started_at(name, id))?.is_none() {
        return Err(RegistryError::UploadUnknown);
    }
    let offset = data_len.unwrap_or(0);
    if known == Some(offset) {
        return Ok(None);
    }
    let stored = s
        .get(
            &paths::hash_state_in(&paths::upload_hash_states(name, id), offset),
            1024,
        )?
        .and_then(|b| Hasher::from_go_state(&b))
        .filter(|h| h.len() == offset);
    let hasher = match stored {
        Some(h) => h,
        None => rehash(s, &data, offset)?,
    };
    Ok(Some((offset, hasher)))
}

/// distribution's `startedat`: `time.Now().UTC().Format(time.RFC3339)`, e.g. `2024-05-01T12:34:56Z`
/// (pull records write the same).
pub(super) fn started_at_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

use crate::storage::tree::parse_started_at;

impl Registry {
    /// Opens an upload session in `name` (`POST /blobs/uploads/`).
    ///
    /// # Errors
    /// Storage errors.
    pub async fn start_upload(&self, name: Name<'_>) -> Result<UploadStatus, RegistryError> {
        let id = uuid::Uuid::new_v4().to_string();
        let upload_id = UploadId::parse(&id).ok_or(RegistryError::UploadUnknown)?;
        let started = paths::upload_started_at(name, upload_id);
        // A crash makes an unfinished session moot, so its start time need not be fsynced.
        self.blocking(move |s| {
            Ok(s.put(&started, started_at_now().as_bytes(), Durability::Volatile)?)
        })
        .await?;
        self.sessions.insert(
            &id,
            Session {
                repo: name.as_str().to_owned(),
                state: tokio::sync::Mutex::new(SessionState {
                    offset: 0,
                    hasher: Hasher::new(),
                    hash_state_at: None,
                    closed: false,
                }),
            },
        );
        Ok(UploadStatus { id, offset: 0 })
    }

    /// The session for `id` in `name`, from memory or rebuilt from storage.
    async fn session(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
    ) -> Result<Arc<Session>, RegistryError> {
        if let Some(session) = self.sessions.get(id.as_str()) {
            return if session.repo == name.as_str() {
                Ok(session)
            } else {
                Err(RegistryError::UploadUnknown)
            };
        }
        let repo = name.as_str().to_owned();
        let upload = id.as_str().to_owned();
        let (offset, hasher) = self
            .blocking(move |s| load_session(s, &repo, &upload, None))
            .await?
            .ok_or(RegistryError::UploadUnknown)?;
        Ok(self.sessions.insert(
            id.as_str(),
            Session {
                repo: name.as_str().to_owned(),
                state: tokio::sync::Mutex::new(SessionState {
                    offset,
                    hasher,
                    hash_state_at: None,
                    closed: false,
                }),
            },
        ))
    }

    /// Checks an in-memory session against storage: another replica (or registry:2) may have
    /// appended to, finished or cancelled the upload since this process last touched it. The
    /// stored size is the truth; a different one reloads offset and hash from storage, a vanished
    /// upload closes the session. Costs one size lookup per request.
    async fn revalidate(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
        state: &mut SessionState,
    ) -> Result<(), RegistryError> {
        if state.closed {
            return Err(RegistryError::UploadUnknown);
        }
        let repo = name.as_str().to_owned();
        let upload = id.as_str().to_owned();
        let offset = state.offset;
        let reloaded = self
            .blocking(move |s| load_session(s, &repo, &upload, Some(offset)))
            .await?;
        match reloaded {
            None => Ok(()),
            Some((offset, hasher)) => {
                tracing::debug!(
                    upload = id.as_str(),
                    from = state.offset,
                    to = offset,
                    "upload changed elsewhere: session reloaded from storage"
                );
                state.offset = offset;
                state.hasher = hasher;
                state.hash_state_at = None;
                Ok(())
            }
        }
    }

    /// [`Registry::revalidate`], dropping the session from memory when the upload is gone.
    async fn revalidate_or_forget(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
        state: &mut SessionState,
    ) -> Result<(), RegistryError> {
        let result = self.revalidate(name, id, state).await;
        if matches!(result, Err(RegistryError::UploadUnknown)) {
            state.closed = true;
            self.sessions.remove(id.as_str());
        }
        result
    }

    /// Where upload `id` stands (`GET` on the upload URL).
    ///
    /// # Errors
    /// [`RegistryError::UploadUnknown`].
    pub async fn upload_status(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
    ) -> Result<UploadStatus, RegistryError> {
        let session = self.session(name, id).await?;
        let mut state = session.state.lock().await;
        self.revalidate_or_forget(name, id, &mut state).await?;
        Ok(UploadStatus {
            id: id.as_str().to_owned(),
            offset: state.offset,
        })
    }

    /// Appends a request body to upload `id` (`PATCH`). `range` is the Content-Range
    /// (inclusive `start-end`); its start must be the current offset.
    ///
    /// # Errors
    /// [`RegistryError::RangeInvalid`] for an out-of-order chunk, `SizeInvalid` when the body does
    /// not fill the range, `BodyInterrupted` when the body breaks off (the chunk is then undone).
    pub async fn append_upload<S, E>(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
        range: Option<(u64, u64)>,
        body: S,
    ) -> Result<UploadStatus, RegistryError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let session = self.session(name, id).await?;
        let mut state = session.state.lock().await;
        let writer = self.claim_writer(name, id, state.offset).await?;
        self.revalidate_or_forget(name, id, &mut state).await?;
        let (mut sink, pending, mut result) =
            self.receive(name, id, &mut state, range, body).await?;
        let hash_states = paths::upload_hash_states(name, id);
        let previous_state = state.hash_state_at;
        let expected_len = range.map(|(start, end)| (end - start).saturating_add(1));
        let (sink, result, consistent) = self
            .blocking(move |s| {
                if result.is_ok() {
                    result = drain_pending(&mut sink, pending, expected_len);
                }
                if result.is_err() {
                    let consistent = sink.rollback().is_ok();
                    return Ok((sink, result, consistent));
                }
                if let Err(e) = sink.persist() {
                    let consistent = sink.rollback().is_ok();
                    return Ok((sink, Err(e.into()), consistent));
                }
                if sink.written > 0 {
                    // Lets a restarted process, another replica or registry:2 resume without
                    // rehashing; losing it only costs a rehash, so it is not fsynced.
                    let end = sink.end();
                    s.put(
                        &paths::hash_state_in(&hash_states, end),
                        &sink.hasher.to_go_state(),
                        Durability::Volatile,
                    )?;
                    if let Some(old) = previous_state.filter(|&old| old != end) {
                        s.delete(&paths::hash_state_in(&hash_states, old))?;
                    }
                }
                // Released before the answer, so the client's next request, on any server,
                // finds the upload free.
                writer.confirm()?;
                Ok((sink, Ok(()), true))
            })
            .await?;
        if !consistent {
            self.abandon(name, id, &mut state).await;
            return Err(result.err().unwrap_or(RegistryError::UploadUnknown));
        }
        result?;
        if sink.written > 0 {
            state.hash_state_at = Some(sink.end());
        }
        state.offset = sink.end();
        state.hasher = sink.hasher;
        Ok(UploadStatus {
            id: id.as_str().to_owned(),
            offset: state.offset,
        })
    }

    /// Finishes upload `id` (`PUT ?digest=`), with an optional last chunk.
    ///
    /// # Errors
    /// As [`Registry::append_upload`], plus [`RegistryError::DigestMismatch`] (the upload is then
    /// cancelled, as distribution does).
    pub async fn finish_upload<S, E>(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
        range: Option<(u64, u64)>,
        body: S,
        expected: Digest,
    ) -> Result<BlobInfo, RegistryError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let session = self.session(name, id).await?;
        let mut state = session.state.lock().await;
        let writer = self.claim_writer(name, id, state.offset).await?;
        self.revalidate_or_forget(name, id, &mut state).await?;
        let (mut sink, pending, mut result) =
            self.receive(name, id, &mut state, range, body).await?;
        let layer_link = paths::layer_link(name, &expected);
        let upload_dir = paths::upload_dir(name, id);
        let expected_len = range.map(|(start, end)| (end - start).saturating_add(1));
        let locks = Arc::clone(&self.locks);
        let (sink, outcome) = self
            .blocking(move |s| {
                if result.is_ok() {
                    result = drain_pending(&mut sink, pending, expected_len);
                }
                if let Err(e) = result {
                    return Ok((sink, Err((e, false))));
                }
                let outcome = commit(s, &*locks, &mut sink, expected, &layer_link, &upload_dir);
                // The upload is gone with its directory; only a failed commit leaves a claim.
                let _ = writer.confirm();
                // Whatever went wrong after the data was complete, the session cannot continue.
                Ok((sink, outcome.map_err(|e| (e, true))))
            })
            .await?;
        match outcome {
            Ok(info) => {
                state.closed = true;
                self.sessions.remove(id.as_str());
                Ok(info)
            }
            Err((e, true)) => {
                self.abandon(name, id, &mut state).await;
                Err(e)
            }
            Err((e, false)) => {
                let mut sink = sink;
                let undone = self
                    .blocking(move |_| Ok(sink.rollback().is_ok()))
                    .await
                    .unwrap_or(false);
                if !undone {
                    self.abandon(name, id, &mut state).await;
                }
                Err(e)
            }
        }
    }

    /// A monolithic upload (`POST ?digest=` with the blob as body).
    ///
    /// # Errors
    /// As [`Registry::finish_upload`]; nothing is left behind on failure.
    pub async fn put_blob<S, E>(
        &self,
        name: Name<'_>,
        body: S,
        expected: Digest,
    ) -> Result<BlobInfo, RegistryError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let id = uuid::Uuid::new_v4().to_string();
        let upload_id = UploadId::parse(&id).ok_or(RegistryError::UploadUnknown)?;
        let sink = Sink {
            storage: Arc::clone(&self.storage),
            key: paths::upload_data(name, upload_id),
            upload: None,
            start: 0,
            hasher: Hasher::new(),
            written: 0,
        };
        let pumped = pump(sink, body).await;
        let layer_link = paths::layer_link(name, &expected);
        let upload_dir = paths::upload_dir(name, upload_id);
        let locks = Arc::clone(&self.locks);
        self.blocking(move |s| {
            let mut result = pumped.result;
            if let Some(mut sink) = pumped.sink {
                if result.is_ok() {
                    result = drain_pending(&mut sink, pumped.pending, None);
                }
                if result.is_ok() {
                    return commit(s, &*locks, &mut sink, expected, &layer_link, &upload_dir)
                        .inspect_err(|_| {
                            let _ = s.delete_tree(&upload_dir);
                        });
                }
                // An object store's open upload goes with the tree below; drop ours first.
                drop(sink);
            }
            s.delete_tree(&upload_dir)?;
            Err(result.err().unwrap_or(RegistryError::UploadUnknown))
        })
        .await
    }

    /// Claims upload `id` for this request against requests on other servers
    /// ([`Coordinator::upload_writer`]).
    ///
    /// # Errors
    /// [`RegistryError::UploadInUse`] while another request writes it.
    async fn claim_writer(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
        offset: u64,
    ) -> Result<crate::storage::coordinator::Guard, RegistryError> {
        let dir = paths::upload_dir(name, id);
        let locks = Arc::clone(&self.locks);
        self.blocking(move |_| Ok(locks.upload_writer(&dir)?))
            .await?
            .ok_or(RegistryError::UploadInUse { offset })
    }

    /// Cancels upload `id` (`DELETE` on the upload URL) and removes its data.
    ///
    /// # Errors
    /// [`RegistryError::UploadUnknown`].
    pub async fn cancel_upload(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
    ) -> Result<(), RegistryError> {
        let session = self.session(name, id).await?;
        let mut state = session.state.lock().await;
        if state.closed {
            return Err(RegistryError::UploadUnknown);
        }
        let dir = paths::upload_dir(name, id);
        state.closed = true;
        self.sessions.remove(id.as_str());
        self.blocking(move |s| Ok(s.delete_tree(&dir)?)).await
    }

    /// Removes upload sessions started more than `older_than` ago
    /// (`storage.maintenance.uploadpurging`). With `dry_run`, only reports them.
    ///
    /// # Errors
    /// Storage errors while walking.
    pub async fn purge_uploads(
        &self,
        older_than: Duration,
        dry_run: bool,
    ) -> Result<PurgeReport, RegistryError> {
        let report = self
            .blocking(move |s| {
                let mut report = PurgeReport::default();
                let now = SystemTime::now();
                let mut failure = None;
                catalog::walk_repositories(s, &mut |repo, entries| {
                    if failure.is_some()
                        || !entries
                            .iter()
                            .any(|e| e.is_prefix() && e.name == "_uploads")
                    {
                        return;
                    }
                    let Ok(name) = Name::parse(repo) else { return };
                    if let Err(e) = purge_repository(s, name, now, older_than, dry_run, &mut report)
                    {
                        failure = Some(e);
                    }
                })?;
                match failure {
                    Some(e) => Err(e),
                    None => Ok(report),
                }
            })
            .await?;
        if !dry_run {
            for removed in &report.removed {
                if let Some((_, id)) = removed.rsplit_once('/') {
                    self.sessions.remove(id);
                }
            }
        }
        Ok(report)
    }

    /// Receives a request body into upload `id`: the session must be open and the chunk must
    /// start at its offset. A body whose writer thread died abandons the upload. Returns the sink,
    /// the chunks still to be written and the outcome of receiving.
    async fn receive<S, E>(
        &self,
        name: Name<'_>,
        id: UploadId<'_>,
        state: &mut SessionState,
        range: Option<(u64, u64)>,
        body: S,
    ) -> Result<(Sink, Vec<Bytes>, Result<(), RegistryError>), RegistryError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        if state.closed {
            return Err(RegistryError::UploadUnknown);
        }
        check_range(range, state.offset)?;
        let sink = self.sink(paths::upload_data(name, id), state);
        let pumped = pump(sink, body).await;
        let Some(sink) = pumped.sink else {
            self.abandon(name, id, state).await;
            return Err(pumped.result.err().unwrap_or(RegistryError::UploadUnknown));
        };
        Ok((sink, pumped.pending, pumped.result))
    }

    fn sink(&self, key: Key, state: &SessionState) -> Sink {
        Sink {
            storage: Arc::clone(&self.storage),
            key,
            upload: None,
            start: state.offset,
            hasher: state.hasher.clone(),
            written: 0,
        }
    }

    /// Gives up on a session whose data can no longer be trusted: it is closed and deleted, and
    /// the client sees BLOB_UPLOAD_UNKNOWN and starts over.
    async fn abandon(&self, name: Name<'_>, id: UploadId<'_>, state: &mut SessionState) {
        state.closed = true;
        self.sessions.remove(id.as_str());
        let dir = paths::upload_dir(name, id);
        if let Err(e) = self.blocking(move |s| Ok(s.delete_tree(&dir)?)).await {
            tracing::warn!("could not remove abandoned upload {}: {e}", id.as_str());
        }
    }
}

fn check_range(range: Option<(u64, u64)>, offset: u64) -> Result<(), RegistryError> {
    match range {
        Some((start, end)) if start != offset || end < start => Err(RegistryError::RangeInvalid {
            offset,
            requested: start,
        }),
        _ => Ok(()),
    }
}

fn purge_repository(
    s: &dyn Storage,
    name: Name<'_>,
    now: SystemTime,
    older_than: Duration,
    dry_run: bool,
    report: &mut PurgeReport,
) -> Result<(), RegistryError> {
    for entry in s.list(&paths::uploads_root(name))? {
        let Some(id) = UploadId::parse(&entry.name) else {
            continue;
        };
        report.scanned += 1;
        let started = match s.get(&paths::upload_started_at(name, id), 1024)? {
            Some(bytes) => parse_started_at(&bytes),
            None => None,
        };
        // Without a readable start time, the data's last write stands in.
        let started = match started {
            Some(t) => Some(t),
            None => s
                .head(&paths::upload_data(name, id))?
                .map(|meta| meta.modified),
        };
        let stale = started
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > older_than);
        if stale {
            if !dry_run {
                s.delete_tree(&paths::upload_dir(name, id))?;
            }
            report
                .removed
                .push(format!("{}/{}", name.as_str(), id.as_str()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn started_at_is_go_rfc3339_utc() {
        let s = started_at_now();
        assert_eq!(s.len(), 20, "{s}");
        assert!(s.ends_with('Z'));
        let t = parse_started_at(s.as_bytes()).unwrap();
        assert!(SystemTime::now().duration_since(t).unwrap() < Duration::from_secs(5));
        assert!(parse_started_at(b"2017-01-02T03:04:05.123456789Z").is_some());
        assert!(parse_started_at(b"garbage").is_none());
    }
}
