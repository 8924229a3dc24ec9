//! Helpers for talking to a registry over HTTP: an async client with push helpers, a raw HTTP/1.1
//! exchange for requests a normal client refuses to send, skopeo, and the registry:2 tree.
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sha2::Digest as _;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// `sha256:<hex>` of `data`.
pub fn digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(data)))
}

/// An async HTTP client bound to one registry base URL.
#[derive(Clone)]
pub struct Reg {
    pub base: String,
    pub client: reqwest::Client,
}

impl Reg {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn head(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.head(self.url(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.put(self.url(path))
    }

    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path))
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path))
    }

    /// POST + PUT upload; returns the digest.
    pub async fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let d = digest(data);
        let r = self
            .post(&format!("/v2/{repo}/blobs/uploads/"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "POST upload");
        let location = header(&r, "location");
        let sep = if location.contains('?') { '&' } else { '?' };
        let r = self
            .put(&format!("{location}{sep}digest={d}"))
            .header("content-type", "application/octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "PUT upload: {}", r.text().await.unwrap());
        d
    }

    /// PUT a manifest; returns the response.
    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> reqwest::Response {
        self.put(&format!("/v2/{repo}/manifests/{reference}"))
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Pushes a config and `layers` blobs and an OCI manifest under `reference`; returns
    /// (manifest bytes, manifest digest).
    pub async fn push_image(
        &self,
        repo: &str,
        reference: &str,
        layers: &[&[u8]],
    ) -> (Vec<u8>, String) {
        let config = format!(r#"{{"architecture":"amd64","os":"linux","n":"{repo}{reference}"}}"#);
        let config_digest = self.push_blob(repo, config.as_bytes()).await;
        let mut descriptors = Vec::new();
        for layer in layers {
            let d = self.push_blob(repo, layer).await;
            descriptors.push(
                serde_json::json!({"mediaType": OCI_LAYER, "digest": d, "size": layer.len()}),
            );
        }
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": descriptors,
        }))
        .unwrap();
        let r = self
            .put_manifest(repo, reference, OCI_MANIFEST, &manifest)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let d = digest(&manifest);
        (manifest, d)
    }
}

pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}: {:?}", r.headers()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The OCI error code of an error response body.
pub async fn error_code(r: reqwest::Response) -> String {
    let v: serde_json::Value = r.json().await.expect("JSON error body");
    v["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A response read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body's OCI error code.
    pub fn code(&self) -> String {
        let v: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body))
        });
        v["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Sends `request` (a complete HTTP/1.1 request, which should say `Connection: close`) and reads
/// the response until the server closes; asserts the response is well framed (Content-Length
/// equals the body received).
pub fn raw(addr: &str, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut data = Vec::new();
    let _ = stream.read_to_end(&mut data);
    parse_raw(&data)
}

pub fn parse_raw(data: &[u8]) -> RawResponse {
    let split = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(data)));
    let head = String::from_utf8_lossy(&data[..split]).into_owned();
    let body = data[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let response = RawResponse {
        status,
        headers,
        body,
    };
    if let Some(len) = response.header("content-length") {
        assert_eq!(
            len.parse::<usize>().unwrap(),
            response.body.len(),
            "Content-Length must match the body: {response:?}"
        );
    }
    response
}

/// A GET/HEAD/DELETE request line with `Connection: close`.
pub fn simple_request(method: &str, path: &str, extra_headers: &str) -> Vec<u8> {
    format!("{method} {path} HTTP/1.1\r\nHost: test\r\n{extra_headers}Connection: close\r\n\r\n")
        .into_bytes()
}

/// Runs `skopeo ARGS` and asserts success; returns stdout.
pub fn skopeo(args: &[&str]) -> String {
    let skopeo = super::require_tool("skopeo", "skopeo");
    let output = Command::new(skopeo)
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    super::success_stdout(&output)
}

/// The registry:2 tree under a storage root.
pub fn v2(root: &Path) -> PathBuf {
    root.join("docker/registry/v2")
}
