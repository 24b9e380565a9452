//! The client's errors, grouped by what went wrong.

use std::io;
use std::time::Duration;

use ferry_protocol::ProtocolError;

/// When a network error happened, as py4j reports it (`Py4JNetworkError.when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// While writing a command (`"on_send"`).
    OnSend,
    /// While waiting for or reading the reply (`"on_receive"`).
    OnReceive,
    /// The gateway closed the connection instead of answering (`"empty_response"`).
    EmptyResponse,
    /// Anything else (connecting, authenticating).
    Other,
}

impl When {
    /// py4j's spelling, or `None` for [`When::Other`].
    pub fn as_py4j(self) -> Option<&'static str> {
        match self {
            When::OnSend => Some("on_send"),
            When::OnReceive => Some("on_receive"),
            When::EmptyResponse => Some("empty_response"),
            When::Other => None,
        }
    }
}

/// Why a request did not get its reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No connection could be opened.
    #[error("could not connect to the gateway at {endpoint}: {source}")]
    Connect {
        /// The endpoint tried.
        endpoint: String,
        /// The system's error.
        source: io::Error,
    },
    /// Writing a command failed.
    #[error("error while sending a command to the gateway at {endpoint}: {source}")]
    Send {
        /// The endpoint of the connection.
        endpoint: String,
        /// The system's error.
        source: io::Error,
    },
    /// Reading a reply failed.
    #[error("error while receiving an answer from the gateway at {endpoint}: {source}")]
    Receive {
        /// The endpoint of the connection.
        endpoint: String,
        /// The system's error.
        source: io::Error,
    },
    /// The gateway closed the connection before answering.
    #[error("the gateway at {endpoint} closed the connection without answering")]
    Closed {
        /// The endpoint of the connection.
        endpoint: String,
    },
    /// The reply did not come within the read timeout.
    #[error("no answer from the gateway at {endpoint} within {timeout:?}")]
    Timeout {
        /// The endpoint of the connection.
        endpoint: String,
        /// The read timeout.
        timeout: Duration,
    },
    /// The wait was interrupted (the caller's interrupt check said so).
    #[error("interrupted while waiting for the gateway")]
    Interrupted,
    /// The gateway refused the authentication token.
    #[error("failed to authenticate with the gateway at {endpoint}: {detail}")]
    Auth {
        /// The endpoint of the connection.
        endpoint: String,
        /// What the gateway answered.
        detail: String,
    },
    /// The gateway sent bytes that are not a reply.
    #[error("the gateway at {endpoint} sent an unreadable answer: {source}")]
    Protocol {
        /// The endpoint of the connection.
        endpoint: String,
        /// The decoding error.
        source: ProtocolError,
    },
    /// The client was shut down (`shutdown_server`); it opens no more connections.
    #[error("the gateway is not connected (it was shut down)")]
    NotConnected,
}

impl ClientError {
    /// When the error happened, in py4j's terms.
    pub fn when(&self) -> When {
        match self {
            ClientError::Send { .. } => When::OnSend,
            ClientError::Receive { .. }
            | ClientError::Timeout { .. }
            | ClientError::Protocol { .. }
            | ClientError::Interrupted => When::OnReceive,
            ClientError::Closed { .. } => When::EmptyResponse,
            ClientError::Connect { .. } | ClientError::Auth { .. } | ClientError::NotConnected => {
                When::Other
            }
        }
    }

    /// Whether the error means the gateway cannot be reached or went away (as opposed to an
    /// interrupt, a timeout or a refused token).
    pub fn is_gateway_gone(&self) -> bool {
        matches!(
            self,
            ClientError::Connect { .. }
                | ClientError::Send { .. }
                | ClientError::Receive { .. }
                | ClientError::Closed { .. }
        )
    }
}
