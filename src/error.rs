//! The one error type of the crate.
//!
//! Every failure is an [`Error`] variant that carries the facts (path, offset, lengths,
//! alignment), so a caller can react to it and a person can read it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::map::Access;
use crate::npy::{HeaderProblem, printable};

/// A `Result` whose error defaults to [`Error`].
///
/// ```
/// fn first_byte(m: &recmap::Map) -> recmap::Result<u8> {
///     m.read_at(0)
/// }
/// assert_eq!(first_byte(&recmap::Map::anon(1)?)?, 0);
/// # Ok::<(), recmap::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in recmap.
///
/// The enum is `#[non_exhaustive]`: later versions may add variants, so a `match` needs a
/// wildcard arm.
///
/// # Examples
///
/// ```
/// use recmap::{Error, Map};
///
/// let mut m = Map::anon(4)?;
/// match m.write_at(2, b"xyz") {
///     Err(Error::OutOfBounds { offset, len, map_len }) => {
///         assert_eq!((offset, len, map_len), (2, 3, 4));
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), recmap::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system call failed.
    #[error("cannot {op} {}: {source}", path_label(path.as_deref()))]
    Io {
        /// The file concerned; `None` for anonymous maps.
        path: Option<PathBuf>,
        /// What was being done, e.g. `"open"`, `"map"`, `"flush"`.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A write (or a mutable view) was asked of a map or table opened read-only.
    #[error("cannot {op}: the map was opened with {access:?} access")]
    ReadOnly {
        /// The access the map was opened with.
        access: Access,
        /// The refused operation, e.g. `"write"`, `"resize"`.
        op: &'static str,
    },

    /// A byte range does not lie inside the map.
    #[error("range of {len} bytes at offset {offset} is out of bounds of a {map_len}-byte map")]
    OutOfBounds {
        /// Where the range starts.
        offset: usize,
        /// How many bytes it covers.
        len: usize,
        /// How long the map is.
        map_len: usize,
    },

    /// A seek would put the cursor before the start or past the end of the map (Python's
    /// "seek out of range").
    #[error("cannot seek to {target}: outside 0..={map_len}")]
    SeekOutOfRange {
        /// The position the seek asked for (may be negative).
        target: i128,
        /// How long the map is.
        map_len: usize,
    },

    /// A read-only or copy-on-write map was asked to reach past the end of its file.
    ///
    /// (A [`Write`](Access::Write) map extends the file instead, as Python's `mmap` does.)
    #[error(
        "cannot map {len} bytes at offset {offset} of {}: the file has only {file_len} bytes",
        path.display()
    )]
    PastEndOfFile {
        /// The file.
        path: PathBuf,
        /// The requested offset into the file.
        offset: u64,
        /// The requested length.
        len: u64,
        /// The file's actual length.
        file_len: u64,
    },

    /// A length or offset does not fit the address space (`usize`) of this machine.
    #[error("a map of {len} bytes at offset {offset} does not fit in this address space")]
    TooLarge {
        /// The requested offset.
        offset: u64,
        /// The requested length.
        len: u64,
    },

    /// Another map or table (in this or another process) holds a conflicting lock on the file.
    #[error(
        "{} is held by {held_by} (wanted {} lock){}",
        path.display(),
        if *exclusive { "an exclusive" } else { "a shared" },
        if *held_by == LockHolder::Appender {
            "; to read a table while it is appended to, open it with Table::open_read"
        } else {
            ""
        }
    )]
    Locked {
        /// The locked file.
        path: PathBuf,
        /// Whether the refused lock was exclusive (for writing) or shared (for reading).
        exclusive: bool,
        /// Who holds the lock that was in the way, as far as the system could tell.
        held_by: LockHolder,
    },

    /// A .npy file's header is missing, corrupt, or describes something recmap cannot map.
    #[error("{}: {problem}", printable(&path.display().to_string()))]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: HeaderProblem,
    },

    /// A .npy file holds records of another type than the table's.
    #[error(
        "{}: the file's records do not match the table's type at {}: expected {}, found {}",
        printable(&path.display().to_string()),
        if field.is_empty() { "the record type".to_owned() } else { format!("field `{}`", printable(field)) },
        printable(expected),
        printable(found)
    )]
    SchemaMismatch {
        /// The file.
        path: PathBuf,
        /// The first field that differs (`outer.inner` for nested fields; empty when the
        /// record types differ as a whole, `shape` when the dimensions differ).
        field: String,
        /// What the table's type has there (numpy's notation).
        expected: String,
        /// What the file has there.
        found: String,
    },

    /// A typed view's start is not aligned for its type.
    #[error("address {address:#x} (offset {offset}) is not aligned to {align} bytes")]
    Misaligned {
        /// Offset of the view into the byte slice.
        offset: usize,
        /// The actual address of that byte.
        address: usize,
        /// The alignment the type needs.
        align: usize,
    },

    /// A file's header must be rewritten as a new file renamed over the old one, but the file
    /// has other hard links, which would keep the old data under their names.
    #[error(
        "cannot rewrite the header of {}: the file has {links} hard links, and replacing it would leave the other names with the old data (give it one link, or a header with room for a 20-digit count)",
        path.display()
    )]
    HardLinked {
        /// The file.
        path: PathBuf,
        /// How many names it has.
        links: u64,
    },

    /// The operation needs something this machine does not have.
    #[error("not supported here: {what}")]
    Unsupported {
        /// What is missing.
        what: &'static str,
    },

    /// A table was used to write from a process that did not open it: the child of a
    /// `fork()`, which shares the parent's file and locks but not its count. Open the table
    /// again in the child.
    #[error(
        "{}: this table was opened in another process (before a fork); open it again in this one to {op}",
        path.display()
    )]
    Forked {
        /// The table's file.
        path: PathBuf,
        /// The refused operation, e.g. `"push"`, `"flush"`.
        op: &'static str,
    },

    /// A byte length is not a whole number of values of the viewed type.
    #[error("{len} bytes are not a whole number of {elem_size}-byte values")]
    SizeMismatch {
        /// Length of the byte slice.
        len: usize,
        /// Size of one value.
        elem_size: usize,
    },
}

