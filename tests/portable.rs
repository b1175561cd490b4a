//! Attacks on the role locks where they are POSIX record locks plus this process's table of
//! holders (macOS; Linux under `RECMAP_SYS=portable`): threads of one process racing opens,
//! closes and locks of one file, `fork` children, descriptors parked and taken back, relayout
//! by rename, errors half-way through a lock, SIGKILL. Every test passes in both modes and
//! asserts the same behaviour in both: the rules of `src/map/lock.rs` hold identically.
//!
//! The children are this test binary itself, re-run with `RECMAP_PORTABLE_ROLE` set (see
//! `portable_child`); they inherit `RECMAP_SYS` (and `RECMAP_COMMIT_PROTOCOL` where a test
//! sets it), so every process of a test takes the same paths.
//!
//! Unix only: the attacks use `fork`, signals and /proc (Windows has its own lock layer,
//! tested by tests/trust.rs and tests/live.rs under wine).
#![cfg(unix)]

mod common;

use std::io::{BufRead, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Tick;
use recmap::{Access, Error, LockHolder, Map, MapOptions, Table, TableOptions};

const ROLE_ENV: &str = "RECMAP_PORTABLE_ROLE";
const PATH_ENV: &str = "RECMAP_PORTABLE_PATH";

/// The role bytes of `src/map/lock.rs`, as other programs see them.
const INTENT: i64 = i64::MAX - 3;
const ACCESS: i64 = i64::MAX - 2;
const APPEND: i64 = i64::MAX - 1;

fn spawn_with(role: &str, path: &Path, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "portable_child",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(ROLE_ENV, role)
    .env(PATH_ENV, path)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn spawn(role: &str, path: &Path) -> Child {
    spawn_with(role, path, &[])
}

/// The next line the child prints (see `common::child_line`).
fn line_from(child: &mut Child) -> String {
    common::child_line(child.stdout.as_mut().unwrap(), "portable_child")
}

/// Tells the child to go on (a line on its stdin).
fn tell(child: &mut Child, what: &str) {
    writeln!(child.stdin.as_mut().unwrap(), "{what}").unwrap();
}

/// Waits for the line the parent sends (see [`tell`]).
fn wait_for_parent() -> String {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}

/// Runs the role named by `RECMAP_PORTABLE_ROLE`; an ordinary test run does nothing here.
#[test]
fn portable_child() {
    let (Some(role), Some(path)) = (std::env::var_os(ROLE_ENV), std::env::var_os(PATH_ENV)) else {
        return;
    };
    let path = PathBuf::from(path);
    match role.to_str() {
        Some("prober") => prober(&path),
        Some("fork-reader") => fork_reader(&path),
        Some("fork-writer") => fork_writer(&path),
        Some("churn") => churn_role(&path),
        Some("tail-same-process") => tail_same_process(&path),
        Some("hold-reader") => hold_reader(&path),
        Some("hold-appender") => hold_appender(&path),
        other => panic!("unknown role {other:?}"),
    }
}

/// Which roles another process can take on `path` now, one line per line of stdin: `map M
/// write W append A` with each `ok` or the refusal's `exclusive`/`held_by`.
fn prober(path: &Path) {
    println!("ready");
    while let Ok(what) = std::panic::catch_unwind(wait_for_parent) {
        if what.is_empty() || what == "quit" {
            return;
        }
        println!(
            "map {} write {} append {}",
            outcome(Map::open(path, Access::Read).map(drop)),
            outcome(Map::open(path, Access::Write).map(drop)),
            outcome(Table::<u64>::open_append(path).map(drop)),
        );
    }
}

/// `ok`, or a refusal as `locked(exclusive,held_by)`; anything else panics.
fn outcome(res: recmap::Result<()>) -> String {
    match res {
        Ok(()) => "ok".into(),
        Err(Error::Locked {
            exclusive, held_by, ..
        }) => format!("locked({exclusive},{held_by:?})"),
        Err(e) => format!("error({e})"),
    }
}

/// The kernel's locks on `path`'s inode that cover `byte`: `(kind, type)`, e.g.
/// `("POSIX", "READ")` (from /proc/locks; waiters are left out).
fn kernel_locks(ino: u64, byte: i64) -> Vec<(String, String)> {
    let locks = std::fs::read_to_string("/proc/locks").unwrap();
    locks
        .lines()
        .filter(|l| !l.contains("->"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.get(5)?.rsplit(':').next()? != ino.to_string() {
                return None;
            }
            let start: i64 = f.get(6)?.parse().ok()?;
            let end: i64 = match *f.get(7)? {
                "EOF" => i64::MAX,
                n => n.parse().ok()?,
            };
            (start <= byte && byte <= end).then(|| (f[1].to_string(), f[3].to_string()))
        })
        .collect()
}

/// Whether the kernel shows a lock on `byte` of the file `ino`. /proc/locks is generated a
/// page at a time, and a lock that another holder drops meanwhile can shift a line out of
/// the copy: a lock missing from one look is looked for again (a lock really dropped stays
/// missing while its holder lives).
fn kernel_locked(ino: u64, byte: i64) -> bool {
    (0..5).any(|i| {
        if i > 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
        !kernel_locks(ino, byte).is_empty()
    })
}

fn ino(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().ino()
}

/// The descriptors this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// One test at a time: several count this process's descriptors and read /proc/locks.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn portable() -> bool {
    std::env::var_os("RECMAP_SYS").is_some_and(|v| v == "portable")
}

/// A file of `len` bytes, each `fill`.
fn data_file(dir: &Path, name: &str, len: usize, fill: u8) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, vec![fill; len]).unwrap();
    path
}

