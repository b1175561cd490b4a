//! `recmap bench --cold`: scan and random reads with the file evicted from the page cache
//! before every timed run — mapped (plain, `MADV_SEQUENTIAL`/`MADV_RANDOM`, `MAP_POPULATE`)
//! against `read()` and `pread`. Warm-cache numbers flatter mapping; these answer "Are You
//! Sure You Want to Use MMAP in Your DBMS?" (CIDR 2022) on the user's own machine.
//!
//! Eviction is `fdatasync` then `posix_fadvise(POSIX_FADV_DONTNEED)` with no mapping of the
//! file alive (the kernel keeps mapped pages), checked with `mincore` on a fresh mapping:
//! a run whose file was still more than 5% resident is reported as such, not timed as cold.
//!
//! Linux only (the module is compiled there alone): macOS has no call that drops one file's
//! pages from the cache (`purge` drops all, as root), and Windows documents none either.
//! Elsewhere `bench --cold` refuses at once (`bench::COLD_NEEDS_LINUX`) rather than time a
//! warm run as a cold one.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use recmap::{Access, Advice, MapOptions};
use zerocopy::IntoBytes;

use crate::workloads::sum;

/// One cold measurement: the best of `runs` evict-then-time runs.
pub struct ColdRun {
    pub workload: &'static str,
    pub method: &'static str,
    pub seconds: f64,
    pub bytes: u64,
    pub ops: u64,
}

/// Evicts `path` from the page cache; returns the share of its pages still resident.
pub fn evict(path: &Path) -> Result<f64, String> {
    let err = |e: std::io::Error| format!("{}: cannot evict: {e}", path.display());
    let file = File::open(path).map_err(err)?;
    file.sync_data().map_err(err)?;
    // SAFETY: `posix_fadvise` only reads its integer arguments; the descriptor is `file`'s.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc != 0 {
        return Err(err(std::io::Error::from_raw_os_error(rc)));
    }
    resident_share(path)
}

/// The share of `path`'s pages in the page cache, from `mincore` on a fresh read-only map.
fn resident_share(path: &Path) -> Result<f64, String> {
    let map = MapOptions::new()
        .access(Access::Read)
        .open(path)
        .map_err(|e| e.to_string())?;
    if map.is_empty() {
        return Ok(0.0);
    }
    let page = recmap::page_size();
    let pages = map.len().div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: `map` is a live mapping of `map.len()` bytes starting at a page boundary, and
    // `vec` has one byte per page of it, as `mincore` requires; neither is touched meanwhile.
    let rc = unsafe {
        libc::mincore(
            map.as_ptr().cast_mut().cast(),
            map.len(),
            vec.as_mut_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(format!("mincore: {}", std::io::Error::last_os_error()));
    }
    Ok(vec.iter().filter(|&&b| b & 1 == 1).count() as f64 / pages as f64)
}

/// Times `f` after evicting the file, `runs` times; the best run, or an error if eviction
/// did not take.
fn cold_best(
    path: &Path,
    runs: usize,
    expected: u64,
    what: &str,
    mut f: impl FnMut() -> Result<u64, String>,
) -> Result<f64, String> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let resident = evict(path)?;
        if resident > 0.05 {
            return Err(format!(
                "{what}: {:.0}% of the file stayed in the page cache after eviction; not a cold run",
                resident * 100.0
            ));
        }
        let start = Instant::now();
        let got = f()?;
        let elapsed = start.elapsed();
        if got != expected {
            return Err(format!("{what} computed {got:#x}, expected {expected:#x}"));
        }
        best = best.min(elapsed);
    }
    Ok(best.as_secs_f64())
}

/// The cold workloads over the bench's file: `count` records of `record` bytes at
/// `data_start`, words `0..`; `indices` for random reads, `expected_*` their checksums.
#[allow(clippy::too_many_arguments)]
pub fn run(
    path: &Path,
    data_start: u64,
    count: usize,
    record: usize,
    indices: &[usize],
    expected_scan: u64,
    expected_random: u64,
    mut tick: impl FnMut(),
) -> Result<Vec<ColdRun>, String> {
    const RUNS: usize = 2;
    let bytes = (count * record) as u64;
    let words_per = record / 8;
    let mut out = Vec::new();
    let map_words = |populate: bool, advice: Option<Advice>| -> Result<recmap::Map, String> {
        let map = MapOptions::new()
            .access(Access::Read)
            .offset(data_start)
            .len(count * record)
            .populate(populate)
            .open(path)
            .map_err(|e| e.to_string())?;
        if let Some(a) = advice {
            map.advise(a).map_err(|e| e.to_string())?;
        }
        Ok(map)
    };

    // Scans: the map is made inside the timed run (MAP_POPULATE reads the file right there).
    for (method, populate, advice) in [
        ("mmap", false, None),
        ("mmap_sequential", false, Some(Advice::Sequential)),
        ("mmap_populate", true, None),
    ] {
        let seconds = cold_best(path, RUNS, expected_scan, "scan_cold", || {
            let map = map_words(populate, advice)?;
            let words: &[u64] = map.cast().map_err(|e| e.to_string())?;
            Ok(sum(words))
        })?;
        out.push(ColdRun {
            workload: "scan_cold",
            method,
            seconds,
            bytes,
            ops: count as u64,
        });
        tick();
    }
    let seconds = cold_best(path, RUNS, expected_scan, "scan_cold/read", || {
        let f = File::open(path).map_err(|e| e.to_string())?;
        let mut buf = vec![0u64; 1 << 20]; // 8 MiB
        let (mut at, end) = (data_start, data_start + bytes);
        let mut total = 0u64;
        while at < end {
            let n = ((end - at) as usize).min(buf.len() * 8);
            let chunk = &mut buf[..n / 8];
            f.read_exact_at(chunk.as_mut_bytes(), at)
                .map_err(|e| e.to_string())?;
            total = total.wrapping_add(sum(chunk));
            at += n as u64;
        }
        Ok(total)
    })?;
    out.push(ColdRun {
        workload: "scan_cold",
        method: "read",
        seconds,
        bytes,
        ops: count as u64,
    });
    tick();

    // Random reads.
    let n = indices.len() as u64;
    for (method, advice) in [("mmap", None), ("mmap_random", Some(Advice::Random))] {
        let seconds = cold_best(path, RUNS, expected_random, "random_read_cold", || {
            let map = map_words(false, advice)?;
            let words: &[u64] = map.cast().map_err(|e| e.to_string())?;
            Ok(indices.iter().fold(0u64, |a, &i| {
                a.wrapping_add(sum(&words[i * words_per..(i + 1) * words_per]))
            }))
        })?;
        out.push(ColdRun {
            workload: "random_read_cold",
            method,
            seconds,
            bytes: n * record as u64,
            ops: n,
        });
        tick();
    }
    let seconds = cold_best(
        path,
        RUNS,
        expected_random,
        "random_read_cold/pread",
        || {
            let f = File::open(path).map_err(|e| e.to_string())?;
            let mut r = vec![0u64; words_per];
            let mut total = 0u64;
            for &i in indices {
                f.read_exact_at(r.as_mut_bytes(), data_start + (i * record) as u64)
                    .map_err(|e| e.to_string())?;
                total = total.wrapping_add(sum(&r));
            }
            Ok(total)
        },
    )?;
    out.push(ColdRun {
        workload: "random_read_cold",
        method: "pread",
        seconds,
        bytes: n * record as u64,
        ops: n,
    });
    tick();
    Ok(out)
}
