//! Image references as users type them: `REGISTRY/REPO[:TAG|@DIGEST]`, with docker's rule for
//! telling a registry host from the first path component of a repository.

use std::fmt;

use super::RemoteError;
use crate::digest::Digest;
use crate::oci::reference::{Name, Tag};

/// The name users type for Docker Hub; its API lives elsewhere and its credentials under a URL key.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";
const DOCKER_HUB_CREDENTIAL_KEY: &str = "https://index.docker.io/v1/";

/// A registry host as typed: `host`, `host:port`, `[v6]:port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Registry(String);

impl Registry {
    /// Parses `HOST[:PORT]`. A scheme is refused because the transport is chosen by `--insecure`,
    /// not by the name (so the credential key stays the one docker uses).
    ///
    /// # Errors
    /// [`RemoteError::InvalidRegistry`] when the text is not a host with an optional port.
    pub fn parse(input: &str) -> Result<Self, RemoteError> {
        let invalid = |reason: &str| RemoteError::InvalidRegistry {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some((scheme, _)) = input.split_once("://") {
            let hint = if scheme.eq_ignore_ascii_case("http") {
                "write HOST:PORT and add --insecure to allow plain HTTP"
            } else {
                "write HOST:PORT without a scheme"
            };
            return Err(invalid(hint));
        }
        let host = input.trim_end_matches('/');
        if host.is_empty() {
            return Err(invalid("it is empty"));
        }
        if host.contains('/') {
            return Err(invalid("a registry is HOST[:PORT], without a path"));
        }
        let (name, port) = split_port(host);
        if let Some(port) = port {
            if port.parse::<u16>().is_err() {
                return Err(invalid("the port is not a number from 0 to 65535"));
            }
        }
        let valid_name = if let Some(v6) = name.strip_prefix('[') {
            v6.strip_suffix(']')
                .is_some_and(|inner| inner.parse::<std::net::Ipv6Addr>().is_ok())
        } else {
            !name.is_empty()
                && name
                    .split('.')
                    .all(|label| !label.is_empty() && label.chars().all(is_host_char))
        };
        if !valid_name {
            return Err(invalid("the host name has invalid characters"));
        }
        Ok(Self(host.to_ascii_lowercase()))
    }

    /// The name as typed (lower-cased): what docker uses as the key in `config.json` `auths`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host serving the API (`docker.io` is served by `registry-1.docker.io`).
    #[must_use]
    pub fn api_host(&self) -> &str {
        if self.is_docker_hub() {
            DOCKER_HUB_API
        } else {
            &self.0
        }
    }

    /// The key docker files the credentials of this registry under.
    #[must_use]
    pub fn credential_key(&self) -> &str {
        if self.is_docker_hub() {
            DOCKER_HUB_CREDENTIAL_KEY
        } else {
            &self.0
        }
    }

    #[must_use]
    pub fn is_docker_hub(&self) -> bool {
        matches!(self.0.as_str(), "docker.io" | "index.docker.io")
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn split_port(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        return match host.rsplit_once("]:") {
            Some((name, port)) => (&host[..=name.len()], Some(port)),
            None => (host, None),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    }
}

/// What a reference points at inside a repository. Both were validated by the server's own
/// grammar ([`Tag::parse`], [`Digest::parse`]), so `Digest` holds canonical `sha256:<hex>` text:
/// the client never sends what `regctl serve` would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tag(String),
    Digest(String),
}

impl Target {
    /// The path segment after `/manifests/`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Tag(s) | Self::Digest(s) => s,
        }
    }
}

/// `[REGISTRY/]REPO[:TAG|@DIGEST]`. The registry is absent when the first component does not look
/// like a host; the caller then supplies its default (the local registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub registry: Option<Registry>,
    pub repository: String,
    pub target: Option<Target>,
}

