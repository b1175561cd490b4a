//! The operating system below memmap2: page size, space allocation, byte-range locks,
//! indivisible 16-byte loads and stores, futexes, files made without a name and linked into
//! place, and fork detection — every raw system call of the crate.

use std::os::fd::AsRawFd;

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
/// page size (recmap supports Linux only; see the README).
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

/// Extends `file` from `from` to `to` bytes with space the file system has really set aside
/// (`fallocate`), so that stores through a mapping of that range can never hit a full disk
/// (`SIGBUS`). Falls back to [`write_zeros`] where `fallocate` is not supported.
///
/// On error the file may have grown part of the way; the caller decides whether to cut it
/// back.
pub(crate) fn allocate(file: &std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
    if to <= from {
        return Ok(());
    }
    let (Ok(offset), Ok(len)) = (i64::try_from(from), i64::try_from(to - from)) else {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    };
    loop {
        // SAFETY: `fallocate` only reads its integer arguments; the descriptor belongs to
        // `file`, which outlives the call.
        let rc = unsafe { libc::fallocate(file.as_raw_fd(), 0, offset, len) };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EOPNOTSUPP) => return write_zeros(file, from, to),
            _ => return Err(err),
        }
    }
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
    let cmd = if wait {
        libc::F_OFD_SETLKW
    } else {
        libc::F_OFD_SETLK
    };
    let mut lock = byte_flock(byte, exclusive);
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
    // Asking about an exclusive lock finds any lock in its way, shared or exclusive.
    let mut lock = byte_flock(byte, Some(true));
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

/// A `flock` record for one byte: write (`Some(true)`), read (`Some(false)`) or unlock.
fn byte_flock(byte: i64, exclusive: Option<bool>) -> libc::flock {
    let kind = match exclusive {
        Some(true) => libc::F_WRLCK,
        Some(false) => libc::F_RDLCK,
        None => libc::F_UNLCK,
    };
    // SAFETY: `flock` is a plain C struct of integers, for which all-zero is a valid value.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = byte as libc::off_t;
    lock.l_len = 1;
    lock
}

/// Loads 16 bytes at `ptr` as one indivisible read: another process storing 16 bytes there
/// with [`store16`] is seen either wholly before or wholly after its store, never half.
///
/// x86-64 processors with AVX guarantee that aligned 16-byte `MOVDQA` loads and stores are
/// atomic (Intel SDM vol. 3A §9.1.1, AMD APM vol. 2 §7.3.2); [`has_atomic16`] checks for AVX.
///
/// The load is **one `movdqa` instruction by construction**: it is written in inline
/// assembly, which the compiler may neither split, repeat, nor merge with another load (the
/// block is not `pure`), so the caller's copy of the 16 bytes — the futex word included — is
/// the one the instruction read. `tests/instructions.rs` disassembles this function in the
/// test binary (`objdump -d -C`) and checks for exactly one 16-byte load; by hand:
/// `objdump -d -C target/debug/deps/instructions-* | grep -A8 'recmap::sys::load16>:'`.
///
/// # Safety
///
/// `ptr` is 16-byte aligned and points at 16 readable bytes of a live mapping, and
/// [`has_atomic16`] returned `true`.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub(crate) unsafe fn load16(ptr: *const u8) -> [u8; 16] {
    use std::arch::x86_64::__m128i;
    let v: __m128i;
    // SAFETY: the caller promises alignment (which `movdqa` needs, or it faults) and 16
    // readable bytes; the instruction writes only the output register. `readonly`: it stores
    // to no memory; not `pure`, so it is executed exactly once, where it is written.
    unsafe {
        std::arch::asm!(
            "movdqa {v}, xmmword ptr [{p}]",
            p = in(reg) ptr,
            v = out(xmm_reg) v,
            options(nostack, preserves_flags, readonly),
        );
    }
    std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    // SAFETY: `__m128i` and `[u8; 16]` are both 16 plain bytes with no invalid values.
    unsafe { std::mem::transmute::<__m128i, [u8; 16]>(v) }
}

