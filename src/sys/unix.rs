//! What every Unix shares: the page size, zeros by `pwrite`, fork detection, open files
//! whose closing keeps byte locks, new files linked into place (by the OS's own means where
//! it has them), directory sync, and the portable paths: sleep-poll wakeups and anonymous
//! maps backed by an unlinked temporary file.

#[cfg(target_os = "linux")]
use super::os;
use super::{portable, posix_locks};

/// An open file of recmap's. Closing it goes through [`posix_locks::close`] where byte locks
/// are POSIX record locks (which closing *any* descriptor of a file would drop); elsewhere it
/// is an ordinary `File`.
#[derive(Debug)]
pub(crate) struct OpenFile(Option<std::fs::File>);

impl From<std::fs::File> for OpenFile {
    fn from(file: std::fs::File) -> OpenFile {
        OpenFile(Some(file))
    }
}

impl std::ops::Deref for OpenFile {
    type Target = std::fs::File;
    fn deref(&self) -> &std::fs::File {
        // INVARIANT: `Some` until `drop`.
        self.0
            .as_ref()
            .expect("an OpenFile holds its file until dropped")
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if let Some(file) = self.0.take()
            && portable()
        {
            posix_locks::close(file);
        }
    }
}

/// Opens the existing file at `path` for reading (and writing if `write`) — where byte locks
/// are POSIX record locks, taking back a descriptor of the same file that recmap parked.
pub(crate) fn open(path: &std::path::Path, write: bool) -> std::io::Result<OpenFile> {
    if portable() {
        return posix_locks::open(path, write).map(OpenFile::from);
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
        .map(OpenFile::from)
}

/// Writes all of `buf` at byte `offset` of `file` (`pwrite`), leaving the file cursor alone.
pub(crate) fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

/// The identity of an open file: its device and inode.
pub(crate) fn file_id(file: &std::fs::File) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata()?;
    Ok((meta.dev(), meta.ino()))
}

/// The identity of the file `path` names now (symbolic links followed).
pub(crate) fn path_id(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// How many names (hard links) the open file has.
pub(crate) fn link_count(file: &std::fs::File) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(file.metadata()?.nlink())
}

/// Sleeps for `timeout`, or 1 ms if that is shorter: a wakeup by polling, where there are no
/// futexes shared between processes. The caller re-reads the value it waits on after every
/// return, so a change is seen within 1 ms.
pub(crate) fn poll_wait(timeout: std::time::Duration) {
    std::thread::sleep(timeout.min(std::time::Duration::from_millis(1)));
}

/// A new file of `len` zero bytes that no other program can open: made under a unique name
/// in the temporary directory (mode 0600) and unlinked at once — the backing of shared
/// anonymous maps where there is no `memfd_create`.
pub(crate) fn anon_file(len: u64) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC);
    let (file, name) = super::create_unique(&std::env::temp_dir(), ".recmap-anon-", &options)?;
    std::fs::remove_file(&name)?;
    file.set_len(len)?;
    Ok(file)
}

/// `/tag` as a C string: POSIX shared-memory names are one component after a slash.
fn shm_name(tag: &str) -> std::io::Result<std::ffi::CString> {
    if tag.is_empty() || tag.contains('/') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a shared-memory name is not empty and has no '/'",
        ));
    }
    std::ffi::CString::new(format!("/{tag}")).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a shared-memory name has no NUL byte",
        )
    })
}

