//! The [`Record`] trait: plain-old-data types that may be viewed in place over bytes.

use zerocopy::byteorder::{self, F32, F64, I16, I32, I64, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::dtype::{ByteOrder, Dtype, Field, ScalarKind};

/// A fixed-size, plain-old-data type that recmap can view in place over bytes.
///
/// Implemented for `u8`…`u64`, `i8`…`i64`, `f32`, `f64`, arrays `[T; N]` of records,
/// zerocopy's byte-order types (`U32<BigEndian>`, `F64<LittleEndian>`, …), and every struct
/// with `#[derive(Record)]` — which is how user types should get it:
///
/// ```
/// #[derive(recmap::Record, Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
/// struct Trade { id: u64, price: f64, qty: u32, side: u8, _pad: [u8; 3] }
///
/// use recmap::{Record, View};
/// let mut buf = [0u64; 3]; // 24 bytes, 8-aligned
/// let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
/// bytes.at_mut::<Trade>(0)?.qty = 7;
/// assert_eq!(bytes.read_at::<u32>(16)?, 7);
/// assert_eq!(Trade::FIELDS[2].name, "qty");
/// # Ok::<(), recmap::Error>(())
/// ```
///
/// # Safety
///
/// Implementing `Record` promises that, for the implementing type `T`:
/// - every bit pattern of `size_of::<T>()` bytes is a valid `T` (no `bool`, `char`, enums,
///   references, pointers, `NonZero*`);
/// - `T` has no padding bytes and no interior mutability (`UnsafeCell`);
/// - `T` is not zero-sized;
/// - `DTYPE` describes `T`'s layout: `DTYPE.size() == size_of::<T>()`.
///
/// `#[derive(Record)]` checks all of this at compile time (`#[repr(C)]`, no padding, every
/// field a `Record`); the implementations in recmap rest on zerocopy's `FromBytes`,
/// `IntoBytes` and `Immutable`, asserted at compile time for each of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `recmap::Record`",
    label = "not a plain-old-data record type",
    note = "records are numbers, arrays of records, zerocopy byte-order types, and \
            `#[repr(C)]` structs with `#[derive(recmap::Record)]`"
)]
pub unsafe trait Record: Sized + 'static {
    /// The layout, as numpy would describe it.
    const DTYPE: Dtype;

    /// The fields of a struct record, in order; empty for other records.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::Record;
    /// assert!(u32::FIELDS.is_empty());
    /// ```
    const FIELDS: &'static [Field] = match Self::DTYPE {
        Dtype::Struct(fields) => fields,
        _ => &[],
    };
}

/// Compile-time proof from zerocopy that `T` is plain old data (see `Record`'s safety section).
const fn zerocopy_vouches_for<T: FromBytes + IntoBytes + Immutable>() {}

macro_rules! native_records {
    ($($t:ty => $kind:ident),* $(,)?) => {$(
        // SAFETY: primitive numbers: every bit pattern valid, no padding, no `UnsafeCell`,
        // not zero-sized (zerocopy's traits, asserted below); DTYPE has their size.
        unsafe impl Record for $t {
            const DTYPE: Dtype = {
                zerocopy_vouches_for::<$t>();
                Dtype::native(ScalarKind::$kind, size_of::<$t>())
            };
        }
    )*};
}

native_records! {
    u8 => Uint, u16 => Uint, u32 => Uint, u64 => Uint,
    i8 => Int, i16 => Int, i32 => Int, i64 => Int,
    f32 => Float, f64 => Float,
}

const fn order_of<O: byteorder::ByteOrder>() -> ByteOrder {
    match O::ORDER {
        byteorder::Order::BigEndian => ByteOrder::Big,
        byteorder::Order::LittleEndian => ByteOrder::Little,
    }
}

macro_rules! byte_order_records {
    ($($t:ident => $kind:ident),* $(,)?) => {$(
        // SAFETY: zerocopy's byte-order wrappers are `[u8; N]` inside: every bit pattern
        // valid, no padding, no `UnsafeCell` (asserted below), N > 0; DTYPE has size N.
        unsafe impl<O: byteorder::ByteOrder + 'static> Record for $t<O> {
            const DTYPE: Dtype = {
                zerocopy_vouches_for::<$t<O>>();
                Dtype::Scalar {
                    kind: ScalarKind::$kind,
                    size: size_of::<$t<O>>(),
                    order: order_of::<O>(),
                }
            };
        }
    )*};
}

byte_order_records! {
    U16 => Uint, U32 => Uint, U64 => Uint,
    I16 => Int, I32 => Int, I64 => Int,
    F32 => Float, F64 => Float,
}

// SAFETY: an array of `T: Record` has no padding between elements (size is a multiple of
// alignment), every bit pattern is valid element-wise, no `UnsafeCell`; `N > 0` is required
// below so it is not zero-sized, and DTYPE's size is `N * size_of::<T>()`.
unsafe impl<T: Record, const N: usize> Record for [T; N] {
    const DTYPE: Dtype = {
        assert!(
            N > 0,
            "a zero-length array is not a Record (it has no bytes)"
        );
        Dtype::Array {
            elem: &T::DTYPE,
            len: N,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::byteorder::{BigEndian, LittleEndian};

    #[test]
    fn dtype_sizes_match_the_types() {
        fn check<T: Record>() {
            assert_eq!(
                T::DTYPE.size(),
                size_of::<T>(),
                "{}",
                std::any::type_name::<T>()
            );
        }
        check::<u8>();
        check::<i64>();
        check::<f32>();
        check::<[u16; 3]>();
        check::<[[f64; 2]; 5]>();
        check::<U32<BigEndian>>();
        check::<F64<LittleEndian>>();
    }

    #[test]
    fn type_strings() {
        assert_eq!(u8::DTYPE.type_str().as_deref(), Some("|u1"));
        assert_eq!(i8::DTYPE.type_str().as_deref(), Some("|i1"));
        assert_eq!(<I16<BigEndian>>::DTYPE.type_str().as_deref(), Some(">i2"));
        assert_eq!(
            <F32<LittleEndian>>::DTYPE.type_str().as_deref(),
            Some("<f4")
        );
        assert_eq!(<[u8; 2]>::DTYPE.descr(), "('|u1', (2,))");
        assert_eq!(<[[i32; 3]; 2]>::DTYPE.descr(), "('<i4', (2, 3))");
    }
}
