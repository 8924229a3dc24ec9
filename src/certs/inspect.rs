//! Reading certificates back: who they name, who issued them and how long they stay valid.

use std::path::Path;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer as _, X509Certificate};

use super::{read_file, CertError, SubjectName};

/// With this many days left or fewer, `regctl cert show` warns.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// What a person (or a script) wants to know about one certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// Subject alternative names: DNS names and IP addresses.
    pub sans: Vec<String>,
    #[serde(serialize_with = "serialize_time")]
    pub not_before: OffsetDateTime,
    #[serde(serialize_with = "serialize_time")]
    pub not_after: OffsetDateTime,
    /// Days until `not_after`, a started day counting as one (so a fresh 825-day certificate
    /// shows 825); zero or negative once expired.
    pub days_left: i64,
    pub is_ca: bool,
    pub serial: String,
    #[serde(skip)]
    names: Vec<SubjectName>,
}

impl CertSummary {
    /// Summarizes a DER certificate as seen at `now`.
    ///
    /// # Errors
    /// When the DER is not an X.509 certificate; `origin` names the file in the message.
    pub fn from_der(der: &[u8], origin: &Path, now: OffsetDateTime) -> Result<Self, CertError> {
        let bad = |source: Box<dyn std::error::Error + Send + Sync>| CertError::BadCertificate {
            path: origin.to_owned(),
            source,
        };
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| bad(e.to_string().into()))?;
        let not_before = to_datetime(cert.validity().not_before.timestamp()).map_err(bad)?;
        let not_after = to_datetime(cert.validity().not_after.timestamp()).map_err(bad)?;
        let names = subject_names(&cert);
        Ok(Self {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            sans: names.iter().map(ToString::to_string).collect(),
            not_before,
            not_after,
            days_left: days_left(not_after, now),
            is_ca: cert
                .basic_constraints()
                .ok()
                .flatten()
                .is_some_and(|bc| bc.value.ca),
            serial: cert.raw_serial_as_string(),
            names,
        })
    }

    /// Whether a client connecting to `host` accepts this certificate's names.
    #[must_use]
    pub fn covers(&self, host: &SubjectName) -> bool {
        self.names.iter().any(|name| name.matches(host))
    }

    /// Whether the certificate is valid at `now` for at least `margin` more.
    #[must_use]
    pub fn valid_for(&self, now: OffsetDateTime, margin: time::Duration) -> bool {
        self.not_before <= now && now + margin < self.not_after
    }
}

fn to_datetime(
    unix_seconds: i64,
) -> Result<OffsetDateTime, Box<dyn std::error::Error + Send + Sync>> {
    OffsetDateTime::from_unix_timestamp(unix_seconds).map_err(Into::into)
}

fn days_left(not_after: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let seconds = (not_after - now).whole_seconds();
    seconds.div_euclid(86_400) + i64::from(seconds.rem_euclid(86_400) > 0)
}

fn serialize_time<S: serde::Serializer>(at: &OffsetDateTime, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(&format_time(*at))
}

/// Formats a timestamp the way every regctl table does.
#[must_use]
pub fn format_time(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

fn subject_names(cert: &X509Certificate<'_>) -> Vec<SubjectName> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(SubjectName::Dns(dns.to_ascii_lowercase())),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(SubjectName::Ip),
            _ => None,
        })
        .collect()
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(Into::into),
        16 => <[u8; 16]>::try_from(bytes).ok().map(Into::into),
        _ => None,
    }
}

/// Every certificate in a PEM buffer, in order (leaf first in a chain file).
///
/// # Errors
/// [`CertError::NoCertificate`] when there is none, [`CertError::BadCertificate`] when the PEM is
/// malformed.
pub fn parse_pem_chain(
    pem: &[u8],
    origin: &Path,
) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertError::BadCertificate {
            path: origin.to_owned(),
            source: Box::new(e),
        })?;
    if chain.is_empty() {
        return Err(CertError::NoCertificate {
            path: origin.to_owned(),
        });
    }
    Ok(chain)
}

/// Summaries of every certificate in a PEM file, leaf first.
///
/// # Errors
/// When the file cannot be read or holds no parseable certificate.
pub fn inspect_file(path: &Path, now: OffsetDateTime) -> Result<Vec<CertSummary>, CertError> {
    let pem = read_file(path)?;
    parse_pem_chain(&pem, path)?
        .iter()
        .map(|der| CertSummary::from_der(der, path, now))
        .collect()
}

/// Things worth telling the operator about a served certificate.
#[must_use]
pub fn warnings(
    leaf: &CertSummary,
    served_host: Option<&SubjectName>,
    now: OffsetDateTime,
) -> Vec<String> {
    let mut out = Vec::new();
    if leaf.not_after <= now {
        out.push(format!(
            "the certificate expired on {}",
            format_time(leaf.not_after)
        ));
    } else if leaf.days_left <= EXPIRY_WARNING_DAYS {
        out.push(format!(
            "the certificate expires in {} days ({}); renew it",
            leaf.days_left,
            format_time(leaf.not_after)
        ));
    }
    if let Some(host) = served_host {
        if !leaf.covers(host) {
            out.push(format!(
                "the certificate does not cover the configured http.host `{host}` (it names: {})",
                if leaf.sans.is_empty() {
                    "nothing".to_owned()
                } else {
                    leaf.sans.join(", ")
                }
            ));
        }
    }
    out
}
