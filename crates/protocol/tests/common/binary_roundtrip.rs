//! The checks of the `decode_binary` fuzz target (protocol v2), shared with
//! `tests/fuzz_corpus.rs`: any bytes read as frames never panic; a frame that decodes (as a
//! command, a callback or a reply) encodes and decodes again to the same bytes; feeding the bytes
//! in two pieces changes nothing.

#![allow(dead_code)]

use ferry_protocol::binary::{
    Frame, FrameDecoder, FrameKind, decode_callback, decode_command, decode_reply, encode_callback,
    encode_command, encode_reply, is_callback_op,
};

const LIMIT: usize = 1 << 20;

fn frames(data: &[u8], split: usize) -> (Vec<Frame>, bool) {
    let mut d = FrameDecoder::new();
    d.set_max_frame(LIMIT);
    let mut out = Vec::new();
    for piece in [&data[..split], &data[split..]] {
        d.feed(piece);
        loop {
            match d.next() {
                Ok(Some(f)) => out.push(f),
                Ok(None) => break,
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fn check_frame(f: &Frame) {
    let h = &f.header;
    if h.kind == FrameKind::Reply {
        if let Ok(r) = decode_reply(h, &f.body) {
            let mut once = Vec::new();
            encode_reply(&r, h.id, &mut once);
            let (again, _) = frames(&once, once.len());
            let back = decode_reply(&again[0].header, &again[0].body).expect("re-decodes");
            let mut twice = Vec::new();
            encode_reply(&back, h.id, &mut twice);
            assert_eq!(once, twice);
        }
    } else if is_callback_op(h.op) || h.op == 0x0201 {
        if let Ok(c) = decode_callback(h, &f.body) {
            let mut once = Vec::new();
            encode_callback(&c, h.id, &mut once);
            let (again, _) = frames(&once, once.len());
            let back = decode_callback(&again[0].header, &again[0].body).expect("re-decodes");
            let mut twice = Vec::new();
            encode_callback(&back, h.id, &mut twice);
            assert_eq!(once, twice);
        }
    } else if let Ok(c) = decode_command(h, &f.body) {
        let mut once = Vec::new();
        encode_command(&c, h.id, &mut once);
        let (again, _) = frames(&once, once.len());
        let back = decode_command(&again[0].header, &again[0].body).expect("re-decodes");
        let mut twice = Vec::new();
        encode_command(&back, h.id, &mut twice);
        assert_eq!(once, twice);
    }
}

/// The fuzz target's checks.
pub fn check_bytes(data: &[u8]) {
    let (whole, whole_err) = frames(data, data.len());
    let split = data
        .first()
        .map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let (pieces, pieces_err) = frames(data, split);
    assert_eq!(whole, pieces);
    assert_eq!(whole_err, pieces_err);
    for f in &whole {
        check_frame(f);
    }
}