/// Stores 16 bytes at `ptr` as one indivisible write (one `movdqa` instruction, in inline
/// assembly as [`load16`] is), after every store this thread made before it (release order).
///
/// # Safety
///
/// `ptr` is 16-byte aligned and points at 16 writable bytes of a live mapping that no
/// reference in this process covers, and [`has_atomic16`] returned `true`.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub(crate) unsafe fn store16(ptr: *mut u8, bytes: [u8; 16]) {
    use std::arch::x86_64::__m128i;
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    // SAFETY: `[u8; 16]` and `__m128i` are both 16 plain bytes with no invalid values.
    let v = unsafe { std::mem::transmute::<[u8; 16], __m128i>(bytes) };
    // SAFETY: the caller promises alignment, 16 writable bytes and no aliasing reference. The
    // block may write memory (no `nomem`/`readonly`), so the compiler keeps every earlier
    // store before it, as the release fence asks.
    unsafe {
        std::arch::asm!(
            "movdqa xmmword ptr [{p}], {v}",
            p = in(reg) ptr,
            v = in(xmm_reg) v,
            options(nostack, preserves_flags),
        );
    }
}

/// Loads 16 bytes at `ptr` as one indivisible read (aarch64): one `LDP` of two 64-bit
/// registers, which processors with FEAT_LSE2 (ARMv8.4: Apple M-series, Graviton3/4, Neoverse
/// V1/N2) perform as one single-copy-atomic access when the address is 16-byte aligned (Arm ARM
/// B2.2.1.1); [`has_atomic16`] checks for LSE2. In inline assembly, so it is one instruction
/// by construction, as on x86-64.
///
/// # Safety
///
/// As the x86-64 `load16`.
#[cfg(target_arch = "aarch64")]
#[inline(never)]
pub(crate) unsafe fn load16(ptr: *const u8) -> [u8; 16] {
    let (lo, hi): (u64, u64);
    // SAFETY: the caller promises alignment and 16 readable bytes; `ldp` writes only the two
    // output registers. Not `pure`: executed exactly once, where it is written.
    unsafe {
        std::arch::asm!(
            "ldp {lo}, {hi}, [{p}]",
            p = in(reg) ptr,
            lo = out(reg) lo,
            hi = out(reg) hi,
            options(nostack, preserves_flags, readonly),
        );
    }
    std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&lo.to_le_bytes());
    bytes[8..].copy_from_slice(&hi.to_le_bytes());
    bytes
}

/// Stores 16 bytes at `ptr` as one indivisible write (aarch64 with LSE2: one `STP`), after
/// every store this thread made before it (release order); see the aarch64 [`load16`].
///
/// # Safety
///
/// As the x86-64 `store16`.
#[cfg(target_arch = "aarch64")]
#[inline(never)]
pub(crate) unsafe fn store16(ptr: *mut u8, bytes: [u8; 16]) {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&bytes[..8]);
    hi.copy_from_slice(&bytes[8..]);
    let (lo, hi) = (u64::from_le_bytes(lo), u64::from_le_bytes(hi));
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    // SAFETY: the caller promises alignment, 16 writable bytes and no aliasing reference; the
    // block may write memory, so the compiler keeps earlier stores before it.
    unsafe {
        std::arch::asm!(
            "stp {lo}, {hi}, [{p}]",
            p = in(reg) ptr,
            lo = in(reg) lo,
            hi = in(reg) hi,
            options(nostack, preserves_flags),
        );
    }
}

/// The 16 bytes at `ptr` read as two 8-byte atomic loads: **not** indivisible as a whole, so
/// only a hint that the block may have changed (the locked commit protocol then reads it
/// under its lock). Works on every processor.
///
/// # Safety
///
/// `ptr` is 8-byte aligned and points at 16 readable bytes of a live mapping.
pub(crate) unsafe fn peek16(ptr: *const u8) -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    // SAFETY: the caller promises 8-byte alignment and 16 readable bytes; the bytes are only
    // ever accessed through atomics or system calls in this process (other processes are
    // outside the memory model), so atomic loads of them are sound.
    let (lo, hi) = unsafe {
        (
            AtomicU64::from_ptr(ptr.cast_mut().cast::<u64>()).load(Ordering::Acquire),
            AtomicU64::from_ptr(ptr.cast_mut().add(8).cast::<u64>()).load(Ordering::Acquire),
        )
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&lo.to_ne_bytes());
    bytes[8..].copy_from_slice(&hi.to_ne_bytes());
    bytes
}