/// Who holds a file when [`Error::Locked`] refuses a lock: the role of the map or table in the
/// way.
///
/// # Examples
///
/// ```
/// use recmap::{Error, LockHolder, Table};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.npy");
/// let _log = Table::<u64>::create_append(&path)?;
/// match Table::<u64>::open(&path).unwrap_err() {
///     Error::Locked { held_by, .. } => assert_eq!(held_by, LockHolder::Appender),
///     other => panic!("{other}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LockHolder {
    /// A writer alone: a `ReadWrite` table or a `Write` map.
    Writer,
    /// The appender of a table (`create_append`, `open_append`).
    Appender,
    /// A writer waiting for the readers already there (new readers queue behind it).
    WaitingWriter,
    /// Readers: `Read`/`Copy` maps (which keep appenders out) or table readers.
    Readers,
    /// Nobody any more (the holder let go as the lock was refused), or a program outside
    /// recmap's roles (a whole-file `fcntl` lock).
    Unknown,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockHolder::Writer => "a writer",
            LockHolder::Appender => "an appender",
            LockHolder::WaitingWriter => "a writer waiting for its readers",
            LockHolder::Readers => "readers",
            LockHolder::Unknown => "another map or process",
        })
    }
}

fn path_label(path: Option<&Path>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "anonymous map".to_owned(),
    }
}

impl Error {
    pub(crate) fn io(path: Option<&Path>, op: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.map(Path::to_path_buf),
            op,
            source,
        }
    }

    /// The `std::io::ErrorKind` that best describes this error.
    ///
    /// Used when an error crosses a `std::io` trait (`Read`, `Write`, `Seek`), and handy for
    /// callers that already classify I/O errors by kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// let err = recmap::Map::anon(1)?.write_at(5, b"x").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::Io { source, .. } => source.kind(),
            Error::ReadOnly { .. } => io::ErrorKind::PermissionDenied,
            Error::Locked { .. } => io::ErrorKind::WouldBlock,
            Error::PastEndOfFile { .. } => io::ErrorKind::UnexpectedEof,
            Error::BadHeader { .. } | Error::SchemaMismatch { .. } => io::ErrorKind::InvalidData,
            Error::OutOfBounds { .. }
            | Error::SeekOutOfRange { .. }
            | Error::TooLarge { .. }
            | Error::Misaligned { .. }
            | Error::SizeMismatch { .. } => io::ErrorKind::InvalidInput,
            Error::Unsupported { .. } => io::ErrorKind::Unsupported,
            Error::Forked { .. } => io::ErrorKind::PermissionDenied,
            Error::HardLinked { .. } => io::ErrorKind::InvalidInput,
        }
    }
}

/// Lets `?` carry a recmap error out of a function that returns `std::io::Result`; the original
/// is kept as the inner error (`io::Error::get_ref` / `downcast`).
impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        io::Error::new(err.kind(), err)
    }
}
