//! Byte locks from POSIX record locks (`F_SETLK`), made to behave like Linux's open-file
//! locks — for macOS, which has no open-file-description locks (and on Linux under
//! `RECMAP_SYS=portable`, so that every line here is tested).
//!
//! POSIX record locks belong to the *process*, not to the open file: two opens of one file
//! in one process never conflict, a second lock by the same process replaces the first, and
//! closing *any* descriptor of the file drops every lock the process holds on it. recmap's
//! roles need the open file's semantics (a table and a map of one file in one process must
//! exclude each other as two processes would), so, as SQLite does on every Unix, this module
//! keeps a table of this process's holders per file (device and inode) and byte:
//!
//! - between opens of this process, the table decides: a conflict is a refusal, exactly as
//!   the kernel would refuse another process;
//! - towards other processes, the kernel decides: the process holds the strongest lock any
//!   of its opens holds (one shared lock however many opens share it), taken with `F_SETLK`;
//! - a descriptor that recmap is done with is *parked*, not closed, while any open of this
//!   process still holds a lock on the same file, and closed with the last lock; a new open
//!   of that file takes a parked descriptor back instead of opening another ([`open`]), so
//!   parked descriptors never outnumber the opens that were live at once.
//!
//! Waiting is polling (backing off from a yield to 1 ms): the kernel's `F_SETLKW` would wait
//! only for other processes, and only for this process's table lock.
//!
//! What the user must know (the same as for SQLite): a descriptor of the file that the
//! program opens and closes *itself* (`std::fs::read(path)`, say) drops this process's locks
//! towards other processes when it is closed; recmap's own opens never do. And a child of
//! `fork` holds none of its parent's locks (its table starts empty: see `table`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// A file, by device and inode.
type FileId = (u64, u64);

/// This process's holders of one byte.
#[derive(Debug, PartialEq, Eq)]
enum Holders {
    /// Opens (descriptors) holding it shared; never empty.
    Shared(Vec<RawFd>),
    /// The one open holding it exclusively.
    Exclusive(RawFd),
}

/// This process's locks on one file, and the descriptors waiting to be closed.
#[derive(Default)]
struct FileLocks {
    bytes: BTreeMap<i64, Holders>,
    parked: Vec<File>,
}

/// This process's locks on every file, and the fork generation they were taken in.
struct Holdings {
    /// [`fork_generation`](super::unix::fork_generation) when the entries were made.
    forks: u64,
    files: BTreeMap<FileId, FileLocks>,
}

impl std::ops::Deref for Holdings {
    type Target = BTreeMap<FileId, FileLocks>;
    fn deref(&self) -> &Self::Target {
        &self.files
    }
}

impl std::ops::DerefMut for Holdings {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.files
    }
}

static TABLE: Mutex<Holdings> = Mutex::new(Holdings {
    forks: 0,
    files: BTreeMap::new(),
});

/// The table, locked — emptied first in the child of a `fork`.
///
/// A child inherits the parent's table (its memory) but none of its POSIX locks: entries
/// that say "this process holds `ACCESS` shared" would make the child's own opens join a
/// lock that the kernel never gave the child (its `Read` map would then have no lock at all
/// once the parent lets go, and a writer in another process could take the file under it).
/// So the first use in a child drops the parent's entries and closes the parked descriptors
/// copied with them; that is safe because the child has taken no lock yet (every lock goes
/// through here first), so no close can drop one.
fn table() -> MutexGuard<'static, Holdings> {
    // Both register `pthread_atfork` handlers on first use, so both come before the lock:
    // musl and macOS hold their fork-handler lock from the prepare handlers through the
    // parent's, and `pthread_atfork` takes it too, so registering with the table locked while
    // another thread forks (and waits for the table in `lock_before_fork`) would deadlock.
    hold_across_fork();
    let forks = super::unix::fork_generation();
    // The table stays consistent at every `?` below, so a panic elsewhere cannot poison it
    // into a wrong state.
    let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
    if table.forks != forks {
        table.forks = forks;
        // Closed here, with the table locked (see `close`).
        drop(std::mem::take(&mut table.files));
    }
    table
}

