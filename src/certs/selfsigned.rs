//! A private CA and a server certificate signed by it, for registries that are not reachable by a
//! public ACME CA (LAN addresses, internal names).
//!
//! The CA is the part clients are told to trust, so it is reused whenever it is still usable: only
//! the server certificate changes on a second run, and clients keep working.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use super::inspect::{parse_pem_chain, CertSummary};
use super::{read_file, write_file, CertError, SubjectName, PRIVATE_MODE, PUBLIC_MODE};

/// Leaf validity when `--days` is not given: the longest Apple platforms accept for a server
/// certificate issued by a private CA.
pub const DEFAULT_LEAF_DAYS: u32 = 825;
/// The CA outlives many leaves so that clients configured once keep trusting new server certs.
pub const CA_DAYS: u32 = 3650;
/// A CA closer than this to expiry is not worth issuing from: replace it.
const CA_MIN_REMAINING: Duration = Duration::days(1);
/// Tolerate clients whose clock is a little behind ours.
const BACKDATE: Duration = Duration::hours(1);

/// The four files of a self-signed set, by name inside one directory.
#[derive(Debug, Clone)]
pub struct SelfSignedFiles {
    pub dir: PathBuf,
}

impl SelfSignedFiles {
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    /// The CA certificate to install on clients.
    #[must_use]
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }
    #[must_use]
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }
    /// The leaf followed by the CA: what the server presents (`http.tls.certificate`).
    #[must_use]
    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("server.crt")
    }
    /// `http.tls.key`.
    #[must_use]
    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server.key")
    }
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct SelfSignedRequest {
    pub dir: PathBuf,
    /// Every name clients use to reach the server; the first one is also the subject CN.
    pub hosts: Vec<SubjectName>,
    pub leaf_days: u32,
    /// Create a new CA even when a usable one exists (clients must then trust the new one).
    pub replace_ca: bool,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct SelfSignedOutcome {
    pub files: SelfSignedFiles,
    /// False when a new CA was created (clients must be given the new `ca.crt`).
    pub ca_reused: bool,
    pub leaf_not_after: OffsetDateTime,
    /// True when `--days` asked for more than the reused CA has left, so the leaf ends with it.
    pub leaf_capped_by_ca: bool,
}

/// Creates (or reuses) the CA in `request.dir` and issues a new server certificate signed by it.
///
/// # Errors
/// Invalid requests, an unusable existing CA (half present, expired, key not matching), or I/O.
pub fn issue(
    request: &SelfSignedRequest,
    now: OffsetDateTime,
) -> Result<SelfSignedOutcome, CertError> {
    if request.hosts.is_empty() {
        return Err(CertError::NoHosts);
    }
    let files = SelfSignedFiles::new(&request.dir);
    let existing = if request.replace_ca {
        None
    } else {
        load_ca(&files, now)?
    };
    let ca_reused = existing.is_some();
    let ca = match existing {
        Some(ca) => ca,
        None => {
            let (ca, ca_key_pem) = new_ca(&request.hosts[0], now)?;
            // Key first: a crash in between leaves a key without a certificate, which the next
            // run reports instead of pairing a new certificate with a foreign key.
            write_file(&files.ca_key(), ca_key_pem.as_bytes(), PRIVATE_MODE)?;
            write_file(&files.ca_cert(), ca.pem.as_bytes(), PUBLIC_MODE)?;
            ca
        }
    };

    // A leaf outliving its CA would stop verifying when the CA expires anyway; say so instead.
    let requested_not_after = now + Duration::days(i64::from(request.leaf_days));
    let leaf_not_after = requested_not_after.min(ca.not_after);
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf_params(&request.hosts, now, leaf_not_after).signed_by(&leaf_key, &ca.issuer)?;
    let mut chain = leaf.pem();
    chain.push_str(&ca.pem);
    write_file(
        &files.server_key(),
        leaf_key.serialize_pem().as_bytes(),
        PRIVATE_MODE,
    )?;
    write_file(&files.server_cert(), chain.as_bytes(), PUBLIC_MODE)?;
    Ok(SelfSignedOutcome {
        files,
        ca_reused,
        leaf_not_after,
        leaf_capped_by_ca: leaf_not_after < requested_not_after,
    })
}

struct LoadedCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
    not_after: OffsetDateTime,
}

