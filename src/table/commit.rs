//! The commit protocol: how a writer publishes its record count, how the three roles lock
//! the file, and how live readers follow an appender (`refresh`, `wait_for_len`).
//!
//! # Commit protocol
//!
//! The record count lives in the .npy header, as decimal text in the `shape` tuple, because
//! that is where numpy reads it. recmap writes it in a field of at least 20 characters,
//! right-aligned, that **ends on a multiple of 16 bytes** (`npy::build_header` pads before it).
//! Every count below 10^16 therefore lies in the field's last 16 bytes — one aligned block,
//! inside one cache line and one page — and nothing outside that block ever changes.
//!
//! *Writer* (`publish_count`), for `n` records:
//!
//! 1. the records `0..n` are stored into the mapped file (the page cache that every mapping
//!    and every `read()` of the file shares);
//! 2. a release fence, then the 16-byte block holding `n` is written with **one aligned
//!    16-byte store** (`sys::store16`) through the writer's own mapping;
//! 3. a futex wake on the block's last word, for readers asleep in `wait_for_len`.
//!
//! *Reader* (`published_count`): **one aligned 16-byte load** of the block (`sys::load16`),
//! then an acquire fence, then the records `0..n` through its own mapping.
//!
//! Why a reader can never count a record that was not wholly written:
//!
//! - x86-64 processors with AVX perform aligned 16-byte loads and stores indivisibly (Intel SDM
//!   vol. 3A §9.1.1; AMD APM vol. 2 §7.3.2), as do aarch64 processors with LSE2: a load returns
//!   the block as it was before or after a store, never a mix — the torn read of a decimal
//!   number (old `999`, new `1000`, read as `1999`) cannot happen. Other processors use the
//!   locked protocol (below).
//! - The stores of step 1 precede the store of step 2 in program order, and the release fence
//!   and x86's ordered stores keep them so for every other core; the reader's acquire fence
//!   keeps its record loads after its count load. So a reader that loads `n` sees records
//!   `0..n` as written.
//! - A SIGKILL cannot split one store instruction: after a crash the header holds the old
//!   count or the new one, and both count only records already stored (the page cache keeps
//!   a killed process's stores).
//! - The appender never shrinks the file, never moves a record, and never stores into
//!   `0..n` once `n` is published; readers only ever look at `0..n` (slices are built from the
//!   mapping's address for exactly that range, `Map::bytes_in`), so a reader's `&[T]` is
//!   immutable for as long as it lives.
//!
//! numpy reads the header with `read()`, which copies the page with wide loads; the block is
//! one aligned 16-byte unit in one cache line, so in practice numpy too sees the old or the new
//! count (tested with real numpy while a writer appends, `tests/numpy.rs`). The file is never
//! shorter than the count says, so numpy's `mmap_mode="r"` never maps past the end.
//!
//! A `ReadWrite` table uses the same store when its field is aligned, and otherwise (a
//! numpy-written header it has not rewritten) one `pwrite` of the field, which a kill cannot
//! tear either; no reader coexists with it.
//!
//! # Two protocols: one per machine
//!
//! The argument above needs a processor that performs an aligned 16-byte load or store as one
//! indivisible access: x86-64 with AVX (`movdqa`), and aarch64 with FEAT_LSE2 (`ldp`/`stp`,
//! Arm ARM B2.2.1.1: Apple M-series, Graviton3/4, Neoverse V1/N2). Both are written in inline
//! assembly (`sys::load16`/`store16`), so each is one instruction by construction, and a test
//! disassembles them. That is [`CommitProtocol::Atomic16`].
//!
//! Elsewhere — aarch64 before ARMv8.4 (Graviton2, Cortex-A72/A76: the Raspberry Pi 4 and 5),
//! whose only 16-byte atomics (`ldxp`/`stxp`, `casp`) are stores and fault on a reader's
//! read-only map, x86-64 without AVX, any other CPU — the *locked protocol*
//! ([`CommitProtocol::Locked`]):
//!
//! *Writer*: the records are stored; then, holding the exclusive OFD lock on the `COMMIT` byte
//! (past any data, `map::lock`), one `pwrite` of the 16-byte block; then the lock goes and the
//! futex word is woken.
//!
//! *Reader*: holding the shared lock on the `COMMIT` byte, it reads the block (with the
//! indivisible load where the processor has one, else a copy); then the lock goes and it reads
//! records `0..n`.
//!
//! Why a reader never counts a record that was not wholly written:
//!
//! - The lock excludes the writer's `pwrite` from the reader's read: a reader sees the block as
//!   one `pwrite` left it, never half of one.
//! - A `pwrite` of 16 bytes inside one page is one copy in the kernel, which a signal cannot
//!   interrupt half-way: after a SIGKILL the block holds the old count or the new one (the lock
//!   then dies with the process, so nobody waits on it).
//! - Order: the records are stored before the writer takes the lock (program order, and the
//!   lock's acquisition and release in the kernel are full barriers); the reader reads them
//!   after it took the lock the writer released. So records `0..n` are visible to a reader
//!   that read `n`.
//! - Readers between commits make no system call: a reader first *peeks* at the block with two
//!   8-byte atomic loads (`sys::peek16`) and takes the lock only when the peek differs from the
//!   block it last read under the lock. A peek can be torn — it is only ever a reason to look
//!   properly, never a count — and a new count always differs from the last one.
//!
//! Agreement: every process of a machine picks the same protocol ([`commit_protocol`]: the
//! processor decides, or `RECMAP_COMMIT_PROTOCOL=lock` for every process, as the tests force
//! it). An appender using the locked protocol also holds a shared lock on a `PROTOCOL` byte;
//! a reader that sees it reads with the lock even if its own choice was the 16-byte protocol —
//! and a locked reader beside a 16-byte appender reads the block with the indivisible load
//! (its processor, the same machine's, has one), so a mixed pair stays safe.
//!
//! Cost: the locked protocol adds two `fcntl`s and a `pwrite` to each commit and two `fcntl`s
//! to each look at a changed count (measured in the README, "tail" and "append" rows).