impl Reference {
    /// Parses a reference with docker's rule: the first `/`-separated component is a registry when
    /// it contains `.` or `:` or is `localhost`.
    ///
    /// # Errors
    /// [`RemoteError::InvalidReference`] naming what is wrong.
    pub fn parse(input: &str) -> Result<Self, RemoteError> {
        let invalid = |reason: String| RemoteError::InvalidReference {
            input: input.to_owned(),
            reason,
        };
        let (rest, digest) = match input.split_once('@') {
            Some((rest, digest)) => {
                let digest = parse_digest(digest).map_err(invalid)?;
                (rest, Some(digest.as_str().to_owned()))
            }
            None => (input, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                let registry = Registry::parse(first).map_err(|e| invalid(e.to_string()))?;
                (Some(registry), path)
            }
            _ => (None, rest),
        };
        // A tag follows the last ':' of the last component (a ':' earlier is a registry port).
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match path[last_slash..].rfind(':') {
            Some(i) => (&path[..last_slash + i], Some(&path[last_slash + i + 1..])),
            None => (path, None),
        };
        Name::parse(repository).map_err(|e| invalid(e.to_string()))?;
        if let Some(tag) = tag {
            Tag::parse(tag).map_err(|e| invalid(format!("`{tag}`: {e}")))?;
        }
        let mut repository = repository.to_owned();
        if registry.as_ref().is_some_and(Registry::is_docker_hub) && !repository.contains('/') {
            repository = format!("library/{repository}");
        }
        let target = match (digest, tag) {
            (Some(d), _) => Some(Target::Digest(d)),
            (None, Some(t)) => Some(Target::Tag(t.to_owned())),
            (None, None) => None,
        };
        Ok(Self {
            registry,
            repository,
            target,
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        f.write_str(&self.repository)?;
        match &self.target {
            Some(Target::Tag(t)) => write!(f, ":{t}"),
            Some(Target::Digest(d)) => write!(f, "@{d}"),
            None => Ok(()),
        }
    }
}

/// A digest as the registry accepts it: only sha256 is stored (by `regctl serve` and registry:2
/// alike), so any other algorithm is refused here rather than sent and answered with a 400.
///
/// # Errors
/// A sentence saying what is wrong and what would be accepted.
pub fn parse_digest(digest: &str) -> Result<Digest, String> {
    Digest::parse(digest).map_err(|e| match e {
        crate::digest::DigestError::Unsupported(_) => format!(
            "{e}; registries store manifests by their sha256 digest (`regctl tags --details` and \
             `regctl manifest` show it)"
        ),
        crate::digest::DigestError::Invalid(_) => e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn registry_is_detected_like_docker() {
        let r = Reference::parse("localhost:5000/team/app:1.0").unwrap();
        assert_eq!(r.registry.unwrap().as_str(), "localhost:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.target, Some(Target::Tag("1.0".into())));

        let r = Reference::parse("team/app").unwrap();
        assert_eq!(r.registry, None);
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.target, None);

        let r = Reference::parse("localhost/app").unwrap();
        assert_eq!(r.registry.unwrap().as_str(), "localhost");

        let r = Reference::parse("registry.example.com/app").unwrap();
        assert_eq!(r.registry.unwrap().as_str(), "registry.example.com");
    }

    #[test]
    fn digest_and_port_do_not_confuse_the_tag() {
        let r = Reference::parse(&format!("10.0.0.1:5000/app@{DIGEST}")).unwrap();
        assert_eq!(r.registry.unwrap().as_str(), "10.0.0.1:5000");
        assert_eq!(r.repository, "app");
        assert_eq!(r.target, Some(Target::Digest(DIGEST.into())));

        let r = Reference::parse(&format!("h.example:443/a/b:v1@{DIGEST}")).unwrap();
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.target, Some(Target::Digest(DIGEST.into())));
    }

    #[test]
    fn docker_hub_gets_library_prefix_and_its_own_hosts() {
        let r = Reference::parse("docker.io/alpine:3").unwrap();
        assert_eq!(r.repository, "library/alpine");
        let registry = r.registry.unwrap();
        assert_eq!(registry.api_host(), "registry-1.docker.io");
        assert_eq!(registry.credential_key(), "https://index.docker.io/v1/");
    }

    #[test]
    fn invalid_references_are_rejected_with_a_reason() {
        for bad in [
            "Upper/app",
            "host:5000/app:",
            "host:5000/app:-x",
            "app@sha256:abc",
            "host:5000//app",
            "a..b",
            "",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(Registry::parse("http://host:5000").is_err());
        assert!(Registry::parse("host:99999").is_err());
        assert!(Registry::parse("[::1]:5000").is_ok());
    }

    #[test]
    fn repository_grammar_matches_distribution() {
        for ok in ["a", "a/b/c", "a-b", "a--b", "a__b", "a.b", "a_b", "0"] {
            assert!(Reference::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["-a", "a-", "a..b", "a___b", "a/", "A"] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sha512_digest_is_refused_with_a_reason() {
        let input = format!("localhost:5000/app@sha512:{}", "a".repeat(128));
        let err = Reference::parse(&input).unwrap_err().to_string();
        assert!(err.contains("only sha256 is supported"), "{err}");
        assert!(err.contains(&input), "{err}");
        // Upper-case hex is not canonical: the server refuses it too.
        let upper = format!("app@sha256:{}", "A".repeat(64));
        assert!(Reference::parse(&upper).is_err());
    }

    #[test]
    fn tag_errors_name_the_tag() {
        let err = Reference::parse("host:5000/app:-x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`-x`"), "{err}");
    }
}
