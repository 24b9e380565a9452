//! The server's transports and connection rules against a real JVM: Unix sockets, auth, cancel,
//! read timeouts, shutdown.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::{engine, env};
use ferry_server::{Server, ServerConfig};

fn start(config: ServerConfig) -> Server {
    let env = env();
    Server::start(&env, engine(&env), config).unwrap()
}

fn tcp(port: u16) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let r = BufReader::new(s.try_clone().unwrap());
    (s, r)
}

fn line(r: &mut impl BufRead) -> String {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    l
}

fn closed(r: &mut impl Read) -> bool {
    let mut b = [0u8; 1];
    matches!(r.read(&mut b), Ok(0) | Err(_))
}

#[test]
fn unix_socket_serves_like_tcp() {
    let dir = std::env::temp_dir().join(format!("ferry-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gw.sock");
    let server = start(ServerConfig {
        port: 0,
        unix_path: Some(path.clone()),
        ..ServerConfig::default()
    });
    let s = UnixStream::connect(&path).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    w.write_all(b"c\nz:java.lang.Math\nabs\ni-9\ne\n").unwrap();
    assert_eq!(line(&mut r), "!yi9\n");
    server.shutdown();
    assert!(!path.exists(), "the socket file is removed at shutdown");
}

#[test]
fn auth_first_or_nothing() {
    let server = start(ServerConfig {
        port: 0,
        auth_token: Some("s3cret".into()),
        ..ServerConfig::default()
    });
    // Another command first: refused and closed.
    let (mut s, mut r) = tcp(server.port());
    s.write_all(b"c\nz:java.lang.Math\nabs\ni-1\ne\n").unwrap();
    assert!(line(&mut r).starts_with("!xsAuthentication error"));
    assert!(closed(&mut r));
    // A wrong token: refused and closed.
    let (mut s, mut r) = tcp(server.port());
    s.write_all(b"A\nguess\n").unwrap();
    assert!(line(&mut r).starts_with("!xsAuthentication error"));
    assert!(closed(&mut r));
    // The right one, then calls.
    let (mut s, mut r) = tcp(server.port());
    s.write_all(b"A\ns3cret\nc\nz:java.lang.Math\nabs\ni-1\ne\n")
        .unwrap();
    assert_eq!(line(&mut r), "!yv\n");
    assert_eq!(line(&mut r), "!yi1\n");
    // A huge line before authenticating is cut short, not buffered.
    let (mut s, mut r) = tcp(server.port());
    let big = vec![b'x'; 200 * 1024];
    let _ = s.write_all(&big);
    let reply = line(&mut r);
    assert!(reply.starts_with("!zs"), "{reply}");
    server.shutdown();
}

#[test]
fn cancel_closes_the_busy_connection_of_the_same_client_only() {
    let server = start(ServerConfig {
        port: 0,
        ..ServerConfig::default()
    });
    let (mut busy, mut busy_r) = tcp(server.port());
    let (mut other, mut other_r) = tcp(server.port());
    let busy_port = busy.local_addr().unwrap().port();
    busy.write_all(b"c\nz:java.lang.Thread\nsleep\nL20000\ne\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let (mut canceller, _r) = tcp(server.port());
    canceller
        .write_all(format!("z\n127.0.0.1\n{busy_port}\n{}\n", server.port()).as_bytes())
        .unwrap();
    // The sleeping thread is interrupted: its reply is the InterruptedException, then EOF.
    let reply = line(&mut busy_r);
    assert!(reply.is_empty() || reply.starts_with("!x"), "{reply}");
    assert!(closed(&mut busy_r));
    assert!(started.elapsed() < Duration::from_secs(10));
    // The other connection, sharing the server's local port, is untouched (Py4J closes it too).
    other
        .write_all(b"c\nz:java.lang.Math\nabs\ni-3\ne\n")
        .unwrap();
    assert_eq!(line(&mut other_r), "!yi3\n");
    server.shutdown();
}

#[test]
fn idle_connections_end_after_the_read_timeout() {
    let server = start(ServerConfig {
        port: 0,
        read_timeout: Some(Duration::from_millis(200)),
        ..ServerConfig::default()
    });
    let (mut s, mut r) = tcp(server.port());
    s.write_all(b"c\nz:java.lang.Math\nabs\ni-4\ne\n").unwrap();
    assert_eq!(line(&mut r), "!yi4\n");
    std::thread::sleep(Duration::from_millis(600));
    assert!(closed(&mut r));
    server.shutdown();
}

#[test]
fn shutdown_command_stops_the_server_and_closes_everyone() {
    let server = start(ServerConfig {
        port: 0,
        ..ServerConfig::default()
    });
    let (_idle, mut idle_r) = tcp(server.port());
    let (mut s, _r) = tcp(server.port());
    s.write_all(b"s\n").unwrap();
    assert!(server.wait_timeout(Duration::from_secs(10)));
    assert!(closed(&mut idle_r));
    assert!(TcpStream::connect(("127.0.0.1", server.port())).is_err());
    assert!(server.engine().registry().is_empty());
}

#[test]
fn pipelined_commands_get_their_replies_in_order() {
    let server = start(ServerConfig {
        port: 0,
        ..ServerConfig::default()
    });
    let (mut s, mut r) = tcp(server.port());
    let mut batch = Vec::new();
    for i in 0..200 {
        batch.extend_from_slice(format!("c\nz:java.lang.Math\nabs\ni-{i}\ne\n").as_bytes());
    }
    s.write_all(&batch).unwrap();
    for i in 0..200 {
        assert_eq!(line(&mut r), format!("!yi{i}\n"));
    }
    server.shutdown();
}

mod v2 {
    use super::*;
    use ferry_protocol::binary::{
        self, FrameDecoder, FrameKind, HELLO_LINE, Hello, decode_reply, encode_command,
    };
    use ferry_protocol::{CallTarget, Command, Prims, RefKind, Reply, Value};

    struct Client {
        s: TcpStream,
        d: FrameDecoder,
    }

    impl Client {
        fn connect(port: u16) -> (Client, Hello) {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s.write_all(HELLO_LINE).unwrap();
            let mut c = Client {
                s,
                d: FrameDecoder::new(),
            };
            let f = c.frame().expect("a HELLO frame");
            assert_eq!(f.header.kind, FrameKind::Hello);
            let hello = Hello::decode(&f.body).unwrap();
            (c, hello)
        }

        fn frame(&mut self) -> Option<binary::Frame> {
            loop {
                if let Some(f) = self.d.next().unwrap() {
                    return Some(f);
                }
                let s = &mut self.s;
                let n = self.d.fill(65536, |b| s.read(b)).unwrap_or(0);
                if n == 0 {
                    return None;
                }
            }
        }

        fn send(&mut self, cmd: &Command, id: u32) {
            let mut out = Vec::new();
            encode_command(cmd, id, &mut out);
            self.s.write_all(&out).unwrap();
        }

        fn reply(&mut self) -> (u32, Reply) {
            let f = self.frame().expect("a reply");
            (f.header.id, decode_reply(&f.header, &f.body).unwrap())
        }
    }

    fn abs(i: i32) -> Command {
        Command::Call {
            target: CallTarget::Static("java.lang.Math".into()),
            method: "abs".into(),
            args: vec![Value::Int(i)],
        }
    }

    #[test]
    fn hello_then_frames_on_the_same_port_as_v1() {
        let server = start(ServerConfig {
            port: 0,
            ..ServerConfig::default()
        });
        let (mut c, hello) = Client::connect(server.port());
        assert_eq!(hello.version, 2);
        c.send(&abs(-5), 41);
        assert_eq!(c.reply(), (41, Reply::Success(Value::Int(5))));
        // Pipelined: 100 requests in one write, replies in order with their ids.
        let mut out = Vec::new();
        for i in 0..100u32 {
            encode_command(&abs(-(i as i32)), 1000 + i, &mut out);
        }
        c.s.write_all(&out).unwrap();
        for i in 0..100u32 {
            assert_eq!(c.reply(), (1000 + i, Reply::Success(Value::Int(i as i32))));
        }
        // v1 on the same port still works.
        let (mut s, mut r) = tcp(server.port());
        s.write_all(b"c\nz:java.lang.Math\nabs\ni-9\ne\n").unwrap();
        assert_eq!(line(&mut r), "!yi9\n");
        server.shutdown();
    }

    #[test]
    fn bulk_values_and_releases() {
        let server = start(ServerConfig {
            port: 0,
            ..ServerConfig::default()
        });
        let (mut c, _) = Client::connect(server.port());
        let before = server.engine().registry().len();
        c.send(
            &Command::ToJava {
                value: Value::TypedList(Prims::from_i32(&(0..100_000).collect::<Vec<_>>())),
            },
            1,
        );
        let (_, r) = c.reply();
        let Reply::Success(Value::Ref(RefKind::List, id)) = r else {
            panic!("{r:?}")
        };
        c.send(
            &Command::Call {
                target: CallTarget::Object(id.clone()),
                method: "size".into(),
                args: vec![],
            },
            2,
        );
        assert_eq!(c.reply(), (2, Reply::Success(Value::Int(100_000))));
        // A release is a notice: no reply; the next request's reply comes next.
        c.send(&Command::Release { ids: vec![id] }, 0);
        c.send(&abs(-1), 3);
        assert_eq!(c.reply(), (3, Reply::Success(Value::Int(1))));
        assert_eq!(server.engine().registry().len(), before);
        server.shutdown();
    }

    #[test]
    fn cancel_by_key_works_on_a_unix_socket() {
        let dir = std::env::temp_dir().join(format!("ferry-cancel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gw.sock");
        let server = start(ServerConfig {
            port: 0,
            unix_path: Some(path.clone()),
            ..ServerConfig::default()
        });
        let mut busy = UnixStream::connect(&path).unwrap();
        busy.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        busy.write_all(HELLO_LINE).unwrap();
        let mut d = FrameDecoder::new();
        let hello = loop {
            if let Some(f) = d.next().unwrap() {
                break Hello::decode(&f.body).unwrap();
            }
            let b = &mut busy;
            assert!(d.fill(4096, |buf| b.read(buf)).unwrap() > 0);
        };
        let mut out = Vec::new();
        encode_command(
            &Command::Call {
                target: CallTarget::Static("java.lang.Thread".into()),
                method: "sleep".into(),
                args: vec![Value::Long(20_000)],
            },
            1,
            &mut out,
        );
        busy.write_all(&out).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        // A wrong key closes nothing; the right one ends the sleep and the connection.
        let (mut other, _) = Client::connect(server.port());
        other.send(
            &Command::Cancel {
                address: "key".into(),
                remote_port: format!("{:x}", hello.cancel_key ^ 2),
                local_port: "0".into(),
            },
            0,
        );
        other.send(
            &Command::Cancel {
                address: "key".into(),
                remote_port: format!("{:x}", hello.cancel_key),
                local_port: "0".into(),
            },
            0,
        );
        other.send(&abs(-4), 2);
        assert_eq!(other.reply(), (2, Reply::Success(Value::Int(4))));
        let mut rest = Vec::new();
        let _ = busy.read_to_end(&mut rest);
        assert!(started.elapsed() < Duration::from_secs(10));
        server.shutdown();
    }

    #[test]
    fn auth_in_v2() {
        let server = start(ServerConfig {
            port: 0,
            auth_token: Some("s3cret".into()),
            ..ServerConfig::default()
        });
        let (mut c, _) = Client::connect(server.port());
        c.send(&abs(-1), 1);
        let (_, r) = c.reply();
        assert!(matches!(r, Reply::Error(_)), "{r:?}");
        assert!(c.frame().is_none(), "closed after the refusal");
        let (mut c, _) = Client::connect(server.port());
        c.send(
            &Command::Auth {
                token: "s3cret".into(),
            },
            1,
        );
        assert_eq!(c.reply(), (1, Reply::VOID));
        c.send(&abs(-2), 2);
        assert_eq!(c.reply(), (2, Reply::Success(Value::Int(2))));
        server.shutdown();
    }

    #[test]
    fn a_lying_frame_is_fatal_for_its_connection_only() {
        let server = start(ServerConfig {
            port: 0,
            ..ServerConfig::default()
        });
        let (mut bystander, _) = Client::connect(server.port());
        let (mut c, _) = Client::connect(server.port());
        // A call frame whose argument count claims more values than the frame holds.
        let mut out = Vec::new();
        encode_command(&abs(-1), 7, &mut out);
        let len = out.len();
        out[len - 7] = 0x30; // the u16 argument count, now 0x30 values
        c.s.write_all(&out).unwrap();
        let (_, r) = c.reply();
        assert!(matches!(r, Reply::Fatal(_)), "{r:?}");
        assert!(c.frame().is_none());
        // An unknown frame kind.
        let (mut c, _) = Client::connect(server.port());
        c.s.write_all(&[8, 0, 0, 0, 99, 0, 1, 0, 1, 0, 0, 0])
            .unwrap();
        let (_, r) = c.reply();
        assert!(matches!(r, Reply::Fatal(_)), "{r:?}");
        bystander.send(&abs(-3), 1);
        assert_eq!(bystander.reply(), (1, Reply::Success(Value::Int(3))));
        server.shutdown();
    }
}
