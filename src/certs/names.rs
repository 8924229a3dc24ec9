//! Host names as they appear in certificates: a DNS name (possibly a `*.` wildcard) or an IP address.

use std::fmt;
use std::net::IpAddr;

use super::CertError;

/// One subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectName {
    Dns(String),
    Ip(IpAddr),
}

impl SubjectName {
    /// Parses what a user types after `--host`: `registry.example.com`, `192.168.0.106`, `::1`
    /// or `[::1]`. DNS names are lower-cased (certificates compare them case-insensitively).
    ///
    /// # Errors
    /// [`CertError::InvalidHost`] when it is neither an IP address nor a DNS name.
    pub fn parse(input: &str) -> Result<Self, CertError> {
        let trimmed = input.trim();
        let unbracketed = trimmed
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(trimmed);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        let name = trimmed.trim_end_matches('.').to_ascii_lowercase();
        if is_dns_name(&name) {
            Ok(Self::Dns(name))
        } else {
            Err(CertError::InvalidHost(input.to_owned()))
        }
    }

    /// Whether a certificate naming `self` is valid for a client connecting to `host`.
    #[must_use]
    pub fn matches(&self, host: &SubjectName) -> bool {
        match (self, host) {
            (Self::Ip(a), Self::Ip(b)) => a == b,
            (Self::Dns(pattern), Self::Dns(name)) => {
                if let Some(suffix) = pattern.strip_prefix("*.") {
                    // A wildcard covers exactly one leftmost label.
                    name.split_once('.')
                        .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix)
                } else {
                    pattern == name
                }
            }
            _ => false,
        }
    }
}

impl fmt::Display for SubjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dns(name) => f.write_str(name),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

fn is_dns_name(name: &str) -> bool {
    let body = name.strip_prefix("*.").unwrap_or(name);
    !body.is_empty()
        && name.len() <= 253
        && body.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The host part of `http.host` (`https://registry.example.com:5000` → `registry.example.com`),
/// or of a bare `host:port`.
#[must_use]
pub fn host_of_url(url: &str) -> Option<SubjectName> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split_once(']').map(|(h, _)| h)?
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    SubjectName::parse(host).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dns_and_ip() {
        assert_eq!(
            SubjectName::parse("Registry.Example.com.").unwrap(),
            SubjectName::Dns("registry.example.com".into())
        );
        assert_eq!(
            SubjectName::parse("192.168.0.106").unwrap(),
            SubjectName::Ip("192.168.0.106".parse().unwrap())
        );
        assert_eq!(
            SubjectName::parse("[::1]").unwrap(),
            SubjectName::Ip("::1".parse().unwrap())
        );
        assert!(SubjectName::parse("a b").is_err());
        assert!(SubjectName::parse("host:5000").is_err());
        assert!(SubjectName::parse("").is_err());
    }

    #[test]
    fn wildcard_covers_one_label() {
        let wild = SubjectName::parse("*.example.com").unwrap();
        assert!(wild.matches(&SubjectName::parse("a.example.com").unwrap()));
        assert!(!wild.matches(&SubjectName::parse("a.b.example.com").unwrap()));
        assert!(!wild.matches(&SubjectName::parse("example.com").unwrap()));
    }

    #[test]
    fn host_of_url_strips_scheme_port_and_path() {
        assert_eq!(
            host_of_url("https://Registry.example.com:5000/v2/"),
            Some(SubjectName::Dns("registry.example.com".into()))
        );
        assert_eq!(
            host_of_url("https://[::1]:5000"),
            Some(SubjectName::Ip("::1".parse().unwrap()))
        );
        assert_eq!(
            host_of_url("192.168.0.106:5000"),
            Some(SubjectName::Ip("192.168.0.106".parse().unwrap()))
        );
    }
}
