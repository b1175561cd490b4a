//! Facts about the machine's virtual memory (Python's `mmap.PAGESIZE` and
//! `mmap.ALLOCATIONGRANULARITY`).

/// The size of a virtual-memory page in bytes (Python's `mmap.PAGESIZE`).
///
/// # Examples
///
/// ```
/// let p = recmap::page_size();
/// assert!(p.is_power_of_two());
/// ```
#[cfg(unix)]
pub fn page_size() -> usize {
    // SAFETY: `sysconf` only reads a system constant; `_SC_PAGESIZE` is a valid name.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// The size of a virtual-memory page in bytes (Python's `mmap.PAGESIZE`).
#[cfg(not(unix))]
pub fn page_size() -> usize {
    4096
}

/// The granularity of mapping offsets in bytes (Python's `mmap.ALLOCATIONGRANULARITY`): the
/// page size on Unix, 64 KiB on Windows.
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
    if cfg!(windows) { 65536 } else { page_size() }
}
