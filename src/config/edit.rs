//! A line-based editor for config.yml: sets or removes one key of a YAML block mapping and leaves
//! every other byte alone (comments, blank lines, quoting, key order), which a YAML parse and
//! re-serialization cannot do (serde_yaml drops comments).
//!
//! It understands the YAML that `config generate`, `init` and people write for distribution:
//! nested block mappings of `key: value` lines, scalars and one-line flow collections as values,
//! comments anywhere. Whatever it cannot edit safely (flow mappings it would have to enter,
//! anchors, aliases, tags, multi-line scalars, tabs, several documents) is refused with the reason.
//! As a last guard every edit is checked against the same change applied to the parsed document:
//! if the edited text does not parse to exactly that, the edit is refused.

use serde_yaml::{Mapping, Value};

/// Why an edit was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("the key is empty or has an empty component: {0:?} (write a dotted path such as storage.delete.enabled)")]
    BadKey(String),
    #[error("{value:?} is not a YAML value: {reason} (quote it, e.g. '\"{value}\"')")]
    BadValue { value: String, reason: String },
    #[error(
        "the value of {key} must be a scalar or a one-line [list]; set the keys of a section one \
         by one (e.g. {key}.enabled true)"
    )]
    NotScalar { key: String },
    #[error("the file is not valid YAML: {0}")]
    Syntax(String),
    #[error("cannot edit this file safely: {reason} (line {line}); edit it by hand")]
    Unsupported { line: usize, reason: String },
    #[error("{key} is a section with keys of its own; set or unset those instead")]
    IsSection { key: String },
    #[error(
        "{key} holds a value, not a section, so {child} cannot be set inside it; unset {key} first"
    )]
    NotSection { key: String, child: String },
    #[error("{key} is a list; edit it by hand")]
    IsList { key: String },
    #[error("{0} is not set in the file")]
    NotSet(String),
    #[error("the edit would change more than {0}; nothing was changed (edit the file by hand)")]
    Unsafe(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Blank, a comment or a `---` marker: not content.
    Trivia,
    /// `key:` followed by a value or nothing; `value_at` is the byte offset just after the `:`.
    Entry { value_at: usize },
    /// `- item`.
    Item,
    /// Anything else (a continuation line, a flow collection spread over lines).
    Other,
}

#[derive(Debug)]
struct Line {
    text: String,
    indent: usize,
    kind: Kind,
    key: String,
}

impl Line {
    fn is_content(&self) -> bool {
        self.kind != Kind::Trivia
    }

    fn is_comment(&self) -> bool {
        self.text.trim_start().starts_with('#')
    }

    /// The value text after `key:`, without the comment.
    fn value(&self) -> &str {
        match self.kind {
            Kind::Entry { value_at } => split_comment(&self.text[value_at..]).0.trim(),
            _ => "",
        }
    }
}

/// `(value, comment)`: a comment starts at a `#` preceded by whitespace, outside quotes.
fn split_comment(rest: &str) -> (&str, &str) {
    let bytes = rest.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => {
                // '' is an escaped quote inside single quotes.
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    quote = None;
                }
            }
            Some(b'"') if b == b'\\' => i += 1,
            Some(_) => {}
            None if (b == b'"' || b == b'\'') && rest[..i].trim().is_empty() => quote = Some(b),
            None if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) => {
                let start = rest[..i].trim_end().len();
                return (&rest[..start], &rest[start..]);
            }
            None => {}
        }
        i += 1;
    }
    (rest, "")
}

