//! Layer 3: [`Table`], a growable file of records stored as a standard `.npy` file.
//!
//! - `mod.rs` (this file): the [`Table`] type, its three roles ([`ReadWrite`], [`Append`],
//!   [`ReadOnly`]) and read access to the records;
//! - `open`: [`TableOptions`], creating and opening in each role, relayout of foreign headers;
//! - `write`: appending (`push`, `extend`, growth) and in-place mutation;
//! - `commit`: the commit protocol — publishing the count, and live readers (`refresh`,
//!   `wait_for_len`, `appender_present`);
//! - `follow`: [`Follower`], batches of new records until the appender is gone;
//!
//! The .npy format itself is the [`crate::npy`] module, one layer down.

mod commit;
mod follow;
mod open;
mod write;

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, Range};
use std::path::Path;

use crate::error::Result;
use crate::map::{Access, Map};
use crate::record::Record;
use crate::view::{Column, View};

pub use commit::{CommitProtocol, commit_protocol};
pub use follow::{AtEnd, Follower};
pub use open::TableOptions;

/// The .npy format, which tables are stored in (also at [`crate::npy`], where it lives).
pub use crate::npy;

/// The largest record alignment a table accepts: the smallest page size, so that an aligned
/// data offset is aligned in every mapping of the file (mappings start on a page).
const MAX_RECORD_ALIGN: usize = 4096;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ReadWrite {}
    impl Sealed for super::Append {}
    impl Sealed for super::ReadOnly {}
}

/// The role a [`Table`] was opened in: [`ReadWrite`], [`Append`] or [`ReadOnly`]. Sealed.
///
/// | role | opened with | may | coexists with |
/// |---|---|---|---|
/// | [`ReadWrite`] | `create`, `open` | everything: in-place mutation, truncate, relayout | nobody |
/// | [`Append`] | `create_append`, `open_append` | push, extend, flush, sync; read its records | any number of `ReadOnly` |
/// | [`ReadOnly`] | `open_read` | read committed records; `refresh`, `wait_for_len` | one `Append`, other readers |
///
/// ```
/// use recmap::{table::Mode, Access, Append, ReadOnly};
/// assert_eq!(<ReadOnly as Mode>::ACCESS, Access::Read);
/// assert_eq!(<Append as Mode>::ACCESS, Access::Write);
/// ```
pub trait Mode: sealed::Sealed + 'static {
    /// The map access the mode needs.
    const ACCESS: Access;
}

/// The roles that add records: [`ReadWrite`] and [`Append`]. Sealed.
///
/// ```
/// fn log<M: recmap::table::Writable>(t: &mut recmap::Table<u64, M>) -> recmap::Result<()> {
///     t.push(1)?;
///     t.flush()
/// }
/// # let dir = tempfile::tempdir()?;
/// log(&mut recmap::Table::<u64>::create_append(dir.path().join("a.npy"))?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Writable: Mode {}

/// A table opened for reading and writing (one writer, exclusive lock). The default mode.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let t: recmap::Table<u8, recmap::ReadWrite> = recmap::Table::create(dir.path().join("t.npy"))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum ReadWrite {}

/// A table opened to append: one appender, alongside any number of live [`ReadOnly`] readers
/// in this and other processes. It can add records and read them, but no method that changes
/// a committed record exists, so trying is a compile-time error:
///
/// ```compile_fail
/// # let dir = tempfile::tempdir()?;
/// let mut t = recmap::Table::<u32>::create_append(dir.path().join("t.npy"))?;
/// t.push(1)?;
/// t[0] = 2; // error: `Table<u32, Append>` cannot be indexed mutably
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ```compile_fail
/// # let dir = tempfile::tempdir()?;
/// let mut t = recmap::Table::<u32>::create_append(dir.path().join("t.npy"))?;
/// t.truncate(0); // error: no method `truncate` on `Table<u32, Append>`
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum Append {}

/// A table opened read-only (shared lock): the methods that change it do not exist, so
/// changing it is a compile-time error rather than a run-time one. It can follow an
/// [`Append`] writer live with [`refresh`](Table::refresh) and
/// [`wait_for_len`](Table::wait_for_len).
///
/// ```compile_fail
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("t.npy");
/// # recmap::Table::<u32>::create(&path)?;
/// let mut t = recmap::Table::<u32>::open_read(&path)?;
/// t.push(1)?; // error: no method `push` on `Table<u32, ReadOnly>`
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum ReadOnly {}

