//! Typed views: property tests against a manual `from_ne_bytes` oracle, views of maps, the
//! zero-copy guarantee, and the dtype strings checked against numpy itself.

mod common;

use common::Trade;
use proptest::prelude::*;
use recmap::{Access, Error, Map, MapOptions, Record, View};
use zerocopy::byteorder::{BigEndian, F64, LittleEndian, U32};

#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sample {
    t: U32<BigEndian>,
    v: [f32; 4],
    m: [[i16; 3]; 2],
    x: F64<LittleEndian>,
}

#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Nested {
    head: u16,
    pair: [Inner; 2],
}

#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Inner {
    a: u8,
    b: i8,
}

/// A buffer whose start is 8-aligned, so tests decide alignment through offsets only.
fn aligned_bytes(data: &[u8]) -> Vec<u64> {
    let mut buf = vec![0u64; data.len().div_ceil(8)];
    bytemuck::cast_slice_mut::<u64, u8>(&mut buf)[..data.len()].copy_from_slice(data);
    buf
}

/// What a view at `offset` must give, decoded by hand: the value, or the expected error.
fn expect_view<T: Record + PartialEq + std::fmt::Debug>(
    bytes: &[u8],
    offset: usize,
    decode: impl Fn(&[u8]) -> T,
) -> Result<(), TestCaseError> {
    let size = size_of::<T>();
    let fits = offset
        .checked_add(size)
        .is_some_and(|end| end <= bytes.len());
    let aligned = (bytes.as_ptr() as usize + offset).is_multiple_of(align_of::<T>());
    match bytes.read_at::<T>(offset) {
        Ok(v) => {
            prop_assert!(fits);
            prop_assert_eq!(v, decode(&bytes[offset..offset + size]));
        }
        Err(Error::OutOfBounds {
            offset: o,
            len,
            map_len,
        }) => {
            prop_assert!(!fits);
            prop_assert_eq!((o, len, map_len), (offset, size, bytes.len()));
        }
        Err(e) => prop_assert!(false, "read_at: unexpected {:?}", e),
    }
    match bytes.at::<T>(offset) {
        Ok(v) => {
            prop_assert!(fits && aligned);
            prop_assert_eq!(v, &decode(&bytes[offset..offset + size]));
            prop_assert_eq!(std::ptr::from_ref(v).cast::<u8>(), bytes[offset..].as_ptr());
        }
        Err(Error::OutOfBounds { .. }) => prop_assert!(!fits),
        Err(Error::Misaligned {
            offset: o, align, ..
        }) => {
            prop_assert!(fits && !aligned);
            prop_assert_eq!((o, align), (offset, align_of::<T>()));
        }
        Err(e) => prop_assert!(false, "at: unexpected {:?}", e),
    }
    // The whole tail as a slice of T.
    let tail = &bytes[offset.min(bytes.len())..];
    let aligned = (tail.as_ptr() as usize).is_multiple_of(align_of::<T>());
    match tail.cast::<T>() {
        Ok(vs) => {
            prop_assert!(aligned && tail.len().is_multiple_of(size));
            for (i, v) in vs.iter().enumerate() {
                prop_assert_eq!(v, &decode(&tail[i * size..(i + 1) * size]));
            }
        }
        Err(Error::Misaligned { .. }) => prop_assert!(!aligned),
        Err(Error::SizeMismatch { len, elem_size }) => {
            prop_assert!(aligned && !tail.len().is_multiple_of(size));
            prop_assert_eq!((len, elem_size), (tail.len(), size));
        }
        Err(e) => prop_assert!(false, "cast: unexpected {:?}", e),
    }
    Ok(())
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn views_give_the_bytes_or_the_right_error(
        data in prop::collection::vec(any::<u8>(), 0..80),
        offset in 0usize..90,
        slide in 0usize..8,
    ) {
        let buf = aligned_bytes(&[vec![0; slide], data].concat());
        let all: &[u8] = bytemuck::cast_slice(&buf);
        let bytes = &all[slide..all.len().min(slide + 80)];
        expect_view::<u8>(bytes, offset, |b| b[0])?;
        expect_view::<i8>(bytes, offset, |b| b[0] as i8)?;
        expect_view::<u16>(bytes, offset, |b| u16::from_ne_bytes(arr(b)))?;
        expect_view::<i32>(bytes, offset, |b| i32::from_ne_bytes(arr(b)))?;
        expect_view::<u64>(bytes, offset, |b| u64::from_ne_bytes(arr(b)))?;
        expect_view::<i64>(bytes, offset, |b| i64::from_ne_bytes(arr(b)))?;
        // Floats compared bitwise (NaN != NaN).
        expect_view::<u32>(bytes, offset, |b| f32::from_ne_bytes(arr(b)).to_bits())?;
        expect_view::<[u16; 3]>(bytes, offset, |b| {
            [0, 1, 2].map(|i| u16::from_ne_bytes(arr(&b[2 * i..2 * i + 2])))
        })?;
        expect_view::<U32<BigEndian>>(bytes, offset, |b| U32::new(u32::from_be_bytes(arr(b))))?;
        expect_view::<Inner>(bytes, offset, |b| Inner { a: b[0], b: b[1] as i8 })?;
        if let Ok(t) = bytes.read_at::<Trade>(offset) {
            let b = &bytes[offset..offset + 24];
            prop_assert_eq!(t.id, u64::from_ne_bytes(arr(&b[..8])));
            prop_assert_eq!(t.price.to_bits(), f64::from_ne_bytes(arr(&b[8..16])).to_bits());
            prop_assert_eq!(t.qty, u32::from_ne_bytes(arr(&b[16..20])));
            prop_assert_eq!((t.side, t._pad), (b[20], arr(&b[21..24])));
        }
    }

    #[test]
    fn writes_land_at_the_offset_and_nowhere_else(
        len in 0usize..64, offset in 0usize..70, value in any::<u64>(),
    ) {
        let mut bytes = vec![0xAAu8; len];
        let before = bytes.clone();
        match bytes.write_value_at(offset, &value) {
            Ok(()) => {
                prop_assert!(offset + 8 <= len);
                prop_assert_eq!(&bytes[offset..offset + 8], &value.to_ne_bytes());
                prop_assert_eq!(&bytes[..offset], &before[..offset]);
                prop_assert_eq!(&bytes[offset + 8..], &before[offset + 8..]);
            }
            Err(Error::OutOfBounds { offset: o, len: 8, map_len }) => {
                prop_assert!(offset + 8 > len);
                prop_assert_eq!((o, map_len), (offset, len));
                prop_assert_eq!(&bytes, &before);
            }
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }
}

#[test]
fn mutable_views_write_in_place() {
    let mut buf = aligned_bytes(&[0; 48]);
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
    let trades = bytes.cast_mut::<Trade>().unwrap();
    trades[1] = Trade {
        id: 9,
        price: 1.5,
        qty: 3,
        side: 1,
        _pad: [0; 3],
    };
    assert_eq!(&bytes[24..32], &9u64.to_ne_bytes());
    assert_eq!(&bytes[32..40], &1.5f64.to_ne_bytes());
    bytes.at_mut::<Trade>(0).unwrap().qty = 77;
    assert_eq!(bytes.read_at::<u32>(16).unwrap(), 77);
}

#[test]
fn read_only_maps_refuse_mutable_views_and_copy_maps_keep_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, [1u8, 0, 0, 0, 2, 0, 0, 0]).unwrap();
    let mut m = Map::open(&path, Access::Read).unwrap();
    assert_eq!(
        m.cast::<u32>().unwrap(),
        &[
            u32::from_ne_bytes([1, 0, 0, 0]),
            u32::from_ne_bytes([2, 0, 0, 0])
        ]
    );
    for err in [
        m.cast_mut::<u32>().map(|_| ()).unwrap_err(),
        m.at_mut::<u32>(0).map(|_| ()).unwrap_err(),
        m.write_value_at(0, &5u32).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::ReadOnly {
                    access: Access::Read,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    drop(m);
    let mut c = Map::open(&path, Access::Copy).unwrap();
    *c.at_mut::<u32>(4).unwrap() = 99;
    assert_eq!(c.read_at::<u32>(4).unwrap(), 99);
    drop(c);
    assert_eq!(std::fs::read(&path).unwrap(), [1, 0, 0, 0, 2, 0, 0, 0]);
}

#[test]
fn a_map_at_an_odd_offset_reports_misalignment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, [0u8; 17]).unwrap();
    let m = MapOptions::new().offset(1).open(&path).unwrap();
    match m.cast::<u64>() {
        Err(Error::Misaligned {
            offset: 0,
            address,
            align: 8,
        }) => {
            assert_eq!(address, m.as_ptr() as usize);
            assert_eq!(address % 8, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.read_at::<u64>(0).unwrap(), 0); // copies work at any alignment
    assert!(matches!(m.at::<u64>(7), Ok(&0)));
}

#[test]
fn casting_a_gibibyte_map_is_a_pointer_cast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    let mut m = Map::create(&path, 1 << 30).unwrap(); // sparse: no disk or RAM used
    let ptr = m.as_ptr();
    let view = m.cast::<u64>().unwrap();
    assert_eq!(view.as_ptr().cast::<u8>(), ptr); // the same memory: no copy
    assert_eq!(view.len(), 1 << 27);
    let last = m.cast_mut::<u64>().unwrap().last_mut().unwrap();
    *last = 42;
    assert_eq!(m.read_at::<u64>((1 << 30) - 8).unwrap(), 42);
}

