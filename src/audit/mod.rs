//! The audit trail's shared part: the `regctl::audit` tracing target, the line every writer
//! outside the API emits ([`Entry`]: gc removals, prune tag removals, web-page deletes), who
//! acts when no HTTP user does ([`os_user`], [`RETENTION_USER`]), and the optional separate
//! audit file (`log.audit.file`, [`file`]).
//!
//! The API's own lines are written by `server/audit.rs` (a middleware that sees the request);
//! every line, wherever it comes from, carries `action`, `result`, `user`, `repository`,
//! `reference` and `digest`, so one query over the trail finds every removal of a digest.

pub mod file;

use std::net::SocketAddr;

/// The tracing target of audit lines.
pub const AUDIT_TARGET: &str = "regctl::audit";

/// The user of what `regctl serve`'s retention schedule removes.
pub const RETENTION_USER: &str = "retention";

/// How an audited write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Refused by a rule (permissions, immutable tags, disabled deletes, bad input).
    Refused,
    /// Tried and failed (storage).
    Failed,
}

impl Outcome {
    /// The `result` field.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    /// The outcome an HTTP status says.
    #[must_use]
    pub fn of_status(status: http::StatusCode) -> Self {
        if status.is_success() || status.is_redirection() {
            Self::Ok
        } else if status.is_client_error() {
            Self::Refused
        } else {
            Self::Failed
        }
    }
}

/// One audit line of a write that did not come through the API. Borrowed fields only, so a gc
/// of 100k blobs builds no string per removal (the digest is formatted straight into the line).
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// `gc-remove`, `prune`, `untag`, `delete`.
    pub action: &'static str,
    /// What gc removed: `blob`, `manifest`, `layer-link`, `upload`, `temp-file`,
    /// `unfinished-tag`, `repository` (`None` elsewhere).
    pub kind: Option<&'static str>,
    pub result: Outcome,
    pub user: &'a str,
    pub remote: Option<SocketAddr>,
    /// `-` when the removal belongs to no repository (a blob).
    pub repository: &'a str,
    /// The tag, upload id or file the removal names; `-` when the digest says it all.
    pub reference: &'a str,
    pub digest: Option<&'a crate::digest::Digest>,
    /// Bytes freed, when known.
    pub size: Option<u64>,
    /// The HTTP status a web-page delete answered.
    pub status: Option<u16>,
    /// Why the write was refused or failed.
    pub error: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// A successful write with every optional field unset.
    #[must_use]
    pub fn new(action: &'static str, user: &'a str, repository: &'a str) -> Self {
        Self {
            action,
            kind: None,
            result: Outcome::Ok,
            user,
            remote: None,
            repository,
            reference: "-",
            digest: None,
            size: None,
            status: None,
            error: None,
        }
    }

    /// Writes the line (target [`AUDIT_TARGET`]); a no-op costing one atomic load when nothing
    /// listens to the target.
    pub fn emit(&self) {
        tracing::info!(
            target: AUDIT_TARGET,
            action = self.action,
            kind = self.kind,
            result = self.result.as_str(),
            status = self.status,
            user = self.user,
            remote = self.remote.as_ref().map(tracing::field::display),
            repository = self.repository,
            reference = self.reference,
            digest = self.digest.map(tracing::field::display),
            size = self.size,
            error = self.error,
            "audit"
        );
    }
}

/// The user running a command-line write (`regctl gc`, `regctl prune`): `$USER`, else
/// `$LOGNAME`, else the name of the process's uid in `/etc/passwd`, else `uid:N`. cron and
/// systemd set no `$USER` for every job, hence the fallbacks.
#[must_use]
pub fn os_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(name) = std::env::var(var) {
            if !name.trim().is_empty() {
                return name;
            }
        }
    }
    // The owner of /proc/self is the process's uid (std has no getuid).
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m))
    else {
        return "-".to_owned();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| passwd_name(&passwd, uid))
        .unwrap_or_else(|| format!("uid:{uid}"))
}

/// The name of `uid` in passwd(5) text.
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        (id.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_names_are_found_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nci:x:1001:1001::/home/ci:/bin/sh\nbroken\n";
        assert_eq!(passwd_name(passwd, 1001).as_deref(), Some("ci"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 7), None);
    }

    #[test]
    fn outcomes_follow_the_status() {
        assert_eq!(Outcome::of_status(http::StatusCode::SEE_OTHER), Outcome::Ok);
        assert_eq!(
            Outcome::of_status(http::StatusCode::FORBIDDEN),
            Outcome::Refused
        );
        assert_eq!(
            Outcome::of_status(http::StatusCode::INSUFFICIENT_STORAGE),
            Outcome::Failed
        );
        assert_eq!(Outcome::Refused.as_str(), "refused");
    }
}