/// The POSIX shared-memory object `tag` (`shm_open("/tag", O_RDWR | O_CREAT)`, mode 0600),
/// extended with zeros to at least `len` bytes: the backing of named maps (Python's
/// `tagname`, on Unix). It stays until [`shm_unlink`].
pub(crate) fn shm_open(tag: &str, len: u64) -> std::io::Result<std::fs::File> {
    use std::os::fd::FromRawFd;
    let name = shm_name(tag)?;
    // SAFETY: `name` is a valid NUL-terminated C string; the call only reads it. The mode is
    // passed as `c_uint`, which both the fixed (Linux) and variadic (macOS) forms accept.
    let fd = unsafe {
        libc::shm_open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_CREAT,
            0o600 as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new, valid descriptor that nothing else owns.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    // Not inherited by programs this one starts (glibc sets it already; macOS does not).
    // SAFETY: `fd` is open (owned by `file`); F_SETFD only sets its descriptor flags.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    shm_grow(&file, len)?;
    Ok(file)
}

/// Extends the shared memory `file` with zeros to at least `len` bytes, never shrinking it,
/// under an exclusive `flock`: two processes growing it at once to different lengths must not
/// see the shorter one land after the longer one (that would cut the memory under the first
/// one's map). On Linux the new bytes are real memory (`fallocate`), so a full `/dev/shm` is
/// `ENOSPC` here, with the size unchanged, never a `SIGBUS` at a later store. macOS refuses
/// to change a set size at all (and may refuse `flock` on shared memory): there the size is
/// set once, sparse.
pub(crate) fn shm_grow(file: &std::fs::File, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    let locked = loop {
        // SAFETY: `fd` is open (owned by `file`); `flock` only locks it.
        if unsafe { libc::flock(fd, libc::LOCK_EX) } == 0 {
            break true;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            break false;
        }
    };
    let grown = match file.metadata() {
        Ok(meta) if meta.len() < len => {
            #[cfg(target_os = "linux")]
            let grown = room_for(file, len - meta.len())
                .and_then(|()| os::allocate(file, meta.len(), len))
                .inspect_err(|_| {
                    // Only a part that nobody can have mapped yet (the lock is held) goes.
                    let _ = file.set_len(meta.len());
                });
            #[cfg(not(target_os = "linux"))]
            let grown = file.set_len(len);
            grown
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    };
    if locked {
        // SAFETY: as above.
        unsafe { libc::flock(fd, libc::LOCK_UN) };
    }
    grown
}

/// `ENOSPC` at once if the file system holding `file` reports less free space than `bytes`:
/// `/dev/shm` is memory, and `fallocate` of more than it has would take all of it, page by
/// page, before refusing (the other processes of the machine feel that first). A file system
/// that reports no size says nothing, and `fallocate` decides.
#[cfg(target_os = "linux")]
fn room_for(file: &std::fs::File, bytes: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `statvfs` is plain C data for which all-zero is valid; `fstatvfs` only fills it
    // in, through a descriptor that `file` keeps open.
    let st = unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::fstatvfs(file.as_raw_fd(), &mut st) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        st
    };
    let free = st.f_bavail.saturating_mul(st.f_frsize);
    if st.f_blocks != 0 && bytes > free {
        return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
    }
    Ok(())
}

/// Makes the bytes `from..to` of `file` read as zeros without changing its length, giving
/// their memory or blocks back where the file system can (`FALLOC_FL_PUNCH_HOLE` on Linux),
/// writing zeros where not. Other mappings of those bytes see zeros too, and never `SIGBUS`.
pub(crate) fn discard(file: &std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
    if from >= to {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    if os::punch_hole(file, from, to)? {
        return Ok(());
    }
    write_zeros(file, from, to)
}

/// Removes the shared-memory name `tag`; `false` if there was none. Maps of it stay valid.
pub(crate) fn shm_unlink(tag: &str) -> std::io::Result<bool> {
    let name = shm_name(tag)?;
    // SAFETY: `name` is a valid NUL-terminated C string; the call only reads it.
    if unsafe { libc::shm_unlink(name.as_ptr()) } == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(false)
    } else {
        Err(e)
    }
}

/// The size of a virtual-memory page in bytes (Python's `mmap.PAGESIZE`).
///
/// # Examples
///
/// ```
/// let p = recmap::page_size();
/// assert!(p.is_power_of_two());
/// ```
pub fn page_size() -> usize {
    // SAFETY: `sysconf` only reads a system constant; `_SC_PAGESIZE` is a valid name.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// The granularity of mapping offsets in bytes (Python's `mmap.ALLOCATIONGRANULARITY`): the
/// page size on Linux and macOS (Windows' 64 KiB granularity is issue 19).
///
/// recmap accepts any offset ([`MapOptions::offset`](crate::MapOptions::offset)); this is
/// here for callers who want to lay out files on mapping boundaries.
///
/// # Examples
///
/// ```
/// assert_eq!(recmap::allocation_granularity() % recmap::page_size(), 0);
/// ```
pub fn allocation_granularity() -> usize {
    page_size()
}

/// Extends `file` from `from` to `to` bytes by writing zeros (`pwrite`). The pages land in
/// the page cache as ordinary written data: a full disk is an `ENOSPC` here, and storing
/// into them later through a map needs no zero-fill fault (measured faster than mapping a
/// sparse tail, see the append figures in the README).
pub(crate) fn write_zeros(file: &std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    static ZEROS: [u8; 1 << 18] = [0; 1 << 18];
    let mut at = from;
    while at < to {
        let n = usize::try_from(to - at).map_or(ZEROS.len(), |n| n.min(ZEROS.len()));
        file.write_all_at(&ZEROS[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

static FORKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

extern "C" fn count_fork_in_child() {
    // Async-signal-safe: one atomic add, no allocation, no lock.
    FORKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// How many times this process's ancestry has forked since recmap first asked: a value that
/// differs in a child created by `fork()` from the one its parent saw before the fork (a
/// `pthread_atfork` child handler, registered once, counts). A table remembers it at open
/// and refuses to write when it changes. Costs one relaxed atomic load.
pub(crate) fn fork_generation() -> u64 {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a handler that only performs an atomic add, which is safe to run
        // in the child of a fork; the function pointer is `'static`.
        unsafe {
            libc::pthread_atfork(None, None, Some(count_fork_in_child));
        }
    });
    FORKS.load(std::sync::atomic::Ordering::Relaxed)
}

/// A new file that has no name yet (`O_TMPFILE`) in `dir`, or — where the file system cannot
/// make one — a new file under a hidden temporary name, removed again if it is dropped before
/// [`NewFile::link`] gives it its real name. Either way no other process can open it by the
/// final name until it is complete.
pub(crate) struct NewFile {
    pub(crate) file: OpenFile,
    /// The hidden name of a file that `O_TMPFILE` could not make; `None` once linked.
    temp_name: Option<std::path::PathBuf>,
}

impl NewFile {
    /// Makes the file in `dir`, readable and writable by this process, with the permissions
    /// a new file gets from `open` (0666 less the umask).
    pub(crate) fn in_dir(dir: &std::path::Path) -> std::io::Result<NewFile> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        #[cfg(target_os = "linux")]
        if !portable()
            && let Some(file) = os::unnamed_file(dir)?
        {
            return Ok(NewFile {
                file: file.into(),
                temp_name: None,
            });
        }
        sweep_stale_new_files(dir, ".recmap-new-");
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true).mode(0o666);
        let (file, name) = super::create_unique(dir, ".recmap-new-", &options)?;
        Ok(NewFile {
            file: file.into(),
            temp_name: Some(name),
        })
    }

    /// Gives the file the name `path`: atomically, and only if `path` does not exist
    /// (`AlreadyExists` otherwise) — or, with `replace`, over whatever `path` names.
    pub(crate) fn link(&mut self, path: &std::path::Path, replace: bool) -> std::io::Result<()> {
        #[cfg(target_os = "linux")]
        use std::os::unix::ffi::OsStrExt;
        #[cfg(target_os = "linux")]
        let c = |p: &std::path::Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
        };
        #[cfg(target_os = "linux")]
        let target = c(path)?;
        match self.temp_name.take() {
            #[cfg(target_os = "linux")]
            None if replace => {
                // An unnamed file can only be linked to a free name: link it to a hidden one,
                // then rename that over the target. (A kill between the two leaves the hidden
                // name; the next replacement of this name sweeps it away.)
                if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
                    let dir = if dir.as_os_str().is_empty() {
                        std::path::Path::new(".")
                    } else {
                        dir
                    };
                    let prefix = format!(".{}.recmap-new-", name.to_string_lossy());
                    sweep_stale_new_files(dir, &prefix);
                }
                let mut hidden = NewFile::hidden_name_beside(path);
                while hidden.exists() {
                    hidden = NewFile::hidden_name_beside(path);
                }
                os::link_unnamed(&self.file, &c(&hidden)?)?;
                self.temp_name = Some(hidden.clone());
                std::fs::rename(&hidden, path)?;
                self.temp_name = None;
                Ok(())
            }
            #[cfg(target_os = "linux")]
            None => os::link_unnamed(&self.file, &target),
            // Only an unnamed (`O_TMPFILE`) file has no temporary name before it is linked.
            #[cfg(not(target_os = "linux"))]
            None => Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists)),
            Some(temp) if replace => match std::fs::rename(&temp, path) {
                Ok(()) => Ok(()),
                Err(e) => {
                    self.temp_name = Some(temp);
                    Err(e)
                }
            },
            Some(temp) => {
                // Elsewhere `link` (which Linux runs too, under `RECMAP_SYS=portable`) refuses
                // an existing name just as well (macOS's `renamex_np` would do, untested).
                #[cfg(target_os = "linux")]
                let renamed = if portable() {
                    Ok(false)
                } else {
                    os::rename_noreplace(&c(&temp)?, &target)
                };
                #[cfg(not(target_os = "linux"))]
                let renamed = Ok::<bool, std::io::Error>(false);
                let res = match renamed {
                    Ok(true) => Ok(()),
                    // No atomic no-replace rename here: `link` refuses an existing name just
                    // as well.
                    Ok(false) => std::fs::hard_link(&temp, path),
                    Err(e) => Err(e),
                };
                let _ = std::fs::remove_file(&temp);
                res
            }
        }
    }

    #[cfg(target_os = "linux")]
    fn hidden_name_beside(path: &std::path::Path) -> std::path::PathBuf {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        path.with_file_name(format!(".{name}.recmap-new-{}-{n}", std::process::id()))
    }
}

/// Removes hidden files `prefix{pid}-…` in `dir` that a killed process left: its process no
/// longer exists and the file is over a minute old (a live creator in another PID namespace,
/// whose process we cannot see, finishes long before that).
fn sweep_stale_new_files(dir: &std::path::Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let Some(pid) = rest
            .split('-')
            .next()
            .and_then(|p| p.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if pid <= 0 || pid as u32 == std::process::id() {
            continue;
        }
        // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| {
            t.elapsed()
                .is_ok_and(|age| age > std::time::Duration::from_secs(60))
        });
        if gone && old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        // Never linked: take the hidden name away again (an unnamed file simply vanishes).
        if let Some(name) = self.temp_name.take() {
            let _ = std::fs::remove_file(name);
        }
    }
}

/// Makes the directory entries of `dir` durable (`fsync` of the directory), so that a name
/// just linked or renamed there survives a machine crash.
pub(crate) fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    std::fs::File::open(dir)?.sync_all()
}
