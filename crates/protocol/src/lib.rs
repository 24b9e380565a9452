//! ferry's wire protocols, with no I/O.
//!
//! This crate holds the value model shared by every part of ferry and the codecs that put it on a
//! wire. It never touches a socket, a clock or the JVM: bytes go in, decoded messages come out, and
//! encoders append to a caller's buffer. The server, the Python client and the tests all drive the
//! same state machines.
//!
//! - [`Value`]: what travels as an argument or a result (null, numbers, strings, bytes, references
//!   to Java objects, Python proxies).
//! - [`Command`] (Python to Java), [`CallbackCommand`] (Java to Python) and [`Reply`].
//! - [`text`]: Py4J's line-based text protocol (called v1 in ferry), byte for byte.
//! - [`binary`]: ferry's binary protocol (v2): frames, request ids, bulk values.

#![forbid(unsafe_code)]

pub mod binary;
mod blob;
mod command;
mod error;
mod reply;
mod reuse;
pub mod text;
mod value;

pub use blob::Blob;
pub use command::{
    ArrayCommand, CallTarget, CallbackCommand, Command, DirCommand, HelpTarget, ListCommand,
    ViewCommand,
};
pub use error::ProtocolError;
pub use reply::Reply;
pub use value::{
    DEFAULT_VIEW_ID, ENTRY_POINT_ID, Elem, GATEWAY_SERVER_ID, Prims, RefKind, TemporalKind, Value,
};
