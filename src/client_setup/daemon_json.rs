//! `insecure-registries` and `registry-mirrors` in docker's `daemon.json`: add or remove one
//! entry and keep everything else. serde_json is built with `preserve_order`, so every other key keeps its position and value;
//! a file that changes is re-serialised with the indentation it already used.

use serde::Serialize as _;
use serde_json::{Map, Value};

/// The key dockerd reads (`dockerd --insecure-registry` as a config file option).
pub const INSECURE_REGISTRIES: &str = "insecure-registries";
/// The Docker Hub mirrors dockerd tries, in order, before Docker Hub itself
/// (`dockerd --registry-mirror`).
pub const REGISTRY_MIRRORS: &str = "registry-mirrors";

/// Why an existing daemon.json cannot be edited safely.
#[derive(Debug, thiserror::Error)]
pub enum DaemonJsonError {
    #[error("it is not valid JSON")]
    InvalidJson(#[source] serde_json::Error),
    #[error("its top level is not a JSON object")]
    NotAnObject,
    #[error("`{0}` is not an array of strings")]
    NotStringArray(&'static str),
}

/// The file with `entry` added to `insecure-registries`, or `None` when it is already there.
/// `current` is the file's text, `None` when the file does not exist.
///
/// # Errors
/// When the existing text is not a JSON object or `insecure-registries` is not an array of strings.
pub fn add_insecure_registry(
    current: Option<&str>,
    entry: &str,
) -> Result<Option<String>, DaemonJsonError> {
    add_entry(current, INSECURE_REGISTRIES, entry)
}

/// The file with `entry` removed from `insecure-registries` (the key goes away with its last
/// entry, so add-then-remove gives back the original), or `None` when the entry is not there.
///
/// # Errors
/// As [`add_insecure_registry`].
pub fn remove_insecure_registry(
    current: Option<&str>,
    entry: &str,
) -> Result<Option<String>, DaemonJsonError> {
    remove_entry(current, INSECURE_REGISTRIES, entry)
}

/// Whether `entry` is listed; an unreadable file counts as not listing it.
#[must_use]
pub fn lists_insecure_registry(current: Option<&str>, entry: &str) -> bool {
    parse(current)
        .and_then(|root| string_list(&root, INSECURE_REGISTRIES))
        .is_ok_and(|list| list.iter().any(|existing| same_entry(existing, entry)))
}

/// The file with `entry` appended to the list under `key` (`insecure-registries`,
/// `registry-mirrors`), or `None` when it is already listed. dockerd normalises a mirror to end
/// in `/`, so `http://m:5000` and `http://m:5000/` are the same entry.
///
/// # Errors
/// When the existing text is not a JSON object or `key` is not an array of strings.
pub fn add_entry(
    current: Option<&str>,
    key: &'static str,
    entry: &str,
) -> Result<Option<String>, DaemonJsonError> {
    let mut root = parse(current)?;
    let list = string_list(&root, key)?;
    if list.iter().any(|existing| same_entry(existing, entry)) {
        return Ok(None);
    }
    let slot = root.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = slot {
        items.push(Value::String(entry.to_owned()));
    }
    Ok(Some(render(&root, current)))
}

/// The file with `entry` removed from the list under `key` (the key goes away with its last
/// entry, so add-then-remove gives back the original), or `None` when it is not listed.
///
/// # Errors
/// As [`add_entry`].
pub fn remove_entry(
    current: Option<&str>,
    key: &'static str,
    entry: &str,
) -> Result<Option<String>, DaemonJsonError> {
    if current.is_none() {
        return Ok(None);
    }
    let mut root = parse(current)?;
    let list = string_list(&root, key)?;
    if !list.iter().any(|existing| same_entry(existing, entry)) {
        return Ok(None);
    }
    let remaining: Vec<Value> = list
        .into_iter()
        .filter(|existing| !same_entry(existing, entry))
        .map(Value::String)
        .collect();
    if remaining.is_empty() {
        root.shift_remove(key);
    } else if let Some(slot) = root.get_mut(key) {
        *slot = Value::Array(remaining);
    }
    Ok(Some(render(&root, current)))
}

/// The entries under `key`, in order; empty when the file or the key is absent.
///
/// # Errors
/// As [`add_entry`].
pub fn entries(current: Option<&str>, key: &'static str) -> Result<Vec<String>, DaemonJsonError> {
    string_list(&parse(current)?, key)
}

fn same_entry(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn parse(current: Option<&str>) -> Result<Map<String, Value>, DaemonJsonError> {
    // dockerd accepts a UTF-8 byte order mark and treats a blank file as an empty config.
    let text = current.unwrap_or_default().trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text).map_err(DaemonJsonError::InvalidJson)? {
        Value::Object(map) => Ok(map),
        _ => Err(DaemonJsonError::NotAnObject),
    }
}

fn string_list(
    root: &Map<String, Value>,
    key: &'static str,
) -> Result<Vec<String>, DaemonJsonError> {
    match root.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(DaemonJsonError::NotStringArray(key)),
            })
            .collect(),
        Some(_) => Err(DaemonJsonError::NotStringArray(key)),
    }
}

