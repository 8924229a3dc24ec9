//! Content digests (`sha256:<hex>`) and the streaming SHA-256 hasher behind every upload.
//!
//! Only sha256 is stored: it is the algorithm every client uses and the only one registry:2 writes.
//! Other well-formed algorithms parse as [`DigestError::Unsupported`] so callers can answer
//! "unknown" for lookups and "invalid" for pushes instead of treating them as malformed.
//!
//! The hasher can export and import its intermediate state in the exact binary format Go's
//! `crypto/sha256` uses (`MarshalBinary`), which is what registry:2 stores under
//! `_uploads/<uuid>/hashstates/sha256/<offset>`: an upload started by either server can be resumed
//! by the other without rehashing.

use std::fmt;
use std::str::FromStr;

use sha2::digest::common::hazmat::{SerializableState, SerializedState};
use sha2::Digest as _;

const PREFIX: &[u8; 7] = b"sha256:";
const LEN: usize = 7 + 64;

/// A sha256 content digest, kept as its canonical text `sha256:<64 lowercase hex>` so that paths,
/// headers and links are built without re-encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; LEN]);

/// Why a string is not a usable digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("invalid digest {0:?}: expected algorithm:hex, e.g. sha256:<64 hex characters>")]
    Invalid(String),
    #[error("unsupported digest algorithm {0:?}: only sha256 is supported")]
    Unsupported(String),
}

impl Digest {
    /// Parses `algorithm:encoded` per the OCI grammar; only sha256 with 64 lowercase hex digits is
    /// accepted as a [`Digest`].
    ///
    /// # Errors
    /// [`DigestError::Invalid`] for text outside the grammar (or a sha256/sha384/sha512 digest of
    /// the wrong length or case), [`DigestError::Unsupported`] for a well-formed other algorithm.
    pub fn parse(s: &str) -> Result<Self, DigestError> {
        let invalid = || DigestError::Invalid(truncate_for_message(s));
        let (algorithm, encoded) = s.split_once(':').ok_or_else(invalid)?;
        if !valid_algorithm(algorithm) || !valid_encoded(encoded) {
            return Err(invalid());
        }
        let expected_len = match algorithm {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            _ => return Err(DigestError::Unsupported(truncate_for_message(algorithm))),
        };
        let lower_hex = encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if encoded.len() != expected_len || !lower_hex {
            return Err(invalid());
        }
        if algorithm != "sha256" {
            return Err(DigestError::Unsupported(algorithm.to_owned()));
        }
        let mut buf = [0u8; LEN];
        buf.copy_from_slice(s.as_bytes());
        Ok(Self(buf))
    }

    /// The digest of `data`.
    #[must_use]
    pub fn of(data: &[u8]) -> Self {
        let mut hasher = Hasher::new();
        hasher.update(data);
        hasher.finish()
    }

    fn from_raw(raw: &[u8]) -> Self {
        let mut buf = [0u8; LEN];
        buf[..7].copy_from_slice(PREFIX);
        // hex::encode_to_slice only fails on a length mismatch, which the fixed sizes rule out.
        let _ = hex::encode_to_slice(raw, &mut buf[7..]);
        Self(buf)
    }

    /// `sha256:<hex>`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Construction only ever stores ASCII, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// `sha256`.
    #[must_use]
    pub fn algorithm(&self) -> &'static str {
        "sha256"
    }

    /// The 64 hex digits.
    #[must_use]
    pub fn hex(&self) -> &str {
        &self.as_str()[7..]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.as_str())
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `[a-z0-9]+([+._-][a-z0-9]+)*`
fn valid_algorithm(s: &str) -> bool {
    let mut prev_sep = true;
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' => prev_sep = false,
            b'+' | b'.' | b'_' | b'-' if !prev_sep => prev_sep = true,
            _ => return false,
        }
    }
    !prev_sep
}

