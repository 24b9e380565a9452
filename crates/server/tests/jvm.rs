//! Engine and server against a real JVM (see common/mod.rs).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
mod common;

use common::{engine, env};
use ferry_engine::jni_raw::{Env, Global, JType, JValue};
use ferry_engine::{Engine, Outcome};
use ferry_protocol::text::{Decoder, Incoming, Side, encode_reply};
use ferry_protocol::{Command, Reply, Value};
use ferry_server::{Server, ServerConfig};

/// Decodes a command as the server would.
fn cmd(text: &str) -> Command {
    let mut d = Decoder::new(Side::Java);
    d.feed(text.as_bytes());
    match d.next().unwrap().unwrap() {
        Incoming::Command(c) => c,
        other => panic!("not a command: {other:?}"),
    }
}

fn run(engine: &Engine, env: &Env, text: &str) -> String {
    match engine.execute(env, cmd(text)) {
        Outcome::Reply(r) => {
            let mut out = Vec::new();
            encode_reply(&r, Side::Java, &mut out);
            String::from_utf8(out).unwrap()
        }
        other => format!("{other:?}"),
    }
}

#[test]
fn static_calls_pick_py4j_overloads() {
    let env = env();
    let e = engine(&env);
    assert_eq!(
        run(&e, &env, "c\nz:java.lang.Math\nmax\ni3\ni7\ne\n"),
        "!yi7\n"
    );
    assert_eq!(
        run(&e, &env, "c\nz:java.lang.Math\nmax\nL3\nL7\ne\n"),
        "!yL7\n"
    );
    assert_eq!(
        run(&e, &env, "c\nz:java.lang.Math\nmax\nd3.5\nd7.25\ne\n"),
        "!yd7.25\n"
    );
    assert_eq!(
        run(&e, &env, "c\nz:java.lang.Math\nabs\ni-5\ne\n"),
        "!yi5\n"
    );
    assert_eq!(
        run(&e, &env, "c\nz:java.lang.String\nvalueOf\nbTrue\ne\n"),
        "!ystrue\n"
    );
    // Py4J rejects a mix of double and int; ferry's second phase accepts it (int widened).
    assert_eq!(
        run(&e, &env, "c\nz:java.lang.Math\nmax\nd3\ni7\ne\n"),
        "!yd7.0\n"
    );
    // int -> double, which Py4J rejects: phase two.
    assert_eq!(
        run(&e, &env, "c\nz:java.lang.Math\nsqrt\ni4\ne\n"),
        "!yd2.0\n"
    );
}

#[test]
fn instance_calls_and_references() {
    let env = env();
    let e = engine(&env);
    assert_eq!(run(&e, &env, "c\nt\ntoString\ne\n"), "!ysentry\n");
    let r = run(&e, &env, "i\njava.lang.StringBuilder\nsabc\ne\n");
    assert!(r.starts_with("!yro"), "{r}");
    let id = r.trim_end()[3..].to_owned();
    let r2 = run(&e, &env, &format!("c\n{id}\nappend\nd1.5\ne\n"));
    assert!(r2.starts_with("!yro"), "{r2}");
    assert_eq!(
        run(&e, &env, &format!("c\n{id}\ntoString\ne\n")),
        "!ysabc1.5\n"
    );
    assert_eq!(run(&e, &env, &format!("c\n{id}\nlength\ne\n")), "!yi6\n");
    // A char return is a one-character string.
    assert_eq!(
        run(&e, &env, &format!("c\n{id}\ncharAt\ni1\ne\n")),
        "!ysb\n"
    );
    assert_eq!(run(&e, &env, &format!("m\nd\n{id}\ne\n")), "!yv\n");
    let gone = run(&e, &env, &format!("c\n{id}\nlength\ne\n"));
    assert!(gone.starts_with("!xs"), "{gone}");
}

