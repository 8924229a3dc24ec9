//! The one integration-test binary: every module drives the built `regctl` binary (and the real
//! third-party tools where the feature talks to them).

mod client_setup;
mod common;
mod docs;
mod gc;
mod user;
