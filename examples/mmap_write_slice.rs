//! Mirrors PyMOTW's `mmap_write_slice.py`: find a word in a mapped copy of `lorem.txt`, replace
//! it through the map, flush, and read the file back through a separate handle.
//!
//! ```python
//! shutil.copyfile('lorem.txt', 'lorem_copy.txt')
//! word = b'consectetuer'
//! reversed = word[::-1]
//! with open('lorem_copy.txt', 'r+') as f:
//!     with mmap.mmap(f.fileno(), 0) as m:
//!         print('Before:\n{}'.format(m.readline().rstrip()))
//!         m.seek(0)
//!         loc = m.find(word)
//!         m[loc:loc + len(word)] = reversed
//!         m.flush()
//!         m.seek(0)
//!         print('After :\n{}'.format(m.readline().rstrip()))
//!         f.seek(0)
//!         print('File  :\n{}'.format(f.readline().rstrip()))
//! ```
//!
//! Run with `cargo run --example mmap_write_slice`; it works on a temporary copy.

use std::error::Error;
use std::io::{BufRead, BufReader, Seek, SeekFrom};

use recmap::{Access, Map};

const LOREM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lorem.txt");

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("lorem_copy.txt");
    std::fs::copy(LOREM, &copy)?;

    let word = b"consectetuer";
    let reversed: Vec<u8> = word.iter().rev().copied().collect();
    println!("Looking for    : {}", String::from_utf8_lossy(word));
    println!("Replacing with : {}", String::from_utf8_lossy(&reversed));

    let mut m = Map::open(&copy, Access::Write)?;
    println!("Before:\n{}", text(m.readline()));
    m.seek(SeekFrom::Start(0))?;

    let loc = m.find(word, ..).ok_or("word not found")?;
    m.bytes_mut()?[loc..loc + word.len()].copy_from_slice(&reversed);
    m.flush()?;

    m.seek(SeekFrom::Start(0))?;
    println!("After :\n{}", text(m.readline()));

    let mut first_line = String::new();
    BufReader::new(std::fs::File::open(&copy)?).read_line(&mut first_line)?;
    println!("File  :\n{}", first_line.trim_end());
    Ok(())
}

/// The line without its trailing whitespace, like Python's `rstrip()`.
fn text(line: &[u8]) -> String {
    String::from_utf8_lossy(line).trim_end().to_owned()
}
