//! The OCI distribution grammar for repository names, tags and references, and the `/v2/...` route
//! parser.
//!
//! Every name, tag and upload id that reaches the storage layer has passed through here, so a path
//! can never escape its repository: names are lowercase alphanumerics joined by `.`, `_`, `__` or
//! dashes and `/`, tags cannot start with `.` or `-`, upload ids are UUIDs. No regex runs per
//! request: the path is split once and read from the right.

use crate::digest::{Digest, DigestError};

/// Longest repository name distribution accepts (`reference.NameTotalLengthMax`).
pub const NAME_MAX: usize = 255;
/// Longest tag (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`).
pub const TAG_MAX: usize = 128;

/// A validated repository name such as `library/alpine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name<'a>(&'a str);

/// A validated tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag<'a>(&'a str);

/// A manifest reference: a tag or a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference<'a> {
    Tag(Tag<'a>),
    Digest(Digest),
}

/// Why a name, tag or reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid repository name: {0}")]
    Name(&'static str),
    #[error("invalid tag: must match [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}")]
    Tag,
    #[error(transparent)]
    Digest(#[from] DigestError),
}

impl<'a> Name<'a> {
    /// Validates `s` against the OCI name grammar:
    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 bytes.
    ///
    /// # Errors
    /// [`ReferenceError::Name`] with the rule that failed.
    pub fn parse(s: &'a str) -> Result<Self, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Name("empty"));
        }
        if s.len() > NAME_MAX {
            return Err(ReferenceError::Name("longer than 255 characters"));
        }
        for component in s.split('/') {
            if !valid_component(component) {
                return Err(ReferenceError::Name(
                    "each path component must be lowercase letters and digits, separated by \
                     '.', '_', '__' or dashes",
                ));
            }
        }
        Ok(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

fn valid_component(c: &str) -> bool {
    let bytes = c.as_bytes();
    let mut i = 0;
    let mut expect_alnum = true;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            expect_alnum = false;
            i += 1;
            continue;
        }
        if expect_alnum {
            return false;
        }
        match b {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if bytes.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while bytes.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        expect_alnum = true;
    }
    !expect_alnum
}

impl<'a> Tag<'a> {
    /// # Errors
    /// [`ReferenceError::Tag`] unless `s` matches `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
    pub fn parse(s: &'a str) -> Result<Self, ReferenceError> {
        let bytes = s.as_bytes();
        let first_ok = bytes
            .first()
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let rest_ok = bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if first_ok && rest_ok && bytes.len() <= TAG_MAX {
            Ok(Self(s))
        } else {
            Err(ReferenceError::Tag)
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl<'a> Reference<'a> {
    /// A reference containing `:` is a digest, anything else a tag (tags cannot contain `:`).
    ///
    /// # Errors
    /// The tag or digest error.
    pub fn parse(s: &'a str) -> Result<Self, ReferenceError> {
        if s.contains(':') {
            Ok(Self::Digest(Digest::parse(s)?))
        } else {
            Ok(Self::Tag(Tag::parse(s)?))
        }
    }
}

/// A validated upload session id (a lowercase UUID, as both registry:2 and regctl generate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UploadId<'a>(&'a str);

impl<'a> UploadId<'a> {
    /// `None` unless `s` is `8-4-4-4-12` lowercase hex.
    #[must_use]
    pub fn parse(s: &'a str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 36 {
            return None;
        }
        let ok = b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        });
        ok.then_some(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// One `/v2/...` endpoint, with its raw (not yet validated) path parts.
///
/// Parsing the route and validating its parts are separate steps so that the API can answer an
/// unknown endpoint with 404 and a malformed name inside a known endpoint with NAME_INVALID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/v2/`
    Base,
    /// `/v2/_catalog`
    Catalog,
    /// `/v2/<name>/tags/list`
    Tags { name: &'a str },
    /// `/v2/<name>/manifests/<reference>`
    Manifest { name: &'a str, reference: &'a str },
    /// `/v2/<name>/blobs/<digest>`
    Blob { name: &'a str, digest: &'a str },
    /// `/v2/<name>/blobs/uploads/`
    UploadStart { name: &'a str },
    /// `/v2/<name>/blobs/uploads/<uuid>`
    Upload { name: &'a str, id: &'a str },
    /// `/v2/<name>/referrers/<digest>`
    Referrers { name: &'a str, digest: &'a str },
}

impl<'a> Route<'a> {
    /// Reads a request path from the right. `None` for paths outside the API.
    #[must_use]
    pub fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix("/v2")?;
        if rest.is_empty() || rest == "/" {
            return Some(Self::Base);
        }
        let rest = rest.strip_prefix('/')?;
        if rest == "_catalog" {
            return Some(Self::Catalog);
        }
        // Split off up to three trailing segments; everything before them is the name.
        let (head, last) = rsplit(rest)?;
        let (head2, second) = rsplit(head).unwrap_or(("", head));
        if second == "uploads" {
            if let Some((name, blobs)) = rsplit(head2) {
                if blobs == "blobs" && !name.is_empty() {
                    return Some(if last.is_empty() {
                        Self::UploadStart { name }
                    } else {
                        Self::Upload { name, id: last }
                    });
                }
            }
        }
        if head2.is_empty() {
            return None;
        }
        let name = head2;
        match (second, last) {
            ("blobs", "uploads") => Some(Self::UploadStart { name }),
            ("tags", "list") => Some(Self::Tags { name }),
            ("manifests", reference) if !reference.is_empty() => {
                Some(Self::Manifest { name, reference })
            }
            ("blobs", digest) if !digest.is_empty() => Some(Self::Blob { name, digest }),
            ("referrers", digest) if !digest.is_empty() => Some(Self::Referrers { name, digest }),
            _ => None,
        }
    }

    /// The raw repository name of the route, if it has one.
    #[must_use]
    pub fn name(&self) -> Option<&'a str> {
        match *self {
            Self::Base | Self::Catalog => None,
            Self::Tags { name }
            | Self::Manifest { name, .. }
            | Self::Blob { name, .. }
            | Self::UploadStart { name }
            | Self::Upload { name, .. }
            | Self::Referrers { name, .. } => Some(name),
        }
    }
}

/// `("a/b", "c")` for `"a/b/c"`; `None` when there is no `/`.
fn rsplit(s: &str) -> Option<(&str, &str)> {
    s.rsplit_once('/')
}

/// Distribution's catalog order: byte order with `/` sorting before every other byte, so that
/// `a/b` comes before `a-b` (as if `/` were `\x00`).
#[must_use]
pub fn catalog_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { c };
    a.bytes().map(key).cmp(b.bytes().map(key))
}

/// Go's `url.QueryEscape`: keeps `[A-Za-z0-9-_.~]`, turns space into `+`, escapes the rest. Used
/// for query strings and for the artifact type in the referrers index path.
#[must_use]
pub fn query_escape(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The referrers-tag-schema tag for `digest` (`sha256-<hex>`), which clients use as a fallback.
#[must_use]
pub fn referrers_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm(), digest.hex())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn names() {
        for ok in [
            "a",
            "library/alpine",
            "a/b/c/d/e/f/g/h/i",
            "a.b",
            "a_b",
            "a__b",
            "a---b",
            "0",
            "foo/blobs/uploads",
        ] {
            assert!(Name::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "A",
            "a/",
            "/a",
            "a//b",
            "a/../../etc",
            "..",
            "a..b",
            "a___b",
            "a.-b",
            "_a",
            "a_",
            "-a",
            "a b",
            "a%2fb",
            "_uploads",
            "a/_layers",
        ] {
            assert!(Name::parse(bad).is_err(), "{bad}");
        }
        assert!(Name::parse(&"a".repeat(255)).is_ok());
        assert!(Name::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn tags_and_references() {
        assert!(Tag::parse("latest").is_ok());
        assert!(Tag::parse("_x.Y-1").is_ok());
        assert!(Tag::parse(&"a".repeat(128)).is_ok());
        for bad in ["", ".a", "-a", "a/b", "a:b", "..", &"a".repeat(129)] {
            assert!(Tag::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(Reference::parse(D), Ok(Reference::Digest(_))));
        assert!(matches!(Reference::parse("v1"), Ok(Reference::Tag(_))));
        assert!(matches!(
            Reference::parse("a:b"),
            Err(ReferenceError::Digest(DigestError::Unsupported(_)))
        ));
    }

    #[test]
    fn upload_ids() {
        assert!(UploadId::parse("0f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0").is_some());
        for bad in [
            "",
            "../../x",
            "0F0E1D2C-3B4A-4958-8776-A5B4C3D2E1F0",
            "0f0e1d2c3b4a495887760a5b4c3d2e1f0aaa",
        ] {
            assert!(UploadId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn routes() {
        use Route::*;
        let cases: &[(&str, Option<Route>)] = &[
            ("/v2/", Some(Base)),
            ("/v2", Some(Base)),
            ("/v2/_catalog", Some(Catalog)),
            ("/v2/a/b/tags/list", Some(Tags { name: "a/b" })),
            (
                "/v2/a/manifests/latest",
                Some(Manifest {
                    name: "a",
                    reference: "latest",
                }),
            ),
            ("/v2/a/blobs/uploads/", Some(UploadStart { name: "a" })),
            ("/v2/a/blobs/uploads", Some(UploadStart { name: "a" })),
            (
                "/v2/a/b/blobs/uploads/1234",
                Some(Upload {
                    name: "a/b",
                    id: "1234",
                }),
            ),
            (
                "/v2/a/blobs/sha256:00",
                Some(Blob {
                    name: "a",
                    digest: "sha256:00",
                }),
            ),
            (
                "/v2/a/referrers/sha256:00",
                Some(Referrers {
                    name: "a",
                    digest: "sha256:00",
                }),
            ),
            (
                "/v2/blobs/uploads/manifests/x",
                Some(Manifest {
                    name: "blobs/uploads",
                    reference: "x",
                }),
            ),
            (
                "/v2/manifests/manifests/manifests",
                Some(Manifest {
                    name: "manifests",
                    reference: "manifests",
                }),
            ),
            ("/v2/tags/list", None),
            ("/v2/manifests/x", None),
            ("/v2/a/manifests/", None),
            ("/v2/a/unknown/x", None),
            ("/v3/a/manifests/x", None),
            ("/v2x", None),
            ("/", None),
        ];
        for (path, want) in cases {
            assert_eq!(Route::parse(path), *want, "{path}");
        }
    }

    #[test]
    fn catalog_order_puts_slash_first() {
        let mut v = vec!["a-b", "a/b", "a", "a.b", "ab"];
        v.sort_by(|x, y| catalog_cmp(x, y));
        assert_eq!(v, ["a", "a/b", "a-b", "a.b", "ab"]);
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        let component = "[a-z0-9]{1,5}((\\.|_|__|-{1,3})[a-z0-9]{1,5}){0,2}";
        prop::collection::vec(component, 1..5).prop_map(|c| c.join("/"))
    }

    proptest! {
        #[test]
        fn generated_names_are_valid_and_route_back(name in name_strategy(), tag in "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}") {
            prop_assert!(Name::parse(&name).is_ok());
            let path = format!("/v2/{name}/manifests/{tag}");
            prop_assert_eq!(Route::parse(&path), Some(Route::Manifest { name: &name, reference: &tag }));
            let path = format!("/v2/{name}/tags/list");
            prop_assert_eq!(Route::parse(&path), Some(Route::Tags { name: &name }));
            let path = format!("/v2/{name}/blobs/{D}");
            prop_assert_eq!(Route::parse(&path), Some(Route::Blob { name: &name, digest: D }));
            let path = format!("/v2/{name}/blobs/uploads/");
            prop_assert_eq!(Route::parse(&path), Some(Route::UploadStart { name: &name }));
        }

        #[test]
        fn arbitrary_paths_never_panic_and_validated_names_are_safe(path in "(/[a-zA-Z0-9._:%-]{0,6}){0,8}") {
            if let Some(route) = Route::parse(&path) {
                if let Some(name) = route.name() {
                    if let Ok(name) = Name::parse(name) {
                        let s = name.as_str();
                        prop_assert!(!s.split('/').any(|c| c == ".." || c == "." || c.is_empty() || c.starts_with('_')));
                    }
                }
            }
        }

        #[test]
        fn arbitrary_references_never_panic(s in "\\PC{0,80}") {
            let _ = Reference::parse(&s);
            let _ = Name::parse(&s);
            let _ = UploadId::parse(&s);
        }
    }
}
