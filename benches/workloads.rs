//! The benchmark workloads' fixtures, one copy for both measurers: `recmap bench` (which
//! includes this file with `#[path]`) and the criterion benches (through `common`). A file of
//! records of `W` u64 words where record `i` holds the words `i*W .. i*W + W`, the random
//! indices every random-access method reads, and the checksums each method must produce
//! before its time counts.
#![allow(dead_code)]

/// A record of `W` u64 words.
pub type Rec<const W: usize> = [u64; W];

/// Record `i`: the words `i*W .. i*W + W`.
pub fn record<const W: usize>(i: usize) -> Rec<W> {
    std::array::from_fn(|j| (i * W + j) as u64)
}

/// The words' sum, wrapping: every workload's checksum.
#[inline]
pub fn sum(words: &[u64]) -> u64 {
    words.iter().fold(0u64, |a, &w| a.wrapping_add(w))
}

/// `n` pseudo-random indices below `below` (xorshift64), the same every run and in every
/// measurer — `benches/peers.py` generates the same ones.
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

/// The checksum of the records at `idx`: each record's words summed.
pub fn expected_records<const W: usize>(idx: &[usize]) -> u64 {
    idx.iter()
        .fold(0u64, |a, &i| a.wrapping_add(sum(&record::<W>(i))))
}

/// The checksum of a scan of `words` words `0, 1, …, words-1`: n(n-1)/2 mod 2^64.
pub fn expected_scan(words: u64) -> u64 {
    if words.is_multiple_of(2) {
        (words / 2).wrapping_mul(words.wrapping_sub(1))
    } else {
        words.wrapping_mul(words.saturating_sub(1) / 2)
    }
}
