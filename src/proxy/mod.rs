//! Pull-through cache: registry:2's `proxy` section (`remoteurl`, `username`, `password`, `ttl`),
//! and regctl's `proxy.upstreams` (see [`routes`]): repository-name prefixes mapped to upstreams,
//! every other repository local.
//!
//! The cache sits between the API handlers and the [`Registry`]: a manifest or blob GET/HEAD that
//! misses locally is fetched from the upstream with [`crate::remote::Client`] (Basic or the Docker
//! token flow, tokens cached per scope) and stored through the Registry's public API, so the
//! cache is plain registry:2 layout that `docker-registry` can serve. Invariants:
//! - a blob becomes visible only through [`Registry::put_blob`], which verifies its digest; an
//!   interrupted transfer leaves nothing visible;
//! - one upstream GET per blob at a time (single flight per digest), however many clients miss;
//! - a tag is re-resolved against the upstream (a HEAD, which Docker Hub does not count against
//!   its pull limit) at most once per `ttl`; registry:2 asks on every tag GET, which `ttl: 0`
//!   (the default here, as `proxy.ttl` is registry:2's *expiry* of cached content, not a tag
//!   interval) reproduces. regctl never expires cached content on its own: `regctl gc` and
//!   deletes through the storage do.
//! - with the upstream unreachable or refusing, a cached tag is served with a `Warning: 110`
//!   header; anything never cached is a 503 `UNAVAILABLE` naming the upstream.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::TryStreamExt as _;

use crate::digest::Digest;
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::manifest;
use crate::oci::reference::{Name, Reference, Tag};
use crate::registry::{Registry, RegistryError, StoredManifest};
use crate::remote::{self, Client, ClientOptions, Credentials, RemoteError};

pub mod evict;
pub mod routes;
pub use routes::{ConfigProblem, Upstreams};

/// The value of the `Warning` header on a tag served from the cache because the upstream failed.
pub const STALE_WARNING: &str = "110 regctl \"Response is Stale: the upstream is unreachable\"";

/// How long a manifest whose children are not all cached yet keeps being retried.
const INDEX_STORE_ATTEMPTS: u32 = 150;
const INDEX_STORE_RETRY: Duration = Duration::from_secs(2);

/// `proxy.*` of config.yml as the server uses it: one upstream per repository-name prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    /// registry:2's `proxy.remoteurl` is one upstream with the prefix `""` (every repository).
    pub upstreams: Vec<UpstreamSettings>,
    /// `proxy.cachebudget` / `proxy.evictinterval`.
    pub budget: Option<evict::Budget>,
}

impl ProxySettings {
    /// Whether repository `name` is a cache of an upstream (not a local repository).
    #[must_use]
    pub fn caches(&self, name: &str) -> bool {
        self.upstreams.iter().any(|u| name.starts_with(&u.prefix))
    }
}

/// One upstream: `proxy.remoteurl` & co., or one entry of `proxy.upstreams`.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamSettings {
    /// Repositories whose name starts with this are cached from this upstream, under their
    /// name without it (`docker.io/nginx` → `nginx`); `""` is every repository.
    pub prefix: String,
    /// `remoteurl`, e.g. `https://registry-1.docker.io`.
    pub remote_url: String,
    pub username: String,
    pub password: String,
    /// `proxy.ttl`: how long a resolved tag is trusted before the upstream is asked again.
    pub ttl: Duration,
}

impl std::fmt::Debug for UpstreamSettings {
    // The upstream password never reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamSettings")
            .field("prefix", &self.prefix)
            .field("remote_url", &self.remote_url)
            .field("username", &self.username)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Why the proxy cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("proxy.remoteurl `{url}` is not usable: {reason}")]
    InvalidRemoteUrl { url: String, reason: String },
}

/// Why a push or delete into a cached repository is refused (405 `UNSUPPORTED`, as registry:2
/// in proxy mode).
#[must_use]
pub fn write_refusal(proxy: &Proxy) -> String {
    if proxy.prefix.is_empty() {
        format!(
            "this registry is a pull-through cache of {} (proxy.remoteurl): pushes and deletes are \
             refused, as registry:2 refuses them; push to a registry without proxy.remoteurl instead",
            proxy.remote_url
        )
    } else {
        format!(
            "repositories under `{}` are a pull-through cache of {} (proxy.upstreams): pushes and \
             deletes are refused there; push to a repository outside the cached prefixes",
            proxy.prefix, proxy.remote_url
        )
    }
}

