//! Adding records (both writable roles) and changing them in place (`ReadWrite` only).

use std::ops::DerefMut;

use super::open::file_len_for;
use super::{ReadWrite, Table, Writable};
use crate::error::{Error, Result};
use crate::record::Record;
use crate::view::View;

/// The file grows by an eighth of its size at a time, at least `MIN_GROWTH` (so growth costs
/// nothing per record) and at most `MAX_GROWTH` (so the zeros written ahead are still in the
/// cache when records overwrite them; `mremap` keeps the step cheap whatever the size).
const MIN_GROWTH: usize = 1 << 20;
const MAX_GROWTH: usize = 64 << 20;

impl<T: Record, M: Writable> Table<T, M> {
    /// Appends a record.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot grow.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.push(7)?;
    /// assert_eq!(t.as_slice(), &[7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<()> {
        self.check_opened_here("push")?;
        if self.len == self.capacity {
            self.grow(1)?;
        }
        let offset = self.data_start + self.len * size_of::<T>();
        self.map.write_value_at(offset, &value)?;
        self.len += 1;
        Ok(())
    }

    /// Appends every record of `records`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot grow; the records pushed before the error stay.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend(0..5)?;
    /// assert_eq!(t.as_slice(), &[0, 1, 2, 3, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extend(&mut self, records: impl IntoIterator<Item = T>) -> Result<()> {
        self.check_opened_here("extend")?;
        let records = records.into_iter();
        self.reserve(records.size_hint().0)?;
        for record in records {
            self.push(record)?;
        }
        Ok(())
    }

    /// Appends a copy of every record of `records` (one copy of the bytes).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot grow (a full disk: `ENOSPC`); nothing is appended then.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create_append(dir.path().join("x.npy"))?;
    /// t.extend_from_slice(&[4, 5, 6])?;
    /// assert_eq!(&t[..], &[4, 5, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extend_from_slice(&mut self, records: &[T]) -> Result<()> {
        self.check_opened_here("extend")?;
        self.reserve(records.len())?;
        let offset = self.data_start + self.len * size_of::<T>();
        self.map
            .write_at(offset, crate::view::cast::slice_bytes(records))?;
        self.len += records.len();
        Ok(())
    }

    /// Makes room for at least `additional` more records without growing again.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot grow; [`Error::TooLarge`] on overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u64>::create(dir.path().join("x.npy"))?;
    /// t.reserve(1_000_000)?;
    /// assert!(t.capacity() >= 1_000_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        self.check_opened_here("reserve")?;
        if self.capacity - self.len < additional {
            self.grow(additional)?;
        }
        Ok(())
    }

    /// Grows by at least `additional` records and by a step (see `MIN_GROWTH`), writing zeros
    /// into the new space first (`Map::grow_with_zeros`): a full disk is an error here, and
    /// stores into the new pages need no zero-fill fault.
    #[cold]
    fn grow(&mut self, additional: usize) -> Result<()> {
        let needed = self.len.checked_add(additional).ok_or(Error::TooLarge {
            offset: self.data_start as u64,
            len: u64::MAX,
        })?;
        let bytes =
            (self.capacity.saturating_mul(size_of::<T>()) / 8).clamp(MIN_GROWTH, MAX_GROWTH);
        let step = bytes.div_ceil(size_of::<T>());
        let mut capacity = needed.max(self.capacity.saturating_add(step));
        // Not room for a whole step (a nearly full disk): halve it, down to just what is
        // needed, so the space that is left still gets used in reasonable steps.
        while let Err(e) = self
            .map
            .grow_with_zeros(file_len_for::<T>(self.data_start, capacity)?)
        {
            if capacity == needed {
                return Err(e);
            }
            capacity = needed + (capacity - needed) / 2;
        }
        // The new length durable before any record is stored past the old one: otherwise a
        // count that `flush` publishes may reach the disk by write-back before the file's new
        // length does (ext4 commits it with its journal, seconds later), and after a machine
        // crash the count would be ahead of the file's end — a table that no longer opens. An
        // msync of the last page alone: its data (zeros) and what it takes to read it back, the
        // file's length; not the records still to write back (found by .ci/powerloss).
        self.capacity = capacity;
        self.map.flush_range(self.map.len() - 1, 1)
    }

    /// Commit point: writes the record count into the header. After it returns, a crash of
    /// this process loses no record pushed before the call.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the header cannot be written.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let mut t = recmap::Table::<u32>::create(&path)?;
    /// t.push(1)?;
    /// t.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&mut self) -> Result<()> {
        self.check_opened_here("flush")?;
        if self.len != self.flushed_len {
            self.publish_count()?;
        }
        Ok(())
    }

    /// Durable commit point: makes the records durable, then writes the count and makes the
    /// header durable. After it returns, a crash of the machine loses no record pushed before
    /// the call, and the file never counts a record whose bytes did not reach the disk.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if writing back fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let mut t = recmap::Table::<u32>::create(&path)?;
    /// t.push(1)?;
    /// t.sync()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync(&mut self) -> Result<()> {
        self.check_opened_here("sync")?;
        let data = self.data_range();
        if !data.is_empty() {
            self.map.flush_range(data.start, data.len())?;
        }
        self.publish_count()?;
        self.file()?
            .sync_data()
            .map_err(|e| Error::io(self.map.path(), "sync", e))?;
        // A table this process created: its name in the directory, once.
        self.map.sync_name()
    }
}

