//! Integration tests for `Map`: every row of DESIGN.md's Python-to-Rust table, every error
//! variant, locks, and "an error leaves the file unchanged".
//!
//! (Over 600 lines: one short test per Python method and per error variant, in the order of
//! the table, so that a failure names the row it broke.)

mod common;

use std::io::{BufRead, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
#[cfg(unix)]
use recmap::Advice;
use recmap::{Access, Error, Map, MapOptions};

fn file_with(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn inner(err: &std::io::Error) -> &Error {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .expect("io::Error wraps a recmap::Error")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn read_map_sees_the_file_and_refuses_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"hello world");
    let mut m = Map::open(&path, Access::Read).unwrap();
    assert_eq!(&m[..], b"hello world");
    assert_eq!(m.access(), Access::Read);
    assert_eq!(m.path(), Some(path.as_path()));

    let read_only = |e: Error, want_op: &str| match e {
        Error::ReadOnly {
            access: Access::Read,
            op,
        } => assert_eq!(op, want_op),
        other => panic!("expected ReadOnly, got {other:?}"),
    };
    read_only(m.bytes_mut().unwrap_err(), "write");
    read_only(m.write_at(0, b"x").unwrap_err(), "write");
    read_only(m.write_byte(b'x').unwrap_err(), "write");
    read_only(m.move_bytes(0, 1, 2).unwrap_err(), "move bytes in");
    read_only(m.resize(3).unwrap_err(), "resize");
    let err = m.write(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(matches!(inner(&err), Error::ReadOnly { .. }));
    assert_eq!(m.tell(), 0);
    m.flush().unwrap(); // nothing to write back: not an error, as in Python
    drop(m);
    assert_eq!(read(&path), b"hello world");
}

#[test]
fn write_map_writes_through_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"hello world");
    let mut m = Map::open(&path, Access::Write).unwrap();
    m.bytes_mut().unwrap()[0..5].copy_from_slice(b"HELLO"); // m[0:5] = b"HELLO"
    m.write_at(6, b"W").unwrap();
    m.flush().unwrap();
    assert_eq!(read(&path), b"HELLO World");
    drop(m); // drop flushes too
    assert_eq!(read(&path), b"HELLO World");
}

#[test]
fn copy_map_changes_memory_never_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"hello world");
    let mut m = Map::open(&path, Access::Copy).unwrap();
    m.write_at(0, b"J").unwrap();
    m.write_all(b"XY").unwrap();
    m.flush().unwrap();
    assert_eq!(&m[..], b"XYllo world");
    assert!(matches!(
        m.resize(20),
        Err(Error::ReadOnly {
            access: Access::Copy,
            op: "resize"
        })
    ));
    m.close().unwrap();
    assert_eq!(read(&path), b"hello world");
}

#[test]
fn length_past_the_end_extends_for_write_and_is_refused_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"abc");
    for access in [Access::Read, Access::Copy] {
        let err = MapOptions::new()
            .access(access)
            .len(5)
            .open(&path)
            .unwrap_err();
        match err {
            Error::PastEndOfFile {
                path: p,
                offset: 0,
                len: 5,
                file_len: 3,
            } => assert_eq!(p, path),
            other => panic!("{other:?}"),
        }
        let err = MapOptions::new()
            .access(access)
            .offset(4)
            .open(&path)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::PastEndOfFile {
                    offset: 4,
                    file_len: 3,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(read(&path), b"abc");
    let m = MapOptions::new()
        .access(Access::Write)
        .offset(1)
        .len(6)
        .open(&path)
        .unwrap();
    assert_eq!(&m[..], b"bc\0\0\0\0");
    drop(m);
    assert_eq!(read(&path), b"abc\0\0\0\0");
}

#[test]
fn any_offset_works() {
    let dir = tempfile::tempdir().unwrap();
    let contents: Vec<u8> = (0..3 * recmap::page_size())
        .map(|i| (i % 251) as u8)
        .collect();
    let path = file_with(&dir, "f", &contents);
    for offset in [1, 7, 4095, 4096, 4097, 8191] {
        let m = MapOptions::new()
            .offset(offset as u64)
            .len(100)
            .open(&path)
            .unwrap();
        assert_eq!(&m[..], &contents[offset..offset + 100], "offset {offset}");
        assert_eq!(m.offset(), offset as u64);
    }
    let m = MapOptions::new().offset(5000).open(&path).unwrap();
    assert_eq!(m.len(), contents.len() - 5000);
}

#[test]
fn resize_with_offset_sets_the_file_to_offset_plus_len() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"0123456789");
    let mut m = MapOptions::new()
        .access(Access::Write)
        .offset(4)
        .open(&path)
        .unwrap();
    m.resize(8).unwrap();
    assert_eq!(&m[..], b"456789\0\0");
    assert_eq!(m.file_size().unwrap(), 12);
    m.resize(2).unwrap();
    assert_eq!(&m[..], b"45");
    drop(m);
    assert_eq!(read(&path), b"012345");
}

