//! The private CA a TLS registry is signed by: checked to be PEM certificates (and nothing else,
//! so a private key is never installed as `ca.crt`), then installed with an ownership line.

use x509_parser::pem::Pem;

use super::OWNER_MARKER;

/// Why a `--ca-file` was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("it contains no PEM certificate (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("it is not valid PEM")]
    Pem(#[source] x509_parser::prelude::PEMError),
    #[error("it contains a `{0}` PEM block; a CA file must hold only certificates")]
    NotACertificate(String),
    #[error("certificate {index} does not parse")]
    Unparsable {
        index: usize,
        #[source]
        source: x509_parser::nom::Err<x509_parser::error::X509Error>,
    },
}

/// What the user should know about the certificates in a CA file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaCertificate {
    pub subject: String,
    pub is_ca: bool,
    pub not_after: String,
    pub expired: bool,
}

/// Parses every PEM block of `pem` and requires each to be an X.509 certificate.
///
/// # Errors
/// No certificate, invalid PEM, a non-certificate block or an unparsable certificate.
pub fn inspect(pem: &[u8]) -> Result<Vec<CaCertificate>, CaError> {
    let mut certs = Vec::new();
    for (index, block) in Pem::iter_from_buffer(pem).enumerate() {
        let block = block.map_err(CaError::Pem)?;
        if block.label != "CERTIFICATE" {
            return Err(CaError::NotACertificate(block.label));
        }
        let cert = block.parse_x509().map_err(|source| CaError::Unparsable {
            index: index + 1,
            source,
        })?;
        certs.push(CaCertificate {
            subject: cert.subject().to_string(),
            is_ca: cert.is_ca(),
            not_after: cert.validity().not_after.to_string(),
            expired: cert.validity().not_after.timestamp()
                < time::OffsetDateTime::now_utc().unix_timestamp(),
        });
    }
    if certs.is_empty() {
        return Err(CaError::NoCertificate);
    }
    Ok(certs)
}

/// The installed `ca.crt`: an ownership line (PEM readers, Go's included, skip text before
/// `-----BEGIN`) and then the user's file unchanged.
#[must_use]
pub fn installed_content(registry: &str, pem: &[u8]) -> String {
    let mut text = format!(
        "{OWNER_MARKER}: CA of {registry}; `regctl client-setup --remove {registry}` deletes it.\n{}",
        String::from_utf8_lossy(pem)
    );
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Whether two PEM texts hold the same certificates (ignoring text around the blocks), so a CA a
/// user installed by hand is recognised as already in place.
#[must_use]
pub fn same_certificates(a: &[u8], b: &[u8]) -> bool {
    let ders = |pem: &[u8]| -> Option<Vec<Vec<u8>>> {
        Pem::iter_from_buffer(pem)
            .map(|block| block.ok().map(|b| b.contents))
            .collect()
    };
    match (ders(a), ders(b)) {
        (Some(a), Some(b)) => !a.is_empty() && a == b,
        _ => false,
    }
}
