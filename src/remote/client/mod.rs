//! An HTTP client for any OCI/Docker registry, one concern per file:
//! `transport` (HTTP client, TLS, ping, wire errors), `handshake` (401 → Basic or token),
//! `api` (catalog, tags, manifests, blobs, deletes) and `image` (tag and image details).
//!
//! The imports below are shared: each part starts with `use super::*`, and the parts reach one
//! another's `pub(super)` helpers through it, so moving a helper between parts changes no caller.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;

use super::auth::{CachedToken, Challenge, Credentials, TokenResponse};
use super::reference::Registry;
use super::RemoteError;
use crate::digest::Digest;
use crate::oci::manifest::{self as oci_manifest, ManifestKind};

mod api;
mod handshake;
mod image;
mod transport;

pub use api::{platform_of, repository_scope, Manifest, Paging, Platform};
pub use image::{ImageDetails, TagInfo};
// The parts call one another's helpers; each `use super::*` in them sees these.
use self::{handshake::*, transport::*};

/// How many HEAD requests run at once when listing tag details.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How to reach a registry and as whom.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Accept any certificate, and fall back to plain HTTP when the server does not speak TLS.
    pub insecure: bool,
    /// The registry is known to serve plain HTTP (e.g. the local config has no `http.tls`).
    pub plain_http: bool,
    /// PEM file with extra CA certificates to trust.
    pub ca_file: Option<PathBuf>,
    pub credentials: Option<Credentials>,
}

/// A registry's answer to `GET /v2/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginCheck {
    /// The credentials were accepted.
    Accepted,
    /// The registry does not ask for credentials at all.
    NoAuthRequired,
}

/// A connected registry client. Create it with [`Client::connect`], which pings `/v2/`.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    registry: Registry,
    /// `https://host:port` or `http://host:port`.
    base: Url,
    credentials: Option<Credentials>,
    challenge: Mutex<Option<Challenge>>,
    tokens: Mutex<HashMap<String, CachedToken>>,
}