#[test]
fn resize_to_zero_gives_an_empty_map_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"abc");
    let mut m = Map::open(&path, Access::Write).unwrap();
    m.read_slice(2);
    m.resize(0).unwrap();
    assert!(m.is_empty());
    assert_eq!(m.tell(), 2); // the cursor stays, as in Python
    assert_eq!(m.read_slice(5), b"");
    assert!(m.read_byte().is_err());
    m.resize(4).unwrap();
    assert_eq!(&m[..], b"\0\0\0\0");
    drop(m);
    assert_eq!(read(&path), b"\0\0\0\0");
}

#[test]
fn anonymous_maps_are_zeroed_and_resizable() {
    for mut m in [Map::anon(10).unwrap(), Map::anon_private(10).unwrap()] {
        anonymous_map_is_zeroed_and_resizable(&mut m);
    }
    let empty = Map::anon(0).unwrap();
    assert!(empty.is_empty());
    assert!(Map::anon_private(0).unwrap().is_empty());
}

fn anonymous_map_is_zeroed_and_resizable(m: &mut Map) {
    assert_eq!(&m[..], &[0; 10]);
    assert_eq!(m.path(), None);
    m.write_at(0, b"0123456789").unwrap();
    m.resize(4).unwrap();
    assert_eq!(&m[..], b"0123");
    m.resize(6).unwrap();
    assert_eq!(&m[..], b"0123\0\0");
    assert_eq!(m.file_size().unwrap(), 6);
    m.flush().unwrap();
    m.flush_range(0, 6).unwrap();
}

const NAMED_ENV: &str = "RECMAP_NAMED_CHILD";

/// A name no other test run uses.
fn unique_name(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("recmap-{what}-{}-{nanos}", std::process::id())
}

/// The other process of `named_maps_are_shared_between_processes`: maps the name it is given,
/// checks the parent's bytes and answers beside them. An ordinary test run does nothing here.
#[test]
fn named_child() {
    let Ok(name) = std::env::var(NAMED_ENV) else {
        return;
    };
    // SAFETY: the parent does not touch the memory until this process has exited.
    let mut m = unsafe { Map::named(&name, 4096) }.unwrap();
    assert_eq!(m.len(), 4096);
    assert_eq!(&m[..4], b"ping");
    m.write_at(8, b"pong").unwrap();
}

/// Python's `mmap(-1, n, tagname=name)`: another process that maps the same name sees and
/// changes the same memory (a separate process, started anew, not a fork).
#[test]
fn named_maps_are_shared_between_processes() {
    let name = unique_name("shared");
    // SAFETY: only this test and its child map this name, one at a time.
    let mut m = unsafe { Map::named(&name, 4096) }.unwrap();
    assert_eq!(
        (m.name(), m.path(), m.len()),
        (Some(name.as_str()), None, 4096)
    );
    assert_eq!(&m[..], &[0u8; 4096][..]);
    m.write_at(0, b"ping").unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "named_child", "--nocapture", "--test-threads=1"])
        .env(NAMED_ENV, &name)
        .status()
        .unwrap();
    assert!(status.success(), "the child failed: {status}");
    assert_eq!(&m[8..12], b"pong");
    drop(m);
    // Unix: the name outlives every map until removed; Windows: it went with the last view.
    assert_eq!(Map::remove_named(&name).unwrap(), cfg!(unix));
}

const RACE_ENV: &str = "RECMAP_NAMED_RACE";
const RACE_NAMES: usize = 300;

/// A process of `named_maps_opened_at_once_never_cut_each_other`: maps each of the names in
/// turn at its own length and stores into its last byte.
#[test]
fn named_race_child() {
    let Ok(spec) = std::env::var(RACE_ENV) else {
        return;
    };
    let mut parts = spec.split(' ');
    let (base, len, start) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let len: usize = len.parse().unwrap();
    // All processes begin at the same moment, so that they meet on new names.
    let start = std::time::UNIX_EPOCH + Duration::from_nanos(start.parse().unwrap());
    while std::time::SystemTime::now() < start {
        std::hint::spin_loop();
    }
    for i in 0..RACE_NAMES {
        // SAFETY: the processes of this test only ever grow the memory and each stores into
        // bytes no other one reads.
        let mut m = unsafe { Map::named(&format!("{base}-{i}"), len) }.unwrap();
        m.write_at(len - 1, &[1]).unwrap();
    }
}

