//! Access control: per-repository rules for pull, push and delete, anonymous pull, groups and
//! CI tokens, decided by [`Policy::decide`].
//!
//! HTTP-free: the server shell authenticates and builds a [`Subject`]; the API's per-route hook
//! names the [`Action`] and repository; this module decides. Without a policy nothing here runs
//! and every authenticated user may do everything, as with registry:2's htpasswd.
//!
//! - [`pattern`]: repository globs (`team/**`, `library/*`), compiled once.
//! - [`policy`]: the policy file, first-match rules, the decision.
//! - [`groups`]: Apache's group file, which `regctl user add --group` edits.
//! - [`tokens`]: CI tokens, stored hashed, limited to repositories and actions.
//! - [`watch`]: the policy, group file and tokens reloaded when they change.

pub mod groups;
pub mod pattern;
pub mod policy;
pub mod tokens;
pub mod watch;

use std::fmt;
use std::str::FromStr;

pub use pattern::{Pattern, PatternError};
pub use policy::{Policy, PolicyError, Problem, Rule};
pub use tokens::{Token, TokenError, TokenStore};
pub use watch::WatchedPolicy;

/// What a request does to a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read: manifests, blobs, tags, referrers, the catalog entry; the source of a mount.
    Pull,
    /// Write: uploads, manifest PUT; the target of a mount.
    Push,
    /// Manifest, tag and blob DELETE.
    Delete,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Pull, Action::Push, Action::Delete];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
            Self::Delete => "delete",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::Pull => 1,
            Self::Push => 2,
            Self::Delete => 4,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown action name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action {0:?}: use pull, push, delete or * (all three)")]
pub struct ActionError(pub String);

impl FromStr for Action {
    type Err = ActionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pull" => Ok(Self::Pull),
            "push" => Ok(Self::Push),
            "delete" => Ok(Self::Delete),
            other => Err(ActionError(other.to_owned())),
        }
    }
}

/// A set of actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ActionSet(u8);

impl ActionSet {
    pub const NONE: ActionSet = ActionSet(0);
    pub const ALL: ActionSet = ActionSet(7);

    #[must_use]
    pub fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    #[must_use]
    pub fn union(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 | other.0)
    }

    #[must_use]
    pub fn with(self, action: Action) -> ActionSet {
        ActionSet(self.0 | action.bit())
    }

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions in the set, in `pull, push, delete` order.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl fmt::Display for ActionSet {
    /// `pull, push`; `nothing` for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing");
        }
        let names: Vec<&str> = self.iter().map(Action::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

impl FromStr for ActionSet {
    type Err = ActionError;
    /// `pull`, `pull,push`, `*`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut set = ActionSet::NONE;
        for part in s.split(',').map(str::trim) {
            if part == "*" {
                set = ActionSet::ALL;
            } else {
                set = set.with(part.parse()?);
            }
        }
        Ok(set)
    }
}

/// What a token limits its holder to, on top of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenScope {
    pub repositories: Vec<Pattern>,
    pub actions: ActionSet,
}

impl TokenScope {
    #[must_use]
    pub fn allows(&self, action: Action, repo: &str) -> bool {
        self.actions.contains(action) && self.repositories.iter().any(|p| p.matches(repo))
    }
}

/// Who asks: a logged-in user (with a token's scope when they logged in with one) or anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub user: Option<&'a str>,
    pub scope: Option<&'a TokenScope>,
}

impl<'a> Subject<'a> {
    #[must_use]
    pub fn user(user: &'a str) -> Self {
        Self {
            user: Some(user),
            scope: None,
        }
    }

    #[must_use]
    pub fn anonymous() -> Self {
        Self {
            user: None,
            scope: None,
        }
    }

    /// `alice`, or `anonymous`.
    #[must_use]
    pub fn name(&self) -> &'a str {
        self.user.unwrap_or("anonymous")
    }
}

/// What decided a [`Decision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// The user is in the admin group.
    Admin,
    /// The rule at this index (0-based) was the first to match.
    Rule(usize),
    /// The anonymous pattern at this index matched a pull.
    Anonymous(usize),
    /// No rule matched: the policy's default (for anonymous requests: denied).
    Default,
    /// The policy allowed it but the token used does not cover it.
    TokenScope,
}

/// The answer of [`Policy::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub by: DecidedBy,
}

/// One request's access, put in the request's extensions by the server's auth layer: the
/// policy in force when it arrived and who sent it. Its absence means no policy: everything an
/// authenticated request asks is allowed.
#[derive(Debug, Clone)]
pub struct RequestAccess {
    pub snapshot: std::sync::Arc<watch::Snapshot>,
    /// `None`: anonymous.
    pub user: Option<String>,
    /// The scope of the token the user logged in with.
    pub scope: Option<std::sync::Arc<TokenScope>>,
    /// An anonymous client that presented a valid anonymous bearer token (it has done the token
    /// flow, so `/v2/` answers it 200 as Docker Hub does).
    pub anonymous_token: bool,
}

impl RequestAccess {
    #[must_use]
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            user: self.user.as_deref(),
            scope: self.scope.as_deref(),
        }
    }

    #[must_use]
    pub fn decide(&self, action: Action, name: &crate::oci::reference::Name<'_>) -> Decision {
        self.snapshot.policy.decide(&self.subject(), action, name)
    }
}

#[cfg(test)]
mod tests;
