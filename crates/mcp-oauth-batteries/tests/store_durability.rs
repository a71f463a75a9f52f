//! Durability of the file store: a process killed (SIGKILL) at any point of a write leaves the
//! previous or the new file, never a torn one; a corrupted file is a typed error that loses
//! nothing.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use mcp_oauth_batteries::store::{FileStore, StoreError, StoreKey, StoredEntry, TokenStore};
use mcp_oauth_core::flow::{AuthFlow, ClientConfig, FlowConfig, PersistedState};
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::{Entropy, Timestamp};

/// Set in the child process: the store file it writes in a loop.
const CHILD_ENV: &str = "MCP_OAUTH_STORE_KILL_CHILD";

/// A real persisted state: the PRM step of a flow.
fn state(resource: &str) -> PersistedState {
    let config = FlowConfig::new(
        resource,
        ClientConfig::authorization_code("Test", "http://127.0.0.1:9/cb"),
    );
    let mut flow = AuthFlow::new(config, Entropy::new([1; 32]));
    let now = Timestamp::from_unix_seconds(1_700_000_000);
    flow.handle_challenge(now, &HttpResponse::new(401, vec![], vec![]))
        .unwrap();
    let (id, _) = flow.poll_request().unwrap();
    let prm = format!(
        r#"{{"resource":"{resource}","authorization_servers":["https://as.example.com"]}}"#
    );
    flow.handle_response(
        now,
        id,
        HttpResponse::new(
            200,
            vec![("content-type".into(), b"application/json".to_vec())],
            prm.into_bytes(),
        ),
    );
    flow.persisted_state().unwrap()
}

const MAIN: &str = "https://main.example/mcp";
const OTHERS: [&str; 3] = [
    "https://a.example/mcp",
    "https://b.example/mcp",
    "https://c.example/mcp",
];

fn key(resource: &str) -> StoreKey {
    StoreKey::new(resource, "client")
}

/// The entry of generation `n`: its redirect URI carries the number.
fn generation(n: u64) -> StoredEntry {
    StoredEntry::new(state(MAIN)).with_redirect_uri(format!("http://127.0.0.1:1/cb/{n}"))
}

fn generation_of(entry: &StoredEntry) -> u64 {
    entry
        .redirect_uri
        .as_deref()
        .and_then(|u| u.rsplit('/').next())
        .and_then(|n| n.parse().ok())
        .expect("a generation entry")
}

/// The child: continue from the stored generation, save the next ones as fast as possible.
fn child_loop(path: &Path) -> ! {
    let store = FileStore::new(path);
    let mut n = store
        .load(&key(MAIN))
        .unwrap()
        .map_or(0, |e| generation_of(&e));
    println!("ready");
    loop {
        n += 1;
        store.save(&key(MAIN), &generation(n)).unwrap();
    }
}

/// A small xorshift for kill delays (no RNG dependency; seeded from the clock).
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

// covers: F-4 (a crash never loses the stored state), V-11 (storage)
#[test]
fn sigkill_at_any_point_of_a_write_leaves_the_old_or_the_new_entry() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        child_loop(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = FileStore::new(&path);
    for r in OTHERS {
        store
            .save(&key(r), &StoredEntry::new(state(r)).with_redirect_uri(r))
            .unwrap();
    }
    store.save(&key(MAIN), &generation(0)).unwrap();
    let mut seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut last = 0;
    let mut advanced = 0;
    const ITERATIONS: usize = 60;
    for i in 0..ITERATIONS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "sigkill_at_any_point_of_a_write_leaves_the_old_or_the_new_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        while !line.contains("ready") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "child ended early");
        }
        // Somewhere inside the write loop: 0–20 ms is tens of saves.
        std::thread::sleep(Duration::from_micros(next(&mut seed) % 20_000));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        // The file is always one complete document: the old or a newer generation.
        let main = store
            .load(&key(MAIN))
            .unwrap_or_else(|e| panic!("iteration {i}: {e}"))
            .expect("the entry survives");
        let n = generation_of(&main);
        assert!(
            n >= last,
            "iteration {i}: generation went back {last} → {n}"
        );
        if n > last {
            advanced += 1;
        }
        last = n;
        assert_eq!(main, generation(n));
        for r in OTHERS {
            let e = store.load(&key(r)).unwrap().expect("other entries kept");
            assert_eq!(e.redirect_uri.as_deref(), Some(r));
        }
    }
    assert!(
        advanced >= ITERATIONS / 2,
        "children wrote between kills ({advanced} of {ITERATIONS}, last generation {last})"
    );
}

