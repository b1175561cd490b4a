//! Layer 2: typed views, the analogue of Python's `memoryview(m).cast('I')`.
//!
//! [`View`] adds `cast`, `cast_mut`, `at`, `at_mut`, `read_at` and `write_value_at` to every
//! byte slice, and [`Map`] has the same methods (refusing mutable views of a
//! read-only map). Views borrow the bytes: no copy, no per-element work. Every check — bounds,
//! alignment, whole number of values — gives an [`Error`](crate::Error), never a panic.

pub(crate) mod cast;
mod column;
mod gather;

pub use column::Column;
pub use gather::Gather;

use crate::error::Result;
use crate::map::Map;
use crate::record::Record;

/// Typed views over bytes; implemented for `[u8]`, so it works on a `Vec<u8>`, an array, or
/// the bytes of a [`Map`] alike.
///
/// # Examples
///
/// ```
/// use recmap::View;
/// let mut buf = [0u32; 4];
/// let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
/// bytes.cast_mut::<u32>()?[0] = 7;          // like memoryview(m).cast('I')[0] = 7
/// assert_eq!(&bytes[..4], &7u32.to_ne_bytes());
/// assert_eq!(bytes.read_at::<u16>(1)?, 0);   // any alignment, copied
/// # Ok::<(), recmap::Error>(())
/// ```
pub trait View {
    /// The whole slice as `&[T]`.
    ///
    /// # Errors
    ///
    /// [`Error::Misaligned`](crate::Error::Misaligned) if the slice does not start at a
    /// multiple of `align_of::<T>()`; [`Error::SizeMismatch`](crate::Error::SizeMismatch) if
    /// its length is not a multiple of `size_of::<T>()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::View;
    /// let buf = [1u16, 2, 3];
    /// let bytes: &[u8] = bytemuck::cast_slice(&buf);
    /// assert_eq!(bytes.cast::<u16>()?, &[1, 2, 3]);
    /// assert!(bytes[..5].cast::<u16>().is_err());
    /// # Ok::<(), recmap::Error>(())
    /// ```
    fn cast<T: Record>(&self) -> Result<&[T]>;

    /// The whole slice as `&mut [T]`.
    ///
    /// # Errors
    ///
    /// As [`cast`](View::cast).
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::View;
    /// let mut buf = [0u16; 2];
    /// let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
    /// bytes.cast_mut::<u16>()?.copy_from_slice(&[5, 6]);
    /// assert_eq!(buf, [5, 6]);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    fn cast_mut<T: Record>(&mut self) -> Result<&mut [T]>;

    /// The `T` at byte `offset`, in place.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`](crate::Error::OutOfBounds) if `size_of::<T>()` bytes at `offset`
    /// do not fit; [`Error::Misaligned`](crate::Error::Misaligned) if they are not aligned for
    /// `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::View;
    /// let buf = [10u32, 20, 30];
    /// let bytes: &[u8] = bytemuck::cast_slice(&buf);
    /// assert_eq!(*bytes.at::<u32>(8)?, 30);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    fn at<T: Record>(&self, offset: usize) -> Result<&T>;

    /// The `T` at byte `offset`, in place and writable.
    ///
    /// # Errors
    ///
    /// As [`at`](View::at).
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::View;
    /// let mut buf = [0u32; 2];
    /// let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
    /// *bytes.at_mut::<u32>(4)? = 9;
    /// assert_eq!(buf, [0, 9]);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    fn at_mut<T: Record>(&mut self, offset: usize) -> Result<&mut T>;

    /// A copy of the `T` at byte `offset`; any alignment.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`](crate::Error::OutOfBounds) if `size_of::<T>()` bytes at `offset`
    /// do not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::View;
    /// let bytes = [0xff, 0x01, 0x02, 0x03, 0x04];
    /// assert_eq!(bytes.read_at::<u32>(1)?, u32::from_ne_bytes([1, 2, 3, 4]));
    /// # Ok::<(), recmap::Error>(())
    /// ```
    fn read_at<T: Record>(&self, offset: usize) -> Result<T>;

    /// Copies `value` to byte `offset`; any alignment.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`](crate::Error::OutOfBounds) if `size_of::<T>()` bytes at `offset`
    /// do not fit — and then nothing is written.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::View;
    /// let mut bytes = [0u8; 5];
    /// bytes.write_value_at(1, &0x01020304u32.to_be())?;
    /// assert_eq!(bytes, [0, 1, 2, 3, 4]);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    fn write_value_at<T: Record>(&mut self, offset: usize, value: &T) -> Result<()>;
}

