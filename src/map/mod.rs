//! Layer 1: [`Map`], Python's `mmap` object in Rust.
//!
//! (Over 600 lines: most of it is one runnable example per Python method; the code is the
//! thin half.)
//!
//! - `mod.rs` (this file): the [`Map`] type, its bytes API (slices, `find`, `move_bytes`,
//!   `flush`, `advise`, `resize`) and the [`Access`] modes;
//! - `options`: [`MapOptions`], the builder, and the only `unsafe` calls into memmap2;
//! - `cursor`: the file API (`read_slice`, `readline`, `write_byte`, …) and the
//!   `std::io` trait impls.

mod cursor;
mod lock;
mod options;

use std::fmt;
use std::fs::File;
use std::ops::{Bound, Deref, RangeBounds};
use std::path::{Path, PathBuf};
use std::time::Duration;

use memmap2::{Mmap, MmapMut};

use crate::error::{Error, Result};

pub(crate) use lock::{Role, Wait};
/// `madvise` advice (memmap2's): the portable variants everywhere on Unix, and those only
/// Linux or macOS has on those. Windows has no `madvise`, so no `Advice` and no `advise`.
#[cfg(unix)]
pub use memmap2::Advice;
pub use options::MapOptions;

/// How a [`Map`] may be used; the analogue of Python's `ACCESS_READ`, `ACCESS_WRITE` and
/// `ACCESS_COPY`.
///
/// # Examples
///
/// ```
/// use recmap::{Access, Map};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("data.bin");
/// # std::fs::write(&path, b"hello")?;
/// let m = Map::open(&path, Access::Read)?;
/// assert_eq!(m.access(), Access::Read);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read only (Python `ACCESS_READ`); writes give [`Error::ReadOnly`]. Takes a shared lock
    /// (see the [safety model](Map#safety-model): never beside a writer or an appender).
    Read,
    /// Read and write through to the file (Python `ACCESS_WRITE`). Takes an exclusive lock.
    Write,
    /// Copy-on-write (Python `ACCESS_COPY`): writes change memory only, never the file.
    /// Takes a shared lock, as `Read` does.
    Copy,
}

/// The memory behind a [`Map`]: memmap2's read-only or writable mapping, or (Windows) a view
/// of a named section.
enum Region {
    ReadOnly(Mmap),
    Writable(MmapMut),
    #[cfg(windows)]
    Section(crate::sys::SectionView),
}

impl Region {
    fn bytes(&self) -> &[u8] {
        match self {
            Region::ReadOnly(m) => m,
            Region::Writable(m) => m,
            #[cfg(windows)]
            Region::Section(v) => v.bytes(),
        }
    }

