//! What a client needs to know to talk to a gateway.

use std::time::Duration;

use crate::endpoint::Endpoint;
use crate::wire::ProtocolChoice;

/// A client's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the gateway listens.
    pub endpoint: Endpoint,
    /// The authentication token (unescaped), sent first on every connection when set.
    pub auth_token: Option<String>,
    /// How long to wait for a reply before giving up (`None`: no limit).
    pub read_timeout: Option<Duration>,
    /// How long to wait for a connection to open (`None`: the read timeout, else the system's).
    pub connect_timeout: Option<Duration>,
    /// How long one wait on a socket lasts before the interrupt check runs again.
    pub wait_slice: Duration,
    /// Released references are sent at the latest this long after the first of them was queued.
    pub release_delay: Duration,
    /// Most release commands written together in one write.
    pub release_batch: usize,
    /// Whether released references are sent to the gateway at all (py4j's
    /// `enable_memory_management`).
    pub memory_management: bool,
    /// Which protocol to speak: v2 when the gateway is ferry's (`Auto`, the default), or one
    /// forced.
    pub protocol: ProtocolChoice,
    /// Combine the calls of concurrent threads on one connection (protocol v2): one write
    /// carries what every waiting thread asked, one read brings back their replies. Off by
    /// default: the calls then run in order on one Java thread, whichever Python thread made
    /// them (Py4J runs each Python thread's calls on a Java thread of its own).
    pub multiplex: bool,
}

impl Config {
    /// Settings for an endpoint, with ferry's defaults: no token, no timeouts, 50 ms wait slices
    /// and release delay, batches of 512 releases, memory management on, protocol negotiated.
    pub fn new(endpoint: Endpoint) -> Config {
        Config {
            endpoint,
            auth_token: None,
            read_timeout: None,
            connect_timeout: None,
            wait_slice: Duration::from_millis(50),
            release_delay: Duration::from_millis(50),
            release_batch: 512,
            memory_management: true,
            protocol: ProtocolChoice::Auto,
            multiplex: false,
        }
    }

    /// The same settings with an authentication token.
    pub fn with_auth_token(mut self, token: impl Into<String>) -> Config {
        self.auth_token = Some(token.into());
        self
    }

    /// The same settings with a protocol choice.
    pub fn with_protocol(mut self, protocol: ProtocolChoice) -> Config {
        self.protocol = protocol;
        self
    }

    /// The same settings with a read timeout.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Config {
        self.read_timeout = Some(timeout);
        self
    }
}
