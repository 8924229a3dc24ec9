//! What a stored manifest points at, read leniently: gc must understand every manifest any
//! registry:2 ever accepted (OCI and Docker schema2 images and indexes, artifacts with `subject`,
//! Docker schema1), and must never under-mark because a manifest is unusual.

use crate::digest::Digest;
use crate::storage::tree::digest_from_hex;

/// The references of one manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// Blobs the manifest needs: config and layers (schema1 `fsLayers[].blobSum`).
    pub blobs: Vec<Digest>,
    /// Manifests an index lists.
    pub children: Vec<Digest>,
    /// The manifest this one refers to (`subject`): a weak edge, it does not keep the subject.
    pub subject: Option<Digest>,
    /// The content was not JSON we understand: every `sha256:<hex>` in it is counted as a blob and
    /// a child, so nothing it might reference is collected.
    pub fallback: bool,
}

/// Largest manifest gc parses; registries cap manifests at 4 MiB, so anything bigger is a layer
/// that an index happened to list, not a manifest.
pub const MAX_MANIFEST: u64 = 4 << 20;

/// Extracts references from manifest bytes.
pub fn parse(bytes: &[u8]) -> References {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return scan(bytes);
    };
    let Some(object) = value.as_object() else {
        return scan(bytes);
    };
    let digest_of = |descriptor: &serde_json::Value, field: &str| {
        descriptor
            .get(field)
            .and_then(serde_json::Value::as_str)
            .and_then(|text| Digest::parse(text).ok())
    };
    let mut refs = References::default();
    let mut unknown_digest = false;
    let mut push =
        |list: &mut Vec<Digest>, descriptor: &serde_json::Value, field: &str| match digest_of(
            descriptor, field,
        ) {
            Some(d) => list.push(d),
            None => unknown_digest = true,
        };
    if let Some(config) = object.get("config") {
        push(&mut refs.blobs, config, "digest");
    }
    for layer in array(object.get("layers")) {
        push(&mut refs.blobs, layer, "digest");
    }
    for layer in array(object.get("fsLayers")) {
        push(&mut refs.blobs, layer, "blobSum");
    }
    for child in array(object.get("manifests")) {
        push(&mut refs.children, child, "digest");
    }
    if let Some(subject) = object.get("subject") {
        refs.subject = digest_of(subject, "digest");
    }
    let understood = object.contains_key("config")
        || object.contains_key("layers")
        || object.contains_key("manifests")
        || object.contains_key("fsLayers");
    if unknown_digest || !understood {
        // A descriptor we could not read (sha512, a typo) or a shape we do not know: fall back
        // to keeping whatever sha256 digests the bytes mention, on top of what we did read.
        let scanned = scan(bytes);
        refs.blobs.extend(scanned.blobs);
        refs.children.extend(scanned.children);
        refs.fallback = true;
    }
    refs
}

fn array(value: Option<&serde_json::Value>) -> &[serde_json::Value] {
    value
        .and_then(serde_json::Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Every `sha256:<64 hex>` in `bytes`.
fn scan(bytes: &[u8]) -> References {
    const PREFIX: &[u8] = b"sha256:";
    let mut found = Vec::new();
    let mut i = 0;
    while i + PREFIX.len() + 64 <= bytes.len() {
        if &bytes[i..i + PREFIX.len()] == PREFIX {
            let hex = &bytes[i + PREFIX.len()..i + PREFIX.len() + 64];
            if let Some(d) = std::str::from_utf8(hex).ok().and_then(digest_from_hex) {
                found.push(d);
                i += PREFIX.len() + 64;
                continue;
            }
        }
        i += 1;
    }
    References {
        blobs: found.clone(),
        children: found,
        subject: None,
        fallback: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn d(s: &str) -> Digest {
        Digest::parse(s).unwrap()
    }

    #[test]
    fn image_with_subject() {
        let body = format!(
            r#"{{"schemaVersion":2,"config":{{"digest":"{A}","size":1}},"layers":[{{"digest":"{B}","size":2}}],"subject":{{"digest":"{C}","size":3}}}}"#
        );
        let refs = parse(body.as_bytes());
        assert_eq!(refs.blobs, vec![d(A), d(B)]);
        assert!(refs.children.is_empty());
        assert_eq!(refs.subject, Some(d(C)));
        assert!(!refs.fallback);
    }

    #[test]
    fn index_children() {
        let body = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{A}","size":1}},{{"digest":"{B}","size":1}}]}}"#
        );
        let refs = parse(body.as_bytes());
        assert_eq!(refs.children, vec![d(A), d(B)]);
        assert!(refs.blobs.is_empty());
    }

    #[test]
    fn schema1_blobsums() {
        let body = format!(r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"{A}"}}]}}"#);
        assert_eq!(parse(body.as_bytes()).blobs, vec![d(A)]);
    }

    #[test]
    fn unknown_shapes_keep_every_mentioned_digest() {
        let garbage = format!("not json but mentions {A} and {B}");
        let refs = parse(garbage.as_bytes());
        assert!(refs.fallback);
        assert_eq!(refs.blobs, vec![d(A), d(B)]);
        let odd_descriptor = format!(
            r#"{{"config":{{"digest":"sha512:00"}},"layers":[{{"digest":"{C}"}}],"x":"{A}"}}"#
        );
        let refs = parse(odd_descriptor.as_bytes());
        assert!(refs.fallback);
        assert!(refs.blobs.contains(&d(A)) && refs.blobs.contains(&d(C)));
    }
}
