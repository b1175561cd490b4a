//! Linux: `fallocate`, open-file-description byte locks, futexes, `memfd_create`, `mremap`,
//! and files made under no name (`O_TMPFILE`) and linked into place. The one file that names
//! Linux. Under `RECMAP_SYS=portable` each of these steps aside for the path macOS takes.

use super::{portable, posix_locks, unix};

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Extends `file` from `from` to `to` bytes with space the file system has really set aside
/// (`fallocate`), so that stores through a mapping of that range can never hit a full disk
/// (`SIGBUS`). Falls back to [`write_zeros`](super::write_zeros) where `fallocate` is not supported.
///
/// On error the file may have grown part of the way; the caller decides whether to cut it
/// back.
pub(crate) fn allocate(file: &std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
    if to <= from {
        return Ok(());
    }
    if portable() {
        return unix::write_zeros(file, from, to);
    }
    if fallocate(file, 0, from, to)? {
        Ok(())
    } else {
        super::write_zeros(file, from, to)
    }
}

/// `fallocate(mode)` over `from..to` of `file`, retried on `EINTR`; `Ok(false)` where the file
/// system (or a sandbox: `ENOSYS`) does not support it, for the caller's fallback.
fn fallocate(file: &std::fs::File, mode: libc::c_int, from: u64, to: u64) -> std::io::Result<bool> {
    let (Ok(offset), Ok(len)) = (
        libc::off_t::try_from(from),
        libc::off_t::try_from(to - from),
    ) else {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    };
    loop {
        // SAFETY: `fallocate` only reads its integer arguments; the descriptor belongs to
        // `file`, which outlives the call.
        if unsafe { libc::fallocate(file.as_raw_fd(), mode, offset, len) } == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => return Ok(false),
            _ => return Err(err),
        }
    }
}

/// Takes (or, with `exclusive: None`, releases) an open-file-description lock on the one
/// byte at `byte` (Linux `F_OFD_SETLK`): locks that belong to the open file, conflict
/// between two opens even inside one process, and vanish when the file is closed or its
/// process dies. Returns `Ok(false)` if the lock is held elsewhere and `wait` is off.
pub(crate) fn byte_lock(
    file: &std::fs::File,
    byte: i64,
    exclusive: Option<bool>,
    wait: bool,
) -> std::io::Result<bool> {
    if portable() {
        return posix_locks::byte_lock(file, byte, exclusive, wait);
    }
    ofd_lock(file, byte, exclusive, wait)
}

/// One `F_OFD_SETLK` (or, with `wait`, `F_OFD_SETLKW`) call, retried on `EINTR`.
fn ofd_lock(
    file: &std::fs::File,
    byte: i64,
    exclusive: Option<bool>,
    wait: bool,
) -> std::io::Result<bool> {
    let cmd = if wait {
        libc::F_OFD_SETLKW
    } else {
        libc::F_OFD_SETLK
    };
    let mut lock = posix_locks::flock(byte, exclusive);
    loop {
        // SAFETY: `lock` is a valid, initialised `flock` that lives across the call (OFD
        // commands require `l_pid == 0`, which zeroing gave); the descriptor belongs to `file`.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), cmd, &mut lock as *mut libc::flock) };
        if rc == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) | Some(libc::EACCES) => return Ok(false),
            _ => return Err(err),
        }
    }
}

