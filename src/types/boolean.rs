//! [`Bool`]: numpy's `|b1`.

use std::fmt;
use std::hash::{Hash, Hasher};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::dtype::{ByteOrder, Dtype, ScalarKind};
use crate::record::Record;

/// numpy's `bool` (`|b1`): one byte, false if it is 0 and true otherwise.
///
/// Rust's `bool` cannot be a record field: only the bytes 0 and 1 are valid `bool`s, and a
/// file may hold any byte (numpy itself reads a stored 2 as `True`). `Bool` holds the byte as
/// stored and reads it as numpy does; it writes `true` as 1. Equality, hashing and ordering
/// are those of the `bool` it reads as, so a stored 2 equals [`Bool::TRUE`].
///
/// # Examples
///
/// ```
/// use recmap::{Bool, Record};
///
/// assert!(Bool::from(true).get());
/// assert!(Bool::from_raw(2).get()); // any non-zero byte, as numpy
/// assert_eq!(Bool::from_raw(2), Bool::TRUE);
/// assert_eq!(Bool::from(true).raw(), 1);
/// assert!(!bool::from(Bool::default()));
/// assert_eq!(Bool::DTYPE.descr(), "'|b1'");
/// ```
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct Bool(u8);

impl Bool {
    /// `false`, stored as 0.
    ///
    /// ```
    /// use zerocopy::IntoBytes;
    /// assert_eq!((recmap::Bool::FALSE.as_bytes(), bool::from(recmap::Bool::FALSE)), (&[0u8][..], false));
    /// ```
    pub const FALSE: Bool = Bool(0);
    /// `true`, stored as 1.
    ///
    /// ```
    /// use zerocopy::IntoBytes;
    /// assert_eq!((recmap::Bool::TRUE.as_bytes(), bool::from(recmap::Bool::TRUE)), (&[1u8][..], true));
    /// ```
    pub const TRUE: Bool = Bool(1);

    /// `value`, stored as 0 or 1.
    ///
    /// ```
    /// assert_eq!(recmap::Bool::new(true).raw(), 1);
    /// ```
    pub const fn new(value: bool) -> Bool {
        Bool(value as u8)
    }

    /// The byte as stored, whatever it is.
    ///
    /// ```
    /// assert_eq!(recmap::Bool::from_raw(7).raw(), 7);
    /// ```
    pub const fn from_raw(byte: u8) -> Bool {
        Bool(byte)
    }

    /// The stored byte.
    ///
    /// ```
    /// assert_eq!(recmap::Bool::FALSE.raw(), 0);
    /// ```
    pub const fn raw(self) -> u8 {
        self.0
    }

    /// The value: whether the byte is not 0.
    ///
    /// ```
    /// assert!(recmap::Bool::from_raw(0x80).get());
    /// ```
    pub const fn get(self) -> bool {
        self.0 != 0
    }
}

impl Record for Bool {
    const DTYPE: Dtype = Dtype::Scalar {
        kind: ScalarKind::Bool,
        size: 1,
        order: ByteOrder::NotApplicable,
    };
}

impl From<bool> for Bool {
    fn from(value: bool) -> Bool {
        Bool::new(value)
    }
}

impl From<Bool> for bool {
    fn from(value: Bool) -> bool {
        value.get()
    }
}

impl PartialEq for Bool {
    fn eq(&self, other: &Bool) -> bool {
        self.get() == other.get()
    }
}

impl Eq for Bool {}

impl PartialEq<bool> for Bool {
    fn eq(&self, other: &bool) -> bool {
        self.get() == *other
    }
}

impl Hash for Bool {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.get().hash(state);
    }
}

impl PartialOrd for Bool {
    fn partial_cmp(&self, other: &Bool) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bool {
    /// `false < true`, as for `bool`.
    fn cmp(&self, other: &Bool) -> std::cmp::Ordering {
        self.get().cmp(&other.get())
    }
}

impl std::ops::Not for Bool {
    type Output = Bool;

    fn not(self) -> Bool {
        Bool::new(!self.get())
    }
}

impl fmt::Debug for Bool {
    /// As the `bool` it reads as.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

impl fmt::Display for Bool {
    /// As the `bool` it reads as.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.get(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn any_non_zero_byte_is_true() {
        for b in 0..=255u8 {
            assert_eq!(Bool::from_raw(b).get(), b != 0);
        }
        let set: HashSet<Bool> = [Bool::from_raw(1), Bool::from_raw(9), Bool::FALSE]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 2);
        assert!(Bool::FALSE < Bool::from_raw(200));
        assert_eq!(!Bool::from_raw(3), Bool::FALSE);
        assert_eq!(
            format!("{:?} {}", Bool::from_raw(5), Bool::FALSE),
            "true false"
        );
    }
}
