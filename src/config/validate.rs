//! Checking a config: first its shape (types, unknown keys, enum values, durations, one storage
//! driver and one auth method — what makes distribution refuse to start or silently ignore a
//! key), then what the registry would trip over at run time (addresses, files, certificates,
//! directories, sections registry:2 panics on).

use crate::certs::keypair::{self, KeyMismatch};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::duration::GoDuration;
use super::schema::{Config, DEFAULT_ROOT_DIRECTORY};
use super::shape::{Field, Shape, ROOT};
use super::Diagnostic;

/// Result of checking the YAML tree against distribution's shape.
#[derive(Debug, Default)]
pub(crate) struct TreeCheck {
    /// Problems distribution refuses to start with.
    pub errors: Vec<Diagnostic>,
    /// Keys distribution silently ignores (typos, most likely).
    pub unknown: Vec<Diagnostic>,
}

/// Checks `root` against the config shape. Offending nodes are removed and scalars are
/// normalized the way yaml.v2 reads them (`secret: 123` is a string, `enabled: yes` a boolean,
/// `auth: htpasswd` a one-entry map), so that the rest deserializes into [`Config`].
pub(crate) fn check_tree(root: &mut Value) -> TreeCheck {
    let mut check = TreeCheck::default();
    match &*root {
        Value::Mapping(map) => {
            if !map.contains_key("version") {
                check.errors.push(Diagnostic::error(
                    "version",
                    "missing; the first line of a registry config is `version: 0.1`",
                ));
            }
        }
        Value::Null => {
            check.errors.push(Diagnostic::error(
                "version",
                "the config is empty; it needs at least `version: 0.1` and a storage driver",
            ));
            *root = Value::Mapping(Mapping::new());
            return check;
        }
        other => {
            check.errors.push(Diagnostic::error(
                "(top level)",
                format!(
                    "the config must be a YAML mapping of sections, found {}",
                    describe(other)
                ),
            ));
            *root = Value::Mapping(Mapping::new());
            return check;
        }
    }
    if walk(root, &ROOT, "", &mut check) == Action::Remove {
        *root = Value::Mapping(Mapping::new());
    }
    check
}

#[derive(Debug, PartialEq, Eq)]
enum Action {
    Keep,
    Remove,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A short description of a YAML value for type errors.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// The text yaml.v2 would put in a Go string for a scalar.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// YAML 1.1 booleans, which yaml.v2 (distribution) reads but YAML 1.2 parsers treat as strings.
fn yaml11_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

fn walk(node: &mut Value, shape: &'static Shape, path: &str, check: &mut TreeCheck) -> Action {
    if let Value::Tagged(tagged) = node {
        let inner = std::mem::take(&mut tagged.value);
        *node = inner;
    }
    match shape {
        Shape::Struct(fields) => walk_mapping(node, path, check, |key| {
            KeyRule::from_field(fields.iter().find(|f| f.yaml == key), fields, false)
        }),
        Shape::Params { known, open } => walk_mapping(node, path, check, |key| {
            KeyRule::from_field(known.iter().find(|f| f.yaml == key), known, *open)
        }),
        Shape::Map(inner) => walk_mapping(node, path, check, |_| KeyRule::Shape(inner)),
        Shape::OneOf { what, fixed, kinds } => walk_one_of(node, path, what, fixed, kinds, check),
        Shape::Slice(inner) => match node {
            Value::Null => Action::Remove,
            Value::Sequence(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    let item_path = format!("{path}[{index}]");
                    if walk(item, inner, &item_path, check) == Action::Remove {
                        *item = zero_value(inner);
                    }
                }
                Action::Keep
            }
            other => {
                check.errors.push(Diagnostic::error(
                    path,
                    format!("expected a list, found {}", describe(other)),
                ));
                Action::Remove
            }
        },
        Shape::Any => Action::Keep,
        Shape::Str => match node {
            Value::Null => Action::Remove,
            Value::String(_) => Action::Keep,
            Value::Number(_) | Value::Bool(_) => {
                *node = Value::String(scalar_text(node).unwrap_or_default());
                Action::Keep
            }
            other => type_error(check, path, "a string", other),
        },
        Shape::Bool => match node {
            Value::Null => Action::Remove,
            Value::Bool(_) => Action::Keep,
            Value::String(text) if yaml11_bool(text).is_some() => {
                *node = Value::Bool(yaml11_bool(text).unwrap_or_default());
                Action::Keep
            }
            other => type_error(check, path, "true or false", other),
        },
        Shape::Int => match node {
            Value::Null => Action::Remove,
            Value::Number(n) if n.is_i64() => Action::Keep,
            other => type_error(check, path, "a whole number", other),
        },
        Shape::Duration => match node {
            Value::Null => Action::Remove,
            Value::Number(n) if n.is_i64() => Action::Keep,
            Value::String(text) => duration_check(check, path, text),
            other => type_error(check, path, "a duration such as \"10s\" or \"168h\"", other),
        },
        Shape::DurationString => match node {
            Value::String(text) => duration_check(check, path, text),
            other => {
                check.errors.push(Diagnostic::error(
                    path,
                    format!(
                        "expected a duration string such as \"168h\", found {} (registry:2 \
                         refuses to start with anything else here)",
                        describe(other)
                    ),
                ));
                Action::Remove
            }
        },
        Shape::Enum {
            values,
            case_insensitive,
        } => {
            if node.is_null() {
                return Action::Remove;
            }
            let Some(text) = scalar_text(node) else {
                return type_error(check, path, "a string", node);
            };
            let normalized = if *case_insensitive {
                text.to_lowercase()
            } else {
                text.clone()
            };
            if values.contains(&normalized.as_str()) {
                *node = Value::String(normalized);
                return Action::Keep;
            }
            let mut message = format!("invalid value {text:?}");
            if let Some(suggestion) = did_you_mean(&text, values.iter().copied()) {
                message.push_str(&format!("; did you mean {suggestion:?}?"));
            }
            if values.len() <= 8 {
                message.push_str(&format!(" (one of: {})", values.join(", ")));
            }
            check.errors.push(Diagnostic::error(path, message));
            Action::Remove
        }
        Shape::Version => {
            let Some(text) = scalar_text(node) else {
                return type_error(check, path, "a version such as 0.1", node);
            };
            *node = Value::String(text.clone());
            let well_formed = text.split_once('.').is_some_and(|(major, minor)| {
                major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok()
            });
            if !well_formed {
                check.errors.push(Diagnostic::error(
                    path,
                    format!("invalid version {text:?}; write `version: 0.1`"),
                ));
            } else if text != "0.1" {
                check.errors.push(Diagnostic::error(
                    path,
                    format!("unsupported version {text:?}; distribution only knows 0.1"),
                ));
            }
            Action::Keep
        }
    }
}

