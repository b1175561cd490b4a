//! [`MapOptions`]: how to open a [`Map`], and the only place recmap asks memmap2 to map a file.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use memmap2::MmapOptions;

use super::lock::{self, Role, Wait};
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
    wait: Wait,
    create: bool,
    /// The lock role, when a table asks for one other than its access mode's (an appender's
    /// `Write` map, a reader's `Read` map that may coexist with it).
    role: Option<Role>,
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
            wait: Wait::No,
            create: false,
            role: None,
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
        self.wait = if wait { Wait::Forever } else { Wait::No };
        self
    }

    /// Waits at most `timeout` for a conflicting lock to be released, then fails with
    /// [`Error::Locked`] (overrides [`wait_for_lock`](MapOptions::wait_for_lock)).
    ///
    /// A writer that waits is not starved by readers that keep coming: from the moment it
    /// starts waiting, new readers wait behind it (see the [safety model](Map#safety-model)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use recmap::{Access, Error, MapOptions};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// # std::fs::write(&path, b"abc")?;
    /// let _reader = MapOptions::new().open(&path)?;
    /// let err = MapOptions::new()
    ///     .access(Access::Write)
    ///     .lock_timeout(Duration::from_millis(20))
    ///     .open(&path)
    ///     .unwrap_err();
    /// assert!(matches!(err, Error::Locked { exclusive: true, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.wait = Wait::For(timeout);
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

    /// Holds the file in `role` instead of the one `access` implies (crate-only: the table
    /// roles).
    pub(crate) fn role(&mut self, role: Role) -> &mut Self {
        self.role = Some(role);
        self
    }

    /// How long to wait for a conflicting lock (crate-only: the tables' options).
    pub(crate) fn wait(&mut self, wait: Wait) -> &mut Self {
        self.wait = wait;
        self
    }

    /// The lock role a map with these options holds.
    fn lock_role(&self) -> Role {
        self.role.unwrap_or(match self.access {
            Access::Write => Role::Exclusive,
            Access::Read | Access::Copy => Role::Shared,
        })
    }

    /// The body of `open`/`open_unlocked`. Without `lock`, the caller of `open_unlocked` has
    /// made the promise that the lock would otherwise keep.
    fn open_file(&self, path: &Path, lock: bool) -> Result<Map> {
        let writable = self.access == Access::Write;
        let file = loop {
            let opened = crate::sys::open(path, writable);
            let file = match opened {
                Ok(file) => file,
                // A new file is made complete under no name and then linked into place, so no
                // other process ever sees it half-made; if another process linked one first,
                // open that.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && writable && self.create => {
                    match self.create_new_with(path, lock, |_| Ok(())) {
                        Err(Error::Io { source, .. })
                            if source.kind() == std::io::ErrorKind::AlreadyExists =>
                        {
                            // The name exists but opening it found nothing: a symbolic link
                            // to a file that does not exist. Say so, rather than retry.
                            if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink())
                                && std::fs::metadata(path).is_err()
                            {
                                return Err(Error::io(
                                    Some(path),
                                    "create",
                                    std::io::Error::new(
                                        std::io::ErrorKind::NotFound,
                                        "a symbolic link to a file that does not exist",
                                    ),
                                ));
                            }
                            continue;
                        }
                        res => return res,
                    }
                }
                Err(e) => return Err(open_error(path, e)),
            };
            refuse_directory(&file, path)?;
            if !lock {
                break file;
            }
            lock::acquire(&file, path, self.lock_role(), self.wait)?;
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
        let (end, len) = self.range(len)?;
        if end > file_len {
            if !writable {
                return Err(past_end(len as u64));
            }
            // Real space, not a sparse hole: a full disk is an error now, not a SIGBUS later.
            if let Err(e) = crate::sys::allocate(&file, file_len, end) {
                // Only an exclusive holder may cut the file back: nobody else maps it.
                if self.lock_role() == Role::Exclusive {
                    let _ = file.set_len(file_len);
                }
                return Err(Error::io(Some(path), "extend", e));
            }
        }
        self.map_file(file, Some(path), len)
    }

    /// The end offset and the length (as `usize`) of a map of `len` bytes at the offset.
    fn range(&self, len: u64) -> Result<(u64, usize)> {
        let too_large = Error::TooLarge {
            offset: self.offset,
            len,
        };
        let end = self.offset.checked_add(len).ok_or(too_large)?;
        let len = usize::try_from(len).map_err(|_| Error::TooLarge {
            offset: self.offset,
            len,
        })?;
        Ok((end, len))
    }

    /// Maps `len` bytes of the (locked, or promised) `file`.
    fn map_file(&self, file: crate::sys::OpenFile, path: Option<&Path>, len: usize) -> Result<Map> {
        // SAFETY: with the lock, this process holds the role lock of the safety model on
        // `file` (exclusive for Write; a role that no one who changes the mapped bytes
        // coexists with otherwise) and keeps it, through `file`, for the map's life, so no
        // program honouring recmap's locks writes or truncates the mapped bytes meanwhile.
        // Without the lock, the caller of the `unsafe fn open_unlocked` promised the same; for
        // a new file, no other process can reach it yet.
        let region = unsafe { map_region(&file, self.access, self.offset, len, self.populate) }
            .map_err(|e| Error::io(path, "map", e))?;
        Ok(Map {
            region,
            access: self.access,
            file: Some(file),
            path: path.map(Path::to_path_buf),
            name: None,
            memory: false,
            offset: self.offset,
            pos: 0,
            flush_on_drop: true,
            unsynced_name: std::sync::Mutex::new(None),
        })
    }

    /// Makes a new file for a `Write` map, complete before anyone can see it: under no name
    /// (or a hidden one) in `path`'s directory, locked in this map's role (with `lock`),
    /// `offset + len` zero bytes of real space, mapped, filled by `init`, then linked to
    /// `path` — refused with `AlreadyExists` if `path` exists, unless `replace`, which renames
    /// it over whatever is there. A failure anywhere leaves no file behind. The directory
    /// entry becomes durable at the map's first [`Map::sync_name`].
    pub(crate) fn create_new_with(
        &self,
        path: &Path,
        lock: bool,
        init: impl FnOnce(&mut Map) -> Result<()>,
    ) -> Result<Map> {
        self.make_new(path, lock, false, init)
    }

    /// As [`create_new_with`](MapOptions::create_new_with), but the new file replaces the one
    /// at `path`, if there is one: that one is first held exclusively (waiting as these
    /// options say) unless the caller holds it already (`held`), so nobody is using it when it
    /// goes, and its permissions pass to the new file. A symbolic link at `path` is followed:
    /// its target is replaced.
    pub(crate) fn replace_with(
        &self,
        path: &Path,
        held: Option<&File>,
        init: impl FnOnce(&mut Map) -> Result<()>,
    ) -> Result<Map> {
        // Resolve symbolic links once, and replace exactly the file that is locked: a link
        // repointed meanwhile must not send the new file over one somebody else holds.
        let resolve = || std::fs::canonicalize(path);
        let locked_here;
        let (old, target) = match held {
            Some(file) => {
                let target = resolve().map_err(|e| Error::io(Some(path), "resolve", e))?;
                if !still_at_path(file, &target)? {
                    return Err(Error::io(
                        Some(path),
                        "replace",
                        std::io::Error::other("the file was moved or replaced meanwhile"),
                    ));
                }
                (file, target)
            }
            None => {
                let (file, target) = loop {
                    let target = match resolve() {
                        Ok(target) => target,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            return self.make_new(path, true, false, init);
                        }
                        Err(e) => return Err(Error::io(Some(path), "resolve", e)),
                    };
                    // Write access: an exclusive record lock needs it.
                    let file = match crate::sys::open(&target, true) {
                        Ok(file) => file,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(open_error(path, e)),
                    };
                    refuse_directory(&file, path)?;
                    lock::acquire(&file, path, Role::Exclusive, self.wait)?;
                    if still_at_path(&file, &target)? {
                        break (file, target);
                    }
                };
                locked_here = file;
                (&*locked_here, target)
            }
        };
        let permissions = old
            .metadata()
            .map_err(|e| Error::io(Some(path), "read the metadata of", e))?
            .permissions();
        let mut map = self.make_new(&target, true, true, |map| {
            if let Some(file) = map.file() {
                file.set_permissions(permissions)
                    .map_err(|e| Error::io(Some(path), "copy the permissions to", e))?;
            }
            init(map)
        })?;
        map.path = Some(path.to_path_buf());
        Ok(map)
    }

    fn make_new(
        &self,
        path: &Path,
        lock: bool,
        replace: bool,
        init: impl FnOnce(&mut Map) -> Result<()>,
    ) -> Result<Map> {
        if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(is_a_directory(path, "create"));
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut new =
            crate::sys::NewFile::in_dir(dir).map_err(|e| Error::io(Some(path), "create", e))?;
        let file: crate::sys::OpenFile = new
            .file
            .try_clone()
            .map_err(|e| Error::io(Some(path), "create", e))?
            .into();
        if lock {
            // Nobody else can open the file yet, so this never waits. The map's own
            // descriptor takes the locks: it is the one that lives as long as they must.
            lock::acquire(&file, path, self.lock_role(), Wait::No)?;
        }
        let len = self.len.unwrap_or(0) as u64;
        let (end, len) = self.range(len)?;
        crate::sys::allocate(&file, 0, end).map_err(|e| Error::io(Some(path), "create", e))?;
        let mut map = self.map_file(file, None, len)?;
        init(&mut map)?;
        // Durable before it is named: after a machine crash the name, if it survived, points
        // at the whole file, never at one whose header never reached the disk.
        map.flush()?;
        new.file
            .sync_data()
            .map_err(|e| Error::io(Some(path), "sync", e))?;
        new.link(path, replace)
            .map_err(|e| Error::io(Some(path), "create", e))?;
        map.path = Some(path.to_path_buf());
        map.unsynced_name = std::sync::Mutex::new(Some(dir.to_path_buf()));
        Ok(map)
    }
}

/// `Error::Io` of kind `IsADirectory` for `path`.
fn is_a_directory(path: &Path, op: &'static str) -> Error {
    Error::io(
        Some(path),
        op,
        std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
    )
}

/// The error of a failed open of `path`: "is a directory" where it is one (Windows refuses to
/// open a directory as a file with "access denied").
fn open_error(path: &Path, e: std::io::Error) -> Error {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        is_a_directory(path, "open")
    } else {
        Error::io(Some(path), "open", e)
    }
}

/// Refuses a directory (which opens, but cannot be mapped: "No such device").
fn refuse_directory(file: &File, path: &Path) -> Result<()> {
    match file.metadata() {
        Ok(m) if m.is_dir() => Err(is_a_directory(path, "map")),
        _ => Ok(()),
    }
}

/// Whether `file` is the file `path` names now (same device and inode).
fn still_at_path(file: &File, path: &Path) -> Result<bool> {
    let open =
        crate::sys::file_id(file).map_err(|e| Error::io(Some(path), "read the metadata of", e))?;
    Ok(match crate::sys::path_id(path) {
        Ok(named) => named == open,
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
