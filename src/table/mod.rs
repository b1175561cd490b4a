//! Layer 3: [`Table`], a growable file of records stored as a standard `.npy` file.
//!
//! - `mod.rs` (this file): [`Table`], [`TableOptions`], the [`ReadWrite`]/[`ReadOnly`] modes;
//! - [`npy`]: the .npy header — parsing any numpy file, writing recmap's own;
//! - `literal`: the Python-literal parser the header needs.

mod literal;
pub mod npy;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Range};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::map::{Access, Map, MapOptions};
use crate::record::Record;
use crate::view::View;
use npy::{Header, NpyDtype, Version};

/// New tables and growth steps hold at least this many bytes of records.
const MIN_DATA_BYTES: usize = 1 << 16;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ReadWrite {}
    impl Sealed for super::ReadOnly {}
}

/// How a [`Table`] was opened: [`ReadWrite`] or [`ReadOnly`]. Sealed.
///
/// ```
/// use recmap::{table::Mode, Access, ReadOnly};
/// assert_eq!(<ReadOnly as Mode>::ACCESS, Access::Read);
/// ```
pub trait Mode: sealed::Sealed + 'static {
    /// The map access the mode needs.
    const ACCESS: Access;
}

/// A table opened for reading and writing (one writer, exclusive lock). The default mode.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let t: recmap::Table<u8, recmap::ReadWrite> = recmap::Table::create(dir.path().join("t.npy"))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum ReadWrite {}

/// A table opened read-only (shared lock): the methods that change it do not exist, so
/// changing it is a compile-time error rather than a run-time one.
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

impl Mode for ReadOnly {
    const ACCESS: Access = Access::Read;
}

/// A growable file of records `T`, stored as a standard `.npy` file: numpy opens it with
/// `np.load(path, mmap_mode="r+")` as a structured array (or `float32` of shape `(N, 128)` for
/// `Table<[f32; 128]>`, `float64` of shape `(N,)` for `Table<f64>`).
///
/// A table derefs to `[T]` — the mapped records themselves, no copy — so sorting, binary
/// search, chunks and iterators all work in place. It grows like a `Vec` (capacity doubles,
/// the file grows in large steps; bytes past the last record are spare capacity, which numpy
/// ignores).
///
/// # Commit points
///
/// - [`flush`](Table::flush) writes the record count into the header (one `pwrite`, which a
///   kill cannot tear): after it returns, a crash of the *process* loses no record pushed
///   before it. Records are always written before the count that includes them.
/// - [`sync`](Table::sync) also makes the records and then the header durable (`msync`, then
///   `fdatasync`): after it returns, a crash of the *machine* loses nothing either.
/// - Dropping a writable table flushes (errors are not reported; call `flush` to see them).
///   It does not `sync`: durability against machine crashes is what `sync` is for.
///
/// # Locks
///
/// One writer or many readers, as for [`Map`]: [`Error::Locked`] otherwise.
///
/// # Examples
///
/// ```
/// use recmap::{Record, Table};
///
/// #[derive(Record, Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
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
pub struct Table<T: Record, M: Mode = ReadWrite> {
    // INVARIANTS: `map` covers the whole file, header included, with `M::ACCESS`;
    // `data_start` is a multiple of `align_of::<T>()` and of the map's alignment; the records
    // occupy `data_start .. data_start + len * size_of::<T>()`, and
    // `len <= capacity == (map.len() - data_start) / size_of::<T>()`; `count_field` is the
    // byte range of the count in the header (COUNT_WIDTH wide for ReadWrite tables).
    map: Map,
    data_start: usize,
    count_field: Range<usize>,
    len: usize,
    capacity: usize,
    /// The count the header holds now (so `flush` skips a write that changes nothing).
    flushed_len: usize,
    marker: PhantomData<(T, M)>,
}

/// Options for creating and opening tables.
///
/// # Examples
///
/// ```
/// use recmap::{Table, TableOptions};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("v.npy");
/// # std::fs::write(&path, b"old contents")?;
/// let t: Table<[f32; 4]> = TableOptions::new().overwrite(true).capacity(10_000).create(&path)?;
/// assert!(t.capacity() >= 10_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    overwrite: bool,
    capacity: usize,
    wait_for_lock: bool,
}

