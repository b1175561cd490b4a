//! The host side: boots the driver in qemu (TCG) on a fresh ext4 image, kills it at a random
//! moment or logs every write with `blklogwrites`, recovers each state the disk could be left
//! in (`e2fsck -fy` replays ext4's journal; `debugfs rdump` copies the files out) and checks it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::check::{self, Reported};
use crate::log;
use crate::plan::{self, Plan, Rng};

pub struct Config {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub work: PathBuf,
    pub rounds: usize,
    pub logged: usize,
    pub jobs: usize,
    pub seed: u64,
    /// Also check, after each FLUSH, a state with a random half of the writes that followed it.
    pub subsets: bool,
    /// Keep the images of states with violations (under `work`).
    pub keep: bool,
}

type Result<T> = std::result::Result<T, String>;

fn run(cmd: &mut Command) -> Result<std::process::Output> {
    cmd.output().map_err(|e| format!("{cmd:?}: {e}"))
}

/// A fresh ext4 image holding the plan's staged files, made durable by mkfs itself.
fn make_image(plan: &Plan, dir: &Path) -> Result<PathBuf> {
    let stage = dir.join("stage");
    plan::stage(plan, &stage).map_err(|e| format!("stage: {e}"))?;
    let img = dir.join("disk.img");
    let out = run(Command::new("mkfs.ext4")
        .args([
            "-q",
            "-F",
            "-b",
            "4096",
            "-E",
            "lazy_itable_init=0,lazy_journal_init=0",
            "-d",
        ])
        .arg(&stage)
        .arg(&img)
        .arg("64M"))?;
    if !out.status.success() {
        return Err(format!(
            "mkfs.ext4: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(img)
}

fn qemu(cfg: &Config, seed: u64) -> Command {
    let mut c = Command::new("qemu-system-x86_64");
    c.args([
        "-accel",
        "tcg",
        "-m",
        "256",
        "-smp",
        "1",
        "-nodefaults",
        "-display",
        "none",
    ])
    .args(["-serial", "stdio", "-no-reboot", "-kernel"])
    .arg(&cfg.kernel)
    .arg("-initrd")
    .arg(&cfg.initrd)
    .arg("-append")
    .arg(format!(
        "console=ttyS0 quiet loglevel=1 panic=-1 pl.seed={seed}"
    ))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    c
}

/// What a VM printed: each driver line with the log's entry count when the host read it.
struct Vm {
    lines: Vec<(u64, String)>,
    /// From the driver's start to its end (or to the kill).
    ran: Duration,
    killed: bool,
    done: bool,
    errors: Vec<String>,
}

/// Boots `cmd`, collects its lines, and SIGKILLs it `kill_after` the driver's start.
fn boot(mut cmd: Command, kill_after: Option<Duration>, log: Option<File>) -> Result<Vm> {
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("qemu-system-x86_64: {e}"))?;
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let (tx, rx) = mpsc::channel::<(Instant, u64, String)>();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut line = String::new();
        // A line counts only whole: one cut short by the kill is no promise.
        while r.read_line(&mut line).is_ok_and(|n| n > 0) && line.ends_with('\n') {
            let entries = log.as_ref().map_or(0, log::entries_now);
            let _ = tx.send((Instant::now(), entries, line.trim().to_string()));
            line.clear();
        }
    });
    // A guard against a hung VM, not a measure: CI runs this beside other emulation on two
    // cores, where a whole logged run has taken over two minutes.
    let boot_deadline = Instant::now() + Duration::from_secs(600);
    let mut vm = Vm {
        lines: Vec::new(),
        ran: Duration::ZERO,
        killed: false,
        done: false,
        errors: Vec::new(),
    };
    let mut started: Option<Instant> = None;
    let mut kill_at: Option<Instant> = None;
    let mut cut = false;
    loop {
        let now = Instant::now();
        let wait = kill_at
            .unwrap_or(boot_deadline)
            .saturating_duration_since(now);
        match rx.recv_timeout(wait) {
            Ok((at, entries, line)) => {
                if line.starts_with("PL start") {
                    started = Some(at);
                    kill_at = kill_after.map(|d| at + d);
                } else if line == "PL done" {
                    vm.done = true;
                    vm.ran = started.map_or(Duration::ZERO, |s| at - s);
                } else if line.starts_with("PL error") || line.contains("Kernel panic") {
                    vm.errors.push(line.clone());
                }
                if line.starts_with("PL ") {
                    vm.lines.push((entries, line));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if kill_at.take().is_some() {
                    // The moment came: cut the power whether or not the driver has finished.
                    // A guest that printed "PL done" just before its moment may still be
                    // shutting down; the cut is one more state, not a hung VM (taking it for
                    // one failed a CI run).
                    let _ = child.kill();
                    cut = true;
                    if !vm.done {
                        vm.killed = true;
                        vm.ran = started.map_or(Duration::ZERO, |s| s.elapsed());
                    }
                    continue; // drain what qemu wrote before it died
                }
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the VM did not {} in time",
                    if started.is_some() {
                        "finish"
                    } else {
                        "start the driver"
                    }
                ));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let stderr = err_thread.join().unwrap_or_default();
    if !cut && !status.success() {
        return Err(format!("qemu exited with {status}: {stderr}"));
    }
    if started.is_none() {
        return Err(format!("the driver never started: {stderr}"));
    }
    Ok(vm)
}

/// Replays ext4's journal on `img` (changing it) and copies every scenario's directory out to
/// `out`.
fn recover(img: &Path, out: &Path) -> Result<()> {
    let fsck = run(Command::new("e2fsck").arg("-fy").arg(img))?;
    // 0: clean, 1: errors corrected (a replayed journal among them), 2: corrected, reboot.
    if fsck.status.code().is_none_or(|c| c > 2) {
        return Err(format!(
            "e2fsck could not repair the file system ({}): {}",
            fsck.status,
            String::from_utf8_lossy(&fsck.stdout)
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let cmds: String = plan::SCENARIOS
        .iter()
        .map(|s| format!("rdump /{s} {}\n", out.display()))
        .collect();
    let cmd_file = out.with_extension("debugfs");
    std::fs::write(&cmd_file, cmds).map_err(|e| e.to_string())?;
    let dump = run(Command::new("debugfs").arg("-f").arg(&cmd_file).arg(img))?;
    let _ = std::fs::remove_file(&cmd_file);
    if !dump.status.success() {
        return Err(format!(
            "debugfs: {}",
            String::from_utf8_lossy(&dump.stderr)
        ));
    }
    Ok(())
}

/// Recovers and checks one state image; returns its violations (labelled).
fn check_state(
    label: &str,
    img: &Path,
    plan: &Plan,
    reported: &Reported,
    keep: bool,
) -> Vec<String> {
    let out = img.with_extension("files");
    let mut v = match recover(img, &out) {
        Ok(()) => check::check(&out, plan, reported),
        Err(e) => vec![e],
    };
    for x in &mut v {
        *x = format!("{label}: {x}");
    }
    let _ = std::fs::remove_dir_all(&out);
    if v.is_empty() || !keep {
        let _ = std::fs::remove_file(img);
    }
    v
}

fn reported_upto(lines: &[(u64, String)], entries: u64) -> Reported {
    let mut r = Reported::new();
    for (e, line) in lines {
        if *e <= entries {
            check::record(&mut r, line);
        }
    }
    r
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    let out = run(Command::new("cp").arg("--sparse=always").arg(from).arg(to))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("cp: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// A pool of `jobs` threads checking states.
struct Pool {
    tx: Option<mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    fn new(jobs: usize) -> Pool {
        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..jobs.max(1))
            .map(|_| {
                let rx = Arc::clone(&rx);
                std::thread::spawn(move || {
                    loop {
                        let job = rx.lock().unwrap().recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        Pool {
            tx: Some(tx),
            threads,
        }
    }
    fn run(&self, job: impl FnOnce() + Send + 'static) {
        let _ = self.tx.as_ref().expect("open").send(Box::new(job));
    }
    fn finish(mut self) {
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

struct Tally {
    states: AtomicUsize,
    violations: Mutex<Vec<String>>,
}

/// One logged run: the driver runs to its end under `blklogwrites`; then every state at a FLUSH
/// (and, with `subsets`, a random half of the writes after it) is rebuilt from the pristine
/// image and checked against the lines reported before that FLUSH.
fn logged_run(
    cfg: &Config,
    n: usize,
    seed: u64,
    tally: &Arc<Tally>,
    jobs: usize,
) -> Result<Duration> {
    let dir = cfg.work.join(format!("logged-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let plan = Plan::new(seed);
    let img = make_image(&plan, &dir)?;
    // The replay starts from the image as it was before the VM wrote to it.
    let replay = dir.join("replay.img");
    copy(&img, &replay)?;
    let log_path = dir.join("writes.log");
    File::create(&log_path).map_err(|e| e.to_string())?;
    let mut cmd = qemu(cfg, seed);
    cmd.arg("-blockdev")
        .arg(format!(
            "driver=file,node-name=disk,filename={},cache.direct=on",
            img.display()
        ))
        .arg("-blockdev")
        .arg(format!(
            "driver=file,node-name=log,filename={}",
            log_path.display()
        ))
        .args([
            "-blockdev",
            "driver=blklogwrites,node-name=logged,file=disk,log=log",
        ])
        .args(["-device", "virtio-blk-pci,drive=logged,write-cache=on"]);
    let log_file = File::open(&log_path).map_err(|e| e.to_string())?;
    let vm = boot(cmd, None, Some(log_file))?;
    if !vm.errors.is_empty() || !vm.done {
        return Err(format!(
            "logged run {n} (seed {seed}): the driver failed: {:?}",
            vm.errors
        ));
    }
    let log_file = File::open(&log_path).map_err(|e| e.to_string())?;
    let entries = log::read(&log_file).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let flushes = entries.iter().filter(|e| e.is_flush()).count();
    let work = File::options()
        .read(true)
        .write(true)
        .open(&replay)
        .map_err(|e| e.to_string())?;
    let pool = Pool::new(jobs);
    let lines = Arc::new(vm.lines);
    let plan = Arc::new(plan);
    let mut rng = Rng(seed ^ 0x5EED);
    // The state at the previous FLUSH, held until the next one so that a random part of the
    // writes between them can be laid over a copy of it.
    let mut held: Option<(PathBuf, Reported, String)> = None;
    let mut since: Vec<log::Entry> = Vec::new();
    let submit = |pool: &Pool, label: String, img: PathBuf, reported: Reported| {
        let (plan, tally, keep) = (Arc::clone(&plan), Arc::clone(tally), cfg.keep);
        pool.run(move || {
            let v = check_state(&label, &img, &plan, &reported, keep);
            tally.states.fetch_add(1, Ordering::Relaxed);
            tally.violations.lock().unwrap().extend(v);
        });
    };
    for (i, e) in entries.iter().enumerate() {
        if e.is_write() {
            log::apply(&log_file, &work, e).map_err(|e| e.to_string())?;
            since.push(*e);
        }
        if !e.is_flush() {
            continue;
        }
        let reported = reported_upto(&lines, i as u64 + 1);
        if let Some((prev, prev_reported, prev_label)) = held.take() {
            if cfg.subsets && !since.is_empty() {
                let sub = dir.join(format!("sub-{i}.img"));
                copy(&prev, &sub)?;
                let f = File::options()
                    .write(true)
                    .open(&sub)
                    .map_err(|e| e.to_string())?;
                let mut kept = 0;
                for w in &since {
                    if rng.next() & 1 == 0 {
                        log::apply(&log_file, &f, w).map_err(|e| e.to_string())?;
                        kept += 1;
                    }
                }
                let label = format!(
                    "{prev_label} + {kept} of the {} writes after it",
                    since.len()
                );
                submit(&pool, label, sub, prev_reported.clone());
            }
            submit(&pool, prev_label, prev, prev_reported);
        }
        since.clear();
        let state = dir.join(format!("flush-{i}.img"));
        copy(&replay, &state)?;
        held = Some((
            state,
            reported,
            format!("logged run {n} (seed {seed}), FLUSH at entry {i}"),
        ));
    }
    if let Some((prev, reported, label)) = held.take() {
        submit(&pool, label, prev, reported);
    }
    pool.finish();
    println!(
        "logged run {n} (seed {seed}): driver {:.1} s, {} log entries, {flushes} FLUSHes, {} commit lines",
        vm.ran.as_secs_f64(),
        entries.len(),
        lines.len()
    );
    if !cfg.keep || tally.violations.lock().unwrap().is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(vm.ran)
}

/// One kill round: boots the driver and SIGKILLs qemu `kill_after` its start — the guest's page
/// cache is lost, what it handed to the virtual disk stays — then checks the disk against every
/// line read before the kill.
fn kill_round(cfg: &Config, n: usize, seed: u64, kill_after: Duration) -> Result<Vec<String>> {
    let dir = cfg.work.join(format!("round-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let plan = Plan::new(seed);
    let img = make_image(&plan, &dir)?;
    let mut cmd = qemu(cfg, seed);
    cmd.arg("-drive").arg(format!(
        "file={},format=raw,if=virtio,cache=none",
        img.display()
    ));
    let vm = boot(cmd, Some(kill_after), None)?;
    if !vm.errors.is_empty() {
        return Err(format!(
            "round {n} (seed {seed}): the driver failed: {:?}",
            vm.errors
        ));
    }
    let mut reported = Reported::new();
    for (_, line) in &vm.lines {
        check::record(&mut reported, line);
    }
    let label = format!(
        "round {n} (seed {seed}, {} after {:.2} s, {} commit lines)",
        if vm.killed { "killed" } else { "finished" },
        vm.ran.as_secs_f64(),
        vm.lines.len().saturating_sub(1)
    );
    let v = check_state(&label, &img, &plan, &reported, cfg.keep);
    println!(
        "{label}: {}",
        if v.is_empty() { "ok" } else { "VIOLATIONS" }
    );
    if v.is_empty() || !cfg.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(v)
}

/// Runs the logged runs, then the kill rounds; prints the summary line. `Err` on any
/// violation or failure.
pub fn main(cfg: Config) -> Result<()> {
    let began = Instant::now();
    std::fs::create_dir_all(&cfg.work).map_err(|e| e.to_string())?;
    let tally = Arc::new(Tally {
        states: AtomicUsize::new(0),
        violations: Mutex::new(Vec::new()),
    });
    let failures = Mutex::new(Vec::<String>::new());
    let shortest = Mutex::new(Duration::MAX);
    // The logged runs side by side, each checking its states with what is left of the jobs.
    std::thread::scope(|s| {
        for n in 0..cfg.logged {
            let (cfg, tally, failures, shortest) = (&cfg, &tally, &failures, &shortest);
            let per_run = (cfg.jobs / cfg.logged.max(1)).max(1);
            s.spawn(move || {
                match logged_run(
                    cfg,
                    n,
                    cfg.seed.wrapping_add(1000 + n as u64),
                    tally,
                    per_run,
                ) {
                    Ok(ran) => {
                        let mut l = shortest.lock().unwrap();
                        *l = (*l).min(ran);
                    }
                    Err(e) => failures.lock().unwrap().push(e),
                }
            });
        }
    });
    // Kill moments spread over the driver's run: unlogged, it runs about 15% faster than the
    // shortest logged run (or a guess without one).
    let window = match *shortest.lock().unwrap() {
        Duration::MAX => Duration::from_secs(2),
        d => d.mul_f64(0.85),
    };
    let next = AtomicUsize::new(0);
    let mut rng = Rng(cfg.seed ^ 0x4B11);
    let moments: Vec<Duration> = (0..cfg.rounds)
        .map(|_| window.mul_f64(rng.range(0, 10_000) as f64 / 10_000.0))
        .collect();
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs.max(1) {
            s.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= cfg.rounds {
                        break;
                    }
                    match kill_round(&cfg, n, cfg.seed.wrapping_add(n as u64), moments[n]) {
                        Ok(v) => tally.violations.lock().unwrap().extend(v),
                        Err(e) => failures.lock().unwrap().push(e),
                    }
                }
            });
        }
    });
    let violations = tally.violations.lock().unwrap().clone();
    let failures = failures.into_inner().unwrap();
    for v in &violations {
        println!("VIOLATION {v}");
    }
    for f in &failures {
        println!("FAILED {f}");
    }
    println!(
        "powerloss: {} rounds, {} replayed states, {} violations ({} logged runs, seed {}, {:.0} s)",
        cfg.rounds,
        tally.states.load(Ordering::Relaxed),
        violations.len(),
        cfg.logged,
        cfg.seed,
        began.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        return Err(format!("{} runs could not be carried out", failures.len()));
    }
    if !violations.is_empty() {
        return Err(format!("{} violations", violations.len()));
    }
    Ok(())
}
