//! Which keys of distribution's schema `regctl serve` honours: the one table that both
//! `regctl config validate` (through [`super::validate`]) and `ServeSettings::from_config` read,
//! so the two never disagree. A key registry:2 acts on and regctl does not is refused with its
//! key path ("regctl serve does not support X yet; registry:2 does") instead of being silently
//! ignored; a key whose effect is nil for a single filesystem-backed regctl is accepted, with the
//! reason written here (and listed in ARCHITECTURE.md).
//!
//! Every leaf of `shape::ROOT` is classified here (a unit test walks the shape), so a key added
//! to the shape cannot be ignored by accident.

use serde_yaml::Value;

use super::schema::DEFAULT_MAX_ENTRIES;
use super::{Config, Diagnostic};

/// How `regctl serve` treats a key (and everything below it).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// `ServeSettings::from_config` reads it and the server acts on it.
    Honoured,
    /// Accepted, with no effect: why that is harmless.
    NoOp(&'static str),
    /// Refused whenever it is set to anything but its zero value: the feature registry:2 has.
    Unsupported(&'static str),
    /// Honoured for some values; returns the feature for the values it refuses.
    Values(fn(&Value) -> Option<&'static str>),
    /// Without effect (the reason) for the values the check lets through.
    NoOpUnless(fn(&Value) -> Option<&'static str>, &'static str),
}

use Rule::{Honoured, NoOp, NoOpUnless, Unsupported, Values};

/// Key paths (YAML keys joined by `.`); a rule covers its whole subtree.
pub(crate) static RULES: &[(&str, Rule)] = &[
    ("version", Honoured),
    ("log.accesslog.disabled", Honoured),
    // regctl's own (src/audit/file.rs): the audit lines also go to this file, as JSON.
    ("log.audit.file", Honoured),
    ("log.level", Honoured),
    // text and json; logstash lines are written as JSON lines (server/logging.rs).
    ("log.formatter", Honoured),
    ("loglevel", Honoured),
    (
        "log.fields",
        NoOp("static fields added to every log line; regctl's lines carry none, which changes no behaviour"),
    ),
    ("log.reportcaller", NoOp("adds the Go caller to log lines")),
    ("log.hooks", Unsupported("log hooks (mail on error)")),
    ("storage.filesystem.rootdirectory", Honoured),
    (
        "storage.filesystem.maxthreads",
        NoOp("bounds Go's OS threads; regctl's blocking pool has its own bound"),
    ),
    ("storage.inmemory", Unsupported("the inmemory storage driver")),
    ("storage.s3", Honoured),
    ("storage.gcs", Unsupported("the gcs storage driver")),
    ("storage.azure", Unsupported("the azure storage driver")),
    ("storage.swift", Unsupported("the swift storage driver")),
    ("storage.oss", Unsupported("the oss storage driver")),
    ("storage.delete.enabled", Honoured),
    (
        "storage.cache.blobdescriptor",
        NoOpUnless(redis_cache, "regctl caches blob descriptors in memory anyway"),
    ),
    (
        "storage.cache.layerinfo",
        NoOpUnless(redis_cache, "regctl caches blob descriptors in memory anyway"),
    ),
    (
        "storage.cache.blobdescriptorsize",
        NoOp("size of registry:2's descriptor cache; regctl's caches are sized by itself"),
    ),
    ("storage.maintenance.uploadpurging", Honoured),
    ("storage.maintenance.readonly.enabled", Honoured),
    ("storage.redirect.disable", Honoured),
    (
        "storage.tag.concurrencylimit",
        NoOp("parallelism of registry:2's tag lookups on delete"),
    ),
    ("auth.htpasswd", Honoured),
    // regctl's access policy (src/access); registry:2's htpasswd ignores the parameter.
    ("auth.htpasswd.policy", Honoured),
    ("auth.token", Honoured),
    ("auth.silly", Unsupported("the silly auth method")),
    ("middleware", Unsupported("middleware")),
    ("reporting.bugsnag", Unsupported("error reporting to Bugsnag")),
    ("reporting.newrelic", Unsupported("error reporting to New Relic")),
    ("http.addr", Honoured),
    ("http.net", Values(unix_socket)),
    ("http.host", Honoured),
    ("http.prefix", Unsupported("serving under a URL prefix (http.prefix)")),
    (
        "http.secret",
        NoOp("signs registry:2's upload state for replicas; regctl keeps upload state on disk"),
    ),
    ("http.relativeurls", Honoured),
    ("http.draintimeout", Honoured),
    ("http.tls.certificate", Honoured),
    ("http.tls.key", Honoured),
    ("http.tls.clientcas", Honoured),
    (
        "http.tls.clientauth",
        NoOpUnless(client_auth, "with clientcas regctl requires and verifies client certificates"),
    ),
    (
        "http.tls.minimumtls",
        NoOpUnless(minimum_tls, "regctl's floor is TLS 1.2, so clients below it are refused"),
    ),
    ("http.tls.ciphersuites", Unsupported("choosing TLS cipher suites")),
    ("http.tls.letsencrypt", Honoured),
    ("http.headers", Honoured),
    // metrics: src/metrics.rs (without prometheus the debug listener answers 404).
    ("http.debug.addr", Honoured),
    ("http.debug.prometheus", Honoured),
    ("http.http2.disabled", Honoured),
    (
        "http.h2c.enabled",
        NoOp("regctl always accepts HTTP/2 with prior knowledge on plain connections"),
    ),
    // notifications: src/notify (delivery workers, on-disk queue, /debug/events).
    ("notifications.events.includereferences", Honoured),
    ("notifications.endpoints", Honoured),
    // regctl's own: the on-disk queue registry:2 does not have.
    ("notifications.queue.directory", Honoured),
    ("notifications.queue.maxevents", Honoured),
    ("redis", Unsupported("redis")),
    // health: src/health.rs (periodic checks, /debug/health, 503 while failing).
    ("health.storagedriver", Honoured),
    ("health.file", Honoured),
    ("health.http", Honoured),
    ("health.tcp", Honoured),
    ("catalog.maxentries", Values(not_default_max)),
    ("tags.maxtags", Values(not_default_max)),
    ("tags.immutable", Honoured),
    ("proxy.remoteurl", Honoured),
    ("proxy.username", Honoured),
    ("proxy.password", Honoured),
    ("proxy.exec", Unsupported("proxy credentials from a command (proxy.exec)")),
    ("proxy.ttl", Honoured),
    // regctl's many-upstream cache (src/proxy/routes.rs); registry:2 ignores the key.
    ("proxy.upstreams", Honoured),
    // regctl's cache budget (src/proxy/evict.rs), enforced by `regctl serve` and `regctl gc`.
    ("proxy.cachebudget", Honoured),
    ("proxy.evictinterval", Honoured),
    ("proxy.cachewritetimeout", NoOp("distribution 3 bounds its background cache write; regctl stores a blob before answering, within the upstream transfer")),
    ("compatibility.schema1", Unsupported("schema1 manifests")),
    (
        "validation.enabled",
        NoOp("deprecated in registry:2, which ignores it"),
    ),
    (
        "validation.disabled",
        Unsupported("accepting manifests without validating them"),
    ),
    (
        "validation.manifests.urls",
        Unsupported("foreign-layer URL rules"),
    ),
    (
        "validation.manifests.indexes",
        Unsupported("index platform validation rules"),
    ),
    // regctl's own (src/retention): read by `regctl prune`; registry:2 ignores the key.
    ("retention.policies", Honoured),
    // Applied by `regctl serve` itself every `schedule`, then gc (src/server/retention.rs).
    ("retention.schedule", Honoured),
    (
        "policy.repository.classes",
        NoOp("limits the repository classes of token access entries; distribution 3 dropped it and regctl reads no classes"),
    ),
];

fn redis_cache(value: &Value) -> Option<&'static str> {
    (value.as_str() == Some("redis")).then_some("the redis blob descriptor cache")
}

fn unix_socket(value: &Value) -> Option<&'static str> {
    (value.as_str() == Some("unix")).then_some("listening on a unix socket")
}

