//! Golden tests from the literal exchanges of the Py4J protocol reference (section 2.11), its
//! value tags (2.2) and its escaping rules (2.3).
//!
//! Each client line is decoded on the side that receives it and must give the expected message,
//! and the expected message encoded by the side that sends it must give the same bytes back:
//! - what a py4j client sends: [`Side::Java`] decodes, [`encode_command`] writes;
//! - what Java replies: [`Side::Python`] decodes, [`encode_reply`] with [`Side::Java`] writes;
//! - what Java sends to a Python callback server: [`Side::Python`] decodes, [`encode_callback`]
//!   writes;
//! - what Python replies to a callback: [`Side::Java`] decodes, [`encode_reply`] with
//!   [`Side::Python`] writes.
//!
//! Where the reference elides a stack trace (`\n<TAB>at …`) the test uses a complete trace of
//! the same shape, taken from the captures in `testdata/`.

mod common;

use common::{decode_all, decode_one, wire};
use ferry_protocol::text::{
    Decoder, Incoming, Side, encode_callback, encode_command, encode_reply, encode_value,
    escape_into, unescape_java, unescape_python,
};
use ferry_protocol::{
    ArrayCommand, CallTarget, CallbackCommand, Command, ProtocolError, RefKind, Reply, Value,
    ViewCommand,
};

/// A py4j client sends `lines`: Java decodes `cmd`, and `cmd` encodes back to the same bytes.
fn command(lines: &[&str], cmd: Command) {
    let bytes = wire(lines);
    assert_eq!(
        decode_one(Side::Java, &bytes),
        Incoming::Command(cmd.clone())
    );
    let mut out = Vec::new();
    encode_command(&cmd, &mut out);
    assert_eq!(common::show(&out), common::show(&bytes));
}

/// Java replies `line`: Python decodes `reply`, and Java's encoder writes the same line.
fn java_reply(line: &str, reply: Reply) {
    let bytes = wire(&[line]);
    assert_eq!(
        decode_one(Side::Python, &bytes),
        Incoming::Reply(reply.clone())
    );
    let mut out = Vec::new();
    encode_reply(&reply, Side::Java, &mut out);
    assert_eq!(common::show(&out), common::show(&bytes));
}

/// Python replies `line` (to a callback, or in ClientServer mode): Java decodes `reply`, and
/// Python's encoder writes the same line.
fn python_reply(line: &str, reply: Reply) {
    let bytes = wire(&[line]);
    assert_eq!(
        decode_one(Side::Java, &bytes),
        Incoming::Reply(reply.clone())
    );
    let mut out = Vec::new();
    encode_reply(&reply, Side::Python, &mut out);
    assert_eq!(common::show(&out), common::show(&bytes));
}

/// Java sends the callback `lines`: Python decodes `cmd`, and `cmd` encodes back the same.
fn callback(lines: &[&str], cmd: CallbackCommand) {
    let bytes = wire(lines);
    assert_eq!(
        decode_one(Side::Python, &bytes),
        Incoming::Callback(cmd.clone())
    );
    let mut out = Vec::new();
    encode_callback(&cmd, &mut out);
    assert_eq!(common::show(&out), common::show(&bytes));
}

fn call(target: CallTarget, method: &str, args: Vec<Value>) -> Command {
    Command::Call {
        target,
        method: method.into(),
        args,
    }
}

fn obj(id: &str) -> CallTarget {
    CallTarget::Object(id.into())
}

