//! How a command fails, decided in one place: [`crate::Engine`] turns each kind into its Py4J reply.

use crate::jni_raw::{JniError, Local};

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The invoked Java code threw this exception: the client gets a reference to it (`!xr`).
    Thrown(Local),
    /// Something the gateway did on the client's behalf threw (class lookup, reflection): the
    /// client gets the stack trace as text (`!xs`).
    Internal(Local),
    /// A gateway-level error with a message (`!xs`).
    Message(String),
    /// A bare error (`!x`), where Py4J gives no detail.
    Bare,
    /// The client broke the protocol (`!z`); the connection closes.
    Fatal(String),
    /// A Java exception Py4J lets escape its command handler (`!z` with its stack trace); the
    /// connection closes.
    FatalThrown(Local),
}

impl Failure {
    /// A JNI failure of the invoked code.
    pub fn thrown(e: JniError) -> Failure {
        match e {
            JniError::Thrown(t) => Failure::Thrown(t),
            JniError::Failed(m) => Failure::Message(m.into()),
        }
    }

    /// A JNI failure of the gateway's own work.
    pub fn internal(e: JniError) -> Failure {
        match e {
            JniError::Thrown(t) => Failure::Internal(t),
            JniError::Failed(m) => Failure::Message(m.into()),
        }
    }

    /// Same as [`Failure::internal`].
    pub fn from_jni(e: JniError) -> Failure {
        Failure::internal(e)
    }
}
