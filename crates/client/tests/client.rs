//! The client against a small in-process gateway that speaks Py4J's text protocol only (the
//! clients here are told to speak v1; tests/v2.rs has the negotiation and protocol v2).

mod common;

use std::time::{Duration, Instant};

use common::FakeGateway;
use ferry_client::{Client, ClientError, Config, Endpoint, Options, ProtocolChoice, When};
use ferry_protocol::{CallTarget, Command, RefKind, Reply, Value};

fn config(g: &FakeGateway) -> Config {
    Config::new(Endpoint::tcp("127.0.0.1", g.port)).with_protocol(ProtocolChoice::V1)
}

fn client(g: &FakeGateway) -> Client {
    Client::new(config(g))
}

fn abs(v: i32) -> Command {
    Command::Call {
        target: CallTarget::Static("java.lang.Math".into()),
        method: "abs".into(),
        args: vec![Value::Int(v)],
    }
}

fn call(method: &str, args: Vec<Value>) -> Command {
    Command::Call {
        target: CallTarget::Object("o1".into()),
        method: method.into(),
        args,
    }
}

fn encoded(cmd: &Command) -> Vec<u8> {
    let mut out = Vec::new();
    ferry_protocol::text::encode_command(cmd, &mut out);
    out
}

fn wait_for(mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[test]
fn a_call_is_one_command_and_one_round_trip() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let r = c.send(&abs(-5)).unwrap();
    assert_eq!(r.reply, Reply::Success(Value::Int(5)));
    assert_eq!(r.raw, None);
    let r = c.send(&abs(-7)).unwrap();
    assert_eq!(r.reply, Reply::Success(Value::Int(7)));
    let s = c.stats();
    assert_eq!((s.commands, s.round_trips, s.releases), (2, 2, 0));
    assert_eq!(s.connections_opened, 1);
    assert_eq!(c.connection_stats().len(), 1);
    assert_eq!(c.connection_stats()[0].commands, 2);
}

#[test]
fn raw_text_is_kept_for_errors_and_on_request() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let r = c.send(&call("boom", vec![])).unwrap();
    assert_eq!(
        r.reply,
        Reply::Error(Some(Value::Ref(RefKind::Object, "o99".into())))
    );
    assert_eq!(r.raw.as_deref(), Some("xro99"));
    let r = c
        .request(
            &encoded(&call("echo", vec![])),
            Options {
                raw: true,
                retry: true,
            },
            &mut || false,
        )
        .unwrap();
    assert_eq!(
        r.reply,
        Reply::Success(Value::String("line\nback\\slash".into()))
    );
    assert_eq!(r.raw.as_deref(), Some("ysline\\nback\\\\slash"));
}

#[test]
fn releases_ride_with_the_next_command() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    c.send(&abs(1)).unwrap();
    let a = c.retain("o7");
    let b = c.retain("o7");
    drop(a);
    assert_eq!(
        c.stats().pending_releases,
        0,
        "another handle still holds o7"
    );
    drop(b);
    assert_eq!(c.stats().pending_releases, 1);
    c.send(&abs(2)).unwrap();
    let cmds = g.commands();
    let n = cmds.len();
    assert_eq!(cmds[n - 2].1, Command::MemoryDelete { id: "o7".into() });
    assert_eq!(cmds[n - 1].1, abs(2));
    assert_eq!(cmds[n - 2].0, cmds[n - 1].0, "same connection, same write");
    let s = c.stats();
    assert_eq!((s.commands, s.releases, s.round_trips), (3, 1, 2));
}

#[test]
fn releases_are_flushed_by_the_background_thread() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    drop(c.retain("o3"));
    let start = Instant::now();
    assert!(wait_for(|| g.commands().iter().any(
        |(_, cmd)| *cmd == Command::MemoryDelete { id: "o3".into() }
    )));
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(wait_for(|| c.stats().pending_releases == 0));
}