fn class(fqn: &str) -> CallTarget {
    CallTarget::Static(fqn.into())
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn r(kind: RefKind, id: &str) -> Value {
    Value::Ref(kind, id.into())
}

const PARSE_INT_TRACE: &str = "java.lang.NumberFormatException: For input string: \"abc\"\n\tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)\n\tat java.base/java.lang.Integer.parseInt(Integer.java:668)\n\tat java.base/java.lang.Integer.parseInt(Integer.java:786)\n";
const PARSE_INT_TRACE_WIRE: &str = "!ysjava.lang.NumberFormatException: For input string: \"abc\"\\n\tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)\\n\tat java.base/java.lang.Integer.parseInt(Integer.java:668)\\n\tat java.base/java.lang.Integer.parseInt(Integer.java:786)\\n";

#[test]
fn static_call_overload_on_primitives() {
    command(
        &["c", "z:java.lang.Math", "max", "i3", "i7", "e"],
        call(
            class("java.lang.Math"),
            "max",
            vec![Value::Int(3), Value::Int(7)],
        ),
    );
    java_reply("!yi7", Reply::Success(Value::Int(7)));
}

#[test]
fn constructor_instance_calls_and_list_returns() {
    command(
        &["i", "java.lang.StringBuilder", "sabc", "e"],
        Command::Construct {
            class: "java.lang.StringBuilder".into(),
            args: vec![s("abc")],
        },
    );
    java_reply("!yro2", Reply::Success(r(RefKind::Object, "o2")));
    command(
        &["c", "o2", "append", "d1.5", "e"],
        call(obj("o2"), "append", vec![Value::Double(1.5)]),
    );
    java_reply("!yro3", Reply::Success(r(RefKind::Object, "o3")));
    command(
        &["c", "o2", "toString", "e"],
        call(obj("o2"), "toString", vec![]),
    );
    java_reply("!ysabc1.5", Reply::Success(s("abc1.5")));
    command(
        &["i", "java.util.ArrayList", "e"],
        Command::Construct {
            class: "java.util.ArrayList".into(),
            args: vec![],
        },
    );
    java_reply("!ylo0", Reply::Success(r(RefKind::List, "o0")));
    // The value is LF, "hello\world".
    command(
        &["c", "o0", "add", "s\\nhello\\\\world", "e"],
        call(obj("o0"), "add", vec![s("\nhello\\world")]),
    );
    java_reply("!ybtrue", Reply::Success(Value::Bool(true)));
    command(
        &["c", "o0", "get", "i0", "e"],
        call(obj("o0"), "get", vec![Value::Int(0)]),
    );
    java_reply("!ys\\nhello\\\\world", Reply::Success(s("\nhello\\world")));
    command(
        &["c", "o0", "iterator", "e"],
        call(obj("o0"), "iterator", vec![]),
    );
    java_reply("!ygo1", Reply::Success(r(RefKind::Iterator, "o1")));
}

#[test]
fn field_get_and_set() {
    command(
        &["i", "java.awt.Point", "i1", "i2", "e"],
        Command::Construct {
            class: "java.awt.Point".into(),
            args: vec![Value::Int(1), Value::Int(2)],
        },
    );
    java_reply("!yro0", Reply::Success(r(RefKind::Object, "o0")));
    command(
        &["f", "g", "o0", "x", "e"],
        Command::FieldGet {
            target: "o0".into(),
            field: "x".into(),
        },
    );
    java_reply("!yi1", Reply::Success(Value::Int(1)));
    command(
        &["f", "s", "o0", "x", "i10", "e"],
        Command::FieldSet {
            target: "o0".into(),
            field: "x".into(),
            value: Value::Int(10),
        },
    );
    java_reply("!yv", Reply::VOID);
    command(
        &["f", "g", "o0", "nosuch", "e"],
        Command::FieldGet {
            target: "o0".into(),
            field: "nosuch".into(),
        },
    );
    java_reply("!yo", Reply::NoMember);
}

#[test]
fn thrown_exception_its_trace_and_release() {
    command(
        &["c", "z:java.lang.Integer", "parseInt", "sabc", "e"],
        call(class("java.lang.Integer"), "parseInt", vec![s("abc")]),
    );
    java_reply("!xro1", Reply::Error(Some(r(RefKind::Object, "o1"))));
    command(
        &["p", "ro1", "e"],
        Command::ExceptionTrace { id: "ro1".into() },
    );
    java_reply(PARSE_INT_TRACE_WIRE, Reply::Success(s(PARSE_INT_TRACE)));
    command(
        &["m", "d", "o1", "e"],
        Command::MemoryDelete { id: "o1".into() },
    );
    java_reply("!yv", Reply::VOID);
}

#[test]
fn py4j_error_and_fatal_error() {
    // `d3` is what the reference's raw-socket client sent; py4j itself writes `d3.0` (see
    // `python_writes_whole_floats_with_a_fraction`), so this line only decodes.
    assert_eq!(
        decode_one(
            Side::Java,
            &wire(&["c", "z:java.lang.Math", "max", "d3", "i7", "e"])
        ),
        Incoming::Command(call(
            class("java.lang.Math"),
            "max",
            vec![Value::Double(3.0), Value::Int(7)]
        ))
    );
    let msg = "py4j.Py4JException: Method max([class java.lang.Double, class java.lang.Integer]) does not exist\n\tat py4j.reflection.ReflectionEngine.getMethod(ReflectionEngine.java:321)\n";
    java_reply(
        "!xspy4j.Py4JException: Method max([class java.lang.Double, class java.lang.Integer]) does not exist\\n\tat py4j.reflection.ReflectionEngine.getMethod(ReflectionEngine.java:321)\\n",
        Reply::error_message(msg),
    );
    let (msgs, err) = decode_all(Side::Java, &wire(&["X"]));
    assert!(msgs.is_empty());
    assert_eq!(err, Some(ProtocolError::UnknownCommand("X".into())));
    java_reply(
        "!zspy4j.Py4JException: Unknown command received: X\\n\tat py4j.GatewayConnection.run(GatewayConnection.java:245)\\n",
        Reply::Fatal(
            "py4j.Py4JException: Unknown command received: X\n\tat py4j.GatewayConnection.run(GatewayConnection.java:245)\n"
                .into(),
        ),
    );
}

#[test]
fn python_writes_whole_floats_with_a_fraction() {
    // py4j writes repr(3.0) = "3.0"; Java reads "d3" just as well.
    let mut out = Vec::new();
    encode_value(&Value::Double(3.0), Side::Python, &mut out);
    assert_eq!(out, b"d3.0");
    assert_eq!(
        decode_one(Side::Java, &wire(&["c", "t", "f", "d3", "e"])),
        decode_one(Side::Java, &wire(&["c", "t", "f", "d3.0", "e"]))
    );
}

#[test]
fn reflection_and_views() {
    command(
        &["r", "u", "java", "rj", "e"],
        Command::ReflectUnknown {
            name: "java".into(),
            view: "rj".into(),
        },
    );
    java_reply("!yp", Reply::Package);
    command(
        &["r", "u", "String", "rj", "e"],
        Command::ReflectUnknown {
            name: "String".into(),
            view: "rj".into(),
        },
    );
    java_reply(
        "!ycjava.lang.String",
        Reply::Class(Some("java.lang.String".into())),
    );
    command(
        &["r", "m", "java.lang.Integer", "MAX_VALUE", "e"],
        Command::ReflectMember {
            class: "java.lang.Integer".into(),
            member: "MAX_VALUE".into(),
        },
    );
    java_reply("!yi2147483647", Reply::Success(Value::Int(i32::MAX)));
    command(
        &["r", "m", "java.lang.Integer", "parseInt", "e"],
        Command::ReflectMember {
            class: "java.lang.Integer".into(),
            member: "parseInt".into(),
        },
    );
    java_reply("!ym", Reply::StaticMethod);
    command(
        &["r", "m", "java.util.Map", "Entry", "e"],
        Command::ReflectMember {
            class: "java.util.Map".into(),
            member: "Entry".into(),
        },
    );
    java_reply("!yc", Reply::Class(None));
    command(
        &["j", "i", "rj", "java.util.*", "e"],
        Command::View(ViewCommand::Import {
            view: "rj".into(),
            import: "java.util.*".into(),
        }),
    );
    java_reply("!yv", Reply::VOID);
    command(
        &["a", "c", "sint", "i3", "e"],
        Command::Array(ArrayCommand::Create {
            component: "int".into(),
            dims: vec![Value::Int(3)],
        }),
    );
    java_reply("!yto13", Reply::Success(r(RefKind::Array, "o13")));
}

#[test]
fn callback_default_mode() {
    command(
        &[
            "c",
            "z:java.util.Collections",
            "sort",
            "ro2",
            "fp0;java.util.Comparator",
            "e",
        ],
        call(
            class("java.util.Collections"),
            "sort",
            vec![
                r(RefKind::Object, "o2"),
                Value::PythonProxy {
                    id: "p0".into(),
                    interfaces: vec!["java.util.Comparator".into()],
                },
            ],
        ),
    );
    callback(
        &["c", "p0", "compare", "i1", "i3", "e"],
        CallbackCommand::Call {
            target: "p0".into(),
            method: "compare".into(),
            args: vec![Value::Int(1), Value::Int(3)],
        },
    );
    python_reply("!yi-1", Reply::Success(Value::Int(-1)));
    java_reply("!yv", Reply::VOID);
    callback(
        &["g", "p0", "e"],
        CallbackCommand::GarbageCollect {
            target: "p0".into(),
        },
    );
    python_reply("!y", Reply::Empty);
}

#[test]
fn python_callback_raising() {
    callback(
        &["c", "p1", "run", "e"],
        CallbackCommand::Call {
            target: "p1".into(),
            method: "run".into(),
            args: vec![],
        },
    );
    python_reply(
        "!xsTraceback (most recent call last):\\n  File \"app.py\", line 3, in run\\nValueError: boom\\n",
        Reply::error_message(
            "Traceback (most recent call last):\n  File \"app.py\", line 3, in run\nValueError: boom\n",
        ),
    );
    java_reply("!xro6", Reply::Error(Some(r(RefKind::Object, "o6"))));
}

/// ClientServer mode: one socket, both directions. Each end's decoder sees the peer's commands
/// and replies interleaved on the same stream.
#[test]
fn client_server_nested_recursion() {
    let pong = |id: &str| Value::PythonProxy {
        id: id.into(),
        interfaces: vec!["CSApp$Pong".into()],
    };
    // What Python sends, in order, as Java decodes it.
    let from_python: Vec<(Vec<&str>, Incoming)> = vec![
        (
            vec!["A", "s3cret"],
            Incoming::Command(Command::Auth {
                token: "s3cret".into(),
            }),
        ),
        (
            vec!["c", "t", "ping", "fp0;CSApp$Pong", "i2", "e"],
            Incoming::Command(call(obj("t"), "ping", vec![pong("p0"), Value::Int(2)])),
        ),
        (
            vec!["c", "o0", "ping", "fp1;CSApp$Pong", "i1", "e"],
            Incoming::Command(call(obj("o0"), "ping", vec![pong("p1"), Value::Int(1)])),
        ),
        (
            vec!["c", "o1", "ping", "fp2;CSApp$Pong", "i0", "e"],
            Incoming::Command(call(obj("o1"), "ping", vec![pong("p2"), Value::Int(0)])),
        ),
        (
            vec!["!ysdone@Thread-1/py:MainThread"],
            Incoming::Reply(Reply::Success(s("done@Thread-1/py:MainThread"))),
        ),
        (
            vec!["!ysdone@Thread-1/py:MainThread/py:MainThread"],
            Incoming::Reply(Reply::Success(s(
                "done@Thread-1/py:MainThread/py:MainThread",
            ))),
        ),
        (vec!["s"], Incoming::Command(Command::Shutdown)),
    ];
    // What Java sends, in order, as Python decodes it.
    let from_java: Vec<(Vec<&str>, Incoming)> = vec![
        (vec!["!yv"], Incoming::Reply(Reply::VOID)),
        (
            vec!["c", "p0", "pong", "ro0", "i1", "e"],
            Incoming::Callback(CallbackCommand::Call {
                target: "p0".into(),
                method: "pong".into(),
                args: vec![r(RefKind::Object, "o0"), Value::Int(1)],
            }),
        ),
        (
            vec!["c", "p1", "pong", "ro1", "i0", "e"],
            Incoming::Callback(CallbackCommand::Call {
                target: "p1".into(),
                method: "pong".into(),
                args: vec![r(RefKind::Object, "o1"), Value::Int(0)],
            }),
        ),
        (
            vec!["!ysdone@Thread-1"],
            Incoming::Reply(Reply::Success(s("done@Thread-1"))),
        ),
        (
            vec!["!ysdone@Thread-1/py:MainThread"],
            Incoming::Reply(Reply::Success(s("done@Thread-1/py:MainThread"))),
        ),
        (
            vec!["!ysdone@Thread-1/py:MainThread/py:MainThread"],
            Incoming::Reply(Reply::Success(s(
                "done@Thread-1/py:MainThread/py:MainThread",
            ))),
        ),
    ];
    for (side, writer, msgs) in [
        (Side::Java, Side::Python, &from_python),
        (Side::Python, Side::Java, &from_java),
    ] {
        let stream: Vec<u8> = msgs.iter().flat_map(|(l, _)| wire(l)).collect();
        let (got, err) = decode_all(side, &stream);
        assert_eq!(err, None);
        let want: Vec<Incoming> = msgs.iter().map(|(_, m)| m.clone()).collect();
        assert_eq!(got, want);
        let mut out = Vec::new();
        for m in &want {
            match m {
                Incoming::Command(c) => encode_command(c, &mut out),
                Incoming::Callback(c) => encode_callback(c, &mut out),
                Incoming::Reply(r) => encode_reply(r, writer, &mut out),
            }
        }
        assert_eq!(common::show(&out), common::show(&stream));
    }
}

/// Section 2.2: each tag, as each side writes it and reads it.
#[test]
fn value_tags() {
    // (value, as Python writes it, as Java writes it)
    let cases: Vec<(Value, Option<&str>, Option<&str>)> = vec![
        (Value::Null, Some("n"), Some("n")),
        (Value::Void, None, Some("v")),
        (Value::Bool(true), Some("bTrue"), Some("btrue")),
        (Value::Bool(false), Some("bFalse"), Some("bfalse")),
        (Value::Int(42), Some("i42"), Some("i42")),
        (
            Value::Int(i32::MIN),
            Some("i-2147483648"),
            Some("i-2147483648"),
        ),
        (
            Value::Long(5_000_000_000),
            Some("L5000000000"),
            Some("L5000000000"),
        ),
        (
            Value::Long(i64::MIN),
            Some("L-9223372036854775808"),
            Some("L-9223372036854775808"),
        ),
        (Value::Double(1.5), Some("d1.5"), Some("d1.5")),
        (Value::Double(1e-5), Some("d1e-05"), Some("d1.0E-5")),
        (
            Value::Double(f64::INFINITY),
            Some("dInfinity"),
            Some("dInfinity"),
        ),
        (
            Value::Double(f64::NEG_INFINITY),
            Some("d-Infinity"),
            Some("d-Infinity"),
        ),
        (Value::Decimal("1.5E+2".into()), Some("D1.5E+2"), None),
        (Value::Decimal("150".into()), None, Some("D150")),
        (s("a\tb"), Some("sa\tb"), Some("sa\tb")),
        (
            Value::Bytes(vec![0, 1, 2, 255].into()),
            Some("jAAEC/w=="),
            Some("jAAEC/w=="),
        ),
        (Value::Bytes(vec![].into()), Some("j"), Some("j")),
        (r(RefKind::Object, "o7"), Some("ro7"), Some("ro7")),
        (r(RefKind::Object, "j"), Some("rj"), Some("rj")),
        (r(RefKind::List, "o3"), None, Some("lo3")),
        (r(RefKind::Map, "o8"), None, Some("ao8")),
        (r(RefKind::Set, "o11"), None, Some("ho11")),
        (r(RefKind::Array, "o13"), None, Some("to13")),
        (r(RefKind::Iterator, "o1"), None, Some("go1")),
        (
            Value::PythonProxy {
                id: "p0".into(),
                interfaces: vec!["java.util.Comparator".into(), "pkg.Outer$Inner".into()],
            },
            Some("fp0;java.util.Comparator;pkg.Outer$Inner"),
            None,
        ),
    ];
    for (value, py, java) in cases {
        for (side_writing, text) in [(Side::Python, py), (Side::Java, java)] {
            let Some(text) = text else { continue };
            let mut out = Vec::new();
            encode_value(&value, side_writing, &mut out);
            assert_eq!(
                common::show(&out),
                text,
                "{value:?} written by {side_writing:?}"
            );
            // The reader is the other side: decode as a call argument (Java reads Python's) or a
            // reply (Python reads Java's).
            let got = match side_writing {
                Side::Python => match decode_one(Side::Java, &wire(&["c", "t", "m", text, "e"])) {
                    Incoming::Command(Command::Call { mut args, .. }) => args.remove(0),
                    other => panic!("{other:?}"),
                },
                Side::Java => match decode_one(Side::Python, &wire(&[&format!("!y{text}")])) {
                    Incoming::Reply(Reply::Success(v)) => v,
                    other => panic!("{other:?}"),
                },
            };
            assert_eq!(got, value, "{text} read from {side_writing:?}");
        }
    }
}

#[test]
fn value_tag_quirks() {
    let arg = |text: &str| match decode_one(Side::Java, &wire(&["c", "t", "m", text, "e"])) {
        Incoming::Command(Command::Call { mut args, .. }) => args.remove(0),
        other => panic!("{other:?}"),
    };
    // Booleans are read case-insensitively, anything else is false (Boolean.parseBoolean).
    assert_eq!(arg("bTRUE"), Value::Bool(true));
    assert_eq!(arg("btrue"), Value::Bool(true));
    assert_eq!(arg("bmaybe"), Value::Bool(false));
    // An `i` that overflows int32 is read as a long (Java's fallback).
    assert_eq!(arg("i5000000000"), Value::Long(5_000_000_000));
    // NaN travels as `NaN`.
    assert!(matches!(arg("dNaN"), Value::Double(v) if v.is_nan()));
    let mut out = Vec::new();
    encode_value(&Value::Double(f64::NAN), Side::Python, &mut out);
    encode_value(&Value::Double(f64::NAN), Side::Java, &mut out);
    assert_eq!(out, b"dNaNdNaN");
    // Java writes a float with the float's own digits; it is read back as a double.
    let mut out = Vec::new();
    encode_value(&Value::Float(0.1), Side::Java, &mut out);
    assert_eq!(out, b"d0.1");
    assert_eq!(
        decode_one(Side::Python, b"!yd0.1\n"),
        Incoming::Reply(Reply::Success(Value::Double(0.1)))
    );
    // Python writes every reference with `r`, whatever its kind.
    let mut out = Vec::new();
    encode_value(&r(RefKind::List, "o3"), Side::Python, &mut out);
    assert_eq!(out, b"ro3");
    // `L` beyond int64, an unknown tag and an empty value line are refused.
    for bad in ["L99999999999999999999", "iabc", "xabc", "dabc"] {
        let (_, err) = decode_all(Side::Java, &wire(&["c", "t", "m", bad, "e"]));
        assert!(
            matches!(err, Some(ProtocolError::BadValue(_))),
            "{bad}: {err:?}"
        );
    }
    let (_, err) = decode_all(Side::Java, &wire(&["c", "t", "m", "", "e"]));
    assert!(matches!(err, Some(ProtocolError::BadValue(_))), "{err:?}");
    // A tag or a status that is not ASCII is refused (found by the fuzzer: it used to panic).
    for side in [Side::Java, Side::Python] {
        let (_, err) = decode_all(side, "!\u{27e}ycjava.lang.String\n".as_bytes());
        assert!(matches!(err, Some(ProtocolError::BadReply(_))), "{err:?}");
        let (_, err) = decode_all(side, "!y\u{681}3.5\n".as_bytes());
        assert!(matches!(err, Some(ProtocolError::BadReply(_))), "{err:?}");
    }
    let (_, err) = decode_all(Side::Java, &wire(&["c", "t", "m", "\u{e9}1", "e"]));
    assert!(matches!(err, Some(ProtocolError::BadValue(_))), "{err:?}");
}

/// The response-only tags of section 2.2.
#[test]
fn response_only_tags() {
    java_reply("!yo", Reply::NoMember);
    java_reply("!ym", Reply::StaticMethod);
    java_reply("!yc", Reply::Class(None));
    java_reply(
        "!ycjava.util.Map$Entry",
        Reply::Class(Some("java.util.Map$Entry".into())),
    );
    java_reply("!yp", Reply::Package);
    java_reply("!x", Reply::Error(None));
    python_reply("!y", Reply::Empty);
}

/// Section 2.3.
#[test]
fn escaping() {
    let esc = |s: &str| {
        let mut v = Vec::new();
        escape_into(s, &mut v);
        String::from_utf8(v).unwrap()
    };
    assert_eq!(esc("\\"), "\\\\");
    assert_eq!(esc("\r"), "\\r");
    assert_eq!(esc("\n"), "\\n");
    assert_eq!(esc("\t\u{0}é"), "\t\u{0}é", "nothing else is escaped");
    assert_eq!(esc("a\r\nb\\n"), "a\\r\\nb\\\\n");
    // Java: a backslash takes the next character literally, except n and r.
    assert_eq!(unescape_java("\\t\\\\\\n\\r\\x"), "t\\\n\rx");
    // Python: only \\, \n and \r are replaced, other pairs stay as they are.
    assert_eq!(unescape_python("\\t\\\\\\n\\r\\x"), "\\t\\\n\r\\x");
    // Applied to strings, errors, the auth token and view imports; not to ids and names.
    command(
        &["A", "to\\\\ken\\n"],
        Command::Auth {
            token: "to\\ken\n".into(),
        },
    );
    command(
        &["j", "i", "rj", "a\\\\b.*", "e"],
        Command::View(ViewCommand::Import {
            view: "rj".into(),
            import: "a\\b.*".into(),
        }),
    );
    command(
        &["c", "o\\1", "m\\n", "e"],
        call(obj("o\\1"), "m\\n", vec![]),
    );
    callback(
        &["A", "to\\\\ken", "e"],
        CallbackCommand::Auth {
            token: "to\\ken".into(),
        },
    );
    java_reply("!ysa\\\\b\\rc\\n", Reply::Success(s("a\\b\rc\n")));
    python_reply("!xsa\\\\b\\n", Reply::error_message("a\\b\n"));
}

/// Java reads lines with `readLine`: LF, CR and CRLF all end a line. Python only splits on LF.
#[test]
fn line_ends() {
    let want = decode_one(Side::Java, b"c\nt\nping\ne\n");
    assert_eq!(decode_one(Side::Java, b"c\r\nt\r\nping\r\ne\r\n"), want);
    assert_eq!(decode_one(Side::Java, b"c\rt\rping\re\r"), want);
    // CRLF split between CR and LF.
    let mut d = Decoder::new(Side::Java);
    d.feed(b"c\r\nt\r");
    assert_eq!(d.next(), Ok(None));
    d.feed(b"\nping\r\ne\r");
    assert_eq!(d.next(), Ok(Some(want.clone())));
    d.feed(b"\nc\nt\nping\ne\n");
    assert_eq!(d.next(), Ok(Some(want)));
    // On the Python side a CR is part of the line.
    assert_eq!(
        decode_one(Side::Python, b"!ysa\rb\n"),
        Incoming::Reply(Reply::Success(s("a\rb")))
    );
}

/// The stream command: `!yv`, then the channel's raw bytes with no framing.
#[test]
fn stream_reply_then_raw_bytes() {
    command(
        &[
            "S",
            "z:java.nio.channels.Channels",
            "newChannel",
            "ro0",
            "e",
        ],
        Command::Stream {
            target: class("java.nio.channels.Channels"),
            method: "newChannel".into(),
            args: vec![r(RefKind::Object, "o0")],
        },
    );
    let mut d = Decoder::new(Side::Python);
    d.feed(b"!yv\nhello\nworld\x00\x01\xff");
    assert_eq!(d.next(), Ok(Some(Incoming::Reply(Reply::VOID))));
    assert_eq!(d.take_buffered(), b"hello\nworld\x00\x01\xff");
    assert_eq!(d.buffered(), b"");
}
