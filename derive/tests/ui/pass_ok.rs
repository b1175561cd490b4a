//! Accepted: named, tuple, transparent, nested, arrays, byte-order and explicit padding; the
//! attribute with a crate path; the derive on a struct that derives zerocopy's traits itself.
use zerocopy::byteorder::{BigEndian, U32};

#[recmap::record]
#[derive(Clone, Copy)]
struct Inner {
    a: u16,
    b: [u8; 2],
}

#[recmap::record]
struct Outer {
    inner: Inner,
    v: [[f32; 4]; 2],
    be: U32<BigEndian>,
    side: u8,
    _pad: [u8; 3],
}

/// numpy's own types as fields; an underscored field that is not padding; padding marked
/// with the attribute.
#[recmap::record]
struct NumpyTypes {
    t: recmap::DateTime64<recmap::unit::Ns>,
    wait: recmap::TimeDelta64<recmap::unit::Us>,
    symbol: recmap::S<5>,
    live: recmap::Bool,
    _flags: u16,
    #[recmap(pad)]
    _reserved: [u16; 4],
}

const _: () = assert!(<NumpyTypes as recmap::Record>::FIELDS[5].is_padding());
const _: () = assert!(!<NumpyTypes as recmap::Record>::FIELDS[4].is_padding());

#[recmap::record]
struct Pair(u32, f32);

#[recmap::record]
#[repr(transparent)]
struct Id(u64);

#[recmap::record]
#[repr(C, align(8))]
struct Aligned {
    x: u64,
}

/// Other derives may come before the attribute, and doc comments and visibility stay.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[recmap::record]
pub struct DeriveFirst {
    /// A documented field.
    pub a: u32,
    b: f32,
}

#[recmap::record(crate = "recmap")]
struct Renamed {
    x: u32,
}

#[derive(
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
    recmap::Record,
)]
#[repr(C)]
struct ByHand {
    x: u16,
    y: [u8; 2],
}

fn main() {
    use recmap::Record;
    assert_eq!(Outer::FIELDS.len(), 5);
    assert_eq!(Pair::FIELDS[1].name, "f1");
    assert_eq!(Id::DTYPE.size(), 8);
    assert_eq!(Aligned::DTYPE.size(), 8);
    assert_eq!(Renamed::DTYPE.descr(), "[('x', '<u4')]");
    assert_eq!(ByHand::FIELDS[1].offset, 2);
    assert_eq!(
        NumpyTypes::DTYPE.descr(),
        "[('t', '<M8[ns]'), ('wait', '<m8[us]'), ('symbol', '|S5'), ('live', '|b1'), \
         ('_flags', '<u2'), ('', '|V8')]"
    );
    let d = DeriveFirst::default();
    assert_eq!((d, DeriveFirst::FIELDS[1].name), (DeriveFirst { a: 0, b: 0.0 }, "b"));
}