impl TableOptions {
    /// Default options: `create` refuses existing files, no reserved capacity, no waiting for
    /// locks.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let t = recmap::TableOptions::new().create::<u64>(dir.path().join("a.npy"))?;
    /// assert!(t.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> TableOptions {
        TableOptions::default()
    }

    /// Lets [`create`](TableOptions::create) replace an existing file (default `false`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npy");
    /// recmap::Table::<u8>::create(&path)?;
    /// assert!(recmap::Table::<u8>::create(&path).is_err());
    /// recmap::TableOptions::new().overwrite(true).create::<u8>(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn overwrite(&mut self, overwrite: bool) -> &mut Self {
        self.overwrite = overwrite;
        self
    }

    /// Room for at least `records` records in a new table.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let t = recmap::TableOptions::new().capacity(1 << 20).create::<u64>(dir.path().join("a.npy"))?;
    /// assert_eq!(t.capacity(), 1 << 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn capacity(&mut self, records: usize) -> &mut Self {
        self.capacity = records;
        self
    }

    /// Waits for a conflicting lock instead of failing with [`Error::Locked`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npy");
    /// # recmap::Table::<u8>::create(&path)?;
    /// let t = recmap::TableOptions::new().wait_for_lock(true).open_read::<u8>(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_lock(&mut self, wait: bool) -> &mut Self {
        self.wait_for_lock = wait;
        self
    }

    /// Creates a new, empty table file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (kind `AlreadyExists`) if the file exists and `overwrite` is off;
    /// [`Error::Locked`] if another process holds it; [`Error::Io`] for other failures.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let t = recmap::TableOptions::new().create::<f64>(dir.path().join("x.npy"))?;
    /// assert_eq!(t.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create<T: Record>(&self, path: impl AsRef<Path>) -> Result<Table<T>> {
        let path = path.as_ref();
        if !self.overwrite {
            // Claim the name first, so an existing file is never touched.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| Error::io(Some(path), "create", e))?;
        }
        let (header, count_field) = own_header::<T>(0)?;
        let size = size_of::<T>();
        let capacity = self.capacity.max(MIN_DATA_BYTES.div_ceil(size));
        let file_len = file_len_for::<T>(header.len(), capacity)?;
        let mut map = MapOptions::new()
            .access(Access::Write)
            .create(true)
            .wait_for_lock(self.wait_for_lock)
            .open(path)?;
        // Under the exclusive lock: drop whatever was there, then a zero-filled file.
        map.resize(0)?;
        map.resize(file_len)?;
        map.write_at(0, &header)?;
        Table::from_parts(map, header.len(), count_field, 0)
    }

    /// Opens the table at `path` for reading and writing.
    ///
    /// A numpy-written file whose header has no room for a longer count gets recmap's header:
    /// rewritten in place when it fits in the old header's space, otherwise by writing a new
    /// file beside it and renaming it over the old one — never by editing the data in place.
    ///
    /// # Errors
    ///
    /// [`Error::BadHeader`] for a file that is not a valid .npy file (bad magic, version,
    /// header, `fortran_order`, truncated data); [`Error::SchemaMismatch`] naming the first
    /// field that differs from `T`; [`Error::Misaligned`] if the data is not aligned for `T`;
    /// [`Error::Locked`], [`Error::Io`]. The file is unchanged after any error.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// # recmap::Table::<u16>::create(&path)?;
    /// let mut t = recmap::TableOptions::new().open::<u16>(&path)?;
    /// t.push(7)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open<T: Record>(&self, path: impl AsRef<Path>) -> Result<Table<T>> {
        let mut table = self.open_mode::<T, ReadWrite>(path.as_ref())?;
        if table.count_field.len() < npy::COUNT_WIDTH {
            table.relayout()?;
        }
        Ok(table)
    }

    /// Opens the table at `path` read-only, with a shared lock. Never writes to the file.
    ///
    /// # Errors
    ///
    /// As [`open`](TableOptions::open).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// # recmap::Table::<u16>::create(&path)?;
    /// let a = recmap::TableOptions::new().open_read::<u16>(&path)?;
    /// let b = recmap::TableOptions::new().open_read::<u16>(&path)?; // many readers
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read<T: Record>(&self, path: impl AsRef<Path>) -> Result<Table<T, ReadOnly>> {
        self.open_mode(path.as_ref())
    }

    fn open_mode<T: Record, M: Mode>(&self, path: &Path) -> Result<Table<T, M>> {
        let map = MapOptions::new()
            .access(M::ACCESS)
            .wait_for_lock(self.wait_for_lock)
            .open(path)?;
        let header = Header::parse(&map).map_err(|problem| Error::BadHeader {
            path: path.to_path_buf(),
            problem,
        })?;
        check_schema::<T>(&header, path)?;
        // `Header::parse` checked that count * record size fits in the file.
        let len = usize::try_from(header.count()).map_err(|_| Error::TooLarge {
            offset: header.data_start as u64,
            len: header.count(),
        })?;
        Table::from_parts(map, header.data_start, header.count_field, len)
    }
}

