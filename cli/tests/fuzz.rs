//! A fuzz driver on stable Rust (no cargo-fuzz here): a seed corpus of real .npy files —
//! written by recmap and, where python3 and numpy are present, by numpy
//! (`tests/python/npy_corpus.py`) — mutated at random (header bytes, header text, shapes,
//! descrs, header lengths, versions, truncations) and fed to the header parser, to
//! `Table::open`/`open_read` in-process and to `recmap info`/`dump` as child processes under a
//! memory limit and a time limit.
//!
//! It checks: no panic, no hang, bounded memory (the children's peak RSS), refused files
//! byte-for-byte unchanged, and — with numpy — that accepted files dump as numpy reads them
//! (`tests/python/npy_oracle.py`).
//!
//! CI runs 2,000 cases with a fixed seed. More, or another seed:
//! `RECMAP_FUZZ_CASES=100000 RECMAP_FUZZ_SEED=7 cargo test --release -p recmap-cli --test fuzz -- --nocapture`.

// The root package's test helpers (Python, numpy, .npy builders, a seeded RNG).
#[path = "../../tests/common/mod.rs"]
mod common;

#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Rng, Trade};
use recmap::npy::Header;
use recmap::{Error, Table};

/// A child that runs longer than this has hung.
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// The children's address-space limit: a memory bomb fails fast instead of swapping.
const ADDRESS_SPACE_LIMIT: u64 = 2 << 30;
/// The most resident memory a child may have used (the CLI promises ≤ 64 MiB of its own).
const PEAK_RSS_LIMIT_KB: i64 = 96 << 10;

/// Tokens the text mutations splice into headers.
const TOKENS: &[&str] = &[
    "(",
    ")",
    ",",
    "'",
    "\"",
    "\\",
    ":",
    "[",
    "]",
    "{",
    "}",
    " ",
    "\n",
    "\r",
    "\t",
    "\0",
    "0",
    "1",
    "-1",
    "4L",
    "1_0",
    "007",
    "True",
    "False",
    "None",
    "1.5",
    "1e3",
    "0x10",
    "()",
    "[]",
    "(0,)",
    "(5, 1000000000000, 0)",
    "(99999999999,)",
    "(18446744073709551615,)",
    "'<u8'",
    "'>f4'",
    "'|V0'",
    "'|S0'",
    "'<U1000000'",
    "'<u3'",
    "'|O'",
    "'<M8[ns]'",
    "'<f16'",
    "'<c32'",
    "('<f8', (5,))",
    "[('a', '<u8'), ('a', '<u8')]",
    "[('', '|V3')]",
    "'descr'",
    "'shape'",
    "'fortran_order'",
    "u'x'",
    "'\\x41'",
    "'\\u00e9'",
    "'\\r'",
];

/// Descrs that stress sizes: wide subarrays, long names repeated per column, zero sizes.
fn descr_pool() -> Vec<String> {
    let long = "n".repeat(2000);
    vec![
        "'<u8'".into(),
        "'|u1'".into(),
        "[]".into(),
        "'|V0'".into(),
        "[('v', '|u1', (100000, 100000))]".into(),
        format!("[('{long}', '|u1', (1000000,))]"),
        format!("[('s', [('{long}', '<u8')], (100000,))]"),
        "('|V0', (1000000000000,))".into(),
        "[('a', '<u8', (0,)), ('b', '|u1')]".into(),
        "[('c', ('<f8', (5,)), (2,))]".into(),
        "'<U3'".into(),
        "'|S5'".into(),
        "'<c32'".into(),
        "[('x', [('y', [('z', '<i2', (3,))])])]".into(),
    ]
}

fn shape_pool() -> Vec<&'static str> {
    vec![
        "()",
        "(0,)",
        "(1,)",
        "(3,)",
        "(5, 1000000000000, 0)",
        "(1000000000000000000,)",
        "(2, 3)",
        "(3, 2, 1)",
        "(18446744073709551615,)",
        "(4L,)",
    ]
}