/// An upstream failure for logs and error bodies: the client's own wording, except where it
/// advises a `regctl` CLI user (a refused connection names no `regctl serve` here), with causes.
fn describe(err: &RemoteError) -> String {
    match err {
        RemoteError::ConnectionRefused { registry } => {
            format!("{registry} refused the connection (nothing listens there)")
        }
        other => crate::report::error_chain(other),
    }
}

/// How the cache answered one manifest or blob request: the access log's `cache` field and
/// `regctl_proxy_cache_requests_total`'s `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Served from what is cached (a tag the upstream confirmed, or still within `ttl`; a blob
    /// another request's transfer just brought in).
    Hit = 0,
    /// Fetched from the upstream.
    Miss = 1,
    /// A cached tag served because the upstream failed.
    Stale = 2,
}

impl CacheOutcome {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Stale => "stale",
        }
    }
}

/// What a manifest lookup through the cache found.
pub struct Served {
    pub manifest: Arc<StoredManifest>,
    pub outcome: CacheOutcome,
}

/// The cache of one upstream.
pub struct Proxy {
    prefix: String,
    /// One-component names upstream get Docker Hub's `library/`.
    hub_library: bool,
    remote_url: String,
    upstream: remote::Registry,
    options: ClientOptions,
    ttl: Duration,
    /// Connected lazily: the upstream may be down when the server starts.
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
    /// `repo:tag` → when the upstream last confirmed what the cache holds.
    confirmed: Mutex<HashMap<String, Instant>>,
    /// One upstream transfer per blob digest.
    flights: Mutex<HashMap<Digest, Arc<tokio::sync::Mutex<()>>>>,
    /// Manifests being stored in the background.
    storing: Mutex<HashSet<Digest>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("prefix", &self.prefix)
            .field("remote_url", &self.remote_url)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Proxy {
    /// # Errors
    /// A `remoteurl` that is not `http(s)://HOST[:PORT]`.
    pub fn new(settings: &UpstreamSettings) -> Result<Self, ProxyError> {
        let invalid = |reason: String| ProxyError::InvalidRemoteUrl {
            url: settings.remote_url.clone(),
            reason,
        };
        let url = reqwest::Url::parse(&settings.remote_url).map_err(|e| invalid(e.to_string()))?;
        let plain_http = match url.scheme() {
            "http" => true,
            "https" => false,
            other => {
                return Err(invalid(format!(
                    "the scheme `{other}` is not http or https"
                )))
            }
        };
        if !matches!(url.path(), "" | "/") {
            return Err(invalid("a registry URL has no path".to_owned()));
        }
        let host = url
            .host_str()
            .ok_or_else(|| invalid("it has no host".to_owned()))?;
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let upstream = remote::Registry::parse(&host).map_err(|e| invalid(e.to_string()))?;
        let credentials = (!settings.username.is_empty()).then(|| Credentials::Basic {
            username: settings.username.clone(),
            password: settings.password.clone(),
        });
        let hub_library = upstream.is_docker_hub()
            || matches!(upstream.as_str(), "registry-1.docker.io")
            || settings.prefix == routes::DOCKER_HUB_PREFIX;
        Ok(Self {
            prefix: settings.prefix.clone(),
            hub_library,
            remote_url: settings.remote_url.trim_end_matches('/').to_owned(),
            upstream,
            options: ClientOptions {
                plain_http,
                credentials,
                ..ClientOptions::default()
            },
            ttl: settings.ttl,
            client: tokio::sync::Mutex::new(None),
            confirmed: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
            storing: Mutex::new(HashSet::new()),
        })
    }

    /// The upstream's URL, for messages.
    #[must_use]
    pub fn remote_url(&self) -> &str {
        &self.remote_url
    }

    /// The repository-name prefix this upstream serves (`""`: every repository).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    async fn client(&self) -> Result<Arc<Client>, RemoteError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(Arc::clone(client));
        }
        let client = Arc::new(Client::connect(self.upstream.clone(), self.options.clone()).await?);
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// The repository's name upstream: the local name without the prefix; Docker Hub keeps
    /// official images under `library/` (`docker.io/nginx` → `library/nginx`).
    fn upstream_repo(&self, name: Name<'_>) -> String {
        let rest = name
            .as_str()
            .strip_prefix(self.prefix.as_str())
            .unwrap_or(name.as_str());
        if self.hub_library && !rest.contains('/') {
            format!("library/{rest}")
        } else {
            rest.to_owned()
        }
    }

