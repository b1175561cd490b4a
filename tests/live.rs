//! Live readers: the three roles' locks, and one appender with reader *processes* following it.
//!
//! The children are this test binary itself, re-run with `RECMAP_LIVE_ROLE` set (see
//! `live_child`): a writer that appends checksummed records forever, committing every 256, and
//! readers that follow with `wait_for_len` and check every record they see.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Tick;
use recmap::table::AtEnd;
use recmap::{Access, Error, LockHolder, Map, Table, TableOptions};

const ROLE_ENV: &str = "RECMAP_LIVE_ROLE";
const PATH_ENV: &str = "RECMAP_LIVE_PATH";

fn tmp(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn roles_lock_each_other_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "t.npy");
    let mut appender = Table::<u64>::create_append(&path).unwrap();
    appender.push(1).unwrap();
    appender.flush().unwrap();

    // Readers coexist with the appender and with each other.
    let r1 = Table::<u64>::open_read(&path).unwrap();
    let r2 = Table::<u64>::open_read(&path).unwrap();
    assert_eq!((r1.len(), r2.len()), (1, 1));

    // A second appender, a ReadWrite table and a writable Map are refused: held by an appender.
    let locked_by = |e: Error, by: LockHolder| matches!(e, Error::Locked { ref path, exclusive: true, held_by } if path.ends_with("t.npy") && held_by == by);
    let locked = |e: Error| locked_by(e, LockHolder::Appender);
    assert!(locked(Table::<u64>::open_append(&path).unwrap_err()));
    assert!(locked(Table::<u64>::open(&path).unwrap_err()));
    assert!(locked(Map::open(&path, Access::Write).unwrap_err()));
    // A plain Map (Read or Copy) hands out `&[u8]` over the whole file, which the appender
    // keeps storing into: refused while it appends.
    for access in [Access::Read, Access::Copy] {
        assert!(matches!(
            Map::open(&path, access).unwrap_err(),
            Error::Locked { ref path, exclusive: false, held_by: LockHolder::Appender } if path.ends_with("t.npy")
        ));
    }

    // With the appender gone, readers still exclude a ReadWrite table but not an appender;
    // a plain Map reads beside table readers, and then keeps an appender out.
    drop(appender);
    let m = Map::open(&path, Access::Read).unwrap();
    assert_eq!(m.len(), std::fs::metadata(&path).unwrap().len() as usize);
    assert!(locked_by(
        Table::<u64>::open_append(&path).unwrap_err(),
        LockHolder::Readers
    ));
    drop(m);
    assert!(locked_by(
        Table::<u64>::open(&path).unwrap_err(),
        LockHolder::Readers
    ));
    let again = Table::<u64>::open_append(&path).unwrap();
    assert_eq!(&again[..], &[1]);
    drop((again, r1, r2));

    // A ReadWrite table excludes readers and appenders.
    let rw = Table::<u64>::open(&path).unwrap();
    assert!(matches!(
        Table::<u64>::open_read(&path).unwrap_err(),
        Error::Locked {
            exclusive: false,
            held_by: LockHolder::Writer,
            ..
        }
    ));
    assert!(locked_by(
        Table::<u64>::open_append(&path).unwrap_err(),
        LockHolder::Writer
    ));
    drop(rw);
}

#[test]
fn waiting_appender_gets_the_lock_when_the_first_one_goes() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "t.npy");
    let mut first = Table::<u64>::create_append(&path).unwrap();
    first.push(7).unwrap();
    let p = path.clone();
    let second = std::thread::spawn(move || {
        let mut t = TableOptions::new()
            .wait_for_lock(true)
            .open_append::<u64>(&p)
            .unwrap();
        t.push(8).unwrap();
        t.flush().unwrap();
    });
    std::thread::sleep(Duration::from_millis(100));
    drop(first); // flushes 7, releases both locks
    second.join().unwrap();
    assert_eq!(&Table::<u64>::open_read(&path).unwrap()[..], &[7, 8]);
}

#[test]
fn readers_see_only_committed_records_and_follow_growth() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "t.npy");
    let mut w = Table::<Tick>::create_append(&path).unwrap();
    let mut r = Table::<Tick>::open_read(&path).unwrap();
    let initial_map = std::fs::metadata(&path).unwrap().len();
    // Far more than the file first held: the reader must map the grown file.
    let n = 1_000_000u64;
    for i in 0..n {
        w.push(Tick::new(i)).unwrap();
    }
    assert_eq!(r.refresh().unwrap(), 0, "nothing is committed before flush");
    w.flush().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > initial_map);
    assert_eq!(r.refresh().unwrap(), n as usize);
    assert!(r.iter().enumerate().all(|(i, e)| *e == Tick::new(i as u64)));
    // A timeout returns the visible count, after about the timeout.
    let t0 = Instant::now();
    assert_eq!(
        r.wait_for_len(n as usize + 1, Duration::from_millis(30))
            .unwrap(),
        n as usize
    );
    assert!(t0.elapsed() >= Duration::from_millis(30));
    // The appender reads back what it pushed, committed or not.
    w.extend_from_slice(&[Tick::new(n), Tick::new(n + 1)])
        .unwrap();
    assert_eq!(
        (w.len(), w[n as usize + 1]),
        (n as usize + 2, Tick::new(n + 1))
    );
    assert_eq!(r.refresh().unwrap(), n as usize);
    drop(w); // dropping flushes
    assert_eq!(r.refresh().unwrap(), n as usize + 2);
}