// ---------------------------------------------------------------------------------------
// 1. A close in one thread, a lock in another.

/// Two threads open and drop `Read` maps of one file as fast as they can, and a third maps
/// it without a lock (`open_unlocked`, whose descriptor holds nothing) and drops that: while
/// a thread holds its map, the kernel must show a lock on `ACCESS` — a close of another
/// descriptor of the file (which drops every POSIX lock of the process) must never land
/// between another thread's lock and its use.
#[test]
fn a_close_in_one_thread_never_drops_the_lock_another_thread_just_took() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = data_file(dir.path(), "f", 4096, 7);
    let ino = ino(&path);
    let stop = AtomicBool::new(false);
    let (held, unlocked_kernel) = (AtomicU64::new(0), AtomicU64::new(0));
    let fds_before = open_fds();
    let deadline = Instant::now() + Duration::from_secs(3);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let m = Map::open(&path, Access::Read).unwrap();
                    assert_eq!(m[4095], 7);
                    if !kernel_locked(ino, ACCESS) {
                        unlocked_kernel.fetch_add(1, Ordering::Relaxed);
                    }
                    held.fetch_add(1, Ordering::Relaxed);
                    drop(m);
                }
            });
        }
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: nothing writes or truncates the file during this test.
                let m = unsafe { MapOptions::new().open_unlocked(&path) }.unwrap();
                assert_eq!(m[0], 7);
            }
        });
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let held = held.load(Ordering::Relaxed);
    assert!(held > 1000, "only {held} maps taken");
    assert_eq!(
        unlocked_kernel.load(Ordering::Relaxed),
        0,
        "maps held with no kernel lock, of {held}"
    );
    // Nothing left behind: no lock, no parked descriptor.
    assert_eq!(kernel_locks(ino, ACCESS), Vec::new());
    assert_eq!(open_fds(), fds_before);
}

// ---------------------------------------------------------------------------------------
// 2. fork.

/// Holds a `Read` map, forks; the child opens its own `Read` map and says so; the parent then
/// drops its map and says `parent let go`. The child holds its map until told to quit. With
/// OFD locks the child's own open is locked in the kernel; with POSIX locks the child holds
/// none of the parent's, so its own open must take the kernel's lock itself.
fn fork_reader(path: &Path) {
    let parent_map = Map::open(path, Access::Read).unwrap();
    let (mut to_child, mut from_child) = ([0i32; 2], [0i32; 2]);
    // SAFETY: `pipe` writes two descriptors into each array.
    unsafe {
        assert_eq!(libc::pipe(to_child.as_mut_ptr()), 0);
        assert_eq!(libc::pipe(from_child.as_mut_ptr()), 0);
    }
    // SAFETY: this process runs this role alone (`--test-threads=1`, the harness's main
    // thread waits); the child opens a map, talks over the pipes and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let child_map = Map::open(path, Access::Read);
        let code = match &child_map {
            Ok(m) if m[0] == 7 => 0,
            Ok(_) => 2,
            Err(_) => 3,
        };
        let mut byte = [code as u8];
        // SAFETY: writes/reads one byte through pipe descriptors this process owns, then
        // leaves without unwinding (the map's lock dies with the process).
        unsafe {
            libc::write(from_child[1], byte.as_ptr().cast(), 1);
            libc::read(to_child[0], byte.as_mut_ptr().cast(), 1);
        }
        drop(child_map);
        // SAFETY: leaves without unwinding.
        unsafe {
            libc::_exit(code);
        }
    }
    let mut byte = [0u8];
    // SAFETY: reads one byte from our end of the pipe into `byte`.
    let got = unsafe { libc::read(from_child[0], byte.as_mut_ptr().cast(), 1) };
    assert_eq!(got, 1);
    println!("child opened {}", byte[0]);
    drop(parent_map);
    println!("parent let go");
    wait_for_parent();
    // SAFETY: one byte to the child, then wait for it; `status` is a valid out-pointer.
    let status = unsafe {
        libc::write(to_child[1], byte.as_ptr().cast(), 1);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        status
    };
    println!("child exit {}", libc::WEXITSTATUS(status));
}

