//! `http.tls.letsencrypt`: `regctl serve` obtains its certificate from an ACME CA, answering the
//! TLS-ALPN-01 validation on its own TLS listener, and renews it while serving.
//!
//! The certificate, its key and the ACME account live beside the cache file
//! ([`CertStore::for_cachefile`]), so a restart serves the stored certificate at once and no new
//! order is placed while it is good. Renewal happens when less than a third of the certificate's
//! lifetime is left, at most [`DEFAULT_RENEW_BEFORE`] (30 days for Let's Encrypt's 90-day
//! certificates; a third keeps short-lived certificates renewing in time too). Between renewals the
//! task wakes at the due time, and at least every [`CHECK_INTERVAL`] in case the clock jumped.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::certs::acme::{
    self, covers_all, needs_renewal, AcmeRequest, CertStore, ChallengeKind, Issued,
    DEFAULT_RENEW_BEFORE,
};
use crate::certs::challenge::ChallengeResponder;
use crate::certs::inspect::{parse_pem_chain, CertSummary};
use crate::certs::CertError;

use super::{LetsEncryptSettings, ReloadableCert};

/// The longest the renewal task sleeps between two checks.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(12 * 3600);
/// After a check, the next one is at least this far away (a certificate that is due right after
/// being obtained, e.g. through a skewed clock, must not make the task spin).
const MIN_WAIT: Duration = Duration::from_secs(10);
/// A failed renewal is retried after this, doubling up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(30);
const MAX_RETRY: Duration = Duration::from_secs(3600);

/// What one check did.
#[derive(Debug, Clone)]
pub struct Checked {
    /// True when a new certificate was obtained; false when the stored one was kept.
    pub obtained: bool,
    /// The leaf now served.
    pub leaf: CertSummary,
}

/// The ACME side of a running server: its request, where the certificate is stored, the
/// challenge responses its TLS listener hands out, and the certificate that listener serves.
#[derive(Debug)]
pub struct AcmeCertificates {
    request: AcmeRequest,
    store: CertStore,
    responder: ChallengeResponder,
    certs: Arc<ReloadableCert>,
}

impl AcmeCertificates {
    /// Prepares the state for `settings` and puts in the stored certificate when it is still
    /// valid and covers every host (so a restart serves at once; a due one is renewed by the
    /// first check). The cache file's directory is created when missing.
    ///
    /// # Errors
    /// When the directory cannot be created or a stored file exists but cannot be read.
    pub fn new(settings: &LetsEncryptSettings) -> Result<Self, CertError> {
        let store = CertStore::for_cachefile(&settings.cachefile);
        if let Some(parent) = settings
            .cachefile
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| CertError::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        let certs = Arc::new(ReloadableCert::empty(
            &store.cert_path,
            &store.key_path,
            super::tls::provider(),
        ));
        if let Some(stored) = store.load()? {
            let now = OffsetDateTime::now_utc();
            if !needs_renewal(&stored.chain_pem, now, Duration::ZERO)
                && covers_all(&stored.chain_pem, &settings.hosts)
            {
                match stored.certified_key() {
                    Ok(key) => certs.replace(Arc::new(key)),
                    Err(err) => tracing::warn!(
                        path = %store.cert_path.display(),
                        error = %super::error_chain(&err),
                        "the stored ACME certificate is unusable; a new one will be obtained"
                    ),
                }
            }
        }
        Ok(Self {
            request: AcmeRequest {
                directory_url: settings.directory_url.clone(),
                email: settings.email.clone(),
                hosts: settings.hosts.clone(),
                ca_root: settings.ca_root.clone(),
                challenge: ChallengeKind::TlsAlpn01,
            },
            store,
            responder: ChallengeResponder::new(),
            certs,
        })
    }

    /// The pending TLS-ALPN-01 responses (the server's certificate resolver reads them).
    #[must_use]
    pub fn responder(&self) -> &ChallengeResponder {
        &self.responder
    }

    /// The certificate the listener serves.
    #[must_use]
    pub fn certificate(&self) -> Arc<ReloadableCert> {
        Arc::clone(&self.certs)
    }

    /// Whether a certificate is being served (the stored one, or one obtained since start).
    #[must_use]
    pub fn has_certificate(&self) -> bool {
        self.certs.current().is_some()
    }

    /// The ACME request (directory, hosts) this server makes.
    #[must_use]
    pub fn request(&self) -> &AcmeRequest {
        &self.request
    }