fn zero_value(shape: &Shape) -> Value {
    match shape {
        Shape::Str | Shape::Enum { .. } | Shape::Version => Value::String(String::new()),
        Shape::Bool => Value::Bool(false),
        Shape::Int | Shape::Duration => Value::Number(0.into()),
        Shape::Slice(_) => Value::Sequence(Vec::new()),
        _ => Value::Mapping(Mapping::new()),
    }
}

fn type_error(check: &mut TreeCheck, path: &str, expected: &str, found: &Value) -> Action {
    check.errors.push(Diagnostic::error(
        path,
        format!("expected {expected}, found {}", describe(found)),
    ));
    Action::Remove
}

fn duration_check(check: &mut TreeCheck, path: &str, text: &str) -> Action {
    match GoDuration::parse(text) {
        Ok(_) => Action::Keep,
        Err(err) => {
            check.errors.push(Diagnostic::error(path, err.to_string()));
            Action::Remove
        }
    }
}

/// How the keys of a mapping are checked.
enum KeyRule {
    Shape(&'static Shape),
    /// A key that is legitimate but not checked (open driver options).
    Free,
    Unknown(Vec<&'static str>),
}

impl KeyRule {
    fn from_field(field: Option<&'static Field>, all: &'static [Field], open: bool) -> Self {
        match field {
            Some(field) => KeyRule::Shape(field.shape),
            None if open => KeyRule::Free,
            None => KeyRule::Unknown(all.iter().map(|f| f.yaml).collect()),
        }
    }
}

fn walk_mapping(
    node: &mut Value,
    path: &str,
    check: &mut TreeCheck,
    rule_for: impl Fn(&str) -> KeyRule,
) -> Action {
    let map = match node {
        Value::Null => {
            *node = Value::Mapping(Mapping::new());
            return Action::Keep;
        }
        Value::Mapping(map) => map,
        other => {
            return type_error(check, path, "a mapping (a section with keys)", other);
        }
    };
    let mut remove = Vec::new();
    for (key, value) in map.iter_mut() {
        let Some(name) = scalar_text(key) else {
            check.errors.push(Diagnostic::error(
                path,
                format!("keys must be strings, found {}", describe(key)),
            ));
            remove.push(key.clone());
            continue;
        };
        let child_path = join(path, &name);
        match rule_for(&name) {
            KeyRule::Free => {}
            KeyRule::Shape(shape) => {
                if walk(value, shape, &child_path, check) == Action::Remove {
                    remove.push(key.clone());
                }
            }
            KeyRule::Unknown(candidates) => {
                check
                    .unknown
                    .push(unknown_key(&child_path, &name, candidates.into_iter()));
                remove.push(key.clone());
            }
        }
    }
    for key in remove {
        map.remove(&key);
    }
    Action::Keep
}

fn unknown_key<'a>(
    path: &str,
    name: &str,
    candidates: impl Iterator<Item = &'a str> + Clone,
) -> Diagnostic {
    let mut message = "unknown key".to_owned();
    if let Some(suggestion) = did_you_mean(name, candidates.clone()) {
        message.push_str(&format!("; did you mean {suggestion:?}?"));
    } else {
        let known: Vec<&str> = candidates.collect();
        if !known.is_empty() && known.len() <= 12 {
            message.push_str(&format!(" (known here: {})", known.join(", ")));
        }
    }
    message.push_str(" (distribution ignores it)");
    Diagnostic::error(path, message)
}

fn walk_one_of(
    node: &mut Value,
    path: &str,
    what: &str,
    fixed: &'static [Field],
    kinds: &'static [Field],
    check: &mut TreeCheck,
) -> Action {
    if let Value::String(kind) = node {
        let mut map = Mapping::new();
        map.insert(
            Value::String(std::mem::take(kind)),
            Value::Mapping(Mapping::new()),
        );
        *node = Value::Mapping(map);
    }
    let map = match node {
        Value::Null => return Action::Remove,
        Value::Mapping(map) => map,
        other => return type_error(check, path, "a mapping", other),
    };
    let names = || fixed.iter().chain(kinds.iter()).map(|f| f.yaml);
    let mut chosen: Vec<String> = Vec::new();
    let mut remove = Vec::new();
    for (key, value) in map.iter_mut() {
        let Some(name) = key.as_str().map(str::to_owned) else {
            check.errors.push(Diagnostic::error(
                path,
                format!("keys must be strings, found {}", describe(key)),
            ));
            remove.push(key.clone());
            continue;
        };
        let child_path = join(path, &name);
        if let Some(field) = fixed.iter().find(|f| f.yaml == name) {
            if walk(value, field.shape, &child_path, check) == Action::Remove {
                remove.push(key.clone());
            }
        } else if let Some(field) = kinds.iter().find(|f| f.yaml == name) {
            if walk(value, field.shape, &child_path, check) == Action::Remove {
                *value = Value::Mapping(Mapping::new());
            }
            chosen.push(name);
        } else {
            let mut message = format!("unknown {what} {name:?}");
            if let Some(suggestion) = did_you_mean(&name, names()) {
                message.push_str(&format!("; did you mean {suggestion:?}?"));
            } else {
                let known: Vec<&str> = kinds.iter().map(|f| f.yaml).collect();
                message.push_str(&format!(" (known: {})", known.join(", ")));
            }
            check.errors.push(Diagnostic::error(child_path, message));
            remove.push(key.clone());
        }
    }
    if chosen.len() > 1 {
        check.errors.push(Diagnostic::error(
            path,
            format!(
                "more than one {what}: {} (distribution allows exactly one)",
                chosen.join(", ")
            ),
        ));
        remove.extend(chosen.iter().skip(1).map(|k| Value::String(k.clone())));
    }
    for key in remove {
        map.remove(&key);
    }
    if map.is_empty() {
        return Action::Remove;
    }
    Action::Keep
}

/// Levenshtein distance over characters, case-insensitive.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The closest candidate, when it is close enough to be a plausible typo.
#[must_use]
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let (best, distance) = candidates
        .map(|candidate| (candidate, edit_distance(word, candidate)))
        .min_by_key(|(_, distance)| *distance)?;
    let len = word.chars().count().max(best.chars().count());
    (distance <= 2 || distance * 3 <= len).then_some(best)
}

