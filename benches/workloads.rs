//! The benchmark workloads, one copy for both measurers: `recmap bench` (the reporter, which
//! includes this file with `#[path]`) and the criterion benches (the statistics, through
//! `common`). A number in the README and a criterion figure therefore time the same code.
//!
//! The file: a table of records of `W` u64 words where record `i` holds the words
//! `i*W .. i*W + W`. Each kernel below is the timed part of one method of one workload: it
//! takes what was prepared outside the timing (open files, indices, buffers) and returns a
//! checksum, which the caller compares with the expected one before it reports a time.
#![allow(dead_code)]

#[cfg(windows)]
use positioned::FileExt;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
#[cfg(unix)]
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use recmap::view::Gather;
use recmap::{ReadOnly, Table, TableOptions};
use zerocopy::IntoBytes;

/// Unix's whole positioned reads and writes (`pread`/`pwrite` until done) on Windows, where
/// std has only `seek_read`/`seek_write`: one `ReadFile`/`WriteFile` at an offset each, which
/// may be short and also moves the file's cursor (no kernel here mixes the cursor and offsets
/// on one `File`).
#[cfg(windows)]
mod positioned {
    use std::io::{Error, ErrorKind, Result};
    use std::os::windows::fs::FileExt as _;

    pub trait FileExt {
        fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()>;
        fn write_all_at(&self, buf: &[u8], offset: u64) -> Result<()>;
    }

    impl FileExt for std::fs::File {
        fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> Result<()> {
            while !buf.is_empty() {
                match self.seek_read(buf, offset) {
                    Ok(0) => return Err(Error::from(ErrorKind::UnexpectedEof)),
                    Ok(n) => {
                        buf = &mut buf[n..];
                        offset += n as u64;
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }

        fn write_all_at(&self, mut buf: &[u8], mut offset: u64) -> Result<()> {
            while !buf.is_empty() {
                match self.seek_write(buf, offset) {
                    Ok(0) => return Err(Error::from(ErrorKind::WriteZero)),
                    Ok(n) => {
                        buf = &buf[n..];
                        offset += n as u64;
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }
    }
}

/// A record of `W` u64 words.
pub type Rec<const W: usize> = [u64; W];

/// What a kernel can fail with: an I/O or recmap error, said as the error says it.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Record `i`: the words `i*W .. i*W + W`.
#[inline]
pub fn record<const W: usize>(i: usize) -> Rec<W> {
    record_of_generation::<W>(i, 0)
}

/// Record `i` as the random-write workload writes it in generation `generation`: each word
/// plus `generation`.
///
/// A plain loop: `[T; N]::map` was not inlined here (a call and copies per record, measured
/// with perf), which made the mapped random-write kernel 1.5× slower than the same loop
/// written in place.
#[inline]
pub fn record_of_generation<const W: usize>(i: usize, generation: u64) -> Rec<W> {
    let mut r = [0u64; W];
    for (j, w) in r.iter_mut().enumerate() {
        *w = ((i * W + j) as u64).wrapping_add(generation);
    }
    r
}

/// The words' sum, wrapping: every workload's checksum.
#[inline]
pub fn sum(words: &[u64]) -> u64 {
    words.iter().fold(0u64, |a, &w| a.wrapping_add(w))
}

/// `n` pseudo-random indices below `below` (xorshift64), the same every run and in every
/// measurer — `benches/peers.py` generates the same ones.
pub fn indices(n: usize, below: usize) -> Vec<usize> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % below as u64) as usize
        })
        .collect()
}

/// The checksum of the records at `idx`: each record's words summed.
pub fn expected_records<const W: usize>(idx: &[usize]) -> u64 {
    idx.iter()
        .fold(0u64, |a, &i| a.wrapping_add(sum(&record::<W>(i))))
}

/// The checksum of a scan of `words` words `0, 1, …, words-1`: n(n-1)/2 mod 2^64.
pub fn expected_scan(words: u64) -> u64 {
    if words.is_multiple_of(2) {
        (words / 2).wrapping_mul(words.wrapping_sub(1))
    } else {
        words.wrapping_mul(words.saturating_sub(1) / 2)
    }
}

/// The workloads' file: a table of `count` records at `path`, whose data starts at
/// `data_start`.
pub struct DataFile {
    /// Where the table is.
    pub path: PathBuf,
    /// How many records it holds.
    pub count: usize,
    /// The byte offset of record 0 (the .npy header's length).
    pub data_start: u64,
}

impl DataFile {
    /// Writes records `0..count` to a new table at `path` (replacing any file there), telling
    /// `progress` how many are written every 65,536 records.
    pub fn create<const W: usize>(
        path: &Path,
        count: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<DataFile> {
        let mut t: Table<Rec<W>> = TableOptions::new()
            .overwrite(true)
            .capacity(count)
            .create(path)?;
        for i in 0..count {
            t.push(record::<W>(i))?;
            if i % 65_536 == 0 {
                progress(i);
            }
        }
        // Written back before anything is timed: the kernel's writeback of these pages would
        // otherwise run during the first methods' runs (and not during the peers', later).
        t.sync()?;
        Ok(DataFile {
            path: path.to_owned(),
            count,
            data_start: t.data_offset() as u64,
        })
    }

    /// The byte offset of record `i` in the file.
    pub fn offset<const W: usize>(&self, i: usize) -> u64 {
        self.data_start + (i * W * 8) as u64
    }

    /// The records read into memory with one `read`: the in-memory baseline's data.
    pub fn load<const W: usize>(&self) -> Result<Vec<Rec<W>>> {
        let mut records: Vec<Rec<W>> = vec![[0; W]; self.count];
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(self.data_start))?;
        f.read_exact(records.as_mut_bytes())?;
        Ok(records)
    }

