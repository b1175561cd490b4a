//! Creating and opening tables in each role: [`TableOptions`], header checks, and the
//! relayout of foreign headers.

use std::any::TypeId;
use std::io::ErrorKind;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use super::{Append, Mode, ReadOnly, ReadWrite, Table, commit};
use crate::error::{Error, Result};
use crate::map::{Access, Map, MapOptions, Role, Wait};
use crate::npy::{self, Header, NpyDtype, Version};
use crate::record::Record;

/// New tables hold at least this many bytes of records.
pub(super) const MIN_DATA_BYTES: usize = 1 << 16;

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
    wait: Wait,
    create_if_missing: bool,
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

    /// Lets [`open`](TableOptions::open) and [`open_append`](TableOptions::open_append) create
    /// the table when there is no file at the path (std's `OpenOptions::create(true)`): a
    /// writer that can be re-run. Race-free: if two processes find no file at once, exactly
    /// one creates it and the other opens what it made (waiting for the lock as these options
    /// say).
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::TableOptions;
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("log.npy");
    /// for run in 0..3u64 {
    ///     let mut log = TableOptions::new().create_if_missing(true).open_append::<u64>(&path)?;
    ///     log.push(run)?;
    ///     log.flush()?;
    /// }
    /// assert_eq!(&recmap::Table::<u64>::open_read(&path)?[..], &[0, 1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_if_missing(&mut self, create: bool) -> &mut Self {
        self.create_if_missing = create;
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
        self.wait = if wait { Wait::Forever } else { Wait::No };
        self
    }

    /// Waits at most `timeout` for a conflicting lock, then fails with [`Error::Locked`]
    /// (overrides [`wait_for_lock`](TableOptions::wait_for_lock)). A writer that waits is not
    /// starved by readers that keep opening the table: they queue behind it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use recmap::{Error, Table, TableOptions};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npy");
    /// # Table::<u8>::create(&path)?;
    /// let _reader = Table::<u8>::open_read(&path)?;
    /// let err = TableOptions::new()
    ///     .lock_timeout(Duration::from_millis(10))
    ///     .open::<u8>(&path)
    ///     .unwrap_err();
    /// assert!(matches!(err, Error::Locked { exclusive: true, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.wait = Wait::For(timeout);
        self
    }

    /// Creates a new, empty table file at `path`, in the [`ReadWrite`] role (alone: no other
    /// table or map may hold it meanwhile).
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
        self.create_mode(path.as_ref())
    }

    /// Makes a new table file, complete (header written, capacity reserved) and locked in
    /// `M`'s role before its name appears: a reader polling for the name finds either nothing
    /// or a whole table, and a failure (a held lock, a full disk) leaves no file behind.
    fn create_mode<T: Record, M: Mode>(&self, path: &Path) -> Result<Table<T, M>> {
        let (header, count_field) = own_header::<T>(0)?;
        let size = size_of::<T>();
        let capacity = self.capacity.max(MIN_DATA_BYTES.div_ceil(size));
        let file_len = file_len_for::<T>(header.len(), capacity)?;
        let mut options = MapOptions::new();
        options
            .access(Access::Write)
            .len(file_len)
            .role(role_of::<M>())
            .wait(self.wait);
        let init = |map: &mut Map| map.write_at(0, &header);
        let map = if self.overwrite {
            options.replace_with(path, None, init)?
        } else {
            options.create_new_with(path, true, init)?
        };
        let protocol = commit::machine_protocol();
        if role_of::<M>() == Role::Appender && protocol == commit::Protocol::Locked {
            map.advertise_locked_protocol()?;
        }
        let block = header
            .get(count_field.end.saturating_sub(16)..count_field.end)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .unwrap_or_default();
        Table::from_parts(map, header.len(), count_field, 0, protocol, block)
    }

    /// Opens the table at `path` in the [`ReadWrite`] role: read-write and alone — unlike
    /// std's `File::open`, which is read-only; to read, or to follow a live table, use
    /// [`open_read`](TableOptions::open_read).
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

    /// Opens the table at `path` in the [`ReadOnly`] role: a reader beside other readers and one
    /// appender, following it live. Never writes to the file (and never creates it).
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

    /// Creates a new, empty table file at `path` in the [`Append`] role: the one appender,
    /// beside any number of readers (which may already be polling for the name).
    ///
    /// # Errors
    ///
    /// As [`create`](TableOptions::create).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::TableOptions::new().create_append::<u64>(dir.path().join("log.npy"))?;
    /// t.push(1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_append<T: Record>(&self, path: impl AsRef<Path>) -> Result<Table<T, Append>> {
        self.create_mode(path.as_ref())
    }

    /// Opens the table at `path` in the [`Append`] role: the one appender, beside any number of
    /// live readers.
    ///
    /// A file whose header predates the commit protocol (numpy-written, or from an older
    /// recmap) has its header rewritten once first, which needs a moment with no reader.
    ///
    /// # Errors
    ///
    /// As [`open`](TableOptions::open); [`Error::Locked`] also if another appender holds the
    /// table.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// # recmap::Table::<u64>::create(&path)?.push(7)?;
    /// let mut t = recmap::TableOptions::new().open_append::<u64>(&path)?;
    /// t.push(8)?;
    /// assert_eq!(&t[..], &[7, 8]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_append<T: Record>(&self, path: impl AsRef<Path>) -> Result<Table<T, Append>> {
        let path = path.as_ref();
        let table = self.open_mode::<T, Append>(path)?;
        if commit::publishable(&table.count_field) {
            return Ok(table);
        }
        // Rewrite the header once, under the exclusive lock of a ReadWrite open, then reopen.
        drop(table);
        let mut rw = self.open::<T>(path)?;
        rw.relayout()?;
        drop(rw);
        self.open_mode::<T, Append>(path)
    }

    fn open_mode<T: Record, M: Mode>(&self, path: &Path) -> Result<Table<T, M>> {
        let not_found = |e: &Error| matches!(e, Error::Io { source, .. } if source.kind() == ErrorKind::NotFound);
        let opened = MapOptions::new()
            .access(M::ACCESS)
            .role(role_of::<M>())
            .wait(self.wait)
            .open(path);
        let mut map = match opened {
            Ok(map) => map,
            Err(e) if not_found(&e) && self.create_if_missing && M::ACCESS == Access::Write => {
                // Another process may create it first: then open what it made. Never replace
                // here (whatever `overwrite` says): the file that appeared meanwhile is one
                // somebody else just made and may already have written to.
                let mut exclusive = self.clone();
                exclusive.overwrite = false;
                return match exclusive.create_mode::<T, M>(path) {
                    Err(Error::Io { source, .. }) if source.kind() == ErrorKind::AlreadyExists => {
                        let mut again = self.clone();
                        again.create_if_missing = false;
                        again.open_mode(path)
                    }
                    res => res,
                };
            }
            Err(e) => return Err(e),
        };
        let mut protocol = commit::machine_protocol();
        match role_of::<M>() {
            // Read as the appender there publishes, whatever this process would choose.
            Role::Follower if map.locked_protocol_advertised()? => {
                protocol = commit::Protocol::Locked;
            }
            Role::Appender if protocol == commit::Protocol::Locked => {
                map.advertise_locked_protocol()?;
            }
            _ => {}
        }
        let (header, len, block) = commit::read_header(&mut map, path, protocol)?;
        check_schema::<T>(&header, path)?;
        Table::from_parts(
            map,
            header.data_start,
            header.count_field,
            len,
            protocol,
            block,
        )
    }
}

