//! The file half of [`Map`]: a cursor, Python's `read`/`readline`/`read_byte`/`write`/
//! `write_byte`/`seek`/`tell`, and the `std::io` traits.

use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};

use super::{Map, checked_range};
use crate::error::{Error, Result};

impl Map {
    /// The cursor's position (Python's `tell()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(8)?;
    /// m.read_slice(3);
    /// assert_eq!(m.tell(), 3);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn tell(&self) -> usize {
        self.pos
    }

    /// The bytes from the cursor to the end (empty when the cursor is at or past the end).
    fn rest(&self) -> &[u8] {
        self.get(self.pos..).unwrap_or_default()
    }

    /// Returns up to `n` bytes from the cursor and moves the cursor past them: Python's
    /// `read(n)`, without the copy. `read_slice(usize::MAX)` is Python's `read()`.
    ///
    /// At the end it returns an empty slice, as Python returns `b""`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(5)?;
    /// m.write_at(0, b"abcde")?;
    /// assert_eq!(m.read_slice(3), b"abc");
    /// assert_eq!(m.read_slice(10), b"de");
    /// assert_eq!(m.read_slice(1), b"");
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn read_slice(&mut self, n: usize) -> &[u8] {
        let start = self.pos;
        let take = n.min(self.rest().len());
        self.pos += take;
        self.get(start..start + take).unwrap_or_default()
    }

    /// Returns the line at the cursor, with its `\n` (if it has one), and moves past it:
    /// Python's `readline()`, without the copy. Empty at the end.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(7)?;
    /// m.write_at(0, b"ab\ncde")?;
    /// assert_eq!(m.readline(), b"ab\n");
    /// assert_eq!(m.readline(), b"cde\0");
    /// assert_eq!(m.readline(), b"");
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn readline(&mut self) -> &[u8] {
        let rest = self.rest();
        let n = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        self.read_slice(n)
    }

    /// Returns the byte at the cursor and moves past it (Python's `read_byte()`).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] at the end of the map.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(1)?;
    /// assert_eq!(m.read_byte()?, 0);
    /// assert!(m.read_byte().is_err());
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn read_byte(&mut self) -> Result<u8> {
        match self.rest().first() {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.past_end(1)),
        }
    }

    /// Writes one byte at the cursor and moves past it (Python's `write_byte(b)`).
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`] for a read-only map; [`Error::OutOfBounds`] at the end of the map.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(2)?;
    /// m.write_byte(b'x')?;
    /// m.write_byte(b'y')?;
    /// assert_eq!(&m[..], b"xy");
    /// assert!(m.write_byte(b'z').is_err());
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn write_byte(&mut self, byte: u8) -> Result<()> {
        self.write_at_cursor(&[byte])
    }

    /// All-or-nothing write at the cursor: Python's `write(data)`.
    fn write_at_cursor(&mut self, data: &[u8]) -> Result<()> {
        let pos = self.pos;
        let bytes = self.writable("write")?;
        let range = checked_range(pos, data.len(), bytes.len())?;
        bytes[range].copy_from_slice(data);
        self.pos += data.len();
        Ok(())
    }

    fn past_end(&self, len: usize) -> Error {
        Error::OutOfBounds {
            offset: self.pos,
            len,
            map_len: self.len(),
        }
    }
}

/// Reads copy from the cursor; prefer [`Map::read_slice`] to avoid the copy.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// let mut m = recmap::Map::anon(4)?;
/// m.write_at(0, b"abcd")?;
/// let mut s = String::new();
/// m.read_to_string(&mut s)?;
/// assert_eq!(s, "abcd");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Read for Map {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let src = self.read_slice(buf.len());
        let n = src.len();
        buf[..n].copy_from_slice(src);
        Ok(n)
    }
}

/// The map is its own buffer: `fill_buf` returns the rest of the map, without a copy.
///
/// # Examples
///
/// ```
/// use std::io::BufRead;
/// let mut m = recmap::Map::anon(6)?;
/// m.write_at(0, b"a\nb\nc\n")?;
/// let lines: Vec<String> = m.lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["a", "b", "c"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl BufRead for Map {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(self.rest())
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt.min(self.rest().len());
    }
}

/// Writes at the cursor, **all or nothing** like Python's `write()`: if `buf` does not fit
/// before the end of the map, `write` fails with an `InvalidInput` error (wrapping
/// [`Error::OutOfBounds`]), writes nothing and leaves the cursor. A read-only map gives
/// `PermissionDenied` (wrapping [`Error::ReadOnly`]). `flush` is [`Map::flush`].
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let mut m = recmap::Map::anon(4)?;
/// m.write_all(b"ab")?;
/// assert!(m.write_all(b"cde").is_err()); // would not fit: nothing written
/// assert_eq!((&m[..], m.tell()), (&b"ab\0\0"[..], 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Write for Map {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_at_cursor(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Map::flush(self)?;
        Ok(())
    }
}

/// Moves the cursor, as Python's `seek(pos, whence)`: the target must lie in `0..=len()`,
/// otherwise an `InvalidInput` error (wrapping [`Error::SeekOutOfRange`]) and the cursor stays.
///
/// # Examples
///
/// ```
/// use std::io::{Seek, SeekFrom};
/// let mut m = recmap::Map::anon(10)?;
/// assert_eq!(m.seek(SeekFrom::End(-3))?, 7);
/// assert_eq!(m.seek(SeekFrom::Current(-2))?, 5);
/// assert!(m.seek(SeekFrom::Current(-6)).is_err());
/// assert_eq!(m.tell(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Seek for Map {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let map_len = self.len();
        let target = match pos {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::Current(d) => self.pos as i128 + i128::from(d),
            SeekFrom::End(d) => map_len as i128 + i128::from(d),
        };
        if target < 0 || target > map_len as i128 {
            return Err(Error::SeekOutOfRange { target, map_len }.into());
        }
        self.pos = target as usize;
        Ok(self.pos as u64)
    }
}
