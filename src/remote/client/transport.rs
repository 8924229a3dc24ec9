//! Transport: building the HTTP client (TLS, `--ca-file`, `--insecure`), choosing HTTPS or
//! plain HTTP by pinging `/v2/`, sending requests and explaining what went wrong on the wire.

use super::*;

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

    pub(super) async fn ping(&self) -> Result<(), RemoteError> {
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
    pub(super) fn url(&self, path_and_query: &str) -> Result<Url, RemoteError> {
        self.base
            .join(path_and_query)
            .map_err(|e| RemoteError::InvalidRegistry {
                input: format!("{}{path_and_query}", self.base),
                reason: e.to_string(),
            })
    }

    pub(super) async fn raw_send(
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

    /// Explains a failed connection: a plain-HTTP server and an untrusted certificate get errors
    /// that say how to fix them.
    pub(super) async fn transport_error(&self, err: reqwest::Error, url: &Url) -> RemoteError {
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
    pub(super) async fn answers_plain_http(&self, url: &Url) -> bool {
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

    pub(super) async fn status_error(
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

    pub(super) fn status_error_from(
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

pub(super) fn build_http(options: &ClientOptions) -> Result<reqwest::Client, RemoteError> {
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

pub(super) fn base_url(scheme: &str, registry: &Registry) -> Result<Url, RemoteError> {
    Url::parse(&format!("{scheme}://{}/", registry.api_host())).map_err(|e| {
        RemoteError::InvalidRegistry {
            input: registry.to_string(),
            reason: e.to_string(),
        }
    })
}
pub(super) fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
        .filter(|v| !v.is_empty())
}
/// The OCI error codes and a readable message from an error response body.
pub(super) async fn error_body(response: reqwest::Response) -> (Vec<String>, String) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    parse_error_body(status, &text)
}

pub(super) fn parse_error_body(status: StatusCode, text: &str) -> (Vec<String>, String) {
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
pub(super) enum ConnectCause {
    Refused,
    Dns,
    Other,
}

/// Walks the cause chain (reqwest → hyper-util → io) for a refused connection or a failed name
/// lookup; hyper-util reports the latter only as text ("dns error").
pub(super) fn connect_cause(err: &reqwest::Error) -> ConnectCause {
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

pub(super) fn tls_cause(err: &reqwest::Error) -> Option<&rustls::Error> {
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

pub(super) fn describe_certificate_error(err: &rustls::CertificateError) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