/// As [`fork_reader`], but the parent holds a `Write` map: the child's `Read` map is refused
/// by the parent's writer in both modes.
fn fork_writer(path: &Path) {
    let parent_map = Map::open(path, Access::Write).unwrap();
    // SAFETY: as in `fork_reader`; the child only tries a map and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = match Map::open(path, Access::Read) {
            Err(Error::Locked {
                exclusive: false,
                held_by: LockHolder::Writer,
                ..
            }) => 0,
            Err(_) => 2,
            Ok(_) => 3,
        };
        // SAFETY: leaves without unwinding.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid out-pointer.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    println!("child exit {}", libc::WEXITSTATUS(status));
    drop(parent_map);
}

#[test]
fn a_fork_child_that_opens_a_file_its_parent_holds_takes_its_own_kernel_lock() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = data_file(dir.path(), "f", 4096, 7);
    let mut forker = spawn("fork-reader", &path);
    assert_eq!(line_from(&mut forker), "child opened 0");
    assert_eq!(line_from(&mut forker), "parent let go");
    // The child still holds its `Read` map: no writer may take the file now.
    match Map::open(&path, Access::Write) {
        Err(Error::Locked {
            exclusive: true,
            held_by: LockHolder::Readers,
            ..
        }) => {}
        Ok(_) => panic!("a writer took the file while the fork child held a Read map"),
        Err(e) => panic!("{e:?}"),
    }
    // The child's own lock; with OFD locks also the parent's, which the descriptor the child
    // inherited keeps alive (an open file description's lock goes with its last descriptor).
    let want = if portable() { 1 } else { 2 };
    assert_eq!(kernel_locks(ino(&path), ACCESS).len(), want);
    tell(&mut forker, "go");
    assert_eq!(line_from(&mut forker), "child exit 0");
    assert!(forker.wait().unwrap().success());
    assert_eq!(kernel_locks(ino(&path), ACCESS), Vec::new());
    drop(Map::open(&path, Access::Write).unwrap());
}

#[test]
fn a_fork_child_is_refused_by_its_parents_writer() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = data_file(dir.path(), "f", 4096, 7);
    let mut forker = spawn("fork-writer", &path);
    assert_eq!(line_from(&mut forker), "child exit 0");
    assert!(forker.wait().unwrap().success());
}

// ---------------------------------------------------------------------------------------
// 3. Every role, churned by threads of two processes at once.