/// `[a-zA-Z0-9=_-]+`
fn valid_encoded(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

fn truncate_for_message(s: &str) -> String {
    s.chars().take(100).collect()
}

/// Streaming SHA-256 over everything written to a blob, resumable across requests.
#[derive(Clone, Default)]
pub struct Hasher(sha2::Sha256);

/// Go's `sha256.MarshalBinary` magic for SHA-256 (SHA-224 uses `sha\x02`).
const GO_MAGIC: &[u8; 4] = b"sha\x03";
/// magic + 8 state words + one 64-byte block + the total length.
pub const GO_STATE_LEN: usize = 4 + 32 + 64 + 8;

impl Hasher {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    #[must_use]
    pub fn finish(self) -> Digest {
        Digest::from_raw(&self.0.finalize())
    }

    /// Total bytes hashed so far.
    #[must_use]
    pub fn len(&self) -> u64 {
        let state = self.0.serialize();
        let (blocks, buffered) = split_state(&state);
        blocks * 64 + buffered.len() as u64
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The state as Go's `crypto/sha256` `MarshalBinary` writes it, so registry:2 can resume it.
    #[must_use]
    pub fn to_go_state(&self) -> [u8; GO_STATE_LEN] {
        let state = self.0.serialize();
        let (blocks, buffered) = split_state(&state);
        let mut out = [0u8; GO_STATE_LEN];
        out[..4].copy_from_slice(GO_MAGIC);
        for (i, word) in state[..32].chunks_exact(4).enumerate() {
            let value = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            out[4 + i * 4..8 + i * 4].copy_from_slice(&value.to_be_bytes());
        }
        out[36..36 + buffered.len()].copy_from_slice(buffered);
        let total = blocks * 64 + buffered.len() as u64;
        out[100..108].copy_from_slice(&total.to_be_bytes());
        out
    }

    /// Restores a state written by [`Hasher::to_go_state`] or by Go's `MarshalBinary`.
    /// Returns `None` for anything else (wrong magic, length or inconsistent buffer).
    #[must_use]
    pub fn from_go_state(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != GO_STATE_LEN || &bytes[..4] != GO_MAGIC {
            return None;
        }
        let total = u64::from_be_bytes(bytes[100..108].try_into().ok()?);
        let buffered = usize::try_from(total % 64).ok()?;
        let mut state = SerializedState::<sha2::Sha256>::default();
        for i in 0..8 {
            let word = u32::from_be_bytes(bytes[4 + i * 4..8 + i * 4].try_into().ok()?);
            state[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        state[32..40].copy_from_slice(&(total / 64).to_le_bytes());
        state[40] = u8::try_from(buffered).ok()?;
        state[41..41 + buffered].copy_from_slice(&bytes[36..36 + buffered]);
        sha2::Sha256::deserialize(&state).ok().map(Self)
    }
}

/// sha2's serialized state: 8 little-endian words, the count of compressed blocks, then the
/// block buffer as (length byte, 64 bytes).
fn split_state(state: &[u8]) -> (u64, &[u8]) {
    let mut count = [0u8; 8];
    count.copy_from_slice(&state[32..40]);
    let buffered = usize::from(state[40]).min(64);
    (u64::from_le_bytes(count), &state[41..41 + buffered])
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hasher({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_and_prints_canonical_form() {
        let d = Digest::parse(EMPTY).unwrap();
        assert_eq!(d.as_str(), EMPTY);
        assert_eq!(d.hex().len(), 64);
        assert_eq!(Digest::of(b""), d);
    }

    #[test]
    fn rejects_malformed_and_flags_other_algorithms() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            ":abc",
            "sha256:ABC",
            "sha256:e3b0",
            "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
            "sha256:../../../etc/passwd",
            "a+:b",
        ] {
            assert!(
                matches!(Digest::parse(bad), Err(DigestError::Invalid(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Digest::parse("a:b"),
            Err(DigestError::Unsupported(_))
        ));
        assert!(matches!(
            Digest::parse(&format!("sha512:{}", "a".repeat(128))),
            Err(DigestError::Unsupported(_))
        ));
    }

    #[test]
    fn go_state_round_trips_at_every_buffer_position() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        for split in [0, 1, 63, 64, 65, 128, 200, 300] {
            let mut h = Hasher::new();
            h.update(&data[..split]);
            assert_eq!(h.len(), split as u64);
            let state = h.to_go_state();
            let mut resumed = Hasher::from_go_state(&state).unwrap();
            resumed.update(&data[split..]);
            assert_eq!(resumed.finish(), Digest::of(&data));
        }
    }

    #[test]
    fn go_state_matches_go_encoding() {
        // Go: h := sha256.New(); h.Write([]byte("abc")); h.(encoding.BinaryMarshaler).MarshalBinary()
        // starts with "sha\x03" + the initial state words big-endian and ends with len=3.
        let mut h = Hasher::new();
        h.update(b"abc");
        let state = h.to_go_state();
        assert_eq!(&state[..4], b"sha\x03");
        assert_eq!(&state[4..8], &0x6a09_e667u32.to_be_bytes());
        assert_eq!(&state[36..39], b"abc");
        assert!(state[39..100].iter().all(|&b| b == 0));
        assert_eq!(&state[100..], &3u64.to_be_bytes());
        assert!(Hasher::from_go_state(&state[..100]).is_none());
    }
}
