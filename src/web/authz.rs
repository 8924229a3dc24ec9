//! Who may see and change what in the web pages: the one decision every page asks.
//!
//! Today a user the shell authenticated (or anyone, without `auth.htpasswd`) may pull and
//! delete everything, exactly as the API allows. Per-repository access control answers here
//! when it lands: [`allowed`] is the only function to change.

/// What a page wants to do with a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See it in the list, its tags and manifests.
    Pull,
    /// Delete its tags and manifests (also needs `storage.delete.enabled`).
    Delete,
}

/// Whether `user` (`None` without authentication) may do `action` on `repository`.
#[must_use]
pub fn allowed(user: Option<&str>, repository: &str, action: Action) -> bool {
    let _ = (user, repository, action);
    true
}
