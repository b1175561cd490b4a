//! Ticks with numpy's own types — a `datetime64[ns]` timestamp and an `S8` symbol — written by
//! Rust as a `Table`, which numpy opens as the structured array it would have made itself:
//!
//! ```python
//! import numpy as np
//! ticks = np.load("ticks.npy")
//! print(ticks.dtype)          # {'names': ['t', 'symbol', 'price', 'size', 'live'], 'formats': ['<M8[ns]', 'S8', '<f8', '<u4', '?'], 'offsets': [0, 8, 16, 24, 28], 'itemsize': 32}
//! print(ticks.dtype.names)    # ('t', 'symbol', 'price', 'size', 'live'): the padding is not a field
//! print(ticks[0]["t"], ticks[0]["symbol"])   # 2024-03-01T14:30:00.000000250 b'AAPL'
//! print(ticks["t"].dtype, ticks["symbol"].dtype, ticks["t"][1] - ticks["t"][0])   # datetime64[ns] |S8 1500000 nanoseconds
//! ```
//!
//! Run with `cargo run --example tick_types` (pass a path to keep the file for numpy).

use std::error::Error;
use std::time::{Duration, UNIX_EPOCH};

use recmap::unit::Ns;
use recmap::{Bool, DateTime64, Record, S, Table, TableOptions, TimeDelta64};

/// One tick: 32 bytes, laid out as numpy's `align=True` dtype of the same fields.
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Tick {
    t: DateTime64<Ns>,
    symbol: S<8>,
    price: f64,
    size: u32,
    live: Bool,
    _pad: [u8; 3], // padding: numpy shows no field for it
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = match std::env::args_os().nth(1) {
        Some(p) => p.into(),
        None => dir.path().join("ticks.npy"),
    };

    // 2024-03-01T14:30:00 UTC, plus 250 ns.
    let open = UNIX_EPOCH + Duration::new(1_709_303_400, 250);
    let mut ticks: Table<Tick> = TableOptions::new().overwrite(true).create(&path)?;
    for (i, (symbol, price)) in [("AAPL", 179.66), ("MSFT", 415.5), ("AAPL", 179.7)]
        .into_iter()
        .enumerate()
    {
        ticks.push(Tick {
            t: DateTime64::from_system_time(open + Duration::from_micros(1_500) * i as u32)?,
            symbol: S::new(symbol)?,
            price,
            size: 100 * (i as u32 + 1),
            live: Bool::new(i != 1),
            _pad: [0; 3],
        })?;
    }
    ticks.flush()?;

    println!("dtype {}", Tick::DTYPE);
    for tick in ticks.iter() {
        println!(
            "{} {:<4} {:>7.2} {:>4} {}",
            tick.t,
            tick.symbol.to_str()?,
            tick.price,
            tick.size,
            tick.live
        );
    }
    let gap = TimeDelta64::<Ns>::new(ticks[1].t.count() - ticks[0].t.count());
    println!("first gap {gap}");
    println!(
        "as SystemTime {:?}",
        ticks[0].t.to_system_time()?.duration_since(UNIX_EPOCH)?
    );
    println!("{:?}", ticks[2]);
    Ok(())
}
