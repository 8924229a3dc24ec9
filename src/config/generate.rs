//! A commented config.yml in distribution's schema, shaped like registry:2's own sample config
//! (`log.fields.service`, `storage.cache.blobdescriptor: inmemory`, the `nosniff` header, the
//! storage health check) so that registry:2, Debian's `docker-registry` and `regctl serve` all
//! accept it unchanged.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Listen address when none is given: loopback, so nothing is exposed by accident.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5000";
/// htpasswd realm when none is given.
pub const DEFAULT_REALM: &str = "Registry Realm";

/// What to put in a generated config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// `http.addr`.
    pub addr: String,
    /// `storage.filesystem.rootdirectory`.
    pub root: PathBuf,
    /// `auth.htpasswd.path`; `None` means no authentication.
    pub htpasswd: Option<PathBuf>,
    /// `auth.htpasswd.realm`.
    pub realm: String,
    /// `http.tls.certificate` and `http.tls.key`; `None` means plain HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `storage.delete.enabled`.
    pub delete: bool,
    /// `http.host`: the URL clients reach the registry at. A bare `host[:port]` gets `https://` or
    /// `http://` depending on TLS.
    pub host: Option<String>,
    /// `http.tls.letsencrypt`, used when `tls` is `None`: the registry obtains its certificate.
    pub letsencrypt: Option<LetsEncryptOptions>,
}

/// `http.tls.letsencrypt` as distribution spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetsEncryptOptions {
    /// The ACME account cache (regctl keeps the certificate and key beside it).
    pub cachefile: PathBuf,
    /// Contact address for the ACME account.
    pub email: String,
    /// The names the certificate is requested for.
    pub hosts: Vec<String>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR.to_owned(),
            root: PathBuf::from(super::DEFAULT_ROOT_DIRECTORY),
            htpasswd: None,
            realm: DEFAULT_REALM.to_owned(),
            tls: None,
            delete: false,
            host: None,
            letsencrypt: None,
        }
    }
}

/// A YAML scalar for `text`: plain when that reads back as the same string, quoted otherwise.
fn scalar(text: &str) -> String {
    serde_yaml::to_string(text)
        .map(|s| s.trim_end_matches('\n').to_owned())
        .unwrap_or_else(|_| format!("{text:?}"))
}

fn path_scalar(path: &std::path::Path) -> String {
    scalar(&path.to_string_lossy())
}