use std::any::TypeId;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Append, Mode, ReadOnly, Table};
use crate::error::{Error, Result};
use crate::map::{Access, Map};
use crate::npy::{COMMIT_ALIGN, COUNT_WIDTH, Header, HeaderProblem};
use crate::record::Record;

/// How long `wait_for_len` spins, re-reading the count, before it sleeps on a futex.
pub(super) const DEFAULT_SPIN: Duration = Duration::from_micros(50);

/// The longest single sleep of `wait_for_len`. A commit that changes the count by a multiple
/// of 10^4 leaves the futex word (the count's last four digits) unchanged, so a reader that
/// went to sleep just before it would miss the wake; it then notices within this time.
const MAX_SLEEP: Duration = Duration::from_millis(2);

/// How an appender publishes its count and its readers read it — the same for every process
/// of a machine: see [`commit_protocol`].
///
/// # Examples
///
/// ```
/// use recmap::table::{commit_protocol, CommitProtocol};
/// match commit_protocol() {
///     CommitProtocol::Atomic16 => println!("one indivisible 16-byte store per commit"),
///     CommitProtocol::Locked => println!("a pwrite under a byte lock per commit"),
///     _ => {}
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommitProtocol {
    /// One indivisible 16-byte store and load of the count (x86-64 with AVX, aarch64 with
    /// LSE2): no system call per commit or per look.
    Atomic16,
    /// A `pwrite` of the count under an exclusive byte lock, read under a shared one (every
    /// other processor, or when `RECMAP_COMMIT_PROTOCOL=lock`): two `fcntl`s and a `pwrite`
    /// per commit, two `fcntl`s per look at a changed count.
    Locked,
}

pub(super) use CommitProtocol as Protocol;