// ---------------------------------------------------------------------------------------------
// Run-time checks on the typed config.

/// Everything the registry would trip over when it starts or serves with `config`.
pub(crate) fn semantic(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_http(config, &mut out);
    check_tls(config, &mut out);
    check_auth(config, &mut out);
    check_storage(config, &mut out);
    check_notifications(config, &mut out);
    check_audit_file(config, &mut out);
    // regctl's tags.immutable has one reader (src/registry/immutable.rs).
    if let Err(problems) = crate::registry::immutable::from_config(&config.tags.immutable) {
        out.extend(problems);
    }
    // regctl's retention has one reader (src/retention/policy.rs).
    if let Err(problems) = crate::retention::from_config(&config.retention) {
        out.extend(problems);
    }
    // proxy.remoteurl and regctl's proxy.upstreams have one reader (src/proxy/routes.rs).
    if let Err(problems) = crate::proxy::routes::settings(&config.proxy) {
        out.extend(
            problems
                .into_iter()
                .map(|p| Diagnostic::error(&p.key, p.message)),
        );
    }
    out
}

/// `log.audit.file`: `regctl serve` refuses to start without its directory, so validate says so.
fn check_audit_file(config: &Config, out: &mut Vec<Diagnostic>) {
    if let Some(path) = config.log.audit.path() {
        if let Err(e) = crate::audit::file::check_path(&path) {
            out.push(Diagnostic::error("log.audit.file", e.to_string()));
        }
    }
}

