//! Fault points: named places where tests can make the engine panic on purpose, to check that
//! every boundary turns the panic into an error instead of a crash. Compiled to nothing unless the
//! `fault-points` feature is on (it is, in the workspace's own tests only).

#[cfg(feature = "fault-points")]
static ARMED: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());

/// Arms a fault point: the next time code passes it, it panics (once).
#[cfg(feature = "fault-points")]
pub fn arm(point: &'static str) {
    ARMED.lock().unwrap_or_else(|e| e.into_inner()).push(point);
}

/// Panics here if a test armed this point.
#[inline]
pub fn point(name: &'static str) {
    #[cfg(feature = "fault-points")]
    {
        let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = armed.iter().position(|p| *p == name) {
            armed.remove(i);
            drop(armed);
            panic!("fault point {name} armed by a test");
        }
    }
    #[cfg(not(feature = "fault-points"))]
    let _ = name;
}
