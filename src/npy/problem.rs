//! [`HeaderProblem`]: why a header was refused, the format layer's own error type (the
//! crate's `Error::BadHeader` wraps it).

/// Why a .npy header was refused; carried by [`Error::BadHeader`](crate::Error::BadHeader).
///
/// # Examples
///
/// ```
/// use recmap::npy::{Header, HeaderProblem};
/// assert_eq!(
///     Header::parse(b"\x93NUMPY\x07\x00").unwrap_err(),
///     HeaderProblem::UnsupportedVersion { major: 7, minor: 0 }
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// The file does not start with `\x93NUMPY`.
    #[error("not a .npy file: it starts with {found:02x?}, not the .npy magic string")]
    BadMagic {
        /// The first bytes found (up to six).
        found: Vec<u8>,
    },
    /// A version numpy does not define.
    #[error("unsupported .npy format version {major}.{minor} (known: 1.0, 2.0, 3.0)")]
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The file ends inside the preamble or the header.
    #[error("the header needs {needed} bytes but the file has only {file_len}")]
    HeaderPastEnd {
        /// Bytes the preamble and header need.
        needed: u64,
        /// The file's length.
        file_len: u64,
    },
    /// The header is not text in the version's encoding.
    #[error("the header is not {encoding} text")]
    NotText {
        /// `"Latin-1"` or `"UTF-8"`.
        encoding: &'static str,
    },
    /// The header is not a valid Python literal.
    #[error("header syntax error at byte {pos}: expected {expected}")]
    Syntax {
        /// Byte offset in the header text.
        pos: usize,
        /// What the parser expected there.
        expected: &'static str,
    },
    /// The header is valid Python but not the dict numpy writes.
    #[error("header {}", printable(what))]
    Malformed {
        /// What is wrong, e.g. "has no 'shape' key".
        what: String,
    },
    /// `fortran_order` is `True`: column-major data, which recmap does not read.
    #[error("fortran_order is True: recmap reads only C-order (row-major) data")]
    FortranOrder,
    /// A dtype recmap cannot map, such as Python objects (`'O'`).
    #[error("unsupported dtype {}: {why}", printable(descr))]
    UnsupportedDtype {
        /// The descr text.
        descr: String,
        /// Why it is unsupported.
        why: &'static str,
    },
    /// The file is shorter than its header says: records are missing.
    #[error(
        "truncated: the header promises {count} records ({needed} bytes from offset {data_start}) but the file has {file_len} bytes"
    )]
    Truncated {
        /// Records the header promises.
        count: u64,
        /// Bytes those records need.
        needed: u64,
        /// Where the data starts.
        data_start: u64,
        /// The file's length.
        file_len: u64,
    },
}

/// `text` with its control characters escaped (`\r` as `\\r`, ESC as `\\u{1b}`): header text
/// echoed in a message must not move the cursor or recolour the terminal it is printed on.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

pub(super) fn malformed(what: &str) -> HeaderProblem {
    HeaderProblem::Malformed {
        what: what.to_owned(),
    }
}
