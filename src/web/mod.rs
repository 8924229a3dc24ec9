//! The web pages of `regctl serve` at `/`: repositories (searchable, paginated), a repository's
//! tags with platforms and sizes, a manifest's layers, config and referrers, the registry's
//! totals, and deleting tags and manifests after a confirmation step.
//!
//! Pages are rendered on the server from the registry core, the same [`Registry`] the API
//! serves, never through the API over HTTP. Assets are compiled into the binary and every
//! response carries a Content-Security-Policy that allows only this origin's own stylesheet and
//! script (no inline code, nothing from elsewhere), so injected markup cannot run.
//!
//! With `auth.htpasswd`, every page but the login form needs a session ([`session`]): the same
//! users and passwords as the API. Without it the pages are as open as the API is. What a user
//! may see or delete is decided by [`authz::allowed`] alone.

pub mod authz;
mod pages;
pub mod session;
mod view;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::digest::Digest;
use crate::oci::reference::{catalog_cmp, query_escape, Name, Tag};
use crate::registry::{Registry, RegistryError};
use crate::server::auth::{HtpasswdAuth, Verdict};
use authz::Action;
use pages::{Chrome, DeleteTarget, RegistryFacts, Sort, StorageFacts};
use session::{Sessions, CSRF_COOKIE, SESSION_COOKIE, SESSION_LIFETIME};

pub use view::{image_config, ImageConfig};

/// Every page's Content-Security-Policy: only this origin's stylesheet, script and icon; no
/// inline script or style, no frames, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";
const CSS_PATH: &str = "/-/static/app.css";
const JS_PATH: &str = "/-/static/app.js";
const ICON_PATH: &str = "/-/static/icon.svg";
const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");
const ICON: &str = include_str!("assets/icon.svg");
/// Repositories per page of the list.
pub const REPOSITORIES_PER_PAGE: usize = 50;
/// Tags per page of a repository.
pub const TAGS_PER_PAGE: usize = 1000;
/// How long the registry page reuses its gc dry run (a walk of the whole store).
const STORAGE_FACTS_TTL: Duration = Duration::from_secs(60);

/// What the pages need to know about the server they run in.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// `storage.delete.enabled`.
    pub delete_enabled: bool,
    /// `storage.maintenance.readonly.enabled`: no deletes either.
    pub readonly: bool,
    /// `auth.htpasswd` is set: every page but the login form needs a session. The shell hands
    /// the authenticator to the pages as a request extension (`Arc<HtpasswdAuth>`).
    pub login_required: bool,
    /// Served over TLS: cookies get `Secure`.
    pub secure_cookies: bool,
    /// `http.host`: the name clients pull from; else the request's `Host`.
    pub public_host: Option<String>,
    /// The store the registry serves (any backend), for the registry page's gc dry run.
    pub store: Option<crate::storage::settings::Store>,
    /// Where a delete's notification goes (the API's notifier), so webhooks see deletes made
    /// on the pages too.
    pub notifier: Option<Arc<crate::notify::Notifier>>,
}

struct Web {
    registry: Arc<Registry>,
    opts: WebOptions,
    sessions: Sessions,
    started: Instant,
    storage_facts: tokio::sync::Mutex<Option<(Instant, Result<StorageFacts, String>)>>,
}

/// Who is asking: the session's user (or nobody, without authentication) and the CSRF token
/// its forms carry.
#[derive(Debug, Clone)]
struct Viewer {
    user: Option<String>,
    csrf: String,
    /// The access policy in force when the request came (none without `auth.htpasswd.policy`).
    policy: Option<Arc<crate::access::watch::Snapshot>>,
}