#[test]
fn many_releases_go_in_batches() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let handles: Vec<_> = (0..3000).map(|i| c.retain(&format!("o{i}"))).collect();
    assert_eq!(c.stats().held_references, 3000);
    drop(handles);
    c.flush_releases().unwrap();
    assert!(wait_for(|| {
        g.commands()
            .iter()
            .filter(|(_, cmd)| matches!(cmd, Command::MemoryDelete { .. }))
            .count()
            == 3000
    }));
    let s = c.stats();
    assert_eq!(s.releases, 3000);
    assert!(s.round_trips < 20, "{s:?}");
    assert_eq!(s.held_references, 0);
}

#[test]
fn detach_releases_even_while_handles_live() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let h = c.retain("o5");
    c.detach("o5");
    c.flush_releases().unwrap();
    drop(h);
    c.flush_releases().unwrap();
    let n = g
        .commands()
        .iter()
        .filter(|(_, cmd)| *cmd == Command::MemoryDelete { id: "o5".into() })
        .count();
    assert_eq!(n, 1);
}

#[test]
fn permanent_ids_and_disabled_memory_management_release_nothing() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    drop(c.retain("t"));
    drop(c.retain("GATEWAY_SERVER"));
    assert_eq!(c.stats().pending_releases, 0);
    let mut cfg = Config::new(Endpoint::tcp("127.0.0.1", g.port));
    cfg.memory_management = false;
    let c = Client::new(cfg);
    drop(c.retain("o1"));
    assert_eq!(c.stats().pending_releases, 0);
}

#[test]
fn an_interrupt_cancels_the_call_on_a_fresh_connection() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let start = Instant::now();
    let req = encoded(&call("sleep", vec![Value::Int(5000)]));
    let err = c
        .request(&req, Options::default(), &mut || {
            start.elapsed() > Duration::from_millis(100)
        })
        .unwrap_err();
    assert!(matches!(err, ClientError::Interrupted), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(wait_for(|| g
        .commands()
        .iter()
        .any(|(_, cmd)| matches!(cmd, Command::Cancel { .. }))));
    let cmds = g.commands();
    let (conn, cancel) = cmds
        .iter()
        .find(|(_, cmd)| matches!(cmd, Command::Cancel { .. }))
        .unwrap();
    assert_ne!(*conn, 0, "sent on a fresh connection");
    match cancel {
        Command::Cancel {
            address,
            remote_port,
            local_port,
        } => {
            assert_eq!(address, "127.0.0.1");
            assert!(remote_port.parse::<u16>().is_ok());
            assert_eq!(local_port, "-1");
        }
        _ => unreachable!(),
    }
    // The interrupted connection was dropped, the client still works.
    assert_eq!(c.stats().idle_connections, 0);
    assert_eq!(
        c.send(&abs(-3)).unwrap().reply,
        Reply::Success(Value::Int(3))
    );
}

#[test]
fn the_read_timeout_ends_the_wait() {
    let g = FakeGateway::start(None);
    let c = Client::new(config(&g).with_read_timeout(Duration::from_millis(200)));
    let start = Instant::now();
    let err = c.send(&call("sleep", vec![Value::Int(3000)])).unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert_eq!(err.when(), When::OnReceive);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_secs(1),
        "{took:?}"
    );
}

#[test]
fn the_token_goes_first_on_every_connection() {
    let g = FakeGateway::start(Some("s3cr\net"));
    let c = Client::new(config(&g).with_auth_token("s3cr\net"));
    assert_eq!(
        c.send(&abs(-1)).unwrap().reply,
        Reply::Success(Value::Int(1))
    );
    let cmds = g.commands();
    assert_eq!(
        cmds[0].1,
        Command::Auth {
            token: "s3cr\net".into()
        }
    );
    let bad = Client::new(config(&g).with_auth_token("nope"));
    let err = bad.send(&abs(-1)).unwrap_err();
    assert!(matches!(err, ClientError::Auth { .. }), "{err:?}");
}

#[test]
fn a_gateway_that_is_gone_fails_at_once() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    c.send(&abs(1)).unwrap();
    g.stop();
    // The pooled connection still works against the running connection thread; a fresh client
    // cannot connect.
    let fresh = client(&g);
    let start = Instant::now();
    let err = fresh.send(&abs(1)).unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    assert!(err.is_gateway_gone());
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_connection_closed_mid_call_is_an_error_not_a_hang() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let err = c.send(&call("die", vec![])).unwrap_err();
    assert!(matches!(err, ClientError::Closed { .. }), "{err:?}");
    assert_eq!(err.when(), When::EmptyResponse);
}

