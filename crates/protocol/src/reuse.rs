//! Strings decoded into the buffers of earlier messages' strings (see
//! `text::Decoder::next_reusing` and `binary::decode_command_reusing`).

/// `text` as an owned string: in a buffer taken from the end of `pool` when there is one (a
/// connection that gives its handled calls' strings back then decodes without allocating).
pub(crate) fn owned_in(pool: Option<&mut Vec<String>>, text: &str) -> String {
    match pool.and_then(Vec::pop) {
        Some(mut buf) => {
            buf.clear();
            buf.push_str(text);
            buf
        }
        None => text.to_owned(),
    }
}
