//! The HTML of every page (maud: compiled templates, every interpolation escaped).
//!
//! Pages are plain documents that work without JavaScript; `app.js` only adds copy buttons and
//! the `/` shortcut to the search box. Every link is a shareable URL: sort order, search and
//! page position live in the query string.

use std::time::{Duration, SystemTime};

use maud::{html, Markup, DOCTYPE};

use super::view::{ImageSize, ManifestView, PlatformRow, RepositoryRow, TagRow};
use crate::digest::Digest;
use crate::oci::display::{short_digest, short_media_type};
use crate::oci::reference::query_escape;

/// Who is looking, for the header and the forms.
#[derive(Debug, Clone, Copy)]
pub struct Chrome<'a> {
    /// The logged-in user; `None` without authentication.
    pub user: Option<&'a str>,
    /// The token state-changing forms carry.
    pub csrf: &'a str,
}

/// How the tag table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest push first (the default).
    Pushed,
    /// By name.
    Name,
}

impl Sort {
    #[must_use]
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("name") => Self::Name,
            _ => Self::Pushed,
        }
    }
    fn as_query(self) -> &'static str {
        match self {
            Self::Pushed => "pushed",
            Self::Name => "name",
        }
    }
}

#[must_use]
pub fn repository_url(name: &str) -> String {
    format!("/r/{name}")
}

#[must_use]
pub fn manifest_url(name: &str, digest: &Digest) -> String {
    format!("/r/{name}/-/manifest/{digest}")
}

fn delete_url(name: &str, what: &DeleteTarget<'_>) -> String {
    match what {
        DeleteTarget::Tag(tag) => format!("/r/{name}/-/delete?tag={}", query_escape(tag)),
        DeleteTarget::Manifest(digest) => format!("/r/{name}/-/delete?digest={digest}"),
    }
}

/// What a delete removes.
#[derive(Debug, Clone, Copy)]
pub enum DeleteTarget<'a> {
    Tag(&'a str),
    Manifest(&'a Digest),
}

/// `1.2 MB`.
fn size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).to_string()
}

/// A `<time>` element: UTC to the minute, RFC 3339 in `datetime`.
fn time(at: Option<SystemTime>) -> Markup {
    let Some(at) = at else {
        return html! { span.muted { "-" } };
    };
    let at = time::OffsetDateTime::from(at);
    let machine = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let human = at
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();
    html! { time datetime=(machine) { (human) } }
}

/// A value with a copy button (the button appears only with JavaScript).
fn copyable(text: &str, shown: &str, label: &str) -> Markup {
    html! {
        span.copyable {
            code title=(text) { (shown) }
            button.copy type="button" data-copy=(text) aria-label=(label) hidden { "Copy" }
        }
    }
}

/// The document around every page.
#[must_use]
pub fn page(title: &str, chrome: Chrome<'_>, main: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · regctl" }
                link rel="stylesheet" href=(super::CSS_PATH);
                link rel="icon" href=(super::ICON_PATH) type="image/svg+xml";
                script src=(super::JS_PATH) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "regctl" }
                    nav aria-label="Main" {
                        a href="/" { "Repositories" }
                        a href="/-/registry" { "Registry" }
                    }
                    @if let Some(user) = chrome.user {
                        form.logout method="post" action="/-/logout" {
                            span.muted { "Signed in as " strong { (user) } }
                            input type="hidden" name="csrf" value=(chrome.csrf);
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main id="main" { (main) }
            }
        }
    }
}

/// The login form; `problem` is shown above it.
#[must_use]
pub fn login(next: &str, problem: Option<&str>) -> Markup {
    let main = html! {
        section.login {
            h1 { "Log in" }
            p.muted { "Use the registry's user and password (the same as for docker login)." }
            @if let Some(problem) = problem {
                p.problem role="alert" { (problem) }
            }
            form method="post" action="/-/login" {
                input type="hidden" name="next" value=(next);
                label for="user" { "User" }
                input id="user" name="user" type="text" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Log in" }
            }
        }
    };
    page(
        "Log in",
        Chrome {
            user: None,
            csrf: "",
        },
        &main,
    )
}

