//! An HTTP client for any OCI/Docker registry: transport choice, authentication, pagination and
//! the handful of API calls the client commands need.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;

use super::auth::{CachedToken, Challenge, Credentials, TokenResponse};
use super::reference::Registry;
use super::RemoteError;
use crate::digest::Digest;
use crate::oci::manifest::{self as oci_manifest, ManifestKind};

/// How many HEAD requests run at once when listing tag details.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How to reach a registry and as whom.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Accept any certificate, and fall back to plain HTTP when the server does not speak TLS.
    pub insecure: bool,
    /// The registry is known to serve plain HTTP (e.g. the local config has no `http.tls`).
    pub plain_http: bool,
    /// PEM file with extra CA certificates to trust.
    pub ca_file: Option<PathBuf>,
    pub credentials: Option<Credentials>,
}

/// A registry's answer to `GET /v2/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginCheck {
    /// The credentials were accepted.
    Accepted,
    /// The registry does not ask for credentials at all.
    NoAuthRequired,
}

/// One tag and the manifest it points at.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TagInfo {
    pub tag: String,
    pub digest: String,
    pub media_type: String,
    /// Size of the manifest document in bytes.
    pub size: u64,
}

/// What an image's manifest and config say beyond the manifest's own digest and size.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImageDetails {
    /// `created` from the image config, when the config has it (an index has no single one).
    pub created: Option<String>,
    /// Config plus layers, compressed, as the manifest declares them.
    pub image_size: Option<u64>,
}

/// Image configs are small JSON documents; refuse to download anything bigger as one.
const MAX_CONFIG_SIZE: u64 = 4 * 1024 * 1024;

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

/// A connected registry client. Create it with [`Client::connect`], which pings `/v2/`.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    registry: Registry,
    /// `https://host:port` or `http://host:port`.
    base: Url,
    credentials: Option<Credentials>,
    challenge: Mutex<Option<Challenge>>,
    tokens: Mutex<HashMap<String, CachedToken>>,
}

/// Token scopes, as the Docker token spec spells them.
#[must_use]
pub fn repository_scope(repository: &str, actions: &str) -> String {
    format!("repository:{repository}:{actions}")
}

const CATALOG_SCOPE: &str = "registry:catalog:*";

impl Client {
    /// Builds the HTTP client and pings `GET /v2/` to choose the transport and learn how the
    /// registry authenticates.
    ///
    /// # Errors
    /// Transport errors explained for the user (plain HTTP, untrusted certificate, refused
    /// connection), or a server that is not a registry.
    pub async fn connect(registry: Registry, options: ClientOptions) -> Result<Self, RemoteError> {
        let http = build_http(&options)?;
        let https = base_url("https", &registry)?;
        let http_base = base_url("http", &registry)?;
        let mut client = Self {
            http,
            base: if options.plain_http {
                http_base.clone()
            } else {
                https
            },
            registry,
            credentials: options.credentials,
            challenge: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
        };
        match client.ping().await {
            Err(RemoteError::HttpResponseToHttps { .. }) if options.insecure => {
                client.base = http_base;
                client.ping().await
            }
            other => other,
        }?;
        Ok(client)
    }

    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The URL the client settled on (`http://` only with `--insecure` or a plain-HTTP config).
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    async fn ping(&self) -> Result<(), RemoteError> {
        let url = self.url("/v2/")?;
        let response = match self.http.get(url.clone()).send().await {
            Ok(response) => response,
            Err(err) => return Err(self.transport_error(err, &url).await),
        };
        match response.status() {
            StatusCode::UNAUTHORIZED => {
                let challenge = challenge_of(response.headers());
                *lock(&self.challenge) = challenge;
                Ok(())
            }
            status if status.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Err(RemoteError::NotARegistry {
                registry: self.registry.to_string(),
                reason: "GET /v2/ answered 404 Not Found".to_owned(),
            }),
            status => Err(self.status_error(Method::GET, &url, status, response).await),
        }
    }

