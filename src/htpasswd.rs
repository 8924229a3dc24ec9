//! Apache htpasswd files: the one source of truth for reading, verifying and editing them.
//!
//! Every line is kept as it was read, terminator included, so that an edit rewrites only the entry
//! it touches and everything else (comments, blank lines, malformed lines, other users, CRLF
//! endings) is written back byte for byte. registry:2 accepts only bcrypt entries, so regctl writes
//! only `$2y$` bcrypt; the other schemes are read and verified so that `regctl user list` can
//! report them and so that files shared with Apache or nginx keep working.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// bcrypt costs Apache's `htpasswd -C` and the bcrypt crate accept.
pub const BCRYPT_COSTS: std::ops::RangeInclusive<u32> = 4..=31;
/// The cost Apache's `htpasswd -B` uses when none is given.
pub const DEFAULT_BCRYPT_COST: u32 = 10;
/// bcrypt ignores everything after the first 72 bytes of a password.
pub const MAX_PASSWORD_BYTES: usize = 72;
/// Apache's `htpasswd` refuses longer user names.
pub const MAX_USER_BYTES: usize = 255;

/// Errors reading, editing or writing an htpasswd file.
#[derive(Debug, thiserror::Error)]
pub enum HtpasswdError {
    #[error("cannot read htpasswd file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write htpasswd file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock directory {dir} to edit the htpasswd file in it")]
    Lock {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("user {user} already exists (use `regctl user passwd` to change the password)")]
    UserExists { user: String },
    #[error("user {user} does not exist (use `regctl user add` to create it)")]
    UserNotFound { user: String },
    #[error("invalid user name {user:?}: {reason}")]
    InvalidUser { user: String, reason: String },
    #[error("invalid password: {reason}")]
    InvalidPassword { reason: String },
    #[error("bcrypt cost {cost} is outside the range 4 to 31")]
    InvalidCost { cost: u32 },
    #[error("cannot hash the password with bcrypt")]
    Hash(#[source] bcrypt::BcryptError),
}

/// How an entry's password is hashed, as Apache's `htpasswd` writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "scheme")]
pub enum HashScheme {
    /// `$2y$`/`$2a$`/`$2b$`: the only scheme registry:2 accepts.
    Bcrypt { cost: u32 },
    /// `$apr1$`: Apache's MD5 variant, `htpasswd -m` and its default.
    Apr1,
    /// `{SHA}`: unsalted SHA-1, `htpasswd -s`.
    Sha1,
    /// system crypt(3): DES, `$1$`, `$5$`, `$6$`; not verifiable here.
    Crypt,
    /// plain text, `htpasswd -p`.
    Plain,
}

impl HashScheme {
    /// Classifies a hash field the way Apache's `htpasswd -v` does.
    #[must_use]
    pub fn of(hash: &str) -> Self {
        if let Some(rest) = hash
            .strip_prefix("$2y$")
            .or_else(|| hash.strip_prefix("$2a$"))
            .or_else(|| hash.strip_prefix("$2b$"))
            .or_else(|| hash.strip_prefix("$2x$"))
        {
            let cost = rest.get(..2).and_then(|c| c.parse().ok()).unwrap_or(0);
            return Self::Bcrypt { cost };
        }
        if hash.starts_with("$apr1$") {
            Self::Apr1
        } else if hash.starts_with("{SHA}") {
            Self::Sha1
        } else if hash.starts_with("$1$")
            || hash.starts_with("$5$")
            || hash.starts_with("$6$")
            || (hash.len() == 13
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/'))
        {
            Self::Crypt
        } else {
            Self::Plain
        }
    }

    /// Whether distribution's htpasswd authenticator can verify this entry.
    #[must_use]
    pub fn registry_compatible(self) -> bool {
        matches!(self, Self::Bcrypt { .. })
    }
}

impl fmt::Display for HashScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bcrypt { cost } => write!(f, "bcrypt (cost {cost})"),
            Self::Apr1 => f.write_str("apr1 (MD5)"),
            Self::Sha1 => f.write_str("sha1"),
            Self::Crypt => f.write_str("crypt"),
            Self::Plain => f.write_str("plain"),
        }
    }
}