#[test]
fn a_stale_pooled_connection_is_replaced_once() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    assert_eq!(
        c.send(&call("reply_then_close", vec![])).unwrap().reply,
        Reply::VOID
    );
    // The pooled connection is closed by the gateway: the next call retries on a new one.
    assert!(wait_for(|| g
        .connections
        .load(std::sync::atomic::Ordering::SeqCst)
        == 1));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        c.send(&abs(-4)).unwrap().reply,
        Reply::Success(Value::Int(4))
    );
    assert_eq!(c.stats().connections_opened, 2);
}

#[test]
fn threads_use_separate_connections() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                c.send(&call("sleep", vec![Value::Int(100)])).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(c.stats().connections_opened, 4);
    assert_eq!(c.stats().idle_connections, 4);
    assert_eq!(c.connection_stats().len(), 4);
}

#[test]
fn close_flushes_releases_and_the_client_reconnects() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    c.send(&abs(1)).unwrap();
    drop(c.retain("o8"));
    c.close();
    assert!(
        g.commands()
            .iter()
            .any(|(_, cmd)| *cmd == Command::MemoryDelete { id: "o8".into() })
    );
    assert_eq!(c.stats().idle_connections, 0);
    c.send(&abs(1)).unwrap();
    assert_eq!(c.stats().connections_opened, 2);
}

#[test]
fn shutdown_sends_s_and_disconnects() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    c.send(&abs(1)).unwrap();
    c.shutdown_server().unwrap();
    assert!(wait_for(|| g
        .commands()
        .iter()
        .any(|(_, cmd)| *cmd == Command::Shutdown)));
    assert!(!c.is_connected());
    assert!(matches!(c.send(&abs(1)), Err(ClientError::NotConnected)));
}

#[test]
fn unix_sockets_work() {
    let dir = std::env::temp_dir().join(format!("ferry-client-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.sock");
    let _ = std::fs::remove_file(&path);
    let g = FakeGateway::start_unix(&path, false);
    let c = Client::new(
        Config::new(Endpoint::from_address(path.to_str().unwrap(), 0))
            .with_protocol(ProtocolChoice::V1),
    );
    assert_eq!(
        c.send(&abs(-9)).unwrap().reply,
        Reply::Success(Value::Int(9))
    );
    drop(c.retain("o1"));
    c.flush_releases().unwrap();
    assert_eq!(g.commands().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stream_replies_hand_over_the_connection() {
    use std::io::Read;
    let g = FakeGateway::start(None);
    let c = client(&g);
    let cmd = encoded(&Command::Stream {
        target: CallTarget::Object("o1".into()),
        method: "channel".into(),
        args: vec![],
    });
    let (r, reader) = c.request_stream(&cmd, &mut || false).unwrap();
    assert_eq!(r.reply, Reply::VOID);
    let mut bytes = Vec::new();
    reader.unwrap().read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, b"hello stream");
    assert_eq!(
        c.stats().idle_connections,
        0,
        "a stream's connection is not pooled"
    );
}

#[test]
fn pipelined_commands_get_every_reply_in_order() {
    let g = FakeGateway::start(None);
    let c = client(&g);
    let mut batch = Vec::new();
    for v in 0..300 {
        batch.extend_from_slice(&encoded(&abs(-v)));
    }
    drop(c.retain("o1"));
    let replies = c.request_many(&batch, 300, &mut || false).unwrap();
    assert_eq!(replies.len(), 300);
    for (v, r) in replies.iter().enumerate() {
        assert_eq!(r.reply, Reply::Success(Value::Int(v as i32)));
    }
    let s = c.stats();
    assert_eq!((s.commands, s.releases, s.round_trips), (301, 1, 1));
    assert!(c.request_many(&[], 0, &mut || false).unwrap().is_empty());
}