/// A recmap header for `T` holding `count`, padded so the data is aligned for `T` (64 bytes,
/// or more for over-aligned records).
fn own_header<T: Record>(count: u64) -> Result<(Vec<u8>, Range<usize>)> {
    let (dtype, trailing) = layout_of::<T>();
    let descr = dtype.to_string();
    let too_large = || Error::TooLarge {
        offset: 0,
        len: u64::MAX,
    };
    let (header, field) =
        npy::build_header(&descr, &trailing, count, None, None).ok_or_else(too_large)?;
    let align = align_of::<T>();
    if header.len().is_multiple_of(align) {
        return Ok((header, field));
    }
    let total = header.len().next_multiple_of(align);
    npy::build_header(&descr, &trailing, count, Some(total), None).ok_or_else(too_large)
}

/// `T`'s .npy description: the base dtype and the dimensions after the record count.
fn layout_of<T: Record>() -> (NpyDtype, Vec<usize>) {
    let (base, trailing) = T::DTYPE.base_and_shape();
    (NpyDtype::from_dtype(base), trailing)
}

fn file_len_for<T: Record>(data_start: usize, capacity: usize) -> Result<usize> {
    capacity
        .checked_mul(size_of::<T>())
        .and_then(|b| b.checked_add(data_start))
        .ok_or(Error::TooLarge {
            offset: data_start as u64,
            len: capacity as u64,
        })
}

fn check_schema<T: Record>(header: &Header, path: &Path) -> Result<()> {
    let (want, trailing) = layout_of::<T>();
    let mismatch = |field: String, expected: String, found: String| Error::SchemaMismatch {
        path: path.to_path_buf(),
        field,
        expected,
        found,
    };
    if let Some((field, expected, found)) = want.first_difference(&header.dtype) {
        return Err(mismatch(field, expected, found));
    }
    let found_trailing = header.shape.get(1..).unwrap_or_default();
    if found_trailing.len() != trailing.len()
        || found_trailing
            .iter()
            .zip(&trailing)
            .any(|(&f, &t)| f != t as u64)
    {
        let dims = |d: Vec<String>| {
            format!(
                "(N{})",
                d.iter().map(|s| format!(", {s}")).collect::<String>()
            )
        };
        return Err(mismatch(
            "shape".into(),
            dims(trailing.iter().map(ToString::to_string).collect()),
            dims(found_trailing.iter().map(ToString::to_string).collect()),
        ));
    }
    Ok(())
}