thread_local! {
    /// The table's guard, held by the thread that forks from just before the `fork` until
    /// just after it, in the parent and in the child (see [`hold_across_fork`]).
    static HELD_ACROSS_FORK: std::cell::RefCell<Option<MutexGuard<'static, Holdings>>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes `fork` safe for the table (registered once, at its first use): the thread that
/// forks takes the table's lock first and lets go of it after, on both sides. Without this,
/// a fork while *another* thread held the lock would leave the child a locked table whose
/// holder does not exist there, and the child's first open would wait forever. (The lock is
/// only ever held for a few non-blocking `fcntl`s, never across a wait, so a fork waits for
/// it no longer.)
fn hold_across_fork() {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    REGISTER.call_once(|| {
        // SAFETY: the handlers are `'static` functions; they only lock and unlock a mutex and
        // move its guard in and out of a thread-local that the forking thread set itself
        // (the child is a copy of that thread), which allocates nothing.
        unsafe {
            libc::pthread_atfork(
                Some(lock_before_fork),
                Some(unlock_after_fork),
                Some(unlock_after_fork),
            );
        }
    });
}

extern "C" fn lock_before_fork() {
    let _ = HELD_ACROSS_FORK.try_with(|held| {
        *held.borrow_mut() = Some(TABLE.lock().unwrap_or_else(|e| e.into_inner()));
    });
}

extern "C" fn unlock_after_fork() {
    let _ = HELD_ACROSS_FORK.try_with(|held| drop(held.borrow_mut().take()));
}

fn file_id(meta: &std::fs::Metadata) -> FileId {
    (meta.dev(), meta.ino())
}

/// Takes (or, with `exclusive: None`, releases) a lock on the one byte at `byte` for the
/// open `file`, as Linux's open-file locks behave: `Ok(false)` if another open — of this
/// process or another — holds a conflicting lock and `wait` is off; with `wait`, polls until
/// it is granted.
pub(crate) fn byte_lock(
    file: &File,
    byte: i64,
    exclusive: Option<bool>,
    wait: bool,
) -> io::Result<bool> {
    let id = file_id(&file.metadata()?);
    let mut pause = Duration::ZERO;
    loop {
        if try_byte_lock(file, id, byte, exclusive)? {
            return Ok(true);
        }
        if !wait {
            return Ok(false);
        }
        if pause.is_zero() {
            std::thread::yield_now();
            pause = Duration::from_micros(20);
        } else {
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }
}

/// One attempt of [`byte_lock`]: the table decides between this process's opens, the
/// kernel between processes.
fn try_byte_lock(file: &File, id: FileId, byte: i64, exclusive: Option<bool>) -> io::Result<bool> {
    let fd = file.as_raw_fd();
    let mut table = table();
    let locks = table.entry(id).or_default();
    let granted = match (exclusive, locks.bytes.get_mut(&byte)) {
        (None, _) => {
            release(file, locks, byte)?;
            true
        }
        (Some(false), None) => {
            let ok = kernel_lock(file, byte, Some(false))?;
            if ok {
                locks.bytes.insert(byte, Holders::Shared(vec![fd]));
            }
            ok
        }
        (Some(false), Some(Holders::Shared(fds))) => {
            // The process holds the kernel's shared lock already.
            if !fds.contains(&fd) {
                fds.push(fd);
            }
            true
        }
        (Some(false), Some(h @ Holders::Exclusive(_))) => {
            if *h != Holders::Exclusive(fd) {
                false
            } else {
                // A downgrade of our own lock: the kernel never refuses it.
                let ok = kernel_lock(file, byte, Some(false))?;
                if ok {
                    *h = Holders::Shared(vec![fd]);
                }
                ok
            }
        }
        (Some(true), None) => {
            let ok = kernel_lock(file, byte, Some(true))?;
            if ok {
                locks.bytes.insert(byte, Holders::Exclusive(fd));
            }
            ok
        }
        (Some(true), Some(h)) => match h {
            Holders::Exclusive(owner) => *owner == fd,
            Holders::Shared(fds) if fds.as_slice() == [fd] => {
                // An upgrade: if another process shares the byte the kernel refuses, and our
                // shared lock stays as it was.
                let ok = kernel_lock(file, byte, Some(true))?;
                if ok {
                    *h = Holders::Exclusive(fd);
                }
                ok
            }
            Holders::Shared(_) => false,
        },
    };
    if locks.bytes.is_empty() && locks.parked.is_empty() {
        table.remove(&id);
    }
    Ok(granted)
}

/// Takes `file`'s lock on `byte` out of the table, and the process's kernel lock with it when
/// it was the last holder.
fn release(file: &File, locks: &mut FileLocks, byte: i64) -> io::Result<()> {
    let fd = file.as_raw_fd();
    let last = match locks.bytes.get_mut(&byte) {
        Some(Holders::Exclusive(owner)) => *owner == fd,
        Some(Holders::Shared(fds)) => {
            fds.retain(|&f| f != fd);
            fds.is_empty()
        }
        None => false,
    };
    if last {
        locks.bytes.remove(&byte);
        kernel_lock(file, byte, None)?;
    }
    Ok(())
}

/// The lock another open holds on the byte at `byte` — of this process (from the table) or
/// of another (`F_GETLK`, which never reports the caller's own process): `Some(true)` for an
/// exclusive one, `Some(false)` for a shared one.
pub(crate) fn byte_lock_held(file: &File, byte: i64) -> io::Result<Option<bool>> {
    let id = file_id(&file.metadata()?);
    let fd = file.as_raw_fd();
    {
        let table = table();
        match table.get(&id).and_then(|l| l.bytes.get(&byte)) {
            Some(Holders::Exclusive(owner)) if *owner != fd => return Ok(Some(true)),
            // Others of this process share it: another process can hold it only shared too.
            Some(Holders::Shared(fds)) if fds.iter().any(|&f| f != fd) => return Ok(Some(false)),
            _ => {}
        }
    }
    let mut lock = flock(byte, Some(true));
    // SAFETY: `lock` is a valid, initialised `flock` that lives across the call; `F_GETLK`
    // only writes into it. The descriptor belongs to `file`.
    let rc = unsafe {
        libc::fcntl(
            file.as_raw_fd(),
            libc::F_GETLK,
            &mut lock as *mut libc::flock,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // `l_type` is a `c_short`, the constants `c_int` on Linux and `c_short` on macOS.
    #[allow(clippy::useless_conversion)]
    let (wr, rd) = (i32::from(libc::F_WRLCK), i32::from(libc::F_RDLCK));
    let kind = i32::from(lock.l_type);
    Ok(if kind == wr {
        Some(true)
    } else if kind == rd {
        Some(false)
    } else {
        None
    })
}

/// Closes a descriptor recmap is done with — or parks it, with its locks released, while
/// another open of this process still holds a lock on the same file (closing it would drop
/// those). The last release closes every parked descriptor of the file.
///
/// Every descriptor is closed *with the table locked*: a close drops every POSIX lock the
/// process holds on the file, so it must not fall between another thread's look at the table
/// and the kernel lock that thread then takes (its map would be left with no kernel lock
/// while the table says it has one — `tests/portable.rs`, the close in one thread).
pub(crate) fn close(file: File) {
    let mut table = table();
    let Ok(meta) = file.metadata() else {
        drop(file);
        return;
    };
    let id = file_id(&meta);
    let Some(locks) = table.get_mut(&id) else {
        drop(file);
        return;
    };
    let fd = file.as_raw_fd();
    let held: Vec<i64> = locks
        .bytes
        .iter()
        .filter(|(_, h)| match h {
            Holders::Exclusive(owner) => *owner == fd,
            Holders::Shared(fds) => fds.contains(&fd),
        })
        .map(|(&b, _)| b)
        .collect();
    for byte in held {
        let _ = release(&file, locks, byte);
    }
    if locks.bytes.is_empty() {
        // Nobody here holds a lock any more: every descriptor may go.
        let parked = std::mem::take(&mut locks.parked);
        table.remove(&id);
        drop(parked);
        drop(file);
    } else {
        locks.parked.push(file);
    }
    drop(table);
}

/// Opens `path` (for writing too if `write`), taking back a parked descriptor of the same
/// file with the access needed if there is one (see [`close`]).
pub(crate) fn open(path: &Path, write: bool) -> io::Result<File> {
    if let Ok(meta) = std::fs::metadata(path) {
        let mut table = table();
        if let Some(locks) = table.get_mut(&file_id(&meta)) {
            let fits = |f: &File| {
                // SAFETY: `F_GETFL` only reads the descriptor's flags.
                let flags = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETFL) };
                flags >= 0 && (!write || flags & libc::O_ACCMODE == libc::O_RDWR)
            };
            if let Some(i) = locks.parked.iter().position(fits) {
                return Ok(locks.parked.swap_remove(i));
            }
        }
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
}

/// The process's kernel lock on one byte (`F_SETLK`): `Ok(false)` if another process holds
/// a conflicting one.
fn kernel_lock(file: &File, byte: i64, exclusive: Option<bool>) -> io::Result<bool> {
    let mut lock = flock(byte, exclusive);
    loop {
        // SAFETY: `lock` is a valid, initialised `flock` that lives across the call; the
        // descriptor belongs to `file`.
        let rc = unsafe {
            libc::fcntl(
                file.as_raw_fd(),
                libc::F_SETLK,
                &mut lock as *mut libc::flock,
            )
        };
        if rc == 0 {
            return Ok(true);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) | Some(libc::EACCES) => return Ok(false),
            _ => return Err(err),
        }
    }
}

/// A `flock` record for one byte: write (`Some(true)`), read (`Some(false)`) or unlock.
pub(super) fn flock(byte: i64, exclusive: Option<bool>) -> libc::flock {
    let kind = match exclusive {
        Some(true) => libc::F_WRLCK,
        Some(false) => libc::F_RDLCK,
        None => libc::F_UNLCK,
    };
    // SAFETY: `flock` is a plain C struct of integers, for which all-zero is a valid value.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = byte as libc::off_t;
    lock.l_len = 1;
    lock
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What another process sees on `byte` of `path` (`F_GETLK` from a forked child, which
    /// holds none of this process's POSIX locks): 0 none, 1 shared, 2 exclusive.
    fn seen_from_another_process(path: &Path, byte: i64) -> i32 {
        use std::os::unix::ffi::OsStrExt;
        // Opened in the child: closing a descriptor here would drop this process's locks.
        let cpath = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        let mut lock = flock(byte, Some(true));
        #[allow(clippy::useless_conversion)] // `c_short` constants on macOS
        let (wr, rd) = (i32::from(libc::F_WRLCK), i32::from(libc::F_RDLCK));
        // SAFETY: the child only calls async-signal-safe functions (`open`, `fcntl`, `_exit`)
        // on memory that exists in it (copies of `cpath` and `lock`), then exits without
        // unwinding.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // SAFETY: as above.
            unsafe {
                let fd = libc::open(cpath.as_ptr(), libc::O_RDONLY);
                let rc = libc::fcntl(fd, libc::F_GETLK, &mut lock as *mut libc::flock);
                let code = if fd < 0 || rc != 0 {
                    9
                } else if i32::from(lock.l_type) == wr {
                    2
                } else if i32::from(lock.l_type) == rd {
                    1
                } else {
                    0
                };
                libc::_exit(code);
            }
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked; `status` is a valid out-pointer.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status));
        libc::WEXITSTATUS(status)
    }

    /// A one-byte file in a new temporary directory (kept alive by the first value).
    fn one_byte_file() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"x").unwrap();
        (dir, path)
    }

    fn open_rw(path: &Path) -> File {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap()
    }

    fn parked(path: &Path) -> usize {
        let id = file_id(&std::fs::metadata(path).unwrap());
        table().get(&id).map_or(0, |l| l.parked.len())
    }

    /// A fork while another thread holds the table's lock: the child must still be able to
    /// lock (without the fork handlers it waited forever on a lock whose holder it lacks).
    #[test]
    fn a_fork_while_another_thread_holds_the_table_leaves_the_child_a_usable_table() {
        let (_dir, path) = one_byte_file();
        let file = open_rw(&path);
        let (held, release) = (
            std::sync::Arc::new(std::sync::Barrier::new(2)),
            Duration::from_millis(100),
        );
        let holder = {
            let held = held.clone();
            std::thread::spawn(move || {
                let guard = table();
                held.wait();
                std::thread::sleep(release);
                drop(guard);
            })
        };
        held.wait(); // the other thread holds the table now, for 100 ms more
        // SAFETY: the child locks a byte of a file it inherited (the table's lock and an
        // `fcntl`) and calls `_exit`; the fork handlers made the table's lock free in it.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = matches!(byte_lock(&file, i64::MAX - 1, Some(true), false), Ok(true));
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut status = 0;
        loop {
            // SAFETY: polls the child just forked; `status` is a valid out-pointer.
            let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if rc == pid {
                break;
            }
            if std::time::Instant::now() > deadline {
                // SAFETY: `pid` is our own child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!("the forked child hung on the table's lock");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        holder.join().unwrap();
    }

    #[test]
    fn two_opens_of_one_process_exclude_each_other_as_two_processes_would() {
        let (_dir, path) = one_byte_file();
        let (a, b) = (open_rw(&path), open_rw(&path));
        const BYTE: i64 = i64::MAX - 1;
        assert!(byte_lock(&a, BYTE, Some(true), false).unwrap());
        assert!(!byte_lock(&b, BYTE, Some(true), false).unwrap());
        assert!(!byte_lock(&b, BYTE, Some(false), false).unwrap());
        assert_eq!(byte_lock_held(&b, BYTE).unwrap(), Some(true));
        assert_eq!(
            byte_lock_held(&a, BYTE).unwrap(),
            None,
            "its own lock never counts"
        );
        assert_eq!(seen_from_another_process(&path, BYTE), 2);
        // A downgrade, then both share; an upgrade is refused while the other shares.
        assert!(byte_lock(&a, BYTE, Some(false), false).unwrap());
        assert!(byte_lock(&b, BYTE, Some(false), false).unwrap());
        assert_eq!(seen_from_another_process(&path, BYTE), 1);
        assert!(!byte_lock(&a, BYTE, Some(true), false).unwrap());
        assert_eq!(byte_lock_held(&a, BYTE).unwrap(), Some(false));
        // One lets go: the kernel lock stays for the other; then the upgrade is granted.
        assert!(byte_lock(&b, BYTE, None, false).unwrap());
        assert_eq!(seen_from_another_process(&path, BYTE), 1);
        assert!(byte_lock(&a, BYTE, Some(true), false).unwrap());
        assert_eq!(seen_from_another_process(&path, BYTE), 2);
        assert!(byte_lock(&a, BYTE, None, false).unwrap());
        assert_eq!(seen_from_another_process(&path, BYTE), 0);
        close(a);
        close(b);
        assert_eq!(parked(&path), 0);
    }

    #[test]
    fn closing_one_open_keeps_the_others_locks_and_the_last_release_closes_all() {
        let (_dir, path) = one_byte_file();
        let (a, b) = (open_rw(&path), open_rw(&path));
        let b_fd = b.as_raw_fd();
        assert!(byte_lock(&a, 7, Some(true), false).unwrap());
        assert!(byte_lock(&b, 8, Some(false), false).unwrap());
        // Closing `b` would drop `a`'s lock too: it is parked, its own lock released.
        close(b);
        assert_eq!(parked(&path), 1);
        // SAFETY: `F_GETFD` only asks whether the descriptor is open.
        let open_now = |fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0;
        assert!(open_now(b_fd), "b was closed");
        assert_eq!(seen_from_another_process(&path, 7), 2);
        assert_eq!(seen_from_another_process(&path, 8), 0);
        // A new open of the file takes the parked descriptor back.
        let c = open(&path, false).unwrap();
        assert_eq!(c.as_raw_fd(), b_fd);
        assert_eq!(parked(&path), 0);
        close(c);
        assert_eq!(parked(&path), 1);
        // The last lock goes with its open: every descriptor is closed.
        close(a);
        assert_eq!(parked(&path), 0);
        assert!(!open_now(b_fd), "the parked descriptor stayed open");
        assert_eq!(seen_from_another_process(&path, 7), 0);
    }

    #[test]
    fn a_waiting_lock_is_granted_when_the_other_open_lets_go() {
        let (_dir, path) = one_byte_file();
        let (a, b) = (open_rw(&path), open_rw(&path));
        assert!(byte_lock(&a, 3, Some(true), false).unwrap());
        let waiter = std::thread::spawn(move || {
            let granted = byte_lock(&b, 3, Some(true), true).unwrap();
            (granted, b)
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !waiter.is_finished(),
            "the wait ended while the lock was held"
        );
        assert!(byte_lock(&a, 3, None, false).unwrap());
        let (granted, b) = waiter.join().unwrap();
        assert!(granted);
        assert_eq!(byte_lock_held(&a, 3).unwrap(), Some(true));
        close(b);
        close(a);
    }

    #[test]
    fn a_write_open_takes_back_only_a_writable_parked_descriptor() {
        let (_dir, path) = one_byte_file();
        let a = open_rw(&path);
        let ro = File::open(&path).unwrap();
        let ro_fd = ro.as_raw_fd();
        assert!(byte_lock(&a, 1, Some(false), false).unwrap());
        close(ro);
        assert_eq!(parked(&path), 1);
        let w = open(&path, true).unwrap();
        assert_ne!(
            w.as_raw_fd(),
            ro_fd,
            "a read-only descriptor was handed out for writing"
        );
        assert_eq!(parked(&path), 1);
        close(w);
        close(a);
        assert_eq!(parked(&path), 0);
    }
}
