//! `regctl client-setup` against temporary `--root` directories, and the files it writes read by
//! the real skopeo (containers/image: the same registries.conf.d and certs.d rules as podman, and
//! docker's certs.d loading) talking to Debian's docker-registry.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::docker_registry::DockerRegistry;
use crate::common::pki::TestCa;
use crate::common::{free_port, regctl, require_tool, success_stdout};

const ADDR: &str = "192.168.0.106:5000";

/// `regctl client-setup ARGS --root ROOT --no-probe`: the tests' addresses (192.168.0.106, names
/// that do not resolve) are never contacted; only loopback servers are probed, by
/// [`setup_probing`].
fn setup(root: &Path, args: &[&str]) -> Output {
    regctl()
        .arg("client-setup")
        .args(args)
        .arg("--root")
        .arg(root)
        .arg("--no-probe")
        .output()
        .expect("run regctl client-setup")
}

fn setup_probing(root: &Path, args: &[&str]) -> Output {
    regctl()
        .arg("client-setup")
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run regctl client-setup")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn daemon_json(root: &Path) -> PathBuf {
    root.join("etc/docker/daemon.json")
}

/// Every file under `root` with its content: "nothing was written" means this did not change.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.insert(path.clone(), Vec::new());
                pending.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn backups(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("etc/docker");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("daemon.json.bak-")
        })
        .collect();
    found.sort();
    found
}

fn write(path: &Path, content: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn object_keys(text: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(text).unwrap() {
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

const USER_DAEMON_JSON: &str = r#"{
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "3"},
  "insecure-registries": ["10.1.1.1:5000"],
  "data-root": "/srv/docker",
  "debug": false
}
"#;

#[test]
fn merge_keeps_every_other_key_and_a_second_run_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let path = daemon_json(root.path());
    write(&path, USER_DAEMON_JSON);

    let first = setup(root.path(), &[ADDR]);
    success_stdout(&first);
    assert!(
        stderr(&first).contains("sudo systemctl restart docker"),
        "{}",
        stderr(&first)
    );
    let merged = fs::read_to_string(&path).unwrap();
    assert_eq!(
        object_keys(&merged),
        [
            "log-driver",
            "log-opts",
            "insecure-registries",
            "data-root",
            "debug"
        ]
    );
    let old: Value = serde_json::from_str(USER_DAEMON_JSON).unwrap();
    let new: Value = serde_json::from_str(&merged).unwrap();
    for key in ["log-driver", "log-opts", "data-root", "debug"] {
        assert_eq!(old[key], new[key], "{key} kept");
    }
    assert_eq!(
        new["insecure-registries"],
        serde_json::json!(["10.1.1.1:5000", ADDR])
    );

    // The backup holds the file exactly as it was.
    let saved = backups(root.path());
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0].file_name().unwrap().to_string_lossy().into_owned();
    let stamp = name.trim_start_matches("daemon.json.bak-");
    assert!(
        stamp.len() == 16 && stamp.as_bytes()[8] == b'T' && stamp.ends_with('Z'),
        "backup name {name} is daemon.json.bak-YYYYMMDDTHHMMSSZ"
    );
    assert_eq!(fs::read_to_string(&saved[0]).unwrap(), USER_DAEMON_JSON);

    let before = snapshot(root.path());
    let second = setup(root.path(), &[ADDR]);
    success_stdout(&second);
    assert!(
        stderr(&second).contains("nothing to change"),
        "{}",
        stderr(&second)
    );
    assert!(!stderr(&second).contains("restart"), "{}", stderr(&second));
    assert_eq!(snapshot(root.path()), before, "a second run writes nothing");
}

#[test]
fn creates_daemon_json_when_absent() {
    let root = tempfile::tempdir().unwrap();
    success_stdout(&setup(root.path(), &[ADDR]));
    let created: Value =
        serde_json::from_str(&fs::read_to_string(daemon_json(root.path())).unwrap()).unwrap();
    assert_eq!(
        created,
        serde_json::json!({ "insecure-registries": [ADDR] })
    );
    assert!(backups(root.path()).is_empty(), "nothing to back up");
}

