//! Immutable tags (`tags.immutable`, regctl's own key): tags that, once pushed, are never moved to
//! another manifest or deleted, nor the manifest they name (Harbor's and ECR's immutability).
//!
//! The registry checks every write path (manifest PUT by tag or with `?tag=`, tag DELETE,
//! manifest DELETE), so the API, the web pages and a mirror's local repositories all obey the
//! same rules; re-pushing the same manifest under an immutable tag is allowed (clients re-push).

use crate::access::pattern::{Pattern, TagPattern};
use crate::config::schema::ImmutableTagRule;
use crate::config::Diagnostic;

/// The rules `tags.immutable` writes, compiled; every bad entry is reported with its key path.
///
/// # Errors
/// Entries whose repository or tag pattern does not compile (or is missing).
pub fn from_config(entries: &[ImmutableTagRule]) -> Result<ImmutableTags, Vec<Diagnostic>> {
    let mut rules = Vec::with_capacity(entries.len());
    let mut problems = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let repository = Pattern::parse(&entry.repository).map_err(|e| {
            Diagnostic::error(format!("tags.immutable[{i}].repository"), e.to_string())
        });
        let tag = TagPattern::parse(&entry.tag)
            .map_err(|e| Diagnostic::error(format!("tags.immutable[{i}].tag"), e.to_string()));
        match (repository, tag) {
            (Ok(repository), Ok(tag)) => rules.push(ImmutableRule { repository, tag }),
            (repository, tag) => problems.extend(repository.err().into_iter().chain(tag.err())),
        }
    }
    if problems.is_empty() {
        Ok(ImmutableTags::new(rules))
    } else {
        Err(problems)
    }
}

/// One rule: tags matching `tag` in repositories matching `repository`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImmutableRule {
    pub repository: Pattern,
    pub tag: TagPattern,
}

/// The configured rules; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImmutableTags {
    rules: Vec<ImmutableRule>,
}

impl ImmutableTags {
    #[must_use]
    pub fn new(rules: Vec<ImmutableRule>) -> Self {
        Self { rules }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule that makes `tag` of `repository` immutable, if one does.
    #[must_use]
    pub fn rule_for(&self, repository: &str, tag: &str) -> Option<&ImmutableRule> {
        self.rules
            .iter()
            .find(|rule| rule.repository.matches(repository) && rule.tag.matches(tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_repository_and_whole_tag() {
        let rules = ImmutableTags::new(vec![ImmutableRule {
            repository: Pattern::parse("prod/**").unwrap(),
            tag: TagPattern::parse("v*").unwrap(),
        }]);
        assert!(rules.rule_for("prod/app", "v1.2.3").is_some());
        assert!(rules.rule_for("prod/a/b", "v1").is_some());
        assert!(rules.rule_for("prod/app", "latest").is_none());
        assert!(rules.rule_for("dev/app", "v1").is_none());
        assert!(rules.rule_for("prod/app", "xv1").is_none(), "whole tag");
        assert!(ImmutableTags::default()
            .rule_for("prod/app", "v1")
            .is_none());
        assert!(TagPattern::parse("v/1").is_err());
        assert!(TagPattern::parse("").is_err());
    }
}
