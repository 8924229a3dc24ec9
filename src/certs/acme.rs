//! Certificates from an ACME CA (Let's Encrypt, or any RFC 8555 server such as pebble), and the
//! renewal decision.
//!
//! `regctl cert acme` calls [`ensure_certificate`] once; `regctl serve` with
//! `http.tls.letsencrypt` calls it at start and then periodically, answering the challenges through
//! the same [`ChallengeResponder`] its listeners consult, and hot-swaps the returned certificate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, LetsEncrypt,
    NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use rcgen::{CertificateParams, DistinguishedName, KeyPair, SanType};
use time::OffsetDateTime;

use super::challenge::{tls_alpn01_certificate, tls_alpn01_server_name, ChallengeResponder};
use super::inspect::{parse_pem_chain, CertSummary};
use super::{read_file, write_file, CertError, SubjectName, PRIVATE_MODE, PUBLIC_MODE};

/// Let's Encrypt's production directory: the default of `regctl cert acme`.
#[must_use]
pub fn letsencrypt_production() -> &'static str {
    LetsEncrypt::Production.url()
}

/// Let's Encrypt's staging directory (`--staging`): untrusted certificates, generous rate limits.
#[must_use]
pub fn letsencrypt_staging() -> &'static str {
    LetsEncrypt::Staging.url()
}

/// Renew when less than this is left: Let's Encrypt's own advice for 90-day certificates.
pub const DEFAULT_RENEW_BEFORE: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// How to prove control of the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// A token served over plain HTTP on port 80.
    Http01,
    /// A special certificate presented on port 443 to clients offering `acme-tls/1`.
    TlsAlpn01,
}

impl ChallengeKind {
    fn acme_type(self) -> ChallengeType {
        match self {
            Self::Http01 => ChallengeType::Http01,
            Self::TlsAlpn01 => ChallengeType::TlsAlpn01,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http01 => "http-01",
            Self::TlsAlpn01 => "tls-alpn-01",
        }
    }
}

impl FromStr for ChallengeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "http-01" => Ok(Self::Http01),
            "tls-alpn-01" => Ok(Self::TlsAlpn01),
            other => Err(format!(
                "unknown challenge type `{other}` (use http-01 or tls-alpn-01)"
            )),
        }
    }
}

impl std::fmt::Display for ChallengeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which certificate to obtain, from where.
#[derive(Debug, Clone)]
pub struct AcmeRequest {
    /// The ACME directory URL (`http.tls.letsencrypt.directoryurl`).
    pub directory_url: String,
    /// Contact address for expiry notices (`http.tls.letsencrypt.email`).
    pub email: Option<String>,
    /// The names the certificate must cover (`http.tls.letsencrypt.hosts`).
    pub hosts: Vec<SubjectName>,
    /// A PEM root to trust for the ACME server's own HTTPS (a private CA such as pebble); `None`
    /// uses the system's roots.
    pub ca_root: Option<PathBuf>,
    pub challenge: ChallengeKind,
}

/// A certificate chain (leaf first) and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    pub chain_pem: String,
    pub key_pem: String,
}

impl Issued {
    /// The chain and key as rustls serves them: what a hot-swapping certificate resolver installs.
    ///
    /// # Errors
    /// When the PEM holds no certificate, no usable key, or a key that is not the certificate's.
    pub fn certified_key(&self) -> Result<rustls::sign::CertifiedKey, CertError> {
        use rustls_pki_types::pem::PemObject as _;
        let origin = Path::new("issued certificate");
        let chain = parse_pem_chain(self.chain_pem.as_bytes(), origin)?;
        let bad_key = |source: Box<dyn std::error::Error + Send + Sync>| CertError::BadKey {
            path: Path::new("issued key").to_owned(),
            source,
        };
        let key_der = rustls_pki_types::PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| bad_key(Box::new(e)))?;
        let signing_key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key_der)?;
        let leaf = chain.first().ok_or_else(|| CertError::NoCertificate {
            path: origin.to_owned(),
        })?;
        super::keypair::check_der_matches(leaf, &key_der).map_err(|e| bad_key(Box::new(e)))?;
        Ok(rustls::sign::CertifiedKey::new(chain, signing_key))
    }
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Where an ACME certificate, its key and the ACME account live on disk.
#[derive(Debug, Clone)]
pub struct CertStore {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    /// The ACME account credentials (JSON, one account per directory URL; mode 0600).
    pub account_path: PathBuf,
}

