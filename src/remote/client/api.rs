//! The registry API calls: catalog, tags (with pagination), manifests (HEAD/GET, by platform),
//! blobs and deletes, and the types they return.

use super::*;

/// A manifest exactly as served: the digest covers `bytes`.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub digest: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl Manifest {
    #[must_use]
    pub fn is_index(&self) -> bool {
        ManifestKind::from_media_type(oci_manifest::bare_media_type(&self.media_type))
            .is_some_and(ManifestKind::is_index)
    }

    /// The manifest parsed as JSON.
    ///
    /// # Errors
    /// When the body is not JSON.
    pub fn json(&self) -> Result<serde_json::Value, RemoteError> {
        serde_json::from_slice(&self.bytes).map_err(|e| RemoteError::InvalidResponse {
            what: format!("manifest {}", self.digest),
            reason: e.to_string(),
        })
    }
}

/// `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    ///
    /// # Errors
    /// [`RemoteError::InvalidPlatform`] when the shape is wrong.
    pub fn parse(input: &str) -> Result<Self, RemoteError> {
        let parts: Vec<&str> = input.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self {
                os: (*os).to_owned(),
                architecture: (*arch).to_owned(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Self {
                    os: (*os).to_owned(),
                    architecture: (*arch).to_owned(),
                    variant: Some((*variant).to_owned()),
                })
            }
            _ => Err(RemoteError::InvalidPlatform(input.to_owned())),
        }
    }

    /// Whether an index entry's `platform` object matches; without a variant any variant matches.
    fn matches(&self, platform: &serde_json::Value) -> bool {
        let field = |name: &str| platform.get(name).and_then(serde_json::Value::as_str);
        field("os") == Some(self.os.as_str())
            && field("architecture") == Some(self.architecture.as_str())
            && self
                .variant
                .as_deref()
                .is_none_or(|v| field("variant") == Some(v))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// The `os/arch[/variant]` of an index entry, for listings and error messages.
#[must_use]
pub fn platform_of(entry: &serde_json::Value) -> Option<String> {
    let platform = entry.get("platform")?;
    let field = |name: &str| platform.get(name).and_then(serde_json::Value::as_str);
    let mut text = format!("{}/{}", field("os")?, field("architecture")?);
    if let Some(variant) = field("variant") {
        text.push('/');
        text.push_str(variant);
    }
    Some(text)
}

/// Pagination request: `n` per page (server default when `None`) and a cap on the total.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paging {
    pub page_size: Option<usize>,
    pub limit: Option<usize>,
}

/// Token scopes, as the Docker token spec spells them.
#[must_use]
pub fn repository_scope(repository: &str, actions: &str) -> String {
    format!("repository:{repository}:{actions}")
}

pub(super) const CATALOG_SCOPE: &str = "registry:catalog:*";

