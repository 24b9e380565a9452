//! Client errors to Python exceptions.

use ferry_client::ClientError;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;

use crate::hooks;

/// Short names of error kinds, given to the package's exception factory.
fn kind(e: &ClientError) -> &'static str {
    match e {
        ClientError::Connect { .. } => "connect",
        ClientError::Send { .. } => "send",
        ClientError::Receive { .. } => "receive",
        ClientError::Closed { .. } => "closed",
        ClientError::Timeout { .. } => "timeout",
        ClientError::Interrupted => "interrupted",
        ClientError::Auth { .. } => "auth",
        ClientError::Protocol { .. } => "protocol",
        ClientError::NotConnected => "not_connected",
        _ => "other",
    }
}

/// The Python exception for a client error: the package's factory builds it (a
/// `Py4JNetworkError`, or `Py4JAuthenticationError`), adding what it knows about the gateway
/// process. `interrupt` is the exception a signal handler raised during the wait, if any.
pub(crate) fn to_pyerr(
    py: Python<'_>,
    error: ClientError,
    owner: Option<&Bound<'_, PyAny>>,
    interrupt: Option<PyErr>,
) -> PyErr {
    if let ClientError::Interrupted = error {
        return interrupt.unwrap_or_else(|| PyKeyboardInterrupt::new_err(()));
    }
    let hooks = match hooks::get(py) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let when = error.when().as_py4j();
    let owner = owner.map_or_else(|| py.None().into_bound(py), |o| o.clone());
    match hooks
        .network_error
        .bind(py)
        .call1((owner, error.to_string(), when, kind(&error)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}
