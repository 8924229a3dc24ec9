//! distribution's config.yml (version 0.1): loading with `REGISTRY_*` overrides, validation and
//! generation. registry:2, Debian's `docker-registry` and `regctl serve` read the same file.
//!
//! Loading goes: YAML text → tree → environment overrides ([`env`]) → shape check and
//! normalization (`validate::check_tree`) → typed [`Config`] ([`schema`]) → distribution's
//! defaults. [`load`] refuses configs distribution would refuse to start with; [`check`] reports
//! every problem of a config file at once, for `regctl config validate`.

pub mod duration;
pub mod edit;
pub mod env;
mod generate;
pub mod s3;
pub mod schema;
mod shape;
mod support;
mod validate;

use crate::report::error_chain;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use duration::{DurationError, GoDuration};
pub use env::{EnvOverride, CONFIGURATION_PATH_VAR};
pub use generate::{generate, GenerateOptions, LetsEncryptOptions, DEFAULT_ADDR, DEFAULT_REALM};
pub use schema::{
    Auth, Config, Parameters, Retention, Storage, StorageDriver, DEFAULT_ROOT_DIRECTORY,
};
pub use support::{unsupported, without_effect};
pub use validate::{did_you_mean, edit_distance, parse_listen_addr};

/// How bad a diagnostic is: errors make `config validate` fail, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, located by its YAML key path (`http.tls.key`, `notifications.endpoints[0].url`)
/// or, for environment problems, by the variable's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub message: String,
    pub severity: Severity,
}

impl Diagnostic {
    #[must_use]
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    #[must_use]
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            severity: Severity::Warning,
        }
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}: {}", self.path, self.message),
            Severity::Warning => write!(f, "{}: warning: {}", self.path, self.message),
        }
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {} is not valid YAML", path.display())]
    Yaml {
        path: PathBuf,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("config file {}{} is invalid ({}){}", path.display(), with_env(diagnostics), summary(diagnostics), hint(path))]
    Invalid {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Says so when the environment, not the file, caused a problem: the file is then blameless.
fn with_env(diagnostics: &[Diagnostic]) -> &'static str {
    if diagnostics.iter().any(|d| {
        d.is_error() && (d.path.starts_with("REGISTRY_") || d.message.contains("(set by REGISTRY_"))
    }) {
        " with the REGISTRY_* environment variables"
    } else {
        ""
    }
}

fn hint(path: &Path) -> String {
    format!(
        "; run `regctl config validate -c {}` for every problem",
        path.display()
    )
}

/// A config ready to use, with what the environment changed.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Ignored variables and compatibility notes, for the user's eyes.
    pub warnings: Vec<String>,
    /// The file it came from.
    pub source: PathBuf,
    /// Which `REGISTRY_*` variable set which key, in the order applied.
    pub overrides: Vec<EnvOverride>,
    /// Keys distribution ignores (kept for [`validate`]; loading tolerates them as registry:2 does).
    unknown_keys: Vec<Diagnostic>,
}

/// The process environment as name/value pairs (names or values that are not UTF-8 are skipped:
/// no `REGISTRY_*` variable can use them meaningfully).
#[must_use]
pub fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// The config file to use: `explicit` (`-c/--config` or `$REGCTL_CONFIG`), else
/// `$REGISTRY_CONFIGURATION_PATH` (what registry:2 reads), else `./config.yml`.
#[must_use]
pub fn resolve_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    match std::env::var_os(CONFIGURATION_PATH_VAR) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from("config.yml"),
    }
}

/// Reads `path` and applies the `REGISTRY_*` variables of the process environment.
///
/// # Errors
/// When the file cannot be read, is not YAML, or is a config distribution would refuse.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = read(path)?;
    load_text(&text, &process_env(), path)
}

/// Loads config text with the given environment (for tests and callers that control the env).
///
/// # Errors
/// When the text is not YAML or is a config distribution would refuse.
pub fn load_str(yaml: &str, env: &[(String, String)]) -> Result<Loaded, ConfigError> {
    load_text(yaml, env, Path::new("<string>"))
}

