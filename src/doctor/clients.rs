//! Whether this machine's container clients would talk to the registry: docker (daemon.json
//! `insecure-registries`, `certs.d/HOST:PORT/*.crt`, the system bundle), containerd
//! (`certs.d/HOST:PORT/hosts.toml`) and podman (registries.conf `insecure`, its `certs.d`).
//! containerd and podman are judged only where their configuration directory exists.
//!
//! The fixes are `regctl client-setup` commands, with `--root` when doctor was given one, so
//! they run as printed against the same tree.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use super::tls::{ServedChain, TrustStore};
use super::{host_text, under, Finding, Options, Status};
use crate::client_setup::{containerd, daemon_json, podman, DOCKER_CERTS_D, DOCKER_DAEMON_JSON};

/// docker treats these as insecure without configuration (moby `registry/config.go`:
/// "Localhost is by default considered as an insecure registry").
const DOCKER_DEFAULT_INSECURE_V4: (u8, u32) = (127, 8);

pub fn trust_findings(
    options: &Options,
    sockets: &[SocketAddr],
    chain: Option<&ServedChain>,
) -> Vec<Finding> {
    let system = TrustStore::system(&options.root);
    let mut findings = vec![docker(options, sockets, chain, &system)];
    if under(&options.root, "/etc/containerd").is_dir() {
        findings.push(containerd_finding(options, chain, &system));
    }
    if under(&options.root, "/etc/containers").is_dir() {
        findings.push(podman_finding(options, chain, &system));
    }
    findings
}

/// `regctl client-setup ARGS`, as it runs on this tree: `sudo` and `--restart` for the real
/// system, `--root DIR` for a prepared one.
fn client_setup(options: &Options, args: &str, restart: bool) -> String {
    let addr = &options.registry;
    if options.root == Path::new("/") {
        let restart = if restart { " --restart" } else { "" };
        format!("sudo regctl client-setup {addr}{args}{restart}")
    } else {
        format!(
            "regctl client-setup {addr}{args} --root {}",
            options.root.display()
        )
    }
}

const CA_HINT: &str = "ca.crt is the CA that signed the registry's certificate (`regctl init` wrote it as DIR/certs/ca.crt on the registry machine; copy it here)";

fn docker(
    options: &Options,
    sockets: &[SocketAddr],
    chain: Option<&ServedChain>,
    system: &TrustStore,
) -> Finding {
    let addr = options.registry.to_string();
    let daemon_path = under(&options.root, DOCKER_DAEMON_JSON);
    let daemon_text = std::fs::read_to_string(&daemon_path).ok();
    let insecure = insecure_reason(daemon_text.as_deref(), &addr, sockets);
    let daemon_note = match &daemon_text {
        Some(_) => format!(
            "{}: insecure-registries {}",
            daemon_path.display(),
            match daemon_json::entries(daemon_text.as_deref(), daemon_json::INSECURE_REGISTRIES) {
                Ok(list) if list.is_empty() => "is empty".to_owned(),
                Ok(list) => format!("= {}", list.join(", ")),
                Err(err) => format!("cannot be read ({err})"),
            }
        ),
        None => format!("{} does not exist", daemon_path.display()),
    };
    let Some(chain) = chain else {
        return match insecure {
            Some(reason) => Finding::ok("docker", format!("docker uses plain HTTP for {addr}: {reason}"))
                .evidence(daemon_note),
            None => Finding::fail("docker", "docker would fail: http: server gave HTTP response to HTTPS client")
                .evidence(daemon_note)
                .evidence(format!("{addr} speaks plain HTTP, and docker uses plain HTTP only for registries in insecure-registries"))
                .fix(client_setup(options, "", true)),
        };
    };
    let certs_d = under(&options.root, &format!("{DOCKER_CERTS_D}/{addr}"));
    let mut store = TrustStore::default();
    store.add_crt_dir(&certs_d);
    let local = store.files.clone();
    store.extend(system);
    let host = host_text(&options.registry);
    let sources = describe_sources(&local, system);
    match store.verify(chain, &host) {
        Ok(()) => Finding::ok("docker", format!("docker trusts the certificate of {addr}"))
            .evidence(format!("verified with {sources}")),
        Err(reason) => match insecure {
            Some(why) => Finding::new(
                "docker",
                Status::Warn,
                format!("docker skips certificate verification for {addr}: {why}"),
            )
            .evidence(format!("verification would fail: {reason}"))
            .evidence(daemon_note)
            .fix(
                if daemon_json::lists_insecure_registry(daemon_text.as_deref(), &addr) {
                    format!(
                        "install the CA and drop the insecure entry: {} && {}",
                        client_setup(options, " --remove", false),
                        client_setup(options, " --ca-file ca.crt", true)
                    )
                } else {
                    format!(
                        "install the CA so verification would pass: {}",
                        client_setup(options, " --ca-file ca.crt", false)
                    )
                },
            ),
            None => Finding::fail("docker", format!("docker would fail: {reason}"))
                .evidence(format!("tried {sources}"))
                .evidence(CA_HINT)
                .fix(client_setup(options, " --ca-file ca.crt", false)),
        },
    }
}

