//! Replays of the seed corpus through every harness (what `cargo xtask ci` runs on stable), and
//! consistency checks between [`TARGETS`], the target binaries and the seed folders.

use std::fs;
use std::path::{Path, PathBuf};

use super::TARGETS;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The seed files of a target: every file in the named folders of the core's test corpus and of
/// `fuzz/seeds/`.
fn seeds(folders: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in folders {
        let mut found = false;
        for base in [
            root().join("../crates/mcp-oauth-core/tests/corpus"),
            root().join("seeds"),
        ] {
            let Ok(entries) = fs::read_dir(base.join(folder)) else {
                continue;
            };
            found = true;
            files.extend(entries.map(|e| e.expect("readable directory").path()));
        }
        assert!(found, "seed folder {folder} exists nowhere");
    }
    files.sort();
    files
}

#[test]
fn every_harness_accepts_its_seed_corpus() {
    for (name, harness, folders) in TARGETS {
        let files = seeds(folders);
        assert!(folders.is_empty() || !files.is_empty(), "{name}: no seeds");
        for file in files {
            let bytes = fs::read(&file).expect("readable seed");
            harness(&bytes);
        }
    }
}

#[test]
fn every_harness_accepts_small_inputs() {
    for (_, harness, _) in TARGETS {
        harness(b"");
        for b in 0..=255u8 {
            harness(&[b]);
        }
    }
}

/// A deterministic stand-in for the fuzzer: pseudo-random inputs of every length up to 2 KiB.
#[test]
fn every_harness_accepts_pseudo_random_inputs() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for (_, harness, _) in TARGETS {
        for len in (0..2048).step_by(37) {
            let bytes: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            harness(&bytes);
        }
    }
}

#[test]
fn every_target_has_a_binary_and_a_bin_section() {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    for (name, _, _) in TARGETS {
        let shim = fs::read_to_string(root().join(format!("fuzz_targets/{name}.rs")))
            .unwrap_or_else(|_| panic!("fuzz_targets/{name}.rs is missing"));
        assert!(
            shim.contains(&format!("mcp_oauth_fuzz::{name}(data)")),
            "{name}: shim"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name}: [[bin]]"
        );
    }
    let binaries = fs::read_dir(root().join("fuzz_targets"))
        .expect("fuzz_targets")
        .count();
    assert_eq!(
        binaries,
        TARGETS.len(),
        "a fuzz target without a TARGETS entry"
    );
}

/// Found by the `redirect` target: a `code` equal to part of an error name
/// (`code=issingIssuer&i` → `MissingIssuer`) is not a leak. Secrets are now replaced by a
/// marker before parsing, so the check cannot confuse them with the output's own words.
#[test]
fn secret_equal_to_an_error_name_is_no_false_alarm() {
    super::redirect(b"code=issingIssuer&i");
    super::token_response(br#"{"error":"invalid_grant","access_token":"InvalidGrant"}"#);
}

#[test]
fn marking_replaces_exactly_the_secret() {
    let (marked, needles) =
        crate::secrets::mark_secrets(br#"{"access_token":"abc","token_type":"Bearer"}"#, false);
    assert_eq!(
        String::from_utf8(marked).unwrap(),
        r#"{"access_token":"Zq7sEcReTq90","token_type":"Bearer"}"#
    );
    assert_eq!(needles, ["Zq7sEcReTq9"]);
    // Not unique (`a` occurs in the member name too): left alone, nothing to look for.
    let (marked, needles) = crate::secrets::mark_secrets(br#"{"access_token":"a"}"#, false);
    assert_eq!(marked, br#"{"access_token":"a"}"#);
    assert!(needles.is_empty());
}

/// Found by the `token_response` target: a JSON `error_description` holding
/// `…&refresh_token=abc&…` is echoed (allowed: it is attacker text); it is no refresh token
/// unless the body is read as a form.
#[test]
fn form_text_inside_a_json_description_is_no_secret() {
    let body = br#"{"error":"redirect_uri_mismatch","error_description":"URL x&refresh_token=abc&scope="}"#;
    super::token_response(body);
    let (_, needles) = crate::secrets::mark_secrets(body, false);
    assert!(needles.is_empty());
    let (marked, needles) = crate::secrets::mark_secrets(b"refresh_token=abc&error=x", true);
    assert_eq!(marked, b"refresh_token=Zq7sEcReTq90&error=x");
    assert_eq!(needles, ["Zq7sEcReTq9"]);
}
