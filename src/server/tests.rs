//! Tests of the accept loop, the layers and graceful shutdown, against a test router.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::routing::get;
use axum::Router;
use tokio::sync::{mpsc, oneshot};

use super::*;

/// A router with `/v2/`, a route that sets its own `x-frame-options`, and `/stream`, whose body
/// is fed chunk by chunk by the test through the returned sender.
fn test_app() -> (Router, mpsc::Sender<mpsc::Receiver<Bytes>>) {
    let (register, bodies) = mpsc::channel::<mpsc::Receiver<Bytes>>(1);
    let bodies = Arc::new(tokio::sync::Mutex::new(bodies));
    let app = Router::new()
        .route("/v2/", get(|| async { "{}" }))
        .route(
            "/v2/own-header",
            get(|| async { ([("x-frame-options", "SAMEORIGIN")], "own") }),
        )
        .route(
            "/stream",
            get(move || {
                let bodies = Arc::clone(&bodies);
                async move {
                    let receiver = bodies.lock().await.recv().await;
                    let Some(chunks) = receiver else {
                        return Body::empty();
                    };
                    Body::from_stream(futures_util::stream::unfold(chunks, |mut chunks| async {
                        chunks
                            .recv()
                            .await
                            .map(|chunk| (Ok::<_, std::io::Error>(chunk), chunks))
                    }))
                }
            }),
        );
    (app, register)
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<Result<(), ServerError>>,
}

async fn start(settings: ServeSettings, app: Router) -> Running {
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, bound) = oneshot::channel();
    let done = tokio::spawn(async move {
        run(
            &settings,
            app,
            async {
                let _ = stopped.await;
            },
            move |addr| {
                let _ = ready.send(addr);
            },
        )
        .await
    });
    let addr = bound.await.expect("server reported its address");
    Running {
        addr,
        stop: Some(stop),
        done,
    }
}

fn loopback() -> ServeSettings {
    ServeSettings {
        addr: "127.0.0.1:0".to_owned(),
        log: LogSettings {
            accesslog_disabled: false,
            ..LogSettings::default()
        },
        ..ServeSettings::default()
    }
}

/// Polls until connecting fails, i.e. the listener is closed.
async fn wait_until_refused(addr: SocketAddr) {
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the listener on {addr} was never closed");
}

