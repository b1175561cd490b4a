//! `recmap bench`: mapped access against `read()`, `BufReader`, `pread`/`pwrite`, `BufWriter`
//! and an in-memory baseline, side by side on one temporary .npy file of this machine.
//!
//! This file is the reporter: it prepares, times, checks and prints. The timed code of every
//! method is a kernel in `benches/workloads.rs`, the same ones the criterion benches time.
//! Every method's result (a checksum) is checked against the expected value before its time
//! is reported, so a broken path can never look fast. Times are the best of several runs
//! after a warm-up (page cache warm). `--peers` adds benches/peers.py's rows, `--cold` the
//! cold-cache runs (`cold.rs`); the tail workload is `tail.rs`.

use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::output::{self, Stop};
use crate::report::{Measurement, PEERS, print_json, print_peer_ratios, print_table, print_tail};
use crate::workloads::{
    self, DataFile, Rec, append, column, expected_records, expected_scan, indices, random_read,
    random_write, record, scan,
};
use indicatif::{ProgressBar, ProgressStyle};

/// Timed runs per method (after one warm-up run); the best counts.
pub const RUNS: usize = 3;

/// What `bench --cold` says off Linux, before it makes any file (see `cold.rs`).
#[cfg(not(target_os = "linux"))]
pub const COLD_NEEDS_LINUX: &str = "bench --cold needs Linux: it evicts the file from the page \
     cache with posix_fadvise(POSIX_FADV_DONTNEED), and this OS has no call that drops one file's pages";

pub fn run(
    size: u64,
    record: usize,
    dir: Option<PathBuf>,
    json: bool,
    peers: bool,
    cold: bool,
) -> Result<(), Stop> {
    #[cfg(not(target_os = "linux"))]
    if cold {
        return Err(COLD_NEEDS_LINUX.to_owned().into());
    }
    macro_rules! dispatch {
        ($($bytes:literal),*) => {
            match record {
                $($bytes => Bench::<{ $bytes / 8 }>::new(size, dir)?.run_all(json, peers, cold),)*
                other => Err(format!(
                    "--record {other} is not supported: use one of 8, 16, 32, 64, 128, 256, 512, 1024, 4096"
                )
                .into()),
            }
        };
    }
    dispatch!(8, 16, 32, 64, 128, 256, 512, 1024, 4096)
}

struct Bench<const W: usize> {
    dir: tempfile::TempDir,
    file: DataFile,
    progress: ProgressBar,
}

impl<const W: usize> Bench<W> {
    const RECORD: usize = W * 8;