/// The commit protocol this process uses for the tables it appends to (a reader follows its
/// appender's): [`CommitProtocol::Atomic16`] where the processor makes aligned 16-byte
/// accesses indivisible, [`CommitProtocol::Locked`] elsewhere — or everywhere when the
/// environment variable `RECMAP_COMMIT_PROTOCOL` is `lock` (set it for every process of the
/// machine that opens the tables). Decided once per process.
///
/// # Examples
///
/// ```
/// let p = recmap::table::commit_protocol();
/// assert_eq!(p, recmap::table::commit_protocol()); // once per process
/// ```
pub fn commit_protocol() -> CommitProtocol {
    machine_protocol()
}

/// The environment variable that forces the locked protocol (`lock`) on a machine that has
/// the 16-byte one: for tests, and for users who want it. Every process that opens the
/// machine's tables must see the same value.
const PROTOCOL_ENV: &str = "RECMAP_COMMIT_PROTOCOL";

/// This machine's protocol: `Atomic16` where the processor makes 16-byte accesses
/// indivisible, `Locked` elsewhere or when [`PROTOCOL_ENV`] is `lock`. Decided once per process.
pub(super) fn machine_protocol() -> Protocol {
    static CHOSEN: std::sync::OnceLock<Protocol> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let forced = std::env::var_os(PROTOCOL_ENV).is_some_and(|v| v == "lock");
        if forced || !crate::sys::has_atomic16() {
            Protocol::Locked
        } else {
            Protocol::Atomic16
        }
    })
}

/// Whether the count field is one that the 16-byte commit can publish.
pub(super) fn publishable(field: &std::ops::Range<usize>) -> bool {
    field.len() >= COUNT_WIDTH && field.end.is_multiple_of(COMMIT_ALIGN)
}

/// The count in a 16-byte block: spaces, then at least one digit, and nothing else.
fn parse_block(block: &[u8; 16]) -> Option<u64> {
    let digits = block.iter().skip_while(|&&b| b == b' ');
    let mut n: u64 = 0;
    let mut any = false;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
        any = true;
    }
    any.then_some(n)
}

/// Parses the header from a copy of its bytes (never from the live mapping, whose count an
/// appender may be storing meanwhile) and returns it with the count to use — for a field the
/// commit protocol publishes, the count from one indivisible load of it — after making sure
/// the map covers every counted record (remapping if the file grew since it was mapped).
///
/// Only the header's own bytes are copied (the preamble announces how many), and the file's
/// real length is read *after* the count: an appender grows the file before it publishes a
/// count that needs the room, so a count is never judged against a stale length.
pub(super) fn read_header(
    map: &mut Map,
    path: &Path,
    protocol: Protocol,
) -> Result<(Header, usize, [u8; 16])> {
    let bad = |problem| Error::BadHeader {
        path: path.to_path_buf(),
        problem,
    };
    // Enough for every version's preamble; the parse then asks for exactly the rest.
    let mut want = map.len().min(16);
    // A copy can catch the count in the middle of a store: digits of two values mixed.
    // That lasts nanoseconds, so a few attempts tell a torn copy from a broken file.
    let mut attempts = 0;
    let header = loop {
        let copy = map
            .bytes_in(0..want)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        // Not judged against a length here: the count in the copy may be newer than `map`.
        match Header::parse_prefix(&copy, u64::MAX) {
            Ok(h) => break h,
            Err(HeaderProblem::HeaderPastEnd { needed, .. }) if needed as usize > want => {
                if needed > map.len() as u64 {
                    return Err(bad(HeaderProblem::HeaderPastEnd {
                        needed,
                        file_len: map.file_size()?,
                    }));
                }
                want = needed as usize;
            }
            Err(e) if attempts >= 16 => return Err(bad(e)),
            Err(_) => {
                attempts += 1;
                std::thread::yield_now();
            }
        }
    };
    // What a table cannot hold, although numpy can.
    if header.fortran_order {
        return Err(bad(HeaderProblem::FortranOrder));
    }
    if header.shape.is_empty() {
        return Err(bad(HeaderProblem::Malformed {
            what: "has a 'shape' of () (a 0-d array): a table needs (N, ...)".into(),
        }));
    }
    let (count, block) = match published_count_in(map, &header.count_field, protocol)? {
        Some((Ok(n), block)) => (n, block),
        Some((Err(e), _)) => return Err(bad(e)),
        None => (header.count(), [0; 16]),
    };
    let record = header.record_size().unwrap_or(u64::MAX);
    let len = cover(map, path, header.data_start, record, count)?;
    Ok((header, len, block))
}

