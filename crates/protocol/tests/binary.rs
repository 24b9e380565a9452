//! ferry's binary protocol (v2): every message survives encode then decode, read in any split;
//! bulk values keep their elements and alignment; hostile frames give errors, never panics or
//! huge allocations.

mod strategies;

use ferry_protocol::binary::{
    FrameDecoder, FrameKind, HELLO_LINE, Hello, decode_callback, decode_command,
    decode_command_shared, decode_reply, decode_value, decode_value_shared, encode_callback,
    encode_command, encode_reply, encode_value, features, is_callback_op,
};
use ferry_protocol::{CallbackCommand, Command, Elem, Prims, Reply, Value};
use proptest::collection::vec;
use proptest::prelude::*;
use strategies::*;

/// Values including the bulk ones of v2 (nested a few levels).
fn bulk_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        value(),
        any::<u16>().prop_map(Value::Char),
        "-?[1-9][0-9]{0,40}".prop_map(Value::BigInteger),
        (
            prop::sample::select(ferry_protocol::TemporalKind::ALL.to_vec()),
            "[0-9T:.+Z-]{0,30}"
        )
            .prop_map(|(k, t)| Value::Temporal(k, t)),
        (
            prop::sample::select(Elem::ALL.to_vec()),
            vec(any::<u8>(), 0..64)
        )
            .prop_map(|(e, mut d)| {
                d.truncate(d.len() / e.size() * e.size());
                Value::Array(Prims::new(e, d).expect("whole elements"))
            }),
        (
            prop::sample::select(Elem::ALL.to_vec()),
            vec(any::<u8>(), 0..64)
        )
            .prop_map(|(e, mut d)| {
                d.truncate(d.len() / e.size() * e.size());
                Value::TypedList(Prims::new(e, d).expect("whole elements"))
            }),
    ];
    leaf.prop_recursive(3, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::List),
            vec(inner.clone(), 0..8).prop_map(Value::Set),
            vec((inner.clone(), inner), 0..6).prop_map(Value::Map),
        ]
    })
}

/// NaN is not equal to itself; compare values by their encoding instead.
fn same(a: &Value, b: &Value) -> bool {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    encode_value(a, 0, &mut x);
    encode_value(b, 0, &mut y);
    x == y
}

fn v2_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        command(),
        raw_id().prop_map(|id| Command::ToPython { id }),
        (raw_id(), any::<u32>()).prop_map(|(id, max)| Command::Iterate { id, max }),
        bulk_value().prop_map(|value| Command::ToJava { value }),
        vec(raw_id(), 0..20).prop_map(|ids| Command::Release { ids }),
        bulk_value().prop_map(|v| Command::Call {
            target: ferry_protocol::CallTarget::Object("o1".into()),
            method: "m".into(),
            args: vec![v],
        }),
    ]
}

