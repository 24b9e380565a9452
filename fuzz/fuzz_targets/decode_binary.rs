//! Any bytes, read as frames of ferry's binary protocol (v2): the decoder must never panic, every
//! frame that decodes must come back the same after being encoded and decoded again, and feeding
//! the bytes in two pieces must give the same frames.
//!
//! The checks are those of `crates/protocol/tests/common/binary_roundtrip.rs`, which
//! `crates/protocol/tests/fuzz_corpus.rs` also runs over this target's corpus under `cargo test`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/protocol/tests/common/binary_roundtrip.rs"]
mod binary_roundtrip;

fuzz_target!(|data: &[u8]| binary_roundtrip::check_bytes(data));