#[test]
fn collections_come_back_with_their_kind() {
    let env = env();
    let e = engine(&env);
    let l = run(&e, &env, "i\njava.util.ArrayList\ne\n");
    assert!(l.starts_with("!ylo"), "{l}");
    let id = l.trim_end()[3..].to_owned();
    assert_eq!(
        run(&e, &env, &format!("c\n{id}\nadd\ns\\nhello\\\\world\ne\n")),
        "!ybtrue\n"
    );
    assert_eq!(
        run(&e, &env, &format!("c\n{id}\nget\ni0\ne\n")),
        "!ys\\nhello\\\\world\n"
    );
    assert!(run(&e, &env, &format!("c\n{id}\niterator\ne\n")).starts_with("!ygo"));
    assert!(run(&e, &env, "i\njava.util.HashMap\ne\n").starts_with("!yao"));
    assert!(run(&e, &env, "i\njava.util.HashSet\ne\n").starts_with("!yho"));
    assert!(run(&e, &env, "a\nc\nsint\ni3\ne\n").starts_with("!yto"));
}

#[test]
fn thrown_exceptions_are_held_and_traced() {
    let env = env();
    let e = engine(&env);
    let r = run(&e, &env, "c\nz:java.lang.Integer\nparseInt\nsabc\ne\n");
    assert!(r.starts_with("!xro"), "{r}");
    let id = r.trim_end()[3..].to_owned();
    let trace = run(&e, &env, &format!("p\nr{id}\ne\n"));
    assert!(
        trace.starts_with("!ysjava.lang.NumberFormatException: For input string: \"abc\""),
        "{trace}"
    );
    let none = run(&e, &env, "c\nz:java.lang.Math\nmax\nsa\nsb\ne\n");
    assert!(none.starts_with("!xs"), "{none}");
    assert!(
        none.contains(
            "Method max([class java.lang.String, class java.lang.String]) does not exist"
        ),
        "{none}"
    );
}

#[test]
fn reflection_answers() {
    let env = env();
    let e = engine(&env);
    assert_eq!(run(&e, &env, "r\nu\njava\nrj\ne\n"), "!yp\n");
    assert_eq!(
        run(&e, &env, "r\nu\nString\nrj\ne\n"),
        "!ycjava.lang.String\n"
    );
    assert_eq!(run(&e, &env, "r\nu\nint\nrj\ne\n"), "!ycint\n");
    assert_eq!(
        run(&e, &env, "r\nm\njava.lang.Integer\nMAX_VALUE\ne\n"),
        "!yi2147483647\n"
    );
    assert_eq!(
        run(&e, &env, "r\nm\njava.lang.Integer\nparseInt\ne\n"),
        "!ym\n"
    );
    assert_eq!(run(&e, &env, "r\nm\njava.util.Map\nEntry\ne\n"), "!yc\n");
    // Py4J answers an error here (the first isNaN it sees is the instance one); ferry does not.
    assert_eq!(run(&e, &env, "r\nm\njava.lang.Double\nisNaN\ne\n"), "!ym\n");
    assert_eq!(run(&e, &env, "j\ni\nrj\njava.util.*\ne\n"), "!yv\n");
    assert_eq!(
        run(&e, &env, "r\nu\nArrayList\nrj\ne\n"),
        "!ycjava.util.ArrayList\n"
    );
    assert!(run(&e, &env, "r\nc\njava.lang.String\ne\n").starts_with("!yro"));
}

#[test]
fn arrays() {
    let env = env();
    let e = engine(&env);
    let r = run(&e, &env, "a\nc\nsdouble\ni3\ne\n");
    let id = r.trim_end()[3..].to_owned();
    assert_eq!(run(&e, &env, &format!("a\ns\n{id}\ni1\ni7\ne\n")), "!yv\n");
    assert_eq!(run(&e, &env, &format!("a\ng\n{id}\ni1\ne\n")), "!yd7.0\n");
    assert_eq!(run(&e, &env, &format!("a\ne\n{id}\ne\n")), "!yi3\n");
    let s = run(&e, &env, &format!("a\nl\n{id}\ni1\ni2\ne\n"));
    let sid = s.trim_end()[3..].to_owned();
    assert_eq!(run(&e, &env, &format!("a\ng\n{sid}\ni0\ne\n")), "!yd7.0\n");
}

