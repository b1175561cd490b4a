//! A file of fixed-size records, updated in place — what a Python user does with
//! `numpy.memmap` and a structured dtype:
//!
//! ```python
//! dt = np.dtype([('id', '<u4'), ('celsius', '<f4'), ('count', '<u8')])
//! sensors = np.memmap('sensors.bin', dtype=dt, mode='w+', shape=(1000,))
//! sensors['id'] = np.arange(1000); sensors.flush(); del sensors
//!
//! sensors = np.memmap('sensors.bin', dtype=dt, mode='r+')
//! s = sensors[sensors['id'] == 417][0] ...   # update one record in place
//! ```
//!
//! Run with `cargo run --example records`.

use std::error::Error;

use recmap::{Access, Map, Record};

/// One sensor's running state: 16 bytes, no padding (the derive checks it).
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sensor {
    id: u32,
    celsius: f32,
    count: u64,
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sensors.bin");
    let n = 1000;

    // Create the file and fill it through a typed view.
    let mut m = Map::create(&path, n * size_of::<Sensor>())?;
    for (i, s) in m.cast_mut::<Sensor>()?.iter_mut().enumerate() {
        *s = Sensor {
            id: i as u32,
            celsius: 20.0,
            count: 0,
        };
    }
    m.close()?;
    println!("layout: {}", Sensor::DTYPE);
    println!("file: {} records of {} bytes", n, size_of::<Sensor>());

    // Reopen, find one record, and update it in place: no parsing, no copy of the file.
    let mut m = Map::open(&path, Access::Write)?;
    let sensors = m.cast_mut::<Sensor>()?;
    let s = sensors
        .iter_mut()
        .find(|s| s.id == 417)
        .ok_or("no sensor 417")?;
    s.celsius = 21.5;
    s.count += 1;
    m.flush()?;
    drop(m);

    // A read-only map sees the change, and so would numpy.
    let m = Map::open(&path, Access::Read)?;
    let sensors = m.cast::<Sensor>()?;
    println!("sensor 417: {:?}", sensors[417]);
    let updated = sensors.iter().filter(|s| s.count > 0).count();
    println!("updated records: {updated}");
    Ok(())
}
