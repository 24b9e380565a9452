//! Panics on purpose inside each boundary (fault points): the other side sees an error, never a
//! crash. Its own test process, so armed points cannot fire in unrelated tests.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use common::{engine, env};
use ferry_engine::jni_raw::{JType, JValue};
use ferry_server::{Server, ServerConfig};

#[test]
fn a_panic_in_the_engine_is_an_error_reply_and_the_connection_goes_on() {
    let env = env();
    let e = engine(&env);
    let server = Server::start(
        &env,
        e,
        ServerConfig {
            port: 0,
            ..ServerConfig::default()
        },
    )
    .unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    ferry_engine::fault::arm("engine.execute");
    s.write_all(b"c\nz:java.lang.Math\nabs\ni-2\ne\n").unwrap();
    let mut a = String::new();
    r.read_line(&mut a).unwrap();
    assert!(a.starts_with("!xs") && a.contains("internal error"), "{a}");
    s.write_all(b"c\nz:java.lang.Math\nabs\ni-2\ne\n").unwrap();
    let mut b = String::new();
    r.read_line(&mut b).unwrap();
    assert_eq!(b, "!yi2\n");
    server.shutdown();
}

#[test]
fn a_panic_in_a_native_method_is_a_java_exception() {
    let env = env();
    ferry_engine::fault::arm("natives.ping");
    let outcome = env
        .with_frame(8, |env| {
            let cls = env.find_class(c"ferry/Native").unwrap();
            let mid = env.static_method_id(cls, c"ping", c"()I").unwrap();
            // SAFETY: Native.ping() is static, takes nothing and returns an int.
            unsafe { env.call_static(cls, mid, JType::Int, &[]) }
        })
        .unwrap();
    match outcome {
        Err(ferry_engine::jni_raw::JniError::Thrown(_)) => {}
        other => panic!("expected a Java exception, got {other:?}"),
    }
    // The method works again once the fault has fired.
    let again = env
        .with_frame(8, |env| {
            let cls = env.find_class(c"ferry/Native").unwrap();
            let mid = env.static_method_id(cls, c"ping", c"()I").unwrap();
            // SAFETY: as above.
            unsafe { env.call_static(cls, mid, JType::Int, &[]) }
        })
        .unwrap();
    assert!(matches!(again, Ok(JValue::Int(1))));
}
