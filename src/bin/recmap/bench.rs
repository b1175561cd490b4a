//! `recmap bench`: mapped access against `read()`, `BufReader`, `pread`/`pwrite`, `BufWriter`
//! and an in-memory baseline, side by side on one temporary .npy file of this machine.
//!
//! Every method's result (a checksum) is checked against the expected value before its time
//! is reported, so a broken path can never look fast. Times are the best of several runs
//! after a warm-up (page cache warm). `--peers` adds benches/peers.py's rows, `--cold` the
//! cold-cache runs (`cold.rs`); the tail workload is `tail.rs`.
//!
//! (Over 600 lines: each workload's methods are written out side by side so that a reader sees
//! what is compared. The criterion benches in `benches/` still repeat the kernels; sharing one
//! set of workloads between the two is issue 10's open item.)

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::workloads::{Rec, expected_records, expected_scan, indices, record, sum};
use indicatif::{ProgressBar, ProgressStyle};
use recmap::view::Gather;
use recmap::{Table, TableOptions};
use zerocopy::{FromBytes, IntoBytes};

/// One timed result, as printed by `--json`.
struct Measurement {
    workload: &'static str,
    method: &'static str,
    seconds: f64,
    bytes: u64,
    ops: u64,
    /// Writer-to-reader latency percentiles (p50, p99) in ns, for the tail workload.
    latency: Option<(u64, u64)>,
}

const RUNS: usize = 3;

pub fn run(
    size: u64,
    record: usize,
    dir: Option<PathBuf>,
    json: bool,
    peers: bool,
    cold: bool,
) -> Result<(), String> {
    macro_rules! dispatch {
        ($($bytes:literal),*) => {
            match record {
                $($bytes => Bench::<{ $bytes / 8 }>::new(size, dir)?.run_all(json, peers, cold),)*
                other => Err(format!(
                    "--record {other} is not supported: use one of 8, 16, 32, 64, 128, 256, 512, 1024, 4096"
                )),
            }
        };
    }
    dispatch!(8, 16, 32, 64, 128, 256, 512, 1024, 4096)
}

