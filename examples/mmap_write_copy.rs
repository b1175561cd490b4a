//! Mirrors PyMOTW's `mmap_write_copy.py`: the same replacement as `mmap_write_slice`, but
//! through a copy-on-write map (`ACCESS_COPY`), so memory changes and the file does not.
//!
//! ```python
//! with open('lorem_copy.txt', 'r+') as f:
//!     with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) as m:
//!         print('Memory Before:\n{}'.format(m.readline().rstrip()))
//!         print('File Before  :\n{}\n'.format(f.readline().rstrip()))
//!         m.seek(0)
//!         loc = m.find(word)
//!         m[loc:loc + len(word)] = reversed
//!         m.seek(0)
//!         print('Memory After :\n{}'.format(m.readline().rstrip()))
//!         f.seek(0)
//!         print('File After   :\n{}'.format(f.readline().rstrip()))
//! ```
//!
//! Run with `cargo run --example mmap_write_copy`; it works on a temporary copy.

use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use recmap::{Access, Map};

const LOREM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lorem.txt");

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("lorem_copy.txt");
    std::fs::copy(LOREM, &copy)?;

    let word = b"consectetuer";
    let reversed: Vec<u8> = word.iter().rev().copied().collect();

    let mut m = Map::open(&copy, Access::Copy)?;
    println!("Memory Before:\n{}", text(m.readline()));
    println!("File Before  :\n{}\n", file_first_line(&copy)?);

    m.seek(SeekFrom::Start(0))?;
    let loc = m.find(word, ..).ok_or("word not found")?;
    m.bytes_mut()?[loc..loc + word.len()].copy_from_slice(&reversed);

    m.seek(SeekFrom::Start(0))?;
    println!("Memory After :\n{}", text(m.readline()));
    println!("File After   :\n{}", file_first_line(&copy)?);
    Ok(())
}

fn text(line: &[u8]) -> String {
    String::from_utf8_lossy(line).trim_end().to_owned()
}

fn file_first_line(path: &Path) -> std::io::Result<String> {
    let mut line = String::new();
    BufReader::new(File::open(path)?).read_line(&mut line)?;
    Ok(line.trim_end().to_owned())
}