/// Makes `map` cover `count` records of `record` bytes from `data_start`, remapping a reader's
/// map if the file has grown past it; the count as a `usize`. A file too short for them is
/// [`HeaderProblem::Truncated`] — judged against the file's length read now, after the count.
fn cover(map: &mut Map, path: &Path, data_start: usize, record: u64, count: u64) -> Result<usize> {
    let end = record
        .checked_mul(count)
        .and_then(|n| n.checked_add(data_start as u64));
    if end.is_some_and(|end| end <= map.len() as u64) {
        return usize::try_from(count).map_err(|_| Error::TooLarge {
            offset: data_start as u64,
            len: count,
        });
    }
    let file_len = map.file_size()?;
    let Some(end) = end.filter(|&end| end <= file_len) else {
        return Err(Error::BadHeader {
            path: path.to_path_buf(),
            problem: HeaderProblem::Truncated {
                count,
                needed: record.saturating_mul(count),
                data_start: data_start as u64,
                file_len,
            },
        });
    };
    let too_large = Error::TooLarge {
        offset: data_start as u64,
        len: count,
    };
    let (Ok(len), Ok(new_len)) = (usize::try_from(count), usize::try_from(file_len)) else {
        return Err(too_large);
    };
    if end > map.len() as u64 {
        // Only a reader's map can fall behind the file: a writer is the one growing it.
        map.follow_growth(new_len)?;
    }
    Ok(len)
}

/// The count in a publishable field, read as `protocol` says — one indivisible load, or a
/// read under the shared commit lock — with the block it was parsed from; `None` for other
/// fields (which no appender publishes to).
#[allow(clippy::type_complexity)]
fn published_count_in(
    map: &Map,
    field: &std::ops::Range<usize>,
    protocol: Protocol,
) -> Result<Option<(Result<u64, HeaderProblem>, [u8; 16])>> {
    if !publishable(field) {
        return Ok(None);
    }
    let at = field.end - 16;
    let block = match protocol {
        Protocol::Atomic16 => map.load16(at),
        Protocol::Locked => {
            let _guard = map.commit_lock(false)?;
            // Under the lock no locked appender is writing the block. An appender of the
            // 16-byte protocol does not take the lock (a process forced to `lock` beside one
            // that is not): the indivisible load, where this processor has it, still reads
            // its block whole.
            map.load16(at).or_else(|| {
                map.bytes_in(at..at + 16)
                    .and_then(|b| <[u8; 16]>::try_from(b).ok())
            })
        }
    };
    let Some(block) = block else {
        return Ok(None);
    };
    let count = parse_block(&block).ok_or_else(|| HeaderProblem::Malformed {
        what: format!(
            "has a record count field that is not a number: {:?}",
            String::from_utf8_lossy(&block)
        ),
    });
    Ok(Some((count, block)))
}

