//! [`S<N>`](S): numpy's fixed-size byte string (`|S8`).

use std::fmt;
use std::hash::Hash;
use std::str::Utf8Error;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::dtype::{ByteOrder, Dtype, ScalarKind};
use crate::record::Record;

/// numpy's `|S<N>`: `N` bytes holding a byte string of at most `N` bytes, padded with NULs.
///
/// As in numpy, the value is the bytes before the trailing NULs: [`as_bytes`](S::as_bytes)
/// strips them (numpy's `a['symbol'][0]` is `b'AAPL'`, not `b'AAPL\x00\x00\x00\x00'`), and a
/// string that ends in NUL bytes cannot be told from a shorter one. Comparisons, hashing and
/// ordering are numpy's too: by the bytes, the shorter string first when one is a prefix of
/// the other.
///
/// # Examples
///
/// ```
/// use recmap::{Record, S};
///
/// let sym = S::<8>::new("AAPL")?;
/// assert_eq!(sym.as_bytes(), b"AAPL");
/// assert_eq!(sym.to_str()?, "AAPL");
/// assert_eq!(sym.as_raw(), b"AAPL\0\0\0\0");
/// assert_eq!(format!("{sym} {sym:?}"), r#"AAPL b"AAPL""#);
/// assert!(S::<4>::new("GOOGL").is_err()); // 5 bytes do not fit in 4
/// assert_eq!(<S<8>>::DTYPE.descr(), "'|S8'");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct S<const N: usize>([u8; N]);

impl<const N: usize> S<N> {
    /// `bytes`, NUL-padded to `N` bytes.
    ///
    /// # Errors
    ///
    /// [`TooLong`] if `bytes` has more than `N` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::S;
    /// assert_eq!(S::<4>::new(b"ab")?.as_raw(), b"ab\0\0");
    /// let err = S::<4>::new("abcdef").unwrap_err();
    /// assert_eq!(err.to_string(), "6 bytes do not fit in a numpy |S4 string");
    /// # Ok::<(), recmap::types::TooLong>(())
    /// ```
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<S<N>, TooLong> {
        let bytes = bytes.as_ref();
        let mut raw = [0; N];
        raw.get_mut(..bytes.len())
            .ok_or(TooLong {
                len: bytes.len(),
                capacity: N,
            })?
            .copy_from_slice(bytes);
        Ok(S(raw))
    }

    /// The `N` bytes as stored, NULs included.
    ///
    /// ```
    /// let raw = [b'x', 0, b'y', 0];
    /// assert_eq!(recmap::S::from_raw(raw).as_raw(), &raw);
    /// ```
    pub const fn from_raw(raw: [u8; N]) -> S<N> {
        S(raw)
    }

    /// The stored bytes, trailing NULs included.
    ///
    /// ```
    /// assert_eq!(recmap::S::<3>::new("a")?.as_raw(), b"a\0\0");
    /// # Ok::<(), recmap::types::TooLong>(())
    /// ```
    pub const fn as_raw(&self) -> &[u8; N] {
        &self.0
    }

    /// The string: the stored bytes without their trailing NULs, as numpy reads them. NULs
    /// before the last non-NUL byte stay.
    ///
    /// ```
    /// use recmap::S;
    /// assert_eq!(S::from_raw(*b"a\0b\0\0").as_bytes(), b"a\0b");
    /// assert_eq!(S::<4>::default().as_bytes(), b"");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.0.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        self.0.split_at(len).0
    }

    /// The string as UTF-8 text (numpy's `.decode()`).
    ///
    /// # Errors
    ///
    /// [`Utf8Error`] if the bytes are not UTF-8.
    ///
    /// ```
    /// use recmap::S;
    /// assert_eq!(S::<8>::new("café")?.to_str()?, "café");
    /// assert!(S::from_raw([0xff, 0]).to_str().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_str(&self) -> Result<&str, Utf8Error> {
        std::str::from_utf8(self.as_bytes())
    }

    /// The length of the string (the bytes before the trailing NULs), as numpy's `len()`.
    ///
    /// ```
    /// assert_eq!(recmap::S::<8>::new("IBM")?.len(), 3);
    /// # Ok::<(), recmap::types::TooLong>(())
    /// ```
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether every byte is NUL (numpy's `b''`).
    ///
    /// ```
    /// assert!(recmap::S::<8>::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }
}

