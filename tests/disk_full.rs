//! A full disk is an error, never a `SIGBUS`: on a 1 MiB tmpfs, tables (both writable roles)
//! and maps grow until `ENOSPC`, keep what they committed, stay usable, and go on once space
//! is freed.
//!
//! Mounting needs root. Elsewhere the test skips and says so; under CI (which runs as root)
//! a failed mount fails the test, so it cannot silently stop running. A tmpfs to fill is a
//! Linux thing: on other systems this file compiles to nothing.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;

use recmap::{Access, Error, Map, MapOptions, Table};

/// A 1 MiB tmpfs mounted on a fresh directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
    /// One disk at a time: the other test's `mount`/`umount` child would inherit this test's
    /// open files between its fork and exec, and a file removed then keeps its space until
    /// that exec — long enough, once, for the next create on a full 1 MiB disk to fail.
    _alone: std::sync::MutexGuard<'static, ()>,
}

static ONE_DISK_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let alone = ONE_DISK_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "recmap-test"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(SmallDisk { dir, _alone: alone });
        }
        // SAFETY: `geteuid` reads the process's user id; it cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        assert!(
            std::env::var_os("CI").is_none() || !root,
            "CI runs as root: mounting a tmpfs must work there"
        );
        eprintln!("SKIPPED: cannot mount a tmpfs (needs root); the disk-full test did not run");
        None
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn is_enospc(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.raw_os_error() == Some(libc::ENOSPC))
}

/// Pushes until the disk is full; returns how many records went in.
fn fill<M: recmap::table::Writable>(t: &mut Table<u64, M>, from: u64) -> u64 {
    let mut i = from;
    loop {
        match t.push(i) {
            Ok(()) => i += 1,
            Err(e) => {
                assert!(is_enospc(&e), "expected ENOSPC, got {e:?}");
                return i;
            }
        }
        if i.is_multiple_of(1000) {
            t.flush().unwrap();
        }
    }
}

fn check_table<M: recmap::table::Writable>(disk: &SmallDisk, mut t: Table<u64, M>, path: &Path) {
    let spare = disk.path("spare.bin");
    std::fs::write(&spare, vec![1u8; 200 << 10]).unwrap();
    let full_at = fill(&mut t, 0);
    assert!(full_at > 50_000, "only {full_at} records fit on 1 MiB");
    // Still usable: the records are there, the commit works, a reader sees them.
    assert_eq!(t.len() as u64, full_at);
    assert!(t.iter().enumerate().all(|(i, &v)| v == i as u64));
    t.flush().unwrap();
    {
        let r = Table::<u64>::open_read(path);
        // A ReadWrite table excludes readers; an appender does not.
        if let Ok(r) = r {
            assert_eq!(r.len() as u64, full_at);
        }
    }
    // Free space: appending goes on.
    std::fs::remove_file(&spare).unwrap();
    let more = fill(&mut t, full_at);
    eprintln!("disk full after {full_at} records; {more} after freeing 200 KiB");
    assert!(more > full_at + 20_000, "{full_at} then {more}");
    t.flush().unwrap();
    drop(t);
    let r = Table::<u64>::open_read(path).unwrap();
    assert_eq!(r.len() as u64, more);
    assert!(r.iter().enumerate().all(|(i, &v)| v == i as u64));
}

#[test]
fn a_full_disk_is_an_error_for_tables_and_maps() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };

    let path = disk.path("rw.npy");
    check_table(&disk, Table::<u64>::create(&path).unwrap(), &path);
    std::fs::remove_file(&path).unwrap();

    let path = disk.path("append.npy");
    check_table(&disk, Table::<u64>::create_append(&path).unwrap(), &path);
    std::fs::remove_file(&path).unwrap();

    // Map::resize past the free space: an error, and the map keeps its length and contents.
    let path = disk.path("map.bin");
    let mut m = Map::create(&path, 4096).unwrap();
    m.write_at(0, b"kept").unwrap();
    let err = m.resize(8 << 20).unwrap_err();
    assert!(is_enospc(&err), "{err:?}");
    assert_eq!((m.len(), &m[..4]), (4096, &b"kept"[..]));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
    m.resize(8192).unwrap();
    m.write_at(8000, b"more").unwrap();
    drop(m);

    // A length past the end with Access::Write: an error, and the file keeps its length.
    let err = MapOptions::new()
        .access(Access::Write)
        .len(8 << 20)
        .open(&path)
        .unwrap_err();
    assert!(is_enospc(&err), "{err:?}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 8192);
    assert_eq!(&std::fs::read(&path).unwrap()[8000..8004], b"more");
}