    /// The API error for an upstream failure on something the cache does not hold.
    fn upstream_error(&self, err: &RemoteError, missing: ErrorCode) -> ApiError {
        match err {
            RemoteError::NotFound { .. } => ApiError::new(missing),
            RemoteError::Registry { status: 429, .. } => ApiError::new(ErrorCode::TooManyRequests)
                .with_message(format!(
                    "the upstream {} is rate-limiting this cache and the content is not cached: {}",
                    self.remote_url,
                    describe(err)
                )),
            _ => ApiError::new(ErrorCode::Unavailable).with_message(format!(
                "the upstream {} of this pull-through cache is unavailable and the content is not cached: {}",
                self.remote_url,
                describe(err)
            )),
        }
    }

    fn is_confirmed(&self, key: &str) -> bool {
        lock(&self.confirmed)
            .get(key)
            .is_some_and(|at| at.elapsed() < self.ttl)
    }

    fn confirm(&self, key: String) {
        let mut confirmed = lock(&self.confirmed);
        // Bounded: entries past the ttl are dropped when the map grows.
        if confirmed.len() > 65_536 {
            let ttl = self.ttl;
            confirmed.retain(|_, at| at.elapsed() < ttl);
        }
        confirmed.insert(key, Instant::now());
    }

    /// A manifest GET/HEAD through the cache.
    ///
    /// # Errors
    /// `MANIFEST_UNKNOWN` when neither the cache nor the upstream has it; `UNAVAILABLE` or
    /// `TOOMANYREQUESTS` when the upstream fails and the cache has nothing to serve.
    pub async fn manifest(
        self: &Arc<Self>,
        registry: &Arc<Registry>,
        name: Name<'_>,
        reference: Reference<'_>,
    ) -> Result<Served, ApiError> {
        let tag = match reference {
            Reference::Digest(digest) => {
                if let Ok(manifest) = registry.get_manifest(name, reference).await {
                    return Ok(Served {
                        manifest,
                        outcome: CacheOutcome::Hit,
                    });
                }
                let client = self
                    .client()
                    .await
                    .map_err(|e| self.upstream_error(&e, ErrorCode::ManifestUnknown))?;
                return self
                    .fetch_and_store(registry, &client, name, None, digest)
                    .await;
            }
            Reference::Tag(tag) => tag,
        };
        let key = format!("{}:{}", name.as_str(), tag.as_str());
        let local = registry.resolve_tag(name, tag).await.ok();
        if local.is_some() && self.is_confirmed(&key) {
            if let Ok(manifest) = registry.get_manifest(name, reference).await {
                return Ok(Served {
                    manifest,
                    outcome: CacheOutcome::Hit,
                });
            }
        }
        let upstream = match self.client().await {
            Ok(client) => client
                .head_manifest(&self.upstream_repo(name), tag.as_str())
                .await
                .and_then(|info| {
                    remote::reference::parse_digest(&info.digest)
                        .map_err(|reason| RemoteError::InvalidResponse {
                            what: format!("the digest of {}:{}", name.as_str(), tag.as_str()),
                            reason,
                        })
                        .map(|digest| (client, digest))
                }),
            Err(e) => Err(e),
        };
        match upstream {
            Ok((_, digest)) if Some(digest) == local => {
                self.confirm(key);
                let manifest = registry.get_manifest(name, reference).await?;
                Ok(Served {
                    manifest,
                    outcome: CacheOutcome::Hit,
                })
            }
            Ok((client, digest)) => {
                self.fetch_and_store(registry, &client, name, Some(tag), digest)
                    .await
            }
            Err(err) => {
                if local.is_some() {
                    if let Ok(manifest) = registry.get_manifest(name, reference).await {
                        tracing::warn!(
                            upstream = %self.remote_url,
                            repository = name.as_str(),
                            tag = tag.as_str(),
                            error = %describe(&err),
                            "serving a cached tag: the upstream failed"
                        );
                        return Ok(Served {
                            manifest,
                            outcome: CacheOutcome::Stale,
                        });
                    }
                }
                Err(self.upstream_error(&err, ErrorCode::ManifestUnknown))
            }
        }
    }