/// One `user:hash` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub user: String,
    pub hash: String,
}

impl Entry {
    #[must_use]
    pub fn scheme(&self) -> HashScheme {
        HashScheme::of(&self.hash)
    }

    /// Verifies `password` against this entry. Crypt entries cannot be verified and never match.
    #[must_use]
    pub fn verify(&self, password: &[u8]) -> bool {
        match self.scheme() {
            // bcrypt ignores bytes past the 72nd, so `P + anything` would match a 72-byte P:
            // refuse what cannot have been the password that was hashed.
            HashScheme::Bcrypt { .. } => {
                password.len() <= MAX_PASSWORD_BYTES
                    && bcrypt::verify(password, &self.hash).unwrap_or(false)
            }
            HashScheme::Apr1 => {
                let salt = self.hash["$apr1$".len()..]
                    .split('$')
                    .next()
                    .unwrap_or_default();
                ct_eq(
                    apr1(password, salt.as_bytes()).as_bytes(),
                    self.hash.as_bytes(),
                )
            }
            HashScheme::Sha1 => {
                let digest = Sha1::digest(password);
                let expected = format!(
                    "{{SHA}}{}",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                );
                ct_eq(expected.as_bytes(), self.hash.as_bytes())
            }
            HashScheme::Plain => ct_eq(password, self.hash.as_bytes()),
            HashScheme::Crypt => false,
        }
    }
}

/// A line of the file exactly as read, terminator included, so that serializing writes back every
/// line regctl did not change byte for byte (CRLF endings, trailing blanks, a missing final newline).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    raw: String,
    /// `None` for comments, blank lines and lines that are not `user:hash`.
    entry: Option<Entry>,
}

impl Line {
    fn parse(raw: &str) -> Self {
        let content = line_content(raw);
        let trimmed = content.trim();
        let entry = if trimmed.is_empty() || trimmed.starts_with('#') {
            None
        } else {
            match content.split_once(':') {
                Some((user, hash)) if !user.is_empty() && !hash.trim_end().is_empty() => {
                    Some(Entry {
                        user: user.to_owned(),
                        hash: hash.trim_end().to_owned(),
                    })
                }
                _ => None,
            }
        };
        Self {
            raw: raw.to_owned(),
            entry,
        }
    }

    fn is_entry_of(&self, user: &str) -> bool {
        self.entry.as_ref().is_some_and(|e| e.user == user)
    }

    fn ending(&self) -> &str {
        &self.raw[line_content(&self.raw).len()..]
    }
}

/// A line without its `\n` or `\r\n` terminator.
fn line_content(raw: &str) -> &str {
    let without_lf = raw.strip_suffix('\n').unwrap_or(raw);
    if without_lf.len() < raw.len() {
        without_lf.strip_suffix('\r').unwrap_or(without_lf)
    } else {
        raw
    }
}

/// A parsed htpasswd file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Htpasswd {
    lines: Vec<Line>,
}

impl Htpasswd {
    /// Parses htpasswd text. Never fails: lines that are not entries are kept verbatim and reported
    /// by [`Htpasswd::malformed_lines`].
    #[must_use]
    pub fn parse(text: &str) -> Self {
        Self {
            lines: text.split_inclusive('\n').map(Line::parse).collect(),
        }
    }

    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn load(path: &Path) -> Result<Self, HtpasswdError> {
        std::fs::read_to_string(path)
            .map(|text| Self::parse(&text))
            .map_err(|source| HtpasswdError::Read {
                path: path.to_owned(),
                source,
            })
    }

