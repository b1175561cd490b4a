//! `recmap bench`'s tail workload: this process appends timestamped records through an
//! `Append` table while a follower *process* (this binary, `recmap __follow`) waits for them
//! with `wait_for_len` and measures how long each took to arrive (`CLOCK_MONOTONIC`, which
//! both processes share; `QueryPerformanceCounter` on Windows).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use recmap::Table;

/// A record that carries the moment it was written.
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamp {
    index: u64,
    written_ns: u64,
}

/// One tail run, as reported.
pub struct TailRun {
    pub method: &'static str,
    pub records: u64,
    pub seconds: f64,
    pub p50_ns: u64,
    pub p99_ns: u64,
}

/// `CLOCK_MONOTONIC` in nanoseconds: the same clock in every process of the machine.
///
/// Not `Instant`: the writer and the follower are two processes, and a latency is one's
/// reading minus the other's, so the clock must be one the whole machine shares and whose
/// raw value can be sent; `Instant` promises neither.
#[cfg(unix)]
fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Windows' machine-wide monotonic clock, `QueryPerformanceCounter`, in nanoseconds: Microsoft
/// documents its readings as comparable between processes (and its frequency as fixed at
/// boot), which is what the follower's latencies need.
#[cfg(windows)]
fn now_ns() -> u64 {
    use std::sync::OnceLock;
    use windows_sys::Win32::System::Performance::{
        QueryPerformanceCounter, QueryPerformanceFrequency,
    };
    static FREQUENCY: OnceLock<u64> = OnceLock::new();
    let frequency = *FREQUENCY.get_or_init(|| {
        let mut f = 0i64;
        // SAFETY: `f` is a valid, writable i64; the call cannot fail on Windows XP or later.
        unsafe { QueryPerformanceFrequency(&mut f) };
        f.max(1) as u64
    });
    let mut count = 0i64;
    // SAFETY: as above.
    unsafe { QueryPerformanceCounter(&mut count) };
    (u128::from(count as u64) * 1_000_000_000 / u128::from(frequency)) as u64
}

/// How a run paces and commits, and how its follower waits.
#[derive(Clone, Copy)]
struct Config {
    method: &'static str,
    spin: bool,
    batch: u64,
    records: u64,
    /// The writer commits at most once per this many nanoseconds (0: flat out).
    gap_ns: u64,
}

const CONFIGS: [Config; 6] = [
    Config {
        method: "spin_commit1",
        spin: true,
        batch: 1,
        records: 50_000,
        gap_ns: 10_000,
    },
    Config {
        method: "spin_commit64",
        spin: true,
        batch: 64,
        records: 320_000,
        gap_ns: 50_000,
    },
    Config {
        method: "block_commit1",
        spin: false,
        batch: 1,
        records: 20_000,
        gap_ns: 50_000,
    },
    Config {
        method: "block_commit64",
        spin: false,
        batch: 64,
        records: 320_000,
        gap_ns: 50_000,
    },
    Config {
        method: "spin_flat_out",
        spin: true,
        batch: 64,
        records: 4_000_000,
        gap_ns: 0,
    },
    Config {
        method: "block_flat_out",
        spin: false,
        batch: 64,
        records: 4_000_000,
        gap_ns: 0,
    },
];

/// Runs every configuration in `dir`, each with at most `max_records` records (a small
/// `--size` makes a short run); `tick` is called after each.
pub fn run(dir: &Path, max_records: u64, mut tick: impl FnMut()) -> Result<Vec<TailRun>, String> {
    let mut runs = Vec::new();
    for config in &CONFIGS {
        let records = config.records.min(max_records.max(1024)) / config.batch * config.batch;
        runs.push(run_one(dir, &Config { records, ..*config })?);
        tick();
    }
    Ok(runs)
}

pub const RUN_COUNT: u64 = CONFIGS.len() as u64;

fn run_one(dir: &Path, c: &Config) -> Result<TailRun, String> {
    let path = dir.join("tail.npy");
    let _ = std::fs::remove_file(&path);
    let err = |e: recmap::Error| format!("tail/{}: {e}", c.method);
    let mut table = Table::<Stamp>::create_append(&path).map_err(err)?;
    table.reserve(c.records as usize).map_err(err)?;
    let exe = std::env::current_exe().map_err(|e| format!("tail: {e}"))?;
    let mut follower = Command::new(exe)
        .arg("__follow")
        .arg(&path)
        .arg(if c.spin { "spin" } else { "block" })
        .arg(c.records.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("tail: cannot start the follower: {e}"))?;
    let mut lines =
        BufReader::new(follower.stdout.take().ok_or("tail: no follower output")?).lines();
    // The follower says "ready" once it has the table open.
    match lines.next() {
        Some(Ok(l)) if l == "ready" => {}
        other => return Err(format!("tail: the follower did not start: {other:?}")),
    }
    let start = now_ns();
    let mut last_commit = start;
    for i in 0..c.records {
        table
            .push(Stamp {
                index: i,
                written_ns: now_ns(),
            })
            .map_err(err)?;
        if (i + 1) % c.batch == 0 {
            table.flush().map_err(err)?;
            while now_ns() < last_commit + c.gap_ns {
                std::hint::spin_loop();
            }
            last_commit = now_ns();
        }
    }
    table.flush().map_err(err)?;
    let report = lines
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| format!("tail/{}: the follower did not report", c.method))?;
    let status = follower.wait().map_err(|e| format!("tail: {e}"))?;
    if !status.success() {
        return Err(format!("tail/{}: the follower failed: {report}", c.method));
    }
    let nums: Vec<u64> = report
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [seen, p50_ns, p99_ns, first_ns, last_ns] = nums[..] else {
        return Err(format!("tail/{}: unexpected report {report:?}", c.method));
    };
    if seen != c.records {
        return Err(format!(
            "tail/{}: the follower saw {seen} of {} records",
            c.method, c.records
        ));
    }
    Ok(TailRun {
        method: c.method,
        records: c.records,
        seconds: last_ns.saturating_sub(first_ns.min(start)).max(1) as f64 / 1e9,
        p50_ns,
        p99_ns,
    })
}

