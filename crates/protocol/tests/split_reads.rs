//! Reads split anywhere: a long stream of real messages (the captures of `testdata/`) fed to the
//! decoder in two pieces cut at every byte offset, and one byte at a time, through both `feed`
//! and `fill`, must give the same messages as the stream fed at once.

mod common;

use common::decode_all;
use common::roundtrip::same;
use common::transcript::{self, Kind};
use ferry_protocol::text::{Decoder, Incoming, Side};

/// The stream each side receives: on the Java side, what Python clients sent (commands) and
/// what the Python callback server answered (replies); on the Python side, Java's replies and
/// Java's callback commands. Exchanges that ferry refuses are left out (the decoder stops at an
/// error).
fn stream(side: Side) -> Vec<u8> {
    let mut out = Vec::new();
    for ex in transcript::all() {
        let ours = match (side, ex.kind) {
            (Side::Java, Kind::Gateway) | (Side::Python, Kind::Callback) => {
                vec![ex.sent.clone()]
            }
            _ => ex
                .replies
                .iter()
                .map(|l| {
                    let mut b = l.clone();
                    b.push(b'\n');
                    b
                })
                .collect(),
        };
        for bytes in ours {
            if decode_all(side, &bytes).1.is_none() {
                out.extend(bytes);
            }
        }
    }
    out
}

fn reference(side: Side, data: &[u8]) -> Vec<Incoming> {
    let (msgs, err) = decode_all(side, data);
    assert_eq!(err, None);
    msgs
}

fn drain(d: &mut Decoder, out: &mut Vec<Incoming>) {
    while let Some(m) = d.next().expect("decodes") {
        out.push(m);
    }
}

fn assert_same(side: Side, how: &str, got: &[Incoming], want: &[Incoming]) {
    assert_eq!(got.len(), want.len(), "{side:?} {how}: message count");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(same(a, b), "{side:?} {how}: message {i}: {a:?} vs {b:?}");
    }
}

/// Feeds `data` in pieces ending at `cuts` (ascending), polling after each.
fn by_feed(side: Side, data: &[u8], cuts: &[usize]) -> Vec<Incoming> {
    let mut d = Decoder::new(side);
    let mut out = Vec::new();
    let mut from = 0;
    for &to in cuts.iter().chain(std::iter::once(&data.len())) {
        d.feed(&data[from..to]);
        from = to;
        drain(&mut d, &mut out);
    }
    assert!(d.buffered().is_empty());
    out
}

/// Lets the decoder read `data` with `fill`, the reader returning at most up to the next cut
/// (and asking for `min` bytes of room).
fn by_fill(side: Side, data: &[u8], cuts: &[usize], min: usize) -> Vec<Incoming> {
    let mut d = Decoder::new(side);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut cuts = cuts
        .iter()
        .copied()
        .chain(std::iter::once(data.len()))
        .peekable();
    while pos < data.len() {
        while cuts.peek().is_some_and(|&c| c <= pos) {
            cuts.next();
        }
        let until = cuts.peek().copied().unwrap_or(data.len());
        let n = d
            .fill(min, |buf: &mut [u8]| -> Result<usize, ()> {
                assert!(buf.len() >= min, "fill offered {} < {min}", buf.len());
                let n = buf.len().min(until - pos);
                buf[..n].copy_from_slice(&data[pos..pos + n]);
                Ok(n)
            })
            .unwrap();
        pos += n;
        drain(&mut d, &mut out);
    }
    assert!(d.buffered().is_empty());
    out
}

#[test]
fn the_streams_are_long_and_varied() {
    for side in [Side::Java, Side::Python] {
        let data = stream(side);
        let msgs = reference(side, &data);
        assert!(
            data.len() > 3000 && msgs.len() > 150,
            "{side:?}: {} bytes, {} messages",
            data.len(),
            msgs.len()
        );
    }
}

#[test]
fn split_at_every_offset_with_feed() {
    for side in [Side::Java, Side::Python] {
        let data = stream(side);
        let want = reference(side, &data);
        for cut in 0..=data.len() {
            assert_same(
                side,
                &format!("cut at {cut}"),
                &by_feed(side, &data, &[cut]),
                &want,
            );
        }
    }
}

#[test]
fn split_at_every_offset_with_fill() {
    for side in [Side::Java, Side::Python] {
        let data = stream(side);
        let want = reference(side, &data);
        for cut in 0..=data.len() {
            let got = by_fill(side, &data, &[cut], 1);
            assert_same(side, &format!("fill cut at {cut}"), &got, &want);
        }
    }
}

#[test]
fn one_byte_at_a_time() {
    for side in [Side::Java, Side::Python] {
        let data = stream(side);
        let want = reference(side, &data);
        let every: Vec<usize> = (1..data.len()).collect();
        assert_same(
            side,
            "feed byte by byte",
            &by_feed(side, &data, &every),
            &want,
        );
        assert_same(
            side,
            "fill byte by byte",
            &by_fill(side, &data, &every, 1),
            &want,
        );
        // A reader that fills whatever room it is given, with a large minimum.
        assert_same(
            side,
            "fill 64 KiB",
            &by_fill(side, &data, &[], 65536),
            &want,
        );
    }
}

#[test]
fn irregular_pieces() {
    // Piece sizes from a small deterministic generator, so that compaction of the decoder's
    // buffer happens at many different points.
    for side in [Side::Java, Side::Python] {
        let data = stream(side);
        let want = reference(side, &data);
        for seed in 1..=50u64 {
            let mut x = seed;
            let mut cuts = Vec::new();
            let mut pos = 0usize;
            loop {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                pos += 1 + (x % 700) as usize;
                if pos >= data.len() {
                    break;
                }
                cuts.push(pos);
            }
            assert_same(
                side,
                &format!("seed {seed}"),
                &by_feed(side, &data, &cuts),
                &want,
            );
            let got = by_fill(side, &data, &cuts, 1 + (seed as usize % 17));
            assert_same(side, &format!("fill seed {seed}"), &got, &want);
        }
    }
}