    /// Checks that the configured credentials are accepted (what `docker login` does).
    ///
    /// # Errors
    /// [`RemoteError::CredentialsRejected`] when they are not; transport errors.
    pub async fn verify_login(&self) -> Result<LoginCheck, RemoteError> {
        let challenge = lock(&self.challenge).clone();
        let Some(challenge) = challenge else {
            return Ok(LoginCheck::NoAuthRequired);
        };
        let url = self.url("/v2/")?;
        let mut request = self.http.get(url.clone());
        match &challenge {
            Challenge::Basic { .. } => match &self.credentials {
                Some(Credentials::Basic { username, password }) => {
                    request = request.basic_auth(username, Some(password));
                }
                _ => return Err(self.auth_required()),
            },
            Challenge::Bearer { realm, service, .. } => {
                if self.credentials.is_none() {
                    return Err(self.auth_required());
                }
                let token = self.fetch_token(realm, service.as_deref(), &[]).await?;
                request = request.bearer_auth(token.value);
            }
        }
        let response = request.send().await.map_err(|e| RemoteError::Http {
            url: url.to_string(),
            source: e,
        })?;
        match response.status() {
            status if status.is_success() => Ok(LoginCheck::Accepted),
            StatusCode::UNAUTHORIZED => Err(self.credentials_rejected()),
            status => Err(self.status_error(Method::GET, &url, status, response).await),
        }
    }

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

