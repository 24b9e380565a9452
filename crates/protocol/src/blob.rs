//! Raw bytes of a value (bytes, primitive elements): owned, or a window on the body of the frame
//! they arrived in, so that a large value is handed over without a copy.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

/// The bytes of a [`crate::Value::Bytes`] or of [`crate::Prims`].
///
/// A decoder given a shared frame body ([`crate::binary::decode_command_shared`]) makes large
/// values windows on it: the body stays alive while any of them does, and its owner can take
/// it back ([`Arc::try_unwrap`]) once they are all gone.
#[derive(Clone, Default)]
pub struct Blob(Repr);

#[derive(Clone)]
enum Repr {
    Owned(Vec<u8>),
    Shared(Arc<Vec<u8>>, Range<usize>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Owned(Vec::new())
    }
}

impl Blob {
    /// A window on `body`; `None` when `range` is not inside it.
    pub fn shared(body: &Arc<Vec<u8>>, range: Range<usize>) -> Option<Blob> {
        body.get(range.clone())?;
        Some(Blob(Repr::Shared(Arc::clone(body), range)))
    }

    /// Whether the bytes are a window on a frame body rather than a buffer of their own.
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(..))
    }

    /// The bytes as a vector of their own (a copy only when they are a window).
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Owned(v) => v,
            Repr::Shared(body, range) => body[range].to_vec(),
        }
    }
}

impl Blob {
    /// The bytes' own vector, when they have one (`Err` gives a window back unchanged).
    pub fn try_into_vec(self) -> Result<Vec<u8>, Blob> {
        match self.0 {
            Repr::Owned(v) => Ok(v),
            shared => Err(Blob(shared)),
        }
    }
}

impl Deref for Blob {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Repr::Owned(v) => v,
            // In range: checked when the window was made, and the body never changes (it is
            // shared, hence immutable).
            Repr::Shared(body, range) => &body[range.clone()],
        }
    }
}

impl AsRef<[u8]> for Blob {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Blob {
        Blob(Repr::Owned(v))
    }
}

impl From<&[u8]> for Blob {
    fn from(v: &[u8]) -> Blob {
        Blob(Repr::Owned(v.to_vec()))
    }
}

impl FromIterator<u8> for Blob {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Blob {
        Blob(Repr::Owned(iter.into_iter().collect()))
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        **self == **other
    }
}

impl Eq for Blob {}

impl PartialEq<[u8]> for Blob {
    fn eq(&self, other: &[u8]) -> bool {
        **self == *other
    }
}

impl PartialEq<Vec<u8>> for Blob {
    fn eq(&self, other: &Vec<u8>) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Large values would flood a log: their length and first bytes say enough.
        const SHOWN: usize = 32;
        if self.len() <= SHOWN {
            fmt::Debug::fmt(&**self, f)
        } else {
            write!(f, "{:?}.. ({} bytes)", &self[..SHOWN], self.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_reads_its_range_and_keeps_the_body_alive() {
        let body = Arc::new((0u8..100).collect::<Vec<_>>());
        let b = Blob::shared(&body, 10..20).expect("in range");
        assert!(b.is_shared());
        assert_eq!(&*b, &(10u8..20).collect::<Vec<_>>()[..]);
        assert!(Arc::try_unwrap(body.clone()).is_err());
        drop(b);
        assert!(Arc::try_unwrap(body).is_ok());
    }

    #[test]
    fn a_window_out_of_range_is_refused() {
        let body = Arc::new(vec![0u8; 8]);
        assert!(Blob::shared(&body, 4..9).is_none());
        assert!(Blob::shared(&body, 9..9).is_none());
    }

    #[test]
    fn owned_and_shared_compare_by_content() {
        let body = Arc::new(vec![1u8, 2, 3]);
        let shared = Blob::shared(&body, 0..3).expect("in range");
        assert_eq!(shared, Blob::from(vec![1, 2, 3]));
        assert_eq!(shared.clone().into_vec(), vec![1, 2, 3]);
        assert_eq!(format!("{shared:?}"), "[1, 2, 3]");
    }
}
