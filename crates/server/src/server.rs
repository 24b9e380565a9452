//! The gateway server: listeners, one JVM-attached thread per connection, authentication.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use ferry_engine::Engine;
use ferry_engine::jni_raw::{Env, Global};
use parking_lot::{Condvar, Mutex};

use crate::callback::{CallbackClient, CallbackTarget};
use crate::session::Session;
use crate::transport::{Conn, Listener};

/// How a server listens and who it lets in.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// TCP address to bind.
    pub address: IpAddr,
    /// TCP port (0 picks a free one).
    pub port: u16,
    /// Also listen on a Unix socket at this path.
    pub unix_path: Option<PathBuf>,
    /// The token clients must send first (`A`), if any.
    pub auth_token: Option<String>,
    /// Close a connection idle for this long.
    pub read_timeout: Option<Duration>,
    /// Where calls to Python objects go (the Python side's callback server).
    pub callback: CallbackTarget,
    /// Pinned-thread mode (Py4J's ClientServer): a call from Java to Python made while a thread
    /// serves a connection travels on that same connection, and the Python side's calls made
    /// meanwhile run in that same Java thread.
    pub pinned: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            address: IpAddr::from([127, 0, 0, 1]),
            port: 25333,
            unix_path: None,
            auth_token: None,
            read_timeout: None,
            callback: CallbackTarget {
                address: std::net::SocketAddr::from(([127, 0, 0, 1], 25334)),
                token: None,
            },
            pinned: false,
        }
    }
}

/// A live connection, as the server tracks it for cancel and shutdown.
struct ConnHandle {
    conn: Conn,
    /// The secret a v2 client cancels this connection with (it learns it in the HELLO frame):
    /// Unix-socket connections have no port to name them by.
    cancel_key: u64,
    peer_ip: Option<IpAddr>,
    peer_port: Option<u16>,
    java_thread: Option<Global>,
}

struct Inner {
    engine: Engine,
    callbacks: Arc<CallbackClient>,
    config: ServerConfig,
    listeners: Vec<Listener>,
    port: u16,
    stopped: AtomicBool,
    done: Mutex<bool>,
    done_cv: Condvar,
    conns: Mutex<HashMap<u64, ConnHandle>>,
    next_conn: AtomicU64,
    /// The context class loader of the thread that started the server, given to every
    /// connection thread so application classes resolve as they do for the application.
    loader: Option<Global>,
}

/// A running gateway server.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

impl Server {
    /// Binds and starts serving in background threads. `env` is the starting thread's.
    pub fn start(env: &Env, engine: Engine, config: ServerConfig) -> io::Result<Server> {
        let tcp = TcpListener::bind((config.address, config.port))?;
        let port = tcp.local_addr()?.port();
        let mut listeners = vec![Listener::Tcp(tcp)];
        if let Some(path) = &config.unix_path {
            listeners.push(Listener::bind_unix(path)?);
        }
        let known = &engine.runtime().known;
        let loader = env
            .with_frame(4, |env| {
                let t = known.current_thread(env).ok()?;
                let l = known.context_loader(env, t).ok()?;
                (!l.is_null()).then(|| env.new_global(l).ok()).flatten()
            })
            .ok()
            .flatten();
        let server = Server {
            inner: Arc::new(Inner {
                engine,
                callbacks: Arc::new(CallbackClient::new(config.callback.clone())),
                config,
                listeners,
                port,
                stopped: AtomicBool::new(false),
                done: Mutex::new(false),
                done_cv: Condvar::new(),
                conns: Mutex::new(HashMap::new()),
                next_conn: AtomicU64::new(0),
                loader,
            }),
        };
        for i in 0..server.inner.listeners.len() {
            let s = server.clone();
            std::thread::Builder::new()
                .name(format!("ferry-accept-{i}"))
                .spawn(move || s.accept_loop(i))?;
        }
        Ok(server)
    }

    /// The TCP port listened on.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The connections to the Python side's callback server.
    pub fn callbacks(&self) -> &Arc<CallbackClient> {
        &self.inner.callbacks
    }

    /// The server's settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Whether two handles are the same server.
    pub fn same(&self, other: &Server) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Whether the server has shut down.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    /// Stops listening, closes every connection and releases every held object. Idempotent.
    pub fn shutdown(&self) {
        if self.inner.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        for l in &self.inner.listeners {
            l.wake();
        }
        if let Some(path) = &self.inner.config.unix_path {
            let _ = std::fs::remove_file(path);
        }
        let conns: Vec<ConnHandle> = self.inner.conns.lock().drain().map(|(_, c)| c).collect();
        for c in &conns {
            c.conn.shutdown();
        }
        drop(conns);
        self.inner.callbacks.close();
        self.inner.engine.clear();
        *self.inner.done.lock() = true;
        self.inner.done_cv.notify_all();
    }

