//! `regctl cert`: self-signed certificates checked with x509-parser, openssl, curl and skopeo
//! against Debian's docker-registry; ACME against Debian's pebble with challenges really validated.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{parse_x509_certificate, X509Certificate};

use crate::common::{free_port, regctl, require_tool, success_stdout};

/// Kills the process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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

#[test]
fn update_config_points_tls_at_the_new_files_and_keeps_other_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.yml");
    fs::write(
        &config,
        "version: 0.1\n# a comment\nstorage:\n  filesystem:\n    rootdirectory: /srv/registry\nhttp:\n  addr: :5001\n  host: https://registry.test:5001\n",
    )
    .unwrap();
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
        stderr.contains("comments in that file are not preserved"),
        "{stderr}"
    );

    let certs = tmp.path().join("certs");
    assert!(
        certs.join("server.crt").is_file(),
        "default dir is certs/ beside the config"
    );
    let doc: serde_yaml::Value = serde_yaml::from_slice(&fs::read(&config).unwrap()).unwrap();
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
// A TLS server inside the test, serving the generated certificate (regctl serve is another module).

fn tls_server(runtime: &tokio::runtime::Runtime, cert_file: &Path, key_file: &Path) -> SocketAddr {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key_file).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(b"tls ok\n")),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

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

#[test]
fn curl_trusts_the_certificate_by_name_and_by_ip_with_the_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs");
    success_stdout(&self_signed(
        &dir,
        &[
            "--host",
            "registry.test",
            "--host",
            "localhost",
            "--host",
            "127.0.0.1",
        ],
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = tls_server(&runtime, &dir.join("server.crt"), &dir.join("server.key"));
    let port = addr.port();
    let ca = dir.join("ca.crt");
    let ca = ca.to_str().unwrap();

    for name in ["registry.test", "localhost"] {
        let resolve = format!("{name}:{port}:127.0.0.1");
        let url = format!("https://{name}:{port}/");
        let out = curl(&["--cacert", ca, "--resolve", &resolve, &url]);
        assert_eq!(success_stdout(&out), "tls ok\n", "by name {name}");
        let untrusted = curl(&["--resolve", &resolve, &url]);
        assert_eq!(
            untrusted.status.code(),
            Some(60),
            "without the CA curl must refuse {name}"
        );
    }
    let by_ip = format!("https://127.0.0.1:{port}/");
    assert_eq!(
        success_stdout(&curl(&["--cacert", ca, &by_ip])),
        "tls ok\n",
        "by IP"
    );
    assert_eq!(
        curl(&[&by_ip]).status.code(),
        Some(60),
        "without the CA, by IP"
    );

    // A name the certificate does not carry is refused even with the CA.
    let resolve = format!("other.test:{port}:127.0.0.1");
    let wrong = curl(&[
        "--cacert",
        ca,
        "--resolve",
        &resolve,
        &format!("https://other.test:{port}/"),
    ]);
    assert_eq!(wrong.status.code(), Some(60));
}

// ---------------------------------------------------------------------------------------------
// skopeo (Go's TLS stack, containers/image cert-dir) pushing to Debian's docker-registry.

/// A one-layer OCI image layout; returns the `oci:` reference.
fn write_oci_layout(dir: &Path) -> String {
    use sha2::{Digest as _, Sha256};
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let hex = hex::encode(Sha256::digest(bytes));
        fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let layer = vec![0u8; 1024]; // an empty tar archive: two zero blocks
    let (layer_digest, layer_size) = put(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
    );
    let (config_digest, config_size) = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, manifest_size) = put(manifest.as_bytes());
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size},"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}]}}"#
        ),
    )
    .unwrap();
    format!("oci:{}:v1", dir.display())
}

