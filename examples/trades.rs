//! A trade log kept as a `Table`: appended, queried with a binary search on a sorted key,
//! updated in place — and the same file opened by numpy, zero-copy on both sides:
//!
//! ```python
//! import numpy as np
//! trades = np.load("trades.npy", mmap_mode="r+")   # a structured array over the same pages
//! print(trades[trades["id"] == 5000], trades["price"].mean())
//! ```
//!
//! Run with `cargo run --example trades` (pass a path to keep the file for numpy).

use std::error::Error;

use recmap::{Record, Table, TableOptions};

/// One trade: 24 bytes, no implicit padding (the derive checks it).
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Trade {
    id: u64,
    price: f64,
    qty: u32,
    side: u8,
    _pad: [u8; 3],
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = match std::env::args_os().nth(1) {
        Some(p) => p.into(),
        None => dir.path().join("trades.npy"),
    };

    // Append: ids arrive in increasing order, so the table is sorted by id.
    let mut trades: Table<Trade> = TableOptions::new().overwrite(true).create(&path)?;
    for id in 0..10_000u64 {
        let price = 100.0 + (id % 97) as f64 * 0.25;
        trades.push(Trade {
            id,
            price,
            qty: (id % 13) as u32 + 1,
            side: (id % 2) as u8,
            _pad: [0; 3],
        })?;
    }
    trades.flush()?; // commit point: a crash of this process now loses nothing
    println!("appended {} trades; dtype {}", trades.len(), Trade::DTYPE);

    // Query: binary search on the sorted key, straight over the mapped records.
    let i = trades
        .binary_search_by_key(&5000, |t| t.id)
        .map_err(|_| "id 5000 missing")?;
    println!("trade 5000 at index {i}: {:?}", trades[i]);

    // Update in place: no parse, no copy, no rewrite of the file.
    trades[i].qty *= 10;
    let volume: u64 = trades.iter().map(|t| u64::from(t.qty)).sum();
    println!("total volume after the update: {volume}");
    trades.sync()?; // durable commit point
    drop(trades);

    // Reopen read-only (shared lock) and check the update is in the file.
    let trades = Table::<Trade>::open_read(&path)?;
    println!(
        "reopened: {} trades, trade 5000 qty {}",
        trades.len(),
        trades[5000].qty
    );
    Ok(())
}