/// Feeds `bytes` to a decoder cut at `cuts` and returns every frame.
fn frames(bytes: &[u8], cuts: &[usize]) -> Vec<ferry_protocol::binary::Frame> {
    let mut d = FrameDecoder::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    points.push(bytes.len());
    for p in points {
        if p < at {
            continue;
        }
        d.feed(&bytes[at..p]);
        at = p;
        while let Some(f) = d.next().expect("valid frames") {
            out.push(f);
        }
    }
    assert!(d.buffered().is_empty());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn commands_survive_any_split(cmds in vec(v2_command(), 1..6), cuts in vec(any::<usize>(), 0..6)) {
        let mut bytes = Vec::new();
        for (i, c) in cmds.iter().enumerate() {
            encode_command(c, i as u32, &mut bytes);
        }
        let got = frames(&bytes, &cuts);
        prop_assert_eq!(got.len(), cmds.len());
        for (i, (f, c)) in got.iter().zip(&cmds).enumerate() {
            if f.header.kind == FrameKind::Request {
                prop_assert_eq!(f.header.id, i as u32);
            }
            let back = decode_command(&f.header, &f.body).expect("decodes");
            let (mut x, mut y) = (Vec::new(), Vec::new());
            encode_command(c, 0, &mut x);
            encode_command(&back, 0, &mut y);
            prop_assert_eq!(x, y);
        }
    }

    #[test]
    fn replies_survive(reply in prop_oneof![reply(), bulk_value().prop_map(Reply::Success)], id in any::<u32>()) {
        let mut bytes = Vec::new();
        encode_reply(&reply, id, &mut bytes);
        let f = frames(&bytes, &[]).remove(0);
        prop_assert_eq!(f.header.id, id);
        let back = decode_reply(&f.header, &f.body).expect("decodes");
        let (mut x, mut y) = (Vec::new(), Vec::new());
        encode_reply(&reply, id, &mut x);
        encode_reply(&back, id, &mut y);
        prop_assert_eq!(x, y);
    }

    #[test]
    fn callbacks_survive(cb in callback_command(), id in any::<u32>()) {
        let mut bytes = Vec::new();
        encode_callback(&cb, id, &mut bytes);
        let f = frames(&bytes, &[]).remove(0);
        prop_assert!(f.header.kind == FrameKind::Notice || is_callback_op(f.header.op));
        let back = decode_callback(&f.header, &f.body).expect("decodes");
        // Compared by encoding: NaN is not equal to itself.
        let (mut x, mut y) = (Vec::new(), Vec::new());
        encode_callback(&cb, id, &mut x);
        encode_callback(&back, id, &mut y);
        prop_assert_eq!(x, y);
    }

    #[test]
    fn values_survive(v in bulk_value()) {
        let mut bytes = Vec::new();
        encode_reply(&Reply::Success(v.clone()), 7, &mut bytes);
        let f = frames(&bytes, &[]).remove(0);
        match decode_reply(&f.header, &f.body).expect("decodes") {
            Reply::Success(back) => prop_assert!(same(&v, &back)),
            other => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn garbage_never_panics(bytes in vec(any::<u8>(), 0..300)) {
        let mut d = FrameDecoder::new();
        d.set_max_frame(1 << 16);
        d.feed(&bytes);
        while let Ok(Some(f)) = d.next() {
            let _ = decode_command(&f.header, &f.body);
            let _ = decode_reply(&f.header, &f.body);
            let _ = decode_callback(&f.header, &f.body);
        }
    }
}

/// Receives `bytes` through `d` in pieces of at most `piece` bytes; the one frame they hold.
fn receive(d: &mut FrameDecoder, bytes: &[u8], piece: usize) -> ferry_protocol::binary::Frame {
    let mut at = 0;
    loop {
        let n = d
            .fill(1 << 20, |spare| {
                let n = spare.len().min(bytes.len() - at).min(piece);
                spare[..n].copy_from_slice(&bytes[at..at + n]);
                Ok::<usize, ()>(n)
            })
            .unwrap();
        at += n;
        if let Some(f) = d.next().unwrap() {
            return f;
        }
    }
}

#[test]
fn raw_elements_are_aligned_to_eight_bytes_in_the_body() {
    let doubles = Prims::from_f64(&[1.5, -2.0, f64::MAX]);
    for prefix in 0..9 {
        let call = Command::Call {
            target: ferry_protocol::CallTarget::Object("o".repeat(prefix + 1)),
            method: "m".into(),
            args: vec![Value::Array(doubles.clone())],
        };
        let mut bytes = Vec::new();
        encode_command(&call, 1, &mut bytes);
        let f = frames(&bytes, &[]).remove(0);
        let needle = &doubles.data[..];
        let at = f
            .body
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("the doubles are in the body");
        assert_eq!(at % 8, 0, "prefix {prefix}");
    }
}

#[test]
fn a_large_frame_arrives_in_pieces_and_is_copied_once_into_its_own_buffer() {
    let big = Value::Bytes((0..3_000_000u32).map(|i| i as u8).collect());
    let mut bytes = Vec::new();
    encode_reply(&Reply::Success(big.clone()), 9, &mut bytes);
    let f = receive(&mut FrameDecoder::new(), &bytes, 100_000);
    assert_eq!(
        decode_reply(&f.header, &f.body).unwrap(),
        Reply::Success(big)
    );
}

#[test]
fn a_recycled_body_receives_the_next_large_frame_whole() {
    let first = Value::Bytes(vec![0xAB; 300_000].into());
    let second = Value::Bytes((0..200_000u32).map(|i| (i * 7) as u8).collect());
    let mut d = FrameDecoder::new();
    let mut bodies = Vec::new();
    for v in [&first, &second] {
        let mut bytes = Vec::new();
        encode_reply(&Reply::Success(v.clone()), 3, &mut bytes);
        let f = receive(&mut d, &bytes, 70_000);
        assert_eq!(
            decode_reply(&f.header, &f.body).unwrap(),
            Reply::Success(v.clone())
        );
        bodies.push(f.body.capacity());
        d.recycle(f.body);
    }
    // The second, smaller frame was received into the first one's buffer (a buffer of its own
    // would be as large as its body).
    assert!(bodies[1] >= 300_000, "{bodies:?}");
}

#[test]
fn a_released_spare_is_gone_and_the_next_large_frame_arrives_whole() {
    let v = Value::Bytes((0..300_000u32).map(|i| (i * 3) as u8).collect());
    let mut bytes = Vec::new();
    encode_reply(&Reply::Success(v.clone()), 3, &mut bytes);
    let mut d = FrameDecoder::new();
    assert_eq!(d.spare_capacity(), 0);
    let f = receive(&mut d, &bytes, 70_000);
    d.recycle(f.body);
    assert!(d.spare_capacity() >= 300_000);
    d.release_spare();
    assert_eq!(d.spare_capacity(), 0);
    let f = receive(&mut d, &bytes, 70_000);
    assert_eq!(decode_reply(&f.header, &f.body).unwrap(), Reply::Success(v));
}

#[test]
fn a_recycled_body_shrunk_then_grown_holds_only_the_new_frame() {
    let values = [
        Value::Bytes(vec![0xAB; 300_000].into()),
        Value::Bytes((0..200_000u32).map(|i| (i * 7) as u8).collect()),
        Value::Bytes((0..300_000u32).map(|i| (i * 13) as u8).collect()),
    ];
    let mut d = FrameDecoder::new();
    for v in &values {
        let mut bytes = Vec::new();
        encode_reply(&Reply::Success(v.clone()), 3, &mut bytes);
        let f = receive(&mut d, &bytes, 70_000);
        assert_eq!(
            f.body.len(),
            bytes.len() - ferry_protocol::binary::HEADER_LEN
        );
        assert_eq!(
            decode_reply(&f.header, &f.body).unwrap(),
            Reply::Success(v.clone())
        );
        d.recycle(f.body);
    }
}

#[test]
fn a_shared_body_lends_its_large_values_and_comes_back_when_they_are_gone() {
    let big = Prims::from_f64(&(0..10_000).map(f64::from).collect::<Vec<_>>());
    let call = Command::Call {
        target: ferry_protocol::CallTarget::Object("o1".into()),
        method: "m".into(),
        args: vec![
            Value::Array(big.clone()),
            Value::Bytes(vec![1, 2, 3].into()),
            Value::Bytes(vec![7; 5000].into()),
        ],
    };
    let mut bytes = Vec::new();
    encode_command(&call, 4, &mut bytes);
    let f = frames(&bytes, &[]).remove(0);
    let body = std::sync::Arc::new(f.body);
    let decoded = decode_command_shared(&f.header, &body).unwrap();
    assert_eq!(decoded, call);
    let Command::Call { args, .. } = &decoded else {
        unreachable!("decoded as the call above")
    };
    let shared: Vec<bool> = args
        .iter()
        .map(|a| match a {
            Value::Array(p) => p.data.is_shared(),
            Value::Bytes(b) => b.is_shared(),
            _ => false,
        })
        .collect();
    // Windows on the body for the large ones, copies for the small one.
    assert_eq!(shared, [true, false, true]);
    let body = std::sync::Arc::try_unwrap(body).expect_err("lent to the values");
    drop(decoded);
    assert!(std::sync::Arc::try_unwrap(body).is_ok());
}

#[test]
fn a_shared_reply_value_is_a_window_on_the_body() {
    let ints = Value::TypedList(Prims::from_i32(&(0..50_000).collect::<Vec<_>>()));
    let mut body = Vec::new();
    encode_value(&ints, 0, &mut body);
    let body = std::sync::Arc::new(body);
    let decoded = decode_value_shared(&body).unwrap();
    assert_eq!(decoded, ints);
    assert!(matches!(&decoded, Value::TypedList(p) if p.data.is_shared()));
    assert_eq!(decode_value(&body).unwrap(), ints);
}

#[test]
fn hostile_frames_are_errors() {
    // A frame longer than the limit.
    let mut d = FrameDecoder::new();
    d.set_max_frame(1000);
    d.feed(&[0xff, 0xff, 0xff, 0x7f, 2, 0, 1, 0, 0, 0, 0, 0]);
    assert!(d.next().is_err());
    // A list that claims four billion elements in a small frame.
    let mut body = vec![0u8, 0x20];
    body.extend_from_slice(&u32::MAX.to_le_bytes());
    let header = ferry_protocol::binary::FrameHeader {
        kind: FrameKind::Reply,
        flags: 0,
        op: 0,
        id: 0,
    };
    assert!(decode_reply(&header, &body[1..]).is_err());
    // Nesting deeper than the limit.
    let mut deep = Vec::new();
    for _ in 0..1000 {
        deep.push(0x20);
        deep.extend_from_slice(&1u32.to_le_bytes());
    }
    deep.push(0x00);
    assert!(decode_reply(&header, &deep).is_err());
    // An unknown op.
    let req = ferry_protocol::binary::FrameHeader {
        kind: FrameKind::Request,
        flags: 0,
        op: 0x7777,
        id: 1,
    };
    assert!(decode_command(&req, &[]).is_err());
    // Trailing bytes.
    assert!(decode_reply(&header, &[0x00, 0x00]).is_err());
}

#[test]
fn hello_round_trip() {
    assert_eq!(HELLO_LINE, b"FERRY/2\n");
    let h = Hello {
        version: 2,
        features: features::BULK | features::PINNED,
        server: "ferry 0.1".into(),
        cancel_key: 0xdead_beef_1234,
    };
    let mut bytes = Vec::new();
    h.encode(&mut bytes);
    let f = frames(&bytes, &[3]).remove(0);
    assert_eq!(f.header.kind, FrameKind::Hello);
    assert_eq!(Hello::decode(&f.body).unwrap(), h);
}

#[test]
fn a_release_batch_is_one_notice() {
    let ids: Vec<String> = (0..1000).map(|i| format!("o{i}")).collect();
    let mut bytes = Vec::new();
    encode_command(&Command::Release { ids: ids.clone() }, 0, &mut bytes);
    let fs = frames(&bytes, &[]);
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0].header.kind, FrameKind::Notice);
    assert_eq!(
        decode_command(&fs[0].header, &fs[0].body).unwrap(),
        Command::Release { ids }
    );
    let _ = CallbackCommand::GarbageCollect {
        target: "p1".into(),
    };
}

