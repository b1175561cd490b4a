//! Accepted: named, tuple, transparent, nested, arrays, byte-order and explicit padding.
use zerocopy::byteorder::{BigEndian, U32};

#[derive(recmap::Record, Clone, Copy)]
#[repr(C)]
struct Inner {
    a: u16,
    b: [u8; 2],
}

#[derive(recmap::Record)]
#[repr(C)]
struct Outer {
    inner: Inner,
    v: [[f32; 4]; 2],
    be: U32<BigEndian>,
    side: u8,
    _pad: [u8; 3],
}

#[derive(recmap::Record)]
#[repr(C)]
struct Pair(u32, f32);

#[derive(recmap::Record)]
#[repr(transparent)]
struct Id(u64);

#[derive(recmap::Record)]
#[repr(C, align(8))]
struct Aligned {
    x: u64,
}

fn main() {
    use recmap::Record;
    assert_eq!(Outer::FIELDS.len(), 5);
    assert_eq!(Pair::FIELDS[1].name, "f1");
    assert_eq!(Id::DTYPE.size(), 8);
    assert_eq!(Aligned::DTYPE.size(), 8);
}