#[test]
fn a_sleeping_reader_is_woken_by_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "t.npy");
    let mut w = Table::<u64>::create_append(&path).unwrap();
    let mut r = Table::<u64>::open_read(&path).unwrap();
    r.spin(Duration::ZERO);
    let reader = std::thread::spawn(move || {
        let t0 = Instant::now();
        let n = r.wait_for_len(1, Duration::from_secs(20)).unwrap();
        (n, t0.elapsed())
    });
    std::thread::sleep(Duration::from_millis(200));
    w.push(42).unwrap();
    w.flush().unwrap();
    let (n, waited) = reader.join().unwrap();
    assert_eq!(n, 1);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[test]
fn open_append_rewrites_an_old_header_once_and_numpy_layout_stays_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "old.npy");
    // A header as numpy writes it: the count is not in recmap's aligned field.
    let data: Vec<u8> = [1u64, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let text = "{'descr': '<u8', 'fortran_order': False, 'shape': (3,), }";
    let (file, _) = common::npy_v1(text.as_bytes(), 64, &data);
    std::fs::write(&path, &file).unwrap();
    let mut t = Table::<u64>::open_append(&path).unwrap();
    assert_eq!(&t[..], &[1, 2, 3]);
    t.push(4).unwrap();
    drop(t);
    let r = Table::<u64>::open_read(&path).unwrap();
    assert_eq!(&r[..], &[1, 2, 3, 4]);
}

/// In a child: the writer or a reader (see the module docs). A no-op otherwise.
#[test]
fn live_child() {
    let (Some(role), Some(path)) = (std::env::var_os(ROLE_ENV), std::env::var_os(PATH_ENV)) else {
        return;
    };
    let path = PathBuf::from(path);
    match role.to_str() {
        Some("writer") => writer(&path),
        Some("reader") => reader(&path),
        Some("follower") => follower(&path, AtEnd::Stop),
        Some("waiting-follower") => follower(&path, AtEnd::Wait),
        Some("finite-writer") => finite_writer(&path),
        Some("racer") => racer(&path),
        other => panic!("unknown role {other:?}"),
    }
}

/// Appends forever from the committed count on, committing every 256 records.
fn writer(path: &Path) {
    let mut t = Table::<Tick>::open_append(path).expect("writer: open_append");
    let mut i = t.len() as u64;
    loop {
        t.push(Tick::new(i)).expect("writer: push");
        i += 1;
        if i.is_multiple_of(256) {
            t.flush().expect("writer: flush");
        }
    }
}

/// Follows the table, checking every record; stops once the `stop` file exists and nothing
/// new arrived for a while, and prints how many records it checked.
fn reader(path: &Path) {
    let stop = path.with_extension("stop");
    let mut t = Table::<Tick>::open_read(path).expect("reader: open_read");
    let mut checked = 0usize;
    let mut idle = 0;
    loop {
        let n = t
            .wait_for_len(checked + 1, Duration::from_millis(100))
            .expect("reader: wait");
        for (i, e) in t[checked..n].iter().enumerate() {
            let want = Tick::new((checked + i) as u64);
            assert_eq!(
                *e,
                want,
                "reader: record {} is torn or out of place",
                checked + i
            );
        }
        if n == checked {
            idle += 1;
            if stop.exists() && idle >= 3 {
                break;
            }
        } else {
            idle = 0;
        }
        checked = n;
    }
    println!("checked {checked}");
}