fn describe_sources(local: &[std::path::PathBuf], system: &TrustStore) -> String {
    let mut parts: Vec<String> = local.iter().map(|p| p.display().to_string()).collect();
    match system.files.first() {
        Some(bundle) => parts.push(format!("the system bundle {}", bundle.display())),
        None => parts.push("no system bundle (none of Go's bundle files exists)".to_owned()),
    }
    if local.is_empty() {
        parts.insert(0, "no certs.d CA for this registry".to_owned());
    }
    parts.join(", ")
}

/// Why docker would treat the registry as insecure, if it would: listed by name, an address in a
/// listed CIDR, or loopback.
fn insecure_reason(
    daemon_json_text: Option<&str>,
    addr: &str,
    sockets: &[SocketAddr],
) -> Option<String> {
    if daemon_json::lists_insecure_registry(daemon_json_text, addr) {
        return Some(format!("daemon.json lists {addr} in insecure-registries"));
    }
    let entries = daemon_json::entries(daemon_json_text, daemon_json::INSECURE_REGISTRIES)
        .unwrap_or_default();
    for socket in sockets {
        for entry in &entries {
            if cidr_contains(entry, socket.ip()) {
                return Some(format!(
                    "daemon.json lists {entry}, which contains {}",
                    socket.ip()
                ));
            }
        }
    }
    let (first, bits) = DOCKER_DEFAULT_INSECURE_V4;
    if let Some(ip) = sockets
        .iter()
        .map(SocketAddr::ip)
        .find(|ip| matches!(ip, IpAddr::V4(v4) if v4.octets()[0] == first))
    {
        return Some(format!(
            "{ip} is in {first}.0.0.0/{bits}, which docker treats as insecure by default"
        ));
    }
    None
}

