//! ferry's client, in pure Rust: talks to a Py4J-compatible gateway (Py4J's own `GatewayServer`
//! or `ferry serve`) over TCP or a Unix socket, in ferry's binary protocol (v2) when the gateway
//! speaks it and in Py4J's text protocol (v1) otherwise.
//!
//! - Negotiation ([`ProtocolChoice`]): the first connection sends v2's hello line; a Py4J gateway
//!   answers it with a fatal reply and closes, and the client reopens in v1. The answer is
//!   remembered for the client's later connections. [`ConnectionStats::protocol`] tells each
//!   connection's protocol.
//! - Text commands given to [`Client::request`] travel as the same v2 commands on a v2
//!   connection; [`Client::lease`] gives a connection for requests encoded in its own protocol
//!   ([`wire`] has the frame layout), with replies as frames whose large bodies may go into a
//!   buffer of the caller's ([`Placer`]).
//!
//! - [`Client`]: a pool of connections (one per concurrent caller, reused), `TCP_NODELAY`, the
//!   authentication token, read timeouts, waits in slices so that the caller can interrupt them,
//!   Py4J's cancel command on interrupt, and fork safety (a child never uses its parent's
//!   sockets).
//! - Reference release: [`Client::retain`] gives a handle per Java id; dropping the last handle
//!   queues an `m d` command. Queued releases go in the same write as the next command, or from a
//!   background thread within [`Config::release_delay`], in batches, never inside a connection that
//!   waits for a reply.
//! - Counters of commands, frames and round trips per connection ([`Client::connection_stats`]),
//!   so that tests can assert how many round trips an operation costs.
//!
//! - Callbacks (Java calling Python): [`callback`] holds the Python side's server (listener and
//!   connection loop) around a [`CallbackHandler`]; [`Client::pinned_threads`] makes a client of
//!   the pinned-thread mode (Py4J's `ClientServer`), whose threads keep a connection each and run
//!   Java's calls that arrive while they wait for a reply.
//!
//! Commands are encoded and replies decoded with `ferry-protocol`; this crate adds the sockets.

#![deny(unsafe_code)]

pub mod callback;
mod callback_pinned;
mod client;
mod config;
mod connection;
mod endpoint;
mod error;
pub mod fork;
mod mux;
mod release;
pub mod wire;

pub use callback::{CallbackHandler, Handled, ServeEnd, ServeOptions};
pub use callback_pinned::{Pinned, PinnedStats};
pub use client::{Client, ClientStats, Lease, Options, Retained, StreamReader};
pub use config::Config;
pub use connection::{ConnectionStats, Response};
pub use endpoint::Endpoint;
pub use error::{ClientError, When};
pub use mux::MuxStats;
pub use wire::{Hole, Placed, Placer, Protocol, ProtocolChoice, ReplyFrame};
