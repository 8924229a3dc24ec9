//! `retention.policies` compiled, and the one decision of which tags a policy removes.
//!
//! A policy applies to the repositories its `repository` pattern matches (`access::pattern`, as
//! `tags.immutable`); every matching policy contributes its selectors. A tag is removed only when
//! some `delete` selector selects it and no `keep` selector of any matching policy protects it
//! (a keep always wins), and never when `tags.immutable` covers it.
//!
//! Regular expressions match the whole tag (`matching: 'pr-.*'`, not `'^pr-'`), as tag patterns
//! do elsewhere. Ages are push times: the modification time of the tag's `current/link`, which
//! every push of the tag rewrites. Pull times are `registry::pulls`' records: the newest pull
//! of the tag's manifest or, for an index, of any manifest in it, accurate to
//! `registry::pulls::RESOLUTION`; a tag never pulled since records began is not protected by
//! `pulledwithin`.

use std::time::{Duration, SystemTime};

use regex::Regex;
use serde::Serialize;

use crate::access::pattern::Pattern;
use crate::config::schema::{Retention, TagSelectorEntry};
use crate::config::Diagnostic;
use crate::registry::immutable::ImmutableTags;

/// Largest compiled regular expression (bytes of regex program): a config cannot make the
/// decision slow.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The compiled policies; none by default (then nothing is ever removed).
#[derive(Debug, Clone, Default)]
pub struct Policies {
    policies: Vec<Policy>,
    /// `retention.schedule`: how often `regctl serve` applies them (then gc); `None` = only
    /// `regctl prune` does.
    schedule: Option<Duration>,
}

#[derive(Debug, Clone)]
struct Policy {
    repository: Pattern,
    keep: Vec<Selector>,
    delete: Vec<Selector>,
}

/// One selector: every condition set must hold.
#[derive(Debug, Clone)]
struct Selector {
    /// Its key path (`retention.policies[0].keep[1]`), named as the reason of a decision.
    path: String,
    matching: Option<Regex>,
    not_matching: Option<Regex>,
    /// Keep only: the N most recently pushed of the tags the other conditions select.
    newest: Option<usize>,
    /// Keep only: pushed at most this long ago.
    pushed_within: Option<Duration>,
    /// Keep only: pulled at most this long ago (never-pulled tags do not qualify).
    pulled_within: Option<Duration>,
    /// Delete only: pushed longer ago than this.
    older_than: Option<Duration>,
}

/// Which list a selector is in: `newest`, `pushedwithin` and `pulledwithin` protect,
/// `olderthan` expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Keep,
    Delete,
}

/// Compiles `retention`; every bad entry is reported with its key path.
///
/// # Errors
/// Entries with a missing or bad repository pattern, a regular expression that does not compile,
/// an empty selector, or a condition on the wrong side (`newest`/`pushedwithin`/`pulledwithin`
/// only under `keep`, `olderthan` only under `delete`).
pub fn from_config(retention: &Retention) -> Result<Policies, Vec<Diagnostic>> {
    let mut policies = Vec::with_capacity(retention.policies.len());
    let mut problems = Vec::new();
    for (i, entry) in retention.policies.iter().enumerate() {
        let at = format!("retention.policies[{i}]");
        let repository = match Pattern::parse(&entry.repository) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(Diagnostic::error(format!("{at}.repository"), e.to_string()));
                None
            }
        };
        if entry.delete.is_empty() {
            problems.push(Diagnostic::error(
                format!("{at}.delete"),
                "a policy without delete selectors removes nothing: add one (e.g. \
                 `- olderthan: 720h`)",
            ));
        }
        let mut compile = |list: &[TagSelectorEntry], side: Side, name: &str| {
            list.iter()
                .enumerate()
                .filter_map(|(j, s)| {
                    selector(s, side, &format!("{at}.{name}[{j}]"))
                        .map_err(|p| problems.extend(p))
                        .ok()
                })
                .collect::<Vec<_>>()
        };
        let keep = compile(&entry.keep, Side::Keep, "keep");
        let delete = compile(&entry.delete, Side::Delete, "delete");
        if let Some(repository) = repository {
            policies.push(Policy {
                repository,
                keep,
                delete,
            });
        }
    }
    let schedule = match retention.schedule.map(crate::config::GoDuration::to_std) {
        None => None,
        Some(Some(d)) if d >= Duration::from_secs(1) => Some(d),
        Some(_) => {
            problems.push(Diagnostic::error(
                "retention.schedule",
                "must be at least 1s (e.g. 24h)",
            ));
            None
        }
    };
    if schedule.is_some() && retention.policies.is_empty() {
        problems.push(Diagnostic::error(
            "retention.schedule",
            "a schedule without retention.policies applies nothing: add a policy or remove it",
        ));
    }
    if problems.is_empty() {
        Ok(Policies { policies, schedule })
    } else {
        Err(problems)
    }
}

