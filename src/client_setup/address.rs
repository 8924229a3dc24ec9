//! `HOST:PORT` as docker, containerd and podman spell a registry: a hostname, an IPv4 address or a
//! bracketed IPv6 address, then a port. Validated once here so every file name and config value
//! built from it is safe (no `/`, quotes, whitespace or control characters can reach a path or TOML).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why a `HOST:PORT` argument was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid registry address `{input}`: {reason} (expected HOST:PORT, e.g. registry.example.com:5000, 192.168.0.106:5000 or [fd00::1]:5000)")]
pub struct AddressError {
    pub input: String,
    pub reason: String,
}

/// Why a `--mirror` URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid mirror URL `{input}`: {reason} (expected http(s)://HOST:PORT for a Docker Hub mirror, or http(s)://HOST:PORT/REGISTRY for a mirror of REGISTRY, e.g. http://192.168.0.106:5000 or http://192.168.0.106:5000/ghcr.io)")]
pub struct MirrorUrlError {
    pub input: String,
    pub reason: String,
}

/// The host part of a registry address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryHost {
    Name(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

/// A validated registry address; `Display` gives the canonical `HOST:PORT` (IPv6 in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryAddr {
    pub host: RegistryHost,
    pub port: u16,
}

impl RegistryAddr {
    /// A name usable as one path component on any filesystem: only `[A-Za-z0-9.-]` survive, the
    /// rest (`:`, brackets) become `_`, e.g. `registry.local_5000`. Distinct addresses keep distinct
    /// stems: hostnames and IPv4 addresses give exactly one `_`, IPv6 addresses always give `__`.
    #[must_use]
    pub fn file_stem(&self) -> String {
        self.to_string()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
            .trim_start_matches('_')
            .to_owned()
    }
}

impl fmt::Display for RegistryAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            RegistryHost::Name(name) => write!(f, "{name}:{}", self.port),
            RegistryHost::V4(ip) => write!(f, "{ip}:{}", self.port),
            RegistryHost::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

impl FromStr for RegistryAddr {
    type Err = AddressError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| AddressError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        if input.is_empty() {
            return Err(fail("it is empty"));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail("it contains whitespace or control characters"));
        }
        if input.contains("://") {
            return Err(fail(
                "give the address without a scheme (http:// or https://); plain HTTP or TLS is chosen by --ca-file",
            ));
        }
        if input.contains('/') {
            return Err(fail("give only the host and port, without a path"));
        }
        let (host, port) = if let Some(rest) = input.strip_prefix('[') {
            let (ip, after) = rest
                .split_once(']')
                .ok_or_else(|| fail("the IPv6 address has no closing `]`"))?;
            let ip = Ipv6Addr::from_str(ip).map_err(|_| fail("not a valid IPv6 address"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| fail("the port is missing after the IPv6 address"))?;
            (RegistryHost::V6(ip), port)
        } else {
            let (host, port) = input
                .rsplit_once(':')
                .ok_or_else(|| fail("the port is missing"))?;
            if host.contains(':') {
                return Err(fail(
                    "write an IPv6 address in brackets, e.g. [fd00::1]:5000",
                ));
            }
            (parse_host(host).map_err(|reason| fail(&reason))?, port)
        };
        let port = match port.parse::<u16>() {
            Ok(0) | Err(_) => return Err(fail("the port must be a number from 1 to 65535")),
            Ok(port) => port,
        };
        Ok(Self { host, port })
    }
}

/// The registry a mirror without a path stands in for (dockerd's `registry-mirrors`).
pub const DOCKER_HUB: &str = "docker.io";

/// A registry mirror: `http://` or `https://`, then `HOST:PORT`, then optionally `/REGISTRY`.
/// Without a path it is a transparent Docker Hub mirror, as dockerd's `registry-mirrors` takes it
/// (dockerd refuses a path, query or credentials there). With `/REGISTRY` (e.g. `/ghcr.io`) it
/// mirrors that registry under the repository prefix `REGISTRY/`, as regctl's
/// `proxy.upstreams` serves it: `ghcr.io/owner/image` is `HOST:PORT/ghcr.io/owner/image`.
/// `Display` gives the URL back in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorUrl {
    /// `https://`; a plain `http://` mirror otherwise.
    pub tls: bool,
    pub addr: RegistryAddr,
    /// The mirrored registry's host when the URL has a path (`ghcr.io`).
    pub namespace: Option<String>,
}

impl MirrorUrl {
    #[must_use]
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    /// The registry this mirror stands in for: its namespace, else Docker Hub.
    #[must_use]
    pub fn mirrored_registry(&self) -> &str {
        self.namespace.as_deref().unwrap_or(DOCKER_HUB)
    }

    /// Whether dockerd can use it: a Docker Hub mirror without a path.
    #[must_use]
    pub fn is_transparent(&self) -> bool {
        self.namespace.is_none()
    }
}

impl fmt::Display for MirrorUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme(), self.addr)?;
        match &self.namespace {
            Some(namespace) => write!(f, "/{namespace}"),
            None => Ok(()),
        }
    }
}

