//! ferry's binary protocol ("v2"), specified in docs/protocol-v2.md: length-prefixed frames with
//! request ids, fixed-width little-endian numbers and raw bytes.
//!
//! The same commands and replies as the text protocol travel here, so the engine is the same;
//! what changes is the encoding, and that several requests may be in flight on one socket.

mod codec;
mod frame;

pub use codec::{
    decode_callback, decode_command, decode_command_reusing, decode_command_shared, decode_reply,
    decode_value, decode_value_shared, encode_callback, encode_command, encode_reply, encode_value,
    is_callback_op,
};
pub use frame::{
    Frame, FrameBody, FrameDecoder, FrameHeader, FrameKind, HEADER_LEN, HELLO_LINE, Hello,
};

/// The protocol version this crate speaks.
pub const VERSION: u16 = 2;

/// Feature bits of the HELLO frame.
pub mod features {
    /// Bulk values (lists, maps, sets, typed lists, primitive arrays) are understood.
    pub const BULK: u32 = 1;
    /// Pinned-thread mode: callbacks travel on the same stream.
    pub const PINNED: u32 = 2;
}