impl Mode for ReadWrite {
    const ACCESS: Access = Access::Write;
}

impl Mode for Append {
    const ACCESS: Access = Access::Write;
}

impl Mode for ReadOnly {
    const ACCESS: Access = Access::Read;
}

impl Writable for ReadWrite {}
impl Writable for Append {}

/// A growable file of records `T`, stored as a standard `.npy` file: numpy opens it with
/// `np.load(path, mmap_mode="r+")` as a structured array (or `float32` of shape `(N, 128)` for
/// `Table<[f32; 128]>`, `float64` of shape `(N,)` for `Table<f64>`).
///
/// A table derefs to `[T]` — the mapped records themselves, no copy — so sorting, binary
/// search, chunks and iterators all work in place. It grows like a `Vec` (the file grows in
/// large steps; bytes past the last record are spare capacity, which numpy ignores).
///
/// # Roles and locks
///
/// A table is opened in one of three roles (see [`Mode`] for the table of what each may do):
/// [`ReadWrite`] (`create`, `open`) changes anything and excludes everyone else; [`Append`]
/// (`create_append`, `open_append`) adds records while any number of [`ReadOnly`] readers
/// (`open_read`) in other processes read along; readers see the records committed when they
/// opened, and more after [`refresh`](Table::refresh) or [`wait_for_len`](Table::wait_for_len).
///
/// The lock protocol, all advisory and all released by the kernel when the process dies
/// (no reader table, no stale slots), is the [map's](Map#safety-model): byte-range locks far
/// past any data. `ReadWrite` holds the file exclusively, so it excludes every other table
/// and every [`Map`]; an `Append` table excludes other appenders, `ReadWrite` tables and plain
/// `Read`/`Copy` maps (whose `&[u8]` would cover bytes it is storing into), but not readers;
/// a reader excludes only `ReadWrite` tables and `Write` maps.
///
/// Per platform (`src/sys/`): Linux uses open-file-description locks (`F_OFD_SETLK`); macOS
/// POSIX record locks with a table of the process's holders (see the README); Windows
/// `LockFileEx`. Microsoft documents `LockFileEx` locks as belonging to the file handle
/// (a second handle of the same process is refused too, as between processes; a child that
/// inherits the handle is not granted the range), as released when the handle is closed or
/// the process ends, as allowed past the end of the file, and as **mandatory** for `ReadFile`
/// and `WriteFile` through other handles — a shared lock even refuses the locker's own
/// writes — while mapped views ignore them. recmap's bytes sit near `i64::MAX`, past any data,
/// so no read or write of recmap's ever meets one. Windows cannot be asked who holds a lock:
/// the "held by" of an error and `appender_present` probe by locking and unlocking at once,
/// and a lock that meets such a probe is retried for up to 1 ms before it counts as refused.
///
/// A conflict is [`Error::Locked`](crate::Error::Locked), or a wait with
/// [`TableOptions::wait_for_lock`] or [`TableOptions::lock_timeout`]; a waiting writer is not
/// starved by readers that keep coming (they queue behind it). After taking its lock a table
/// checks that the file it locked is still the one at the path (a writer may have renamed a
/// new file over it while it waited) and opens again if not.
///
/// A table opened in one process and used in the child of a `fork()` refuses to write there
/// ([`Error::Forked`](crate::Error::Forked)) and publishes nothing when dropped: the child
/// shares the parent's file and locks, but not its count. Open the table again in the child.
/// Until the child drops its copy (or execs: recmap's files close on `exec`), it also shares
/// the parent's locks — an appender's lock stays held while such a child lives, and so does
/// the moment between a `fork` and its `exec` when a thread of a multi-threaded program
/// spawns a process: a table that another thread closes and reopens just then can meet its
/// own old lock (`Error::Locked`); give such opens a [`TableOptions::lock_timeout`].
///
/// A process killed while it *replaces* a file (`overwrite`, a header relayout) may leave a
/// hidden `.NAME.recmap-new-PID-N` beside it; the next replacement of that name removes it
/// once its process is gone.
///
/// # Commit points and durability
///
/// - **Creating** (`create`, `create_append`, [`Array::create`](crate::Array::create)) builds
///   the file under no name (`O_TMPFILE`, or a hidden name where the file system has none),
///   locked, with its header written and its capacity reserved, makes it durable, and only
///   then links it to its name — refusing an existing name. Another process sees no file or a
///   whole one; a failure (a lock, a full disk) leaves nothing. The *name* becomes durable at
///   the table's first [`sync`](Table::sync) (an `fsync` of the directory): a machine crash
///   before it may lose the new file, but never leaves its name on a file without a header.
/// - [`flush`](Table::flush) publishes the record count in the header: after it returns, a
///   crash of the *process* (a panic, `kill -9`) loses no record pushed before it, and live
///   readers and numpy see those records. Records are always stored before the count that
///   includes them.
/// - After `flush` but before `sync`, a crash of the *machine* (power loss, kernel panic)
///   loses what the kernel had not yet written back, in any order of pages: the file may come
///   back with the count of the last `sync` or of any later `flush`, and that count may be
///   **ahead of its records** (the header page reached the disk, some record pages did not:
///   those records read as zeros). Never past the file's end: growing the file makes its new
///   length durable (an msync of its new last page) before a record is stored there. Nothing
///   up to the last `sync` is lost.
/// - [`sync`](Table::sync) makes the records durable (`msync`), then publishes the count and
///   makes the header durable (`fdatasync`), and the first time also the table's name: after
///   it returns, a machine crash loses no record pushed before it, and the count on disk
///   never covers a record that did not reach it. `sync` also covers every earlier `flush`.
/// - Dropping a writable table flushes (errors are not reported; call `flush` to see them).
///   It does not `sync` and does not `msync`: durability against machine crashes is what
///   `sync` is for.
///
/// How the count is published so that no reader ever counts a record that was not wholly
/// written is the *commit protocol*, written down in `src/table/commit.rs`.
///
/// # A full disk
///
/// The file grows by writing zeros (`pwrite`) before any record is stored into the new
/// space, so a full disk is an [`Error::Io`](crate::Error::Io) from `push`/`extend`/`reserve` (`ENOSPC`
/// inside), never a `SIGBUS`; the table stays usable, and appending continues once there is
/// room.
///
/// # Examples
///
/// ```
/// use recmap::{Record, Table};
///
/// #[recmap::record]
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// struct Trade { id: u64, price: f64, qty: u32, side: u8, _pad: [u8; 3] }
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("trades.npy");
/// let mut trades = Table::<Trade>::create(&path)?;
/// for id in 0..1000 {
///     trades.push(Trade { id, price: 100.0 + id as f64, qty: 1, side: 0, _pad: [0; 3] })?;
/// }
/// trades[7].qty = 70;                                    // in place
/// let i = trades.binary_search_by_key(&500, |t| t.id);   // any slice method
/// assert_eq!(i, Ok(500));
/// trades.flush()?;                                       // commit point
/// drop(trades);
///
/// let trades = Table::<Trade>::open_read(&path)?;
/// assert_eq!((trades.len(), trades[7].qty), (1000, 70));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Records aligned above a page cannot be placed on an aligned offset of every mapping, so a
/// table of them is refused when it is compiled:
///
/// ```compile_fail
/// #[recmap::record]
/// #[derive(Clone, Copy)]
/// #[repr(C, align(8192))]
/// struct Page { bytes: [u8; 8192] }
/// # let dir = tempfile::tempdir()?;
/// let t = recmap::Table::<Page>::create(dir.path().join("pages.npy"))?; // error: aligned to at most 4096
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A writer and a live reader:
///
/// ```
/// use std::time::Duration;
/// use recmap::Table;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.npy");
/// let mut log = Table::<u64>::create_append(&path)?;
/// let mut reader = Table::<u64>::open_read(&path)?; // no Error::Locked
/// log.extend_from_slice(&[1, 2, 3])?;
/// assert_eq!(reader.len(), 0);                       // not committed yet
/// log.flush()?;
/// assert_eq!(reader.wait_for_len(3, Duration::from_secs(1))?, 3);
/// assert_eq!(&reader[..], &[1, 2, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Table<T: Record, M: Mode = ReadWrite> {
    // INVARIANTS: `map` covers the whole file, header included, with `M::ACCESS`;
    // `data_start` is a multiple of `align_of::<T>()` and of the map's alignment; the records
    // occupy `data_start .. data_start + len * size_of::<T>()`, and
    // `len <= capacity == (map.len() - data_start) / size_of::<T>()`; `count_field` is the
    // byte range of the count in the header (at least COUNT_WIDTH wide for writable tables,
    // and ending on a multiple of COMMIT_ALIGN for `Append` tables). For `ReadOnly` tables,
    // `len` never decreases and never exceeds a count some writer published.
    map: Map,
    data_start: usize,
    count_field: Range<usize>,
    len: usize,
    capacity: usize,
    /// The count the header holds now (so `flush` skips a write that changes nothing).
    flushed_len: usize,
    /// How long a reader's `wait_for_len` spins before it sleeps.
    spin: std::time::Duration,
    /// How this table publishes or reads its count (`commit::Protocol`).
    protocol: commit::Protocol,
    /// The count block as last published or read under the protocol (a locked reader's hint
    /// that nothing changed).
    last_block: [u8; 16],
    /// `sys::fork_generation()` when the table was opened: a child of a `fork` sees another
    /// value, and its copy of the table refuses to write and publishes nothing.
    fork_generation: u64,
    marker: PhantomData<(T, M)>,
}

