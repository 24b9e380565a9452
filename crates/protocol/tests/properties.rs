//! Property tests: whatever a side writes, the other side reads back as the same thing.
//!
//! Intended asymmetries, handled explicitly (see [`as_read`]):
//! - `Value::Float` has no tag of its own: it travels as `d` and is read as a `Value::Double`.
//!   Java writes it with the float's shortest digits (`Float.toString`), so the double read back
//!   is the one nearest to those digits, and converting it to `f32` gives the float back. Python
//!   never holds a 32-bit float; its encoder writes the exact `f64` value.
//! - Python writes every reference with the plain `r` tag (py4j's `get_command_part`), so a
//!   reference of any kind written by the Python side is read as `RefKind::Object`.
//! - NaN is not equal to itself: messages are compared with `roundtrip::same`, which takes NaN as
//!   equal to NaN and tells `-0.0` from `0.0`.
//! - Strings that travel unescaped (ids, method, class and field names, view references) cannot
//!   hold CR or LF; the strategies generate them without (see `strategies`).

mod common;
mod strategies;

use common::roundtrip::{map_values, same};
use ferry_protocol::text::{
    Decoder, Incoming, Side, encode_callback, encode_command, encode_reply, encode_value,
    escape_into, format_java_double, format_java_float, format_python_float, parse_java_double,
    unescape_java, unescape_python,
};
use ferry_protocol::{RefKind, Value};
use proptest::prelude::*;
use strategies::*;

/// What the reader gets for a value that `writer` wrote.
fn as_read(v: &Value, writer: Side) -> Value {
    match (v, writer) {
        (Value::Ref(_, id), Side::Python) => Value::Ref(RefKind::Object, id.clone()),
        (Value::Float(f), Side::Java) => Value::Double(
            format_java_float(*f)
                .parse::<f64>()
                .expect("Java float text parses"),
        ),
        (Value::Float(f), Side::Python) => Value::Double(f64::from(*f)),
        _ => v.clone(),
    }
}

fn as_read_msg(mut m: Incoming, writer: Side) -> Incoming {
    map_values(&mut m, &mut |v| *v = as_read(v, writer));
    m
}

fn other(side: Side) -> Side {
    match side {
        Side::Java => Side::Python,
        Side::Python => Side::Java,
    }
}

/// Writes a message as `writer` does.
fn write(m: &Incoming, writer: Side, out: &mut Vec<u8>) {
    match m {
        Incoming::Command(c) => encode_command(c, out),
        Incoming::Callback(c) => encode_callback(c, out),
        Incoming::Reply(r) => encode_reply(r, writer, out),
    }
}

/// Decodes everything in `data` on `reader`, fed in pieces cut at `cuts`.
fn read_all(reader: Side, data: &[u8], cuts: &[usize]) -> Result<Vec<Incoming>, TestCaseError> {
    let mut d = Decoder::new(reader);
    let mut out = Vec::new();
    let mut from = 0;
    for &to in cuts.iter().chain(std::iter::once(&data.len())) {
        d.feed(&data[from..to]);
        from = to;
        loop {
            match d.next() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => break,
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "{reader:?} refused {:?}: {e}",
                        String::from_utf8_lossy(data)
                    )));
                }
            }
        }
    }
    prop_assert!(d.buffered().is_empty(), "bytes left");
    Ok(out)
}

