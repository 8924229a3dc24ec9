//! A small but real Docker token server for the token-flow tests: it checks Basic credentials,
//! grants the scopes asked for and signs ES256 JWTs with an `x5c` header, which distribution's
//! token authenticator verifies against its `rootcertbundle` (registry/auth/token/token.go).
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SigningKey as _};

pub const ISSUER: &str = "regctl-test-issuer";
pub const SERVICE: &str = "regctl-test-registry";

/// One request the token server answered.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The user of the Basic credentials, if any were sent.
    pub user: Option<String>,
    pub service: Option<String>,
    pub scopes: Vec<String>,
    pub granted: bool,
    /// Whether it was the OAuth2 refresh-token POST rather than a GET with Basic credentials.
    pub refresh: bool,
}

struct Signer {
    key: KeyPair,
    cert_der: Vec<u8>,
}

struct Shared {
    signer: Signer,
    users: HashMap<String, String>,
    /// OAuth2 refresh tokens (docker's `identitytoken`) and the user each belongs to.
    refresh_tokens: HashMap<String, String>,
    log: Mutex<Vec<TokenRequest>>,
}

/// The running server; stopped when dropped.
pub struct TokenServer {
    pub realm: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokenServer {
    /// Starts on an ephemeral loopback port; `users` are the accepted (name, password) pairs.
    /// The signing certificate is written to `cert_path` for the registry's `rootcertbundle`.
    pub fn start(users: &[(&str, &str)], cert_path: &Path) -> Self {
        Self::start_with_refresh_tokens(users, &[], cert_path)
    }

    /// Like [`TokenServer::start`], also accepting `(refresh token, user)` pairs in the OAuth2
    /// `POST` form that docker uses for identity tokens.
    pub fn start_with_refresh_tokens(
        users: &[(&str, &str)],
        refresh_tokens: &[(&str, &str)],
        cert_path: &Path,
    ) -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("generate key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("cert params");
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "regctl test token signer");
        params.distinguished_name = name;
        let cert = params.self_signed(&key).expect("self-signed cert");
        std::fs::write(cert_path, cert.pem()).expect("write rootcertbundle");
        let shared = Arc::new(Shared {
            signer: Signer {
                cert_der: cert.der().to_vec(),
                key,
            },
            users: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
            refresh_tokens: refresh_tokens
                .iter()
                .map(|(t, u)| ((*t).to_owned(), (*u).to_owned()))
                .collect(),
            log: Mutex::new(Vec::new()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind token server");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/token", get(issue).post(refresh))
            .with_state(shared.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("token server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop.await;
                    })
                    .await
                    .expect("token server");
            });
        });
        Self {
            realm: format!("http://{addr}/token"),
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.shared.log.lock().unwrap().clone()
    }

    /// A token for `scopes` whose header and claims `edit` changed before it was signed.
    pub fn mint_edited(
        &self,
        subject: &str,
        scopes: &[&str],
        edit: impl FnOnce(&mut serde_json::Value, &mut serde_json::Value),
    ) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        sign_edited(&self.shared.signer, subject, &scopes, edit)
    }

    /// The DER of the signing certificate (what the `x5c` header carries).
    pub fn certificate_der(&self) -> Vec<u8> {
        self.shared.signer.cert_der.clone()
    }

    /// A token for `scopes` without going through HTTP (the tests push their images with it).
    pub fn mint(&self, subject: &str, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        sign_token(&self.shared.signer, subject, &scopes)
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn issue(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut service = None;
    let mut scopes = Vec::new();
    for pair in query.unwrap_or_default().split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let value = percent_decode(value);
        match key {
            "service" => service = Some(value),
            "scope" => scopes.extend(value.split(' ').map(str::to_owned)),
            _ => {}
        }
    }
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())));
    let user = basic.as_ref().map(|(u, _)| u.clone());
    let authenticated = basic
        .as_ref()
        .is_some_and(|(u, p)| shared.users.get(u) == Some(p));
    let record = |granted| TokenRequest {
        user: user.clone(),
        service: service.clone(),
        scopes: scopes.clone(),
        granted,
        refresh: false,
    };
    if basic.is_some() && !authenticated {
        shared.log.lock().unwrap().push(record(false));
        return (StatusCode::UNAUTHORIZED, "invalid credentials").into_response();
    }
    // Anonymous callers get a token with no access, as public token servers do.
    let granted: Vec<String> = if authenticated {
        scopes.clone()
    } else {
        Vec::new()
    };
    let subject = user.clone().unwrap_or_default();
    let token = sign_token(&shared.signer, &subject, &granted);
    shared.log.lock().unwrap().push(record(authenticated));
    Json(serde_json::json!({
        "token": token,
        "access_token": token,
        "expires_in": 300,
    }))
    .into_response()
}

