//! Mirrors PyMOTW's `mmap_regex.py`: a regular expression run straight over the mapped bytes,
//! printing every sentence that contains "nulla".
//!
//! ```python
//! pattern = re.compile(rb'(\.\W+)?([^.]?nulla[^.]*?\.)',
//!                      re.DOTALL | re.IGNORECASE | re.MULTILINE)
//! with open('lorem.txt', 'r') as f:
//!     with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
//!         for match in pattern.findall(m):
//!             print(match[1].replace(b'\n', b' '))
//! ```
//!
//! Run with `cargo run --example mmap_regex`.

use std::error::Error;

use recmap::{Access, Map};
use regex::bytes::Regex;

const LOREM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lorem.txt");

fn main() -> Result<(), Box<dyn Error>> {
    let pattern = Regex::new(r"(?sim)(\.\W+)?([^.]?nulla[^.]*?\.)")?;
    let m = Map::open(LOREM, Access::Read)?;
    // `Map` derefs to `[u8]`: the regex reads the mapped pages, no copy of the file.
    for caps in pattern.captures_iter(&m) {
        if let Some(sentence) = caps.get(2) {
            println!(
                "{}",
                String::from_utf8_lossy(sentence.as_bytes()).replace('\n', " ")
            );
        }
    }
    Ok(())
}
