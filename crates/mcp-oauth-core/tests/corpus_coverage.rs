//! The corpus of real-world documents is vendored in `tests/corpus/` so that a clone of this
//! repository is self-contained. These tests keep that copy honest:
//!
//! - when the project's shared corpus is present beside the checkout (`../shared/corpus`, as on
//!   the developers' machines and in CI), the vendored copy must be identical to it;
//! - every corpus document must have a committed snapshot, i.e. it went through a parser in one of
//!   the `*_corpus` tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file below `root` (relative path → bytes), `MANIFEST.md` included.
fn files_below(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus directory is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("below root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("corpus file is readable"));
            }
        }
    }
    out
}

fn vendored() -> BTreeMap<String, Vec<u8>> {
    files_below(&crate_dir().join("tests/corpus"))
}

#[test]
fn vendored_corpus_matches_shared_corpus() {
    let shared = crate_dir().join("../../../shared/corpus");
    if !shared.is_dir() {
        eprintln!(
            "note: {} not present; comparing nothing (clone outside the project workspace)",
            shared.display()
        );
        return;
    }
    let ours = vendored();
    let theirs = files_below(&shared);
    let ours_names: Vec<_> = ours.keys().collect();
    let theirs_names: Vec<_> = theirs.keys().collect();
    assert_eq!(
        ours_names, theirs_names,
        "vendored corpus file list differs from ../shared/corpus: copy it again"
    );
    for (name, bytes) in &theirs {
        assert!(
            ours[name] == *bytes,
            "vendored corpus file {name} differs from ../shared/corpus: copy it again"
        );
    }
}

#[test]
fn every_corpus_document_has_a_snapshot() {
    let docs: Vec<String> = vendored()
        .into_keys()
        .filter(|n| n != "MANIFEST.md")
        .collect();
    assert_eq!(
        docs.len(),
        96,
        "the corpus has 96 documents; update this count deliberately"
    );
    // insta records the document a glob! snapshot was made from in its `input_file:` header.
    let mut inputs = std::collections::BTreeSet::new();
    if let Ok(rd) = std::fs::read_dir(crate_dir().join("tests/snapshots")) {
        for entry in rd.filter_map(Result::ok) {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for line in text.lines() {
                if let Some((_, rel)) = line
                    .strip_prefix("input_file: ")
                    .and_then(|rest| rest.trim().split_once("tests/corpus/"))
                {
                    inputs.insert(rel.to_string());
                }
            }
        }
    }
    let missing: Vec<&String> = docs.iter().filter(|d| !inputs.contains(*d)).collect();
    assert!(
        missing.is_empty(),
        "corpus documents with no committed snapshot: {missing:#?}"
    );
}