struct Bench<const W: usize> {
    dir: tempfile::TempDir,
    path: PathBuf,
    count: usize,
    data_start: u64,
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
        let mut bench = Bench {
            dir,
            path,
            count,
            data_start: 0,
            progress,
        };
        bench.write_file()?;
        Ok(bench)
    }

    fn err(&self, e: impl std::fmt::Display) -> String {
        format!("{}: {e}", self.path.display())
    }

    fn write_file(&mut self) -> Result<(), String> {
        self.stage("setup", self.count as u64);
        let mut t: Table<Rec<W>> = TableOptions::new()
            .capacity(self.count)
            .create(&self.path)
            .map_err(|e| e.to_string())?;
        for i in 0..self.count {
            t.push(record::<W>(i)).map_err(|e| e.to_string())?;
            if i % 65536 == 0 {
                self.progress.set_position(i as u64);
            }
        }
        t.flush().map_err(|e| e.to_string())?;
        self.data_start = t.data_offset() as u64;
        Ok(())
    }

    fn stage(&self, name: &'static str, len: u64) {
        self.progress.set_prefix(name);
        self.progress.set_length(len);
        self.progress.set_position(0);
    }

    fn data_bytes(&self) -> u64 {
        (self.count * Self::RECORD) as u64
    }

    fn run_all(self, json: bool, peers: bool, cold: bool) -> Result<(), String> {
        let mut results = Vec::new();
        self.scan(&mut results)?;
        self.random_read(&mut results)?;
        if peers {
            // On the same file, before random_write changes its records.
            self.stage("peers", 0);
            run_peers(&self.path, Self::RECORD, &mut results)?;
        }
        if cold {
            // Before random_write changes the records the checksums expect.
            self.cold(&mut results)?;
        }
        self.random_write(&mut results)?;
        self.append(&mut results)?;
        self.tail(&mut results)?;
        self.progress.finish_and_clear();
        if json {
            print_json(self.data_bytes(), Self::RECORD, &results);
        } else {
            print_table(self.data_bytes(), Self::RECORD, &results);
            print_peer_ratios(&results);
            print_tail(&results);
        }
        drop(self.dir); // removes the file
        Ok(())
    }

    /// Times `f` (which returns its checksum): a warm-up, then the best of `RUNS`.
    fn time(
        &self,
        expected: u64,
        what: &str,
        mut f: impl FnMut() -> Result<u64, String>,
    ) -> Result<f64, String> {
        let got = f()?;
        if got != expected {
            return Err(format!(
                "{what} computed {got:#x}, expected {expected:#x}: refusing to report its time"
            ));
        }
        let mut best = Duration::MAX;
        for _ in 0..RUNS {
            let start = Instant::now();
            black_box(f()?);
            best = best.min(start.elapsed());
            self.progress.inc(1);
        }
        Ok(best.as_secs_f64())
    }

    fn open(&self) -> Result<File, String> {
        File::open(&self.path).map_err(|e| self.err(e))
    }

    fn scan(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("scan", 4 * RUNS as u64);
        let expected = expected_scan((self.count * W) as u64);
        let (bytes, ops) = (self.data_bytes(), self.count as u64);
        let mut push = |method, seconds| {
            results.push(Measurement {
                workload: "scan",
                method,
                seconds,
                bytes,
                ops,
                latency: None,
            })
        };

        let memory = self.read_all()?;
        push(
            "memory",
            self.time(expected, "scan/memory", || Ok(sum(&memory)))?,
        );
        drop(memory);

        let table = Table::<Rec<W>>::open_read(&self.path).map_err(|e| e.to_string())?;
        push(
            "mmap",
            self.time(expected, "scan/mmap", || {
                Ok(sum(table.as_slice().as_flattened()))
            })?,
        );
        drop(table);

        let mut buf = vec![0u64; (1 << 20) / 8];
        push(
            "read",
            self.time(expected, "scan/read", || {
                let mut f = self.open()?;
                f.seek(SeekFrom::Start(self.data_start))
                    .map_err(|e| self.err(e))?;
                let (mut left, mut total) = (bytes as usize, 0u64);
                while left > 0 {
                    let n = left.min(1 << 20);
                    let chunk = buf.as_mut_bytes();
                    f.read_exact(&mut chunk[..n]).map_err(|e| self.err(e))?;
                    total = total.wrapping_add(sum(&buf[..n / 8]));
                    left -= n;
                }
                Ok(total)
            })?,
        );

        push(
            "bufreader",
            self.time(expected, "scan/bufreader", || {
                let mut f = BufReader::new(self.open()?);
                f.seek(SeekFrom::Start(self.data_start))
                    .map_err(|e| self.err(e))?;
                let mut rec: Rec<W> = [0; W];
                let mut total = 0u64;
                for _ in 0..self.count {
                    f.read_exact(rec.as_mut_bytes()).map_err(|e| self.err(e))?;
                    total = total.wrapping_add(sum(&rec));
                }
                Ok(total)
            })?,
        );
        Ok(())
    }

    /// The data region, read into memory: the in-memory baseline.
    fn read_all(&self) -> Result<Vec<u64>, String> {
        let mut data = vec![0u64; self.count * W];
        let mut f = self.open()?;
        f.seek(SeekFrom::Start(self.data_start))
            .map_err(|e| self.err(e))?;
        f.read_exact(data.as_mut_bytes()).map_err(|e| self.err(e))?;
        Ok(data)
    }

    /// Random record indices, the same for every method (and for peers.py).
    fn indices(&self, n: usize) -> Vec<usize> {
        indices(n, self.count)
    }

    fn expected_records(idx: &[usize]) -> u64 {
        expected_records::<W>(idx)
    }

    fn random_read(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("random read", 5 * RUNS as u64);
        let fast = self.indices(2_000_000);
        let slow = &fast[..200_000];
        let (exp_fast, exp_slow) = (Self::expected_records(&fast), Self::expected_records(slow));
        let rec = Self::RECORD as u64;
        let mut push = |method, seconds, ops: usize| {
            results.push(Measurement {
                workload: "random_read",
                method,
                seconds,
                bytes: ops as u64 * rec,
                ops: ops as u64,
                latency: None,
            })
        };

        let memory = self.read_all()?;
        let recs: &[Rec<W>] =
            <[Rec<W>]>::ref_from_bytes(memory.as_bytes()).map_err(|e| e.to_string())?;
        push(
            "memory",
            self.time(exp_fast, "random_read/memory", || {
                Ok(fast
                    .iter()
                    .fold(0u64, |a, &i| a.wrapping_add(sum(black_box(&recs[i])))))
            })?,
            fast.len(),
        );
        drop(memory);

        let table = Table::<Rec<W>>::open_read(&self.path).map_err(|e| e.to_string())?;
        push(
            "mmap",
            self.time(exp_fast, "random_read/mmap", || {
                Ok(fast.iter().fold(0u64, |a, &i| {
                    a.wrapping_add(table.get(i).map_or(0, |r| sum(black_box(r))))
                }))
            })?,
            fast.len(),
        );
        // The same indices in one call: many cache misses in flight at once.
        let mut out: Vec<Rec<W>> = vec![[0; W]; fast.len()];
        push(
            "gather",
            self.time(exp_fast, "random_read/gather", || {
                table
                    .gather_into(&fast, &mut out)
                    .map_err(|e| e.to_string())?;
                Ok(out
                    .iter()
                    .fold(0u64, |a, r| a.wrapping_add(sum(black_box(r)))))
            })?,
            fast.len(),
        );
        drop((table, out));

        let f = self.open()?;
        push(
            "pread",
            self.time(exp_slow, "random_read/pread", || {
                let mut r: Rec<W> = [0; W];
                let mut total = 0u64;
                for &i in slow {
                    f.read_exact_at(r.as_mut_bytes(), self.data_start + i as u64 * rec)
                        .map_err(|e| self.err(e))?;
                    total = total.wrapping_add(sum(&r));
                }
                Ok(total)
            })?,
            slow.len(),
        );

        let mut reader = BufReader::new(self.open()?);
        push(
            "bufreader",
            self.time(exp_slow, "random_read/bufreader", || {
                let mut r: Rec<W> = [0; W];
                let mut total = 0u64;
                for &i in slow {
                    reader
                        .seek(SeekFrom::Start(self.data_start + i as u64 * rec))
                        .map_err(|e| self.err(e))?;
                    reader
                        .read_exact(r.as_mut_bytes())
                        .map_err(|e| self.err(e))?;
                    total = total.wrapping_add(sum(&r));
                }
                Ok(total)
            })?,
            slow.len(),
        );
        Ok(())
    }

    /// Writes records back in place (each record rewritten with its own words plus `gen`, then
    /// checked by reading back through the other path).
    fn random_write(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("random write", 2 * RUNS as u64);
        let fast = self.indices(2_000_000);
        let slow = &fast[..200_000];
        let rec = Self::RECORD as u64;
        let with_gen = |i: usize, generation: u64| -> Rec<W> {
            record::<W>(i).map(|w| w.wrapping_add(generation))
        };
        let exp = |idx: &[usize]| idx.len() as u64;

        let mut table = Table::<Rec<W>>::open(&self.path).map_err(|e| e.to_string())?;
        let seconds = self.time(exp(&fast), "random_write/mmap", || {
            for &i in &fast {
                if let Some(r) = table.get_mut(i) {
                    *r = with_gen(i, 1);
                }
            }
            Ok(fast.len() as u64)
        })?;
        drop(table);
        self.check_written(&fast, 1)?;
        results.push(Measurement {
            workload: "random_write",
            method: "mmap",
            seconds,
            bytes: fast.len() as u64 * rec,
            ops: fast.len() as u64,
            latency: None,
        });

        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(|e| self.err(e))?;
        let seconds = self.time(exp(slow), "random_write/pwrite", || {
            for &i in slow {
                let r = with_gen(i, 2);
                f.write_all_at(r.as_bytes(), self.data_start + i as u64 * rec)
                    .map_err(|e| self.err(e))?;
            }
            Ok(slow.len() as u64)
        })?;
        drop(f);
        self.check_written(slow, 2)?;
        results.push(Measurement {
            workload: "random_write",
            method: "pwrite",
            seconds,
            bytes: slow.len() as u64 * rec,
            ops: slow.len() as u64,
            latency: None,
        });
        Ok(())
    }

    fn check_written(&self, idx: &[usize], generation: u64) -> Result<(), String> {
        let f = self.open()?;
        let mut r: Rec<W> = [0; W];
        for &i in idx.iter().step_by(997) {
            f.read_exact_at(
                r.as_mut_bytes(),
                self.data_start + i as u64 * Self::RECORD as u64,
            )
            .map_err(|e| self.err(e))?;
            if r != record::<W>(i).map(|w| w.wrapping_add(generation)) {
                return Err(format!(
                    "random_write: record {i} does not hold what was written"
                ));
            }
        }
        Ok(())
    }

    /// Appends the file's worth of records to a new file, through an `Append` table; time
    /// includes growth and the final commit (`flush` for the table, `flush` of the buffer for
    /// BufWriter: both end in the page cache, and neither side msyncs or fsyncs).
    fn append(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("append", 3 * RUNS as u64);
        let n = self.count;
        let expected = n as u64;
        let out = self.dir.path().join("append.npy");
        let rec = Self::RECORD as u64;

        let seconds = self.time(expected, "append/mmap", || {
            let _ = std::fs::remove_file(&out);
            let mut t = Table::<Rec<W>>::create_append(&out).map_err(|e| e.to_string())?;
            for i in 0..n {
                t.push(record::<W>(i)).map_err(|e| e.to_string())?;
            }
            t.flush().map_err(|e| e.to_string())?;
            Ok(t.len() as u64)
        })?;
        let check = Table::<Rec<W>>::open_read(&out).map_err(|e| e.to_string())?;
        if check.len() != n || check.last() != Some(&record::<W>(n - 1)) {
            return Err("append/mmap: the file does not hold the appended records".into());
        }
        drop(check);
        results.push(Measurement {
            workload: "append",
            method: "mmap",
            seconds,
            bytes: n as u64 * rec,
            ops: n as u64,
            latency: None,
        });

        // The same, with two follower processes reading every record as it is committed
        // (one commit per 65,536 records; they sleep between commits).
        let followed = self.dir.path().join("followed.npy");
        let mut best = f64::INFINITY;
        for _ in 0..RUNS {
            let _ = std::fs::remove_file(&followed);
            let mut t = Table::<Rec<W>>::create_append(&followed).map_err(|e| e.to_string())?;
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
        results.push(Measurement {
            workload: "append",
            method: "mmap_followed",
            seconds: best,
            bytes: n as u64 * rec,
            ops: n as u64,
            latency: None,
        });

        let raw = self.dir.path().join("append.bin");
        let seconds = self.time(expected, "append/bufwriter", || {
            let f = File::create(&raw).map_err(|e| self.err(e))?;
            let mut w = BufWriter::new(f);
            for i in 0..n {
                w.write_all(record::<W>(i).as_bytes())
                    .map_err(|e| self.err(e))?;
            }
            w.flush().map_err(|e| self.err(e))?;
            Ok(std::fs::metadata(&raw).map_err(|e| self.err(e))?.len() / rec)
        })?;
        results.push(Measurement {
            workload: "append",
            method: "bufwriter",
            seconds,
            bytes: n as u64 * rec,
            ops: n as u64,
            latency: None,
        });
        Ok(())
    }
}