    /// The table, opened read-only: the mapped methods' view of the file.
    pub fn open_table<const W: usize>(&self) -> Result<Table<Rec<W>, ReadOnly>> {
        Ok(Table::open_read(&self.path)?)
    }
}

/// Sum every word of the file.
pub mod scan {
    use super::*;

    /// In place: over a mapped table (`&table`), or over the records in memory.
    pub fn records<const W: usize>(records: &[Rec<W>]) -> u64 {
        sum(records.as_flattened())
    }

    /// `read` into `buf` (its size is the read size), from the data's start to its end.
    pub fn read<const W: usize>(file: &DataFile, buf: &mut [u64]) -> Result<u64> {
        if buf.is_empty() {
            return Err("scan::read needs a buffer of at least one word".into());
        }
        let mut f = File::open(&file.path)?;
        f.seek(SeekFrom::Start(file.data_start))?;
        let (mut left, mut total) = (file.count * W * 8, 0u64);
        while left > 0 {
            let n = left.min(buf.len() * 8);
            let chunk = &mut buf[..n / 8];
            f.read_exact(chunk.as_mut_bytes())?;
            total = total.wrapping_add(sum(chunk));
            left -= n;
        }
        Ok(total)
    }

    /// A `BufReader`, one record per `read_exact`.
    pub fn bufreader<const W: usize>(file: &DataFile) -> Result<u64> {
        let mut f = BufReader::new(File::open(&file.path)?);
        f.seek(SeekFrom::Start(file.data_start))?;
        let mut rec: Rec<W> = [0; W];
        let mut total = 0u64;
        for _ in 0..file.count {
            f.read_exact(rec.as_mut_bytes())?;
            total = total.wrapping_add(sum(&rec));
        }
        Ok(total)
    }
}

/// Read the records at random indices.
pub mod random_read {
    use super::*;

    /// `records[i]` in a loop: over a mapped table (`&table`), or over the records in memory.
    pub fn index_loop<const W: usize>(records: &[Rec<W>], idx: &[usize]) -> u64 {
        idx.iter().fold(0u64, |a, &i| {
            a.wrapping_add(records.get(i).map_or(0, |r| sum(black_box(r))))
        })
    }

    /// All the indices in one call (`Gather::gather_into`, prefetching) into `out` (at least
    /// `idx.len()` records), then summed.
    pub fn gather<const W: usize>(
        records: &[Rec<W>],
        idx: &[usize],
        out: &mut [Rec<W>],
    ) -> Result<u64> {
        records.gather_into(idx, out)?;
        Ok(out[..idx.len()]
            .iter()
            .fold(0u64, |a, r| a.wrapping_add(sum(black_box(r)))))
    }

    /// One `pread` per record.
    pub fn pread<const W: usize>(file: &DataFile, f: &File, idx: &[usize]) -> Result<u64> {
        let mut r: Rec<W> = [0; W];
        let mut total = 0u64;
        for &i in idx {
            f.read_exact_at(r.as_mut_bytes(), file.offset::<W>(i))?;
            total = total.wrapping_add(sum(&r));
        }
        Ok(total)
    }