fn assert_same(got: &[Incoming], want: &[Incoming]) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (a, b) in got.iter().zip(want) {
        prop_assert!(same(a, b), "read {:?}\nwant {:?}", a, b);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A value written by one side (as a call argument from Python, as a return value from
    /// Java) is read back by the other.
    #[test]
    fn values_round_trip(v in value(), (writer, reader) in direction()) {
        let mut line = Vec::new();
        encode_value(&v, writer, &mut line);
        prop_assert!(!line.contains(&b'\n') && !line.contains(&b'\r'));
        let line = String::from_utf8(line).expect("UTF-8");
        let bytes = match writer {
            Side::Python => format!("c\nt\nm\n{line}\ne\n"),
            Side::Java => format!("!y{line}\n"),
        };
        let got = read_all(reader, bytes.as_bytes(), &[])?;
        let read = match &got[..] {
            [Incoming::Command(ferry_protocol::Command::Call { args, .. })] => args[0].clone(),
            [Incoming::Reply(ferry_protocol::Reply::Success(v))] => v.clone(),
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        let want = as_read(&v, writer);
        prop_assert!(format!("{read:?}") == format!("{want:?}"), "{:?} -> {} -> {:?}", v, line, read);
    }

    /// Java writes a float with its own shortest digits: read back as a double, it converts to
    /// the same float.
    #[test]
    fn java_floats_keep_their_value(f in any::<f32>()) {
        let mut line = Vec::new();
        encode_value(&Value::Float(f), Side::Java, &mut line);
        let got = read_all(Side::Python, &[b"!y", &line[..], b"\n"].concat(), &[])?;
        match &got[..] {
            [Incoming::Reply(ferry_protocol::Reply::Success(Value::Double(d)))] => {
                prop_assert!((*d as f32).to_bits() == f.to_bits() || (f.is_nan() && d.is_nan()));
            }
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }

    /// Every command py4j can send reaches the Java side as itself.
    #[test]
    fn commands_round_trip(c in command()) {
        let m = Incoming::Command(c);
        let mut bytes = Vec::new();
        write(&m, Side::Python, &mut bytes);
        let got = read_all(Side::Java, &bytes, &[])?;
        assert_same(&got, &[as_read_msg(m, Side::Python)])?;
    }

    /// Every callback command Java can send reaches the Python side as itself.
    #[test]
    fn callbacks_round_trip(c in callback_command()) {
        let m = Incoming::Callback(c);
        let mut bytes = Vec::new();
        write(&m, Side::Java, &mut bytes);
        let got = read_all(Side::Python, &bytes, &[])?;
        assert_same(&got, &[as_read_msg(m, Side::Java)])?;
    }

    /// Replies, both ways.
    #[test]
    fn replies_round_trip(r in reply(), (writer, reader) in direction()) {
        let m = Incoming::Reply(r);
        let mut bytes = Vec::new();
        write(&m, writer, &mut bytes);
        prop_assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
        let got = read_all(reader, &bytes, &[])?;
        assert_same(&got, &[as_read_msg(m, writer)])?;
    }

    /// A ClientServer-style stream: one side's commands interleaved with its replies to the
    /// other side's commands, read in pieces cut anywhere.
    #[test]
    fn mixed_streams_round_trip(
        writer in prop_oneof![Just(Side::Python), Just(Side::Java)],
        msgs in proptest::collection::vec(
            prop_oneof![
                command().prop_map(Incoming::Command),
                callback_command().prop_map(Incoming::Callback),
                reply().prop_map(Incoming::Reply),
            ],
            1..8,
        ),
        cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
    ) {
        // Python writes commands (not callbacks); Java writes callbacks (not commands).
        let msgs: Vec<Incoming> = msgs
            .into_iter()
            .filter(|m| {
                !matches!(
                    (m, writer),
                    (Incoming::Command(_), Side::Java) | (Incoming::Callback(_), Side::Python)
                )
            })
            .collect();
        let mut bytes = Vec::new();
        for m in &msgs {
            write(m, writer, &mut bytes);
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cuts.sort();
        let got = read_all(other(writer), &bytes, &cuts)?;
        let want: Vec<Incoming> = msgs.into_iter().map(|m| as_read_msg(m, writer)).collect();
        assert_same(&got, &want)?;
    }

    /// Escaping: nothing but `\`, CR and LF change, no line end survives, both unescapers undo it.
    #[test]
    fn escaping_round_trips(s in text()) {
        let mut out = Vec::new();
        escape_into(&s, &mut out);
        prop_assert!(!out.contains(&b'\n') && !out.contains(&b'\r'));
        let e = String::from_utf8(out).expect("UTF-8");
        prop_assert_eq!(&unescape_java(&e), &s);
        prop_assert_eq!(&unescape_python(&e), &s);
        if !s.contains(['\\', '\r', '\n']) {
            prop_assert_eq!(&e, &s);
        }
    }

    /// Number layouts: each side's text parses back to the same double, Java's in its
    /// `Double.toString` layout (plain from 1e-3 up to 1e7, else `d.dddE<n>`), Python's in
    /// `repr`'s (plain from 1e-4 up to 1e16, else `d.ddde±NN`).
    #[test]
    fn number_formats(v in any::<f64>()) {
        let java = format_java_double(v);
        let python = format_python_float(v);
        for text in [&java, &python] {
            let back = parse_java_double(text).expect("parses");
            prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()), "{} -> {}", v, text);
        }
        if v.is_finite() && v != 0.0 {
            let a = v.abs();
            prop_assert_eq!(java.contains('E'), !(1e-3..1e7).contains(&a), "{}", java);
            prop_assert_eq!(python.contains('e'), !(1e-4..1e16).contains(&a), "{}", python);
            prop_assert!(java.contains('.'));
        }
    }
}