    /// Blocks until the server has shut down.
    pub fn wait(&self) {
        let mut done = self.inner.done.lock();
        while !*done {
            self.inner.done_cv.wait(&mut done);
        }
    }

    /// Blocks until the server has shut down or `timeout` passed; whether it has.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let mut done = self.inner.done.lock();
        if !*done {
            self.inner.done_cv.wait_for(&mut done, timeout);
        }
        *done
    }

    fn accept_loop(&self, index: usize) {
        let listener = &self.inner.listeners[index];
        loop {
            let conn = listener.accept();
            if self.is_stopped() {
                return;
            }
            match conn {
                Ok(conn) => {
                    let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
                    let s = self.clone();
                    // Deep Python <-> Java recursion runs on this one thread in pinned mode.
                    let spawned = std::thread::Builder::new()
                        .name(format!("ferry-conn-{id}"))
                        .stack_size(16 << 20)
                        .spawn(move || s.serve(id, conn));
                    if spawned.is_err() {
                        // Out of threads: the connection is dropped (closed) and others go on.
                        continue;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    // EMFILE and the like: back off instead of spinning.
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    fn serve(&self, id: u64, conn: Conn) {
        // A thread of ferry's own, which sleeps in a read twice per call: see `rseq`.
        let _ = crate::rseq::leave();
        let Some(env) = Env::attach_named(&format!("ferry-conn-{id}")) else {
            return;
        };
        let known = &self.inner.engine.runtime().known;
        let java_thread = env
            .with_frame(4, |env| -> Option<Global> {
                let t = known.current_thread(env).ok()?;
                if let Some(l) = &self.inner.loader {
                    let _ = known.set_context_loader(env, t, l.local());
                }
                env.new_global(t).ok()
            })
            .ok()
            .flatten();
        let mut key = [0u8; 8];
        let cancel_key = match getrandom::fill(&mut key) {
            Ok(()) => u64::from_le_bytes(key) | 1,
            // No randomness: this connection cannot be cancelled by key (0 matches nothing).
            Err(_) => 0,
        };
        if let Ok(clone) = conn.try_clone() {
            let peer = conn.peer();
            self.inner.conns.lock().insert(
                id,
                ConnHandle {
                    conn: clone,
                    cancel_key,
                    peer_ip: peer.map(|p| p.ip()),
                    peer_port: peer.map(|p| p.port()),
                    java_thread,
                },
            );
        }
        // A shutdown between accept and registration would miss this connection.
        if !self.is_stopped() {
            let authenticated = self.inner.config.auth_token.is_none();
            let session = Session::new(self.clone(), conn, authenticated, cancel_key);
            let _ = session.serve(&env);
        }
        self.inner.conns.lock().remove(&id);
        Env::detach_current();
    }

    /// Py4J's cancel: closes the connections of the requesting client's peer whose remote port
    /// matches, and interrupts their Java threads. Unlike Py4J, a client cannot close another
    /// client's connections: the peer address must match too, and the server's own port is never
    /// a match.
    ///
    /// A v2 client may also name the connection by the cancel key its HELLO frame carried
    /// (address line `key`, the key in hexadecimal as the port line): that works on Unix sockets.
    pub(crate) fn cancel(
        &self,
        env: &Env,
        requester: Option<IpAddr>,
        address: &str,
        remote_port: &str,
    ) {
        let by_key = if address == "key" {
            match u64::from_str_radix(remote_port.trim(), 16) {
                Ok(k) if k != 0 => Some(k),
                _ => return,
            }
        } else {
            None
        };
        let port = remote_port.trim().parse::<u16>().ok();
        if by_key.is_none() && port.is_none() {
            return;
        }
        let known = &self.inner.engine.runtime().known;
        let conns = self.inner.conns.lock();
        for c in conns.values() {
            let matches = match by_key {
                Some(k) => c.cancel_key == k,
                None => c.peer_port == port && c.peer_ip == requester,
            };
            if matches {
                if let Some(t) = &c.java_thread {
                    let _ = env.with_frame(2, |env| known.interrupt(env, t.local()));
                }
                c.conn.shutdown();
            }
        }
    }
}

impl ferry_engine::natives::ProxyOwner for Server {
    fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    fn call_python(
        &self,
        env: &Env,
        call: ferry_protocol::CallbackCommand,
    ) -> Result<ferry_protocol::Reply, String> {
        crate::session::send_to_python(self, env, &call)
            .map_err(|e| format!("cannot reach the Python side: {e}"))
    }

    fn release(&self, id: String) {
        if !self.is_stopped() {
            self.inner.callbacks.release(id);
        }
    }
}