/// The repository list page.
#[derive(Debug)]
pub struct RepositoryList<'a> {
    pub query: &'a str,
    pub rows: &'a [RepositoryRow],
    /// Repositories the user may see.
    pub total: usize,
    /// Of those, matching the query.
    pub matching: usize,
    /// The `after` cursor of the next page.
    pub next: Option<&'a str>,
    pub first_page: bool,
}

#[must_use]
pub fn repositories(chrome: Chrome<'_>, list: &RepositoryList<'_>) -> Markup {
    let main = html! {
        h1 { "Repositories" }
        form.search method="get" action="/" role="search" {
            label for="q" { "Search repositories" }
            input id="q" name="q" type="search" value=(list.query) placeholder="name contains… (press /)";
            button type="submit" { "Search" }
        }
        p.muted {
            @if list.query.is_empty() {
                (list.total) " repositories"
            } @else {
                (list.matching) " of " (list.total) " repositories match “" (list.query) "”"
            }
        }
        @if list.rows.is_empty() {
            p.empty { "No repository to show." }
        } @else {
            div.scroll {
                table {
                    thead { tr { th scope="col" { "Repository" } th.num scope="col" { "Tags" } th.num scope="col" { "Size" } th scope="col" { "Last push" } } }
                    tbody {
                        @for row in list.rows {
                            tr {
                                td { a href=(repository_url(&row.name)) { (row.name) } }
                                td.num { (row.tags) }
                                td.num { (size(row.size)) }
                                td { (time(row.changed)) }
                            }
                        }
                    }
                }
            }
        }
        nav.pages aria-label="Pages" {
            @if !list.first_page {
                a href=(format!("/?q={}", query_escape(list.query))) { "← First page" }
            }
            @if let Some(next) = list.next {
                a rel="next" href=(format!("/?q={}&after={}", query_escape(list.query), query_escape(next))) { "Next page →" }
            }
        }
    };
    page("Repositories", chrome, &main)
}

/// The repository page.
#[derive(Debug)]
pub struct RepositoryPage<'a> {
    pub name: &'a str,
    pub rows: &'a [TagRow],
    pub sort: Sort,
    /// `host[:port]` clients pull from.
    pub public_host: &'a str,
    pub can_delete: bool,
    pub total_tags: usize,
    /// The `after` cursor of the next page of tags.
    pub next: Option<usize>,
}

fn platform_list(name: &str, platforms: &[PlatformRow]) -> Markup {
    html! {
        ul.platforms {
            @for p in platforms {
                li {
                    a href=(manifest_url(name, &p.digest)) {
                        @if p.attestation { span.muted { "attestation" } } @else { (p.platform) }
                    }
                    @if let Some(bytes) = p.size { " " span.muted { (size(bytes)) } }
                }
            }
        }
    }
}

fn size_cell(image: ImageSize, platforms: usize) -> Markup {
    match image {
        ImageSize::Image(bytes) => html! { (size(bytes)) },
        ImageSize::Index => html! { (platforms) " platforms" },
        ImageSize::Unknown => html! { span.muted { "-" } },
    }
}

