//! The operating system and processor below memmap2 — every raw system call of the crate,
//! one small file per platform behind one interface (memmap2's and std's shape):
//!
//! - `unix`: what every Unix shares (page size, zeros by `pwrite`, fork detection, new files
//!   linked into place, directory sync);
//! - `linux`: `fallocate`, open-file-description byte locks, futexes, `memfd`, `O_TMPFILE`;
//! - `cpu`: indivisible 16-byte loads and stores per processor, and a prefetch hint.
//!
//! Nothing outside this module names an OS or a processor.

mod cpu;
#[cfg(target_os = "linux")]
mod linux;
mod unix;

#[cfg(target_os = "linux")]
use linux as os;

pub(crate) use cpu::{has_atomic16, peek16, prefetch};
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) use cpu::{load16, store16};
pub(crate) use os::{allocate, byte_lock, byte_lock_held, futex_wait, futex_wake, memfd};
pub(crate) use unix::{NewFile, fork_generation, sync_dir, write_zeros};
pub use unix::{allocation_granularity, page_size};
