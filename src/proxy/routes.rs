//! Which repositories are cached from which upstream: registry:2's single `proxy.remoteurl`
//! (every repository, pushes refused everywhere) or regctl's `proxy.upstreams`, a list of
//! `{prefix, remoteurl, username, password, ttl}`:
//!
//! ```yaml
//! proxy:
//!   upstreams:
//!     - prefix: docker.io/          # docker.io/nginx → Docker Hub's library/nginx
//!       remoteurl: https://registry-1.docker.io
//!     - prefix: ghcr.io/
//!       remoteurl: https://ghcr.io
//!       username: me
//!       password: ghp_...
//!       ttl: 10m
//! ```
//!
//! A repository belongs to the upstream with the longest prefix its name starts with and is
//! stored locally under its full name (`docker.io/nginx`), so the cache is ordinary registry:2
//! layout. The upstream is asked for the name without the prefix; one-component names under
//! `docker.io/` (or on Docker Hub's hosts) get Docker Hub's `library/`. Every repository no
//! prefix matches is local and takes pushes and deletes; a prefix `""` matches every repository
//! (what dockerd's `registry-mirrors` sends: `library/nginx`), leaving nothing local.
//!
//! This module is the one reader of both forms: `config validate` reports its problems and
//! `ServeSettings::from_config` refuses to start on them.

use std::sync::Arc;

use crate::config::schema;
use crate::oci::reference::Name;

use super::{Proxy, ProxyError, ProxySettings, UpstreamSettings};

/// The prefix whose one-component names are Docker Hub's official images (`library/`).
pub const DOCKER_HUB_PREFIX: &str = "docker.io/";

/// A `proxy` section that cannot be served, with the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// The upstreams `proxy` names (`None`: not a cache), or every problem with it.
///
/// # Errors
/// `remoteurl` together with `upstreams`, an entry without `remoteurl`, a prefix that is not
/// `""` or repository-name components each followed by `/`, a prefix listed twice, a URL that is
/// not `http(s)://HOST[:PORT]`, a negative `ttl`.
pub fn settings(proxy: &schema::Proxy) -> Result<Option<ProxySettings>, Vec<ConfigProblem>> {
    let mut problems = Vec::new();
    let mut problem = |key: String, message: String| problems.push(ConfigProblem { key, message });
    let ttl_of = |ttl: Option<crate::config::GoDuration>| ttl.map(|d| d.to_std());
    let mut upstreams = Vec::new();
    if !proxy.remoteurl.is_empty() {
        if !proxy.upstreams.is_empty() {
            problem(
                "proxy.upstreams".to_owned(),
                "cannot be combined with proxy.remoteurl: proxy.remoteurl caches every repository \
                 from one upstream (registry:2's proxy mode); to keep it, write it as an upstream \
                 with `prefix: \"\"`, or remove proxy.remoteurl"
                    .to_owned(),
            );
        }
        match ttl_of(proxy.ttl) {
            Some(None) => problem("proxy.ttl".to_owned(), "must not be negative".to_owned()),
            ttl => upstreams.push((
                "proxy.remoteurl".to_owned(),
                UpstreamSettings {
                    prefix: String::new(),
                    remote_url: proxy.remoteurl.clone(),
                    username: proxy.username.clone(),
                    password: proxy.password.clone(),
                    ttl: ttl.flatten().unwrap_or_default(),
                },
            )),
        }
    } else {
        for (i, entry) in proxy.upstreams.iter().enumerate() {
            let key = |field: &str| format!("proxy.upstreams[{i}].{field}");
            if entry.remoteurl.is_empty() {
                problem(
                    key("remoteurl"),
                    "is required: the upstream registry's URL, e.g. https://registry-1.docker.io"
                        .to_owned(),
                );
                continue;
            }
            if let Err(why) = check_prefix(&entry.prefix) {
                problem(key("prefix"), why);
                continue;
            }
            if proxy.upstreams[..i]
                .iter()
                .any(|earlier| earlier.prefix == entry.prefix)
            {
                problem(
                    key("prefix"),
                    format!(
                        "{:?} is listed twice; each prefix has one upstream",
                        entry.prefix
                    ),
                );
                continue;
            }
            let Some(ttl) = ttl_of(entry.ttl).map_or(Some(std::time::Duration::ZERO), |t| t) else {
                problem(key("ttl"), "must not be negative".to_owned());
                continue;
            };
            upstreams.push((
                key("remoteurl"),
                UpstreamSettings {
                    prefix: entry.prefix.clone(),
                    remote_url: entry.remoteurl.clone(),
                    username: entry.username.clone(),
                    password: entry.password.clone(),
                    ttl,
                },
            ));
        }
    }
    for (key, upstream) in &upstreams {
        if let Err(ProxyError::InvalidRemoteUrl { reason, .. }) = Proxy::new(upstream) {
            problem(
                key.clone(),
                format!("`{}` is not usable: {reason}", upstream.remote_url),
            );
        }
    }
    let budget = budget(proxy, !upstreams.is_empty(), &mut problem);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok((!upstreams.is_empty()).then(|| ProxySettings {
        upstreams: upstreams.into_iter().map(|(_, u)| u).collect(),
        budget,
    }))
}

