//! The web pages in a real browser: Debian's headless Chromium driven through chromedriver's
//! WebDriver API (a small client below, over reqwest), against `regctl serve` with images pushed
//! by skopeo. Each page's HTML is checked by a strict HTML5 parser (Debian's python3-html5lib)
//! and its Content-Security-Policy header is checked; a screenshot of each page is written to
//! the test's temporary directory (or to `$REGCTL_WEB_SCREENSHOTS` to keep them).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::common::oci::write_oci_layout;
use crate::common::process::{wait_for_port, KillOnDrop};
use crate::common::registry::{digest, skopeo, OCI_INDEX, OCI_MANIFEST};
use crate::common::server::Server;
use crate::common::{free_port, require_tool};

/// The content type of a form post.
const FORM: &str = "application/x-www-form-urlencoded";
/// WebDriver's key for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it.
struct Browser {
    http: reqwest::Client,
    session: String,
    driver: String,
    _chromedriver: KillOnDrop,
    screenshots: PathBuf,
}

impl Browser {
    async fn start(profile: &Path, screenshots: PathBuf) -> Self {
        let chromedriver = require_tool("chromedriver", "chromium-driver");
        let chromium = require_tool("chromium", "chromium");
        let port = free_port();
        let mut child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr = format!("127.0.0.1:{port}");
        wait_for_port(&addr, &mut child, "chromedriver");
        let driver = format!("http://{addr}");
        let http = reqwest::Client::new();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let created: Value = http
            .post(format!("{driver}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("create a WebDriver session")
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_owned();
        std::fs::create_dir_all(&screenshots).unwrap();
        Self {
            http,
            session,
            driver,
            _chromedriver: KillOnDrop(child),
            screenshots,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.driver, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("WebDriver request");
        let status = response.status();
        let value: Value = response.json().await.unwrap();
        assert!(status.is_success(), "WebDriver {path}: {status} {value}");
        value["value"].clone()
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    async fn title(&self) -> String {
        self.get("/title").await.as_str().unwrap().to_owned()
    }

    async fn url(&self) -> String {
        self.get("/url").await.as_str().unwrap().to_owned()
    }

    async fn source(&self) -> String {
        self.get("/source").await.as_str().unwrap().to_owned()
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn count(&self, css: &str) -> usize {
        self.post("/elements", json!({"using": "css selector", "value": css}))
            .await
            .as_array()
            .map_or(0, Vec::len)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Clicks a link or a form's button and waits (up to 30 s) until the page it leads to has
    /// loaded: chromedriver may answer the click while a form post's redirect is still loading.
    /// The old document carries a marker the new one does not have.
    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.script("window.regctlOldPage = true;").await;
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
        for _ in 0..300 {
            let state = self
                .script("return window.regctlOldPage ? 'old' : document.readyState;")
                .await;
            if state == "complete" {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("clicking {css} led to no new page within 30 s");
    }

    async fn attribute(&self, css: &str, name: &str) -> String {
        let element = self.find(css).await;
        self.get(&format!("/element/{element}/attribute/{name}"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn displayed(&self, css: &str) -> bool {
        let element = self.find(css).await;
        self.get(&format!("/element/{element}/displayed"))
            .await
            .as_bool()
            .unwrap()
    }

    /// A script run by the driver (the page's CSP does not apply to it).
    async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.get("/screenshot").await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{name}: not a PNG");
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    async fn cookie(&self, name: &str) -> String {
        self.get(&format!("/cookie/{name}")).await["value"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Best effort: chromedriver is killed right after, which ends the browser too.
        let url = format!("{}/session/{}", self.driver, self.session);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let _ = reqwest::Client::new().delete(url).send().await;
            });
        })
        .join();
    }
}

/// Parses `html` with html5lib in strict mode: any parse error (a stray end tag, a bad
/// attribute, a missing doctype) fails.
fn assert_valid_html(what: &str, html: &str) {
    let python = Path::new("/usr/bin/python3");
    assert!(
        python.is_file(),
        "this test needs /usr/bin/python3 with python3-html5lib"
    );
    let mut child = Command::new(python)
        .args([
            "-c",
            "import sys, html5lib\n\
             doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(sys.stdin.buffer.read())\n\
             assert doc.find('head/title') is not None and doc.find('head/title').text, 'no <title>'\n\
             ids = [e.get('id') for e in doc.iter() if e.get('id')]\n\
             assert len(ids) == len(set(ids)), 'duplicate ids'\n",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3 html5lib");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), html.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{what}: not valid HTML5: {}\n{html}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Fetches `path` with the session cookie, checks the security headers and the HTML.
async fn check_page(base: &str, cookie: &str, path: &str) -> String {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .header("cookie", format!("regctl_session={cookie}"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let csp = response
        .headers()
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"))
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(csp, regctl::web::CONTENT_SECURITY_POLICY, "{path}");
    assert!(
        csp.starts_with("default-src 'none';") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert_valid_html(path, &html);
    html
}

/// An OCI layout at `dir` whose tag `latest` is an index of two images: linux/amd64 (one layer)
/// and linux/arm64 (two layers).
fn write_multi_arch_layout(dir: &Path) {
    let amd64 = write_oci_layout(dir, "amd64", 1, 1500);
    let arm64 = write_oci_layout(dir, "arm64", 2, 4000);
    let size = |d: &str| {
        std::fs::metadata(
            dir.join("blobs/sha256")
                .join(d.trim_start_matches("sha256:")),
        )
        .unwrap()
        .len()
    };
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": amd64, "size": size(&amd64),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": OCI_MANIFEST, "digest": arm64, "size": size(&arm64),
             "platform": {"architecture": "arm64", "os": "linux"}},
        ],
    }))
    .unwrap();
    let index_digest = digest(&index);
    std::fs::write(
        dir.join("blobs/sha256")
            .join(index_digest.trim_start_matches("sha256:")),
        &index,
    )
    .unwrap();
    let layout = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": OCI_INDEX, "digest": index_digest, "size": index.len(),
        "annotations": {"org.opencontainers.image.ref.name": "latest"},
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&layout).unwrap()).unwrap();
}

fn push(layout: &Path, tag: &str, destination: &str) {
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:wonderland",
        &format!("oci:{}:{tag}", layout.display()),
        &format!("docker://{destination}"),
    ]);
}

fn htpasswd(path: &Path, user: &str, password: &str) {
    let tool = require_tool("htpasswd", "apache2-utils");
    let mut cmd = Command::new(tool);
    cmd.arg("-Bb");
    if !path.exists() {
        cmd.arg("-c");
    }
    let status = cmd.arg(path).args([user, password]).status().unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn browse_search_and_delete_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    let users = tmp.path().join("htpasswd");
    htpasswd(&users, "alice", "wonderland");
    let server = Server::start(
        &root,
        &[],
        &[
            ("REGISTRY_AUTH", "htpasswd"),
            ("REGISTRY_AUTH_HTPASSWD_REALM", "Registry"),
            ("REGISTRY_AUTH_HTPASSWD_PATH", users.to_str().unwrap()),
            ("REGISTRY_STORAGE_DELETE_ENABLED", "true"),
        ],
    );
    let single = tmp.path().join("single");
    write_oci_layout(&single, "v1", 2, 2048);
    push(&single, "v1", &format!("{}/demo/app:v1", server.addr));
    push(&single, "v1", &format!("{}/demo/app:v2", server.addr));
    let multi = tmp.path().join("multi");
    write_multi_arch_layout(&multi);
    push(
        &multi,
        "latest",
        &format!("{}/demo/multi:latest", server.addr),
    );

    let screenshots = std::env::var_os("REGCTL_WEB_SCREENSHOTS")
        .map_or_else(|| tmp.path().join("screenshots"), PathBuf::from);
    let browser = Browser::start(&tmp.path().join("profile"), screenshots.clone()).await;
    let base = &server.base;

    // Not logged in: any page leads to the login form, which comes back to it.
    browser.goto(&format!("{base}/r/demo/multi")).await;
    assert_eq!(browser.title().await, "Log in · regctl");
    browser.screenshot("login").await;
    browser.type_into("#user", "alice").await;
    browser.type_into("#password", "not-the-password").await;
    browser.click("button[type=submit]").await;
    assert!(browser.source().await.contains("Wrong user or password."));
    browser.type_into("#user", "alice").await;
    browser.type_into("#password", "wonderland").await;
    browser.click("button[type=submit]").await;
    assert_eq!(browser.url().await, format!("{base}/r/demo/multi"));
    let cookie = browser.cookie("regctl_session").await;

    // The list, then a search.
    browser.goto(&format!("{base}/")).await;
    assert_eq!(browser.title().await, "Repositories · regctl");
    let list = browser.source().await;
    assert!(
        list.contains("demo/app") && list.contains("demo/multi"),
        "{list}"
    );
    assert!(list.contains("Signed in as"));
    // The stylesheet applied and the script ran under the CSP.
    assert_eq!(
        browser
            .script("return getComputedStyle(document.body).marginTop")
            .await,
        "0px"
    );
    browser.screenshot("repositories").await;
    browser.type_into("#q", "mul").await;
    browser.click("form.search button").await;
    assert_eq!(browser.url().await, format!("{base}/?q=mul"));
    assert_eq!(browser.count("a[href='/r/demo/multi']").await, 1);
    assert_eq!(browser.count("a[href='/r/demo/app']").await, 0);
    browser.screenshot("search").await;

    // The multi-arch repository: its tag, both platforms, the copyable pull commands.
    browser.click("a[href='/r/demo/multi']").await;
    assert_eq!(browser.title().await, "demo/multi · regctl");
    let repo = browser.source().await;
    assert!(
        repo.contains("linux/amd64") && repo.contains("linux/arm64"),
        "{repo}"
    );
    assert!(repo.contains("2 platforms"), "{repo}");
    let pull = format!("docker pull {}/demo/multi:latest", server.addr);
    assert!(repo.contains(&pull), "{repo}");
    assert!(repo.contains(&format!("podman pull {}/demo/multi:latest", server.addr)));
    assert!(
        browser.displayed("button.copy[data-copy]").await,
        "copy buttons shown by app.js"
    );
    browser.screenshot("repository-multi").await;

    // A platform's manifest page: layers, config.
    let arm64_page = browser
        .attribute("ul.platforms li:nth-child(2) a", "href")
        .await;
    assert!(
        arm64_page.starts_with("/r/demo/multi/-/manifest/sha256:"),
        "{arm64_page}"
    );
    browser.click("ul.platforms li:nth-child(2) a").await;
    let manifest = browser.source().await;
    assert!(
        manifest.contains("Layers") && manifest.contains("linux/amd64"),
        "{manifest}"
    );
    assert!(browser.count("h2").await >= 3);
    let rows = browser.count("h2 + div table tbody tr").await;
    assert!(rows >= 2, "the index page lists its platforms: {rows} rows");
    browser.screenshot("manifest").await;

    // Delete a tag with its confirmation step.
    browser.goto(&format!("{base}/r/demo/app?sort=name")).await;
    browser.screenshot("repository-app").await;
    browser.click("a[href='/r/demo/app/-/delete?tag=v1']").await;
    assert_eq!(browser.title().await, "Delete tag v1 · regctl");
    browser.screenshot("confirm-delete").await;
    browser.click("button.danger").await;
    assert_eq!(browser.url().await, format!("{base}/r/demo/app"));
    let after = browser.source().await;
    assert!(!after.contains(">v1<") && after.contains(">v2<"), "{after}");
    let tags: Value = reqwest::Client::new()
        .get(format!("{base}/v2/demo/app/tags/list"))
        .basic_auth("alice", Some("wonderland"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tags["tags"], json!(["v2"]));

    browser.goto(&format!("{base}/-/registry")).await;
    let registry = browser.source().await;
    assert!(
        registry.contains("Storage used") && registry.contains("gc would reclaim"),
        "{registry}"
    );
    browser.screenshot("registry").await;

    // Every page is valid HTML5 and carries the CSP.
    for path in [
        "/".to_owned(),
        "/?q=mul".to_owned(),
        "/r/demo/multi".to_owned(),
        "/r/demo/app?sort=name".to_owned(),
        arm64_page.clone(),
        "/r/demo/app/-/delete?tag=v2".to_owned(),
        "/-/registry".to_owned(),
        "/-/login".to_owned(),
    ] {
        if path == "/-/login" {
            // Logged in, the form sends the browser on; check it as a visitor sees it.
            check_page(base, "none", &path).await;
        } else {
            check_page(base, &cookie, &path).await;
        }
    }

    // A delete posted from another site, or without the form's token, is refused.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let forged = client
        .post(format!("{base}/r/demo/app/-/delete"))
        .header("cookie", format!("regctl_session={cookie}"))
        .header("origin", "http://evil.example")
        .header("content-type", FORM)
        .body("tag=v2&csrf=guess")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let tokenless = client
        .post(format!("{base}/r/demo/app/-/delete"))
        .header("cookie", format!("regctl_session={cookie}"))
        .header("content-type", FORM)
        .body("tag=v2")
        .send()
        .await
        .unwrap();
    assert_eq!(tokenless.status(), 403);

    // Log out: the session is gone.
    browser.goto(&format!("{base}/")).await;
    browser.click("form.logout button").await;
    assert_eq!(browser.title().await, "Log in · regctl");
    let stale = client
        .get(format!("{base}/r/demo/app"))
        .header("cookie", format!("regctl_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 303);
    assert!(stale.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/-/login?next="));
    eprintln!("screenshots: {}", screenshots.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn root_stays_a_200_probe_and_deletes_follow_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    let single = tmp.path().join("single");
    write_oci_layout(&single, "v1", 1, 512);

    // Without authentication and with deletes off (the default): pages open, no delete.
    let server = Server::start(&root, &[], &[]);
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", single.display()),
        &format!("docker://{}/solo:v1", server.addr),
    ]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{}/r/solo", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(">v1<") && !html.contains("Delete…"), "{html}");
    assert_valid_html("/r/solo", &html);
    let confirm = client
        .get(format!("{}/r/solo/-/delete?tag=v1", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 405);
    let post = client
        .post(format!("{}/r/solo/-/delete", server.base))
        .header("content-type", FORM)
        .body("tag=v1")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    drop(server);

    // With --no-web, `/` is registry:2's empty 200 and the pages are gone.
    let server = Server::start(&root, &["--no-web"], &[]);
    let probe = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    assert!(probe.headers().get("content-security-policy").is_none());
    assert_eq!(probe.text().await.unwrap(), "");
    let gone = client
        .get(format!("{}/r/solo", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    drop(server);

    // With htpasswd, `/` still answers a probe without credentials registry:2's empty 200, and
    // a browser (asking for text/html) the login form.
    let users = tmp.path().join("htpasswd");
    htpasswd(&users, "alice", "wonderland");
    let server = Server::start(
        &root,
        &[],
        &[
            ("REGISTRY_AUTH", "htpasswd"),
            ("REGISTRY_AUTH_HTPASSWD_REALM", "Registry"),
            ("REGISTRY_AUTH_HTPASSWD_PATH", users.to_str().unwrap()),
        ],
    );
    let probe = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    assert_eq!(probe.text().await.unwrap(), "");
    let form = client
        .get(format!("{}/", server.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains("Log in"));
    let locked = client
        .get(format!("{}/-/registry", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 303);
}

/// Logs in through the form; the session cookie's value.
async fn web_login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let response = client
        .post(format!("{base}/-/login"))
        .header("content-type", FORM)
        .header("origin", base)
        .body(format!("user={user}&password={password}&next=%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{user} logs in");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    cookie
        .strip_prefix("regctl_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_user_sees_only_what_the_policy_lets_them_pull_and_deletes_nothing() {
    let policy = "admins: admins\nrules:\n  - repositories: [team/**]\n    groups: [readers]\n    allow: [pull]\n";
    let home = crate::access::Home::new(policy, &[("root", &["admins"]), ("rita", &["readers"])]);
    let server = home.serve();
    let source = crate::access::layout(home.dir.path());
    for repo in ["team/app", "other/app"] {
        let (ok, err) =
            crate::access::push_as("root", &source, &format!("{}/{repo}:1", server.addr));
        assert!(ok, "{err}");
    }
    let base = &server.base;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = |cookie: String, path: &str| {
        client
            .get(format!("{base}{path}"))
            .header("cookie", format!("regctl_session={cookie}"))
            .header("accept", "text/html")
            .send()
    };

    let rita = web_login(&client, base, "rita", "rita-pw").await;
    let list = page(rita.clone(), "/").await.unwrap().text().await.unwrap();
    assert!(
        list.contains("team/app") && !list.contains("other/app"),
        "{list}"
    );
    let hidden = page(rita.clone(), "/r/other/app").await.unwrap();
    assert_eq!(
        hidden.status(),
        404,
        "a repository rita may not pull does not exist for her"
    );
    let repo = page(rita.clone(), "/r/team/app").await.unwrap();
    assert_eq!(repo.status(), 200);
    let repo = repo.text().await.unwrap();
    assert!(
        !repo.contains("/-/delete?tag="),
        "no delete link for a reader: {repo}"
    );
    let refused = page(rita.clone(), "/r/team/app/-/delete?tag=1")
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("rita may not delete in team/app"),
        "{refused}"
    );

    // The admin sees both and may delete.
    let root = web_login(&client, base, "root", "root-pw").await;
    let list = page(root.clone(), "/").await.unwrap().text().await.unwrap();
    assert!(
        list.contains("team/app") && list.contains("other/app"),
        "{list}"
    );
    let confirm = page(root, "/r/team/app/-/delete?tag=1").await.unwrap();
    assert_eq!(confirm.status(), 200);
}
