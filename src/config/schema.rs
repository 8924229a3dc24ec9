//! The typed config.yml (distribution's version 0.1 schema), after `REGISTRY_*` overrides and
//! defaults. Field names are the YAML keys. Sections distribution keeps as free-form `Parameters`
//! (storage driver options, middleware options) stay maps of YAML values.
//!
//! The model is deserialized only from a tree that `validate::check_tree` has already checked and
//! normalized, so type errors are reported with their key path there, not as serde errors here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::Error as _;
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_yaml::Value;

use super::duration::GoDuration;

/// distribution's `Parameters`: free-form options of a driver, auth method or middleware.
pub type Parameters = BTreeMap<String, Value>;

/// `filesystem.rootdirectory` when the config does not set one (distribution's default).
pub const DEFAULT_ROOT_DIRECTORY: &str = "/var/lib/registry";
/// Default `catalog.maxentries` and `tags.maxtags`.
pub const DEFAULT_MAX_ENTRIES: i64 = 1000;

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub version: String,
    #[serde(skip_serializing_if = "is_default")]
    pub log: Log,
    /// Deprecated top-level log level; folded into `log.level` on load, as distribution does.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub loglevel: String,
    pub storage: Storage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub middleware: BTreeMap<String, Vec<Middleware>>,
    /// distribution 2.8 only.
    #[serde(skip_serializing_if = "is_default")]
    pub reporting: Reporting,
    #[serde(skip_serializing_if = "is_default")]
    pub http: Http,
    #[serde(skip_serializing_if = "is_default")]
    pub notifications: Notifications,
    #[serde(skip_serializing_if = "is_default")]
    pub redis: Redis,
    #[serde(skip_serializing_if = "is_default")]
    pub health: Health,
    #[serde(skip_serializing_if = "is_default")]
    pub catalog: Catalog,
    /// distribution 3 only.
    #[serde(skip_serializing_if = "is_default")]
    pub tags: Tags,
    #[serde(skip_serializing_if = "is_default")]
    pub proxy: Proxy,
    /// distribution 2.8 only.
    #[serde(skip_serializing_if = "is_default")]
    pub compatibility: Compatibility,
    #[serde(skip_serializing_if = "is_default")]
    pub validation: Validation,
    #[serde(skip_serializing_if = "is_default")]
    pub policy: Policy,
    /// regctl's own (`retention`, read by `regctl prune`); registry:2's parser ignores the key.
    #[serde(skip_serializing_if = "is_default")]
    pub retention: Retention,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Log {
    #[serde(skip_serializing_if = "is_default")]
    pub accesslog: AccessLog,
    /// regctl's own (`src/audit`); registry:2 ignores the key.
    #[serde(skip_serializing_if = "is_default")]
    pub audit: AuditLog,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub level: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub formatter: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<LogHook>,
    #[serde(skip_serializing_if = "is_false")]
    pub reportcaller: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessLog {
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
}

/// `log.audit` (regctl's own): a separate file for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditLog {
    /// The audit lines are also appended here, as JSON lines (`src/audit/file.rs`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file: String,
}

