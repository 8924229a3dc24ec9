//! HTTPS for `regctl serve`: rustls with the aws-lc-rs provider, the certificate chain and key read
//! from PEM files, ALPN `h2` + `http/1.1`, optional client certificates (`http.tls.clientcas`).
//!
//! The server certificate is not baked into the `ServerConfig`: it comes from [`ReloadableCert`], a
//! `ResolvesServerCert` whose certificate can be replaced while connections are being served (a
//! renewed certificate on disk, later ACME), so a renewal never needs a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Errors setting up TLS; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read TLS file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} contains no PEM certificate (expected a `-----BEGIN CERTIFICATE-----` block)")]
    NoCertificate { path: PathBuf },
    #[error("{path} contains a malformed PEM certificate")]
    BadCertificate {
        path: PathBuf,
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    #[error(
        "{path} contains no PEM private key (expected a PKCS#8, PKCS#1 or SEC1 `PRIVATE KEY` block)"
    )]
    NoPrivateKey { path: PathBuf },
    #[error("{path} contains a malformed PEM private key")]
    BadPrivateKey {
        path: PathBuf,
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    #[error("the private key in {path} is not supported")]
    UnsupportedKey {
        path: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("the private key {key} does not belong to the certificate {certificate}")]
    KeyMismatch { certificate: PathBuf, key: PathBuf },
    #[error("the certificate {path} cannot be used")]
    InvalidCertificate {
        path: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("the client CA certificate in {path} cannot be used")]
    BadClientCa {
        path: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("cannot build the client certificate verifier from http.tls.clientcas")]
    ClientVerifier(#[source] rustls::server::VerifierBuilderError),
    #[error("cannot build the TLS configuration")]
    Config(#[source] rustls::Error),
}

/// The process-wide crypto provider: aws-lc-rs, the one every TLS user in regctl shares.
#[must_use]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A server certificate that can be swapped while the server runs.
///
/// Every handshake reads the current `Arc<CertifiedKey>` under a read lock held only for the clone,
/// so a reload never blocks handshakes for longer than a pointer swap.
#[derive(Debug)]
pub struct ReloadableCert {
    certificate: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ReloadableCert {
    /// Loads the certificate chain and key from `certificate` and `key`.
    ///
    /// # Errors
    /// When a file is missing or unreadable, holds no or malformed PEM, the key type is not
    /// supported, or the key does not match the leaf certificate.
    pub fn load(
        certificate: &Path,
        key: &Path,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, TlsError> {
        let loaded = load_certified_key(certificate, key, &provider)?;
        Ok(Self {
            certificate: certificate.to_owned(),
            key: key.to_owned(),
            provider,
            current: RwLock::new(Arc::new(loaded)),
        })
    }

    /// Re-reads the files this certificate was loaded from and, when they are valid, serves them to
    /// every new handshake. On error the certificate in use stays in place.
    ///
    /// # Errors
    /// The same as [`ReloadableCert::load`].
    pub fn reload(&self) -> Result<(), TlsError> {
        let loaded = load_certified_key(&self.certificate, &self.key, &self.provider)?;
        self.replace(Arc::new(loaded));
        Ok(())
    }

    /// Serves `certified` to every new handshake (for certificates obtained in memory, e.g. ACME).
    pub fn replace(&self, certified: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = certified;
    }

    /// The certificate currently served.
    #[must_use]
    pub fn current(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// Builds the rustls server configuration: the reloadable certificate, client certificate
/// verification when `client_cas` is not empty, ALPN `h2` (unless `http2`) and `http/1.1`.
///
/// # Errors
/// When a client CA file cannot be read or used.
pub fn server_config(
    certs: Arc<ReloadableCert>,
    client_cas: &[PathBuf],
    http2: bool,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::clone(&certs.provider);
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?;
    let builder = if client_cas.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        for path in client_cas {
            for cert in read_certificates(path)? {
                roots.add(cert).map_err(|source| TlsError::BadClientCa {
                    path: path.clone(),
                    source,
                })?;
            }
        }
        // distribution requires and verifies a client certificate as soon as clientcas is set.
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(TlsError::ClientVerifier)?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder.with_cert_resolver(certs);
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_file(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::BadCertificate {
            path: path.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_file(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|source| match source {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_owned(),
        },
        source => TlsError::BadPrivateKey {
            path: path.to_owned(),
            source,
        },
    })
}

fn load_certified_key(
    certificate: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = read_certificates(certificate)?;
    let private_key = read_private_key(key)?;
    let signing_key = provider
        .key_provider
        .load_private_key(private_key)
        .map_err(|source| TlsError::UnsupportedKey {
            path: key.to_owned(),
            source,
        })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(certified)
        }
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::KeyMismatch {
                certificate: certificate.to_owned(),
                key: key.to_owned(),
            })
        }
        Err(source) => Err(TlsError::InvalidCertificate {
            path: certificate.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair {
        cert_pem: String,
        key_pem: String,
    }

    fn self_signed(name: &str) -> Pair {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Pair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn loads_a_matching_pair_and_reloads_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let first = self_signed("first.test");
        let cert = write(dir.path(), "tls.crt", &first.cert_pem);
        let key = write(dir.path(), "tls.key", &first.key_pem);
        let reloadable = ReloadableCert::load(&cert, &key, provider()).unwrap();
        let before = reloadable.current();

        let second = self_signed("second.test");
        write(dir.path(), "tls.crt", &second.cert_pem);
        write(dir.path(), "tls.key", &second.key_pem);
        reloadable.reload().unwrap();
        let after = reloadable.current();
        assert_ne!(before.cert[0], after.cert[0]);

        // a broken file on reload keeps the certificate in use
        write(dir.path(), "tls.key", "not pem");
        assert!(matches!(
            reloadable.reload(),
            Err(TlsError::NoPrivateKey { .. })
        ));
        assert_eq!(reloadable.current().cert[0], after.cert[0]);

        let config = server_config(Arc::new(reloadable), &[], true).unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn names_the_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let pair = self_signed("a.test");
        let key = write(dir.path(), "tls.key", &pair.key_pem);
        let missing = dir.path().join("absent.crt");
        let err = ReloadableCert::load(&missing, &key, provider()).unwrap_err();
        assert!(
            matches!(&err, TlsError::Read { path, source } if *path == missing && source.kind() == std::io::ErrorKind::NotFound)
        );
        assert!(err.to_string().contains("absent.crt"));
    }

    #[test]
    fn rejects_files_without_pem_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let pair = self_signed("a.test");
        let cert = write(dir.path(), "tls.crt", &pair.cert_pem);
        let key = write(dir.path(), "tls.key", &pair.key_pem);
        let junk = write(dir.path(), "junk", "hello\n");
        assert!(matches!(
            ReloadableCert::load(&junk, &key, provider()),
            Err(TlsError::NoCertificate { .. })
        ));
        assert!(matches!(
            ReloadableCert::load(&cert, &junk, provider()),
            Err(TlsError::NoPrivateKey { .. })
        ));
        // the key where the certificate belongs and vice versa
        assert!(matches!(
            ReloadableCert::load(&key, &cert, provider()),
            Err(TlsError::NoCertificate { .. })
        ));
    }

    #[test]
    fn rejects_a_key_of_another_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let one = self_signed("one.test");
        let other = self_signed("other.test");
        let cert = write(dir.path(), "tls.crt", &one.cert_pem);
        let key = write(dir.path(), "tls.key", &other.key_pem);
        let err = ReloadableCert::load(&cert, &key, provider()).unwrap_err();
        assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err:?}");
        assert!(err.to_string().contains("does not belong"));
    }

    #[test]
    fn http2_disabled_offers_only_http1() {
        let dir = tempfile::tempdir().unwrap();
        let pair = self_signed("a.test");
        let cert = write(dir.path(), "tls.crt", &pair.cert_pem);
        let key = write(dir.path(), "tls.key", &pair.key_pem);
        let reloadable = Arc::new(ReloadableCert::load(&cert, &key, provider()).unwrap());
        let config = server_config(Arc::clone(&reloadable), &[], false).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        // a CA bundle for client certificates is accepted; a file without certificates is not
        let with_cas = server_config(Arc::clone(&reloadable), std::slice::from_ref(&cert), true);
        assert!(with_cas.is_ok());
        assert!(matches!(
            server_config(reloadable, &[key], true),
            Err(TlsError::NoCertificate { .. })
        ));
    }
}
