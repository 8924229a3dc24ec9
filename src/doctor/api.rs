//! The HTTP side: `GET /v2/` (status, `Docker-Distribution-API-Version`, the auth challenge and
//! whether its token realm answers), docker's stored credentials for the registry (present?
//! accepted?), and with `--write` a test push: a 1-byte blob (POST, then a monolithic PUT, then
//! DELETE), and a 2 MiB PATCH chunk that finds a proxy limiting request bodies (nginx's 413).
//! The `Location` a push is sent to must be reachable from here (`http.host`).
//!
//! Certificates are not verified here: trust was judged per client before, and doctor goes on
//! to find the problems behind that one.

use std::time::Duration;

use reqwest::header::{
    HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION,
    WWW_AUTHENTICATE,
};
use reqwest::{StatusCode, Url};

use super::{Finding, Options, Status};
use crate::remote::auth::Challenge;
use crate::remote::{Client, ClientOptions, Credentials, DockerConfig, LoginCheck, Registry};

/// The header every distribution registry sends on `/v2/` (docker's ping looks for it).
pub const API_VERSION_HEADER: &str = "Docker-Distribution-API-Version";
/// Big enough to reach the limits proxies put below typical layer sizes (nginx's default is 1m).
pub const CHUNK_SIZE: usize = 2 * 1024 * 1024;

