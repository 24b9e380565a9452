//! Py4J's text protocol ("v1"), byte for byte.
//!
//! Messages are UTF-8 lines. A command is a name line, command-specific lines and usually an `e`
//! line; a reply is one line starting with `!`. Strings escape `\`, CR and LF. The two ends differ
//! in small ways that matter for byte-exact compatibility (the Java side reads lines with
//! `BufferedReader.readLine` semantics and writes `btrue`; Python writes `bTrue` and `repr` floats),
//! so the codec takes the [`Side`] it plays.

mod decode;
mod encode;
mod escape;
mod number;

pub use decode::{Decoder, Incoming};
pub use encode::{encode_callback, encode_command, encode_reply, encode_value};
pub use escape::{escape_into, unescape_java, unescape_python};
pub use number::{format_java_double, format_java_float, format_python_float, parse_java_double};

/// Which end of a connection the codec plays: this decides what commands it decodes and how it
/// writes values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The Java end: decodes [`Command`](crate::Command)s, writes values as Java's `Protocol`
    /// does.
    Java,
    /// The Python end: decodes [`CallbackCommand`](crate::CallbackCommand)s, writes values as
    /// py4j's `get_command_part` does.
    Python,
}