/// Processes that open the same new names at the same moment with different lengths: the
/// memory only ever grows, so none is cut under another's map (which would kill it with
/// `SIGBUS`). Linux only: macOS and Windows refuse to change a size once set, so there a
/// longer map than the memory is an error and nothing can be cut.
#[cfg(target_os = "linux")]
#[test]
fn named_maps_opened_at_once_never_cut_each_other() {
    let base = unique_name("race");
    let start = std::time::SystemTime::now() + Duration::from_millis(300);
    let start = start
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let children: Vec<_> = (0..6)
        .map(|k| {
            let len = if k % 2 == 0 { 4096 } else { 1 << 16 };
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "named_race_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(RACE_ENV, format!("{base} {len} {start}"))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let statuses: Vec<_> = children
        .into_iter()
        .map(|mut c| c.wait().unwrap())
        .collect();
    for i in 0..RACE_NAMES {
        let name = format!("{base}-{i}");
        // SAFETY: every process that mapped it has exited.
        let m = unsafe { Map::named(&name, 1) }.unwrap();
        drop(m);
        Map::remove_named(&name).unwrap();
    }
    for s in statuses {
        assert!(s.success(), "a process failed or was killed: {s}");
    }
}

/// How long a name lives: on Unix until `remove_named` (as a file in `/dev/shm` would), on
/// Windows while some process maps it.
#[test]
fn named_memory_lives_as_the_platform_keeps_it() {
    let name = unique_name("lives");
    // SAFETY: only this test maps this name.
    let mut a = unsafe { Map::named(&name, 64) }.unwrap();
    a.write_at(0, b"kept").unwrap();
    drop(a);
    // SAFETY: as above.
    let b = unsafe { Map::named(&name, 64) }.unwrap();
    let expect: &[u8] = if cfg!(unix) { b"kept" } else { b"\0\0\0\0" };
    assert_eq!(&b[..4], expect);
    drop(b);
    if cfg!(unix) {
        assert!(Map::remove_named(&name).unwrap());
        // SAFETY: as above.
        let fresh = unsafe { Map::named(&name, 64) }.unwrap();
        assert_eq!(&fresh[..4], b"\0\0\0\0");
        drop(fresh);
        assert!(Map::remove_named(&name).unwrap());
    }
    assert!(!Map::remove_named(&name).unwrap());
}

/// A second map of a name may be longer than the memory: Linux extends it (both see the new
/// bytes); macOS (which sets a shared-memory size once) and Windows (a section's size is
/// fixed) refuse. `resize` follows the same rule.
#[test]
fn named_memory_grows_on_unix_and_is_fixed_on_windows() {
    let name = unique_name("grow");
    // SAFETY: only this test maps this name; no borrow of one map lives across a write
    // through another.
    let mut small = unsafe { Map::named(&name, 8) }.unwrap();
    small.write_at(0, b"12345678").unwrap();
    // SAFETY: as above.
    let big = unsafe { Map::named(&name, 100_000) };
    if cfg!(target_os = "linux") {
        let mut big = big.unwrap();
        assert_eq!((&big[..8], &big[8..16]), (&b"12345678"[..], &[0u8; 8][..]));
        big.write_at(99_990, b"far").unwrap();
        // SAFETY: as above.
        let third = unsafe { Map::named(&name, 100_000) }.unwrap();
        assert_eq!(&third[99_990..99_993], b"far");
    } else {
        assert!(
            matches!(big, Err(Error::Io { ref path, .. }) if path.as_deref() == Some(Path::new(&name))),
            "{big:?}"
        );
    }
    let resized = small.resize(16);
    if cfg!(target_os = "linux") {
        resized.unwrap();
        assert_eq!(&small[..8], b"12345678");
    } else if cfg!(windows) {
        assert!(
            matches!(resized, Err(Error::Unsupported { .. })),
            "{resized:?}"
        );
        assert_eq!(small.len(), 8);
    } else {
        assert!(matches!(resized, Err(Error::Io { .. })), "{resized:?}");
    }
    drop(small);
    let _ = Map::remove_named(&name);
}

/// `resize` of a named map changes this map only: growing it never cuts the memory under a
/// longer map of the name (a `set_len` to its own length would), shrinking it leaves the
/// memory to the others, a length no slice can have is refused before anything is
/// allocated, and errors name the map by its name.
#[cfg(unix)]
#[test]
fn resizing_a_named_map_never_cuts_the_memory_under_another() {
    let p = recmap::page_size();
    let name = unique_name("resize");
    // SAFETY: only this test maps this name; no borrow of one map lives across a write
    // through another.
    let mut long = unsafe { Map::named(&name, 4 * p) }.unwrap();
    // SAFETY: as above.
    let mut short = unsafe { Map::named(&name, p) }.unwrap();
    long.write_at(4 * p - 4, b"tail").unwrap();
    if cfg!(target_os = "linux") {
        short.resize(2 * p).unwrap(); // a grow of the shorter map
        assert_eq!(&long[4 * p - 4..], b"tail"); // a SIGBUS here before the fix
        short.resize(p / 2).unwrap();
        assert_eq!(
            (short.len(), short.file_size().unwrap()),
            (p / 2, (p / 2) as u64)
        );
        assert_eq!(&long[4 * p - 4..], b"tail");
    }
    // Refused before anything is allocated (no slice is longer than isize::MAX bytes).
    let err = short.resize(usize::MAX).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    if cfg!(target_os = "macos") {
        // macOS keeps a shared-memory size once set: the refusal names the map.
        let err = long.resize(8 * p).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if path.as_deref() == Some(Path::new(&name))),
            "{err:?}"
        );
        assert!(err.to_string().contains(&name), "{err}");
    }
    assert_eq!(&long[4 * p - 4..], b"tail");
    drop((long, short));
    Map::remove_named(&name).unwrap();
}