#[test]
fn refuses_a_daemon_json_it_cannot_edit_and_writes_nothing() {
    for (content, reason) in [
        ("{\n  \"debug\": true,\n}\n", "not valid JSON"),
        ("[\"a\"]\n", "not a JSON object"),
        (
            "{\"insecure-registries\": \"10.1.1.1:5000\"}\n",
            "not an array of strings",
        ),
    ] {
        let root = tempfile::tempdir().unwrap();
        write(&daemon_json(root.path()), content);
        let before = snapshot(root.path());
        let out = setup(root.path(), &[ADDR, "--containerd", "--podman"]);
        assert_eq!(out.status.code(), Some(1), "{content}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("error: cannot edit ") && err.contains("daemon.json"),
            "{err}"
        );
        assert!(err.contains(reason), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(snapshot(root.path()), before, "{content}: nothing written");
    }
}

#[test]
fn dry_run_prints_the_diff_of_every_file_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    write(&daemon_json(root.path()), USER_DAEMON_JSON);
    let before = snapshot(root.path());
    let out = setup(
        root.path(),
        &[ADDR, "--containerd", "--podman", "--dry-run"],
    );
    let diff = success_stdout(&out);
    let json_path = daemon_json(root.path()).display().to_string();
    assert!(
        diff.contains(&format!("--- {json_path}\n+++ {json_path}\n")),
        "{diff}"
    );
    assert!(diff.contains("+    \"192.168.0.106:5000\""), "{diff}");
    assert!(
        diff.contains("-  \"insecure-registries\": [\"10.1.1.1:5000\"],"),
        "{diff}"
    );
    assert!(diff.contains("--- /dev/null\n+++ "), "{diff}");
    assert!(
        diff.contains("/etc/containerd/certs.d/192.168.0.106:5000/hosts.toml"),
        "{diff}"
    );
    assert!(
        diff.contains("/etc/containers/registries.conf.d/50-regctl-192.168.0.106_5000.conf"),
        "{diff}"
    );
    assert!(
        diff.contains("+server = \"http://192.168.0.106:5000\""),
        "{diff}"
    );
    assert!(
        stderr(&out).contains("nothing was written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(root.path()), before, "dry run writes nothing");
}

#[test]
fn plain_http_writes_containerd_hosts_toml_and_podman_drop_in() {
    let root = tempfile::tempdir().unwrap();
    success_stdout(&setup(root.path(), &[ADDR, "--containerd", "--podman"]));
    let hosts = fs::read_to_string(
        root.path()
            .join("etc/containerd/certs.d/192.168.0.106:5000/hosts.toml"),
    )
    .unwrap();
    assert!(
        hosts.contains("\nserver = \"http://192.168.0.106:5000\"\n"),
        "{hosts}"
    );
    assert!(
        hosts.contains("\n[host.\"http://192.168.0.106:5000\"]\n"),
        "{hosts}"
    );
    assert!(
        hosts.contains("\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n"),
        "{hosts}"
    );
    assert!(hosts.contains("\n  skip_verify = true\n"), "{hosts}");
    assert!(!hosts.contains("https://"), "{hosts}");

    let drop_in = fs::read_to_string(
        root.path()
            .join("etc/containers/registries.conf.d/50-regctl-192.168.0.106_5000.conf"),
    )
    .unwrap();
    assert!(
        drop_in.contains("\n[[registry]]\nlocation = \"192.168.0.106:5000\"\ninsecure = true\n"),
        "{drop_in}"
    );
}

#[test]
fn no_docker_leaves_daemon_json_alone_and_needs_another_tool() {
    let root = tempfile::tempdir().unwrap();
    success_stdout(&setup(root.path(), &[ADDR, "--no-docker", "--podman"]));
    assert!(!daemon_json(root.path()).exists());
    let out = setup(root.path(), &[ADDR, "--no-docker"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nothing to configure"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ca_file_installs_the_ca_for_docker_containerd_and_podman() {
    let root = tempfile::tempdir().unwrap();
    let ca = TestCa::new("regctl test CA");
    let ca_file = root.path().join("ca.crt");
    fs::write(&ca_file, &ca.cert_pem).unwrap();
    let ca_arg = ca_file.to_str().unwrap();
    let addr = "registry.example.com:5000";

    let out = setup(
        root.path(),
        &[addr, "--ca-file", ca_arg, "--containerd", "--podman"],
    );
    success_stdout(&out);
    assert!(!stderr(&out).contains("restart docker"), "{}", stderr(&out));
    assert!(
        !daemon_json(root.path()).exists(),
        "TLS needs no insecure entry"
    );

    for certs_d in [
        "etc/docker/certs.d",
        "etc/containerd/certs.d",
        "etc/containers/certs.d",
    ] {
        let installed =
            fs::read_to_string(root.path().join(certs_d).join(addr).join("ca.crt")).unwrap();
        assert!(installed.contains(&ca.cert_pem), "{certs_d}: {installed}");
    }
    let hosts = fs::read_to_string(
        root.path()
            .join("etc/containerd/certs.d/registry.example.com:5000/hosts.toml"),
    )
    .unwrap();
    assert!(
        hosts.contains("\nserver = \"https://registry.example.com:5000\"\n"),
        "{hosts}"
    );
    assert!(
        hosts.contains("\n[host.\"https://registry.example.com:5000\"]\n"),
        "{hosts}"
    );
    assert!(
        hosts.contains("\n  ca = \"/etc/containerd/certs.d/registry.example.com:5000/ca.crt\"\n"),
        "hosts.toml names the CA by its path on the configured system: {hosts}"
    );
    assert!(!hosts.contains("skip_verify"), "{hosts}");
    let drop_in = fs::read_to_string(
        root.path()
            .join("etc/containers/registries.conf.d/50-regctl-registry.example.com_5000.conf"),
    )
    .unwrap();
    assert!(drop_in.contains("\ninsecure = false\n"), "{drop_in}");

    let before = snapshot(root.path());
    let again = setup(
        root.path(),
        &[addr, "--ca-file", ca_arg, "--containerd", "--podman"],
    );
    assert!(
        stderr(&again).contains("nothing to change"),
        "{}",
        stderr(&again)
    );
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn a_ca_file_that_is_not_a_certificate_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    for (name, content, reason) in [
        ("garbage.crt", "hello\n".to_owned(), "no PEM certificate"),
        ("key.pem", key.serialize_pem(), "PRIVATE KEY"),
        (
            "broken.crt",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
            "does not parse",
        ),
    ] {
        let ca_file = root.path().join(name);
        fs::write(&ca_file, content).unwrap();
        let before = snapshot(root.path());
        let out = setup(
            root.path(),
            &[ADDR, "--ca-file", ca_file.to_str().unwrap(), "--containerd"],
        );
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr(&out);
        assert!(
            err.contains("cannot be used as the registry's CA certificate") && err.contains(reason),
            "{name}: {err}"
        );
        assert_eq!(snapshot(root.path()), before, "{name}: nothing written");
    }
}

#[test]
fn remove_restores_daemon_json_and_deletes_only_its_own_files() {
    let root = tempfile::tempdir().unwrap();
    let path = daemon_json(root.path());
    let original =
        "{\n  \"debug\": true,\n  \"insecure-registries\": [\n    \"10.1.1.1:5000\"\n  ]\n}\n";
    write(&path, original);
    // A CA the user put in docker's certs.d for this registry by hand stays.
    let user_ca = root
        .path()
        .join("etc/docker/certs.d/192.168.0.106:5000/client.cert");
    write(&user_ca, "user's file\n");
    success_stdout(&setup(root.path(), &[ADDR, "--containerd", "--podman"]));

    let out = setup(root.path(), &[ADDR, "--remove"]);
    let table = success_stdout(&out);
    assert!(table.contains("deleted"), "{table}");
    assert!(
        stderr(&out).contains("sudo systemctl restart docker"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
    assert!(!root
        .path()
        .join("etc/containerd/certs.d/192.168.0.106:5000")
        .exists());
    assert!(!root
        .path()
        .join("etc/containers/registries.conf.d/50-regctl-192.168.0.106_5000.conf")
        .exists());
    assert_eq!(fs::read_to_string(&user_ca).unwrap(), "user's file\n");

    let again = setup(root.path(), &[ADDR, "--remove"]);
    assert!(
        stderr(&again).contains("nothing to remove"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn remove_undoes_a_tls_setup() {
    let root = tempfile::tempdir().unwrap();
    let ca = TestCa::new("regctl test CA");
    let ca_file = root.path().join("ca.crt");
    fs::write(&ca_file, &ca.cert_pem).unwrap();
    let before = snapshot(root.path());
    success_stdout(&setup(
        root.path(),
        &[
            ADDR,
            "--ca-file",
            ca_file.to_str().unwrap(),
            "--containerd",
            "--podman",
        ],
    ));
    success_stdout(&setup(root.path(), &[ADDR, "--remove"]));
    // Only the emptied parent directories (certs.d, registries.conf.d) remain.
    let left: Vec<PathBuf> = snapshot(root.path())
        .into_iter()
        .filter(|(path, content)| {
            !(before.contains_key(path) || path.is_dir() && content.is_empty())
        })
        .map(|(path, _)| path)
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!root
        .path()
        .join("etc/docker/certs.d/192.168.0.106:5000")
        .exists());
}

#[test]
fn a_file_regctl_did_not_write_is_not_replaced() {
    let root = tempfile::tempdir().unwrap();
    let hosts = root
        .path()
        .join("etc/containerd/certs.d/192.168.0.106:5000/hosts.toml");
    write(&hosts, "server = \"https://mirror.internal\"\n");
    let before = snapshot(root.path());
    let out = setup(root.path(), &[ADDR, "--containerd"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("was not written by regctl"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn bad_host_port_is_refused_with_the_expected_form() {
    let root = tempfile::tempdir().unwrap();
    for bad in [
        "http://192.168.0.106:5000",
        "192.168.0.106",
        "192.168.0.106:0",
        "192.168.0.106:70000",
        "registry:5000/library",
        "bad host:5000",
        "fd00::1:5000",
    ] {
        let out = setup(root.path(), &[bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("invalid registry address `{bad}`")) && err.contains("HOST:PORT"),
            "{bad}: {err}"
        );
    }
    assert!(snapshot(root.path()).is_empty(), "nothing written");
    success_stdout(&setup(root.path(), &["[fd00::1]:5000", "--podman"]));
    let created: Value =
        serde_json::from_str(&fs::read_to_string(daemon_json(root.path())).unwrap()).unwrap();
    assert_eq!(
        created["insecure-registries"],
        serde_json::json!(["[fd00::1]:5000"])
    );
}

#[test]
fn json_output_describes_the_plan_and_the_result() {
    let root = tempfile::tempdir().unwrap();
    write(&daemon_json(root.path()), USER_DAEMON_JSON);
    let dry = success_stdout(&setup(
        root.path(),
        &[ADDR, "--containerd", "--dry-run", "-o", "json"],
    ));
    let dry: Value = serde_json::from_str(&dry).unwrap();
    assert_eq!(dry["registry"], ADDR);
    assert_eq!(dry["operation"], "install");
    assert_eq!(dry["transport"], "plain-http");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["restart_needed"], serde_json::json!(["docker"]));
    let changes = dry["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["target"], "/etc/docker/daemon.json");
    assert_eq!(changes[0]["kind"], "update");
    assert!(changes[0]["backup"].is_null(), "no backup in a dry run");
    assert!(changes[0]["diff"]
        .as_str()
        .unwrap()
        .contains("+    \"192.168.0.106:5000\""));
    assert_eq!(changes[1]["kind"], "create");

    let done = success_stdout(&setup(root.path(), &[ADDR, "--containerd", "-o", "json"]));
    let done: Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["dry_run"], false);
    let backup = done["changes"][0]["backup"].as_str().unwrap();
    assert_eq!(fs::read_to_string(backup).unwrap(), USER_DAEMON_JSON);
}

#[test]
fn restart_cannot_combine_with_dry_run_or_root() {
    let root = tempfile::tempdir().unwrap();
    let out = setup(root.path(), &[ADDR, "--restart"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = regctl()
        .args(["client-setup", ADDR, "--restart", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(snapshot(root.path()).is_empty());
}

/// Debian's docker-registry on an ephemeral loopback port, optionally with TLS.
fn start_docker_registry(dir: &Path, tls: Option<(&Path, &Path)>) -> DockerRegistry {
    let addr = format!("127.0.0.1:{}", free_port());
    let tls = tls.map_or_else(String::new, |(cert, key)| {
        format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            cert.display(),
            key.display()
        )
    });
    let config = dir.join("registry.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n{tls}",
            dir.join("data").display()
        ),
    )
    .unwrap();
    DockerRegistry::start_with_config(&config, &addr)
}

/// `skopeo list-tags` of a repository that does not exist: reaching the registry gives a 404,
/// while a transport problem (HTTPS to an HTTP server, an unknown CA) fails before that.
fn skopeo_list_tags(home: &Path, addr: &str, extra: &[&str]) -> String {
    let skopeo = require_tool("skopeo", "skopeo");
    let out = Command::new(skopeo)
        .env("HOME", home)
        .env_remove("CONTAINERS_REGISTRIES_CONF")
        .arg("list-tags")
        .args(extra)
        .arg(format!("docker://{addr}/regctl-test/missing"))
        .output()
        .expect("run skopeo");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn reached_registry(skopeo_stderr: &str) -> bool {
    // Not a bare "404": the ephemeral port in the message could contain it.
    skopeo_stderr.contains("404 (Not Found)")
        || skopeo_stderr.to_lowercase().contains("name unknown")
}

#[test]
fn skopeo_uses_plain_http_through_the_podman_drop_in() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_docker_registry(dir.path(), None);
    let home = dir.path().join("home");
    fs::create_dir_all(&home).unwrap();

    let without = skopeo_list_tags(&home, &registry.addr, &[]);
    assert!(
        without.contains("HTTP response to HTTPS client"),
        "without the drop-in skopeo insists on HTTPS: {without}"
    );

    let root = dir.path().join("root");
    success_stdout(&setup(&root, &[&registry.addr, "--podman", "--no-docker"]));
    // The per-user drop-in directory follows the same rules as /etc/containers/registries.conf.d.
    let name = format!("50-regctl-{}.conf", registry.addr.replace(':', "_"));
    let user_drop_ins = home.join(".config/containers/registries.conf.d");
    fs::create_dir_all(&user_drop_ins).unwrap();
    fs::copy(
        root.join("etc/containers/registries.conf.d").join(&name),
        user_drop_ins.join(&name),
    )
    .unwrap();

    let with = skopeo_list_tags(&home, &registry.addr, &[]);
    assert!(
        reached_registry(&with),
        "with the drop-in skopeo speaks HTTP: {with}"
    );
}

#[test]
fn skopeo_trusts_the_installed_ca_in_docker_and_containers_certs_d() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("regctl test CA");
    let (cert, key) = ca.issue(&["127.0.0.1"]);
    let cert_path = dir.path().join("server.crt");
    let key_path = dir.path().join("server.key");
    fs::write(&cert_path, cert).unwrap();
    fs::write(&key_path, key).unwrap();
    let registry = start_docker_registry(dir.path(), Some((&cert_path, &key_path)));
    let home = dir.path().join("home");
    fs::create_dir_all(&home).unwrap();

    let without = skopeo_list_tags(&home, &registry.addr, &[]);
    assert!(
        without.contains("certificate") && !reached_registry(&without),
        "without the CA the certificate is rejected: {without}"
    );

    let ca_file = dir.path().join("ca.crt");
    fs::write(&ca_file, &ca.cert_pem).unwrap();
    let root = dir.path().join("root");
    success_stdout(&setup(
        &root,
        &[
            &registry.addr,
            "--ca-file",
            ca_file.to_str().unwrap(),
            "--podman",
        ],
    ));
    // skopeo's --cert-dir reads a directory with docker's certs.d rules, so this checks both
    // installed copies (with regctl's ownership line before the PEM block) load as trust roots.
    for certs_d in ["etc/docker/certs.d", "etc/containers/certs.d"] {
        let cert_dir = root.join(certs_d).join(&registry.addr);
        let with = skopeo_list_tags(
            &home,
            &registry.addr,
            &["--cert-dir", cert_dir.to_str().unwrap()],
        );
        assert!(
            reached_registry(&with),
            "{certs_d}: the CA is trusted: {with}"
        );
    }
}

/// Plain `client-setup HOST:PORT` looks before it lists a registry as insecure: a TLS
/// `regctl serve` is refused with advice to use --ca-file (and nothing is written), a plain one
/// is listed, and an address where nothing listens is listed with a warning that it could not be
/// probed.
#[test]
fn plain_setup_probes_the_server_and_refuses_a_tls_one() {
    use crate::common::server::Server;
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    crate::common::success_stdout(
        &crate::common::regctl()
            .args(["cert", "self-signed", "--host", "127.0.0.1", "--dir"])
            .arg(&certs)
            .output()
            .unwrap(),
    );
    let data = tmp.path().join("data");
    let tls = Server::start(
        &data,
        &[],
        &[
            (
                "REGISTRY_HTTP_TLS_CERTIFICATE",
                certs.join("server.crt").to_str().unwrap(),
            ),
            (
                "REGISTRY_HTTP_TLS_KEY",
                certs.join("server.key").to_str().unwrap(),
            ),
        ],
    );
    let root = tmp.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let refused = setup_probing(&root, &[&tls.addr]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(
        err.contains("speaks TLS") && err.contains("--ca-file"),
        "{err}"
    );
    assert!(snapshot(&root).is_empty(), "a refusal wrote files");
    let mirror = format!("http://{}", tls.addr);
    let refused = setup_probing(&root, &["--mirror", &mirror]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("give the mirror as https://{}", tls.addr)),
        "{}",
        stderr(&refused)
    );
    assert!(snapshot(&root).is_empty(), "a refusal wrote files");
    drop(tls);

    let plain = Server::start(&data, &[], &[]);
    let listed = setup_probing(&root, &[&plain.addr]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        !stderr(&listed).contains("could not probe"),
        "{}",
        stderr(&listed)
    );
    assert!(fs::read_to_string(daemon_json(&root))
        .unwrap()
        .contains(&plain.addr));

    let nobody = format!("127.0.0.1:{}", crate::common::free_port());
    let guessed = setup_probing(&root, &[&nobody]);
    assert!(guessed.status.success(), "{}", stderr(&guessed));
    assert!(
        stderr(&guessed).contains("could not probe"),
        "{}",
        stderr(&guessed)
    );
    assert!(fs::read_to_string(daemon_json(&root))
        .unwrap()
        .contains(&nobody));
}

const MIRROR: &str = "http://192.168.0.106:5000";
const TLS_MIRROR: &str = "https://mirror.lan:8443";

/// `--mirror`: daemon.json's registry-mirrors merged in order (an http:// mirror's HOST:PORT in
/// insecure-registries too), containerd's docker.io hosts.toml and podman's mirror drop-in; a
/// second run changes nothing; `--remove` gives daemon.json back byte for byte.
#[test]
fn mirror_writes_registry_mirrors_hosts_toml_and_drop_in_and_remove_undoes_it() {
    let root = tempfile::tempdir().unwrap();
    let path = daemon_json(root.path());
    let original =
        "{\n  \"registry-mirrors\": [\n    \"https://mirror.gcr.io\"\n  ],\n  \"debug\": true\n}\n";
    write(&path, original);
    let args = [
        "--mirror",
        MIRROR,
        "--mirror",
        TLS_MIRROR,
        "--containerd",
        "--podman",
    ];

    let dry = setup(root.path(), &[&args[..], &["--dry-run"]].concat());
    let shown = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        shown.contains("+    \"http://192.168.0.106:5000\"")
            && shown.contains("+++ ")
            && shown.contains("docker.io/hosts.toml"),
        "{shown}"
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        original,
        "dry run wrote"
    );

    let first = setup(root.path(), &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let err = stderr(&first);
    assert!(
        err.contains("192.168.0.106:5000 was added to insecure-registries")
            && err.contains("sudo systemctl restart docker"),
        "{err}"
    );
    let merged: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        merged["registry-mirrors"],
        serde_json::json!(["https://mirror.gcr.io", MIRROR, TLS_MIRROR])
    );
    assert_eq!(
        merged["insecure-registries"],
        serde_json::json!(["192.168.0.106:5000"])
    );
    assert_eq!(merged["debug"], true);
    assert_eq!(backups(root.path()).len(), 1);

    let hosts = fs::read_to_string(
        root.path()
            .join("etc/containerd/certs.d/docker.io/hosts.toml"),
    )
    .unwrap();
    assert!(
        hosts.starts_with("# Written by regctl client-setup")
            && hosts.contains(
                "server = \"https://registry-1.docker.io\"\n\n\
                 [host.\"http://192.168.0.106:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n\
                 [host.\"https://mirror.lan:8443\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
            ),
        "{hosts}"
    );
    let drop_in = fs::read_to_string(
        root.path()
            .join("etc/containers/registries.conf.d/50-regctl-mirror-docker.io.conf"),
    )
    .unwrap();
    assert!(
        drop_in.contains(
            "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\n\n\
             [[registry.mirror]]\nlocation = \"192.168.0.106:5000\"\ninsecure = true\n\n\
             [[registry.mirror]]\nlocation = \"mirror.lan:8443\"\ninsecure = false\n"
        ),
        "{drop_in}"
    );

    let before = snapshot(root.path());
    let second = setup(root.path(), &args);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("nothing to change"),
        "{}",
        stderr(&second)
    );
    assert_eq!(snapshot(root.path()), before, "a second run writes nothing");

    let removed = setup(
        root.path(),
        &["--remove", "--mirror", MIRROR, "--mirror", TLS_MIRROR],
    );
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
    assert!(!root
        .path()
        .join("etc/containerd/certs.d/docker.io/hosts.toml")
        .exists());
    assert!(!root
        .path()
        .join("etc/containers/registries.conf.d/50-regctl-mirror-docker.io.conf")
        .exists());
}

#[test]
fn a_mirror_that_is_not_a_bare_url_is_refused() {
    let root = tempfile::tempdir().unwrap();
    for bad in [
        "192.168.0.106:5000",
        "http://192.168.0.106:5000/v2/",
        "ftp://m:1",
    ] {
        let out = setup(root.path(), &["--mirror", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("invalid mirror URL"),
            "{}",
            stderr(&out)
        );
    }
    let neither = setup(root.path(), &["--containerd"]);
    assert_eq!(neither.status.code(), Some(2), "{}", stderr(&neither));
    assert!(snapshot(root.path()).is_empty());
}

/// The podman drop-in read by the real skopeo: `docker.io/library/hello` resolves through the
/// plain-HTTP mirror (Docker Hub itself is out of reach here, so only the mirror can answer).
#[test]
fn skopeo_pulls_docker_hub_names_through_the_mirror_drop_in() {
    use crate::common::oci::{oci_reference, write_oci_layout};
    let dir = tempfile::tempdir().unwrap();
    let registry = start_docker_registry(dir.path(), None);
    let layout = dir.path().join("layout");
    let manifest_digest = write_oci_layout(&layout, "v1", 1, 1000);
    crate::common::registry::skopeo(&[
        "copy",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &oci_reference(&layout, "v1"),
        &format!("docker://{}/library/hello:v1", registry.addr),
    ]);
    let root = dir.path().join("root");
    let mirror = format!("http://{}", registry.addr);
    success_stdout(&setup_probing(
        &root,
        &["--mirror", &mirror, "--podman", "--no-docker"],
    ));
    let home = dir.path().join("home");
    let user_drop_ins = home.join(".config/containers/registries.conf.d");
    fs::create_dir_all(&user_drop_ins).unwrap();
    fs::copy(
        root.join("etc/containers/registries.conf.d/50-regctl-mirror-docker.io.conf"),
        user_drop_ins.join("50-regctl-mirror-docker.io.conf"),
    )
    .unwrap();
    let out = Command::new(require_tool("skopeo", "skopeo"))
        .env("HOME", &home)
        .env_remove("CONTAINERS_REGISTRIES_CONF")
        .args(["inspect", "--raw", "docker://docker.io/library/hello:v1"])
        .output()
        .expect("run skopeo");
    let raw = success_stdout(&out);
    assert_eq!(
        crate::common::registry::digest(raw.as_bytes()),
        manifest_digest
    );
}
