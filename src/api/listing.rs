//! `GET /v2/_catalog`, `GET /v2/<name>/tags/list` (both with `n`/`last` and an RFC 5988 `Link`)
//! and `GET /v2/<name>/referrers/<digest>`.

use axum::response::Response;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::digest_error;
use super::{json_response, query_param, Api};
use crate::digest::Digest;
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::manifest::OCI_INDEX;
use crate::oci::reference::{query_escape, Name};

/// distribution's default catalog page and its `catalog.maxentries` default.
const CATALOG_DEFAULT: usize = 100;
const CATALOG_MAX: usize = 1000;

/// `n`: absent is `None`; anything but a non-negative integer is PAGINATION_NUMBER_INVALID.
fn page_size(parts: &Parts) -> Result<Option<usize>, ApiError> {
    match query_param(parts, "n") {
        None => Ok(None),
        Some(n) => n.trim().parse::<usize>().map(Some).map_err(|_| {
            ApiError::new(ErrorCode::PaginationNumberInvalid)
                .with_message("n must be a non-negative integer")
                .with_detail(serde_json::json!({ "n": super::truncate(&n, 50) }))
        }),
    }
}

/// `<path?last=..&n=..>; rel="next"`, with the query in Go's `url.Values.Encode` order.
fn next_link(path: &str, last: &str, n: usize) -> HeaderValue {
    let link = format!("<{path}?last={}&n={n}>; rel=\"next\"", query_escape(last));
    HeaderValue::from_str(&link).unwrap_or(HeaderValue::from_static(""))
}

impl Api {
    /// A catalog page of only the repositories the request may pull (access hook): pages of
    /// the full catalog are read until `n` are found or it ends.
    async fn pullable_catalog(
        &self,
        parts: &Parts,
        n: usize,
        last: Option<&str>,
    ) -> Result<(Vec<String>, bool), ApiError> {
        let mut found = Vec::with_capacity(n.min(CATALOG_DEFAULT));
        let mut cursor = last.map(str::to_owned);
        loop {
            let (page, more) = self.registry.catalog(n, cursor.as_deref()).await?;
            let Some(page_last) = page.last().cloned() else {
                return Ok((found, false));
            };
            let mut rest = page.into_iter();
            for repo in rest.by_ref() {
                let allowed = Name::parse(&repo).is_ok_and(|name| {
                    super::access::allows(parts, crate::access::Action::Pull, name)
                });
                if allowed {
                    found.push(repo);
                    if found.len() == n {
                        break;
                    }
                }
            }
            let left_in_page = rest.next().is_some();
            if found.len() == n {
                return Ok((found, left_in_page || more));
            }
            if !more {
                return Ok((found, false));
            }
            cursor = Some(page_last);
        }
    }

    pub(super) async fn catalog(&self, parts: &Parts) -> Result<Response, ApiError> {
        let n = page_size(parts)?
            .unwrap_or(CATALOG_DEFAULT)
            .min(CATALOG_MAX);
        let last = query_param(parts, "last");
        let (repos, more) = if n == 0 {
            (Vec::new(), false)
        } else if super::access::has_policy(parts) {
            self.pullable_catalog(parts, n, last.as_deref()).await?
        } else {
            self.registry.catalog(n, last.as_deref()).await?
        };
        let body =
            serde_json::to_vec(&serde_json::json!({ "repositories": repos })).unwrap_or_default();
        let mut response = json_response(StatusCode::OK, body);
        if more {
            if let Some(last) = repos.last() {
                response
                    .headers_mut()
                    .insert(header::LINK, next_link("/v2/_catalog", last, n));
            }
        }
        Ok(response)
    }

    pub(super) async fn tags(&self, name: Name<'_>, parts: &Parts) -> Result<Response, ApiError> {
        let n = page_size(parts)?;
        let last = query_param(parts, "last");
        let (tags, more) = if n == Some(0) {
            // Still answers NAME_UNKNOWN for a repository that does not exist.
            self.registry.tags(name, Some(0), None).await?;
            (Vec::new(), false)
        } else {
            self.registry.tags(name, n, last.as_deref()).await?
        };
        let body = serde_json::to_vec(&serde_json::json!({ "name": name.as_str(), "tags": tags }))
            .unwrap_or_default();
        let mut response = json_response(StatusCode::OK, body);
        if let (true, Some(n), Some(last)) = (more, n, tags.last()) {
            let path = format!("/v2/{}/tags/list", name.as_str());
            response
                .headers_mut()
                .insert(header::LINK, next_link(&path, last, n));
        }
        Ok(response)
    }

    pub(super) async fn referrers(
        &self,
        name: Name<'_>,
        digest: &str,
        parts: &Parts,
    ) -> Result<Response, ApiError> {
        let subject = Digest::parse(digest).map_err(|e| digest_error(&e))?;
        let artifact_type = query_param(parts, "artifactType").filter(|t| !t.is_empty());
        let referrers = self
            .registry
            .referrers(name, subject, artifact_type.as_deref())
            .await?;
        let body = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": referrers,
        }))
        .unwrap_or_default();
        let mut response = json_response(StatusCode::OK, body);
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(OCI_INDEX));
        if artifact_type.is_some() {
            headers.insert(
                "oci-filters-applied",
                HeaderValue::from_static("artifactType"),
            );
        }
        Ok(response)
    }
}
