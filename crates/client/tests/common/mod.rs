//! A small gateway for the client's tests: decodes commands with the protocol crate, logs them and
//! answers as Py4J's GatewayServer would for the few commands the tests use.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use ferry_protocol::text::{Decoder, Incoming, Side, encode_reply};
use ferry_protocol::{CallTarget, Command, RefKind, Reply, Value};

/// What the fake gateway saw: (connection number, command).
pub type Log = Arc<Mutex<Vec<(usize, Command)>>>;

pub struct FakeGateway {
    pub port: u16,
    pub log: Log,
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FakeGateway {
    pub fn start(token: Option<&str>) -> FakeGateway {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log: Log = Arc::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let next_id = Arc::new(AtomicUsize::new(0));
        let token = token.map(str::to_owned);
        {
            let (log, connections, stop) = (log.clone(), connections.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { return };
                    let n = connections.fetch_add(1, Ordering::SeqCst);
                    let (log, token, next_id) = (log.clone(), token.clone(), next_id.clone());
                    let closer = stream.try_clone().unwrap();
                    thread::spawn(move || {
                        serve(
                            stream,
                            move || {
                                let _ = closer.shutdown(Shutdown::Both);
                            },
                            n,
                            log,
                            token,
                            next_id,
                        )
                    });
                }
            });
        }
        FakeGateway {
            port,
            log,
            connections,
            stop,
        }
    }

    /// A gateway on a Unix socket at `path` (no token).
    pub fn start_unix(path: &Path) -> FakeGateway {
        let listener = UnixListener::bind(path).unwrap();
        let log: Log = Arc::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let next_id = Arc::new(AtomicUsize::new(0));
        {
            let (log, connections) = (log.clone(), connections.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { return };
                    let n = connections.fetch_add(1, Ordering::SeqCst);
                    let (log, next_id) = (log.clone(), next_id.clone());
                    let closer = stream.try_clone().unwrap();
                    thread::spawn(move || {
                        serve(
                            stream,
                            move || {
                                let _ = closer.shutdown(Shutdown::Both);
                            },
                            n,
                            log,
                            None,
                            next_id,
                        )
                    });
                }
            });
        }
        FakeGateway {
            port: 0,
            log,
            connections,
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

fn serve(
    mut stream: impl Read + Write,
    close: impl Fn(),
    n: usize,
    log: Log,
    token: Option<String>,
    next_id: Arc<AtomicUsize>,
) {
    let mut decoder = Decoder::new(Side::Java);
    let mut authenticated = token.is_none();
    let mut buf = [0u8; 4096];
    loop {
        let read = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(k) => k,
        };
        decoder.feed(&buf[..read]);
        while let Ok(Some(Incoming::Command(cmd))) = decoder.next() {
            log.lock().unwrap().push((n, cmd.clone()));
            let reply = match &cmd {
                Command::Auth { token: t } => {
                    if Some(t) == token.as_ref() {
                        authenticated = true;
                        Some(Reply::VOID)
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
                Command::Cancel { .. } | Command::Shutdown => None,
                Command::MemoryDelete { .. } => Some(Reply::VOID),
                Command::Construct { .. } => {
                    let id = next_id.fetch_add(1, Ordering::SeqCst);
                    Some(Reply::Success(Value::Ref(
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
                    Some(Reply::VOID)
                }
                Command::Call { method, .. } if method == "die" => {
                    close();
                    return;
                }
                Command::Stream { .. } => {
                    let _ = stream.write_all(b"!yv\nhello ");
                    thread::sleep(Duration::from_millis(20));
                    let _ = stream.write_all(b"stream");
                    close();
                    return;
                }
                Command::Call { method, .. } if method == "reply_then_close" => {
                    let _ = stream.write_all(b"!yv\n");
                    close();
                    return;
                }
                Command::Call { method, .. } if method == "boom" => Some(Reply::Error(Some(
                    Value::Ref(RefKind::Object, "o99".into()),
                ))),
                Command::Call {
                    target: CallTarget::Static(class),
                    method,
                    args,
                } if class == "java.lang.Math" && method == "abs" => match args.first() {
                    Some(Value::Int(v)) => Some(Reply::Success(Value::Int(v.abs()))),
                    _ => Some(Reply::error_message("no such method")),
                },
                Command::Call { method, .. } if method == "echo" => {
                    Some(Reply::Success(Value::String("line\nback\\slash".into())))
                }
                _ => Some(Reply::Success(Value::Int(5))),
            };
            if let Some(reply) = reply {
                let mut out = Vec::new();
                encode_reply(&reply, Side::Java, &mut out);
                if stream.write_all(&out).is_err() {
                    return;
                }
            }
        }
    }
}
