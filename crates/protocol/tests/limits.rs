//! `Decoder::set_max_message`: a message larger than the limit is refused with
//! `ProtocolError::TooLarge`, however its bytes arrive, and the decoder reports it before it has
//! buffered much more than the limit.

use ferry_protocol::ProtocolError;
use ferry_protocol::text::{Decoder, Incoming, Side};

const LIMIT: usize = 1000;

fn too_large() -> Result<Option<Incoming>, ProtocolError> {
    Err(ProtocolError::TooLarge { limit: LIMIT })
}

#[test]
fn one_endless_line_is_refused_once_past_the_limit() {
    for side in [Side::Java, Side::Python] {
        for first in [&b"c\nt\nm\ns"[..], b"!ys", b"x"] {
            let mut d = Decoder::new(side);
            d.set_max_message(LIMIT);
            d.feed(first);
            let chunk = [b'a'; 100];
            let mut fed = first.len();
            loop {
                let r = d.next();
                if fed > LIMIT {
                    assert_eq!(r, too_large(), "{side:?}");
                    break;
                }
                assert_eq!(r, Ok(None), "{side:?}: {fed} bytes");
                d.feed(&chunk);
                fed += chunk.len();
            }
            // It never held more than the limit plus one chunk.
            assert!(d.buffered().len() <= LIMIT + 100, "{side:?}");
        }
    }
}

#[test]
fn with_fill_the_buffer_stays_bounded() {
    let mut d = Decoder::new(Side::Java);
    d.set_max_message(LIMIT);
    let mut total = 0usize;
    let result = loop {
        let n = d
            .fill(64, |buf: &mut [u8]| -> Result<usize, ()> {
                let n = buf.len().min(64);
                buf[..n].fill(b'z');
                Ok(n)
            })
            .unwrap();
        total += n;
        match d.next() {
            Ok(None) => assert!(total < 100 * LIMIT, "no error after {total} bytes"),
            other => break other,
        }
    };
    assert_eq!(result, too_large());
    assert!(total <= LIMIT + 64, "read {total} bytes before refusing");
}

#[test]
fn a_complete_message_over_the_limit_is_refused_even_when_it_arrives_at_once() {
    let mut long = b"c\nt\nm\ns".to_vec();
    long.extend(std::iter::repeat_n(b'a', 2 * LIMIT));
    long.extend_from_slice(b"\ne\n");
    for side in [Side::Java, Side::Python] {
        let mut d = Decoder::new(side);
        d.set_max_message(LIMIT);
        d.feed(&long);
        assert_eq!(d.next(), too_large(), "{side:?}");
    }
    // Many short lines add up too.
    let mut many = b"c\nt\nm\n".to_vec();
    for _ in 0..LIMIT {
        many.extend_from_slice(b"i1\n");
    }
    many.extend_from_slice(b"e\n");
    let mut d = Decoder::new(Side::Java);
    d.set_max_message(LIMIT);
    d.feed(&many);
    assert_eq!(d.next(), too_large());
}

#[test]
fn messages_up_to_the_limit_pass() {
    // Exactly LIMIT bytes, terminators included.
    let mut msg = b"c\nt\nm\ns".to_vec();
    let pad = LIMIT - msg.len() - b"\ne\n".len();
    msg.extend(std::iter::repeat_n(b'a', pad));
    msg.extend_from_slice(b"\ne\n");
    assert_eq!(msg.len(), LIMIT);
    for chunk in [1, 7, LIMIT] {
        let mut d = Decoder::new(Side::Java);
        d.set_max_message(LIMIT);
        let mut got = Vec::new();
        for _ in 0..3 {
            for piece in msg.chunks(chunk) {
                d.feed(piece);
                while let Some(m) = d.next().expect("within the limit") {
                    got.push(m);
                }
            }
        }
        assert_eq!(got.len(), 3, "chunk {chunk}");
    }
    // One byte more is refused.
    let mut over = msg.clone();
    over.insert(7, b'a');
    let mut d = Decoder::new(Side::Java);
    d.set_max_message(LIMIT);
    d.feed(&over);
    assert_eq!(d.next(), too_large());
}

#[test]
fn the_limit_applies_per_message() {
    // Many small messages in one feed are fine even when together they exceed the limit.
    let mut stream = Vec::new();
    for _ in 0..1000 {
        stream.extend_from_slice(b"c\nt\nping\ne\n");
    }
    let mut d = Decoder::new(Side::Java);
    d.set_max_message(LIMIT);
    d.feed(&stream);
    let mut n = 0;
    while d.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 1000);
}

#[test]
fn fill_always_offers_room() {
    // Even with `min` 0 and a buffer filled to its end, a reader gets room for at least one byte,
    // so its 0 can only mean end of stream.
    let mut d = Decoder::new(Side::Java);
    let mut first = 0;
    d.fill(0, |buf: &mut [u8]| -> Result<usize, ()> {
        first = buf.len();
        buf.fill(b'a');
        Ok(buf.len())
    })
    .unwrap();
    assert!(first > 0);
    d.fill(0, |buf: &mut [u8]| -> Result<usize, ()> {
        assert!(!buf.is_empty());
        Ok(0)
    })
    .unwrap();
}
