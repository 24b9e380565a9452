//! A small gateway for the client's tests: decodes commands with the protocol crate, logs them and
//! answers as Py4J's GatewayServer would for the few commands the tests use. A v1 gateway answers
//! the v2 hello line as Py4J does (an unknown command: a fatal reply, then it closes); a v2
//! gateway (`start_v2`) answers it with a HELLO frame and speaks frames, as `ferry serve` does.

// Each test binary uses a part of the fake.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use ferry_protocol::binary::{self, FrameDecoder, FrameKind, HELLO_LINE, Hello};
use ferry_protocol::text::{Decoder, Incoming, Side, encode_reply};
use ferry_protocol::{CallTarget, Command, RefKind, Reply, Value};

/// What the fake gateway saw: (connection number, command).
pub type Log = Arc<Mutex<Vec<(usize, Command)>>>;

/// The cancel key the v2 fake gives connection `n`.
pub fn cancel_key(n: usize) -> u64 {
    0xfe00 + n as u64
}

pub struct FakeGateway {
    pub port: u16,
    pub log: Log,
    pub connections: Arc<AtomicUsize>,
    /// Hello lines seen (v1 gateways refuse them).
    pub hellos: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

#[derive(Clone)]
struct Shared {
    log: Log,
    token: Option<String>,
    next_id: Arc<AtomicUsize>,
    v2: bool,
    hellos: Arc<AtomicUsize>,
}

impl FakeGateway {
    /// A v1 (Py4J-like) gateway.
    pub fn start(token: Option<&str>) -> FakeGateway {
        FakeGateway::start_tcp(token, false)
    }

    /// A gateway that speaks v2 to clients that open with the hello line, v1 to others.
    pub fn start_v2(token: Option<&str>) -> FakeGateway {
        FakeGateway::start_tcp(token, true)
    }

    fn start_tcp(token: Option<&str>, v2: bool) -> FakeGateway {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Shared {
            log: Arc::default(),
            token: token.map(str::to_owned),
            next_id: Arc::new(AtomicUsize::new(0)),
            v2,
            hellos: Arc::default(),
        };
        {
            let (connections, stop, shared) = (connections.clone(), stop.clone(), shared.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { return };
                    let n = connections.fetch_add(1, Ordering::SeqCst);
                    let shared = shared.clone();
                    let closer = stream.try_clone().unwrap();
                    thread::spawn(move || {
                        serve(
                            stream,
                            move || {
                                let _ = closer.shutdown(Shutdown::Both);
                            },
                            n,
                            shared,
                        )
                    });
                }
            });
        }
        FakeGateway {
            port,
            log: shared.log,
            connections,
            hellos: shared.hellos,
            stop,
        }
    }

    /// A gateway on a Unix socket at `path` (no token).
    pub fn start_unix(path: &Path, v2: bool) -> FakeGateway {
        let listener = UnixListener::bind(path).unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let shared = Shared {
            log: Arc::default(),
            token: None,
            next_id: Arc::new(AtomicUsize::new(0)),
            v2,
            hellos: Arc::default(),
        };
        {
            let (connections, shared) = (connections.clone(), shared.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { return };
                    let n = connections.fetch_add(1, Ordering::SeqCst);
                    let shared = shared.clone();
                    let closer = stream.try_clone().unwrap();
                    thread::spawn(move || {
                        serve(
                            stream,
                            move || {
                                let _ = closer.shutdown(Shutdown::Both);
                            },
                            n,
                            shared,
                        )
                    });
                }
            });
        }
        FakeGateway {
            port: 0,
            log: shared.log,
            connections,
            hellos: shared.hellos,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn commands(&self) -> Vec<(usize, Command)> {
        self.log.lock().unwrap().clone()
    }

    /// Stops accepting: later connections are refused.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        thread::sleep(Duration::from_millis(50));
    }
}

/// What the gateway does for a command.
enum Action {
    Reply(Reply),
    Nothing,
    Close,
    ReplyThenClose(Reply),
    /// v1: `!yv`, then raw bytes, then close; v2: the bytes as the reply's value.
    Stream,
}