/// Counters shared by every process of the churn test, in a file mapped with plain `mmap`
/// (no recmap lock): how many hold each role now, and how often each was taken.
struct Counters(&'static [AtomicU64; 16]);

const EXCLUSIVE: usize = 0; // a `Write` map or a `ReadWrite` table
const APPENDER: usize = 1;
const SHARED: usize = 2; // a `Read` map
const FOLLOWER: usize = 3; // a table reader
const OVERLAPS: usize = 4;
const NO_KERNEL_LOCK: usize = 5;
const TAKEN: usize = 8; // + role
const REFUSED: usize = 12; // + role

impl Counters {
    fn map(path: &Path) -> Counters {
        use std::os::fd::AsRawFd;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .unwrap();
        f.set_len(4096).unwrap();
        // SAFETY: a new shared mapping of 4096 bytes of a file this test owns; it is never
        // unmapped (leaked for the process's life), and only ever accessed as atomics.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        // SAFETY: the mapping is page-aligned, 4096 bytes (more than 16 u64s), lives forever,
        // and is only used through atomics.
        Counters(unsafe { &*(p as *const [AtomicU64; 16]) })
    }

    /// Counts `role` as held, and an overlap if a role it excludes is held too. A count goes
    /// up after the lock is taken and down before it goes, so a count that says "held" is a
    /// lock really held at that moment.
    fn enter(&self, role: usize) {
        self.0[role].fetch_add(1, Ordering::SeqCst);
        self.0[TAKEN + role].fetch_add(1, Ordering::Relaxed);
        let n = |r: usize| self.0[r].load(Ordering::SeqCst);
        let overlap = match role {
            EXCLUSIVE => n(EXCLUSIVE) > 1 || n(APPENDER) + n(SHARED) + n(FOLLOWER) > 0,
            APPENDER => n(EXCLUSIVE) > 0 || n(APPENDER) > 1 || n(SHARED) > 0,
            SHARED => n(EXCLUSIVE) + n(APPENDER) > 0,
            _ => n(EXCLUSIVE) > 0,
        };
        if overlap {
            eprintln!(
                "overlap: role {role} took it with {:?} held (pid {})",
                [n(EXCLUSIVE), n(APPENDER), n(SHARED), n(FOLLOWER)],
                std::process::id()
            );
            self.0[OVERLAPS].fetch_add(1, Ordering::SeqCst);
        }
    }

    fn leave(&self, role: usize) {
        self.0[role].fetch_sub(1, Ordering::SeqCst);
    }

    /// Counts it if the kernel shows no lock on `byte` of the file `ino` (while a role that
    /// holds one is held).
    fn kernel_locked(&self, ino: u64, byte: i64) {
        if !kernel_locked(ino, byte) {
            self.0[NO_KERNEL_LOCK].fetch_add(1, Ordering::SeqCst);
        }
    }

    fn get(&self, i: usize) -> u64 {
        self.0[i].load(Ordering::SeqCst)
    }
}

/// Whether every record of `t` is the one the churn's appenders push (`Tick::new(i)`).
fn ticks_ok(t: &[Tick]) -> bool {
    t.iter().enumerate().all(|(i, r)| *r == Tick::new(i as u64))
}

/// Takes random roles on the table at `path` for `run`, in this thread; panics on anything
/// but a grant or a refusal that names the refused kind exactly.
fn churn(path: &Path, counters: &Counters, seed: u64, run: Duration) {
    let mut rng = common::Rng::new(seed);
    let ino = ino(path);
    let deadline = Instant::now() + run;
    while Instant::now() < deadline {
        let role = rng.below(5);
        let mut table_options = TableOptions::new();
        let mut map_options = MapOptions::new();
        if rng.below(4) == 0 {
            let d = Duration::from_micros(rng.range(0, 3000) as u64);
            table_options.lock_timeout(d);
            map_options.lock_timeout(d);
        }
        let hold = Duration::from_micros(rng.range(0, 300) as u64);
        let (kind, res): (usize, recmap::Result<()>) = match role {
            0 => (
                EXCLUSIVE,
                map_options.access(Access::Write).open(path).map(|m| {
                    counters.enter(EXCLUSIVE);
                    counters.kernel_locked(ino, ACCESS);
                    std::thread::sleep(hold);
                    counters.leave(EXCLUSIVE);
                    drop(m)
                }),
            ),
            1 => (
                EXCLUSIVE,
                table_options.open::<Tick>(path).map(|t| {
                    counters.enter(EXCLUSIVE);
                    assert!(ticks_ok(&t));
                    std::thread::sleep(hold);
                    counters.leave(EXCLUSIVE);
                }),
            ),
            2 => (
                APPENDER,
                table_options.open_append::<Tick>(path).map(|mut t| {
                    counters.enter(APPENDER);
                    for _ in 0..rng.below(50) {
                        let next = Tick::new(t.len() as u64);
                        t.push(next).unwrap();
                        if rng.below(8) == 0 {
                            t.flush().unwrap();
                        }
                    }
                    t.flush().unwrap();
                    std::thread::sleep(hold);
                    counters.leave(APPENDER);
                }),
            ),
            3 => (
                SHARED,
                map_options.access(Access::Read).open(path).map(|m| {
                    counters.enter(SHARED);
                    counters.kernel_locked(ino, ACCESS);
                    counters.kernel_locked(ino, APPEND);
                    assert_eq!(&m[..6], b"\x93NUMPY");
                    std::thread::sleep(hold);
                    counters.leave(SHARED);
                }),
            ),
            _ => (
                FOLLOWER,
                table_options.open_read::<Tick>(path).map(|mut t| {
                    counters.enter(FOLLOWER);
                    counters.kernel_locked(ino, ACCESS);
                    let before = t.len();
                    assert!(ticks_ok(&t));
                    let after = t.refresh().unwrap();
                    assert!(after >= before);
                    assert!(ticks_ok(&t));
                    std::thread::sleep(hold);
                    counters.leave(FOLLOWER);
                }),
            ),
        };
        match res {
            Ok(()) => {}
            Err(Error::Locked { exclusive, .. }) => {
                assert_eq!(
                    exclusive,
                    matches!(kind, EXCLUSIVE | APPENDER),
                    "role {role}"
                );
                counters.0[REFUSED + kind].fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => panic!("role {role}: {e:?}"),
        }
    }
}

const CHURN_THREADS: u64 = 3;
const CHURN_RUN: Duration = Duration::from_secs(4);

/// A process of the churn test: `CHURN_THREADS` threads (the counters' file is `path` with
/// `.counters` appended).
fn churn_role(path: &Path) {
    let counters = Counters::map(&counters_path(path));
    std::thread::scope(|s| {
        for t in 0..CHURN_THREADS {
            let counters = &counters;
            s.spawn(move || churn(path, counters, 1000 + t, CHURN_RUN));
        }
    });
    println!("done");
}

fn counters_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".counters");
    PathBuf::from(p)
}