pub async fn findings(options: &Options, scheme: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let addr = options.registry.to_string();
    let http = match reqwest::Client::builder()
        .user_agent(concat!("regctl-doctor/", env!("CARGO_PKG_VERSION")))
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(options.timeout)
        .timeout(options.timeout.max(Duration::from_secs(30)))
        .build()
    {
        Ok(http) => http,
        Err(err) => {
            out.push(Finding::fail(
                "api",
                format!("cannot set up an HTTP client: {err}"),
            ));
            return out;
        }
    };
    let base = format!("{scheme}://{addr}");
    let ping_url = format!("{base}/v2/");
    let response = match http.get(&ping_url).send().await {
        Ok(response) => response,
        Err(err) => {
            out.push(
                Finding::fail("api", format!("GET {ping_url} failed"))
                    .evidence(crate::report::error_chain(&err)),
            );
            return out;
        }
    };
    let status = response.status();
    let headers = response.headers().clone();
    let server = headers
        .get("server")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let version = headers
        .get(API_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut api = match status {
        StatusCode::OK | StatusCode::UNAUTHORIZED => match &version {
            Some(v) => Finding::ok("api", format!("GET /v2/ answers {status} with {API_VERSION_HEADER}: {v}")),
            None => Finding::fail("api", format!("GET /v2/ answers {status} without {API_VERSION_HEADER}: a proxy in front drops it"))
                .fix("in the proxy's location /v2/ (nginx): add_header 'Docker-Distribution-Api-Version' 'registry/2.0' always; (or pass the registry's own header through: proxy_pass_header is the default, so check for a proxy_hide_header)"),
        },
        status if status.is_redirection() => Finding::fail("api", format!("GET /v2/ is redirected ({status})"))
            .evidence(format!("Location: {}", headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("(none)")))
            .fix(format!("serve the API at {base}/v2/ itself (docker does not follow a redirect of /v2/ to another path)")),
        StatusCode::NOT_FOUND => Finding::fail("api", "GET /v2/ answers 404: no registry API at this address")
            .fix("point the client at the registry's own port, or make the proxy pass /v2/ to it"),
        status => Finding::fail("api", format!("GET /v2/ answers {status}")),
    };
    if let Some(server) = &server {
        api = api.evidence(format!("Server: {server}"));
    }
    out.push(api);

    let challenge = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(Challenge::parse)
        .max_by_key(|c| matches!(c, Challenge::Bearer { .. }));
    let auth_required = status == StatusCode::UNAUTHORIZED;
    out.push(auth_finding(&http, auth_required, challenge.as_ref()).await);

    let registry = match Registry::parse(&addr) {
        Ok(registry) => registry,
        Err(err) => {
            out.push(Finding::fail("credentials", err.to_string()));
            return out;
        }
    };
    let (credentials_finding, credentials) = credentials_finding(options, &registry, auth_required);
    let client = Client::connect(
        registry,
        ClientOptions {
            insecure: true,
            plain_http: scheme == "http",
            ca_file: None,
            credentials: credentials.clone(),
        },
    )
    .await;
    out.push(match (&client, credentials_finding) {
        (Ok(client), Some(finding)) if credentials.is_some() => match client.verify_login().await {
            Ok(LoginCheck::Accepted) => Finding {
                status: Status::Ok,
                summary: format!(
                    "the stored credentials of `{}` are accepted",
                    credentials
                        .as_ref()
                        .map(Credentials::username)
                        .unwrap_or_default()
                ),
                ..finding
            },
            Ok(LoginCheck::NoAuthRequired) => Finding {
                status: Status::Ok,
                summary: "credentials are stored, but the registry asks for none".to_owned(),
                ..finding
            },
            Err(err) => Finding {
                status: Status::Fail,
                summary: err.to_string(),
                ..finding
            }
            .fix(format!(
                "regctl login {addr} -u USER (or docker login {addr})"
            )),
        },
        (Err(err), Some(finding)) => Finding {
            status: Status::Fail,
            summary: format!("cannot check the stored credentials: {err}"),
            ..finding
        },
        (_, Some(finding)) => finding,
        (_, None) => Finding::skipped(
            "credentials",
            "no docker config.json could be located (neither DOCKER_CONFIG nor HOME is set)",
        ),
    });

    match (&options.write, client) {
        (None, _) => out.push(Finding::skipped("push", "the test push needs --write (it pushes a 1-byte blob and a 2 MiB chunk, and deletes them where the registry allows)")),
        (Some(_), Err(err)) => out.push(Finding::fail("push", format!("no test push: {err}"))),
        (Some(repository), Ok(client)) => {
            let writer = Writer { http: &http, client: &client, base: Url::parse(&format!("{base}/")).ok(), repository, addr: &addr, scheme };
            out.extend(writer.run().await);
        }
    }
    out
}

async fn auth_finding(
    http: &reqwest::Client,
    required: bool,
    challenge: Option<&Challenge>,
) -> Finding {
    if !required {
        return Finding::ok("auth", "the registry asks for no credentials");
    }
    match challenge {
        None => Finding::fail(
            "auth",
            "GET /v2/ answers 401 without a WWW-Authenticate challenge clients understand",
        )
        .fix("the registry or a proxy in front strips WWW-Authenticate; let it through"),
        Some(Challenge::Basic { realm }) => Finding::ok(
            "auth",
            format!(
                "Basic authentication (realm {})",
                realm.as_deref().unwrap_or("unnamed")
            ),
        ),
        Some(Challenge::Bearer { realm, service, .. }) => {
            let finding = Finding::ok(
                "auth",
                format!("token authentication; the token server {realm} answers"),
            )
            .evidence(format!(
                "service: {}",
                service.as_deref().unwrap_or("(none)")
            ));
            match http.get(realm).send().await {
                Ok(response) => finding.evidence(format!("GET {realm} (anonymous): {}", response.status())),
                Err(err) => Finding { status: Status::Fail, summary: format!("the token realm {realm} cannot be reached from here"), ..finding }
                    .evidence(crate::report::error_chain(&err))
                    .fix("set auth.token.realm in the registry's config.yml to a URL this machine reaches, e.g. regctl config set auth.token.realm https://HOST/token (on the registry machine), then restart it"),
            }
        }
    }
}

/// The stored credentials (from docker's config.json) and a finding to complete once they were
/// tried; `None` when no config.json can be located.
fn credentials_finding(
    options: &Options,
    registry: &Registry,
    auth_required: bool,
) -> (Option<Finding>, Option<Credentials>) {
    let Some(path) = &options.docker_config else {
        return (None, None);
    };
    let addr = registry.as_str();
    let config = match DockerConfig::load(path) {
        Ok(config) => config,
        Err(err) => {
            return (
                Some(Finding::fail("credentials", err.to_string()).fix(format!(
                    "fix or move {} and run: regctl login {addr}",
                    path.display()
                ))),
                None,
            );
        }
    };
    match config.credentials_for(registry) {
        Ok(Some(credentials)) => {
            let source = match config.helper_for(registry) {
                Some(helper) => format!("docker-credential-{helper} (named in {})", path.display()),
                None => format!(
                    "{} auths[\"{}\"]",
                    path.display(),
                    registry.credential_key()
                ),
            };
            (
                Some(
                    Finding::ok("credentials", "credentials are stored")
                        .evidence(format!("user `{}` from {source}", credentials.username())),
                ),
                Some(credentials),
            )
        }
        Ok(None) if auth_required => (
            Some(
                Finding::fail(
                    "credentials",
                    format!(
                        "the registry asks for credentials and {} has none for {addr}",
                        path.display()
                    ),
                )
                .fix(format!(
                    "regctl login {addr} -u USER (or docker login {addr})"
                )),
            ),
            None,
        ),
        Ok(None) => (
            Some(Finding::ok(
                "credentials",
                format!("none stored for {addr}, none needed"),
            )),
            None,
        ),
        Err(err) => (Some(Finding::fail("credentials", err.to_string())), None),
    }
}

struct Writer<'a> {
    http: &'a reqwest::Client,
    client: &'a Client,
    base: Option<Url>,
    repository: &'a str,
    addr: &'a str,
    scheme: &'a str,
}