/// A .npy file from parts (any version, any header text, any data).
fn npy(version: (u8, u8), text: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[version.0, version.1]);
    let preamble = if version.0 == 1 { 10 } else { 12 };
    let total = (preamble + text.len() + 1).div_ceil(64) * 64;
    let len = total - preamble;
    if version.0 == 1 {
        out.extend_from_slice(&(len.min(65535) as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(text);
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out.extend_from_slice(data);
    out
}

/// Seeds that need no Python: tables recmap writes and hand-made headers.
fn rust_seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let p = dir.join("seed.npy");
    let mut t = Table::<Trade>::create(&p).unwrap();
    t.extend((0..5).map(|i| Trade {
        id: i,
        price: i as f64,
        qty: 1,
        side: 0,
        _pad: [0; 3],
    }))
    .unwrap();
    t.shrink_to_fit().unwrap();
    drop(t);
    seeds.push(std::fs::read(&p).unwrap());
    std::fs::remove_file(&p).unwrap();
    let mut t = Table::<[f32; 4]>::create(&p).unwrap();
    t.extend((0..7).map(|i| [i as f32; 4])).unwrap();
    drop(t);
    seeds.push(std::fs::read(&p).unwrap());
    std::fs::remove_file(&p).unwrap();
    for (descr, shape, data) in [
        ("'<u8'", "(3,)", vec![7u8; 24]),
        ("'>i2'", "(2, 2)", vec![1u8; 8]),
        ("[('a', '|u1'), ('b', '<U2')]", "(2,)", vec![65u8; 18]),
        ("'|S3'", "()", b"a\0b".to_vec()),
        ("'<f2'", "(4,)", vec![0x3c; 8]),
    ] {
        let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
        seeds.push(npy((1, 0), text.as_bytes(), &data));
    }
    seeds
}

/// numpy's seeds, if python3 and numpy are here.
fn numpy_seeds(dir: &Path) -> Vec<Vec<u8>> {
    let Some(python) = common::python3_with_numpy() else {
        return Vec::new();
    };
    let corpus = dir.join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/python/npy_corpus.py");
    let mut python = python;
    let out = python.arg(script).arg(&corpus).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Where the header text is in `file`, if the preamble says.
fn text_range(file: &[u8]) -> Option<(std::ops::Range<usize>, (u8, u8))> {
    let version = (*file.get(6)?, *file.get(7)?);
    let (pre, len): (usize, usize) = match version.0 {
        1 => (
            10,
            u16::from_le_bytes([*file.get(8)?, *file.get(9)?]) as usize,
        ),
        _ => (
            12,
            u32::from_le_bytes([*file.get(8)?, *file.get(9)?, *file.get(10)?, *file.get(11)?])
                as usize,
        ),
    };
    let end = pre.checked_add(len)?;
    (end <= file.len()).then_some((pre..end, version))
}

fn mutate(seed: &[u8], rng: &mut Rng, descrs: &[String], shapes: &[&str]) -> Vec<u8> {
    let mut file = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let header = text_range(&file);
        match rng.below(8) {
            // A random byte anywhere in the first 300.
            0 if !file.is_empty() => {
                let at = rng.below(file.len().min(300));
                file[at] = rng.next_u64() as u8;
            }
            // Splice a token into the header text.
            1 | 2 => {
                if let Some((range, version)) = header {
                    let mut text = file[range.clone()].to_vec();
                    let at = rng.below(text.len() + 1);
                    let cut = rng.below(4).min(text.len() - at.min(text.len()));
                    let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                    text.splice(at..at + cut, token.iter().copied());
                    let data = file[range.end..].to_vec();
                    file = npy(version, &text, &data);
                }
            }
            // A new descr or shape.
            3 | 4 => {
                if let Some((range, version)) = header {
                    let data = file[range.end..].to_vec();
                    let descr = &descrs[rng.below(descrs.len())];
                    let shape = shapes[rng.below(shapes.len())];
                    let text =
                        format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
                    file = npy(version, text.as_bytes(), &data);
                }
            }
            // Truncate.
            5 => {
                let at = rng.below(file.len() + 1);
                file.truncate(at);
            }
            // Header length bytes.
            6 if file.len() > 12 => {
                let at = 8 + rng.below(4);
                file[at] = rng.next_u64() as u8;
            }
            // Version bytes.
            _ if file.len() > 8 => {
                file[6] = [1, 2, 3, rng.next_u64() as u8][rng.below(4)];
                file[7] = [0, 0, 0, rng.next_u64() as u8][rng.below(4)];
            }
            _ => {}
        }
    }
    file
}

/// What one child run did.
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    peak_rss_kb: i64,
    hung: bool,
    stderr: String,
}