fn parse_lines(text: &str) -> Result<Vec<Line>, EditError> {
    if let Some(at) = text.find('\r') {
        return Err(unsupported(
            text[..at].matches('\n').count(),
            "CRLF line endings",
        ));
    }
    let mut lines = Vec::new();
    let mut seen_content = false;
    for (number, raw) in text.lines().enumerate() {
        let unsupported = |reason: &str| EditError::Unsupported {
            line: number + 1,
            reason: reason.to_owned(),
        };
        let body = raw.trim_start_matches(' ');
        let indent = raw.len() - body.len();
        if body.starts_with('\t') {
            return Err(unsupported("a tab in the indentation"));
        }
        let trimmed = body.trim_end();
        let mut line = Line {
            text: raw.to_owned(),
            indent,
            kind: Kind::Trivia,
            key: String::new(),
        };
        if trimmed.is_empty() || trimmed.starts_with('#') {
            lines.push(line);
            continue;
        }
        if indent == 0 && (trimmed == "---" || trimmed.starts_with("--- ")) {
            if seen_content {
                return Err(unsupported("several YAML documents"));
            }
            lines.push(line);
            continue;
        }
        if indent == 0 && (trimmed == "..." || trimmed.starts_with('%')) {
            return Err(unsupported("YAML directives or document markers"));
        }
        seen_content = true;
        if trimmed == "-" || trimmed.starts_with("- ") {
            line.kind = Kind::Item;
        } else if let Some((key, value_at)) = entry_key(body) {
            line.kind = Kind::Entry {
                value_at: indent + value_at,
            };
            line.key = key;
        } else {
            line.kind = Kind::Other;
        }
        lines.push(line);
    }
    Ok(lines)
}

/// The key of a `key: value` line and the offset just after its `:`.
fn entry_key(body: &str) -> Option<(String, usize)> {
    let first = body.chars().next()?;
    if let Some(quote) = ['"', '\''].into_iter().find(|q| *q == first) {
        let close = body[1..].find(quote)? + 1;
        let after = &body[close + 1..];
        let rest = after.strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        return Some((body[1..close].to_owned(), close + 2));
    }
    if "?&*!{[|>@`%".contains(first) {
        return None;
    }
    let mut search = 0;
    while let Some(pos) = body[search..].find(':') {
        let at = search + pos;
        let rest = &body[at + 1..];
        if rest.is_empty() || rest.starts_with(' ') {
            let key = &body[..at];
            if key.contains(" #") {
                return None;
            }
            return Some((key.trim_end().to_owned(), at + 1));
        }
        search = at + 1;
    }
    None
}

/// The lines an entry's value spans after its own line: up to the next content line at its
/// indent or less (a block sequence at the same indent belongs to it).
fn block_end(lines: &[Line], start: usize, indent: Option<usize>) -> usize {
    let Some(indent) = indent else {
        return lines.len();
    };
    let mut end = start;
    for (i, line) in lines.iter().enumerate().skip(start) {
        if !line.is_content() {
            continue;
        }
        let same_indent_item = line.kind == Kind::Item && line.indent == indent;
        if line.indent <= indent && !same_indent_item {
            break;
        }
        end = i + 1;
    }
    end
}

/// One step down a key path: `parent` is `None` for the top level.
struct Scope {
    /// The parent's indentation; `None` for the top level.
    indent: Option<usize>,
    /// First line after the parent's line, and one past the last content line of its block.
    start: usize,
    end: usize,
}

fn scope(lines: &[Line], parent: Option<usize>) -> Scope {
    match parent {
        None => Scope {
            indent: None,
            start: 0,
            end: last_content(lines, 0, lines.len()),
        },
        Some(p) => Scope {
            indent: Some(lines[p].indent),
            start: p + 1,
            end: block_end(lines, p + 1, Some(lines[p].indent)),
        },
    }
}

/// Where a new key of `scope` goes: after its last content line and the comments indented
/// under the scope that follow it (they belong to the block: commented-out examples); at the
/// end of the file for the top level.
fn insertion_point(lines: &[Line], scope: &Scope) -> usize {
    let Some(indent) = scope.indent else {
        return lines.len();
    };
    let mut at = scope.end.max(scope.start);
    while at < lines.len() && lines[at].is_comment() && lines[at].indent > indent {
        at += 1;
    }
    at
}

fn last_content(lines: &[Line], start: usize, end: usize) -> usize {
    (start..end)
        .rev()
        .find(|i| lines[*i].is_content())
        .map_or(start, |i| i + 1)
}

fn first_content(lines: &[Line], scope: &Scope) -> Option<usize> {
    (scope.start..scope.end).find(|i| lines[*i].is_content())
}

fn unsupported(line: usize, reason: &str) -> EditError {
    EditError::Unsupported {
        line: line + 1,
        reason: reason.to_owned(),
    }
}

