//! Listen addresses (`http.addr`, `--addr`): one grammar, Go's `net.SplitHostPort` + `net.Listen`
//! forms as distribution reads them — `HOST:PORT`, `:PORT` (every address), `[IPv6]:PORT`, a host
//! name or a named port — and the stricter [`ListenAddr`] (`IP:PORT` with a numeric port) that
//! `regctl init` writes.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

/// Why a listen address is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid listen address `{input}`: {reason} (expected IP:PORT, e.g. 0.0.0.0:5000, 127.0.0.1:5000 or [::]:5000)")]
pub struct ListenAddrError {
    pub input: String,
    pub reason: String,
}

/// Splits `addr` the way Go's `net.SplitHostPort` + `net.Listen` read it, and returns
/// `(host, port)`; `host` is empty for `:PORT` (every address).
///
/// # Errors
/// The reason it is not one (a sentence without the address, for callers that add their own).
pub fn split(addr: &str) -> Result<(&str, &str), String> {
    let (host, port) = if let Some(rest) = addr.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "missing ']' after an IPv6 address".to_owned())?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| "missing port after the address (e.g. [::1]:5000)".to_owned())?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{host:?} is not an IPv6 address"));
        }
        (host, port)
    } else {
        let (host, port) = addr.rsplit_once(':').ok_or_else(|| {
            "missing port (write host:port, e.g. 127.0.0.1:5000 or :5000)".to_owned()
        })?;
        if host.contains(':') {
            return Err("too many colons (put an IPv6 address in brackets: [::1]:5000)".to_owned());
        }
        (host, port)
    };
    if port.is_empty() {
        return Err("missing port".to_owned());
    }
    if port.bytes().all(|b| b.is_ascii_digit()) {
        if port.parse::<u16>().is_err() {
            return Err(format!("port {port} is out of range (0-65535)"));
        }
    } else if !port.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!("invalid port {port:?}"));
    }
    let host_ok = host.is_empty()
        || host.parse::<IpAddr>().is_ok()
        || host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !host_ok {
        return Err(format!("invalid host {host:?}"));
    }
    Ok((host, port))
}

/// What to hand the socket layer for `addr`: Go listens on every address for `:PORT`, Rust's
/// resolvers need an explicit `0.0.0.0`.
#[must_use]
pub fn bind_target(addr: &str) -> String {
    if addr.starts_with(':') {
        format!("0.0.0.0{addr}")
    } else {
        addr.to_owned()
    }
}

/// An IP address (or every address) and a numeric port: what `regctl init` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr {
    /// `None`: every address (`:PORT`, as distribution writes it).
    pub ip: Option<IpAddr>,
    pub port: u16,
}

impl ListenAddr {
    /// Every IPv4 address on `port`: reachable from the network.
    #[must_use]
    pub fn all(port: u16) -> Self {
        Self {
            ip: Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            port,
        }
    }

    /// Loopback on `port`: this machine only.
    #[must_use]
    pub fn loopback(port: u16) -> Self {
        Self {
            ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            port,
        }
    }

    /// Whether only this machine can connect.
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            None => write!(f, ":{}", self.port),
            Some(IpAddr::V4(ip)) => write!(f, "{ip}:{}", self.port),
            Some(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

impl FromStr for ListenAddr {
    type Err = ListenAddrError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| ListenAddrError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        if let Ok(addr) = text.parse::<SocketAddr>() {
            if addr.port() == 0 {
                return Err(fail("the port must be a number from 1 to 65535"));
            }
            return Ok(Self {
                ip: Some(addr.ip()),
                port: addr.port(),
            });
        }
        let bare_ipv6 = text.matches(':').count() > 1 && !text.starts_with('[');
        let (host, port) = match split(text) {
            Ok(parts) => parts,
            // Go's grammar explains brackets and missing ports; init's own words for the rest.
            Err(_) if !text.contains(':') => return Err(fail("the port is missing")),
            Err(_) if bare_ipv6 => {
                return Err(fail("write an IPv6 address in brackets, e.g. [::]:5000"))
            }
            Err(_)
                if text.rsplit_once(':').is_some_and(|(_, port)| {
                    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                }) =>
            {
                return Err(fail("the port must be a number from 1 to 65535"))
            }
            Err(reason) => return Err(fail(&reason)),
        };
        let ip = if host.is_empty() {
            None
        } else {
            Some(host.parse::<IpAddr>().map_err(|_| {
                fail("the host must be an IP address of this machine (0.0.0.0 for all)")
            })?)
        };
        match port.parse::<u16>() {
            Ok(0) | Err(_) => Err(fail("the port must be a number from 1 to 65535")),
            Ok(port) => Ok(Self { ip, port }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms_split() {
        assert_eq!(split(":5000"), Ok(("", "5000")));
        assert_eq!(split("[::1]:5000"), Ok(("::1", "5000")));
        assert_eq!(split("localhost:http"), Ok(("localhost", "http")));
        assert!(split("::1:5000").is_err());
        assert!(split("127.0.0.1").is_err());
        assert_eq!(bind_target(":5000"), "0.0.0.0:5000");
        assert_eq!(bind_target("[::1]:5000"), "[::1]:5000");
    }

    #[test]
    fn init_forms_are_ip_and_numeric_port() {
        assert_eq!(":5000".parse::<ListenAddr>().unwrap().ip, None);
        assert!("localhost:5000".parse::<ListenAddr>().is_err());
        assert!(":http".parse::<ListenAddr>().is_err());
        assert!("127.0.0.1:0".parse::<ListenAddr>().is_err());
        assert!("127.0.0.1:99999"
            .parse::<ListenAddr>()
            .unwrap_err()
            .reason
            .contains("1 to 65535"));
        assert!("::1:5000"
            .parse::<ListenAddr>()
            .unwrap_err()
            .reason
            .contains("brackets"));
    }
}