fn cidr_contains(entry: &str, ip: IpAddr) -> bool {
    let Some((net, bits)) = entry.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

/// containerd's `hosts.toml`, read line by line for the hosts' schemes, `skip_verify` and `ca`.
#[derive(Default)]
struct HostsToml {
    urls: Vec<String>,
    skip_verify: bool,
    cas: Vec<String>,
}

fn read_hosts_toml(text: &str) -> HostsToml {
    let mut hosts = HostsToml::default();
    let quoted = |line: &str| -> Vec<String> {
        line.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        if line.starts_with("server") || line.starts_with("[host.") {
            hosts.urls.extend(quoted(line));
        } else if line.starts_with("skip_verify") && line.ends_with("true") {
            hosts.skip_verify = true;
        } else if line.starts_with("ca ") || line.starts_with("ca=") {
            hosts.cas.extend(quoted(line));
        }
    }
    hosts
}

fn containerd_finding(
    options: &Options,
    chain: Option<&ServedChain>,
    system: &TrustStore,
) -> Finding {
    let addr = options.registry.to_string();
    let dir = under(&options.root, &format!("{}/{addr}", containerd::CERTS_D));
    let hosts_path = dir.join("hosts.toml");
    let config =
        std::fs::read_to_string(under(&options.root, containerd::CONFIG_TOML)).unwrap_or_default();
    let config_note = if containerd::config_path_includes_certs_d(&config) {
        format!(
            "{} sets config_path to {}",
            containerd::CONFIG_TOML,
            containerd::CERTS_D
        )
    } else {
        format!("{} does not set config_path = \"{}\": the CRI reads no hosts.toml (ctr needs --hosts-dir {})", containerd::CONFIG_TOML, containerd::CERTS_D, containerd::CERTS_D)
    };
    let hosts = std::fs::read_to_string(&hosts_path)
        .ok()
        .map(|t| read_hosts_toml(&t));
    let hosts_note = match &hosts {
        Some(h) => format!("{}: hosts {}", hosts_path.display(), h.urls.join(", ")),
        None => format!("{} does not exist", hosts_path.display()),
    };
    let Some(chain) = chain else {
        let plain = hosts
            .as_ref()
            .is_some_and(|h| h.urls.iter().any(|u| u.starts_with("http://")));
        return if plain {
            Finding::ok(
                "containerd",
                format!("containerd uses plain HTTP for {addr}"),
            )
            .evidence(hosts_note)
            .evidence(config_note)
        } else {
            Finding::fail(
                "containerd",
                "containerd would fail: http: server gave HTTP response to HTTPS client",
            )
            .evidence(hosts_note)
            .evidence(config_note)
            .fix(client_setup(options, " --containerd --no-docker", false))
        };
    };
    let mut store = TrustStore::default();
    match &hosts {
        Some(h) => {
            for ca in &h.cas {
                store.add_pem_file(&under(&options.root, ca));
            }
        }
        // Without hosts.toml containerd falls back to docker's certs.d pattern in its own dir.
        None => store.add_crt_dir(&dir),
    }
    let local = store.files.clone();
    store.extend(system);
    match store.verify(chain, &host_text(&options.registry)) {
        Ok(()) => Finding::ok(
            "containerd",
            format!("containerd trusts the certificate of {addr}"),
        )
        .evidence(format!(
            "verified with {}",
            describe_sources(&local, system)
        ))
        .evidence(config_note),
        Err(_) if hosts.as_ref().is_some_and(|h| h.skip_verify) => Finding::new(
            "containerd",
            Status::Warn,
            format!("containerd skips certificate verification for {addr} (skip_verify = true)"),
        )
        .evidence(hosts_note),
        Err(reason) => Finding::fail("containerd", format!("containerd would fail: {reason}"))
            .evidence(format!("tried {}", describe_sources(&local, system)))
            .evidence(CA_HINT)
            .fix(client_setup(
                options,
                " --ca-file ca.crt --containerd --no-docker",
                false,
            )),
    }
}

/// The `insecure` setting of the last `[[registry]]` whose location (or prefix) is `addr`, over
/// registries.conf and then its drop-ins in name order (later files win, as in
/// containers-registries.conf(5)); `None` when no entry names it.
fn podman_insecure(root: &Path, addr: &str) -> Option<(bool, std::path::PathBuf)> {
    let mut files = vec![under(root, "/etc/containers/registries.conf")];
    if let Ok(entries) = std::fs::read_dir(under(root, podman::DROP_IN_DIR)) {
        let mut drop_ins: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|ext| ext == "conf"))
            .collect();
        drop_ins.sort();
        files.extend(drop_ins);
    }
    let mut found = None;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut block: Option<(bool, bool)> = None; // (names addr, insecure)
        let close = |block: &mut Option<(bool, bool)>,
                     found: &mut Option<(bool, std::path::PathBuf)>| {
            if let Some((true, insecure)) = block.take() {
                *found = Some((insecure, file.clone()));
            }
        };
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                close(&mut block, &mut found);
                if line == "[[registry]]" {
                    block = Some((false, false));
                }
            } else if let Some((names, insecure)) = block.as_mut() {
                let value = line
                    .split_once('=')
                    .map(|(k, v)| (k.trim(), v.trim().trim_matches('"')));
                match value {
                    Some(("location" | "prefix", v))
                        if v == addr || v.starts_with(&format!("{addr}/")) =>
                    {
                        *names = true
                    }
                    Some(("insecure", v)) => *insecure = v == "true",
                    _ => {}
                }
            }
        }
        close(&mut block, &mut found);
    }
    found
}

