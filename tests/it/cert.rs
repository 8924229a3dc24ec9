//! `regctl cert`: self-signed certificates checked with x509-parser, openssl, curl and skopeo
//! against Debian's docker-registry; ACME against Debian's pebble with challenges really validated.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{parse_x509_certificate, X509Certificate};

use crate::common::docker_registry::DockerRegistry;
use crate::common::oci::{oci_reference, write_oci_layout};
use crate::common::pki::TestCa;
use crate::common::process::{wait_for_port, KillOnDrop};
use crate::common::server::Server;
use crate::common::{free_port, regctl, require_tool, success_stdout};
use regctl::certs::acme::CertStore;

fn pem_blocks(path: &Path) -> Vec<Vec<u8>> {
    use rustls_pki_types::pem::PemObject as _;
    rustls_pki_types::CertificateDer::pem_file_iter(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .map(|c| c.unwrap().to_vec())
        .collect()
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    parse_x509_certificate(der).expect("valid X.509").1
}

fn san_strings(cert: &X509Certificate<'_>) -> Vec<String> {
    let san = cert
        .subject_alternative_name()
        .unwrap()
        .expect("SAN extension");
    san.value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::DNSName(d) => format!("DNS:{d}"),
            GeneralName::IPAddress(b) if b.len() == 4 => {
                format!(
                    "IP:{}",
                    std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).unwrap())
                )
            }
            GeneralName::IPAddress(b) => {
                format!(
                    "IP:{}",
                    std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).unwrap())
                )
            }
            other => format!("{other:?}"),
        })
        .collect()
}