    async fn paginate(
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

    /// HEADs every tag with at most `concurrency` requests in flight, keeping the tags' order.
    ///
    /// # Errors
    /// The first failure.
    pub async fn tag_details(
        &self,
        repository: &str,
        tags: &[String],
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<TagInfo>, RemoteError> {
        in_order_bounded(tags, concurrency, progress, |tag| {
            self.head_manifest(repository, tag)
        })
        .await
    }

    /// Counts the tags of each repository with bounded concurrency. A repository listed by the
    /// catalog but gone when asked (distribution keeps emptied repositories) counts 0.
    ///
    /// # Errors
    /// The first failure.
    pub async fn tag_counts(
        &self,
        repositories: &[String],
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<usize>, RemoteError> {
        in_order_bounded(
            repositories,
            concurrency,
            progress,
            |repository| async move {
                match self.tags(repository, Paging::default(), &|_| {}).await {
                    Ok(tags) => Ok(tags.len()),
                    Err(RemoteError::NotFound { .. }) => Ok(0),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// Reads the manifest `digest` and, for an image, its config: creation time and total size.
    ///
    /// # Errors
    /// The usual errors; a config blob larger than an image config can be.
    pub async fn image_details(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<ImageDetails, RemoteError> {
        let manifest = self.manifest(repository, digest).await?;
        if manifest.is_index() {
            return Ok(ImageDetails::default());
        }
        let json = manifest.json()?;
        let size_of = |v: &serde_json::Value| v.get("size").and_then(serde_json::Value::as_u64);
        let config = json.get("config");
        let layers = json
            .get("layers")
            .and_then(serde_json::Value::as_array)
            .map(|layers| layers.iter().map(size_of).sum::<Option<u64>>());
        let image_size = match (config.and_then(size_of), layers) {
            (Some(config), Some(Some(layers))) => Some(config + layers),
            _ => None,
        };
        let config_digest = config
            .and_then(|c| c.get("digest"))
            .and_then(serde_json::Value::as_str)
            .filter(|d| Digest::parse(d).is_ok());
        let created = match config_digest {
            Some(config_digest) => {
                let bytes = self
                    .blob(repository, config_digest, MAX_CONFIG_SIZE)
                    .await?;
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|c| c.get("created")?.as_str().map(str::to_owned))
            }
            None => None,
        };
        Ok(ImageDetails {
            created,
            image_size,
        })
    }

    /// [`Client::image_details`] for many digests, `concurrency` at a time, in order.
    ///
    /// # Errors
    /// The first failure.
    pub async fn images_details(
        &self,
        repository: &str,
        digests: &[String],
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<ImageDetails>, RemoteError> {
        in_order_bounded(digests, concurrency, progress, |digest| {
            self.image_details(repository, digest)
        })
        .await
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
    async fn request_manifest(
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
        super::reference::parse_digest(digest).map_err(|reason| RemoteError::InvalidResponse {
            what: format!("index {}", manifest.digest),
            reason,
        })?;
        self.manifest(repository, digest).await
    }

    /// Deletes a manifest by digest (which removes every tag pointing at it).
    ///
    /// # Errors
    /// [`RemoteError::DeleteDisabled`] when the registry refuses deletes, and the usual errors.
    pub async fn delete_manifest(&self, repository: &str, digest: &str) -> Result<(), RemoteError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{digest}"))?;
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
            return Ok(());
        }
        if status == StatusCode::NOT_FOUND {
            return Err(RemoteError::NotFound {
                what: format!("manifest {repository}@{digest} on {}", self.registry),
                hint: String::new(),
            });
        }
        let (codes, message) = error_body(response).await;
        if status == StatusCode::METHOD_NOT_ALLOWED || codes.iter().any(|c| c == "UNSUPPORTED") {
            return Err(RemoteError::DeleteDisabled {
                registry: self.registry.to_string(),
            });
        }
        Err(self.status_error_from(Method::DELETE, &url, status, &message))
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
    async fn missing_manifest(&self, repository: &str, reference: &str) -> RemoteError {
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
        let url = self.url(&format!("/v2/{repository}/manifests/{tag}"))?;
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
            return Ok(());
        }
        if status == StatusCode::NOT_FOUND {
            return Err(RemoteError::NotFound {
                what: format!("tag {repository}:{tag} on {}", self.registry),
                hint: String::new(),
            });
        }
        let (codes, message) = error_body(response).await;
        // distribution (2.x and 3.x) and regctl serve answer 405 UNSUPPORTED to every delete while
        // `storage.delete.enabled` is false; with deletes enabled, 2.x reads the tag as a digest
        // and answers 400 DIGEST_INVALID.
        if status == StatusCode::METHOD_NOT_ALLOWED || codes.iter().any(|c| c == "UNSUPPORTED") {
            return Err(RemoteError::DeleteDisabled {
                registry: self.registry.to_string(),
            });
        }
        if status == StatusCode::BAD_REQUEST {
            return Err(RemoteError::TagDeleteUnsupported {
                registry: self.registry.to_string(),
                status: status.as_u16(),
                message,
            });
        }
        Err(self.status_error_from(Method::DELETE, &url, status, &message))
    }

    fn url(&self, path_and_query: &str) -> Result<Url, RemoteError> {
        self.base
            .join(path_and_query)
            .map_err(|e| RemoteError::InvalidRegistry {
                input: format!("{}{path_and_query}", self.base),
                reason: e.to_string(),
            })
    }

    /// Sends a body-less request with the right credentials, answering one 401 challenge.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        scope: &str,
        headers: &HeaderMap,
    ) -> Result<reqwest::Response, RemoteError> {
        let authorization = self.authorization(scope, None).await?;
        let response = self
            .raw_send(method.clone(), url, headers, authorization.as_ref())
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(challenge) = challenge_of(response.headers()) else {
            return Err(self.unauthorized());
        };
        *lock(&self.challenge) = Some(challenge.clone());
        lock(&self.tokens).remove(scope);
        let retry = self.authorization(scope, Some(&challenge)).await?;
        if retry.is_none() || retry == authorization {
            return Err(self.unauthorized());
        }
        let response = self
            .raw_send(method.clone(), url, headers, retry.as_ref())
            .await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            // A valid token without the access asked for: the token server did not grant it.
            let insufficient = response
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("insufficient_scope"));
            if insufficient && self.credentials.is_some() {
                return Err(RemoteError::Denied {
                    registry: self.registry.to_string(),
                    what: format!("{method} {}", url.path()),
                    message: format!(
                        "the token server did not grant user `{}` the access `{scope}`",
                        self.credentials
                            .as_ref()
                            .map(Credentials::username)
                            .unwrap_or_default()
                    ),
                });
            }
            return Err(self.unauthorized());
        }
        Ok(response)
    }

    async fn raw_send(
        &self,
        method: Method,
        url: &Url,
        headers: &HeaderMap,
        authorization: Option<&HeaderValue>,
    ) -> Result<reqwest::Response, RemoteError> {
        let mut request = self
            .http
            .request(method, url.clone())
            .headers(headers.clone());
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value.clone());
        }
        match request.send().await {
            Ok(response) => Ok(response),
            Err(err) => Err(self.transport_error(err, url).await),
        }
    }

    /// The `Authorization` value for a request needing `scope`, from the current challenge (or
    /// `fresh`, just received with a 401, whose own scope is requested too).
    async fn authorization(
        &self,
        scope: &str,
        fresh: Option<&Challenge>,
    ) -> Result<Option<HeaderValue>, RemoteError> {
        let challenge = match fresh {
            Some(c) => Some(c.clone()),
            None => lock(&self.challenge).clone(),
        };
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic { .. }) => match &self.credentials {
                Some(Credentials::Basic { username, password }) => {
                    Ok(Some(basic_header(username, password)?))
                }
                Some(Credentials::IdentityToken(_)) => Err(RemoteError::InvalidResponse {
                    what: self.registry.to_string(),
                    reason: "it asks for Basic authentication but the stored credential is an \
                             identity token; log in again with a user name and password"
                        .to_owned(),
                }),
                None => Ok(None),
            },
            Some(Challenge::Bearer {
                realm,
                service,
                scope: challenged,
            }) => {
                if let Some(token) = lock(&self.tokens).get(scope).filter(|t| t.is_fresh()) {
                    return bearer_header(&token.value).map(Some);
                }
                let mut scopes: Vec<&str> = vec![scope];
                if fresh.is_some() {
                    if let Some(extra) = challenged.as_deref() {
                        scopes.extend(extra.split(' ').filter(|s| !s.is_empty() && *s != scope));
                    }
                }
                let token = self
                    .fetch_token(&realm, service.as_deref(), &scopes)
                    .await?;
                let value = bearer_header(&token.value)?;
                lock(&self.tokens).insert(scope.to_owned(), token);
                Ok(Some(value))
            }
        }
    }

