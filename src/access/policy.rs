//! The policy file: who may pull, push and delete which repositories.
//!
//! ```yaml
//! groupfile: groups        # Apache AuthGroupFile ("group: user user"), relative to this file
//! tokens: tokens.json      # CI tokens (`regctl token create`), relative to this file
//! admins: admins           # members of this group may do everything everywhere
//! anonymous: [public/**]   # anyone may pull these, without credentials
//! default: []              # what a logged-in user may do where no rule matches
//! rules:                   # the FIRST rule naming the user (or one of their groups) and
//!   - repositories: [team/**]   # matching the repository decides; `allow: []` denies
//!     groups: [team]
//!     allow: [pull, push, delete]
//!   - repositories: ["**"]
//!     users: ["*"]         # "*": every logged-in user
//!     allow: [pull]
//! ```
//!
//! First match, not most specific match: the order is the meaning, as in a firewall, so what
//! `regctl access check` names as the deciding rule is where to look, and an exception (a deny
//! or a wider grant) is written above the rule it overrides. The order of evaluation for a
//! logged-in user: the admin group, then the rules in order, then the anonymous patterns (pull
//! only: what anyone may pull, a logged-in user may pull too), then `default`. Anonymous
//! requests get the anonymous patterns and nothing else.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::pattern::Pattern;
use super::{Action, ActionSet, DecidedBy, Decision, Subject};
use crate::oci::reference::Name;

/// Default group file name, next to the policy file.
pub const DEFAULT_GROUP_FILE: &str = "groups";
/// Default token store name, next to the policy file.
pub const DEFAULT_TOKENS_FILE: &str = "tokens.json";
/// A policy names at most this many groups (they are a bit set per user).
pub const MAX_GROUPS: usize = 128;
/// The user entry that stands for every logged-in user.
pub const ANY_USER: &str = "*";

/// One problem in a policy file, located by its key path (`rules[1].allow[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Errors loading a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the access policy {path}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the access policy {path} is invalid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "), path = .path.display())]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Groups(#[from] super::groups::GroupFileError),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct GroupSet(u128);

impl GroupSet {
    fn contains(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }
    fn insert(&mut self, index: usize) {
        self.0 |= 1 << index;
    }
    fn intersects(self, other: GroupSet) -> bool {
        self.0 & other.0 != 0
    }
}

/// One rule, compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    pub repositories: Vec<Pattern>,
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub allow: ActionSet,
    any_user: bool,
    group_set: GroupSet,
}

impl Rule {
    fn applies_to(&self, user: &str, groups: GroupSet) -> bool {
        self.any_user || groups.intersects(self.group_set) || self.users.iter().any(|u| u == user)
    }

    /// `team/** for groups team: pull, push`
    #[must_use]
    pub fn describe(&self) -> String {
        let repos = self
            .repositories
            .iter()
            .map(Pattern::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        format!("{repos} for {}: {}", self.who(), self.allow)
    }

    /// `users alice, bob; groups team`
    #[must_use]
    pub fn who(&self) -> String {
        let mut parts = Vec::new();
        if !self.users.is_empty() {
            let users = self
                .users
                .iter()
                .map(|u| {
                    if u == ANY_USER {
                        "* (every logged-in user)"
                    } else {
                        u.as_str()
                    }
                })
                .collect::<Vec<_>>();
            parts.push(format!("users {}", users.join(", ")));
        }
        if !self.groups.is_empty() {
            parts.push(format!("groups {}", self.groups.join(", ")));
        }
        parts.join("; ")
    }
}

/// A loaded policy with its group memberships: [`Policy::decide`] answers every question.
#[derive(Debug, Clone)]
pub struct Policy {
    path: PathBuf,
    group_file: PathBuf,
    tokens_file: PathBuf,
    /// The groups the policy names; a group's index is its bit in a [`GroupSet`].
    group_names: Vec<String>,
    admins: Option<String>,
    admin_index: Option<usize>,
    anonymous: Vec<Pattern>,
    default: ActionSet,
    rules: Vec<Rule>,
    /// User → the policy's groups they belong to (from the group file).
    members: HashMap<String, GroupSet>,
    /// Every group of the group file and its members, for display.
    all_groups: std::collections::BTreeMap<String, Vec<String>>,
}

impl Policy {
    /// Reads the policy file at `path` and the group file it names.
    ///
    /// # Errors
    /// When either cannot be read, or the policy is invalid (every problem is listed).
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut policy = Self::parse(&text, path).map_err(|problems| PolicyError::Invalid {
            path: path.to_owned(),
            problems,
        })?;
        let groups = super::groups::GroupFile::load_or_empty(&policy.group_file)?;
        policy.set_groups(groups.groups());
        Ok(policy)
    }