#[test]
fn layouts_describe_the_structs() {
    let f = Trade::FIELDS;
    let got: Vec<_> = f.iter().map(|f| (f.name, f.offset, f.size, f.ty)).collect();
    assert_eq!(
        got,
        [
            ("id", 0, 8, "u64"),
            ("price", 8, 8, "f64"),
            ("qty", 16, 4, "u32"),
            ("side", 20, 1, "u8"),
            ("_pad", 21, 3, "[u8;3]")
        ]
    );
    assert_eq!(Sample::FIELDS[1].ty, "[f32;4]");
    assert_eq!(Sample::DTYPE.size(), size_of::<Sample>());
    assert_eq!(Nested::FIELDS[1].offset, 2);
}

/// Our descr strings against what numpy prints for the same dtype, built with numpy's own
/// types, plus numpy's field offsets and item sizes.
#[test]
fn dtype_strings_match_numpy() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let script = r#"
import numpy as np
cases = [
    np.dtype([('id', np.uint64), ('price', np.float64), ('qty', np.uint32), ('side', np.uint8)], align=True),
    np.dtype([('t', np.dtype('>u4')), ('v', np.float32, (4,)), ('m', np.int16, (2, 3)), ('x', np.dtype('<f8'))]),
    np.dtype([('head', np.uint16), ('pair', np.dtype([('a', np.uint8), ('b', np.int8)]), (2,))]),
]
for dt in cases:
    print(repr(dt.descr), dt.itemsize, [dt.fields[n][1] for n in dt.names])