/// Five roles (`Write` map, `ReadWrite` table, appender, `Read` map, table reader), taken
/// at random — some failing at once, some waiting a moment — by three threads in each of two
/// processes for four seconds: no two holders that exclude each other ever hold the table at
/// once (counted in memory shared by both processes), every refusal names the kind of lock it
/// refused, the kernel shows a lock whenever a role is held, and every record any reader
/// sees is the one the appenders pushed.
#[test]
fn roles_churned_by_threads_of_two_processes_never_overlap() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    drop(Table::<Tick>::create(&path).unwrap());
    let counters = Counters::map(&counters_path(&path));
    let fds_before = open_fds();
    let mut other = spawn("churn", &path);
    std::thread::scope(|s| {
        for t in 0..CHURN_THREADS {
            let (counters, path) = (&counters, &path);
            s.spawn(move || churn(path, counters, t, CHURN_RUN));
        }
    });
    assert_eq!(line_from(&mut other), "done");
    assert!(other.wait().unwrap().success());
    drop(other);
    let taken: Vec<u64> = (0..4).map(|r| counters.get(TAKEN + r)).collect();
    let refused: Vec<u64> = (0..4).map(|r| counters.get(REFUSED + r)).collect();
    eprintln!("taken {taken:?} refused {refused:?}");
    assert_eq!(counters.get(OVERLAPS), 0, "taken {taken:?}");
    assert_eq!(counters.get(NO_KERNEL_LOCK), 0);
    assert!(taken.iter().all(|&n| n >= 20), "taken {taken:?}");
    assert!(refused.iter().all(|&n| n >= 5), "refused {refused:?}");
    // Everything let go: the table is whole, no lock is left, no descriptor is parked.
    let t = Table::<Tick>::open(&path).unwrap();
    assert!(t.len() > 100, "{}", t.len());
    assert!(ticks_ok(&t));
    drop(t);
    assert_eq!(kernel_locks(ino(&path), ACCESS), Vec::new());
    assert_eq!(open_fds(), fds_before);
}

// ---------------------------------------------------------------------------------------
// 4. An appender and its followers in one process, with the locked commit protocol.

const TAIL_RECORDS: u64 = 200_000;

/// Creates the table as an appender, follows it from two threads of this process (a
/// `Follower` that ends when the appender goes, and a reader waiting with `wait_for_len`),
/// and appends `TAIL_RECORDS` ticks committing every 1 to 64 records; prints what each saw.
fn tail_same_process(path: &Path) {
    let mut t = Table::<Tick>::create_append(path).unwrap();
    println!("created");
    let batches = std::thread::spawn({
        let mut f = Table::<Tick>::open_read(path)
            .unwrap()
            .follow(recmap::table::AtEnd::Stop);
        move || {
            let mut next = 0u64;
            while let Some(batch) = f.next_batch().unwrap() {
                for r in batch {
                    assert_eq!(*r, Tick::new(next));
                    next += 1;
                }
            }
            next
        }
    });
    let waiter = std::thread::spawn({
        let mut r = Table::<Tick>::open_read(path).unwrap();
        move || {
            let mut seen = 0;
            while seen < TAIL_RECORDS as usize {
                let n = r.wait_for_len(seen + 1, Duration::from_secs(20)).unwrap();
                assert!(n > seen, "no progress in 20 s at {seen}");
                for (i, rec) in r[seen..n].iter().enumerate() {
                    assert_eq!(*rec, Tick::new((seen + i) as u64));
                }
                seen = n;
            }
            seen
        }
    });
    let mut rng = common::Rng::new(7);
    let mut next_commit = 1 + rng.below(64) as u64;
    for i in 0..TAIL_RECORDS {
        t.push(Tick::new(i)).unwrap();
        if i + 1 == next_commit {
            t.flush().unwrap();
            next_commit += 1 + rng.below(64) as u64;
        }
    }
    t.flush().unwrap();
    let waited = waiter.join().unwrap();
    drop(t);
    let followed = batches.join().unwrap();
    println!("followed {followed} waited {waited}");
}