    /// Parses policy text; `path` locates the files it names. Group memberships are empty until
    /// [`Policy::set_groups`].
    ///
    /// # Errors
    /// Every problem found, with its key path.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut problem = |path: &str, message: String| {
            problems.push(Problem {
                path: path.to_owned(),
                message,
            });
        };
        let root: Value = match serde_yaml::from_str(text) {
            Ok(Value::Null) => Value::Mapping(serde_yaml::Mapping::new()),
            Ok(value) => value,
            Err(err) => {
                problem("(file)", format!("not YAML: {err}"));
                return Err(problems);
            }
        };
        let Value::Mapping(map) = root else {
            problem(
                "(file)",
                "must be a mapping of keys (groupfile, tokens, admins, anonymous, default, rules)"
                    .to_owned(),
            );
            return Err(problems);
        };
        const KEYS: &[&str] = &[
            "groupfile",
            "tokens",
            "admins",
            "anonymous",
            "default",
            "rules",
        ];
        for key in map.keys() {
            match key.as_str() {
                Some(k) if KEYS.contains(&k) => {}
                Some(k) => problem(k, unknown(k, KEYS)),
                None => problem("(file)", "keys must be strings".to_owned()),
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let file_key =
            |key: &str, default: &str, problem: &mut dyn FnMut(&str, String)| match map.get(key) {
                None | Some(Value::Null) => dir.join(default),
                Some(Value::String(s)) if !s.is_empty() => dir.join(s),
                Some(_) => {
                    problem(
                        key,
                        "must be a file name (relative to the policy file) or path".to_owned(),
                    );
                    dir.join(default)
                }
            };
        let group_file = file_key("groupfile", DEFAULT_GROUP_FILE, &mut problem);
        let tokens_file = file_key("tokens", DEFAULT_TOKENS_FILE, &mut problem);
        let admins = match map.get("admins") {
            None | Some(Value::Null) => None,
            Some(Value::String(group)) => {
                if let Err(err) = super::groups::validate_group(group) {
                    problem("admins", err.to_string());
                }
                Some(group.clone())
            }
            Some(_) => {
                problem("admins", "must be the name of one group".to_owned());
                None
            }
        };
        let anonymous = patterns(map.get("anonymous"), "anonymous", false, &mut problem);
        let default = actions(map.get("default"), "default", &mut problem);
        let mut rules = Vec::new();
        match map.get("rules") {
            None | Some(Value::Null) => {}
            Some(Value::Sequence(items)) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(rule) = parse_rule(item, &format!("rules[{index}]"), &mut problem) {
                        rules.push(rule);
                    }
                }
            }
            Some(_) => problem("rules", "must be a list of rules".to_owned()),
        }
        let mut group_names: Vec<String> = Vec::new();
        let mut index_of = |name: &str| {
            if let Some(i) = group_names.iter().position(|g| g == name) {
                i
            } else {
                group_names.push(name.to_owned());
                group_names.len() - 1
            }
        };
        let admin_index = admins.as_deref().map(&mut index_of);
        for rule in &mut rules {
            for group in &rule.groups {
                let i = index_of(group);
                if i < MAX_GROUPS {
                    rule.group_set.insert(i);
                }
            }
        }
        if group_names.len() > MAX_GROUPS {
            problem(
                "rules",
                format!(
                    "the policy names {} groups; at most {MAX_GROUPS} are supported",
                    group_names.len()
                ),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            path: path.to_owned(),
            group_file,
            tokens_file,
            group_names,
            admins,
            admin_index,
            anonymous,
            default,
            rules,
            members: HashMap::new(),
            all_groups: std::collections::BTreeMap::new(),
        })
    }

    /// Sets the group memberships (`group → members`, as [`super::groups::GroupFile::groups`]
    /// returns them).
    pub fn set_groups(&mut self, groups: std::collections::BTreeMap<String, Vec<String>>) {
        let mut members: HashMap<String, GroupSet> = HashMap::new();
        for (index, name) in self.group_names.iter().enumerate() {
            for user in groups.get(name).into_iter().flatten() {
                members.entry(user.clone()).or_default().insert(index);
            }
        }
        self.members = members;
        self.all_groups = groups;
    }

    /// Whether `subject` may do `action` on the repository `name`, and what decided it.
    /// Allocation-free: one hash lookup for the user's groups, then the rules in order.
    #[must_use]
    pub fn decide(&self, subject: &Subject<'_>, action: Action, name: &Name<'_>) -> Decision {
        let decision = self.decide_by_policy(subject.user, action, name.as_str());
        match subject.scope {
            Some(scope) if decision.allowed && !scope.allows(action, name.as_str()) => Decision {
                allowed: false,
                by: DecidedBy::TokenScope,
            },
            _ => decision,
        }
    }

    fn decide_by_policy(&self, user: Option<&str>, action: Action, repo: &str) -> Decision {
        let anonymous = || {
            (action == Action::Pull)
                .then(|| self.anonymous.iter().position(|p| p.matches(repo)))
                .flatten()
                .map(|i| Decision {
                    allowed: true,
                    by: DecidedBy::Anonymous(i),
                })
        };
        let Some(user) = user else {
            return anonymous().unwrap_or(Decision {
                allowed: false,
                by: DecidedBy::Default,
            });
        };
        let groups = self.members.get(user).copied().unwrap_or_default();
        if self.admin_index.is_some_and(|i| groups.contains(i)) {
            return Decision {
                allowed: true,
                by: DecidedBy::Admin,
            };
        }
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.applies_to(user, groups) && rule.repositories.iter().any(|p| p.matches(repo)) {
                return Decision {
                    allowed: rule.allow.contains(action),
                    by: DecidedBy::Rule(index),
                };
            }
        }
        anonymous().unwrap_or(Decision {
            allowed: self.default.contains(action),
            by: DecidedBy::Default,
        })
    }

    /// Why a decision was made, in words: `rule 2 (team/** for groups team: pull, push)`.
    #[must_use]
    pub fn explain(&self, by: DecidedBy) -> String {
        match by {
            DecidedBy::Admin => {
                format!("admin group {}", self.admins.as_deref().unwrap_or_default())
            }
            DecidedBy::Rule(i) => match self.rules.get(i) {
                Some(rule) => format!("rule {} ({})", i + 1, rule.describe()),
                None => format!("rule {}", i + 1),
            },
            DecidedBy::Anonymous(i) => format!(
                "anonymous pull of {}",
                self.anonymous.get(i).map_or("", Pattern::as_str)
            ),
            DecidedBy::Default => format!("default ({})", self.default),
            DecidedBy::TokenScope => "the token's repositories and actions".to_owned(),
        }
    }

    /// The policy file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The group file it names.
    #[must_use]
    pub fn group_file(&self) -> &Path {
        &self.group_file
    }

    /// The token store it names.
    #[must_use]
    pub fn tokens_file(&self) -> &Path {
        &self.tokens_file
    }

    #[must_use]
    pub fn admins(&self) -> Option<&str> {
        self.admins.as_deref()
    }

    #[must_use]
    pub fn anonymous(&self) -> &[Pattern] {
        &self.anonymous
    }

    #[must_use]
    pub fn default_actions(&self) -> ActionSet {
        self.default
    }

    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether any repository may be pulled without credentials.
    #[must_use]
    pub fn has_anonymous(&self) -> bool {
        !self.anonymous.is_empty()
    }

    /// The groups of the group file `user` belongs to (all of them, not only those the policy
    /// names), sorted.
    #[must_use]
    pub fn groups_of(&self, user: &str) -> Vec<&str> {
        self.all_groups
            .iter()
            .filter(|(_, members)| members.iter().any(|m| m == user))
            .map(|(group, _)| group.as_str())
            .collect()
    }

    /// Names the policy uses that nobody answers to: rule users and group members not in
    /// `users`, groups nobody is in. For `config validate` (warnings: a user may be added
    /// later).
    #[must_use]
    pub fn unknown_names(&self, users: &dyn Fn(&str) -> bool) -> Vec<Problem> {
        let mut out = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            for user in &rule.users {
                if user != ANY_USER && !users(user) {
                    out.push(Problem {
                        path: format!("rules[{index}].users"),
                        message: format!("{user:?} is not in the htpasswd file"),
                    });
                }
            }
            for group in &rule.groups {
                if !self.all_groups.contains_key(group) {
                    out.push(Problem {
                        path: format!("rules[{index}].groups"),
                        message: format!(
                            "group {group:?} has no members in {} (add one with `regctl user add NAME --group {group}`)",
                            self.group_file.display()
                        ),
                    });
                }
            }
        }
        if let Some(admins) = &self.admins {
            if !self.all_groups.contains_key(admins) {
                out.push(Problem {
                    path: "admins".to_owned(),
                    message: format!(
                        "group {admins:?} has no members in {}",
                        self.group_file.display()
                    ),
                });
            }
        }
        for (group, members) in &self.all_groups {
            for member in members {
                if !users(member) {
                    out.push(Problem {
                        path: "groupfile".to_owned(),
                        message: format!("{member:?} (group {group}) is not in the htpasswd file",),
                    });
                }
            }
        }
        out
    }
}

