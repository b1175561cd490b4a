//! `recmap info` and `recmap dump`: any .npy file, read through a shared-locked map.

use std::io::{BufWriter, Write};
use std::path::Path;

use recmap::npy::Header;
use recmap::{Access, Map};

use crate::Format;
use crate::decode;

/// The most CSV columns `dump` writes (a record of a million fields is already unreadable).
const MAX_CSV_COLUMNS: u64 = 1 << 20;

/// Maps the file read-only and parses its header; errors name the file.
fn open(path: &Path) -> Result<(Map, Header), String> {
    let map = Map::open(path, Access::Read).map_err(|e| e.to_string())?;
    let header = Header::parse(&map).map_err(|problem| format!("{}: {problem}", path.display()))?;
    Ok((map, header))
}

pub fn info(path: &Path) -> Result<(), String> {
    let (map, header) = open(path)?;
    let record = header.record_size().unwrap_or(0);
    let spare = (map.len() - header.data_start) as u64;
    let capacity = spare
        .checked_div(record)
        .map_or("n/a".to_owned(), |c| c.to_string());
    let shape: Vec<String> = header.shape.iter().map(ToString::to_string).collect();
    let shape = if shape.len() == 1 {
        format!("({},)", shape[0])
    } else {
        format!("({})", shape.join(", "))
    };
    println!("file:         {}", path.display());
    println!("format:       .npy {}", header.version);
    println!("dtype:        {}", header.dtype);
    println!("shape:        {shape}");
    println!("record size:  {record} bytes");
    println!("count:        {}", header.count());
    println!("capacity:     {capacity}");
    println!("header size:  {} bytes", header.data_start);
    println!("file size:    {} bytes", map.len());
    Ok(())
}

pub fn dump(
    path: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
    format: Format,
) -> Result<(), String> {
    let (map, header) = open(path)?;
    let count = header.count();
    let (start, end) = match range {
        None => (0, count),
        Some((a, b)) => (a.unwrap_or(0), b.unwrap_or(count)),
    };
    if start > end || end > count {
        return Err(format!(
            "{}: range {start}..{end} is past the end: the file has {count} records",
            path.display()
        ));
    }
    let record = header.record_size().unwrap_or(0) as usize;
    // A record is the dtype repeated over the dimensions after the first.
    let dtype = match header.shape.get(1..) {
        Some(dims) if !dims.is_empty() => recmap::npy::NpyDtype::Array {
            elem: Box::new(header.dtype.clone()),
            shape: dims.iter().map(|&d| d as usize).collect(),
        },
        _ => header.dtype.clone(),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let io = |e: std::io::Error| format!("writing output: {e}");
    if let Format::Csv = format {
        // Column names are built in memory: refuse record types no spreadsheet could hold.
        let columns = decode::column_count(&dtype);
        if columns > MAX_CSV_COLUMNS {
            return Err(format!(
                "{}: a record has {columns} columns, too many for CSV; use --format json",
                path.display()
            ));
        }
        let mut names = Vec::new();
        decode::columns(&dtype, "", &mut names);
        writeln!(out, "{}", names.join(",")).map_err(io)?;
    }
    for i in start..end {
        let at = header.data_start + i as usize * record;
        let bytes = map.get(at..at + record).unwrap_or_default();
        match format {
            Format::Csv => {
                let mut cells = Vec::new();
                decode::cells(&dtype, bytes, &mut cells);
                writeln!(out, "{}", cells.join(",")).map_err(io)?;
            }
            Format::Json => {
                let mut line = String::new();
                decode::json(&dtype, bytes, &mut line);
                writeln!(out, "{line}").map_err(io)?;
            }
        }
    }
    out.flush().map_err(io)
}