/// Whether [`load16`] and [`store16`] are indivisible on this processor: x86-64 with AVX, or
/// aarch64 with LSE2.
pub(crate) fn has_atomic16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("lse2")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// Sleeps while the 4 bytes at `ptr` still equal `expected`, at most `timeout`, or until a
/// [`futex_wake`] on the same file page and offset (a shared futex: it works between
/// processes that map the same file).
///
/// # Safety
///
/// `ptr` is 4-byte aligned and points at 4 readable bytes of a live shared file mapping.
pub(crate) unsafe fn futex_wait(ptr: *const u8, expected: [u8; 4], timeout: std::time::Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
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

/// Asks the processor to bring the cache line holding `ptr` closer (a hint: nothing is read,
/// nothing can fault, any address is fine).
#[inline(always)]
pub(crate) fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` is a hint that never faults and reads no memory, whatever the
    // address; SSE is part of every x86-64 processor.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
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
    pub(crate) file: std::fs::File,
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
        // O_TMPFILE needs /proc to be linked without privileges (open(2), "O_TMPFILE").
        if std::path::Path::new("/proc/self/fd").is_dir() {
            let unnamed = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .mode(0o666)
                .custom_flags(libc::O_TMPFILE)
                .open(dir);
            match unnamed {
                Ok(file) => {
                    return Ok(NewFile {
                        file,
                        temp_name: None,
                    });
                }
                // The file system (or kernel) has no O_TMPFILE: use a hidden name instead.
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EOPNOTSUPP) | Some(libc::EISDIR) | Some(libc::EINVAL)
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        sweep_stale_new_files(dir, ".recmap-new-");
        loop {
            let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = dir.join(format!(".recmap-new-{}-{n}", std::process::id()));
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o666)
                .open(&name)
            {
                Ok(file) => {
                    return Ok(NewFile {
                        file,
                        temp_name: Some(name),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Gives the file the name `path`: atomically, and only if `path` does not exist
    /// (`AlreadyExists` otherwise) — or, with `replace`, over whatever `path` names.
    pub(crate) fn link(&mut self, path: &std::path::Path, replace: bool) -> std::io::Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &std::path::Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
        };
        let target = c(path)?;
        match self.temp_name.take() {
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
                self.link_unnamed(&c(&hidden)?)?;
                self.temp_name = Some(hidden.clone());
                std::fs::rename(&hidden, path)?;
                self.temp_name = None;
                Ok(())
            }
            None => self.link_unnamed(&target),
            Some(temp) if replace => match std::fs::rename(&temp, path) {
                Ok(()) => Ok(()),
                Err(e) => {
                    self.temp_name = Some(temp);
                    Err(e)
                }
            },
            Some(temp) => {
                let from = c(&temp)?;
                // SAFETY: both paths are valid NUL-terminated C strings that outlive the call.
                let rc = unsafe {
                    libc::renameat2(
                        libc::AT_FDCWD,
                        from.as_ptr(),
                        libc::AT_FDCWD,
                        target.as_ptr(),
                        libc::RENAME_NOREPLACE,
                    )
                };
                if rc == 0 {
                    return Ok(());
                }
                let err = std::io::Error::last_os_error();
                let res = if matches!(err.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
                    // No RENAME_NOREPLACE here: `link` refuses an existing name just as well.
                    std::fs::hard_link(&temp, path)
                } else {
                    Err(err)
                };
                let _ = std::fs::remove_file(&temp);
                res
            }
        }
    }

    fn link_unnamed(&self, target: &std::ffi::CStr) -> std::io::Result<()> {
        let proc_path = std::ffi::CString::new(format!("/proc/self/fd/{}", self.file.as_raw_fd()))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
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
            Err(std::io::Error::last_os_error())
        }
    }

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
