//! Apache's group file (`AuthGroupFile` of mod_authz_groupfile): one `group: user user ...` line
//! per group, `#` comments and blank lines ignored. nginx, Apache and regctl can share it.
//!
//! Edits keep every line they do not change byte for byte; a changed line is rewritten as
//! `group: user user`. Every edit takes the same directory lock as htpasswd edits and writes
//! atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors reading or editing a group file.
#[derive(Debug, thiserror::Error)]
pub enum GroupFileError {
    #[error("cannot read the group file {path}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the group file {path}", path = .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock {path} to edit it", path = .path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: crate::fsutil::LockError,
    },
    #[error(
        "invalid group name {0:?}: use letters, digits, '.', '_' and '-' (no ':', spaces or '#')"
    )]
    InvalidGroup(String),
}

/// A parsed group file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFile {
    /// The file's lines, terminators included, so unchanged lines are written back as read.
    lines: Vec<String>,
}

/// Checks a group name: what Apache's parser reads back as the same name.
///
/// # Errors
/// [`GroupFileError::InvalidGroup`].
pub fn validate_group(group: &str) -> Result<(), GroupFileError> {
    let ok = !group.is_empty()
        && group.len() <= 64
        && group
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(GroupFileError::InvalidGroup(group.to_owned()))
    }
}

fn parse_line(line: &str) -> Option<(&str, impl Iterator<Item = &str>)> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let (group, members) = trimmed.split_once(':')?;
    Some((group.trim(), members.split_whitespace()))
}

impl GroupFile {
    #[must_use]
    pub fn parse(text: &str) -> Self {
        Self {
            lines: text.split_inclusive('\n').map(str::to_owned).collect(),
        }
    }

    /// Reads `path`; a missing file is an empty group file.
    ///
    /// # Errors
    /// When the file exists but cannot be read.
    pub fn load_or_empty(path: &Path) -> Result<Self, GroupFileError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(GroupFileError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Every group and its members, in file order within a group (a group on several lines,
    /// which Apache allows, is merged).
    #[must_use]
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for line in &self.lines {
            if let Some((group, members)) = parse_line(line) {
                let entry = groups.entry(group.to_owned()).or_default();
                for member in members {
                    if !entry.iter().any(|m| m == member) {
                        entry.push(member.to_owned());
                    }
                }
            }
        }
        groups
    }

    /// The groups `user` belongs to, sorted.
    #[must_use]
    pub fn groups_of(&self, user: &str) -> Vec<String> {
        self.groups()
            .into_iter()
            .filter(|(_, members)| members.iter().any(|m| m == user))
            .map(|(group, _)| group)
            .collect()
    }

    /// Adds `user` to `group` (a new line at the end when the group has none). Returns whether
    /// anything changed.
    ///
    /// # Errors
    /// When the group name is invalid.
    pub fn add_member(&mut self, group: &str, user: &str) -> Result<bool, GroupFileError> {
        validate_group(group)?;
        if self
            .groups()
            .get(group)
            .is_some_and(|m| m.iter().any(|u| u == user))
        {
            return Ok(false);
        }
        let ending = self.line_ending();
        if let Some(line) = self
            .lines
            .iter_mut()
            .find(|line| parse_line(line).is_some_and(|(g, _)| g == group))
        {
            let (name, members) = parse_line(line)
                .map(|(g, m)| (g.to_owned(), m.map(str::to_owned).collect::<Vec<_>>()))
                .unwrap_or_default();
            let had_ending = line.ends_with('\n');
            let mut rewritten = format!("{name}:");
            for member in members.iter().map(String::as_str).chain([user]) {
                rewritten.push(' ');
                rewritten.push_str(member);
            }
            if had_ending {
                rewritten.push_str(ending);
            }
            *line = rewritten;
        } else {
            if let Some(last) = self.lines.last_mut() {
                if !last.ends_with('\n') {
                    last.push_str(ending);
                }
            }
            self.lines.push(format!("{group}: {user}{ending}"));
        }
        Ok(true)
    }

    /// Removes `user` from every group; lines that end up empty are dropped. Returns the groups
    /// the user left.
    pub fn remove_member(&mut self, user: &str) -> Vec<String> {
        let mut left = Vec::new();
        let ending = self.line_ending();
        self.lines.retain_mut(|line| {
            let Some((group, members)) = parse_line(line) else {
                return true;
            };
            let members: Vec<&str> = members.collect();
            if !members.contains(&user) {
                return true;
            }
            left.push(group.to_owned());
            let kept: Vec<&str> = members.into_iter().filter(|m| *m != user).collect();
            if kept.is_empty() {
                return false;
            }
            *line = format!("{group}: {}{ending}", kept.join(" "));
            true
        });
        left.sort();
        left.dedup();
        left
    }

    fn line_ending(&self) -> &'static str {
        if self.lines.iter().any(|l| l.ends_with("\r\n")) {
            "\r\n"
        } else {
            "\n"
        }
    }

