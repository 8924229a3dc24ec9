//! Apache htpasswd files: the one source of truth for reading and verifying them.
//!
//! Lines that are not entries (comments, blanks, malformed lines) are kept verbatim so that an edit
//! rewrites only the entry it touches. registry:2 accepts only bcrypt entries; the other schemes are
//! read and verified so that `regctl user list` can report them and so that files shared with Apache
//! or nginx keep working.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Errors reading an htpasswd file.
#[derive(Debug, thiserror::Error)]
pub enum HtpasswdError {
    #[error("cannot read htpasswd file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
            HashScheme::Bcrypt { .. } => bcrypt::verify(password, &self.hash).unwrap_or(false),
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

/// A line of the file, kept so that rewriting preserves everything regctl did not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Entry(Entry),
    /// A comment, a blank line or a line that is not `user:hash`, kept verbatim.
    Other(String),
}

/// A parsed htpasswd file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Htpasswd {
    pub lines: Vec<Line>,
}

impl Htpasswd {
    /// Parses htpasswd text. Never fails: lines that are not entries are kept as [`Line::Other`]
    /// and reported by [`Htpasswd::malformed_lines`].
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let lines = text
            .lines()
            .map(|raw| {
                let line = raw.strip_suffix('\r').unwrap_or(raw);
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    return Line::Other(line.to_owned());
                }
                match line.split_once(':') {
                    Some((user, hash)) if !user.is_empty() && !hash.is_empty() => {
                        Line::Entry(Entry {
                            user: user.to_owned(),
                            hash: hash.trim_end().to_owned(),
                        })
                    }
                    _ => Line::Other(line.to_owned()),
                }
            })
            .collect();
        Self { lines }
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

    /// The entries, in file order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.lines.iter().filter_map(|l| match l {
            Line::Entry(e) => Some(e),
            Line::Other(_) => None,
        })
    }

    /// 1-based numbers of lines that are neither entries, comments nor blank.
    #[must_use]
    pub fn malformed_lines(&self) -> Vec<usize> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Line::Other(s) if !s.trim().is_empty() && !s.trim().starts_with('#') => Some(i + 1),
                _ => None,
            })
            .collect()
    }

    /// The first entry for `user`, as Apache and distribution both use the first match.
    #[must_use]
    pub fn get(&self, user: &str) -> Option<&Entry> {
        self.entries().find(|e| e.user == user)
    }

    /// Verifies a user's password.
    #[must_use]
    pub fn verify(&self, user: &str, password: &[u8]) -> bool {
        self.get(user).is_some_and(|e| e.verify(password))
    }
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
        assert_eq!(file.malformed_lines(), vec![5]);
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
}