/// The child `key` of `scope`, checking that the scope is a block mapping.
fn find_child(
    lines: &[Line],
    scope: &Scope,
    key: &str,
    path: &str,
) -> Result<Option<usize>, EditError> {
    let Some(first) = first_content(lines, scope) else {
        return Ok(None);
    };
    let indent = lines[first].indent;
    match lines[first].kind {
        Kind::Item => {
            return Err(EditError::IsList {
                key: path.to_owned(),
            })
        }
        Kind::Other => return Err(unsupported(first, "a line that is not `key: value`")),
        _ => {}
    }
    for (i, line) in lines.iter().enumerate().take(scope.end).skip(first) {
        if !line.is_content() || line.indent > indent {
            continue;
        }
        if line.indent < indent {
            return Err(unsupported(i, "inconsistent indentation"));
        }
        match line.kind {
            Kind::Entry { .. } if line.key == key => return Ok(Some(i)),
            Kind::Entry { .. } => {}
            _ => return Err(unsupported(i, "a line that is not `key: value`")),
        }
    }
    Ok(None)
}

/// What the value on an entry's own line is, for the edits that need to know.
fn check_inline_value(lines: &[Line], i: usize) -> Result<(), EditError> {
    let value = lines[i].value();
    if value.starts_with(['&', '*', '!']) {
        return Err(unsupported(i, "an anchor, alias or tag"));
    }
    if value.starts_with(['|', '>']) {
        return Err(unsupported(i, "a multi-line scalar"));
    }
    if !value.is_empty() {
        let end = block_end(lines, i + 1, Some(lines[i].indent));
        if end > i + 1 {
            return Err(unsupported(i + 1, "a value continued over several lines"));
        }
        if serde_yaml::from_str::<Value>(value).is_err() {
            return Err(unsupported(i, "a value that does not fit on its line"));
        }
    }
    Ok(())
}

fn is_empty_value(value: &str) -> bool {
    matches!(value, "" | "~" | "null" | "Null" | "NULL" | "{}")
}

/// The indentation step of the document (the first nested key's), 2 if it has none.
fn indent_unit(lines: &[Line]) -> usize {
    lines
        .iter()
        .find(|l| l.is_content() && l.indent > 0)
        .map_or(2, |l| l.indent)
}

fn split_key(key: &str) -> Result<Vec<&str>, EditError> {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty() || s.trim() != *s) {
        return Err(EditError::BadKey(key.to_owned()));
    }
    Ok(segments)
}

/// The YAML text to write for `value` (a scalar or a flow list as typed on the command line).
fn value_text(key: &str, value: &str) -> Result<(String, Value), EditError> {
    let mut parsed: Value = match serde_yaml::from_str(value) {
        Ok(parsed) => parsed,
        // Not YAML on its own (`@token`, `%x`): the user typed a string; it is written quoted.
        Err(_) if !value.contains('\n') => Value::String(value.to_owned()),
        Err(e) => {
            return Err(EditError::BadValue {
                value: value.to_owned(),
                reason: e.to_string(),
            })
        }
    };
    // A string typed without quotes is meant whole (YAML would cut `a #b` at the comment).
    if parsed.is_string() && !value.trim_start().starts_with(['"', '\'']) {
        parsed = Value::String(value.trim().to_owned());
    }
    match &parsed {
        Value::Mapping(_) | Value::Tagged(_) => {
            return Err(EditError::NotScalar {
                key: key.to_owned(),
            })
        }
        Value::Sequence(items) if items.iter().any(|v| v.is_mapping() || v.is_sequence()) => {
            return Err(EditError::NotScalar {
                key: key.to_owned(),
            })
        }
        _ => {}
    }
    // As typed when it reads back the same in a `key: value` line; else in JSON's spelling, which
    // is YAML too (a double-quoted string, a [flow] list).
    let typed = value.trim();
    let text = if reads_back(typed, &parsed) {
        typed.to_owned()
    } else {
        json(value, &parsed)?
    };
    Ok((text, parsed))
}

fn join(lines: &[Line], trailing_newline: bool) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(&line.text);
        if i + 1 < lines.len() || trailing_newline {
            out.push('\n');
        }
    }
    out
}