impl Viewer {
    fn chrome(&self) -> Chrome<'_> {
        Chrome {
            user: self.user.as_deref(),
            csrf: &self.csrf,
        }
    }
    fn may(&self, repository: &str, action: Action) -> bool {
        authz::allowed(
            self.policy.as_deref(),
            self.user.as_deref(),
            repository,
            action,
        )
    }
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
enum WebError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("deletes are disabled on this registry (storage.delete.enabled is false, or it is read-only)")]
    DeletesDisabled,
    #[error("the registry could not read its storage: {0}")]
    Storage(RegistryError),
}

impl From<RegistryError> for WebError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::NameUnknown => Self::NotFound("No such repository.".into()),
            RegistryError::ManifestUnknown => Self::NotFound("No such tag or manifest.".into()),
            immutable @ RegistryError::TagImmutable { .. } => {
                Self::Forbidden(immutable.to_string())
            }
            other => Self::Storage(other),
        }
    }
}

impl WebError {
    fn status(&self) -> (StatusCode, &'static str) {
        match self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "Bad request"),
            Self::DeletesDisabled => (StatusCode::METHOD_NOT_ALLOWED, "Deletes are disabled"),
            Self::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Storage error"),
        }
    }
}

/// The pages as a router for `/`, `/-/...` and `/r/...`; the shell merges it with the API.
pub fn router(registry: Arc<Registry>, opts: WebOptions) -> Router {
    let web = Arc::new(Web {
        registry,
        opts,
        sessions: Sessions::default(),
        started: Instant::now(),
        storage_facts: tokio::sync::Mutex::new(None),
    });
    Router::new()
        .route("/", get(repositories))
        .route("/-/login", get(login_form).post(login))
        .route("/-/logout", post(logout))
        .route("/-/registry", get(registry_page))
        .route(
            CSS_PATH,
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            JS_PATH,
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(ICON_PATH, get(|| async { asset("image/svg+xml", ICON) }))
        .route("/r/{*rest}", get(repository_get).post(repository_post))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(web)
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages show live state and who is logged in: never from a cache.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn html(status: StatusCode, markup: &maud::Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.0.clone(),
    )
        .into_response()
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// Where a login may send the browser back to: a path on this site only.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

impl Web {
    /// The viewer, or `None` when a login is needed.
    fn viewer(&self, headers: &HeaderMap, auth: Option<&HtpasswdAuth>) -> Option<Viewer> {
        let policy = auth.and_then(HtpasswdAuth::policy);
        if !self.opts.login_required {
            return Some(Viewer {
                user: None,
                csrf: session::cookie(headers, CSRF_COOKIE)
                    .unwrap_or_default()
                    .to_owned(),
                policy,
            });
        }
        let token = session::cookie(headers, SESSION_COOKIE)?;
        let session = self.sessions.get(token)?;
        Some(Viewer {
            user: Some(session.user),
            csrf: session.csrf,
            policy,
        })
    }

    fn public_host(&self, headers: &HeaderMap) -> String {
        if let Some(host) = &self.opts.public_host {
            let host = host
                .strip_prefix("https://")
                .or_else(|| host.strip_prefix("http://"))
                .unwrap_or(host);
            return host.trim_end_matches('/').to_owned();
        }
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned()
    }

    fn deletes_enabled(&self) -> bool {
        self.opts.delete_enabled && !self.opts.readonly
    }

    fn error_page(&self, viewer: &Viewer, error: &WebError) -> Response {
        let (status, title) = error.status();
        if let WebError::Storage(e) = error {
            tracing::error!(error = %crate::report::error_chain(e), "web page: storage error");
        }
        html(
            status,
            &pages::error(viewer.chrome(), title, &error.to_string()),
        )
    }

    fn finish(&self, viewer: &Viewer, result: Result<Response, WebError>) -> Response {
        result.unwrap_or_else(|e| self.error_page(viewer, &e))
    }

    async fn storage_facts(&self) -> Result<StorageFacts, String> {
        let Some(store) = self.opts.store.clone() else {
            return Err("not measured: the pages were started without the store".to_owned());
        };
        let mut cached = self.storage_facts.lock().await;
        if let Some((at, facts)) = &*cached {
            if at.elapsed() < STORAGE_FACTS_TTL {
                return facts.clone();
            }
        }
        let options = crate::gc::Options {
            dry_run: true,
            ..crate::gc::Options::default()
        };
        let grace = options.grace;
        let facts = tokio::task::spawn_blocking(move || {
            crate::gc::collect(&store, &options, &mut crate::gc::Silent)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| crate::report::error_chain(&e)))
        .map(|report| StorageFacts {
            blob_bytes: report.bytes_scanned,
            blobs: report.blobs_scanned,
            reclaimable_bytes: report.bytes_reclaimed,
            reclaimable_blobs: report.blobs_removed.len(),
            measured: SystemTime::now(),
            grace,
        });
        *cached = Some((Instant::now(), facts.clone()));
        facts
    }
}

fn login_redirect(uri: &Uri) -> Response {
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    see_other(&format!("/-/login?next={}", query_escape(next)))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    q: Option<String>,
    after: Option<String>,
}

/// Whether the request's `Accept` names `text/html` (every browser's navigation does).
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/html"))
}

async fn repositories(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Arc<HtpasswdAuth>>>,
    Query(query): Query<ListQuery>,
) -> Response {
    if !wants_html(&headers) {
        // Load-balancer and Kubernetes probes, curl and scripts get registry:2's empty 200; only
        // a browser (which always asks for text/html) gets the page.
        return StatusCode::OK.into_response();
    }
    let Some(viewer) = web.viewer(&headers, auth.as_deref().map(AsRef::as_ref)) else {
        // `/` answers 200 whatever the login state: the form.
        return html(StatusCode::OK, &pages::login("/", None));
    };
    let result = async {
        // The names only (shared with the registry's catalog cache); rows are built for one page.
        let all = web.registry.repositories().await?;
        let needle = query.q.as_deref().unwrap_or("").trim().to_lowercase();
        let visible = all
            .iter()
            .filter(|r| viewer.may(r, Action::Pull))
            .collect::<Vec<_>>();
        let total = visible.len();
        let matching = visible
            .into_iter()
            .filter(|r| needle.is_empty() || r.contains(needle.as_str()))
            .collect::<Vec<_>>();
        let after = query.after.as_deref().filter(|a| !a.is_empty());
        let start = after.map_or(0, |a| {
            matching.partition_point(|r| catalog_cmp(r, a).is_le())
        });
        let page: Vec<String> = matching
            .iter()
            .skip(start)
            .take(REPOSITORIES_PER_PAGE)
            .map(|r| (*r).clone())
            .collect();
        let next = (start + page.len() < matching.len())
            .then(|| page.last().cloned())
            .flatten();
        let rows = view::repository_rows(&web.registry, page).await;
        let list = pages::RepositoryList {
            query: &needle,
            rows: &rows,
            total,
            matching: matching.len(),
            next: next.as_deref(),
            first_page: after.is_none(),
        };
        Ok(html(
            StatusCode::OK,
            &pages::repositories(viewer.chrome(), &list),
        ))
    }
    .await;
    web.finish(&viewer, result)
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Arc<HtpasswdAuth>>>,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if web
        .viewer(&headers, auth.as_deref().map(AsRef::as_ref))
        .is_some()
    {
        return see_other(&next);
    }
    html(StatusCode::OK, &pages::login(&next, None))
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Arc<HtpasswdAuth>>>,
    client: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    if !web.opts.login_required {
        return see_other(&next);
    }
    if !session::same_origin(&headers) {
        return html(
            StatusCode::FORBIDDEN,
            &pages::login(
                &next,
                Some("This login did not come from this site's form."),
            ),
        );
    }
    let Some(axum::Extension(auth)) = auth else {
        // Fail closed: login is required but the shell handed no authenticator.
        tracing::error!("web login: no htpasswd authenticator in the request");
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            &pages::login(&next, Some("Logins are not available: see the server log.")),
        );
    };
    let client = client.map(|axum::Extension(info)| info.0.ip());
    match auth
        .check(&form.user, form.password.as_bytes(), client)
        .await
    {
        Verdict::Valid => {
            let token = web.sessions.start(&form.user);
            tracing::info!(user = %form.user, "web login");
            let cookie = session::set_cookie(
                SESSION_COOKIE,
                &token,
                SESSION_LIFETIME,
                web.opts.secure_cookies,
            );
            let mut response = see_other(&next);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Verdict::Invalid => {
            tracing::debug!(user = %form.user, "web login failed");
            html(
                StatusCode::UNAUTHORIZED,
                &pages::login(&next, Some("Wrong user or password.")),
            )
        }
        Verdict::Busy => html(
            StatusCode::TOO_MANY_REQUESTS,
            &pages::login(
                &next,
                Some("Too many logins are being checked; try again in a moment."),
            ),
        ),
        Verdict::Limited(wait) => {
            let secs = crate::server::login_limit::retry_after_secs(wait);
            let mut response = html(
                StatusCode::TOO_MANY_REQUESTS,
                &pages::login(
                    &next,
                    Some(&format!(
                        "Too many failed logins for this user or from this address; try again in {secs} s."
                    )),
                ),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            response
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Arc<HtpasswdAuth>>>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let (Some(viewer), Some(token)) = (
        web.viewer(&headers, auth.as_deref().map(AsRef::as_ref)),
        session::cookie(&headers, SESSION_COOKIE),
    ) {
        let genuine = session::same_origin(&headers)
            && session::tokens_match(&viewer.csrf, form.csrf.as_deref().unwrap_or(""));
        if !genuine {
            return web.error_page(
                &viewer,
                &WebError::Forbidden("This logout did not come from this site's pages.".into()),
            );
        }
        web.sessions.end(token);
    }
    let mut response = see_other("/");
    let cookie = session::set_cookie(SESSION_COOKIE, "", Duration::ZERO, web.opts.secure_cookies);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn registry_page(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Arc<HtpasswdAuth>>>,
    uri: Uri,
) -> Response {
    let Some(viewer) = web.viewer(&headers, auth.as_deref().map(AsRef::as_ref)) else {
        return login_redirect(&uri);
    };
    let result = async {
        let (all, _) = web.registry.catalog(usize::MAX, None).await?;
        let repositories = all.iter().filter(|r| viewer.may(r, Action::Pull)).count();
        let facts = RegistryFacts {
            version: env!("CARGO_PKG_VERSION"),
            uptime: web.started.elapsed(),
            repositories,
            storage: web.storage_facts().await,
            delete_enabled: web.opts.delete_enabled,
            readonly: web.opts.readonly,
        };
        Ok(html(
            StatusCode::OK,
            &pages::registry(viewer.chrome(), &facts),
        ))
    }
    .await;
    web.finish(&viewer, result)
}

/// What a `/r/...` path names. Repository names never contain `/-/` (a component starts with a
/// letter or digit), so it separates the name from the page.
enum Target<'a> {
    Repository(Name<'a>),
    Manifest(Name<'a>, Digest),
    Delete(Name<'a>),
}

fn parse_target(rest: &str) -> Result<Target<'_>, WebError> {
    let unknown = || WebError::NotFound("No such page.".into());
    let (name, page) = match rest.split_once("/-/") {
        Some((name, page)) => (name, Some(page)),
        None => (rest.trim_end_matches('/'), None),
    };
    let name = Name::parse(name).map_err(|_| unknown())?;
    match page {
        None => Ok(Target::Repository(name)),
        Some("delete") => Ok(Target::Delete(name)),
        Some(page) => {
            let digest = page.strip_prefix("manifest/").ok_or_else(unknown)?;
            let digest = Digest::parse(digest).map_err(|_| unknown())?;
            Ok(Target::Manifest(name, digest))
        }
    }
}

#[derive(Debug, Deserialize)]
struct RepositoryQuery {
    sort: Option<String>,
    skip: Option<usize>,
    tag: Option<String>,
    digest: Option<String>,
}

async fn repository_get(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Arc<HtpasswdAuth>>>,
    uri: Uri,
    Path(rest): Path<String>,
    Query(query): Query<RepositoryQuery>,
) -> Response {
    let Some(mut viewer) = web.viewer(&headers, auth.as_deref().map(AsRef::as_ref)) else {
        return login_redirect(&uri);
    };
    let mut set_csrf = None;
    let result = async {
        let target = parse_target(&rest)?;
        let name = match &target {
            Target::Repository(n) | Target::Manifest(n, _) | Target::Delete(n) => *n,
        };
        if !viewer.may(name.as_str(), Action::Pull) {
            // Said as "not found": a repository one may not see does not exist for one.
            return Err(WebError::NotFound("No such repository.".into()));
        }
        match target {
            Target::Repository(name) => {
                repository_page(&web, &viewer, &headers, name, &query).await
            }
            Target::Manifest(name, digest) => {
                let view = view::manifest_view(&web.registry, name, digest).await?;
                let can_delete = web.deletes_enabled() && viewer.may(name.as_str(), Action::Delete);
                Ok(html(
                    StatusCode::OK,
                    &pages::manifest(
                        viewer.chrome(),
                        name.as_str(),
                        &view,
                        &web.public_host(&headers),
                        can_delete,
                    ),
                ))
            }
            Target::Delete(name) => {
                check_delete_allowed(&web, &viewer, name)?;
                if viewer.user.is_none() && viewer.csrf.is_empty() {
                    // No session: the form repeats a cookie set now (double submit).
                    let token = session::random_token();
                    viewer.csrf.clone_from(&token);
                    set_csrf = Some(token);
                }
                confirm_page(&web, &viewer, name, &query).await
            }
        }
    }
    .await;
    let mut response = web.finish(&viewer, result);
    if let Some(token) = set_csrf {
        let cookie = session::set_cookie(
            CSRF_COOKIE,
            &token,
            SESSION_LIFETIME,
            web.opts.secure_cookies,
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn repository_page(
    web: &Web,
    viewer: &Viewer,
    headers: &HeaderMap,
    name: Name<'_>,
    query: &RepositoryQuery,
) -> Result<Response, WebError> {
    let sort = Sort::parse(query.sort.as_deref());
    let mut tags = view::all_tags(&web.registry, name).await?;
    if sort == Sort::Pushed {
        let times = web.registry.tag_push_times(name, tags.clone()).await?;
        let mut timed: Vec<_> = tags.into_iter().zip(times).collect();
        // Newest first; equal times by name, so the order is stable across reloads.
        timed.sort_by(|(a, ta), (b, tb)| tb.cmp(ta).then_with(|| a.cmp(b)));
        tags = timed.into_iter().map(|(t, _)| t).collect();
    }
    let total_tags = tags.len();
    let skip = query.skip.unwrap_or(0).min(total_tags);
    let page: Vec<String> = tags.into_iter().skip(skip).take(TAGS_PER_PAGE).collect();
    let next = (skip + page.len() < total_tags).then_some(skip + page.len());
    let rows = view::tag_rows(&web.registry, name, page).await?;
    let public_host = web.public_host(headers);
    let repo = pages::RepositoryPage {
        name: name.as_str(),
        rows: &rows,
        sort,
        public_host: &public_host,
        can_delete: web.deletes_enabled() && viewer.may(name.as_str(), Action::Delete),
        total_tags,
        next,
    };
    Ok(html(
        StatusCode::OK,
        &pages::repository(viewer.chrome(), &repo),
    ))
}

fn check_delete_allowed(web: &Web, viewer: &Viewer, name: Name<'_>) -> Result<(), WebError> {
    if !web.deletes_enabled() {
        return Err(WebError::DeletesDisabled);
    }
    if !viewer.may(name.as_str(), Action::Delete) {
        return Err(WebError::Forbidden(format!(
            "{} may not delete in {}.",
            viewer.user.as_deref().unwrap_or("This user"),
            name.as_str()
        )));
    }
    Ok(())
}

async fn confirm_page(
    web: &Web,
    viewer: &Viewer,
    name: Name<'_>,
    query: &RepositoryQuery,
) -> Result<Response, WebError> {
    match (&query.tag, &query.digest) {
        (Some(tag), None) => {
            let tag =
                Tag::parse(tag).map_err(|_| WebError::BadRequest("Not a tag name.".into()))?;
            web.registry.resolve_tag(name, tag).await?;
            Ok(html(
                StatusCode::OK,
                &pages::confirm_delete(
                    viewer.chrome(),
                    name.as_str(),
                    DeleteTarget::Tag(tag.as_str()),
                    &[],
                ),
            ))
        }
        (None, Some(digest)) => {
            let digest =
                Digest::parse(digest).map_err(|_| WebError::BadRequest("Not a digest.".into()))?;
            let view = view::manifest_view(&web.registry, name, digest).await?;
            Ok(html(
                StatusCode::OK,
                &pages::confirm_delete(
                    viewer.chrome(),
                    name.as_str(),
                    DeleteTarget::Manifest(&digest),
                    &view.tags,
                ),
            ))
        }
        _ => Err(WebError::BadRequest(
            "Say which tag or digest to delete.".into(),
        )),
    }
}

/// What a delete on the pages removed.
enum DeletedTarget<'a> {
    Tag(&'a str),
    Manifest(&'a Digest),
}

impl Web {
    /// The delete notification registry:2 sends for the same API request: a tag delete names the
    /// tag, a manifest delete the digest. The request record is the form's POST.
    fn notify_delete(
        &self,
        viewer: &Viewer,
        name: Name<'_>,
        target: DeletedTarget<'_>,
        uri: &Uri,
        headers: &HeaderMap,
        remote: Option<std::net::SocketAddr>,
    ) {
        let Some(notifier) = self.opts.notifier.as_deref().filter(|n| n.is_listening()) else {
            return;
        };
        let mut event = crate::notify::Event::new(crate::notify::Action::Delete);
        event.request =
            crate::notify::RequestRecord::of(&axum::http::Method::POST, uri, headers, remote);
        if let Some(user) = &viewer.user {
            event.actor.name.clone_from(user);
        }
        event.target.repository = name.as_str().to_owned();
        match target {
            DeletedTarget::Tag(tag) => event.target.tag = tag.to_owned(),
            DeletedTarget::Manifest(digest) => event.target.digest = digest.as_str().to_owned(),
        }
        notifier.publish(event);
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    csrf: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
}

async fn repository_post(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Arc<HtpasswdAuth>>>,
    remote: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    uri: Uri,
    Path(rest): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Response {
    let Some(viewer) = web.viewer(&headers, auth.as_deref().map(AsRef::as_ref)) else {
        return login_redirect(&uri);
    };
    let remote = remote.as_deref().map(|c| c.0);
    // The manifest a tag delete removed the tag from, for the audit line.
    let mut untagged: Option<Digest> = None;
    let result = async {
        let Target::Delete(name) = parse_target(&rest)? else {
            return Err(WebError::NotFound("No such page.".into()));
        };
        if !viewer.may(name.as_str(), Action::Pull) {
            return Err(WebError::NotFound("No such repository.".into()));
        }
        check_delete_allowed(&web, &viewer, name)?;
        let genuine = session::same_origin(&headers)
            && session::tokens_match(&viewer.csrf, form.csrf.as_deref().unwrap_or(""));
        if !genuine {
            return Err(WebError::Forbidden(
                "This delete did not come from this site's confirmation page; open it again."
                    .into(),
            ));
        }
        match (&form.tag, &form.digest) {
            (Some(tag), None) => {
                let tag =
                    Tag::parse(tag).map_err(|_| WebError::BadRequest("Not a tag name.".into()))?;
                untagged = web.registry.resolve_tag(name, tag).await.ok();
                web.registry.delete_tag(name, tag).await?;
                web.notify_delete(
                    &viewer,
                    name,
                    DeletedTarget::Tag(tag.as_str()),
                    &uri,
                    &headers,
                    remote,
                );
            }
            (None, Some(digest)) => {
                let digest = Digest::parse(digest)
                    .map_err(|_| WebError::BadRequest("Not a digest.".into()))?;
                web.registry.delete_manifest(name, digest).await?;
                web.notify_delete(
                    &viewer,
                    name,
                    DeletedTarget::Manifest(&digest),
                    &uri,
                    &headers,
                    remote,
                );
            }
            _ => {
                return Err(WebError::BadRequest(
                    "Say which tag or digest to delete.".into(),
                ))
            }
        }
        Ok(see_other(&pages::repository_url(name.as_str())))
    }
    .await;
    audit_delete(&viewer, &rest, &form, untagged.as_ref(), remote, &result);
    web.finish(&viewer, result)
}

/// The audit line of a delete asked for on the pages, done or not (a refusal by permission,
/// immutable tag or disabled deletes included, as the API audits them). Its action and fields
/// are the API's (`untag`, `delete`), so the trail reads the same whichever way one deleted.
/// The pages are not under the API's audit middleware, so this is the one line per delete.
fn audit_delete(
    viewer: &Viewer,
    rest: &str,
    form: &DeleteForm,
    untagged: Option<&Digest>,
    remote: Option<std::net::SocketAddr>,
    result: &Result<Response, WebError>,
) {
    let Ok(Target::Delete(name)) = parse_target(rest) else {
        return;
    };
    let digest = form.digest.as_deref().and_then(|d| Digest::parse(d).ok());
    let (action, reference, digest) = match (&form.tag, &form.digest) {
        (Some(tag), None) => ("untag", tag.as_str(), untagged.copied()),
        (None, Some(text)) => ("delete", text.as_str(), digest),
        // Neither or both: not a delete anyone could have meant.
        _ => return,
    };
    let (status, error) = match result {
        Ok(response) => (response.status(), None),
        Err(e) => (e.status().0, Some(e.to_string())),
    };
    crate::audit::Entry {
        result: crate::audit::Outcome::of_status(status),
        status: Some(status.as_u16()),
        remote,
        reference,
        digest: digest.as_ref(),
        error: error.as_deref(),
        ..crate::audit::Entry::new(action, viewer.user.as_deref().unwrap_or("-"), name.as_str())
    }
    .emit();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_the_name_from_the_page() {
        assert!(matches!(parse_target("a/b"), Ok(Target::Repository(n)) if n.as_str() == "a/b"));
        assert!(matches!(parse_target("a/b/"), Ok(Target::Repository(n)) if n.as_str() == "a/b"));
        assert!(matches!(parse_target("a/-/delete"), Ok(Target::Delete(_))));
        let d = Digest::of(b"x");
        assert!(matches!(
            parse_target(&format!("a/b/-/manifest/{d}")),
            Ok(Target::Manifest(n, got)) if n.as_str() == "a/b" && got == d
        ));
        assert!(parse_target("A").is_err());
        assert!(parse_target("a/-/manifest/nope").is_err());
        assert!(parse_target("a/-/other").is_err());
    }

    #[test]
    fn logins_only_return_to_this_site() {
        assert_eq!(safe_next(Some("/r/a?sort=name")), "/r/a?sort=name");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