fn spawn(role: &str, path: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "live_child", "--nocapture", "--test-threads=1"])
        .env(ROLE_ENV, role)
        .env(PATH_ENV, path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// ≥ 10^7 records through one writer process and three reader processes; the writer is
/// killed with SIGKILL mid-stream; every reader has checked every committed record, none
/// beyond, and a new appender continues right after the last committed one.
#[test]
fn reader_processes_follow_a_writer_that_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "log.npy");
    drop(Table::<Tick>::create(&path).unwrap());
    let readers: Vec<Child> = (0..3).map(|_| spawn("reader", &path)).collect();
    let mut writer = spawn("writer", &path);
    let mut watch = Table::<Tick>::open_read(&path).unwrap();
    let target = 10_000_000;
    let deadline = Instant::now() + Duration::from_secs(300);
    while watch.wait_for_len(target, Duration::from_secs(1)).unwrap() < target {
        assert!(
            Instant::now() < deadline,
            "the writer stalled at {}",
            watch.len()
        );
        assert!(
            writer.try_wait().unwrap().is_none(),
            "the writer died by itself"
        );
    }
    // A random moment mid-stream.
    let jitter = common::Rng::new(std::process::id() as u64).below(50);
    std::thread::sleep(Duration::from_millis(jitter as u64));
    writer.kill().unwrap(); // SIGKILL
    writer.wait().unwrap();

    let committed = Table::<Tick>::open_read(&path).unwrap().len();
    assert!(
        committed >= target && committed.is_multiple_of(256),
        "{committed}"
    );
    std::fs::write(path.with_extension("stop"), b"").unwrap();
    for child in readers {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a reader failed: {out:?}");
        let said = BufReader::new(&out.stdout[..])
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                // libtest prints "test live_child ... " before the child's own output.
                let n = l.split("checked ").nth(1)?;
                n.split_whitespace().next()?.parse::<usize>().ok()
            })
            .unwrap_or_else(|| {
                panic!(
                    "the reader did not report: {}",
                    String::from_utf8_lossy(&out.stdout)
                )
            });
        assert_eq!(
            said, committed,
            "a reader checked a different number of records"
        );
    }

    let mut next = Table::<Tick>::open_append(&path).unwrap();
    assert_eq!(next.len(), committed);
    next.push(Tick::new(committed as u64)).unwrap();
    next.flush().unwrap();
    drop(next);
    let all = Table::<Tick>::open_read(&path).unwrap();
    assert_eq!(all.len(), committed + 1);
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, e)| *e == Tick::new(i as u64))
    );
}

/// A reader refuses a count it cannot trust — not a number, or more records than the file
/// holds (a program that ignores the locks wrote the header) — with the exact error, and
/// keeps what it had.
#[test]
fn refresh_refuses_a_count_it_cannot_trust() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "t.npy");
    let mut w = Table::<u64>::create(&path).unwrap();
    w.extend([1, 2, 3]).unwrap();
    drop(w);
    let mut r = Table::<u64>::open_read(&path).unwrap();
    let text = std::fs::read(&path).unwrap();
    let block_end = text.windows(3).position(|w| w == b"3,)").unwrap() + 1;
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let file_len = file.metadata().unwrap().len();

    common::write_at(&file, b"      9999999999", (block_end - 16) as u64);
    match r.refresh() {
        Err(Error::BadHeader {
            problem:
                recmap::npy::HeaderProblem::Truncated {
                    count,
                    file_len: len,
                    ..
                },
            ..
        }) => assert_eq!((count, len), (9_999_999_999, file_len)),
        other => panic!("{other:?}"),
    }
    common::write_at(&file, b"          12x456", (block_end - 16) as u64);
    match r.refresh() {
        Err(Error::BadHeader {
            problem: recmap::npy::HeaderProblem::Malformed { what },
            ..
        }) => assert!(what.contains("not a number"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(&r[..], &[1, 2, 3]);
}

/// Follows the table batch by batch from its first record, checking every record, and prints
/// `at N` after each batch; ends (printing `followed N`) when the follow ends.
fn follower(path: &Path, at_end: AtEnd) {
    let mut f = Table::<Tick>::open_read(path)
        .expect("follower: open_read")
        .follow(at_end);
    let mut n = 0;
    while let Some(batch) = f.next_batch().expect("follower: next_batch") {
        for e in batch {
            assert_eq!(*e, Tick::new(n as u64), "follower: record {n}");
            n += 1;
        }
        println!("at {n}");
    }
    println!("followed {n}");
}

/// Opens (or creates) the table to append, says `appending`, appends `RECMAP_LIVE_COUNT`
/// records from the committed count on, committing every 100, and exits normally.
fn finite_writer(path: &Path) {
    let count: u64 = std::env::var("RECMAP_LIVE_COUNT").unwrap().parse().unwrap();
    let mut t = TableOptions::new()
        .create_if_missing(true)
        .lock_timeout(Duration::from_secs(30))
        .open_append::<Tick>(path)
        .expect("finite-writer: open_append");
    println!("appending");
    let start = t.len() as u64;
    for i in start..start + count {
        t.push(Tick::new(i)).expect("finite-writer: push");
        if i % 100 == 99 {
            t.flush().expect("finite-writer: flush");
        }
    }
}

/// Opens the table to append, creating it if missing, waiting for the other racer's lock;
/// appends 1000 copies of its process id and exits.
/// With `RECMAP_LIVE_COUNT=1`, also asks for `overwrite(true)`, which must not let a racer
/// replace the table the other one made.
fn racer(path: &Path) {
    let overwrite = std::env::var("RECMAP_LIVE_COUNT").is_ok_and(|c| c == "1");
    let mut t = TableOptions::new()
        .create_if_missing(true)
        .overwrite(overwrite)
        .lock_timeout(Duration::from_secs(30))
        .open_append::<u64>(path)
        .expect("racer: open_append");
    let me = u64::from(std::process::id());
    t.extend_from_slice(&[me; 1000]).expect("racer: extend");
    t.flush().expect("racer: flush");
}

fn spawn_with(role: &str, path: &Path, count: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "live_child", "--nocapture", "--test-threads=1"])
        .env(ROLE_ENV, role)
        .env(PATH_ENV, path)
        .env("RECMAP_LIVE_COUNT", count.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The next line a child prints that is not the test harness's own.
fn next_line(out: &mut impl BufRead) -> String {
    common::child_line(out, "live_child")
}

/// The `followed N` line of a follower, skipping its `at N` lines.
fn followed(out: &mut impl BufRead) -> String {
    loop {
        let line = next_line(out);
        if !line.starts_with("at ") {
            return line;
        }
    }
}

#[test]
fn a_follower_ends_when_its_writer_exits() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "f.npy");
    let mut writer = spawn_with("finite-writer", &path, 200_000);
    let mut wout = BufReader::new(writer.stdout.take().unwrap());
    assert_eq!(next_line(&mut wout), "appending");
    let mut follower = spawn("follower", &path);
    let mut fout = BufReader::new(follower.stdout.take().unwrap());
    assert!(writer.wait().unwrap().success());
    // The writer's last records came in its final flush on drop: the follower saw them all.
    assert_eq!(followed(&mut fout), "followed 200000");
    assert!(follower.wait().unwrap().success());
}