/// The follower process: waits for `records` records, checking each one's index, and prints
/// `seen p50_ns p99_ns first_ns last_ns` (latencies from each record's write to its sight).
pub fn follow(path: &Path, spin: bool, records: u64) -> Result<(), String> {
    let mut t = Table::<Stamp>::open_read(path).map_err(|e| e.to_string())?;
    t.spin(if spin {
        Duration::from_secs(3600)
    } else {
        Duration::ZERO
    });
    println!("ready");
    let mut latencies = Vec::with_capacity(records as usize);
    let (mut seen, mut first, mut last) = (0usize, 0u64, 0u64);
    while (seen as u64) < records {
        let n = t
            .wait_for_len(seen + 1, Duration::from_secs(30))
            .map_err(|e| e.to_string())?;
        let now = now_ns();
        if n == seen {
            return Err(format!("no record for 30 s after {seen}"));
        }
        if seen == 0 {
            first = now;
        }
        last = now;
        for (i, s) in t[seen..n].iter().enumerate() {
            if s.index != (seen + i) as u64 {
                return Err(format!("record {} holds index {}", seen + i, s.index));
            }
            latencies.push(now.saturating_sub(s.written_ns));
        }
        seen = n;
    }
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!("{seen} {} {} {first} {last}", pick(0.5), pick(0.99));
    Ok(())
}

/// A follower of `bench`'s append workload: waits (asleep between commits) for `records`
/// records of `words` u64 words each, checks every word, and prints how many it saw.
pub fn follow_words(path: &Path, words: usize, records: u64) -> Result<(), String> {
    macro_rules! dispatch {
        ($($w:literal),*) => {
            match words {
                $($w => follow_words_of::<$w>(path, records),)*
                other => Err(format!("unsupported record of {other} words")),
            }
        };
    }
    dispatch!(1, 2, 4, 8, 16, 32, 64, 128, 512)
}

fn follow_words_of<const W: usize>(path: &Path, records: u64) -> Result<(), String> {
    let mut t = Table::<[u64; W]>::open_read(path).map_err(|e| e.to_string())?;
    t.spin(Duration::ZERO);
    println!("ready");
    let mut seen = 0usize;
    while (seen as u64) < records {
        let n = t
            .wait_for_len(seen + 1, Duration::from_secs(30))
            .map_err(|e| e.to_string())?;
        if n == seen {
            return Err(format!("no record for 30 s after {seen}"));
        }
        for (i, r) in t[seen..n].iter().enumerate() {
            let base = ((seen + i) * W) as u64;
            if r.iter().enumerate().any(|(j, &w)| w != base + j as u64) {
                return Err(format!("record {} is not what was written", seen + i));
            }
        }
        seen = n;
    }
    println!("{seen}");
    Ok(())
}

/// Starts `count` followers of the append workload's table and waits until each is ready.
pub fn start_word_followers(
    path: &Path,
    words: usize,
    records: u64,
    count: usize,
) -> Result<Vec<std::process::Child>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("append: {e}"))?;
    let mut children = Vec::new();
    for _ in 0..count {
        let mut child = Command::new(&exe)
            .arg("__follow")
            .arg(path)
            .arg(format!("words{words}"))
            .arg(records.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("append: cannot start a follower: {e}"))?;
        // Byte by byte: a buffered reader could swallow the report that comes later.
        let out = child.stdout.as_mut().ok_or("append: no follower output")?;
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while byte[0] != b'\n' {
            match std::io::Read::read(out, &mut byte) {
                Ok(1) => line.push(byte[0]),
                _ => break,
            }
        }
        if line.trim_ascii() != b"ready" {
            return Err(format!(
                "append: a follower did not start: {:?}",
                String::from_utf8_lossy(&line)
            ));
        }
        children.push(child);
    }
    Ok(children)
}

/// Waits for the followers and checks that each saw every record.
pub fn finish_word_followers(
    children: Vec<std::process::Child>,
    records: u64,
) -> Result<(), String> {
    for child in children {
        let out = child
            .wait_with_output()
            .map_err(|e| format!("append: {e}"))?;
        let said = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || said.trim() != records.to_string() {
            return Err(format!(
                "append: a follower failed or saw too little: {said:?}"
            ));
        }
    }
    Ok(())
}
