//! What a registry speaks, before `client-setup` lists it as insecure: docker's
//! `insecure-registries` is meant for plain HTTP, and for a TLS registry it silently turns off
//! certificate verification — the wrong fix when the registry has a private CA.
//!
//! One plain `GET /v2/` with a short timeout tells them apart: a plain-HTTP server answers
//! `HTTP/1.x`; a TLS server answers with a TLS record (an alert, first byte 0x15, or a handshake,
//! 0x16), or — as Go's servers and registry:2 do — with `400 Client sent an HTTP request to an
//! HTTPS server`.

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use super::RegistryAddr;

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Speaks {
    PlainHttp,
    Tls,
    /// Nothing could be learnt; the reason, for a warning.
    Unknown(String),
}

/// Probes `addr` with one plain-HTTP request; never fails, at worst says [`Speaks::Unknown`].
#[must_use]
pub fn probe(addr: &RegistryAddr, timeout: Duration) -> Speaks {
    let target = addr.to_string();
    let sockets = match target.to_socket_addrs() {
        Ok(sockets) => sockets.collect::<Vec<_>>(),
        Err(err) => return Speaks::Unknown(format!("cannot resolve {target}: {err}")),
    };
    let mut last_error = format!("{target} has no address");
    for socket in sockets {
        let mut stream = match TcpStream::connect_timeout(&socket, timeout) {
            Ok(stream) => stream,
            Err(err) => {
                last_error = format!("cannot connect to {socket}: {err}");
                continue;
            }
        };
        let _ = stream.set_read_timeout(Some(timeout));
        let _ = stream.set_write_timeout(Some(timeout));
        let request = format!("GET /v2/ HTTP/1.0\r\nHost: {target}\r\nConnection: close\r\n\r\n");
        if let Err(err) = stream.write_all(request.as_bytes()) {
            return Speaks::Unknown(format!("cannot send to {socket}: {err}"));
        }
        let mut answer = Vec::new();
        let mut buf = [0_u8; 512];
        // Enough to see the status line and a short body; stop at EOF, timeout or 4 KiB.
        while answer.len() < 4096 {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
        return classify(&answer);
    }
    Speaks::Unknown(last_error)
}

fn classify(answer: &[u8]) -> Speaks {
    match answer.first() {
        None => Speaks::Unknown("it closed the connection without answering".to_owned()),
        Some(0x15 | 0x16) => Speaks::Tls,
        Some(_) if answer.starts_with(b"HTTP/") => {
            let text = String::from_utf8_lossy(answer).to_ascii_lowercase();
            if text.contains("http request to an https server") {
                Speaks::Tls
            } else {
                Speaks::PlainHttp
            }
        }
        Some(_) => Speaks::Unknown("it answered neither HTTP nor TLS".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        assert_eq!(
            classify(b"HTTP/1.1 401 Unauthorized\r\n"),
            Speaks::PlainHttp
        );
        assert_eq!(
            classify(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"),
            Speaks::Tls
        );
        assert_eq!(classify(&[0x15, 3, 3, 0, 2, 2, 50]), Speaks::Tls);
        assert!(matches!(classify(b""), Speaks::Unknown(_)));
    }
}
