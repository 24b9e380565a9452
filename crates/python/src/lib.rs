//! `ferry._native`: the extension module under the `ferry` package.
//!
//! It holds what must be fast or must run without the GIL: the connection pool of each gateway
//! (from `ferry-client`), argument encoding and reply decoding (with `ferry-protocol`), reference
//! handles whose garbage collection queues `m d` releases, and the waits on sockets, which release
//! the GIL and check for signals so that Ctrl-C raises `KeyboardInterrupt` promptly. The Python
//! objects it builds (proxies, exceptions) come from hooks the package registers once.
//!
//! It also holds the embedded mode (`embedded*.rs`): a JVM started inside the Python process and
//! driven through ferry's engine directly, with no socket.

mod bulk;
mod callback;
mod client;
mod decode;
mod embedded;
mod embedded_args;
mod embedded_threads;
mod encode;
mod errors;
mod fork;
mod handles;
mod hooks;
mod member;
mod object;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::PyClient>()?;
    m.add_class::<member::JavaMember>()?;
    m.add_class::<object::JavaObject>()?;
    m.add_class::<object::JavaClass>()?;
    m.add_function(wrap_pyfunction!(object::install_proxy_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(object::install_object_converter, m)?)?;
    m.add_class::<handles::Ref>()?;
    m.add_class::<handles::StreamReader>()?;
    m.add_class::<bulk::Bulk>()?;
    m.add_function(wrap_pyfunction!(bulk::install_bulk_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(hooks::install, m)?)?;
    m.add_function(wrap_pyfunction!(hooks::set_converter_override, m)?)?;
    m.add_class::<callback::Dispatcher>()?;
    m.add_class::<callback::PyListener>()?;
    m.add_class::<callback::PyConnection>()?;
    m.add_function(wrap_pyfunction!(callback::install_callbacks, m)?)?;
    m.add_function(wrap_pyfunction!(callback::pinned_set_handler, m)?)?;
    m.add_function(wrap_pyfunction!(callback::pinned_stats, m)?)?;
    m.add_class::<embedded::EmbeddedClient>()?;
    m.add_class::<embedded::EmbeddedStream>()?;
    m.add_function(wrap_pyfunction!(embedded::embedded_start_jvm, m)?)?;
    m.add_function(wrap_pyfunction!(embedded::embedded_jvm_config, m)?)?;
    m.add_function(wrap_pyfunction!(
        embedded_threads::embedded_watch_signals,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(embedded_threads::embedded_at_exit, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    fork::register();
    Ok(())
}