impl<const N: usize> Record for S<N> {
    const DTYPE: Dtype = {
        assert!(N > 0, "S<0> is not a Record (it has no bytes)");
        Dtype::Scalar {
            kind: ScalarKind::Bytes,
            size: N,
            order: ByteOrder::NotApplicable,
        }
    };
}

impl<const N: usize> Default for S<N> {
    /// The empty string: `N` NULs.
    fn default() -> S<N> {
        S([0; N])
    }
}

impl<const N: usize> TryFrom<&[u8]> for S<N> {
    type Error = TooLong;

    /// As [`S::new`].
    fn try_from(bytes: &[u8]) -> Result<S<N>, TooLong> {
        S::new(bytes)
    }
}

impl<const N: usize> TryFrom<&str> for S<N> {
    type Error = TooLong;

    /// As [`S::new`].
    fn try_from(text: &str) -> Result<S<N>, TooLong> {
        S::new(text)
    }
}

impl<const N: usize> std::str::FromStr for S<N> {
    type Err = TooLong;

    /// As [`S::new`].
    fn from_str(text: &str) -> Result<S<N>, TooLong> {
        S::new(text)
    }
}

impl<const N: usize> From<[u8; N]> for S<N> {
    /// As [`S::from_raw`].
    fn from(raw: [u8; N]) -> S<N> {
        S(raw)
    }
}

impl<const N: usize> PartialEq<[u8]> for S<N> {
    /// Whether the string (without trailing NULs) is `other`.
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl<const N: usize> PartialEq<&[u8]> for S<N> {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl<const N: usize> PartialEq<str> for S<N> {
    /// Whether the string (without trailing NULs) is `other`'s bytes.
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> PartialEq<&str> for S<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> fmt::Debug for S<N> {
    /// A Rust byte-string literal of the string: `b"AAPL"`, `b"\xff"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.as_bytes().escape_ascii())
    }
}

impl<const N: usize> fmt::Display for S<N> {
    /// The string as text, with U+FFFD for bytes that are not UTF-8.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.as_bytes().utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

/// A string too long for an [`S<N>`](S).
///
/// ```
/// let err = recmap::S::<2>::new("abc").unwrap_err();
/// assert_eq!((err.len, err.capacity), (3, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes do not fit in a numpy |S{capacity} string")]
pub struct TooLong {
    /// The length of the string given.
    pub len: usize,
    /// `N`: the most bytes the type holds.
    pub capacity: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_equality_are_by_the_string() {
        let s = |t: &str| S::<4>::new(t).unwrap();
        assert!(s("ab") < s("abc"));
        assert!(s("abc") < s("abd"));
        assert!(s("") < s("a"));
        assert_eq!(s("ab"), S::from_raw(*b"ab\0\0"));
        assert_eq!(s("ab"), "ab");
        assert_eq!(s("ab"), &b"ab"[..]);
        assert_eq!(s("abcd").as_bytes(), b"abcd");
        assert_eq!(S::<4>::new([0xff, b'a']).unwrap().to_string(), "\u{fffd}a");
        assert_eq!(
            format!("{:?}", S::<4>::new("a\"\n").unwrap()),
            r#"b"a\"\n""#
        );
        assert!(S::<4>::try_from("abcd").is_ok());
        assert_eq!(
            S::<4>::try_from(&b"abcde"[..]),
            Err(TooLong {
                len: 5,
                capacity: 4
            })
        );
    }
}