impl Writer<'_> {
    async fn run(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let scope = crate::remote::client::repository_scope(self.repository, "pull,push,delete");
        let auth = match self.client.authorization_for(&scope).await {
            Ok(auth) => auth,
            Err(err) => {
                out.push(Finding::fail(
                    "push",
                    format!("no token to push to {}: {err}", self.repository),
                ));
                return out;
            }
        };
        let auth = auth.as_ref();
        let data = b"x";
        let digest = crate::digest::Digest::of(data);

        // 1. POST: an upload session, and where it says to send the data.
        let location = match self.start_upload(auth).await {
            Ok(location) => location,
            Err(finding) => {
                out.push(finding);
                return out;
            }
        };
        out.push(self.location_finding(&location));

        // 2. PUT the byte monolithically.
        let mut put_url = location.clone();
        put_url
            .query_pairs_mut()
            .append_pair("digest", digest.as_str());
        let put = self
            .send(
                self.http
                    .put(put_url.clone())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_LENGTH, "1")
                    .body(&data[..]),
                auth,
            )
            .await;
        let mut push = match put {
            Ok(response) if response.status() == StatusCode::CREATED => Finding::ok(
                "push",
                format!("pushed a 1-byte blob to {}", self.repository),
            )
            .evidence(format!(
                "POST /v2/{}/blobs/uploads/ then PUT ?digest={digest}: 201 Created",
                self.repository
            )),
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                let finding =
                    Finding::fail("push", format!("PUT of a 1-byte blob answered {status}"))
                        .evidence(snippet(&body));
                out.push(with_status_fix(finding, status, self.addr));
                return out;
            }
            Err(err) => {
                out.push(Finding::fail("push", format!("PUT {put_url} failed")).evidence(err));
                return out;
            }
        };
        // 3. DELETE it, where deletes are enabled.
        let blob_url = format!(
            "{}://{}/v2/{}/blobs/{digest}",
            self.scheme, self.addr, self.repository
        );
        push = match self.send(self.http.delete(&blob_url), auth).await {
            Ok(response) if response.status().is_success() => push.evidence("DELETE of the test blob: ".to_owned() + response.status().as_str()),
            Ok(response) => push.evidence(format!("DELETE of the test blob answered {} (deletes disabled?): the 1-byte blob stays until gc", response.status())),
            Err(err) => push.evidence(format!("DELETE of the test blob failed: {err}")),
        };
        out.push(push);

        // 4. A 2 MiB chunk, which a proxy's body-size limit refuses.
        out.push(self.chunk(auth).await);
        out
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        auth: Option<&HeaderValue>,
    ) -> Result<reqwest::Response, String> {
        let request = match auth {
            Some(value) => request.header(AUTHORIZATION, value.clone()),
            None => request,
        };
        request
            .send()
            .await
            .map_err(|e| crate::report::error_chain(&e))
    }

    async fn start_upload(&self, auth: Option<&HeaderValue>) -> Result<Url, Finding> {
        let url = format!(
            "{}://{}/v2/{}/blobs/uploads/",
            self.scheme, self.addr, self.repository
        );
        let response = self
            .send(self.http.post(&url).header(CONTENT_LENGTH, "0"), auth)
            .await
            .map_err(|err| Finding::fail("push", format!("POST {url} failed")).evidence(err))?;
        let status = response.status();
        if status != StatusCode::ACCEPTED {
            let body = response.text().await.unwrap_or_default();
            return Err(with_status_fix(
                Finding::fail("push", format!("starting an upload answered {status}"))
                    .evidence(snippet(&body)),
                status,
                self.addr,
            ));
        }
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Some(location) = location else {
            return Err(Finding::fail(
                "push",
                "the upload was accepted without a Location header",
            ));
        };
        self.base
            .as_ref()
            .and_then(|base| base.join(&location).ok())
            .ok_or_else(|| {
                Finding::fail(
                    "location",
                    format!("the upload Location `{location}` is not a URL"),
                )
            })
    }

    /// Whether the upload URL the registry hands out points back at what this client reached.
    fn location_finding(&self, location: &Url) -> Finding {
        let origin = format!(
            "{}://{}",
            location.scheme(),
            location
                .host_str()
                .map(|h| match location.port_or_known_default() {
                    Some(port) =>
                        if h.contains(':') {
                            format!("[{h}]:{port}")
                        } else {
                            format!("{h}:{port}")
                        },
                    None => h.to_owned(),
                })
                .unwrap_or_default()
        );
        let ours = format!("{}://{}", self.scheme, self.addr);
        if origin == ours {
            return Finding::ok("location", format!("uploads are sent back to {ours}"));
        }
        let reachable = location.socket_addrs(|| None).ok().and_then(|addrs| {
            addrs
                .into_iter()
                .find(|a| std::net::TcpStream::connect_timeout(a, Duration::from_secs(3)).is_ok())
        });
        let finding = Finding::new("location", if reachable.is_some() { Status::Warn } else { Status::Fail }, format!("the registry sends uploads to {origin}, not to {ours}"))
            .evidence(format!("Location: {location}"))
            .evidence(match reachable {
                Some(a) => format!("{a} is reachable from here, but clients that reach the registry as {ours} may not reach it"),
                None => format!("{origin} cannot be reached from here, so every push fails after the POST"),
            });
        finding.fix(format!("on the registry machine, make http.host the URL clients use: regctl config set http.host {ours} (or remove it: regctl config unset http.host), then restart regctl serve"))
    }

    async fn chunk(&self, auth: Option<&HeaderValue>) -> Finding {
        let location = match self.start_upload(auth).await {
            Ok(location) => location,
            Err(finding) => {
                return Finding {
                    check: "body-size",
                    ..finding
                }
            }
        };
        let body = vec![0_u8; CHUNK_SIZE];
        let result = self
            .send(
                self.http
                    .patch(location.clone())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_RANGE, format!("0-{}", CHUNK_SIZE - 1))
                    .header(CONTENT_LENGTH, CHUNK_SIZE.to_string())
                    .body(body),
                auth,
            )
            .await;
        let finding = match result {
            Ok(response) if response.status() == StatusCode::ACCEPTED => Finding::ok(
                "body-size",
                "a 2 MiB PATCH chunk is accepted (no proxy body-size limit below it)",
            ),
            Ok(response) if response.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let server = response
                    .headers()
                    .get("server")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("(no Server header)")
                    .to_owned();
                let body = response.text().await.unwrap_or_default();
                Finding::fail("body-size", "a 2 MiB PATCH chunk was refused with 413 Request Entity Too Large: a proxy in front limits request bodies, so layers above the limit cannot be pushed")
                    .evidence(format!("Server: {server}"))
                    .evidence(snippet(&body))
                    .fix("in the nginx server (or location /v2/) block in front of the registry: client_max_body_size 0; then: sudo nginx -s reload")
            }
            Ok(response) => {
                let status = response.status();
                Finding::fail(
                    "body-size",
                    format!("a 2 MiB PATCH chunk answered {status}"),
                )
                .evidence(snippet(&response.text().await.unwrap_or_default()))
            }
            Err(err) => Finding::fail(
                "body-size",
                "a 2 MiB PATCH chunk failed (a proxy closing the connection?)",
            )
            .evidence(err),
        };
        // Cancel the session either way; its data is not needed.
        let _ = self.send(self.http.delete(location), auth).await;
        finding
    }
}

fn with_status_fix(finding: Finding, status: StatusCode, addr: &str) -> Finding {
    match status {
        StatusCode::UNAUTHORIZED => finding.fix(format!("log in as a user who may push: regctl login {addr} -u USER")),
        StatusCode::FORBIDDEN => finding.fix("the user may not push to this repository: give doctor --write REPO a repository the user may push to, or grant access (regctl access)"),
        StatusCode::METHOD_NOT_ALLOWED => finding.fix("the registry is read-only (storage.maintenance.readonly) or a pull-through cache; push to a writable one"),
        StatusCode::PAYLOAD_TOO_LARGE => finding.fix("in the nginx server block in front of the registry: client_max_body_size 0; then: sudo nginx -s reload"),
        _ => finding,
    }
}

fn snippet(body: &str) -> String {
    let text: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = text.chars().take(200).collect();
    if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        format!("body: {text}")
    }
}