/// The existing CA, if the directory holds one; an error if it holds half of one or a bad one.
fn load_ca(files: &SelfSignedFiles, now: OffsetDateTime) -> Result<Option<LoadedCa>, CertError> {
    let (cert_path, key_path) = (files.ca_cert(), files.ca_key());
    match (cert_path.exists(), key_path.exists()) {
        (false, false) => return Ok(None),
        (true, false) => {
            return Err(CertError::PartialCa {
                dir: files.dir.clone(),
                present: "ca.crt",
                missing: "ca.key",
            })
        }
        (false, true) => {
            return Err(CertError::PartialCa {
                dir: files.dir.clone(),
                present: "ca.key",
                missing: "ca.crt",
            })
        }
        (true, true) => {}
    }
    let unusable = |reason: String| CertError::UnusableCa {
        dir: files.dir.clone(),
        reason,
    };
    let cert_pem = String::from_utf8(read_file(&cert_path)?)
        .map_err(|_| unusable("ca.crt is not PEM text".into()))?;
    let key_pem = String::from_utf8(read_file(&key_path)?)
        .map_err(|_| unusable("ca.key is not PEM text".into()))?;
    let key = KeyPair::from_pem(&key_pem).map_err(|e| CertError::BadKey {
        path: key_path.clone(),
        source: Box::new(e),
    })?;

    let der = parse_pem_chain(cert_pem.as_bytes(), &cert_path)?
        .into_iter()
        .next()
        .ok_or_else(|| CertError::NoCertificate {
            path: cert_path.clone(),
        })?;
    let summary = CertSummary::from_der(&der, &cert_path, now)?;
    if !summary.is_ca {
        return Err(unusable("ca.crt is not a CA certificate".into()));
    }
    if summary.not_after - now < CA_MIN_REMAINING {
        return Err(unusable(format!(
            "ca.crt expires on {}",
            super::inspect::format_time(summary.not_after)
        )));
    }
    match super::keypair::check_pair_matches(&der, &key) {
        Ok(()) => {}
        Err(super::keypair::KeyMismatch::Different) => {
            return Err(unusable("ca.key does not belong to ca.crt".into()))
        }
        Err(other) => {
            return Err(CertError::BadCertificate {
                path: cert_path.clone(),
                source: other.into(),
            })
        }
    }
    let issuer = Issuer::from_ca_cert_der(&der, key)?;
    Ok(Some(LoadedCa {
        pem: cert_pem,
        issuer,
        not_after: summary.not_after,
    }))
}

/// A new CA and its private key PEM.
fn new_ca(first_host: &SubjectName, now: OffsetDateTime) -> Result<(LoadedCa, String), CertError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "regctl");
    dn.push(DnType::CommonName, format!("regctl CA for {first_host}"));
    params.distinguished_name = dn;
    // Path length 0: this CA signs server certificates only, never another CA.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - BACKDATE;
    params.not_after = now + Duration::days(i64::from(CA_DAYS));
    params.serial_number = Some(random_serial());
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let key_pem = key.serialize_pem();
    let not_after = params.not_after;
    Ok((
        LoadedCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
            not_after,
        },
        key_pem,
    ))
}

fn leaf_params(
    hosts: &[SubjectName],
    now: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, hosts[0].to_string());
    params.distinguished_name = dn;
    params.subject_alt_names = hosts
        .iter()
        .filter_map(|host| match host {
            SubjectName::Dns(name) => name.clone().try_into().ok().map(SanType::DnsName),
            SubjectName::Ip(ip) => Some(SanType::IpAddress(*ip)),
        })
        .collect();
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - BACKDATE;
    params.not_after = not_after;
    params.serial_number = Some(random_serial());
    params
}

/// 16 random bytes, positive and non-zero as RFC 5280 requires.
fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::from_slice(&bytes)
}

/// `certs/` beside the config file: where `regctl init` and `serve` expect certificates.
#[must_use]
pub fn default_dir(config_path: &Path) -> PathBuf {
    match config_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("certs"),
        _ => PathBuf::from("certs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::{FromDer as _, X509Certificate};

    fn request(dir: &Path, replace_ca: bool) -> SelfSignedRequest {
        SelfSignedRequest {
            dir: dir.to_owned(),
            hosts: vec![
                SubjectName::parse("registry.test").unwrap(),
                SubjectName::parse("10.0.0.5").unwrap(),
            ],
            leaf_days: 30,
            replace_ca,
        }
    }

    #[test]
    fn reuses_ca_and_rejects_half_a_ca() {
        let tmp = tempfile::tempdir().unwrap();
        let now = OffsetDateTime::now_utc();
        let first = issue(&request(tmp.path(), false), now).unwrap();
        assert!(!first.ca_reused);
        let ca = std::fs::read(first.files.ca_cert()).unwrap();
        let second = issue(&request(tmp.path(), false), now).unwrap();
        assert!(second.ca_reused);
        assert_eq!(std::fs::read(second.files.ca_cert()).unwrap(), ca);

        std::fs::remove_file(second.files.ca_key()).unwrap();
        let err = issue(&request(tmp.path(), false), now).unwrap_err();
        assert!(matches!(err, CertError::PartialCa { .. }), "{err}");
        let third = issue(&request(tmp.path(), true), now).unwrap();
        assert!(!third.ca_reused);
        assert_ne!(std::fs::read(third.files.ca_cert()).unwrap(), ca);
    }

    #[test]
    fn rejects_a_key_from_another_ca() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let now = OffsetDateTime::now_utc();
        issue(&request(a.path(), false), now).unwrap();
        issue(&request(b.path(), false), now).unwrap();
        std::fs::copy(b.path().join("ca.key"), a.path().join("ca.key")).unwrap();
        let err = issue(&request(a.path(), false), now).unwrap_err();
        assert!(err.to_string().contains("does not belong"), "{err}");
    }

    #[test]
    fn leaf_chains_to_the_ca_it_was_signed_by() {
        let tmp = tempfile::tempdir().unwrap();
        let now = OffsetDateTime::now_utc();
        let out = issue(&request(tmp.path(), false), now).unwrap();
        let chain = std::fs::read(out.files.server_cert()).unwrap();
        let certs = parse_pem_chain(&chain, Path::new("server.crt")).unwrap();
        assert_eq!(certs.len(), 2);
        let (_, leaf) = X509Certificate::from_der(&certs[0]).unwrap();
        let (_, ca) = X509Certificate::from_der(&certs[1]).unwrap();
        assert_eq!(leaf.issuer(), ca.subject());
        leaf.verify_signature(Some(ca.public_key())).unwrap();
    }
}
