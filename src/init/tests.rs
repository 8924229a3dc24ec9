//! Unit tests of the whole init module.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::staging::collect;
use super::systemd::unit_word;
use super::*;
use crate::certs::SubjectName;
use crate::htpasswd;

fn options(dir: &Path) -> InitOptions {
    InitOptions {
        dir: dir.to_owned(),
        addr: ListenAddr::loopback(5000),
        hosts: vec![SubjectName::parse("127.0.0.1").unwrap()],
        tls: TlsMode::SelfSigned,
        user: Some(InitUser {
            name: "abc".to_owned(),
            password: b"secret".to_vec(),
        }),
        delete: false,
        storage: None,
        systemd_exe: None,
        force: false,
        public_url: None,
    }
}

/// Every path under `dir` with its bytes (directories as None), for before/after comparisons.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    collect(dir, Path::new(""), &mut files, &mut dirs).unwrap();
    out.extend(dirs.into_iter().map(|d| (d, None)));
    out.extend(
        files
            .into_iter()
            .map(|f| (f.clone(), Some(std::fs::read(dir.join(&f)).unwrap()))),
    );
    out.sort();
    out
}

#[test]
fn listen_addr_forms() {
    assert_eq!(
        "0.0.0.0:5000".parse::<ListenAddr>().unwrap(),
        ListenAddr::all(5000)
    );
    assert_eq!(":5000".parse::<ListenAddr>().unwrap().to_string(), ":5000");
    assert_eq!(
        "[::1]:443".parse::<ListenAddr>().unwrap().to_string(),
        "[::1]:443"
    );
    assert!("[::1]:443".parse::<ListenAddr>().unwrap().is_loopback());
    for bad in [
        "",
        "5000",
        "127.0.0.1",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:http",
        "::1:5000",
        "registry.example.com:5000",
    ] {
        let err = bad.parse::<ListenAddr>().unwrap_err().to_string();
        assert!(err.contains("expected IP:PORT"), "{bad:?}: {err}");
    }
}

#[test]
fn hosts_must_work_for_docker_and_certificates() {
    assert_eq!(
        parse_host("Registry.Example.com").unwrap().to_string(),
        "registry.example.com"
    );
    assert!(parse_host("[fd00::1]").is_ok());
    for bad in [
        "",
        "a b",
        "host:5000",
        "https://x",
        "*.example.com",
        "under_score",
    ] {
        assert!(parse_host(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn default_addr_follows_hosts_and_tls() {
    let lo = [SubjectName::parse("127.0.0.1").unwrap()];
    let lan = [SubjectName::parse("192.168.0.106").unwrap()];
    assert_eq!(
        default_addr(&lo, &TlsMode::None),
        ListenAddr::loopback(5000)
    );
    assert_eq!(default_addr(&lan, &TlsMode::None), ListenAddr::all(5000));
    assert_eq!(
        default_addr(
            &lan,
            &TlsMode::Acme {
                email: "a@b".into()
            }
        )
        .port,
        443
    );
}

#[test]
fn writes_a_complete_home_and_refuses_a_second_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/registry");
    let now = OffsetDateTime::now_utc();
    let out = init(&options(&dir), now).unwrap();
    assert!(dir.join("config.yml").is_file());
    assert!(dir.join("certs/ca.crt").is_file());
    assert!(dir.join("certs/server.key").is_file());
    assert!(dir.join("data").is_dir());
    assert!(htpasswd::Htpasswd::load(&dir.join("auth/htpasswd"))
        .unwrap()
        .verify("abc", b"secret"));
    assert_eq!(out.registry, "127.0.0.1:5000");
    assert_eq!(out.url, "https://127.0.0.1:5000");
    let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("registry")]);

    let before = snapshot(&dir);
    let err = init(&options(&dir), now).unwrap_err();
    assert!(matches!(err, InitError::ConfigExists { .. }), "{err}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn force_keeps_ca_users_data_and_a_backup_of_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let now = OffsetDateTime::now_utc();
    init(&options(&dir), now).unwrap();
    let ca = std::fs::read(dir.join("certs/ca.crt")).unwrap();
    let old_config = std::fs::read(dir.join("config.yml")).unwrap();
    std::fs::write(dir.join("data/blob"), b"data").unwrap();
    htpasswd::edit(&dir.join("auth/htpasswd"), |f| {
        f.add("other", b"pw", htpasswd::BCRYPT_COSTS.start().to_owned())
    })
    .unwrap();

    let mut again = options(&dir);
    again.force = true;
    again.delete = true;
    again.user.as_mut().unwrap().password = b"new".to_vec();
    let out = init(&again, now).unwrap();
    assert!(out.ca_reused);
    assert!(out.user_password_reset);
    assert_eq!(std::fs::read(dir.join("certs/ca.crt")).unwrap(), ca);
    assert_eq!(std::fs::read(dir.join("data/blob")).unwrap(), b"data");
    let users = htpasswd::Htpasswd::load(&dir.join("auth/htpasswd")).unwrap();
    assert!(users.verify("abc", b"new") && users.verify("other", b"pw"));
    let backup = out.config_backup.unwrap();
    assert_eq!(std::fs::read(backup).unwrap(), old_config);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".regctl")),
        "no staging or set-aside files left: {names:?}"
    );
}

