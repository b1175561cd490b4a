//! The role locks: which maps and tables may hold a file at once, as byte-range locks far
//! past any data.
//!
//! Every lock is a Linux open-file-description lock (`F_OFD_SETLK`) on one byte near the
//! largest file offset, where no record is ever stored: it belongs to the open file, so two
//! opens conflict even inside one process, and it vanishes when the file is closed or its
//! process dies — there is no lock file and no reader table to go stale. Three bytes:
//!
//! | byte | `Exclusive` | `Appender` | `Follower` | `Shared` |
//! |---|---|---|---|---|
//! | `INTENT` | exclusive while waiting | shared, while locking | shared, while locking | shared, while locking |
//! | `ACCESS` | exclusive | shared | shared | shared |
//! | `APPEND` | — | exclusive | — | shared |
//!
//! So: an `Exclusive` holder (a `Write` map, a `ReadWrite` table) is alone; one `Appender`
//! coexists with any number of `Follower`s (table readers), whose views cover only committed
//! records that nobody changes; a `Shared` holder (a `Read` or `Copy` map, which hands out
//! `&[u8]` over the *whole* file) coexists with followers and other shared holders but never
//! with an appender, whose stores would change bytes under its references.
//!
//! `INTENT` keeps writers from starving: a would-be `Exclusive` holder takes it exclusively
//! *before* waiting for `ACCESS`, and everyone else must get it shared (momentarily) before
//! taking `ACCESS`. Once a writer waits, no new holder gets in; it waits only for the holders
//! that were already there. Except behind an appender: a writer that finds one lets go of
//! `INTENT` and polls until the appender has gone, so that readers can still join the live
//! table meanwhile (an appender may run for days; readers come and go).

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, LockHolder, Result};
use crate::sys;

/// The locked commit protocol's lock: exclusive while an appender writes its count, shared
/// while a reader reads it (see `src/table/commit.rs`).
const COMMIT: i64 = i64::MAX - 5;
/// Held shared by an appender that publishes with the locked commit protocol, so that its
/// readers use it too.
const PROTOCOL: i64 = i64::MAX - 4;
/// Held exclusively by a writer waiting for `ACCESS`; shared, briefly, by everyone else.
const INTENT: i64 = i64::MAX - 3;
/// Exclusive for the one writer, shared for everyone else.
const ACCESS: i64 = i64::MAX - 2;
/// Exclusive for the one appender; shared for plain read maps, which must not meet one.
const APPEND: i64 = i64::MAX - 1;

/// What a map (or the table above it) holds a file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Alone: a `Write` map or a `ReadWrite` table.
    Exclusive,
    /// A `Read` or `Copy` map: beside other readers, never beside an appender.
    Shared,
    /// The one appender of a table: beside followers.
    Appender,
    /// A table reader: beside readers and one appender.
    Follower,
}

impl Role {
    /// Whether the lock this role is refused by is an exclusive one (for [`Error::Locked`]).
    fn wants_exclusive(self) -> bool {
        matches!(self, Role::Exclusive | Role::Appender)
    }
}

/// How long to wait for a conflicting lock to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Wait {
    /// Not at all: [`Error::Locked`] at once.
    #[default]
    No,
    /// At most this long, then [`Error::Locked`].
    For(Duration),
    /// Until it goes.
    Forever,
}

/// Takes `role`'s locks on `file` (which `path` names, for errors), waiting as `wait` says.
/// On any error, every lock taken here is released again.
pub(crate) fn acquire(file: &File, path: &Path, role: Role, wait: Wait) -> Result<()> {
    let deadline = match wait {
        Wait::For(d) => Some(Instant::now() + d),
        _ => None,
    };
    let locked = |byte| Error::Locked {
        path: path.to_path_buf(),
        exclusive: role.wants_exclusive(),
        held_by: holder(file, byte),
    };
    let take = |byte, exclusive| -> Result<()> {
        if lock(file, path, byte, exclusive, wait, deadline)? {
            Ok(())
        } else {
            Err(locked(byte))
        }
    };
    let release = |bytes: &[i64]| {
        for &b in bytes {
            let _ = sys::byte_lock(file, b, None, false);
        }
    };
    match role {
        Role::Exclusive => loop {
            take(INTENT, true)?;
            // Behind an appender, holding INTENT would keep new readers away from a live
            // table for the appender's whole life: step back until the appender has gone.
            if wait != Wait::No && appender_present(file).unwrap_or(false) {
                release(&[INTENT]);
                if !wait_for_no_appender(file, deadline) {
                    return Err(locked(APPEND));
                }
                continue;
            }
            let res = take(ACCESS, true);
            release(&[INTENT]);
            return res;
        },
        Role::Shared | Role::Appender | Role::Follower => {
            take(INTENT, false)?;
            let res = take(ACCESS, false);
            release(&[INTENT]);
            res?;
            let append = match role {
                Role::Shared => Some(false),
                Role::Appender => Some(true),
                _ => None,
            };
            if let Some(exclusive) = append
                && let Err(e) = take(APPEND, exclusive)
            {
                release(&[ACCESS]);
                return Err(e);
            }
            Ok(())
        }
    }
}