#[tokio::test]
async fn every_response_carries_the_api_version_and_configured_headers() {
    let (app, _register) = test_app();
    let settings = ServeSettings {
        headers: vec![
            (
                "X-Content-Type-Options".to_owned(),
                vec!["nosniff".to_owned()],
            ),
            ("X-Frame-Options".to_owned(), vec!["DENY".to_owned()]),
        ],
        ..loopback()
    };
    let server = start(settings, app).await;
    let client = reqwest::Client::new();
    for (path, status) in [("/v2/", 200), ("/nowhere", 404), ("/v2/own-header", 200)] {
        let response = client
            .get(format!("http://{}{path}", server.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(
            response.headers()["docker-distribution-api-version"],
            "registry/2.0",
            "{path}"
        );
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
    let own = client
        .get(format!("http://{}/v2/own-header", server.addr))
        .send()
        .await
        .unwrap();
    let frame_options: Vec<_> = own.headers().get_all("x-frame-options").iter().collect();
    assert_eq!(frame_options, ["SAMEORIGIN"], "a handler's own header wins");
    let _ = server.stop.and_then(|stop| stop.send(()).ok());
    server.done.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_stops_accepting_and_finishes_in_flight_requests() {
    let (app, register) = test_app();
    let server = start(loopback(), app).await;
    let (feed, chunks) = mpsc::channel::<Bytes>(4);
    register.send(chunks).await.unwrap();

    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    feed.send(chunk.clone()).await.unwrap();
    let mut response = reqwest::get(format!("http://{}/stream", server.addr))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut received = response.chunk().await.unwrap().unwrap().len();

    let Running {
        addr,
        mut stop,
        done,
    } = server;
    stop.take().unwrap().send(()).unwrap();
    wait_until_refused(addr).await;
    assert!(!done.is_finished(), "the server waits for the open request");

    let rest = 20;
    tokio::spawn(async move {
        for _ in 0..rest {
            feed.send(chunk.clone()).await.unwrap();
        }
    });
    while let Some(more) = response.chunk().await.unwrap() {
        received += more.len();
    }
    assert_eq!(received, 64 * 1024 * (rest + 1));
    done.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_drain_timeout_closes_requests_that_do_not_finish() {
    let (app, register) = test_app();
    let settings = ServeSettings {
        draintimeout: Some(Duration::from_millis(200)),
        ..loopback()
    };
    let server = start(settings, app).await;
    let (feed, chunks) = mpsc::channel::<Bytes>(4);
    register.send(chunks).await.unwrap();
    feed.send(Bytes::from_static(b"first")).await.unwrap();
    let mut response = reqwest::get(format!("http://{}/stream", server.addr))
        .await
        .unwrap();
    assert_eq!(response.chunk().await.unwrap().unwrap(), "first");

    let Running { mut stop, done, .. } = server;
    stop.take().unwrap().send(()).unwrap();
    // `feed` stays open, so the body never ends: only the drain timeout can stop the server.
    done.await.unwrap().unwrap();
    assert!(
        response.chunk().await.is_err(),
        "the unfinished body is cut off"
    );
    drop(feed);
}

#[tokio::test]
async fn refuses_invalid_configured_headers() {
    let (app, _register) = test_app();
    let settings = ServeSettings {
        headers: vec![("Bad Header".to_owned(), vec!["x".to_owned()])],
        ..loopback()
    };
    let err = run(&settings, app, async {}, |_| {}).await.unwrap_err();
    assert!(
        matches!(err, ServerError::InvalidHeaderName { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn bind_errors_name_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (app, _register) = test_app();
    let settings = ServeSettings {
        addr: addr.clone(),
        ..loopback()
    };
    let err = run(&settings, app, async {}, |_| {}).await.unwrap_err();
    assert!(err.to_string().contains(&addr), "{err}");
}

#[tokio::test]
async fn htpasswd_guards_v2_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("htpasswd");
    let hash = bcrypt::hash("pw", 4).unwrap();
    std::fs::write(&path, format!("alice:{hash}\n")).unwrap();
    let (app, _register) = test_app();
    let settings = ServeSettings {
        htpasswd: Some(HtpasswdSettings {
            realm: "Registry Realm".to_owned(),
            path,
            policy: None,
        }),
        ..loopback()
    };
    let server = start(settings, app).await;
    let client = reqwest::Client::new();
    let anonymous = client
        .get(format!("http://{}/v2/", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Basic realm=\"Registry Realm\""
    );
    assert_eq!(
        anonymous.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    assert_eq!(anonymous.text().await.unwrap(), auth::UNAUTHORIZED_BODY);
    let authorized = client
        .get(format!("http://{}/v2/", server.addr))
        .basic_auth("alice", Some("pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(authorized.status(), 200);
    // outside /v2 no credentials are asked for (room for ACME challenges and health checks)
    let outside = client
        .get(format!("http://{}/nowhere", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
    let _ = server.stop.and_then(|stop| stop.send(()).ok());
    server.done.await.unwrap().unwrap();
}

#[test]
fn go_style_addresses_listen_everywhere() {
    assert_eq!(crate::listen_addr::bind_target(":5000"), "0.0.0.0:5000");
    assert_eq!(
        crate::listen_addr::bind_target("127.0.0.1:0"),
        "127.0.0.1:0"
    );
}

/// Reads until EOF or `limit`; returns what was read and whether EOF came.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    use tokio::io::AsyncReadExt as _;
    let mut seen = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0_u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (seen, closed)
}

#[tokio::test]
async fn silent_stalled_and_idle_connections_are_closed_after_the_header_timeout() {
    use tokio::io::AsyncWriteExt as _;
    let (app, _register) = test_app();
    let settings = ServeSettings {
        timeouts: ConnectionTimeouts {
            header: Duration::from_millis(300),
            ..ConnectionTimeouts::default()
        },
        ..loopback()
    };
    let server = start(settings, app).await;
    // nothing at all
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // two bytes of a request line, then nothing: the auto builder is still sniffing the version
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stalled.write_all(b"GE").await.unwrap();
    // one request answered, then an idle keep-alive connection
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    for (name, stream) in [
        ("silent", &mut silent),
        ("stalled", &mut stalled),
        ("idle", &mut idle),
    ] {
        let (seen, closed) = read_until_closed(stream, Duration::from_secs(5)).await;
        assert!(closed, "{name} connection still open");
        if name == "idle" {
            assert!(
                seen.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&seen)
            );
        }
    }
}

#[tokio::test]
async fn past_the_cap_connections_are_answered_503_at_once() {
    let (app, _register) = test_app();
    let settings = ServeSettings {
        max_connections: 1,
        ..loopback()
    };
    let server = start(settings, app).await;
    let _holder = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut refused = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (seen, closed) = read_until_closed(&mut refused, Duration::from_secs(5)).await;
    assert!(closed);
    let text = String::from_utf8_lossy(&seen);
    assert!(
        text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nRetry-After: 1\r\n"), "{text}");
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    let length: usize = text
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(body.len(), length);
    serde_json::from_str::<serde_json::Value>(body).unwrap();
}

#[tokio::test]
async fn without_the_web_pages_the_root_answers_an_empty_200() {
    let (app, _register) = test_app();
    let settings = ServeSettings {
        web_ui: false,
        ..loopback()
    };
    let server = start(settings, app).await;
    let response = reqwest::get(format!("http://{}/", server.addr))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[API_VERSION_HEADER], API_VERSION);
    assert!(response.bytes().await.unwrap().is_empty());
}