    /// GETs manifest `digest` from the upstream (the client checks the bytes against it), serves
    /// it from memory and stores it in the background once what it references is cached.
    async fn fetch_and_store(
        self: &Arc<Self>,
        registry: &Arc<Registry>,
        client: &Client,
        name: Name<'_>,
        tag: Option<Tag<'_>>,
        digest: Digest,
    ) -> Result<Served, ApiError> {
        let fetched = client
            .manifest(&self.upstream_repo(name), digest.as_str())
            .await
            .map_err(|e| self.upstream_error(&e, ErrorCode::ManifestUnknown))?;
        let bytes = Bytes::from(fetched.bytes);
        if Digest::of(&bytes) != digest {
            return Err(ApiError::new(ErrorCode::Unavailable).with_message(format!(
                "the upstream {} sent a manifest that does not match {digest}",
                self.remote_url
            )));
        }
        let parsed = manifest::parse(&bytes, &fetched.media_type).map_err(|e| {
            ApiError::new(ErrorCode::ManifestInvalid)
                .with_message(format!("the upstream's manifest {digest}: {e}"))
        })?;
        let stored = Arc::new(StoredManifest {
            digest,
            media_type: parsed.kind.media_type().to_owned(),
            bytes,
            parsed: Some(parsed),
        });
        if lock(&self.storing).insert(digest) {
            let proxy = Arc::clone(self);
            let registry = Arc::clone(registry);
            let repo = name.as_str().to_owned();
            let tag = tag.map(|t| t.as_str().to_owned());
            let manifest = Arc::clone(&stored);
            tokio::spawn(async move {
                if let Err(e) = proxy
                    .store(&registry, &repo, tag.as_deref(), &manifest)
                    .await
                {
                    tracing::warn!(
                        upstream = %proxy.remote_url,
                        repository = repo,
                        digest = %manifest.digest,
                        error = %e,
                        "could not cache a manifest"
                    );
                }
                lock(&proxy.storing).remove(&manifest.digest);
            });
        }
        Ok(Served {
            manifest: stored,
            outcome: CacheOutcome::Miss,
        })
    }

    /// Caches the blobs an image manifest references, then the manifest (and its tag). An index
    /// waits, a bounded while, for clients to pull the children they want.
    async fn store(
        &self,
        registry: &Registry,
        repo: &str,
        tag: Option<&str>,
        stored: &StoredManifest,
    ) -> Result<(), ApiError> {
        let name = Name::parse(repo).map_err(|_| ApiError::new(ErrorCode::NameInvalid))?;
        let Some(parsed) = stored.parsed.as_ref() else {
            return Ok(());
        };
        for blob in parsed.blobs.iter().filter(|b| !b.external) {
            self.ensure_blob(registry, name, blob.digest).await?;
        }
        let reference = match tag {
            Some(tag) => {
                Reference::Tag(Tag::parse(tag).map_err(|_| ApiError::new(ErrorCode::TagInvalid))?)
            }
            None => Reference::Digest(stored.digest),
        };
        let mut attempts = 0;
        loop {
            match registry
                .put_manifest(
                    name,
                    reference,
                    &stored.media_type,
                    stored.bytes.clone(),
                    &[],
                )
                .await
            {
                Ok(_) => break,
                Err(RegistryError::ManifestBlobUnknown(_))
                    if !parsed.children.is_empty() && attempts < INDEX_STORE_ATTEMPTS =>
                {
                    attempts += 1;
                    tokio::time::sleep(INDEX_STORE_RETRY).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(tag) = tag {
            self.confirm(format!("{repo}:{tag}"));
        }
        Ok(())
    }

    /// Makes blob `digest` present in `name`, fetching it from the upstream on a miss. Concurrent
    /// misses of one digest wait for the first one's transfer instead of starting their own (and
    /// count as hits: one miss per upstream transfer).
    ///
    /// # Errors
    /// `BLOB_UNKNOWN` when the upstream has no such blob; `UNAVAILABLE` when it cannot be asked;
    /// `DIGEST_INVALID` when what it sent does not match (nothing is stored then).
    pub async fn ensure_blob(
        &self,
        registry: &Registry,
        name: Name<'_>,
        digest: Digest,
    ) -> Result<CacheOutcome, ApiError> {
        if registry.stat_blob(name, digest).await.is_ok() {
            return Ok(CacheOutcome::Hit);
        }
        let gate = Arc::clone(lock(&self.flights).entry(digest).or_default());
        let outcome = async {
            let _turn = gate.lock().await;
            if registry.stat_blob(name, digest).await.is_ok() {
                return Ok(CacheOutcome::Hit);
            }
            let client = self
                .client()
                .await
                .map_err(|e| self.upstream_error(&e, ErrorCode::BlobUnknown))?;
            let response = client
                .blob_response(&self.upstream_repo(name), digest.as_str())
                .await
                .map_err(|e| self.upstream_error(&e, ErrorCode::BlobUnknown))?;
            let body = Box::pin(response.bytes_stream().map_err(|e| e.to_string()));
            registry.put_blob(name, body, digest).await?;
            Ok(CacheOutcome::Miss)
        }
        .await;
        let mut flights = lock(&self.flights);
        // Only the map and this call hold the gate: nobody else is waiting on it.
        if Arc::strong_count(&gate) == 2 {
            flights.remove(&digest);
        }
        outcome
    }
}