fn check_http(config: &Config, out: &mut Vec<Diagnostic>) {
    let http = &config.http;
    if http.net == "unix" {
        if http.addr.is_empty() {
            out.push(Diagnostic::error(
                "http.addr",
                "a unix socket path is required when http.net is unix",
            ));
        } else {
            let parent = parent_or_dot(Path::new(&http.addr));
            if !parent.is_dir() {
                out.push(Diagnostic::error(
                    "http.addr",
                    format!("directory not found for the socket: {}", parent.display()),
                ));
            }
        }
    } else if http.addr.is_empty() {
        out.push(Diagnostic::warning(
            "http.addr",
            "not set; registry:2 would listen on a random port (write e.g. `addr: 127.0.0.1:5000`)",
        ));
    } else if let Err(reason) = parse_listen_addr(&http.addr) {
        out.push(Diagnostic::error(
            "http.addr",
            format!("cannot listen on {:?}: {reason}", http.addr),
        ));
    }
    if !http.host.is_empty() {
        check_url(out, "http.host", &http.host);
    }
    if !http.debug.addr.is_empty() {
        if let Err(reason) = parse_listen_addr(&http.debug.addr) {
            out.push(Diagnostic::error(
                "http.debug.addr",
                format!("cannot listen on {:?}: {reason}", http.debug.addr),
            ));
        }
    }
    if !http.prefix.is_empty() && !http.prefix.starts_with('/') {
        out.push(Diagnostic::error(
            "http.prefix",
            format!("must start with \"/\", e.g. \"/{}\"", http.prefix),
        ));
    }
}

/// Checks a `host:port` listen address the way Go's `net.SplitHostPort` + `net.Listen` read it.
///
/// # Errors
/// The reason it is not one.
pub fn parse_listen_addr(addr: &str) -> Result<(), String> {
    crate::listen_addr::split(addr).map(|_| ())
}

fn check_url(out: &mut Vec<Diagnostic>, path: &str, text: &str) {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
        Ok(_) | Err(_) => out.push(Diagnostic::error(
            path,
            format!("{text:?} is not a full http(s) URL (e.g. https://registry.example.com:5000)"),
        )),
    }
}

fn parent_or_dot(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reads a file named by the config, reporting why not.
fn read_named_file(out: &mut Vec<Diagnostic>, path: &str, file: &str) -> Option<Vec<u8>> {
    match fs::read(file) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            let message = match err.kind() {
                ErrorKind::NotFound => format!("file not found: {file}"),
                ErrorKind::PermissionDenied => format!("cannot read {file}: permission denied"),
                ErrorKind::IsADirectory => format!("{file} is a directory, not a file"),
                _ => format!("cannot read {file}: {err}"),
            };
            out.push(Diagnostic::error(path, message));
            None
        }
    }
}

/// Whether the first certificate in a PEM file is currently within its validity period, and
/// its end.
fn certificate_validity(pem: &[u8]) -> Result<(bool, String), String> {
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| format!("not a PEM file: {e}"))?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        let cert = block
            .parse_x509()
            .map_err(|e| format!("the certificate cannot be parsed: {e}"))?;
        let valid_now = cert.validity().is_valid();
        let not_after = cert.validity().not_after.to_string();
        return Ok((valid_now, not_after));
    }
    Err("no PEM CERTIFICATE block found".to_owned())
}