    /// The start of the mapping, without making a reference to its bytes.
    fn as_ptr(&self) -> *const u8 {
        match self {
            Region::ReadOnly(m) => m.as_ptr(),
            Region::Writable(m) => m.as_ptr(),
            #[cfg(windows)]
            Region::Section(v) => v.as_ptr(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Region::ReadOnly(m) => m.len(),
            Region::Writable(m) => m.len(),
            #[cfg(windows)]
            Region::Section(v) => v.len(),
        }
    }
}

/// A memory-mapped file (or anonymous memory): Python's `mmap` object, in Rust.
///
/// A `Map` is both a byte slice and a file:
///
/// - **bytes**: it derefs to `[u8]`, so indexing, slicing, `iter`, `windows`, `memchr`,
///   `regex::bytes` all work on it directly; [`bytes_mut`](Map::bytes_mut),
///   [`write_at`](Map::write_at), [`find`](Map::find), [`rfind`](Map::rfind),
///   [`move_bytes`](Map::move_bytes) cover the rest of Python's bytes API;
/// - **file**: it has a cursor, moved by [`read_slice`](Map::read_slice),
///   [`readline`](Map::readline), [`read_byte`](Map::read_byte),
///   [`write_byte`](Map::write_byte) and the [`std::io`] traits `Read`, `BufRead`, `Write` and
///   `Seek`. Slicing never moves the cursor.
///
/// Typed access (`&[u32]`, `&mut Trade`, …) is in [`crate::view`]: [`Map::cast`],
/// [`Map::at_mut`], [`Map::read_at`], ….
///
/// # Examples
///
/// ```
/// use std::io::{Seek, SeekFrom, Write};
/// use recmap::{Access, Map};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("hello.txt");
/// std::fs::write(&path, b"Hello Python!\n")?;
///
/// let mut m = Map::open(&path, Access::Write)?;
/// assert_eq!(m.readline(), b"Hello Python!\n"); // zero-copy, keeps the newline
/// m.seek(SeekFrom::Start(6))?;
/// m.write_all(b" world!")?;                      // writes through to the file
/// assert_eq!(&m[..], b"Hello  world!\n");
/// m.close()?;                                    // flushes, reports errors
/// assert_eq!(std::fs::read(&path)?, b"Hello  world!\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ## Safety model
///
/// A mapped file can change under the program: another process may write to it (the bytes a
/// `&[u8]` points at change, breaking Rust's aliasing rules) or truncate it (touching the lost
/// pages raises `SIGBUS`). memmap2 therefore makes every constructor `unsafe`; recmap's safe
/// constructors ([`Map::open`], [`Map::create`], [`MapOptions::open`]) instead take an
/// **advisory lock** on the file for as long as the map lives, so that every map and table in
/// every process that uses recmap sees a file that nobody else writes:
///
/// | holder | may coexist with |
/// |---|---|
/// | [`Access::Write`] map, `ReadWrite` table | nobody |
/// | [`Access::Read`] / [`Access::Copy`] map | other `Read`/`Copy` maps, table readers |
/// | `Append` table (one) | table readers (`open_read`) |
/// | table reader (`Table::open_read`) | `Read`/`Copy` maps, other readers, one appender |
///
/// A `Read` or `Copy` map never coexists with an appender: its `&[u8]` covers the whole file,
/// which the appender keeps storing into. (A table reader may, because its `&[T]` covers only
/// records the appender has committed and never touches again.) To follow a live table, open
/// it with `Table::open_read`.
///
/// A conflicting lock gives [`Error::Locked`], or a wait: [`MapOptions::wait_for_lock`]
/// (without end) or [`MapOptions::lock_timeout`]. Writers are not starved: once a writer
/// waits, new readers queue behind it, so it waits only for the readers already there.
/// (Hence, as with `std::sync::RwLock`, a thread that holds a reader and opens another one
/// with an endless wait while a writer waits for the first deadlocks; give it a timeout.)
///
/// The locks are Linux open-file-description byte-range locks (`F_OFD_SETLK`) on three bytes
/// near the largest file offset, where no data is ever stored: they conflict between two
/// opens even inside one process, vanish when the file is closed or the process dies (no
/// lock file, no reader table to go stale), and are seen by other programs' `fcntl`/`lockf`
/// record locks (Python's `fcntl.lockf(f, LOCK_EX)` on the whole file excludes recmap).
/// After a `fork()` the child shares its parent's open files and so their locks: a table
/// refuses to write from the child ([`Error::Forked`]); maps, like Python's, are shared.
///
/// What the lock cannot do: advisory locks bind only programs that ask for them. A program
/// that writes or truncates the file without locking it (a text editor, `truncate(1)`, a
/// Python script using `mmap` directly) can still change the bytes under a live map, or make
/// it fault with `SIGBUS`. Do not hand files that such programs modify to a `Map` while they run.
/// [`MapOptions::open_unlocked`] is the explicit, `unsafe` way to map without a lock, for
/// shared-memory IPC and for files that other programs change on purpose.
///
/// A file that `Map::create` makes is built under no name (`O_TMPFILE`) and linked into place
/// complete, so no other process ever sees it half-made, and a failure leaves no file.
///
/// Anonymous maps ([`Map::anon`]) have no file and need no lock.
pub struct Map {
    // INVARIANTS: for `Access::Read` the region is `ReadOnly`; for `Write` and `Copy` it is
    // `Writable` (or, for a named map on Windows, `Section`). `file` is `Some` (and locked,
    // unless mapped with `open_unlocked`) for file-backed maps, `Some` (an unlocked memfd
    // nobody else can open) for shared anonymous maps on Unix, `Some` (unlocked shared memory)
    // for named maps on Unix, and `None` otherwise; `path` is `Some` only for file-backed
    // maps, `name` only for named ones.
    region: Region,
    access: Access,
    file: Option<crate::sys::OpenFile>,
    path: Option<PathBuf>,
    /// The name of a named map ([`Map::named`]).
    name: Option<Box<str>>,
    /// Whether `file` is memory that other processes may map — a shared anonymous map's
    /// memfd or a named map's shared memory — rather than a file: it is never cut.
    memory: bool,
    offset: u64,
    /// The file cursor. May exceed `len()` after a shrinking `resize`, as in Python; every
    /// reader treats that as "at the end".
    pos: usize,
    /// Whether dropping the map msyncs it (tables have their own commit points instead).
    flush_on_drop: bool,
    /// The directory in which this map made its file's name (`MapOptions::create`), until
    /// that directory entry is made durable (`sync_name`).
    unsynced_name: std::sync::Mutex<Option<PathBuf>>,
}

impl Map {
    /// Maps the whole file at `path` with the given access, taking the lock described in the
    /// [safety model](Map#safety-model).
    ///
    /// An empty file maps as an empty `Map`. For an offset, a length, or waiting for the lock,
    /// use [`MapOptions`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be opened or mapped; [`Error::Locked`] if another map
    /// or process holds a conflicting lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::{Access, Map};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("lorem.txt");
    /// # std::fs::write(&path, b"Lorem ipsum dolor sit amet")?;
    /// let m = Map::open(&path, Access::Read)?;
    /// assert_eq!(&m[..5], b"Lorem");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, access: Access) -> Result<Map> {
        MapOptions::new().access(access).open(path)
    }

