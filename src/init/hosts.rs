//! Public host names: parsing them as clients type them, the `HOST:PORT` clients use, and the
//! defaults init suggests.

use std::io;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use super::{InitError, ListenAddr, TlsMode, ACME_PORT, DEFAULT_PORT};
use crate::certs::SubjectName;
use crate::client_setup::{RegistryAddr, RegistryHost};

/// Parses a public host name or IP the way clients will type it: valid in a certificate and in
/// docker's `HOST:PORT`.
///
/// # Errors
/// [`InitError::InvalidHost`] saying why.
pub fn parse_host(input: &str) -> Result<SubjectName, InitError> {
    let invalid = |reason: String| InitError::InvalidHost {
        input: input.to_owned(),
        reason,
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    if trimmed.contains("://") || trimmed.contains('/') {
        return Err(invalid(
            "give only the name or IP, without scheme, port or path".to_owned(),
        ));
    }
    let name = SubjectName::parse(trimmed).map_err(|_| {
        invalid(if trimmed.contains(':') && !trimmed.starts_with('[') {
            "give the name or IP without a port (the port comes from the listen address)".to_owned()
        } else {
            "it is neither a DNS name nor an IP address".to_owned()
        })
    })?;
    // docker's reference grammar is stricter than certificates (no `_`, no wildcards).
    registry_addr(&name, DEFAULT_PORT).map_err(|err| invalid(err.reason))?;
    Ok(name)
}

/// The `HOST:PORT` clients use for `host`.
pub(super) fn registry_addr(
    host: &SubjectName,
    port: u16,
) -> Result<RegistryAddr, crate::client_setup::AddressError> {
    match host {
        SubjectName::Ip(IpAddr::V4(ip)) => Ok(RegistryAddr {
            host: RegistryHost::V4(*ip),
            port,
        }),
        SubjectName::Ip(IpAddr::V6(ip)) => Ok(RegistryAddr {
            host: RegistryHost::V6(*ip),
            port,
        }),
        SubjectName::Dns(name) => format!("{name}:{port}").parse(),
    }
}

/// The address other machines most likely reach this one at: the source address of the default
/// route (a UDP `connect` sends nothing), or loopback when there is none.
#[must_use]
pub fn default_host() -> SubjectName {
    let probe = || -> io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        // TEST-NET-1: never routed, only used to pick the outgoing interface.
        socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    match probe() {
        Ok(ip) if !ip.is_unspecified() => SubjectName::Ip(ip),
        _ => SubjectName::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

/// The listen address to suggest: loopback when every host is loopback (nothing else could
/// connect anyway), every address otherwise; port 443 for ACME, 5000 otherwise.
#[must_use]
pub fn default_addr(hosts: &[SubjectName], tls: &TlsMode) -> ListenAddr {
    let port = if matches!(tls, TlsMode::Acme { .. }) {
        ACME_PORT
    } else {
        DEFAULT_PORT
    };
    let all_loopback = !hosts.is_empty() && hosts.iter().all(is_loopback_name);
    if all_loopback {
        ListenAddr::loopback(port)
    } else {
        ListenAddr::all(port)
    }
}

pub(super) fn is_loopback_name(host: &SubjectName) -> bool {
    match host {
        SubjectName::Ip(ip) => ip.is_loopback(),
        SubjectName::Dns(name) => name == "localhost",
    }
}