    /// Asks the token server for a token: GET with Basic credentials (or anonymously), or the
    /// OAuth2 refresh-token POST for an identity token.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[&str],
    ) -> Result<CachedToken, RemoteError> {
        let mut url = Url::parse(realm).map_err(|e| RemoteError::Token {
            realm: realm.to_owned(),
            reason: format!("the realm is not a URL: {e}"),
        })?;
        let request = match &self.credentials {
            Some(Credentials::IdentityToken(refresh)) => {
                let mut form: Vec<(&str, &str)> = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh),
                    ("client_id", "regctl"),
                ];
                if let Some(service) = service {
                    form.push(("service", service));
                }
                let joined = scopes.join(" ");
                if !scopes.is_empty() {
                    form.push(("scope", &joined));
                }
                let body = form_urlencode(&form);
                self.http
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
            }
            credentials => {
                {
                    let mut query = url.query_pairs_mut();
                    if let Some(service) = service {
                        query.append_pair("service", service);
                    }
                    for scope in scopes {
                        query.append_pair("scope", scope);
                    }
                    if let Some(Credentials::Basic { username, .. }) = credentials {
                        query.append_pair("account", username);
                    }
                }
                let request = self.http.get(url.clone());
                match credentials {
                    Some(Credentials::Basic { username, password }) => {
                        request.basic_auth(username, Some(password))
                    }
                    _ => request,
                }
            }
        };
        let response = match request.send().await {
            Ok(r) => r,
            Err(err) => return Err(self.transport_error(err, &url).await),
        };
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(self.unauthorized());
        }
        if !status.is_success() {
            let (_, message) = error_body(response).await;
            return Err(RemoteError::Token {
                realm: realm.to_owned(),
                reason: format!("it answered {status}: {message}"),
            });
        }
        let body: TokenResponse = response.json().await.map_err(|e| RemoteError::Token {
            realm: realm.to_owned(),
            reason: format!("its answer is not a token response: {e}"),
        })?;
        let value = body
            .token
            .filter(|t| !t.is_empty())
            .or(body.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RemoteError::Token {
                realm: realm.to_owned(),
                reason: "its answer has no `token` or `access_token`".to_owned(),
            })?;
        Ok(CachedToken::new(value, body.expires_in))
    }

    /// A final 401: with credentials they were rejected, without them some are needed.
    fn unauthorized(&self) -> RemoteError {
        if self.credentials.is_some() {
            self.credentials_rejected()
        } else {
            self.auth_required()
        }
    }

    fn auth_required(&self) -> RemoteError {
        RemoteError::AuthenticationRequired {
            registry: self.registry.to_string(),
        }
    }

    fn credentials_rejected(&self) -> RemoteError {
        RemoteError::CredentialsRejected {
            registry: self.registry.to_string(),
            username: self
                .credentials
                .as_ref()
                .map(|c| c.username().to_owned())
                .unwrap_or_default(),
        }
    }

    /// Explains a failed connection: a plain-HTTP server and an untrusted certificate get errors
    /// that say how to fix them.
    async fn transport_error(&self, err: reqwest::Error, url: &Url) -> RemoteError {
        let registry = self.registry.to_string();
        match tls_cause(&err) {
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => {
                return RemoteError::CertificateNameMismatch {
                    registry,
                    host: self.registry.api_host().to_owned(),
                };
            }
            Some(rustls::Error::InvalidCertificate(cert_error)) => {
                return RemoteError::UntrustedCertificate {
                    registry,
                    reason: describe_certificate_error(cert_error),
                };
            }
            Some(rustls::Error::InvalidMessage(_))
                if url.scheme() == "https" && self.answers_plain_http(url).await =>
            {
                return RemoteError::HttpResponseToHttps { registry };
            }
            _ => {}
        }
        if err.is_connect() {
            match connect_cause(&err) {
                ConnectCause::Refused => return RemoteError::ConnectionRefused { registry },
                ConnectCause::Dns => {
                    return RemoteError::UnknownHost {
                        registry,
                        host: url.host_str().unwrap_or_default().to_owned(),
                    }
                }
                ConnectCause::Other => {}
            }
        }
        if err.is_connect() || err.is_timeout() {
            RemoteError::Connect {
                registry,
                url: url.to_string(),
                source: err,
            }
        } else {
            RemoteError::Http {
                url: url.to_string(),
                source: err,
            }
        }
    }

    /// Whether `url` answers HTTP when asked over plain HTTP: the diagnosis behind docker's
    /// "server gave HTTP response to HTTPS client".
    async fn answers_plain_http(&self, url: &Url) -> bool {
        let mut plain = url.clone();
        if plain.set_scheme("http").is_err() {
            return false;
        }
        self.http
            .get(plain)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .is_ok()
    }

    async fn status_error(
        &self,
        method: Method,
        url: &Url,
        status: StatusCode,
        response: reqwest::Response,
    ) -> RemoteError {
        let (codes, message) = error_body(response).await;
        if status == StatusCode::FORBIDDEN || codes.iter().any(|c| c == "DENIED") {
            return RemoteError::Denied {
                registry: self.registry.to_string(),
                what: format!("{method} {}", url.path()),
                message,
            };
        }
        self.status_error_from(method, url, status, &message)
    }

    fn status_error_from(
        &self,
        method: Method,
        url: &Url,
        status: StatusCode,
        message: &str,
    ) -> RemoteError {
        RemoteError::Registry {
            method: method.to_string(),
            url: url.to_string(),
            status: status.as_u16(),
            message: message.to_owned(),
        }
    }
}

