//! The real Docker engine (a private dockerd per test) against `regctl serve`.

use crate::common::dockerd::Dockerd;
use crate::common::server::Server;

#[test]
fn docker_pushes_and_pulls_through_loopback() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), &[], &[]);
    let engine = Dockerd::start();
    let image = format!("{}/hello:1", server.addr);
    engine.import_image(&image, b"hello from docker\n");
    engine.ok(&["push", &image]);
    engine.ok(&["rmi", &image]);
    engine.ok(&["pull", &image]);
}

/// Without `http.host`, upload Locations follow the address each client used: the real docker
/// client pushes by `127.0.0.1:PORT` and by `localhost:PORT` to the same server, and skopeo by
/// `localhost:PORT`; then each pulls back what the other pushed.
#[test]
fn docker_and_skopeo_push_by_any_name_without_http_host() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), &[], &[]);
    let port = server.addr.rsplit(':').next().unwrap().to_owned();
    let engine = Dockerd::start();
    let by_ip = format!("127.0.0.1:{port}/hello:ip");
    let by_name = format!("localhost:{port}/hello:name");
    engine.import_image(&by_ip, b"pushed by IP\n");
    engine.ok(&["push", &by_ip]);
    engine.ok(&["tag", &by_ip, &by_name]);
    engine.ok(&["push", &by_name]);
    engine.ok(&["rmi", &by_ip, &by_name]);
    engine.ok(&["pull", &by_name]);

    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    crate::common::oci::write_oci_layout(&layout, "v1", 1, 2000);
    crate::common::registry::skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &crate::common::oci::oci_reference(&layout, "v1"),
        &format!("docker://localhost:{port}/hello:skopeo"),
    ]);
    engine.ok(&["pull", &format!("127.0.0.1:{port}/hello:skopeo")]);
}