#[test]
fn a_follower_ends_when_its_writer_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "k.npy");
    drop(Table::<Tick>::create(&path).unwrap());
    let mut writer = spawn("writer", &path);
    let mut watch = Table::<Tick>::open_read(&path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !watch.appender_present().unwrap() {
        assert!(
            Instant::now() < deadline,
            "the writer never opened the table"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut follower = spawn("follower", &path);
    let mut fout = BufReader::new(follower.stdout.take().unwrap());
    watch
        .wait_for_len(300_000, Duration::from_secs(60))
        .unwrap();
    writer.kill().unwrap();
    writer.wait().unwrap();
    let line = followed(&mut fout);
    assert!(follower.wait().unwrap().success());
    // Exactly the committed records: what a fresh reader sees now.
    let committed = Table::<Tick>::open_read(&path).unwrap().len();
    assert!(committed >= 300_000);
    assert_eq!(line, format!("followed {committed}"));
}

#[test]
fn a_waiting_follower_outlives_its_writer_and_sees_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "w.npy");
    let mut first = spawn_with("finite-writer", &path, 1000);
    let mut out = BufReader::new(first.stdout.take().unwrap());
    assert_eq!(next_line(&mut out), "appending");
    let mut follower = spawn("waiting-follower", &path);
    let mut fout = BufReader::new(follower.stdout.take().unwrap());
    assert!(first.wait().unwrap().success());
    while next_line(&mut fout) != "at 1000" {}
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        follower.try_wait().unwrap().is_none(),
        "the follower stopped"
    );
    let mut second = spawn_with("finite-writer", &path, 500);
    assert!(second.wait().unwrap().success());
    loop {
        let line = next_line(&mut fout);
        assert!(line.starts_with("at "), "{line}");
        if line == "at 1500" {
            break;
        }
    }
    follower.kill().unwrap();
    follower.wait().unwrap();
}

#[test]
fn two_writers_starting_at_once_create_one_table() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let path = tmp(&dir, &format!("r{round}.npy"));
        // Every other round with `overwrite(true)` too: still one table, nothing replaced.
        let overwrite = u64::from(round % 2 == 1);
        let racers: Vec<Child> = (0..2)
            .map(|_| spawn_with("racer", &path, overwrite))
            .collect();
        let mut ids = Vec::new();
        for mut r in racers {
            ids.push(u64::from(r.id()));
            assert!(r.wait().unwrap().success(), "round {round}");
        }
        let t = Table::<u64>::open_read(&path).unwrap();
        assert_eq!(t.len(), 2000, "round {round}");
        for id in ids {
            assert_eq!(
                t.iter().filter(|&&v| v == id).count(),
                1000,
                "round {round}"
            );
        }
    }
    let names = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(names, 20);
}
