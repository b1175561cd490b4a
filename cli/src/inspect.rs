//! `recmap info` and `recmap dump`: any .npy file, read through a shared-locked map.

use std::io::Write;
use std::path::Path;

use recmap::npy::Header;
use recmap::{Access, Map};

use crate::Format;
use crate::decode;
use crate::output::{self, Stop};

/// The most CSV columns `dump` writes (a record of a million fields is already unreadable).
const MAX_CSV_COLUMNS: u64 = 1 << 20;
/// The longest CSV header line `dump` writes (long names times many columns).
const MAX_HEADER_BYTES: u64 = 64 << 20;
/// The most JSON values in one record's line (empty arrays count).
const MAX_JSON_ITEMS: u64 = 1 << 24;
/// The largest Fortran-order record `dump` gathers into memory.
const MAX_GATHERED_RECORD: usize = 64 << 20;

/// Maps the file read-only and parses its header; errors name the file.
fn open(path: &Path) -> Result<(Map, Header), String> {
    let map = Map::open(path, Access::Read).map_err(|e| e.to_string())?;
    let header = Header::parse(&map).map_err(|problem| format!("{}: {problem}", path.display()))?;
    Ok((map, header))
}

pub fn info(path: &Path) -> Result<(), Stop> {
    if path.is_dir() {
        return dataset(path);
    }
    let (map, header) = open(path)?;
    let record = header.record_size().unwrap_or(0);
    let spare = (map.len() - header.data_start) as u64;
    let capacity = spare
        .checked_div(record)
        .map_or("n/a".to_owned(), |c| c.to_string());
    let shape: Vec<String> = header.shape.iter().map(ToString::to_string).collect();
    let shape = if shape.is_empty() {
        "() (a 0-d array: one value)".to_owned()
    } else if shape.len() == 1 {
        format!("({},)", shape[0])
    } else {
        format!("({})", shape.join(", "))
    };
    output::print(|out| {
        writeln!(out, "file:         {}", path.display())?;
        writeln!(out, "format:       .npy {}", header.version)?;
        writeln!(out, "dtype:        {}", header.dtype)?;
        writeln!(out, "shape:        {shape}")?;
        if header.fortran_order {
            writeln!(out, "order:        Fortran (column-major)")?;
        }
        writeln!(out, "record size:  {record} bytes")?;
        writeln!(out, "count:        {}", header.count())?;
        writeln!(out, "capacity:     {capacity}")?;
        writeln!(out, "header size:  {} bytes", header.data_start)?;
        writeln!(out, "file size:    {} bytes", map.len())
    })
}

/// A directory of partitions — one .npy file each (a day, a shard), in file-name order — as
/// Dask reads it: every partition's count, and a check that all share one record type.
fn dataset(dir: &Path) -> Result<(), Stop> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "npy") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("{}: no .npy files: not a dataset", dir.display()).into());
    }
    let mut rows = Vec::new();
    let mut first: Option<(recmap::npy::NpyDtype, Vec<u64>, String)> = None;
    // Counts are u64 and zero-sized records can claim up to 2^63 each: sum in u128.
    let mut total = 0u128;
    for path in &paths {
        let (_, header) = open(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let trailing: Vec<u64> = header.shape.iter().skip(1).copied().collect();
        if header.shape.is_empty() || header.fortran_order {
            return Err(format!(
                "{}: a partition must be a C-order array of records (shape (N, ...))",
                path.display()
            )
            .into());
        }
        match &first {
            None => first = Some((header.dtype.clone(), trailing.clone(), name.clone())),
            Some((dtype, dims, first_name)) if *dtype != header.dtype || *dims != trailing => {
                return Err(format!(
                    "{}: its records ({}, trailing shape {:?}) differ from {first_name}'s ({dtype}, {dims:?}): not one dataset",
                    path.display(),
                    header.dtype,
                    trailing
                )
                .into());
            }
            Some(_) => {}
        }
        total += u128::from(header.count());
        rows.push((name, header.count()));
    }
    let (dtype, dims, _) = first.unwrap_or_else(|| unreachable!("at least one partition"));
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    output::print(|out| {
        writeln!(out, "dataset:      {}", dir.display())?;
        writeln!(out, "dtype:        {dtype}")?;
        if !dims.is_empty() {
            writeln!(out, "row shape:    {dims:?}")?;
        }
        writeln!(out, "partitions:   {}", rows.len())?;
        writeln!(out, "records:      {total}")?;
        for (name, count) in rows {
            writeln!(out, "  {name:<width$}  {count}")?;
        }
        Ok(())
    })
}