fn unknown(key: &str, known: &[&str]) -> String {
    match crate::config::did_you_mean(key, known.iter().copied()) {
        Some(best) => format!("unknown key (did you mean {best}?)"),
        None => format!("unknown key (known: {})", known.join(", ")),
    }
}

fn strings(
    value: Option<&Value>,
    path: &str,
    problem: &mut dyn FnMut(&str, String),
) -> Vec<(String, String)> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![(path.to_owned(), s.clone())],
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let item_path = format!("{path}[{i}]");
                match item {
                    Value::String(s) => Some((item_path, s.clone())),
                    _ => {
                        problem(
                            &item_path,
                            "must be a string (quote patterns that start with '*')".to_owned(),
                        );
                        None
                    }
                }
            })
            .collect(),
        Some(_) => {
            problem(path, "must be a list of strings".to_owned());
            Vec::new()
        }
    }
}

fn patterns(
    value: Option<&Value>,
    path: &str,
    required: bool,
    problem: &mut dyn FnMut(&str, String),
) -> Vec<Pattern> {
    let items = strings(value, path, problem);
    if required && items.is_empty() && !matches!(value, Some(Value::Sequence(s)) if !s.is_empty()) {
        problem(
            path,
            "must list at least one repository pattern (`**` for all)".to_owned(),
        );
    }
    items
        .into_iter()
        .filter_map(|(item_path, text)| match Pattern::parse(&text) {
            Ok(p) => Some(p),
            Err(err) => {
                problem(&item_path, err.to_string());
                None
            }
        })
        .collect()
}

