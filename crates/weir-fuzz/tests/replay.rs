//! Replays every saved fuzz input (`fuzz/corpus/<target>/*`) through its
//! target, so `cargo test` keeps every crash the fuzzers ever found fixed and
//! every seed exercised. Takes seconds; `make fuzz` runs the fuzzers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

#[test]
fn every_corpus_file_runs_clean() {
    let root = corpus_root();
    let mut total = 0;
    for (name, target) in weir_fuzz::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name}: no seed in {}", dir.display());
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panicked", file.display());
        }
        total += files.len();
    }
    eprintln!("replayed {total} corpus files");
}

#[test]
fn every_target_has_a_corpus_and_a_fuzz_target() {
    let root = corpus_root();
    for (name, _) in weir_fuzz::TARGETS {
        assert!(root.join(name).is_dir(), "fuzz/corpus/{name} is missing");
        let target = root.join("../fuzz_targets").join(format!("{name}.rs"));
        assert!(target.is_file(), "{} is missing", target.display());
    }
}

#[test]
fn empty_and_tiny_inputs_are_harmless() {
    for (_, target) in weir_fuzz::TARGETS {
        for data in [&b""[..], b"\0", b"\n", b"\xff\xfe", b"{", b"- [", b"*"] {
            target(data);
        }
    }
}
