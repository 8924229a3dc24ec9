//! `REGISTRY_*` environment overrides, applied the way distribution's `configuration/parser.go`
//! applies them, on the YAML tree before it is typed:
//!
//! - only names starting with `REGISTRY_` count; the rest of the name is split on `_`;
//! - variables apply in lexical (byte) order of their names, so `REGISTRY_STORAGE` lands before
//!   `REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY` refines it;
//! - a component matches a struct field when it equals the upper-cased **Go field name** (which
//!   is not always the YAML key: `EVENTCONFIG` is `notifications.events`);
//! - in maps a component matches an existing key whose upper-case form equals it; otherwise the
//!   key is created lower-cased;
//! - in slices a component is an index: an existing element, or one past the end to append;
//! - the value is parsed as YAML;
//! - an unknown name is ignored with a warning; `version` is never overridden.
//!
//! Where distribution crashes or silently drops a variable, this module applies it and says so:
//! nested `Parameters` maps (`REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED=true`, distribution
//! issues #1736/#3765), elements of `[]string` slices, map values that are slices.

use serde_yaml::{Mapping, Value};

use super::shape::{Field, Shape, ROOT};

/// Prefix of the variables distribution reads.
pub const PREFIX: &str = "REGISTRY_";
/// Names the config file; not an override.
pub const CONFIGURATION_PATH_VAR: &str = "REGISTRY_CONFIGURATION_PATH";

/// One variable that changed the config.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnvOverride {
    /// The variable's name.
    pub var: String,
    /// The YAML key path it set, e.g. `storage.filesystem.rootdirectory` or
    /// `notifications.endpoints[0].url`.
    pub path: String,
}

/// What applying the environment did.
#[derive(Debug, Clone, Default)]
pub struct EnvReport {
    pub applied: Vec<EnvOverride>,
    /// Variables ignored (unknown names, version) and compatibility notes.
    pub warnings: Vec<String>,
    /// Variables distribution refuses to start with (bad index, value that is not YAML).
    pub errors: Vec<String>,
}

enum Failure {
    Ignored(String),
    Invalid(String),
}

struct Ctx<'a> {
    var: &'a str,
    payload: &'a str,
    path: Vec<String>,
}

impl Ctx<'_> {
    fn path_string(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            if segment.starts_with('[') || out.is_empty() {
                out.push_str(segment);
            } else {
                out.push('.');
                out.push_str(segment);
            }
        }
        out
    }

    fn unrecognized(&self) -> Failure {
        Failure::Ignored(format!(
            "ignoring unrecognized environment variable {}",
            self.var
        ))
    }
}

/// Applies every `REGISTRY_*` variable of `env` to `root` (a config.yml tree).
pub fn apply(root: &mut Value, env: &[(String, String)]) -> EnvReport {
    let mut vars: Vec<&(String, String)> = env
        .iter()
        .filter(|(name, _)| name.starts_with(PREFIX) && name != CONFIGURATION_PATH_VAR)
        .collect();
    vars.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let mut report = EnvReport::default();
    if vars.is_empty() {
        return report;
    }
    normalize_one_of(root);
    for (name, payload) in vars {
        let components: Vec<&str> = name.split('_').skip(1).collect();
        if components.first() == Some(&"VERSION") {
            report.warnings.push(format!(
                "ignoring {name}: the config version cannot be overridden"
            ));
            continue;
        }
        let mut ctx = Ctx {
            var: name,
            payload,
            path: Vec::new(),
        };
        match apply_at(root, &ROOT, &components, &mut ctx) {
            Ok(()) => {
                let path = ctx.path_string();
                if let Some(note) = registry2_crash_note(name, &path, payload) {
                    report.warnings.push(note);
                }
                report.applied.push(EnvOverride {
                    var: name.clone(),
                    path,
                });
            }
            Err(Failure::Ignored(message)) => report.warnings.push(message),
            Err(Failure::Invalid(message)) => {
                report.errors.push(format!("{name}: {message}"));
            }
        }
    }
    report
}

/// distribution 2.8 panics when a variable creates a section below `storage.maintenance`
/// (it expects YAML-decoded maps there), and ignores it when the file already has that section.
/// Setting the whole section as one YAML value works there.
fn registry2_crash_note(var: &str, path: &str, payload: &str) -> Option<String> {
    let rest = path.strip_prefix("storage.maintenance.")?;
    let mut keys = rest.split('.');
    let section = keys.next()?;
    let inner: Vec<&str> = keys.collect();
    if inner.is_empty() {
        return None;
    }
    let value = inner.iter().rev().fold(payload.to_owned(), |value, key| {
        format!("{{{key}: {value}}}")
    });
    Some(format!(
        "{var} works in regctl, but docker-registry/registry:2 crashes on it or ignores it \
         (distribution#1736); for them write REGISTRY_STORAGE_MAINTENANCE_{}='{value}' instead",
        section.to_ascii_uppercase()
    ))
}