/// `proxy.cachebudget` (`50GiB`, `500MB`, `1073741824`) and `proxy.evictinterval`.
fn budget(
    proxy: &schema::Proxy,
    caching: bool,
    problem: &mut impl FnMut(String, String),
) -> Option<super::evict::Budget> {
    let every = match proxy.evictinterval.map(crate::config::GoDuration::to_std) {
        None => Some(super::evict::DEFAULT_INTERVAL),
        Some(Some(d)) if d >= std::time::Duration::from_secs(1) => Some(d),
        Some(_) => {
            problem(
                "proxy.evictinterval".to_owned(),
                "must be at least 1s (e.g. 1h)".to_owned(),
            );
            None
        }
    };
    if proxy.cachebudget.is_empty() {
        if proxy.evictinterval.is_some() {
            problem(
                "proxy.evictinterval".to_owned(),
                "has no effect without proxy.cachebudget: set a budget (e.g. `cachebudget:                  50GiB`) or remove it"
                    .to_owned(),
            );
        }
        return None;
    }
    if !caching {
        problem(
            "proxy.cachebudget".to_owned(),
            "needs proxy.remoteurl or proxy.upstreams: a budget limits cached content".to_owned(),
        );
        return None;
    }
    let max_bytes = match proxy.cachebudget.trim().parse::<bytesize::ByteSize>() {
        Ok(size) if size.as_u64() > 0 => size.as_u64(),
        _ => {
            problem(
                "proxy.cachebudget".to_owned(),
                format!(
                    "{:?} is not a size: use bytes or a number with a unit, e.g. 50GiB or 500MB",
                    proxy.cachebudget
                ),
            );
            return None;
        }
    };
    Some(super::evict::Budget {
        max_bytes,
        every: every?,
    })
}

/// `""`, or name components (the repository-name grammar) each followed by `/`.
fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Ok(());
    }
    let Some(path) = prefix.strip_suffix('/') else {
        return Err(format!(
            "{prefix:?} must end with `/` (a prefix is whole name components, e.g. `docker.io/`), \
             or be \"\" for every repository"
        ));
    };
    Name::parse(path)
        .map(|_| ())
        .map_err(|e| format!("{prefix:?} is not repository-name components followed by `/`: {e}"))
}

/// The upstreams of a running server, longest prefix first.
#[derive(Debug)]
pub struct Upstreams {
    routes: Vec<Arc<Proxy>>,
}