#[test]
fn a_failure_while_moving_in_leaves_the_directory_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/blob"), b"data").unwrap();
    // regctl.service is moved in after auth/ and certs/, and a directory is in its way.
    std::fs::create_dir_all(dir.join("regctl.service")).unwrap();
    let before = snapshot(&dir);
    let mut opts = options(&dir);
    opts.systemd_exe = Some(PathBuf::from("/usr/bin/regctl"));
    let err = init(&opts, OffsetDateTime::now_utc()).unwrap_err();
    assert!(err.to_string().contains("regctl.service"), "{err}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn storage_elsewhere_is_created_even_inside_a_new_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let mut opts = options(&dir);
    opts.storage = Some(dir.join("images/v2"));
    let out = init(&opts, OffsetDateTime::now_utc()).unwrap();
    assert!(out.storage_created);
    assert!(dir.join("images/v2").is_dir());
    assert!(!dir.join("data").exists());
    let config = std::fs::read_to_string(dir.join("config.yml")).unwrap();
    assert!(
        config.contains(&format!(
            "rootdirectory: {}",
            dir.join("images/v2").display()
        )),
        "{config}"
    );
}

#[test]
fn an_existing_user_needs_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    htpasswd::edit(&dir.join("auth/htpasswd"), |f| f.add("abc", b"old", 4)).unwrap();
    let before = snapshot(&dir);
    let err = init(&options(&dir), OffsetDateTime::now_utc()).unwrap_err();
    assert!(err.to_string().contains("user abc already exists"), "{err}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn half_a_ca_is_reported_at_its_real_place() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    std::fs::create_dir_all(dir.join("certs")).unwrap();
    std::fs::write(dir.join("certs/ca.crt"), b"x").unwrap();
    let err = init(&options(&dir), OffsetDateTime::now_utc()).unwrap_err();
    let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(
        text.contains(&dir.join("certs").display().to_string()),
        "{text}"
    );
    assert!(!text.contains(".regctl-init"), "{text}");
}

#[test]
fn unit_words_are_escaped() {
    assert_eq!(
        unit_word(Path::new("/usr/bin/regctl")).unwrap(),
        "/usr/bin/regctl"
    );
    assert_eq!(
        unit_word(Path::new("/srv/my reg/100%$x")).unwrap(),
        "\"/srv/my reg/100%%$$x\""
    );
    assert!(unit_word(Path::new("/a\nb")).is_err());
}

#[test]
fn warns_about_exposure() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = options(tmp.path());
    opts.addr = ListenAddr::all(5000);
    opts.user = None;
    let warnings = check_options(&opts, OffsetDateTime::now_utc()).unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("NO AUTHENTICATION")),
        "{warnings:?}"
    );
    opts.addr = ListenAddr::loopback(5000);
    opts.hosts = vec![SubjectName::parse("192.168.0.106").unwrap()];
    let warnings = check_options(&opts, OffsetDateTime::now_utc()).unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("cannot reach")),
        "{warnings:?}"
    );
}
