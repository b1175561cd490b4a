//! The operating system below memmap2: page size, space allocation, byte-range locks,
//! indivisible 16-byte loads and stores, and futexes — every raw system call of the crate.

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
    use std::os::fd::AsRawFd;
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
    use std::os::fd::AsRawFd;
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
    let cmd = if wait {
        libc::F_OFD_SETLKW
    } else {
        libc::F_OFD_SETLK
    };
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

/// Loads 16 bytes at `ptr` as one indivisible read: another process storing 16 bytes there
/// with [`store16`] is seen either wholly before or wholly after its store, never half.
///
/// x86-64 processors with AVX guarantee that aligned 16-byte SSE loads and stores are atomic
/// (Intel SDM vol. 3A §9.1.1, AMD APM vol. 2 §7.3.2); [`has_atomic16`] checks for AVX.
///
/// # Safety
///
/// `ptr` is 16-byte aligned and points at 16 readable bytes of a live mapping, and
/// [`has_atomic16`] returned `true`.
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn load16(ptr: *const u8) -> [u8; 16] {
    use std::arch::x86_64::{__m128i, _mm_load_si128};
    // SAFETY: the caller promises alignment and 16 readable bytes; SSE2 is part of x86-64.
    let v = unsafe { _mm_load_si128(ptr.cast::<__m128i>()) };
    std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    // SAFETY: `__m128i` and `[u8; 16]` are both 16 plain bytes with no invalid values.
    unsafe { std::mem::transmute::<__m128i, [u8; 16]>(v) }
}

/// Stores 16 bytes at `ptr` as one indivisible write, after every store this thread made
/// before it (release order); see [`load16`].
///
/// # Safety
///
/// `ptr` is 16-byte aligned and points at 16 writable bytes of a live mapping that no
/// reference in this process covers, and [`has_atomic16`] returned `true`.
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn store16(ptr: *mut u8, bytes: [u8; 16]) {
    use std::arch::x86_64::{__m128i, _mm_store_si128};
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    // SAFETY: `[u8; 16]` and `__m128i` are both 16 plain bytes with no invalid values.
    let v = unsafe { std::mem::transmute::<[u8; 16], __m128i>(bytes) };
    // SAFETY: the caller promises alignment, 16 writable bytes and no aliasing reference.
    unsafe { _mm_store_si128(ptr.cast::<__m128i>(), v) }
}

/// Whether [`load16`] and [`store16`] are indivisible on this processor.
pub(crate) fn has_atomic16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
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