impl AuditLog {
    /// `file`, when set.
    #[must_use]
    pub fn path(&self) -> Option<std::path::PathBuf> {
        let file = self.file.trim();
        (!file.is_empty()).then(|| std::path::PathBuf::from(file))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogHook {
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
    #[serde(skip_serializing_if = "is_default")]
    pub options: MailOptions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailOptions {
    #[serde(skip_serializing_if = "is_default")]
    pub smtp: Smtp,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Smtp {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub addr: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(skip_serializing_if = "is_false")]
    pub insecure: bool,
}

/// `storage`: exactly one driver plus the sections distribution allows next to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Storage {
    pub driver: Option<StorageDriver>,
    pub delete: Option<StorageDelete>,
    pub cache: Option<StorageCache>,
    pub maintenance: Option<Maintenance>,
    pub redirect: Option<Redirect>,
    /// distribution 3 only.
    pub tag: Option<StorageTag>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageDriver {
    /// `filesystem`, `inmemory`, `s3`, ...
    pub name: String,
    pub params: Parameters,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageDelete {
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageCache {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub blobdescriptor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blobdescriptorsize: Option<i64>,
    /// Pre-2.0 name of `blobdescriptor`, still honoured.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub layerinfo: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Maintenance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploadpurging: Option<UploadPurging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly: Option<ReadOnly>,
}

/// As written; [`Config::upload_purging`] gives the effective values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadPurging {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dryrun: Option<bool>,
}

/// Effective upload purging settings (distribution's defaults: on, 168h, every 24h, not dry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadPurgeSettings {
    pub enabled: bool,
    pub age: GoDuration,
    pub interval: GoDuration,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadOnly {
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Redirect {
    pub disable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageTag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrencylimit: Option<i64>,
}

/// Section names of `storage` that are not drivers.
pub const STORAGE_SECTIONS: [&str; 5] = ["delete", "cache", "maintenance", "redirect", "tag"];

fn section<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    name: &str,
    value: Value,
) -> Result<Option<T>, E> {
    let value = if value.is_null() {
        Value::Mapping(serde_yaml::Mapping::new())
    } else {
        value
    };
    serde_yaml::from_value(value)
        .map(Some)
        .map_err(|e| E::custom(format!("storage.{name}: {e}")))
}

fn params_of<E: serde::de::Error>(what: &str, value: Value) -> Result<Parameters, E> {
    match value {
        Value::Null => Ok(Parameters::new()),
        other => serde_yaml::from_value(other).map_err(|e| E::custom(format!("{what}: {e}"))),
    }
}

impl<'de> Deserialize<'de> for Storage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut storage = Storage::default();
        let map = match Value::deserialize(deserializer)? {
            Value::Null => return Ok(storage),
            Value::String(driver) => {
                storage.driver = Some(StorageDriver {
                    name: driver,
                    params: Parameters::new(),
                });
                return Ok(storage);
            }
            Value::Mapping(map) => map,
            _ => return Err(D::Error::custom("storage must be a mapping")),
        };
        for (key, value) in map {
            let Some(key) = key.as_str().map(str::to_owned) else {
                return Err(D::Error::custom("storage keys must be strings"));
            };
            match key.as_str() {
                "delete" => storage.delete = section(&key, value)?,
                "cache" => storage.cache = section(&key, value)?,
                "maintenance" => storage.maintenance = section(&key, value)?,
                "redirect" => storage.redirect = section(&key, value)?,
                "tag" => storage.tag = section(&key, value)?,
                _ => {
                    if let Some(existing) = &storage.driver {
                        return Err(D::Error::custom(format!(
                            "must provide exactly one storage driver, found {} and {key}",
                            existing.name
                        )));
                    }
                    let params = params_of(&format!("storage.{key}"), value)?;
                    storage.driver = Some(StorageDriver { name: key, params });
                }
            }
        }
        Ok(storage)
    }
}

impl Serialize for Storage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(driver) = &self.driver {
            map.serialize_entry(&driver.name, &driver.params)?;
        }
        if let Some(delete) = &self.delete {
            map.serialize_entry("delete", delete)?;
        }
        if let Some(cache) = &self.cache {
            map.serialize_entry("cache", cache)?;
        }
        if let Some(maintenance) = &self.maintenance {
            map.serialize_entry("maintenance", maintenance)?;
        }
        if let Some(redirect) = &self.redirect {
            map.serialize_entry("redirect", redirect)?;
        }
        if let Some(tag) = &self.tag {
            map.serialize_entry("tag", tag)?;
        }
        map.end()
    }
}

/// `auth`: one access controller (`htpasswd`, `token` or `silly`) with its parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Auth {
    pub kind: String,
    pub params: Parameters,
}

impl Auth {
    /// A string parameter, `None` when absent or not a string.
    #[must_use]
    pub fn param_str(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(Value::as_str)
    }
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(kind) => Ok(Auth {
                kind,
                params: Parameters::new(),
            }),
            Value::Mapping(map) => {
                let mut entries = map.into_iter();
                let Some((key, value)) = entries.next() else {
                    return Err(D::Error::custom("auth names no method"));
                };
                if entries.next().is_some() {
                    return Err(D::Error::custom("auth must name exactly one method"));
                }
                let kind = key
                    .as_str()
                    .ok_or_else(|| D::Error::custom("auth keys must be strings"))?
                    .to_owned();
                let params = params_of(&format!("auth.{kind}"), value)?;
                Ok(Auth { kind, params })
            }
            _ => Err(D::Error::custom("auth must be a mapping")),
        }
    }
}

