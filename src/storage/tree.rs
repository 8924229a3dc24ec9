//! Readers of registry:2's tree shared by the registry core, gc and fsck: the grammar of what the
//! tree's small files hold (link files, an upload's `startedat`, the `<hex>` directory names), so
//! every reader agrees on what a file says. Upload staleness is `crate::upload_purge::is_stale`.
//!
//! (Issue 12 step 3 grows this into the one repositories walk and link reader over
//! `backend::Storage`; today it holds the grammar both sides already share.)

use std::time::SystemTime;

use crate::digest::Digest;

/// Largest link file anyone reads: a link is `sha256:<64 hex>` (71 bytes).
pub const LINK_LIMIT: u64 = 1024;

/// What a link file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkContent {
    /// Nothing (or only whitespace): distribution issue #1960, an empty link must not break
    /// anything else; readers treat it as absent.
    Empty,
    /// A digest.
    Names(Digest),
    /// Anything else.
    Corrupt,
}

/// Parses a link file's bytes. Surrounding whitespace is ignored, by every reader alike: were
/// the registry to serve a link gc could not parse, gc would not mark what it names.
#[must_use]
pub fn parse_link(bytes: &[u8]) -> LinkContent {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return LinkContent::Corrupt;
    };
    let text = text.trim();
    if text.is_empty() {
        return LinkContent::Empty;
    }
    Digest::parse(text).map_or(LinkContent::Corrupt, LinkContent::Names)
}

/// The digest a `<hex>` directory under `blobs/`, `_layers/` or `revisions/` names.
#[must_use]
pub fn digest_from_hex(hex: &str) -> Option<Digest> {
    if hex.len() != 64 {
        return None;
    }
    Digest::parse(&format!("sha256:{hex}")).ok()
}

/// A file `<hex>/<file>` found by walking a link directory (`_layers/sha256`,
/// `_manifests/revisions/sha256`): the digest its directory names and the file's name. `None`
/// for anything deeper (`<hex>/_referrers/...`) or shallower.
#[must_use]
pub fn digest_dir_file(relative: &str) -> Option<(Option<Digest>, &str)> {
    let (hex, file) = relative.split_once('/')?;
    (!file.contains('/')).then(|| (digest_from_hex(hex), file))
}

/// An upload's `startedat` (RFC 3339, as registry:2 writes it); `None` if unreadable.
#[must_use]
pub fn parse_started_at(bytes: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(SystemTime::from(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_parse_alike_for_every_reader() {
        let d = Digest::of(b"x");
        assert_eq!(parse_link(d.as_str().as_bytes()), LinkContent::Names(d));
        assert_eq!(
            parse_link(format!("{d}\n").as_bytes()),
            LinkContent::Names(d),
            "registry:2-era tools may end a link with a newline"
        );
        assert_eq!(parse_link(b""), LinkContent::Empty);
        assert_eq!(parse_link(b" \n"), LinkContent::Empty);
        assert_eq!(parse_link(b"sha256:not-a-digest\n"), LinkContent::Corrupt);
        assert_eq!(parse_link(&[0xff, 0xfe]), LinkContent::Corrupt);
    }

    #[test]
    fn hex_directories_and_start_times() {
        let d = Digest::of(b"x");
        assert_eq!(digest_from_hex(d.hex()), Some(d));
        assert_eq!(digest_from_hex("not-hex"), None);
        let t = parse_started_at(b"2024-01-02T03:04:05.123456789Z\n").unwrap();
        assert!(t > SystemTime::UNIX_EPOCH);
        assert_eq!(parse_started_at(b"yesterday"), None);
    }
}
