//! Who may see and change what in the web pages: the one decision every page asks.
//!
//! Without an access policy a user the shell authenticated (or anyone, without `auth.htpasswd`)
//! may pull and delete everything, exactly as the API allows. With `auth.htpasswd.policy` the
//! pages ask the same [`crate::access::Policy::decide`] the API's hook asks.

use crate::access::watch::Snapshot;
use crate::access::Subject;
use crate::oci::reference::Name;

/// What a page wants to do with a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See it in the list, its tags and manifests.
    Pull,
    /// Delete its tags and manifests (also needs `storage.delete.enabled`).
    Delete,
}

/// Whether `user` (`None` without authentication) may do `action` on `repository` under
/// `policy` (`None`: no access policy, everything is allowed).
#[must_use]
pub fn allowed(
    policy: Option<&Snapshot>,
    user: Option<&str>,
    repository: &str,
    action: Action,
) -> bool {
    let Some(snapshot) = policy else {
        return true;
    };
    let Ok(name) = Name::parse(repository) else {
        return false;
    };
    let action = match action {
        Action::Pull => crate::access::Action::Pull,
        Action::Delete => crate::access::Action::Delete,
    };
    let subject = Subject { user, scope: None };
    snapshot.policy.decide(&subject, action, &name).allowed
}
