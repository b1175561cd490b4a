//! Mirrors the Python Cookbook recipe 5.8's `memoryview` session: a mapped file viewed as
//! unsigned ints, written through the view and through the bytes.
//!
//! ```python
//! >>> m = memory_map('data')
//! >>> v = memoryview(m).cast('I')
//! >>> v[0] = 7
//! >>> m[0:4]
//! b'\x07\x00\x00\x00'
//! >>> m[0:4] = b'\x07\x01\x00\x00'
//! >>> v[0]
//! 263
//! ```
//!
//! In Rust the view borrows the map, so the borrow checker makes sure the view and the bytes
//! are never written at the same time; each step takes its own borrow.
//! (`u32` is native-endian, as Python's `'I'` is; the bytes shown are for a little-endian
//! machine.) Run with `cargo run --example memoryview_cast`.

use std::error::Error;

use recmap::Map;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let mut m = Map::create(dir.path().join("data"), 1_000_000)?;

    let v = m.cast_mut::<u32>()?; // v = memoryview(m).cast('I')
    println!("len(v)  = {}", v.len());
    v[0] = 7;
    println!("m[0..4] = {:02x?}", &m[0..4]);

    m.write_at(0, &[0x07, 0x01, 0x00, 0x00])?; // m[0:4] = b'\x07\x01\x00\x00'
    println!("v[0]    = {}", m.cast::<u32>()?[0]);
    Ok(())
}