fn selector(entry: &TagSelectorEntry, side: Side, path: &str) -> Result<Selector, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let regex = |text: &str, key: &str, problems: &mut Vec<Diagnostic>| {
        if text.is_empty() {
            return None;
        }
        regex::RegexBuilder::new(&format!("^(?:{text})$"))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                problems.push(Diagnostic::error(
                    format!("{path}.{key}"),
                    format!("not a regular expression: {e}"),
                ));
            })
            .ok()
    };
    let matching = regex(&entry.matching, "matching", &mut problems);
    let not_matching = regex(&entry.notmatching, "notmatching", &mut problems);
    let mut duration = |value: Option<crate::config::GoDuration>, key: &str, allowed: Side| {
        let value = value?;
        if side != allowed {
            let other = if allowed == Side::Keep {
                "keep"
            } else {
                "delete"
            };
            problems.push(Diagnostic::error(
                format!("{path}.{key}"),
                format!("{key} belongs under {other}"),
            ));
            return None;
        }
        match value.to_std() {
            Some(d) if !d.is_zero() => Some(d),
            _ => {
                problems.push(Diagnostic::error(
                    format!("{path}.{key}"),
                    "must be a positive duration (e.g. 168h)",
                ));
                None
            }
        }
    };
    let pushed_within = duration(entry.pushedwithin, "pushedwithin", Side::Keep);
    let pulled_within = duration(entry.pulledwithin, "pulledwithin", Side::Keep);
    let older_than = duration(entry.olderthan, "olderthan", Side::Delete);
    let newest = match entry.newest {
        None => None,
        Some(_) if side == Side::Delete => {
            problems.push(Diagnostic::error(
                format!("{path}.newest"),
                "newest belongs under keep (a delete selector with olderthan expires by age)",
            ));
            None
        }
        Some(n) => match usize::try_from(n) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                problems.push(Diagnostic::error(
                    format!("{path}.newest"),
                    "must be at least 1",
                ));
                None
            }
        },
    };
    let conditions = [
        !entry.matching.is_empty(),
        !entry.notmatching.is_empty(),
        entry.newest.is_some(),
        entry.pushedwithin.is_some(),
        entry.pulledwithin.is_some(),
        entry.olderthan.is_some(),
    ];
    if !conditions.contains(&true) {
        problems.push(Diagnostic::error(
            path,
            "an empty selector: set matching, notmatching, newest, pushedwithin, pulledwithin or \
             olderthan (matching: '.*' selects every tag)",
        ));
    }
    if problems.is_empty() {
        Ok(Selector {
            path: path.to_owned(),
            matching,
            not_matching,
            newest,
            pushed_within,
            pulled_within,
            older_than,
        })
    } else {
        Err(problems)
    }
}

/// A tag of one repository as the decision sees it.
#[derive(Debug, Clone)]
pub struct TagFacts {
    pub tag: String,
    pub pushed: SystemTime,
    /// The last recorded pull (`registry::pulls`), if any.
    pub pulled: Option<SystemTime>,
}

