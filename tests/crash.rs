//! Crash survival: a child process appends and flushes in a loop and is killed with SIGKILL
//! at random moments, many rounds. After every kill, reopening finds at least every record
//! whose flush returned, each intact (checksum), and appending continues. Both writable roles:
//! `ReadWrite` (the count by `pwrite` or the 16-byte store) and `Append`, where a reader in this
//! process also follows the child live and checks every record it is shown.
//!
//! The child is this test binary itself, re-run with `RECMAP_CRASH_CHILD` set (see
//! `crash_child`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use recmap::table::Writable;
use recmap::{Table, TableOptions};

/// 64 bytes: a sequence number, a payload, and a checksum over both.
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Entry {
    seq: u64,
    payload: [u64; 6],
    check: u64,
}

impl Entry {
    fn new(seq: u64) -> Entry {
        let payload = std::array::from_fn(|i| {
            seq.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(i as u32 * 7)
        });
        Entry {
            seq,
            payload,
            check: checksum(seq, &payload),
        }
    }

    fn intact(&self) -> bool {
        self.check == checksum(self.seq, &self.payload) && *self == Entry::new(self.seq)
    }
}

fn checksum(seq: u64, payload: &[u64; 6]) -> u64 {
    payload.iter().fold(seq ^ 0xcbf2_9ce4_8422_2325, |h, &p| {
        (h ^ p).wrapping_mul(0x100_0000_01b3)
    })
}

const CHILD_ENV: &str = "RECMAP_CRASH_CHILD";
/// `append` makes the child an `Append` writer; anything else a `ReadWrite` one.
const MODE_ENV: &str = "RECMAP_CRASH_MODE";

/// In the child: append batches forever, printing each committed count. A no-op otherwise.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    // Waiting a little for the lock: a test thread of the parent that is spawning a child at
    // the moment may briefly share the parent's last open file (until that child's exec).
    let options = TableOptions::new()
        .lock_timeout(Duration::from_secs(10))
        .clone();
    if std::env::var(MODE_ENV).as_deref() == Ok("append") {
        append_forever(
            options
                .open_append::<Entry>(&path)
                .expect("child: open_append"),
        );
    } else {
        append_forever(options.open::<Entry>(&path).expect("child: open"));
    }
}

fn append_forever<M: Writable>(mut t: Table<Entry, M>) {
    assert!(
        t.iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as u64 && e.intact())
    );
    let mut rng = common::Rng::new(t.len() as u64);
    loop {
        let batch = 1 + rng.below(200);
        for _ in 0..batch {
            let seq = t.len() as u64;
            t.push(Entry::new(seq)).expect("child: push");
        }
        if rng.below(8) == 0 {
            t.sync().expect("child: sync");
        } else {
            t.flush().expect("child: flush");
        }
        println!("flushed {}", t.len());
    }
}

#[test]
fn killed_writers_lose_nothing_flushed() {
    kill_rounds("rw", 0xC0FFEE);
}

#[test]
fn killed_appenders_lose_nothing_flushed_and_readers_see_nothing_torn() {
    kill_rounds("append", 0xA99E4D);
}

/// 25 rounds of: start a writer child in `mode`, let it commit, SIGKILL it at a random moment,
/// check every record. In `append` mode a reader in this process follows the child meanwhile.
fn kill_rounds(mode: &str, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.npy");
    drop(Table::<Entry>::create(&path).unwrap());
    // The other test's thread may be spawning a child that briefly shares our last open file
    // (until its exec): wait a little for locks.
    let patient = TableOptions::new()
        .lock_timeout(Duration::from_secs(10))
        .clone();
    let mut follower = (mode == "append").then(|| patient.open_read::<Entry>(&path).unwrap());
    let mut followed = 0usize;
    let exe = std::env::current_exe().unwrap();
    let mut rng = common::Rng::new(seed);
    let mut killed_mid_run = 0;

    for round in 0..25 {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .env(MODE_ENV, mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("flushed ") {
                    let _ = tx.send(n.parse::<usize>().unwrap());
                }
            }
        });
        // Wait for the child to commit something, then kill it at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("child committed nothing");
        let deadline = std::time::Instant::now() + Duration::from_micros(rng.below(30_000) as u64);
        // Meanwhile the follower checks every record the child commits, as it is committed.
        while std::time::Instant::now() < deadline {
            let Some(r) = follower.as_mut() else {
                std::thread::sleep(deadline - std::time::Instant::now());
                break;
            };
            let n = r
                .wait_for_len(followed + 1, Duration::from_millis(1))
                .unwrap();
            for (i, e) in r[followed..n].iter().enumerate() {
                let i = followed + i;
                assert!(
                    e.seq == i as u64 && e.intact(),
                    "round {round}: reader saw {e:?} at {i}"
                );
            }
            followed = n;
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        reader.join().unwrap();
        let committed = rx.try_iter().last().unwrap_or(first).max(first);
        // Killed: by SIGKILL on Unix; on Windows `kill` is TerminateProcess with exit code 1
        // (a child that ends by itself exits 0).
        let killed = if cfg!(windows) {
            status.code() == Some(1)
        } else {
            status.code().is_none()
        };
        if killed {
            killed_mid_run += 1;
        }

        let t = patient.open_read::<Entry>(&path).unwrap();
        assert!(
            t.len() >= committed && t.len() >= followed,
            "round {round}: {} records after the kill, but {committed} were flushed and \
             {followed} seen by the reader",
            t.len()
        );
        for (i, e) in t.iter().enumerate() {
            assert!(
                e.seq == i as u64 && e.intact(),
                "round {round}: record {i} is damaged: {e:?}"
            );
        }
    }
    assert!(
        killed_mid_run >= 20,
        "only {killed_mid_run} of 25 children died by the signal"
    );

    // Appending continues after the last kill, and the file is still a valid .npy file.
    drop(follower);
    let mut t = patient.open::<Entry>(&path).unwrap();
    let n = t.len();
    t.push(Entry::new(n as u64)).unwrap();
    drop(t);
    let t = patient.open_read::<Entry>(&path).unwrap();
    assert_eq!(t.len(), n + 1);
    assert!(t.last().unwrap().intact());
    eprintln!(
        "{mode}: {} records survived 25 SIGKILLs ({followed} followed live)",
        t.len()
    );
}