    /// Reads the file at `path`, or starts an empty one when it does not exist yet.
    ///
    /// # Errors
    /// When the file exists but cannot be read.
    pub fn load_or_empty(path: &Path) -> Result<Self, HtpasswdError> {
        match Self::load(path) {
            Err(HtpasswdError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(Self::default())
            }
            other => other,
        }
    }

    /// The entries, in file order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.lines.iter().filter_map(|l| l.entry.as_ref())
    }

    /// 1-based numbers and text of the lines that are neither entries, comments nor blank.
    #[must_use]
    pub fn malformed_lines(&self) -> Vec<(usize, &str)> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let content = line_content(&l.raw);
                let trimmed = content.trim();
                (l.entry.is_none() && !trimmed.is_empty() && !trimmed.starts_with('#'))
                    .then_some((i + 1, content))
            })
            .collect()
    }

    /// Users that have more than one entry, in order of first appearance. Apache uses the first
    /// entry and registry:2 the last, so a duplicate means the two can disagree about a password.
    #[must_use]
    pub fn duplicate_users(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        let mut duplicates: Vec<&str> = Vec::new();
        for entry in self.entries() {
            if !seen.insert(entry.user.as_str()) && !duplicates.contains(&entry.user.as_str()) {
                duplicates.push(&entry.user);
            }
        }
        duplicates
    }

    /// The first entry for `user`, the one Apache uses (registry:2 uses the last; regctl's own
    /// edits never leave more than one).
    #[must_use]
    pub fn get(&self, user: &str) -> Option<&Entry> {
        self.entries().find(|e| e.user == user)
    }

    /// Verifies a user's password.
    #[must_use]
    pub fn verify(&self, user: &str, password: &[u8]) -> bool {
        self.get(user).is_some_and(|e| e.verify(password))
    }

    /// Adds `user` with a bcrypt hash of `password`, as a new line at the end of the file.
    ///
    /// # Errors
    /// When the name or password is invalid, the cost is out of range, or the user already exists.
    pub fn add(&mut self, user: &str, password: &[u8], cost: u32) -> Result<(), HtpasswdError> {
        validate_user(user)?;
        if self.get(user).is_some() {
            return Err(HtpasswdError::UserExists {
                user: user.to_owned(),
            });
        }
        let hash = bcrypt_hash(password, cost)?;
        let newline = self.newline().to_owned();
        if let Some(last) = self.lines.last_mut() {
            if last.ending().is_empty() {
                last.raw.push_str(&newline);
            }
        }
        self.lines
            .push(Line::parse(&format!("{user}:{hash}{newline}")));
        Ok(())
    }

    /// Replaces the password of an existing `user` with a bcrypt hash of `password`. The first
    /// entry is rewritten in place and any later duplicates are dropped, so that Apache and
    /// registry:2 agree on the new password.
    ///
    /// # Errors
    /// When the password is invalid, the cost is out of range, or the user does not exist.
    pub fn set_password(
        &mut self,
        user: &str,
        password: &[u8],
        cost: u32,
    ) -> Result<(), HtpasswdError> {
        let first = self.position(user)?;
        let hash = bcrypt_hash(password, cost)?;
        let ending = self.lines[first].ending().to_owned();
        self.lines[first] = Line::parse(&format!("{user}:{hash}{ending}"));
        let mut index = 0;
        self.lines.retain(|line| {
            let keep = index <= first || !line.is_entry_of(user);
            index += 1;
            keep
        });
        Ok(())
    }

    /// Removes every entry of `user` (as `htpasswd -D` does) and returns how many there were.
    ///
    /// # Errors
    /// When the user does not exist.
    pub fn remove(&mut self, user: &str) -> Result<usize, HtpasswdError> {
        self.position(user)?;
        let before = self.lines.len();
        self.lines.retain(|line| !line.is_entry_of(user));
        Ok(before - self.lines.len())
    }

    /// The file's text: untouched lines exactly as they were read.
    #[must_use]
    pub fn to_text(&self) -> String {
        self.lines.iter().map(|l| l.raw.as_str()).collect()
    }

    /// Writes the file atomically. A new file gets mode 0600 (it holds password hashes); an existing
    /// one keeps its mode. Parent directories are created as needed, and a symlink is followed so
    /// the link itself stays in place.
    ///
    /// # Errors
    /// When the file or its directory cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), HtpasswdError> {
        let target = resolve_symlink(path);
        let mode = if target.exists() { None } else { Some(0o600) };
        crate::fsutil::atomic_write(&target, self.to_text().as_bytes(), mode).map_err(|source| {
            HtpasswdError::Write {
                path: path.to_owned(),
                source,
            }
        })
    }

    fn position(&self, user: &str) -> Result<usize, HtpasswdError> {
        self.lines
            .iter()
            .position(|l| l.is_entry_of(user))
            .ok_or_else(|| HtpasswdError::UserNotFound {
                user: user.to_owned(),
            })
    }

    /// The line terminator new lines get: the file's own (CRLF files stay CRLF), `\n` by default.
    fn newline(&self) -> &str {
        self.lines
            .iter()
            .map(Line::ending)
            .find(|e| !e.is_empty())
            .unwrap_or("\n")
    }
}

