//! Turns a loaded distribution config into [`ServeSettings`]: the one place that decides which
//! parts of config.yml `regctl serve` honours and which it refuses rather than silently ignoring.

use std::path::PathBuf;

use crate::config::{Config, Diagnostic};
use crate::storage::settings::StorageSettings;

use crate::certs::acme::letsencrypt_production;
use crate::certs::{CertError, SubjectName};

use super::{
    HtpasswdSettings, LetsEncryptSettings, LogFormatter, LogLevel, ServeSettings, TlsSettings,
    UploadPurging,
};

/// A config that is valid for registry:2 but asks for something `regctl serve` does not do.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "storage driver {0:?} is not supported by regctl serve: use storage.filesystem \
         (registry:2's on-disk layout) or storage.s3 (registry:2's S3 layout)"
    )]
    StorageDriver(String),
    /// Values regctl's own keys refuse (`config validate` reports the same).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Diagnostic>),
    #[error("storage.s3: {}", .0.iter().map(|p| format!("{}: {}", p.key, p.message)).collect::<Vec<_>>().join("; "))]
    S3(Vec<crate::config::s3::S3Problem>),
    #[error(
        "auth kind {0:?} is not supported by regctl serve: use auth.htpasswd (manage users with \
         `regctl user add`) or auth.token"
    )]
    AuthKind(String),
    #[error("auth.htpasswd needs both realm and path")]
    HtpasswdIncomplete,
    #[error("http.tls.certificate is set but http.tls.key is not")]
    TlsKeyMissing,
    #[error(
        "http.tls.letsencrypt cannot be used together with http.tls.certificate: remove one of them"
    )]
    TlsAndLetsEncrypt,
    #[error(
        "http.tls.letsencrypt.cachefile must be set: it enables Let's Encrypt and holds the \
         account (the certificate and key are stored beside it)"
    )]
    LetsEncryptCachefileMissing,
    #[error(
        "http.tls.letsencrypt.hosts must name at least one host: regctl serve obtains the \
         certificate for these names at start"
    )]
    LetsEncryptNoHosts,
    #[error("http.tls.letsencrypt.hosts: {0}")]
    LetsEncryptHost(CertError),
    #[error(
        "http.tls.clientcas cannot be combined with http.tls.letsencrypt: the ACME server's \
         TLS-ALPN-01 validation presents no client certificate"
    )]
    LetsEncryptWithClientCas,
    #[error("{key}: {source}")]
    Log {
        key: &'static str,
        #[source]
        source: super::LoggingError,
    },
    /// Keys registry:2 acts on and regctl does not (`config::unsupported`, which
    /// `config validate` reports too).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Unsupported(Vec<Diagnostic>),
    #[error("{0} does not fit in a duration")]
    Duration(&'static str),
    /// `proxy.remoteurl` / `proxy.upstreams` problems (`proxy::routes`, which `config validate`
    /// reports too).
    #[error("{0}")]
    Proxy(String),
}

/// The store a config's `storage` section names (the one reading of it for `serve`, `gc` and
/// `fsck`); `None` when it names no driver, and the caller's default applies.
///
/// # Errors
/// A driver regctl has no backend for, or `storage.s3` parameters it cannot use.
pub fn storage_settings(config: &Config) -> Result<Option<StorageSettings>, SettingsError> {
    Ok(match config.storage_driver() {
        Some("filesystem") => config.storage_root().map(StorageSettings::Filesystem),
        Some("s3") => match config.s3() {
            Some(Ok(s3)) => Some(StorageSettings::S3(Box::new(s3))),
            Some(Err(problems)) => return Err(SettingsError::S3(problems)),
            None => return Err(SettingsError::StorageDriver("s3".to_owned())),
        },
        Some(other) => return Err(SettingsError::StorageDriver(other.to_owned())),
        None => None,
    })
}

