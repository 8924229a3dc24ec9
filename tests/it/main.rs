//! The one integration-test binary: every module drives the built `regctl` binary (and the real
//! third-party tools where the feature talks to them).

mod access;
mod api;
mod audit;
mod cert;
mod client_setup;
mod common;
mod config;
mod docker;
mod docs;
mod doctor;
mod du;
mod fsck;
mod gc;
mod hardening;
mod health;
mod immutable;
mod init;
mod interop;
mod metrics;
mod notify;
mod proxy;
mod prune;
mod readme;
mod remote;
mod s3;
mod serve;
mod token_auth;
mod token_server;
mod user;
mod web;
