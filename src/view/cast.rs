//! The only place recmap turns bytes into typed references. Every function checks bounds,
//! alignment and size first and returns an [`Error`] instead of panicking; every `unsafe`
//! block then rests on those checks and on [`Record`]'s safety contract.

use std::mem::{align_of, size_of};

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

fn check_align<T: Record>(bytes: &[u8], offset: usize) -> Result<()> {
    let address = bytes.as_ptr() as usize;
    let align = align_of::<T>();
    if address.is_multiple_of(align) {
        Ok(())
    } else {
        Err(Error::Misaligned {
            offset,
            address,
            align,
        })
    }
}

/// The element count of `bytes` as `[T]`, if its length and alignment fit.
fn slice_len<T: Record>(bytes: &[u8]) -> Result<usize> {
    let size = const { record_size::<T>() };
    check_align::<T>(bytes, 0)?;
    if !bytes.len().is_multiple_of(size) {
        return Err(Error::SizeMismatch {
            len: bytes.len(),
            elem_size: size,
        });
    }
    Ok(bytes.len() / size)
}

/// `bytes` as `&[T]`.
pub(crate) fn slice<T: Record>(bytes: &[u8]) -> Result<&[T]> {
    let len = slice_len::<T>(bytes)?;
    // SAFETY: the pointer is non-null and aligned for `T` (checked), and `len * size_of::<T>()
    // == bytes.len()` (checked), so the new slice covers exactly the borrowed bytes, which are
    // initialized. `Record` promises every bit pattern is a valid `T` and no `UnsafeCell`, so
    // reading them as `T` through a shared borrow with `bytes`' lifetime is sound.
    Ok(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), len) })
}

/// `bytes` as `&mut [T]`.
pub(crate) fn slice_mut<T: Record>(bytes: &mut [u8]) -> Result<&mut [T]> {
    let len = slice_len::<T>(bytes)?;
    // SAFETY: as in `slice`, the range and alignment are checked. The exclusive borrow of
    // `bytes` moves into the result, so nothing else can reach these bytes meanwhile; and as
    // `Record` has no padding, every `T` written through it leaves the bytes initialized.
    Ok(unsafe { std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<T>(), len) })
}

/// The bytes of one `T` at `offset`.
fn value_range<T: Record>(bytes: &[u8], offset: usize) -> Result<std::ops::Range<usize>> {
    crate::map::checked_range(offset, const { record_size::<T>() }, bytes.len())
}

/// The `T` at `offset`, in place.
pub(crate) fn at<T: Record>(bytes: &[u8], offset: usize) -> Result<&T> {
    let range = value_range::<T>(bytes, offset)?;
    let bytes = bytes.get(range).unwrap_or_default();
    check_align::<T>(bytes, offset)?;
    // SAFETY: `bytes` is exactly `size_of::<T>()` initialized bytes (in bounds, checked),
    // aligned for `T` (checked); `Record` makes any bit pattern a valid `T` without
    // `UnsafeCell`, so a shared reference for `bytes`' lifetime is sound.
    Ok(unsafe { &*bytes.as_ptr().cast::<T>() })
}

/// The `T` at `offset`, in place and writable.
pub(crate) fn at_mut<T: Record>(bytes: &mut [u8], offset: usize) -> Result<&mut T> {
    let range = value_range::<T>(bytes, offset)?;
    let bytes = bytes.get_mut(range).unwrap_or_default();
    check_align::<T>(bytes, offset)?;
    // SAFETY: as in `at`; the exclusive borrow of the bytes moves into the result, and `T` has
    // no padding, so whatever is written through it keeps the bytes initialized.
    Ok(unsafe { &mut *bytes.as_mut_ptr().cast::<T>() })
}

/// A copy of the `T` at `offset`, at any alignment.
pub(crate) fn read<T: Record>(bytes: &[u8], offset: usize) -> Result<T> {
    let range = value_range::<T>(bytes, offset)?;
    let bytes = bytes.get(range).unwrap_or_default();
    // SAFETY: `bytes` is `size_of::<T>()` initialized, readable bytes (checked);
    // `read_unaligned` needs no alignment, and `Record` makes any bit pattern a valid `T`.
    Ok(unsafe { bytes.as_ptr().cast::<T>().read_unaligned() })
}

/// The bytes of `value`.
pub(crate) fn bytes_of<T: Record>(value: &T) -> &[u8] {
    let size = const { record_size::<T>() };
    // SAFETY: `value` is a live `T` of `size` bytes; `Record` promises no padding, so all of
    // them are initialized, and no `UnsafeCell`, so reading them through `&T` is sound.
    unsafe { std::slice::from_raw_parts(std::ptr::from_ref(value).cast::<u8>(), size) }
}

/// The bytes of `values`.
pub(crate) fn slice_bytes<T: Record>(values: &[T]) -> &[u8] {
    let size = const { record_size::<T>() } * values.len();
    // SAFETY: `values` is `values.len()` live `T`s, contiguous, of `size` bytes in all (a
    // slice never exceeds `isize::MAX` bytes); `Record` promises no padding and no
    // `UnsafeCell`, so every byte is initialized and may be read through a shared reference.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size) }
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