/// A named map longer than `/dev/shm` has room for is `ENOSPC`, both when made and when grown,
/// and the map keeps its length. (recmap compares with the free space first, so this test
/// takes no memory; `fallocate` alone would fill `/dev/shm`, the machine's memory, page by
/// page before refusing — the same error, which is why no assertion here can tell the two
/// apart.)
#[cfg(target_os = "linux")]
#[test]
fn a_named_map_larger_than_dev_shm_is_refused_at_once() {
    // SAFETY: plain C data, filled in by `statvfs` from a NUL-terminated path.
    let st = unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        assert_eq!(libc::statvfs(c"/dev/shm".as_ptr(), &mut st), 0);
        st
    };
    if st.f_blocks == 0 {
        eprintln!("SKIPPED: /dev/shm reports no size here, so there is no room to check against");
        return;
    }
    let huge = 1usize << 50; // 1 PiB: more than any /dev/shm
    let name = unique_name("huge");
    let is_enospc = |e: &Error| {
        matches!(e, Error::Io { path, source, .. }
            if path.as_deref() == Some(Path::new(&name))
                && source.raw_os_error() == Some(libc::ENOSPC))
    };
    // SAFETY: only this test maps this name.
    let err = unsafe { Map::named(&name, huge) }.unwrap_err();
    assert!(is_enospc(&err), "{err:?}");
    // SAFETY: as above.
    let mut m = unsafe { Map::named(&name, 4096) }.unwrap();
    let err = m.resize(huge).unwrap_err();
    assert!(is_enospc(&err), "{err:?}");
    assert_eq!(m.len(), 4096);
    m.write_at(4092, b"used").unwrap();
    drop(m);
    Map::remove_named(&name).unwrap();
}

/// Names the platform cannot take give `Error::Io` with the name and `InvalidInput`.
#[test]
fn invalid_names_are_clear_errors() {
    let mut bad = vec!["", "nul\0inside"];
    if cfg!(unix) {
        bad.push("a/b");
    }
    for name in bad {
        // SAFETY: the call fails before anything is mapped.
        let err = unsafe { Map::named(name, 8) }.unwrap_err();
        match &err {
            Error::Io { path, source, .. } => {
                assert_eq!(path.as_deref(), Some(Path::new(name)));
                assert_eq!(source.kind(), ErrorKind::InvalidInput, "{name:?}: {err}");
            }
            other => panic!("{name:?}: {other:?}"),
        }
        let err = Map::remove_named(name).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, source, .. }
                if path.as_deref() == Some(Path::new(name))
                    && source.kind() == ErrorKind::InvalidInput),
            "{name:?}: {err:?}"
        );
    }
}

#[cfg(unix)]
/// Python's `mmap(-1, n)` is shared: what a forked child writes, the parent sees. A private
/// anonymous map is copied by the fork instead.
#[test]
fn anonymous_maps_are_shared_with_a_forked_child_unless_private() {
    let mut shared = Map::anon(4096).unwrap();
    shared.resize(8192).unwrap(); // grown pages are shared too
    let mut private = Map::anon_private(4096).unwrap();
    // SAFETY: the child only stores into memory that already exists and calls `_exit`; it
    // takes no lock and allocates nothing, so the other threads of the test harness that the
    // fork did not copy cannot leave it stuck.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = shared.write_at(8000, b"from the child").is_ok()
            && private.write_at(0, b"from the child").is_ok();
        // SAFETY: `_exit` ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid place for its exit status.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    assert_eq!(&shared[8000..8014], b"from the child");
    assert_eq!(&private[..14], &[0u8; 14]);
}