#[test]
fn server_answers_a_raw_socket_and_survives_bad_input() {
    let env = env();
    let e = engine(&env);
    let config = ServerConfig {
        port: 0,
        ..ServerConfig::default()
    };
    let server = Server::start(&env, e, config).unwrap();
    let port = server.port();
    let talk = |lines: &str| -> (String, bool) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(lines.as_bytes()).unwrap();
        let mut r = BufReader::new(s);
        let mut reply = String::new();
        r.read_line(&mut reply).unwrap();
        let mut rest = String::new();
        let closed = r.read_line(&mut rest).map(|n| n == 0).unwrap_or(true);
        (reply, closed)
    };
    let (r, closed) = talk("X\n");
    assert!(r.starts_with("!zs"), "{r}");
    assert!(closed);
    let (r, closed) = talk("c\nz:java.lang.Math\nmax\niabc\ne\n");
    assert!(r.starts_with("!zs"), "{r}");
    assert!(closed);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"c\no999\nfoo\ne\nc\nz:java.lang.Math\nabs\ni-2\ne\n")
        .unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut a = String::new();
    r.read_line(&mut a).unwrap();
    assert!(a.starts_with("!xs"), "{a}");
    let mut b = String::new();
    r.read_line(&mut b).unwrap();
    assert_eq!(b, "!yi2\n");
    server.shutdown();
    assert!(server.wait_timeout(std::time::Duration::from_secs(5)));
}

#[test]
fn bindings_snapshot_counts_live_references() {
    let env = env();
    let e = engine(&env);
    let before = e.registry().len();
    let r = run(&e, &env, "i\njava.lang.Object\ne\n");
    assert_eq!(e.registry().len(), before + 1);
    let map: Global = env
        .with_frame(4, |env| {
            env.new_global(e.bindings_map(env).unwrap()).unwrap()
        })
        .unwrap();
    let size = env
        .with_frame(4, |env| {
            let cls = env.object_class(map.local());
            let mid = env.method_id(cls, c"size", c"()I").unwrap();
            // SAFETY: Map.size() on a HashMap.
            match unsafe { env.call_method(map.local(), mid, JType::Int, &[]) }.unwrap() {
                JValue::Int(i) => i as usize,
                _ => 0,
            }
        })
        .unwrap();
    assert_eq!(size, before + 1);
    let id = r.trim_end()[3..].to_owned();
    run(&e, &env, &format!("m\nd\n{id}\ne\n"));
    assert_eq!(e.registry().len(), before);
    let _ = Reply::VOID;
    let _ = Value::Null;
}

#[test]
fn held_objects_are_called_without_their_id() {
    let env = env();
    let e = engine(&env);
    let r = run(&e, &env, "i\njava.lang.StringBuilder\nsabc\ne\n");
    let id = r.trim_end()[3..].to_owned();
    let entry = e.held(&id).expect("held");
    let reply = env
        .with_frame(8, |env| e.call_held(env, &entry, "length", &[]))
        .unwrap();
    assert_eq!(reply, Reply::Success(Value::Int(3)));
    let reply = env
        .with_frame(8, |env| e.call_held(env, &entry, "nosuch", &[]))
        .unwrap();
    assert!(reply.is_error());
    if std::env::var_os("FERRY_MEASURE").is_some() {
        let n = 1_000_000;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let _ = env.with_frame(8, |env| e.call_held(env, &entry, "length", &[]));
        }
        eprintln!("call_held: {:?} per call", t.elapsed() / n);
    }
}
