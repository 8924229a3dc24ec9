//! HTTPS for `regctl serve`: rustls with the aws-lc-rs provider, the certificate chain and key read
//! from PEM files, ALPN `h2` + `http/1.1`, optional client certificates (`http.tls.clientcas`).
//!
//! The server certificate is not baked into the `ServerConfig`: it comes from [`ReloadableCert`], a
//! `ResolvesServerCert` whose certificate can be replaced while connections are being served (a
//! renewed certificate on disk, or one obtained by ACME), so a renewal never needs a restart.
//!
//! With `http.tls.letsencrypt` the resolver is [`AcmeResolver`]: handshakes offering `acme-tls/1`
//! get the TLS-ALPN-01 challenge certificate of a pending validation (and nothing else), every
//! other handshake the current certificate, and `acme-tls/1` is the server's first ALPN choice so
//! that such a handshake always negotiates it and the connection is closed unserved.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::certs::challenge::{offers_acme_tls, ChallengeResponder, ACME_TLS_ALPN_PROTOCOL};

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
/// so a reload never blocks handshakes for longer than a pointer swap. An [`empty`](Self::empty)
/// one completes no handshake until a certificate is put in.
#[derive(Debug)]
pub struct ReloadableCert {
    certificate: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Option<Arc<CertifiedKey>>>,
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
            current: RwLock::new(Some(Arc::new(loaded))),
        })
    }

    /// No certificate yet (an ACME certificate not obtained so far); [`reload`](Self::reload) reads
    /// `certificate` and `key` once they exist.
    #[must_use]
    pub fn empty(certificate: &Path, key: &Path, provider: Arc<CryptoProvider>) -> Self {
        Self {
            certificate: certificate.to_owned(),
            key: key.to_owned(),
            provider,
            current: RwLock::new(None),
        }
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
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(certified);
    }

    /// The certificate currently served, if there is one yet.
    #[must_use]
    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current()
    }
}

/// The certificate resolver of a server answering TLS-ALPN-01 validations itself.
#[derive(Debug)]
pub struct AcmeResolver {
    certs: Arc<ReloadableCert>,
    challenges: ChallengeResponder,
}

impl ResolvesServerCert for AcmeResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // A handshake offering `acme-tls/1` negotiates it (it is our first choice), so it must
        // never get the real certificate: the challenge certificate of a pending name, or none.
        if offers_acme_tls(&client_hello) {
            return self.challenges.resolve_tls_alpn01(&client_hello);
        }
        self.certs.current()
    }
}

/// Builds the rustls server configuration: the reloadable certificate, client certificate
/// verification when `client_cas` is not empty, ALPN `h2` (unless `http2`) and `http/1.1`. With
/// `acme`, TLS-ALPN-01 validations are answered from it and `acme-tls/1` leads the ALPN list.
///
/// # Errors
/// When a client CA file cannot be read or used.
pub fn server_config(
    certs: Arc<ReloadableCert>,
    client_cas: &[PathBuf],
    http2: bool,
    acme: Option<&ChallengeResponder>,
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
    let mut config = match acme {
        Some(challenges) => builder.with_cert_resolver(Arc::new(AcmeResolver {
            certs,
            challenges: challenges.clone(),
        })),
        None => builder.with_cert_resolver(certs),
    };
    config.alpn_protocols = Vec::with_capacity(3);
    if acme.is_some() {
        config.alpn_protocols.push(ACME_TLS_ALPN_PROTOCOL.to_vec());
    }
    if http2 {
        config.alpn_protocols.push(b"h2".to_vec());
    }
    config.alpn_protocols.push(b"http/1.1".to_vec());
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
    let matches = crate::certs::keypair::check_der_matches(&chain[0], &private_key);
    let signing_key = provider
        .key_provider
        .load_private_key(private_key)
        .map_err(|source| TlsError::UnsupportedKey {
            path: key.to_owned(),
            source,
        })?;
    match matches {
        Err(crate::certs::keypair::KeyMismatch::Different) => Err(TlsError::KeyMismatch {
            certificate: certificate.to_owned(),
            key: key.to_owned(),
        }),
        // A key rustls can sign with but the comparison cannot read: nothing to compare.
        Ok(()) | Err(_) => Ok(CertifiedKey::new(chain, signing_key)),
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
        let before = reloadable.current().unwrap();

        let second = self_signed("second.test");
        write(dir.path(), "tls.crt", &second.cert_pem);
        write(dir.path(), "tls.key", &second.key_pem);
        reloadable.reload().unwrap();
        let after = reloadable.current().unwrap();
        assert_ne!(before.cert[0], after.cert[0]);

        // a broken file on reload keeps the certificate in use
        write(dir.path(), "tls.key", "not pem");
        assert!(matches!(
            reloadable.reload(),
            Err(TlsError::NoPrivateKey { .. })
        ));
        assert_eq!(reloadable.current().unwrap().cert[0], after.cert[0]);

        let config = server_config(Arc::new(reloadable), &[], true, None).unwrap();
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
        let config = server_config(Arc::clone(&reloadable), &[], false, None).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        // Answering TLS-ALPN-01: `acme-tls/1` is the first choice, so a client offering it always
        // negotiates it (and the connection is closed unserved).
        let responder = ChallengeResponder::new();
        let acme = server_config(Arc::clone(&reloadable), &[], true, Some(&responder)).unwrap();
        assert_eq!(
            acme.alpn_protocols,
            vec![
                ACME_TLS_ALPN_PROTOCOL.to_vec(),
                b"h2".to_vec(),
                b"http/1.1".to_vec()
            ]
        );
        // a CA bundle for client certificates is accepted; a file without certificates is not
        let with_cas = server_config(
            Arc::clone(&reloadable),
            std::slice::from_ref(&cert),
            true,
            None,
        );
        assert!(with_cas.is_ok());
        assert!(matches!(
            server_config(reloadable, &[key], true, None),
            Err(TlsError::NoCertificate { .. })
        ));
    }
}
