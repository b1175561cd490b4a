//! A live trade log: one writer appends and commits, a follower reads each commit as it
//! lands — the `tail -f` of a record file (the LMDB model: the follower never blocks the
//! writer). Here the follower is a thread with its own read-only table; it could just as well
//! be another process, or numpy, re-loading the same file:
//!
//! ```python
//! import numpy as np, time
//! while True:
//!     trades = np.load("trades.npy", mmap_mode="r")    # whole, committed records only
//!     print(len(trades), trades["price"][-1:] if len(trades) else None)
//!     time.sleep(0.5)
//! ```
//!
//! Run with `cargo run --example tail` (pass a path to keep the file for numpy).

use std::error::Error;
use std::sync::mpsc;
use std::time::Duration;

use recmap::Table;

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
    let mut log = Table::<Trade>::create_append(&path)?;

    // The follower opens the same file read-only while the writer holds it: no Error::Locked.
    let mut follower = Table::<Trade>::open_read(&path)?;
    let (seen_tx, seen_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || -> recmap::Result<()> {
        let mut seen = 0;
        while seen < 12 {
            let n = follower.wait_for_len(seen + 1, Duration::from_secs(10))?;
            let new = &follower[seen..n];
            let volume: u32 = new.iter().map(|t| t.qty).sum();
            println!(
                "follower: {} new trades (ids {}..={}), volume {volume}, last price {:.2}",
                new.len(),
                new[0].id,
                new[new.len() - 1].id,
                new[new.len() - 1].price
            );
            seen = n;
            let _ = seen_tx.send(seen);
        }
        Ok(())
    });

    for batch in 0..4u64 {
        for i in 0..3 {
            let id = batch * 3 + i;
            log.push(Trade {
                id,
                price: 100.0 + id as f64 * 0.25,
                qty: 10 * (i as u32 + 1),
                side: (id % 2) as u8,
                _pad: [0; 3],
            })?;
        }
        println!("writer: committed {} trades", log.len());
        log.flush()?; // the commit point the follower waits for
        // Wait until the follower has printed this batch, so the output reads in order.
        seen_rx.recv_timeout(Duration::from_secs(10))?;
    }
    reader.join().expect("the follower thread")?;
    Ok(())
}
