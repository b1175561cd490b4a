//! [`MapOptions`]: how to open a [`Map`], and the only place recmap asks memmap2 to map a file.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use memmap2::MmapOptions;

use super::{Access, Map, Region};
use crate::error::{Error, Result};

/// A builder for [`Map`]s: access mode, offset, length, populate, and how to take the lock.
///
/// Setters return `&mut Self`, so options chain and can be reused for several maps.
///
/// # Examples
///
/// ```
/// use recmap::{Access, MapOptions};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("data.bin");
/// std::fs::write(&path, b"0123456789")?;
///
/// // Any offset works, not only multiples of the page size.
/// let m = MapOptions::new().access(Access::Read).offset(3).len(4).open(&path)?;
/// assert_eq!(&m[..], b"3456");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MapOptions {
    access: Access,
    offset: u64,
    len: Option<usize>,
    populate: bool,
    wait_for_lock: bool,
    create: bool,
    /// A `Write` map under a *shared* lock: the table's append mode, whose exclusion from
    /// other writers is a byte-range lock the table takes itself.
    shared_write_lock: bool,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions::new()
    }
}

impl MapOptions {
    /// Options for a read-only map of the whole file, failing at once if the file is locked.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"abc")?;
    /// let m = recmap::MapOptions::new().open(&path)?;
    /// assert_eq!(m.access(), recmap::Access::Read);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> MapOptions {
        MapOptions {
            access: Access::Read,
            offset: 0,
            len: None,
            populate: false,
            wait_for_lock: false,
            create: false,
            shared_write_lock: false,
        }
    }

    /// Sets the access mode (default [`Access::Read`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"abc")?;
    /// let mut m = recmap::MapOptions::new().access(recmap::Access::Copy).open(&path)?;
    /// m.write_at(0, b"x")?; // changes memory only
    /// assert_eq!(std::fs::read(&path)?, b"abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn access(&mut self, access: Access) -> &mut Self {
        self.access = access;
        self
    }

    /// Starts the map `offset` bytes into the file. Any offset works: unlike Python, it need
    /// not be a multiple of [`allocation_granularity`](crate::allocation_granularity).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"0123456789")?;
    /// let m = recmap::MapOptions::new().offset(7).open(&path)?;
    /// assert_eq!(&m[..], b"789");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn offset(&mut self, offset: u64) -> &mut Self {
        self.offset = offset;
        self
    }

    /// Maps `len` bytes (default: from the offset to the end of the file). Past the end of the
    /// file, a [`Write`](Access::Write) map extends the file with zeros; `Read` and `Copy` maps
    /// give [`Error::PastEndOfFile`].
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::{Access, MapOptions};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"abc")?;
    /// let m = MapOptions::new().access(Access::Write).len(5).open(&path)?;
    /// assert_eq!(&m[..], b"abc\0\0");
    /// # drop(m);
    /// assert!(MapOptions::new().len(6).open(&path).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&mut self, len: usize) -> &mut Self {
        self.len = Some(len);
        self
    }

    /// Pre-faults the pages when mapping (`MAP_POPULATE` on Linux), so the first pass over the
    /// map does not pay for page faults.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, vec![1u8; 1 << 16])?;
    /// let m = recmap::MapOptions::new().populate(true).open(&path)?;
    /// assert_eq!(m.iter().map(|&b| b as usize).sum::<usize>(), 1 << 16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn populate(&mut self, populate: bool) -> &mut Self {
        self.populate = populate;
        self
    }

    /// Waits for a conflicting lock to be released instead of failing with
    /// [`Error::Locked`] (default `false`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"abc")?;
    /// // Shared locks do not conflict, so this does not wait.
    /// let a = recmap::MapOptions::new().wait_for_lock(true).open(&path)?;
    /// let b = recmap::MapOptions::new().wait_for_lock(true).open(&path)?;
    /// assert_eq!(&a[..], &b[..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_lock(&mut self, wait: bool) -> &mut Self {
        self.wait_for_lock = wait;
        self
    }

    /// Creates the file if it does not exist (only with [`Access::Write`]; default `false`).
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::{Access, MapOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("new.bin");
    /// let m = MapOptions::new().access(Access::Write).create(true).len(3).open(&path)?;
    /// assert_eq!(m.file_size()?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.create = create;
        self
    }

    /// Opens and maps the file at `path`, holding the lock of the
    /// [safety model](Map#safety-model) for the map's life.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be opened, extended or mapped; [`Error::Locked`] if
    /// another map or process holds a conflicting lock (and `wait_for_lock` is off);
    /// [`Error::PastEndOfFile`] if a `Read`/`Copy` map would reach past the end of the file;
    /// [`Error::TooLarge`] if the range does not fit in the address space.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::{Access, Error, MapOptions};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"abc")?;
    /// let _writer = MapOptions::new().access(Access::Write).open(&path)?;
    /// let err = MapOptions::new().open(&path).unwrap_err();
    /// assert!(matches!(err, Error::Locked { exclusive: false, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Map> {
        self.open_file(path.as_ref(), true)
    }

    /// Opens and maps the file at `path` **without** taking a lock: for sharing memory between
    /// processes, or for files that other programs change on purpose.
    ///
    /// # Errors
    ///
    /// As [`open`](MapOptions::open), except that it never gives [`Error::Locked`].
    ///
    /// # Safety
    ///
    /// For as long as the returned `Map` (or any view borrowed from it) lives, the caller must
    /// ensure that:
    /// - no other map, process or thread **truncates** the file below the mapped range (the
    ///   program would be killed by `SIGBUS` on the next access), and
    /// - no other writer changes the mapped bytes while a `&[u8]`, `&[T]` or `&T` borrowed
    ///   from this map is alive, unless the caller synchronizes those accesses itself (for
    ///   example with atomics in the mapped data, read through raw pointers).
    ///
    /// See the [safety model](Map#safety-model).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"abc")?;
    /// let writer = recmap::Map::open(&path, recmap::Access::Write)?;
    /// // SAFETY: nothing writes or truncates the file while `m` lives: `writer` is unused.
    /// let m = unsafe { recmap::MapOptions::new().open_unlocked(&path)? };
    /// assert_eq!(&m[..], &writer[..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub unsafe fn open_unlocked(&self, path: impl AsRef<Path>) -> Result<Map> {
        self.open_file(path.as_ref(), false)
    }

    /// The body of `open`/`open_unlocked`. Without `lock`, the caller of `open_unlocked` has
    /// made the promise that the lock would otherwise keep.
    /// Takes a shared lock even for `Access::Write` (see `shared_write_lock`).
    pub(crate) fn shared_write_lock(&mut self, shared: bool) -> &mut Self {
        self.shared_write_lock = shared;
        self
    }

    fn open_file(&self, path: &Path, lock: bool) -> Result<Map> {
        let writable = self.access == Access::Write;
        let file = loop {
            let file = OpenOptions::new()
                .read(true)
                .write(writable)
                .create(writable && self.create)
                .open(path)
                .map_err(|e| Error::io(Some(path), "open", e))?;
            if !lock {
                break file;
            }
            self.lock(&file, path)?;
            // A writer may have renamed a new file over this path while we waited for the
            // lock (a table's relayout): our lock would then be on the old, unlinked file.
            // Open the path again until the locked file is the one the path names.
            if still_at_path(&file, path)? {
                break file;
            }
        };
        let file_len = file
            .metadata()
            .map_err(|e| Error::io(Some(path), "read the size of", e))?
            .len();
        let past_end = |len: u64| Error::PastEndOfFile {
            path: path.to_path_buf(),
            offset: self.offset,
            len,
            file_len,
        };
        let len = match self.len {
            Some(len) => len as u64,
            None => file_len
                .checked_sub(self.offset)
                .ok_or_else(|| past_end(0))?,
        };
        let too_large = Error::TooLarge {
            offset: self.offset,
            len,
        };
        let end = self.offset.checked_add(len).ok_or(too_large)?;
        let len = usize::try_from(len).map_err(|_| Error::TooLarge {
            offset: self.offset,
            len,
        })?;
        if end > file_len {
            if !writable {
                return Err(past_end(len as u64));
            }
            // Real space, not a sparse hole: a full disk is an error now, not a SIGBUS later.
            if let Err(e) = crate::sys::allocate(&file, file_len, end) {
                let _ = file.set_len(file_len);
                return Err(Error::io(Some(path), "extend", e));
            }
        }
        // SAFETY: with `lock`, this process holds the advisory lock on `file` (exclusive for
        // Write, shared otherwise) and keeps it, through `file`, for the map's life, so no
        // program honouring recmap's safety model writes or truncates the file meanwhile.
        // Without `lock`, the caller of the `unsafe fn open_unlocked` promised the same.
        let region = unsafe { map_region(&file, self.access, self.offset, len, self.populate) }
            .map_err(|e| Error::io(Some(path), "map", e))?;
        Ok(Map {
            region,
            access: self.access,
            file: Some(file),
            path: Some(path.to_path_buf()),
            offset: self.offset,
            pos: 0,
            flush_on_drop: true,
        })
    }

    fn lock(&self, file: &File, path: &Path) -> Result<()> {
        let exclusive = self.access == Access::Write && !self.shared_write_lock;
        let res = match (exclusive, self.wait_for_lock) {
            (true, true) => file.lock().map_err(TryLockError::Error),
            (false, true) => file.lock_shared().map_err(TryLockError::Error),
            (true, false) => file.try_lock(),
            (false, false) => file.try_lock_shared(),
        };
        match res {
            Ok(()) => Ok(()),
            Err(TryLockError::WouldBlock) => Err(Error::Locked {
                path: path.to_path_buf(),
                exclusive,
            }),
            Err(TryLockError::Error(e)) => Err(Error::io(Some(path), "lock", e)),
        }
    }
}