/// The lock role of a table in mode `M`.
fn role_of<M: Mode>() -> Role {
    if TypeId::of::<M>() == TypeId::of::<Append>() {
        Role::Appender
    } else if TypeId::of::<M>() == TypeId::of::<ReadOnly>() {
        Role::Follower
    } else {
        Role::Exclusive
    }
}

/// A recmap header for `T` holding `count`, padded so the data is aligned for `T` (64 bytes,
/// or more for over-aligned records).
pub(super) fn own_header<T: Record>(count: u64) -> Result<(Vec<u8>, Range<usize>)> {
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

pub(super) fn file_len_for<T: Record>(data_start: usize, capacity: usize) -> Result<usize> {
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
    /// Creates a new, empty table file at `path` in the [`ReadWrite`] role (alone); refuses to
    /// replace an existing file (see
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

    /// Opens the table (or numpy-written .npy file) at `path` in the [`ReadWrite`] role:
    /// read-write and alone, unlike std's read-only `File::open` — to read, or to follow a live
    /// table, use [`open_read`](Table::open_read).
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

    /// Opens the table at `path` in the [`ReadOnly`] role: a reader, beside other readers and
    /// one live appender.
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

    /// Creates a new, empty table file at `path` in the [`Append`] role (the one appender,
    /// beside live readers); refuses
    /// to replace an existing file.
    ///
    /// # Errors
    ///
    /// As [`TableOptions::create_append`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut log = recmap::Table::<f64>::create_append(dir.path().join("log.npy"))?;
    /// log.push(1.5)?;
    /// log.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_append(path: impl AsRef<Path>) -> Result<Table<T, Append>> {
        TableOptions::new().create_append(path)
    }

    /// Opens the table at `path` in the [`Append`] role: the one appender, beside live readers.
    ///
    /// # Errors
    ///
    /// As [`TableOptions::open_append`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// # recmap::Table::<f64>::create(&path)?;
    /// let mut log = recmap::Table::<f64>::open_append(&path)?;
    /// log.push(2.5)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_append(path: impl AsRef<Path>) -> Result<Table<T, Append>> {
        TableOptions::new().open_append(path)
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
            crate::sys::write_all_at(self.file()?, &header, 0)
                .map_err(|e| Error::io(self.map.path(), "rewrite the header of", e))?;
            self.count_field = field;
            return Ok(());
        }
        let (header, field) = own_header::<T>(count)?;
        let named = self.map.path().map(Path::to_path_buf).unwrap_or_default();
        // Write beside the file itself and rename over it, not over a symlink to it (which
        // would turn the link into a copy and leave the target with the old data).
        let path =
            std::fs::canonicalize(&named).map_err(|e| Error::io(Some(&named), "resolve", e))?;
        let links = crate::sys::link_count(self.file()?).unwrap_or(1);
        if links > 1 {
            // A rename would give this name a new file and leave the other names the old one.
            return Err(Error::HardLinked { path: named, links });
        }
        let data = self.data_range();
        let old = &self.map;
        let held = self.file()?;
        // A new file with the new header and the records, complete and durable under no
        // name, then renamed over the old one (which keeps its permissions).
        let fresh = MapOptions::new()
            .access(Access::Write)
            .len(header.len() + data.len())
            .replace_with(&path, Some(held), |fresh| {
                fresh.write_at(0, &header)?;
                fresh.write_at(header.len(), old.get(data).unwrap_or_default())?;
                fresh.flush()?;
                match fresh.file() {
                    Some(f) => f.sync_all().map_err(|e| Error::io(Some(&path), "sync", e)),
                    None => Ok(()),
                }
            });
        let mut fresh = fresh?;
        // Make the rename itself durable; a failure here loses nothing already written.
        let _ = fresh.sync_name();
        fresh.set_path(named);
        fresh.skip_flush_on_drop();
        self.map = fresh;
        self.data_start = header.len();
        self.count_field = field;
        self.capacity = self.len;
        Ok(())
    }
}