/// The OAuth2 refresh-token grant: `grant_type=refresh_token&refresh_token=...&scope=...`.
async fn refresh(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let form: Vec<(String, String)> = body
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let scopes: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    let user = field("refresh_token").and_then(|t| shared.refresh_tokens.get(&t).cloned());
    let granted = field("grant_type").as_deref() == Some("refresh_token") && user.is_some();
    shared.log.lock().unwrap().push(TokenRequest {
        user: user.clone(),
        service: field("service"),
        scopes: scopes.clone(),
        granted,
        refresh: true,
    });
    if !granted {
        return (StatusCode::UNAUTHORIZED, "invalid refresh token").into_response();
    }
    let token = sign_token(&shared.signer, &user.unwrap_or_default(), &scopes);
    Json(serde_json::json!({"access_token": token, "expires_in": 300})).into_response()
}

fn sign_token(signer: &Signer, subject: &str, scopes: &[String]) -> String {
    sign_edited(signer, subject, scopes, |_, _| {})
}

/// Like [`sign_token`], letting `edit` change the header and claims before signing (tests of
/// refused tokens: expired, another audience, another issuer, another key id).
fn sign_edited(
    signer: &Signer,
    subject: &str,
    scopes: &[String],
    edit: impl FnOnce(&mut serde_json::Value, &mut serde_json::Value),
) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|scope| {
            let (kind, rest) = scope.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            Some(serde_json::json!({
                "type": kind,
                "name": name,
                "actions": actions.split(',').collect::<Vec<_>>(),
            }))
        })
        .collect();
    let header = serde_json::json!({
        "typ": "JWT",
        "alg": "ES256",
        "x5c": [base64::engine::general_purpose::STANDARD.encode(&signer.cert_der)],
    });
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": subject,
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": uuid::Uuid::new_v4().to_string(),
        "access": access,
    });
    let (mut header, mut claims) = (header, claims);
    edit(&mut header, &mut claims);
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let der = signer
        .key
        .sign(signing_input.as_bytes())
        .expect("sign token");
    format!("{signing_input}.{}", b64(&ecdsa_der_to_raw(&der)))
}

/// JWS ES256 wants `r || s` (32 bytes each); the signer returns an ASN.1 `SEQUENCE { r, s }`.
fn ecdsa_der_to_raw(der: &[u8]) -> Vec<u8> {
    fn read_len(bytes: &[u8], at: &mut usize) -> usize {
        let first = bytes[*at];
        *at += 1;
        if first < 0x80 {
            return usize::from(first);
        }
        let count = usize::from(first & 0x7f);
        let mut len = 0;
        for _ in 0..count {
            len = (len << 8) | usize::from(bytes[*at]);
            *at += 1;
        }
        len
    }
    let mut at = 0;
    assert_eq!(der[at], 0x30, "ECDSA signature is a SEQUENCE");
    at += 1;
    read_len(der, &mut at);
    let mut raw = Vec::with_capacity(64);
    for _ in 0..2 {
        assert_eq!(der[at], 0x02, "ECDSA signature part is an INTEGER");
        at += 1;
        let len = read_len(der, &mut at);
        let int = &der[at..at + len];
        at += len;
        let int = &int[int.len().saturating_sub(32)..];
        raw.extend(std::iter::repeat_n(0u8, 32 - int.len()));
        raw.extend_from_slice(int);
    }
    raw
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