impl<T: Record> Table<T, ReadWrite> {
    /// The record at `index`, writable in place; `None` past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.push(1)?;
    /// *t.get_mut(0).unwrap() = 5;
    /// assert_eq!(t.get(0), Some(&5));
    /// assert!(t.get_mut(1).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.as_mut_slice().get_mut(index)
    }

    /// All records, writable in place: sort them, update them, `chunks_mut` them.
    ///
    /// # Panics
    ///
    /// In the child of a `fork()` (a process that did not open the table), which must not
    /// change records behind the parent's exclusive lock; the methods that return a `Result`
    /// give [`Error::Forked`] there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend([3, 1, 2])?;
    /// t.as_mut_slice().sort();
    /// assert_eq!(t.as_slice(), &[1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        if let Err(e) = self.check_opened_here("change records") {
            // No `Result` to return it in: a forked child must not change the parent's
            // records behind its exclusive lock.
            panic!("{e}");
        }
        let range = self.data_range();
        match self
            .map
            .bytes_mut()
            .map(|b| b.get_mut(range).map(View::cast_mut))
        {
            Ok(Some(Ok(records))) => records,
            // Unreachable by the INVARIANTS (a ReadWrite map is writable; see `as_slice`).
            _ => unreachable!("a table's records are not a valid [T]"),
        }
    }

    /// Keeps the first `len` records (no effect if there are fewer); the capacity stays.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend([1, 2, 3])?;
    /// t.truncate(1);
    /// assert_eq!(t.as_slice(), &[1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Removes every record; the capacity stays.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<u32>::create(dir.path().join("x.npy"))?;
    /// t.extend([1, 2, 3])?;
    /// t.clear();
    /// assert!(t.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Shrinks the file to just the header and the records (after a flush).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the count cannot be written or the file cannot be resized.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("x.npy");
    /// let mut t = recmap::Table::<u64>::create(&path)?;
    /// t.extend([1, 2])?;
    /// t.shrink_to_fit()?;
    /// assert_eq!(std::fs::metadata(&path)?.len(), 128 + 16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shrink_to_fit(&mut self) -> Result<()> {
        self.flush()?;
        self.map
            .resize(file_len_for::<T>(self.data_start, self.len)?)?;
        self.map.skip_flush_on_drop();
        self.capacity = self.len;
        Ok(())
    }
}

/// The records, writable in place (`sort`, `iter_mut`, `table[i] = …`).
impl<T: Record> DerefMut for Table<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}