/// A key file checked on its own: it parses and is a usable key.
fn keypair_alone(pem: &[u8]) -> Result<(), KeyMismatch> {
    use rustls_pki_types::pem::PemObject as _;
    let der = rustls_pki_types::PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| KeyMismatch::NoKey(e.to_string()))?;
    rcgen::KeyPair::try_from(&der)
        .map(drop)
        .map_err(|e| KeyMismatch::BadKey(e.to_string()))
}

fn check_tls(config: &Config, out: &mut Vec<Diagnostic>) {
    let tls = &config.http.tls;
    if tls.certificate.is_empty() {
        if !tls.key.is_empty() {
            out.push(Diagnostic::error(
                "http.tls.key",
                "set without http.tls.certificate; the registry would serve plain HTTP",
            ));
        }
    } else {
        let certificate = read_named_file(out, "http.tls.certificate", &tls.certificate);
        let certificate = certificate.and_then(|pem| match certificate_validity(&pem) {
            Ok((valid_now, not_after)) => {
                if !valid_now {
                    out.push(Diagnostic::warning(
                        "http.tls.certificate",
                        format!("the certificate is not valid now (valid until {not_after})"),
                    ));
                }
                Some(pem)
            }
            Err(reason) => {
                out.push(Diagnostic::error(
                    "http.tls.certificate",
                    format!("{}: {reason}", tls.certificate),
                ));
                None
            }
        });
        if tls.key.is_empty() {
            out.push(Diagnostic::error(
                "http.tls.key",
                "missing; http.tls.certificate needs its private key",
            ));
        } else if let Some(key_pem) = read_named_file(out, "http.tls.key", &tls.key) {
            // Without a readable certificate the key is still checked on its own.
            let result = match &certificate {
                Some(cert_pem) => keypair::check_key_matches(cert_pem, &key_pem),
                None => keypair_alone(&key_pem),
            };
            match result {
                Ok(()) => {}
                Err(KeyMismatch::Different) => out.push(Diagnostic::error(
                    "http.tls.key",
                    format!(
                        "{} does not match the certificate {} (different public key)",
                        tls.key, tls.certificate
                    ),
                )),
                Err(reason) => out.push(Diagnostic::error(
                    "http.tls.key",
                    format!("{}: {reason}", tls.key),
                )),
            }
        }
        if !tls.letsencrypt.cachefile.is_empty() {
            out.push(Diagnostic::error(
                "http.tls.letsencrypt",
                "cannot be used together with http.tls.certificate",
            ));
        }
    }
    for (index, ca) in tls.clientcas.iter().enumerate() {
        let path = format!("http.tls.clientcas[{index}]");
        if let Some(pem) = read_named_file(out, &path, ca) {
            if let Err(reason) = certificate_validity(&pem) {
                out.push(Diagnostic::error(path, format!("{ca}: {reason}")));
            }
        }
    }
}

fn check_auth(config: &Config, out: &mut Vec<Diagnostic>) {
    let Some(auth) = &config.auth else {
        return;
    };
    let required: &[&str] = match auth.kind.as_str() {
        "htpasswd" => &["realm", "path"],
        "token" => &["realm", "service", "issuer"],
        "silly" => &["realm", "service"],
        _ => &[],
    };
    for key in required {
        if auth.param_str(key).is_none_or(str::is_empty) {
            out.push(Diagnostic::error(
                format!("auth.{}.{key}", auth.kind),
                format!("must be set for {} auth", auth.kind),
            ));
        }
    }
    match auth.kind.as_str() {
        "htpasswd" => {
            if let Some(file) = auth.param_str("path").filter(|p| !p.is_empty()) {
                check_htpasswd_file(out, file);
            }
            if let Some(policy) = config.access_policy() {
                check_access_policy(out, &policy, auth.param_str("path").unwrap_or_default());
            }
        }
        "token" => {
            let bundle = auth.param_str("rootcertbundle").unwrap_or_default();
            let jwks = auth.param_str("jwks").unwrap_or_default();
            if bundle.is_empty() && jwks.is_empty() {
                out.push(Diagnostic::error(
                    "auth.token.rootcertbundle",
                    "must be set for token auth (the certificates that sign the tokens)",
                ));
            }
            if !bundle.is_empty() {
                if let Some(pem) = read_named_file(out, "auth.token.rootcertbundle", bundle) {
                    if let Err(reason) = certificate_validity(&pem) {
                        out.push(Diagnostic::error(
                            "auth.token.rootcertbundle",
                            format!("{bundle}: {reason}"),
                        ));
                    }
                }
            }
            check_token_keys(config, out);
        }
        _ => {}
    }
}