/// With `RECMAP_COMMIT_PROTOCOL=lock` (the `COMMIT` byte taken for every commit and every
/// changed count), an appender and two followers in one process, and a follower in another:
/// every follower sees every record, in order, as written, and the in-process `Follower`
/// ends by itself when the appender goes.
#[test]
fn an_appender_and_followers_in_one_process_share_the_commit_lock() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    let mut child = spawn_with(
        "tail-same-process",
        &path,
        &[("RECMAP_COMMIT_PROTOCOL", "lock")],
    );
    assert_eq!(line_from(&mut child), "created");
    let mut f = Table::<Tick>::open_read(&path)
        .unwrap()
        .follow(recmap::table::AtEnd::Stop);
    let mut next = 0u64;
    while let Some(batch) = f.next_batch().unwrap() {
        for r in batch {
            assert_eq!(*r, Tick::new(next));
            next += 1;
        }
    }
    assert_eq!(next, TAIL_RECORDS);
    assert_eq!(
        line_from(&mut child),
        format!("followed {TAIL_RECORDS} waited {TAIL_RECORDS}")
    );
    assert!(child.wait().unwrap().success());
}

// ---------------------------------------------------------------------------------------
// 5. Relayout by rename while readers hold the file.

/// Holds a table reader of `path` until told to go.
fn hold_reader(path: &Path) {
    let t = Table::<u64>::open_read(path).unwrap();
    println!("reading {}", t.len());
    wait_for_parent();
}

/// Holds the appender of `path` (opened, three records pushed) until told to go.
fn hold_appender(path: &Path) {
    let mut t = Table::<u64>::open_append(path).unwrap();
    t.extend_from_slice(&[1, 2, 3]).unwrap();
    t.flush().unwrap();
    println!("appending {}", t.len());
    wait_for_parent();
}

/// A numpy-written table of 0..100 u64 whose header is too short for recmap's count field.
fn tight_table(dir: &Path) -> PathBuf {
    let path = dir.join("np.npy");
    let data: Vec<u8> = (0..100u64).flat_map(|v| v.to_le_bytes()).collect();
    let (bytes, _) = common::tight_npy(
        "{'descr': '<u8', 'fortran_order': False, 'shape': (100,), }",
        &data,
    );
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `open_append` of a file whose header must be re-laid out (a new file renamed over the old
/// one) needs a moment with no reader: refused alike by a reader in this process and one in
/// another, with the same error; granted once they go (waiting for them with a timeout); the
/// renamed file is what every later open finds, in this process (whose parked descriptors
/// are of the old file) and in others.
#[test]
fn relayout_by_rename_waits_for_readers_here_and_elsewhere() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = tight_table(dir.path());
    let old_ino = ino(&path);
    let fds_before = open_fds();
    let refused = |e: Error| match e {
        Error::Locked {
            exclusive: true,
            held_by: LockHolder::Readers,
            ..
        } => {}
        e => panic!("{e:?}"),
    };
    // A reader here; two opens of it, one closed (its descriptor parked in portable mode).
    let here = Table::<u64>::open_read(&path).unwrap();
    drop(Table::<u64>::open_read(&path).unwrap());
    refused(Table::<u64>::open_append(&path).unwrap_err());
    assert_eq!(ino(&path), old_ino, "relaid out under a reader");
    drop(here);
    // A reader in another process.
    let mut other = spawn("hold-reader", &path);
    assert_eq!(line_from(&mut other), "reading 100");
    let keep = Table::<u64>::open_read(&path).unwrap();
    refused(Table::<u64>::open_append(&path).unwrap_err());
    assert_eq!(ino(&path), old_ino);
    // Both go while the appender waits for them.
    std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(keep);
            tell(&mut other, "go");
            assert!(other.wait().unwrap().success());
        });
        let mut t = TableOptions::new()
            .lock_timeout(Duration::from_secs(10))
            .open_append::<u64>(&path)
            .unwrap();
        assert_ne!(ino(&path), old_ino, "not relaid out by rename");
        assert_eq!(t.len(), 100);
        t.push(100).unwrap();
        t.flush().unwrap();
        // Readers now find the new file, here and elsewhere.
        let r = Table::<u64>::open_read(&path).unwrap();
        assert_eq!(&r[..], &(0..101).collect::<Vec<u64>>()[..]);
        let m = Map::open(&path, Access::Read).unwrap_err();
        assert!(matches!(
            m,
            Error::Locked {
                exclusive: false,
                held_by: LockHolder::Appender,
                ..
            }
        ));
        let mut other = spawn("prober", &path);
        assert_eq!(line_from(&mut other), "ready");
        tell(&mut other, "probe");
        assert_eq!(
            line_from(&mut other),
            "map locked(false,Appender) write locked(true,Appender) append locked(true,Appender)"
        );
        tell(&mut other, "quit");
        assert!(other.wait().unwrap().success());
    });
    let r = Table::<u64>::open_read(&path).unwrap();
    assert_eq!(r.len(), 101);
    drop(r);
    assert_eq!(kernel_locks(ino(&path), ACCESS), Vec::new());
    assert_eq!(open_fds(), fds_before);
}

