//! Whether a private key belongs to a certificate: the one comparison `config validate`, the
//! self-signed CA loader, ACME's issued pairs and the TLS server use. A key belongs to a
//! certificate when the public key derived from it is the certificate's subject public key.

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::PrivateKeyDer;
use x509_parser::prelude::{FromDer as _, X509Certificate};

/// Why a key and a certificate could not be shown to belong together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMismatch {
    #[error("no PEM CERTIFICATE block found")]
    NoCertificate,
    #[error("the certificate cannot be parsed: {0}")]
    BadCertificate(String),
    #[error("no PEM private key found ({0})")]
    NoKey(String),
    #[error("the private key cannot be used: {0}")]
    BadKey(String),
    #[error("the private key does not belong to the certificate (different public key)")]
    Different,
}

/// Checks that `key_pem` (PKCS#8, PKCS#1 or SEC1) is the key of the first certificate in
/// `cert_pem` (a leaf-first chain).
///
/// # Errors
/// When either cannot be read, or the public keys differ ([`KeyMismatch::Different`]).
pub fn check_key_matches(cert_pem: &[u8], key_pem: &[u8]) -> Result<(), KeyMismatch> {
    let cert = first_certificate_der(cert_pem)?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| KeyMismatch::NoKey(e.to_string()))?;
    check_der_matches(&cert, &key)
}

/// [`check_key_matches`] on DER: a certificate and a private key.
///
/// # Errors
/// As [`check_key_matches`].
pub fn check_der_matches(cert_der: &[u8], key: &PrivateKeyDer<'_>) -> Result<(), KeyMismatch> {
    let pair = rcgen::KeyPair::try_from(key).map_err(|e| KeyMismatch::BadKey(e.to_string()))?;
    check_pair_matches(cert_der, &pair)
}

/// [`check_key_matches`] with a key already loaded.
///
/// # Errors
/// As [`check_key_matches`].
pub fn check_pair_matches(cert_der: &[u8], key: &rcgen::KeyPair) -> Result<(), KeyMismatch> {
    if subject_public_key(cert_der)? == key.public_key_raw() {
        Ok(())
    } else {
        Err(KeyMismatch::Different)
    }
}

/// The subject public key bits of a DER certificate.
///
/// # Errors
/// When it is not a certificate.
pub fn subject_public_key(cert_der: &[u8]) -> Result<Vec<u8>, KeyMismatch> {
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|e| KeyMismatch::BadCertificate(e.to_string()))?;
    Ok(cert.public_key().subject_public_key.data.to_vec())
}

fn first_certificate_der(pem: &[u8]) -> Result<Vec<u8>, KeyMismatch> {
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let block =
            block.map_err(|e| KeyMismatch::BadCertificate(format!("not a PEM file: {e}")))?;
        if block.label == "CERTIFICATE" {
            return Ok(block.contents);
        }
    }
    Err(KeyMismatch::NoCertificate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["r.test".to_owned()]).unwrap();
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    }

    #[test]
    fn a_key_matches_its_certificate_only() {
        let (cert, key) = pair();
        let (other_cert, other_key) = pair();
        assert_eq!(check_key_matches(cert.as_bytes(), key.as_bytes()), Ok(()));
        assert_eq!(
            check_key_matches(cert.as_bytes(), other_key.as_bytes()),
            Err(KeyMismatch::Different)
        );
        assert_eq!(
            check_key_matches(other_cert.as_bytes(), key.as_bytes()),
            Err(KeyMismatch::Different)
        );
        assert_eq!(
            check_key_matches(key.as_bytes(), key.as_bytes()),
            Err(KeyMismatch::NoCertificate)
        );
        assert!(matches!(
            check_key_matches(cert.as_bytes(), cert.as_bytes()),
            Err(KeyMismatch::NoKey(_))
        ));
    }
}