/// The lock another open file holds on the one byte at `byte`, if any (`F_OFD_GETLK`):
/// `Some(true)` for an exclusive one, `Some(false)` for a shared one. Locks of `file` itself
/// never count.
pub(crate) fn byte_lock_held(file: &std::fs::File, byte: i64) -> std::io::Result<Option<bool>> {
    if portable() {
        return posix_locks::byte_lock_held(file, byte);
    }
    // Asking about an exclusive lock finds any lock in its way, shared or exclusive.
    let mut lock = posix_locks::flock(byte, Some(true));
    // SAFETY: as in `byte_lock`; `F_OFD_GETLK` only writes into `lock`.
    let rc = unsafe {
        libc::fcntl(
            file.as_raw_fd(),
            libc::F_OFD_GETLK,
            &mut lock as *mut libc::flock,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(match i32::from(lock.l_type) {
        libc::F_WRLCK => Some(true),
        libc::F_RDLCK => Some(false),
        _ => None,
    })
}

/// Sleeps while the 4 bytes at `ptr` still equal `expected`, at most `timeout`, or until a
/// [`futex_wake`] on the same file page and offset (a shared futex: it works between
/// processes that map the same file).
///
/// # Safety
///
/// `ptr` is 4-byte aligned and points at 4 readable bytes of a live shared file mapping.
pub(crate) unsafe fn futex_wait(ptr: *const u8, expected: [u8; 4], timeout: std::time::Duration) {
    if portable() {
        return unix::poll_wait(timeout);
    }
    // SAFETY: `timespec` is plain integers, for which all-zero is valid (musl marks the
    // `time_t` alias deprecated, so the fields are set without naming it).
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    ts.tv_sec = timeout.as_secs().min(i32::MAX as u64) as _;
    ts.tv_nsec = timeout.subsec_nanos() as _;
    // SAFETY: the caller promises `ptr` is an aligned, readable word of a shared mapping;
    // the kernel only reads it and `ts`, which lives across the call. Every outcome (woken,
    // value changed, timed out, interrupted) is handled the same way by the caller: it
    // re-reads the value.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            ptr,
            libc::FUTEX_WAIT,
            u32::from_ne_bytes(expected),
            &ts as *const libc::timespec,
        );
    }
}

/// Wakes every process sleeping in [`futex_wait`] on the word at `ptr`.
///
/// # Safety
///
/// `ptr` is 4-byte aligned and points into a live shared file mapping.
pub(crate) unsafe fn futex_wake(ptr: *const u8) {
    if portable() {
        return;
    }
    // SAFETY: the caller promises `ptr` is an aligned word of a live shared mapping; a wake
    // does not touch the memory, it only names the (file, offset) key.
    unsafe {
        libc::syscall(libc::SYS_futex, ptr, libc::FUTEX_WAKE, i32::MAX);
    }
}

/// A new anonymous in-memory file of `len` zero bytes (`memfd_create`): the backing of shared
/// anonymous maps, which `ftruncate` can grow.
pub(crate) fn memfd(len: u64) -> std::io::Result<std::fs::File> {
    use std::os::fd::FromRawFd;
    if portable() {
        return unix::anon_file(len);
    }
    // SAFETY: the name is a valid NUL-terminated C string; the call only reads it.
    let fd = unsafe { libc::memfd_create(c"recmap-anon".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new, valid descriptor that nothing else owns.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.set_len(len)?;
    Ok(file)
}

/// Gives back `from..to` of `file` (`fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)`):
/// the bytes read as zeros, the length stays. `Ok(false)` where the file system cannot.
pub(crate) fn punch_hole(file: &std::fs::File, from: u64, to: u64) -> std::io::Result<bool> {
    fallocate(
        file,
        libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
        from,
        to,
    )
}

/// Whether a mapping can grow in place or move with its pages (`mremap`); where not, growth
/// maps the file anew.
pub(crate) fn can_remap() -> bool {
    !portable()
}

/// Names an `O_TMPFILE` file (`unnamed_file`) `target`; `EEXIST` if `target` exists.
pub(crate) fn link_unnamed(file: &File, target: &CStr) -> io::Result<()> {
    let proc_path = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: both paths are valid NUL-terminated C strings that outlive the call;
    // `linkat` through /proc with AT_SYMLINK_FOLLOW is how open(2) documents naming an
    // O_TMPFILE file. It fails with EEXIST if `target` exists.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            proc_path.as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A file with no name in `dir` (`O_TMPFILE`), or `None` where the file system or kernel
/// cannot make one (or /proc, through which it is named without privileges, is missing).
pub(crate) fn unnamed_file(dir: &Path) -> io::Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    if !Path::new("/proc/self/fd").is_dir() {
        return Ok(None);
    }
    let unnamed = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o666)
        .custom_flags(libc::O_TMPFILE)
        .open(dir);
    match unnamed {
        Ok(file) => Ok(Some(file)),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP) | Some(libc::EISDIR) | Some(libc::EINVAL)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Renames `from` to `to` only if `to` does not exist (`renameat2(RENAME_NOREPLACE)`):
/// `Ok(false)` where the file system cannot (the caller falls back to `link`).
pub(crate) fn rename_noreplace(from: &CStr, to: &CStr) -> io::Result<bool> {
    // The system call itself: musl's libc has no `renameat2` wrapper (a static musl build
    // would not link).
    // SAFETY: both paths are valid NUL-terminated C strings that outlive the call; the other
    // arguments are integers, as renameat2(2) takes them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) => Ok(false),
        _ => Err(err),
    }
}
