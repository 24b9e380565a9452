//! Negotiation and protocol v2 against the in-process gateway: the hello line, the fall back to
//! v1 on a Py4J-like gateway (remembered: only the first socket probes), frames with request ids,
//! releases as one notice, cancel by key (Unix sockets included), streams, pipelining and large
//! replies received into the caller's buffer.

mod common;

use std::any::Any;
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{FakeGateway, cancel_key};
use ferry_client::wire::{self, op, tag};
use ferry_client::{
    Client, ClientError, Config, Endpoint, Options, Placed, Placer, Protocol, ProtocolChoice,
    ReplyFrame,
};
use ferry_protocol::binary::{FrameHeader, FrameKind};
use ferry_protocol::{CallTarget, Command, Elem, Reply, Value};

fn config(g: &FakeGateway) -> Config {
    Config::new(Endpoint::tcp("127.0.0.1", g.port))
}

fn abs(v: i32) -> Command {
    Command::Call {
        target: CallTarget::Static("java.lang.Math".into()),
        method: "abs".into(),
        args: vec![Value::Int(v)],
    }
}

fn text(cmd: &Command) -> Vec<u8> {
    let mut out = Vec::new();
    ferry_protocol::text::encode_command(cmd, &mut out);
    out
}

fn frame(cmd: &Command) -> Vec<u8> {
    let mut out = Vec::new();
    ferry_protocol::binary::encode_command(cmd, 0, &mut out);
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
fn a_py4j_gateway_refuses_the_hello_once_and_the_client_speaks_v1() {
    let g = FakeGateway::start(None);
    let c = Client::new(config(&g));
    assert_eq!(c.protocol(), None);
    assert_eq!(
        c.send(&abs(-5)).unwrap().reply,
        Reply::Success(Value::Int(5))
    );
    assert_eq!(c.protocol(), Some(Protocol::V1));
    assert_eq!(g.hellos.load(Ordering::SeqCst), 1);
    // Concurrent callers open more connections: none of them probes again.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                c.send(&Command::Call {
                    target: CallTarget::Object("o1".into()),
                    method: "sleep".into(),
                    args: vec![Value::Int(50)],
                })
                .unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(g.hellos.load(Ordering::SeqCst), 1);
    let s = c.stats();
    assert_eq!(s.refused_hellos, 1);
    assert_eq!(s.protocol, 1);
    assert_eq!(s.frames, 0);
    // Four v1 connections (the refused probe's socket is counted in refused_hellos).
    assert_eq!(s.connections_opened, 4);
    let per = c.connection_stats();
    assert_eq!(per.len(), 4);
    assert!(per.iter().all(|p| p.protocol == 1), "{per:?}");
    assert!(
        !g.commands()
            .iter()
            .any(|(_, cmd)| matches!(cmd, Command::Release { .. }))
    );
}

#[test]
fn concurrent_first_connections_probe_once() {
    let g = FakeGateway::start(None);
    let c = Client::new(config(&g));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || c.send(&abs(-1)).unwrap())
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().reply, Reply::Success(Value::Int(1)));
    }
    assert_eq!(g.hellos.load(Ordering::SeqCst), 1);
}

#[test]
fn a_ferry_gateway_gets_frames() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    assert_eq!(c.negotiate().unwrap(), Protocol::V2);
    let r = c.send(&abs(-7)).unwrap();
    assert_eq!(r.reply, Reply::Success(Value::Int(7)));
    assert_eq!(r.raw, None);
    let s = c.stats();
    assert_eq!((s.commands, s.round_trips, s.frames), (1, 1, 1));
    assert_eq!(
        (s.protocol, s.refused_hellos, s.connections_opened),
        (2, 0, 1)
    );
    assert_eq!(c.connection_stats()[0].protocol, 2);
    assert_eq!(g.commands(), vec![(0, abs(-7))]);
    // Raw text, for py4j's send_command, is the text v1 would have carried.
    let echo = Command::Call {
        target: CallTarget::Object("o1".into()),
        method: "echo".into(),
        args: vec![],
    };
    let r = c
        .request(
            &text(&echo),
            Options {
                raw: true,
                retry: true,
            },
            &mut || false,
        )
        .unwrap();
    assert_eq!(r.raw.as_deref(), Some("ysline\\nback\\\\slash"));
    let boom = Command::Call {
        target: CallTarget::Object("o1".into()),
        method: "boom".into(),
        args: vec![],
    };
    let r = c.send(&boom).unwrap();
    assert_eq!(r.raw.as_deref(), Some("xro99"));
}

#[test]
fn v2_required_on_a_py4j_gateway_is_a_clear_error() {
    let g = FakeGateway::start(None);
    let c = Client::new(config(&g).with_protocol(ProtocolChoice::V2));
    let err = c.send(&abs(1)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ClientError::Protocol { .. }), "{err:?}");
    assert!(
        text.contains("does not speak ferry's protocol v2"),
        "{text}"
    );
    assert!(text.contains("Unknown command received"), "{text}");
}