/// `REPO:TAG` or `REPO@DIGEST`, as users write references.
fn image_ref(repository: &str, reference: &str) -> String {
    if reference.contains(':') {
        format!("{repository}@{reference}")
    } else {
        format!("{repository}:{reference}")
    }
}

/// `application/x-www-form-urlencoded` without pulling in a form encoder for one request.
fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a token map half-updated, so a poisoned lock is still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn build_http(options: &ClientOptions) -> Result<reqwest::Client, RemoteError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("regctl/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::limited(10));
    if options.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if let Some(path) = &options.ca_file {
        let pem = std::fs::read(path).map_err(|e| RemoteError::CaFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| RemoteError::CaFile {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(RemoteError::CaFile {
                path: path.clone(),
                reason: "it holds no PEM certificate".to_owned(),
            });
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(RemoteError::ClientSetup)
}

fn base_url(scheme: &str, registry: &Registry) -> Result<Url, RemoteError> {
    Url::parse(&format!("{scheme}://{}/", registry.api_host())).map_err(|e| {
        RemoteError::InvalidRegistry {
            input: registry.to_string(),
            reason: e.to_string(),
        }
    })
}

fn manifest_accept() -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&oci_manifest::ACCEPT_ALL.join(", ")) {
        headers.insert(ACCEPT, value);
    }
    headers
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn challenge_of(headers: &HeaderMap) -> Option<Challenge> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(Challenge::parse)
        // Prefer the token flow when a registry offers both.
        .max_by_key(|c| matches!(c, Challenge::Bearer { .. }))
}

fn basic_header(username: &str, password: &str) -> Result<HeaderValue, RemoteError> {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    header_value(&format!("Basic {encoded}"))
}

fn bearer_header(token: &str) -> Result<HeaderValue, RemoteError> {
    header_value(&format!("Bearer {token}"))
}

fn header_value(value: &str) -> Result<HeaderValue, RemoteError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| RemoteError::InvalidResponse {
        what: "credentials".to_owned(),
        reason: "they contain characters that cannot be sent in an HTTP header".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The `rel="next"` target of an RFC 5988 `Link` header, resolved against the request URL.
fn next_link(headers: &HeaderMap, current: &Url) -> Option<Url> {
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

/// The OCI error codes and a readable message from an error response body.
async fn error_body(response: reqwest::Response) -> (Vec<String>, String) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    parse_error_body(status, &text)
}

fn parse_error_body(status: StatusCode, text: &str) -> (Vec<String>, String) {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(body) = serde_json::from_str::<Body>(text) {
        if !body.errors.is_empty() {
            let codes = body.errors.iter().map(|e| e.code.clone()).collect();
            let message = body
                .errors
                .iter()
                .map(|e| {
                    if e.message.is_empty() {
                        e.code.clone()
                    } else {
                        format!("{}: {}", e.code, e.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            return (codes, message);
        }
    }
    let snippet: String = text.trim().chars().take(200).collect();
    let reason = status.canonical_reason().unwrap_or("error");
    if snippet.is_empty() {
        (Vec::new(), format!("{} {reason}", status.as_u16()))
    } else {
        (
            Vec::new(),
            format!("{} {reason}: {snippet}", status.as_u16()),
        )
    }
}

/// The rustls error somewhere in a reqwest error's cause chain. `io::Error::source` skips the
/// error it wraps (and hyper wraps io errors in io errors), so io errors are opened by hand.
/// Why a connection could not be opened, as far as the user can act on it.
enum ConnectCause {
    Refused,
    Dns,
    Other,
}

/// Walks the cause chain (reqwest → hyper-util → io) for a refused connection or a failed name
/// lookup; hyper-util reports the latter only as text ("dns error").
fn connect_cause(err: &reqwest::Error) -> ConnectCause {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return ConnectCause::Refused;
            }
        }
        if current.to_string().starts_with("dns error") {
            return ConnectCause::Dns;
        }
        source = current.source();
    }
    ConnectCause::Other
}

fn tls_cause(err: &reqwest::Error) -> Option<&rustls::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cause = match current.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => current.source(),
            },
            None => current.source(),
        };
    }
    None
}