impl ServeSettings {
    /// The settings a config asks for; flags are applied by the caller afterwards.
    ///
    /// # Errors
    /// When the config asks for a storage driver, auth kind or setting regctl serve cannot honour.
    pub fn from_config(config: &Config) -> Result<Self, SettingsError> {
        let unsupported = crate::config::unsupported(config);
        if !unsupported.is_empty() {
            return Err(SettingsError::Unsupported(unsupported));
        }
        let defaults = Self::default();
        let storage = storage_settings(config)?.unwrap_or(defaults.storage);
        let htpasswd = match config.auth.as_ref() {
            None => None,
            Some(auth) if auth.kind == "htpasswd" => {
                let (realm, path) = config.htpasswd().ok_or(SettingsError::HtpasswdIncomplete)?;
                if realm.is_empty() {
                    return Err(SettingsError::HtpasswdIncomplete);
                }
                Some(HtpasswdSettings {
                    realm,
                    path,
                    policy: config.access_policy(),
                })
            }
            Some(auth) if auth.kind == "token" => None,
            Some(auth) => return Err(SettingsError::AuthKind(auth.kind.clone())),
        };
        let token = config.token_auth();
        let tls = match config.tls_files() {
            Some((_, key)) if key.as_os_str().is_empty() => {
                return Err(SettingsError::TlsKeyMissing)
            }
            Some((certificate, key)) => Some(TlsSettings {
                certificate,
                key,
                client_cas: config
                    .http
                    .tls
                    .clientcas
                    .iter()
                    .map(PathBuf::from)
                    .collect(),
            }),
            None => None,
        };
        let letsencrypt = letsencrypt_settings(config, tls.is_some())?;
        let purge = config.upload_purging();
        let uploadpurging = UploadPurging {
            enabled: purge.enabled,
            age: purge.age.to_std().ok_or(SettingsError::Duration(
                "storage.maintenance.uploadpurging.age",
            ))?,
            interval: purge.interval.to_std().ok_or(SettingsError::Duration(
                "storage.maintenance.uploadpurging.interval",
            ))?,
            dryrun: purge.dry_run,
        };
        let draintimeout = config
            .http
            .draintimeout
            .map(|d| {
                d.to_std()
                    .ok_or(SettingsError::Duration("http.draintimeout"))
            })
            .transpose()?;
        let mut log = defaults.log.clone();
        let level = if config.log.level.is_empty() {
            &config.loglevel
        } else {
            &config.log.level
        };
        if !level.is_empty() {
            log.level = level
                .parse::<LogLevel>()
                .map_err(|source| SettingsError::Log {
                    key: "log.level",
                    source,
                })?;
        }
        if !config.log.formatter.is_empty() {
            log.formatter = config
                .log
                .formatter
                .parse::<LogFormatter>()
                .map_err(|source| SettingsError::Log {
                    key: "log.formatter",
                    source,
                })?;
        }
        log.accesslog_disabled = config.log.accesslog.disabled;
        log.audit_file = config.log.audit.path();

        Ok(Self {
            addr: config.http_addr().map_or(defaults.addr, ToOwned::to_owned),
            storage,
            blob_redirects: !config.redirect_disabled(),
            immutable_tags: crate::registry::immutable::from_config(&config.tags.immutable)
                .map_err(SettingsError::Invalid)?,
            retention: {
                crate::retention::from_config(&config.retention).map_err(SettingsError::Invalid)?;
                config.retention.clone()
            },
            delete_enabled: config.delete_enabled(),
            readonly: config.readonly(),
            htpasswd,
            token,
            tls,
            letsencrypt,
            http2_disabled: config.http.http2.disabled,
            headers: config
                .http
                .headers
                .iter()
                .map(|(name, values)| (name.clone(), values.clone()))
                .collect(),
            draintimeout,
            log,
            host: Some(config.http.host.clone()).filter(|h| !h.is_empty()),
            relativeurls: config.http.relativeurls,
            uploadpurging,
            max_connections: defaults.max_connections,
            timeouts: defaults.timeouts,

            debug: debug_settings(config),
            health: health_checks(config)?,
            web_ui: defaults.web_ui,
            proxy: proxy_settings(config)?,
            notifications: notify_settings(config)?,
        })
    }
}