fn respond(cmd: &Command, shared: &Shared) -> Action {
    match cmd {
        Command::Cancel { .. } | Command::Shutdown | Command::Release { .. } => Action::Nothing,
        Command::MemoryDelete { .. } => Action::Reply(Reply::VOID),
        Command::Construct { .. } => {
            let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
            Action::Reply(Reply::Success(Value::Ref(
                RefKind::Object,
                format!("o{id}"),
            )))
        }
        Command::Call { method, args, .. } if method == "sleep" => {
            let ms = match args.first() {
                Some(Value::Int(ms)) => *ms as u64,
                _ => 1000,
            };
            thread::sleep(Duration::from_millis(ms));
            Action::Reply(Reply::VOID)
        }
        Command::Call { method, .. } if method == "die" => Action::Close,
        Command::Stream { .. } => Action::Stream,
        Command::Call { method, .. } if method == "reply_then_close" => {
            Action::ReplyThenClose(Reply::VOID)
        }
        Command::Call { method, .. } if method == "boom" => Action::Reply(Reply::Error(Some(
            Value::Ref(RefKind::Object, "o99".into()),
        ))),
        Command::Call {
            target: CallTarget::Static(class),
            method,
            args,
        } if class == "java.lang.Math" && method == "abs" => match args.first() {
            Some(Value::Int(v)) => Action::Reply(Reply::Success(Value::Int(v.abs()))),
            _ => Action::Reply(Reply::error_message("no such method")),
        },
        Command::Call { method, .. } if method == "echo" => {
            Action::Reply(Reply::Success(Value::String("line\nback\\slash".into())))
        }
        // v2: the arguments come back as a list (what the client encoded, decoded here).
        Command::Call { method, args, .. } if method == "args" => {
            Action::Reply(Reply::Success(Value::List(args.clone())))
        }
        Command::Call { method, args, .. } if method == "bigArray" => {
            let n = match args.first() {
                Some(Value::Int(n)) => *n as usize,
                _ => 0,
            };
            let data: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
            Action::Reply(Reply::Success(Value::Array(
                ferry_protocol::Prims::from_f64(&data),
            )))
        }
        _ => Action::Reply(Reply::Success(Value::Int(5))),
    }
}

fn serve(mut stream: impl Read + Write, close: impl Fn(), n: usize, shared: Shared) {
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    // The first bytes decide: the hello line, or a v1 command.
    while seen.len() < HELLO_LINE.len() && HELLO_LINE.starts_with(&seen) {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(k) => seen.extend_from_slice(&buf[..k]),
        }
    }
    if seen.starts_with(HELLO_LINE) {
        shared.hellos.fetch_add(1, Ordering::SeqCst);
        if shared.v2 {
            serve_v2(
                stream,
                close,
                n,
                &shared,
                &seen[HELLO_LINE.len()..],
                &mut buf,
            );
        } else {
            // Py4J: an unknown command line.
            let _ = stream.write_all(
                b"!zspy4j.Py4JException: Unknown command received: FERRY/2\\n\tat ...\n",
            );
            close();
        }
        return;
    }
    let mut decoder = Decoder::new(Side::Java);
    decoder.feed(&seen);
    let mut authenticated = shared.token.is_none();
    loop {
        loop {
            let cmd = match decoder.next() {
                Ok(Some(Incoming::Command(cmd))) => cmd,
                Ok(_) => break,
                Err(_) => {
                    let _ = stream.write_all(b"!zspy4j.Py4JException: Unknown command\n");
                    close();
                    return;
                }
            };
            shared.log.lock().unwrap().push((n, cmd.clone()));
            let action = match &cmd {
                Command::Auth { token: t } => {
                    if Some(t) == shared.token.as_ref() {
                        authenticated = true;
                        Action::Reply(Reply::VOID)
                    } else {
                        let _ = stream.write_all(b"!xsAuthentication error: bad token\n");
                        close();
                        return;
                    }
                }
                _ if !authenticated => {
                    let _ = stream.write_all(b"!xsAuthentication error: unexpected command.\n");
                    close();
                    return;
                }
                other => respond(other, &shared),
            };
            let reply = match action {
                Action::Reply(r) => r,
                Action::Nothing => continue,
                Action::Close => {
                    close();
                    return;
                }
                Action::ReplyThenClose(r) => {
                    let mut out = Vec::new();
                    encode_reply(&r, Side::Java, &mut out);
                    let _ = stream.write_all(&out);
                    close();
                    return;
                }
                Action::Stream => {
                    let _ = stream.write_all(b"!yv\nhello ");
                    thread::sleep(Duration::from_millis(20));
                    let _ = stream.write_all(b"stream");
                    close();
                    return;
                }
            };
            let mut out = Vec::new();
            encode_reply(&reply, Side::Java, &mut out);
            if stream.write_all(&out).is_err() {
                return;
            }
        }
        let read = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(k) => k,
        };
        decoder.feed(&buf[..read]);
    }
}

