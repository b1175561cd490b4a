//! Mirrors the Python Cookbook recipe 5.8, "Memory Mapping Binary Files":
//!
//! ```python
//! >>> size = 1000000
//! >>> with open('data', 'wb') as f:
//! ...      f.seek(size-1)
//! ...      f.write(b'\x00')
//! >>> m = memory_map('data')
//! >>> len(m)
//! 1000000
//! >>> m[0:10]
//! b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
//! >>> m[0:11] = b'Hello World'
//! >>> m.close()
//! >>> with open('data', 'rb') as f:
//! ...      print(f.read(11))
//! b'Hello World'
//! ```
//!
//! `Map::create` is the recipe's `memory_map()` helper. Run with `cargo run --example memory_map`.

use std::error::Error;

use recmap::Map;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("data");
    let size = 1_000_000;

    let mut m = Map::create(&path, size)?;
    println!("len(m)   = {}", m.len());
    println!("m[0..10] = {:?}", &m[0..10]);
    m.write_at(0, b"Hello World")?; // m[0:11] = b'Hello World'
    m.close()?;

    let data = std::fs::read(&path)?;
    println!("file[0..11] = {}", String::from_utf8_lossy(&data[..11]));
    println!("file size   = {}", data.len());
    Ok(())
}
