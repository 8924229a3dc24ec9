//! Reading a blob file as a sequence of `Bytes` chunks for the HTTP body.
//!
//! Large ranges of blob files are handed out as read-only memory maps of the page cache, a window
//! at a time, so a pull copies each byte once (page cache to socket) instead of twice (page cache
//! to a buffer, then buffer to socket). Small ranges, and files that may shrink (an upload's
//! data), are plain reads: a map costs more syscalls than it saves there.
//!
//! `sendfile(2)` was measured too: it costs the server a third less CPU, but on loopback the
//! client then copies cold page-cache pages instead of the socket buffers the server just wrote,
//! which still sit in the shared cache, and the pull gets slower.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;

use bytes::Bytes;

/// Bytes per mapped window: large enough that map/unmap syscalls are noise, small enough that the
/// windows in flight (read-ahead plus the one on the socket) stay a few MiB of resident memory.
pub const WINDOW: u64 = 2 << 20;

/// Produces the chunks of one byte range, on a blocking thread.
pub trait BlobChunks: Send {
    /// The next chunk, or `None` once the range is exhausted.
    ///
    /// # Errors
    /// I/O errors reading or mapping the file.
    fn next_chunk(&mut self) -> io::Result<Option<Bytes>>;
}

/// The chunks of `start..start + len` of an immutable blob file.
pub struct FileChunks {
    file: File,
    next: u64,
    end: u64,
    /// Whether the file may be mapped: only when it is never truncated while open.
    mappable: bool,
}

impl FileChunks {
    /// `mappable`: the file is never truncated in place while open (a mapped file that shrinks
    /// turns reads into SIGBUS).
    #[must_use]
    pub fn new(file: File, start: u64, len: u64, mappable: bool) -> Self {
        Self {
            file,
            next: start,
            end: start.saturating_add(len),
            mappable,
        }
    }

    fn read_chunk(&self, n: usize) -> io::Result<Bytes> {
        let mut buf = vec![0; n];
        self.file
            .read_exact_at(&mut buf, self.next)
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the blob file is shorter than its recorded length",
                ),
                _ => e,
            })?;
        Ok(Bytes::from(buf))
    }

    // The crate's one unsafe block: mapping saves a copy of every pulled byte.
    #[allow(unsafe_code)]
    fn map_chunk(&self, n: usize) -> io::Result<Bytes> {
        // SAFETY: a mapped file that shrinks turns reads of the lost pages into SIGBUS, so only
        // files the caller declared mappable get here. Blob data files are content-addressed and
        // never rewritten or truncated in place, by regctl or by registry:2: they are written
        // under _uploads and renamed into place, and removal (gc, delete) unlinks them, which
        // leaves an existing map intact.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(self.next)
                .len(n)
                .populate()
                .map(&self.file)?
        };
        Ok(Bytes::from_owner(map))
    }
}

impl BlobChunks for FileChunks {
    fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        let remaining = self.end - self.next;
        if remaining == 0 {
            return Ok(None);
        }
        let n = usize::try_from(remaining.min(WINDOW)).unwrap_or(1 << 20);
        let chunk = if remaining < WINDOW || !self.mappable {
            self.read_chunk(n)?
        } else {
            match self.map_chunk(n) {
                Ok(chunk) => chunk,
                Err(_) => {
                    // Some filesystems cannot be mapped; plain reads always work.
                    self.mappable = false;
                    self.read_chunk(n)?
                }
            }
        };
        self.next += n as u64;
        Ok(Some(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn file_with(content: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(content).unwrap();
        file
    }

    fn collect(mut chunks: FileChunks) -> (Vec<u8>, Vec<usize>) {
        let (mut bytes, mut sizes) = (Vec::new(), Vec::new());
        while let Some(chunk) = chunks.next_chunk().unwrap() {
            sizes.push(chunk.len());
            bytes.extend_from_slice(&chunk);
        }
        (bytes, sizes)
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn unaligned_ranges_across_windows_match_the_file_mapped_or_read() {
        let window = usize::try_from(WINDOW).unwrap();
        let content = pattern(2 * window + 12_345);
        for mappable in [true, false] {
            for (start, len) in [(0, content.len()), (4_097, window + 3), (window - 1, 2)] {
                let chunks =
                    FileChunks::new(file_with(&content), start as u64, len as u64, mappable);
                let (bytes, sizes) = collect(chunks);
                assert!(
                    bytes == content[start..start + len],
                    "{start}+{len} {mappable}"
                );
                assert!(sizes.iter().all(|&n| n <= window));
            }
        }
    }

    #[test]
    fn an_empty_range_has_no_chunks() {
        let chunks = FileChunks::new(file_with(b"abc"), 1, 0, true);
        assert_eq!(collect(chunks).0, b"");
    }

    #[test]
    fn a_file_shorter_than_its_range_is_an_error_not_short_data() {
        let mut chunks = FileChunks::new(file_with(b"abc"), 0, 10, false);
        let err = chunks.next_chunk().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
