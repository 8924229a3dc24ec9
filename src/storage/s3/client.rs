//! The S3 connection: one `object_store` `AmazonS3` per process for what it covers, and the few
//! calls it lacks (ListMultipartUploads, ListParts, UploadPartCopy) signed with its public
//! `AwsAuthorizer` and sent over a reqwest client configured the same way.

use std::io;
use std::time::Duration;

use object_store::aws::{
    AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, AwsAuthorizer, S3ConditionalPut,
};
use object_store::client::HttpRequestBody;
use object_store::{ClientOptions, RetryConfig};
use reqwest::{Method, Url};

use crate::config::s3::{S3Credentials, S3Encryption, S3Settings};

/// The bucket's base URL and the two clients that talk to it.
pub(super) struct Connection {
    pub store: AmazonS3,
    http: reqwest::Client,
    /// `https://host/bucket` (path style) or `https://bucket.host` (virtual-hosted style).
    bucket_url: Url,
    bucket: String,
    region: String,
}

/// Every request that takes longer than this is abandoned and retried by object_store (a part is
/// at most `chunksize`, 5 GiB at the extreme, so this is generous but bounded).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the clients; talks to nobody yet.
///
/// # Errors
/// `InvalidInput` for settings object_store refuses (it says which).
pub(super) fn connect(settings: &S3Settings) -> io::Result<Connection> {
    let scheme = if settings.secure { "https" } else { "http" };
    let (base, aws) = match &settings.endpoint {
        Some(endpoint) => (endpoint.trim_end_matches('/').to_owned(), false),
        None => (
            format!("{scheme}://s3.{}.amazonaws.com", settings.signing_region()),
            true,
        ),
    };
    let base_url = Url::parse(&base).map_err(|e| invalid(format!("endpoint {base}: {e}")))?;
    // AWS and the SDK registry:2 uses default to virtual-hosted style; `forcepathstyle` (what
    // S3-compatible servers on an IP or a single host name need) puts the bucket in the path.
    let path_style = settings.force_path_style || (!aws && base_url.host_str().is_some_and(is_ip));
    let bucket_url = if path_style {
        Url::parse(&format!("{base}/{}", settings.bucket))
    } else {
        let mut url = base_url.clone();
        let host = format!(
            "{}.{}",
            settings.bucket,
            base_url.host_str().unwrap_or_default()
        );
        url.set_host(Some(&host))
            .map_err(|e| invalid(format!("bucket host {host}: {e}")))?;
        Ok(url)
    }
    .map_err(|e| invalid(format!("bucket URL: {e}")))?;

    let mut options = ClientOptions::new()
        .with_allow_http(!settings.secure || base_url.scheme() == "http")
        .with_allow_invalid_certificates(settings.skip_verify)
        .with_timeout(REQUEST_TIMEOUT)
        .with_connect_timeout(CONNECT_TIMEOUT);
    if let Some(agent) = &settings.user_agent {
        let value = agent
            .parse()
            .map_err(|_| invalid(format!("useragent {agent:?} is not a header value")))?;
        options = options.with_user_agent(value);
    }
    let endpoint = if path_style {
        base.clone()
    } else {
        bucket_url.as_str().trim_end_matches('/').to_owned()
    };
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&settings.bucket)
        .with_region(settings.signing_region())
        .with_endpoint(endpoint)
        .with_virtual_hosted_style_request(!path_style)
        .with_allow_http(!settings.secure || base_url.scheme() == "http")
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_retry(RetryConfig::default())
        .with_client_options(options);
    if let S3Credentials::Static {
        access_key,
        secret_key,
    } = &settings.credentials
    {
        builder = builder
            .with_access_key_id(access_key)
            .with_secret_access_key(secret_key);
    }
    builder = match &settings.encryption {
        S3Encryption::None => builder,
        S3Encryption::S3Managed => {
            let key: AmazonS3ConfigKey = "aws_server_side_encryption"
                .parse()
                .map_err(|e| invalid(format!("{e}")))?;
            builder.with_config(key, "AES256")
        }
        S3Encryption::Kms(key) => builder.with_sse_kms_encryption(key),
    };
    let store = builder
        .build()
        .map_err(|e| invalid(format!("S3 client: {e}")))?;
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(settings.skip_verify)
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(
            settings
                .user_agent
                .clone()
                .unwrap_or_else(|| format!("regctl/{}", env!("CARGO_PKG_VERSION"))),
        )
        .build()
        .map_err(|e| invalid(format!("HTTP client: {e}")))?;
    Ok(Connection {
        store,
        http,
        bucket_url,
        bucket: settings.bucket.clone(),
        region: settings.signing_region().to_owned(),
    })
}

fn is_ip(host: &str) -> bool {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// S3's URI encoding of an object key (RFC 3986 unreserved characters and `/` stay).
pub(super) fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A signed request's answer: status and body.
pub(super) struct Answer {
    pub status: reqwest::StatusCode,
    pub body: bytes::Bytes,
}

impl Connection {
    /// `bucket_url/key?query` (key already an S3 object key, query already encoded).
    pub fn url(&self, key: &str, query: &str) -> io::Result<Url> {
        let mut text = self.bucket_url.as_str().trim_end_matches('/').to_owned();
        if !key.is_empty() {
            text.push('/');
            text.push_str(&encode_key(key));
        }
        if !query.is_empty() {
            text.push('?');
            text.push_str(query);
        }
        Url::parse(&text).map_err(|e| invalid(format!("{text}: {e}")))
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Sends one request signed with SigV4 (empty body), with `headers`.
    pub async fn signed(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, String)],
    ) -> io::Result<Answer> {
        let credential = self
            .store
            .credentials()
            .get_credential()
            .await
            .map_err(|e| io::Error::new(io::ErrorKind::PermissionDenied, e.to_string()))?;
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut request = request
            .body(HttpRequestBody::empty())
            .map_err(|e| invalid(e.to_string()))?;
        AwsAuthorizer::new(&credential, "s3", &self.region)
            .try_authorize(&mut request, None)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let mut send = self.http.request(method, url);
        for (name, value) in request.headers() {
            send = send.header(name, value);
        }
        // Ceph RGW answers 411 to a body-less PUT without a length.
        send = send.header(reqwest::header::CONTENT_LENGTH, "0");
        let response = send.send().await.map_err(transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?;
        Ok(Answer { status, body })
    }
}

fn transport(e: reqwest::Error) -> io::Error {
    let kind = if e.is_timeout() {
        io::ErrorKind::TimedOut
    } else {
        io::ErrorKind::ConnectionRefused
    };
    io::Error::new(kind, crate::report::error_chain(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_as_s3_signs_them() {
        assert_eq!(
            encode_key("docker/registry/v2/repositories/a b/_uploads"),
            "docker/registry/v2/repositories/a%20b/_uploads"
        );
        assert_eq!(encode_key("x:y+z"), "x%3Ay%2Bz");
    }
}