fn podman_finding(options: &Options, chain: Option<&ServedChain>, system: &TrustStore) -> Finding {
    let addr = options.registry.to_string();
    let insecure = podman_insecure(&options.root, &addr);
    let note = match &insecure {
        Some((flag, file)) => format!("{}: insecure = {flag}", file.display()),
        None => format!(
            "no [[registry]] for {addr} in registries.conf or {}",
            podman::DROP_IN_DIR
        ),
    };
    let Some(chain) = chain else {
        return if insecure.as_ref().is_some_and(|(flag, _)| *flag) {
            Finding::ok("podman", format!("podman uses plain HTTP for {addr}")).evidence(note)
        } else {
            Finding::fail(
                "podman",
                "podman would fail: http: server gave HTTP response to HTTPS client",
            )
            .evidence(note)
            .fix(client_setup(options, " --podman --no-docker", false))
        };
    };
    let mut store = TrustStore::default();
    // containers-certs.d(5): both directories are read.
    store.add_crt_dir(&under(
        &options.root,
        &format!("{}/{addr}", podman::CERTS_D),
    ));
    store.add_crt_dir(&under(&options.root, &format!("{DOCKER_CERTS_D}/{addr}")));
    let local = store.files.clone();
    store.extend(system);
    match store.verify(chain, &host_text(&options.registry)) {
        Ok(()) => {
            Finding::ok("podman", format!("podman trusts the certificate of {addr}")).evidence(
                format!("verified with {}", describe_sources(&local, system)),
            )
        }
        Err(_) if insecure.as_ref().is_some_and(|(flag, _)| *flag) => Finding::new(
            "podman",
            Status::Warn,
            format!("podman skips certificate verification for {addr} (insecure = true)"),
        )
        .evidence(note),
        Err(reason) => Finding::fail("podman", format!("podman would fail: {reason}"))
            .evidence(format!("tried {}", describe_sources(&local, system)))
            .evidence(CA_HINT)
            .fix(client_setup(
                options,
                " --ca-file ca.crt --podman --no-docker",
                false,
            )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_contain_their_addresses() {
        assert!(cidr_contains("10.0.0.0/8", "10.1.2.3".parse().unwrap()));
        assert!(!cidr_contains("10.0.0.0/8", "11.0.0.1".parse().unwrap()));
        assert!(cidr_contains("fd00::/8", "fd00::2".parse().unwrap()));
        assert!(!cidr_contains("10.0.0.1:5000", "10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn hosts_toml_schemes_and_cas_are_read() {
        let hosts = read_hosts_toml(&crate::client_setup::containerd::hosts_toml(
            &"r.lan:5000".parse().unwrap(),
            Some("/etc/containerd/certs.d/r.lan:5000/ca.crt"),
        ));
        assert_eq!(hosts.urls, ["https://r.lan:5000", "https://r.lan:5000"]);
        assert_eq!(hosts.cas, ["/etc/containerd/certs.d/r.lan:5000/ca.crt"]);
        assert!(!hosts.skip_verify);
    }
}
