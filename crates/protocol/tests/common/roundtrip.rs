//! The round-trip check shared by the corpus replay test, the transcript tests and the fuzz
//! target (which includes this file by path): whatever bytes come in, decoding must not panic,
//! and every message that decodes must come back the same after the peer's encoder wrote it and
//! the decoder read it again.
//!
//! "The same" allows for the asymmetries of the protocol itself:
//! - Python writes every reference with the plain `r` tag, so a reference that Java tagged `l`,
//!   `a`, `h`, `t` or `g` comes back as [`RefKind::Object`] once Python has written it (the Java
//!   side decodes what Python wrote).
//! - A number may change spelling but not value (`bTRUE` comes back as `bTrue`, `i5000000000` as
//!   `L5000000000`, `d1e5` as `d100000.0`), so messages are compared decoded, never as bytes.
//! - NaN is compared as equal to itself: values are compared through their `Debug` text, which is
//!   one-to-one for everything else (`-0.0` and `0.0` differ there, as they do on the wire).

#![allow(dead_code)]

use ferry_protocol::text::{
    Decoder, Incoming, Side, encode_callback, encode_command, encode_reply,
};
use ferry_protocol::{
    ArrayCommand, CallbackCommand, Command, ListCommand, ProtocolError, RefKind, Reply, Value,
};

/// Limit used while decoding arbitrary input, small enough for the fuzzer to reach it.
pub const FUZZ_MAX_MESSAGE: usize = 1024;

/// How the peer of `side` writes `msg`: a Java-side decoder reads what Python writes and the
/// other way round.
pub fn encode_as_peer(side: Side, msg: &Incoming) -> Vec<u8> {
    let mut out = Vec::new();
    match msg {
        Incoming::Command(c) => encode_command(c, &mut out),
        Incoming::Callback(c) => encode_callback(c, &mut out),
        Incoming::Reply(r) => {
            let writer = match side {
                Side::Java => Side::Python,
                Side::Python => Side::Java,
            };
            encode_reply(r, writer, &mut out)
        }
    }
    out
}

/// Applies `f` to every value of a message.
pub fn map_values(msg: &mut Incoming, f: &mut dyn FnMut(&mut Value)) {
    match msg {
        Incoming::Command(c) => match c {
            Command::Call { args, .. }
            | Command::Stream { args, .. }
            | Command::Construct { args, .. } => args.iter_mut().for_each(f),
            Command::FieldSet { value, .. } => f(value),
            Command::Array(a) => match a {
                ArrayCommand::Create { dims, .. } => dims.iter_mut().for_each(f),
                ArrayCommand::Get { index, .. } => f(index),
                ArrayCommand::Set { index, value, .. } => {
                    f(index);
                    f(value);
                }
                ArrayCommand::Slice { indices, .. } => indices.iter_mut().for_each(f),
                ArrayCommand::Len { .. } => {}
            },
            Command::List(l) => match l {
                ListCommand::Slice { indices, .. } => indices.iter_mut().for_each(f),
                ListCommand::Mult { times, .. } | ListCommand::IMult { times, .. } => f(times),
                ListCommand::Count { value, .. } => f(value),
                _ => {}
            },
            _ => {}
        },
        Incoming::Reply(Reply::Success(v) | Reply::Error(Some(v))) => f(v),
        Incoming::Callback(CallbackCommand::Call { args, .. }) => args.iter_mut().for_each(f),
        _ => {}
    }
}

/// What a message decoded on `side` becomes once its peer has written it again: on the Java
/// side, every reference loses its sub-kind (Python writes `r` only).
pub fn expected_after_peer(side: Side, msg: &Incoming) -> Incoming {
    let mut m = msg.clone();
    if side == Side::Java {
        map_values(&mut m, &mut |v| {
            if let Value::Ref(kind, _) = v {
                *kind = RefKind::Object;
            }
        });
    }
    m
}