/// Loads the file at `path` (empty if it does not exist), applies `change` and saves the result;
/// nothing is written when `change` fails. The file's directory is locked for the whole
/// read-modify-write so two concurrent edits cannot lose one another's change (the lock is on the
/// directory because the atomic rename replaces the file itself).
///
/// # Errors
/// When the file cannot be read, locked or written, or whatever `change` fails with.
pub fn edit<T>(
    path: &Path,
    change: impl FnOnce(&mut Htpasswd) -> Result<T, HtpasswdError>,
) -> Result<T, HtpasswdError> {
    let target = resolve_symlink(path);
    let _lock = lock_parent(&target)?;
    let mut file = Htpasswd::load_or_empty(&target)?;
    let result = change(&mut file)?;
    file.save(&target)?;
    Ok(result)
}

fn lock_parent(path: &Path) -> Result<Option<std::fs::File>, HtpasswdError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let lock_error = |source| HtpasswdError::Lock {
        dir: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(lock_error)?;
    #[cfg(unix)]
    {
        let handle = crate::fsutil::lock_path(
            dir,
            crate::fsutil::LockKind::Exclusive,
            crate::fsutil::LockWait::Forever,
        )
        .map_err(|e| lock_error(e.into()))?;
        Ok(Some(handle))
    }
    #[cfg(not(unix))]
    Ok(None)
}

/// The file a symlink points to (so edits replace the target, not the link); `path` otherwise.
fn resolve_symlink(path: &Path) -> PathBuf {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
    } else {
        path.to_owned()
    }
}

/// Checks a user name: Apache's and registry:2's parsers split at the first `:`, trim
/// whitespace and treat a leading `#` as a comment, and HTTP Basic auth cannot carry control
/// characters, so such names could never log in.
///
/// # Errors
/// [`HtpasswdError::InvalidUser`] naming the offending character.
pub fn validate_user(user: &str) -> Result<(), HtpasswdError> {
    let invalid = |reason: String| HtpasswdError::InvalidUser {
        user: user.to_owned(),
        reason,
    };
    if user.is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    if user.len() > MAX_USER_BYTES {
        return Err(invalid(format!(
            "it is {} bytes long; Apache's limit is {MAX_USER_BYTES}",
            user.len()
        )));
    }
    if user.starts_with('#') {
        return Err(invalid(
            "it starts with '#', which makes the line a comment".to_owned(),
        ));
    }
    if let Some(c) = user.chars().find(|&c| c == ':') {
        return Err(invalid(format!(
            "it contains {c:?}, which separates the user from the hash"
        )));
    }
    if let Some(c) = user.chars().find(|c| c.is_whitespace()) {
        return Err(invalid(format!("it contains the whitespace {c:?}")));
    }
    if let Some(c) = user.chars().find(|c| c.is_control()) {
        return Err(invalid(format!("it contains the control character {c:?}")));
    }
    Ok(())
}