impl<T: Record, M: Mode> Table<T, M> {
    /// Publishes `len` as the header's count (see the module docs).
    pub(super) fn publish_count(&mut self) -> Result<()> {
        let field = self.count_field.clone();
        if publishable(&field) && self.len < 10_000_000_000_000_000 {
            let mut block = [0u8; 16];
            block.copy_from_slice(format!("{:>16}", self.len).as_bytes());
            let at = field.end - 16;
            let published = match self.protocol {
                Protocol::Atomic16 => self.map.store16(at, block),
                Protocol::Locked => {
                    // One pwrite of 16 bytes inside one page: a kill cannot split it, and
                    // readers, who read under the shared lock, never see it half-done.
                    let _guard = self.map.commit_lock(true)?;
                    crate::sys::write_all_at(self.file()?, &block, at as u64)
                        .map_err(|e| Error::io(self.map.path(), "write the record count of", e))?;
                    true
                }
            };
            if published {
                self.flushed_len = self.len;
                self.last_block = block;
                if TypeId::of::<M>() == TypeId::of::<Append>() {
                    self.map.wake(field.end - 4);
                }
                return Ok(());
            }
        }
        // A foreign-width field of a ReadWrite table: one pwrite, which a kill cannot tear.
        let width = field.len();
        let text = format!("{:>width$}", self.len);
        if text.len() != width {
            return Err(Error::TooLarge {
                offset: field.start as u64,
                len: self.len as u64,
            });
        }
        crate::sys::write_all_at(self.file()?, text.as_bytes(), field.start as u64)
            .map_err(|e| Error::io(self.map.path(), "write the record count of", e))?;
        self.flushed_len = self.len;
        Ok(())
    }

    /// The open file behind the table.
    pub(super) fn file(&self) -> Result<&std::fs::File> {
        self.map.file().ok_or(Error::ReadOnly {
            access: Access::Read,
            op: "write the header of",
        })
    }

    /// Makes `count` records visible, mapping more of the file if it grew.
    fn admit(&mut self, count: usize) -> Result<()> {
        let path = self.path().to_path_buf();
        let record = size_of::<T>() as u64;
        cover(&mut self.map, &path, self.data_start, record, count as u64)?;
        self.capacity = self.map.len().saturating_sub(self.data_start) / size_of::<T>();
        self.len = count;
        self.flushed_len = count;
        Ok(())
    }
}

