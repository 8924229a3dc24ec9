//! registry:2's storage layout (distribution `registry/storage/paths.go`): the ONLY place that
//! builds storage keys.
//!
//! Keys are driver paths exactly as distribution forms them, starting with `/docker/registry/v2`.
//! Arguments are validated types ([`Name`], [`Tag`], [`Digest`], [`UploadId`]), so no key can
//! point outside its repository. The referrers index follows distribution PR #4828, under the
//! subject's revision directory, where registry:2 does not look.

use crate::digest::Digest;
use crate::oci::reference::{query_escape, Name, Tag, UploadId};

/// `<root>/docker/registry/v2`
pub const ROOT: &str = "/docker/registry/v2";

/// A storage key: a path in registry:2's tree (`/docker/registry/v2/...`), built only by this
/// module (the field and constructor are private), so every key a backend sees has the layout
/// distribution's `paths.go` gives it and none can leave its repository.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    fn new(path: String) -> Self {
        Self(path)
    }

    /// The key as a driver path, starting with `/docker/registry/v2`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last segment (`link`, `data`, a tag, a hex digest).
    #[must_use]
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// The key relative to the storage root (no leading `/`), as reports show it.
    #[must_use]
    pub fn relative(&self) -> &str {
        self.0.trim_start_matches('/')
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.0)
    }
}

impl PartialEq<String> for Key {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Key {
    /// This key with `suffix` (which starts with `/`) appended; private, so keys only grow by
    /// the segments this module chooses.
    fn join(mut self, suffix: &str) -> Self {
        self.0.push_str(suffix);
        self
    }

