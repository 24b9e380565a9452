//! Errors of the codecs.

/// A message could not be decoded. Every variant is the peer's fault; the server answers it with
/// a fatal reply and closes the connection, as Py4J does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The first line of a command is not a command this side knows.
    #[error("Unknown command received: {0}")]
    UnknownCommand(String),
    /// The sub-command line of a command is not one the command knows.
    #[error("Unknown sub-command received for command {command}: {sub}")]
    UnknownSubCommand {
        /// The command's name.
        command: char,
        /// The sub-command line as received.
        sub: String,
    },
    /// A value line does not parse (unknown tag, bad number, bad base64, ...).
    #[error("Invalid value received: {0}")]
    BadValue(String),
    /// A line is missing or extra where the command's grammar fixes it.
    #[error("Malformed command {command}: {detail}")]
    Malformed {
        /// The command's name.
        command: char,
        /// What was wrong.
        detail: String,
    },
    /// A line is not UTF-8.
    #[error("Invalid UTF-8 in received line")]
    InvalidUtf8,
    /// A reply line does not start with `!` followed by a known status.
    #[error("Invalid reply received: {0}")]
    BadReply(String),
    /// A message is larger than the configured limit.
    #[error("Message larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}
