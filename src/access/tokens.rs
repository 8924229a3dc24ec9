//! CI tokens: credentials for a user, limited to some repositories and actions, with an expiry,
//! usable as a docker password (`docker login -u ci --password-stdin`).
//!
//! A token is `regctl_<id>_<secret>`: 12 hex digits naming it and 32 random bytes. The store
//! (a JSON file, mode 0600, written atomically under a directory lock) keeps only the token's
//! sha256: the secret is 256 random bits, so a fast hash is as safe as bcrypt would be, and a
//! token login costs microseconds instead of bcrypt's tens of milliseconds. The secret is shown
//! once, by `regctl token create`, and never again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::{ActionSet, Pattern, TokenScope};

/// Every token starts with this.
pub const PREFIX: &str = "regctl_";
const ID_HEX: usize = 12;

/// Errors reading or editing the token store.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the token store {path}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the token store {path} is not valid JSON (regctl token writes it; restore it from a backup or remove it to revoke every token)", path = .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the token store {path}", path = .path.display())]
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
    #[error("no token {id} (regctl token list shows them)")]
    NotFound { id: String },
    #[error("token {id}: {message}")]
    Invalid { id: String, message: String },
}

/// One stored token (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub id: String,
    pub user: String,
    /// Hex sha256 of the whole token string.
    pub sha256: String,
    /// Repository patterns the token may be used on.
    pub repositories: Vec<String>,
    /// `pull,push`.
    pub actions: String,
    /// Unix seconds.
    pub created: u64,
    /// Unix seconds; `None`: never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl Token {
    #[must_use]
    pub fn expired(&self, now: u64) -> bool {
        self.expires.is_some_and(|at| now >= at)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoreFile {
    tokens: Vec<Token>,
}

/// The loaded store, with every token's scope compiled.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: Vec<Token>,
    by_id: HashMap<String, (usize, Arc<TokenScope>)>,
}

/// What checking a password as a token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck<'a> {
    /// Not shaped like a token: check it as a password.
    NotAToken,
    Valid(&'a Arc<TokenScope>),
    /// Shaped like a token but unknown, revoked, expired, of another user or wrong.
    Invalid,
}

fn scope_of(token: &Token) -> Result<TokenScope, String> {
    let repositories = token
        .repositories
        .iter()
        .map(|p| Pattern::parse(p).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let actions = token
        .actions
        .parse::<ActionSet>()
        .map_err(|e| e.to_string())?;
    Ok(TokenScope {
        repositories,
        actions,
    })
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The id part of `regctl_<id>_<secret>`, if `password` has that shape.
fn id_of(password: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(password).ok()?;
    let rest = text.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == ID_HEX && id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty())
        .then_some(id)
}

/// The id of a CI token given as a password, if it has the token's shape (`regctl_<id>_<secret>`).
#[must_use]
pub fn token_id(password: &[u8]) -> Option<&str> {
    id_of(password)
}

impl TokenStore {
    /// The scope of the CI token `id` while it is still `user`'s and not expired (revoked tokens
    /// are gone from the store): what a bearer token issued for it carries on each request, so a
    /// revocation ends the bearer token too.
    #[must_use]
    pub fn live_scope(&self, id: &str, user: &str, now: u64) -> Option<&Arc<TokenScope>> {
        let (index, scope) = self.by_id.get(id)?;
        let token = &self.tokens[*index];
        (token.user == user && !token.expired(now)).then_some(scope)
    }

    /// Reads the store; a missing file is an empty store.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, or a token in it is malformed.
    pub fn load(path: &Path) -> Result<Self, TokenError> {
        let file = read_file(path)?;
        Self::from_tokens(file.tokens)
    }

    fn from_tokens(tokens: Vec<Token>) -> Result<Self, TokenError> {
        let mut by_id = HashMap::new();
        for (index, token) in tokens.iter().enumerate() {
            let scope = scope_of(token).map_err(|message| TokenError::Invalid {
                id: token.id.clone(),
                message,
            })?;
            by_id.insert(token.id.clone(), (index, Arc::new(scope)));
        }
        Ok(Self { tokens, by_id })
    }

    #[must_use]
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Checks `password` as a token of `user` at `now` (unix seconds); constant-time on the
    /// hash.
    #[must_use]
    pub fn check(&self, user: &str, password: &[u8], now: u64) -> TokenCheck<'_> {
        let Some(id) = id_of(password) else {
            return TokenCheck::NotAToken;
        };
        let Some((index, scope)) = self.by_id.get(id) else {
            return TokenCheck::Invalid;
        };
        let token = &self.tokens[*index];
        let presented = Sha256::digest(password);
        let stored = hex::decode(&token.sha256).unwrap_or_default();
        let same = bool::from(presented.as_slice().ct_eq(&stored));
        if same && token.user == user && !token.expired(now) {
            TokenCheck::Valid(scope)
        } else {
            TokenCheck::Invalid
        }
    }
}