    fn join_digest(mut self, digest: &Digest) -> Self {
        self.0.push('/');
        self.0.push_str(digest.algorithm());
        self.0.push('/');
        self.0.push_str(digest.hex());
        self
    }
}

/// The key `relative` below `prefix`, for backends reporting what a walk found: `None` unless
/// every segment is a plain name (not empty, `.` or `..`), so the result stays below `prefix`.
#[must_use]
pub(in crate::storage) fn descendant(prefix: &Key, relative: &str) -> Option<Key> {
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains('\0');
    if !relative.split('/').all(plain) {
        return None;
    }
    Some(Key::new(format!("{}/{relative}", prefix.0)))
}

/// The key of the child `name` (one segment, as a [`super::backend::Storage::list`] returned
/// it) of `parent`: `None` unless `name` is a plain segment.
#[must_use]
pub fn child(parent: &Key, name: &str) -> Option<Key> {
    if name.contains('/') {
        return None;
    }
    descendant(parent, name)
}

fn repo(name: Name<'_>) -> Key {
    let mut s = String::with_capacity(ROOT.len() + 14 + name.as_str().len() + 100);
    s.push_str(ROOT);
    s.push_str("/repositories/");
    s.push_str(name.as_str());
    Key::new(s)
}

/// `/docker/registry/v2`
#[must_use]
pub fn root() -> Key {
    Key::new(ROOT.to_owned())
}

/// `/docker/registry/v2/.regctl-reference.lock`: held shared by a server while it makes an
/// existing blob referenced, exclusive by `regctl gc` while it sweeps. registry:2 never lists `v2/`
/// itself, so it ignores the file.
#[must_use]
pub fn reference_lock() -> Key {
    Key::new(format!("{ROOT}/.regctl-reference.lock"))
}

/// `/docker/registry/v2/.regctl-gc.lock`: the one-collector lock gc and `fsck --repair` hold.
#[must_use]
pub fn collector_lock() -> Key {
    Key::new(format!("{ROOT}/.regctl-gc.lock"))
}

/// `/docker/registry/v2/.regctl-quarantine/sha256-<hex>-<secs>`: where `fsck --repair` moves a
/// blob whose content does not match its digest. Outside `blobs/` and `repositories/`, so
/// registry:2 never lists it and the digest can be pushed again.
#[must_use]
pub fn quarantined_blob(digest: &Digest, secs: u64) -> Key {
    Key::new(format!(
        "{ROOT}/.regctl-quarantine/{}-{}-{secs}",
        digest.algorithm(),
        digest.hex()
    ))
}

/// `/docker/registry/v2/.regctl-quarantine/_staging/<hex>`: the upload a quarantined blob is
/// copied through.
#[must_use]
pub fn quarantine_staging(digest: &Digest) -> Key {
    Key::new(format!(
        "{ROOT}/.regctl-quarantine/_staging/{}",
        digest.hex()
    ))
}

/// `/docker/registry/v2/.regctl/gc/lease`: the one-collector lease on an object store (a
/// conditional PUT; registry:2 never lists `v2/` itself).
#[must_use]
pub fn collector_lease() -> Key {
    Key::new(format!("{ROOT}/.regctl/gc/lease"))
}

/// `/docker/registry/v2/.regctl/gc/sweep`: present while a collector sweeps an object store.
#[must_use]
pub fn sweep_marker() -> Key {
    Key::new(format!("{ROOT}/.regctl/gc/sweep"))
}

/// `/docker/registry/v2/.regctl/gc/holders`: one object per reference operation in progress on
/// an object store.
#[must_use]
pub fn reference_holders() -> Key {
    Key::new(format!("{ROOT}/.regctl/gc/holders"))
}

/// `/docker/registry/v2/repositories`
#[must_use]
pub fn repositories_root() -> Key {
    Key::new(format!("{ROOT}/repositories"))
}

/// `/docker/registry/v2/repositories/<name>`
#[must_use]
pub fn repository(name: Name<'_>) -> Key {
    repo(name)
}

/// Whether `key` lies in the content-addressed blob store (`/docker/registry/v2/blobs/...`), whose
/// files are only ever created whole by a rename and removed by unlinking.
#[must_use]
pub fn is_in_blob_store(key: &str) -> bool {
    key.strip_prefix(ROOT)
        .and_then(|rest| rest.strip_prefix("/blobs/"))
        .is_some()
}

/// `/docker/registry/v2/blobs`
#[must_use]
pub fn blobs_root() -> Key {
    Key::new(format!("{ROOT}/blobs"))
}

/// `/docker/registry/v2/blobs/sha256/<hex[0:2]>/<hex>`
#[must_use]
pub fn blob_dir(digest: &Digest) -> Key {
    let hex = digest.hex();
    Key::new(format!(
        "{ROOT}/blobs/{}/{}/{hex}",
        digest.algorithm(),
        &hex[..2]
    ))
}

/// `/docker/registry/v2/blobs/sha256/<hex[0:2]>/<hex>/data`
#[must_use]
pub fn blob_data(digest: &Digest) -> Key {
    blob_dir(digest).join("/data")
}

/// `.../<name>/_layers/sha256/<hex>/link`
#[must_use]
pub fn layer_link(name: Name<'_>, digest: &Digest) -> Key {
    repo(name)
        .join("/_layers")
        .join_digest(digest)
        .join("/link")
}

/// `.../<name>/_manifests`
#[must_use]
pub fn manifests_root(name: Name<'_>) -> Key {
    repo(name).join("/_manifests")
}

/// `.../<name>/_manifests/revisions/sha256`
#[must_use]
pub fn manifest_revisions(name: Name<'_>) -> Key {
    repo(name).join("/_manifests/revisions/sha256")
}

/// `.../<name>/_manifests/revisions/sha256/<hex>`
#[must_use]
pub fn manifest_revision(name: Name<'_>, digest: &Digest) -> Key {
    repo(name).join("/_manifests/revisions").join_digest(digest)
}

/// `.../<name>/_manifests/revisions/sha256/<hex>/link`
#[must_use]
pub fn manifest_revision_link(name: Name<'_>, digest: &Digest) -> Key {
    manifest_revision(name, digest).join("/link")
}

/// The file name of a pull record (see [`manifest_pull_record`]).
pub const PULL_RECORD: &str = ".regctl-pulled";

/// `.../<name>/_manifests/revisions/sha256/<hex>/.regctl-pulled`: when the manifest was last
/// pulled from the repository (its change time; the bytes are the same time in RFC 3339, for
/// people). registry:2 reads only `link` in a revision directory, so it ignores the file.
#[must_use]
pub fn manifest_pull_record(name: Name<'_>, digest: &Digest) -> Key {
    manifest_revision(name, digest).join("/").join(PULL_RECORD)
}

/// `.../<name>/_manifests/tags`
#[must_use]
pub fn manifest_tags(name: Name<'_>) -> Key {
    repo(name).join("/_manifests/tags")
}

/// `.../<name>/_manifests/tags/<tag>`
#[must_use]
pub fn manifest_tag(name: Name<'_>, tag: Tag<'_>) -> Key {
    let mut key = manifest_tags(name);
    key.0.push('/');
    key.0.push_str(tag.as_str());
    key
}

/// `.../<name>/_manifests/tags/<tag>/current/link`
#[must_use]
pub fn manifest_tag_current_link(name: Name<'_>, tag: Tag<'_>) -> Key {
    manifest_tag(name, tag).join("/current/link")
}

/// `.../<name>/_manifests/tags/<tag>/index/sha256/<hex>/link`
#[must_use]
pub fn manifest_tag_index_link(name: Name<'_>, tag: Tag<'_>, digest: &Digest) -> Key {
    manifest_tag(name, tag)
        .join("/index")
        .join_digest(digest)
        .join("/link")
}

/// `.../<name>/_uploads`
#[must_use]
pub fn uploads_root(name: Name<'_>) -> Key {
    repo(name).join("/_uploads")
}

/// `.../<name>/_uploads/<uuid>`
#[must_use]
pub fn upload_dir(name: Name<'_>, id: UploadId<'_>) -> Key {
    let mut key = uploads_root(name);
    key.0.push('/');
    key.0.push_str(id.as_str());
    key
}

/// `.../<name>/_uploads/<uuid>/data`
#[must_use]
pub fn upload_data(name: Name<'_>, id: UploadId<'_>) -> Key {
    upload_dir(name, id).join("/data")
}

/// `.../<name>/_uploads/<uuid>/startedat`
#[must_use]
pub fn upload_started_at(name: Name<'_>, id: UploadId<'_>) -> Key {
    upload_dir(name, id).join("/startedat")
}

/// `.../<name>/_uploads/<uuid>/hashstates/sha256`
#[must_use]
pub fn upload_hash_states(name: Name<'_>, id: UploadId<'_>) -> Key {
    upload_dir(name, id).join("/hashstates/sha256")
}

/// `.../<name>/_uploads/<uuid>/hashstates/sha256/<offset>`
#[must_use]
pub fn upload_hash_state(name: Name<'_>, id: UploadId<'_>, offset: u64) -> Key {
    hash_state_in(&upload_hash_states(name, id), offset)
}

/// `<hash states dir>/<offset>`, for a directory from [`upload_hash_states`].
#[must_use]
pub fn hash_state_in(hash_states_dir: &Key, offset: u64) -> Key {
    Key::new(format!("{}/{offset}", hash_states_dir.0))
}

/// `.../<name>/_manifests/revisions/sha256/<subject>/_referrers`
#[must_use]
pub fn referrers_dir(name: Name<'_>, subject: &Digest) -> Key {
    manifest_revision(name, subject).join("/_referrers")
}

/// `<referrers dir>/<type entry>/sha256`: the referrer digests listed under one entry of
/// [`referrers_dir`] (entry names as found in storage, `_<escaped artifactType>`); `None` when the
/// entry is not one plain segment.
#[must_use]
pub fn referrers_of_type(referrers_dir: &Key, type_entry: &str) -> Option<Key> {
    Some(child(referrers_dir, type_entry)?.join("/sha256"))
}

/// `.../_referrers/_<url.QueryEscape(artifactType)>/sha256/<referrer>/link` (distribution PR #4828).
#[must_use]
pub fn referrer_link(
    name: Name<'_>,
    subject: &Digest,
    artifact_type: &str,
    referrer: &Digest,
) -> Key {
    let mut key = referrers_dir(name, subject);
    key.0.push_str("/_");
    key.0.push_str(&query_escape(artifact_type));
    key.join_digest(referrer).join("/link")
}

/// The content of a link file: the digest, no trailing newline.
#[must_use]
pub fn link_content(digest: &Digest) -> &[u8] {
    digest.as_str().as_bytes()
}

/// `/docker/registry/v2/blobs/sha256`: every blob directory is `<hex[0:2]>/<hex>` below it.
#[must_use]
pub fn blobs_sha256_root() -> Key {
    Key::new(format!("{ROOT}/blobs/sha256"))
}

/// `.../<name>/_layers/sha256`
#[must_use]
pub fn layer_links(name: Name<'_>) -> Key {
    repo(name).join("/_layers/sha256")
}

/// `.../<name>/_manifests/tags/<tag>/index/sha256`
#[must_use]
pub fn manifest_tag_index(name: Name<'_>, tag: Tag<'_>) -> Key {
    manifest_tag(name, tag).join("/index/sha256")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn d() -> Digest {
        Digest::parse(&format!("sha256:{HEX}")).unwrap()
    }

    // Expected values are the outputs of distribution's pathFor for the same specs
    // (registry/storage/paths_test.go uses the same shapes).
    #[test]
    fn matches_distribution_paths() {
        let name = Name::parse("foo/bar").unwrap();
        let tag = Tag::parse("thetag").unwrap();
        let id = UploadId::parse("0f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0").unwrap();
        let r = "/docker/registry/v2/repositories/foo/bar";
        assert_eq!(
            blob_data(&d()),
            format!("/docker/registry/v2/blobs/sha256/e3/{HEX}/data")
        );
        assert_eq!(
            blob_dir(&d()),
            format!("/docker/registry/v2/blobs/sha256/e3/{HEX}")
        );
        assert_eq!(
            layer_link(name, &d()),
            format!("{r}/_layers/sha256/{HEX}/link")
        );
        assert_eq!(
            manifest_revision_link(name, &d()),
            format!("{r}/_manifests/revisions/sha256/{HEX}/link")
        );
        assert_eq!(manifest_tags(name), format!("{r}/_manifests/tags"));
        assert_eq!(
            manifest_tag_current_link(name, tag),
            format!("{r}/_manifests/tags/thetag/current/link")
        );
        assert_eq!(
            manifest_tag_index_link(name, tag, &d()),
            format!("{r}/_manifests/tags/thetag/index/sha256/{HEX}/link")
        );
        assert_eq!(
            upload_data(name, id),
            format!("{r}/_uploads/0f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0/data")
        );
        assert_eq!(
            upload_started_at(name, id),
            format!("{r}/_uploads/0f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0/startedat")
        );
        assert_eq!(
            upload_hash_state(name, id, 4096),
            format!("{r}/_uploads/0f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0/hashstates/sha256/4096")
        );
        assert_eq!(repositories_root(), "/docker/registry/v2/repositories");
        assert_eq!(link_content(&d()), format!("sha256:{HEX}").as_bytes());
    }

    #[test]
    fn referrer_link_matches_pr_4828() {
        let name = Name::parse("a").unwrap();
        assert_eq!(
            referrer_link(name, &d(), "application/vnd.example+json", &d()),
            format!(
                "/docker/registry/v2/repositories/a/_manifests/revisions/sha256/{HEX}/_referrers/_application%2Fvnd.example%2Bjson/sha256/{HEX}/link"
            )
        );
    }
}