/// With `clientcas`, regctl requires and verifies a client certificate, distribution's default.
fn client_auth(value: &Value) -> Option<&'static str> {
    match value.as_str() {
        None | Some("" | "require-and-verify-client-cert") => None,
        Some(_) => Some("http.tls.clientauth other than require-and-verify-client-cert"),
    }
}

/// regctl's floor is TLS 1.2 (rustls has no 1.0/1.1): a lower minimum only refuses clients
/// registry:2 would accept with a weaker protocol; a TLS 1.3 minimum is not enforced.
fn minimum_tls(value: &Value) -> Option<&'static str> {
    (value.as_str() == Some("tls1.3")).then_some("a TLS 1.3 minimum")
}

fn not_default_max(value: &Value) -> Option<&'static str> {
    (value.as_i64() != Some(DEFAULT_MAX_ENTRIES))
        .then_some("a page limit other than 1000 (the default)")
}

fn rule_for(path: &str) -> Option<Rule> {
    RULES
        .iter()
        .find(|(key, _)| *key == path)
        .map(|(_, rule)| *rule)
}

/// Whether a value is "not set": what distribution's zero values serialize to.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        Value::String(s) => s.is_empty(),
        Value::Sequence(s) => s.is_empty(),
        // A named section (`storage: {s3: {}}`, `auth: {token: {}}`) is a choice even when empty.
        Value::Mapping(_) | Value::Tagged(_) => false,
    }
}