// ---------------------------------------------------------------------------------------
// 6. Parked descriptors taken back: the right file, the right access.

/// A descriptor parked for a file that has since been replaced at its path (renamed over by
/// a program outside recmap) is never handed out for the path's new file; a read-only one is
/// never handed out for writing; and all go when the last lock of their file does.
#[test]
fn a_parked_descriptor_is_only_taken_back_for_its_own_file() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = data_file(dir.path(), "f", 4096, 1);
    let fds_before = open_fds();
    let old = Map::open(&path, Access::Read).unwrap();
    for _ in 0..3 {
        drop(Map::open(&path, Access::Read).unwrap()); // parked in portable mode
    }
    // Replaced at its path, behind recmap's back, while `old` holds the old file.
    let new = data_file(dir.path(), "g", 8192, 2);
    std::fs::rename(&new, &path).unwrap();
    let fresh = Map::open(&path, Access::Read).unwrap();
    assert_eq!((fresh.len(), fresh[0]), (8192, 2));
    // A writer of the new file is refused by `fresh` alone, not by `old`.
    match Map::open(&path, Access::Write).unwrap_err() {
        Error::Locked {
            exclusive: true,
            held_by: LockHolder::Readers,
            ..
        } => {}
        e => panic!("{e:?}"),
    }
    drop(fresh);
    let mut w = Map::open(&path, Access::Write).unwrap();
    w.write_at(0, b"w").unwrap();
    drop(w);
    assert_eq!((old.len(), old[0]), (4096, 1));
    drop(old);
    assert_eq!(std::fs::read(&path).unwrap()[..2], *b"w\x02");
    assert_eq!(open_fds(), fds_before);
}

/// A write open never gets a read-only descriptor: a `Write` map after read-only opens were
/// parked can write (and an appender after them can push).
#[test]
fn a_write_open_after_parked_read_only_opens_can_write() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    Table::<u64>::create(&path)
        .unwrap()
        .extend_from_slice(&[1, 2])
        .unwrap();
    let fds_before = open_fds();
    let holder = Table::<u64>::open_read(&path).unwrap();
    for _ in 0..4 {
        drop(Table::<u64>::open_read(&path).unwrap());
        drop(Map::open(&path, Access::Read).unwrap());
    }
    let mut t = Table::<u64>::open_append(&path).unwrap();
    t.push(3).unwrap();
    t.flush().unwrap();
    drop(t);
    drop(holder);
    let mut w = Table::<u64>::open(&path).unwrap();
    w.push(4).unwrap();
    drop(w);
    assert_eq!(&Table::<u64>::open_read(&path).unwrap()[..], &[1, 2, 3, 4]);
    assert_eq!(open_fds(), fds_before);
}

// ---------------------------------------------------------------------------------------
// 7. Descriptors: 100k opens beside an appender.

/// Beside an appender in this process: 100,000 table readers opened and dropped, 10,000
/// `Read` maps and 10,000 `Write` maps refused (each refusal exact), the appender pushing
/// all along: the process's open descriptors never grow by more than a few.
#[test]
fn a_hundred_thousand_readers_beside_an_appender_leave_no_descriptors() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    let fds_before = open_fds();
    let mut app = Table::<u64>::create_append(&path).unwrap();
    let mut most = 0;
    for i in 0..100_000u64 {
        let r = Table::<u64>::open_read(&path).unwrap();
        assert_eq!(r.len() as u64, i);
        drop(r);
        if i % 10 == 0 {
            match Map::open(&path, Access::Read).unwrap_err() {
                Error::Locked {
                    exclusive: false,
                    held_by: LockHolder::Appender,
                    ..
                } => {}
                e => panic!("{e:?}"),
            }
            match Map::open(&path, Access::Write).unwrap_err() {
                Error::Locked {
                    exclusive: true,
                    held_by: LockHolder::Appender,
                    ..
                } => {}
                e => panic!("{e:?}"),
            }
        }
        app.push(i).unwrap();
        app.flush().unwrap();
        if i % 1000 == 0 {
            most = most.max(open_fds());
        }
    }
    assert!(
        most <= fds_before + 4,
        "{most} descriptors, {fds_before} before"
    );
    drop(app);
    let r = Table::<u64>::open_read(&path).unwrap();
    assert_eq!(&r[..], &(0..100_000).collect::<Vec<u64>>()[..]);
    drop(r);
    assert_eq!(open_fds(), fds_before);
}

