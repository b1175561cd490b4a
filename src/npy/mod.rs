//! The .npy file format (numpy's NEP 1), on its own: a magic string, a version, a header that
//! is a Python dict literal (`descr`, `fortran_order`, `shape`), padded so the data starts
//! 64-byte aligned, then the data. Tables and the CLI's `info`/`dump` both build on it.
//!
//! - `header`: [`Header`] — parse and check any header; write recmap's own;
//! - `dtype`: [`NpyDtype`] — the `descr`, from a literal or a Rust record's [`Dtype`](crate::Dtype);
//! - `problem`: [`HeaderProblem`], this layer's error type;
//! - `literal`: the Python-literal parser. Hand-written rather than a crate's because the
//!   commit protocol needs the byte span of the count to rewrite it in place, and because
//!   numpy's reading rules (Python 2 `4L`, no NUL bytes, leading zeros) must be matched exactly.
//!
//! [`Header::parse`] reads and checks any .npy header (numpy's own included) without knowing
//! a Rust type; [`NpyDtype`] is the owned form of its `descr`. Tables write their own headers
//! with the record count in a fixed-width field, so that it can be rewritten in place.

mod dtype;
mod header;
pub(crate) mod literal;
mod problem;

use std::fmt;

pub use dtype::NpyDtype;
pub use header::Header;
pub(crate) use header::{build_array_header, build_header};
pub use problem::HeaderProblem;
pub(crate) use problem::printable;

/// The first six bytes of every .npy file.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("t.npy");
/// recmap::Table::<u8>::create(&path)?;
/// assert!(std::fs::read(&path)?.starts_with(recmap::npy::MAGIC));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Data starts at a multiple of this many bytes (numpy's `ARRAY_ALIGN`).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let t = recmap::Table::<f32>::create(dir.path().join("t.npy"))?;
/// assert_eq!(t.data_offset() % recmap::npy::ARRAY_ALIGN, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const ARRAY_ALIGN: usize = 64;

/// Width of the count field recmap writes into `shape`: any `u64` fits.
pub(crate) const COUNT_WIDTH: usize = 20;

/// recmap's count field ends on a multiple of this: its last 16 bytes are one aligned block
/// (see the commit protocol in `table::commit`).
pub(crate) const COMMIT_ALIGN: usize = 16;

/// A .npy format version.
///
/// # Examples
///
/// ```
/// use recmap::npy::Version;
/// assert_eq!(Version::V1.preamble_len(), 10);
/// assert_eq!(Version::from_bytes(3, 0), Some(Version::V3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// 1.0: header length in 2 bytes, Latin-1 header.
    V1,
    /// 2.0: header length in 4 bytes, Latin-1 header.
    V2,
    /// 3.0: header length in 4 bytes, UTF-8 header.
    V3,
}

impl Version {
    /// The version for the two bytes after the magic string, if numpy defines it.
    ///
    /// ```
    /// assert_eq!(recmap::npy::Version::from_bytes(4, 0), None);
    /// ```
    pub fn from_bytes(major: u8, minor: u8) -> Option<Version> {
        match (major, minor) {
            (1, 0) => Some(Version::V1),
            (2, 0) => Some(Version::V2),
            (3, 0) => Some(Version::V3),
            _ => None,
        }
    }

    /// `(major, minor)`.
    ///
    /// ```
    /// assert_eq!(recmap::npy::Version::V2.bytes(), [2, 0]);
    /// ```
    pub fn bytes(self) -> [u8; 2] {
        match self {
            Version::V1 => [1, 0],
            Version::V2 => [2, 0],
            Version::V3 => [3, 0],
        }
    }

    /// Bytes before the header text: magic, version, header length.
    ///
    /// ```
    /// assert_eq!(recmap::npy::Version::V3.preamble_len(), 12);
    /// ```
    pub fn preamble_len(self) -> usize {
        match self {
            Version::V1 => 10,
            Version::V2 | Version::V3 => 12,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor] = self.bytes();
        write!(f, "{major}.{minor}")
    }
}