#[cfg(unix)]
fn run_cli(args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recmap"));
    cmd.args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    // SAFETY: between fork and exec the child only calls `setrlimit`, which is
    // async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE_LIMIT,
                rlim_max: ADDRESS_SPACE_LIMIT,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    // Reaped below with `wait4`, which std's `wait` cannot replace: it also reports the peak RSS.
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut s);
        s
    });
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut hung = false;
    loop {
        // SAFETY: `pid` is our child, not yet reaped; `status` and `usage` are valid places.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if start.elapsed() > TIME_LIMIT {
            hung = true;
            // SAFETY: signals our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: as above, now blocking until it is gone.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let stderr = reader.join().unwrap();
    Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        peak_rss_kb: usage.ru_maxrss,
        hung,
        stderr,
    }
}

/// Windows: the child runs in a job object whose per-process limit on committed memory
/// stands for `RLIMIT_AS` (it is assigned right after the spawn — std cannot start a child
/// suspended — so the limit guards against a memory bomb from the child's first moments on,
/// not before), and its peak working set (`GetProcessMemoryInfo`, read before the handle is
/// closed) stands for `ru_maxrss`. There are no signals: a crash is an exit code (an
/// `NTSTATUS` such as 0xC0000005), which fails the `Some(0 | 1)` check.
#[cfg(windows)]
fn run_cli(args: &[&str]) -> Run {
    // Under wine a child now and then dies before `main` with STATUS_DLL_INIT_FAILED
    // (0xC0000142) and says nothing (seen once in 6,000 runs): wine's loader, not recmap, so
    // under wine such a run is repeated, a few times. Elsewhere it fails the case.
    const STATUS_DLL_INIT_FAILED: i32 = 0xC000_0142_u32 as i32;
    let wine = std::env::var_os("RECMAP_UNDER_WINE").is_some();
    let mut run = run_cli_once(args);
    for _ in 0..5 {
        if !(wine && run.code == Some(STATUS_DLL_INIT_FAILED) && run.stderr.is_empty()) {
            break;
        }
        eprintln!("wine: a child failed to start (STATUS_DLL_INIT_FAILED); running it again");
        run = run_cli_once(args);
    }
    run
}