/// Equality that takes NaN as equal to itself (see the module documentation).
pub fn same(a: &Incoming, b: &Incoming) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// Re-encodes one decoded message as the peer would and decodes it again; panics if it does not
/// come back as the same message, alone, with no bytes left.
pub fn check_message(side: Side, msg: &Incoming) {
    let bytes = encode_as_peer(side, msg);
    let mut d = Decoder::new(side);
    d.feed(&bytes);
    let again = match d.next() {
        Ok(Some(m)) => m,
        other => panic!(
            "{side:?}: {msg:?} encoded as {:?} decodes as {other:?}",
            String::from_utf8_lossy(&bytes)
        ),
    };
    let want = expected_after_peer(side, msg);
    assert!(
        same(&again, &want),
        "{side:?}: {msg:?} encoded as {:?} decodes as {again:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(
        d.next(),
        Ok(None),
        "{side:?}: trailing message after {msg:?}"
    );
    assert!(
        d.buffered().is_empty(),
        "{side:?}: bytes left after {msg:?}"
    );
}

/// Messages decoded from `data` fed at once, then the first error if any.
fn decode_whole(side: Side, data: &[u8]) -> (Vec<Incoming>, Option<ProtocolError>) {
    decode_split(side, data, &[])
}

/// Messages decoded from `data` fed in pieces cut at `cuts` (ascending offsets), polling after
/// every piece, then the first error if any.
pub fn decode_split(
    side: Side,
    data: &[u8],
    cuts: &[usize],
) -> (Vec<Incoming>, Option<ProtocolError>) {
    let mut d = Decoder::new(side);
    d.set_max_message(FUZZ_MAX_MESSAGE);
    let mut out = Vec::new();
    let mut from = 0;
    for &to in cuts.iter().chain(std::iter::once(&data.len())) {
        d.feed(&data[from..to]);
        from = to;
        loop {
            match d.next() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

/// Messages decoded from `data` read with `Decoder::fill`, `chunk` bytes at most per read, then
/// the first error if any.
pub fn decode_fill(
    side: Side,
    data: &[u8],
    chunk: usize,
) -> (Vec<Incoming>, Option<ProtocolError>) {
    let mut d = Decoder::new(side);
    d.set_max_message(FUZZ_MAX_MESSAGE);
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let n = d
            .fill(1, |buf: &mut [u8]| -> Result<usize, ()> {
                let n = buf.len().min(chunk).min(data.len() - pos);
                buf[..n].copy_from_slice(&data[pos..pos + n]);
                Ok(n)
            })
            .expect("in-memory reader");
        assert!(n > 0, "fill offered no room");
        pos += n;
        loop {
            match d.next() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fn assert_same_outcome(
    side: Side,
    how: &str,
    want: &(Vec<Incoming>, Option<ProtocolError>),
    got: &(Vec<Incoming>, Option<ProtocolError>),
) {
    assert_eq!(
        got.0.len(),
        want.0.len(),
        "{side:?}: {how} changes the messages"
    );
    for (a, b) in want.0.iter().zip(&got.0) {
        assert!(same(a, b), "{side:?}: {how}: {a:?} vs {b:?}");
    }
    assert_eq!(got.1, want.1, "{side:?}: {how} changes the error");
}

/// The fuzz target's body: any bytes on both sides, must not panic, every decoded message
/// round-trips, and feeding the bytes in two pieces, or reading them through `fill` in small
/// pieces, gives the same result as feeding them at once.
pub fn check_bytes(data: &[u8]) {
    for side in [Side::Java, Side::Python] {
        let (msgs, err) = decode_whole(side, data);
        for m in &msgs {
            check_message(side, m);
        }
        let whole = (msgs, err);
        let mid = data.len() / 2;
        let split = decode_split(side, data, &[mid]);
        assert_same_outcome(side, &format!("split at {mid}"), &whole, &split);
        let chunk = 1 + data.len() % 13;
        let filled = decode_fill(side, data, chunk);
        assert_same_outcome(side, &format!("fill by {chunk}"), &whole, &filled);
    }
}