impl CertStore {
    /// `server.crt`, `server.key` and `acme-account.json` in `dir` (what `regctl cert acme --dir`
    /// writes; the first two are what `http.tls.certificate`/`key` point at).
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            cert_path: dir.join("server.crt"),
            key_path: dir.join("server.key"),
            account_path: dir.join("acme-account.json"),
        }
    }

    /// For `http.tls.letsencrypt.cachefile`: the account is the cache file itself and the
    /// certificate and key sit beside it with `.crt` and `.key` in place of its extension
    /// (`/var/lib/regctl/letsencrypt.json` → `letsencrypt.crt`, `letsencrypt.key`).
    #[must_use]
    pub fn for_cachefile(cachefile: &Path) -> Self {
        Self {
            cert_path: cachefile.with_extension("crt"),
            key_path: cachefile.with_extension("key"),
            account_path: cachefile.to_owned(),
        }
    }

    /// The stored certificate and key, or `None` when either file is missing.
    ///
    /// # Errors
    /// When a file exists but cannot be read or is not UTF-8 PEM.
    pub fn load(&self) -> Result<Option<Issued>, CertError> {
        if !self.cert_path.exists() || !self.key_path.exists() {
            return Ok(None);
        }
        let text = |path: &Path| {
            String::from_utf8(read_file(path)?).map_err(|e| CertError::BadCertificate {
                path: path.to_owned(),
                source: Box::new(e),
            })
        };
        Ok(Some(Issued {
            chain_pem: text(&self.cert_path)?,
            key_pem: text(&self.key_path)?,
        }))
    }

    /// Writes the certificate and key atomically (the key 0600), key first so that a reader never
    /// sees a new certificate with the old key.
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn save(&self, issued: &Issued) -> Result<(), CertError> {
        write_file(&self.key_path, issued.key_pem.as_bytes(), PRIVATE_MODE)?;
        write_file(&self.cert_path, issued.chain_pem.as_bytes(), PUBLIC_MODE)
    }

    fn load_accounts(&self) -> Result<BTreeMap<String, serde_json::Value>, CertError> {
        if !self.account_path.exists() {
            return Ok(BTreeMap::new());
        }
        let bytes = read_file(&self.account_path)?;
        let cache: AccountCache =
            serde_json::from_slice(&bytes).map_err(|source| CertError::AccountCache {
                path: self.account_path.clone(),
                source,
            })?;
        Ok(cache.accounts)
    }

    fn account_credentials(
        &self,
        directory_url: &str,
    ) -> Result<Option<AccountCredentials>, CertError> {
        let Some(value) = self.load_accounts()?.remove(directory_url) else {
            return Ok(None);
        };
        serde_json::from_value(value)
            .map(Some)
            .map_err(|source| CertError::AccountCache {
                path: self.account_path.clone(),
                source,
            })
    }

    fn save_account(
        &self,
        directory_url: &str,
        credentials: &AccountCredentials,
    ) -> Result<(), CertError> {
        let invalid = |source| CertError::AccountCache {
            path: self.account_path.clone(),
            source,
        };
        let mut accounts = self.load_accounts()?;
        accounts.insert(
            directory_url.to_owned(),
            serde_json::to_value(credentials).map_err(invalid)?,
        );
        let mut text = serde_json::to_vec_pretty(&AccountCache { accounts }).map_err(invalid)?;
        text.push(b'\n');
        write_file(&self.account_path, &text, PRIVATE_MODE)
    }
}

/// One ACME account per directory URL, so switching between staging and production (or a test
/// server) never reuses credentials the other server does not know.
#[derive(serde::Serialize, serde::Deserialize)]
struct AccountCache {
    accounts: BTreeMap<String, serde_json::Value>,
}

