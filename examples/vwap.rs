//! A running VWAP over a live trade log, in a follower that ends by itself when its writer is
//! gone — whether the writer finished or was killed (the `tail -f` loop, or a Kafka consumer,
//! that needs no final count and no timeout). The numpy side of the same file:
//!
//! ```python
//! import numpy as np
//! t = np.load("trades.npy", mmap_mode="r")
//! print((t["price"] * t["qty"]).sum() / t["qty"].sum())
//! ```
//!
//! Run with `cargo run --example vwap`. The writer is this program again, in a child process.

use std::error::Error;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use recmap::Table;
use recmap::table::AtEnd;

#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Trade {
    id: u64,
    price: f64,
    qty: u32,
    side: u8,
    _pad: [u8; 3],
}

fn trade(id: u64) -> Trade {
    Trade {
        id,
        price: 100.0 + (id % 50) as f64 * 0.25,
        qty: 1 + (id % 7) as u32,
        side: (id % 2) as u8,
        _pad: [0; 3],
    }
}

/// The writer process: appends trades, committing every 100, until it has written `count`
/// (or forever, if `count` is 0), then exits.
fn writer(path: &Path, count: u64) -> Result<(), Box<dyn Error>> {
    let mut log = Table::<Trade>::create_append(path)?;
    println!("ready");
    let mut id = 0;
    while count == 0 || id < count {
        log.push(trade(id))?;
        id += 1;
        if id % 100 == 0 {
            log.flush()?;
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    Ok(()) // dropping the table commits the rest and lets go of the lock
}

/// Follows the log until the writer is gone; returns (trades seen, VWAP).
fn follow(path: &Path, checkpoints: bool) -> Result<(usize, f64), Box<dyn Error>> {
    let mut follower = Table::<Trade>::open_read(path)?.follow(AtEnd::Stop);
    let (mut notional, mut volume, mut seen) = (0.0, 0u64, 0usize);
    while let Some(batch) = follower.next_batch()? {
        for t in batch {
            notional += t.price * f64::from(t.qty);
            volume += u64::from(t.qty);
            seen += 1;
            if checkpoints && seen % 1000 == 0 {
                println!(
                    "after {seen:>5} trades: VWAP {:.4}",
                    notional / volume as f64
                );
            }
        }
    }
    Ok((seen, notional / volume as f64))
}

/// Starts this program as the writer of `path`, and waits until it holds the table.
fn start_writer(path: &Path, count: u64) -> Result<std::process::Child, Box<dyn Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("writer")
        .arg(path)
        .arg(count.to_string())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().ok_or("no stdout")?),
        &mut line,
    )?;
    assert_eq!(line.trim(), "ready");
    Ok(child)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("writer") {
        return writer(Path::new(&args[2]), args[3].parse()?);
    }
    let dir = tempfile::tempdir()?;

    // 1. The writer appends 5000 trades and exits: the follower ends after the last one.
    let path = dir.path().join("trades.npy");
    let mut child = start_writer(&path, 5000)?;
    let (seen, vwap) = follow(&path, true)?;
    child.wait()?;
    println!("writer finished: followed {seen} trades, VWAP {vwap:.4}");

    // 2. The writer appends until it is killed: the follower still ends by itself, having
    //    seen exactly what the writer committed.
    let path = dir.path().join("killed.npy");
    let mut child = start_writer(&path, 0)?;
    let killer = std::thread::spawn(move || -> std::io::Result<()> {
        std::thread::sleep(Duration::from_millis(300));
        child.kill()?;
        child.wait().map(drop)
    });
    let (seen, _) = follow(&path, false)?;
    killer.join().expect("the killer thread")?;
    let committed = Table::<Trade>::open_read(&path)?.len();
    println!(
        "writer killed: the follower ended by itself, having seen every committed trade: {}",
        seen == committed && seen > 0
    );
    Ok(())
}
