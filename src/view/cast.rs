//! The only place recmap turns bytes into typed references — through zerocopy, whose
//! `FromBytes`/`IntoBytes` casts check alignment and size and carry the proof that the result
//! is sound (see [`Record`]). This module only checks bounds first and turns zerocopy's
//! errors into recmap's [`Error`]s, with the offsets a user needs.

use std::mem::size_of;

use zerocopy::{ConvertError, FromBytes, IntoBytes};

use crate::error::{Error, Result};
use crate::record::Record;

/// `size_of::<T>()`, after a compile-time check that `T` keeps `Record`'s layout promises
/// (non-zero size, `DTYPE` matching): a bad impl fails to compile instead of casting.
const fn record_size<T: Record>() -> usize {
    let size = size_of::<T>();
    assert!(size > 0, "a Record must not be zero-sized");
    assert!(
        T::DTYPE.size() == size,
        "Record::DTYPE does not describe the type's size"
    );
    size
}

/// recmap's error for a failed zerocopy cast to `T`s of the `len` bytes at `address`, which
/// start at `offset` of what the user passed.
fn cast_error<T, A, S, V>(
    address: usize,
    len: usize,
    offset: usize,
    error: ConvertError<A, S, V>,
) -> Error {
    match error {
        ConvertError::Alignment(_) => Error::Misaligned {
            offset,
            address,
            align: align_of::<T>(),
        },
        // Single values are cast from exactly their size (bounds are checked first), and no
        // `Record` has invalid bit patterns, so only slices of the wrong length get here.
        ConvertError::Size(_) | ConvertError::Validity(_) => Error::SizeMismatch {
            len,
            elem_size: size_of::<T>(),
        },
    }
}

/// The address and length of `bytes`, for an error after they were handed to zerocopy.
fn place(bytes: &[u8]) -> (usize, usize) {
    (bytes.as_ptr() as usize, bytes.len())
}

/// `bytes` as `&[T]`.
pub(crate) fn slice<T: Record>(bytes: &[u8]) -> Result<&[T]> {
    const { record_size::<T>() };
    let (address, len) = place(bytes);
    <[T]>::ref_from_bytes(bytes).map_err(|e| cast_error::<T, _, _, _>(address, len, 0, e))
}

/// `bytes` as `&mut [T]`.
pub(crate) fn slice_mut<T: Record>(bytes: &mut [u8]) -> Result<&mut [T]> {
    const { record_size::<T>() };
    let (address, len) = place(bytes);
    <[T]>::mut_from_bytes(bytes).map_err(|e| cast_error::<T, _, _, _>(address, len, 0, e))
}

/// The bytes of one `T` at `offset`.
fn value_range<T: Record>(bytes: &[u8], offset: usize) -> Result<std::ops::Range<usize>> {
    crate::map::checked_range(offset, const { record_size::<T>() }, bytes.len())
}

/// The `T` at `offset`, in place.
pub(crate) fn at<T: Record>(bytes: &[u8], offset: usize) -> Result<&T> {
    let range = value_range::<T>(bytes, offset)?;
    let bytes = bytes.get(range).unwrap_or_default();
    let (address, len) = place(bytes);
    T::ref_from_bytes(bytes).map_err(|e| cast_error::<T, _, _, _>(address, len, offset, e))
}

/// The `T` at `offset`, in place and writable.
pub(crate) fn at_mut<T: Record>(bytes: &mut [u8], offset: usize) -> Result<&mut T> {
    let range = value_range::<T>(bytes, offset)?;
    let bytes = bytes.get_mut(range).unwrap_or_default();
    let (address, len) = place(bytes);
    T::mut_from_bytes(bytes).map_err(|e| cast_error::<T, _, _, _>(address, len, offset, e))
}

/// A copy of the `T` at `offset`, at any alignment.
pub(crate) fn read<T: Record>(bytes: &[u8], offset: usize) -> Result<T> {
    let range = value_range::<T>(bytes, offset)?;
    let bytes = bytes.get(range).unwrap_or_default();
    T::read_from_bytes(bytes).map_err(|_| Error::SizeMismatch {
        len: bytes.len(),
        elem_size: size_of::<T>(),
    })
}

/// The bytes of `value`.
pub(crate) fn bytes_of<T: Record>(value: &T) -> &[u8] {
    const { record_size::<T>() };
    value.as_bytes()
}

/// The bytes of `values`.
pub(crate) fn slice_bytes<T: Record>(values: &[T]) -> &[u8] {
    const { record_size::<T>() };
    values.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An 8-aligned buffer of `n` bytes, so the tests control alignment exactly.
    fn aligned(n: usize) -> Vec<u64> {
        vec![0u64; n.div_ceil(8)]
    }

    #[test]
    fn slices_check_alignment_then_size() {
        let mut buf = aligned(16);
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
        bytes[..8].copy_from_slice(&7u64.to_ne_bytes());
        assert_eq!(slice::<u64>(bytes).unwrap(), &[7, 0]);
        assert!(matches!(
            slice::<u64>(&bytes[1..9]),
            Err(Error::Misaligned {
                offset: 0,
                align: 8,
                ..
            })
        ));
        assert!(matches!(
            slice::<u64>(&bytes[..12]),
            Err(Error::SizeMismatch {
                len: 12,
                elem_size: 8
            })
        ));
        slice_mut::<u32>(bytes).unwrap()[3] = 5;
        assert_eq!(read::<u32>(bytes, 12).unwrap(), 5);
        assert_eq!(slice::<u8>(&bytes[..0]).unwrap(), &[] as &[u8]);
    }

    #[test]
    fn single_values_check_bounds_then_alignment() {
        let mut buf = aligned(16);
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
        *at_mut::<u32>(bytes, 4).unwrap() = 0x0102_0304;
        assert_eq!(*at::<u32>(bytes, 4).unwrap(), 0x0102_0304);
        assert!(matches!(
            at::<u32>(bytes, 2),
            Err(Error::Misaligned {
                offset: 2,
                align: 4,
                ..
            })
        ));
        assert!(matches!(
            at::<u32>(bytes, 14),
            Err(Error::OutOfBounds {
                offset: 14,
                len: 4,
                map_len: 16
            })
        ));
        assert!(matches!(
            at::<u32>(bytes, usize::MAX),
            Err(Error::OutOfBounds { .. })
        ));
        assert_eq!(
            read::<u16>(bytes, 5).unwrap(),
            u16::from_ne_bytes([bytes[5], bytes[6]])
        );
        assert_eq!(bytes_of(&0x0a0bu16), &0x0a0bu16.to_ne_bytes());
    }
}