fn actions(value: Option<&Value>, path: &str, problem: &mut dyn FnMut(&str, String)) -> ActionSet {
    let mut set = ActionSet::NONE;
    for (item_path, text) in strings(value, path, problem) {
        match text.parse::<ActionSet>() {
            Ok(parsed) => set = set.union(parsed),
            Err(err) => problem(&item_path, err.to_string()),
        }
    }
    set
}

fn parse_rule(item: &Value, path: &str, problem: &mut dyn FnMut(&str, String)) -> Option<Rule> {
    let Value::Mapping(map) = item else {
        problem(
            path,
            "must be a mapping with repositories, users and/or groups, allow".to_owned(),
        );
        return None;
    };
    const KEYS: &[&str] = &["repositories", "users", "groups", "allow"];
    for key in map.keys() {
        match key.as_str() {
            Some(k) if KEYS.contains(&k) => {}
            Some(k) => problem(&format!("{path}.{k}"), unknown(k, KEYS)),
            None => problem(path, "keys must be strings".to_owned()),
        }
    }
    let repositories = patterns(
        map.get("repositories"),
        &format!("{path}.repositories"),
        true,
        problem,
    );
    let users: Vec<String> = strings(map.get("users"), &format!("{path}.users"), problem)
        .into_iter()
        .filter_map(|(item_path, user)| {
            if user == ANY_USER {
                return Some(user);
            }
            match crate::htpasswd::validate_user(&user) {
                Ok(()) => Some(user),
                Err(err) => {
                    problem(&item_path, err.to_string());
                    None
                }
            }
        })
        .collect();
    let groups: Vec<String> = strings(map.get("groups"), &format!("{path}.groups"), problem)
        .into_iter()
        .filter_map(
            |(item_path, group)| match super::groups::validate_group(&group) {
                Ok(()) => Some(group),
                Err(err) => {
                    problem(&item_path, err.to_string());
                    None
                }
            },
        )
        .collect();
    if users.is_empty() && groups.is_empty() {
        problem(
            path,
            "names nobody: add users (\"*\" for every logged-in user) or groups".to_owned(),
        );
    }
    if !map.contains_key("allow") {
        problem(
            &format!("{path}.allow"),
            "must be set: the actions granted (pull, push, delete; [] denies)".to_owned(),
        );
    }
    let allow = actions(map.get("allow"), &format!("{path}.allow"), problem);
    Some(Rule {
        any_user: users.iter().any(|u| u == ANY_USER),
        repositories,
        users,
        groups,
        allow,
        group_set: GroupSet::default(),
    })
}
