//! The `recmap` command: `bench` (mapped vs `read()` on this machine), `info` and `dump`
//! (any .npy file, decoded from its own dtype).

mod bench;
// Cold-cache eviction needs posix_fadvise and mincore; elsewhere `bench --cold` refuses.
#[cfg(target_os = "linux")]
mod cold;
mod decode;
mod inspect;
mod output;
mod report;
mod tail;
// The workloads and their kernels, one copy for this command and the criterion benches.
#[path = "../../benches/workloads.rs"]
mod workloads;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::output::Stop;

/// Typed, zero-copy record stores over memory-mapped files.
#[derive(Parser)]
#[command(name = "recmap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure mapped access against read(), BufReader, pread and memory on a temporary file.
    Bench {
        /// Size of the test file, e.g. 256MiB, 1GiB, 64MB, 1000000.
        #[arg(long, default_value = "256MiB", value_parser = parse_size)]
        size: u64,
        /// Record size in bytes: 8, 16, 32, 64, 128, 256, 512, 1024 or 4096.
        #[arg(long, default_value_t = 64)]
        record: usize,
        /// Directory for the temporary file (default: the system's temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Also run benches/peers.py (CPython mmap, numpy.memmap, np.take) on the same file and
        /// compare; needs python3 with numpy.
        #[arg(long)]
        peers: bool,
        /// Also time scan and random reads with the file evicted from the page cache before
        /// every run (mapped with and without madvise/MAP_POPULATE, against read() and pread).
        #[arg(long)]
        cold: bool,
    },
    /// Show a .npy file's header (version, dtype, record size, count, capacity, sizes), or a
    /// dataset's partitions in order with their counts.
    Info {
        /// The .npy file, or a directory of .npy partitions (a dataset).
        file: PathBuf,
    },
    /// Follow a table for `bench`'s tail workload (internal).
    #[command(name = "__follow", hide = true)]
    Follow {
        path: PathBuf,
        mode: String,
        records: u64,
    },
    /// Print records decoded from the file's own dtype.
    Dump {
        /// The .npy file.
        file: PathBuf,
        /// Which records, as A..B (end exclusive), A.. or ..B.
        #[arg(long, value_parser = parse_range, value_name = "A..B")]
        range: Option<(Option<u64>, Option<u64>)>,
        /// Only the last N records (all of them if there are fewer).
        #[arg(long, value_name = "N", conflicts_with = "range")]
        tail: Option<u64>,
        /// Only these fields of each record, in this order (comma-separated names).
        #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
        fields: Option<Vec<String>>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

/// Output formats of `dump`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// A header line of column names, then one line per record.
    Csv,
    /// One JSON object per line.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench {
            size,
            record,
            dir,
            json,
            peers,
            cold,
        } => bench::run(size, record, dir, json, peers, cold),
        Command::Info { file } => inspect::info(&file),
        Command::Follow {
            path,
            mode,
            records,
        } => match mode.strip_prefix("words") {
            Some(words) => words
                .parse()
                .map_err(|_| format!("bad follower mode {mode}"))
                .and_then(|w| tail::follow_words(&path, w, records)),
            None => tail::follow(&path, mode == "spin", records),
        }
        .map_err(Stop::from),
        Command::Dump {
            file,
            range,
            tail,
            fields,
            format,
        } => {
            let rows = match (range, tail) {
                (Some((a, b)), _) => inspect::Rows::Range(a, b),
                (None, Some(n)) => inspect::Rows::Tail(n),
                (None, None) => inspect::Rows::All,
            };
            inspect::dump(&file, rows, fields.as_deref(), format)
        }
    };
    match result {
        // `recmap info f | head`: the reader has all it wanted.
        Ok(()) | Err(Stop::OutputClosed) => ExitCode::SUCCESS,
        Err(Stop::Failed(message)) => {
            eprintln!("recmap: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `256MiB`, `1GiB`, `64MB`, `4k`, `1000000` → bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 256MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "kb" => 1_000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        _ => {
            return Err(format!(
                "unknown unit in `{text}` (use B, KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// `A..B`, `A..`, `..B` → (start, end).
fn parse_range(text: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let (a, b) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not a range like 10..20"))?;
    let num = |s: &str| -> Result<Option<u64>, String> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse()
                .map(Some)
                .map_err(|_| format!("`{s}` in `{text}` is not a record index"))
        }
    };
    Ok((num(a)?, num(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ranges() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("64MB"), Ok(64_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("99999999999GiB").is_err());
        assert_eq!(parse_range("3..7"), Ok((Some(3), Some(7))));
        assert_eq!(parse_range("..7"), Ok((None, Some(7))));
        assert!(parse_range("3-7").is_err());
    }
}