    fn new(size: u64, dir: Option<PathBuf>) -> Result<Self, String> {
        let count = usize::try_from(size / Self::RECORD as u64)
            .map_err(|_| "--size is too large".to_owned())?;
        if count < 1024 {
            return Err(format!(
                "--size {size} holds fewer than 1024 records of {} bytes",
                Self::RECORD
            ));
        }
        let base = dir.unwrap_or_else(std::env::temp_dir);
        let dir = tempfile::Builder::new()
            .prefix("recmap-bench-")
            .tempdir_in(&base)
            .map_err(|e| {
                format!(
                    "{}: cannot create a temporary directory: {e}",
                    base.display()
                )
            })?;
        let path = dir.path().join("bench.npy");
        cleanup_on_ctrl_c(dir.path());
        let progress = ProgressBar::new(0);
        progress.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>12} {wide_bar} {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        progress.set_prefix("setup");
        progress.set_length(count as u64);
        let file = DataFile::create::<W>(&path, count, |i| progress.set_position(i as u64))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Bench {
            dir,
            file,
            progress,
        })
    }

    /// `e`, said about the bench's file.
    fn err(&self, e: impl std::fmt::Display) -> String {
        format!("{}: {e}", self.file.path.display())
    }

    fn stage(&self, name: &'static str, len: u64) {
        self.progress.set_prefix(name);
        self.progress.set_length(len);
        self.progress.set_position(0);
    }

    fn data_bytes(&self) -> u64 {
        (self.file.count * Self::RECORD) as u64
    }

    /// `ops` records of this bench's size in `seconds`.
    fn measured(
        workload: &'static str,
        method: &'static str,
        seconds: f64,
        ops: usize,
    ) -> Measurement {
        Measurement::records(workload, method, seconds, ops, Self::RECORD)
    }

    fn run_all(self, json: bool, peers: bool, cold: bool) -> Result<(), Stop> {
        let mut results = Vec::new();
        self.scan(&mut results)?;
        self.random_read(&mut results)?;
        let quotes = self.column(&mut results)?;
        if peers {
            // On the same files, before random_write changes the records.
            self.stage("peers", 0);
            run_peers(&self.file.path, &quotes.path, Self::RECORD, &mut results)?;
        }
        std::fs::remove_file(&quotes.path).map_err(|e| self.err(e))?;
        // Before random_write changes the records the checksums expect. (Off Linux, `run`
        // has refused `--cold` already.)
        #[cfg(target_os = "linux")]
        if cold {
            self.cold(&mut results)?;
        }
        #[cfg(not(target_os = "linux"))]
        let _ = cold;
        self.random_write(&mut results)?;
        self.append(&mut results)?;
        self.tail(&mut results)?;
        self.progress.finish_and_clear();
        // A closed output returns early, and `self.dir` still removes the file.
        output::print(|out| {
            if json {
                print_json(out, self.data_bytes(), Self::RECORD, &results)
            } else {
                print_table(out, self.data_bytes(), Self::RECORD, &results)?;
                print_peer_ratios(out, &results)?;
                print_tail(out, &results)
            }
        })?;
        drop(self.dir); // removes the file
        Ok(())
    }

    /// Times `f` (a kernel, which returns its checksum): a warm-up, then the best of `RUNS`.
    fn time(
        &self,
        expected: u64,
        what: &str,
        mut f: impl FnMut() -> workloads::Result<u64>,
    ) -> Result<f64, String> {
        let got = f().map_err(|e| format!("{what}: {}", self.err(e)))?;
        if got != expected {
            return Err(format!(
                "{what} computed {got:#x}, expected {expected:#x}: refusing to report its time"
            ));
        }
        let mut best = Duration::MAX;
        for _ in 0..RUNS {
            let start = Instant::now();
            black_box(f().map_err(|e| format!("{what}: {}", self.err(e)))?);
            best = best.min(start.elapsed());
            self.progress.inc(1);
        }
        Ok(best.as_secs_f64())
    }

    fn scan(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("scan", 4 * RUNS as u64);
        let file = &self.file;
        let expected = expected_scan((file.count * W) as u64);
        let count = file.count;

        let memory = file.load::<W>().map_err(|e| self.err(e))?;
        let seconds = self.time(expected, "scan/memory", || Ok(scan::records(&memory)))?;
        results.push(Self::measured("scan", "memory", seconds, count));
        drop(memory);

        let table = file.open_table::<W>().map_err(|e| self.err(e))?;
        let seconds = self.time(expected, "scan/mmap", || Ok(scan::records(&table)))?;
        results.push(Self::measured("scan", "mmap", seconds, count));
        drop(table);

        let mut buf = vec![0u64; (1 << 20) / 8];
        let seconds = self.time(expected, "scan/read", || scan::read::<W>(file, &mut buf))?;
        results.push(Self::measured("scan", "read", seconds, count));

        let seconds = self.time(expected, "scan/bufreader", || scan::bufreader::<W>(file))?;
        results.push(Self::measured("scan", "bufreader", seconds, count));
        Ok(())
    }

    fn random_read(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("random read", 5 * RUNS as u64);
        let file = &self.file;
        // Mapped and in-memory methods read 2,000,000 records; system-call methods the first
        // 200,000 of the same indices.
        let fast = indices(2_000_000, file.count);
        let slow = &fast[..200_000];
        let (exp_fast, exp_slow) = (expected_records::<W>(&fast), expected_records::<W>(slow));

        let memory = file.load::<W>().map_err(|e| self.err(e))?;
        let seconds = self.time(exp_fast, "random_read/memory", || {
            Ok(random_read::index_loop(&memory, &fast))
        })?;
        results.push(Self::measured("random_read", "memory", seconds, fast.len()));
        drop(memory);

        let table = file.open_table::<W>().map_err(|e| self.err(e))?;
        let seconds = self.time(exp_fast, "random_read/mmap", || {
            Ok(random_read::index_loop(&table, &fast))
        })?;
        results.push(Self::measured("random_read", "mmap", seconds, fast.len()));
        // The same indices in one call: many cache misses in flight at once.
        let mut out: Vec<Rec<W>> = vec![[0; W]; fast.len()];
        let seconds = self.time(exp_fast, "random_read/gather", || {
            random_read::gather(&table, &fast, &mut out)
        })?;
        results.push(Self::measured("random_read", "gather", seconds, fast.len()));
        drop((table, out));

        let f = File::open(&file.path).map_err(|e| self.err(e))?;
        let seconds = self.time(exp_slow, "random_read/pread", || {
            random_read::pread::<W>(file, &f, slow)
        })?;
        results.push(Self::measured("random_read", "pread", seconds, slow.len()));

        let mut reader = BufReader::new(f);
        let seconds = self.time(exp_slow, "random_read/bufreader", || {
            random_read::bufreader::<W>(file, &mut reader, slow)
        })?;
        results.push(Self::measured(
            "random_read",
            "bufreader",
            seconds,
            slow.len(),
        ));
        Ok(())
    }

    /// Sums the `f64` field of a table of 64-byte quotes (its own file, `--size` of them, left
    /// for the peers): recmap's `Table::column`, a plain loop over the mapped records, `read()`
    /// and the records in memory.
    fn column(&self, results: &mut Vec<Measurement>) -> Result<DataFile, String> {
        self.stage("column", 4 * RUNS as u64);
        let count = (self.data_bytes() / 64) as usize;
        let path = self.dir.path().join("column.npy");
        let quotes =
            column::create(&path, count, |_| {}).map_err(|e| format!("{}: {e}", path.display()))?;
        let expected = column::expected(count);
        let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let measured = |method, seconds| Measurement::records("column", method, seconds, count, 64);

        let memory = column::load(&quotes).map_err(|e| err(&e))?;
        let seconds = self.time(expected, "column/memory", || Ok(column::records(&memory)))?;
        results.push(measured("memory", seconds));
        drop(memory);

        let table = recmap::Table::open_read(&quotes.path).map_err(|e| err(&e))?;
        let seconds = self.time(expected, "column/column", || Ok(column::column(&table)))?;
        results.push(measured("column", seconds));
        let seconds = self.time(expected, "column/mmap", || Ok(column::records(&table)))?;
        results.push(measured("mmap", seconds));
        drop(table);

        let mut buf = vec![column::quote(0); (1 << 20) / 64];
        let seconds = self.time(expected, "column/read", || column::read(&quotes, &mut buf))?;
        results.push(measured("read", seconds));
        Ok(quotes)
    }

    /// Writes records back in place (each record rewritten as generation 1 or 2, then checked
    /// by reading back with `pread`).
    fn random_write(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("random write", 2 * RUNS as u64);
        let file = &self.file;
        let fast = indices(2_000_000, file.count);
        let slow = &fast[..200_000];
        let check = |idx: &[usize], generation| {
            random_write::check::<W>(file, idx, 997, generation)
                .map_err(|e| format!("random_write: {}", self.err(e)))
        };

        let mut table = recmap::Table::<Rec<W>>::open(&file.path).map_err(|e| self.err(e))?;
        let seconds = self.time(fast.len() as u64, "random_write/mmap", || {
            Ok(random_write::mapped(table.as_mut_slice(), &fast, 1))
        })?;
        drop(table);
        check(&fast, 1)?;
        results.push(Self::measured("random_write", "mmap", seconds, fast.len()));

        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&file.path)
            .map_err(|e| self.err(e))?;
        let seconds = self.time(slow.len() as u64, "random_write/pwrite", || {
            random_write::pwrite::<W>(file, &f, slow, 2)
        })?;
        drop(f);
        check(slow, 2)?;
        results.push(Self::measured(
            "random_write",
            "pwrite",
            seconds,
            slow.len(),
        ));
        Ok(())
    }

    /// Appends the file's worth of records to a new file, through an `Append` table; time
    /// includes growth and the final commit (`flush` for the table, `flush` of the buffer for
    /// BufWriter: both end in the page cache, and neither side msyncs or fsyncs).
    fn append(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("append", 3 * RUNS as u64);
        let n = self.file.count;
        let out = self.dir.path().join("append.npy");

        let seconds = self.time(n as u64, "append/mmap", || append::appender::<W>(&out, n))?;
        append::check_table::<W>(&out, n).map_err(|e| format!("append/mmap: {e}"))?;
        results.push(Self::measured("append", "mmap", seconds, n));

        // The same, with two follower processes reading every record as it is committed
        // (one commit per 65,536 records; they sleep between commits).
        let followed = self.dir.path().join("followed.npy");
        let mut best = f64::INFINITY;
        for _ in 0..RUNS {
            let _ = std::fs::remove_file(&followed);
            let mut t =
                recmap::Table::<Rec<W>>::create_append(&followed).map_err(|e| e.to_string())?;
            let children = crate::tail::start_word_followers(&followed, W, n as u64, 2)?;
            let start = Instant::now();
            for i in 0..n {
                t.push(record::<W>(i)).map_err(|e| e.to_string())?;
                if (i + 1) % 65_536 == 0 {
                    t.flush().map_err(|e| e.to_string())?;
                }
            }
            t.flush().map_err(|e| e.to_string())?;
            best = best.min(start.elapsed().as_secs_f64());
            drop(t);
            crate::tail::finish_word_followers(children, n as u64)?;
            self.progress.inc(1);
        }
        results.push(Self::measured("append", "mmap_followed", best, n));

        let raw = self.dir.path().join("append.bin");
        let seconds = self.time(n as u64, "append/bufwriter", || {
            append::bufwriter::<W>(&raw, n)
        })?;
        results.push(Self::measured("append", "bufwriter", seconds, n));
        Ok(())
    }

    /// Scan and random reads from a cold page cache (see `cold.rs`).
    #[cfg(target_os = "linux")]
    fn cold(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("cold", 7);
        let file = &self.file;
        let idx = indices(20_000, file.count);
        let runs = crate::cold::run(
            &file.path,
            file.data_start,
            file.count,
            Self::RECORD,
            &idx,
            expected_scan((file.count * W) as u64),
            expected_records::<W>(&idx),
            || self.progress.inc(1),
        )?;
        for r in runs {
            results.push(Measurement {
                workload: r.workload,
                method: r.method,
                seconds: r.seconds,
                bytes: r.bytes,
                ops: r.ops,
                latency: None,
            });
        }
        Ok(())
    }

    /// Writer-to-reader latency and follower throughput, one follower process per run.
    fn tail(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("tail", crate::tail::RUN_COUNT);
        let max_records = self.data_bytes() / 16;
        for run in crate::tail::run(self.dir.path(), max_records, || self.progress.inc(1))? {
            results.push(Measurement {
                workload: "tail",
                method: run.method,
                seconds: run.seconds,
                bytes: run.records * 16,
                ops: run.records,
                latency: Some((run.p50_ns, run.p99_ns)),
            });
        }
        Ok(())
    }
}

