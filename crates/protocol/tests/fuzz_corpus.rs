//! Replays the fuzz corpus (`fuzz/corpus/decode/`, at the repository's top) through the fuzz
//! target's checks, so that `cargo test` covers every input the fuzzer kept, including the ones
//! that once crashed, without the fuzzer installed.

mod common;

use std::path::Path;

#[test]
fn every_corpus_input_passes_the_fuzz_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/decode");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| common::roundtrip::check_bytes(&data));
        assert!(outcome.is_ok(), "{} fails the fuzz checks", path.display());
        n += 1;
    }
    assert!(n >= 100, "only {n} corpus inputs in {}", dir.display());
}

/// The inputs that crashed the decoder before it was fixed, kept by content.
#[test]
fn former_crashes() {
    for input in [
        // A non-ASCII reply status: `s[1..]` was not a character boundary.
        &b"!\xc9\xbeycja]valap2.String\n"[..],
        // A non-ASCII value tag in a reply.
        b"!y\xda\x81\x00\x00\x003.Er\x03\x00\x00\x00\x00\x00\x00\x00\x00500\n",
    ] {
        common::roundtrip::check_bytes(input);
    }
}

#[test]
fn every_binary_corpus_input_passes_the_fuzz_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/decode_binary");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| common::binary_roundtrip::check_bytes(&data));
        assert!(outcome.is_ok(), "{} fails the fuzz checks", path.display());
        n += 1;
    }
    assert!(n >= 20, "only {n} corpus inputs in {}", dir.display());
}