impl<T: Record> Table<T, ReadOnly> {
    /// Makes the records an appender has committed since this reader last looked visible, and
    /// returns how many records are visible now. Never makes fewer visible than before.
    ///
    /// # Errors
    ///
    /// [`Error::BadHeader`] if the header's count is not a number or counts more records than
    /// the file holds; [`Error::Io`] if the file cannot be mapped further.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// let mut log = recmap::Table::<u32>::create_append(&path)?;
    /// let mut reader = recmap::Table::<u32>::open_read(&path)?;
    /// log.push(5)?;
    /// log.flush()?;
    /// assert_eq!(reader.refresh()?, 1);
    /// assert_eq!(reader[0], 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refresh(&mut self) -> Result<usize> {
        let field = &self.count_field;
        if self.protocol == Protocol::Locked
            && publishable(field)
            && self.map.peek16(field.end - 16) == Some(self.last_block)
        {
            // Unchanged since the last locked read (a hint, but one that only ever delays
            // a count: a new one differs from the last and is then read under the lock).
            return Ok(self.len);
        }
        match published_count_in(&self.map, &self.count_field, self.protocol)? {
            Some((Ok(count), block)) => {
                self.last_block = block;
                let count = usize::try_from(count).map_err(|_| Error::TooLarge {
                    offset: self.data_start as u64,
                    len: count,
                })?;
                if count > self.len {
                    self.admit(count)?;
                }
            }
            Some((Err(problem), _)) => {
                return Err(Error::BadHeader {
                    path: self.path().to_path_buf(),
                    problem,
                });
            }
            // A field no appender can publish to: the count cannot change while we read.
            None => {}
        }
        Ok(self.len)
    }

    /// Whether an appender holds the table right now (in any process). Its lock dies with
    /// its process, so `false` means the appender has finished — or was killed — and no
    /// record will be committed until another one opens the table.
    ///
    /// After `false`, one more [`refresh`](Table::refresh) sees everything any appender
    /// committed: an appender publishes its last count before its lock goes.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the system cannot be asked.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// let log = recmap::Table::<u32>::create_append(&path)?;
    /// let reader = recmap::Table::<u32>::open_read(&path)?;
    /// assert!(reader.appender_present()?);
    /// drop(log);
    /// assert!(!reader.appender_present()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn appender_present(&self) -> Result<bool> {
        self.map.appender_present()
    }

    /// Waits until at least `n` records are committed and visible, or until `timeout`
    /// passes, and returns the visible count (which is `< n` only after a timeout).
    ///
    /// It first spins for a short while (see [`spin`](Table::spin)), re-reading the count —
    /// the fastest way to see a record that is about to arrive — and then sleeps on a futex
    /// that the appender's `flush` wakes, so a long wait costs no CPU.
    ///
    /// # Errors
    ///
    /// As [`refresh`](Table::refresh).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// let mut log = recmap::Table::<u64>::create_append(&path)?;
    /// let mut reader = recmap::Table::<u64>::open_read(&path)?;
    /// let writer = std::thread::spawn(move || -> recmap::Result<()> {
    ///     for i in 0..100 {
    ///         log.push(i)?;
    ///         log.flush()?;
    ///     }
    ///     Ok(())
    /// });
    /// assert_eq!(reader.wait_for_len(100, Duration::from_secs(10))?, 100);
    /// assert_eq!(reader.iter().sum::<u64>(), 4950);
    /// writer.join().unwrap()?;
    /// // A timeout returns what is there.
    /// assert_eq!(reader.wait_for_len(101, Duration::from_millis(1))?, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_len(&mut self, n: usize, timeout: Duration) -> Result<usize> {
        let start = Instant::now();
        loop {
            let visible = self.refresh()?;
            let waited = start.elapsed();
            if visible >= n || waited >= timeout {
                return Ok(visible);
            }
            if waited < self.spin {
                std::hint::spin_loop();
                continue;
            }
            let field = &self.count_field;
            let current = |at| match self.protocol {
                Protocol::Atomic16 => self.map.load16(at),
                // A hint is enough to sleep on: if it is torn, the futex sees a word that
                // differs from memory and returns at once.
                Protocol::Locked => self.map.peek16(at),
            };
            let Some(block) = publishable(field)
                .then(|| current(field.end - 16))
                .flatten()
            else {
                // No appender can exist for this header: nothing will wake us.
                std::thread::sleep((timeout - waited).min(MAX_SLEEP));
                continue;
            };
            if parse_block(&block).is_some_and(|c| c > self.len as u64) {
                continue; // committed between the refresh and now
            }
            let word = [block[12], block[13], block[14], block[15]];
            self.map
                .wait_while(field.end - 4, word, (timeout - waited).min(MAX_SLEEP));
        }
    }

    /// Sets how long [`wait_for_len`](Table::wait_for_len) spins before it sleeps (default
    /// 50 µs). A follower that must see each record within a microsecond or two and can spare
    /// a core spins long; one that shares its core sleeps at once (`Duration::ZERO`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// # recmap::Table::<u64>::create(&path)?;
    /// let mut reader = recmap::Table::<u64>::open_read(&path)?;
    /// reader.spin(std::time::Duration::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spin(&mut self, budget: Duration) -> &mut Self {
        self.spin = budget;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse_as_right_aligned_decimal_or_not_at_all() {
        assert_eq!(parse_block(b"               0"), Some(0));
        assert_eq!(parse_block(b"            1000"), Some(1000));
        assert_eq!(
            parse_block(b"9999999999999999"),
            Some(9_999_999_999_999_999)
        );
        assert_eq!(parse_block(b"                "), None);
        assert_eq!(parse_block(b"          1 2000"), None);
        assert_eq!(parse_block(b"          12000,"), None);
    }

    #[test]
    fn only_aligned_full_width_fields_are_publishable() {
        assert!(publishable(&(44..64)));
        assert!(publishable(&(40..64)));
        assert!(!publishable(&(45..64)));
        assert!(!publishable(&(44..65)));
    }
}