fn valid_file(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let path = dir.join("tokens.json");
    let store = FileStore::new(&path);
    for r in OTHERS {
        store.save(&key(r), &StoredEntry::new(state(r))).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn assert_refused_and_untouched(path: &Path, bytes: &[u8]) {
    let store = FileStore::new(path);
    for r in OTHERS {
        match store.load(&key(r)) {
            Err(StoreError::Corrupt { .. } | StoreError::UnsupportedVersion { .. }) => {}
            other => panic!("expected a typed refusal, got {other:?}"),
        }
    }
    // A save does not "repair" the file by dropping what it cannot read.
    assert!(store.save(&key(MAIN), &generation(1)).is_err());
    assert_eq!(std::fs::read(path).unwrap(), bytes, "file left as it was");
}

// covers: F-4 (nothing lost), V-11 (storage): truncation at every length
#[test]
fn a_truncated_file_is_a_typed_error_at_every_length_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let (path, full) = valid_file(dir.path());
    for len in 0..full.len() {
        let cut = full.get(..len).unwrap();
        std::fs::write(&path, cut).unwrap();
        assert_refused_and_untouched(&path, cut);
    }
    std::fs::write(&path, &full).unwrap();
    assert!(
        FileStore::new(&path)
            .load(&key(OTHERS[0]))
            .unwrap()
            .is_some()
    );
}

// covers: V-11 (storage): garbage, wrong schema, one bad entry among good ones
#[test]
fn garbage_wrong_schema_and_one_bad_entry_are_typed_errors_that_drop_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, full) = valid_file(dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&full).unwrap();

    let mut bad_entry = doc.clone();
    bad_entry["entries"][1]["state"] = serde_json::json!("not a state");
    let mut newer = doc.clone();
    newer["version"] = serde_json::json!(2);
    let mut no_version = doc.clone();
    no_version.as_object_mut().unwrap().remove("version");
    let mut entries_not_a_list = doc.clone();
    entries_not_a_list["entries"] = serde_json::json!({"a": 1});
    let variants: Vec<Vec<u8>> = vec![
        b"\xff\xfe\x00garbage".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"{\"version\":1,\"entries\":[".to_vec(),
        "[".repeat(100_000).into_bytes(),
        serde_json::to_vec(&bad_entry).unwrap(),
        serde_json::to_vec(&newer).unwrap(),
        serde_json::to_vec(&no_version).unwrap(),
        serde_json::to_vec(&entries_not_a_list).unwrap(),
    ];
    for bytes in &variants {
        std::fs::write(&path, bytes).unwrap();
        assert_refused_and_untouched(&path, bytes);
    }
    // The newer schema is named as such.
    std::fs::write(&path, serde_json::to_vec(&newer).unwrap()).unwrap();
    assert!(matches!(
        FileStore::new(&path).load(&key(OTHERS[0])),
        Err(StoreError::UnsupportedVersion { version: 2, .. })
    ));
    // Errors name the file, never its content.
    std::fs::write(&path, serde_json::to_vec(&bad_entry).unwrap()).unwrap();
    let e = FileStore::new(&path).load(&key(OTHERS[0])).unwrap_err();
    assert!(!e.to_string().contains("not a state"));
}