/// Whether a certificate must be replaced at `now`: it cannot be parsed, is not yet valid, or has
/// less than `before` left.
#[must_use]
pub fn needs_renewal(cert_pem: &str, now: OffsetDateTime, before: std::time::Duration) -> bool {
    let origin = Path::new("certificate");
    let Ok(chain) = parse_pem_chain(cert_pem.as_bytes(), origin) else {
        return true;
    };
    let Some(Ok(leaf)) = chain
        .first()
        .map(|der| CertSummary::from_der(der, origin, now))
    else {
        return true;
    };
    let margin = time::Duration::try_from(before).unwrap_or(time::Duration::MAX);
    !leaf.valid_for(now, margin)
}

/// Whether a stored certificate covers every requested name (a changed host list forces a new
/// order even when the old certificate is far from expiry).
#[must_use]
pub fn covers_all(cert_pem: &str, hosts: &[SubjectName]) -> bool {
    let origin = Path::new("certificate");
    let now = OffsetDateTime::now_utc();
    parse_pem_chain(cert_pem.as_bytes(), origin)
        .ok()
        .and_then(|chain| chain.first().cloned())
        .and_then(|der| CertSummary::from_der(&der, origin, now).ok())
        .is_some_and(|leaf| hosts.iter().all(|host| leaf.covers(host)))
}

/// The outcome of [`ensure_certificate`].
#[derive(Debug, Clone)]
pub struct Ensured {
    pub issued: Issued,
    /// True when a new certificate was obtained (and saved); false when the stored one was kept.
    pub obtained: bool,
}

/// The single entry point for "have a valid certificate": keeps the stored one while it covers the
/// hosts and has more than `renew_before` left, otherwise obtains a new one (answering challenges
/// through `responder`) and saves it in `store`.
///
/// # Errors
/// Any failure of [`obtain`] or of reading/writing the store.
pub async fn ensure_certificate(
    request: &AcmeRequest,
    store: &CertStore,
    responder: &ChallengeResponder,
    renew_before: std::time::Duration,
    now: OffsetDateTime,
) -> Result<Ensured, CertError> {
    if let Some(existing) = store.load()? {
        if !needs_renewal(&existing.chain_pem, now, renew_before)
            && covers_all(&existing.chain_pem, &request.hosts)
        {
            return Ok(Ensured {
                issued: existing,
                obtained: false,
            });
        }
    }
    let issued = obtain(request, store, responder).await?;
    store.save(&issued)?;
    Ok(Ensured {
        issued,
        obtained: true,
    })
}

/// How long to wait for the ACME server to validate and to issue; Let's Encrypt usually needs a
/// few seconds, but its queue can take longer.
fn retry_policy() -> RetryPolicy {
    RetryPolicy::new().timeout(std::time::Duration::from_secs(180))
}

fn acme_err(step: &'static str) -> impl FnOnce(instant_acme::Error) -> CertError {
    move |source| CertError::Acme { step, source }
}