impl FromStr for MirrorUrl {
    type Err = MirrorUrlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| MirrorUrlError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let (tls, rest) = if let Some(rest) = input.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = input.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(fail(
                "a mirror is a URL: http://HOST:PORT for plain HTTP or https://HOST:PORT for TLS",
            ));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['?', '#']) {
            return Err(fail("a mirror URL has no query or fragment"));
        }
        let (rest, namespace) = match rest.split_once('/') {
            Some((addr, path)) => (addr, Some(path)),
            None => (rest, None),
        };
        let namespace = namespace
            .map(|path| {
                let valid = !path.contains('/')
                    && path.contains('.')
                    && matches!(parse_host(path), Ok(RegistryHost::Name(_)))
                    && path.bytes().all(|b| !b.is_ascii_uppercase());
                if valid {
                    Ok(path.to_owned())
                } else {
                    Err(fail(
                        "the path names the mirrored registry, one lower-case host name such as /ghcr.io (regctl's proxy.upstreams prefix `ghcr.io/`)",
                    ))
                }
            })
            .transpose()?;
        if rest.contains('@') {
            return Err(fail(
                "docker takes no credentials in a mirror URL; use `docker login HOST:PORT`",
            ));
        }
        let addr = rest.parse::<RegistryAddr>().map_err(|e| MirrorUrlError {
            input: input.to_owned(),
            reason: format!("{} (in the URL's HOST:PORT)", e.reason),
        })?;
        Ok(Self {
            tls,
            addr,
            namespace,
        })
    }
}

fn parse_host(host: &str) -> Result<RegistryHost, String> {
    if host.is_empty() {
        return Err("the host is empty".to_owned());
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels
        .iter()
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ipv4Addr::from_str(host)
            .map(RegistryHost::V4)
            .map_err(|_| "not a valid IPv4 address".to_owned());
    }
    if host.len() > 253 {
        return Err("the hostname is longer than 253 characters".to_owned());
    }
    for label in labels {
        let valid = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(format!(
                "`{host}` is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 characters each)"
            ));
        }
    }
    Ok(RegistryHost::Name(host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> RegistryAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn accepts_names_ipv4_and_bracketed_ipv6() {
        assert_eq!(
            ok("registry.example.com:5000").to_string(),
            "registry.example.com:5000"
        );
        assert_eq!(ok("localhost:1").to_string(), "localhost:1");
        assert_eq!(
            ok("192.168.0.106:5000").host,
            RegistryHost::V4(Ipv4Addr::new(192, 168, 0, 106))
        );
        assert_eq!(ok("[FD00::1]:65535").to_string(), "[fd00::1]:65535");
    }

    #[test]
    fn rejects_what_is_not_host_port() {
        for bad in [
            "",
            "registry:0",
            "registry:65536",
            "registry",
            "registry:",
            ":5000",
            "http://registry:5000",
            "registry:5000/path",
            "reg istry:5000",
            "registry:5000\n",
            "fd00::1:5000",
            "[fd00::1]",
            "[zz::1]:5000",
            "999.1.1.1:5000",
            "-bad.example:5000",
            "under_score:5000",
            "a..b:5000",
            "host:50a0",
        ] {
            assert!(
                bad.parse::<RegistryAddr>().is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn error_names_the_input_and_the_expected_form() {
        let err = "http://x:5000"
            .parse::<RegistryAddr>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("http://x:5000") && err.contains("scheme") && err.contains("HOST:PORT"),
            "{err}"
        );
    }

    #[test]
    fn file_stem_is_one_safe_path_component() {
        assert_eq!(ok("registry.local:5000").file_stem(), "registry.local_5000");
        assert_eq!(ok("[fd00::1]:5000").file_stem(), "fd00__1__5000");
    }

    #[test]
    fn mirror_urls() {
        let plain: MirrorUrl = "http://127.0.0.1:5000/".parse().unwrap();
        assert!(!plain.tls);
        assert_eq!(plain.to_string(), "http://127.0.0.1:5000");
        let tls: MirrorUrl = "https://mirror.lan:443".parse().unwrap();
        assert_eq!(tls.to_string(), "https://mirror.lan:443");
        let prefixed: MirrorUrl = "http://m.lan:5000/ghcr.io/".parse().unwrap();
        assert_eq!(prefixed.to_string(), "http://m.lan:5000/ghcr.io");
        assert_eq!(prefixed.mirrored_registry(), "ghcr.io");
        assert!(!prefixed.is_transparent());
        assert_eq!(plain.mirrored_registry(), "docker.io");
        for bad in [
            "127.0.0.1:5000",
            "ftp://m:1",
            "http://m:1/v2/ghcr.io",
            "http://m:1/v2",
            "http://m:1/GHCR.io",
            "http://m:1/ghcr.io:443",
            "http://u:p@m:1",
            "http://m",
            "http://m:1?x",
        ] {
            assert!(
                bad.parse::<MirrorUrl>().is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
