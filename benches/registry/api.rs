//! The distribution API as the load generator speaks it: uploads, reads and paginated listings.
//!
//! Every call checks the status code the spec prescribes, so a benchmark number is never produced
//! by a server that answered with errors.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, Response, StatusCode, Url};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";
const OCTET_STREAM: &str = "application/octet-stream";

/// A bound on any single request, so a stuck server fails the workload instead of hanging the run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// One registry endpoint with a pooled HTTP/1.1 client (connections are reused across requests).
#[derive(Clone)]
pub struct Registry {
    client: Client,
    base: Url,
}

impl Registry {
    /// `base` is `http://HOST:PORT`; with `credentials` every request carries Basic auth up front,
    /// as docker does once it has seen the first 401.
    pub fn new(base: &str, credentials: Option<(&str, &str)>) -> Result<Self> {
        let mut headers = HeaderMap::new();
        if let Some((user, password)) = credentials {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&format!("Basic {token}"))?,
            );
        }
        let client = Client::builder()
            .http1_only()
            .no_proxy()
            .tcp_nodelay(true)
            .timeout(REQUEST_TIMEOUT)
            .default_headers(headers)
            .build()
            .context("building the HTTP client")?;
        let base = Url::parse(base).with_context(|| format!("registry address {base}"))?;
        Ok(Self { client, base })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("URL for {path}"))
    }

    /// Any HTTP answer to `GET /v2/` (200, or 401 with auth on) means the server is serving.
    pub async fn ping(&self) -> Result<StatusCode> {
        Ok(self.client.get(self.url("/v2/")?).send().await?.status())
    }

    /// `POST /v2/<repo>/blobs/uploads/`: the upload's absolute location.
    async fn start_upload(&self, repo: &str) -> Result<Url> {
        let response = self
            .client
            .post(self.url(&format!("/v2/{repo}/blobs/uploads/"))?)
            .header(header::CONTENT_LENGTH, 0)
            .send()
            .await?;
        let response = expect(response, StatusCode::ACCEPTED, "starting an upload").await?;
        self.location(&response)
    }

    fn location(&self, response: &Response) -> Result<Url> {
        let location = response
            .headers()
            .get(header::LOCATION)
            .ok_or_else(|| anyhow!("upload response without Location"))?
            .to_str()?;
        // distribution answers with an absolute URL, others with a path: join handles both.
        self.base.join(location).context("upload Location")
    }

    /// Small blob: `POST` then `PUT ?digest=` with the whole body.
    pub async fn push_blob(&self, repo: &str, digest: &str, data: Bytes) -> Result<()> {
        let upload = self.start_upload(repo).await?;
        let response = self
            .client
            .put(with_digest(upload, digest))
            .header(header::CONTENT_TYPE, OCTET_STREAM)
            .body(data)
            .send()
            .await?;
        expect(response, StatusCode::CREATED, "finishing an upload").await?;
        Ok(())
    }

    /// Big blob, monolithic: `POST` then one `PUT ?digest=` whose body is streamed from `chunks`
    /// with an explicit Content-Length (as docker sends it), never buffered whole.
    pub async fn push_blob_streamed(
        &self,
        repo: &str,
        digest: &str,
        len: u64,
        chunks: impl Iterator<Item = Bytes> + Send + 'static,
    ) -> Result<()> {
        let upload = self.start_upload(repo).await?;
        let body = reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks.map(Ok::<Bytes, std::io::Error>),
        ));
        let response = self
            .client
            .put(with_digest(upload, digest))
            .header(header::CONTENT_TYPE, OCTET_STREAM)
            .header(header::CONTENT_LENGTH, len)
            .body(body)
            .send()
            .await?;
        expect(response, StatusCode::CREATED, "finishing a streamed upload").await?;
        Ok(())
    }

    /// Big blob, chunked: `POST`, one `PATCH` per chunk with `Content-Range: start-end`
    /// (following the Location each answer returns), then `PUT ?digest=` with no body.
    pub async fn push_blob_chunked(
        &self,
        repo: &str,
        digest: &str,
        chunks: impl Iterator<Item = Bytes>,
    ) -> Result<()> {
        let mut upload = self.start_upload(repo).await?;
        let mut offset: u64 = 0;
        for chunk in chunks {
            let end = offset + chunk.len() as u64 - 1;
            let response = self
                .client
                .patch(upload)
                .header(header::CONTENT_TYPE, OCTET_STREAM)
                .header(header::CONTENT_RANGE, format!("{offset}-{end}"))
                .header(header::CONTENT_LENGTH, chunk.len())
                .body(chunk)
                .send()
                .await?;
            let response = expect(response, StatusCode::ACCEPTED, "uploading a chunk").await?;
            upload = self.location(&response)?;
            offset = end + 1;
        }
        let response = self
            .client
            .put(with_digest(upload, digest))
            .header(header::CONTENT_LENGTH, 0)
            .send()
            .await?;
        expect(response, StatusCode::CREATED, "finishing a chunked upload").await?;
        Ok(())
    }

    /// `HEAD /v2/<repo>/blobs/<digest>`: whether the repository already has the blob.
    pub async fn blob_exists(&self, repo: &str, digest: &str) -> Result<bool> {
        let response = self
            .client
            .head(self.url(&format!("/v2/{repo}/blobs/{digest}"))?)
            .send()
            .await?;
        match response.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            other => bail!("HEAD blob {digest} in {repo}: unexpected {other}"),
        }
    }

    /// `GET /v2/<repo>/blobs/<digest>`, streamed and counted (not hashed: the client must not be
    /// the bottleneck of a pull); the byte count is checked by the caller.
    pub async fn pull_blob(&self, repo: &str, digest: &str) -> Result<u64> {
        let response = self
            .client
            .get(self.url(&format!("/v2/{repo}/blobs/{digest}"))?)
            .send()
            .await?;
        let response = expect(response, StatusCode::OK, "pulling a blob").await?;
        drain(response).await
    }

    pub async fn put_manifest(&self, repo: &str, reference: &str, body: Bytes) -> Result<()> {
        let response = self
            .client
            .put(self.url(&format!("/v2/{repo}/manifests/{reference}"))?)
            .header(header::CONTENT_TYPE, OCI_MANIFEST)
            .body(body)
            .send()
            .await?;
        expect(response, StatusCode::CREATED, "pushing a manifest").await?;
        Ok(())
    }

    /// `GET` a manifest; returns its length so the caller can check it got the whole document.
    pub async fn get_manifest(&self, repo: &str, reference: &str) -> Result<usize> {
        let response = self
            .client
            .get(self.url(&format!("/v2/{repo}/manifests/{reference}"))?)
            .header(header::ACCEPT, MANIFEST_ACCEPT)
            .send()
            .await?;
        let response = expect(response, StatusCode::OK, "getting a manifest").await?;
        Ok(response.bytes().await?.len())
    }

    /// `HEAD` a manifest; returns its `Docker-Content-Digest`.
    pub async fn head_manifest(&self, repo: &str, reference: &str) -> Result<String> {
        let response = self
            .client
            .head(self.url(&format!("/v2/{repo}/manifests/{reference}"))?)
            .header(header::ACCEPT, MANIFEST_ACCEPT)
            .send()
            .await?;
        let response = expect(response, StatusCode::OK, "HEAD of a manifest").await?;
        let digest = response
            .headers()
            .get("docker-content-digest")
            .ok_or_else(|| anyhow!("manifest HEAD without Docker-Content-Digest"))?;
        Ok(digest.to_str()?.to_owned())
    }

    /// Every entry of a listing (`_catalog` → `repositories`, `tags/list` → `tags`), following the
    /// RFC 5988 `Link: <...>; rel="next"` header page after page.
    pub async fn list_all(&self, first_page: &str, key: &str) -> Result<Vec<String>> {
        let mut next = Some(self.url(first_page)?);
        let mut entries = Vec::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > 100_000 {
                bail!("listing {first_page}: more than 100,000 pages, the Link chain loops");
            }
            let response = self.client.get(url).send().await?;
            let response = expect(response, StatusCode::OK, "listing").await?;
            if let Some(link) = response.headers().get(header::LINK) {
                next = Some(self.next_link(link.to_str()?)?);
            }
            let page: serde_json::Value = response.json().await?;
            let items = page
                .get(key)
                .and_then(|v| v.as_array())
                .ok_or_else(|| anyhow!("listing {first_page}: no `{key}` array"))?;
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| anyhow!("listing {first_page}: non-string entry"))?;
                entries.push(name.to_owned());
            }
        }
        Ok(entries)
    }

    fn next_link(&self, link: &str) -> Result<Url> {
        let target = link
            .split_once('<')
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(target, _)| target)
            .ok_or_else(|| anyhow!("malformed Link header {link:?}"))?;
        self.base.join(target).context("Link target")
    }
}

/// Reads a response body to the end, counting bytes without keeping them.
pub async fn drain(mut response: Response) -> Result<u64> {
    let mut total = 0u64;
    while let Some(chunk) = response.chunk().await? {
        total += chunk.len() as u64;
    }
    Ok(total)
}

fn with_digest(mut upload: Url, digest: &str) -> Url {
    upload.query_pairs_mut().append_pair("digest", digest);
    upload
}

async fn expect(response: Response, wanted: StatusCode, what: &str) -> Result<Response> {
    let status = response.status();
    if status == wanted {
        return Ok(response);
    }
    let url = response.url().path().to_owned();
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    bail!("{what} ({url}): expected {wanted}, got {status}: {body}")
}