/// Runs one ACME order for `request.hosts` and returns the issued chain and a fresh key. The
/// account is restored from (or created and saved to) `store`'s account file. Challenge responses
/// are published in `responder` for the duration of the order; whoever serves it (the listeners of
/// [`super::challenge`] or `regctl serve`) must already be reachable.
///
/// # Errors
/// [`CertError::NoHosts`], ACME protocol failures, or a challenge the server could not validate
/// (with the server's explanation).
pub async fn obtain(
    request: &AcmeRequest,
    store: &CertStore,
    responder: &ChallengeResponder,
) -> Result<Issued, CertError> {
    if request.hosts.is_empty() {
        return Err(CertError::NoHosts);
    }
    let account = account(request, store).await?;
    let identifiers: Vec<Identifier> = request
        .hosts
        .iter()
        .map(|host| match host {
            SubjectName::Dns(name) => Identifier::Dns(name.clone()),
            SubjectName::Ip(ip) => Identifier::Ip(*ip),
        })
        .collect();
    let mut order = account
        .new_order(&NewOrder::new(&identifiers))
        .await
        .map_err(acme_err("creating the order"))?;

    let mut published = Published {
        responder,
        tokens: Vec::new(),
        server_names: Vec::new(),
    };
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz.map_err(acme_err("fetching an authorization"))?;
        match authz.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => {
                return Err(CertError::ValidationFailed {
                    identifier: authz.identifier().to_string(),
                    detail: format!("the authorization is {other:?}"),
                })
            }
        }
        let identifier = subject_of(authz.identifier().identifier);
        let identifier_text = authz.identifier().to_string();
        let mut challenge = authz
            .challenge(request.challenge.acme_type())
            .ok_or_else(|| CertError::ChallengeUnavailable {
                kind: request.challenge.to_string(),
                identifier: identifier_text.clone(),
            })?;
        let key_authorization = challenge.key_authorization();
        match request.challenge {
            ChallengeKind::Http01 => {
                published.add_http01(challenge.token.clone(), key_authorization.as_str());
            }
            ChallengeKind::TlsAlpn01 => {
                let identifier = identifier.ok_or_else(|| CertError::ChallengeUnavailable {
                    kind: request.challenge.to_string(),
                    identifier: identifier_text.clone(),
                })?;
                let key = tls_alpn01_certificate(&identifier, key_authorization.digest().as_ref())?;
                published.add_tls_alpn01(tls_alpn01_server_name(&identifier), Arc::new(key));
            }
        }
        challenge
            .set_ready()
            .await
            .map_err(acme_err("starting the validation"))?;
    }

    let status = match order.poll_ready(&retry_policy()).await {
        Ok(status) => status,
        Err(instant_acme::Error::Api(problem)) => {
            return Err(explain_failure(&mut order, problem.to_string()).await)
        }
        Err(err) => return Err(acme_err("waiting for the validation")(err)),
    };
    if status != OrderStatus::Ready {
        return Err(explain_failure(&mut order, format!("order is {status:?}")).await);
    }
    drop(published);

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.subject_alt_names = request
        .hosts
        .iter()
        .filter_map(|host| match host {
            SubjectName::Dns(name) => name.clone().try_into().ok().map(SanType::DnsName),
            SubjectName::Ip(ip) => Some(SanType::IpAddress(*ip)),
        })
        .collect();
    let csr = params.serialize_request(&key)?;
    order
        .finalize_csr(csr.der())
        .await
        .map_err(acme_err("finalizing the order"))?;
    let chain_pem = order
        .poll_certificate(&retry_policy())
        .await
        .map_err(acme_err("downloading the certificate"))?;
    Ok(Issued {
        chain_pem,
        key_pem: key.serialize_pem(),
    })
}

/// The reason the server gives on the first failed challenge, falling back to `fallback`.
async fn explain_failure(order: &mut instant_acme::Order, fallback: String) -> CertError {
    // An ACME server may publish the failed status a moment before the challenge's error
    // document (pebble sets them under different locks), so look again briefly before falling
    // back to the bare order status.
    for attempt in 0..5 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let mut authorizations = order.authorizations();
        while let Some(Ok(mut authz)) = authorizations.next().await {
            let Ok(state) = authz.refresh().await else {
                continue;
            };
            if state.status == AuthorizationStatus::Valid {
                continue;
            }
            let identifier = state.identifier().to_string();
            if let Some(problem) = state.challenges.iter().find_map(|c| c.error.as_ref()) {
                return CertError::ValidationFailed {
                    identifier,
                    detail: problem.to_string(),
                };
            }
        }
    }
    CertError::OrderNotReady(fallback)
}

fn subject_of(identifier: &Identifier) -> Option<SubjectName> {
    match identifier {
        Identifier::Dns(name) => Some(SubjectName::Dns(name.clone())),
        Identifier::Ip(ip) => Some(SubjectName::Ip(*ip)),
        _ => None,
    }
}