impl Client {
    /// Lists repositories, following pagination; `progress` gets the running count.
    ///
    /// # Errors
    /// Transport, authentication and registry errors.
    pub async fn catalog(
        &self,
        paging: Paging,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<String>, RemoteError> {
        let mut repositories = self
            .paginate(
                "/v2/_catalog",
                "repositories",
                CATALOG_SCOPE,
                "the catalog",
                paging,
                progress,
            )
            .await?;
        if let Some(limit) = paging.limit {
            repositories.truncate(limit);
        }
        Ok(repositories)
    }

    /// Lists the tags of `repository`, following pagination, sorted (distribution 2.x returns
    /// them in directory order, all in one page whatever `n` says), so a limit keeps the first
    /// tags in lexical order.
    ///
    /// # Errors
    /// Transport, authentication and registry errors; [`RemoteError::NotFound`] for an unknown
    /// repository.
    pub async fn tags(
        &self,
        repository: &str,
        paging: Paging,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<String>, RemoteError> {
        let mut tags = self
            .paginate(
                &format!("/v2/{repository}/tags/list"),
                "tags",
                &repository_scope(repository, "pull"),
                &format!("repository {repository}"),
                paging,
                progress,
            )
            .await?;
        tags.sort_unstable();
        if let Some(limit) = paging.limit {
            tags.truncate(limit);
        }
        Ok(tags)
    }

    pub(super) async fn paginate(
        &self,
        path: &str,
        field: &str,
        scope: &str,
        what: &str,
        paging: Paging,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<String>, RemoteError> {
        let mut url = self.url(path)?;
        if let Some(n) = paging.page_size {
            let n = paging.limit.map_or(n, |limit| n.min(limit.max(1)));
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let mut items = Vec::new();
        loop {
            let response = self
                .send(Method::GET, &url, scope, &HeaderMap::new())
                .await?;
            let status = response.status();
            if status == StatusCode::NOT_FOUND {
                return Err(RemoteError::NotFound {
                    what: format!("{what} on {}", self.registry),
                    hint: String::new(),
                });
            }
            if !status.is_success() {
                return Err(self.status_error(Method::GET, &url, status, response).await);
            }
            let next = next_link(response.headers(), &url);
            let body: serde_json::Value = response.json().await.map_err(|e| RemoteError::Http {
                url: url.to_string(),
                source: e,
            })?;
            // A registry answers `"tags": null` for a repository whose tags were all deleted.
            let page = match body.get(field) {
                Some(serde_json::Value::Array(values)) => values,
                Some(serde_json::Value::Null) | None => &Vec::new(),
                Some(_) => {
                    return Err(RemoteError::InvalidResponse {
                        what: url.to_string(),
                        reason: format!("`{field}` is not a list"),
                    })
                }
            };
            items.extend(
                page.iter()
                    .filter_map(serde_json::Value::as_str)
                    .map(str::to_owned),
            );
            progress(items.len());
            // The caller truncates: a registry that ignores `n` sends everything in one page, in
            // an order of its own.
            if paging.limit.is_some_and(|limit| items.len() >= limit) {
                return Ok(items);
            }
            match next {
                Some(next) if next != url && !page.is_empty() => url = next,
                _ => return Ok(items),
            }
        }
    }

    /// HEADs a manifest: digest, media type and size without downloading it. Registries that
    /// omit `Docker-Content-Digest` get a GET and the digest is computed.
    ///
    /// # Errors
    /// [`RemoteError::NotFound`] when the reference does not exist, and the usual errors.
    pub async fn head_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<TagInfo, RemoteError> {
        let (_, response) = self
            .request_manifest(Method::HEAD, repository, reference)
            .await?;
        let headers = response.headers();
        let digest = header_str(headers, "docker-content-digest");
        let media_type = header_str(headers, CONTENT_TYPE.as_str()).unwrap_or_default();
        let size = headers
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        match (digest, size) {
            (Some(digest), Some(size)) if !media_type.is_empty() => Ok(TagInfo {
                tag: reference.to_owned(),
                digest,
                media_type,
                size,
            }),
            _ => {
                let manifest = self.manifest(repository, reference).await?;
                Ok(TagInfo {
                    tag: reference.to_owned(),
                    size: manifest.bytes.len() as u64,
                    digest: manifest.digest,
                    media_type: manifest.media_type,
                })
            }
        }
    }

    /// GETs a blob and returns the successful response unread, for a caller that streams the
    /// body and verifies the digest itself (the pull-through cache stores it as it arrives).
    ///
    /// # Errors
    /// [`RemoteError::NotFound`], and the usual errors.
    pub async fn blob_response(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<reqwest::Response, RemoteError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"))?;
        let response = self
            .send(
                Method::GET,
                &url,
                &repository_scope(repository, "pull"),
                &HeaderMap::new(),
            )
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(RemoteError::NotFound {
                what: format!("blob {repository}@{digest} on {}", self.registry),
                hint: String::new(),
            });
        }
        if !status.is_success() {
            return Err(self.status_error(Method::GET, &url, status, response).await);
        }
        Ok(response)
    }

    /// GETs a blob of at most `max_size` bytes and checks its sha256 digest.
    ///
    /// # Errors
    /// [`RemoteError::NotFound`], [`RemoteError::DigestMismatch`], a blob over `max_size`.
    pub async fn blob(
        &self,
        repository: &str,
        digest: &str,
        max_size: u64,
    ) -> Result<Vec<u8>, RemoteError> {
        let response = self.blob_response(repository, digest).await?;
        // The registry's URL, not a redirect target's (which may carry a presigned query).
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"))?;
        let too_big = || RemoteError::InvalidResponse {
            what: format!("blob {repository}@{digest}"),
            reason: format!("it is larger than {max_size} bytes"),
        };
        if response.content_length().is_some_and(|len| len > max_size) {
            return Err(too_big());
        }
        let mut bytes = Vec::new();
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| RemoteError::Http {
                url: url.to_string(),
                source: e,
            })?;
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > max_size {
                return Err(too_big());
            }
        }
        if digest.starts_with("sha256:") {
            let actual = Digest::of(&bytes).as_str().to_owned();
            if actual != digest {
                return Err(RemoteError::DigestMismatch {
                    what: format!("blob {repository}@{digest}"),
                    expected: digest.to_owned(),
                    actual,
                });
            }
        }
        Ok(bytes)
    }

    /// Sends `method` for a manifest with the full Accept list (so the digest is the stored one)
    /// and returns the successful response; 404 becomes [`RemoteError::NotFound`].
    pub(super) async fn request_manifest(
        &self,
        method: Method,
        repository: &str,
        reference: &str,
    ) -> Result<(Url, reqwest::Response), RemoteError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"))?;
        let response = self
            .send(
                method.clone(),
                &url,
                &repository_scope(repository, "pull"),
                &manifest_accept(),
            )
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(self.missing_manifest(repository, reference).await);
        }
        if !status.is_success() {
            return Err(self.status_error(method, &url, status, response).await);
        }
        Ok((url, response))
    }

    /// GETs a manifest with the full Accept list, keeping the exact bytes. The digest is the
    /// registry's `Docker-Content-Digest` when sent, checked against the bytes when it is sha256.
    ///
    /// # Errors
    /// [`RemoteError::NotFound`], [`RemoteError::DigestMismatch`] and the usual errors.
    pub async fn manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Manifest, RemoteError> {
        let (url, response) = self
            .request_manifest(Method::GET, repository, reference)
            .await?;
        let header_digest = header_str(response.headers(), "docker-content-digest");
        let header_type = header_str(response.headers(), CONTENT_TYPE.as_str());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| RemoteError::Http {
                url: url.to_string(),
                source: e,
            })?
            .to_vec();
        let computed = Digest::of(&bytes).as_str().to_owned();
        let digest = match header_digest {
            Some(d) if d.starts_with("sha256:") && d != computed => {
                return Err(RemoteError::DigestMismatch {
                    what: format!("manifest {}", image_ref(repository, reference)),
                    expected: d,
                    actual: computed,
                })
            }
            Some(d) => d,
            None => computed,
        };
        if reference.starts_with("sha256:") && reference != digest {
            return Err(RemoteError::DigestMismatch {
                what: format!("manifest {repository}@{reference}"),
                expected: reference.to_owned(),
                actual: digest,
            });
        }
        let media_type = header_type
            .filter(|t| oci_manifest::ACCEPT_ALL.contains(&t.as_str()))
            .or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("mediaType")?.as_str().map(str::to_owned))
            })
            .unwrap_or_default();
        Ok(Manifest {
            digest,
            media_type,
            bytes,
        })
    }

    /// For an index, the child manifest matching `platform`; a single manifest is returned as is.
    ///
    /// # Errors
    /// [`RemoteError::PlatformNotFound`] listing the platforms the index has.
    pub async fn manifest_for_platform(
        &self,
        repository: &str,
        manifest: Manifest,
        platform: &Platform,
    ) -> Result<Manifest, RemoteError> {
        if !manifest.is_index() {
            return Ok(manifest);
        }
        let index = manifest.json()?;
        let entries = index
            .get("manifests")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        let chosen = entries
            .iter()
            .find(|entry| entry.get("platform").is_some_and(|p| platform.matches(p)));
        let Some(digest) = chosen
            .and_then(|entry| entry.get("digest"))
            .and_then(serde_json::Value::as_str)
        else {
            let available: Vec<String> = entries.iter().filter_map(platform_of).collect();
            return Err(RemoteError::PlatformNotFound {
                platform: platform.to_string(),
                digest: manifest.digest,
                available: if available.is_empty() {
                    "none".to_owned()
                } else {
                    available.join(", ")
                },
            });
        };
        crate::remote::reference::parse_digest(digest).map_err(|reason| {
            RemoteError::InvalidResponse {
                what: format!("index {}", manifest.digest),
                reason,
            }
        })?;
        self.manifest(repository, digest).await
    }

    /// Deletes a manifest by digest (which removes every tag pointing at it).
    ///
    /// # Errors
    /// [`RemoteError::DeleteDisabled`] when the registry refuses deletes, and the usual errors.
    pub async fn delete_manifest(&self, repository: &str, digest: &str) -> Result<(), RemoteError> {
        let what = format!("manifest {repository}@{digest}");
        match self.delete_reference(repository, digest, what).await? {
            None => Ok(()),
            Some(refused) => Err(refused.into_error(self)),
        }
    }

    /// `DELETE /v2/REPO/manifests/REFERENCE`, with what every delete shares: success is
    /// `None`; a 404 is [`RemoteError::NotFound`] naming `what`; distribution (2.x and 3.x) and
    /// regctl serve answer 405 `UNSUPPORTED` to every delete while `storage.delete.enabled` is
    /// false, which is [`RemoteError::DeleteDisabled`]. Any other answer is handed back.
    async fn delete_reference(
        &self,
        repository: &str,
        reference: &str,
        what: String,
    ) -> Result<Option<RefusedDelete>, RemoteError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"))?;
        let response = self
            .send(
                Method::DELETE,
                &url,
                &repository_scope(repository, "delete"),
                &HeaderMap::new(),
            )
            .await?;
        let status = response.status();
        if status.is_success() {
            return Ok(None);
        }
        if status == StatusCode::NOT_FOUND {
            return Err(RemoteError::NotFound {
                what: format!("{what} on {}", self.registry),
                hint: String::new(),
            });
        }
        let (codes, message) = error_body(response).await;
        if status == StatusCode::METHOD_NOT_ALLOWED || codes.iter().any(|c| c == "UNSUPPORTED") {
            return Err(RemoteError::DeleteDisabled {
                registry: self.registry.to_string(),
            });
        }
        Ok(Some(RefusedDelete {
            url,
            status,
            message,
        }))
    }

    /// Whether the registry accepts deletes at all, without deleting anything: a `DELETE` of a
    /// well-formed digest no manifest has answers 404 `MANIFEST_UNKNOWN` when deletes are on and
    /// 405 `UNSUPPORTED` when off, on distribution and on regctl serve alike. This is what a dry
    /// run checks before saying what would be deleted.
    ///
    /// # Errors
    /// Transport, authentication and unexpected registry errors.
    pub async fn deletes_enabled(&self, repository: &str) -> Result<bool, RemoteError> {
        const ABSENT: &str =
            "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        match self.delete_manifest(repository, ABSENT).await {
            Ok(()) | Err(RemoteError::NotFound { .. }) => Ok(true),
            Err(RemoteError::DeleteDisabled { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// A 404 for a manifest, told apart: a missing repository, or a missing tag/digest in a
    /// repository that exists (with a few of the tags it has, so the user can pick one).
    pub(super) async fn missing_manifest(&self, repository: &str, reference: &str) -> RemoteError {
        const SHOWN: usize = 5;
        let image = image_ref(repository, reference);
        let paging = Paging {
            page_size: None,
            limit: Some(SHOWN + 1),
        };
        let registry = &self.registry;
        let (what, hint) = match self.tags(repository, paging, &|_| {}).await {
            Err(RemoteError::NotFound { .. }) => (
                format!("repository {repository} on {registry}"),
                format!("; `regctl catalog {registry}` lists the repositories it has"),
            ),
            Ok(tags) if tags.is_empty() => (
                format!("manifest {image} on {registry}"),
                "; the repository exists but has no tags".to_owned(),
            ),
            Ok(tags) => {
                let more = if tags.len() > SHOWN { ", ..." } else { "" };
                let shown: Vec<&str> = tags.iter().take(SHOWN).map(String::as_str).collect();
                (
                    format!("manifest {image} on {registry}"),
                    format!(
                        "; the repository exists, with tags {}{more} (`regctl tags \
                         {registry}/{repository}` lists them all)",
                        shown.join(", ")
                    ),
                )
            }
            // Listing tags is only a hint; the 404 is the answer.
            Err(_) => (format!("manifest {image} on {registry}"), String::new()),
        };
        RemoteError::NotFound { what, hint }
    }

    /// Deletes only a tag (`DELETE /v2/REPO/manifests/TAG`, distribution v3 and regctl serve).
    ///
    /// # Errors
    /// [`RemoteError::DeleteDisabled`] when the registry refuses every delete,
    /// [`RemoteError::TagDeleteUnsupported`] when it cannot delete a tag alone, and the usual
    /// errors.
    pub async fn delete_tag(&self, repository: &str, tag: &str) -> Result<(), RemoteError> {
        let what = format!("tag {repository}:{tag}");
        match self.delete_reference(repository, tag, what).await? {
            None => Ok(()),
            // With deletes enabled, distribution 2.x reads the tag as a digest and answers 400
            // DIGEST_INVALID: it cannot delete a tag alone.
            Some(refused) if refused.status == StatusCode::BAD_REQUEST => {
                Err(RemoteError::TagDeleteUnsupported {
                    registry: self.registry.to_string(),
                    status: refused.status.as_u16(),
                    message: refused.message,
                })
            }
            Some(refused) => Err(refused.into_error(self)),
        }
    }
}

/// A DELETE the registry answered with neither success, 404 nor "deletes disabled".
struct RefusedDelete {
    url: Url,
    status: StatusCode,
    message: String,
}

impl RefusedDelete {
    fn into_error(self, client: &Client) -> RemoteError {
        client.status_error_from(Method::DELETE, &self.url, self.status, &self.message)
    }
}

/// `REPO:TAG` or `REPO@DIGEST`, as users write references.
pub(super) fn image_ref(repository: &str, reference: &str) -> String {
    if reference.contains(':') {
        format!("{repository}@{reference}")
    } else {
        format!("{repository}:{reference}")
    }
}

pub(super) fn manifest_accept() -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&oci_manifest::ACCEPT_ALL.join(", ")) {
        headers.insert(ACCEPT, value);
    }
    headers
}