/// distribution decodes `storage: inmemory` and `auth: htpasswd` into a one-entry map before any
/// variable applies, so `REGISTRY_AUTH_HTPASSWD_PATH` refines what `REGISTRY_AUTH=htpasswd` chose.
pub fn normalize_one_of(root: &mut Value) {
    if let Value::Mapping(map) = root {
        for key in ["storage", "auth"] {
            if let Some(value) = map.get_mut(key) {
                *value = one_of_from_string(std::mem::take(value));
            }
        }
    }
}

fn one_of_from_string(value: Value) -> Value {
    match value {
        Value::String(kind) => {
            let mut map = Mapping::new();
            map.insert(Value::String(kind), Value::Mapping(Mapping::new()));
            Value::Mapping(map)
        }
        other => other,
    }
}

fn parse_payload(ctx: &Ctx<'_>, shape: &Shape) -> Result<Value, Failure> {
    let value: Value = serde_yaml::from_str(ctx.payload)
        .map_err(|e| Failure::Invalid(format!("value is not valid YAML: {e}")))?;
    if matches!(shape, Shape::OneOf { .. }) {
        return Ok(one_of_from_string(value));
    }
    // yaml.v2 fills a Go string from any scalar's text: REGISTRY_HTTP_SECRET=12345 is "12345".
    if matches!(shape, Shape::Str | Shape::Version)
        && matches!(value, Value::Number(_) | Value::Bool(_))
    {
        return Ok(Value::String(ctx.payload.trim().to_owned()));
    }
    Ok(value)
}

/// An empty value of the kind `shape` needs, to descend into.
fn empty_container(shape: &Shape) -> Value {
    match shape {
        Shape::Slice(_) => Value::Sequence(Vec::new()),
        Shape::Struct(_)
        | Shape::Map(_)
        | Shape::Params { .. }
        | Shape::OneOf { .. }
        | Shape::Any => Value::Mapping(Mapping::new()),
        _ => Value::Null,
    }
}

fn apply_at(
    node: &mut Value,
    shape: &'static Shape,
    components: &[&str],
    ctx: &mut Ctx<'_>,
) -> Result<(), Failure> {
    let Some((&first, rest)) = components.split_first() else {
        *node = parse_payload(ctx, shape)?;
        return Ok(());
    };
    match shape {
        Shape::Struct(fields) => apply_struct(node, fields, first, rest, ctx),
        Shape::Map(_) | Shape::Params { .. } | Shape::OneOf { .. } => {
            apply_map(node, shape, first, rest, ctx)
        }
        Shape::Slice(inner) => apply_slice(node, inner, first, rest, ctx),
        Shape::Any => match node {
            Value::Sequence(_) => apply_slice(node, &Shape::Any, first, rest, ctx),
            Value::Null | Value::Mapping(_) => apply_map(node, &Shape::Any, first, rest, ctx),
            _ => Err(Failure::Ignored(format!(
                "ignoring {}: {} holds a single value, not a section",
                ctx.var,
                ctx.path_string()
            ))),
        },
        _ => Err(Failure::Ignored(format!(
            "ignoring {}: {} holds a single value, not a section",
            ctx.var,
            ctx.path_string()
        ))),
    }
}

fn ensure_mapping<'v>(node: &'v mut Value, ctx: &Ctx<'_>) -> Result<&'v mut Mapping, Failure> {
    if node.is_null() {
        *node = Value::Mapping(Mapping::new());
    }
    match node {
        Value::Mapping(map) => Ok(map),
        _ => Err(Failure::Ignored(format!(
            "ignoring {}: {} in the config file is not a mapping",
            ctx.var,
            ctx.path_string()
        ))),
    }
}

fn apply_struct(
    node: &mut Value,
    fields: &'static [Field],
    component: &str,
    rest: &[&str],
    ctx: &mut Ctx<'_>,
) -> Result<(), Failure> {
    let field = fields.iter().find(|field| {
        if field.inline {
            field.go.eq_ignore_ascii_case(component)
        } else {
            field.go.to_ascii_uppercase() == component
        }
    });
    let Some(field) = field else {
        return Err(ctx.unrecognized());
    };
    let map = ensure_mapping(node, ctx)?;
    ctx.path.push(field.yaml.to_owned());
    let key = Value::String(field.yaml.to_owned());
    if rest.is_empty() {
        let value = parse_payload(ctx, field.shape)?;
        map.insert(key, value);
        return Ok(());
    }
    let child = map
        .entry(key)
        .or_insert_with(|| empty_container(field.shape));
    if child.is_null() {
        *child = empty_container(field.shape);
    }
    apply_at(child, field.shape, rest, ctx)
}

