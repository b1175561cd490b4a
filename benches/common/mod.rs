//! Fixtures shared by the benches: files of known contents, and random indices.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use recmap::{Table, TableOptions};

/// A 64-byte record; record `i` holds the words `8i .. 8i + 8`.
pub type Rec = [u64; 8];

pub fn record(i: usize) -> Rec {
    std::array::from_fn(|j| (i * 8 + j) as u64)
}

pub fn sum(words: &[u64]) -> u64 {
    words.iter().fold(0u64, |a, &w| a.wrapping_add(w))
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

/// `n` pseudo-random indices below `below`, the same every run.
pub fn indices(n: usize, below: usize) -> Vec<usize> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % below as u64) as usize
        })
        .collect()
}

/// The checksum every random-read method must produce for `idx`.
pub fn expected(idx: &[usize]) -> u64 {
    idx.iter()
        .fold(0u64, |a, &i| a.wrapping_add(sum(&record(i))))
}
