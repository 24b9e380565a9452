//! ferry's engine: the JVM driven from Rust through JNI.
//!
//! It holds the registry of Java objects lent to clients, knows classes and resolves overloads
//! (with a cache per class, name and argument types), converts values both ways and runs every
//! command of Py4J's protocol. It has no socket in it: the server and the embedded mode hand it
//! decoded commands and get back what to answer.

mod bulk;
mod callback;
mod classes;
mod convert;
mod engine;
mod error;
pub mod fault;
mod help;
pub mod jni_raw;
mod known;
pub mod natives;
mod registry;
mod resolve;
pub mod spare;
mod views;

pub use callback::CallbackFailure;
pub use engine::{Arg, CallSite, CallSites, Engine, Outcome, Runtime, Target, runtime};
pub use registry::{Entry, Registry};
