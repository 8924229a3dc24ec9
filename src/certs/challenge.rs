//! Answering ACME challenges: HTTP-01 (a token under `/.well-known/acme-challenge/`) and
//! TLS-ALPN-01 (a special self-signed certificate presented to clients that offer the
//! `acme-tls/1` protocol).
//!
//! A [`ChallengeResponder`] is shared between the order flow (which adds responses) and whatever
//! serves them: the small listeners in this module for `regctl cert acme`, or `regctl serve`'s own
//! HTTP router and certificate resolver.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, PoisonError, RwLock};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rcgen::{CertificateParams, CustomExtension, DistinguishedName, KeyPair};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{CertError, SubjectName};

/// The ALPN protocol of TLS-ALPN-01 (RFC 8737). A server that negotiates it must present the
/// challenge certificate and then close the connection without serving anything.
pub const ACME_TLS_ALPN_PROTOCOL: &[u8] = b"acme-tls/1";

/// The path prefix of HTTP-01 responses (RFC 8555 §8.3).
pub const HTTP01_PATH_PREFIX: &str = "/.well-known/acme-challenge/";

/// The challenge responses currently pending; cheap to clone, all clones share one table.
#[derive(Clone, Default)]
pub struct ChallengeResponder {
    inner: Arc<RwLock<Responses>>,
}

#[derive(Default)]
struct Responses {
    /// token → key authorization
    http01: HashMap<String, String>,
    /// TLS server name (SNI) → challenge certificate
    tls_alpn01: HashMap<String, Arc<CertifiedKey>>,
}

impl std::fmt::Debug for ChallengeResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("ChallengeResponder")
            .field("http01_tokens", &inner.http01.len())
            .field(
                "tls_alpn01_names",
                &inner.tls_alpn01.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ChallengeResponder {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The body to answer `GET /.well-known/acme-challenge/{token}` with, if that token is pending.
    #[must_use]
    pub fn http01(&self, token: &str) -> Option<String> {
        self.read().http01.get(token).cloned()
    }

    /// The challenge certificate for a TLS server name, if one is pending.
    #[must_use]
    pub fn tls_alpn01(&self, server_name: &str) -> Option<Arc<CertifiedKey>> {
        self.read()
            .tls_alpn01
            .get(&server_name.to_ascii_lowercase())
            .cloned()
    }

    /// For a certificate resolver: the challenge certificate when this handshake is a TLS-ALPN-01
    /// validation (it offers `acme-tls/1`) for a pending name, else `None` (serve the normal
    /// certificate).
    #[must_use]
    pub fn resolve_tls_alpn01(&self, hello: &ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if !offers_acme_tls(hello) {
            return None;
        }
        self.tls_alpn01(hello.server_name()?)
    }

    /// A router answering HTTP-01 challenges; merge it into any HTTP router on port 80.
    pub fn http01_router(&self) -> Router {
        Router::new()
            .route("/.well-known/acme-challenge/{token}", get(http01_handler))
            .with_state(self.clone())
    }

    pub(crate) fn add_http01(&self, token: String, key_authorization: String) {
        self.write().http01.insert(token, key_authorization);
    }

    pub(crate) fn add_tls_alpn01(&self, server_name: String, key: Arc<CertifiedKey>) {
        self.write().tls_alpn01.insert(server_name, key);
    }

    pub(crate) fn remove_http01(&self, token: &str) {
        self.write().http01.remove(token);
    }

    pub(crate) fn remove_tls_alpn01(&self, server_name: &str) {
        self.write().tls_alpn01.remove(server_name);
    }

    // A panic while holding the lock leaves a plain map behind, still consistent: keep using it.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Responses> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Responses> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether the client offers `acme-tls/1`.
#[must_use]
pub fn offers_acme_tls(hello: &ClientHello<'_>) -> bool {
    hello
        .alpn()
        .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN_PROTOCOL))
}