/// `auth.token`: the algorithms are known and the keys load as `regctl serve` loads them (files
/// that are missing were reported already).
fn check_token_keys(config: &Config, out: &mut Vec<Diagnostic>) {
    use crate::server::token_auth::{Algorithm, Trust};
    let Some(settings) = config.token_auth() else {
        return;
    };
    for name in &settings.signing_algorithms {
        if Algorithm::from_name(name).is_none() {
            out.push(Diagnostic::error(
                "auth.token.signingalgorithms",
                format!(
                    "unsupported signing algorithm {name:?} (one of {})",
                    Algorithm::ALL.map(Algorithm::name).join(", ")
                ),
            ));
        }
    }
    let files = [&settings.rootcertbundle, &settings.jwks];
    if files.iter().any(|f| f.is_some())
        && files.iter().all(|f| f.as_ref().is_none_or(|p| p.is_file()))
    {
        if let Err(e) = Trust::load(settings.rootcertbundle.as_deref(), settings.jwks.as_deref()) {
            out.push(Diagnostic::error("auth.token", e.to_string()));
        }
    }
}

/// `auth.htpasswd.policy`: the policy, its group file and token store load; names nobody
/// answers to are warnings. Problems are located as `auth.htpasswd.policy: FILE: KEY PATH`.
fn check_access_policy(out: &mut Vec<Diagnostic>, policy: &Path, htpasswd: &str) {
    let key = "auth.htpasswd.policy";
    let located = |path: &str| format!("{key}: {}: {path}", policy.display());
    match crate::access::WatchedPolicy::load(policy) {
        Ok(watched) => {
            let snapshot = watched.current();
            let users = crate::htpasswd::Htpasswd::load(Path::new(htpasswd)).ok();
            if let Some(users) = users {
                let known = |user: &str| users.get(user).is_some();
                for problem in snapshot.policy.unknown_names(&known) {
                    out.push(Diagnostic::warning(located(&problem.path), problem.message));
                }
            }
        }
        Err(crate::access::watch::LoadError::Policy(crate::access::PolicyError::Invalid {
            problems,
            ..
        })) => {
            for problem in problems {
                out.push(Diagnostic::error(located(&problem.path), problem.message));
            }
        }
        Err(err) => out.push(Diagnostic::error(key, crate::report::error_chain(&err))),
    }
}

fn check_htpasswd_file(out: &mut Vec<Diagnostic>, file: &str) {
    let path = "auth.htpasswd.path";
    match fs::read_to_string(file) {
        Ok(text) => {
            let parsed = crate::htpasswd::Htpasswd::parse(&text);
            let mut users = 0;
            for entry in parsed.entries() {
                users += 1;
                let scheme = entry.scheme();
                if !scheme.registry_compatible() {
                    out.push(Diagnostic::warning(
                        path,
                        format!(
                            "user {:?} in {file} is not bcrypt; registry:2 accepts only bcrypt \
                             (reset it with `regctl user passwd`)",
                            entry.user
                        ),
                    ));
                }
            }
            for (line, _) in parsed.malformed_lines() {
                out.push(Diagnostic::warning(
                    path,
                    format!("line {line} of {file} is not a user:hash entry"),
                ));
            }
            if users == 0 {
                out.push(Diagnostic::warning(
                    path,
                    format!("{file} has no users yet (add one with `regctl user add`)"),
                ));
            }
        }
        Err(err) if err.kind() == ErrorKind::NotFound => out.push(Diagnostic::error(
            path,
            format!(
                "file not found: {file} (registry:2 would create it with a random `docker` user; \
                 create it with `regctl user add`)"
            ),
        )),
        Err(err) if err.kind() == ErrorKind::PermissionDenied => out.push(Diagnostic::error(
            path,
            format!("cannot read {file}: permission denied"),
        )),
        Err(err) if err.kind() == ErrorKind::InvalidData => out.push(Diagnostic::error(
            path,
            format!("{file} is not a text file"),
        )),
        Err(err) => out.push(Diagnostic::error(
            path,
            format!("cannot read {file}: {err}"),
        )),
    }
}

/// Whether a directory accepts new files: the only honest test (root ignores permission bits,
/// read-only mounts ignore them the other way) is to create one.
fn writable_dir(dir: &Path) -> Result<(), String> {
    tempfile::Builder::new()
        .prefix(".regctl-write-test-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|err| match err.raw_os_error() {
            // Without the temp file's name, which tempfile adds to the message.
            Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
            None => err.kind().to_string(),
        })
}