/// The `rel="next"` target of an RFC 5988 `Link` header, resolved against the request URL.
pub(super) fn next_link(headers: &HeaderMap, current: &Url) -> Option<Url> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let is_next = params.split(';').any(|param| {
                param.trim().split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("rel")
                        && v.trim().trim_matches('"').split(' ').any(|r| r == "next")
                })
            });
            if is_next {
                current.join(target).ok()
            } else {
                None
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_is_resolved() {
        let current = Url::parse("https://r.example/v2/_catalog?n=2").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::LINK,
            HeaderValue::from_static(r#"</v2/_catalog?last=b&n=2>; rel="next""#),
        );
        assert_eq!(
            next_link(&headers, &current).unwrap().as_str(),
            "https://r.example/v2/_catalog?last=b&n=2"
        );
        headers.insert(
            reqwest::header::LINK,
            HeaderValue::from_static(
                r#"<https://x.example/a>; rel="prev", <https://x.example/b>; rel=next"#,
            ),
        );
        assert_eq!(
            next_link(&headers, &current).unwrap().as_str(),
            "https://x.example/b"
        );
        assert_eq!(next_link(&HeaderMap::new(), &current), None);
    }

    #[test]
    fn references_read_as_written() {
        assert_eq!(image_ref("team/app", "1.0"), "team/app:1.0");
        assert_eq!(image_ref("app", "sha256:0123abcd"), "app@sha256:0123abcd");
    }

    #[test]
    fn platform_matching() {
        let p = Platform::parse("linux/arm64").unwrap();
        assert!(p.matches(&serde_json::json!({"os":"linux","architecture":"arm64","variant":"v8"})));
        let p = Platform::parse("linux/arm/v7").unwrap();
        assert!(!p.matches(&serde_json::json!({"os":"linux","architecture":"arm","variant":"v6"})));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v7").is_err());
    }
}
