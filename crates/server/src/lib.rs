//! ferry's gateway server and the glue between ferry.jar's Java classes and the engine.
//!
//! The server accepts TCP (and optionally Unix socket) connections, gives each one a thread
//! attached to the JVM, checks the auth token, decodes commands with the protocol crate and hands
//! them to the engine. The natives module implements the native methods of `ferry.GatewayServer`
//! and friends; every host (the `ferry serve` command, ferry.jar in a JVM application, a JVM inside
//! Python) registers the same functions.

pub mod callback;
pub mod glue;
pub mod launch;
pub mod natives;
mod rseq;
mod server;
mod session;
mod transport;

pub use server::{Server, ServerConfig};