fn describe_certificate_error(err: &rustls::CertificateError) -> String {
    use rustls::CertificateError as E;
    match err {
        E::UnknownIssuer => "x509: certificate signed by unknown authority".to_owned(),
        E::Expired | E::ExpiredContext { .. } => "the certificate has expired".to_owned(),
        E::NotValidYet | E::NotValidYetContext { .. } => {
            "the certificate is not valid yet (check the clocks)".to_owned()
        }
        other => format!("{other:?}"),
    }
}

/// Runs `work` on every item with at most `concurrency` in flight, returning the results in the
/// items' order and reporting the number finished so far to `progress` after each one.
async fn in_order_bounded<'a, I, T, F, Fut>(
    items: &'a [I],
    concurrency: usize,
    progress: &(dyn Fn(usize) + Sync),
    work: F,
) -> Result<Vec<T>, RemoteError>
where
    F: Fn(&'a I) -> Fut,
    Fut: std::future::Future<Output = Result<T, RemoteError>>,
{
    let done = std::sync::atomic::AtomicUsize::new(0);
    let done = &done;
    stream::iter(items)
        .map(|item| {
            let finished = work(item);
            async move {
                let result = finished.await;
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                result
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
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
    fn error_bodies_are_summarised() {
        let (codes, message) = parse_error_body(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}"#,
        );
        assert_eq!(codes, vec!["UNSUPPORTED"]);
        assert_eq!(message, "UNSUPPORTED: The operation is unsupported.");
        let (codes, message) = parse_error_body(StatusCode::BAD_GATEWAY, "");
        assert!(codes.is_empty());
        assert_eq!(message, "502 Bad Gateway");
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

    #[test]
    fn bearer_preferred_over_basic() {
        let mut headers = HeaderMap::new();
        headers.append(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=x"));
        headers.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="http://t/token""#),
        );
        assert!(matches!(
            challenge_of(&headers),
            Some(Challenge::Bearer { .. })
        ));
    }
}