fn self_signed(dir: &Path, args: &[&str]) -> Output {
    regctl()
        .args(["cert", "self-signed", "--dir"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn run_tool(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn self_signed_certificate_names_every_host_with_server_usages() {
    let openssl = require_tool("openssl", "openssl");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    let out = self_signed(
        &dir,
        &[
            "--host",
            "registry.test",
            "--host",
            "localhost",
            "--host",
            "127.0.0.1",
            "--host",
            "::1",
            "--days",
            "90",
            "--port",
            "5443",
        ],
    );
    let stdout = success_stdout(&out);
    let ca_path = dir.join("ca.crt");
    assert!(
        stdout.contains(&format!(
            "regctl client-setup registry.test:5443 --ca-file {}",
            ca_path.display()
        )),
        "{stdout}"
    );

    let chain = pem_blocks(&dir.join("server.crt"));
    assert_eq!(chain.len(), 2, "server.crt holds the leaf and the CA");
    let ca_der = &pem_blocks(&ca_path)[0];
    assert_eq!(&chain[1], ca_der, "the chain ends with ca.crt");

    let leaf = parse(&chain[0]);
    assert_eq!(
        san_strings(&leaf),
        [
            "DNS:registry.test",
            "DNS:localhost",
            "IP:127.0.0.1",
            "IP:::1"
        ]
    );
    let ku = leaf.key_usage().unwrap().expect("key usage").value;
    assert!(ku.digital_signature() && ku.key_encipherment(), "{ku}");
    assert!(!ku.key_cert_sign());
    let eku = leaf.extended_key_usage().unwrap().expect("EKU").value;
    assert!(eku.server_auth);
    assert!(!leaf
        .basic_constraints()
        .unwrap()
        .is_some_and(|bc| bc.value.ca));
    let validity = leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp();
    // 90 days plus the one hour of backdating for clients with a slow clock.
    assert_eq!(validity, 90 * 86_400 + 3_600);

    let ca = parse(ca_der);
    let bc = ca
        .basic_constraints()
        .unwrap()
        .expect("basic constraints")
        .value;
    assert!(bc.ca);
    let ca_ku = ca.key_usage().unwrap().expect("CA key usage").value;
    assert!(ca_ku.key_cert_sign() && ca_ku.crl_sign());
    let ca_years = (ca.validity().not_after.timestamp() - ca.validity().not_before.timestamp())
        / (365 * 86_400);
    assert_eq!(ca_years, 10);
    assert!(ca.extensions().iter().any(|e| matches!(
        e.parsed_extension(),
        ParsedExtension::SubjectKeyIdentifier(_)
    )));

    let text = String::from_utf8(
        run_tool(
            Command::new(&openssl)
                .args(["x509", "-text", "-noout", "-in"])
                .arg(dir.join("server.crt")),
        )
        .stdout,
    )
    .unwrap();
    for expected in [
        "DNS:registry.test",
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "IP Address:0:0:0:0:0:0:0:1",
        "TLS Web Server Authentication",
        "Digital Signature, Key Encipherment",
        "CA:FALSE",
    ] {
        assert!(text.contains(expected), "openssl shows {expected}:\n{text}");
    }
    let ca_text = String::from_utf8(
        run_tool(
            Command::new(&openssl)
                .args(["x509", "-text", "-noout", "-in"])
                .arg(&ca_path),
        )
        .stdout,
    )
    .unwrap();
    assert!(ca_text.contains("CA:TRUE"), "{ca_text}");
    assert!(ca_text.contains("Certificate Sign, CRL Sign"), "{ca_text}");

    let verify = run_tool(
        Command::new(&openssl)
            .arg("verify")
            .arg("-CAfile")
            .arg(&ca_path)
            .arg(dir.join("server.crt")),
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains(": OK"));
}

#[test]
fn second_run_keeps_the_ca_and_force_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    success_stdout(&self_signed(&dir, &["--host", "registry.test"]));
    for file in ["ca.key", "server.key"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file} is private");
    }
    assert_eq!(mode(&dir.join("ca.crt")), 0o644);
    let ca = fs::read(dir.join("ca.crt")).unwrap();
    let ca_key = fs::read(dir.join("ca.key")).unwrap();
    let leaf = fs::read(dir.join("server.crt")).unwrap();

    let again = self_signed(&dir, &["--host", "registry.test", "--host", "10.1.2.3"]);
    success_stdout(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("kept the existing CA"));
    assert_eq!(
        fs::read(dir.join("ca.crt")).unwrap(),
        ca,
        "ca.crt unchanged"
    );
    assert_eq!(
        fs::read(dir.join("ca.key")).unwrap(),
        ca_key,
        "ca.key unchanged"
    );
    let new_leaf = fs::read(dir.join("server.crt")).unwrap();
    assert_ne!(new_leaf, leaf, "a new server certificate");
    let chain = pem_blocks(&dir.join("server.crt"));
    assert!(san_strings(&parse(&chain[0])).contains(&"IP:10.1.2.3".to_owned()));
    assert_eq!(mode(&dir.join("server.key")), 0o600);

    success_stdout(&self_signed(&dir, &["--host", "registry.test", "--force"]));
    assert_ne!(
        fs::read(dir.join("ca.crt")).unwrap(),
        ca,
        "--force makes a new CA"
    );
    assert_eq!(mode(&dir.join("ca.key")), 0o600);

    // Half a CA is refused rather than silently replaced.
    fs::remove_file(dir.join("ca.key")).unwrap();
    let refused = self_signed(&dir, &["--host", "registry.test"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("has ca.crt but not ca.key"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
}

#[test]
fn self_signed_rejects_bad_hosts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = self_signed(tmp.path(), &["--host", "not a host"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a DNS name nor an IP address"));
    assert!(!tmp.path().join("ca.key").exists(), "nothing written");
}

/// `cert self-signed --update-config` on the file `config generate` writes: every comment line
/// survives, only the TLS lines are new, and the result validates.
#[test]
fn update_config_keeps_the_comments_of_a_generated_config() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.yml");
    let generated = regctl()
        .current_dir(tmp.path())
        .args(["config", "generate", "--root", "data", "--file"])
        .arg(&config)
        .output()
        .unwrap();
    success_stdout(&generated);
    let before = fs::read_to_string(&config).unwrap();
    let out = regctl()
        .current_dir(tmp.path())
        .arg("-c")
        .arg(&config)
        .args([
            "cert",
            "self-signed",
            "--host",
            "127.0.0.1",
            "--update-config",
        ])
        .output()
        .unwrap();
    success_stdout(&out);
    let after = fs::read_to_string(&config).unwrap();
    let removed: Vec<&str> = before
        .lines()
        .filter(|l| !after.lines().any(|a| a == *l))
        .collect();
    assert!(removed.is_empty(), "lines lost: {removed:?}\n{after}");
    let added: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    assert_eq!(added.len(), 3, "{added:?}");
    assert!(
        added[0] == "  tls:" && added[1].starts_with("    certificate: /"),
        "{added:?}"
    );
    let validated = regctl()
        .current_dir(tmp.path())
        .args(["config", "validate", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "{}",
        String::from_utf8_lossy(&validated.stdout)
    );
}

#[test]
fn update_config_points_tls_at_the_new_files_and_keeps_other_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.yml");
    let original = "version: 0.1\n# a comment\nstorage:\n  filesystem:\n    rootdirectory: /srv/registry\nhttp:\n  addr: :5001\n  host: https://registry.test:5001\n";
    fs::write(&config, original).unwrap();
    fs::set_permissions(&config, fs::Permissions::from_mode(0o640)).unwrap();
    let out = regctl()
        .arg("-c")
        .arg(&config)
        .args([
            "cert",
            "self-signed",
            "--host",
            "registry.test",
            "--update-config",
        ])
        .output()
        .unwrap();
    let stdout = success_stdout(&out);
    assert!(
        stdout.contains("registry.test:5001"),
        "port from http.addr: {stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the rest of the file is unchanged"),
        "{stderr}"
    );

    let certs = tmp.path().join("certs");
    assert!(
        certs.join("server.crt").is_file(),
        "default dir is certs/ beside the config"
    );
    // The config editor appended the section and left every other byte (the comment too).
    let text = fs::read_to_string(&config).unwrap();
    assert_eq!(
        text,
        format!(
            "{original}  tls:\n    certificate: {}\n    key: {}\n",
            certs.join("server.crt").display(),
            certs.join("server.key").display()
        )
    );
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        doc["http"]["tls"]["certificate"].as_str(),
        Some(certs.join("server.crt").to_str().unwrap())
    );
    assert_eq!(
        doc["http"]["tls"]["key"].as_str(),
        Some(certs.join("server.key").to_str().unwrap())
    );
    assert_eq!(doc["http"]["addr"].as_str(), Some(":5001"));
    assert_eq!(
        doc["storage"]["filesystem"]["rootdirectory"].as_str(),
        Some("/srv/registry")
    );
    assert_eq!(mode(&config), 0o640, "the config keeps its mode");

    // `cert show` without FILE reads the configured certificate.
    let shown = success_stdout(
        &regctl()
            .arg("-c")
            .arg(&config)
            .args(["cert", "show"])
            .output()
            .unwrap(),
    );
    assert!(shown.contains("CN=registry.test"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// `regctl serve` with the generated certificate, checked by curl and skopeo (and the same files
// under Debian's docker-registry, for people who keep registry:2).

fn curl(args: &[&str]) -> Output {
    let curl = require_tool("curl", "curl");
    Command::new(curl)
        .args(["--silent", "--show-error", "--max-time", "60"])
        .args(args)
        .env_remove("CURL_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap()
}

/// `curl`'s exit code for "the peer's certificate cannot be verified".
const CURL_UNTRUSTED: i32 = 60;

/// `regctl serve` over TLS with `certificate`/`key`, through distribution's environment names.
fn serve_tls(root: &Path, certificate: &Path, key: &Path) -> Server {
    Server::start(
        root,
        &[],
        &[
            (
                "REGISTRY_HTTP_TLS_CERTIFICATE",
                certificate.to_str().unwrap(),
            ),
            ("REGISTRY_HTTP_TLS_KEY", key.to_str().unwrap()),
        ],
    )
}

fn port_of(server: &Server) -> u16 {
    server.addr.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn regctl_serve_with_the_certificate_is_trusted_by_curl_by_name_and_by_ip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    success_stdout(&self_signed(
        &dir,
        &[
            "--host",
            "localhost",
            "--host",
            "127.0.0.1",
            "--host",
            "registry.test",
        ],
    ));
    let server = serve_tls(
        &tmp.path().join("data"),
        &dir.join("server.crt"),
        &dir.join("server.key"),
    );
    assert!(
        server.ready_line.ends_with("TLS on)"),
        "{}",
        server.ready_line
    );
    let port = port_of(&server);
    let ca = dir.join("ca.crt");
    let ca = ca.to_str().unwrap();

    // localhost as the system resolves it (the server listens on 127.0.0.1 only).
    let by_name = format!("https://localhost:{port}/v2/");
    assert_eq!(success_stdout(&curl(&["--cacert", ca, &by_name])), "{}");
    assert_eq!(curl(&[&by_name]).status.code(), Some(CURL_UNTRUSTED));
    let by_ip = format!("https://127.0.0.1:{port}/v2/");
    assert_eq!(success_stdout(&curl(&["--cacert", ca, &by_ip])), "{}");
    assert_eq!(curl(&[&by_ip]).status.code(), Some(CURL_UNTRUSTED));
    let resolve = format!("registry.test:{port}:127.0.0.1");
    let other_name = format!("https://registry.test:{port}/v2/");
    assert_eq!(
        success_stdout(&curl(&["--cacert", ca, "--resolve", &resolve, &other_name])),
        "{}"
    );

    // A name the certificate does not carry is refused even with the CA.
    let resolve = format!("other.test:{port}:127.0.0.1");
    let wrong = curl(&[
        "--cacert",
        ca,
        "--resolve",
        &resolve,
        &format!("https://other.test:{port}/v2/"),
    ]);
    assert_eq!(wrong.status.code(), Some(CURL_UNTRUSTED));
}

/// `skopeo copy` of a small OCI layout to `docker://HOST:port` for each host, trusting only the CA
/// in `--dest-cert-dir`, and refused without it.
fn skopeo_pushes_with_the_ca_only(tmp: &Path, ca: &Path, hosts: &[&str], port: u16) {
    let skopeo = require_tool("skopeo", "skopeo");
    // containers/image reads every *.crt in the cert dir as a CA.
    let cert_dir = tmp.join("cert-dir");
    fs::create_dir_all(&cert_dir).unwrap();
    fs::copy(ca, cert_dir.join("ca.crt")).unwrap();
    let layout = tmp.join("layout");
    if !layout.exists() {
        write_oci_layout(&layout, "v1", 1, 1024);
    }
    let source = oci_reference(&layout, "v1");
    let skopeo_copy = |dest: &str, with_ca: bool| {
        let mut cmd = Command::new(&skopeo);
        // No registries.conf or auth file of the caller's leaks in.
        cmd.env("HOME", tmp).env_remove("REGISTRY_AUTH_FILE").args([
            "--insecure-policy",
            "copy",
            "--dest-no-creds",
        ]);
        if with_ca {
            cmd.arg("--dest-cert-dir").arg(&cert_dir);
        }
        cmd.args([source.as_str(), dest]).output().unwrap()
    };
    for host in hosts {
        let dest = format!("docker://{host}:{port}/demo/app:v1");
        let out = skopeo_copy(&dest, true);
        assert!(
            out.status.success(),
            "skopeo copy to {dest} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let refused = skopeo_copy(&dest, false);
        assert!(
            !refused.status.success(),
            "without the CA skopeo must refuse {host}"
        );
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("x509") || stderr.contains("certificate"),
            "{stderr}"
        );
    }
}

#[test]
fn skopeo_pushes_to_regctl_serve_with_the_ca_in_its_cert_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    success_stdout(&self_signed(
        &dir,
        &["--host", "localhost", "--host", "127.0.0.1"],
    ));
    let server = serve_tls(
        &tmp.path().join("data"),
        &dir.join("server.crt"),
        &dir.join("server.key"),
    );
    let port = port_of(&server);
    skopeo_pushes_with_the_ca_only(
        tmp.path(),
        &dir.join("ca.crt"),
        &["localhost", "127.0.0.1"],
        port,
    );
    // The pushed image is there, read back over the same verified TLS.
    let tags = success_stdout(&curl(&[
        "--cacert",
        dir.join("ca.crt").to_str().unwrap(),
        &format!("https://localhost:{port}/v2/demo/app/tags/list"),
    ]));
    let tags: serde_json::Value = serde_json::from_str(&tags).unwrap();
    assert_eq!(tags["tags"], serde_json::json!(["v1"]));
}

/// The same files also serve under distribution itself (registry:2 users can use `regctl cert`).
#[test]
fn skopeo_pushes_to_docker_registry_with_the_same_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    success_stdout(&self_signed(
        &dir,
        &["--host", "localhost", "--host", "127.0.0.1"],
    ));

    let port = free_port();
    let config = tmp.path().join("registry.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {}\n    key: {}\n",
            tmp.path().join("data").display(),
            dir.join("server.crt").display(),
            dir.join("server.key").display()
        ),
    )
    .unwrap();
    let _registry = DockerRegistry::start_with_config(&config, &format!("127.0.0.1:{port}"));
    skopeo_pushes_with_the_ca_only(
        tmp.path(),
        &dir.join("ca.crt"),
        &["localhost", "127.0.0.1"],
        port,
    );
}
// ---------------------------------------------------------------------------------------------
// cert show

#[test]
fn show_prints_table_and_json_and_warns_about_expiry_and_host() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    success_stdout(&self_signed(
        &dir,
        &[
            "--host",
            "registry.test",
            "--host",
            "192.168.0.106",
            "--days",
            "10",
        ],
    ));
    let cert = dir.join("server.crt");

    let table = regctl().args(["cert", "show"]).arg(&cert).output().unwrap();
    let stdout = success_stdout(&table);
    for expected in [
        "CN=registry.test",
        "registry.test, 192.168.0.106",
        "CN=regctl CA for registry.test",
        "days left",
    ] {
        assert!(
            stdout.contains(expected),
            "table shows {expected}:\n{stdout}"
        );
    }
    let days_row = stdout.lines().find(|l| l.contains("days left")).unwrap();
    assert!(days_row.contains(" 10 "), "{days_row}");
    let stderr = String::from_utf8_lossy(&table.stderr);
    assert!(
        stderr.contains("warning: the certificate expires in 10 days"),
        "{stderr}"
    );

    let config = tmp.path().join("config.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nhttp:\n  host: https://elsewhere.test:5000\n  tls:\n    certificate: {}\n    key: {}\n",
            cert.display(),
            dir.join("server.key").display()
        ),
    )
    .unwrap();
    let json = regctl()
        .arg("-c")
        .arg(&config)
        .args(["-o", "json", "cert", "show"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&success_stdout(&json)).unwrap();
    assert_eq!(value["certificate"]["subject"], "CN=registry.test");
    assert_eq!(
        value["certificate"]["sans"],
        serde_json::json!(["registry.test", "192.168.0.106"])
    );
    assert_eq!(value["certificate"]["days_left"], 10);
    assert_eq!(value["certificate"]["is_ca"], false);
    assert_eq!(value["chain"][0]["is_ca"], true);
    let warnings = value["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let stderr = String::from_utf8_lossy(&json.stderr);
    assert!(
        stderr.contains("does not cover the configured http.host `elsewhere.test`"),
        "{stderr}"
    );

    // A long-lived certificate for the configured host: no warnings.
    success_stdout(&self_signed(&dir, &["--host", "elsewhere.test"]));
    let quiet = regctl()
        .arg("-c")
        .arg(&config)
        .args(["cert", "show"])
        .output()
        .unwrap();
    success_stdout(&quiet);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("warning"));

    let missing = regctl()
        .args(["cert", "show"])
        .arg(tmp.path().join("nope.crt"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

// ---------------------------------------------------------------------------------------------
// ACME against pebble

/// pebble + pebble-challtestsrv on loopback with their own TLS certificate; killed on drop.
struct Pebble {
    _challtestsrv: KillOnDrop,
    _pebble: KillOnDrop,
    dir: tempfile::TempDir,
    directory_url: String,
    management: String,
    /// The CA of pebble's own HTTPS listener (`--ca-root`).
    tls_ca: PathBuf,
    /// Where pebble's validator connects for HTTP-01 and TLS-ALPN-01 (the responder's ports).
    http_port: u16,
    tls_port: u16,
}

impl Pebble {
    /// `validity_secs`: lifetime of the certificates pebble issues.
    fn start(validity_secs: u64) -> Self {
        let pebble = require_tool("pebble", "pebble");
        let challtestsrv = require_tool("pebble-challtestsrv", "pebble");
        let dir = tempfile::tempdir().unwrap();

        // pebble's own HTTPS certificate: a CA and a leaf (webpki refuses a CA as end entity).
        let ca = TestCa::new("pebble test TLS CA");
        let (leaf, leaf_key) = ca.issue(&["localhost", "127.0.0.1"]);
        let tls_ca = dir.path().join("pebble-tls-ca.pem");
        fs::write(&tls_ca, &ca.cert_pem).unwrap();
        fs::write(dir.path().join("pebble.crt"), leaf).unwrap();
        fs::write(dir.path().join("pebble.key"), leaf_key).unwrap();

        let (listen, management) = (free_port(), free_port());
        let (http_port, tls_port) = (free_port(), free_port());
        let (dns, dns_management) = (free_port(), free_port());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{listen}"),
                "managementListenAddress": format!("127.0.0.1:{management}"),
                "certificate": dir.path().join("pebble.crt"),
                "privateKey": dir.path().join("pebble.key"),
                "httpPort": http_port,
                "tlsPort": tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false,
                "certificateValidityPeriod": validity_secs,
            }
        });
        let config_path = dir.path().join("pebble-config.json");
        fs::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();

        // Only its fake DNS is needed: every name resolves to 127.0.0.1 (and to no IPv6 address).
        let dns_child = Command::new(challtestsrv)
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{dns_management}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Owned before waiting, so a failed start still kills it.
        let mut challtestsrv = KillOnDrop(dns_child);
        wait_for_port(
            &format!("127.0.0.1:{dns_management}"),
            &mut challtestsrv.0,
            "pebble-challtestsrv",
        );

        let pebble_child = Command::new(pebble)
            .arg("-config")
            .arg(&config_path)
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            // Deterministic runs: no random nonce rejections, and every order validates afresh.
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut pebble = KillOnDrop(pebble_child);
        wait_for_port(&format!("127.0.0.1:{listen}"), &mut pebble.0, "pebble");
        wait_for_port(
            &format!("127.0.0.1:{management}"),
            &mut pebble.0,
            "pebble management",
        );
        Self {
            _challtestsrv: challtestsrv,
            _pebble: pebble,
            dir,
            directory_url: format!("https://127.0.0.1:{listen}/dir"),
            management: format!("https://127.0.0.1:{management}"),
            tls_ca,
            http_port,
            tls_port,
        }
    }

    /// pebble's issuing root, from its management interface.
    fn root(&self) -> PathBuf {
        let out = success_stdout(&curl(&[
            "--cacert",
            self.tls_ca.to_str().unwrap(),
            &format!("{}/roots/0", self.management),
        ]));
        assert!(out.contains("BEGIN CERTIFICATE"), "{out}");
        let path = self.dir.path().join("root.pem");
        fs::write(&path, out).unwrap();
        path
    }

    fn acme(&self, out_dir: &Path, challenge: &str, hosts: &[&str], extra: &[&str]) -> Output {
        let mut cmd = regctl();
        cmd.args([
            "cert",
            "acme",
            "--directory",
            &self.directory_url,
            "--ca-root",
        ])
        .arg(&self.tls_ca)
        .arg("--dir")
        .arg(out_dir)
        .args(["--email", "ops@registry.test", "--challenge", challenge])
        .args(["--http-addr", "127.0.0.1", "--tls-addr", "127.0.0.1"])
        .args(["--tls-port", &self.tls_port.to_string()]);
        if !extra.contains(&"--http-port") {
            cmd.args(["--http-port", &self.http_port.to_string()]);
        }
        for host in hosts {
            cmd.args(["--host", host]);
        }
        cmd.args(extra).output().unwrap()
    }
}

/// The issued chain verifies against pebble's root, and names exactly the requested hosts.
fn assert_chain_verifies(pebble: &Pebble, out_dir: &Path, expected_sans: &[&str]) {
    assert_stored_chain_verifies(pebble, &CertStore::in_dir(out_dir), expected_sans);
}

fn assert_stored_chain_verifies(pebble: &Pebble, store: &CertStore, expected_sans: &[&str]) {
    let openssl = require_tool("openssl", "openssl");
    let out_dir = store.cert_path.parent().unwrap();
    let chain = pem_blocks(&store.cert_path);
    assert!(chain.len() >= 2, "leaf and intermediate");
    let leaf = parse(&chain[0]);
    let mut sans = san_strings(&leaf);
    sans.sort();
    let mut expected: Vec<String> = expected_sans.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(sans, expected);

    let pem = |der: &[u8]| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    let leaf_path = out_dir.join("leaf.pem");
    let intermediates = out_dir.join("intermediates.pem");
    fs::write(&leaf_path, pem(&chain[0])).unwrap();
    fs::write(
        &intermediates,
        chain[1..].iter().map(|c| pem(c)).collect::<String>(),
    )
    .unwrap();
    let verify = run_tool(
        Command::new(openssl)
            .arg("verify")
            .arg("-CAfile")
            .arg(pebble.root())
            .arg("-untrusted")
            .arg(&intermediates)
            .arg(&leaf_path),
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains(": OK"));

    // The key regctl wrote belongs to the certificate.
    let key_pem = fs::read_to_string(&store.key_path).unwrap();
    let key = rcgen::KeyPair::from_pem(&key_pem).unwrap();
    assert_eq!(
        leaf.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw()
    );
    assert_eq!(mode(&store.key_path), 0o600);
    assert_eq!(mode(&store.account_path), 0o600);
}

#[test]
fn acme_http01_against_pebble_obtains_and_renews_a_short_lived_certificate() {
    // One hour: far inside the default 30-day renewal window.
    let pebble = Pebble::start(3600);
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("certs");
    let hosts = ["registry.test", "www.registry.test", "127.0.0.1"];

    let first = pebble.acme(&out_dir, "http-01", &hosts, &["--renew-before", "1m"]);
    let stdout = success_stdout(&first);
    assert!(stdout.starts_with("obtained "), "{stdout}");
    assert_chain_verifies(
        &pebble,
        &out_dir,
        &["DNS:registry.test", "DNS:www.registry.test", "IP:127.0.0.1"],
    );
    let account = fs::read(out_dir.join("acme-account.json")).unwrap();
    let first_cert = fs::read(out_dir.join("server.crt")).unwrap();
    let first_leaf = pem_blocks(&out_dir.join("server.crt"))[0].clone();
    let lifetime = {
        let leaf = parse(&first_leaf);
        leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp()
    };
    assert!(
        lifetime <= 3600,
        "pebble issued the short-lived certificate: {lifetime}s"
    );

    // Not yet due with a one-minute window: kept, nothing contacted.
    let kept = pebble.acme(&out_dir, "http-01", &hosts, &["--renew-before", "1m"]);
    assert!(success_stdout(&kept).starts_with("kept "));
    assert_eq!(fs::read(out_dir.join("server.crt")).unwrap(), first_cert);

    // The default 30-day window: the one-hour certificate is due, so it is renewed, with the
    // cached account (challenges validated again: pebble reuses no authorization here).
    let renewed = pebble.acme(&out_dir, "http-01", &hosts, &[]);
    assert!(success_stdout(&renewed).starts_with("obtained "));
    assert_ne!(fs::read(out_dir.join("server.crt")).unwrap(), first_cert);
    assert_eq!(
        fs::read(out_dir.join("acme-account.json")).unwrap(),
        account,
        "account reused"
    );
    assert_chain_verifies(
        &pebble,
        &out_dir,
        &["DNS:registry.test", "DNS:www.registry.test", "IP:127.0.0.1"],
    );

    // A subset of the names is still covered: kept. A new name forces a new order at once.
    let json = pebble.acme(
        &out_dir,
        "http-01",
        &["registry.test"],
        &["-o", "json", "--renew-before", "1m"],
    );
    let value: serde_json::Value = serde_json::from_str(&success_stdout(&json)).unwrap();
    assert_eq!(
        value["obtained"], false,
        "registry.test is still covered: {value}"
    );
    assert_eq!(value["challenge"], "http-01");
    let wider = pebble.acme(
        &out_dir,
        "http-01",
        &["registry.test", "new.registry.test"],
        &["-o", "json", "--renew-before", "1m"],
    );
    let value: serde_json::Value = serde_json::from_str(&success_stdout(&wider)).unwrap();
    assert_eq!(
        value["obtained"], true,
        "new.registry.test was not covered: {value}"
    );
    assert_chain_verifies(
        &pebble,
        &out_dir,
        &["DNS:registry.test", "DNS:new.registry.test"],
    );
}

#[test]
fn acme_tls_alpn01_against_pebble() {
    let pebble = Pebble::start(86_400 * 90);
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("certs");
    let out = pebble.acme(
        &out_dir,
        "tls-alpn-01",
        &["registry.test", "127.0.0.1"],
        &["-o", "json"],
    );
    let value: serde_json::Value = serde_json::from_str(&success_stdout(&out)).unwrap();
    assert_eq!(value["obtained"], true);
    assert_eq!(value["challenge"], "tls-alpn-01");
    assert_chain_verifies(&pebble, &out_dir, &["DNS:registry.test", "IP:127.0.0.1"]);
}

#[test]
fn acme_reports_a_failed_validation_with_the_servers_reason() {
    let pebble = Pebble::start(3600);
    let tmp = tempfile::tempdir().unwrap();
    // Another web server owns the port pebble validates on (as when port 80 is not forwarded to
    // regctl), so the challenge is answered with a 404. Holding the port also keeps a concurrent
    // test from binding it and answering in our place.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", pebble.http_port))
        .expect("hold pebble's HTTP-01 port");
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        for mut stream in squatter.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    // regctl's own responder listens on a port the kernel picks, which nobody is sent to.
    let out = pebble.acme(
        &tmp.path().join("certs"),
        "http-01",
        &["registry.test"],
        &["--http-port", "0"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not validate registry.test"),
        "{stderr}"
    );
    assert!(
        stderr.contains("404"),
        "the server's reason is shown: {stderr}"
    );
    assert!(!tmp.path().join("certs/server.crt").exists());
}

// ---------------------------------------------------------------------------------------------
// `regctl serve` with http.tls.letsencrypt against pebble: TLS-ALPN-01 answered by the server's
// own TLS listener (pebble's `tlsPort` is the port regctl serve listens on).

impl Pebble {
    /// A config.yml for `regctl serve` on `port` with `http.tls.letsencrypt` pointing at this
    /// pebble; the cache file is `dir/certs/letsencrypt.json`.
    fn serve_config(&self, dir: &Path, port: u16, hosts: &[&str]) -> PathBuf {
        let config = dir.join("config.yml");
        let hosts: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {data}\nhttp:\n  addr: 127.0.0.1:{port}\n  tls:\n    letsencrypt:\n      cachefile: {cachefile}\n      email: ops@registry.test\n      hosts: [{hosts}]\n      directoryurl: {directory}\n",
                data = dir.join("data").display(),
                cachefile = dir.join("certs/letsencrypt.json").display(),
                hosts = hosts.join(", "),
                directory = self.directory_url,
            ),
        )
        .unwrap();
        config
    }

    /// `regctl serve -c CONFIG`, its ACME client trusting pebble's own HTTPS.
    fn serve_command(&self, config: &Path) -> Command {
        let mut cmd = regctl();
        cmd.arg("serve")
            .arg("-c")
            .arg(config)
            .env("REGCTL_ACME_CA_ROOT", &self.tls_ca);
        cmd
    }

    /// `regctl serve` on pebble's TLS-ALPN-01 port; returns once its ready line is printed.
    fn serve(&self, config: &Path) -> Server {
        Server::start_with_args(
            &["serve", "-c", config.to_str().unwrap()],
            &[("REGCTL_ACME_CA_ROOT", self.tls_ca.to_str().unwrap())],
        )
    }
}

/// What `openssl s_client` gets on `127.0.0.1:port` for SNI `server_name`: the leaf's DER, once
/// the chain verified against `root` for that name.
fn served_leaf(port: u16, server_name: &str, root: &Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject as _;
    let openssl = require_tool("openssl", "openssl");
    let out = run_tool(
        Command::new(openssl)
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(["-servername", server_name, "-verify_hostname", server_name])
            .arg("-CAfile")
            .arg(root)
            .arg("-verify_return_error")
            .stdin(Stdio::null()),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    let leaf = rustls_pki_types::CertificateDer::pem_slice_iter(&out.stdout)
        .next()
        .expect("s_client prints the server certificate")
        .unwrap();
    leaf.to_vec()
}

fn serial_and_not_before(der: &[u8]) -> (String, i64) {
    let cert = parse(der);
    (
        cert.raw_serial_as_string(),
        cert.validity().not_before.timestamp(),
    )
}

#[test]
fn serve_with_letsencrypt_obtains_its_certificate_from_pebble_over_tls_alpn01() {
    let pebble = Pebble::start(90 * 86_400);
    let tmp = tempfile::tempdir().unwrap();
    let port = pebble.tls_port;
    let config = pebble.serve_config(tmp.path(), port, &["registry.test", "127.0.0.1"]);
    let store = CertStore::for_cachefile(&tmp.path().join("certs/letsencrypt.json"));

    let server = pebble.serve(&config);
    assert_eq!(server.base, format!("https://127.0.0.1:{port}"));
    assert!(
        server.ready_line.ends_with("TLS on)"),
        "{}",
        server.ready_line
    );
    // The ready line came after the certificate: it is stored and served right away.
    assert_stored_chain_verifies(&pebble, &store, &["DNS:registry.test", "IP:127.0.0.1"]);
    let root = pebble.root();
    let stored_leaf = pem_blocks(&store.cert_path)[0].clone();
    assert_eq!(served_leaf(port, "registry.test", &root), stored_leaf);

    let root_arg = root.to_str().unwrap();
    let resolve = format!("registry.test:{port}:127.0.0.1");
    let by_name = format!("https://registry.test:{port}/v2/");
    assert_eq!(
        success_stdout(&curl(&[
            "--cacert",
            root_arg,
            "--resolve",
            &resolve,
            &by_name
        ])),
        "{}"
    );
    let by_ip = format!("https://127.0.0.1:{port}/v2/");
    assert_eq!(success_stdout(&curl(&["--cacert", root_arg, &by_ip])), "{}");
    assert_eq!(curl(&[&by_ip]).status.code(), Some(CURL_UNTRUSTED));

    // A handshake offering acme-tls/1 while no validation is pending gets no certificate at all.
    let openssl = require_tool("openssl", "openssl");
    let acme_tls = Command::new(&openssl)
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "registry.test", "-alpn", "acme-tls/1"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!acme_tls.status.success(), "acme-tls/1 handshake refused");
    assert!(
        !String::from_utf8_lossy(&acme_tls.stdout).contains("BEGIN CERTIFICATE"),
        "no certificate for acme-tls/1 without a pending validation"
    );

    // A real client pushes, trusting pebble's root only.
    skopeo_pushes_with_the_ca_only(tmp.path(), &root, &["127.0.0.1"], port);

    // After a restart the stored certificate is served at once: no new order.
    let account = fs::read(&store.account_path).unwrap();
    let certificate = fs::read(&store.cert_path).unwrap();
    assert!(server.terminate().success());
    let _again = pebble.serve(&config);
    assert_eq!(served_leaf(port, "registry.test", &root), stored_leaf);
    assert_eq!(fs::read(&store.cert_path).unwrap(), certificate);
    assert_eq!(fs::read(&store.account_path).unwrap(), account);
}

#[test]
fn serve_with_letsencrypt_renews_a_short_lived_certificate_without_a_restart() {
    // 60 s certificates: renewal is due when a third (20 s) is left.
    let pebble = Pebble::start(60);
    let tmp = tempfile::tempdir().unwrap();
    let port = pebble.tls_port;
    let config = pebble.serve_config(tmp.path(), port, &["registry.test"]);
    let store = CertStore::for_cachefile(&tmp.path().join("certs/letsencrypt.json"));
    let mut server = pebble.serve(&config);
    let root = pebble.root();
    let account = fs::read(&store.account_path).unwrap();

    let first = serial_and_not_before(&served_leaf(port, "registry.test", &root));
    let lifetime = {
        let leaf = pem_blocks(&store.cert_path)[0].clone();
        let leaf = parse(&leaf);
        leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp()
    };
    assert!(
        lifetime <= 60,
        "pebble issued a short-lived certificate: {lifetime}s"
    );

    // Wait for the event (a new certificate on the same listener), not for a fixed time.
    let deadline = Instant::now() + Duration::from_secs(300);
    let renewed = loop {
        std::thread::sleep(Duration::from_secs(2));
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "regctl serve kept running"
        );
        let now = serial_and_not_before(&served_leaf(port, "registry.test", &root));
        if now.0 != first.0 {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "the certificate was never renewed"
        );
    };
    assert!(renewed.1 >= first.1, "the new certificate is the newer one");
    assert_eq!(
        fs::read(&store.account_path).unwrap(),
        account,
        "the account is reused"
    );
    let resolve = format!("registry.test:{port}:127.0.0.1");
    let url = format!("https://registry.test:{port}/v2/");
    assert_eq!(
        success_stdout(&curl(&[
            "--cacert",
            root.to_str().unwrap(),
            "--resolve",
            &resolve,
            &url
        ])),
        "{}"
    );
    assert!(server.child.try_wait().unwrap().is_none());
}

#[test]
fn serve_with_letsencrypt_exits_with_the_reason_when_no_certificate_can_be_obtained() {
    let pebble = Pebble::start(3600);
    let tmp = tempfile::tempdir().unwrap();
    // pebble validates on its tlsPort; regctl serve listens elsewhere, so nobody answers there.
    let config = pebble.serve_config(tmp.path(), free_port(), &["registry.test"]);
    let out = pebble.serve_command(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot obtain a certificate from https://127.0.0.1:")
            && stderr.contains("could not validate registry.test"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "never announced as ready"
    );
}

#[test]
fn serve_refuses_letsencrypt_together_with_certificate_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    success_stdout(&self_signed(&dir, &["--host", "registry.test"]));
    let config = tmp.path().join("config.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n  tls:\n    certificate: {}\n    key: {}\n    letsencrypt:\n      cachefile: {}\n      hosts: [registry.test]\n",
            tmp.path().join("data").display(),
            dir.join("server.crt").display(),
            dir.join("server.key").display(),
            tmp.path().join("le.json").display()
        ),
    )
    .unwrap();
    let out = regctl()
        .arg("serve")
        .arg("-c")
        .arg(&config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("http.tls.letsencrypt"), "{stderr}");
    assert!(stderr.contains("http.tls.certificate"), "{stderr}");
}
