//! Mirrors PyMOTW's `mmap_read.py` ("mmap — Memory-map Files"):
//!
//! ```python
//! with open('lorem.txt', 'r') as f:
//!     with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
//!         print('First 10 bytes via read :', m.read(10))
//!         print('First 10 bytes via slice:', m[:10])
//!         print('2nd   10 bytes via read :', m.read(10))
//! ```
//!
//! Run with `cargo run --example mmap_read`.

use recmap::{Access, Map};

const LOREM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lorem.txt");

fn main() -> recmap::Result<()> {
    let mut m = Map::open(LOREM, Access::Read)?;
    println!(
        "First 10 bytes via read : {}",
        String::from_utf8_lossy(m.read_slice(10))
    );
    println!(
        "First 10 bytes via slice: {}",
        String::from_utf8_lossy(&m[..10])
    );
    println!(
        "2nd   10 bytes via read : {}",
        String::from_utf8_lossy(m.read_slice(10))
    );
    Ok(())
}
