//! `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`.
//!
//! Accept negotiation: a client that names manifest types in `Accept` but not the stored one gets
//! distribution's answers (404 for an OCI manifest or index; for a Docker manifest list fetched by
//! tag by a client that only takes schema2, the linux/amd64 child). A client that names no manifest
//! type at all (curl, a browser) gets the manifest as stored, where distribution 2.8 answers 404.

use axum::body::Body;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::{is_unstorable_algorithm, reference_error};
use super::{empty_response, query_params, Api, Event, Subject};
use crate::notify::Action;
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::manifest::{AcceptSet, ManifestKind};
use crate::oci::reference::{Name, Reference, ReferenceError, Tag};
use crate::registry::StoredManifest;

const DIGEST_HEADER: &str = "docker-content-digest";

fn parse_reference(reference: &str, for_lookup: bool) -> Result<Reference<'_>, ApiError> {
    match Reference::parse(reference) {
        Ok(r) => Ok(r),
        Err(ReferenceError::Digest(e)) if for_lookup && is_unstorable_algorithm(&e) => {
            Err(ApiError::new(ErrorCode::ManifestUnknown))
        }
        Err(e) => Err(reference_error(&e)),
    }
}

fn accept_set(parts: &Parts) -> AcceptSet {
    let mut values = parts.headers.get_all(header::ACCEPT).iter().peekable();
    if values.peek().is_none() {
        return AcceptSet::anything();
    }
    let mut set = AcceptSet::default();
    for value in values {
        set.add_header(value.to_str().unwrap_or(""));
    }
    if set.is_explicit() {
        set
    } else {
        AcceptSet::anything()
    }
}

fn etag_matches(parts: &Parts, etag: &str) -> bool {
    parts
        .headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|v| v == "*" || v == etag || v.trim_start_matches("W/") == etag)
}