    /// A `BufReader`: seek, then `read_exact`, per record.
    pub fn bufreader<const W: usize>(
        file: &DataFile,
        reader: &mut BufReader<File>,
        idx: &[usize],
    ) -> Result<u64> {
        let mut r: Rec<W> = [0; W];
        let mut total = 0u64;
        for &i in idx {
            reader.seek(SeekFrom::Start(file.offset::<W>(i)))?;
            reader.read_exact(r.as_mut_bytes())?;
            total = total.wrapping_add(sum(&r));
        }
        Ok(total)
    }
}

/// Rewrite the records at random indices in place, as generation `generation`; each kernel
/// returns how many it wrote, and [`check`](random_write::check) reads them back.
pub mod random_write {
    use super::*;

    /// Stores into a mapped table's records (`table.as_mut_slice()`).
    pub fn mapped<const W: usize>(records: &mut [Rec<W>], idx: &[usize], generation: u64) -> u64 {
        let mut written = 0;
        for &i in idx {
            if let Some(r) = records.get_mut(i) {
                *r = record_of_generation::<W>(i, generation);
                written += 1;
            }
        }
        written
    }

    /// One `pwrite` per record, to `f` (the file, opened for writing).
    pub fn pwrite<const W: usize>(
        file: &DataFile,
        f: &File,
        idx: &[usize],
        generation: u64,
    ) -> Result<u64> {
        for &i in idx {
            let r = record_of_generation::<W>(i, generation);
            f.write_all_at(r.as_bytes(), file.offset::<W>(i))?;
        }
        Ok(idx.len() as u64)
    }

    /// Reads every `step`-th of the records at `idx` back with `pread`: each must be of
    /// generation `generation`.
    pub fn check<const W: usize>(
        file: &DataFile,
        idx: &[usize],
        step: usize,
        generation: u64,
    ) -> Result<()> {
        let f = File::open(&file.path)?;
        let mut r: Rec<W> = [0; W];
        for &i in idx.iter().step_by(step.max(1)) {
            f.read_exact_at(r.as_mut_bytes(), file.offset::<W>(i))?;
            if r != record_of_generation::<W>(i, generation) {
                return Err(format!("record {i} does not hold what was written").into());
            }
        }
        Ok(())
    }
}

/// Append records `0..n` to a new file; each kernel ends with the data in the page cache
/// (a table's `flush`, a `BufWriter`'s `flush`: neither msyncs nor fsyncs) and returns how
/// many records the file then holds.
pub mod append {
    use super::*;

    /// `push` through a table in the `ReadWrite` role (`Table::create`).
    pub fn table<const W: usize>(path: &Path, n: usize) -> Result<u64> {
        let _ = std::fs::remove_file(path);
        let mut t: Table<Rec<W>> = Table::create(path)?;
        for i in 0..n {
            t.push(record::<W>(i))?;
        }
        t.flush()?;
        Ok(t.len() as u64)
    }

    /// `push` through a table in the `Append` role (`Table::create_append`).
    pub fn appender<const W: usize>(path: &Path, n: usize) -> Result<u64> {
        let _ = std::fs::remove_file(path);
        let mut t = Table::<Rec<W>>::create_append(path)?;
        for i in 0..n {
            t.push(record::<W>(i))?;
        }
        t.flush()?;
        Ok(t.len() as u64)
    }

    /// `extend_from_slice` of `batch` in slices of 4,096 records through an `Append` table.
    pub fn appender_slices<const W: usize>(path: &Path, batch: &[Rec<W>]) -> Result<u64> {
        let _ = std::fs::remove_file(path);
        let mut t = Table::<Rec<W>>::create_append(path)?;
        for chunk in batch.chunks(4096) {
            t.extend_from_slice(chunk)?;
        }
        t.flush()?;
        Ok(t.len() as u64)
    }

    /// `write_all` of each record through a `BufWriter` to a raw file.
    pub fn bufwriter<const W: usize>(path: &Path, n: usize) -> Result<u64> {
        let mut w = BufWriter::new(File::create(path)?);
        for i in 0..n {
            w.write_all(record::<W>(i).as_bytes())?;
        }
        w.flush()?;
        Ok(std::fs::metadata(path)?.len() / (W * 8) as u64)
    }

