//! Replays the real Py4J captures of `testdata/*.txt` through the codec.
//!
//! - What the connection's opener sent (a Python client on `gateway` connections, Java's callback
//!   client on `callback` connections) is decoded by the side that received it and re-encoded by
//!   the side that wrote it; the bytes must come back identical, except for the exchanges listed
//!   in [`client_expectation`], each with its reason.
//! - Every reply line is decoded by the side that received it and re-encoded by the side that
//!   wrote it (Java's replies: `Side::Python` decodes, `Side::Java` encodes); identical bytes
//!   again, stack traces included (they are escaped text, and the codec gives the same escapes
//!   back). The only lines that cannot match are doubles whose digits JDK 17 prints longer than
//!   the shortest form (see [`JDK17_DOUBLES`]); those are compared by value.
//! - A few facts of the captures that the engine relies on are checked across all files.

mod common;

use common::roundtrip::{check_message, encode_as_peer, same};
use common::transcript::{self, End, Exchange, Kind};
use common::{decode_all, show};
use ferry_protocol::text::{Decoder, Incoming, Side, encode_reply};
use ferry_protocol::{ProtocolError, Reply, Value};

/// What ferry's decoder does with what a connection's opener sent.
enum Expect {
    /// Decodes, and the writer's encoder gives the same bytes back.
    Same,
    /// Decodes, but the writer's encoder spells it differently (same messages once decoded).
    Normalized(&'static str),
    /// `messages` messages decode, then the decoder refuses the rest with an error that
    /// `error` accepts. Py4J answers these with an error or a fatal reply too (see the
    /// transcript), or reads the lines differently than it was sent them.
    Reject {
        messages: usize,
        error: fn(&ProtocolError) -> bool,
    },
}

fn unknown_command(e: &ProtocolError) -> bool {
    matches!(e, ProtocolError::UnknownCommand(_))
}
fn unknown_sub(e: &ProtocolError) -> bool {
    matches!(e, ProtocolError::UnknownSubCommand { .. })
}
fn bad_value(e: &ProtocolError) -> bool {
    matches!(e, ProtocolError::BadValue(_))
}
fn malformed(e: &ProtocolError) -> bool {
    matches!(e, ProtocolError::Malformed { .. })
}

fn client_expectation(label: &str) -> Expect {
    use Expect::*;
    match label {
        "unknown command X" | "q line" | "empty first line" | "two-character command name"
        | "X before A" => Reject {
            messages: 0,
            error: unknown_command,
        },
        l if l.starts_with("unknown sub-command of ") => Reject {
            messages: 0,
            error: unknown_sub,
        },
        "unparsable int argument" | "L beyond int64" | "unparsable double" | "unknown value tag"
        // Py4J ends the argument list at an empty line; ferry refuses it.
        | "empty value line"
        // Py4J's Base64 decoder skips what is not Base64; ferry refuses it.
        | "bad base64" => Reject {
            messages: 0,
            error: bad_value,
        },
        // Py4J reads a fixed number of lines and takes the next one as a new command.
        "extra line before e (m d)" | "extra line before e (f g)" => Reject {
            messages: 0,
            error: malformed,
        },
        "extra e after a complete command" | "A with an e line" => Reject {
            messages: 1,
            error: unknown_command,
        },
        // `j s` is two lines; the view reference after it is an unknown command.
        "j s (search)" => Reject {
            messages: 1,
            error: unknown_command,
        },
        "bool spelled oddly decodes as false" => Normalized("bmaybe is false, written bFalse"),
        "int argument overflowing int32 (i)" => {
            Normalized("an i value beyond int32 is a long, written with L")
        }
        "no such method: !xs" => Normalized("the capture sent d3; py4j writes repr(3.0), d3.0"),
        "CRLF line ends" | "lone CR line ends" => Normalized("Java's readLine ends; py4j writes LF"),
        _ => Same,
    }
}

/// Replies where JDK 17's `Double.toString` is not the shortest representation (JDK 19 changed
/// the algorithm, JDK-4511638): (reply line, the value, what ferry's Java-side encoder writes).
const JDK17_DOUBLES: &[(&str, f64, &str)] = &[
    ("!yd1.9999999999999998E23", 2e23, "!yd2.0E23\n"),
    ("!yd9.999999999999999E22", 1e23, "!yd1.0E23\n"),
];

fn receiver(ex: &Exchange) -> Side {
    match ex.kind {
        Kind::Gateway => Side::Java,
        Kind::Callback => Side::Python,
    }
}

#[test]
fn client_messages_decode_and_encode_back() {
    let mut checked = 0;
    for ex in transcript::all() {
        let side = receiver(&ex);
        let (msgs, err) = decode_all(side, &ex.sent);
        match client_expectation(&ex.label) {
            Expect::Same | Expect::Normalized(_) => {
                assert_eq!(err, None, "{}", ex.name());
                assert!(!msgs.is_empty(), "{}: nothing decoded", ex.name());
                let mut again = Vec::new();
                for m in &msgs {
                    check_message(side, m);
                    again.extend(encode_as_peer(side, m));
                }
                if let Expect::Normalized(why) = client_expectation(&ex.label) {
                    assert_ne!(again, ex.sent, "{}: expected to differ ({why})", ex.name());
                } else {
                    assert_eq!(show(&again), show(&ex.sent), "{}", ex.name());
                }
            }
            Expect::Reject { messages, error } => {
                assert_eq!(msgs.len(), messages, "{}: {msgs:?}", ex.name());
                let err = err.unwrap_or_else(|| panic!("{}: not refused", ex.name()));
                assert!(error(&err), "{}: {err:?}", ex.name());
            }
        }
        checked += 1;
    }
    assert!(checked > 150, "only {checked} exchanges");
}

#[test]
fn replies_decode_and_encode_back() {
    let mut checked = 0;
    for ex in transcript::all() {
        // Replies travel the other way: on a gateway connection Java wrote them and Python reads
        // them; on a callback connection the (Python) capture script wrote them.
        let (reader, writer) = match ex.kind {
            Kind::Gateway => (Side::Python, Side::Java),
            Kind::Callback => (Side::Java, Side::Python),
        };
        for line in &ex.replies {
            let mut bytes = line.clone();
            bytes.push(b'\n');
            let reply = match common::decode_one(reader, &bytes) {
                Incoming::Reply(r) => r,
                other => panic!("{}: not a reply: {other:?}", ex.name()),
            };
            check_message(reader, &Incoming::Reply(reply.clone()));
            let mut out = Vec::new();
            encode_reply(&reply, writer, &mut out);
            if let Some((_, value, ours)) = JDK17_DOUBLES
                .iter()
                .find(|(l, _, _)| l.as_bytes() == line.as_slice())
            {
                assert_eq!(
                    reply,
                    Reply::Success(Value::Double(*value)),
                    "{}",
                    ex.name()
                );
                assert_eq!(show(&out), *ours);
            } else {
                assert_eq!(show(&out), show(&bytes), "{}", ex.name());
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} replies");
}

#[test]
fn stream_bytes_follow_the_reply_unframed() {
    let mut seen = 0;
    for ex in transcript::all()
        .into_iter()
        .filter(|e| !e.trailing.is_empty())
    {
        let mut d = Decoder::new(Side::Python);
        for l in &ex.replies {
            d.feed(l);
            d.feed(b"\n");
        }
        d.feed(&ex.trailing);
        assert_eq!(
            d.next(),
            Ok(Some(Incoming::Reply(Reply::VOID))),
            "{}",
            ex.name()
        );
        assert_eq!(d.take_buffered(), ex.trailing);
        seen += 1;
    }
    assert_eq!(seen, 1);
}

/// Facts of the captures that the engine author relies on (testdata/README.md).
#[test]
fn captured_facts() {
    let all = transcript::all();
    for ex in &all {
        let fatal = ex.replies.iter().position(|l| l.starts_with(b"!z"));
        if let Some(i) = fatal {
            // A fatal reply is the last thing on the connection, and Java closes it.
            assert_eq!(i, ex.replies.len() - 1, "{}", ex.name());
            assert!(matches!(ex.end, End::Closed | End::Reset), "{}", ex.name());
        }
        if ex.kind == Kind::Gateway
            && ex
                .replies
                .iter()
                .any(|l| l.starts_with(b"!xsAuthentication error"))
        {
            assert_eq!(ex.end, End::Reset, "{}", ex.name());
        }
    }
    let reply = |label: &str| -> (&Exchange, Vec<String>) {
        let ex = all
            .iter()
            .find(|e| e.label == label)
            .unwrap_or_else(|| panic!("no exchange {label}"));
        (ex, ex.replies.iter().map(|l| show(l)).collect())
    };
    // `q` is an unknown command: fatal reply, then a reset.
    let (ex, lines) = reply("q line");
    assert!(lines[0].starts_with("!zspy4j.Py4JException: Unknown command received: q\\n"));
    assert_eq!(ex.end, End::Reset);
    // `m a` is unknown to Java: an error naming it, and the rest of the lines become commands.
    let (_, lines) = reply("m a (Python defines it; is it known?)");
    assert_eq!(lines[0], "!xsUnknown Memory SubCommand Name: a");
    // `m d` answers OK even for an id that was never bound.
    assert_eq!(reply("m d of an unknown id").1, ["!yv"]);
    // `s`hutdown and `z` (cancel) get no reply.
    let (ex, lines) =
        reply("z with the victim's client port and a local port that matches nothing");
    assert!(lines.is_empty() && ex.end == End::Silent);
    // `s`: no reply, the sender's connection and the others are closed.
    let (ex, lines) = reply("s alone, as py4j sends it");
    assert!(lines.is_empty() && ex.end == End::Closed);
    let (ex, lines) = reply("the other client after the shutdown");
    assert!(lines.is_empty() && ex.end == End::Closed);
    // Extra lines: Java answers the command it read, then takes the next line as a command.
    let (_, lines) = reply("extra e after a complete command");
    assert_eq!(lines[0], "!yspong");
    assert!(lines[1].starts_with("!zspy4j.Py4JException: Unknown command received: e\\n"));
    // With a token, `A` needs no `e` line (and an `e` after it is an unknown command).
    assert_eq!(reply("A, as py4j sends it (no e line)").1, ["!yv"]);
    // The callback client's `A` has an `e` line.
    assert!(
        all.iter()
            .any(|e| e.kind == Kind::Callback && e.sent == b"A\ns3cret\ne\n")
    );
    // Every callback command decodes on the Python side as a callback, never as a command.
    for ex in all.iter().filter(|e| e.kind == Kind::Callback) {
        let (msgs, err) = decode_all(Side::Python, &ex.sent);
        assert!(err.is_none() && msgs.iter().all(|m| matches!(m, Incoming::Callback(_))));
    }
    // Each decoded message equals itself under the comparison used for round trips.
    assert!(same(
        &Incoming::Reply(Reply::Success(Value::Double(f64::NAN))),
        &Incoming::Reply(Reply::Success(Value::Double(f64::NAN)))
    ));
}