impl View for [u8] {
    fn cast<T: Record>(&self) -> Result<&[T]> {
        cast::slice(self)
    }

    fn cast_mut<T: Record>(&mut self) -> Result<&mut [T]> {
        cast::slice_mut(self)
    }

    fn at<T: Record>(&self, offset: usize) -> Result<&T> {
        cast::at(self, offset)
    }

    fn at_mut<T: Record>(&mut self, offset: usize) -> Result<&mut T> {
        cast::at_mut(self, offset)
    }

    fn read_at<T: Record>(&self, offset: usize) -> Result<T> {
        cast::read(self, offset)
    }

    fn write_value_at<T: Record>(&mut self, offset: usize, value: &T) -> Result<()> {
        let range = crate::map::checked_range(offset, size_of::<T>(), self.len())?;
        self[range].copy_from_slice(cast::bytes_of(value));
        Ok(())
    }
}

/// Typed views of a map: the [`View`] methods, with mutable views refused for read-only maps.
impl Map {
    /// The whole map as `&[T]` (Python's `memoryview(m).cast(...)`), without a copy.
    ///
    /// # Errors
    ///
    /// [`Error::Misaligned`](crate::Error::Misaligned) if the map does not start aligned for
    /// `T` (possible with an odd [`MapOptions::offset`](crate::MapOptions::offset));
    /// [`Error::SizeMismatch`](crate::Error::SizeMismatch) if its length is not a multiple of
    /// `size_of::<T>()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(16)?;
    /// m.cast_mut::<u32>()?[1] = 263;
    /// assert_eq!(m.cast::<u32>()?, &[0, 263, 0, 0]);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn cast<T: Record>(&self) -> Result<&[T]> {
        (**self).cast()
    }

    /// The whole map as `&mut [T]`.
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`](crate::Error::ReadOnly) for a read-only map; otherwise as
    /// [`cast`](Map::cast).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(8)?;
    /// m.cast_mut::<u64>()?[0] = u64::MAX;
    /// assert_eq!(&m[..], &[0xff; 8]);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn cast_mut<T: Record>(&mut self) -> Result<&mut [T]> {
        self.writable("view mutably")?.cast_mut()
    }

    /// The `T` at byte `offset` of the map, in place.
    ///
    /// # Errors
    ///
    /// As [`View::at`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(8)?;
    /// m.write_at(4, &5u32.to_ne_bytes())?;
    /// assert_eq!(*m.at::<u32>(4)?, 5);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn at<T: Record>(&self, offset: usize) -> Result<&T> {
        (**self).at(offset)
    }

    /// The `T` at byte `offset` of the map, in place and writable.
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`](crate::Error::ReadOnly) for a read-only map; otherwise as
    /// [`View::at`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(8)?;
    /// *m.at_mut::<f64>(0)? = 1.5;
    /// assert_eq!(&m[..], &1.5f64.to_ne_bytes());
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn at_mut<T: Record>(&mut self, offset: usize) -> Result<&mut T> {
        self.writable("view mutably")?.at_mut(offset)
    }

    /// A copy of the `T` at byte `offset`; any alignment.
    ///
    /// # Errors
    ///
    /// As [`View::read_at`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(8)?;
    /// m.write_at(3, &7u16.to_ne_bytes())?;
    /// assert_eq!(m.read_at::<u16>(3)?, 7);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn read_at<T: Record>(&self, offset: usize) -> Result<T> {
        (**self).read_at(offset)
    }

    /// Copies `value` to byte `offset`; any alignment. The cursor does not move.
    ///
    /// # Errors
    ///
    /// [`Error::ReadOnly`](crate::Error::ReadOnly) for a read-only map; otherwise as
    /// [`View::write_value_at`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = recmap::Map::anon(8)?;
    /// m.write_value_at(1, &[1u8, 2, 3])?;
    /// assert_eq!(&m[..4], &[0, 1, 2, 3]);
    /// # Ok::<(), recmap::Error>(())
    /// ```
    pub fn write_value_at<T: Record>(&mut self, offset: usize, value: &T) -> Result<()> {
        self.writable("write")?.write_value_at(offset, value)
    }
}
