//! What the criterion benches share: the workloads and their kernels (`benches/workloads.rs`,
//! the same file `recmap bench` runs), at 64-byte records.
#![allow(dead_code, unused_imports)]

#[path = "../workloads.rs"]
pub mod workloads;

use std::path::Path;

pub use workloads::{DataFile, indices, sum};

/// The records' size in u64 words: 64-byte records.
pub const W: usize = 8;

/// A 64-byte record; record `i` holds the words `8i .. 8i + 8`.
pub type Rec = workloads::Rec<W>;

pub fn record(i: usize) -> Rec {
    workloads::record::<W>(i)
}

/// A table of `n` records in `dir`.
pub fn table_file(dir: &Path, n: usize) -> DataFile {
    DataFile::create::<W>(&dir.join("bench.npy"), n, |_| {}).unwrap()
}

/// The checksum every random-read method must produce for `idx`.
pub fn expected(idx: &[usize]) -> u64 {
    workloads::expected_records::<W>(idx)
}