fn document(text: &str) -> Result<Value, EditError> {
    if text.trim().is_empty() {
        return Ok(Value::Mapping(Mapping::new()));
    }
    serde_yaml::from_str(text).map_err(|e| EditError::Syntax(e.to_string()))
}

fn new_line(text: String) -> Line {
    Line {
        text,
        indent: 0,
        kind: Kind::Other,
        key: String::new(),
    }
}

/// `text` with `key` (a dotted path) set to `value` (YAML scalar text); missing sections are
/// created at the file's indentation.
///
/// # Errors
/// When the key or value is malformed or the file has YAML this editor cannot edit safely.
pub fn set(text: &str, key: &str, value: &str) -> Result<String, EditError> {
    let (value_text, parsed) = value_text(key, value)?;
    set_rendered(text, key, &value_text, parsed)
}

/// [`set`] with a string value, quoted when YAML would read it as something else.
///
/// # Errors
/// As [`set`].
pub fn set_string(text: &str, key: &str, value: &str) -> Result<String, EditError> {
    let parsed = Value::String(value.to_owned());
    let value_text = if reads_back(value, &parsed) {
        value.to_owned()
    } else {
        json(value, &parsed)?
    };
    set_rendered(text, key, &value_text, parsed)
}

fn reads_back(typed: &str, value: &Value) -> bool {
    !typed.contains('\n')
        && !typed.starts_with(['&', '*', '!', '|', '>', '#'])
        && serde_yaml::from_str::<Mapping>(&format!("k: {typed}"))
            .ok()
            .and_then(|m| m.get("k").cloned())
            .as_ref()
            == Some(value)
}

fn json(typed: &str, value: &Value) -> Result<String, EditError> {
    serde_json::to_string(value).map_err(|e| EditError::BadValue {
        value: typed.to_owned(),
        reason: e.to_string(),
    })
}

fn set_rendered(
    text: &str,
    key: &str,
    value_text: &str,
    parsed: Value,
) -> Result<String, EditError> {
    let segments = split_key(key)?;
    let before = document(text)?;
    let mut lines = parse_lines(text)?;
    let unit = indent_unit(&lines);
    let mut parent: Option<usize> = None;
    for (depth, segment) in segments.iter().enumerate() {
        let path = segments[..depth].join(".");
        let here = scope(&lines, parent);
        let found = find_child(&lines, &here, segment, &path)?;
        let last = depth + 1 == segments.len();
        match found {
            Some(i) => {
                check_inline_value(&lines, i)?;
                let end = block_end(&lines, i + 1, Some(lines[i].indent));
                let has_children = (i + 1..end).any(|j| lines[j].is_content());
                if last {
                    if has_children {
                        return Err(EditError::IsSection {
                            key: key.to_owned(),
                        });
                    }
                    replace_value(&mut lines[i], value_text);
                    break;
                }
                if lines[i].value().starts_with('{') && !is_empty_value(lines[i].value()) {
                    return Err(unsupported(i, "a flow mapping ({...}) to edit inside"));
                }
                if !has_children && !is_empty_value(lines[i].value()) {
                    return Err(EditError::NotSection {
                        key: segments[..=depth].join("."),
                        child: key.to_owned(),
                    });
                }
                if !has_children {
                    // `tls: ~` or `tls: {}` becomes `tls:` with the children below it.
                    replace_value(&mut lines[i], "");
                }
                parent = Some(i);
            }
            None => {
                let indent = match first_content(&lines, &here) {
                    Some(first) => lines[first].indent,
                    None => parent.map_or(0, |p| lines[p].indent + unit),
                };
                let at = insertion_point(&lines, &here);
                let mut new = Vec::new();
                for (k, seg) in segments[depth..].iter().enumerate() {
                    let pad = " ".repeat(indent + k * unit);
                    let seg = quote_key(seg);
                    if depth + k + 1 == segments.len() {
                        new.push(new_line(format!("{pad}{seg}: {value_text}")));
                    } else {
                        new.push(new_line(format!("{pad}{seg}:")));
                    }
                }
                lines.splice(at..at, new);
                break;
            }
        }
    }
    let out = join(&lines, text.ends_with('\n') || text.is_empty());
    let mut expected = before;
    set_in(&mut expected, &segments, parsed);
    verify(&out, &expected, key)?;
    Ok(out)
}