// ---------------------------------------------------------------------------------------
// 8. Lock state after a refusal half-way, and after SIGKILL.

/// A `Read` map refused half-way (it took `INTENT` and `ACCESS`, then `APPEND` was held by
/// an appender) and a writer that timed out behind readers leave no lock behind, in this
/// process's table or the kernel: once the holders go, another process can take every role.
#[test]
fn a_refusal_half_way_leaves_no_lock_behind() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    drop(Table::<u64>::create(&path).unwrap());
    let fds_before = open_fds();
    // The appender in another process, then in this one.
    let mut other = spawn("hold-appender", &path);
    assert_eq!(line_from(&mut other), "appending 3");
    for _ in 0..100 {
        match Map::open(&path, Access::Read).unwrap_err() {
            Error::Locked {
                exclusive: false,
                held_by: LockHolder::Appender,
                ..
            } => {}
            e => panic!("{e:?}"),
        }
    }
    tell(&mut other, "go");
    assert!(other.wait().unwrap().success());
    drop(other);
    assert_eq!(kernel_locks(ino(&path), ACCESS), Vec::new());
    assert_eq!(kernel_locks(ino(&path), INTENT), Vec::new());
    let app = Table::<u64>::open_append(&path).unwrap();
    for _ in 0..100 {
        match Map::open(&path, Access::Read).unwrap_err() {
            Error::Locked {
                exclusive: false,
                held_by: LockHolder::Appender,
                ..
            } => {}
            e => panic!("{e:?}"),
        }
    }
    drop(app);
    // A writer that gives up behind a reader (it held INTENT exclusively while it waited).
    let reader = Table::<u64>::open_read(&path).unwrap();
    match TableOptions::new()
        .lock_timeout(Duration::from_millis(30))
        .open::<u64>(&path)
        .unwrap_err()
    {
        Error::Locked {
            exclusive: true,
            held_by: LockHolder::Readers,
            ..
        } => {}
        e => panic!("{e:?}"),
    }
    // Its INTENT went with it: a new reader gets in.
    drop(Table::<u64>::open_read(&path).unwrap());
    drop(reader);
    assert_eq!(kernel_locks(ino(&path), ACCESS), Vec::new());
    assert_eq!(kernel_locks(ino(&path), INTENT), Vec::new());
    assert_eq!(kernel_locks(ino(&path), APPEND), Vec::new());
    assert_eq!(open_fds(), fds_before);
    let mut prober = spawn("prober", &path);
    assert_eq!(line_from(&mut prober), "ready");
    tell(&mut prober, "probe");
    assert_eq!(line_from(&mut prober), "map ok write ok append ok");
    tell(&mut prober, "quit");
    assert!(prober.wait().unwrap().success());
}

/// An appender killed with SIGKILL while this process follows it and holds a parked
/// descriptor: its locks die with it; this process's reader stays, and its lock still keeps
/// a writer out; the table then takes a new appender here.
#[test]
fn sigkill_of_an_appender_leaves_this_processs_reader_locked() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    drop(Table::<u64>::create(&path).unwrap());
    let mut other = spawn("hold-appender", &path);
    assert_eq!(line_from(&mut other), "appending 3");
    let mut r = Table::<u64>::open_read(&path).unwrap();
    drop(Table::<u64>::open_read(&path).unwrap());
    assert_eq!(r.refresh().unwrap(), 3);
    other.kill().unwrap();
    other.wait().unwrap();
    assert!(!r.appender_present().unwrap());
    match Table::<u64>::open(&path).unwrap_err() {
        Error::Locked {
            exclusive: true,
            held_by: LockHolder::Readers,
            ..
        } => {}
        e => panic!("{e:?}"),
    }
    let mut prober = spawn("prober", &path);
    assert_eq!(line_from(&mut prober), "ready");
    tell(&mut prober, "probe");
    assert_eq!(
        line_from(&mut prober),
        "map ok write locked(true,Readers) append ok"
    );
    tell(&mut prober, "quit");
    assert!(prober.wait().unwrap().success());
    let mut app = Table::<u64>::open_append(&path).unwrap();
    app.push(4).unwrap();
    app.flush().unwrap();
    assert_eq!(r.refresh().unwrap(), 4);
    assert_eq!(&r[..], &[1, 2, 3, 4]);
}