#[test]
fn v1_forced_never_sends_the_hello() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g).with_protocol(ProtocolChoice::V1));
    c.send(&abs(1)).unwrap();
    assert_eq!(g.hellos.load(Ordering::SeqCst), 0);
    assert_eq!(c.connection_stats()[0].protocol, 1);
}

#[test]
fn the_token_rides_with_the_hello() {
    let g = FakeGateway::start_v2(Some("s3cr\net"));
    let c = Client::new(config(&g).with_auth_token("s3cr\net"));
    assert_eq!(
        c.send(&abs(-1)).unwrap().reply,
        Reply::Success(Value::Int(1))
    );
    assert_eq!(
        g.commands()[0].1,
        Command::Auth {
            token: "s3cr\net".into()
        }
    );
    assert_eq!(c.protocol(), Some(Protocol::V2));
    let bad = Client::new(config(&g).with_auth_token("nope"));
    let err = bad.send(&abs(-1)).unwrap_err();
    assert!(matches!(err, ClientError::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("bad auth token"), "{err}");
    // A v1 gateway with a token: the hello is refused before the token, v1 authenticates.
    let g1 = FakeGateway::start(Some("tok"));
    let c1 = Client::new(config(&g1).with_auth_token("tok"));
    assert_eq!(
        c1.send(&abs(-2)).unwrap().reply,
        Reply::Success(Value::Int(2))
    );
    assert_eq!(c1.protocol(), Some(Protocol::V1));
}

#[test]
fn releases_travel_as_one_notice_before_the_next_request() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    c.send(&abs(1)).unwrap();
    for i in 0..10 {
        drop(c.retain(&format!("o{i}")));
    }
    let before = c.stats();
    c.send(&abs(2)).unwrap();
    let after = c.stats();
    assert_eq!(after.round_trips - before.round_trips, 1);
    assert_eq!(after.frames - before.frames, 2, "one notice and the call");
    assert_eq!(after.releases - before.releases, 10);
    assert_eq!(after.commands - before.commands, 11);
    let cmds = g.commands();
    let n = cmds.len();
    assert_eq!(
        cmds[n - 2].1,
        Command::Release {
            ids: (0..10).map(|i| format!("o{i}")).collect()
        }
    );
    assert_eq!(cmds[n - 1].1, abs(2));
}

#[test]
fn flushing_waits_for_the_gateway() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    c.send(&abs(1)).unwrap();
    for i in 0..3 {
        drop(c.retain(&format!("o{i}")));
    }
    c.flush_releases().unwrap();
    let cmds: Vec<Command> = g.commands().into_iter().map(|(_, c)| c).collect();
    assert_eq!(
        &cmds[1..],
        &[
            Command::Release {
                ids: vec!["o0".into(), "o1".into()]
            },
            Command::MemoryDelete { id: "o2".into() }
        ]
    );
    assert_eq!(c.stats().releases, 3);
    assert_eq!(c.stats().pending_releases, 0);
}

fn cancel_test(c: &Client, g: &FakeGateway) {
    let start = Instant::now();
    let sleep = Command::Call {
        target: CallTarget::Object("o1".into()),
        method: "sleep".into(),
        args: vec![Value::Int(5000)],
    };
    let err = c
        .request(&text(&sleep), Options::default(), &mut || {
            start.elapsed() > Duration::from_millis(100)
        })
        .unwrap_err();
    assert!(matches!(err, ClientError::Interrupted), "{err:?}");
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
    assert_eq!(
        *cancel,
        Command::Cancel {
            address: "key".into(),
            remote_port: format!("{:x}", cancel_key(0)),
            local_port: "-1".into(),
        }
    );
    assert_eq!(
        c.send(&abs(-3)).unwrap().reply,
        Reply::Success(Value::Int(3))
    );
}

#[test]
fn an_interrupt_cancels_by_the_hello_s_key() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    cancel_test(&c, &g);
}

#[test]
fn unix_sockets_cancel_by_key_too() {
    let dir = std::env::temp_dir().join(format!("ferry-client-v2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.sock");
    let _ = std::fs::remove_file(&path);
    let g = FakeGateway::start_unix(&path, true);
    let c = Client::new(Config::new(Endpoint::from_address(
        path.to_str().unwrap(),
        0,
    )));
    cancel_test(&c, &g);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_read_timeout_ends_the_wait_and_cancels() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g).with_read_timeout(Duration::from_millis(200)));
    c.send(&abs(1)).unwrap();
    let err = c
        .send(&Command::Call {
            target: CallTarget::Object("o1".into()),
            method: "sleep".into(),
            args: vec![Value::Int(3000)],
        })
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(wait_for(|| g.commands().iter().any(
        |(_, cmd)| matches!(cmd, Command::Cancel { address, .. } if address == "key")
    )));
}

#[test]
fn a_stream_s_bytes_come_in_the_reply() {
    use std::io::Read;
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    let cmd = text(&Command::Stream {
        target: CallTarget::Object("o1".into()),
        method: "channel".into(),
        args: vec![],
    });
    let (r, reader) = c.request_stream(&cmd, &mut || false).unwrap();
    assert_eq!(r.reply, Reply::VOID);
    assert_eq!(r.raw.as_deref(), Some("yv"));
    let mut bytes = Vec::new();
    reader.unwrap().read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, b"hello stream");
    assert_eq!(c.stats().idle_connections, 1, "the connection went back");
}