/// The shape of the value under `key` in a map-like shape.
fn element_shape(shape: &'static Shape, key: &str) -> &'static Shape {
    static ANY: Shape = Shape::Any;
    static OPEN: Shape = Shape::Params {
        known: &[],
        open: true,
    };
    match shape {
        Shape::Map(inner) => inner,
        Shape::Params { known, .. } => known
            .iter()
            .find(|f| f.yaml == key)
            .map_or(&ANY, |f| f.shape),
        Shape::OneOf { fixed, kinds, .. } => fixed
            .iter()
            .chain(kinds.iter())
            .find(|f| f.yaml == key)
            .map_or(&OPEN, |f| f.shape),
        _ => &ANY,
    }
}

fn apply_map(
    node: &mut Value,
    shape: &'static Shape,
    component: &str,
    rest: &[&str],
    ctx: &mut Ctx<'_>,
) -> Result<(), Failure> {
    let map = ensure_mapping(node, ctx)?;
    if !rest.is_empty() {
        let existing = map.iter_mut().find(|(key, value)| {
            !value.is_null() && key.as_str().is_some_and(|k| k.to_uppercase() == component)
        });
        if let Some((key, value)) = existing {
            let key = key.as_str().unwrap_or_default().to_owned();
            let elem = element_shape(shape, &key);
            ctx.path.push(key);
            return apply_at(value, elem, rest, ctx);
        }
    }
    let key = component.to_lowercase();
    let elem = element_shape(shape, &key);
    ctx.path.push(key.clone());
    let value = if rest.is_empty() {
        parse_payload(ctx, elem)?
    } else {
        let mut fresh = empty_container(elem);
        apply_at(&mut fresh, elem, rest, ctx)?;
        fresh
    };
    map.insert(Value::String(key), value);
    Ok(())
}

fn apply_slice(
    node: &mut Value,
    inner: &'static Shape,
    component: &str,
    rest: &[&str],
    ctx: &mut Ctx<'_>,
) -> Result<(), Failure> {
    if node.is_null() {
        *node = Value::Sequence(Vec::new());
    }
    let Value::Sequence(items) = node else {
        return Err(Failure::Ignored(format!(
            "ignoring {}: {} in the config file is not a list",
            ctx.var,
            ctx.path_string()
        )));
    };
    let index: usize = component
        .parse()
        .ok()
        .filter(|_| component.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| Failure::Invalid(format!("non-numeric index: {component}")))?;
    if index > items.len() {
        return Err(Failure::Invalid(format!(
            "undefined index: {component} (the list has {} element(s); indexes must be contiguous)",
            items.len()
        )));
    }
    if index == items.len() {
        items.push(empty_container(inner));
    }
    ctx.path.push(format!("[{index}]"));
    apply_at(&mut items[index], inner, rest, ctx)
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

    fn run(yaml: &str, pairs: &[(&str, &str)]) -> (Value, EnvReport) {
        let mut tree: Value = serde_yaml::from_str(yaml).unwrap();
        let report = apply(&mut tree, &env(pairs));
        (tree, report)
    }

    fn get<'a>(tree: &'a Value, path: &str) -> &'a Value {
        path.split('.')
            .fold(tree, |node, key| match key.parse::<usize>() {
                Ok(i) => &node[i],
                Err(_) => &node[key],
            })
    }

    const BASE: &str =
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /a\nhttp:\n  addr: :5000\n";

    #[test]
    fn overrides_struct_fields_and_parameters() {
        let (tree, report) = run(
            BASE,
            &[
                ("REGISTRY_HTTP_ADDR", "127.0.0.1:6000"),
                ("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/b"),
                ("PATH", "/usr/bin"),
            ],
        );
        assert_eq!(get(&tree, "http.addr"), "127.0.0.1:6000");
        assert_eq!(get(&tree, "storage.filesystem.rootdirectory"), "/b");
        assert!(report.warnings.is_empty() && report.errors.is_empty());
        let paths: Vec<_> = report.applied.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, ["http.addr", "storage.filesystem.rootdirectory"]);
    }

    #[test]
    fn applies_in_lexical_order_so_sections_come_before_their_keys() {
        // Given in the "wrong" order: REGISTRY_STORAGE must still land first.
        let (tree, _) = run(
            BASE,
            &[
                ("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/from-env"),
                ("REGISTRY_STORAGE", "filesystem"),
            ],
        );
        assert_eq!(get(&tree, "storage.filesystem.rootdirectory"), "/from-env");
        // A section variable sorts before its keys, so the keys refine it instead of being lost.
        let (tree, _) = run(
            BASE,
            &[
                ("REGISTRY_HTTP_TLS", "{certificate: /c.pem}"),
                ("REGISTRY_HTTP", "{addr: ':7000'}"),
            ],
        );
        assert_eq!(get(&tree, "http.addr"), ":7000");
        assert_eq!(get(&tree, "http.tls.certificate"), "/c.pem");
    }

    #[test]
    fn go_field_names_differ_from_yaml_keys() {
        let (tree, report) = run(
            BASE,
            &[
                (
                    "REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES",
                    "true",
                ),
                ("REGISTRY_HEALTH_FILECHECKERS_0_FILE", "/tmp/down"),
                ("REGISTRY_HEALTH_HTTPCHECKERS_0_URI", "http://x/health"),
                ("REGISTRY_HEALTH_TCPCHECKERS_0_ADDR", "db:5432"),
                ("REGISTRY_LOG_HOOKS_0_MAILOPTIONS_FROM", "ops@example.com"),
                ("REGISTRY_COMPATIBILITY_SCHEMA1_TRUSTKEY", "/k.json"),
                ("REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES", "true"),
            ],
        );
        assert_eq!(
            get(&tree, "notifications.events.includereferences").as_bool(),
            Some(true)
        );
        assert_eq!(get(&tree, "health.file.0.file"), "/tmp/down");
        assert_eq!(get(&tree, "health.http.0.uri"), "http://x/health");
        assert_eq!(get(&tree, "health.tcp.0.addr"), "db:5432");
        assert_eq!(get(&tree, "log.hooks.0.options.from"), "ops@example.com");
        assert_eq!(
            get(&tree, "compatibility.schema1.signingkeyfile"),
            "/k.json"
        );
        // The YAML key is not the Go name: ignored with a warning, as distribution does.
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(report.warnings[0].contains("REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES"));
    }

    #[test]
    fn slices_take_contiguous_numeric_indexes() {
        let (tree, report) = run(
            BASE,
            &[
                ("REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME", "hook"),
                ("REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL", "http://hook/"),
                ("REGISTRY_NOTIFICATIONS_ENDPOINTS_1_URL", "http://second/"),
                ("REGISTRY_HTTP_TLS_CLIENTCAS_0", "/ca.pem"),
            ],
        );
        assert_eq!(get(&tree, "notifications.endpoints.0.name"), "hook");
        assert_eq!(get(&tree, "notifications.endpoints.0.url"), "http://hook/");
        assert_eq!(
            get(&tree, "notifications.endpoints.1.url"),
            "http://second/"
        );
        // distribution appends an empty string here and drops the value; regctl sets it.
        assert_eq!(get(&tree, "http.tls.clientcas.0"), "/ca.pem");
        assert!(report.errors.is_empty());
        assert!(report
            .applied
            .iter()
            .any(|o| o.path == "notifications.endpoints[1].url"));

        let (_, report) = run(
            BASE,
            &[
                ("REGISTRY_NOTIFICATIONS_ENDPOINTS_2_URL", "http://gap/"),
                ("REGISTRY_NOTIFICATIONS_ENDPOINTS_X_URL", "http://x/"),
            ],
        );
        assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
        assert!(report.errors[0].contains("undefined index: 2"));
        assert!(report.errors[1].contains("non-numeric index: X"));
    }

    #[test]
    fn a_plain_string_selects_the_auth_method() {
        let (tree, report) = run(
            BASE,
            &[
                ("REGISTRY_AUTH", "htpasswd"),
                ("REGISTRY_AUTH_HTPASSWD_REALM", "Registry Realm"),
                ("REGISTRY_AUTH_HTPASSWD_PATH", "/auth/htpasswd"),
            ],
        );
        // REGISTRY_AUTH sorts first and is the plain string; the next two need a map under it, so
        // the string value (a Go Auth with an empty htpasswd entry) becomes that map.
        assert!(
            report.errors.is_empty() && report.warnings.is_empty(),
            "{report:?}"
        );
        assert_eq!(get(&tree, "auth.htpasswd.realm"), "Registry Realm");
        assert_eq!(get(&tree, "auth.htpasswd.path"), "/auth/htpasswd");
    }

    #[test]
    fn readonly_enabled_works_with_or_without_a_maintenance_section() {
        let (tree, report) = run(
            BASE,
            &[("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")],
        );
        assert_eq!(
            get(&tree, "storage.maintenance.readonly.enabled").as_bool(),
            Some(true)
        );
        assert!(report.errors.is_empty());
        assert!(report.warnings.iter().any(|w| w.contains("#1736")));

        let with_section = "version: 0.1\nstorage:\n  inmemory:\n  maintenance:\n    uploadpurging:\n      enabled: false\n    readonly:\n      enabled: false\n";
        let (tree, _) = run(
            with_section,
            &[("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")],
        );
        assert_eq!(
            get(&tree, "storage.maintenance.readonly.enabled").as_bool(),
            Some(true)
        );
        assert_eq!(
            get(&tree, "storage.maintenance.uploadpurging.enabled").as_bool(),
            Some(false)
        );
    }

    #[test]
    fn version_cannot_be_overridden() {
        let (tree, report) = run(BASE, &[("REGISTRY_VERSION", "0.2")]);
        assert_eq!(get(&tree, "version").as_f64(), Some(0.1));
        assert!(report.applied.is_empty());
        assert!(report.warnings[0].contains("cannot be overridden"));
    }

    #[test]
    fn unknown_names_warn_and_change_nothing() {
        let (tree, report) = run(
            BASE,
            &[
                ("REGISTRY_HTTP_ADRR", ":1"),
                ("REGISTRY_PORT", "tcp://10.0.0.1:5000"),
                ("REGISTRY_http_addr", ":2"),
                (
                    "REGISTRY_CONFIGURATION_PATH",
                    "/etc/docker/registry/config.yml",
                ),
            ],
        );
        assert_eq!(get(&tree, "http.addr"), ":5000");
        assert!(report.applied.is_empty());
        assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
        assert!(report
            .warnings
            .iter()
            .all(|w| w.starts_with("ignoring unrecognized environment variable REGISTRY_")));
    }

    #[test]
    fn map_keys_match_case_insensitively_and_are_created_lower_case() {
        let yaml = format!("{BASE}  headers:\n    X-Content-Type-Options: [nosniff]\n");
        let (tree, _) = run(
            &yaml,
            &[
                ("REGISTRY_HTTP_HEADERS_X-FRAME-OPTIONS", "[DENY]"),
                ("REGISTRY_LOG_FIELDS_SERVICE", "registry"),
                ("REGISTRY_STORAGE_S3_REGION", "eu-west-1"),
            ],
        );
        assert_eq!(get(&tree, "http.headers.x-frame-options.0"), "DENY");
        assert_eq!(
            get(&tree, "http.headers.X-Content-Type-Options.0"),
            "nosniff"
        );
        assert_eq!(get(&tree, "log.fields.service"), "registry");
        assert_eq!(get(&tree, "storage.s3.region"), "eu-west-1");
    }

    #[test]
    fn values_are_yaml_and_strings_keep_their_text() {
        let (tree, report) = run(
            BASE,
            &[
                ("REGISTRY_HTTP_SECRET", "12345"),
                ("REGISTRY_HTTP_RELATIVEURLS", "true"),
                ("REGISTRY_HTTP_HEADERS", "{X-A: [b]}"),
                ("REGISTRY_STORAGE_DELETE", "{enabled: true}"),
                ("REGISTRY_HTTP_HOST", "[unclosed"),
            ],
        );
        assert_eq!(get(&tree, "http.secret"), "12345");
        assert_eq!(get(&tree, "http.relativeurls").as_bool(), Some(true));
        assert_eq!(get(&tree, "http.headers.X-A.0"), "b");
        assert_eq!(get(&tree, "storage.delete.enabled").as_bool(), Some(true));
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].starts_with("REGISTRY_HTTP_HOST: value is not valid YAML"));
    }

    #[test]
    fn inline_redis_options_match_case_insensitively() {
        let (tree, report) = run(
            BASE,
            &[
                ("REGISTRY_REDIS_ADDRS", "[redis:6379]"),
                ("REGISTRY_REDIS_ADDR", "redis:6379"),
                ("REGISTRY_REDIS_TLS_CERTIFICATE", "/r.pem"),
            ],
        );
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(get(&tree, "redis.addrs.0"), "redis:6379");
        assert_eq!(get(&tree, "redis.addr"), "redis:6379");
        assert_eq!(get(&tree, "redis.tls.certificate"), "/r.pem");
    }
}