/// Checks a password: bcrypt uses at most 72 bytes, so a longer password would be silently
/// truncated; C implementations stop at a NUL byte.
///
/// # Errors
/// [`HtpasswdError::InvalidPassword`] saying why.
pub fn validate_password(password: &[u8]) -> Result<(), HtpasswdError> {
    let reason = if password.is_empty() {
        "it is empty".to_owned()
    } else if password.len() > MAX_PASSWORD_BYTES {
        format!(
            "it is {} bytes long and bcrypt uses only the first {MAX_PASSWORD_BYTES}",
            password.len()
        )
    } else if password.contains(&0) {
        "it contains a NUL byte, where C implementations such as Apache's stop reading".to_owned()
    } else {
        return Ok(());
    };
    Err(HtpasswdError::InvalidPassword { reason })
}

/// A `$2y$` bcrypt hash of `password`, the form Apache's `htpasswd -B` writes.
///
/// # Errors
/// When the password is invalid, the cost is outside [`BCRYPT_COSTS`] or hashing fails.
pub fn bcrypt_hash(password: &[u8], cost: u32) -> Result<String, HtpasswdError> {
    validate_password(password)?;
    if !BCRYPT_COSTS.contains(&cost) {
        return Err(HtpasswdError::InvalidCost { cost });
    }
    bcrypt::hash_with_result(password, cost)
        .map(|parts| parts.format_for_version(bcrypt::Version::TwoY))
        .map_err(HtpasswdError::Hash)
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Apache's `$apr1$` MD5-crypt of `password` with `salt` (at most 8 bytes are used).
#[must_use]
pub fn apr1(password: &[u8], salt: &[u8]) -> String {
    const MAGIC: &[u8] = b"$apr1$";
    const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let salt = &salt[..salt.len().min(8)];

    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(MAGIC);
    ctx.update(salt);
    let mut alt = Md5::new();
    alt.update(password);
    alt.update(salt);
    alt.update(password);
    let alt = alt.finalize();
    let mut remaining = password.len();
    while remaining > 0 {
        ctx.update(&alt[..remaining.min(16)]);
        remaining = remaining.saturating_sub(16);
    }
    let mut i = password.len();
    while i > 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize();
    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 == 1 {
            c.update(password);
        } else {
            c.update(fin);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(password);
        }
        if round & 1 == 1 {
            c.update(fin);
        } else {
            c.update(password);
        }
        fin = c.finalize();
    }

    let mut out = String::with_capacity(37);
    out.push_str("$apr1$");
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let mut push = |mut v: u32, n: usize| {
        for _ in 0..n {
            out.push(char::from(ITOA64[(v & 0x3f) as usize]));
            v >>= 6;
        }
    };
    let b = |i: usize| u32::from(fin[i]);
    push((b(0) << 16) | (b(6) << 8) | b(12), 4);
    push((b(1) << 16) | (b(7) << 8) | b(13), 4);
    push((b(2) << 16) | (b(8) << 8) | b(14), 4);
    push((b(3) << 16) | (b(9) << 8) | b(15), 4);
    push((b(4) << 16) | (b(10) << 8) | b(5), 4);
    push(b(11), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apr1_matches_known_vector() {
        // `openssl passwd -apr1 -salt saltsalt password`
        assert_eq!(
            apr1(b"password", b"saltsalt"),
            "$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/"
        );
    }

    #[test]
    fn classifies_and_verifies_schemes() {
        let file = Htpasswd::parse(
            "# admins\n\
             sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n\
             md5:$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/\n\
             plain:hunter2\n\
             garbage line\n\n",
        );
        assert_eq!(file.entries().count(), 3);
        assert_eq!(file.malformed_lines(), vec![(5, "garbage line")]);
        assert_eq!(file.get("sha").unwrap().scheme(), HashScheme::Sha1);
        assert!(file.verify("sha", b"password"));
        assert!(!file.verify("sha", b"Password"));
        assert!(file.verify("md5", b"password"));
        assert!(file.verify("plain", b"hunter2"));
        assert!(!file.verify("nobody", b"hunter2"));
    }

    #[test]
    fn verifies_bcrypt_2y() {
        let hash = bcrypt::hash_with_result(b"s3cret", 4)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoY);
        let file = Htpasswd::parse(&format!("abc:{hash}\n"));
        assert_eq!(
            file.get("abc").unwrap().scheme(),
            HashScheme::Bcrypt { cost: 4 }
        );
        assert!(file.verify("abc", b"s3cret"));
        assert!(!file.verify("abc", b"s3cret "));
    }

    const MIXED: &str = "# team registry\r\n\
                         alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=  \r\n\
                         \r\n\
                         not an entry\r\n\
                         bob:$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/\r\n\
                         # trailing comment without newline";

    #[test]
    fn parse_and_serialize_round_trip_byte_for_byte() {
        for text in [MIXED, "", "\n", "a:b", "a:b\n\n# x\n", "  \t\n#\r\nx:y\r\n"] {
            assert_eq!(Htpasswd::parse(text).to_text(), text, "{text:?}");
        }
    }

    #[test]
    fn add_appends_in_the_file_line_style_and_keeps_other_lines() {
        let mut file = Htpasswd::parse(MIXED);
        file.add("carol", b"s3cret", 4).unwrap();
        let text = file.to_text();
        let (before, added) = text.split_at(MIXED.len() + 2);
        assert_eq!(before, format!("{MIXED}\r\n"));
        assert!(added.starts_with("carol:$2y$04$"), "{added}");
        assert!(added.ends_with("\r\n"));
        assert_eq!(added.len(), "carol:".len() + 60 + 2);
        assert!(Htpasswd::parse(&text).verify("carol", b"s3cret"));
        assert_eq!(
            Htpasswd::parse(&text).get("carol").unwrap().scheme(),
            HashScheme::Bcrypt { cost: 4 }
        );
    }

    #[test]
    fn add_to_empty_file_uses_lf() {
        let mut file = Htpasswd::default();
        file.add("a", b"p", 4).unwrap();
        let text = file.to_text();
        assert!(text.starts_with("a:$2y$04$") && text.ends_with('\n'));
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn add_refuses_existing_user_and_leaves_file_unchanged() {
        let mut file = Htpasswd::parse(MIXED);
        let err = file.add("bob", b"x", 4).unwrap_err();
        assert!(matches!(err, HtpasswdError::UserExists { ref user } if user == "bob"));
        assert!(err.to_string().contains("regctl user passwd"), "{err}");
        assert_eq!(file.to_text(), MIXED);
    }

    #[test]
    fn set_password_rewrites_only_that_line_and_drops_duplicates() {
        let text = "a:one\nbob:old\n# c\r\nbob:older\nz:last";
        let mut file = Htpasswd::parse(text);
        assert_eq!(file.duplicate_users(), vec!["bob"]);
        file.set_password("bob", b"new", 4).unwrap();
        let out = file.to_text();
        let lines: Vec<&str> = out.split_inclusive('\n').collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "a:one\n");
        assert!(lines[1].starts_with("bob:$2y$04$") && lines[1].ends_with('\n'));
        assert_eq!(lines[2], "# c\r\n");
        assert_eq!(lines[3], "z:last");
        assert!(file.verify("bob", b"new"));
        assert!(file.duplicate_users().is_empty());
    }

    #[test]
    fn set_password_of_missing_user_fails() {
        let mut file = Htpasswd::parse(MIXED);
        assert!(matches!(
            file.set_password("nobody", b"x", 4),
            Err(HtpasswdError::UserNotFound { .. })
        ));
        assert_eq!(file.to_text(), MIXED);
    }

    #[test]
    fn remove_drops_every_entry_of_the_user_only() {
        let mut file = Htpasswd::parse("a:1\nb:2\n#b:3\nb:4\nc:5\n");
        assert_eq!(file.remove("b").unwrap(), 2);
        assert_eq!(file.to_text(), "a:1\n#b:3\nc:5\n");
        assert!(matches!(
            file.remove("b"),
            Err(HtpasswdError::UserNotFound { .. })
        ));
    }

    #[test]
    fn validates_user_names() {
        for good in ["alice", "ci-bot_1", "name.with.dots", "émile", "a@b"] {
            validate_user(good).unwrap();
        }
        let long = "u".repeat(MAX_USER_BYTES + 1);
        for bad in ["", "a:b", "a b", "a\tb", "a\u{7}b", "a\u{85}b", "#x", &long] {
            assert!(
                matches!(validate_user(bad), Err(HtpasswdError::InvalidUser { .. })),
                "{bad:?}"
            );
        }
        let mut file = Htpasswd::default();
        assert!(file.add("a:b", b"p", 4).is_err());
        assert_eq!(file.to_text(), "");
    }

    #[test]
    fn validates_passwords_and_costs() {
        validate_password(&[b'x'; MAX_PASSWORD_BYTES]).unwrap();
        validate_password(b" spaces and \xff bytes ").unwrap();
        for bad in [&b""[..], &[b'x'; MAX_PASSWORD_BYTES + 1], b"a\0b"] {
            assert!(matches!(
                validate_password(bad),
                Err(HtpasswdError::InvalidPassword { .. })
            ));
        }
        for cost in [0, 3, 32] {
            assert!(matches!(
                bcrypt_hash(b"p", cost),
                Err(HtpasswdError::InvalidCost { .. })
            ));
        }
    }

    #[test]
    fn a_password_past_72_bytes_never_verifies() {
        let password = [b'k'; MAX_PASSWORD_BYTES];
        let mut file = Htpasswd::default();
        file.add("alice", &password, 4).unwrap();
        assert!(file.verify("alice", &password));
        let mut longer = password.to_vec();
        longer.extend_from_slice(b"anything");
        assert!(!file.verify("alice", &longer));
    }

    #[test]
    fn a_72_byte_password_is_hashed_in_full() {
        let password = [b'k'; MAX_PASSWORD_BYTES];
        let entry = Entry {
            user: "u".to_owned(),
            hash: bcrypt_hash(&password, 4).unwrap(),
        };
        assert!(entry.verify(&password));
        let mut shorter = password;
        shorter[MAX_PASSWORD_BYTES - 1] = b'j';
        assert!(!entry.verify(&shorter));
    }

    #[test]
    fn reports_malformed_lines_with_text() {
        let file = Htpasswd::parse(MIXED);
        assert_eq!(file.malformed_lines(), vec![(4, "not an entry")]);
        assert_eq!(file.entries().count(), 2);
        assert_eq!(file.get("alice").unwrap().scheme(), HashScheme::Sha1);
    }

    #[cfg(unix)]
    #[test]
    fn edit_creates_0600_file_and_parents_then_keeps_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth/nested/htpasswd");
        edit(&path, |f| f.add("a", b"p", 4)).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        edit(&path, |f| f.set_password("a", b"q", 4)).unwrap();
        assert_eq!(mode(&path), 0o640);
        assert!(Htpasswd::load(&path).unwrap().verify("a", b"q"));
    }

    #[test]
    fn failed_edit_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        std::fs::write(&path, MIXED).unwrap();
        assert!(edit(&path, |f| f.remove("nobody")).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), MIXED);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn edit_through_a_symlink_replaces_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        let link = dir.path().join("link");
        std::fs::write(&target, "a:b\n").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        edit(&link, |f| f.remove("a")).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    }
}