    /// Keeps the stored certificate while it covers the hosts and is outside its renewal window,
    /// otherwise obtains a new one (the listener must already be accepting: the ACME server
    /// validates by connecting to it); either way the result is what new handshakes get.
    ///
    /// # Errors
    /// When no certificate could be obtained; the one served so far stays in place.
    pub async fn check(&self) -> Result<Checked, CertError> {
        let now = OffsetDateTime::now_utc();
        let window = match self.store.load()? {
            Some(stored) => {
                leaf_of(&stored, now).map_or(DEFAULT_RENEW_BEFORE, |leaf| renew_window(&leaf))
            }
            None => DEFAULT_RENEW_BEFORE,
        };
        let ensured =
            acme::ensure_certificate(&self.request, &self.store, &self.responder, window, now)
                .await?;
        let (issued, obtained) = match ensured.issued.certified_key() {
            Ok(key) => {
                self.certs.replace(Arc::new(key));
                (ensured.issued, ensured.obtained)
            }
            // A stored pair that parses as PEM but does not belong together: replace it.
            Err(err) if !ensured.obtained => {
                tracing::warn!(
                    path = %self.store.cert_path.display(),
                    error = %super::error_chain(&err),
                    "the stored ACME certificate is unusable; obtaining a new one"
                );
                let issued = acme::obtain(&self.request, &self.store, &self.responder).await?;
                self.store.save(&issued)?;
                self.certs.replace(Arc::new(issued.certified_key()?));
                (issued, true)
            }
            Err(err) => return Err(err),
        };
        let leaf = leaf_of(&issued, now).ok_or_else(|| CertError::NoCertificate {
            path: self.store.cert_path.clone(),
        })?;
        if obtained {
            tracing::info!(
                hosts = ?self.request.hosts.iter().map(ToString::to_string).collect::<Vec<_>>(),
                serial = %leaf.serial,
                not_after = %crate::certs::inspect::format_time(leaf.not_after),
                "http.tls.letsencrypt: new certificate in use"
            );
        }
        Ok(Checked { obtained, leaf })
    }

    /// How long until the served certificate enters its renewal window (zero when nothing is
    /// served or it is already due), capped at [`CHECK_INTERVAL`].
    #[must_use]
    pub fn until_due(&self, now: OffsetDateTime) -> Duration {
        let Ok(Some(stored)) = self.store.load() else {
            return Duration::ZERO;
        };
        let Some(leaf) = leaf_of(&stored, now) else {
            return Duration::ZERO;
        };
        let due = leaf.not_after - renew_window(&leaf);
        Duration::try_from(due - now)
            .unwrap_or(Duration::ZERO)
            .min(CHECK_INTERVAL)
    }

    /// Checks whenever the certificate falls due (and every [`CHECK_INTERVAL`]) for as long as
    /// the server runs; failures are logged and retried with a growing delay, the certificate in
    /// use staying in place.
    pub async fn keep_renewed(self: Arc<Self>) {
        let mut retry = FIRST_RETRY;
        let mut wait = self.until_due(OffsetDateTime::now_utc());
        loop {
            tracing::debug!(?wait, "http.tls.letsencrypt: next certificate check");
            tokio::time::sleep(wait).await;
            match self.check().await {
                Ok(_) => {
                    retry = FIRST_RETRY;
                    wait = self.until_due(OffsetDateTime::now_utc()).max(MIN_WAIT);
                }
                Err(err) => {
                    tracing::error!(
                        error = %super::error_chain(&err),
                        retry_in = ?retry,
                        "http.tls.letsencrypt: renewing the certificate failed; the current one stays in use"
                    );
                    wait = retry;
                    retry = (retry * 2).min(MAX_RETRY);
                }
            }
        }
    }
}

/// Renew when a third of the lifetime is left, and at most [`DEFAULT_RENEW_BEFORE`] ahead.
fn renew_window(leaf: &CertSummary) -> Duration {
    let lifetime = Duration::try_from(leaf.not_after - leaf.not_before).unwrap_or(Duration::ZERO);
    (lifetime / 3).min(DEFAULT_RENEW_BEFORE)
}

fn leaf_of(issued: &Issued, now: OffsetDateTime) -> Option<CertSummary> {
    let origin = std::path::Path::new("ACME certificate");
    let chain = parse_pem_chain(issued.chain_pem.as_bytes(), origin).ok()?;
    CertSummary::from_der(chain.first()?, origin, now).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(lifetime: time::Duration) -> CertSummary {
        let now = OffsetDateTime::now_utc();
        let mut params = rcgen::CertificateParams::new(vec!["registry.test".to_owned()]).unwrap();
        params.not_before = now;
        params.not_after = now + lifetime;
        let cert = params
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap();
        CertSummary::from_der(cert.der(), std::path::Path::new("t"), now).unwrap()
    }

    #[test]
    fn window_is_a_third_of_short_lifetimes_and_thirty_days_for_long_ones() {
        assert_eq!(
            renew_window(&leaf(time::Duration::seconds(90))),
            Duration::from_secs(30)
        );
        assert_eq!(
            renew_window(&leaf(time::Duration::days(6))),
            Duration::from_secs(2 * 86_400)
        );
        assert_eq!(
            renew_window(&leaf(time::Duration::days(90))),
            DEFAULT_RENEW_BEFORE
        );
    }
}
