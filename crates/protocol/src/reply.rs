//! Replies: the one line that answers a command.

use crate::Value;

/// A reply line (`!` + status + payload).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `!y<value>`: success with a value (`!yv` for void).
    Success(Value),
    /// `!y`: success with nothing (the answer to a Java `g` command).
    Empty,
    /// `!yo`: no such member (field get and set).
    NoMember,
    /// `!ym`: the member is a static method.
    StaticMethod,
    /// `!yc` / `!yc<fqn>`: the name is a class (with its fully qualified name when resolving a
    /// name).
    Class(Option<String>),
    /// `!yp`: the name is (presumably) a package.
    Package,
    /// `!x<value>`: an error; `None` is the bare `!x`. `!xr<id>` means the Java code threw and
    /// `<id>` holds the Throwable; `!xs<text>` carries a message or a stack trace.
    Error(Option<Value>),
    /// `!zs<text>`: the protocol broke; the sender closes the connection after it.
    Fatal(String),
}

impl Reply {
    /// `!yv`.
    pub const VOID: Reply = Reply::Success(Value::Void);

    /// An `!xs<message>` error.
    pub fn error_message(message: impl Into<String>) -> Reply {
        Reply::Error(Some(Value::String(message.into())))
    }

    /// Whether this is an error or a fatal error.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_) | Reply::Fatal(_))
    }
}