/// On Ctrl-C, remove the temporary files and directory before exiting.
#[cfg(unix)]
fn cleanup_on_ctrl_c(dir: &Path) {
    use std::sync::OnceLock;
    /// The files (then the directory) to remove, as C strings built before the handler exists.
    static PATHS: OnceLock<Vec<std::ffi::CString>> = OnceLock::new();
    let paths: Option<Vec<_>> = [
        "bench.npy",
        "column.npy",
        "append.npy",
        "followed.npy",
        "tail.npy",
        "append.bin",
        "",
    ]
    .iter()
    .map(|name| {
        let p = if name.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(name)
        };
        std::ffi::CString::new(p.into_os_string().into_encoded_bytes()).ok()
    })
    .collect();
    let Some(paths) = paths else { return };
    if PATHS.set(paths).is_err() {
        return;
    }
    extern "C" fn on_sigint(_: libc::c_int) {
        if let Some((dir, files)) = PATHS.get().and_then(|p| p.split_last()) {
            for file in files {
                // SAFETY: a valid C string made before the handler was installed; unlink is
                // async-signal-safe, and nothing here allocates.
                unsafe { libc::unlink(file.as_ptr()) };
            }
            // SAFETY: as above; rmdir is async-signal-safe.
            unsafe { libc::rmdir(dir.as_ptr()) };
        }
        // SAFETY: _exit is async-signal-safe and ends the process (130 = killed by SIGINT).
        unsafe { libc::_exit(130) };
    }
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: installs a handler of the signature signal(2) expects; it touches only data
    // fixed before installation, through async-signal-safe calls.
    unsafe { libc::signal(libc::SIGINT, handler as *const () as libc::sighandler_t) };
}