#[test]
fn pipelined_frames_get_their_replies_in_order() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    let mut batch = Vec::new();
    for v in 0..300 {
        batch.extend_from_slice(&frame(&abs(-v)));
    }
    let mut lease = c.lease().unwrap();
    assert_eq!(lease.protocol(), Protocol::V2);
    let mut replies = Vec::new();
    lease
        .request_frames(
            &mut batch,
            300,
            Options::default(),
            &mut || false,
            None,
            &mut |f| replies.push(f),
        )
        .unwrap();
    drop(lease);
    assert_eq!(replies.len(), 300);
    for (v, r) in replies.iter().enumerate() {
        assert_eq!(r.id, v as u32 + 1);
        assert_eq!(r.decode().unwrap(), Reply::Success(Value::Int(v as i32)));
    }
    assert_eq!(c.stats().round_trips, 1);
    // Text commands pipelined are transcoded, and answered in order too.
    let mut text_batch = Vec::new();
    for v in 0..50 {
        text_batch.extend_from_slice(&text(&abs(-v)));
    }
    let replies = c.request_many(&text_batch, 50, &mut || false).unwrap();
    for (v, r) in replies.iter().enumerate() {
        assert_eq!(r.reply, Reply::Success(Value::Int(v as i32)));
    }
}

#[test]
fn values_written_with_the_wire_helpers_reach_the_gateway() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    let mut out = Vec::new();
    let at = wire::begin_frame(&mut out, FrameKind::Request, op::CALL);
    out.push(0);
    wire::put_str(&mut out, "o1");
    wire::put_str(&mut out, "args");
    wire::put_u16(&mut out, 2);
    out.push(tag::TYPED_LIST);
    out.push(Elem::Long.code());
    wire::put_u32(&mut out, 3);
    wire::pad8(&mut out, wire::body_start(at));
    for v in [i64::MIN, 0, i64::MAX] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(tag::STRING);
    wire::put_str(&mut out, "héllo");
    wire::finish_frame(&mut out, at);
    let mut lease = c.lease().unwrap();
    let mut got = None;
    lease
        .request_frames(
            &mut out,
            1,
            Options::default(),
            &mut || false,
            None,
            &mut |f| got = Some(f),
        )
        .unwrap();
    let reply = got.unwrap().decode().unwrap();
    assert_eq!(
        reply,
        Reply::Success(Value::List(vec![
            Value::TypedList(ferry_protocol::Prims::from_i64(&[i64::MIN, 0, i64::MAX])),
            Value::String("héllo".into()),
        ]))
    );
}

/// Starts uninitialised, as a placed buffer may.
struct Doubles(Vec<MaybeUninit<u8>>);

impl Placed for Doubles {
    fn spare(&mut self) -> &mut [MaybeUninit<u8>] {
        &mut self.0
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// Places the raw elements of a reply that is one primitive array.
struct ArrayPlacer {
    asked: usize,
}

impl Placer for ArrayPlacer {
    fn place(
        &mut self,
        header: &FrameHeader,
        head: &[u8],
        body_len: usize,
    ) -> Option<(usize, Box<dyn Placed>)> {
        self.asked += 1;
        if header.op != op::SUCCESS || head[0] != tag::ARRAY {
            return None;
        }
        let n = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
        (8 + n * 8 == body_len).then(|| {
            (
                8,
                Box::new(Doubles(vec![MaybeUninit::uninit(); n * 8])) as Box<dyn Placed>,
            )
        })
    }
}

#[test]
fn a_large_reply_is_received_into_the_caller_s_buffer() {
    let g = FakeGateway::start_v2(None);
    let c = Client::new(config(&g));
    let n = 300_000;
    let mut req = frame(&Command::Call {
        target: CallTarget::Object("o1".into()),
        method: "bigArray".into(),
        args: vec![Value::Int(n)],
    });
    let mut placer = ArrayPlacer { asked: 0 };
    let mut got: Option<ReplyFrame> = None;
    let mut lease = c.lease().unwrap();
    lease
        .request_frames(
            &mut req,
            1,
            Options::default(),
            &mut || false,
            Some(&mut placer),
            &mut |f| got = Some(f),
        )
        .unwrap();
    let f = got.unwrap();
    assert_eq!(placer.asked, 1);
    assert_eq!(f.body.len(), 8, "the tag, element type, count and padding");
    let placed = f.placed.unwrap().into_any().downcast::<Doubles>().unwrap();
    // SAFETY: the reader wrote every byte of a placed buffer before returning its frame.
    let bytes: Vec<u8> = placed
        .0
        .iter()
        .map(|b| unsafe { b.assume_init() })
        .collect();
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(values.len(), n as usize);
    assert!(values.iter().enumerate().all(|(i, v)| *v == i as f64 * 0.5));
}
