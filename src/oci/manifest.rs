//! Manifest media types, parsing and validation: which blobs and child manifests a manifest
//! references, its subject and artifact type.
//!
//! The registry stores the bytes the client sent (the digest covers them); this module only reads
//! the fields it must check. It accepts the OCI image manifest and index and Docker schema2 and
//! manifest list, and refuses everything else (including schema1) with a reason.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::digest::{Digest, DigestError};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker schema1: refused by the registry, but still served by some old ones.
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` list a client sends for a manifest: every type a registry may store, so that a
/// HEAD answers with the digest of the stored bytes rather than of a schema1 conversion or of one
/// child of an index.
pub const ACCEPT_ALL: &[&str] = &[
    OCI_INDEX,
    DOCKER_LIST,
    OCI_MANIFEST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1_SIGNED,
    DOCKER_SCHEMA1,
];

/// The four manifest kinds the registry stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    OciManifest,
    OciIndex,
    DockerManifest,
    DockerList,
}

impl ManifestKind {
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            Self::OciManifest => OCI_MANIFEST,
            Self::OciIndex => OCI_INDEX,
            Self::DockerManifest => DOCKER_MANIFEST,
            Self::DockerList => DOCKER_LIST,
        }
    }

    #[must_use]
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            OCI_MANIFEST => Some(Self::OciManifest),
            OCI_INDEX => Some(Self::OciIndex),
            DOCKER_MANIFEST => Some(Self::DockerManifest),
            DOCKER_LIST => Some(Self::DockerList),
            _ => None,
        }
    }

    #[must_use]
    pub fn is_index(self) -> bool {
        matches!(self, Self::OciIndex | Self::DockerList)
    }

    /// Bit for [`AcceptSet`].
    fn bit(self) -> u8 {
        match self {
            Self::OciManifest => 1,
            Self::OciIndex => 2,
            Self::DockerManifest => 4,
            Self::DockerList => 8,
        }
    }
}

/// A descriptor as stored in a manifest, with the digest already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    pub artifact_type: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
    /// `platform.architecture` and `platform.os`, for picking a default child of a list.
    pub platform: Option<(String, String)>,
    /// Foreign or non-distributable layers with URLs need not be present in the registry.
    pub external: bool,
}

/// What the registry needs to know about a stored manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedManifest {
    pub kind: ManifestKind,
    /// Blobs that must exist in the repository (config and layers).
    pub blobs: Vec<Descriptor>,
    /// Manifests that must exist in the repository (index children).
    pub children: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
    /// `artifactType`, or for an image manifest without one the config media type (what the
    /// referrers API reports).
    pub artifact_type: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
}

/// Why a manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is not valid JSON: {0}")]
    Json(String),
    #[error("unsupported manifest media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("Docker schema1 manifests are not supported; push with a current client")]
    Schema1,
    #[error("manifest mediaType {body:?} does not match the Content-Type {header:?}")]
    MediaTypeMismatch { body: String, header: String },
    #[error("manifest has no mediaType and no Content-Type says what it is")]
    UnknownKind,
    #[error("schemaVersion must be 2")]
    SchemaVersion,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("invalid descriptor digest in {field}: {source}")]
    Digest {
        field: &'static str,
        source: DigestError,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<serde_json::Value>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
    subject: Option<RawDescriptor>,
    annotations: Option<BTreeMap<String, String>>,
    fs_layers: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: String,
    size: u64,
    artifact_type: Option<String>,
    annotations: Option<BTreeMap<String, String>>,
    urls: Option<Vec<String>>,
    platform: Option<RawPlatform>,
}

#[derive(Deserialize)]
struct RawPlatform {
    architecture: Option<String>,
    os: Option<String>,
}

fn descriptor(raw: RawDescriptor, field: &'static str) -> Result<Descriptor, ManifestError> {
    let digest =
        Digest::parse(&raw.digest).map_err(|source| ManifestError::Digest { field, source })?;
    let media_type = raw.media_type.unwrap_or_default();
    let external = raw.urls.as_ref().is_some_and(|u| !u.is_empty())
        && (media_type.contains("nondistributable") || media_type.contains(".foreign."));
    Ok(Descriptor {
        media_type,
        digest,
        size: raw.size,
        artifact_type: raw.artifact_type,
        annotations: raw.annotations,
        platform: raw
            .platform
            .map(|p| (p.architecture.unwrap_or_default(), p.os.unwrap_or_default())),
        external,
    })
}

/// Strips parameters and whitespace from a Content-Type (`a/b; charset=x` → `a/b`).
#[must_use]
pub fn bare_media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// Parses and validates manifest bytes pushed with `content_type` (may be empty).
///
/// # Errors
/// [`ManifestError`] saying what is wrong; the API answers MANIFEST_INVALID.
pub fn parse(bytes: &[u8], content_type: &str) -> Result<ParsedManifest, ManifestError> {
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
    let header = bare_media_type(content_type);
    let header_kind = ManifestKind::from_media_type(header);
    if [DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED].contains(&header) || raw.fs_layers.is_some() {
        return Err(ManifestError::Schema1);
    }
    let kind = match raw.media_type.as_deref() {
        Some(body) => {
            let kind = ManifestKind::from_media_type(body)
                .ok_or_else(|| ManifestError::UnsupportedMediaType(body.to_owned()))?;
            if header_kind.is_some_and(|h| h != kind) {
                return Err(ManifestError::MediaTypeMismatch {
                    body: body.to_owned(),
                    header: header.to_owned(),
                });
            }
            kind
        }
        None => match header_kind {
            // Docker types always carry mediaType in the body; OCI made it optional.
            Some(k @ (ManifestKind::OciManifest | ManifestKind::OciIndex)) => k,
            Some(_) => return Err(ManifestError::Missing("mediaType")),
            None if !header.is_empty()
                && header != "application/json"
                && header != "application/octet-stream" =>
            {
                return Err(ManifestError::UnsupportedMediaType(header.to_owned()))
            }
            None if raw.manifests.is_some() => ManifestKind::OciIndex,
            None if raw.config.is_some() => ManifestKind::OciManifest,
            None => return Err(ManifestError::UnknownKind),
        },
    };
    if raw
        .schema_version
        .as_ref()
        .and_then(serde_json::Value::as_i64)
        != Some(2)
    {
        return Err(ManifestError::SchemaVersion);
    }
    let subject = raw.subject.map(|s| descriptor(s, "subject")).transpose()?;
    let mut parsed = ParsedManifest {
        kind,
        blobs: Vec::new(),
        children: Vec::new(),
        subject,
        artifact_type: raw.artifact_type.filter(|a| !a.is_empty()),
        annotations: raw.annotations,
    };
    if kind.is_index() {
        let manifests = raw.manifests.ok_or(ManifestError::Missing("manifests"))?;
        for m in manifests {
            parsed.children.push(descriptor(m, "manifests")?);
        }
    } else {
        let config = descriptor(
            raw.config.ok_or(ManifestError::Missing("config"))?,
            "config",
        )?;
        if parsed.artifact_type.is_none() {
            parsed.artifact_type = Some(config.media_type.clone()).filter(|m| !m.is_empty());
        }
        parsed.blobs.push(config);
        let layers = match (kind, raw.layers) {
            (_, Some(layers)) => layers,
            (ManifestKind::DockerManifest, None) => return Err(ManifestError::Missing("layers")),
            (_, None) => Vec::new(),
        };
        for layer in layers {
            parsed.blobs.push(descriptor(layer, "layers")?);
        }
    }
    Ok(parsed)
}

/// The manifest types a client accepts, from its `Accept` headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AcceptSet {
    bits: u8,
    /// No Accept header, or one with a wildcard: anything goes.
    any: bool,
}

impl AcceptSet {
    /// Folds in one `Accept` header value (comma-separated, parameters ignored).
    pub fn add_header(&mut self, value: &str) {
        for item in value.split(',') {
            let media = bare_media_type(item);
            if let Some(kind) = ManifestKind::from_media_type(media) {
                self.bits |= kind.bit();
            } else if media == "*/*" || media == "application/*" {
                self.any = true;
            }
        }
    }

    /// The set for a request that sent no Accept header.
    #[must_use]
    pub fn anything() -> Self {
        Self { bits: 0, any: true }
    }

    #[must_use]
    pub fn accepts(&self, kind: ManifestKind) -> bool {
        self.any || self.bits & kind.bit() != 0
    }

    /// True when the client named manifest types explicitly but no wildcard.
    #[must_use]
    pub fn is_explicit(&self) -> bool {
        !self.any && self.bits != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn image(extra: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}",
            "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{D1}","size":2}},
            "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{D2}","size":3}}]{extra}}}"#
        )
    }

    #[test]
    fn image_manifest_lists_config_and_layers() {
        let m = parse(image("").as_bytes(), OCI_MANIFEST).unwrap();
        assert_eq!(m.kind, ManifestKind::OciManifest);
        assert_eq!(m.blobs.len(), 2);
        assert_eq!(
            m.artifact_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
        assert!(m.subject.is_none());
    }

    #[test]
    fn artifact_with_subject() {
        let extra = format!(
            r#","artifactType":"application/x.sbom","subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":9}}"#
        );
        let m = parse(image(&extra).as_bytes(), "").unwrap();
        assert_eq!(m.artifact_type.as_deref(), Some("application/x.sbom"));
        assert_eq!(m.subject.unwrap().digest.as_str(), D2);
    }

    #[test]
    fn index_lists_children() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_LIST}","manifests":[{{"mediaType":"{DOCKER_MANIFEST}","digest":"{D1}","size":5,"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#
        );
        let m = parse(body.as_bytes(), DOCKER_LIST).unwrap();
        assert_eq!(m.kind, ManifestKind::DockerList);
        assert_eq!(
            m.children[0].platform,
            Some(("amd64".into(), "linux".into()))
        );
    }

    #[test]
    fn refuses_bad_manifests() {
        assert!(matches!(
            parse(b"{}", "application/json"),
            Err(ManifestError::UnknownKind)
        ));
        assert!(matches!(
            parse(b"{}", OCI_MANIFEST),
            Err(ManifestError::SchemaVersion)
        ));
        assert!(matches!(
            parse(b"not json", ""),
            Err(ManifestError::Json(_))
        ));
        assert!(matches!(
            parse(image("").as_bytes(), OCI_INDEX),
            Err(ManifestError::MediaTypeMismatch { .. })
        ));
        assert!(matches!(
            parse(
                br#"{"schemaVersion":1,"fsLayers":[]}"#,
                DOCKER_SCHEMA1_SIGNED
            ),
            Err(ManifestError::Schema1)
        ));
        let bad_digest = image("").replace(D2, "sha256:xyz");
        assert!(matches!(
            parse(bad_digest.as_bytes(), ""),
            Err(ManifestError::Digest { .. })
        ));
        assert!(matches!(
            parse(
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}"#,
                ""
            ),
            Err(ManifestError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn accept_negotiation() {
        let mut a = AcceptSet::default();
        a.add_header(&format!("{DOCKER_MANIFEST}; q=0.9, {DOCKER_LIST}"));
        assert!(a.accepts(ManifestKind::DockerList));
        assert!(!a.accepts(ManifestKind::OciManifest));
        assert!(a.is_explicit());
        a.add_header("*/*");
        assert!(a.accepts(ManifestKind::OciIndex));
        assert!(AcceptSet::anything().accepts(ManifestKind::OciManifest));
    }
}
