//! Calls from Java to Python in the default mode: a pool of connections to the Python side's
//! callback server (Py4J's `CallbackClient`), and a worker that tells Python when Java dropped a
//! proxy.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use ferry_protocol::text::{Decoder, Incoming, Side, encode_callback};
use ferry_protocol::{CallbackCommand, Reply};
use parking_lot::{Mutex, RwLock};

/// Where the Python callback server listens and how to authenticate to it.
#[derive(Debug, Clone)]
pub struct CallbackTarget {
    /// Address and port.
    pub address: SocketAddr,
    /// The token sent first on every connection (`A` / token / `e`), if any.
    pub token: Option<String>,
}

struct Conn {
    stream: TcpStream,
    decoder: Decoder,
    address: SocketAddr,
}

impl Conn {
    fn read_reply(&mut self) -> io::Result<Reply> {
        loop {
            match self.decoder.next() {
                Ok(Some(Incoming::Reply(r))) => return Ok(r),
                Ok(Some(other)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("expected a reply from Python, got {other:?}"),
                    ));
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
            let stream = &mut self.stream;
            let n = self.decoder.fill(8192, |buf| io::Read::read(stream, buf))?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the Python side closed the connection",
                ));
            }
        }
    }
}

/// Connections to the Python side's callback server.
pub struct CallbackClient {
    target: RwLock<CallbackTarget>,
    idle: Mutex<Vec<Conn>>,
    releases: Mutex<Option<mpsc::Sender<String>>>,
}

impl CallbackClient {
    /// A client for `target`; nothing connects until the first call.
    pub fn new(target: CallbackTarget) -> CallbackClient {
        CallbackClient {
            target: RwLock::new(target),
            idle: Mutex::new(Vec::new()),
            releases: Mutex::new(None),
        }
    }

    /// Where callbacks go now.
    pub fn target(&self) -> CallbackTarget {
        self.target.read().clone()
    }

    /// Points callbacks elsewhere (Python's port-0 flow); open connections are dropped.
    pub fn reset(&self, address: SocketAddr) {
        self.target.write().address = address;
        self.idle.lock().clear();
    }

    fn connect(&self) -> io::Result<Conn> {
        let target = self.target();
        let stream = TcpStream::connect_timeout(&target.address, Duration::from_secs(10))?;
        ferry_sockio::tcp::prepare(&stream)?;
        let mut conn = Conn {
            stream,
            decoder: Decoder::new(Side::Java),
            address: target.address,
        };
        if let Some(token) = &target.token {
            let mut buf = Vec::new();
            encode_callback(
                &CallbackCommand::Auth {
                    token: token.clone(),
                },
                &mut buf,
            );
            conn.stream.write_all(&buf)?;
            match conn.read_reply()? {
                Reply::Success(_) => {}
                other => {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!("the Python callback server refused the auth token: {other:?}"),
                    ));
                }
            }
        }
        Ok(conn)
    }

    /// Sends one command and waits for Python's reply. A pooled connection that turns out dead
    /// when writing is replaced once by a fresh one (the command did not reach Python).
    pub fn send(&self, payload: &[u8]) -> io::Result<Reply> {
        let pooled = self.idle.lock().pop();
        let mut conn = match pooled {
            Some(mut c) => match c.stream.write_all(payload) {
                Ok(()) => c,
                Err(_) => {
                    let mut fresh = self.connect()?;
                    fresh.stream.write_all(payload)?;
                    fresh
                }
            },
            None => {
                let mut fresh = self.connect()?;
                fresh.stream.write_all(payload)?;
                fresh
            }
        };
        let reply = conn.read_reply()?;
        if conn.address == self.target.read().address {
            self.idle.lock().push(conn);
        }
        Ok(reply)
    }

    /// Tells Python, from a background thread, that Java dropped the proxy of `id` (`g`). Never
    /// blocks the caller (the Cleaner's thread).
    pub fn release(self: &std::sync::Arc<Self>, id: String) {
        let mut guard = self.releases.lock();
        if guard.is_none() {
            let (tx, rx) = mpsc::channel::<String>();
            let me = std::sync::Arc::downgrade(self);
            let spawned = std::thread::Builder::new()
                .name("ferry-proxy-release".into())
                .spawn(move || {
                    while let Ok(id) = rx.recv() {
                        let Some(client) = me.upgrade() else { return };
                        let mut buf = Vec::new();
                        encode_callback(&CallbackCommand::GarbageCollect { target: id }, &mut buf);
                        // Python may be gone: nothing to release then.
                        let _ = client.send(&buf);
                    }
                });
            if spawned.is_err() {
                return;
            }
            *guard = Some(tx);
        }
        if let Some(tx) = guard.as_ref() {
            let _ = tx.send(id);
        }
    }

    /// Closes every pooled connection.
    pub fn close(&self) {
        for c in self.idle.lock().drain(..) {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
        *self.releases.lock() = None;
    }
}
