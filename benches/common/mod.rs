//! Fixtures of the criterion benches: the shared workloads' records, indices and checksums
//! (`benches/workloads.rs`, the same file `recmap bench` uses) at 64-byte records, and a table
//! file of known contents.
#![allow(dead_code, unused_imports)]

#[path = "../workloads.rs"]
mod workloads;

use std::path::{Path, PathBuf};

use recmap::{Table, TableOptions};

pub use workloads::{indices, sum};

/// A 64-byte record; record `i` holds the words `8i .. 8i + 8`.
pub type Rec = workloads::Rec<8>;

pub fn record(i: usize) -> Rec {
    workloads::record::<8>(i)
}

/// A table of `n` records in `dir`; returns its path and data offset.
pub fn table_file(dir: &Path, n: usize) -> (PathBuf, u64) {
    let path = dir.join("bench.npy");
    let mut t: Table<Rec> = TableOptions::new()
        .overwrite(true)
        .capacity(n)
        .create(&path)
        .unwrap();
    t.extend((0..n).map(record)).unwrap();
    t.shrink_to_fit().unwrap();
    (path, t.data_offset() as u64)
}

/// The checksum every random-read method must produce for `idx`.
pub fn expected(idx: &[usize]) -> u64 {
    workloads::expected_records::<8>(idx)
}