/// Writes seed inputs for the `decode_binary` fuzz target (run by hand:
/// `FERRY_WRITE_SEEDS=1 cargo test -p ferry-protocol --test binary write_seeds`).
#[test]
fn write_seeds() {
    let Some(_) = std::env::var_os("FERRY_WRITE_SEEDS") else {
        return;
    };
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/decode_binary");
    std::fs::create_dir_all(&dir).unwrap();
    let mut runner = TestRunner::deterministic();
    for i in 0..200 {
        let mut bytes = Vec::new();
        if i % 4 == 0 {
            bytes.extend_from_slice(HELLO_LINE);
        }
        let cmd = v2_command().new_tree(&mut runner).unwrap().current();
        encode_command(&cmd, i, &mut bytes);
        if i % 2 == 0 {
            let r = prop_oneof![reply(), bulk_value().prop_map(Reply::Success)]
                .new_tree(&mut runner)
                .unwrap()
                .current();
            encode_reply(&r, i, &mut bytes);
        }
        if i % 3 == 0 {
            let cb = callback_command().new_tree(&mut runner).unwrap().current();
            encode_callback(&cb, i, &mut bytes);
        }
        let bytes = if bytes.starts_with(HELLO_LINE) {
            bytes[HELLO_LINE.len()..].to_vec()
        } else {
            bytes
        };
        std::fs::write(dir.join(format!("seed-{i:03}")), bytes).unwrap();
    }
}
