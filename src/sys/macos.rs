//! macOS: the portable Unix paths, each also run on Linux by CI under `RECMAP_SYS=portable`.
//!
//! - Byte locks: POSIX record locks (`F_SETLK`, documented in `fcntl(2)`) with this process's
//!   table of holders (`posix_locks`), as SQLite does — macOS has no open-file-description
//!   locks, and `flock` locks whole files only.
//! - Wakeups: a sleep-poll of at most 1 ms. `os_sync_wait_on_address` with
//!   `OS_SYNC_WAIT_ON_ADDRESS_SHARED` (macOS 14.4) could wake a reader sooner, but no machine
//!   here can run it, and recmap ships no path that no test ran.
//! - Space: zeros written with `pwrite` (`F_PREALLOCATE` reserves blocks but leaves the file's
//!   length; writing zeros reserves and extends at once and is what Linux falls back to).
//! - Growth: the file mapped anew (no `mremap`; the map layer asks `can_remap`, Linux only).
//! - Shared anonymous maps: an unlinked temporary file (no `memfd_create`).
//! - New files: a hidden name, then `link` to the real one (no `O_TMPFILE`).

use super::unix;

/// Extends `file` from `from` to `to` bytes with written zeros (see the module's docs).
pub(crate) fn allocate(file: &std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
    unix::write_zeros(file, from, to)
}

pub(crate) use super::posix_locks::{byte_lock, byte_lock_held};

/// Waits by polling (see the module's docs).
///
/// # Safety
///
/// None needed here; `unsafe` to match the futex-based Linux version.
pub(crate) unsafe fn futex_wait(_ptr: *const u8, _expected: [u8; 4], timeout: std::time::Duration) {
    unix::poll_wait(timeout)
}

/// Nothing to do: pollers see the change within their next poll.
///
/// # Safety
///
/// None needed here; `unsafe` to match the futex-based Linux version.
pub(crate) unsafe fn futex_wake(_ptr: *const u8) {}

/// A shared anonymous map's backing: an unlinked temporary file.
pub(crate) fn memfd(len: u64) -> std::io::Result<std::fs::File> {
    unix::anon_file(len)
}
