//! The one home of upload-purge policy: distribution's `storage.maintenance.uploadpurging`
//! defaults and the rule that says when an upload is abandoned. `regctl serve`'s purger, the
//! config model's defaults and `regctl gc --uploads-older-than` all read them from here.

use std::time::{Duration, SystemTime};

/// distribution's `uploadpurging.age`: uploads started longer ago than this are removed.
pub const AGE: Duration = Duration::from_secs(168 * 3600);
/// [`AGE`] as a command-line default (a test checks the two agree).
pub const AGE_TEXT: &str = "168h";
/// distribution's `uploadpurging.interval`: how often the purge runs (not an age).
pub const INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Whether an upload is abandoned at `now`: neither its `startedat` nor its last write is less
/// than `older_than` ago. A long upload that still receives data therefore survives (registry:2
/// looks at `startedat` only and would cut it off); a missing `startedat` leaves the last write.
#[must_use]
pub fn is_stale(
    started_at: Option<SystemTime>,
    last_write: SystemTime,
    now: SystemTime,
    older_than: Duration,
) -> bool {
    let newest = started_at.map_or(last_write, |s| s.max(last_write));
    now.duration_since(newest)
        .is_ok_and(|idle| idle > older_than)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_text_is_age() {
        assert_eq!(humantime::parse_duration(AGE_TEXT).unwrap(), AGE);
        assert!(INTERVAL < AGE);
    }

    #[test]
    fn stale_only_when_both_start_and_last_write_are_old() {
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        let old = now - 3 * hour;
        assert!(is_stale(Some(old), old, now, hour));
        assert!(!is_stale(Some(old), now, now, hour), "still receiving");
        assert!(!is_stale(Some(now), old, now, hour), "just started");
        assert!(is_stale(None, old, now, hour));
        assert!(
            !is_stale(None, now + hour, now, hour),
            "clock skew: future is young"
        );
    }
}