/// The config file at `path` as an untyped YAML tree, before `REGISTRY_*` overrides: the one
/// reader of config.yml for callers that need a key or two before (or apart from) the typed
/// model (`certs::configfile`, `cert`'s port guess). An empty file is an empty mapping.
///
/// # Errors
/// When the file cannot be read or is not YAML.
pub fn read_tree(path: &Path) -> Result<serde_yaml::Value, ConfigError> {
    parse_tree(&read(path)?, path)
}

fn parse_tree(yaml: &str, source: &Path) -> Result<serde_yaml::Value, ConfigError> {
    if yaml.trim().is_empty() {
        return Ok(serde_yaml::Value::Null);
    }
    serde_yaml::from_str(yaml).map_err(|source_err| ConfigError::Yaml {
        path: source.to_owned(),
        source: source_err,
    })
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

fn load_text(yaml: &str, env: &[(String, String)], source: &Path) -> Result<Loaded, ConfigError> {
    let (loaded, structural) = parse(yaml, env, source)?;
    if structural.iter().any(Diagnostic::is_error) {
        return Err(ConfigError::Invalid {
            path: source.to_owned(),
            diagnostics: structural,
        });
    }
    Ok(loaded)
}

/// Everything that can go wrong with a loaded config at run time, plus keys distribution would
/// ignore and ignored variables (as warnings). Empty of errors means the registry will start.
#[must_use]
pub fn validate(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut out = loaded.unknown_keys.clone();
    out.extend(validate::semantic(&loaded.config));
    out.extend(support::unsupported(&loaded.config));
    validate::attribute_to_env(&mut out, &loaded.overrides);
    out.extend(
        loaded
            .warnings
            .iter()
            .map(|w| Diagnostic::warning("environment", w.clone())),
    );
    out
}

/// One change to a config file, by dotted key path (`storage.delete.enabled`).
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Set the key to a YAML scalar (as typed: `true`, `168h`, `'quoted'`, `[a, b]`).
    Set(&'a str, &'a str),
    /// Set the key to this string, whatever it looks like (a path, a URL).
    SetString(&'a str, &'a str),
    Unset(&'a str),
}

impl std::fmt::Display for Change<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Set(key, value) | Change::SetString(key, value) => {
                write!(f, "set {key} to {value}")
            }
            Change::Unset(key) => write!(f, "unset {key}"),
        }
    }
}