impl<T: Record, M: Mode> Table<T, M> {
    fn from_parts(
        mut map: Map,
        data_start: usize,
        count_field: Range<usize>,
        len: usize,
        protocol: commit::Protocol,
        last_block: [u8; 16],
    ) -> Result<Self> {
        const {
            assert!(size_of::<T>() > 0, "a Table's records must have a size");
            assert!(
                align_of::<T>() <= MAX_RECORD_ALIGN,
                "a Table's records may be aligned to at most 4096 bytes (a page), so that the \
                 data can start on an aligned offset of every mapping of the file"
            );
        }
        // A table's commit points are `flush` and `sync`; dropping it does not msync.
        map.skip_flush_on_drop();
        map.check_aligned(data_start, align_of::<T>())?;
        let capacity = map.len().saturating_sub(data_start) / size_of::<T>();
        if len > capacity {
            // The opener maps the whole published count first; this is a broken file.
            return Err(crate::Error::BadHeader {
                path: map.path().map(Path::to_path_buf).unwrap_or_default(),
                problem: crate::npy::HeaderProblem::Truncated {
                    count: len as u64,
                    needed: (len as u64).saturating_mul(size_of::<T>() as u64),
                    data_start: data_start as u64,
                    file_len: map.len() as u64,
                },
            });
        }
        Ok(Table {
            map,
            data_start,
            count_field,
            len,
            capacity,
            flushed_len: len,
            spin: commit::DEFAULT_SPIN,
            protocol,
            last_block,
            fork_generation: crate::sys::fork_generation(),
            marker: PhantomData,
        })
    }