/// The names in the disk's directory, sorted (hidden ones too: a half-made file would show).
fn listing(disk: &SmallDisk) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(disk.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_full_disk_never_shrinks_a_file_that_readers_map() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let path = disk.path("live.npy");
    let mut t = Table::<u64>::create_append(&path).unwrap();
    let stop = AtomicBool::new(false);
    let opens = std::thread::scope(|s| {
        // A reader opening again and again while the appender fills the disk: every open maps
        // the file as long as it is then, so a file cut back under it would be a SIGBUS here.
        let reader = s.spawn(|| {
            let mut opens = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let mut r = Table::<u64>::open_read(&path).unwrap();
                r.refresh().unwrap();
                assert!(r.iter().enumerate().all(|(i, &v)| v == i as u64));
                opens += 1;
            }
            opens
        });
        let mut longest = std::fs::metadata(&path).unwrap().len();
        let mut i = 0u64;
        let err = loop {
            if let Err(e) = t.push(i) {
                break e;
            }
            i += 1;
            if i.is_multiple_of(500) {
                t.flush().unwrap();
            }
            let len = std::fs::metadata(&path).unwrap().len();
            assert!(len >= longest, "the file shrank from {longest} to {len}");
            longest = len;
        };
        assert!(is_enospc(&err), "{err:?}");
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(
            len >= longest,
            "the file shrank from {longest} to {len} on ENOSPC"
        );
        t.flush().unwrap();
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap()
    });
    eprintln!(
        "{opens} reader opens while {} records filled the disk",
        t.len()
    );
    let r = Table::<u64>::open_read(&path).unwrap();
    assert_eq!(r.len(), t.len());

    // Creating on the full disk fails — and leaves no file, not even a hidden one.
    let before = listing(&disk);
    for err in [
        Table::<u64>::create_append(disk.path("new.npy")).unwrap_err(),
        Table::<u64>::create(disk.path("new.npy")).unwrap_err(),
        recmap::Array::<u64>::create(disk.path("new.npy"), &[1 << 20]).unwrap_err(),
        Map::create(disk.path("new.bin"), 4 << 20).unwrap_err(),
    ] {
        assert!(is_enospc(&err), "{err:?}");
    }
    assert_eq!(listing(&disk), before);
}

const ANON_ROLE: &str = "RECMAP_DISK_FULL_ANON";

/// A shared anonymous map backed by a file (macOS's path, forced in a child with
/// `RECMAP_SYS=portable`, its temporary directory on the small disk): shrunk, the disk filled,
/// then grown back — `ENOSPC`, with the map unchanged, never a `SIGBUS` at the next store; and
/// once space is freed it grows, reads zeros and takes stores.
#[test]
fn a_shared_anonymous_map_grown_back_on_a_full_disk_is_an_error() {
    if std::env::var_os(ANON_ROLE).is_some() {
        let len = 512 * 1024;
        let mut m = Map::anon(len).unwrap();
        m.bytes_mut().unwrap().fill(1);
        m.resize(0).unwrap();
        let filler = std::env::temp_dir().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        while std::io::Write::write_all(&mut f, &[7u8; 16 * 1024]).is_ok() {}
        drop(f);
        let err = m.resize(len).unwrap_err();
        assert!(is_enospc(&err), "expected ENOSPC, got {err:?}");
        assert_eq!(m.len(), 0);
        std::fs::remove_file(&filler).unwrap();
        m.resize(len).unwrap();
        assert!(m.iter().all(|&b| b == 0), "grown back: zeros");
        m.bytes_mut().unwrap().fill(2);
        assert!(m.iter().all(|&b| b == 2));
        return;
    }
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_shared_anonymous_map_grown_back_on_a_full_disk_is_an_error",
            "--nocapture",
        ])
        .env(ANON_ROLE, "1")
        .env("RECMAP_SYS", "portable")
        .env("TMPDIR", disk.dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "the child failed or was killed: {status}");
}