#[must_use]
pub fn repository(chrome: Chrome<'_>, repo: &RepositoryPage<'_>) -> Markup {
    let name = repo.name;
    let reference = format!("{}/{name}", repo.public_host);
    let first = repo.rows.first();
    let sort_link = |sort: Sort, label: &str| {
        html! {
            @if repo.sort == sort {
                strong aria-current="true" { (label) }
            } @else {
                a href=(format!("{}?sort={}", repository_url(name), sort.as_query())) { (label) }
            }
        }
    };
    let main = html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/" { "Repositories" } " / " }
        h1 { (name) }
        @if let Some(first) = first {
            section.pull aria-label="Pull commands" {
                p { "Pull " (if repo.sort == Sort::Pushed { "the newest tag" } else { "the first tag" }) ":" }
                p { (copyable(&format!("docker pull {reference}:{}", first.tag), &format!("docker pull {reference}:{}", first.tag), "Copy the docker pull command")) }
                p { (copyable(&format!("podman pull {reference}:{}", first.tag), &format!("podman pull {reference}:{}", first.tag), "Copy the podman pull command")) }
            }
        }
        p.muted {
            (repo.total_tags) (if repo.total_tags == 1 { " tag" } else { " tags" }) " · sort by " (sort_link(Sort::Pushed, "push time")) " or " (sort_link(Sort::Name, "name"))
        }
        @if repo.rows.is_empty() {
            p.empty { "This repository has no tags." }
        } @else {
            div.scroll {
                table.tags {
                    thead { tr {
                        th scope="col" { "Tag" } th scope="col" { "Digest" } th scope="col" { "Type" }
                        th scope="col" { "Platforms" } th.num scope="col" { "Size" } th scope="col" { "Pushed" }
                        th scope="col" { "Pull" }
                        @if repo.can_delete { th scope="col" { span.sr { "Actions" } } }
                    } }
                    tbody {
                        @for row in repo.rows {
                            tr {
                                th scope="row" { a href=(manifest_url(name, &row.digest)) { (row.tag) } }
                                td { (copyable(row.digest.as_str(), &short_digest(row.digest.as_str(), false), "Copy the digest")) }
                                td title=(row.media_type) { (short_media_type(&row.media_type, false)) }
                                td {
                                    @if row.platforms.is_empty() { span.muted { "-" } } @else { (platform_list(name, &row.platforms)) }
                                }
                                td.num { (size_cell(row.size, row.platforms.iter().filter(|p| !p.attestation).count())) }
                                td { (time(row.pushed)) }
                                td { button.copy type="button" data-copy=(format!("docker pull {reference}:{}", row.tag)) aria-label=(format!("Copy docker pull {reference}:{}", row.tag)) hidden { "Copy" } noscript { code { "docker pull " (reference) ":" (row.tag) } } }
                                @if repo.can_delete {
                                    td { a.danger href=(delete_url(name, &DeleteTarget::Tag(&row.tag))) { "Delete…" } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(next) = repo.next {
            nav.pages aria-label="Pages" {
                a rel="next" href=(format!("{}?sort={}&skip={next}", repository_url(name), repo.sort.as_query())) { "More tags →" }
            }
        }
    };
    page(name, chrome, &main)
}

fn descriptor_rows(descriptors: &[crate::oci::manifest::Descriptor]) -> Markup {
    html! {
        @for (index, d) in descriptors.iter().enumerate() {
            tr {
                td.num { (index + 1) }
                td { (copyable(d.digest.as_str(), &short_digest(d.digest.as_str(), false), "Copy the digest")) }
                td title=(d.media_type) { (short_media_type(&d.media_type, false)) }
                td.num { (size(d.size)) }
            }
        }
        @if descriptors.is_empty() { tr { td colspan="4" { span.muted { "none" } } } }
    }
}

/// The manifest page.
#[must_use]
pub fn manifest(
    chrome: Chrome<'_>,
    name: &str,
    view: &ManifestView,
    public_host: &str,
    can_delete: bool,
) -> Markup {
    let m = &view.manifest;
    let pull = format!("docker pull {public_host}/{name}@{}", m.digest);
    let main = html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/" { "Repositories" } " / " a href=(repository_url(name)) { (name) } " /" }
        h1 { (name) "@" (short_digest(m.digest.as_str(), false)) }
        dl.facts {
            dt { "Digest" } dd { (copyable(m.digest.as_str(), m.digest.as_str(), "Copy the digest")) }
            dt { "Media type" } dd { code { (m.media_type) } }
            dt { "Tags" } dd {
                @if view.tags.is_empty() { span.muted { "untagged" } }
                @for tag in &view.tags { code.tag { (tag) } " " }
            }
            dt { "Size" } dd {
                @match view.size {
                    ImageSize::Image(bytes) => { (size(bytes)) " (config + layers; manifest " (size(m.bytes.len() as u64)) ")" },
                    ImageSize::Index => { (view.platforms.len()) " entries (manifest " (size(m.bytes.len() as u64)) ")" },
                    ImageSize::Unknown => { "manifest " (size(m.bytes.len() as u64)) },
                }
            }
            dt { "Pull" } dd { (copyable(&pull, &pull, "Copy the docker pull command")) }
            @if let Some(subject) = &view.subject {
                dt { "Refers to" } dd { a href=(manifest_url(name, &subject.digest)) { code { (short_digest(subject.digest.as_str(), false)) } } }
            }
        }
        @if !view.platforms.is_empty() {
            h2 { "Platforms" }
            div.scroll { table {
                thead { tr { th scope="col" { "Platform" } th scope="col" { "Digest" } th scope="col" { "Type" } th.num scope="col" { "Size" } } }
                tbody { @for p in &view.platforms { tr {
                    td { @if p.attestation { "attestation" } @else { (p.platform) } }
                    td { a href=(manifest_url(name, &p.digest)) { code { (short_digest(p.digest.as_str(), false)) } } }
                    td title=(p.media_type) { (short_media_type(&p.media_type, false)) }
                    td.num { @if let Some(bytes) = p.size { (size(bytes)) } @else { span.muted { "-" } } }
                } } }
            } }
        }
        @if let Some(config) = &view.config {
            h2 { "Config" }
            dl.facts {
                dt { "Digest" } dd { (copyable(config.digest.as_str(), &short_digest(config.digest.as_str(), false), "Copy the config digest")) }
                dt { "Media type" } dd { code { (config.media_type) } }
                @if let Some(fields) = &view.config_fields {
                    @if let Some(platform) = &fields.os_arch { dt { "Platform" } dd { (platform) } }
                    @if let Some(created) = &fields.created { dt { "Created" } dd { (created) } }
                    @if let Some(user) = &fields.user { dt { "User" } dd { code { (user) } } }
                    @if let Some(dir) = &fields.working_dir { dt { "Working directory" } dd { code { (dir) } } }
                    @if !fields.entrypoint.is_empty() { dt { "Entrypoint" } dd { code { (fields.entrypoint.join(" ")) } } }
                    @if !fields.cmd.is_empty() { dt { "Command" } dd { code { (fields.cmd.join(" ")) } } }
                    @if !fields.env.is_empty() { dt { "Environment" } dd { ul.plain { @for e in &fields.env { li { code { (e) } } } } } }
                    @if !fields.labels.is_empty() { dt { "Labels" } dd { ul.plain { @for (k, v) in &fields.labels { li { code { (k) "=" (v) } } } } } }
                }
            }
            @if let Some(fields) = &view.config_fields {
                @if !fields.history.is_empty() {
                    h2 { "History" }
                    div.scroll { table {
                        thead { tr { th scope="col" { "Created" } th scope="col" { "Step" } th scope="col" { "Layer" } } }
                        tbody { @for (created, by, empty) in &fields.history { tr {
                            td { (created) } td { code.wrap { (by) } } td { @if *empty { span.muted { "none" } } @else { "yes" } }
                        } } }
                    } }
                }
            }
            h2 { "Layers" }
            div.scroll { table {
                thead { tr { th.num scope="col" { "#" } th scope="col" { "Digest" } th scope="col" { "Type" } th.num scope="col" { "Size" } } }
                tbody { (descriptor_rows(&view.layers)) }
            } }
        }
        h2 { "Referrers" }
        @if view.referrers.is_empty() {
            p.muted { "No signatures, SBOMs or attestations refer to this manifest." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { "Artifact type" } th scope="col" { "Digest" } th scope="col" { "Type" } th.num scope="col" { "Size" } } }
                tbody { @for r in &view.referrers { tr {
                    td { code { (r.artifact_type.as_deref().unwrap_or("-")) } }
                    td { a href=(manifest_url(name, &r.digest)) { code { (short_digest(r.digest.as_str(), false)) } } }
                    td title=(r.media_type) { (short_media_type(&r.media_type, false)) }
                    td.num { (size(r.size)) }
                } } }
            } }
        }
        @if can_delete {
            p { a.danger href=(delete_url(name, &DeleteTarget::Manifest(&m.digest))) { "Delete this manifest…" } }
        }
    };
    page(
        &format!("{name}@{}", short_digest(m.digest.as_str(), false)),
        chrome,
        &main,
    )
}

/// The confirmation step before a delete.
#[must_use]
pub fn confirm_delete(
    chrome: Chrome<'_>,
    name: &str,
    target: DeleteTarget<'_>,
    also_tags: &[String],
) -> Markup {
    let (what, hidden_name, hidden_value, explanation) = match target {
        DeleteTarget::Tag(tag) => (
            format!("tag {tag}"),
            "tag",
            tag.to_owned(),
            "The tag goes; the manifest and its other tags stay until garbage collection."
                .to_owned(),
        ),
        DeleteTarget::Manifest(digest) => (
            format!("manifest {}", short_digest(digest.as_str(), false)),
            "digest",
            digest.to_string(),
            if also_tags.is_empty() {
                "No tag points at it.".to_owned()
            } else {
                format!(
                    "These tags point at it and go with it: {}.",
                    also_tags.join(", ")
                )
            },
        ),
    };
    let main = html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/" { "Repositories" } " / " a href=(repository_url(name)) { (name) } " /" }
        h1 { "Delete " (what) " of " (name) "?" }
        p { (explanation) }
        form.confirm method="post" action=(format!("/r/{name}/-/delete")) {
            input type="hidden" name="csrf" value=(chrome.csrf);
            input type="hidden" name=(hidden_name) value=(hidden_value);
            button.danger type="submit" autofocus { "Delete " (what) }
            " "
            a href=(repository_url(name)) { "Cancel" }
        }
    };
    page(&format!("Delete {what}"), chrome, &main)
}

/// The registry page's numbers.
#[derive(Debug, Clone)]
pub struct RegistryFacts {
    pub version: &'static str,
    pub uptime: Duration,
    pub repositories: usize,
    /// From a gc dry run: blob bytes stored, and what gc would reclaim; `Err` says why not.
    pub storage: Result<StorageFacts, String>,
    pub delete_enabled: bool,
    pub readonly: bool,
}

/// Storage totals from a gc dry run.
#[derive(Debug, Clone)]
pub struct StorageFacts {
    pub blob_bytes: u64,
    pub blobs: usize,
    pub reclaimable_bytes: u64,
    pub reclaimable_blobs: usize,
    pub measured: SystemTime,
    pub grace: Duration,
}

#[must_use]
pub fn registry(chrome: Chrome<'_>, facts: &RegistryFacts) -> Markup {
    let uptime =
        humantime::format_duration(Duration::from_secs(facts.uptime.as_secs())).to_string();
    let main = html! {
        h1 { "Registry" }
        dl.facts {
            dt { "Version" } dd { "regctl " (facts.version) }
            dt { "Uptime" } dd { (uptime) }
            dt { "Repositories" } dd { (facts.repositories) }
            dt { "Deletes" } dd { @if facts.readonly { "off (read-only mode)" } @else if facts.delete_enabled { "enabled" } @else { "disabled (storage.delete.enabled)" } }
            @match &facts.storage {
                Ok(s) => {
                    dt { "Storage used" } dd { (size(s.blob_bytes)) " in " (s.blobs) " blobs" }
                    dt { "gc would reclaim" } dd {
                        (size(s.reclaimable_bytes)) " in " (s.reclaimable_blobs) " blobs "
                        span.muted { "(regctl gc --dry-run, grace " (humantime::format_duration(s.grace)) ", measured " (time(Some(s.measured))) ")" }
                    }
                }
                Err(why) => { dt { "Storage" } dd { (why) } }
            }
        }
    };
    page("Registry", chrome, &main)
}

/// An error page.
#[must_use]
pub fn error(chrome: Chrome<'_>, title: &str, message: &str) -> Markup {
    let main = html! {
        h1 { (title) }
        p { (message) }
        p { a href="/" { "Back to the repositories" } }
    };
    page(title, chrome, &main)
}