/// Whether `file` is the file `path` names now (same device and inode).
fn still_at_path(file: &File, path: &Path) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let open = file
        .metadata()
        .map_err(|e| Error::io(Some(path), "read the metadata of", e))?;
    Ok(match std::fs::metadata(path) {
        Ok(named) => (named.dev(), named.ino()) == (open.dev(), open.ino()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io(Some(path), "read the metadata of", e)),
    })
}

/// Maps `len` bytes of `file` at `offset` as `access` asks. memmap2 aligns the offset to the
/// page size itself.
///
/// # Safety
///
/// For as long as the returned region lives, no one may truncate the file below
/// `offset + len` or (for `Read`/`Copy`) write to the mapped range: the caller either holds
/// the lock of recmap's safety model or has a promise from its own caller (`open_unlocked`).
pub(super) unsafe fn map_region(
    file: &File,
    access: Access,
    offset: u64,
    len: usize,
    populate: bool,
) -> std::io::Result<Region> {
    let mut options = MmapOptions::new();
    options.offset(offset).len(len);
    if populate {
        options.populate();
    }
    // SAFETY: memmap2's constructors are unsafe only because the file may change under the
    // mapping; this function's own contract passes exactly that obligation to its caller.
    unsafe {
        Ok(match access {
            Access::Read => Region::ReadOnly(options.map(file)?),
            Access::Write => Region::Writable(options.map_mut(file)?),
            Access::Copy => Region::Writable(options.map_copy(file)?),
        })
    }
}