    /// Creates the file at `path` if needed, extends it with zeros to at least `len` bytes, and
    /// maps its first `len` bytes for writing (the cookbook's `memory_map()` helper).
    ///
    /// An existing file longer than `len` keeps its length and contents.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be created, extended or mapped; [`Error::Locked`] if
    /// another map or process holds a lock on it.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::Map;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data.bin");
    /// let mut m = Map::create(&path, 1_000_000)?;
    /// m.write_at(0, b"Hello World")?;
    /// m.close()?;
    /// assert_eq!(&std::fs::read(&path)?[..11], b"Hello World");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, len: usize) -> Result<Map> {
        MapOptions::new()
            .access(Access::Write)
            .len(len)
            .create(true)
            .open(path)
    }

    /// Maps `len` bytes of zeroed, writable anonymous memory that is **shared** with child
    /// processes after `fork` — Python's `mmap(-1, len)` (`MAP_SHARED | MAP_ANONYMOUS`), the
    /// basis of "map, fork, and share". On Unix it is backed by a `memfd` (an unlinked
    /// temporary file on macOS), so [`resize`](Map::resize) grows and shrinks it in place, and
    /// a forked child sees the new length's pages too. Shrinking never cuts the memory under
    /// a child that still maps more of it: the bytes past the new end are given back and read
    /// as zeros there (and here, if the map grows again).
    ///
    /// On Windows, as in Python there, it is pagefile-backed memory (a section without a
    /// name), and `resize` copies it into a new section. Windows has no `fork`; to share
    /// memory between processes by a name, use [`Map::named`].
    ///
    /// For memory that a fork copies instead (`MAP_PRIVATE`), use [`Map::anon_private`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the system refuses the memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(16)?;
    /// assert_eq!(&m[..], &[0u8; 16]);
    /// m.write_byte(7)?;
    /// assert_eq!(m[0], 7);
    /// m.resize(32)?;
    /// assert_eq!((m.len(), m[0]), (32, 7));
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn anon(len: usize) -> Result<Map> {
        #[cfg(windows)]
        {
            let mut m = Map::anon_private(len)?;
            m.flush_on_drop = false;
            Ok(m)
        }
        #[cfg(unix)]
        {
            let err = |e| Error::io(None, "map anonymous memory for", e);
            let memfd = crate::sys::memfd(len as u64).map_err(err)?;
            // SAFETY: the memfd is new and unnamed: no other program can open, write or
            // truncate it, and it is only resized through this map (`resize`), which remaps.
            let region = unsafe { options::map_region(&memfd, Access::Write, 0, len, false) }
                .map_err(err)?;
            Ok(Map {
                region,
                access: Access::Write,
                file: Some(memfd.into()),
                path: None,
                name: None,
                memory: true,
                offset: 0,
                pos: 0,
                flush_on_drop: false,
                unsynced_name: std::sync::Mutex::new(None),
            })
        }
    }

    /// Maps `len` bytes of memory shared, by the name `name`, with every process that maps the
    /// same name — Python's `mmap(-1, len, tagname=name)` on Windows, on every platform. The
    /// first map of a name creates it, `len` zero bytes; later ones (in any process) map the
    /// same memory — extended with zeros to `len` bytes if it is shorter on Linux (it never
    /// shrinks, even when processes open it at once with different lengths); on macOS and
    /// Windows, whose shared memory keeps the size it was made with, a longer map than the
    /// memory is an error.
    ///
    /// | | Unix (Linux, macOS) | Windows |
    /// |---|---|---|
    /// | memory | POSIX shared memory, `shm_open("/name")` (on Linux a file in `/dev/shm`), mode 0600; reserved when made or grown on Linux (`fallocate`: a full `/dev/shm` is an error then, not a `SIGBUS` later) | a pagefile-backed section, `CreateFileMappingW` with the name as given (so `Local\…` and `Global\…` work) |
    /// | names | one component: not empty, no `/`; macOS allows at most 31 bytes | not empty; `\` only after `Local` or `Global` |
    /// | lives | until [`Map::remove_named`], even with no map left | while any process maps it; `remove_named` has nothing to do |
    /// | [`resize`](Map::resize) | this map's length; it grows the memory if shorter (Linux; macOS refuses with [`Error::Io`] to change a size once set) and never shrinks it | [`Error::Unsupported`]: a section's size is fixed |
    ///
    /// # Errors
    ///
    /// [`Error::Io`] with the name if the name is not valid here or the memory cannot be
    /// made, extended or mapped.
    ///
    /// # Safety
    ///
    /// Any process may map the name, so recmap cannot lock it: as for
    /// [`MapOptions::open_unlocked`], for as long as the returned `Map` (or a view borrowed
    /// from it) lives, the caller must ensure that no other process changes the bytes a live
    /// `&[u8]`, `&[T]` or `&T` covers, unless the caller synchronizes those accesses itself
    /// (with atomics in the memory, read through raw pointers), and that no one shrinks the
    /// memory below this map's length (on Unix the next access would raise `SIGBUS`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let name = format!("recmap-doc-{}", std::process::id());
    /// // SAFETY: nothing else maps this name while `a` and `b` live.
    /// let mut a = unsafe { recmap::Map::named(&name, 16)? };
    /// let b = unsafe { recmap::Map::named(&name, 16)? };
    /// a.write_at(0, b"shared")?;
    /// assert_eq!(&b[..6], b"shared"); // the same memory
    /// assert_eq!(a.name(), Some(name.as_str()));
    /// # drop((a, b));
    /// # recmap::Map::remove_named(&name)?;
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub unsafe fn named(name: &str, len: usize) -> Result<Map> {
        let err = |e| Error::io(Some(Path::new(name)), "map the shared memory named", e);
        #[cfg(windows)]
        let (region, file) = (
            Region::Section(crate::sys::SectionView::open(name, len).map_err(err)?),
            None,
        );
        #[cfg(unix)]
        let (region, file) = {
            let shm = crate::sys::shm_open(name, len as u64).map_err(err)?;
            // SAFETY: the caller of this `unsafe fn` promised what the lock would otherwise
            // ensure: no unsynchronized writer and no truncation while the map lives.
            let region =
                unsafe { options::map_region(&shm, Access::Write, 0, len, false) }.map_err(err)?;
            (region, Some(shm.into()))
        };
        Ok(Map {
            region,
            access: Access::Write,
            file,
            path: None,
            name: Some(name.into()),
            memory: cfg!(unix),
            offset: 0,
            pos: 0,
            flush_on_drop: false,
            unsynced_name: std::sync::Mutex::new(None),
        })
    }

    /// Removes the name `name` made by [`Map::named`], so that the next `named` with it makes
    /// new memory; maps of the old memory stay valid until dropped. `Ok(false)` if there was
    /// no such name — always on Windows, where a name lasts only while some process maps it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] with the name if it is not valid here or cannot be removed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let name = format!("recmap-doc-rm-{}", std::process::id());
    /// // SAFETY: nothing else maps this name.
    /// drop(unsafe { recmap::Map::named(&name, 8)? });
    /// recmap::Map::remove_named(&name)?; // `true` on Unix, `false` on Windows
    /// assert!(!recmap::Map::remove_named(&name)?);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn remove_named(name: &str) -> Result<bool> {
        #[cfg(unix)]
        {
            crate::sys::shm_unlink(name)
                .map_err(|e| Error::io(Some(Path::new(name)), "remove the shared memory named", e))
        }
        #[cfg(windows)]
        {
            if name.is_empty() || name.contains('\0') {
                return Err(Error::io(
                    Some(Path::new(name)),
                    "remove the shared memory named",
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "a section name is not empty and has no NUL",
                    ),
                ));
            }
            Ok(false)
        }
    }

    /// Maps `len` bytes of zeroed anonymous memory private to this process (`MAP_PRIVATE`): a
    /// forked child gets a copy. [`resize`](Map::resize) copies it into a new mapping.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the system refuses the mapping.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon_private(8)?;
    /// m.write_at(0, b"private")?;
    /// m.resize(4)?;
    /// assert_eq!(&m[..], b"priv");
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn anon_private(len: usize) -> Result<Map> {
        Ok(Map {
            region: Region::Writable(anon_region(len)?),
            access: Access::Write,
            file: None,
            path: None,
            name: None,
            memory: false,
            offset: 0,
            pos: 0,
            flush_on_drop: true,
            unsynced_name: std::sync::Mutex::new(None),
        })
    }

    /// The access mode the map was opened with.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(recmap::Map::anon(1)?.access(), recmap::Access::Write);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn access(&self) -> Access {
        self.access
    }

    /// The path of the mapped file, or `None` for an anonymous map.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(recmap::Map::anon(1)?.path().is_none());
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The name of a map made by [`Map::named`], or `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(recmap::Map::anon(1)?.name(), None);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where in the file the map starts (`MapOptions::offset`); 0 for anonymous maps.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(recmap::Map::anon(1)?.offset(), 0);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The mapped bytes, writable.
    ///
    /// This is Python's slice assignment: `m.bytes_mut()?[a..b].copy_from_slice(data)` is
    /// `m[a:b] = data`.
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`] for an [`Access::Read`] map.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(8)?;
    /// m.bytes_mut()?[2..5].copy_from_slice(b"abc");
    /// assert_eq!(&m[..], b"\0\0abc\0\0\0");
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn bytes_mut(&mut self) -> Result<&mut [u8]> {
        self.writable("write")
    }

    /// The writable mapping, or `Error::ReadOnly` naming `op`.
    pub(crate) fn writable(&mut self, op: &'static str) -> Result<&mut [u8]> {
        match &mut self.region {
            Region::Writable(m) => Ok(m),
            #[cfg(windows)]
            Region::Section(v) => Ok(v.bytes_mut()),
            Region::ReadOnly(_) => Err(Error::ReadOnly {
                access: self.access,
                op,
            }),
        }
    }

    /// Copies `data` into the map at `offset`, without moving the cursor.
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`] for a read-only map; [`Error::OutOfBounds`] if `data` does not fit
    /// — and then nothing is written.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(5)?;
    /// m.write_at(1, b"abc")?;
    /// assert_eq!(&m[..], b"\0abc\0");
    /// assert!(m.write_at(3, b"abc").is_err());
    /// assert_eq!(&m[..], b"\0abc\0");
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn write_at(&mut self, offset: usize, data: &[u8]) -> Result<()> {
        let bytes = self.writable("write")?;
        let range = checked_range(offset, data.len(), bytes.len())?;
        bytes[range].copy_from_slice(data);
        Ok(())
    }

    /// The lowest offset at which `needle` occurs wholly inside `range`, like Python's
    /// `find(sub, start, end)`.
    ///
    /// Bounds past the end are clamped to the end, as in Python; an empty range (or a start
    /// after the end) finds nothing, and an empty needle is found at the start of the range —
    /// also when that start was past the end and clamped to it, as in every released CPython
    /// (CPython 3.15 returns -1 there, gh-151021; recmap keeps the released behaviour).
    /// Unlike Python, whose `start` defaults to the cursor, an unbounded start means 0; pass
    /// `m.tell()..` to search from the cursor. The search is memchr's `memmem`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(11)?;
    /// m.write_at(0, b"abcabcabc")?;
    /// assert_eq!(m.find(b"bc", ..), Some(1));
    /// assert_eq!(m.find(b"bc", 2..), Some(4));
    /// assert_eq!(m.find(b"bc", 2..5), None); // "bc" at 4 would end at 6 > 5
    /// assert_eq!(m.find(b"zz", ..), None);
    /// assert_eq!(m.find(b"", 20..30), Some(11)); // empty needle, start past the end
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn find(&self, needle: &[u8], range: impl RangeBounds<usize>) -> Option<usize> {
        let (start, end) = clamp_range(range, self.len())?;
        memchr::memmem::find(self.get(start..end)?, needle).map(|i| start + i)
    }

    /// The highest offset at which `needle` occurs wholly inside `range`, like Python's
    /// `rfind(sub, start, end)`; the range is treated as in [`find`](Map::find).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(9)?;
    /// m.write_at(0, b"abcabcabc")?;
    /// assert_eq!(m.rfind(b"bc", ..), Some(7));
    /// assert_eq!(m.rfind(b"bc", ..7), Some(4));
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn rfind(&self, needle: &[u8], range: impl RangeBounds<usize>) -> Option<usize> {
        let (start, end) = clamp_range(range, self.len())?;
        memchr::memmem::rfind(self.get(start..end)?, needle).map(|i| start + i)
    }

    /// Copies `count` bytes from offset `src` to offset `dest`; the ranges may overlap
    /// (memmove semantics, Python's `move(dest, src, count)`).
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`] for a read-only map; [`Error::OutOfBounds`] if either range does not
    /// fit — and then nothing is moved.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(6)?;
    /// m.write_at(0, b"abcdef")?;
    /// m.move_bytes(2, 0, 3)?;
    /// assert_eq!(&m[..], b"ababcf");
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn move_bytes(&mut self, dest: usize, src: usize, count: usize) -> Result<()> {
        let bytes = self.writable("move bytes in")?;
        let src_range = checked_range(src, count, bytes.len())?;
        checked_range(dest, count, bytes.len())?;
        bytes.copy_within(src_range, dest);
        Ok(())
    }

    /// Writes modified pages back to the file and waits until that is done (`msync`).
    ///
    /// Read-only, copy-on-write and anonymous maps have nothing to write back: `Ok(())`. The
    /// first flush of a map that created its file ([`Map::create`], [`MapOptions::create`])
    /// also makes the file's name durable (`fsync` of the directory), so that a machine crash
    /// after it cannot lose the file the flushed bytes live in.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the system reports a failure.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("f.bin");
    /// let mut m = recmap::Map::create(&path, 4)?;
    /// m.write_at(0, b"data")?;
    /// m.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> Result<()> {
        match self.flushable() {
            Some(m) => m.flush().map_err(|e| self.err("flush", e))?,
            None => return Ok(()),
        }
        self.sync_name()
    }

    /// Starts writing modified pages back to the file without waiting for it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the system refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("f.bin");
    /// let mut m = recmap::Map::create(&path, 4)?;
    /// m.write_at(0, b"data")?;
    /// m.flush_async()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush_async(&self) -> Result<()> {
        match self.flushable() {
            Some(m) => m.flush_async().map_err(|e| self.err("flush", e)),
            None => Ok(()),
        }
    }

    /// Writes back the modified pages of `len` bytes at `offset` and waits (Python's
    /// `flush(offset, size)`, but any offset works).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if the range does not fit in the map; [`Error::Io`] if the
    /// system reports a failure.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("f.bin");
    /// let mut m = recmap::Map::create(&path, 10_000)?;
    /// m.write_at(5000, b"data")?;
    /// m.flush_range(5000, 4)?;
    /// assert!(m.flush_range(9999, 2).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush_range(&self, offset: usize, len: usize) -> Result<()> {
        checked_range(offset, len, self.len())?;
        match self.flushable() {
            Some(m) if len > 0 => m.flush_range(offset, len).map_err(|e| self.err("flush", e)),
            _ => Ok(()),
        }
    }

    /// The mapping whose changes belong in a file: only file-backed `Write` maps.
    fn flushable(&self) -> Option<&MmapMut> {
        match (&self.region, self.access, &self.file) {
            (Region::Writable(m), Access::Write, Some(_)) => Some(m),
            _ => None,
        }
    }

    /// Tells the kernel how the whole map will be used (`madvise`).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the system refuses the advice.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::{Advice, Map};
    /// let m = Map::anon(1 << 20)?;
    /// m.advise(Advice::Sequential)?;
    /// # Ok::<(), recmap::Error>(())
    /// ```
    #[cfg(unix)]
    pub fn advise(&self, advice: Advice) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let res = match &self.region {
            Region::ReadOnly(m) => m.advise(advice),
            Region::Writable(m) => m.advise(advice),
        };
        res.map_err(|e| self.err("advise", e))
    }

    /// Tells the kernel how `len` bytes at `offset` will be used (Python's
    /// `madvise(option, start, length)`), with Python's bounds: a length running past the end
    /// is cut to the end.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if `offset` is at or past the end (as CPython's `ValueError`);
    /// [`Error::Io`] if the system refuses the advice.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::{Advice, Map};
    /// let m = Map::anon(1 << 20)?;
    /// m.advise_range(Advice::WillNeed, 4096, 8192)?;
    /// m.advise_range(Advice::WillNeed, 4096, usize::MAX)?; // cut to the end
    /// assert!(m.advise_range(Advice::WillNeed, 1 << 20, 1).is_err());
    /// # Ok::<(), recmap::Error>(())
    /// ```
    #[cfg(unix)]
    pub fn advise_range(&self, advice: Advice, offset: usize, len: usize) -> Result<()> {
        if offset >= self.len() {
            return Err(Error::OutOfBounds {
                offset,
                len,
                map_len: self.len(),
            });
        }
        let len = len.min(self.len() - offset);
        if len == 0 {
            return Ok(());
        }
        let res = match &self.region {
            Region::ReadOnly(m) => m.advise_range(advice, offset, len),
            Region::Writable(m) => m.advise_range(advice, offset, len),
        };
        res.map_err(|e| self.err("advise", e))
    }

    /// Changes the length of the map and of the file behind it to `new_len` (the file becomes
    /// `offset + new_len` bytes long): grown bytes are zero, shrunk ones are cut from the file.
    /// Python's `resize(newsize)`. The cursor stays where it was, even past the new end.
    ///
    /// An anonymous map is resized in memory (its contents are kept up to the new length).
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`] for `Read` and `Copy` maps (as in Python); [`Error::Io`] if the file
    /// cannot be resized or remapped — then the map and the file keep their old length.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("f.bin");
    /// let mut m = recmap::Map::create(&path, 4)?;
    /// m.write_at(0, b"abcd")?;
    /// m.resize(6)?;
    /// assert_eq!(&m[..], b"abcd\0\0");
    /// m.resize(2)?;
    /// assert_eq!(m.file_size()?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resize(&mut self, new_len: usize) -> Result<()> {
        if self.access != Access::Write {
            return Err(Error::ReadOnly {
                access: self.access,
                op: "resize",
            });
        }
        if new_len > isize::MAX as usize {
            // No slice can be longer; refused before anything is allocated.
            return Err(Error::TooLarge {
                offset: self.offset,
                len: new_len as u64,
            });
        }
        #[cfg(windows)]
        if let Region::Section(_) = self.region {
            return Err(Error::Unsupported {
                what: "resizing a named map on Windows (a section's size is fixed)",
            });
        }
        match self.file.take() {
            None => {
                let mut fresh = anon_region(new_len)?;
                let keep = new_len.min(self.len());
                fresh[..keep].copy_from_slice(&self[..keep]);
                self.region = Region::Writable(fresh);
                Ok(())
            }
            Some(file) => {
                let res = self.resize_file(&file, new_len);
                self.file = Some(file);
                res
            }
        }
    }

    fn resize_file(&mut self, file: &File, new_len: usize) -> Result<()> {
        #[cfg(unix)]
        if self.memory {
            return self.resize_shared_memory(file, new_len);
        }
        let path = self.path.as_deref();
        let new_end = end_of(self.offset, new_len)?;
        let old_end = end_of(self.offset, self.len())?;
        let file_len = file
            .metadata()
            .map_err(|e| Error::io(path, "read the size of", e))?
            .len();
        if new_end > file_len {
            // Real space, not a sparse hole: a full disk is an error here, never a SIGBUS at a
            // later store into the new pages.
            if let Err(e) = crate::sys::allocate(file, file_len, new_end) {
                let _ = file.set_len(file_len);
                return Err(Error::io(path, "resize", e));
            }
        } else {
            // Windows refuses to cut a file that a view still maps (error 1224, "the file has
            // a user-mapped section"): let go of the old view first (its bytes are in the
            // file), and map it again if the cut fails.
            #[cfg(windows)]
            let old_len = {
                let old_len = self.len();
                self.region = Region::Writable(anon_region(0)?);
                old_len
            };
            if let Err(e) = file.set_len(new_end) {
                #[cfg(windows)]
                {
                    // SAFETY: as below: the same file under the same lock, at its old length.
                    let again = unsafe {
                        options::map_region(file, self.access, self.offset, old_len, false)
                    };
                    self.region = again.map_err(|e| Error::io(path, "remap", e))?;
                }
                return Err(Error::io(path, "resize", e));
            }
        }
        // SAFETY: this map was made under the lock (or the promise of `open_unlocked`) that is
        // still held through `file`; remapping the same file with it keeps that guarantee.
        match unsafe { options::map_region(file, self.access, self.offset, new_len, false) } {
            Ok(region) => {
                self.region = region;
                Ok(())
            }
            Err(e) => {
                // Put the file back to the length the still-live old mapping covers.
                let _ = file.set_len(old_end.max(file_len));
                Err(Error::io(path, "remap", e))
            }
        }
    }

    /// `resize` of memory that other processes may map: a shared anonymous map (forked
    /// children share it) or a named one. Its backing never shrinks: a cut would make their
    /// next access past the new end a `SIGBUS`. A smaller anonymous map gives the pages past
    /// its end back (they read as zeros in a child that still maps them); a smaller named map
    /// leaves them to the other processes. A larger map makes the bytes past its old end
    /// zeros (anonymous: what was given back, or what a child stored there since) and real
    /// memory — `ENOSPC` now, never a `SIGBUS` at a later store. On an error the map keeps
    /// its length and bytes.
    #[cfg(unix)]
    fn resize_shared_memory(&mut self, file: &File, new_len: usize) -> Result<()> {
        let label = self.label();
        let io = |op, e| Error::io(label, op, e);
        let (old_end, new_end) = (self.len() as u64, new_len as u64);
        if new_end > old_end {
            if self.name.is_some() {
                crate::sys::shm_grow(file, new_end).map_err(|e| io("resize", e))?;
            } else {
                let backing = file
                    .metadata()
                    .map_err(|e| io("read the size of", e))?
                    .len();
                crate::sys::discard(file, old_end, new_end.min(backing))
                    .map_err(|e| io("resize", e))?;
                if let Err(e) = crate::sys::allocate(file, old_end, new_end) {
                    // Only what lies past every map of it (a child maps at most `backing`).
                    let _ = file.set_len(backing);
                    return Err(io("resize", e));
                }
            }
        }
        // SAFETY: anonymous: nobody else can open the memory, and it is never cut (above);
        // named: the caller of `Map::named` promised no cut and no unsynchronized writer.
        let region = unsafe { options::map_region(file, Access::Write, 0, new_len, false) };
        self.region = region.map_err(|e| io("remap", e))?;
        if new_end < old_end && self.name.is_none() {
            // Giving the memory back is all this is for (a later grow zeroes the bytes
            // itself), so a failure here loses nothing.
            let _ = crate::sys::discard(file, new_end, old_end);
        }
        Ok(())
    }

    /// Grows a file-backed map (and its file) to `new_len` bytes by writing zeros with
    /// `pwrite` — the fast way to append through a map (see `sys::write_zeros`) — and moving
    /// the mapping with `mremap`, which keeps the pages already mapped. On error (a full
    /// disk) the map and the file keep their old length.
    pub(crate) fn grow_with_zeros(&mut self, new_len: usize) -> Result<()> {
        let path = self.path.as_deref();
        let (Some(file), Region::Writable(region), Access::Write) =
            (&self.file, &mut self.region, self.access)
        else {
            return Err(Error::ReadOnly {
                access: self.access,
                op: "grow",
            });
        };
        let old_end = end_of(self.offset, region.len())?;
        let new_end = end_of(self.offset, new_len)?;
        // On a full disk the file keeps whatever part of the zeros was written: readers in
        // other processes may have mapped it, and a file that readers map never shrinks.
        crate::sys::write_zeros(file, old_end, new_end).map_err(|e| Error::io(path, "grow", e))?;
        #[cfg(target_os = "linux")]
        if crate::sys::can_remap() {
            // SAFETY: the lock that made this map safe is still held through `self.file`; the
            // file now covers `new_len` bytes, so the grown mapping has no page past its end.
            let moved =
                unsafe { region.remap(new_len, memmap2::RemapOptions::new().may_move(true)) };
            return moved.map_err(|e| Error::io(path, "remap", e));
        }
        // No `mremap`: map the file anew. A shared mapping shows the same pages, so nothing
        // stored through the old one is lost.
        // SAFETY: as above: the same file, under the same lock, covering `new_len` bytes.
        let region =
            unsafe { options::map_region(file, Access::Write, self.offset, new_len, false) };
        self.region = region.map_err(|e| Error::io(path, "remap", e))?;
        Ok(())
    }

    /// Maps more of a file that another process has grown (a live reader's refresh): the
    /// map's length becomes `new_len`, which must not pass the file's end.
    pub(crate) fn follow_growth(&mut self, new_len: usize) -> Result<()> {
        let path = self.path.as_deref();
        let (Some(file), Region::ReadOnly(region)) = (&self.file, &mut self.region) else {
            return Err(Error::ReadOnly {
                access: self.access,
                op: "follow the growth of",
            });
        };
        #[cfg(target_os = "linux")]
        if crate::sys::can_remap() {
            // SAFETY: the shared lock taken at open is still held through `self.file`; writers
            // that coexist with it only ever grow the file, and the caller checked that the
            // file covers `new_len` bytes.
            let moved =
                unsafe { region.remap(new_len, memmap2::RemapOptions::new().may_move(true)) };
            return moved.map_err(|e| Error::io(path, "remap", e));
        }
        let _ = region;
        // SAFETY: as above: the same file, under the same lock, covering `new_len` bytes.
        let region =
            unsafe { options::map_region(file, Access::Read, self.offset, new_len, false) };
        self.region = region.map_err(|e| Error::io(path, "remap", e))?;
        Ok(())
    }

    /// The bytes at `range`, built from the mapping's address without a reference to the rest
    /// of the map: a live reader may look at committed records while a writer in another
    /// process stores into bytes after them.
    #[inline]
    pub(crate) fn bytes_in(&self, range: std::ops::Range<usize>) -> Option<&[u8]> {
        if range.start > range.end || range.end > self.region.len() {
            return None;
        }
        // SAFETY: `range` lies inside the mapping (checked above), which lives as long as
        // `&self`; the caller only asks for bytes that nobody changes while it holds them
        // (records a writer has committed), so a shared slice of them is sound.
        Some(unsafe {
            std::slice::from_raw_parts(self.region.as_ptr().add(range.start), range.len())
        })
    }

    /// `Ok` if byte `offset` of the map is aligned to `align`; else the exact
    /// [`Error::Misaligned`] (a table's or array's data start in a foreign file).
    pub(crate) fn check_aligned(&self, offset: usize, align: usize) -> Result<()> {
        let address = self.region.as_ptr() as usize + offset;
        if address.is_multiple_of(align) {
            Ok(())
        } else {
            Err(Error::Misaligned {
                offset,
                address,
                align,
            })
        }
    }

    /// The address of byte `offset`, if `offset + len` is inside the map and `offset` is a
    /// multiple of `align`.
    fn word_ptr(&self, offset: usize, len: usize, align: usize) -> Option<*const u8> {
        let end = offset.checked_add(len)?;
        let ptr = self.region.as_ptr().wrapping_add(offset);
        (end <= self.region.len() && (ptr as usize).is_multiple_of(align)).then_some(ptr)
    }

    /// Reads the 16 bytes at `offset` in one indivisible load (the commit protocol's count);
    /// `None` if out of range, misaligned, or this processor cannot (see `sys::load16`).
    pub(crate) fn load16(&self, offset: usize) -> Option<[u8; 16]> {
        let ptr = self.word_ptr(offset, 16, 16)?;
        if !crate::sys::has_atomic16() {
            return None;
        }
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        // SAFETY: `word_ptr` checked alignment and that 16 bytes are inside the live mapping;
        // `has_atomic16` checked the processor.
        return Some(unsafe { crate::sys::load16(ptr) });
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        None
    }

    /// The 16 bytes at `offset` as two 8-byte atomic loads: a hint, which another process's
    /// store can tear (see `sys::peek16`); `None` if out of range or not 8-byte aligned.
    pub(crate) fn peek16(&self, offset: usize) -> Option<[u8; 16]> {
        let ptr = self.word_ptr(offset, 16, 8)?;
        // SAFETY: `word_ptr` checked 8-byte alignment and that 16 bytes are inside the live
        // mapping.
        Some(unsafe { crate::sys::peek16(ptr) })
    }

    /// Holds the commit lock (a byte lock past the data: `exclusive` for a writer publishing,
    /// shared for a reader reading the count) until the guard drops; waits for it.
    pub(crate) fn commit_lock(&self, exclusive: bool) -> Result<lock::CommitGuard<'_>> {
        let file = self.file.as_ref().ok_or(Error::ReadOnly {
            access: self.access,
            op: "lock the commit of",
        })?;
        lock::CommitGuard::take(file, exclusive).map_err(|e| self.err("lock the commit of", e))
    }

    /// Says, for the life of the map, that its appender publishes with the locked protocol.
    pub(crate) fn advertise_locked_protocol(&self) -> Result<()> {
        match &self.file {
            Some(f) => lock::advertise_locked(f).map_err(|e| self.err("lock", e)),
            None => Ok(()),
        }
    }

    /// Whether the appender holding the file publishes with the locked protocol.
    pub(crate) fn locked_protocol_advertised(&self) -> Result<bool> {
        match &self.file {
            Some(f) => lock::locked_advertised(f).map_err(|e| self.err("query the locks of", e)),
            None => Ok(false),
        }
    }

    /// Writes the 16 bytes at `offset` in one indivisible store, after every store made before
    /// it. Returns `false` (and writes nothing) if that cannot be done: out of range,
    /// misaligned, not writable, or no such store on this processor.
    pub(crate) fn store16(&mut self, offset: usize, bytes: [u8; 16]) -> bool {
        if self.access != Access::Write || !crate::sys::has_atomic16() {
            return false;
        }
        let Some(ptr) = self.word_ptr(offset, 16, 16) else {
            return false;
        };
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        // SAFETY: `word_ptr` checked alignment and range; the map is writable (`Write`
        // access, so a `MmapMut` whose pages are writable); `&mut self` means no reference
        // into the map is alive; `has_atomic16` checked the processor.
        unsafe {
            crate::sys::store16(ptr.cast_mut(), bytes)
        };
        cfg!(any(target_arch = "x86_64", target_arch = "aarch64"))
    }

    /// Sleeps while the 4 bytes at `offset` equal `expected`, up to `timeout`, or until
    /// another process calls [`Map::wake`] on the same file offset.
    pub(crate) fn wait_while(&self, offset: usize, expected: [u8; 4], timeout: Duration) {
        if let (Some(ptr), Some(_)) = (self.word_ptr(offset, 4, 4), &self.file) {
            // SAFETY: an aligned word inside this live, shared, file-backed mapping.
            unsafe { crate::sys::futex_wait(ptr, expected, timeout) }
        }
    }

    /// Wakes every process sleeping in [`Map::wait_while`] on the word at `offset`.
    pub(crate) fn wake(&self, offset: usize) {
        if let (Some(ptr), Some(_)) = (self.word_ptr(offset, 4, 4), &self.file) {
            // SAFETY: an aligned word inside this live, shared, file-backed mapping.
            unsafe { crate::sys::futex_wake(ptr) }
        }
    }

    /// The current size of the file behind the map (Python's `size()`); for an anonymous or
    /// named map, its length.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file's metadata cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("f.bin");
    /// # std::fs::write(&path, b"0123456789")?;
    /// let m = recmap::MapOptions::new().offset(4).open(&path)?;
    /// assert_eq!((m.len(), m.file_size()?), (6, 10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file_size(&self) -> Result<u64> {
        match (&self.file, self.memory) {
            (Some(f), false) => f
                .metadata()
                .map(|m| m.len())
                .map_err(|e| self.err("read the size of", e)),
            // Anonymous and named maps have no file: their length, as in Python.
            _ => Ok(self.len() as u64),
        }
    }

    /// Flushes and unmaps, reporting any flush error (dropping a `Map` flushes too, but cannot
    /// report). The lock is released.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the final flush fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = recmap::Map::anon(4)?;
    /// m.close()?;
    /// // m can no longer be used: the compiler sees to that.
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn close(mut self) -> Result<()> {
        // One msync: this one, which reports its error; the drop that follows does none.
        self.flush_on_drop = false;
        self.flush()
    }

    /// The open file behind the map (`None` for anonymous maps).
    pub(crate) fn file(&self) -> Option<&File> {
        self.file.as_deref()
    }

    /// Makes the directory entry of a file this map created durable (once; later calls do
    /// nothing): after it, a machine crash cannot lose the file's name.
    pub(crate) fn sync_name(&self) -> Result<()> {
        let mut unsynced = self.unsynced_name.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = unsynced.as_deref() {
            crate::sys::sync_dir(dir).map_err(|e| Error::io(Some(dir), "sync the directory", e))?;
            *unsynced = None;
        }
        Ok(())
    }

    /// Whether another open file holds this file as an appender right now.
    pub(crate) fn appender_present(&self) -> Result<bool> {
        match &self.file {
            Some(f) => lock::appender_present(f).map_err(|e| self.err("query the locks of", e)),
            None => Ok(false),
        }
    }

    /// Stops `Drop` from msyncing: the owner commits explicitly.
    pub(crate) fn skip_flush_on_drop(&mut self) {
        self.flush_on_drop = false;
    }

    /// Records that the file now lives at `path` (after a rename).
    pub(crate) fn set_path(&mut self, path: PathBuf) {
        self.path = Some(path);
    }

    fn err(&self, op: &'static str, source: std::io::Error) -> Error {
        Error::io(self.label(), op, source)
    }

    /// What errors name: the file's path, or a named map's name.
    fn label(&self) -> Option<&Path> {
        self.path.as_deref().or(self.name.as_deref().map(Path::new))
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // Pages of a shared mapping reach the page cache anyway; this makes them durable.
        // `close()` is the way to see an error.
        if self.flush_on_drop {
            let _ = self.flush();
        }
    }
}

impl Deref for Map {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.region.bytes()
    }
}

impl AsRef<[u8]> for Map {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("access", &self.access)
            .field("offset", &self.offset)
            .field("len", &self.len())
            .field("pos", &self.pos)
            .finish()
    }
}

fn anon_region(len: usize) -> Result<MmapMut> {
    memmap2::MmapOptions::new()
        .len(len)
        .map_anon()
        .map_err(|e| Error::io(None, "map anonymous memory for", e))
}

/// `offset..offset + len`, if it lies within `0..map_len`.
pub(crate) fn checked_range(
    offset: usize,
    len: usize,
    map_len: usize,
) -> Result<std::ops::Range<usize>> {
    match offset.checked_add(len) {
        Some(end) if end <= map_len => Ok(offset..end),
        _ => Err(Error::OutOfBounds {
            offset,
            len,
            map_len,
        }),
    }
}

/// A range clamped to `0..=len` as Python's `find` clamps `start`/`end`; `None` when empty
/// and reversed.
fn clamp_range(range: impl RangeBounds<usize>, len: usize) -> Option<(usize, usize)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    let (start, end) = (start.min(len), end.min(len));
    (start <= end).then_some((start, end))
}

/// The file offset just past `len` bytes at `offset`.
fn end_of(offset: u64, len: usize) -> Result<u64> {
    u64::try_from(len)
        .ok()
        .and_then(|l| offset.checked_add(l))
        .ok_or(Error::TooLarge {
            offset,
            len: len as u64,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_range_follows_python() {
        assert_eq!(clamp_range(.., 10), Some((0, 10)));
        assert_eq!(clamp_range(3..100, 10), Some((3, 10)));
        assert_eq!(clamp_range(20.., 10), Some((10, 10)));
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 5..3;
        assert_eq!(clamp_range(reversed, 10), None);
        assert_eq!(clamp_range(2..=4, 10), Some((2, 5)));
        assert_eq!(clamp_range(..=usize::MAX, 10), Some((0, 10)));
    }

    #[test]
    fn checked_range_rejects_overflow() {
        assert_eq!(checked_range(2, 3, 5).ok(), Some(2..5));
        assert!(matches!(
            checked_range(usize::MAX, 2, 5),
            Err(Error::OutOfBounds {
                offset: usize::MAX,
                len: 2,
                map_len: 5
            })
        ));
    }

    #[test]
    fn find_empty_needle_is_found_at_range_start() {
        let m = Map::anon(4).unwrap();
        assert_eq!(m.find(b"", 2..), Some(2));
        assert_eq!(m.rfind(b"", ..3), Some(3));
        assert_eq!(m.find(b"", 9..), Some(4));
    }
}
