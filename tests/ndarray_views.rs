//! ndarray views (the `ndarray` feature): zero-copy, the file's strides, equal to numpy's view
//! of the same file.
#![cfg(feature = "ndarray")]

mod common;

use ndarray::{Axis, Ix2, Ix3};
use recmap::{Array, Table};

#[test]
fn views_are_the_mapped_elements_in_c_and_fortran_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.npy");
    let mut a = Array::<u32>::create(&path, &[2, 3, 4]).unwrap();
    for (i, x) in a.as_mut_slice().iter_mut().enumerate() {
        *x = i as u32;
    }
    let base = a.as_slice().as_ptr();
    let v = a.view().into_dimensionality::<Ix3>().unwrap();
    assert_eq!(v.as_ptr(), base);
    assert_eq!((v[[1, 2, 3]], v.strides()), (23, &[12, 4, 1][..]));
    assert_eq!(v.sum(), (0..24).sum::<u32>());
    a.view_mut().mapv_inplace(|x| x * 2);
    assert_eq!(a.get(&[1, 2, 3]), Some(&46));

    // A Fortran-order file, written by hand: the first index is fastest.
    let f = dir.path().join("f.npy");
    let text = "{'descr': '<u32', 'fortran_order': True, 'shape': (2, 3), }".replace("u32", "u4");
    let data: Vec<u8> = (0u32..6).flat_map(|x| x.to_le_bytes()).collect();
    let (bytes, _) = common::npy_v1(text.as_bytes(), 64, &data);
    std::fs::write(&f, &bytes).unwrap();
    let a = Array::<u32>::open_read(&f).unwrap();
    let v = a.view().into_dimensionality::<Ix2>().unwrap();
    // Storage 0..6 in Fortran order is the C-order matrix [[0, 2, 4], [1, 3, 5]].
    assert_eq!(v, ndarray::arr2(&[[0, 2, 4], [1, 3, 5]]));
    assert_eq!(v.strides(), &[1, 2]);
    assert_eq!(v.as_ptr(), a.as_slice().as_ptr());
}

#[test]
fn a_table_of_rows_is_a_two_dimensional_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Table::<[f32; 3]>::create(dir.path().join("t.npy")).unwrap();
    for i in 0..100 {
        t.push([i as f32, 1.0, -(i as f32)]).unwrap();
    }
    let v = t.view();
    assert_eq!(v.dim(), (100, 3));
    assert_eq!(v.as_ptr(), t.as_slice().as_ptr().cast::<f32>());
    assert_eq!(v.sum_axis(Axis(0)).to_vec(), vec![4950.0, 100.0, -4950.0]);
}

/// numpy's view of a Rust-written file and Rust's ndarray view agree element by element.
#[test]
fn ndarray_view_equals_numpys() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import sys, numpy as np
a = np.arange(60, dtype="<f8").reshape(3, 4, 5) * 0.25
np.save(sys.argv[1], np.asfortranarray(a))
print(repr(float(a[2, 1, 3])), repr(float(a.sum(axis=(0, 2))[1])))
"#;
    let path = dir.path().join("f.npy");
    let out = common::run_python(python, script, &[path.to_str().unwrap()], b"");
    let want: Vec<f64> = out.split_whitespace().map(|w| w.parse().unwrap()).collect();
    let a = Array::<f64>::open_read(&path).unwrap();
    assert!(a.is_fortran_order());
    let v = a.view().into_dimensionality::<Ix3>().unwrap();
    assert_eq!(v[[2, 1, 3]], want[0]);
    assert_eq!(v.sum_axis(Axis(2)).sum_axis(Axis(0))[1], want[1]);
}

#[test]
fn a_column_is_one_field_of_every_record_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trades.npy");
    let mut t = Table::<common::Trade>::create(&path).unwrap();
    for id in 0..1000u64 {
        t.push(common::Trade {
            id,
            price: 100.0 + id as f64 * 0.5,
            qty: (id % 7) as u32,
            side: (id % 2) as u8,
            _pad: [0; 3],
        })
        .unwrap();
    }
    let price = t.column(|r| &r.price);
    let qty = t.column(|r| &r.qty);
    assert_eq!(price.len(), 1000);
    assert_eq!(price[10], 105.0);
    assert_eq!(price.get(1000), None);
    let want: f64 = t.iter().map(|r| r.price).sum();
    assert_eq!(price.iter().sum::<f64>(), want);
    // The column's values are the records' own fields, not copies.
    assert!(std::ptr::eq(price.get(7).unwrap(), &t[7].price));
    // The ndarray view: the same bytes, one record (24 bytes = 3 f64, 6 u32) per step.
    let v = price.view().unwrap();
    assert_eq!((v.len(), v.strides(), v.sum()), (1000, &[3][..], want));
    assert_eq!(v.as_ptr(), &t[0].price as *const f64);
    let q = qty.view().unwrap();
    assert_eq!(q.strides(), &[6][..]);
    assert_eq!(
        q.iter().map(|&x| u64::from(x)).sum::<u64>(),
        t.iter().map(|r| u64::from(r.qty)).sum()
    );
    // Any field whose size divides the record's is a view, byte arrays too.
    let pad = t.column(|r| &r._pad);
    assert_eq!(pad.view().unwrap().strides(), &[8][..]);
    // One whose size does not cannot be an ndarray stride.
    #[recmap::record]
    #[derive(Clone, Copy)]
    struct Odd {
        a: [u8; 3],
        b: [u8; 2],
    }
    let odd = [Odd {
        a: [1; 3],
        b: [2; 2],
    }; 4];
    assert!(matches!(
        recmap::view::Column::new(&odd, |r| &r.a).view(),
        Err(recmap::Error::SizeMismatch {
            len: 5,
            elem_size: 3
        })
    ));
    assert_eq!(recmap::view::Column::new(&odd, |r| &r.b).iter().count(), 4);
    // A closure that returns something that is not part of the record.
    static ELSEWHERE: f64 = 1.0;
    let outside = t.column(|_| &ELSEWHERE);
    assert!(matches!(
        outside.view(),
        Err(recmap::Error::OutOfBounds { .. })
    ));
}

#[test]
fn a_fixed_rank_view_of_another_rank_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    let mut a = Array::<u16>::create(&path, &[2, 3, 4]).unwrap();
    assert_eq!(a.view_as::<Ix3>().unwrap().dim(), (2, 3, 4));
    assert_eq!(a.view_mut_as::<Ix3>().unwrap().dim(), (2, 3, 4));
    for err in [
        a.view_as::<Ix2>().unwrap_err(),
        a.view_mut_as::<Ix2>().unwrap_err(),
    ] {
        match err {
            recmap::Error::SchemaMismatch {
                path: p,
                field,
                expected,
                found,
            } => {
                assert_eq!(
                    (p, field.as_str(), expected.as_str(), found.as_str()),
                    (path.clone(), "shape", "rank 2", "rank 3 [2, 3, 4]")
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