fn wait_for_port(addr: &str, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on {addr}: {status}");
        }
        assert!(Instant::now() < deadline, "{what} never listened on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn skopeo_pushes_over_tls_with_the_ca_in_its_cert_dir() {
    let registry = require_tool("docker-registry", "docker-registry");
    let skopeo = require_tool("skopeo", "skopeo");
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
    let mut child = Command::new(registry)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(&format!("127.0.0.1:{port}"), &mut child, "docker-registry");
    let _registry = Running(child);

    // containers/image reads every *.crt in the cert dir as a CA.
    let cert_dir = tmp.path().join("cert-dir");
    fs::create_dir_all(&cert_dir).unwrap();
    fs::copy(dir.join("ca.crt"), cert_dir.join("ca.crt")).unwrap();
    let source = write_oci_layout(&tmp.path().join("layout"));
    let skopeo_copy = |dest: &str, with_ca: bool| {
        let mut cmd = Command::new(&skopeo);
        cmd.env("HOME", tmp.path())
            .args(["--insecure-policy", "copy", "--dest-no-creds"]);
        if with_ca {
            cmd.arg("--dest-cert-dir").arg(&cert_dir);
        }
        cmd.args([source.as_str(), dest]).output().unwrap()
    };
    for host in ["localhost", "127.0.0.1"] {
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
    _challtestsrv: Running,
    _pebble: Running,
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
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::default();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "pebble test TLS CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let tls_ca = dir.path().join("pebble-tls-ca.pem");
        fs::write(&tls_ca, ca.pem()).unwrap();
        fs::write(dir.path().join("pebble.crt"), leaf.pem()).unwrap();
        fs::write(dir.path().join("pebble.key"), leaf_key.serialize_pem()).unwrap();

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
        let mut dns_child = Command::new(challtestsrv)
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{dns_management}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(
            &format!("127.0.0.1:{dns_management}"),
            &mut dns_child,
            "pebble-challtestsrv",
        );
        let challtestsrv = Running(dns_child);

        let mut pebble_child = Command::new(pebble)
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
        wait_for_port(&format!("127.0.0.1:{listen}"), &mut pebble_child, "pebble");
        wait_for_port(
            &format!("127.0.0.1:{management}"),
            &mut pebble_child,
            "pebble management",
        );
        Self {
            _challtestsrv: challtestsrv,
            _pebble: Running(pebble_child),
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
    let openssl = require_tool("openssl", "openssl");
    let chain = pem_blocks(&out_dir.join("server.crt"));
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
    let key_pem = fs::read_to_string(out_dir.join("server.key")).unwrap();
    let key = rcgen::KeyPair::from_pem(&key_pem).unwrap();
    assert_eq!(
        leaf.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw()
    );
    assert_eq!(mode(&out_dir.join("server.key")), 0o600);
    assert_eq!(mode(&out_dir.join("acme-account.json")), 0o600);
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
    // Nobody answers on pebble's HTTP-01 port: this responder listens elsewhere.
    let elsewhere = free_port().to_string();
    let out = pebble.acme(
        &tmp.path().join("certs"),
        "http-01",
        &["registry.test"],
        &["--http-port", &elsewhere],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not validate registry.test"),
        "{stderr}"
    );
    assert!(!tmp.path().join("certs/server.crt").exists());
}

/// What `regctl serve` does for `http.tls.letsencrypt`, through the same library calls: one TLS
/// listener whose resolver answers `acme-tls/1` handshakes from the `ChallengeResponder` and every
/// other handshake with the current certificate, which `ensure_certificate` obtains at start and
/// renews, and which is swapped in without restarting the listener.
#[test]
fn serve_style_listener_obtains_and_renews_through_ensure_certificate() {
    use regctl::certs::acme::{self, AcmeRequest, CertStore, ChallengeKind};
    use regctl::certs::challenge::{ChallengeResponder, ACME_TLS_ALPN_PROTOCOL};
    use regctl::certs::SubjectName;
    use rustls::server::{ClientHello, ResolvesServerCert};
    use rustls::sign::CertifiedKey;
    use std::sync::RwLock;

    #[derive(Debug)]
    struct HotSwap {
        responder: ChallengeResponder,
        current: RwLock<Option<Arc<CertifiedKey>>>,
    }
    impl ResolvesServerCert for HotSwap {
        fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
            self.responder
                .resolve_tls_alpn01(&hello)
                .or_else(|| self.current.read().unwrap().clone())
        }
    }

    let pebble = Pebble::start(3600);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let responder = ChallengeResponder::new();
    let resolver = Arc::new(HotSwap {
        responder: responder.clone(),
        current: RwLock::new(None),
    });
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec(), ACME_TLS_ALPN_PROTOCOL.to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    // The port pebble validates TLS-ALPN-01 on plays the registry's HTTPS port.
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind((
            "127.0.0.1",
            pebble.tls_port,
        )))
        .unwrap();
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                if tls.get_ref().1.alpn_protocol() == Some(ACME_TLS_ALPN_PROTOCOL) {
                    return; // a validation: the handshake was the answer
                }
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(b"registry\n")),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });

    let tmp = tempfile::tempdir().unwrap();
    let store = CertStore::for_cachefile(&tmp.path().join("letsencrypt.json"));
    let request = AcmeRequest {
        directory_url: pebble.directory_url.clone(),
        email: Some("ops@registry.test".into()),
        hosts: vec![SubjectName::parse("registry.test").unwrap()],
        ca_root: Some(pebble.tls_ca.clone()),
        challenge: ChallengeKind::TlsAlpn01,
    };
    let ensure = |before: Duration| {
        let ensured = runtime
            .block_on(acme::ensure_certificate(
                &request,
                &store,
                &responder,
                before,
                time::OffsetDateTime::now_utc(),
            ))
            .unwrap();
        *resolver.current.write().unwrap() =
            Some(Arc::new(ensured.issued.certified_key().unwrap()));
        ensured
    };
    let fetch = || {
        let root = pebble.root();
        let resolve = format!("registry.test:{}:127.0.0.1", pebble.tls_port);
        let url = format!("https://registry.test:{}/", pebble.tls_port);
        success_stdout(&curl(&[
            "--cacert",
            root.to_str().unwrap(),
            "--resolve",
            &resolve,
            &url,
        ]))
    };

    let started = ensure(acme::DEFAULT_RENEW_BEFORE);
    assert!(started.obtained);
    assert_eq!(
        fetch(),
        "registry\n",
        "curl trusts the ACME certificate via pebble's root"
    );
    assert!(tmp.path().join("letsencrypt.crt").is_file());
    assert!(tmp.path().join("letsencrypt.key").is_file());

    // The one-hour certificate is inside the 30-day window: renewed, hot-swapped, still served.
    let renewed = ensure(acme::DEFAULT_RENEW_BEFORE);
    assert!(renewed.obtained);
    assert_ne!(renewed.issued.chain_pem, started.issued.chain_pem);
    assert_eq!(fetch(), "registry\n");
    // Outside a one-minute window it is kept.
    let kept = ensure(Duration::from_secs(60));
    assert!(!kept.obtained);
    assert_eq!(kept.issued, renewed.issued);
    assert!(
        responder.tls_alpn01("registry.test").is_none(),
        "challenge withdrawn"
    );
}
