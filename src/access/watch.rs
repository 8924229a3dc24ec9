//! The policy in force while `regctl serve` runs: the policy file, the group file and the token
//! store it names, re-read when one of them changes (checked at most once per
//! [`RELOAD_CHECK_INTERVAL`] with one `stat` each, like the htpasswd file).
//!
//! A change that does not load (invalid YAML, an unknown action, an unreadable file) keeps the
//! policy in force and logs why, once per change: a typo must not open the registry, nor lock
//! everyone out. A missing group file or token store means no groups or tokens.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Policy, PolicyError, TokenError, TokenStore};
use crate::fsutil::FileStamp;

/// How often, at most, the files are checked for changes.
pub const RELOAD_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Errors loading the policy at start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Tokens(#[from] TokenError),
}

/// What is in force: the policy and the tokens, swapped together.
#[derive(Debug)]
pub struct Snapshot {
    pub policy: Policy,
    pub tokens: TokenStore,
}

type Stamps = [Option<FileStamp>; 3];

struct State {
    current: Arc<Snapshot>,
    stamps: Stamps,
    checked_at: Instant,
}

/// The reloading policy shared by every request.
pub struct WatchedPolicy {
    path: PathBuf,
    state: Mutex<State>,
}

impl std::fmt::Debug for WatchedPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchedPolicy")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn load(path: &Path) -> Result<(Snapshot, Stamps), LoadError> {
    // Stamps first: a change made while loading is then seen by the next check.
    let policy_stamp = FileStamp::of(path).ok();
    let policy = Policy::load(path)?;
    let stamps = [
        policy_stamp,
        FileStamp::of(policy.group_file()).ok(),
        FileStamp::of(policy.tokens_file()).ok(),
    ];
    let tokens = TokenStore::load(policy.tokens_file())?;
    Ok((Snapshot { policy, tokens }, stamps))
}

fn stamps_of(path: &Path, policy: &Policy) -> Stamps {
    [
        FileStamp::of(path).ok(),
        FileStamp::of(policy.group_file()).ok(),
        FileStamp::of(policy.tokens_file()).ok(),
    ]
}

impl WatchedPolicy {
    /// Loads the policy at `path`.
    ///
    /// # Errors
    /// When the policy, its group file or its token store cannot be loaded: the server does not
    /// start on a policy it cannot read.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let (snapshot, stamps) = load(path)?;
        Ok(Self {
            path: path.to_owned(),
            state: Mutex::new(State {
                current: Arc::new(snapshot),
                stamps,
                checked_at: Instant::now(),
            }),
        })
    }

    /// The policy file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The policy and tokens in force, re-reading them first when a file changed.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current_at(Instant::now())
    }

    fn current_at(&self, now: Instant) -> Arc<Snapshot> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if now.duration_since(state.checked_at) >= RELOAD_CHECK_INTERVAL {
            state.checked_at = now;
            let stamps = stamps_of(&self.path, &state.current.policy);
            if stamps != state.stamps {
                match load(&self.path) {
                    Ok((snapshot, loaded_stamps)) => {
                        tracing::info!(
                            path = %self.path.display(),
                            rules = snapshot.policy.rules().len(),
                            tokens = snapshot.tokens.tokens().len(),
                            "access policy changed: reloaded"
                        );
                        state.current = Arc::new(snapshot);
                        state.stamps = loaded_stamps;
                    }
                    Err(err) => {
                        tracing::error!(
                            path = %self.path.display(),
                            error = %crate::report::error_chain(&err),
                            "access policy changed but cannot be loaded: the previous one stays in force"
                        );
                        // Remember the broken version, so it is reported once, not every second.
                        state.stamps = stamps;
                    }
                }
            }
        }
        Arc::clone(&state.current)
    }

    #[cfg(test)]
    fn expire_check(&self) {
        let mut state = self.state.lock().unwrap();
        state.checked_at = Instant::now()
            .checked_sub(RELOAD_CHECK_INTERVAL * 2)
            .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Action, Subject};
    use crate::oci::reference::Name;

    #[test]
    fn reloads_on_change_and_keeps_the_old_policy_when_the_new_one_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.yml");
        let grant = "rules:\n  - repositories: [team/**]\n    users: [bob]\n    allow: [pull]\n";
        std::fs::write(&path, grant).unwrap();
        let watched = WatchedPolicy::load(&path).unwrap();
        let name = Name::parse("team/app").unwrap();
        let allowed = |w: &WatchedPolicy| {
            w.current()
                .policy
                .decide(&Subject::user("bob"), Action::Pull, &name)
                .allowed
        };
        assert!(allowed(&watched));

        crate::fsutil::atomic_write(
            &path,
            b"rules:\n  - repositories: [team/**]\n    users: [bob]\n    allow: [pul]\n",
            None,
        )
        .unwrap();
        watched.expire_check();
        assert!(allowed(&watched), "an invalid policy keeps the old one");

        crate::fsutil::atomic_write(&path, b"rules: []\n", None).unwrap();
        watched.expire_check();
        assert!(!allowed(&watched), "a deleted rule takes effect");

        // a group file change alone is picked up too
        crate::fsutil::atomic_write(
            &path,
            b"rules:\n  - repositories: [\"**\"]\n    groups: [readers]\n    allow: [pull]\n",
            None,
        )
        .unwrap();
        watched.expire_check();
        assert!(!allowed(&watched));
        std::fs::write(dir.path().join("groups"), "readers: bob\n").unwrap();
        watched.expire_check();
        assert!(allowed(&watched));
    }

    #[test]
    fn refuses_to_start_on_an_invalid_policy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.yml");
        std::fs::write(&path, "rulez: []\n").unwrap();
        let err = WatchedPolicy::load(&path).unwrap_err();
        assert!(
            err.to_string()
                .contains("rulez: unknown key (did you mean rules?)"),
            "{err}"
        );
    }
}
