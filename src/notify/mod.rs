//! Notifications (registry:2's `notifications.endpoints` webhooks): the event envelope registry:2
//! sends and the per-endpoint delivery rules it applies, so existing webhook consumers work
//! unchanged.
//!
//! Status: the pieces here are the formats and rules, tested against distribution 2.8's
//! `notifications/` package (event.go, sinks.go, endpoint.go); the delivery worker, the on-disk
//! queue and the wiring into `regctl serve` are not written yet, so `notifications.endpoints`
//! is still refused by `config/support.rs`.

pub mod event;
pub mod rules;

pub use event::{
    manifest_references, Action, ActorRecord, Envelope, Event, RequestRecord, SourceRecord, Target,
};
pub use rules::{Backoff, EndpointRules, DEFAULT_BACKOFF, DEFAULT_THRESHOLD, DEFAULT_TIMEOUT};
