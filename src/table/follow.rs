//! Following a live table to its end: [`Follower`], batches of newly committed records that
//! end when the appender is gone (the `tail -f` loop that stops by itself).

use std::ops::{Deref, Range};
use std::time::Duration;

use super::{ReadOnly, Table};
use crate::error::Result;
use crate::record::Record;

/// How often an idle follower asks whether the appender is still there (one `fcntl`): the
/// most a follower lags behind an appender's exit or death.
const ALIVE_CHECK: Duration = Duration::from_millis(10);

/// What a [`Follower`] does once no appender holds the table and every record committed has
/// been handed out.
///
/// # Examples
///
/// ```
/// use recmap::table::AtEnd;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.npy");
/// # recmap::Table::<u8>::create(&path)?.push(1)?;
/// // No appender holds the table: `Stop` hands out what is there, then ends.
/// let mut f = recmap::Table::<u8>::open_read(&path)?.follow(AtEnd::Stop);
/// assert_eq!(f.next_batch()?, Some(&[1][..]));
/// assert_eq!(f.next_batch()?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtEnd {
    /// Ends: [`Follower::next_batch`] returns `None`. (Also before any appender has opened
    /// the table: follow a table once its writer has it, or choose `Wait`.)
    Stop,
    /// Keeps waiting for the next appender to commit more.
    Wait,
}

/// A reader that walks a live table batch by batch: each call to
/// [`next_batch`](Follower::next_batch) returns the records committed since the last one, in
/// order — none twice, none skipped — waiting (spinning briefly, then asleep on a futex, as
/// [`Table::wait_for_len`] does) while there are none, and ending as [`AtEnd`] says when the
/// appender has gone, whether it finished or was killed.
///
/// Made by [`Table::follow`]; derefs to the table, so `len()`, indexing and `refresh()` work.
///
/// # Examples
///
/// ```
/// use recmap::table::AtEnd;
/// use recmap::Table;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.npy");
/// let mut log = Table::<u64>::create_append(&path)?;
/// let mut follower = Table::<u64>::open_read(&path)?.follow(AtEnd::Stop);
/// let writer = std::thread::spawn(move || -> recmap::Result<()> {
///     for i in 0..1000 {
///         log.push(i)?;
///         if i % 100 == 99 {
///             log.flush()?;
///         }
///     }
///     Ok(()) // dropping the appender ends the follower's loop
/// });
/// let mut sum = 0;
/// while let Some(batch) = follower.next_batch()? {
///     sum += batch.iter().sum::<u64>();
/// }
/// assert_eq!(sum, 499_500);
/// writer.join().unwrap()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Follower<T: Record> {
    table: Table<T, ReadOnly>,
    // INVARIANTS: `seen <= table.len()`; records `0..seen` have been handed out.
    seen: usize,
    at_end: AtEnd,
}

impl<T: Record> Table<T, ReadOnly> {
    /// Follows the table from its first record: see [`Follower`]. Use
    /// [`Follower::skip_to`] to start later (at `len()`, to see only new records).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// let mut log = recmap::Table::<u32>::create_append(&path)?;
    /// log.extend_from_slice(&[1, 2])?;
    /// log.flush()?;
    /// drop(log);
    /// let mut f = recmap::Table::<u32>::open_read(&path)?.follow(recmap::table::AtEnd::Stop);
    /// assert_eq!(f.next_batch()?, Some(&[1, 2][..]));
    /// assert_eq!(f.next_batch()?, None); // no appender: the end
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn follow(self, at_end: AtEnd) -> Follower<T> {
        Follower {
            table: self,
            seen: 0,
            at_end,
        }
    }
}

impl<T: Record> Follower<T> {
    /// The records committed since the last batch (at least one), waiting for them as long as
    /// an appender holds the table; `None` when the follow has ended (see [`AtEnd`]).
    ///
    /// # Errors
    ///
    /// As [`Table::refresh`], and [`Error::Io`](crate::Error::Io) if the locks cannot be
    /// queried.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::table::AtEnd;
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// let mut log = recmap::Table::<u32>::create_append(&path)?;
    /// let mut f = recmap::Table::<u32>::open_read(&path)?.follow(AtEnd::Stop);
    /// log.extend_from_slice(&[1, 2])?;
    /// log.flush()?;
    /// assert_eq!(f.next_batch()?, Some(&[1, 2][..])); // the first commit
    /// log.push(3)?;
    /// drop(log); // commits the rest, and lets go of the table
    /// assert_eq!(f.next_batch()?, Some(&[3][..]));
    /// assert_eq!(f.next_batch()?, None); // the appender has gone: the end
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_batch(&mut self) -> Result<Option<&[T]>> {
        Ok(self.next_range()?.map(|range| &self.table[range]))
    }

    /// As [`next_batch`](Follower::next_batch), but the batch as a range of indices into the
    /// table (for a caller that also wants the positions).
    ///
    /// # Errors
    ///
    /// As [`next_batch`](Follower::next_batch).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// # let mut log = recmap::Table::<u32>::create_append(&path)?;
    /// # log.extend_from_slice(&[1, 2, 3])?;
    /// # log.flush()?;
    /// # drop(log);
    /// let mut f = recmap::Table::<u32>::open_read(&path)?.follow(recmap::table::AtEnd::Stop);
    /// assert_eq!(f.next_range()?, Some(0..3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_range(&mut self) -> Result<Option<Range<usize>>> {
        loop {
            let n = self.table.refresh()?;
            if n > self.seen {
                let batch = self.seen..n;
                self.seen = n;
                return Ok(Some(batch));
            }
            if self.at_end == AtEnd::Stop && !self.table.appender_present()? {
                // An appender publishes its last count before its lock goes (and a killed
                // one's stores stay in the page cache): one more look sees all of it.
                let n = self.table.refresh()?;
                if n > self.seen {
                    let batch = self.seen..n;
                    self.seen = n;
                    return Ok(Some(batch));
                }
                return Ok(None);
            }
            self.table.wait_for_len(self.seen + 1, ALIVE_CHECK)?;
        }
    }

    /// How many records have been handed out (the next batch starts here).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// # recmap::Table::<u32>::create(&path)?;
    /// let f = recmap::Table::<u32>::open_read(&path)?.follow(recmap::table::AtEnd::Stop);
    /// assert_eq!(f.seen(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// Starts the next batch at record `index` instead (clamped to the visible records): at
    /// `len()` to skip what was committed before following began.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// # let mut log = recmap::Table::<u32>::create_append(&path)?;
    /// # log.extend_from_slice(&[1, 2, 3])?;
    /// # log.flush()?;
    /// # drop(log);
    /// let t = recmap::Table::<u32>::open_read(&path)?;
    /// let at = t.len();
    /// let mut f = t.follow(recmap::table::AtEnd::Stop).skip_to(at);
    /// assert_eq!(f.next_batch()?, None); // nothing new, and no appender
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_to(mut self, index: usize) -> Self {
        self.seen = index.min(self.table.len());
        self
    }

    /// The table, to keep reading it after the follow ends.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.npy");
    /// # recmap::Table::<u32>::create(&path)?;
    /// let f = recmap::Table::<u32>::open_read(&path)?.follow(recmap::table::AtEnd::Stop);
    /// let t: recmap::Table<u32, recmap::ReadOnly> = f.into_table();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_table(self) -> Table<T, ReadOnly> {
        self.table
    }
}

impl<T: Record> Deref for Follower<T> {
    type Target = Table<T, ReadOnly>;

    fn deref(&self) -> &Table<T, ReadOnly> {
        &self.table
    }
}
