//! The storage conformance suite: what [`Storage`] and [`Coordinator`] promise, checked on any
//! backend (distribution's `driver/testsuites` plays this part for its drivers). Every backend's
//! tests call [`run`] on an empty store (a fresh directory, a fresh bucket) and [`run_coordinator`]
//! on its coordinator; a failed promise panics with the backend and the step.
//!
//! Public so the integration tests can run it against S3 on a local server.

use std::collections::BTreeSet;
use std::io;
use std::time::Duration;

use super::backend::{Child, ChildKind, Committed, Durability, Storage};
use super::chunks::BlobChunks;
use super::coordinator::{Coordinator, LockError};
use super::paths;
use crate::digest::Digest;
use crate::oci::reference::{Name, UploadId};

fn name(s: &str) -> Name<'_> {
    Name::parse(s).expect("a valid repository name")
}

fn drain(mut chunks: Box<dyn BlobChunks>) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = chunks.next_chunk().expect("read a chunk") {
        out.extend_from_slice(&chunk);
    }
    out
}

fn kind_of(e: &io::Error) -> io::ErrorKind {
    e.kind()
}

/// Runs every data-side check against `storage`, which must be empty.
///
/// # Panics
/// When the backend breaks a promise of [`Storage`].
pub fn run(storage: &dyn Storage) {
    let at = storage.describe();
    absent_keys_answer_none(storage, &at);
    files_replace_atomically_with_either_durability(storage, &at);
    creates_happen_once_and_one_racer_wins(storage, &at);
    prefixes_exist_only_through_files_and_list_one_level(storage, &at);
    walks_visit_every_wanted_file_below_a_prefix(storage, &at);
    child_files_are_the_named_files_one_level_down(storage, &at);
    deletes_leave_no_trace_and_trees_go_by_whole_segments(storage, &at);
    uploads_append_rewind_reopen_seal_and_commit(storage, &at);
    touch_moves_the_change_time(storage, &at);
}

fn absent_keys_answer_none(s: &dyn Storage, at: &str) {
    let repo = name("conformance/absent");
    let d = Digest::of(b"absent");
    let key = paths::layer_link(repo, &d);
    assert!(s.get(&key, 1024).unwrap().is_none(), "{at}: get absent");
    assert!(s.head(&key).unwrap().is_none(), "{at}: head absent");
    assert!(s.open(&key).unwrap().is_none(), "{at}: open absent");
    assert!(
        s.list(&paths::repository(repo)).unwrap().is_empty(),
        "{at}: list absent"
    );
    assert!(
        s.upload_size(&paths::upload_data(repo, upload_id(1)))
            .unwrap()
            .is_none(),
        "{at}: upload size absent"
    );
    s.delete(&key).expect("delete of an absent key is fine");
    s.delete_tree(&paths::repository(repo))
        .expect("delete_tree of nothing is fine");
    let mut seen = 0;
    s.walk(&paths::repository(repo), &|_| true, &mut |_| seen += 1)
        .unwrap();
    assert_eq!(seen, 0, "{at}: walk of nothing");
}

fn files_replace_atomically_with_either_durability(s: &dyn Storage, at: &str) {
    let repo = name("conformance/put");
    let first = Digest::of(b"first");
    let second = Digest::of(b"second");
    let key = paths::manifest_revision_link(repo, &first);
    s.put(&key, paths::link_content(&first), Durability::Durable)
        .unwrap();
    assert_eq!(
        s.get(&key, 1024).unwrap().as_deref(),
        Some(paths::link_content(&first)),
        "{at}: get after put"
    );
    let meta = s.head(&key).unwrap().expect("head after put");
    assert_eq!(meta.len, first.as_str().len() as u64, "{at}: head len");
    assert!(
        meta.changed >= meta.modified,
        "{at}: changed is the newest time"
    );
    s.put(&key, paths::link_content(&second), Durability::Volatile)
        .unwrap();
    assert_eq!(
        s.get(&key, 1024).unwrap().as_deref(),
        Some(paths::link_content(&second)),
        "{at}: put replaces"
    );
    let too_big = s.get(&key, 3).unwrap_err();
    assert_eq!(kind_of(&too_big), io::ErrorKind::InvalidData, "{at}: limit");
    // A prefix of a file is no file.
    assert!(
        s.head(&paths::manifest_revision(repo, &first))
            .unwrap()
            .is_none(),
        "{at}: a prefix is not a file"
    );
    s.delete_tree(&paths::repository(repo)).unwrap();
}