/// The config.yml text for `opts`, with comments explaining each section.
#[must_use]
pub fn generate(opts: &GenerateOptions) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = write!(
        out,
        "\
# Container registry configuration in distribution's config.yml schema (version 0.1).
# registry:2, Debian's docker-registry and `regctl serve` read this file unchanged.
# Any key can be overridden by an environment variable named REGISTRY_ + the key path in
# upper case joined by '_', e.g. REGISTRY_HTTP_ADDR=0.0.0.0:5000.
# Check it with `regctl config validate`; see the result of overrides with `regctl config show`.
version: 0.1

# Logs go to stderr. level: error, warn, info or debug; formatter: text, json or logstash.
# regctl only: `audit: {{file: /var/log/regctl/audit.log}}` under log also appends every audit
# line (who pushed, deleted or collected what) to that file as JSON; its directory must exist.
log:
  level: info
  fields:
    service: registry

storage:
  # Images live under <rootdirectory>/docker/registry/v2, registry:2's layout, so this
  # directory can be served by registry:2 and regctl alike.
  filesystem:
    rootdirectory: {root}
  # Keeps blob metadata in memory so repeated pulls do not hit the disk for it.
  cache:
    blobdescriptor: inmemory
  # Whether DELETE requests for manifests and blobs are honoured (405 Unsupported otherwise).
  # Deleting frees no space by itself: run garbage collection afterwards.
  delete:
    enabled: {delete}
  maintenance:
    # Removes uploads abandoned for longer than `age`, checking every `interval`.
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
    # Set enabled: true to refuse pushes and deletes, e.g. while garbage collection runs.
    readonly:
      enabled: false

http:
  # Where to listen. 127.0.0.1 serves this machine only; 0.0.0.0 serves the network.
  addr: {addr}
",
        root = path_scalar(&opts.root),
        delete = opts.delete,
        addr = scalar(&opts.addr),
    );
    if let Some(host) = opts.host.as_deref().filter(|h| !h.is_empty()) {
        let url = if host.contains("://") {
            host.to_owned()
        } else if opts.tls.is_some() {
            format!("https://{host}")
        } else {
            format!("http://{host}")
        };
        let _ = write!(
            out,
            "  # The URL clients use to reach the registry; it is used in Location headers.\n  host: {}\n",
            scalar(&url)
        );
    }
    out.push_str(concat!(
        "  # For several replicas behind a load balancer, set the same random secret on each:\n",
        "  # secret: <random string>\n",
        "  # Sent with every response.\n",
        "  headers:\n",
        "    X-Content-Type-Options: [nosniff]\n",
    ));
    match &opts.tls {
        Some((certificate, key)) => {
            let _ = write!(
                out,
                concat!(
                    "  # HTTPS with this certificate (PEM: the server certificate, then any\n",
                    "  # intermediates) and its private key (PEM).\n",
                    "  tls:\n",
                    "    certificate: {}\n",
                    "    key: {}\n",
                    "  # HTTP/2 is offered over TLS; set disabled: true to allow HTTP/1.1 only.\n",
                    "  http2:\n",
                    "    disabled: false\n",
                ),
                path_scalar(certificate),
                path_scalar(key),
            );
        }
        None if opts.letsencrypt.is_some() => {
            if let Some(le) = &opts.letsencrypt {
                let _ = write!(
                    out,
                    concat!(
                        "  # HTTPS with a certificate from Let's Encrypt, obtained and renewed by the registry\n",
                        "  # (TLS-ALPN-01 on this listener: port 443 of every host must be reachable from the\n",
                        "  # internet). The ACME account is cached in `cachefile`.\n",
                        "  tls:\n",
                        "    letsencrypt:\n",
                        "      cachefile: {}\n",
                        "      email: {}\n",
                        "      hosts:\n",
                    ),
                    path_scalar(&le.cachefile),
                    scalar(&le.email),
                );
                for host in &le.hosts {
                    let _ = writeln!(out, "        - {}", scalar(host));
                }
                out.push_str(concat!(
                    "  # HTTP/2 is offered over TLS; set disabled: true to allow HTTP/1.1 only.\n",
                    "  http2:\n",
                    "    disabled: false\n",
                ));
            }
        }
        None => {
            out.push_str(concat!(
                "  # Plain HTTP. Docker clients then need this registry in \"insecure-registries\"\n",
                "  # (`regctl client-setup HOST:PORT` does that). For HTTPS add:\n",
                "  # tls:\n",
                "  #   certificate: /path/to/server.crt\n",
                "  #   key: /path/to/server.key\n",
            ));
        }
    }
    match &opts.htpasswd {
        Some(path) => {
            let _ = write!(
                out,
                "
# Basic authentication against an htpasswd file of bcrypt entries (manage it with
# `regctl user add|passwd|remove`). The realm is shown by clients asking for a password.
auth:
  htpasswd:
    realm: {}
    path: {}
",
                scalar(&opts.realm),
                path_scalar(path),
            );
        }
        None => {
            let _ = write!(
                out,
                "
# No authentication: anyone who reaches http.addr can push and pull. To require a password:
# auth:
#   htpasswd:
#     realm: {}
#     path: /path/to/htpasswd
",
                scalar(&opts.realm)
            );
        }
    }
    out.push_str(concat!(
        "\n",
        "# The registry reports itself unhealthy (503 on every request) after `threshold` failed\n",
        "# storage checks in a row, checked every `interval`.\n",
        "health:\n",
        "  storagedriver:\n",
        "    enabled: true\n",
        "    interval: 10s\n",
        "    threshold: 3\n",
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    #[test]
    fn default_config_loads_as_written() {
        let text = generate(&GenerateOptions::default());
        let loaded = load_str(&text, &[]).unwrap();
        let config = &loaded.config;
        assert_eq!(config.http_addr(), Some(DEFAULT_ADDR));
        assert_eq!(
            config.storage_root(),
            Some(PathBuf::from("/var/lib/registry"))
        );
        assert!(!config.delete_enabled());
        assert!(!config.readonly());
        assert!(config.auth.is_none());
        assert_eq!(config.tls_files(), None);
        assert_eq!(
            config.storage.cache.as_ref().unwrap().blobdescriptor,
            "inmemory"
        );
        assert!(config.health.storagedriver.enabled);
    }

    #[test]
    fn every_option_lands_in_its_key_even_with_awkward_values() {
        let opts = GenerateOptions {
            addr: "0.0.0.0:443".to_owned(),
            root: PathBuf::from("/srv/my registry: data"),
            htpasswd: Some(PathBuf::from("/etc/regctl/#htpasswd")),
            realm: "Acme: \"private\" registry".to_owned(),
            tls: Some((
                PathBuf::from("/c/server.crt"),
                PathBuf::from("/c/server.key"),
            )),
            delete: true,
            host: Some("registry.example.com".to_owned()),
            letsencrypt: None,
        };
        let loaded = load_str(&generate(&opts), &[]).unwrap();
        let config = &loaded.config;
        assert_eq!(config.http_addr(), Some("0.0.0.0:443"));
        assert_eq!(
            config.storage_root(),
            Some(PathBuf::from("/srv/my registry: data"))
        );
        assert_eq!(
            config.htpasswd(),
            Some((
                "Acme: \"private\" registry".to_owned(),
                PathBuf::from("/etc/regctl/#htpasswd")
            ))
        );
        assert_eq!(
            config.tls_files(),
            Some((
                PathBuf::from("/c/server.crt"),
                PathBuf::from("/c/server.key")
            ))
        );
        assert!(config.delete_enabled());
        assert_eq!(config.http.host, "https://registry.example.com");
        assert!(crate::config::validate(&loaded)
            .iter()
            .all(|d| !d.path.starts_with("log") && !d.message.contains("unknown key")));
    }

    #[test]
    fn letsencrypt_section_loads_and_validates() {
        let opts = GenerateOptions {
            addr: "0.0.0.0:443".to_owned(),
            letsencrypt: Some(LetsEncryptOptions {
                cachefile: PathBuf::from("/srv/registry/certs/letsencrypt.json"),
                email: "ops@example.com".to_owned(),
                hosts: vec![
                    "registry.example.com".to_owned(),
                    "r2.example.com".to_owned(),
                ],
            }),
            ..GenerateOptions::default()
        };
        let loaded = load_str(&generate(&opts), &[]).unwrap();
        let le = &loaded.config.http.tls.letsencrypt;
        assert_eq!(le.cachefile, "/srv/registry/certs/letsencrypt.json");
        assert_eq!(le.email, "ops@example.com");
        assert_eq!(le.hosts, ["registry.example.com", "r2.example.com"]);
        assert_eq!(loaded.config.tls_files(), None);
    }
}