/// Which records `dump` prints.
#[derive(Clone, Copy)]
pub enum Rows {
    /// Every record.
    All,
    /// `--range A..B` (end exclusive), `A..` or `..B`.
    Range(Option<u64>, Option<u64>),
    /// `--tail N`: the last `N` (all of them if there are fewer).
    Tail(u64),
}

/// `A..B`, `A..` or `..B`, as it was written.
fn range_text(a: Option<u64>, b: Option<u64>) -> String {
    let end = |x: Option<u64>| x.map_or(String::new(), |x| x.to_string());
    format!("{}..{}", end(a), end(b))
}

/// Prints `rows` of the file (with `fields`, only those fields of each record), decoded from
/// its own dtype. An empty selection prints no record: CSV's header line alone, or nothing
/// for JSON.
pub fn dump(
    path: &Path,
    rows: Rows,
    fields: Option<&[String]>,
    format: Format,
) -> Result<(), Stop> {
    if let Rows::Range(Some(a), Some(b)) = rows
        && a > b
    {
        return Err(format!(
            "--range {a}..{b} is reversed: it starts after it ends (did you mean {b}..{a}?)"
        )
        .into());
    }
    let (map, header) = open(path)?;
    let name = path.display();
    let count = header.count();
    let (start, end) = match rows {
        Rows::All => (0, count),
        Rows::Tail(n) => (count.saturating_sub(n), count),
        Rows::Range(a, b) => {
            let (start, end) = (a.unwrap_or(0), b.unwrap_or(count));
            if start > count || end > count {
                return Err(format!(
                    "{name}: range {} is past the end: the file has {count} records",
                    range_text(a, b)
                )
                .into());
            }
            (start, end)
        }
    };
    // `Header::parse` checked that every record is in the file, so these sizes fit.
    let record = header.record_size().unwrap_or(0) as usize;
    // A record is the dtype repeated over the dimensions after the first.
    let trailing: Vec<usize> = header.shape.iter().skip(1).map(|&d| d as usize).collect();
    let dtype = if trailing.is_empty() {
        header.dtype.clone()
    } else {
        recmap::npy::NpyDtype::Array {
            elem: Box::new(header.dtype.clone()),
            shape: trailing.clone(),
        }
    };
    let picked = match fields {
        None => None,
        Some(_) if !trailing.is_empty() => {
            return Err(format!(
                "{name}: --fields picks fields of a one-dimensional array of records; this one has shape {:?}",
                header.shape
            )
            .into());
        }
        Some(names) => {
            Some(decode::Fields::pick(&header.dtype, names).map_err(|e| format!("{name}: {e}"))?)
        }
    };
    // Refuse what would print absurdly much per record before printing anything.
    match format {
        Format::Csv => {
            let (columns, longest) = match &picked {
                Some(f) => (f.column_count(), f.longest_column_name()),
                None => (
                    decode::column_count(&dtype),
                    decode::longest_column_name(&dtype),
                ),
            };
            if columns > MAX_CSV_COLUMNS || columns.saturating_mul(longest) > MAX_HEADER_BYTES {
                return Err(format!(
                    "{name}: a record has {columns} columns, too many for CSV; use --format json"
                )
                .into());
            }
        }
        // No record, no line: nothing to refuse.
        Format::Json if start < end => {
            let items = match &picked {
                Some(f) => f.json_items(),
                None => decode::json_items(&dtype),
            };
            if items > MAX_JSON_ITEMS {
                return Err(
                    format!("{name}: a record is {items} JSON values, too many to print").into(),
                );
            }
        }
        Format::Json => {}
    }
    // A Fortran-order file stores the first index fastest: a record's elements are strided,
    // so they are gathered into one buffer (bounded) before decoding.
    let gather = header.fortran_order && !trailing.is_empty() && record > 0;
    if gather && record > MAX_GATHERED_RECORD {
        return Err(format!(
            "{name}: a Fortran-order record of {record} bytes is too large to gather"
        )
        .into());
    }
    let records = Records {
        bytes: &map,
        data_start: header.data_start,
        record,
        rows: count as usize,
        elem: header.dtype.size(),
        trailing: &trailing,
        gather,
    };
    let mut gathered = Vec::new();
    let out = output::stdout();
    match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
            match &picked {
                Some(f) => f.write_columns(&mut w),
                None => decode::write_columns(&dtype, &mut String::new(), &mut w),
            }
            .map_err(Stop::csv)?;
            w.write_record(None::<&[u8]>).map_err(Stop::csv)?;
            let mut text = String::new();
            for i in start..end {
                let bytes = records.get(i as usize, &mut gathered);
                match &picked {
                    Some(f) => f.write_cells(bytes, &mut text, &mut w),
                    None => decode::write_cells(&dtype, bytes, &mut text, &mut w),
                }
                .map_err(Stop::csv)?;
                w.write_record(None::<&[u8]>).map_err(Stop::csv)?;
            }
            w.flush().map_err(Stop::output)
        }
        Format::Json => {
            let mut out = out;
            for i in start..end {
                let bytes = records.get(i as usize, &mut gathered);
                let mut ser = serde_json::Serializer::with_formatter(&mut out, decode::Spaced);
                match &picked {
                    Some(f) => serde::Serialize::serialize(&f.json(bytes), &mut ser),
                    None => serde::Serialize::serialize(
                        &decode::Json {
                            dtype: &dtype,
                            bytes,
                        },
                        &mut ser,
                    ),
                }
                .map_err(Stop::json)?;
                out.write_all(b"\n").map_err(Stop::output)?;
            }
            out.flush().map_err(Stop::output)
        }
    }
}