    #[must_use]
    pub fn to_text(&self) -> String {
        self.lines.concat()
    }
}

/// Loads `path` (empty when missing), applies `change` and writes the result atomically (mode
/// 0644 for a new file: group membership is not a secret, as with Apache), under an exclusive
/// lock on its directory so concurrent edits do not lose one another's change. Nothing is written
/// when `change` fails or changes nothing.
///
/// # Errors
/// When the file cannot be read, locked or written, or `change` fails.
pub fn edit<T>(
    path: &Path,
    change: impl FnOnce(&mut GroupFile) -> Result<T, GroupFileError>,
) -> Result<T, GroupFileError> {
    // The directory, as htpasswd edits lock it: the atomic rename replaces the file itself.
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|source| GroupFileError::Write {
        path: path.to_owned(),
        source,
    })?;
    let _lock = crate::fsutil::lock_path(
        dir,
        crate::fsutil::LockKind::Exclusive,
        crate::fsutil::LockWait::Forever,
    )
    .map_err(|source| GroupFileError::Lock {
        path: path.to_owned(),
        source,
    })?;
    let mut file = GroupFile::load_or_empty(path)?;
    let before = file.clone();
    let result = change(&mut file)?;
    if file != before {
        let mode = if path.exists() { None } else { Some(0o644) };
        crate::fsutil::atomic_write(path, file.to_text().as_bytes(), mode).map_err(|source| {
            GroupFileError::Write {
                path: path.to_owned(),
                source,
            }
        })?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_apache_group_files() {
        let file = GroupFile::parse(
            "# teams\nadmins: alice\n\nteam: bob  carol\nteam: dave\nbroken line\n",
        );
        let groups = file.groups();
        assert_eq!(groups["admins"], ["alice"]);
        assert_eq!(groups["team"], ["bob", "carol", "dave"]);
        assert_eq!(groups.len(), 2);
        assert_eq!(file.groups_of("carol"), ["team"]);
        assert!(file.groups_of("nobody").is_empty());
    }

    #[test]
    fn edits_keep_other_lines_byte_for_byte() {
        let text = "# keep me\r\nadmins: alice\r\nteam:bob\r\n";
        let mut file = GroupFile::parse(text);
        assert!(file.add_member("team", "ci").unwrap());
        assert!(!file.add_member("team", "ci").unwrap());
        assert!(file.add_member("ci", "ci").unwrap());
        assert_eq!(
            file.to_text(),
            "# keep me\r\nadmins: alice\r\nteam: bob ci\r\nci: ci\r\n"
        );
        assert_eq!(file.remove_member("ci"), ["ci", "team"]);
        assert_eq!(
            file.to_text(),
            "# keep me\r\nadmins: alice\r\nteam: bob\r\n"
        );
        assert!(file.add_member("bad group", "x").is_err());
        assert!(file.add_member("a:b", "x").is_err());
    }

    #[test]
    fn a_file_without_final_newline_gets_one_before_a_new_group() {
        let mut file = GroupFile::parse("admins: alice");
        file.add_member("ci", "bot").unwrap();
        assert_eq!(file.to_text(), "admins: alice\nci: bot\n");
    }

    #[test]
    fn edit_writes_only_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("groups");
        edit(&path, |f| f.add_member("team", "bob")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "team: bob\n");
        let changed = edit(&path, |f| f.add_member("team", "bob")).unwrap();
        assert!(!changed);
    }
}