fn check_root_directory(out: &mut Vec<Diagnostic>, root: &Path, explicit: bool) {
    let path = "storage.filesystem.rootdirectory";
    let shown = if explicit {
        root.display().to_string()
    } else {
        format!("{} (the default)", root.display())
    };
    if root.exists() {
        if !root.is_dir() {
            out.push(Diagnostic::error(
                path,
                format!("{shown} is not a directory"),
            ));
        } else if let Err(err) = writable_dir(root) {
            out.push(Diagnostic::error(
                path,
                format!("{shown} is not writable ({err})"),
            ));
        }
        return;
    }
    let mut ancestor = parent_or_dot(root);
    while !ancestor.exists() {
        ancestor = match ancestor.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
    }
    if !ancestor.is_dir() {
        out.push(Diagnostic::error(
            path,
            format!(
                "{shown} cannot be created: {} is not a directory",
                ancestor.display()
            ),
        ));
    } else if let Err(err) = writable_dir(&ancestor) {
        out.push(Diagnostic::error(
            path,
            format!(
                "{shown} does not exist and cannot be created: {} is not writable ({err})",
                ancestor.display()
            ),
        ));
    }
}

fn check_storage(config: &Config, out: &mut Vec<Diagnostic>) {
    let storage = &config.storage;
    if let Some(root) = config.storage_root() {
        let explicit = root != Path::new(DEFAULT_ROOT_DIRECTORY)
            || storage
                .driver
                .as_ref()
                .is_some_and(|d| d.params.contains_key("rootdirectory"));
        check_root_directory(out, &root, explicit);
    }
    if let Some(Err(problems)) = config.s3() {
        out.extend(
            problems
                .into_iter()
                .map(|p| Diagnostic::error(format!("storage.s3.{}", p.key), p.message)),
        );
    }
    if let Some(cache) = &storage.cache {
        let kind = if cache.blobdescriptor.is_empty() {
            cache.layerinfo.as_str()
        } else {
            cache.blobdescriptor.as_str()
        };
        if kind == "redis" && config.redis.addr.is_empty() && config.redis.addrs.is_empty() {
            out.push(Diagnostic::error(
                "storage.cache.blobdescriptor",
                "redis needs a redis section with an address (redis.addr, or redis.addrs in v3)",
            ));
        }
    }
    if let Some(purging) = storage
        .maintenance
        .as_ref()
        .and_then(|m| m.uploadpurging.as_ref())
    {
        if purging.enabled != Some(false) {
            let missing: Vec<&str> = [
                ("age", purging.age.is_none()),
                ("interval", purging.interval.is_none()),
                ("dryrun", purging.dryrun.is_none()),
            ]
            .into_iter()
            .filter_map(|(key, absent)| absent.then_some(key))
            .collect();
            if !missing.is_empty() {
                out.push(Diagnostic::error(
                    "storage.maintenance.uploadpurging",
                    format!(
                        "missing {} (registry:2 needs enabled, age, interval and dryrun \
                         together, e.g. age: 168h, interval: 24h, dryrun: false)",
                        missing.join(", ")
                    ),
                ));
            }
        }
    }
}

fn check_notifications(config: &Config, out: &mut Vec<Diagnostic>) {
    for (index, endpoint) in config.notifications.endpoints.iter().enumerate() {
        let base = format!("notifications.endpoints[{index}]");
        if endpoint.name.is_empty() {
            out.push(Diagnostic::error(format!("{base}.name"), "must be set"));
        }
        if endpoint.url.is_empty() {
            out.push(Diagnostic::error(format!("{base}.url"), "must be set"));
        } else {
            check_url(out, &format!("{base}.url"), &endpoint.url);
        }
        // regctl keeps one queue per endpoint name (src/notify).
        if !endpoint.name.is_empty()
            && config.notifications.endpoints[..index]
                .iter()
                .any(|e| e.name == endpoint.name)
        {
            out.push(Diagnostic::error(
                format!("{base}.name"),
                format!(
                    "{:?} names an earlier endpoint too; regctl keeps a queue of undelivered \
                     events per endpoint name, so names must be unique",
                    endpoint.name
                ),
            ));
        }
        for (i, action) in endpoint.ignore.actions.iter().enumerate() {
            if crate::notify::Action::parse(action).is_none() {
                out.push(Diagnostic::warning(
                    format!("{base}.ignore.actions[{i}]"),
                    format!(
                        "{action:?} is not an event action (push, pull, delete, mount): it \
                         ignores nothing"
                    ),
                ));
            }
        }
    }
    if config.notifications.queue.maxevents < 0 {
        out.push(Diagnostic::error(
            "notifications.queue.maxevents",
            "must be a positive count of events (0 or unset: 10000)",
        ));
    }
}