for t in [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64, np.float32, np.float64]:
    print(repr(np.dtype(t).str))
print(repr(np.dtype('>u4').str), repr(np.dtype('<f8').str), repr(np.dtype('>i2').str))
"#;
    let out = common::run_python(python, script, &[], b"");
    let mut lines = out.lines();
    fn line<T: Record>() -> String {
        // numpy lists the fields it shows: padding is not one.
        let offsets: Vec<String> = T::FIELDS
            .iter()
            .filter(|f| !f.is_padding())
            .map(|f| f.offset.to_string())
            .collect();
        format!(
            "{} {} [{}]",
            T::DTYPE.descr(),
            T::DTYPE.size(),
            offsets.join(", ")
        )
    }
    assert_eq!(lines.next(), Some(line::<Trade>().as_str()));
    assert_eq!(lines.next(), Some(line::<Sample>().as_str()));
    assert_eq!(lines.next(), Some(line::<Nested>().as_str()));
    for ours in [
        u8::DTYPE,
        i8::DTYPE,
        u16::DTYPE,
        i16::DTYPE,
        u32::DTYPE,
        i32::DTYPE,
        u64::DTYPE,
        i64::DTYPE,
        f32::DTYPE,
        f64::DTYPE,
    ] {
        assert_eq!(lines.next(), Some(ours.descr().as_str()));
    }
    let be = format!(
        "{} {} {}",
        <U32<BigEndian>>::DTYPE.descr(),
        <F64<LittleEndian>>::DTYPE.descr(),
        <zerocopy::byteorder::I16<BigEndian>>::DTYPE.descr()
    );
    assert_eq!(lines.next(), Some(be.as_str()));
    assert_eq!(lines.next(), None);
}
