//! Per-endpoint rules as distribution's `notifications/endpoint.go` and `sinks.go` apply them:
//! defaults for unset values, which events an endpoint ignores, and when a failing endpoint is
//! tried again.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::event::{Action, Event};

/// `timeout` when unset or not positive.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// `threshold` when unset or not positive.
pub const DEFAULT_THRESHOLD: u32 = 10;
/// `backoff` when unset or not positive.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

/// Which events an endpoint drops before queueing them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointRules {
    /// `ignoredmediatypes` and `ignore.mediatypes` together (registry:2 appends the two lists),
    /// matched exactly against `target.mediaType`.
    pub ignored_media_types: HashSet<String>,
    /// `ignore.actions`. registry:2 2.8 applies them only when some media type is ignored too
    /// (its `newIgnoredSink` returns early otherwise); distribution 3 fixed that, and regctl
    /// applies them on their own, as a user listing them expects.
    pub ignored_actions: HashSet<Action>,
}

impl EndpointRules {
    /// From the config lists; unknown action names are ignored, as registry:2 ignores them.
    #[must_use]
    pub fn new<'a>(
        ignoredmediatypes: impl IntoIterator<Item = &'a str>,
        ignore_mediatypes: impl IntoIterator<Item = &'a str>,
        ignore_actions: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            ignored_media_types: ignore_mediatypes
                .into_iter()
                .chain(ignoredmediatypes)
                .map(ToOwned::to_owned)
                .collect(),
            ignored_actions: ignore_actions
                .into_iter()
                .filter_map(Action::parse)
                .collect(),
        }
    }

    /// Whether the endpoint gets `event`.
    #[must_use]
    pub fn keeps(&self, event: &Event) -> bool {
        !self.ignored_media_types.contains(&event.target.media_type)
            && !self.ignored_actions.contains(&event.action)
    }
}

/// registry:2's `retryingSink`: an event is retried until delivered; up to `threshold`
/// consecutive failures are retried at once, after that each attempt waits until `backoff` has
/// passed since the last failure. A success resets the count.
#[derive(Debug, Clone)]
pub struct Backoff {
    threshold: u32,
    backoff: Duration,
    recent_failures: u32,
    last_failure: Option<Instant>,
}

impl Backoff {
    /// With registry:2's defaults for zero values.
    #[must_use]
    pub fn new(threshold: u32, backoff: Duration) -> Self {
        Self {
            threshold: if threshold == 0 {
                DEFAULT_THRESHOLD
            } else {
                threshold
            },
            backoff: if backoff.is_zero() {
                DEFAULT_BACKOFF
            } else {
                backoff
            },
            recent_failures: 0,
            last_failure: None,
        }
    }

    /// How long to wait before the next attempt at `now` (zero: try now).
    #[must_use]
    pub fn wait(&self, now: Instant) -> Duration {
        match self.last_failure {
            Some(last) if self.recent_failures >= self.threshold => {
                (last + self.backoff).saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        }
    }

    /// Records a failed attempt.
    pub fn failure(&mut self, now: Instant) {
        self.recent_failures = self.recent_failures.saturating_add(1);
        self.last_failure = Some(now);
    }

    /// Records a delivery.
    pub fn success(&mut self) {
        self.recent_failures = 0;
        self.last_failure = None;
    }

    /// Consecutive failures so far.
    #[must_use]
    pub fn recent_failures(&self) -> u32 {
        self.recent_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_media_types_from_both_lists_and_actions_on_their_own() {
        let rules = EndpointRules::new(
            ["application/octet-stream"],
            ["application/vnd.oci.image.index.v1+json"],
            ["pull", "bogus"],
        );
        let mut event = Event::new(Action::Push);
        event.target.media_type = "application/vnd.oci.image.manifest.v1+json".to_owned();
        assert!(rules.keeps(&event));
        event.target.media_type = "application/octet-stream".to_owned();
        assert!(!rules.keeps(&event));
        event.target.media_type = "application/vnd.oci.image.index.v1+json".to_owned();
        assert!(!rules.keeps(&event));
        let only_actions = EndpointRules::new(std::iter::empty(), std::iter::empty(), ["pull"]);
        let mut pull = Event::new(Action::Pull);
        pull.target.media_type = "application/vnd.oci.image.manifest.v1+json".to_owned();
        assert!(!only_actions.keeps(&pull));
        assert!(only_actions.keeps(&Event::new(Action::Delete)));
    }

    #[test]
    fn retries_at_once_up_to_the_threshold_then_every_backoff() {
        let start = Instant::now();
        let mut backoff = Backoff::new(3, Duration::from_secs(2));
        for _ in 0..3 {
            assert_eq!(backoff.wait(start), Duration::ZERO);
            backoff.failure(start);
        }
        assert_eq!(backoff.recent_failures(), 3);
        assert_eq!(backoff.wait(start), Duration::from_secs(2));
        assert_eq!(
            backoff.wait(start + Duration::from_millis(500)),
            Duration::from_millis(1500)
        );
        assert_eq!(backoff.wait(start + Duration::from_secs(3)), Duration::ZERO);
        backoff.failure(start + Duration::from_secs(3));
        assert_eq!(
            backoff.wait(start + Duration::from_secs(3)),
            Duration::from_secs(2)
        );
        backoff.success();
        assert_eq!(backoff.wait(start), Duration::ZERO);
    }

    #[test]
    fn zero_values_get_registry2s_defaults() {
        let start = Instant::now();
        let mut backoff = Backoff::new(0, Duration::ZERO);
        for _ in 0..DEFAULT_THRESHOLD {
            assert_eq!(backoff.wait(start), Duration::ZERO);
            backoff.failure(start);
        }
        assert_eq!(backoff.wait(start), DEFAULT_BACKOFF);
    }
}