impl<const W: usize> Bench<W> {
    /// Scan and random reads from a cold page cache (see `cold.rs`).
    fn cold(&self, results: &mut Vec<Measurement>) -> Result<(), String> {
        self.stage("cold", 7);
        let expected_scan = expected_scan((self.count * W) as u64);
        let idx = self.indices(20_000);
        let runs = crate::cold::run(
            &self.path,
            self.data_start,
            self.count,
            Self::RECORD,
            &idx,
            expected_scan,
            Self::expected_records(&idx),
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
fn cleanup_on_ctrl_c(dir: &Path) {
    /// The files (then the directory) to remove, as C strings built before the handler exists.
    static PATHS: OnceLock<Vec<std::ffi::CString>> = OnceLock::new();
    let paths: Option<Vec<_>> = [
        "bench.npy",
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

fn per_op_ns(m: &Measurement) -> f64 {
    m.seconds * 1e9 / m.ops.max(1) as f64
}

fn gbps(m: &Measurement) -> f64 {
    m.bytes as f64 / m.seconds / 1e9
}

fn print_table(size: u64, record: usize, results: &[Measurement]) {
    println!(
        "recmap bench: {} MiB file, {record}-byte records, warm page cache, best of {RUNS}",
        size >> 20
    );
    println!(
        "{:<16} {:<15} {:>9} {:>12} {:>10} {:>12}",
        "workload", "method", "GB/s", "ns/record", "vs memory", "vs best I/O"
    );
    for m in results.iter().filter(|m| m.latency.is_none()) {
        let same: Vec<&Measurement> = results
            .iter()
            .filter(|r| r.workload == m.workload)
            .collect();
        let memory = same
            .iter()
            .find(|r| r.method == "memory")
            .map(|r| gbps(m) / gbps(r));
        let best_io = same
            .iter()
            .filter(|r| {
                r.method != "memory"
                    && !r.method.starts_with("mmap")
                    && r.method != "gather"
                    && !is_peer(r.method)
            })
            .map(|r| gbps(r))
            .fold(f64::NAN, f64::max);
        let ns_per_record = per_op_ns(m);
        println!(
            "{:<16} {:<15} {:>9.2} {:>12.1} {:>10} {:>12}",
            m.workload,
            m.method,
            gbps(m),
            ns_per_record,
            memory.map_or("-".into(), |r| format!("{r:.2}x")),
            if best_io.is_nan() {
                "-".into()
            } else {
                format!("{:.2}x", gbps(m) / best_io)
            },
        );
    }
}

/// The Python peers' method names (`benches/peers.py`), as the rows keep them.
const PEERS: [&str; 5] = [
    "numpy_memory",
    "numpy_memmap",
    "numpy_take",
    "cpython_mmap",
    "cpython_slice",
];

fn is_peer(method: &str) -> bool {
    PEERS.contains(&method)
}

/// Runs `benches/peers.py` on the bench's own file and adds its rows; without python3 and
/// numpy, says so and adds nothing.
fn run_peers(path: &Path, record: usize, results: &mut Vec<Measurement>) -> Result<(), String> {
    let script = std::env::var_os("RECMAP_PEERS_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers.py")));
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

/// recmap's mapped methods against each Python peer of the same workload.
fn print_peer_ratios(results: &[Measurement]) {
    let peers: Vec<&Measurement> = results.iter().filter(|m| is_peer(m.method)).collect();
    if peers.is_empty() {
        return;
    }
    println!();
    println!("recmap against Python on the same file and indices (higher is faster for recmap)");
    for ours in results
        .iter()
        .filter(|m| m.method == "mmap" || m.method == "gather")
        .filter(|m| m.workload == "scan" || m.workload == "random_read")
    {
        let ratios: Vec<String> = peers
            .iter()
            .filter(|p| p.workload == ours.workload)
            .map(|p| format!("{} {:.2}x", p.method, per_op_ns(p) / per_op_ns(ours)))
            .collect();
        println!(
            "{:<13} {:<14} {}",
            ours.workload,
            ours.method,
            ratios.join("  ")
        );
    }
}

fn print_tail(results: &[Measurement]) {
    let tail: Vec<&Measurement> = results.iter().filter(|m| m.latency.is_some()).collect();
    if tail.is_empty() {
        return;
    }
    println!();
    println!("tail: one writer process, one follower process (16-byte records, CLOCK_MONOTONIC)");
    println!(
        "{:<13} {:<16} {:>10} {:>10} {:>14}",
        "workload", "method", "p50 µs", "p99 µs", "records/s"
    );
    for m in tail {
        let (p50, p99) = m.latency.unwrap_or_default();
        println!(
            "{:<13} {:<16} {:>10.2} {:>10.2} {:>14.0}",
            m.workload,
            m.method,
            p50 as f64 / 1e3,
            p99 as f64 / 1e3,
            m.ops as f64 / m.seconds
        );
    }
}

fn print_json(size: u64, record: usize, results: &[Measurement]) {
    let rows: Vec<String> = results
        .iter()
        .map(|m| {
            let latency = m.latency.map_or(String::new(), |(p50, p99)| {
                format!(", \"p50_ns\": {p50}, \"p99_ns\": {p99}")
            });
            format!(
                "{{\"workload\": \"{}\", \"method\": \"{}\", \"seconds\": {:e}, \"bytes\": {}, \"ops\": {}{latency}}}",
                m.workload, m.method, m.seconds, m.bytes, m.ops
            )
        })
        .collect();
    println!(
        "{{\"size_bytes\": {size}, \"record_bytes\": {record}, \"results\": [{}]}}",
        rows.join(", ")
    );
}