async fn http01_handler(
    State(responder): State<ChallengeResponder>,
    Path(token): Path<String>,
) -> Response {
    match responder.http01(&token) {
        Some(body) => ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The TLS server name the ACME server sends when validating `identifier`: the DNS name itself,
/// or for an IP address its reverse-DNS name (RFC 8738 §6).
#[must_use]
pub fn tls_alpn01_server_name(identifier: &SubjectName) -> String {
    match identifier {
        SubjectName::Dns(name) => name.to_ascii_lowercase(),
        SubjectName::Ip(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        SubjectName::Ip(IpAddr::V6(v6)) => {
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str("ip6.arpa");
            name
        }
    }
}

/// The self-signed certificate that proves control of `identifier` for TLS-ALPN-01: it names the
/// identifier and carries the critical acmeIdentifier extension with the SHA-256 digest of the key
/// authorization (RFC 8737 §3).
///
/// # Errors
/// When the certificate or its key cannot be built.
pub fn tls_alpn01_certificate(
    identifier: &SubjectName,
    key_authorization_digest: &[u8],
) -> Result<CertifiedKey, CertError> {
    let mut params = CertificateParams::new(vec![identifier.to_string()])?;
    params.distinguished_name = DistinguishedName::new();
    params.custom_extensions = vec![CustomExtension::new_acme_identifier(
        key_authorization_digest,
    )];
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing_key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key_der)?;
    // `CertifiedKey::new`, not `from_der`: the latter re-parses the certificate with webpki, which
    // rejects the critical acmeIdentifier extension it does not know.
    Ok(CertifiedKey::new(vec![cert.der().clone()], signing_key))
}

#[derive(Debug)]
struct AcmeTlsOnly(ChallengeResponder);

impl ResolvesServerCert for AcmeTlsOnly {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.resolve_tls_alpn01(&hello)
    }
}

/// A rustls config that completes handshakes only for pending TLS-ALPN-01 validations.
///
/// # Errors
/// When the TLS provider rejects the protocol set-up.
pub fn tls_alpn01_server_config(
    responder: &ChallengeResponder,
) -> Result<Arc<ServerConfig>, CertError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(AcmeTlsOnly(responder.clone())));
    config.alpn_protocols = vec![ACME_TLS_ALPN_PROTOCOL.to_vec()];
    Ok(Arc::new(config))
}

/// A challenge listener running in the background; stopped when dropped.
#[derive(Debug)]
pub struct ChallengeServer {
    pub local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ChallengeServer {
    /// Stops accepting and waits for the listener task to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for ChallengeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

async fn bind(addr: SocketAddr, what: &'static str) -> Result<TcpListener, CertError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| CertError::Listen {
            addr: addr.to_string(),
            what,
            source,
        })
}

/// Serves HTTP-01 responses on `addr` (normally port 80) until the returned server is stopped.
///
/// # Errors
/// When the address cannot be bound (port 80 needs root or `CAP_NET_BIND_SERVICE`).
pub async fn spawn_http01(
    addr: SocketAddr,
    responder: &ChallengeResponder,
) -> Result<ChallengeServer, CertError> {
    let listener = bind(addr, "HTTP-01 challenge").await?;
    let local_addr = local_addr(&listener, addr);
    let (tx, rx) = oneshot::channel();
    let app = responder.http01_router();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = rx.await;
        };
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(%err, "HTTP-01 challenge server stopped");
        }
    });
    Ok(ChallengeServer {
        local_addr,
        shutdown: Some(tx),
        task,
    })
}

/// Answers TLS-ALPN-01 validations on `addr` (normally port 443) until the returned server is
/// stopped; every other handshake fails, since this listener has no ordinary certificate.
///
/// # Errors
/// When the address cannot be bound.
pub async fn spawn_tls_alpn01(
    addr: SocketAddr,
    responder: &ChallengeResponder,
) -> Result<ChallengeServer, CertError> {
    let listener = bind(addr, "TLS-ALPN-01 challenge").await?;
    let local_addr = local_addr(&listener, addr);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_alpn01_server_config(responder)?);
    let (tx, mut rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = &mut rx => break,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, peer)) = accepted else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // The validation is the handshake itself; nothing is served afterwards.
                match acceptor.accept(stream).await {
                    Ok(mut tls) => {
                        let _ = tokio::io::AsyncWriteExt::shutdown(&mut tls).await;
                    }
                    Err(err) => tracing::debug!(%peer, %err, "TLS-ALPN-01 handshake refused"),
                }
            });
        }
    });
    Ok(ChallengeServer {
        local_addr,
        shutdown: Some(tx),
        task,
    })
}

fn local_addr(listener: &TcpListener, requested: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(requested)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names_follow_rfc_8738() {
        assert_eq!(
            tls_alpn01_server_name(&SubjectName::parse("192.0.2.5").unwrap()),
            "5.2.0.192.in-addr.arpa"
        );
        let v6 = tls_alpn01_server_name(&SubjectName::parse("2001:db8::1").unwrap());
        assert!(v6.starts_with("1.0.0.0.0.0.0.0."), "{v6}");
        assert!(v6.ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"), "{v6}");
    }

    #[test]
    fn challenge_certificate_carries_the_critical_acme_identifier() {
        let digest = [7u8; 32];
        let key =
            tls_alpn01_certificate(&SubjectName::parse("registry.test").unwrap(), &digest).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(key.cert[0].as_ref()).unwrap();
        let ext = cert
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
            .expect("acmeIdentifier extension");
        assert!(ext.critical);
        // DER OCTET STRING wrapping the 32-byte digest.
        assert_eq!(&ext.value[2..], &digest);
    }
}