/// `proxy.remoteurl` (one upstream for every repository) or regctl's `proxy.upstreams`, read by
/// `proxy::routes`; an unset `ttl` re-resolves tags on every GET, as registry:2 does.
fn proxy_settings(config: &Config) -> Result<Option<crate::proxy::ProxySettings>, SettingsError> {
    crate::proxy::routes::settings(&config.proxy).map_err(|problems| {
        SettingsError::Proxy(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// `notifications.*` as distribution's `NewEndpoint` reads an endpoint: disabled ones are
/// skipped, a zero or negative `timeout`, `threshold` or `backoff` takes registry:2's default
/// (1s, 10, 1s), `ignoredmediatypes` and `ignore.mediatypes` are one list.
fn notify_settings(
    config: &Config,
) -> Result<Option<crate::notify::NotifySettings>, SettingsError> {
    use crate::notify::{EndpointRules, EndpointSettings, NotifySettings};
    let notifications = &config.notifications;
    let positive = |d: Option<crate::config::GoDuration>, key: &'static str, default| {
        d.map(|d| d.to_std().ok_or(SettingsError::Duration(key)))
            .transpose()
            .map(|d| d.filter(|d| !d.is_zero()).unwrap_or(default))
    };
    let mut endpoints = Vec::new();
    for endpoint in &notifications.endpoints {
        if endpoint.disabled {
            tracing::info!(endpoint = %endpoint.name, "notification endpoint disabled, skipping");
            continue;
        }
        endpoints.push(EndpointSettings {
            name: endpoint.name.clone(),
            url: endpoint.url.clone(),
            headers: endpoint
                .headers
                .iter()
                .map(|(name, values)| (name.clone(), values.clone()))
                .collect(),
            timeout: positive(
                endpoint.timeout,
                "notifications.endpoints.timeout",
                crate::notify::DEFAULT_TIMEOUT,
            )?,
            threshold: u32::try_from(endpoint.threshold)
                .ok()
                .filter(|t| *t > 0)
                .unwrap_or(crate::notify::DEFAULT_THRESHOLD),
            backoff: positive(
                endpoint.backoff,
                "notifications.endpoints.backoff",
                crate::notify::DEFAULT_BACKOFF,
            )?,
            rules: EndpointRules::new(
                endpoint.ignoredmediatypes.iter().map(String::as_str),
                endpoint.ignore.mediatypes.iter().map(String::as_str),
                endpoint.ignore.actions.iter().map(String::as_str),
            ),
        });
    }
    if endpoints.is_empty() {
        return Ok(None);
    }
    let queue = &notifications.queue;
    Ok(Some(NotifySettings {
        endpoints,
        include_references: notifications.events.includereferences,
        queue_directory: Some(PathBuf::from(&queue.directory))
            .filter(|d| !d.as_os_str().is_empty()),
        queue_max_events: usize::try_from(queue.maxevents)
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(crate::notify::DEFAULT_QUEUE_MAX_EVENTS),
    }))
}

/// `health.*` as distribution's `RegisterHealthChecks` reads them: zero intervals are 10s, a
/// zero HTTP status is 200, the storage check is named `storagedriver_<driver>`, and file
/// checks have no threshold.
fn health_checks(config: &Config) -> Result<Vec<crate::health::CheckSettings>, SettingsError> {
    use crate::health::{CheckSettings, Probe, DEFAULT_INTERVAL};
    let health = &config.health;
    let duration = |d: Option<crate::config::GoDuration>, key: &'static str| {
        d.map(|d| d.to_std().ok_or(SettingsError::Duration(key)))
            .transpose()
            .map(|d| d.filter(|d| !d.is_zero()))
    };
    let threshold = |t: i64| u32::try_from(t.max(0)).unwrap_or(u32::MAX);
    let mut checks = Vec::new();
    if health.storagedriver.enabled {
        checks.push(CheckSettings {
            name: format!(
                "storagedriver_{}",
                config.storage_driver().unwrap_or("filesystem")
            ),
            probe: Probe::Storage,
            interval: duration(
                health.storagedriver.interval,
                "health.storagedriver.interval",
            )?
            .unwrap_or(DEFAULT_INTERVAL),
            threshold: threshold(health.storagedriver.threshold),
        });
    }
    for file in &health.file {
        checks.push(CheckSettings {
            name: file.file.clone(),
            probe: Probe::File(PathBuf::from(&file.file)),
            interval: duration(file.interval, "health.file.interval")?.unwrap_or(DEFAULT_INTERVAL),
            threshold: 0,
        });
    }
    for http in &health.http {
        checks.push(CheckSettings {
            name: http.uri.clone(),
            probe: Probe::Http {
                uri: http.uri.clone(),
                status: u16::try_from(http.statuscode)
                    .ok()
                    .filter(|s| *s != 0)
                    .unwrap_or(200),
                headers: http
                    .headers
                    .iter()
                    .flat_map(|(name, values)| values.iter().map(|v| (name.clone(), v.clone())))
                    .collect(),
                timeout: duration(http.timeout, "health.http.timeout")?,
            },
            interval: duration(http.interval, "health.http.interval")?.unwrap_or(DEFAULT_INTERVAL),
            threshold: threshold(http.threshold),
        });
    }
    for tcp in &health.tcp {
        checks.push(CheckSettings {
            name: tcp.addr.clone(),
            probe: Probe::Tcp {
                addr: tcp.addr.clone(),
                timeout: duration(tcp.timeout, "health.tcp.timeout")?,
            },
            interval: duration(tcp.interval, "health.tcp.interval")?.unwrap_or(DEFAULT_INTERVAL),
            threshold: threshold(tcp.threshold),
        });
    }
    Ok(checks)
}

/// `http.debug` (src/metrics.rs): the listener runs when `addr` is set; as in registry:2,
/// `prometheus.enabled` without `addr` serves nothing.
fn debug_settings(config: &Config) -> Option<crate::metrics::DebugSettings> {
    let debug = &config.http.debug;
    if debug.addr.is_empty() {
        if debug.prometheus.enabled {
            tracing::warn!("http.debug.prometheus.enabled has no effect without http.debug.addr");
        }
        return None;
    }
    Some(crate::metrics::DebugSettings {
        addr: debug.addr.clone(),
        prometheus_path: debug.prometheus.enabled.then(|| {
            if debug.prometheus.path.is_empty() {
                crate::metrics::DEFAULT_PATH.to_owned()
            } else {
                debug.prometheus.path.clone()
            }
        }),
    })
}

/// `http.tls.letsencrypt`, which (as in distribution) is on exactly when `cachefile` is set.
fn letsencrypt_settings(
    config: &Config,
    certificate_files: bool,
) -> Result<Option<LetsEncryptSettings>, SettingsError> {
    let le = &config.http.tls.letsencrypt;
    if le.cachefile.is_empty() {
        // registry:2 would silently serve without it; a half-written section is a mistake.
        if !le.hosts.is_empty() || !le.email.is_empty() || !le.directoryurl.is_empty() {
            return Err(SettingsError::LetsEncryptCachefileMissing);
        }
        return Ok(None);
    }
    if certificate_files {
        return Err(SettingsError::TlsAndLetsEncrypt);
    }
    if !config.http.tls.clientcas.is_empty() {
        return Err(SettingsError::LetsEncryptWithClientCas);
    }
    if le.hosts.is_empty() {
        return Err(SettingsError::LetsEncryptNoHosts);
    }
    let hosts = le
        .hosts
        .iter()
        .map(|host| SubjectName::parse(host))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SettingsError::LetsEncryptHost)?;
    Ok(Some(LetsEncryptSettings {
        cachefile: PathBuf::from(&le.cachefile),
        email: Some(le.email.clone()).filter(|e| !e.is_empty()),
        hosts,
        directory_url: if le.directoryurl.is_empty() {
            letsencrypt_production().to_owned()
        } else {
            le.directoryurl.clone()
        },
        ca_root: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    fn settings(yaml: &str, env: &[(&str, &str)]) -> Result<ServeSettings, SettingsError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ServeSettings::from_config(&load_str(yaml, &env).unwrap().config)
    }

    const BASE: &str = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /srv/reg\n";

    #[test]
    fn reads_the_seed_configs_keys() {
        let yaml = format!(
            "{BASE}  delete:\n    enabled: true\nhttp:\n  addr: :5000\n  headers:\n    \
             X-Content-Type-Options: [nosniff]\n  http2:\n    disabled: true\nauth:\n  \
             htpasswd:\n    realm: Registry Realm\n    path: /auth/htpasswd\nlog:\n  level: debug\n  \
             formatter: json\n"
        );
        let s = settings(&yaml, &[]).unwrap();
        assert_eq!(s.addr, ":5000");
        assert_eq!(
            s.storage,
            StorageSettings::Filesystem(PathBuf::from("/srv/reg"))
        );
        assert!(s.delete_enabled);
        assert!(s.http2_disabled);
        assert_eq!(
            s.headers,
            vec![(
                "X-Content-Type-Options".to_owned(),
                vec!["nosniff".to_owned()]
            )]
        );
        assert_eq!(
            s.htpasswd,
            Some(HtpasswdSettings {
                realm: "Registry Realm".to_owned(),
                path: PathBuf::from("/auth/htpasswd"),
                policy: None,
            })
        );
        assert_eq!(s.log.level, LogLevel::Debug);
        assert_eq!(s.log.formatter, LogFormatter::Json);
    }

    #[test]
    fn environment_overrides_apply() {
        let s = settings(
            BASE,
            &[
                ("REGISTRY_HTTP_ADDR", "127.0.0.1:0"),
                ("REGISTRY_STORAGE_DELETE_ENABLED", "true"),
                ("REGISTRY_AUTH", "htpasswd"),
                ("REGISTRY_AUTH_HTPASSWD_REALM", "R"),
                ("REGISTRY_AUTH_HTPASSWD_PATH", "/h"),
                ("REGISTRY_HTTP_TLS_CERTIFICATE", "/c.crt"),
                ("REGISTRY_HTTP_TLS_KEY", "/c.key"),
                ("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true"),
            ],
        )
        .unwrap();
        assert_eq!(s.addr, "127.0.0.1:0");
        assert!(s.delete_enabled && s.readonly);
        assert_eq!(s.htpasswd.unwrap().path, PathBuf::from("/h"));
        assert_eq!(s.tls.unwrap().key, PathBuf::from("/c.key"));
    }

    #[test]
    fn letsencrypt_is_mapped_with_distributions_keys() {
        let yaml = format!(
            "{BASE}http:\n  tls:\n    letsencrypt:\n      cachefile: /srv/le.json\n      \
             email: ops@registry.test\n      hosts: [registry.test, 192.0.2.7]\n"
        );
        let s = settings(&yaml, &[]).unwrap();
        assert!(s.tls.is_none() && s.is_tls());
        let le = s.letsencrypt.unwrap();
        assert_eq!(le.cachefile, PathBuf::from("/srv/le.json"));
        assert_eq!(le.email.as_deref(), Some("ops@registry.test"));
        assert_eq!(
            le.hosts,
            [
                SubjectName::parse("registry.test").unwrap(),
                SubjectName::parse("192.0.2.7").unwrap()
            ]
        );
        assert_eq!(le.directory_url, letsencrypt_production());
        assert_eq!(le.ca_root, None);

        let custom = settings(
            &yaml,
            &[(
                "REGISTRY_HTTP_TLS_LETSENCRYPT_DIRECTORYURL",
                "https://127.0.0.1:14000/dir",
            )],
        )
        .unwrap();
        assert_eq!(
            custom.letsencrypt.unwrap().directory_url,
            "https://127.0.0.1:14000/dir"
        );
    }

    #[test]
    fn letsencrypt_refusals() {
        let le = "    letsencrypt:\n      cachefile: /srv/le.json\n      hosts: [registry.test]\n";
        let both = format!("{BASE}http:\n  tls:\n    certificate: /c.crt\n    key: /c.key\n{le}");
        assert!(matches!(
            settings(&both, &[]),
            Err(SettingsError::TlsAndLetsEncrypt)
        ));
        let with_cas = format!("{BASE}http:\n  tls:\n    clientcas: [/ca.pem]\n{le}");
        assert!(matches!(
            settings(&with_cas, &[]),
            Err(SettingsError::LetsEncryptWithClientCas)
        ));
        let no_hosts =
            format!("{BASE}http:\n  tls:\n    letsencrypt:\n      cachefile: /srv/le.json\n");
        assert!(matches!(
            settings(&no_hosts, &[]),
            Err(SettingsError::LetsEncryptNoHosts)
        ));
        let no_cachefile =
            format!("{BASE}http:\n  tls:\n    letsencrypt:\n      hosts: [registry.test]\n");
        assert!(matches!(
            settings(&no_cachefile, &[]),
            Err(SettingsError::LetsEncryptCachefileMissing)
        ));
        let bad_host = format!(
            "{BASE}http:\n  tls:\n    letsencrypt:\n      cachefile: /l.json\n      hosts: ['a b']\n"
        );
        let err = settings(&bad_host, &[]).unwrap_err();
        assert!(
            err.to_string().starts_with("http.tls.letsencrypt.hosts"),
            "{err}"
        );
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        let yaml = "version: 0.1\nstorage:\n  gcs:\n    bucket: b\n";
        let err = settings(yaml, &[]).unwrap_err();
        assert!(matches!(err, SettingsError::Unsupported(_)), "{err}");
        assert!(
            err.to_string()
                .starts_with("storage.gcs: regctl serve does not support the gcs storage driver"),
            "{err}"
        );
        let yaml = format!("{BASE}auth:\n  silly:\n    realm: r\n    service: s\n");
        let err = settings(&yaml, &[]).unwrap_err();
        assert!(err.to_string().starts_with("auth.silly: "), "{err}");
        let yaml = format!("{BASE}proxy:\n  remoteurl: https://r\n  exec:\n    command: x\n");
        let err = settings(&yaml, &[]).unwrap_err();
        assert!(err.to_string().starts_with("proxy.exec: "), "{err}");
    }

    #[test]
    fn proxy_section_becomes_settings() {
        let yaml = format!(
            "{BASE}proxy:\n  remoteurl: https://registry-1.docker.io\n  username: u\n  \
             password: p\n  ttl: 1h\n"
        );
        let mut proxy = settings(&yaml, &[]).unwrap().proxy.unwrap();
        let proxy = proxy.upstreams.remove(0);
        assert_eq!(proxy.remote_url, "https://registry-1.docker.io");
        assert_eq!(
            (proxy.username.as_str(), proxy.password.as_str()),
            ("u", "p")
        );
        assert_eq!(proxy.ttl, std::time::Duration::from_secs(3600));
        let env = [("REGISTRY_PROXY_REMOTEURL", "http://127.0.0.1:1")];
        let proxy = settings(BASE, &env).unwrap().proxy.unwrap().upstreams;
        assert_eq!(proxy.len(), 1);
        assert_eq!(
            (proxy[0].remote_url.as_str(), proxy[0].ttl),
            ("http://127.0.0.1:1", std::time::Duration::ZERO)
        );
        assert!(settings(BASE, &[]).unwrap().proxy.is_none());
    }

    #[test]
    fn proxy_upstreams_become_settings_and_remoteurl_with_upstreams_is_refused() {
        let yaml = format!(
            "{BASE}proxy:\n  upstreams:\n    - prefix: docker.io/\n      \
             remoteurl: https://registry-1.docker.io\n      ttl: 10m\n    - prefix: ghcr.io/\n      \
             remoteurl: https://ghcr.io\n      username: u\n      password: p\n"
        );
        let proxy = settings(&yaml, &[]).unwrap().proxy.unwrap().upstreams;
        let prefixes: Vec<&str> = proxy.iter().map(|u| u.prefix.as_str()).collect();
        assert_eq!(prefixes, ["docker.io/", "ghcr.io/"]);
        assert_eq!(proxy[0].ttl, std::time::Duration::from_secs(600));
        assert_eq!(proxy[1].username, "u");
        let both = format!("{yaml}  remoteurl: https://r\n");
        let err = settings(&both, &[]).unwrap_err().to_string();
        assert!(
            err.contains("proxy.upstreams: cannot be combined with proxy.remoteurl"),
            "{err}"
        );
    }

    #[test]
    fn notification_endpoints_get_registry2s_defaults_and_skip_disabled_ones() {
        use std::time::Duration;
        let yaml = format!(
            "{BASE}notifications:\n  events:\n    includereferences: true\n  queue:\n    \
             directory: /q\n  endpoints:\n    - name: ci\n      url: http://ci/hook\n      \
             headers:\n        Authorization: [Bearer x]\n      timeout: 0s\n      threshold: -1\n      \
             ignoredmediatypes: [a]\n      ignore:\n        mediatypes: [b]\n        actions: [pull]\n    \
             - name: off\n      disabled: true\n      url: http://off/\n    - name: tuned\n      \
             url: http://t/\n      timeout: 3s\n      threshold: 2\n      backoff: 250ms\n"
        );
        let notify = settings(&yaml, &[]).unwrap().notifications.unwrap();
        assert!(notify.include_references);
        assert_eq!(
            notify.queue_directory.as_deref(),
            Some(std::path::Path::new("/q"))
        );
        assert_eq!(
            notify.queue_max_events,
            crate::notify::DEFAULT_QUEUE_MAX_EVENTS
        );
        let names: Vec<&str> = notify.endpoints.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["ci", "tuned"]);
        let ci = &notify.endpoints[0];
        assert_eq!(
            (ci.timeout, ci.threshold, ci.backoff),
            (Duration::from_secs(1), 10, Duration::from_secs(1))
        );
        assert_eq!(
            ci.headers,
            [("Authorization".to_owned(), vec!["Bearer x".to_owned()])]
        );
        assert_eq!(
            ci.rules,
            crate::notify::EndpointRules::new(["a"], ["b"], ["pull"])
        );
        let tuned = &notify.endpoints[1];
        assert_eq!(
            (tuned.timeout, tuned.threshold, tuned.backoff),
            (Duration::from_secs(3), 2, Duration::from_millis(250))
        );
        let only_disabled = format!(
            "{BASE}notifications:\n  endpoints:\n    - name: off\n      disabled: true\n      \
             url: http://off/\n"
        );
        assert!(settings(&only_disabled, &[])
            .unwrap()
            .notifications
            .is_none());
        assert!(settings(BASE, &[]).unwrap().notifications.is_none());
    }
}
