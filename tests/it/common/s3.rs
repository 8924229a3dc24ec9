//! A local S3 server for the S3 tests: the moto `scripts/test` started (`REGCTL_TEST_S3_ENDPOINT`),
//! else one started here from the venv `scripts/test` creates (`.ci/s3venv`), else the test fails
//! saying to run `./scripts/test`. Each test makes its own bucket.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The variable `scripts/test` exports.
pub const ENDPOINT_VAR: &str = "REGCTL_TEST_S3_ENDPOINT";

/// Credentials moto accepts (it checks signatures' form, not keys).
pub const ACCESS_KEY: &str = "regctl-test";
pub const SECRET_KEY: &str = "regctl-test-secret";
pub const REGION: &str = "us-east-1";

fn venv_moto() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/s3venv/bin/moto_server")
}

/// `http://127.0.0.1:PORT` of the S3 server.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(endpoint) = std::env::var(ENDPOINT_VAR) {
            if !endpoint.is_empty() {
                return endpoint;
            }
        }
        start_moto()
    })
}

/// Starts moto for this test process under a watchdog shell that kills it once this process is
/// gone (a static is never dropped, so nothing else would).
fn start_moto() -> String {
    let moto = venv_moto();
    assert!(
        moto.is_file(),
        "the S3 tests need a local S3 server: run ./scripts/test (it installs moto into .ci/s3venv \
         and starts it), or set {ENDPOINT_VAR} to a running one"
    );
    let port = super::free_port();
    let log = std::env::temp_dir().join(format!("regctl-test-moto-{}.log", std::process::id()));
    let script = r#"moto="$1"; port="$2"; parent="$3"; log="$4"
"$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
child=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill "$child" 2>/dev/null"#;
    let mut watchdog = Command::new("sh")
        .args(["-c", script, "watchdog"])
        .arg(&moto)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn moto_server");
    let addr = format!("127.0.0.1:{port}");
    super::process::wait_for_port_showing_log(&addr, &mut watchdog, "moto_server", Some(&log));
    // The watchdog lives on its own; forgetting the handle leaves it running.
    std::mem::forget(watchdog);
    format!("http://{addr}")
}

/// Creates a bucket with a fresh name and returns the name.
pub fn bucket() -> String {
    let name = format!("regctl-{}", uuid_like());
    let curl = super::require_tool("curl", "curl");
    let output = Command::new(curl)
        .args(["-sS", "-f", "-X", "PUT"])
        .arg(format!("{}/{name}", endpoint()))
        .output()
        .expect("run curl");
    super::success_stdout(&output);
    name
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A `storage:` section for config.yml that serves `bucket` under `root` on the test server.
pub fn storage_yaml(bucket: &str, root: &str) -> String {
    format!(
        "storage:\n  s3:\n    region: {REGION}\n    regionendpoint: {}\n    bucket: {bucket}\n    \
         rootdirectory: {root}\n    accesskey: {ACCESS_KEY}\n    secretkey: {SECRET_KEY}\n    \
         forcepathstyle: true\n    secure: false\n",
        endpoint()
    )
}
