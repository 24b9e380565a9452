//! ferry's client, in pure Rust: talks to a Py4J-compatible gateway (Py4J's own `GatewayServer`
//! or `ferry serve`) over TCP or a Unix socket with Py4J's text protocol.
//!
//! - [`Client`]: a pool of connections (one per concurrent caller, reused), `TCP_NODELAY`, the
//!   authentication token, read timeouts, waits in slices so that the caller can interrupt them,
//!   Py4J's cancel command on interrupt, and fork safety (a child never uses its parent's
//!   sockets).
//! - Reference release: [`Client::retain`] gives a handle per Java id; dropping the last handle
//!   queues an `m d` command. Queued releases go in the same write as the next command, or from a
//!   background thread within [`Config::release_delay`], in batches, never inside a connection that
//!   waits for a reply.
//! - Counters of commands and round trips per connection ([`Client::connection_stats`]), so that
//!   tests can assert how many round trips an operation costs.
//!
//! - Callbacks (Java calling Python): [`callback`] holds the Python side's server (listener and
//!   connection loop) around a [`CallbackHandler`]; [`Client::pinned_threads`] makes a client of
//!   the pinned-thread mode (Py4J's `ClientServer`), whose threads keep a connection each and run
//!   Java's calls that arrive while they wait for a reply.
//!
//! Commands are encoded and replies decoded with `ferry-protocol`; this crate adds the sockets.

#![forbid(unsafe_code)]

pub mod callback;
mod callback_pinned;
mod client;
mod config;
mod connection;
mod endpoint;
mod error;
mod release;

pub use callback::{CallbackHandler, Handled, ServeEnd, ServeOptions};
pub use callback_pinned::{Pinned, PinnedStats};
pub use client::{Client, ClientStats, Options, Retained, StreamReader};
pub use config::Config;
pub use connection::{ConnectionStats, Response};
pub use endpoint::Endpoint;
pub use error::{ClientError, When};