    /// The table at `path` holds exactly records `0..n` (checked: its length and last record).
    pub fn check_table<const W: usize>(path: &Path, n: usize) -> Result<()> {
        let t = Table::<Rec<W>>::open_read(path)?;
        if t.len() != n || (n > 0 && t.last() != Some(&record::<W>(n - 1))) {
            return Err(format!(
                "{}: holds {} records, not the {n} appended",
                path.display(),
                t.len()
            )
            .into());
        }
        Ok(())
    }
}

/// Sum one field of every record — numpy's `a['price'].sum()` — over a table of 64-byte
/// [`Quote`](column::Quote)s (its own file: the other workloads' records are plain words).
/// Each kernel returns the sum's bits; prices are multiples of 0.25 below 256, so every order
/// of summation gives the same, exact sum.
pub mod column {
    use super::*;

    /// A 64-byte record with an `f64` field to sum.
    #[recmap::record]
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Quote {
        pub id: u64,
        pub price: f64,
        pub qty: u64,
        pub time: u64,
        pub bid: f64,
        pub ask: f64,
        pub flags: [u64; 2],
    }

    /// Quote `i`: price `(i % 1024) / 4`.
    pub fn quote(i: usize) -> Quote {
        let price = (i % 1024) as f64 * 0.25;
        Quote {
            id: i as u64,
            price,
            qty: (i % 100) as u64,
            time: i as u64 * 1000,
            bid: price - 0.25,
            ask: price + 0.25,
            flags: [0; 2],
        }
    }

    /// The bits of the sum of quotes `0..n`'s prices (exact: counted in quarters).
    pub fn expected(n: usize) -> u64 {
        let (full, rest) = ((n / 1024) as u64, (n % 1024) as u64);
        let quarters = full * (1023 * 1024 / 2) + rest * rest.saturating_sub(1) / 2;
        (quarters as f64 * 0.25).to_bits()
    }

    /// Writes quotes `0..count` to a new table at `path` (replacing any file there), telling
    /// `progress` how many are written every 65,536 records.
    pub fn create(path: &Path, count: usize, mut progress: impl FnMut(usize)) -> Result<DataFile> {
        let mut t: Table<Quote> = TableOptions::new()
            .overwrite(true)
            .capacity(count)
            .create(path)?;
        for i in 0..count {
            t.push(quote(i))?;
            if i % 65_536 == 0 {
                progress(i);
            }
        }
        // Written back before anything is timed, as `DataFile::create` does.
        t.sync()?;
        Ok(DataFile {
            path: path.to_owned(),
            count,
            data_start: t.data_offset() as u64,
        })
    }

    /// recmap's column: `table.column(|q| &q.price).iter().sum()`, in place.
    pub fn column(table: &Table<Quote, ReadOnly>) -> u64 {
        table.column(|q| &q.price).iter().sum::<f64>().to_bits()
    }

    /// A plain loop over the records: over a mapped table (`&table`), or over them in memory.
    pub fn records(records: &[Quote]) -> u64 {
        let mut total = 0.0f64;
        for q in records {
            total += q.price;
        }
        total.to_bits()
    }

    /// `read` into `buf` (its size is the read size), summing the prices of each buffer.
    pub fn read(file: &DataFile, buf: &mut [Quote]) -> Result<u64> {
        if buf.is_empty() {
            return Err("column::read needs a buffer of at least one record".into());
        }
        let mut f = File::open(&file.path)?;
        f.seek(SeekFrom::Start(file.data_start))?;
        let (mut left, mut total) = (file.count, 0.0f64);
        while left > 0 {
            let n = left.min(buf.len());
            let chunk = &mut buf[..n];
            f.read_exact(chunk.as_mut_bytes())?;
            for q in chunk.iter() {
                total += q.price;
            }
            left -= n;
        }
        Ok(total.to_bits())
    }

    /// The quotes read into memory with one `read`: the in-memory baseline's data.
    pub fn load(file: &DataFile) -> Result<Vec<Quote>> {
        let mut records = vec![quote(0); file.count];
        let mut f = File::open(&file.path)?;
        f.seek(SeekFrom::Start(file.data_start))?;
        f.read_exact(records.as_mut_bytes())?;
        Ok(records)
    }
}