impl Upstreams {
    /// # Errors
    /// A `remoteurl` that is not `http(s)://HOST[:PORT]` (already reported by [`settings`]).
    pub fn new(settings: &ProxySettings) -> Result<Self, ProxyError> {
        let mut routes = settings
            .upstreams
            .iter()
            .map(|upstream| Proxy::new(upstream).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        routes.sort_by_key(|proxy| std::cmp::Reverse(proxy.prefix().len()));
        Ok(Self { routes })
    }

    /// The upstream that caches `name`; `None` for a local repository.
    #[must_use]
    pub fn for_repository(&self, name: Name<'_>) -> Option<&Arc<Proxy>> {
        self.routes
            .iter()
            .find(|proxy| name.as_str().starts_with(proxy.prefix()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy_section(yaml: &str) -> schema::Proxy {
        let text =
            format!("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /r\nproxy:\n{yaml}");
        crate::config::load_str(&text, &[]).unwrap().config.proxy
    }

    fn keys(problems: Vec<ConfigProblem>) -> Vec<String> {
        problems.into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn remoteurl_is_one_upstream_for_every_repository() {
        let proxy = proxy_section("  remoteurl: https://registry-1.docker.io\n  ttl: 1h\n");
        let one = settings(&proxy).unwrap().unwrap();
        assert_eq!(one.upstreams.len(), 1);
        assert_eq!(one.upstreams[0].prefix, "");
        assert_eq!(one.upstreams[0].ttl.as_secs(), 3600);
        assert!(settings(&schema::Proxy::default()).unwrap().is_none());
    }

    #[test]
    fn longest_prefix_wins_and_the_rest_is_local() {
        let proxy = proxy_section(
            "  upstreams:\n    - prefix: docker.io/\n      remoteurl: http://127.0.0.1:1\n\
             \x20   - prefix: docker.io/bitnami/\n      remoteurl: http://127.0.0.1:2\n      \
             username: u\n      password: p\n      ttl: 5m\n",
        );
        let upstreams = Upstreams::new(&settings(&proxy).unwrap().unwrap()).unwrap();
        let route = |name: &str| {
            upstreams
                .for_repository(Name::parse(name).unwrap())
                .map(|p| p.remote_url().to_owned())
        };
        assert_eq!(
            route("docker.io/nginx").as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(
            route("docker.io/bitnami/redis").as_deref(),
            Some("http://127.0.0.1:2")
        );
        assert_eq!(route("docker.io"), None);
        assert_eq!(route("team/app"), None);
        assert_eq!(route("docker.iox/app"), None);
        let hub = upstreams
            .for_repository(Name::parse("docker.io/nginx").unwrap())
            .unwrap();
        assert_eq!(
            hub.upstream_repo(Name::parse("docker.io/nginx").unwrap()),
            "library/nginx"
        );
        assert_eq!(
            hub.upstream_repo(Name::parse("docker.io/me/app").unwrap()),
            "me/app"
        );
    }

    #[test]
    fn upstreams_come_from_registry_variables_too() {
        let env: Vec<(String, String)> = [
            ("REGISTRY_PROXY_UPSTREAMS_0_PREFIX", "docker.io/"),
            (
                "REGISTRY_PROXY_UPSTREAMS_0_REMOTEURL",
                "https://registry-1.docker.io",
            ),
            ("REGISTRY_PROXY_UPSTREAMS_0_TTL", "2m"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let text = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /r\n";
        let proxy = crate::config::load_str(text, &env).unwrap().config.proxy;
        let upstreams = settings(&proxy).unwrap().unwrap().upstreams;
        assert_eq!(upstreams.len(), 1);
        assert_eq!(upstreams[0].prefix, "docker.io/");
        assert_eq!(upstreams[0].ttl.as_secs(), 120);
    }

    #[test]
    fn problems_name_their_keys() {
        let both = proxy_section(
            "  remoteurl: https://r\n  upstreams:\n    - prefix: a/\n      remoteurl: https://a\n",
        );
        assert_eq!(keys(settings(&both).unwrap_err()), ["proxy.upstreams"]);
        let bad = proxy_section(
            "  upstreams:\n    - prefix: a\n      remoteurl: https://a\n    - prefix: B/\n      \
             remoteurl: https://b\n    - prefix: c/\n    - prefix: d/\n      remoteurl: ftp://d\n\
             \x20   - prefix: e/\n      remoteurl: https://e\n    - prefix: e/\n      \
             remoteurl: https://e2\n",
        );
        assert_eq!(
            keys(settings(&bad).unwrap_err()),
            [
                "proxy.upstreams[0].prefix",
                "proxy.upstreams[1].prefix",
                "proxy.upstreams[2].remoteurl",
                "proxy.upstreams[5].prefix",
                "proxy.upstreams[3].remoteurl",
            ]
        );
    }
}