/// Polls until no appender holds `file` (backing off from 1 ms to 10 ms); `false` if the
/// deadline passes first.
fn wait_for_no_appender(file: &File, deadline: Option<Instant>) -> bool {
    let mut pause = Duration::from_millis(1);
    while appender_present(file).unwrap_or(false) {
        let pause_now = match deadline {
            None => pause,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => pause.min(left),
                _ => return false,
            },
        };
        std::thread::sleep(pause_now);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
    true
}

/// Whether an appender holds the file now (its `APPEND` lock is held by another open file).
pub(crate) fn appender_present(file: &File) -> std::io::Result<bool> {
    Ok(sys::byte_lock_held(file, APPEND)? == Some(true))
}

/// Who holds `file` in a way that refused our lock on `byte`, as the lock bytes tell: a
/// waiting writer holds `INTENT` exclusively, a writer `ACCESS`, an appender `APPEND`; readers
/// hold `ACCESS` (and plain maps `APPEND`) shared.
fn holder(file: &File, byte: i64) -> LockHolder {
    let held = |b| sys::byte_lock_held(file, b).ok().flatten();
    match byte {
        INTENT => match held(INTENT) {
            Some(true) => LockHolder::WaitingWriter,
            Some(false) => LockHolder::Readers,
            None => LockHolder::Unknown,
        },
        ACCESS => match (held(ACCESS), held(APPEND)) {
            (Some(true), _) => LockHolder::Writer,
            (_, Some(true)) => LockHolder::Appender,
            (Some(false), _) => LockHolder::Readers,
            _ => LockHolder::Unknown,
        },
        _ => match held(byte) {
            Some(true) => LockHolder::Appender,
            Some(false) => LockHolder::Readers,
            None => LockHolder::Unknown,
        },
    }
}

/// One byte lock, waiting as `wait` says; `Ok(false)` if it is still held elsewhere.
fn lock(
    file: &File,
    path: &Path,
    byte: i64,
    exclusive: bool,
    wait: Wait,
    deadline: Option<Instant>,
) -> Result<bool> {
    let io = |e| Error::io(Some(path), "lock", e);
    match wait {
        Wait::No => sys::byte_lock(file, byte, Some(exclusive), false).map_err(io),
        // The kernel queues the wait and wakes us when the lock is free.
        Wait::Forever => sys::byte_lock(file, byte, Some(exclusive), true).map_err(io),
        // The kernel has no timed lock wait: poll, backing off from 50 µs to 5 ms.
        Wait::For(_) => {
            let mut pause = Duration::from_micros(50);
            loop {
                if sys::byte_lock(file, byte, Some(exclusive), false).map_err(io)? {
                    return Ok(true);
                }
                let now = Instant::now();
                let Some(left) = deadline.and_then(|d| d.checked_duration_since(now)) else {
                    return Ok(false);
                };
                std::thread::sleep(pause.min(left));
                pause = (pause * 2).min(Duration::from_millis(5));
            }
        }
    }
}

/// The commit lock, held until dropped.
pub(crate) struct CommitGuard<'a> {
    file: &'a File,
}

impl<'a> CommitGuard<'a> {
    /// Waits for and takes the commit lock (`exclusive` for a writer).
    pub(crate) fn take(file: &'a File, exclusive: bool) -> std::io::Result<CommitGuard<'a>> {
        sys::byte_lock(file, COMMIT, Some(exclusive), true)?;
        Ok(CommitGuard { file })
    }
}

impl Drop for CommitGuard<'_> {
    fn drop(&mut self) {
        let _ = sys::byte_lock(self.file, COMMIT, None, false);
    }
}

/// Takes the shared `PROTOCOL` lock (nobody ever takes it exclusively, so this never waits).
pub(crate) fn advertise_locked(file: &File) -> std::io::Result<()> {
    sys::byte_lock(file, PROTOCOL, Some(false), false).map(drop)
}

/// Whether another open file holds `PROTOCOL`: an appender publishing with the locked protocol.
pub(crate) fn locked_advertised(file: &File) -> std::io::Result<bool> {
    Ok(sys::byte_lock_held(file, PROTOCOL)?.is_some())
}
