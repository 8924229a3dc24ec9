//! The TLS side of a registry as a client sees it: one handshake that records the served chain
//! whatever it is, then the same chain verified against each trust store a client on this
//! machine would use (the system bundle, docker's or podman's `certs.d`, containerd's `ca`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Where Go (so dockerd, containerd and podman) looks for the system CA bundle on Linux, in
/// Go's order (`crypto/x509/root_linux.go`); the first that exists is used.
pub const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The chain a server presented, leaf first.
#[derive(Debug, Clone)]
pub struct ServedChain {
    pub certificates: Vec<CertificateDer<'static>>,
    /// The negotiated protocol version, e.g. `TLSv1_3`.
    pub version: String,
}

/// Accepts any certificate and keeps what was presented: doctor judges trust afterwards, per
/// client, instead of stopping at the first verification error.
#[derive(Debug)]
struct Recorder {
    provider: Arc<CryptoProvider>,
    seen: std::sync::Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.clear();
        seen.push(end_entity.clone().into_owned());
        seen.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Completes one TLS handshake with `socket`, sending `host` as SNI, and returns the chain.
///
/// # Errors
/// A sentence saying why the handshake did not complete.
pub async fn fetch_chain(
    socket: std::net::SocketAddr,
    host: &str,
    timeout: Duration,
) -> Result<ServedChain, String> {
    let provider = provider();
    let recorder = Arc::new(Recorder {
        provider: provider.clone(),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect(socket)
            .await
            .map_err(|e| format!("cannot connect to {socket}: {e}"))?;
        connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("the TLS handshake with {socket} failed: {e}"))
    };
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| format!("the TLS handshake with {socket} took longer than {timeout:?}"))??;
    let version = stream
        .get_ref()
        .1
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let certificates = recorder
        .seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if certificates.is_empty() {
        return Err("the server presented no certificate".to_owned());
    }
    Ok(ServedChain {
        certificates,
        version,
    })
}

/// A set of CA certificates a client trusts, with the files they came from.
#[derive(Debug, Default, Clone)]
pub struct TrustStore {
    pub roots: Vec<CertificateDer<'static>>,
    pub files: Vec<PathBuf>,
}

impl TrustStore {
    /// Adds every certificate of a PEM file; a missing or unreadable file adds nothing.
    pub fn add_pem_file(&mut self, path: &Path) -> bool {
        let Ok(pem) = std::fs::read(path) else {
            return false;
        };
        let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
            .filter_map(Result::ok)
            .collect();
        if certs.is_empty() {
            return false;
        }
        self.roots.extend(certs);
        self.files.push(path.to_owned());
        true
    }

    /// Adds every `*.crt` in `dir` (docker's `certs.d/HOST:PORT` pattern), in name order.
    pub fn add_crt_dir(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|ext| ext == "crt"))
            .collect();
        paths.sort();
        for path in paths {
            self.add_pem_file(&path);
        }
    }

    /// The system bundle Go would load under `root`, if any.
    #[must_use]
    pub fn system(root: &Path) -> Self {
        let mut store = Self::default();
        for bundle in SYSTEM_BUNDLES {
            if store.add_pem_file(&super::under(root, bundle)) {
                break;
            }
        }
        store
    }

    pub fn extend(&mut self, other: &Self) {
        self.roots.extend(other.roots.iter().cloned());
        self.files.extend(other.files.iter().cloned());
    }

    /// Verifies `chain` for `host` the way a client with these roots would.
    ///
    /// # Errors
    /// The reason in the words of Go's `crypto/x509` (what docker prints), when known.
    pub fn verify(&self, chain: &ServedChain, host: &str) -> Result<(), String> {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(self.roots.iter().cloned());
        if roots.is_empty() {
            return Err(UNKNOWN_AUTHORITY.to_owned());
        }
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
        let (leaf, intermediates) = chain
            .certificates
            .split_first()
            .ok_or_else(|| "no certificate".to_owned())?;
        verifier
            .verify_server_cert(leaf, intermediates, &name, &[], UnixTime::now())
            .map(|_| ())
            .map_err(|err| go_words(&err, host))
    }
}

/// What docker prints for a certificate no trusted CA signed.
pub const UNKNOWN_AUTHORITY: &str = "x509: certificate signed by unknown authority";

fn go_words(err: &rustls::Error, host: &str) -> String {
    use rustls::CertificateError as E;
    match err {
        rustls::Error::InvalidCertificate(E::UnknownIssuer) => UNKNOWN_AUTHORITY.to_owned(),
        rustls::Error::InvalidCertificate(
            E::NotValidForName | E::NotValidForNameContext { .. },
        ) => {
            format!("x509: certificate is not valid for {host}")
        }
        rustls::Error::InvalidCertificate(
            E::Expired | E::ExpiredContext { .. } | E::NotValidYet | E::NotValidYetContext { .. },
        ) => "x509: certificate has expired or is not yet valid".to_owned(),
        other => other.to_string(),
    }
}