fn message(feature: &str) -> String {
    format!(
        "regctl serve does not support {feature} yet; registry:2 does (remove the key to \
         serve with regctl, or use registry:2)"
    )
}

/// Every key `config` sets that `regctl serve` cannot honour, as errors with their key paths.
/// `config validate` reports these and `ServeSettings::from_config` refuses to start on them.
#[must_use]
pub fn unsupported(config: &Config) -> Vec<Diagnostic> {
    classify(config).unsupported
}

/// Keys `config` sets that `regctl serve` accepts without effect, with the reason it is
/// harmless (for `config validate -v`).
#[must_use]
pub fn without_effect(config: &Config) -> Vec<(String, &'static str)> {
    classify(config).no_op
}

#[derive(Default)]
struct Classified {
    unsupported: Vec<Diagnostic>,
    no_op: Vec<(String, &'static str)>,
}

fn classify(config: &Config) -> Classified {
    let mut out = Classified::default();
    // The typed model serializes only what is set (defaults are skipped), so walking its tree
    // visits exactly the keys the file and the environment gave.
    match serde_yaml::to_value(config) {
        Ok(tree) => walk(&tree, "", &mut out),
        Err(err) => out
            .unsupported
            .push(Diagnostic::error("(config)", err.to_string())),
    }
    out
}

fn walk(node: &Value, path: &str, out: &mut Classified) {
    if !path.is_empty() {
        match rule_for(path) {
            Some(Honoured) => return,
            Some(NoOp(why)) => {
                if !is_zero(node) {
                    out.no_op.push((path.to_owned(), why));
                }
                return;
            }
            Some(Unsupported(feature)) => {
                if !is_zero(node) {
                    out.unsupported
                        .push(Diagnostic::error(path, message(feature)));
                }
                return;
            }
            Some(Values(check)) => {
                if let Some(feature) = check(node) {
                    out.unsupported
                        .push(Diagnostic::error(path, message(feature)));
                }
                return;
            }
            Some(NoOpUnless(check, why)) => {
                match check(node) {
                    Some(feature) => out
                        .unsupported
                        .push(Diagnostic::error(path, message(feature))),
                    None if !is_zero(node) => out.no_op.push((path.to_owned(), why)),
                    None => {}
                }
                return;
            }
            None => {}
        }
    }
    match node {
        Value::Mapping(map) => {
            for (key, value) in map {
                let key = key.as_str().unwrap_or("?");
                let child = if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
                walk(value, &child, out);
            }
        }
        // A key no rule covers (the shape test keeps this from happening): fail closed.
        other if !is_zero(other) => out.unsupported.push(Diagnostic::error(
            path,
            "regctl serve does not know this key; remove it to serve with regctl",
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::shape::{Shape, ROOT};
    use super::*;

    /// Every key path of the shape, down to the leaves (`*` for map keys and slice items).
    fn walk_shape(shape: &Shape, path: &str, out: &mut Vec<String>) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match shape {
            Shape::Struct(fields) | Shape::Params { known: fields, .. } => {
                if fields.is_empty() {
                    out.push(path.to_owned());
                }
                for field in *fields {
                    walk_shape(field.shape, &join(field.yaml), out);
                }
            }
            Shape::OneOf { fixed, kinds, .. } => {
                for field in fixed.iter().chain(kinds.iter()) {
                    walk_shape(field.shape, &join(field.yaml), out);
                }
            }
            Shape::Map(inner) | Shape::Slice(inner) => walk_shape(inner, &join("*"), out),
            _ => out.push(path.to_owned()),
        }
    }

    fn covering_rule(leaf: &str) -> Option<&'static str> {
        RULES.iter().map(|(key, _)| *key).find(|key| {
            leaf == *key
                || leaf
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    #[test]
    fn every_key_of_the_schema_is_classified() {
        let mut leaves = Vec::new();
        walk_shape(&ROOT, "", &mut leaves);
        assert!(leaves.len() > 100, "{}", leaves.len());
        let unclassified: Vec<&String> = leaves
            .iter()
            .filter(|leaf| covering_rule(leaf).is_none())
            .collect();
        assert!(
            unclassified.is_empty(),
            "keys neither honoured nor reported: {unclassified:?}"
        );
        // And no rule names a key the shape does not have.
        for (key, _) in RULES {
            assert!(
                leaves
                    .iter()
                    .any(|leaf| leaf == key || leaf.starts_with(&format!("{key}."))),
                "rule for unknown key {key}"
            );
        }
    }

    fn problems(yaml: &str) -> Vec<String> {
        let loaded = super::super::load_str(yaml, &[]).unwrap();
        unsupported(&loaded.config)
            .into_iter()
            .map(|d| d.path)
            .collect()
    }

    const BASE: &str = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /r\n";

    #[test]
    fn reports_what_registry2_does_and_regctl_does_not() {
        let yaml = format!(
            "{BASE}proxy:\n  remoteurl: https://registry-1.docker.io\nredis:\n  addr: r:6379\n\
             http:\n  debug:\n    prometheus:\n      enabled: true\n  net: unix\n  addr: /s\n\
             notifications:\n  endpoints:\n    - name: a\n      url: http://x/\n"
        );
        assert_eq!(problems(&yaml), ["http.net", "redis"]);
        assert_eq!(
            problems("version: 0.1\nstorage:\n  gcs:\n    bucket: b\n"),
            ["storage.gcs"]
        );
        assert_eq!(
            problems("version: 0.1\nstorage: inmemory\n"),
            ["storage.inmemory"]
        );
    }

    #[test]
    fn registry2s_sample_config_and_zero_values_pass() {
        let yaml = format!(
            "{BASE}  cache:\n    blobdescriptor: inmemory\n  redirect:\n    disable: true\n\
             log:\n  fields:\n    service: registry\nhttp:\n  addr: :5000\n  secret: s\n  \
             http2:\n    disabled: false\n  debug:\n    prometheus:\n      enabled: false\n\
             health:\n  storagedriver:\n    enabled: true\n    interval: 10s\n    threshold: 3\n\
             proxy:\n  remoteurl: ''\ncatalog:\n  maxentries: 1000\n"
        );
        assert_eq!(problems(&yaml), Vec::<String>::new());
        assert_eq!(
            problems(&format!("{BASE}catalog:\n  maxentries: 50\n")),
            ["catalog.maxentries"]
        );
    }
}
