//! Any bytes, decoded on both sides of the text protocol: the decoder must never panic, every
//! message it decodes must come back the same after being encoded and decoded again, and feeding
//! the bytes in two pieces must give the same result as feeding them at once.
//!
//! The checks are those of `crates/protocol/tests/common/roundtrip.rs`, which
//! `crates/protocol/tests/fuzz_corpus.rs` also runs over this target's corpus under `cargo test`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/protocol/tests/common/roundtrip.rs"]
mod roundtrip;

fuzz_target!(|data: &[u8]| roundtrip::check_bytes(data));