impl Api {
    pub(super) async fn get_manifest(
        &self,
        name: Name<'_>,
        reference: &str,
        parts: &Parts,
    ) -> Result<Response, ApiError> {
        // A reference that is neither a tag nor a digest names nothing that can exist: 404, as
        // distribution and the OCI conformance suite expect (PUT keeps 400 TAG_INVALID).
        let reference = match parse_reference(reference, true) {
            Err(e) if e.code == ErrorCode::TagInvalid => {
                return Err(ApiError::new(ErrorCode::ManifestUnknown))
            }
            other => other?,
        };
        let (mut manifest, cache) = match self.proxy_for(Some(name)) {
            Some(proxy) => {
                let served = proxy.manifest(&self.registry, name, reference).await?;
                crate::metrics::cache(crate::metrics::CacheKind::Manifest, served.outcome);
                (served.manifest, Some(served.outcome))
            }
            None => (self.registry.get_manifest(name, reference).await?, None),
        };
        let stale = cache == Some(crate::proxy::CacheOutcome::Stale);
        // The manifest the reference names (not a platform child picked for an old client):
        // what a tag's retention asks about.
        self.registry.note_pull(name, manifest.digest);
        let accept = accept_set(parts);
        match manifest.kind() {
            Some(kind @ (ManifestKind::OciManifest | ManifestKind::OciIndex))
                if !accept.accepts(kind) =>
            {
                let what = if kind == ManifestKind::OciIndex {
                    "OCI index found, but accept header does not support OCI indexes"
                } else {
                    "OCI manifest found, but accept header does not support OCI manifests"
                };
                return Err(ApiError::new(ErrorCode::ManifestUnknown).with_message(what));
            }
            Some(ManifestKind::DockerList)
                if matches!(reference, Reference::Tag(_))
                    && !accept.accepts(ManifestKind::DockerList) =>
            {
                manifest = self.default_platform_child(name, &manifest).await?;
            }
            _ => {}
        }
        let etag = format!("\"{}\"", manifest.digest);
        if etag_matches(parts, &etag) {
            let mut response = empty_response(StatusCode::NOT_MODIFIED);
            if let Some(outcome) = cache {
                response.extensions_mut().insert(outcome);
            }
            let headers = response.headers_mut();
            headers.remove(header::CONTENT_LENGTH);
            set_digest_headers(headers, &manifest, &etag);
            return Ok(response);
        }
        let pulled = Event {
            action: Action::Pull,
            repository: name.as_str(),
            tag: match reference {
                Reference::Tag(tag) => tag.as_str(),
                Reference::Digest(_) => "",
            },
            digest: manifest.digest.as_str(),
            media_type: &manifest.media_type,
            size: Some(manifest.bytes.len() as u64),
            subject: Subject::Manifest(Some(&manifest.bytes)),
        };
        // registry:2 notifies a HEAD as a pull too; the event line is for GET only.
        let body = if parts.method == http::Method::HEAD {
            pulled.notify(self, parts);
            Body::empty()
        } else {
            pulled.emit(self, parts);
            Body::from(manifest.bytes.clone())
        };
        let mut response = Response::new(body);
        if let Some(outcome) = cache {
            response.extensions_mut().insert(outcome);
        }
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&manifest.media_type)
                .unwrap_or(HeaderValue::from_static("application/json")),
        );
        headers.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(manifest.bytes.len()),
        );
        set_digest_headers(headers, &manifest, &etag);
        if stale {
            headers.insert(
                header::WARNING,
                HeaderValue::from_static(crate::proxy::STALE_WARNING),
            );
        }
        Ok(response)
    }

    /// distribution's answer to a client that takes schema2 but not manifest lists: the
    /// linux/amd64 image of the list.
    async fn default_platform_child(
        &self,
        name: Name<'_>,
        list: &StoredManifest,
    ) -> Result<std::sync::Arc<StoredManifest>, ApiError> {
        let child = list
            .parsed
            .as_ref()
            .and_then(|p| {
                p.children.iter().find(|c| {
                    c.platform
                        .as_ref()
                        .is_some_and(|(arch, os)| arch == "amd64" && os == "linux")
                })
            })
            .map(|c| c.digest)
            .ok_or_else(|| {
                ApiError::new(ErrorCode::ManifestUnknown).with_message(
                    "manifest list found, but the accept header does not support manifest lists \
                     and it has no linux/amd64 image",
                )
            })?;
        Ok(self.registry.manifest_by_digest(name, child).await?)
    }

    pub(super) async fn put_manifest(
        &self,
        name: Name<'_>,
        reference: &str,
        parts: &Parts,
        body: Body,
    ) -> Result<Response, ApiError> {
        let reference = parse_reference(reference, false)?;
        let mut extra_tags = Vec::new();
        let tag_params: Vec<_> = query_params(parts, "tag").collect();
        for value in &tag_params {
            extra_tags.push(Tag::parse(value).map_err(|e| reference_error(&e))?);
        }
        let limit = self.opts.max_manifest_bytes;
        let too_large = || {
            ApiError::new(ErrorCode::SizeTooLarge)
                .with_message(format!("manifests are limited to {limit} bytes"))
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut stream = body.into_data_stream();
        if declared.is_some_and(|len| len > limit as u64) {
            discard_rest(&mut stream).await;
            return Err(too_large());
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::new(ErrorCode::ManifestInvalid)
                    .with_message(format!("the manifest body could not be read: {e}"))
            })?;
            if buf.len() + chunk.len() > limit {
                discard_rest(&mut stream).await;
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        let bytes: Bytes = buf.freeze();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let pushed = self
            .registry
            .put_manifest(name, reference, content_type, bytes.clone(), &extra_tags)
            .await?;
        Event {
            action: Action::Push,
            repository: name.as_str(),
            tag: &pushed.tags.join(","),
            digest: pushed.digest.as_str(),
            media_type: pushed.media_type,
            size: Some(pushed.size as u64),
            subject: Subject::Manifest(Some(&bytes)),
        }
        .emit(self, parts);
        let mut response = empty_response(StatusCode::CREATED);
        let path = format!("/v2/{}/manifests/{}", name.as_str(), pushed.digest);
        let headers = response.headers_mut();
        headers.insert(header::LOCATION, self.location(parts, &path));
        if let Ok(v) = HeaderValue::from_str(pushed.digest.as_str()) {
            headers.insert(DIGEST_HEADER, v);
        }
        if let Some(subject) = pushed.subject {
            if let Ok(v) = HeaderValue::from_str(subject.as_str()) {
                headers.insert("oci-subject", v);
            }
        }
        if !extra_tags.is_empty() {
            for tag in &pushed.tags {
                if let Ok(v) = HeaderValue::from_str(tag) {
                    headers.append("oci-tag", v);
                }
            }
        }
        Ok(response)
    }

    pub(super) async fn delete_manifest(
        &self,
        name: Name<'_>,
        reference: &str,
        parts: &Parts,
    ) -> Result<Response, ApiError> {
        if !self.opts.delete_enabled {
            return Err(ApiError::new(ErrorCode::Unsupported)
                .with_message("deletes are disabled (storage.delete.enabled is false)"));
        }
        let reference = parse_reference(reference, true)?;
        let (tag, digest) = match reference {
            Reference::Tag(tag) => {
                self.registry.delete_tag(name, tag).await?;
                (tag.as_str(), String::new())
            }
            Reference::Digest(digest) => {
                self.registry.delete_manifest(name, digest).await?;
                ("", digest.as_str().to_owned())
            }
        };
        Event {
            action: Action::Delete,
            repository: name.as_str(),
            tag,
            digest: &digest,
            media_type: "",
            size: None,
            subject: Subject::Manifest(None),
        }
        .emit(self, parts);
        Ok(empty_response(StatusCode::ACCEPTED))
    }
}

fn set_digest_headers(headers: &mut http::HeaderMap, manifest: &StoredManifest, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(manifest.digest.as_str()) {
        headers.insert(DIGEST_HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
}

/// How much of a refused body is read and thrown away before answering.
const DISCARD_LIMIT: usize = 64 << 20;

/// Reads and discards the rest of a refused body (up to [`DISCARD_LIMIT`]), so a client still
/// sending it reads the error response instead of a connection reset mid-upload.
async fn discard_rest(stream: &mut axum::body::BodyDataStream) {
    let mut discarded = 0;
    while discarded < DISCARD_LIMIT {
        match stream.next().await {
            Some(Ok(chunk)) => discarded += chunk.len(),
            _ => break,
        }
    }
}