#[cfg(windows)]
fn run_cli_once(args: &[&str]) -> Run {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        JOB_OBJECT_LIMIT_PROCESS_MEMORY, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
        JobObjectExtendedLimitInformation, SetInformationJobObject,
    };
    use windows_sys::Win32::System::ProcessStatus::{
        GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS,
    };

    // SAFETY: no security attributes and no name: a new, unnamed job object (or null).
    let job = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
    assert!(
        !job.is_null(),
        "CreateJobObjectW: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: an all-zero JOBOBJECT_EXTENDED_LIMIT_INFORMATION is valid (no limits).
    let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    limits.BasicLimitInformation.LimitFlags =
        JOB_OBJECT_LIMIT_PROCESS_MEMORY | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    limits.ProcessMemoryLimit = ADDRESS_SPACE_LIMIT as usize;
    // SAFETY: `job` is our job object; `limits` is the structure this class names, and its
    // size is passed with it.
    let set = unsafe {
        SetInformationJobObject(
            job,
            JobObjectExtendedLimitInformation,
            (&raw const limits).cast(),
            size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        )
    };
    assert_ne!(
        set,
        0,
        "SetInformationJobObject: {}",
        std::io::Error::last_os_error()
    );

    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_recmap"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
    };
    // wine's CreateProcess now and then fails with ERROR_INTERNAL_ERROR (1359) when the
    // machine is busy (seen once in a few hundred spawns while builds ran beside it; never
    // when idle): under wine, such a spawn is tried again, a few times.
    let mut child = spawn();
    let wine = std::env::var_os("RECMAP_UNDER_WINE").is_some();
    for _ in 0..5 {
        match &child {
            Err(e) if wine && e.raw_os_error() == Some(1359) => {
                eprintln!("wine: CreateProcess failed with ERROR_INTERNAL_ERROR; spawning again");
                std::thread::sleep(Duration::from_millis(50));
                child = spawn();
            }
            _ => break,
        }
    }
    let mut child = child.unwrap();
    let process = child.as_raw_handle() as HANDLE;
    // SAFETY: both handles are live: the job's is ours, the process's is owned by `child`.
    let assigned = unsafe { AssignProcessToJobObject(job, process) };
    assert_ne!(
        assigned,
        0,
        "AssignProcessToJobObject: {}",
        std::io::Error::last_os_error()
    );
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut s);
        s
    });
    // The peak working set in bytes, as the process's counters say it now.
    let peak_now = || {
        // SAFETY: an all-zero PROCESS_MEMORY_COUNTERS is a valid place to fill.
        let mut counters: PROCESS_MEMORY_COUNTERS = unsafe { std::mem::zeroed() };
        // SAFETY: the process handle is open (`child` owns it until dropped, after the last
        // call); `counters` is writable and its size is passed with it.
        let got = unsafe {
            GetProcessMemoryInfo(
                process,
                &mut counters,
                size_of::<PROCESS_MEMORY_COUNTERS>() as u32,
            )
        };
        assert_ne!(
            got,
            0,
            "GetProcessMemoryInfo: {}",
            std::io::Error::last_os_error()
        );
        counters.PeakWorkingSetSize
    };
    let start = Instant::now();
    let mut hung = false;
    // Windows keeps an exited process's counters for as long as a handle to it is open; the
    // peak is also sampled while the child runs, in case they are gone by then.
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak.max(peak_now());
        if start.elapsed() > TIME_LIMIT {
            hung = true;
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    peak = peak.max(peak_now());
    // SAFETY: `job` is ours and closed once.
    unsafe { CloseHandle(job) };
    let stderr = reader.join().unwrap();
    Run {
        code: status.code(),
        signal: None,
        peak_rss_kb: (peak / 1024) as i64,
        hung,
        stderr,
    }
}

/// The in-process checks: no panic; a refused file is unchanged.
fn in_process(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let parsed = std::panic::catch_unwind(|| Header::parse(bytes).is_ok());
    if parsed.is_err() {
        return Err("Header::parse panicked".into());
    }
    macro_rules! open_as {
        ($($t:ty),*) => {$(
            for writable in [false, true] {
                let opened = std::panic::catch_unwind(|| {
                    let r: Result<usize, Error> = if writable {
                        Table::<$t>::open(path).map(|t| t.len())
                    } else {
                        Table::<$t>::open_read(path).map(|t| t.len())
                    };
                    r
                });
                match opened {
                    Err(_) => return Err(format!("Table::<{}> open panicked", stringify!($t))),
                    Ok(Err(_)) => {
                        if std::fs::read(path).unwrap() != bytes {
                            return Err(format!("a refused Table::<{}> open changed the file", stringify!($t)));
                        }
                    }
                    // An accepted writable open may rewrite a foreign header: start again.
                    Ok(Ok(_)) => std::fs::write(path, bytes).unwrap(),
                }
            }
        )*};
    }
    open_as!(u8, u64, [f32; 4], Trade);
    Ok(())
}