impl Serialize for Auth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(&self.kind, &self.params)?;
        map.end()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Middleware {
    pub name: String,
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: Parameters,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reporting {
    #[serde(skip_serializing_if = "is_default")]
    pub bugsnag: Bugsnag,
    #[serde(skip_serializing_if = "is_default")]
    pub newrelic: NewRelic,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bugsnag {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub apikey: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub releasestage: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewRelic {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub licensekey: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "is_false")]
    pub verbose: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Http {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub addr: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub net: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub secret: String,
    #[serde(skip_serializing_if = "is_false")]
    pub relativeurls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draintimeout: Option<GoDuration>,
    #[serde(skip_serializing_if = "is_default")]
    pub tls: Tls,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "is_default")]
    pub debug: Debug,
    #[serde(skip_serializing_if = "is_default")]
    pub http2: Http2,
    /// distribution 3 only.
    #[serde(skip_serializing_if = "is_default")]
    pub h2c: H2c,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tls {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub certificate: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clientcas: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub clientauth: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub minimumtls: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ciphersuites: Vec<String>,
    #[serde(skip_serializing_if = "is_default")]
    pub letsencrypt: LetsEncrypt,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LetsEncrypt {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cachefile: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub directoryurl: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Debug {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub addr: String,
    #[serde(skip_serializing_if = "is_default")]
    pub prometheus: Prometheus,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prometheus {
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Http2 {
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct H2c {
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Notifications {
    #[serde(skip_serializing_if = "is_default")]
    pub events: Events,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// regctl's own: where undelivered events are kept (src/notify).
    #[serde(skip_serializing_if = "is_default")]
    pub queue: NotificationQueue,
}

/// `notifications.queue` (regctl's): the on-disk queue of undelivered events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotificationQueue {
    /// One subdirectory per endpoint; unset: beside the storage root (`<root>-notifications`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub directory: String,
    /// Undelivered events kept per endpoint; 0 or unset: 10000.
    #[serde(skip_serializing_if = "is_default")]
    pub maxevents: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Events {
    #[serde(skip_serializing_if = "is_false")]
    pub includereferences: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    pub name: String,
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
    pub url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    #[serde(skip_serializing_if = "is_default")]
    pub threshold: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<GoDuration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignoredmediatypes: Vec<String>,
    #[serde(skip_serializing_if = "is_default")]
    pub ignore: Ignore,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ignore {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mediatypes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
}

/// `redis`: the keys both versions share are typed; the rest of v3's go-redis options are kept
/// as written in `options`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Redis {
    /// distribution 2.8: one address.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub addr: String,
    /// distribution 3: addresses (one for a single node).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addrs: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(skip_serializing_if = "is_default")]
    pub db: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialtimeout: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readtimeout: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writetimeout: Option<GoDuration>,
    /// distribution 2.8 only.
    #[serde(skip_serializing_if = "is_default")]
    pub pool: RedisPool,
    #[serde(skip_serializing_if = "is_default")]
    pub tls: RedisTls,
    #[serde(flatten)]
    pub options: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisPool {
    #[serde(skip_serializing_if = "is_default")]
    pub maxidle: i64,
    #[serde(skip_serializing_if = "is_default")]
    pub maxactive: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idletimeout: Option<GoDuration>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisTls {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub certificate: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rootcas: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Health {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file: Vec<FileChecker>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpChecker>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tcp: Vec<TcpChecker>,
    #[serde(skip_serializing_if = "is_default")]
    pub storagedriver: StorageDriverCheck,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FileChecker {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    pub file: String,
    #[serde(skip_serializing_if = "is_default")]
    pub threshold: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpChecker {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    #[serde(skip_serializing_if = "is_default")]
    pub statuscode: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    pub uri: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "is_default")]
    pub threshold: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpChecker {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    pub addr: String,
    #[serde(skip_serializing_if = "is_default")]
    pub threshold: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageDriverCheck {
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    #[serde(skip_serializing_if = "is_default")]
    pub threshold: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Catalog {
    #[serde(skip_serializing_if = "is_default")]
    pub maxentries: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tags {
    #[serde(skip_serializing_if = "is_default")]
    pub maxtags: i64,
    /// regctl's own (`registry::immutable`); registry:2 ignores the key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub immutable: Vec<ImmutableTagRule>,
}

/// `retention` as written (compiled by `retention::from_config`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Retention {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<RetentionPolicyEntry>,
    /// How often `regctl serve` applies the policies itself, each time followed by gc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<crate::config::GoDuration>,
}

/// One `retention.policies` entry: which repositories, which tags to protect, which to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionPolicyEntry {
    pub repository: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<TagSelectorEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<TagSelectorEntry>,
}

/// One `keep` or `delete` selector: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TagSelectorEntry {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub matching: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notmatching: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushedwithin: Option<GoDuration>,
    /// Keep only: pulled (GET or HEAD of its manifest) at most this long ago.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulledwithin: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub olderthan: Option<GoDuration>,
}

/// One `tags.immutable` entry as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImmutableTagRule {
    pub repository: String,
    pub tag: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Proxy {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remoteurl: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<ProxyExec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cachewritetimeout: Option<GoDuration>,
    /// regctl's own (registry:2 ignores the key): repository-name prefixes mapped to upstreams,
    /// every other repository local (src/proxy/routes.rs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upstreams: Vec<ProxyUpstream>,
    /// regctl's own: the most cached content kept (`50GiB`, `500MB`, bytes), least recently
    /// pulled images evicted past it (src/proxy/evict.rs).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cachebudget: String,
    /// regctl's own: how often `regctl serve` checks `cachebudget` (default 1h).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evictinterval: Option<GoDuration>,
}

/// One entry of `proxy.upstreams`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyUpstream {
    pub prefix: String,
    pub remoteurl: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<GoDuration>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyExec {
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<GoDuration>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Compatibility {
    #[serde(skip_serializing_if = "is_default")]
    pub schema1: Schema1,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schema1 {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signingkeyfile: String,
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Validation {
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub manifests: ValidationManifests,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidationManifests {
    #[serde(skip_serializing_if = "is_default")]
    pub urls: ValidationUrls,
    #[serde(skip_serializing_if = "is_default")]
    pub indexes: ValidationIndexes,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidationUrls {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidationIndexes {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub platforms: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platformlist: Vec<Platform>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Platform {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub os: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    #[serde(skip_serializing_if = "is_default")]
    pub repository: PolicyRepository,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyRepository {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

impl Config {
    /// Fills the defaults distribution fills when it converts a parsed v0.1 config.
    pub(crate) fn apply_defaults(&mut self) {
        if self.log.level.is_empty() {
            self.log.level = if self.loglevel.is_empty() {
                "info".to_owned()
            } else {
                self.loglevel.clone()
            };
        }
        self.loglevel.clear();
        if self.catalog.maxentries <= 0 {
            self.catalog.maxentries = DEFAULT_MAX_ENTRIES;
        }
        if self.tags.maxtags == 0 {
            self.tags.maxtags = DEFAULT_MAX_ENTRIES;
        }
    }

    /// The storage driver's name (`filesystem`, `inmemory`, `s3`, ...).
    #[must_use]
    pub fn storage_driver(&self) -> Option<&str> {
        self.storage.driver.as_ref().map(|d| d.name.as_str())
    }

    /// The filesystem driver's root directory (distribution's default when unset); `None` for
    /// other drivers.
    #[must_use]
    pub fn storage_root(&self) -> Option<PathBuf> {
        let driver = self.storage.driver.as_ref()?;
        if driver.name != "filesystem" {
            return None;
        }
        let root = driver
            .params
            .get("rootdirectory")
            .and_then(Value::as_str)
            .and_then(non_empty)
            .unwrap_or(DEFAULT_ROOT_DIRECTORY);
        Some(PathBuf::from(root))
    }

    /// `storage.s3` typed, with registry:2's defaults; `None` for other drivers.
    ///
    /// # Errors
    /// Every parameter registry:2 (or regctl) cannot use, with its key.
    pub fn s3(&self) -> Option<Result<super::s3::S3Settings, Vec<super::s3::S3Problem>>> {
        let driver = self.storage.driver.as_ref().filter(|d| d.name == "s3")?;
        Some(super::s3::S3Settings::from_params(&driver.params))
    }

    /// `storage.redirect.disable`: blob downloads are served by the registry, never redirected
    /// to the storage backend.
    #[must_use]
    pub fn redirect_disabled(&self) -> bool {
        self.storage.redirect.as_ref().is_some_and(|r| r.disable)
    }

    /// `(realm, path)` of htpasswd auth; `None` when auth is not htpasswd or names no file. A
    /// missing realm is returned as an empty string (validation reports it).
    #[must_use]
    pub fn htpasswd(&self) -> Option<(String, PathBuf)> {
        let auth = self.auth.as_ref().filter(|a| a.kind == "htpasswd")?;
        let path = auth.param_str("path").and_then(non_empty)?;
        let realm = auth.param_str("realm").unwrap_or_default();
        Some((realm.to_owned(), PathBuf::from(path)))
    }

    /// `auth.token`'s parameters as registry:2 reads them; `None` when auth is not token.
    /// Missing strings are empty (the server refuses them, as registry:2 does).
    #[must_use]
    pub fn token_auth(&self) -> Option<crate::server::token_auth::TokenSettings> {
        let auth = self.auth.as_ref().filter(|a| a.kind == "token")?;
        let string = |key| auth.param_str(key).unwrap_or_default().to_owned();
        let path = |key| auth.param_str(key).and_then(non_empty).map(PathBuf::from);
        let autoredirect = auth.params.get("autoredirect").and_then(Value::as_bool) == Some(true);
        let autoredirect_path = autoredirect.then(|| {
            auth.param_str("autoredirectpath")
                .and_then(non_empty)
                .unwrap_or(crate::server::token_auth::DEFAULT_AUTO_REDIRECT_PATH)
                .to_owned()
        });
        let signing_algorithms = auth
            .params
            .get("signingalgorithms")
            .and_then(Value::as_sequence)
            .map(|list| {
                list.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        Some(crate::server::token_auth::TokenSettings {
            realm: string("realm"),
            service: string("service"),
            issuer: string("issuer"),
            rootcertbundle: path("rootcertbundle"),
            jwks: path("jwks"),
            autoredirect_path,
            signing_algorithms,
        })
    }

    /// `auth.htpasswd.policy`: regctl's access policy file, resolved against the current
    /// directory as registry:2 resolves `path`.
    #[must_use]
    pub fn access_policy(&self) -> Option<PathBuf> {
        let auth = self.auth.as_ref().filter(|a| a.kind == "htpasswd")?;
        auth.param_str("policy")
            .and_then(non_empty)
            .map(PathBuf::from)
    }

    /// `storage.delete.enabled`: manifest and blob deletes are allowed.
    #[must_use]
    pub fn delete_enabled(&self) -> bool {
        self.storage.delete.as_ref().is_some_and(|d| d.enabled)
    }

    /// `storage.maintenance.readonly.enabled`: writes are refused.
    #[must_use]
    pub fn readonly(&self) -> bool {
        self.storage
            .maintenance
            .as_ref()
            .and_then(|m| m.readonly.as_ref())
            .is_some_and(|r| r.enabled)
    }

    /// `http.addr`, `None` when unset.
    #[must_use]
    pub fn http_addr(&self) -> Option<&str> {
        non_empty(&self.http.addr)
    }

    /// `(certificate, key)` when TLS is configured with files (`http.tls.certificate` set).
    #[must_use]
    pub fn tls_files(&self) -> Option<(PathBuf, PathBuf)> {
        let certificate = non_empty(&self.http.tls.certificate)?;
        Some((
            PathBuf::from(certificate),
            PathBuf::from(&self.http.tls.key),
        ))
    }

    /// The effective upload purging settings, with distribution's defaults for what is unset.
    #[must_use]
    pub fn upload_purging(&self) -> UploadPurgeSettings {
        let configured = self
            .storage
            .maintenance
            .as_ref()
            .and_then(|m| m.uploadpurging.clone())
            .unwrap_or_default();
        UploadPurgeSettings {
            enabled: configured.enabled.unwrap_or(true),
            age: configured
                .age
                .unwrap_or_else(|| GoDuration::from_std(crate::upload_purge::AGE)),
            interval: configured
                .interval
                .unwrap_or_else(|| GoDuration::from_std(crate::upload_purge::INTERVAL)),
            dry_run: configured.dryrun.unwrap_or(false),
        }
    }
}