fn creates_happen_once_and_one_racer_wins(s: &dyn Storage, at: &str) {
    let repo = name("conformance/create");
    let tag = crate::oci::reference::Tag::parse("v1").unwrap();
    let key = paths::manifest_tag_current_link(repo, tag);
    let digests: Vec<Digest> = (0..8u8).map(|i| Digest::of(&[i])).collect();
    let won: Vec<bool> = std::thread::scope(|scope| {
        let racers: Vec<_> = digests
            .iter()
            .map(|d| scope.spawn(|| s.create(&key, paths::link_content(d)).unwrap()))
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(
        won.iter().filter(|w| **w).count(),
        1,
        "{at}: exactly one of 8 racing creates wins"
    );
    let winner = &digests[won.iter().position(|w| *w).unwrap()];
    assert_eq!(
        s.get(&key, 1024).unwrap().as_deref(),
        Some(paths::link_content(winner)),
        "{at}: the winner's bytes stay"
    );
    assert!(
        !s.create(&key, paths::link_content(&digests[0])).unwrap(),
        "{at}: create over an existing file"
    );
    s.delete(&key).unwrap();
    assert!(
        s.create(&key, paths::link_content(&digests[1])).unwrap(),
        "{at}: create after delete"
    );
    s.delete_tree(&paths::repository(repo)).unwrap();
}

fn prefixes_exist_only_through_files_and_list_one_level(s: &dyn Storage, at: &str) {
    let repo = name("conformance/list");
    let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
    s.put(
        &paths::layer_link(repo, &a),
        paths::link_content(&a),
        Durability::Durable,
    )
    .unwrap();
    s.put(
        &paths::layer_link(repo, &b),
        paths::link_content(&b),
        Durability::Durable,
    )
    .unwrap();
    let mut listed = s.list(&paths::layer_links(repo)).unwrap();
    listed.sort();
    let mut expected = vec![
        Child {
            name: a.hex().to_owned(),
            kind: ChildKind::Prefix,
        },
        Child {
            name: b.hex().to_owned(),
            kind: ChildKind::Prefix,
        },
    ];
    expected.sort();
    assert_eq!(listed, expected, "{at}: list gives one level");
    assert_eq!(
        s.list(&paths::layer_link(repo, &a)).unwrap(),
        Vec::<Child>::new(),
        "{at}: a file lists nothing below it"
    );
    let repos = s.list(&paths::repositories_root()).unwrap();
    assert!(
        repos.contains(&Child {
            name: "conformance".to_owned(),
            kind: ChildKind::Prefix
        }),
        "{at}: the repositories root lists the repository's first segment: {repos:?}"
    );
    assert!(
        s.head(&paths::repository(repo)).unwrap().is_none(),
        "{at}: a repository is a prefix, not a file"
    );
    s.delete_tree(&paths::repository(repo)).unwrap();
}

fn walks_visit_every_wanted_file_below_a_prefix(s: &dyn Storage, at: &str) {
    let repo = name("conformance/walk");
    let d = Digest::of(b"walk");
    s.put(
        &paths::layer_link(repo, &d),
        paths::link_content(&d),
        Durability::Durable,
    )
    .unwrap();
    s.put(
        &paths::manifest_revision_link(repo, &d),
        paths::link_content(&d),
        Durability::Durable,
    )
    .unwrap();
    let id = upload_id(2);
    s.put(
        &paths::upload_started_at(repo, id),
        b"2020-01-01T00:00:00Z",
        Durability::Volatile,
    )
    .unwrap();
    let mut links = BTreeSet::new();
    s.walk(&paths::repository(repo), &|n| n == "link", &mut |entry| {
        assert_eq!(entry.key.name(), "link");
        assert_eq!(entry.meta.len, d.as_str().len() as u64);
        links.insert(entry.relative);
    })
    .unwrap();
    let expected: BTreeSet<String> = [
        format!("_layers/sha256/{}/link", d.hex()),
        format!("_manifests/revisions/sha256/{}/link", d.hex()),
    ]
    .into();
    assert_eq!(
        links, expected,
        "{at}: walk finds the wanted files, relative"
    );
    let mut all = 0;
    s.walk(&paths::repository(repo), &|_| true, &mut |entry| {
        assert!(
            entry
                .key
                .as_str()
                .starts_with(paths::repository(repo).as_str()),
            "{at}: walked keys stay below the prefix"
        );
        all += 1;
    })
    .unwrap();
    assert_eq!(all, 3, "{at}: walk visits every file");
    s.delete_tree(&paths::repository(repo)).unwrap();
}

fn child_files_are_the_named_files_one_level_down(s: &dyn Storage, at: &str) {
    let repo = name("conformance/children");
    let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
    let put = |key: &paths::Key, data: &[u8]| s.put(key, data, Durability::Volatile).unwrap();
    put(
        &paths::manifest_revision_link(repo, &a),
        paths::link_content(&a),
    );
    put(
        &paths::manifest_pull_record(repo, &a),
        b"2020-01-01T00:00:00Z",
    );
    put(
        &paths::manifest_revision_link(repo, &b),
        paths::link_content(&b),
    );
    // Deeper links (a referrers index below a revision) are not children's files.
    put(
        &paths::referrer_link(repo, &a, "", &b),
        paths::link_content(&b),
    );
    let mut found = BTreeSet::new();
    s.child_files(
        &paths::manifest_revisions(repo),
        &["link", paths::PULL_RECORD],
        &mut |entry| {
            assert_eq!(
                entry.key.as_str(),
                format!("{}/{}", paths::manifest_revisions(repo), entry.relative),
                "{at}: child file keys"
            );
            found.insert((entry.relative, entry.meta.len));
        },
    )
    .unwrap();
    let expected: BTreeSet<(String, u64)> = [
        (format!("{}/link", a.hex()), 71),
        (format!("{}/{}", a.hex(), paths::PULL_RECORD), 20),
        (format!("{}/link", b.hex()), 71),
    ]
    .into();
    assert_eq!(found, expected, "{at}: child_files");
    let mut none = 0;
    s.child_files(&paths::layer_links(repo), &["link"], &mut |_| none += 1)
        .unwrap();
    assert_eq!(none, 0, "{at}: child_files of an absent prefix");
    s.delete_tree(&paths::repository(repo)).unwrap();
}

fn deletes_leave_no_trace_and_trees_go_by_whole_segments(s: &dyn Storage, at: &str) {
    let (short, long) = (name("conformance/tree"), name("conformance/treetop"));
    let (a, b) = (Digest::of(b"one"), Digest::of(b"two"));
    for repo in [short, long] {
        s.put(
            &paths::layer_link(repo, &a),
            paths::link_content(&a),
            Durability::Durable,
        )
        .unwrap();
    }
    s.put(
        &paths::layer_link(short, &b),
        paths::link_content(&b),
        Durability::Durable,
    )
    .unwrap();
    s.delete(&paths::layer_link(short, &b)).unwrap();
    assert_eq!(
        s.list(&paths::layer_links(short)).unwrap(),
        vec![Child {
            name: a.hex().to_owned(),
            kind: ChildKind::Prefix
        }],
        "{at}: a delete leaves no empty prefix behind"
    );
    // An upload in progress below the tree goes with it.
    let id = upload_id(3);
    let mut upload = s.open_upload(&paths::upload_data(short, id), 0).unwrap();
    upload.append(b"in flight").unwrap();
    upload.persist().unwrap();
    drop(upload);
    s.delete_tree(&paths::repository(short)).unwrap();
    assert!(
        s.list(&paths::repository(short)).unwrap().is_empty(),
        "{at}: tree gone"
    );
    assert!(
        s.upload_size(&paths::upload_data(short, id))
            .unwrap()
            .is_none(),
        "{at}: delete_tree takes uploads in progress"
    );
    assert!(
        s.head(&paths::layer_link(long, &a)).unwrap().is_some(),
        "{at}: delete_tree of a/b never touches a/bc"
    );
    s.delete_tree(&paths::repository(long)).unwrap();
    // A directory backend may keep the emptied `conformance/` directory (registry:2's driver
    // does too); no file may be left.
    let mut left = Vec::new();
    s.walk(&paths::repositories_root(), &|_| true, &mut |e| {
        left.push(e.relative)
    })
    .unwrap();
    assert!(
        left.is_empty(),
        "{at}: nothing left under repositories: {left:?}"
    );
}

fn upload_id(n: u8) -> UploadId<'static> {
    const IDS: [&str; 6] = [
        "00000000-0000-4000-8000-000000000000",
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
        "00000000-0000-4000-8000-000000000004",
        "00000000-0000-4000-8000-000000000005",
    ];
    UploadId::parse(IDS[usize::from(n) % IDS.len()]).expect("a valid upload id")
}

fn uploads_append_rewind_reopen_seal_and_commit(s: &dyn Storage, at: &str) {
    let repo = name("conformance/upload");
    let id = upload_id(4);
    let key = paths::upload_data(repo, id);
    let mut up = s.open_upload(&key, 0).unwrap();
    up.append(b"hello ").unwrap();
    up.persist().unwrap();
    drop(up);
    assert_eq!(
        s.upload_size(&key).unwrap(),
        Some(6),
        "{at}: persisted size"
    );

    let mut up = s.open_upload(&key, 6).unwrap();
    assert_eq!(up.size(), 6, "{at}: reopened at its size");
    up.append(b"worldXX").unwrap();
    up.rewind(11).unwrap();
    assert_eq!(up.size(), 11, "{at}: rewind drops the tail");
    let below = up.rewind(5).unwrap_err();
    assert_eq!(
        kind_of(&below),
        io::ErrorKind::InvalidInput,
        "{at}: rewind below open"
    );
    up.persist().unwrap();
    assert_eq!(
        drain(up.chunks(0, 11).unwrap()),
        b"hello world",
        "{at}: read back"
    );
    drop(up);

    // Reopening at a smaller offset drops what a broken request left past it.
    let mut up = s.open_upload(&key, 5).unwrap();
    assert_eq!(up.size(), 5, "{at}: reopened below the stored size");
    up.append(b" there").unwrap();
    up.persist().unwrap();
    drop(up);
    assert_eq!(
        s.upload_size(&key).unwrap(),
        Some(11),
        "{at}: size after reopen"
    );
    let past = s.open_upload(&key, 100).map(drop).unwrap_err();
    assert_eq!(
        kind_of(&past),
        io::ErrorKind::InvalidInput,
        "{at}: open past the end"
    );

    let content = b"hello there";
    let digest = Digest::of(content);
    let blob = paths::blob_data(&digest);
    let mut up = s.open_upload(&key, 11).unwrap();
    up.append(b"junk after the hashed bytes").unwrap();
    up.seal(11).unwrap();
    assert_eq!(
        up.commit(&blob).unwrap(),
        Committed::Stored,
        "{at}: first commit"
    );
    assert_eq!(
        s.get(&blob, 1024).unwrap().as_deref(),
        Some(&content[..]),
        "{at}: the blob holds exactly the sealed bytes"
    );
    assert!(
        s.upload_size(&key).unwrap().is_none(),
        "{at}: committed data is gone"
    );
    let source = s.open(&blob).unwrap().expect("open the blob");
    assert_eq!(source.len(), 11);
    assert_eq!(
        drain(source.chunks(6, 5).unwrap()),
        b"there",
        "{at}: ranged open"
    );

    // A second identical upload commits to the existing blob and leaves it as it was.
    let other = paths::upload_data(repo, upload_id(5));
    let mut up = s.open_upload(&other, 0).unwrap();
    up.append(content).unwrap();
    up.seal(11).unwrap();
    assert_eq!(
        up.commit(&blob).unwrap(),
        Committed::AlreadyPresent,
        "{at}: commit is create-if-absent"
    );
    assert!(
        s.upload_size(&other).unwrap().is_none(),
        "{at}: its data is gone too"
    );
    assert_eq!(s.get(&blob, 1024).unwrap().as_deref(), Some(&content[..]));

    let mut up = s.open_upload(&key, 0).unwrap();
    up.append(b"abandoned").unwrap();
    up.persist().unwrap();
    up.abort().unwrap();
    assert!(
        s.upload_size(&key).unwrap().is_none(),
        "{at}: abort discards"
    );

    s.delete(&blob).unwrap();
    assert!(s.head(&blob).unwrap().is_none(), "{at}: blob deleted");
    assert!(
        s.list(&paths::blob_dir(&digest)).unwrap().is_empty(),
        "{at}: the blob's directory went with its data"
    );
    s.delete_tree(&paths::repository(repo)).unwrap();
}

fn touch_moves_the_change_time(s: &dyn Storage, at: &str) {
    let repo = name("conformance/touch");
    let d = Digest::of(b"touch");
    let key = paths::layer_link(repo, &d);
    s.put(&key, paths::link_content(&d), Durability::Durable)
        .unwrap();
    let before = s.head(&key).unwrap().expect("head").changed;
    std::thread::sleep(Duration::from_millis(20));
    s.touch(&key).unwrap();
    let after = s.head(&key).unwrap().expect("head after touch");
    assert!(after.changed >= before, "{at}: touch never moves time back");
    assert_eq!(
        s.get(&key, 1024).unwrap().as_deref(),
        Some(paths::link_content(&d)),
        "{at}: touch keeps the bytes"
    );
    let missing = s
        .touch(&paths::layer_link(repo, &Digest::of(b"none")))
        .unwrap_err();
    assert_eq!(
        kind_of(&missing),
        io::ErrorKind::NotFound,
        "{at}: touch of nothing"
    );
    s.delete_tree(&paths::repository(repo)).unwrap();
}

/// Checks the locks: shared reference guards coexist and keep a sweep out, a sweep waits at most
/// its timeout, one collector at a time, and dropping a guard releases it.
///
/// # Panics
/// When the coordinator breaks a promise of [`Coordinator`].
pub fn run_coordinator(c: &dyn Coordinator) {
    let first = c.reference_guard().expect("a reference guard");
    let second = c.reference_guard().expect("reference guards are shared");
    let busy = c.sweep_lock(Duration::from_millis(30));
    assert!(
        matches!(busy, Err(LockError::Busy { waited, .. }) if waited >= Duration::from_millis(30)),
        "a sweep waits for reference holders, at most its timeout"
    );
    drop(first);
    assert!(
        c.sweep_lock(Duration::ZERO).is_err(),
        "one holder left still keeps the sweep out"
    );
    drop(second);
    let sweep = c
        .sweep_lock(Duration::from_secs(5))
        .expect("the sweep once references are done");
    drop(sweep);
    let collector = c.collector_lock().expect("the collector lock");
    assert!(
        matches!(c.collector_lock(), Err(LockError::Busy { .. })),
        "one collector at a time"
    );
    drop(collector);
    drop(c.collector_lock().expect("released on drop"));
    drop(c.reference_guard().expect("references after the sweep"));
}