fn serve_v2(
    mut stream: impl Read + Write,
    close: impl Fn(),
    n: usize,
    shared: &Shared,
    first: &[u8],
    buf: &mut [u8],
) {
    let mut out = Vec::new();
    Hello {
        version: binary::VERSION,
        features: binary::features::BULK,
        server: "fake".into(),
        cancel_key: cancel_key(n),
    }
    .encode(&mut out);
    if stream.write_all(&out).is_err() {
        return;
    }
    let mut decoder = FrameDecoder::new();
    decoder.feed(first);
    let mut authenticated = shared.token.is_none();
    loop {
        let mut out = Vec::new();
        loop {
            let frame = match decoder.next() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    binary::encode_reply(&Reply::Fatal(format!("bad frame: {e}")), 0, &mut out);
                    let _ = stream.write_all(&out);
                    close();
                    return;
                }
            };
            let h = frame.header;
            let cmd = match binary::decode_command(&h, &frame.body) {
                Ok(c) => c,
                Err(e) => {
                    binary::encode_reply(&Reply::Fatal(format!("bad command: {e}")), 0, &mut out);
                    let _ = stream.write_all(&out);
                    close();
                    return;
                }
            };
            shared.log.lock().unwrap().push((n, cmd.clone()));
            if let Command::Auth { token } = &cmd {
                if Some(token) == shared.token.as_ref() {
                    authenticated = true;
                    binary::encode_reply(&Reply::VOID, h.id, &mut out);
                    continue;
                }
                binary::encode_reply(
                    &Reply::error_message("Authentication error: bad auth token received."),
                    h.id,
                    &mut out,
                );
                let _ = stream.write_all(&out);
                close();
                return;
            }
            if !authenticated {
                binary::encode_reply(
                    &Reply::error_message("Authentication error: unexpected command."),
                    h.id,
                    &mut out,
                );
                let _ = stream.write_all(&out);
                close();
                return;
            }
            if h.kind == FrameKind::Notice {
                continue;
            }
            match respond(&cmd, shared) {
                Action::Reply(r) => binary::encode_reply(&r, h.id, &mut out),
                Action::Nothing => {}
                Action::Close => {
                    let _ = stream.write_all(&out);
                    close();
                    return;
                }
                Action::ReplyThenClose(r) => {
                    binary::encode_reply(&r, h.id, &mut out);
                    let _ = stream.write_all(&out);
                    close();
                    return;
                }
                Action::Stream => binary::encode_reply(
                    &Reply::Success(Value::Bytes(b"hello stream".to_vec().into())),
                    h.id,
                    &mut out,
                ),
            }
        }
        if !out.is_empty() && stream.write_all(&out).is_err() {
            return;
        }
        let read = match stream.read(buf) {
            Ok(0) | Err(_) => return,
            Ok(k) => k,
        };
        decoder.feed(&buf[..read]);
    }
}