/// Windows: no cleanup on Ctrl-C. Its console handler runs on a new thread while the bench
/// still holds its files mapped, and a mapped file cannot be removed there until unmapped;
/// Ctrl-C ends the process (status 0xC000013A) and leaves the `recmap-bench-*` directory.
#[cfg(not(unix))]
fn cleanup_on_ctrl_c(_dir: &Path) {}

/// Runs `benches/peers.py` on the bench's own files (`path`, and `quotes` for the column
/// workload) and adds its rows; without python3 and numpy, says so and adds nothing.
fn run_peers(
    path: &Path,
    quotes: &Path,
    record: usize,
    results: &mut Vec<Measurement>,
) -> Result<(), String> {
    let script = std::env::var_os("RECMAP_PEERS_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/peers.py"))
        });
    let has_numpy = std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_numpy || !script.exists() {
        eprintln!(
            "recmap bench --peers: {} not found; ran recmap's own workloads only",
            if has_numpy {
                script.display().to_string()
            } else {
                "python3 with numpy".into()
            }
        );
        return Ok(());
    }
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg("--file")
        .arg(path)
        .arg("--column-file")
        .arg(quotes)
        .args(["--record", &record.to_string(), "--json"])
        .output()
        .map_err(|e| format!("peers: cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "peers: {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let row: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("peers: bad output {line:?}: {e}"))?;
        let text = |key: &str| row.get(key).and_then(serde_json::Value::as_str);
        let number = |key: &str| row.get(key).and_then(serde_json::Value::as_f64);
        let (Some(workload), Some(method)) = (text("workload"), text("method")) else {
            return Err(format!("peers: bad output {line:?}"));
        };
        let workload = match workload {
            "scan" => "scan",
            "random_read" => "random_read",
            "column" => "column",
            _ => continue,
        };
        let Some(method) = PEERS.iter().copied().find(|&p| p == method) else {
            continue;
        };
        results.push(Measurement {
            workload,
            method,
            seconds: number("seconds").unwrap_or(f64::NAN),
            bytes: number("bytes").unwrap_or(0.0) as u64,
            ops: number("ops").unwrap_or(0.0) as u64,
            latency: None,
        });
    }
    Ok(())
}