#[cfg(unix)]
/// A shared anonymous map shrunk by the parent while a forked child still maps all of it: the
/// child's next access reads zeros where the parent cut, never `SIGBUS` (the memory behind it
/// is given back, not cut), and what is kept stays shared.
#[test]
fn shrinking_a_shared_anonymous_map_never_kills_a_forked_child() {
    let p = recmap::page_size();
    let mut m = Map::anon(3 * p).unwrap();
    m.write_at(0, b"kept").unwrap();
    m.write_at(2 * p, b"cut").unwrap();
    let mut to_child = [0i32; 2];
    // SAFETY: a valid two-element array for the pipe's descriptors.
    assert_eq!(unsafe { libc::pipe(to_child.as_mut_ptr()) }, 0);
    // SAFETY: the child reads a pipe, loads from memory that exists in it, and `_exit`s; it
    // takes no lock and allocates nothing.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let mut byte = 0u8;
        // SAFETY: reads one byte into a local from a pipe end this process owns.
        unsafe { libc::read(to_child[0], (&mut byte as *mut u8).cast(), 1) };
        // After the parent's shrink: the old tail reads as zeros, the head as before.
        let ok = m[2 * p..2 * p + 3] == [0, 0, 0] && &m[..4] == b"kept";
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    m.resize(p).unwrap();
    assert_eq!((m.len(), m.file_size().unwrap()), (p, p as u64));
    // SAFETY: writes one byte from a static to a pipe end this process owns.
    let sent = unsafe { libc::write(to_child[1], b"go".as_ptr().cast(), 1) };
    assert_eq!(sent, 1);
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid place for its exit status.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child was killed or saw other bytes (status {status:#x})"
    );
    m.resize(3 * p).unwrap();
    assert_eq!(
        &m[2 * p..2 * p + 3],
        &[0, 0, 0],
        "grown again: zeros, not the old bytes"
    );
}

#[cfg(unix)]
/// `advise_range` bounds as CPython's `madvise`: a start at or past the end is an error, a
/// length past the end is cut to it. Checked against the real CPython.
#[test]
fn advise_range_bounds_match_cpython() {
    let m = Map::anon(3 * 4096).unwrap();
    let len = m.len();
    let cases = [
        (0, 0),
        (0, usize::MAX / 2),
        (4096, 1 << 30),
        (8192, 4096),
        (len, 1),
        (len, 0),
        (len + 4096, 0),
    ];
    let ours: Vec<bool> = cases
        .iter()
        .map(|&(s, l)| m.advise_range(Advice::Normal, s, l).is_ok())
        .collect();
    assert_eq!(ours, [true, true, true, true, false, false, false]);
    assert!(matches!(
        m.advise_range(Advice::Normal, len, 1),
        Err(Error::OutOfBounds { offset, len: 1, map_len }) if offset == len && map_len == len
    ));
    let Some(python) = common::python3() else {
        return;
    };
    let args: Vec<String> = cases.iter().map(|(s, l)| format!("{s}:{l}")).collect();
    let script = r#"
import mmap, sys
m = mmap.mmap(-1, 3 * mmap.PAGESIZE)
out = []
for case in sys.argv[1:]:
    s, l = map(int, case.split(":"))
    try:
        m.madvise(mmap.MADV_NORMAL, s, l)
        out.append("ok")
    except (ValueError, OverflowError):
        out.append("err")
print(" ".join(out))
"#;
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let theirs = common::run_python(python, script, &arg_refs, b"");
    let ours_text: Vec<&str> = ours
        .iter()
        .map(|&ok| if ok { "ok" } else { "err" })
        .collect();
    assert_eq!(theirs.trim(), ours_text.join(" "));
}

#[test]
fn empty_files_map_as_empty_maps() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"");
    for access in [Access::Read, Access::Write, Access::Copy] {
        let mut m = Map::open(&path, access).unwrap();
        assert!(m.is_empty());
        assert_eq!(m.read_slice(4), b"");
        assert_eq!(m.readline(), b"");
        assert!(matches!(
            m.read_byte(),
            Err(Error::OutOfBounds {
                offset: 0,
                len: 1,
                map_len: 0
            })
        ));
        assert_eq!(m.find(b"", ..), Some(0));
        assert_eq!(m.find(b"a", ..), None);
        m.flush().unwrap();
        #[cfg(unix)]
        m.advise(Advice::Sequential).unwrap();
    }
}