async fn account(request: &AcmeRequest, store: &CertStore) -> Result<Account, CertError> {
    let builder = || match &request.ca_root {
        Some(root) => Account::builder_with_root(root),
        None => Account::builder(),
    };
    if let Some(credentials) = store.account_credentials(&request.directory_url)? {
        return builder()
            .map_err(acme_err("setting up the HTTPS client"))?
            .from_credentials(credentials)
            .await
            .map_err(acme_err("restoring the cached account"));
    }
    let contact = request.email.as_ref().map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let (account, credentials) = builder()
        .map_err(acme_err("setting up the HTTPS client"))?
        .create(
            &NewAccount {
                contact: &contacts,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            request.directory_url.clone(),
            None,
        )
        .await
        .map_err(acme_err("creating the account"))?;
    store.save_account(&request.directory_url, &credentials)?;
    Ok(account)
}

/// Challenge responses published for one order, withdrawn when it is dropped (whatever way the
/// order ends), so a responder shared with `regctl serve` does not accumulate stale entries.
struct Published<'a> {
    responder: &'a ChallengeResponder,
    tokens: Vec<String>,
    server_names: Vec<String>,
}

impl Published<'_> {
    fn add_http01(&mut self, token: String, key_authorization: &str) {
        self.responder
            .add_http01(token.clone(), key_authorization.to_owned());
        self.tokens.push(token);
    }

    fn add_tls_alpn01(&mut self, server_name: String, key: Arc<rustls::sign::CertifiedKey>) {
        self.responder.add_tls_alpn01(server_name.clone(), key);
        self.server_names.push(server_name);
    }
}

impl Drop for Published<'_> {
    fn drop(&mut self) {
        for token in &self.tokens {
            self.responder.remove_http01(token);
        }
        for name in &self.server_names {
            self.responder.remove_tls_alpn01(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair};
    use time::Duration;

    fn cert_valid_between(from: OffsetDateTime, until: OffsetDateTime) -> String {
        let mut params = CertificateParams::new(vec!["registry.test".to_owned()]).unwrap();
        params.not_before = from;
        params.not_after = until;
        params
            .self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .pem()
    }

    #[test]
    fn short_lived_certificate_is_renewed_inside_the_window() {
        let now = OffsetDateTime::now_utc();
        let pem = cert_valid_between(now - Duration::hours(1), now + Duration::hours(6));
        let hour = std::time::Duration::from_secs(3600);
        assert!(!needs_renewal(&pem, now, hour));
        assert!(needs_renewal(&pem, now, 7 * hour));
        // The same certificate, looked at later: it drifts into the window, then expires.
        assert!(needs_renewal(
            &pem,
            now + Duration::hours(5) + Duration::minutes(1),
            hour
        ));
        assert!(needs_renewal(
            &pem,
            now + Duration::hours(7),
            std::time::Duration::ZERO
        ));
    }

    #[test]
    fn not_yet_valid_or_garbage_needs_renewal() {
        let now = OffsetDateTime::now_utc();
        let future = cert_valid_between(now + Duration::days(1), now + Duration::days(90));
        assert!(needs_renewal(&future, now, DEFAULT_RENEW_BEFORE));
        assert!(needs_renewal(
            "not a certificate",
            now,
            DEFAULT_RENEW_BEFORE
        ));
        let fine = cert_valid_between(now - Duration::days(1), now + Duration::days(90));
        assert!(!needs_renewal(&fine, now, DEFAULT_RENEW_BEFORE));
    }

    #[test]
    fn covers_all_requires_every_host() {
        let now = OffsetDateTime::now_utc();
        let pem = cert_valid_between(now, now + Duration::days(1));
        let host = SubjectName::parse("registry.test").unwrap();
        let other = SubjectName::parse("other.test").unwrap();
        assert!(covers_all(&pem, std::slice::from_ref(&host)));
        assert!(!covers_all(&pem, &[host, other]));
    }

    #[test]
    fn cachefile_store_names_its_siblings() {
        let store = CertStore::for_cachefile(Path::new("/var/lib/regctl/letsencrypt.json"));
        assert_eq!(
            store.cert_path,
            Path::new("/var/lib/regctl/letsencrypt.crt")
        );
        assert_eq!(store.key_path, Path::new("/var/lib/regctl/letsencrypt.key"));
    }

    #[test]
    fn account_cache_keeps_one_account_per_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let store = CertStore::in_dir(tmp.path());
        assert!(store
            .account_credentials("https://a/dir")
            .unwrap()
            .is_none());
        std::fs::write(&store.account_path, "{ not json").unwrap();
        assert!(matches!(
            store.account_credentials("https://a/dir"),
            Err(CertError::AccountCache { .. })
        ));
    }
}
