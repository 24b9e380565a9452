//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod roundtrip;
pub mod transcript;

use ferry_protocol::ProtocolError;
use ferry_protocol::text::{Decoder, Incoming, Side};

/// Joins lines, each terminated by LF, into wire bytes.
pub fn wire(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Decodes every message in `data` on `side`; stops at the first error, which is returned with
/// the messages before it.
pub fn decode_all(side: Side, data: &[u8]) -> (Vec<Incoming>, Option<ProtocolError>) {
    let mut d = Decoder::new(side);
    d.feed(data);
    let mut out = Vec::new();
    loop {
        match d.next() {
            Ok(Some(m)) => out.push(m),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// Decodes `data` on `side` and requires exactly one message and no leftover bytes.
pub fn decode_one(side: Side, data: &[u8]) -> Incoming {
    let mut d = Decoder::new(side);
    d.feed(data);
    let m = d
        .next()
        .unwrap_or_else(|e| panic!("{side:?} decoder refused {:?}: {e}", show(data)))
        .unwrap_or_else(|| panic!("{side:?} decoder wants more than {:?}", show(data)));
    assert_eq!(
        d.next(),
        Ok(None),
        "more than one message in {:?}",
        show(data)
    );
    assert!(d.buffered().is_empty(), "bytes left after {:?}", show(data));
    m
}

/// Bytes as text for assertion messages.
pub fn show(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
pub mod binary_roundtrip;