fn quote_key(key: &str) -> String {
    let plain = serde_yaml::from_str::<Mapping>(&format!("{key}: 1"))
        .ok()
        .is_some_and(|m| m.contains_key(key));
    if plain {
        key.to_owned()
    } else {
        serde_json::to_string(key).unwrap_or_else(|_| key.to_owned())
    }
}

/// Replaces the value on an entry's line, keeping the spacing and the comment after it.
fn replace_value(line: &mut Line, value: &str) {
    let Kind::Entry { value_at } = line.kind else {
        return;
    };
    let rest = &line.text[value_at..];
    let (old, comment) = split_comment(rest);
    let lead = &old[..old.len() - old.trim_start().len()];
    let lead = match (value.is_empty(), lead.is_empty()) {
        (true, _) => "",
        (false, true) => " ",
        (false, false) => lead,
    };
    let comment = if old.trim().is_empty() && !value.is_empty() && !comment.is_empty() {
        // `key:  # note` had no value: one space between the new value and the comment.
        format!(" {}", comment.trim_start())
    } else {
        comment.to_owned()
    };
    line.text = format!("{}{lead}{value}{comment}", &line.text[..value_at]);
}

/// `text` without `key` and its nested block (and the comment lines directly above it); a section
/// left empty is removed too.
///
/// # Errors
/// When the key is not set or the file has YAML this editor cannot edit safely.
pub fn unset(text: &str, key: &str) -> Result<String, EditError> {
    let segments = split_key(key)?;
    let before = document(text)?;
    let mut lines = parse_lines(text)?;
    let mut chain = Vec::new();
    let mut parent: Option<usize> = None;
    for (depth, segment) in segments.iter().enumerate() {
        let here = scope(&lines, parent);
        let path = segments[..depth].join(".");
        let Some(i) = find_child(&lines, &here, segment, &path)? else {
            return Err(EditError::NotSet(key.to_owned()));
        };
        check_inline_value(&lines, i)?;
        if depth + 1 < segments.len() && !lines[i].value().is_empty() {
            return Err(EditError::NotSet(key.to_owned()));
        }
        chain.push(i);
        parent = Some(i);
    }
    // Remove the key, then each parent its removal left without content.
    let mut removed_depth = segments.len();
    while let Some(&i) = chain.last() {
        let end = block_end(&lines, i + 1, Some(lines[i].indent));
        let mut start = i;
        while start > 0
            && lines[start - 1].is_comment()
            && lines[start - 1].indent == lines[i].indent
        {
            start -= 1;
        }
        lines.drain(start..end);
        chain.pop();
        removed_depth -= 1;
        let Some(&p) = chain.last() else { break };
        let p_end = block_end(&lines, p + 1, Some(lines[p].indent));
        if (p + 1..p_end).any(|j| lines[j].is_content()) {
            break;
        }
    }
    let out = join(&lines, text.ends_with('\n'));
    let mut expected = before;
    unset_in(&mut expected, &segments, removed_depth);
    verify(&out, &expected, key)?;
    Ok(out)
}