/// What happens to one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum Fate {
    /// No delete selector chose it.
    Untouched,
    /// Removed, because of this delete selector.
    Removed { by: String },
    /// A delete selector chose it and this keeps it (a keep selector's path, or `tags.immutable`).
    Protected { by: String, selected_by: String },
}

impl Policies {
    #[must_use]
    pub fn schedule(&self) -> Option<Duration> {
        self.schedule
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Whether any policy applies to `repository`.
    #[must_use]
    pub fn applies_to(&self, repository: &str) -> bool {
        self.policies
            .iter()
            .any(|p| p.repository.matches(repository))
    }

    /// The fate of every tag of `repository` at `now` (same order as `tags`).
    #[must_use]
    pub fn decide(
        &self,
        repository: &str,
        tags: &[TagFacts],
        now: SystemTime,
        immutable: &ImmutableTags,
    ) -> Vec<Fate> {
        let applying: Vec<&Policy> = self
            .policies
            .iter()
            .filter(|p| p.repository.matches(repository))
            .collect();
        let age = |t: &TagFacts| now.duration_since(t.pushed).unwrap_or(Duration::ZERO);
        // Newest first; equal push times by name, so the decision is reproducible.
        let mut by_recency: Vec<usize> = (0..tags.len()).collect();
        by_recency.sort_by(|&a, &b| {
            tags[b]
                .pushed
                .cmp(&tags[a].pushed)
                .then_with(|| tags[a].tag.cmp(&tags[b].tag))
        });
        let mut kept_by: Vec<Option<&str>> = vec![None; tags.len()];
        for selector in applying.iter().flat_map(|p| &p.keep) {
            let mut taken = 0usize;
            for &i in &by_recency {
                let t = &tags[i];
                let pulled_too_long_ago = |d: Duration| {
                    t.pulled
                        .is_none_or(|at| now.duration_since(at).unwrap_or(Duration::ZERO) > d)
                };
                if !selector.names(&t.tag)
                    || selector.pushed_within.is_some_and(|d| age(t) > d)
                    || selector.pulled_within.is_some_and(pulled_too_long_ago)
                {
                    continue;
                }
                if let Some(n) = selector.newest {
                    if taken >= n {
                        break;
                    }
                    taken += 1;
                }
                kept_by[i].get_or_insert(&selector.path);
            }
        }
        tags.iter()
            .enumerate()
            .map(|(i, t)| {
                let chosen = applying
                    .iter()
                    .flat_map(|p| &p.delete)
                    .find(|s| s.names(&t.tag) && s.older_than.is_none_or(|d| age(t) > d));
                let Some(chosen) = chosen else {
                    return Fate::Untouched;
                };
                let selected_by = chosen.path.clone();
                if let Some(rule) = immutable.rule_for(repository, &t.tag) {
                    return Fate::Protected {
                        by: format!(
                            "tags.immutable ({} {})",
                            rule.repository.as_str(),
                            rule.tag.as_str()
                        ),
                        selected_by,
                    };
                }
                match kept_by[i] {
                    Some(keep) => Fate::Protected {
                        by: keep.to_owned(),
                        selected_by,
                    },
                    None => Fate::Removed { by: selected_by },
                }
            })
            .collect()
    }
}

impl Selector {
    /// Whether the name conditions hold for `tag`.
    fn names(&self, tag: &str) -> bool {
        self.matching.as_ref().is_none_or(|r| r.is_match(tag))
            && self.not_matching.as_ref().is_none_or(|r| !r.is_match(tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::pattern::TagPattern;
    use crate::registry::immutable::ImmutableRule;

    fn policies(yaml: &str) -> Result<Policies, Vec<Diagnostic>> {
        let retention: Retention = serde_yaml::from_str(yaml).unwrap();
        from_config(&retention)
    }

    const CI: &str = r"
policies:
  - repository: 'ci/**'
    keep:
      - newest: 2
      - matching: 'v[0-9]+\.[0-9]+\.[0-9]+|latest'
    delete:
      - matching: 'pr-.*'
        olderthan: 168h
      - olderthan: 720h
";

    #[test]
    fn keep_wins_over_delete_and_ages_are_push_times() {
        let p = policies(CI).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * 86_400);
        let days_ago = |d: u64| now - Duration::from_secs(d * 86_400);
        let tags: Vec<TagFacts> = [
            ("pr-1", 1),    // newest two: kept
            ("pr-2", 2),    // newest two: kept
            ("pr-3", 8),    // expired
            ("pr-4", 3),    // young enough
            ("v1.2.3", 90), // semver: kept
            ("latest", 60), // kept
            ("main", 40),   // older than 720h
            ("dev", 10),    // nothing selects it
        ]
        .iter()
        .map(|(t, d)| TagFacts {
            tag: (*t).to_owned(),
            pushed: days_ago(*d),
            pulled: None,
        })
        .collect();
        let fates = p.decide("ci/app", &tags, now, &ImmutableTags::default());
        let removed: Vec<&str> = tags
            .iter()
            .zip(&fates)
            .filter(|(_, f)| matches!(f, Fate::Removed { .. }))
            .map(|(t, _)| t.tag.as_str())
            .collect();
        assert_eq!(removed, ["pr-3", "main"]);
        assert_eq!(
            fates[4],
            Fate::Protected {
                by: "retention.policies[0].keep[1]".into(),
                selected_by: "retention.policies[0].delete[1]".into()
            }
        );
        assert_eq!(fates[7], Fate::Untouched);
        // Other repositories are not covered.
        assert!(p
            .decide("prod/app", &tags, now, &ImmutableTags::default())
            .iter()
            .all(|f| *f == Fate::Untouched));
        // An immutable tag is never removed.
        let immutable = ImmutableTags::new(vec![ImmutableRule {
            repository: Pattern::parse("ci/**").unwrap(),
            tag: TagPattern::parse("main").unwrap(),
        }]);
        let fates = p.decide("ci/app", &tags, now, &immutable);
        assert!(
            matches!(&fates[6], Fate::Protected { by, .. } if by.starts_with("tags.immutable"))
        );
    }

    #[test]
    fn pulled_within_keeps_tags_in_use_and_never_pulled_ones_go() {
        let p = policies(
            "policies:\n  - repository: '**'\n    keep:\n      - pulledwithin: 168h\n    \
             delete:\n      - olderthan: 720h\n",
        )
        .unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * 86_400);
        let days_ago = |d: u64| now - Duration::from_secs(d * 86_400);
        let tag = |name: &str, pulled: Option<u64>| TagFacts {
            tag: name.to_owned(),
            pushed: days_ago(60),
            pulled: pulled.map(days_ago),
        };
        let tags = [
            tag("in-use", Some(2)),
            tag("stale", Some(30)),
            tag("never", None),
        ];
        let fates = p.decide("app", &tags, now, &ImmutableTags::default());
        assert_eq!(
            fates[0],
            Fate::Protected {
                by: "retention.policies[0].keep[0]".into(),
                selected_by: "retention.policies[0].delete[0]".into()
            }
        );
        assert!(matches!(fates[1], Fate::Removed { .. }));
        assert!(matches!(fates[2], Fate::Removed { .. }));
        let misplaced =
            policies("policies:\n  - repository: a\n    delete:\n      - pulledwithin: 1h\n")
                .unwrap_err();
        assert_eq!(
            misplaced[0].path,
            "retention.policies[0].delete[0].pulledwithin"
        );
    }

    #[test]
    fn bad_entries_are_reported_with_their_paths() {
        let problems = policies(
            "policies:\n  - repository: ''\n    keep:\n      - olderthan: 1h\n      - {}\n    \
             delete:\n      - matching: '('\n      - newest: 3\n  - repository: a\n",
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "retention.policies[0].repository",
                "retention.policies[0].keep[0].olderthan",
                "retention.policies[0].keep[1]",
                "retention.policies[0].delete[0].matching",
                "retention.policies[0].delete[1].newest",
                "retention.policies[1].delete",
            ]
        );
        assert!(policies("{}").unwrap().is_empty());
    }
}