#[test]
fn slicing_never_moves_the_cursor() {
    let mut m = Map::anon(30).unwrap();
    m.write_at(0, b"Lorem ipsum dolor sit amet, co").unwrap();
    assert_eq!(m.read_slice(10), b"Lorem ipsu");
    assert_eq!(&m[..10], b"Lorem ipsu");
    assert_eq!(m.read_slice(10), b"m dolor si");
    assert_eq!(m.tell(), 20);
}

#[test]
fn file_api_reads_lines_bytes_and_the_rest() {
    let mut m = Map::anon(9).unwrap();
    m.write_at(0, b"ab\n\ncd\nef").unwrap();
    assert_eq!(m.read_byte().unwrap(), b'a');
    assert_eq!(m.readline(), b"b\n");
    assert_eq!(m.readline(), b"\n");
    assert_eq!(m.read_slice(usize::MAX), b"cd\nef"); // Python's read()
    assert_eq!(m.readline(), b"");
    assert!(matches!(
        m.read_byte(),
        Err(Error::OutOfBounds {
            offset: 9,
            len: 1,
            map_len: 9
        })
    ));

    m.rewind().unwrap();
    let lines: Vec<Vec<u8>> = BufRead::split(&mut m, b'\n').map(Result::unwrap).collect();
    assert_eq!(lines, [&b"ab"[..], b"", b"cd", b"ef"]);
    m.rewind().unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(m.read(&mut buf).unwrap(), 4);
    assert_eq!(&buf, b"ab\n\n");
    let mut rest = Vec::new();
    m.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"cd\nef");
    assert_eq!(m.fill_buf().unwrap(), b"");
}

#[test]
fn write_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"......");
    let mut m = Map::open(&path, Access::Write).unwrap();
    m.write_all(b"abcd").unwrap();
    let err = m.write(b"xyz").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(matches!(
        inner(&err),
        Error::OutOfBounds {
            offset: 4,
            len: 3,
            map_len: 6
        }
    ));
    assert_eq!(m.tell(), 4);
    m.write_byte(b'e').unwrap();
    m.write_byte(b'f').unwrap();
    assert!(matches!(
        m.write_byte(b'g'),
        Err(Error::OutOfBounds {
            offset: 6,
            len: 1,
            map_len: 6
        })
    ));
    m.close().unwrap();
    assert_eq!(read(&path), b"abcdef");
}

#[test]
fn seek_from_all_three_origins_and_out_of_range() {
    let mut m = Map::anon(10).unwrap();
    assert_eq!(m.seek(SeekFrom::Start(4)).unwrap(), 4);
    assert_eq!(m.seek(SeekFrom::Current(3)).unwrap(), 7);
    assert_eq!(m.seek(SeekFrom::End(-1)).unwrap(), 9);
    assert_eq!(m.seek(SeekFrom::End(0)).unwrap(), 10);
    assert_eq!(m.stream_position().unwrap(), 10);
    for bad in [
        SeekFrom::Start(11),
        SeekFrom::Current(1),
        SeekFrom::End(-11),
        SeekFrom::End(1),
    ] {
        let err = m.seek(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(matches!(
            inner(&err),
            Error::SeekOutOfRange { map_len: 10, .. }
        ));
        assert_eq!(m.tell(), 10);
    }
    let err = m.seek(SeekFrom::Current(-11)).unwrap_err();
    assert!(matches!(
        inner(&err),
        Error::SeekOutOfRange {
            target: -1,
            map_len: 10
        }
    ));
}

#[test]
fn find_and_rfind_with_ranges() {
    let mut m = Map::anon(12).unwrap();
    m.write_at(0, b"abcXabcXabcX").unwrap();
    assert_eq!(m.find(b"abc", ..), Some(0));
    assert_eq!(m.find(b"abc", 1..), Some(4));
    assert_eq!(m.find(b"abc", 1..6), None);
    assert_eq!(m.find(b"abc", 1..7), Some(4));
    assert_eq!(m.find(b"abc", 100..), None);
    assert_eq!(m.rfind(b"abc", ..), Some(8));
    assert_eq!(m.rfind(b"abc", ..=10), Some(8));
    assert_eq!(m.rfind(b"abc", ..10), Some(4));
    assert_eq!(m.rfind(b"Q", ..), None);
    assert_eq!(m.tell(), 0);
}

#[test]
fn move_bytes_overlapping_both_ways_and_out_of_bounds() {
    let mut m = Map::anon(8).unwrap();
    m.write_at(0, b"abcdefgh").unwrap();
    m.move_bytes(1, 0, 4).unwrap();
    assert_eq!(&m[..], b"aabcdfgh");
    m.move_bytes(0, 2, 6).unwrap();
    assert_eq!(&m[..], b"bcdfghgh");
    for (d, s, c) in [(5, 0, 4), (0, 5, 4), (usize::MAX, 0, 2)] {
        assert!(matches!(
            m.move_bytes(d, s, c),
            Err(Error::OutOfBounds { .. })
        ));
    }
    assert_eq!(&m[..], b"bcdfghgh");
}

#[test]
fn flush_and_advise_ranges_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let mut m = Map::create(&path, 3 * recmap::page_size()).unwrap();
    m.write_at(5000, b"data").unwrap();
    m.flush_range(4999, 10).unwrap();
    m.flush_async().unwrap();
    assert_eq!(&read(&path)[5000..5004], b"data");
    let len = m.len();
    assert!(matches!(
        m.flush_range(len - 1, 2),
        Err(Error::OutOfBounds { len: 2, .. })
    ));
    // No `madvise` on Windows (and so no `Advice`).
    #[cfg(unix)]
    {
        m.advise(Advice::Random).unwrap();
        m.advise_range(Advice::WillNeed, 10, 100).unwrap();
        assert!(matches!(
            m.advise_range(Advice::Normal, len, 1),
            Err(Error::OutOfBounds { .. })
        ));
    }
}