impl<T: Record> Table<T> {
    /// Creates a new, empty table file at `path`; refuses to replace an existing file (see
    /// [`TableOptions::overwrite`]).
    ///
    /// # Errors
    ///
    /// As [`TableOptions::create`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let mut t = recmap::Table::<f64>::create(&path)?;
    /// t.push(1.5)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(path: impl AsRef<Path>) -> Result<Table<T>> {
        TableOptions::new().create(path)
    }

    /// Opens the table (or numpy-written .npy file) at `path` for reading and writing.
    ///
    /// # Errors
    ///
    /// As [`TableOptions::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// # recmap::Table::<f64>::create(&path)?;
    /// let mut t = recmap::Table::<f64>::open(&path)?;
    /// t.push(2.5)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Table<T>> {
        TableOptions::new().open(path)
    }

    /// Opens the table at `path` read-only (shared lock).
    ///
    /// # Errors
    ///
    /// As [`TableOptions::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// # recmap::Table::<f64>::create(&path)?.push(1.0)?;
    /// let t = recmap::Table::<f64>::open_read(&path)?;
    /// assert_eq!(t.as_slice(), &[1.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read(path: impl AsRef<Path>) -> Result<Table<T, ReadOnly>> {
        TableOptions::new().open_read(path)
    }

    /// Appends a record.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot grow.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.push(7)?;
    /// assert_eq!(t.as_slice(), &[7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<()> {
        if self.len == self.capacity {
            self.grow(1)?;
        }
        let offset = self.data_start + self.len * size_of::<T>();
        self.map.write_value_at(offset, &value)?;
        self.len += 1;
        Ok(())
    }

    /// Appends every record of `records`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot grow; the records pushed before the error stay.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend(0..5)?;
    /// assert_eq!(t.as_slice(), &[0, 1, 2, 3, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extend(&mut self, records: impl IntoIterator<Item = T>) -> Result<()> {
        let records = records.into_iter();
        self.reserve(records.size_hint().0)?;
        for record in records {
            self.push(record)?;
        }
        Ok(())
    }

    /// Makes room for at least `additional` more records without growing again.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot grow; [`Error::TooLarge`] on overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u64>::create(dir.path().join("x.npy"))?;
    /// t.reserve(1_000_000)?;
    /// assert!(t.capacity() >= 1_000_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        if self.capacity - self.len < additional {
            self.grow(additional)?;
        }
        Ok(())
    }

    /// Grows geometrically: at least double, and at least `MIN_DATA_BYTES` more.
    #[cold]
    fn grow(&mut self, additional: usize) -> Result<()> {
        let needed = self.len.checked_add(additional).ok_or(Error::TooLarge {
            offset: self.data_start as u64,
            len: u64::MAX,
        })?;
        let step = MIN_DATA_BYTES.div_ceil(size_of::<T>());
        let capacity = needed
            .max(self.capacity.saturating_mul(2))
            .max(self.capacity.saturating_add(step));
        self.map
            .resize(file_len_for::<T>(self.data_start, capacity)?)?;
        self.capacity = capacity;
        Ok(())
    }

    /// The record at `index`, writable in place; `None` past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.push(1)?;
    /// *t.get_mut(0).unwrap() = 5;
    /// assert_eq!(t.get(0), Some(&5));
    /// assert!(t.get_mut(1).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.as_mut_slice().get_mut(index)
    }

    /// All records, writable in place: sort them, update them, `chunks_mut` them.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend([3, 1, 2])?;
    /// t.as_mut_slice().sort();
    /// assert_eq!(t.as_slice(), &[1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        let range = self.data_range();
        match self.map.bytes_mut() {
            Ok(bytes) => bytes
                .get_mut(range)
                .and_then(|b| b.cast_mut().ok())
                .unwrap_or_default(),
            Err(_) => &mut [],
        }
    }

    /// Keeps the first `len` records (no effect if there are fewer); the capacity stays.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend([1, 2, 3])?;
    /// t.truncate(1);
    /// assert_eq!(t.as_slice(), &[1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Removes every record; the capacity stays.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend([1, 2, 3])?;
    /// t.clear();
    /// assert!(t.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Shrinks the file to just the header and the records (after a flush).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the count cannot be written or the file cannot be resized.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let mut t = recmap::Table::<u64>::create(&path)?;
    /// t.extend([1, 2])?;
    /// t.shrink_to_fit()?;
    /// assert_eq!(std::fs::metadata(&path)?.len(), 128 + 16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shrink_to_fit(&mut self) -> Result<()> {
        self.flush()?;
        self.map
            .resize(file_len_for::<T>(self.data_start, self.len)?)?;
        self.capacity = self.len;
        Ok(())
    }

    /// Commit point: writes the record count into the header. After it returns, a crash of
    /// this process loses no record pushed before the call.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the header cannot be written.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let mut t = recmap::Table::<u32>::create(&path)?;
    /// t.push(1)?;
    /// t.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&mut self) -> Result<()> {
        if self.len != self.flushed_len {
            self.write_count()?;
        }
        Ok(())
    }

    /// Durable commit point: makes the records durable, then writes the count and makes the
    /// header durable. After it returns, a crash of the machine loses no record pushed before
    /// the call, and the file never counts a record whose bytes did not reach the disk.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if writing back fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let mut t = recmap::Table::<u32>::create(&path)?;
    /// t.push(1)?;
    /// t.sync()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync(&mut self) -> Result<()> {
        let data = self.data_range();
        if !data.is_empty() {
            self.map.flush_range(data.start, data.len())?;
        }
        self.write_count()?;
        self.file()?
            .sync_data()
            .map_err(|e| Error::io(self.map.path(), "sync", e))
    }

    /// Rewrites a foreign header (one without a full-width count field) as recmap's: in the
    /// old header's space if it fits, else as a new file renamed over the old one.
    fn relayout(&mut self) -> Result<()> {
        let (dtype, trailing) = layout_of::<T>();
        let descr = dtype.to_string();
        let count = self.len as u64;
        let version = match self.map.get(6..8) {
            Some(&[major, minor]) => Version::from_bytes(major, minor),
            _ => None,
        };
        let in_place = version.and_then(|v| {
            npy::build_header(&descr, &trailing, count, Some(self.data_start), Some(v))
        });
        if let Some((header, field)) = in_place {
            // One write of at most a few hundred bytes, inside the first page.
            self.file()?
                .write_all_at(&header, 0)
                .map_err(|e| Error::io(self.map.path(), "rewrite the header of", e))?;
            self.count_field = field;
            return Ok(());
        }
        let (header, field) = own_header::<T>(count)?;
        let path = self.map.path().map(Path::to_path_buf).unwrap_or_default();
        let tmp = sibling(&path, "recmap-relayout");
        let data = self.data_range();
        let mut fresh = MapOptions::new()
            .access(Access::Write)
            .create(true)
            .open(&tmp)?;
        fresh.resize(0)?;
        fresh.resize(header.len() + data.len())?;
        // The new file replaces the old one: it keeps the old one's permissions.
        if let Ok(meta) = std::fs::metadata(&path) {
            std::fs::set_permissions(&tmp, meta.permissions())
                .map_err(|e| Error::io(Some(&tmp), "copy the permissions to", e))?;
        }
        fresh.write_at(0, &header)?;
        fresh.write_at(header.len(), self.map.get(data).unwrap_or_default())?;
        fresh.flush()?;
        if let Some(f) = fresh.file() {
            f.sync_all().map_err(|e| Error::io(Some(&tmp), "sync", e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(Some(&path), "replace", e))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable; a failure here loses nothing already written.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        fresh.set_path(path);
        fresh.skip_flush_on_drop();
        self.map = fresh;
        self.data_start = header.len();
        self.count_field = field;
        self.capacity = self.len;
        Ok(())
    }
}

/// `dir/.name.suffix` next to `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

impl<T: Record, M: Mode> Table<T, M> {
    fn from_parts(
        map: Map,
        data_start: usize,
        count_field: Range<usize>,
        len: usize,
    ) -> Result<Self> {
        let align = align_of::<T>();
        let address = map.as_ptr() as usize + data_start;
        if !address.is_multiple_of(align) {
            return Err(Error::Misaligned {
                offset: data_start,
                address,
                align,
            });
        }
        let capacity = (map.len() - data_start) / size_of::<T>();
        Ok(Table {
            map,
            data_start,
            count_field,
            len,
            capacity,
            flushed_len: len,
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
        self.map
            .get(self.data_range())
            .and_then(|b| b.cast().ok())
            .unwrap_or_default()
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

    fn file(&self) -> Result<&File> {
        self.map.file().ok_or(Error::ReadOnly {
            access: Access::Read,
            op: "write the header of",
        })
    }

    /// Writes `len` into the header's count field with one `pwrite`: a kill cannot leave
    /// half a number behind, as it could with a copy into the map.
    fn write_count(&mut self) -> Result<()> {
        let width = self.count_field.len();
        let text = format!("{:>width$}", self.len);
        if text.len() != width {
            return Err(Error::TooLarge {
                offset: self.count_field.start as u64,
                len: self.len as u64,
            });
        }
        self.file()?
            .write_all_at(text.as_bytes(), self.count_field.start as u64)
            .map_err(|e| Error::io(self.map.path(), "write the record count of", e))?;
        self.flushed_len = self.len;
        Ok(())
    }
}

impl<T: Record, M: Mode> Drop for Table<T, M> {
    fn drop(&mut self) {
        if M::ACCESS == Access::Write && self.len != self.flushed_len {
            let _ = self.write_count();
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

/// The records, writable in place (`sort`, `iter_mut`, `table[i] = …`).
impl<T: Record> DerefMut for Table<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
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
