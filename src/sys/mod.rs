//! The operating system and processor below memmap2 — every raw system call of the crate,
//! one small file per platform behind one interface (memmap2's and std's shape):
//!
//! - `unix`: what every Unix shares (page size, zeros by `pwrite`, fork detection, new files
//!   linked into place, directory sync, sleep-poll wakeups, temporary-file anonymous maps,
//!   POSIX shared memory for named maps);
//! - `posix_locks`: byte locks from POSIX record locks, made to behave like open-file locks by
//!   a table of this process's holders (macOS, which has no open-file-description locks);
//! - `linux`: `fallocate`, open-file-description byte locks, futexes, `memfd`, `O_TMPFILE`;
//! - `macos`: which of the portable Unix paths macOS uses, and why;
//! - `windows`: `LockFileEx` byte locks, positioned I/O, file identity by volume and index,
//!   polling wakeups, named pagefile-backed sections for named maps;
//! - `cpu`: indivisible 16-byte loads and stores per processor, and a prefetch hint.
//!
//! Every path macOS takes is also compiled on Linux and can be forced on there with the
//! environment variable `RECMAP_SYS=portable` (CI runs the whole test suite so), so macOS
//! runs no code that no test ran. Nothing outside this module names an OS or a processor.

mod cpu;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(unix)]
mod posix_locks;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
use linux as os;
#[cfg(target_os = "macos")]
use macos as os;
#[cfg(unix)]
use unix as common;
#[cfg(windows)]
use windows as os;
#[cfg(windows)]
use windows as common;

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
compile_error!("recmap supports Linux, macOS and Windows (see the README's platform table)");

pub(crate) use common::{
    NewFile, OpenFile, file_id, fork_generation, link_count, open, path_id, sync_dir, write_all_at,
    write_zeros,
};
pub use common::{allocation_granularity, page_size};
pub(crate) use cpu::{has_atomic16, peek16, prefetch};
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) use cpu::{load16, store16};
#[cfg(target_os = "linux")]
pub(crate) use os::can_remap;
#[cfg(unix)]
pub(crate) use os::memfd;
pub(crate) use os::{allocate, byte_lock, byte_lock_held, futex_wait, futex_wake};
#[cfg(unix)]
pub(crate) use unix::{discard, shm_grow, shm_open, shm_unlink};
#[cfg(windows)]
pub(crate) use windows::SectionView;

/// The environment variable that, set to `portable`, makes recmap on Linux take the paths
/// it takes on macOS (POSIX record locks with a table of holders, sleep-poll wakeups, growth
/// by a new mapping, temporary-file anonymous maps, hidden names and `link` for new files).
#[cfg(target_os = "linux")]
pub(crate) const SYS_ENV: &str = "RECMAP_SYS";

#[cfg(unix)]
/// Whether this process takes the portable paths: always on macOS; on Linux when
/// `RECMAP_SYS=portable` (read once; every process of a test inherits it, so all agree).
pub(crate) fn portable() -> bool {
    #[cfg(target_os = "linux")]
    {
        static PORTABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *PORTABLE.get_or_init(|| std::env::var_os(SYS_ENV).is_some_and(|v| v == "portable"))
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Makes a new file `{prefix}{pid}-{n}` in `dir` with `options` (which must say
/// `create_new`), for the first `n` whose name is free; returns it and its name.
fn create_unique(
    dir: &std::path::Path,
    prefix: &str,
    options: &std::fs::OpenOptions,
) -> std::io::Result<(std::fs::File, std::path::PathBuf)> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = dir.join(format!("{prefix}{}-{n}", std::process::id()));
        match options.open(&name) {
            Ok(file) => return Ok((file, name)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}