fn set_in(tree: &mut Value, segments: &[&str], value: Value) {
    let mut node = tree;
    for segment in segments {
        if !node.is_mapping() {
            *node = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(map) = node else { return };
        node = map
            .entry(Value::String((*segment).to_owned()))
            .or_insert(Value::Null);
    }
    *node = value;
}

/// Removes `segments[..]` and then the parents down to `keep` components, as the editor did.
fn unset_in(tree: &mut Value, segments: &[&str], keep: usize) {
    fn remove(node: &mut Value, segments: &[&str], keep: usize, depth: usize) {
        let Value::Mapping(map) = node else { return };
        let key = Value::String(segments[0].to_owned());
        if segments.len() == 1 {
            map.remove(&key);
            return;
        }
        if depth >= keep {
            map.remove(&key);
            return;
        }
        if let Some(child) = map.get_mut(&key) {
            remove(child, &segments[1..], keep, depth + 1);
        }
    }
    remove(tree, segments, keep, 0);
}

fn verify(out: &str, expected: &Value, key: &str) -> Result<(), EditError> {
    match document(out) {
        Ok(actual) if actual == *expected => Ok(()),
        _ => Err(EditError::Unsafe(key.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# header comment
version: 0.1

log:
  level: info   # the level
  fields:
    service: registry

storage:
  # where images live
  filesystem:
    rootdirectory: /srv/data
  delete:
    enabled: false
http:
  addr: 127.0.0.1:5000
  headers:
    X-Content-Type-Options: [nosniff]
  tls: ~
  # secret: <random string>
";

    fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
        a.lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .map(|(x, y)| (x.to_owned(), y.to_owned()))
            .collect()
    }

    #[test]
    fn set_replaces_only_the_value() {
        let out = set(SAMPLE, "storage.delete.enabled", "true").unwrap();
        assert_eq!(
            changed_lines(SAMPLE, &out),
            [(
                "    enabled: false".to_owned(),
                "    enabled: true".to_owned()
            )]
        );
        assert_eq!(out.lines().count(), SAMPLE.lines().count());
        let out = set(SAMPLE, "log.level", "debug").unwrap();
        assert!(out.contains("  level: debug   # the level\n"), "{out}");
    }

    #[test]
    fn set_inserts_missing_sections_at_the_files_indentation() {
        let out = set(SAMPLE, "storage.maintenance.readonly.enabled", "true").unwrap();
        assert!(
            out.contains(
                "  delete:\n    enabled: false\n  maintenance:\n    readonly:\n      enabled: true\nhttp:\n"
            ),
            "{out}"
        );
        let out = set(SAMPLE, "http.tls.certificate", "/c/server.crt").unwrap();
        assert!(
            out.contains("  tls:\n    certificate: /c/server.crt\n  # secret"),
            "{out}"
        );
        let out = set(SAMPLE, "proxy.remoteurl", "https://registry-1.docker.io").unwrap();
        assert!(
            out.ends_with(
                "  # secret: <random string>\nproxy:\n  remoteurl: https://registry-1.docker.io\n"
            ),
            "{out}"
        );
        let four = "a:\n    b: 1\n";
        assert_eq!(
            set(four, "a.c.d", "x").unwrap(),
            "a:\n    b: 1\n    c:\n        d: x\n"
        );
    }

    #[test]
    fn values_are_written_so_they_read_back() {
        let out = set(SAMPLE, "http.host", "http://r.test:5000").unwrap();
        assert!(out.contains("  host: http://r.test:5000\n"));
        let out = set(SAMPLE, "http.host", "a #b").unwrap();
        assert!(out.contains("  host: \"a #b\"\n"), "{out}");
        let out = set(SAMPLE, "http.secret", "@x:y").unwrap();
        assert!(out.contains("  secret: \"@x:y\"\n"), "{out}");
        let out = set(SAMPLE, "http.headers.X-Frame-Options", "[DENY]").unwrap();
        assert!(out.contains("    X-Frame-Options: [DENY]\n"), "{out}");
        assert!(matches!(
            set(SAMPLE, "storage.delete", "{enabled: true}"),
            Err(EditError::NotScalar { .. })
        ));
    }

    #[test]
    fn unset_removes_the_block_its_comments_and_empty_parents() {
        let out = unset(SAMPLE, "storage.filesystem").unwrap();
        assert!(
            !out.contains("where images live") && !out.contains("rootdirectory"),
            "{out}"
        );
        assert!(out.contains("storage:\n  delete:\n"), "{out}");
        let out = unset(SAMPLE, "log.fields.service").unwrap();
        assert!(
            out.contains("log:\n  level: info   # the level\n\nstorage:"),
            "{out}"
        );
        assert_eq!(
            unset(SAMPLE, "redis.addr"),
            Err(EditError::NotSet("redis.addr".to_owned()))
        );
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        for (text, key) in [
            ("a: &x\n  b: 1\nc: *x\n", "a.b"),
            ("a: |\n  text\n", "a"),
            ("a: {b: 1}\n", "a.b"),
            ("a:\n\tb: 1\n", "a.b"),
            ("a: 1\n---\nb: 2\n", "a"),
            ("a: plain\n  continued\n", "a"),
        ] {
            assert!(set(text, key, "2").is_err(), "{text}");
        }
        assert!(matches!(
            set(SAMPLE, "storage", "x"),
            Err(EditError::IsSection { .. })
        ));
        assert!(matches!(
            set(SAMPLE, "version.x", "1"),
            Err(EditError::NotSection { .. })
        ));
        assert!(matches!(
            set("a:\n  - 1\n", "a.b", "1"),
            Err(EditError::IsList { .. })
        ));
    }

    /// Property: on generated configs, set then read back gives the value and changes nothing else;
    /// unset of a key that was set by `set` gives the original document back.
    #[test]
    fn set_and_unset_round_trip_on_generated_configs() {
        let generated = super::super::generate(&super::super::GenerateOptions {
            addr: "127.0.0.1:5000".to_owned(),
            root: "/srv/r".into(),
            htpasswd: Some("/srv/htpasswd".into()),
            realm: "R".to_owned(),
            tls: Some(("/c.crt".into(), "/c.key".into())),
            delete: false,
            host: Some("r.test".to_owned()),
            letsencrypt: None,
        });
        let original = document(&generated).unwrap();
        for (key, value) in [
            ("storage.delete.enabled", "true"),
            ("http.addr", "0.0.0.0:5000"),
            ("http.relativeurls", "true"),
            ("storage.maintenance.readonly.enabled", "true"),
            ("new.section.key", "'quoted value'"),
            ("http.tls.letsencrypt.email", "a@b.test"),
            ("log.accesslog.disabled", "true"),
        ] {
            let out = set(&generated, key, value).unwrap();
            let mut expected = original.clone();
            set_in(
                &mut expected,
                &split_key(key).unwrap(),
                serde_yaml::from_str(value).unwrap(),
            );
            assert_eq!(document(&out).unwrap(), expected, "{key}");
            // Every comment line survives.
            for line in generated
                .lines()
                .filter(|l| l.trim_start().starts_with('#'))
            {
                assert!(out.contains(line), "{key}: lost {line}");
            }
        }
        let added = set(&generated, "new.section.key", "v").unwrap();
        assert_eq!(unset(&added, "new.section.key").unwrap(), generated);
    }

    fn generated() -> String {
        super::super::generate(&super::super::GenerateOptions {
            addr: "127.0.0.1:5000".to_owned(),
            root: "/srv/r".into(),
            htpasswd: Some("/srv/htpasswd".into()),
            realm: "R".to_owned(),
            tls: None,
            delete: true,
            host: None,
            letsencrypt: None,
        })
    }

    proptest::proptest! {
        /// Any set on a generated config either is refused for a stated structural reason or
        /// yields exactly the document with that one change, with every comment line kept; and
        /// unsetting a key set in a new section gives the file back byte for byte.
        #[test]
        fn set_changes_exactly_one_key(
            path in proptest::collection::vec(
                proptest::sample::select(vec![
                    "log", "level", "fields", "http", "addr", "headers", "storage", "delete",
                    "enabled", "maintenance", "readonly", "new", "X-Frame", "a_b",
                ]),
                1..4,
            ),
            value in proptest::sample::select(vec![
                "true", "0", "168h", "plain text", "a #b", "x: y", "'q'", "[a, b]", "", "~",
                "http://h:5000/p", "-1", "@at",
            ]),
        ) {
            let text = generated();
            let key = path.join(".");
            match set(&text, &key, value) {
                Ok(out) => {
                    let (_, parsed) = value_text(&key, value).unwrap();
                    let mut expected = document(&text).unwrap();
                    set_in(&mut expected, &path, parsed);
                    proptest::prop_assert_eq!(document(&out).unwrap(), expected);
                    for line in text.lines().filter(|l| l.trim_start().starts_with('#')) {
                        proptest::prop_assert!(out.contains(line));
                    }
                }
                Err(EditError::IsSection { .. } | EditError::NotSection { .. }
                    | EditError::BadValue { .. } | EditError::NotScalar { .. }) => {}
                Err(other) => proptest::prop_assert!(false, "{key} = {value}: {other}"),
            }
            let fresh = format!("zz.{key}");
            if let Ok(out) = set(&text, &fresh, value) {
                proptest::prop_assert_eq!(unset(&out, &fresh).unwrap(), text);
            }
        }
    }
}