fn render(root: &Map<String, Value>, current: Option<&str>) -> String {
    let indent = current.and_then(indentation).unwrap_or("  ");
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Serialising JSON values into memory cannot fail; fall back to compact output rather than panic.
    let mut text = match root.serialize(&mut serializer) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => Value::Object(root.clone()).to_string(),
    };
    text.push('\n');
    text
}

/// The indentation of the first key in an existing file (spaces or tabs), if it has one.
fn indentation(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        let key = line.trim_start_matches([' ', '\t']);
        let indent = &line[..line.len() - key.len()];
        (key.starts_with('"') && !indent.is_empty()).then_some(indent)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        match serde_json::from_str::<Value>(text).unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn creates_the_config_when_there_is_none() {
        let out = add_insecure_registry(None, "10.0.0.1:5000")
            .unwrap()
            .unwrap();
        assert_eq!(
            out,
            "{\n  \"insecure-registries\": [\n    \"10.0.0.1:5000\"\n  ]\n}\n"
        );
        let blank = add_insecure_registry(Some(" \n"), "10.0.0.1:5000").unwrap();
        assert_eq!(blank.as_deref(), Some(out.as_str()));
    }

    #[test]
    fn keeps_other_keys_their_order_and_values() {
        let old = r#"{"zeta": 1, "log-driver": "journald", "insecure-registries": ["a:1"], "alpha": {"nested": [1, 2.5, null]}, "debug": true}"#;
        let new = add_insecure_registry(Some(old), "b:2").unwrap().unwrap();
        assert_eq!(
            keys(&new),
            [
                "zeta",
                "log-driver",
                "insecure-registries",
                "alpha",
                "debug"
            ]
        );
        let old_value: Value = serde_json::from_str(old).unwrap();
        let new_value: Value = serde_json::from_str(&new).unwrap();
        for key in ["zeta", "log-driver", "alpha", "debug"] {
            assert_eq!(old_value[key], new_value[key], "{key}");
        }
        assert_eq!(
            new_value[INSECURE_REGISTRIES],
            serde_json::json!(["a:1", "b:2"])
        );
    }

    #[test]
    fn keeps_the_indentation_of_the_file() {
        let old = "{\n    \"debug\": true\n}\n";
        let new = add_insecure_registry(Some(old), "b:2").unwrap().unwrap();
        assert_eq!(
            new,
            "{\n    \"debug\": true,\n    \"insecure-registries\": [\n        \"b:2\"\n    ]\n}\n"
        );
        let tabs = add_insecure_registry(Some("{\n\t\"debug\": true\n}"), "b:2")
            .unwrap()
            .unwrap();
        assert!(
            tabs.starts_with("{\n\t\"debug\": true,\n\t\"insecure"),
            "{tabs}"
        );
        let one_line = add_insecure_registry(Some("{\"debug\": true}"), "b:2")
            .unwrap()
            .unwrap();
        assert!(one_line.starts_with("{\n  \"debug\""), "{one_line}");
    }

    #[test]
    fn adding_twice_changes_nothing() {
        let once = add_insecure_registry(Some(r#"{"debug": true}"#), "b:2")
            .unwrap()
            .unwrap();
        assert_eq!(add_insecure_registry(Some(&once), "b:2").unwrap(), None);
        assert!(lists_insecure_registry(Some(&once), "b:2"));
    }

    #[test]
    fn appends_after_existing_entries_without_duplicates() {
        let old = r#"{"insecure-registries": ["a:1", "c:3"]}"#;
        let new = add_insecure_registry(Some(old), "a:1").unwrap();
        assert_eq!(new, None);
        let new = add_insecure_registry(Some(old), "b:2").unwrap().unwrap();
        let value: Value = serde_json::from_str(&new).unwrap();
        assert_eq!(
            value[INSECURE_REGISTRIES],
            serde_json::json!(["a:1", "c:3", "b:2"])
        );
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        assert!(matches!(
            add_insecure_registry(Some("{\"a\": 1,}"), "b:2"),
            Err(DaemonJsonError::InvalidJson(_))
        ));
        assert!(matches!(
            add_insecure_registry(Some("[1]"), "b:2"),
            Err(DaemonJsonError::NotAnObject)
        ));
        for bad in [
            r#"{"insecure-registries": "a:1"}"#,
            r#"{"insecure-registries": ["a:1", 2]}"#,
        ] {
            assert!(matches!(
                add_insecure_registry(Some(bad), "b:2"),
                Err(DaemonJsonError::NotStringArray(_))
            ));
            assert!(matches!(
                remove_insecure_registry(Some(bad), "a:1"),
                Err(DaemonJsonError::NotStringArray(_))
            ));
        }
    }

    #[test]
    fn accepts_a_byte_order_mark() {
        let new = add_insecure_registry(Some("\u{feff}{\"debug\": true}"), "b:2")
            .unwrap()
            .unwrap();
        assert_eq!(keys(&new), ["debug", INSECURE_REGISTRIES]);
    }

    #[test]
    fn remove_keeps_the_rest_and_undoes_add() {
        let old = r#"{"debug": true, "insecure-registries": ["a:1", "b:2"], "x": 1}"#;
        let new = remove_insecure_registry(Some(old), "a:1").unwrap().unwrap();
        let value: Value = serde_json::from_str(&new).unwrap();
        assert_eq!(keys(&new), ["debug", INSECURE_REGISTRIES, "x"]);
        assert_eq!(value[INSECURE_REGISTRIES], serde_json::json!(["b:2"]));

        let original = "{\n  \"debug\": true,\n  \"x\": 1\n}\n";
        let added = add_insecure_registry(Some(original), "b:2")
            .unwrap()
            .unwrap();
        let removed = remove_insecure_registry(Some(&added), "b:2")
            .unwrap()
            .unwrap();
        assert_eq!(removed, original);
    }

    #[test]
    fn remove_of_an_absent_entry_changes_nothing() {
        assert_eq!(remove_insecure_registry(None, "a:1").unwrap(), None);
        assert_eq!(remove_insecure_registry(Some("{}"), "a:1").unwrap(), None);
        assert_eq!(
            remove_insecure_registry(Some(r#"{"insecure-registries": ["b:2"]}"#), "a:1").unwrap(),
            None
        );
    }

    #[test]
    fn mirrors_keep_their_order_and_a_trailing_slash_is_the_same_mirror() {
        let old = r#"{"registry-mirrors": ["https://a.example/"]}"#;
        let new = add_entry(Some(old), REGISTRY_MIRRORS, "http://127.0.0.1:5000")
            .unwrap()
            .unwrap();
        assert_eq!(
            entries(Some(&new), REGISTRY_MIRRORS).unwrap(),
            ["https://a.example/", "http://127.0.0.1:5000"]
        );
        assert_eq!(
            add_entry(Some(&new), REGISTRY_MIRRORS, "https://a.example").unwrap(),
            None
        );
        let back = remove_entry(Some(&new), REGISTRY_MIRRORS, "http://127.0.0.1:5000/")
            .unwrap()
            .unwrap();
        assert_eq!(
            entries(Some(&back), REGISTRY_MIRRORS).unwrap(),
            ["https://a.example/"]
        );
        assert!(matches!(
            add_entry(
                Some(r#"{"registry-mirrors": "x"}"#),
                REGISTRY_MIRRORS,
                "http://m:1"
            ),
            Err(DaemonJsonError::NotStringArray(REGISTRY_MIRRORS))
        ));
    }
}