    /// The number of records.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u8>::create(dir.path().join("x.npy"))?;
    /// t.push(1)?;
    /// assert_eq!(t.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table has no records.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// assert!(recmap::Table::<u8>::create(dir.path().join("x.npy"))?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many records fit before the file must grow.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let t = recmap::Table::<u64>::create(dir.path().join("x.npy"))?;
    /// assert!(t.capacity() >= t.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The record at `index`; `None` past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u8>::create(dir.path().join("x.npy"))?;
    /// t.push(9)?;
    /// assert_eq!((t.get(0), t.get(1)), (Some(&9), None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.as_slice().get(index)
    }

    /// An iterator over the records.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u8>::create(dir.path().join("x.npy"))?;
    /// t.extend([1, 2, 3])?;
    /// assert_eq!(t.iter().map(|&x| x as u32).sum::<u32>(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// All records, in place.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u16>::create(dir.path().join("x.npy"))?;
    /// t.extend([1, 5, 9])?;
    /// assert_eq!(t.as_slice().binary_search(&5), Ok(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        match self.map.bytes_in(self.data_range()).map(View::cast) {
            Some(Ok(records)) => records,
            // The INVARIANTS make this unreachable: the data range lies inside the map, and
            // the data start is aligned for `T` (checked at open; mappings start on a page,
            // and `T` is aligned to at most a page). Never hide a failed cast as `[]`.
            _ => unreachable!(
                "the records of {} are not a valid [T]",
                self.path().display()
            ),
        }
    }

    /// One field of every record, in place (numpy's `a['price']`): `field` borrows it from a
    /// record, so the compiler checks that it exists and its type. See [`Column`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut xyz = recmap::Table::<[f32; 3]>::create(dir.path().join("p.npy"))?;
    /// xyz.extend([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    /// let z = xyz.column(|p| &p[2]);
    /// assert_eq!(z.iter().sum::<f32>(), 9.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn column<'a, F: 'a, A: Fn(&T) -> &F>(&'a self, field: A) -> Column<'a, T, F, A> {
        Column::new(self.as_slice(), field)
    }

    /// The path of the table's file.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let t = recmap::Table::<u8>::create(&path)?;
    /// assert_eq!(t.path(), path);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        self.map.path().unwrap_or(Path::new(""))
    }

    /// Byte offset of the first record in the file (the header's size).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let t = recmap::Table::<u8>::create(dir.path().join("x.npy"))?;
    /// assert_eq!(t.data_offset() % 64, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn data_offset(&self) -> usize {
        self.data_start
    }

    #[inline]
    fn data_range(&self) -> Range<usize> {
        self.data_start..self.data_start + self.len * size_of::<T>()
    }

    /// Whether this process opened the table (it is not a copy inherited through `fork`).
    #[inline]
    fn opened_here(&self) -> bool {
        self.fork_generation == crate::sys::fork_generation()
    }

    /// `Ok` in the process that opened the table; [`Error::Forked`](crate::Error::Forked)
    /// naming `op` in a forked child.
    #[inline]
    pub(crate) fn check_opened_here(&self, op: &'static str) -> Result<()> {
        if self.opened_here() {
            Ok(())
        } else {
            Err(crate::Error::Forked {
                path: self.path().to_path_buf(),
                op,
            })
        }
    }
}

impl<T: Record, M: Mode> Drop for Table<T, M> {
    fn drop(&mut self) {
        // A forked child's copy publishes nothing: its count is not the parent's.
        if M::ACCESS == Access::Write && self.len != self.flushed_len && self.opened_here() {
            let _ = self.publish_count();
        }
    }
}

/// The records, in place: every slice method (`binary_search`, `chunks`, `windows`, …).
impl<T: Record, M: Mode> Deref for Table<T, M> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<'a, T: Record, M: Mode> IntoIterator for &'a Table<T, M> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Record, M: Mode> fmt::Debug for Table<T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("path", &self.path())
            .field("dtype", &T::DTYPE.descr())
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .field("mode", &M::ACCESS)
            .finish()
    }
}