#[test]
fn fuzz_headers_tables_and_the_cli() {
    let cases: usize = std::env::var("RECMAP_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let seed: u64 = std::env::var("RECMAP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    let mut seeds = rust_seeds(dir.path());
    let numpy = numpy_seeds(dir.path());
    let have_numpy = !numpy.is_empty();
    seeds.extend(numpy);
    let (descrs, shapes) = (descr_pool(), shape_pool());
    let mut rng = Rng::new(seed);
    let accepted_dir = dir.path().join("accepted");
    std::fs::create_dir(&accepted_dir).unwrap();
    let (mut failures, mut accepted, mut refused, mut peak) = (Vec::new(), 0usize, 0usize, 0i64);
    let path = dir.path().join("case.npy");
    let p = path.to_str().unwrap();
    let started = Instant::now();
    for case in 0..cases {
        // The seeds themselves first, then mutations.
        let bytes = if case < seeds.len() {
            seeds[case].clone()
        } else {
            mutate(&seeds[rng.below(seeds.len())], &mut rng, &descrs, &shapes)
        };
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = in_process(&path, &bytes) {
            failures.push(format!("case {case}: {e}"));
            continue;
        }
        let mut ok = true;
        // At most 64 records: the driver tests decoding, not printing 10^18 empty records.
        let count = Header::parse(&bytes).map_or(0, |h| h.count().min(64));
        let range = format!("0..{count}");
        for args in [
            vec!["info", p],
            vec!["dump", p, "--range", &range],
            vec!["dump", p, "--format", "json", "--range", &range],
        ] {
            let run = run_cli(&args);
            peak = peak.max(run.peak_rss_kb);
            let one_line = run.stderr.lines().count() <= 1;
            if run.hung || run.signal.is_some() || !matches!(run.code, Some(0 | 1)) || !one_line {
                failures.push(format!(
                    "case {case} {args:?}: hung {} signal {:?} code {:?} stderr {:?}",
                    run.hung, run.signal, run.code, run.stderr
                ));
            }
            if run.peak_rss_kb > PEAK_RSS_LIMIT_KB {
                failures.push(format!(
                    "case {case} {args:?}: peak RSS {} KiB",
                    run.peak_rss_kb
                ));
            }
            ok &= run.code == Some(0);
        }
        if std::fs::read(&path).unwrap() != bytes {
            failures.push(format!("case {case}: the CLI changed the file"));
        }
        if ok {
            accepted += 1;
            if accepted <= 400 {
                std::fs::write(accepted_dir.join(format!("{case:06}.npy")), &bytes).unwrap();
            }
        } else {
            refused += 1;
        }
    }
    eprintln!(
        "fuzz: {cases} cases (seed {seed}, {} seeds{}), {accepted} read, {refused} refused, {} failures, peak child RSS {} KiB, {:.1} s",
        seeds.len(),
        if have_numpy { " incl. numpy's" } else { "" },
        failures.len(),
        peak,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{:#?}",
        &failures[..failures.len().min(20)]
    );

    // Accepted files dump as numpy reads them.
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&accepted_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut python = python;
    let out = python
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/python/npy_oracle.py"
        ))
        .args(["--limit", "64"])
        .arg(env!("CARGO_BIN_EXE_recmap"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let mismatches: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("MISMATCH"))
        .collect();
    let numpy_refuses: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("NUMPY-REFUSES"))
        .collect();
    let count = |prefix: &str| report.lines().filter(|l| l.starts_with(prefix)).count();
    eprintln!(
        "fuzz vs numpy: {} accepted files compared: {} equal, {} that numpy loads but cannot \
         show (code points that are no char), {} numpy refuses, {} recmap refuses",
        files.len(),
        count("ok"),
        count("numpy-cannot-show"),
        numpy_refuses.len(),
        count("RECMAP-REFUSES"),
    );
    for l in &numpy_refuses {
        eprintln!("  {}", &l[..l.len().min(300)]);
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