#[test]
fn create_makes_extends_but_never_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new");
    let m = Map::create(&path, 1_000_000).unwrap();
    assert_eq!(m.len(), 1_000_000);
    m.close().unwrap();
    assert_eq!(read(&path).len(), 1_000_000);
    let long = file_with(&dir, "long", b"0123456789");
    let m = Map::create(&long, 4).unwrap();
    assert_eq!(&m[..], b"0123");
    assert_eq!(m.file_size().unwrap(), 10);
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.bin");
    let err = Map::open(&path, Access::Read).unwrap_err();
    match &err {
        Error::Io {
            path: Some(p),
            op: "open",
            source,
        } => {
            assert_eq!(p, &path);
            assert_eq!(source.kind(), ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("missing.bin"), "{err}");
}

#[test]
fn one_writer_or_many_readers() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"abc");
    let r1 = Map::open(&path, Access::Read).unwrap();
    let r2 = Map::open(&path, Access::Copy).unwrap();
    match Map::open(&path, Access::Write).unwrap_err() {
        Error::Locked {
            path: p,
            exclusive: true,
            held_by: recmap::LockHolder::Readers,
        } => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    drop((r1, r2));
    let w = Map::open(&path, Access::Write).unwrap();
    assert!(matches!(
        Map::open(&path, Access::Read),
        Err(Error::Locked {
            exclusive: false,
            ..
        })
    ));
    assert!(matches!(
        Map::open(&path, Access::Write),
        Err(Error::Locked {
            exclusive: true,
            ..
        })
    ));
    let err = Map::open(&path, Access::Read).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("f is held by a writer (wanted a shared lock)"),
        "{err}"
    );
    drop(w);
    Map::open(&path, Access::Write).unwrap();
}

#[test]
fn wait_for_lock_waits_until_the_writer_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"old");
    let mut w = Map::open(&path, Access::Write).unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        w.write_at(0, b"new").unwrap();
        // `w` drops here: flushed, then unlocked.
    });
    let m = MapOptions::new().wait_for_lock(true).open(&path).unwrap();
    assert_eq!(&m[..], b"new");
    writer.join().unwrap();
}

#[test]
fn open_unlocked_ignores_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"abc");
    let _w = Map::open(&path, Access::Write).unwrap();
    // SAFETY: `_w` is not used to write or truncate while `m` lives.
    let m = unsafe { MapOptions::new().open_unlocked(&path) }.unwrap();
    assert_eq!(&m[..], b"abc");
}

#[test]
fn locks_are_real_os_locks_seen_by_other_processes() {
    let Some(mut python) = common::python3() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"abc");
    // A Python process takes a POSIX record lock on the whole file (`lockf(LOCK_EX)`, which
    // covers every offset, recmap's lock bytes included), says so, and holds it until its
    // stdin closes.
    let mut child = python
        .args([
            "-c",
            "import fcntl, sys\nf = open(sys.argv[1], 'r+b')\nfcntl.lockf(f, fcntl.LOCK_EX)\n\
             print('locked', flush=True)\nsys.stdin.read()",
            path.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    assert!(matches!(
        Map::open(&path, Access::Read),
        Err(Error::Locked { .. })
    ));
    drop(child.stdin.take());
    child.wait().unwrap();
    Map::open(&path, Access::Write).unwrap();
}

#[test]
fn page_size_and_granularity_match_python() {
    let Some(python) = common::python3() else {
        return;
    };
    let out = common::run_python(
        python,
        "import mmap; print(mmap.PAGESIZE, mmap.ALLOCATIONGRANULARITY)",
        &[],
        b"",
    );
    assert_eq!(
        out.trim(),
        format!(
            "{} {}",
            recmap::page_size(),
            recmap::allocation_granularity()
        )
    );
}

#[test]
fn populate_maps_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", &[7u8; 10_000]);
    let m = MapOptions::new().populate(true).open(&path).unwrap();
    assert!(m.iter().all(|&b| b == 7));
}