/// Why a config file edit was not made.
#[derive(Debug, thiserror::Error)]
pub enum EditFileError {
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot {change} in {}", path.display())]
    Edit {
        path: PathBuf,
        change: String,
        #[source]
        source: edit::EditError,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A config file edited in memory and checked with [`check`]'s pipeline, not yet written.
#[derive(Debug, Clone)]
pub struct Edited {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
    /// What `config validate` would say about the edited file.
    pub diagnostics: Vec<Diagnostic>,
    /// What it says about the file as it is (to tell new problems from old ones).
    pub diagnostics_before: Vec<Diagnostic>,
}

impl Edited {
    /// Errors the edited file would have.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// Errors the edit introduces (absent from the file as it is).
    pub fn new_errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.errors()
            .filter(|d| !self.diagnostics_before.contains(d))
    }

    /// A unified diff of the edit, with the file's name in the headers.
    #[must_use]
    pub fn diff(&self) -> String {
        let name = self.path.display().to_string();
        similar::TextDiff::from_lines(&self.before, &self.after)
            .unified_diff()
            .context_radius(3)
            .header(&name, &name)
            .to_string()
    }

    /// Replaces the file atomically, keeping its mode (the config may hold secrets).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self) -> Result<(), EditFileError> {
        crate::fsutil::atomic_write(&self.path, self.after.as_bytes(), None).map_err(|source| {
            EditFileError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// Applies `changes` to the config file at `path` with the line editor ([`edit`]), which keeps
/// comments and layout, and checks the result as `config validate` would under `env`. Nothing
/// is written: the caller decides on [`Edited::errors`] and calls [`Edited::write`].
///
/// # Errors
/// When the file cannot be read or an edit cannot be made safely.
pub fn edit_file(
    path: &Path,
    changes: &[Change<'_>],
    env: &[(String, String)],
) -> Result<Edited, EditFileError> {
    let before = std::fs::read_to_string(path).map_err(|source| EditFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut after = before.clone();
    for change in changes {
        let result = match change {
            Change::Set(key, value) => edit::set(&after, key, value),
            Change::SetString(key, value) => edit::set_string(&after, key, value),
            Change::Unset(key) => edit::unset(&after, key),
        };
        after = result.map_err(|source| EditFileError::Edit {
            path: path.to_owned(),
            change: change.to_string(),
            source,
        })?;
    }
    Ok(Edited {
        path: path.to_owned(),
        diagnostics: check_str(&after, env, path),
        diagnostics_before: check_str(&before, env, path),
        before,
        after,
    })
}

/// Every problem of the config file at `path` under `env`, at once: unreadable file, YAML
/// syntax, shape, environment and run-time problems.
#[must_use]
pub fn check(path: &Path, env: &[(String, String)]) -> Vec<Diagnostic> {
    match read(path) {
        Ok(text) => check_str(&text, env, path),
        Err(err) => vec![Diagnostic::error(
            path.display().to_string(),
            error_chain(&err),
        )],
    }
}

/// [`check`] for config text; `source` names it in messages.
#[must_use]
pub fn check_str(yaml: &str, env: &[(String, String)], source: &Path) -> Vec<Diagnostic> {
    match parse(yaml, env, source) {
        Ok((loaded, mut structural)) => {
            structural.extend(validate(&loaded));
            structural
        }
        Err(err) => vec![Diagnostic::error(
            source.display().to_string(),
            error_chain(&err),
        )],
    }
}

/// Parses leniently: the config has offending nodes removed, and the problems that made
/// distribution refuse it are returned next to it. Fails only when the text is not YAML.
fn parse(
    yaml: &str,
    env: &[(String, String)],
    source: &Path,
) -> Result<(Loaded, Vec<Diagnostic>), ConfigError> {
    let mut tree = parse_tree(yaml, source)?;
    let report = env::apply(&mut tree, env);
    let mut structural: Vec<Diagnostic> = report
        .errors
        .iter()
        .map(|e| {
            let (var, message) = e.split_once(": ").unwrap_or(("environment", e));
            Diagnostic::error(var, message)
        })
        .collect();
    let checked = validate::check_tree(&mut tree);
    let mut shape_errors = checked.errors;
    // Every reader (serve, user, cert) gets the variable's name, not only `config validate`.
    validate::attribute_to_env(&mut shape_errors, &report.applied);
    structural.extend(shape_errors);
    let mut config: Config = match serde_yaml::from_value(tree) {
        Ok(config) => config,
        Err(err) => {
            // check_tree removes everything that does not fit the model; reaching this is a gap
            // between the shape table and the typed model, reported rather than hidden.
            structural.push(Diagnostic::error("(config)", err.to_string()));
            Config::default()
        }
    };
    config.apply_defaults();
    if config.tags.maxtags < 0 {
        structural.push(Diagnostic::error(
            "tags.maxtags",
            "must not be negative (0 means the default, 1000)",
        ));
    }
    if config.storage.driver.is_none() {
        structural.push(Diagnostic::error(
            "storage",
            "no storage driver configured (e.g. `filesystem: {rootdirectory: /var/lib/registry}`)",
        ));
    }
    let loaded = Loaded {
        config,
        warnings: report.warnings,
        source: source.to_owned(),
        overrides: report.applied,
        unknown_keys: checked.unknown,
    };
    Ok((loaded, structural))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const SAMPLE: &str = "\
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: basic-realm
    path: /etc/registry
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
";

    #[test]
    fn loads_registry2_sample_with_accessors_and_defaults() {
        let loaded = load_str(SAMPLE, &[]).unwrap();
        let config = &loaded.config;
        assert_eq!(config.version, "0.1");
        assert_eq!(config.log.level, "info");
        assert_eq!(config.catalog.maxentries, 1000);
        assert_eq!(config.storage_driver(), Some("filesystem"));
        assert_eq!(
            config.storage_root(),
            Some(PathBuf::from("/var/lib/registry"))
        );
        assert_eq!(
            config.htpasswd(),
            Some(("basic-realm".to_owned(), PathBuf::from("/etc/registry")))
        );
        assert!(config.delete_enabled());
        assert!(!config.readonly());
        assert_eq!(config.http_addr(), Some(":5000"));
        assert_eq!(config.tls_files(), None);
        assert_eq!(
            config.health.storagedriver.interval,
            Some(GoDuration::parse("10s").unwrap())
        );
        assert_eq!(config.http.headers["X-Content-Type-Options"], ["nosniff"]);
        let purge = config.upload_purging();
        assert!(purge.enabled && !purge.dry_run);
        assert_eq!(purge.age.to_string(), "168h");
    }

    /// Every section of distribution's documented configuration, 2.8 and 3.x keys together.
    const EVERYTHING: &str = r#"
version: 0.1
log:
  accesslog:
    disabled: true
  level: debug
  formatter: json
  fields:
    service: registry
    environment: staging
  hooks:
    - type: mail
      disabled: true
      levels: [panic]
      options:
        smtp: {addr: "mail.example.com:25", username: u, password: p, insecure: true}
        from: sender@example.com
        to: [errors@example.com]
  reportcaller: true
loglevel: debug
storage:
  s3:
    accesskey: key
    secretkey: secret
    region: us-west-1
    bucket: bucketname
    encrypt: true
    chunksize: 5242880
  delete: {enabled: true}
  cache: {blobdescriptor: redis, blobdescriptorsize: 10000}
  maintenance:
    uploadpurging: {enabled: true, age: 168h, interval: 24h, dryrun: false}
    readonly: {enabled: false}
  redirect: {disable: false}
  tag: {concurrencylimit: 8}
auth:
  token:
    realm: https://auth.example.com/token
    service: registry.example.com
    issuer: auth.example.com
    rootcertbundle: /root/certs/bundle
    autoredirect: true
    signingalgorithms: [EdDSA, HS256]
middleware:
  registry:
    - name: ARegistryMiddleware
      options: {foo: bar}
  repository:
    - name: ARepositoryMiddleware
  storage:
    - name: cloudfront
      disabled: false
      options: {baseurl: "https://d1.cloudfront.net/", privatekey: /k.pem, keypairid: ABC, duration: 3000s}
reporting:
  bugsnag: {apikey: k, releasestage: production, endpoint: https://bugsnag.example.com}
  newrelic: {licensekey: l, name: registry, verbose: true}
http:
  addr: localhost:5000
  prefix: /my/nested/registry/
  host: https://myregistryaddress.org:5000
  secret: asecretforlocaldevelopment
  relativeurls: false
  draintimeout: 60s
  tls:
    certificate: /path/to/x509/public
    key: /path/to/x509/private
    clientcas: [/path/to/ca.pem]
    clientauth: require-and-verify-client-cert
    minimumtls: tls1.2
    ciphersuites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
    letsencrypt:
      cachefile: /path/to/cache-file
      email: emailused@letsencrypt.com
      hosts: [myregistryaddress.org]
      directoryurl: https://acme-v02.api.letsencrypt.org/directory
  debug:
    addr: localhost:5001
    prometheus: {enabled: true, path: /metrics}
  headers:
    X-Content-Type-Options: [nosniff]
  http2: {disabled: false}
  h2c: {enabled: false}
notifications:
  events: {includereferences: true}
  endpoints:
    - name: alistener
      disabled: false
      url: https://my.listener.com/event
      headers: {Authorization: [Bearer token]}
      timeout: 1s
      threshold: 10
      backoff: 1s
      ignoredmediatypes: [application/octet-stream]
      ignore:
        mediatypes: [application/octet-stream]
        actions: [pull]
redis:
  addr: localhost:6379
  addrs: [localhost:6379]
  password: asecret
  db: 0
  dialtimeout: 10ms
  readtimeout: 10ms
  writetimeout: 10ms
  pool: {maxidle: 16, maxactive: 64, idletimeout: 300s}
  poolsize: 10
  maxretries: 3
  connmaxidletime: 300s
  tls:
    certificate: /path/to/cert.crt
    key: /path/to/key.pem
    rootcas: [/path/to/ca.pem]
health:
  storagedriver: {enabled: true, interval: 10s, threshold: 3}
  file:
    - file: /path/to/checked/file
      interval: 10s
  http:
    - uri: http://server.to.check/must/return/200
      headers: {Authorization: [Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==]}
      statuscode: 200
      timeout: 3s
      interval: 10s
      threshold: 3
  tcp:
    - addr: redis-server.domain.com:6379
      timeout: 3s
      interval: 10s
      threshold: 3
catalog:
  maxentries: 100
tags:
  maxtags: 100
proxy:
  remoteurl: https://registry-1.docker.io
  username: "[username]"
  password: "[password]"
  ttl: 168h
  exec: {command: docker-credential-helper, lifetime: 1h}
compatibility:
  schema1:
    signingkeyfile: /etc/registry/key.json
    enabled: true
validation:
  disabled: false
  manifests:
    urls:
      allow: ['^https?://([^/]+\.)*example\.com/']
      deny: ['^https?://www\.example\.com/']
    indexes:
      platforms: List
      platformlist:
        - architecture: amd64
          os: linux
policy:
  repository:
    classes: [image]
"#;

    #[test]
    fn every_documented_section_loads_without_unknown_keys() {
        let loaded = load_str(EVERYTHING, &[]).unwrap();
        assert_eq!(loaded.unknown_keys, Vec::<Diagnostic>::new());
        let config = &loaded.config;
        assert_eq!(config.log.level, "debug");
        assert_eq!(config.storage_driver(), Some("s3"));
        assert_eq!(
            config.storage.tag.as_ref().unwrap().concurrencylimit,
            Some(8)
        );
        assert_eq!(config.auth.as_ref().unwrap().kind, "token");
        assert_eq!(config.middleware["storage"][0].name, "cloudfront");
        assert_eq!(config.http.tls.letsencrypt.hosts, ["myregistryaddress.org"]);
        assert_eq!(config.notifications.endpoints[0].threshold, 10);
        assert_eq!(config.redis.pool.maxactive, 64);
        assert_eq!(config.redis.options["poolsize"], 10);
        assert_eq!(config.health.http[0].statuscode, 200);
        assert_eq!(config.proxy.ttl.unwrap().to_string(), "168h");
        assert_eq!(config.validation.manifests.indexes.platforms, "list");
        assert!(config.compatibility.schema1.enabled);
        // What `config show` prints loads back to the same config.
        let shown = serde_yaml::to_string(config).unwrap();
        let again = load_str(&shown, &[]).unwrap();
        assert_eq!(&again.config, config);
    }

    #[test]
    fn env_overrides_reach_the_typed_config() {
        let loaded = load_str(
            "version: 0.1\nstorage: inmemory\n",
            &env(&[
                ("REGISTRY_AUTH", "htpasswd"),
                ("REGISTRY_AUTH_HTPASSWD_REALM", "R"),
                ("REGISTRY_AUTH_HTPASSWD_PATH", "/a/htpasswd"),
                ("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true"),
                ("REGISTRY_STORAGE_DELETE_ENABLED", "yes"),
                ("REGISTRY_HTTP_TLS_CERTIFICATE", "/c.pem"),
                ("REGISTRY_HTTP_TLS_KEY", "/k.pem"),
            ]),
        )
        .unwrap();
        let config = &loaded.config;
        assert_eq!(config.storage_driver(), Some("inmemory"));
        assert_eq!(config.storage_root(), None);
        assert_eq!(
            config.htpasswd(),
            Some(("R".to_owned(), PathBuf::from("/a/htpasswd")))
        );
        assert!(config.readonly());
        assert!(config.delete_enabled());
        assert_eq!(
            config.tls_files(),
            Some((PathBuf::from("/c.pem"), PathBuf::from("/k.pem")))
        );
        assert_eq!(loaded.overrides.len(), 7);
    }

    #[test]
    fn refuses_what_distribution_refuses_and_reports_it_all() {
        let yaml = "\
version: 0.2
storage:
  filesystem: {}
  inmemory: {}
http:
  addr: [1]
  relativeurls: maybe
  draintimeout: 3 days
log:
  level: loud
";
        let Err(ConfigError::Invalid { diagnostics, .. }) = load_str(yaml, &[]) else {
            panic!("expected invalid");
        };
        let paths: Vec<&str> = diagnostics.iter().map(|d| d.path.as_str()).collect();
        for expected in [
            "version",
            "storage",
            "http.addr",
            "http.relativeurls",
            "http.draintimeout",
            "log.level",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} missing from {paths:?}"
            );
        }
    }

    #[test]
    fn missing_version_and_storage_are_errors() {
        let Err(ConfigError::Invalid { diagnostics, .. }) = load_str("http: {addr: ':1'}\n", &[])
        else {
            panic!("expected invalid");
        };
        let paths: Vec<&str> = diagnostics.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["version", "storage"]);
    }

    #[test]
    fn unknown_keys_load_but_do_not_validate() {
        let yaml = "version: 0.1\nstorage:\n  inmemory:\nhttp:\n  adr: ':5000'\n  addr: ':5000'\n";
        let loaded = load_str(yaml, &[]).unwrap();
        let diagnostics = validate(&loaded);
        let unknown = diagnostics
            .iter()
            .find(|d| d.path == "http.adr")
            .expect("unknown key reported");
        assert!(unknown.is_error());
        assert!(
            unknown.message.contains("did you mean \"addr\""),
            "{}",
            unknown.message
        );
    }

    #[test]
    fn a_typo_in_storage_is_an_unknown_driver_with_a_suggestion() {
        let yaml = "version: 0.1\nstorage:\n  inmemory:\n  delte:\n    enabled: true\n";
        let diagnostics = check_str(yaml, &[], Path::new("c.yml"));
        let typo = diagnostics
            .iter()
            .find(|d| d.path == "storage.delte")
            .unwrap();
        assert!(
            typo.message.contains("did you mean \"delete\""),
            "{}",
            typo.message
        );
    }

    #[test]
    fn env_errors_name_the_variable() {
        let diagnostics = check_str(
            "version: 0.1\nstorage: inmemory\nhttp: {addr: ':1'}\n",
            &env(&[
                ("REGISTRY_NOTIFICATIONS_ENDPOINTS_5_URL", "http://x/"),
                ("REGISTRY_HTTP_RELATIVEURLS", "perhaps"),
            ]),
            Path::new("c.yml"),
        );
        assert!(diagnostics
            .iter()
            .any(|d| d.path == "REGISTRY_NOTIFICATIONS_ENDPOINTS_5_URL" && d.is_error()));
        let typed = diagnostics
            .iter()
            .find(|d| d.path == "http.relativeurls")
            .unwrap();
        assert!(typed
            .message
            .ends_with("(set by REGISTRY_HTTP_RELATIVEURLS)"));
    }

    #[test]
    fn yaml_syntax_errors_are_one_diagnostic() {
        let diagnostics = check_str("version: 0.1\nstorage: [\n", &[], Path::new("bad.yml"));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].path, "bad.yml");
        assert!(diagnostics[0].message.contains("not valid YAML"));
    }
}
