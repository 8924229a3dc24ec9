//! `retention.schedule`: `regctl serve` applies the retention policies itself every interval,
//! then runs gc (with `--delete-untagged`, so what the removed tags alone kept is reclaimed once
//! older than gc's grace period), the cron job registry:2 users write around its API.
//!
//! A round is exactly `regctl prune` followed by `regctl gc --delete-untagged` (the same plan,
//! the same `Registry::delete_tag` path, the same collector and locks), so a scheduled round and
//! a manual one never disagree. A round that fails is logged and the next one runs on time.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{inventory, prune, Inventory, Policies, RetentionError};
use crate::registry::immutable::ImmutableTags;
use crate::registry::Registry;
use crate::storage::settings::Store;

/// What one scheduled round did.
#[derive(Debug, Clone)]
pub struct Round {
    /// `repository:tag` of every tag removed.
    pub removed: Vec<String>,
    /// The bytes gc reclaimed after the removal (`None` when gc did not run or failed).
    pub reclaimed: Option<u64>,
    /// Why gc did not reclaim (its error), when it did not.
    pub gc_error: Option<String>,
}

/// Applies `policies` once, then gc.
///
/// # Errors
/// Listing or reading the store, or removing a tag, failed (gc's own failure is in the round).
pub async fn round(
    registry: &Registry,
    store: &Store,
    policies: &Policies,
    immutable: &ImmutableTags,
) -> Result<Round, RetentionError> {
    let inventory = read_store(registry, store).await?;
    let plan = prune::plan(&inventory, policies, immutable, SystemTime::now());
    let applied = prune::apply(registry, &plan, crate::audit::RETENTION_USER).await?;
    let (reclaimed, gc_error) = collect(
        store,
        crate::gc::Options {
            delete_untagged: true,
            audit_user: Some(crate::audit::RETENTION_USER.to_owned()),
            ..crate::gc::Options::default()
        },
    )
    .await;
    Ok(Round {
        removed: applied.removed,
        reclaimed,
        gc_error,
    })
}

/// Reads the inventory of every repository the registry lists, on the blocking pool: the
/// first step of a scheduled round (retention's, and the cache budget's).
///
/// # Errors
/// Listing or reading the store failed.
pub async fn read_store(registry: &Registry, store: &Store) -> Result<Inventory, RetentionError> {
    let repositories: Vec<String> = registry
        .repositories()
        .await?
        .iter()
        .map(ToString::to_string)
        .collect();
    let data = Arc::clone(&store.data);
    tokio::task::spawn_blocking(move || {
        inventory::read(&*data, &repositories, &mut inventory::Silent)
    })
    .await
    .map_err(|e| RetentionError::Io(std::io::Error::other(e)))?
}

/// Runs gc with `options` on the blocking pool after a round's removals: the bytes it
/// reclaimed, or why it did not (a round reports gc's failure rather than failing).
pub async fn collect(store: &Store, options: crate::gc::Options) -> (Option<u64>, Option<String>) {
    let store = store.clone();
    let collected = tokio::task::spawn_blocking(move || {
        crate::gc::collect(&store, &options, &mut crate::gc::Silent)
    })
    .await;
    match collected {
        Ok(Ok(report)) => (Some(report.bytes_reclaimed), None),
        Ok(Err(e)) => (None, Some(crate::report::error_chain(&e))),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// Runs a [`round`] every `every`, forever, logging each (target `regctl::retention`).
pub async fn run(
    registry: Arc<Registry>,
    store: Store,
    policies: Policies,
    immutable: ImmutableTags,
    every: Duration,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match round(&registry, &store, &policies, &immutable).await {
            Ok(done) => tracing::info!(
                target: "regctl::retention",
                removed = done.removed.len(),
                tags = %done.removed.join(" "),
                gc_reclaimed_bytes = done.reclaimed.unwrap_or(0),
                gc_error = done.gc_error.as_deref().unwrap_or("-"),
                "retention round"
            ),
            Err(e) => tracing::warn!(
                target: "regctl::retention",
                error = %crate::report::error_chain(&e),
                "retention round failed; the next runs on schedule"
            ),
        }
    }
}