#[test]
fn debug_shows_the_facts() {
    let m = Map::anon(3).unwrap();
    let s = format!("{m:?}");
    assert!(s.contains("len: 3") && s.contains("access: Write"), "{s}");
}

/// A `Vec<u8>` model of Python's mmap for the operations that need no file.
#[derive(Debug, Clone)]
enum ModelOp {
    WriteAt(usize, Vec<u8>),
    Move(usize, usize, usize),
    Read(usize),
    Seek(usize),
    Find(Vec<u8>, usize, usize),
    Rfind(Vec<u8>, usize, usize),
}

fn model_op() -> impl Strategy<Value = ModelOp> {
    let small = || prop::collection::vec(prop::sample::select(b"ab\n".to_vec()), 0..4);
    prop_oneof![
        (0..40usize, small()).prop_map(|(o, d)| ModelOp::WriteAt(o, d)),
        (0..40usize, 0..40usize, 0..20usize).prop_map(|(d, s, c)| ModelOp::Move(d, s, c)),
        (0..40usize).prop_map(ModelOp::Read),
        (0..40usize).prop_map(ModelOp::Seek),
        (small(), 0..40usize, 0..40usize).prop_map(|(n, s, e)| ModelOp::Find(n, s, e)),
        (small(), 0..40usize, 0..40usize).prop_map(|(n, s, e)| ModelOp::Rfind(n, s, e)),
    ]
}

/// Python's find on a byte string, written the slow and obvious way.
fn naive_find(hay: &[u8], needle: &[u8], start: usize, end: usize, reverse: bool) -> Option<usize> {
    let (start, end) = (start.min(hay.len()), end.min(hay.len()));
    let mut hits =
        (start..=end).filter(|&i| i + needle.len() <= end && hay[i..i + needle.len()] == *needle);
    if reverse {
        hits.next_back()
    } else {
        hits.next()
    }
}

proptest! {
    #[test]
    fn map_matches_a_vec_model(init in prop::collection::vec(any::<u8>(), 0..32),
                               ops in prop::collection::vec(model_op(), 0..40)) {
        let mut m = Map::anon(init.len()).unwrap();
        m.write_at(0, &init).unwrap();
        let (mut model, mut pos) = (init.clone(), 0usize);
        for op in ops {
            match op {
                ModelOp::WriteAt(o, d) => {
                    let fits = o + d.len() <= model.len();
                    prop_assert_eq!(m.write_at(o, &d).is_ok(), fits);
                    if fits { model[o..o + d.len()].copy_from_slice(&d); }
                }
                ModelOp::Move(d, s, c) => {
                    let fits = d + c <= model.len() && s + c <= model.len();
                    prop_assert_eq!(m.move_bytes(d, s, c).is_ok(), fits);
                    if fits { model.copy_within(s..s + c, d); }
                }
                ModelOp::Read(n) => {
                    let end = (pos + n).min(model.len()).max(pos);
                    prop_assert_eq!(m.read_slice(n), model.get(pos..end).unwrap_or_default());
                    pos = end;
                }
                ModelOp::Seek(p) => {
                    let ok = p <= model.len();
                    prop_assert_eq!(m.seek(SeekFrom::Start(p as u64)).is_ok(), ok);
                    if ok { pos = p; }
                }
                ModelOp::Find(n, s, e) => prop_assert_eq!(m.find(&n, s..e), naive_find(&model, &n, s, e, false)),
                ModelOp::Rfind(n, s, e) => prop_assert_eq!(m.rfind(&n, s..e), naive_find(&model, &n, s, e, true)),
            }
            prop_assert_eq!(&m[..], &model[..]);
            prop_assert_eq!(m.tell(), pos);
        }
    }
}

#[test]
fn ranges_past_the_address_space_are_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "f", b"abc");
    for access in [Access::Read, Access::Write, Access::Copy] {
        let err = MapOptions::new()
            .access(access)
            .offset(u64::MAX)
            .len(10)
            .open(&path)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooLarge {
                    offset: u64::MAX,
                    len: 10
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(read(&path), b"abc");
}