fn read_file(path: &Path) -> Result<StoreFile, TokenError> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(StoreFile::default()),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| TokenError::Parse {
            path: path.to_owned(),
            source,
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(StoreFile::default()),
        Err(source) => Err(TokenError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Loads, changes and saves the store under an exclusive lock on its directory (0600, atomic).
fn edit<T>(
    path: &Path,
    change: impl FnOnce(&mut Vec<Token>) -> Result<T, TokenError>,
) -> Result<T, TokenError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|source| TokenError::Write {
        path: path.to_owned(),
        source,
    })?;
    let _lock = crate::fsutil::lock_path(
        dir,
        crate::fsutil::LockKind::Exclusive,
        crate::fsutil::LockWait::Forever,
    )
    .map_err(|source| TokenError::Lock {
        path: path.to_owned(),
        source,
    })?;
    let mut file = read_file(path)?;
    let result = change(&mut file.tokens)?;
    let mut text = serde_json::to_vec_pretty(&file).unwrap_or_default();
    text.push(b'\n');
    crate::fsutil::atomic_write(path, &text, Some(0o600)).map_err(|source| TokenError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(result)
}

/// What [`create`] needs.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub user: String,
    pub repositories: Vec<String>,
    pub actions: ActionSet,
    pub expires: Option<u64>,
    pub description: String,
}

/// Creates a token in the store at `path` and returns it with its secret (shown once).
///
/// # Errors
/// When a pattern is invalid, no action is given, or the store cannot be edited.
pub fn create(path: &Path, new: NewToken, now: u64) -> Result<(Token, String), TokenError> {
    let id = hex::encode(rand::random::<[u8; ID_HEX / 2]>());
    let invalid = |message: String| TokenError::Invalid {
        id: id.clone(),
        message,
    };
    if new.repositories.is_empty() {
        return Err(invalid(
            "name at least one repository pattern (--repo)".to_owned(),
        ));
    }
    for pattern in &new.repositories {
        Pattern::parse(pattern).map_err(|e| invalid(e.to_string()))?;
    }
    if new.actions.is_empty() {
        return Err(invalid(
            "name at least one action (--actions pull,push)".to_owned(),
        ));
    }
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let text = format!("{PREFIX}{id}_{secret}");
    let token = Token {
        id: id.clone(),
        user: new.user,
        sha256: hash(&text),
        repositories: new.repositories,
        actions: new
            .actions
            .iter()
            .map(super::Action::as_str)
            .collect::<Vec<_>>()
            .join(","),
        created: now,
        expires: new.expires,
        description: new.description,
    };
    let stored = token.clone();
    edit(path, move |tokens| {
        tokens.push(stored);
        Ok(())
    })?;
    Ok((token, text))
}

/// Removes the token `id`; returns it.
///
/// # Errors
/// [`TokenError::NotFound`], or when the store cannot be edited.
pub fn revoke(path: &Path, id: &str) -> Result<Token, TokenError> {
    edit(path, |tokens| {
        let index = tokens
            .iter()
            .position(|t| t.id == id)
            .ok_or_else(|| TokenError::NotFound { id: id.to_owned() })?;
        Ok(tokens.remove(index))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Action;

    fn new(user: &str, repos: &[&str], actions: &str, expires: Option<u64>) -> NewToken {
        NewToken {
            user: user.to_owned(),
            repositories: repos.iter().map(|r| (*r).to_owned()).collect(),
            actions: actions.parse().unwrap(),
            expires,
            description: String::new(),
        }
    }

    #[test]
    fn create_check_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let (token, secret) =
            create(&path, new("ci", &["team/app"], "pull,push", Some(1000)), 10).unwrap();
        assert!(secret.starts_with(PREFIX));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&secret[PREFIX.len() + ID_HEX + 1..]),
            "the secret is not stored"
        );
        assert!(text.contains(&token.sha256));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let store = TokenStore::load(&path).unwrap();
        match store.check("ci", secret.as_bytes(), 500) {
            TokenCheck::Valid(scope) => {
                assert!(scope.allows(Action::Push, "team/app"));
                assert!(!scope.allows(Action::Delete, "team/app"));
                assert!(!scope.allows(Action::Pull, "team/other"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store.check("bob", secret.as_bytes(), 500),
            TokenCheck::Invalid,
            "another user"
        );
        assert_eq!(
            store.check("ci", secret.as_bytes(), 1000),
            TokenCheck::Invalid,
            "expired"
        );
        let mut wrong = secret.clone();
        wrong.pop();
        wrong.push('x');
        assert_eq!(
            store.check("ci", wrong.as_bytes(), 500),
            TokenCheck::Invalid
        );
        assert_eq!(store.check("ci", b"a password", 500), TokenCheck::NotAToken);
        revoke(&path, &token.id).unwrap();
        let store = TokenStore::load(&path).unwrap();
        assert_eq!(
            store.check("ci", secret.as_bytes(), 500),
            TokenCheck::Invalid
        );
        assert!(matches!(
            revoke(&path, &token.id),
            Err(TokenError::NotFound { .. })
        ));
    }

    #[test]
    fn refuses_bad_scopes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        assert!(create(&path, new("ci", &[], "pull", None), 0).is_err());
        assert!(create(&path, new("ci", &["Team"], "pull", None), 0).is_err());
        assert!(!path.exists(), "nothing written on refusal");
    }
}
