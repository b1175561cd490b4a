//! The [`Record`] trait: plain-old-data types that may be viewed in place over bytes.

use zerocopy::byteorder::{self, F32, F64, I16, I32, I64, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::dtype::{ByteOrder, Dtype, Field, ScalarKind};

/// A fixed-size, plain-old-data type that recmap can view in place over bytes, and its
/// layout as numpy describes it.
///
/// Implemented for `u8`…`u64`, `i8`…`i64`, `f32`, `f64`, arrays `[T; N]` of records,
/// zerocopy's byte-order types (`U32<BigEndian>`, `F64<LittleEndian>`, …), numpy's types
/// that Rust lacks ([`S<N>`](crate::S), [`Bool`](crate::Bool),
/// [`DateTime64`](crate::DateTime64), [`TimeDelta64`](crate::TimeDelta64), and with features
/// `half::f16` and [`Complex`](crate::types::Complex); see [`types`](crate::types)), and every
/// struct marked `#[recmap::record]` — which is how user types should get it:
///
/// ```
/// #[recmap::record]
/// #[derive(Clone, Copy, Debug, PartialEq)]
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
/// # Where the proof lives
///
/// `Record` is a safe trait. That bytes may be viewed as `Self` — every bit pattern valid, no
/// padding, no interior mutability, a known size and alignment — is zerocopy's promise, made
/// by its supertraits [`FromBytes`], [`IntoBytes`], [`Immutable`] and [`KnownLayout`], which
/// zerocopy's derives check at compile time (`#[recmap::record]` applies them; users need no
/// zerocopy dependency of their own). recmap's casts are zerocopy's (`ref_from_bytes`, …), so
/// no `unsafe` in recmap rests on this trait. What `Record` adds is the description:
/// [`DTYPE`](Record::DTYPE), which must have `Self`'s size (checked at compile time wherever
/// recmap casts), and which a table writes into its file's header.
///
/// Why an attribute and not only a derive: a derive may add items, not attributes, so
/// `#[derive(Record)]` alone cannot apply zerocopy's derives. The one line users write is
/// `#[recmap::record]`, which adds `#[repr(C)]` (unless the struct has a `repr`), zerocopy's
/// four derives (through recmap's re-export, with `#[zerocopy(crate = ...)]`) and
/// `#[derive(Record)]`; the derive remains for structs that derive zerocopy's traits
/// themselves. The price is in error messages: where zerocopy's derives refuse a struct, their
/// errors join recmap's. The derive emits its own checks first, so recmap's message leads — a
/// field whose type is a struct without `#[recmap::record]` ("`Inner` is not a
/// `recmap::Record`", then a dozen of zerocopy's at that field), implicit padding (recmap's
/// message naming the field to pad after, then zerocopy's "`Trade` has 7 total byte(s) of
/// padding"), `#[derive(Record)]` without zerocopy's derives ("write `#[recmap::record]`").
/// Mistakes the syntax shows (`bool` — use [`Bool`](crate::Bool) —, `char`, references,
/// `String`, `Vec<T>`, `Option<T>`, `Box<T>`, enums, generics, no fields, a `repr` without
/// `C`) are caught by the attribute before zerocopy sees them, with recmap's message alone.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `recmap::Record`",
    label = "not a plain-old-data record type",
    note = "records are numbers, arrays of records, zerocopy byte-order types, and \
            structs marked `#[recmap::record]`"
)]
pub trait Record: FromBytes + IntoBytes + Immutable + KnownLayout + Sized + 'static {
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

macro_rules! native_records {
    ($($t:ty => $kind:ident),* $(,)?) => {$(
        impl Record for $t {
            const DTYPE: Dtype = Dtype::native(ScalarKind::$kind, size_of::<$t>());
        }
    )*};
}

native_records! {
    u8 => Uint, u16 => Uint, u32 => Uint, u64 => Uint,
    i8 => Int, i16 => Int, i32 => Int, i64 => Int,
    f32 => Float, f64 => Float,
}

/// numpy's `float16` (`<f2`), with the `half` feature.
#[cfg(feature = "half")]
impl Record for half::f16 {
    const DTYPE: Dtype = Dtype::native(ScalarKind::Float, 2);
}

const fn order_of<O: byteorder::ByteOrder>() -> ByteOrder {
    match O::ORDER {
        byteorder::Order::BigEndian => ByteOrder::Big,
        byteorder::Order::LittleEndian => ByteOrder::Little,
    }
}

macro_rules! byte_order_records {
    ($($t:ident => $kind:ident),* $(,)?) => {$(
        impl<O: byteorder::ByteOrder + 'static> Record for $t<O> {
            const DTYPE: Dtype = Dtype::Scalar {
                kind: ScalarKind::$kind,
                size: size_of::<$t<O>>(),
                order: order_of::<O>(),
            };
        }
    )*};
}

byte_order_records! {
    U16 => Uint, U32 => Uint, U64 => Uint,
    I16 => Int, I32 => Int, I64 => Int,
    F32 => Float, F64 => Float,
}

impl<T: Record, const N: usize> Record for [T; N] {
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