/// The records of a file, in C order whatever the file's order.
struct Records<'a> {
    bytes: &'a [u8],
    data_start: usize,
    record: usize,
    rows: usize,
    elem: usize,
    trailing: &'a [usize],
    /// Fortran order: a record's elements are strided and must be gathered.
    gather: bool,
}

impl<'a> Records<'a> {
    /// Record `i`'s bytes: in place, or gathered into `buf` (a Fortran-order file).
    /// `Header::parse` checked that every record lies in the file.
    fn get<'b>(&'b self, i: usize, buf: &'b mut Vec<u8>) -> &'b [u8] {
        if !self.gather {
            let at = self.data_start + i * self.record;
            return self.bytes.get(at..at + self.record).unwrap_or_default();
        }
        buf.clear();
        // Element (i, j, k, …) of shape (n0, n1, n2, …) is at i + n0*(j + n1*(k + …)).
        let mut index = vec![0usize; self.trailing.len()];
        loop {
            let linear = self
                .trailing
                .iter()
                .zip(&index)
                .rev()
                .fold(0usize, |acc, (&d, &ix)| acc * d + ix);
            let at = self.data_start + (i + self.rows * linear) * self.elem;
            buf.extend_from_slice(self.bytes.get(at..at + self.elem).unwrap_or_default());
            // The next index in C order (last dimension fastest); done after the last.
            let mut dim = self.trailing.len();
            loop {
                if dim == 0 {
                    return buf;
                }
                dim -= 1;
                index[dim] += 1;
                if index[dim] < self.trailing[dim] {
                    break;
                }
                index[dim] = 0;
            }
        }
    }
}
