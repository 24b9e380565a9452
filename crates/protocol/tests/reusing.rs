//! Decoding with reused strings: a connection that gives its commands' strings back decodes the
//! next calls into those buffers, and gets exactly the commands plain decoding gives.

use ferry_protocol::binary::{
    FrameDecoder, decode_command, decode_command_reusing, encode_command,
};
use ferry_protocol::text::{Decoder, Incoming, Side};
use ferry_protocol::{CallTarget, Command, Value};

fn buffers(n: usize) -> (Vec<String>, Vec<*const u8>) {
    let pool: Vec<String> = (0..n).map(|_| String::with_capacity(64)).collect();
    let ptrs = pool.iter().map(|s| s.as_ptr()).collect();
    (pool, ptrs)
}

fn call_strings(cmd: &Command) -> (&str, &str) {
    match cmd {
        Command::Call {
            target: CallTarget::Object(t) | CallTarget::Static(t),
            method,
            ..
        } => (t, method),
        other => panic!("not a call: {other:?}"),
    }
}

const CALLS: &[u8] = b"c\no12\nlength\ne\nc\nz:java.lang.Math\nabs\ni-5\ne\nc\no3\nx\ne\n";

#[test]
fn text_calls_are_decoded_into_given_back_strings() {
    let mut plain = Decoder::new(Side::Java);
    plain.feed(CALLS);
    let mut reusing = Decoder::new(Side::Java);
    reusing.feed(CALLS);
    // Two calls' worth of buffers: the third call allocates, as plain decoding does.
    let (mut pool, ptrs) = buffers(4);
    for i in 0..3 {
        let Some(Incoming::Command(expected)) = plain.next().unwrap() else {
            panic!("no command")
        };
        let Some(Incoming::Command(got)) = reusing.next_reusing(&mut pool).unwrap() else {
            panic!("no command")
        };
        assert_eq!(got, expected);
        let (t, m) = call_strings(&got);
        assert_eq!(ptrs.contains(&t.as_ptr()), i < 2, "call {i}'s target");
        assert_eq!(ptrs.contains(&m.as_ptr()), i < 2, "call {i}'s method");
    }
    assert!(pool.is_empty());
    assert!(reusing.next_reusing(&mut pool).unwrap().is_none());
}

#[test]
fn binary_calls_are_decoded_into_given_back_strings() {
    let cmd = Command::Call {
        target: CallTarget::Object("o12".into()),
        method: "append".into(),
        args: vec![Value::String("text".into()), Value::Int(3)],
    };
    let mut frame = Vec::new();
    encode_command(&cmd, 1, &mut frame);
    let mut frames = FrameDecoder::new();
    frames.feed(&frame);
    let Some((header, body)) = frames.next_frame().unwrap() else {
        panic!("no frame")
    };
    let body = body.bytes();
    let (mut pool, ptrs) = buffers(3);
    let got = decode_command_reusing(&header, body, &mut pool).unwrap();
    assert_eq!(got, decode_command(&header, body).unwrap());
    assert_eq!(got, cmd);
    let (t, m) = call_strings(&got);
    assert!(ptrs.contains(&t.as_ptr()) && ptrs.contains(&m.as_ptr()));
}
