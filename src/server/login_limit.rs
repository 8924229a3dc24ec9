//! Brute-force limits on password checks: failed logins per client address and per user name, as
//! token buckets. Once either bucket is empty, further *unverified* attempts are answered 429
//! `TOOMANYREQUESTS` with `Retry-After` before any bcrypt runs. Only failures consume; a
//! credential verified within the cache lifetime (every request of a logged-in client re-sends
//! it) passes without touching the buckets, so clients that are already in are never slowed, and
//! an attacker can delay a *new* login of the user they target by at most one refill period per
//! failure they keep making.
//!
//! Behind a reverse proxy every request comes from the proxy's address, so the per-address limit
//! then counts all clients together; the per-user limit still applies per user.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failures allowed at once per address and per user before attempts are refused.
pub const BURST: u32 = 10;
/// One more failure is allowed after each period.
pub const REFILL: Duration = Duration::from_secs(6);
/// Tracked addresses and users, each; past it, refilled entries are dropped, then new keys are not
/// tracked (memory stays bounded under a spray of addresses; the per-user limit still holds).
pub const CAPACITY: usize = 16_384;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Failures still allowed, fractional while refilling.
    allowance: f64,
    updated: Instant,
}

impl Bucket {
    fn full(now: Instant) -> Self {
        Self {
            allowance: f64::from(BURST),
            updated: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.allowance = (self.allowance + elapsed / REFILL.as_secs_f64()).min(f64::from(BURST));
        self.updated = now;
    }

    /// How long until one failure is allowed again; `None` if one is allowed now.
    fn wait(&self) -> Option<Duration> {
        (self.allowance < 1.0).then(|| REFILL.mul_f64(1.0 - self.allowance.max(0.0)))
    }
}

#[derive(Debug)]
struct Buckets<K> {
    map: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> Buckets<K> {
    fn new() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }

    fn wait<Q>(&self, key: &Q, now: Instant) -> Option<Duration>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = map.get_mut(key)?;
        bucket.refill(now);
        bucket.wait()
    }

    fn consume<Q>(&self, key: &Q, now: Instant)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if !map.contains_key(key) && map.len() >= CAPACITY {
            map.retain(|_, bucket| {
                bucket.refill(now);
                bucket.allowance < f64::from(BURST)
            });
            if map.len() >= CAPACITY {
                return;
            }
        }
        let bucket = match map.get_mut(key) {
            Some(bucket) => bucket,
            None => map
                .entry(key.to_owned())
                .or_insert_with(|| Bucket::full(now)),
        };
        bucket.refill(now);
        bucket.allowance = (bucket.allowance - 1.0).max(0.0);
    }
}

/// Failed-login buckets of one server.
#[derive(Debug)]
pub struct LoginLimiter {
    by_address: Buckets<IpAddr>,
    by_user: Buckets<String>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            by_address: Buckets::new(),
            by_user: Buckets::new(),
        }
    }
}

impl LoginLimiter {
    /// How long an unverified attempt for `user` from `client` must wait; `None`: check it now.
    #[must_use]
    pub fn wait(&self, client: Option<IpAddr>, user: &str, now: Instant) -> Option<Duration> {
        let by_address = client.and_then(|ip| self.by_address.wait(&ip, now));
        let by_user = self.by_user.wait(user, now);
        by_address.max(by_user)
    }

    /// Records a failed attempt.
    pub fn failed(&self, client: Option<IpAddr>, user: &str, now: Instant) {
        if let Some(ip) = client {
            self.by_address.consume(&ip, now);
        }
        self.by_user.consume(user, now);
    }
}

/// `Retry-After` seconds for a wait: whole seconds, at least one.
#[must_use]
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn a_burst_of_failures_then_one_per_refill_period() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..BURST {
            assert_eq!(limiter.wait(A, "alice", t0), None);
            limiter.failed(A, "alice", t0);
        }
        let wait = limiter.wait(A, "alice", t0).unwrap();
        assert_eq!(wait, REFILL);
        assert_eq!(retry_after_secs(wait), 6);
        // Half a period later: half a period to go.
        let half = t0 + REFILL / 2;
        assert_eq!(limiter.wait(A, "alice", half), Some(REFILL / 2));
        // One period later one more attempt is allowed.
        assert_eq!(limiter.wait(A, "alice", t0 + REFILL), None);
    }

    #[test]
    fn addresses_and_users_are_limited_separately() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..BURST {
            limiter.failed(A, &format!("user{i}"), t0);
        }
        // A is out of attempts for everyone; B is not, for users A tried once each.
        assert!(limiter.wait(A, "carol", t0).is_some());
        assert_eq!(limiter.wait(B, "user0", t0), None);
        // A user guessed at from many addresses is limited from every address.
        for i in 0..BURST {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 0, u8::try_from(i).unwrap()));
            limiter.failed(Some(ip), "bob", t0);
        }
        assert!(limiter.wait(B, "bob", t0).is_some());
        assert_eq!(limiter.wait(B, "carol", t0), None);
    }

    #[test]
    fn tracking_is_bounded() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..(CAPACITY + 100) {
            limiter.failed(None, &format!("u{i}"), t0);
        }
        let len = limiter.by_user.map.lock().unwrap().len();
        assert!(len <= CAPACITY, "{len}");
    }
}
