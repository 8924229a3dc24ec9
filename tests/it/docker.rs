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