/// Variables other tools define that registry:2's `REGISTRY_*` rule also reads as overrides.
fn known_foreign_variable(var: &str) -> Option<&'static str> {
    match var {
        // distribution reads it as `auth: {file: ...}` and refuses to start as well ("no access
        // controller registered with name: file"); podman, skopeo and buildah export it for
        // their auth.json, so a podman user's shell breaks a valid config.
        "REGISTRY_AUTH_FILE" => Some(
            "; REGISTRY_AUTH_FILE is podman's/skopeo's auth.json setting, which registry:2 also \
             reads as a config override (and refuses too): unset it for the registry, e.g. \
             `env -u REGISTRY_AUTH_FILE regctl serve`",
        ),
        _ => None,
    }
}

/// Adds `(set by VAR)` to diagnostics about values an environment variable set.
pub(crate) fn attribute_to_env(diagnostics: &mut [Diagnostic], overrides: &[super::EnvOverride]) {
    for diagnostic in diagnostics {
        let source = overrides.iter().rev().find(|o| {
            diagnostic.path == o.path
                || diagnostic.path.starts_with(&format!("{}.", o.path))
                || diagnostic.path.starts_with(&format!("{}[", o.path))
        });
        if let Some(source) = source {
            diagnostic
                .message
                .push_str(&format!(" (set by {})", source.var));
            if let Some(why) = known_foreign_variable(&source.var) {
                diagnostic.message.push_str(why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_plausible_typos_only() {
        let keys = [
            "addr",
            "net",
            "host",
            "prefix",
            "secret",
            "relativeurls",
            "tls",
        ];
        assert_eq!(did_you_mean("adr", keys.iter().copied()), Some("addr"));
        assert_eq!(did_you_mean("Addr", keys.iter().copied()), Some("addr"));
        assert_eq!(
            did_you_mean("relativeurl", keys.iter().copied()),
            Some("relativeurls")
        );
        assert_eq!(did_you_mean("scret", keys.iter().copied()), Some("secret"));
        assert_eq!(did_you_mean("certificates", keys.iter().copied()), None);
        assert_eq!(
            did_you_mean("rootdirectroy", ["rootdirectory", "maxthreads"].into_iter()),
            Some("rootdirectory")
        );
        assert_eq!(did_you_mean("x", std::iter::empty()), None);
    }

    #[test]
    fn notification_endpoints_are_checked_with_key_paths() {
        let yaml = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /r\nhttp:\n  addr: \
                    127.0.0.1:5000\nnotifications:\n  queue:\n    maxevents: -1\n  endpoints:\n    \
                    - name: a\n      url: ftp//x\n      ignore:\n        actions: [push, tag]\n    \
                    - name: a\n      url: http://hook/\n    - url: http://other/\n";
        let diagnostics: Vec<(String, bool)> = match crate::config::load_str(yaml, &[]) {
            Ok(loaded) => crate::config::validate(&loaded)
                .into_iter()
                .map(|d| (d.path.clone(), d.is_error()))
                .collect(),
            Err(e) => panic!("{e}"),
        };
        for (path, error) in [
            ("notifications.endpoints[0].url", true),
            ("notifications.endpoints[0].ignore.actions[1]", false),
            ("notifications.endpoints[1].name", true),
            ("notifications.endpoints[2].name", true),
            ("notifications.queue.maxevents", true),
        ] {
            assert!(
                diagnostics.contains(&(path.to_owned(), error)),
                "{path} in {diagnostics:?}"
            );
        }
    }

    #[test]
    fn edit_distance_is_levenshtein() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "SAME"), 0);
    }

    #[test]
    fn listen_addresses_follow_go() {
        for ok in [
            ":5000",
            "127.0.0.1:5000",
            "[::1]:5000",
            "localhost:5000",
            "0.0.0.0:0",
            ":http",
        ] {
            assert!(parse_listen_addr(ok).is_ok(), "{ok}");
        }
        for bad in [
            "5000",
            "127.0.0.1",
            "::1:5000",
            "host:99999",
            "[::1]5000",
            "bad host:1",
            "h:",
        ] {
            assert!(parse_listen_addr(bad).is_err(), "{bad}");
        }
    }
}
