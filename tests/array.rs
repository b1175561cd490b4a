//! `Array<E>`: fixed-shape .npy files of any rank, both ways with the real numpy — ranks 0 to 4,
//! C and Fortran order, every numeric dtype and a struct — plus the refusals.

mod common;

use std::path::Path;

use common::Trade;
use recmap::{Array, Error, Record};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SHAPES: [&[usize]; 6] = [&[], &[5], &[3, 4], &[2, 3, 4], &[2, 1, 3, 2], &[0, 3]];

/// Every index of `shape` in C order (the last coordinate fastest).
fn c_indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut all = vec![vec![]];
    for &n in shape {
        all = all
            .into_iter()
            .flat_map(|p| (0..n).map(move |i| [p.clone(), vec![i]].concat()))
            .collect();
    }
    all
}

/// numpy writes `np.arange(n).astype(dtype).reshape(shape)` (and its Fortran-order copy) for
/// every numeric dtype and rank; Rust reads every element by index and gets the C-order
/// position of that index.
#[test]
fn rust_reads_what_numpy_writes_in_c_and_fortran_order() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import sys, os, numpy as np
out = sys.argv[1]
shapes = [(), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (0, 3)]
for code in ["u1", "i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8", "<f4", "<f8"]:
    for k, shape in enumerate(shapes):
        a = (np.arange(int(np.prod(shape))) % 100).astype(code).reshape(shape)
        np.save(os.path.join(out, f"{code.strip('<')}-{k}-c.npy"), a)
        np.save(os.path.join(out, f"{code.strip('<')}-{k}-f.npy"), np.asfortranarray(a))
"#;
    common::run_python(python, script, &[s(dir.path())], b"");
    macro_rules! check {
        ($($code:literal => $t:ty),*) => {$(
            for (k, shape) in SHAPES.iter().enumerate() {
                for order in ["c", "f"] {
                    let path = dir.path().join(format!("{}-{k}-{order}.npy", $code));
                    let a = Array::<$t>::open_read(&path).unwrap();
                    // `np.asfortranarray` makes a 0-d array 1-d.
                    let shape: &[usize] = if order == "f" && shape.is_empty() { &[1] } else { shape };
                    assert_eq!(a.shape(), shape, "{}", path.display());
                    // numpy writes 0-d, 1-d and empty arrays as C order whatever was asked.
                    let fortran = order == "f" && shape.len() > 1 && shape.iter().product::<usize>() > 1;
                    assert_eq!(a.is_fortran_order(), fortran, "{}", path.display());
                    for (pos, index) in c_indices(shape).iter().enumerate() {
                        let want = (pos % 100) as $t;
                        assert_eq!(a.get(index), Some(&want), "{} at {index:?}", path.display());
                    }
                }
            }
        )*};
    }
    check!("u1" => u8, "i1" => i8, "u2" => u16, "i2" => i16, "u4" => u32, "i4" => i32,
           "u8" => u64, "i8" => i64, "f4" => f32, "f8" => f64);
}

/// Rust creates arrays of every rank and fills element `index` with its C-order position;
/// numpy loads each and finds exactly that, in structs too.
#[test]
fn numpy_reads_what_rust_writes() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (k, shape) in SHAPES.iter().enumerate() {
        let mut a = Array::<f64>::create(dir.path().join(format!("f8-{k}.npy")), shape).unwrap();
        for (pos, index) in c_indices(shape).iter().enumerate() {
            *a.get_mut(index).unwrap() = pos as f64 * 0.5;
        }
        let mut t =
            Array::<Trade>::create(dir.path().join(format!("trade-{k}.npy")), shape).unwrap();
        for (pos, index) in c_indices(shape).iter().enumerate() {
            *t.get_mut(index).unwrap() = Trade {
                id: pos as u64,
                price: 1.5,
                qty: 2,
                side: 1,
                _pad: [0; 3],
            };
        }
        let mut v =
            Array::<[u16; 3]>::create(dir.path().join(format!("vec-{k}.npy")), shape).unwrap();
        for (pos, x) in v.as_mut_slice().iter_mut().enumerate() {
            *x = [pos as u16, 7, 9];
        }
    }
    let script = r#"
import sys, os, numpy as np
d = sys.argv[1]
shapes = [(), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (0, 3)]
for k, shape in enumerate(shapes):
    n = int(np.prod(shape))
    a = np.load(os.path.join(d, f"f8-{k}.npy"), mmap_mode="r")
    assert a.shape == shape and a.dtype == np.float64, (a.shape, a.dtype)
    assert (np.asarray(a).ravel() == np.arange(n) * 0.5).all()
    t = np.load(os.path.join(d, f"trade-{k}.npy"))
    assert t.shape == shape and t.dtype.names == ("id", "price", "qty", "side")
    assert (t["id"].ravel() == np.arange(n)).all() and (t["price"] == 1.5).all()
    v = np.load(os.path.join(d, f"vec-{k}.npy"))
    assert v.shape == shape + (3,) and v.dtype == np.uint16
    assert (v[..., 0].ravel() == np.arange(n)).all() and (v[..., 2] == 9).all()
print("ok")
"#;
    assert_eq!(
        common::run_python(python, script, &[s(dir.path())], b"").trim(),
        "ok"
    );
}

#[test]
fn refusals_leave_the_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npy");
    drop(Array::<u32>::create(&path, &[2, 3]).unwrap());
    let before = std::fs::read(&path).unwrap();
    // The wrong element type.
    match Array::<f32>::open(&path) {
        Err(Error::SchemaMismatch {
            expected, found, ..
        }) => {
            assert_eq!((expected.as_str(), found.as_str()), ("'<f4'", "'<u4'"));
        }
        other => panic!("{other:?}"),
    }
    // An element type with a dimension of its own that the file does not end with.
    assert!(matches!(
        Array::<[u32; 4]>::open_read(&path),
        Err(Error::SchemaMismatch { .. })
    ));
    // `[u32; 3]` takes the last dimension: a (2,) array of triples.
    assert_eq!(Array::<[u32; 3]>::open_read(&path).unwrap().shape(), &[2]);
    // Refuses to replace a file; locks as tables do.
    assert_eq!(
        Array::<u32>::create(&path, &[1]).unwrap_err().kind(),
        std::io::ErrorKind::AlreadyExists
    );
    let writer = Array::<u32>::open(&path).unwrap();
    assert!(matches!(
        Array::<u32>::open_read(&path),
        Err(Error::Locked { .. })
    ));
    drop(writer);
    // Not a .npy file.
    let text = dir.path().join("t.txt");
    std::fs::write(&text, b"hello").unwrap();
    assert!(matches!(
        Array::<u8>::open_read(&text),
        Err(Error::BadHeader { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(std::fs::read(&text).unwrap(), b"hello");
}

#[test]
fn strides_and_indexing_follow_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Array::<u32>::create(dir.path().join("a.npy"), &[2, 3, 4]).unwrap();
    assert_eq!(a.strides(), vec![12, 4, 1]);
    *a.get_mut(&[1, 2, 3]).unwrap() = 99;
    assert_eq!(a.as_slice()[12 + 8 + 3], 99);
    assert_eq!(a.get(&[1, 2, 4]), None);
    assert_eq!(a.get(&[1, 2]), None);
    let z = Array::<u8>::create(dir.path().join("z.npy"), &[]).unwrap();
    assert_eq!((z.len(), z.get(&[]), z.strides()), (1, Some(&0), vec![]));
    let _ = Trade::DTYPE;
}

/// Opening reads the header and maps; it does not touch the data. Measured, not asserted:
/// `cargo test --release --test array -- --ignored --nocapture open_time`.
#[test]
#[ignore = "makes a 4 GiB sparse file; a measurement to run by hand"]
fn open_time_does_not_depend_on_size() {
    let dir = tempfile::tempdir().unwrap();
    for (name, rows) in [("small", 1usize << 8), ("large", 1 << 20)] {
        let path = dir.path().join(format!("{name}.npy"));
        let text = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, 1024), }}");
        let (header, _) = common::npy_v1(text.as_bytes(), 64, &[]);
        std::fs::write(&path, &header).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len((header.len() + rows * 1024 * 4) as u64).unwrap(); // sparse
        drop(f);
        let mut best = std::time::Duration::MAX;
        for _ in 0..100 {
            let t = std::time::Instant::now();
            let a = Array::<f32>::open_read(&path).unwrap();
            std::hint::black_box(a.shape());
            drop(a);
            best = best.min(t.elapsed());
        }
        let size = std::fs::metadata(&path).unwrap().len();
        eprintln!(
            "open_read of a {} MiB array: {:?} (best of 100)",
            size >> 20,
            best
        );
    }
}

/// Rust writes every numeric dtype at every rank in C and in Fortran order, element `index`
/// holding its C-order position; numpy reads each and finds exactly that, in the right order.
#[test]
fn numpy_reads_every_dtype_rank_and_order_rust_writes() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    macro_rules! write_all {
        ($($code:literal => $t:ty),*) => {$(
            for (k, shape) in SHAPES.iter().enumerate() {
                for order in ["c", "f"] {
                    let path = dir.path().join(format!("{}-{k}-{order}.npy", $code));
                    let mut a = if order == "f" {
                        Array::<$t>::create_fortran(&path, shape).unwrap()
                    } else {
                        Array::<$t>::create(&path, shape).unwrap()
                    };
                    for (pos, index) in c_indices(shape).iter().enumerate() {
                        *a.get_mut(index).unwrap() = (pos % 100) as $t;
                    }
                }
            }
        )*};
    }
    write_all!("u1" => u8, "i1" => i8, "u2" => u16, "i2" => i16, "u4" => u32, "i4" => i32,
               "u8" => u64, "i8" => i64, "f4" => f32, "f8" => f64);
    let script = r#"
import sys, os, numpy as np
d = sys.argv[1]
shapes = [(), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (0, 3)]
checked = 0
for code in ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"]:
    for k, shape in enumerate(shapes):
        for order in "cf":
            a = np.load(os.path.join(d, f"{code}-{k}-{order}.npy"))
            n = int(np.prod(shape))
            assert a.shape == shape and a.dtype == np.dtype(code if code[0] in "uif" and len(code) > 1 else code).newbyteorder("<"), (code, a.dtype)
            assert (a.ravel(order="C") == (np.arange(n) % 100).astype(a.dtype)).all(), (code, k, order)
            if order == "f" and len(shape) > 1 and n > 1:
                assert a.flags.f_contiguous and not a.flags.c_contiguous
            checked += 1
print(checked)
"#;
    let out = common::run_python(python, script, &[s(dir.path())], b"");
    assert_eq!(out.trim(), "120");
}

/// numpy writes a struct array in C and Fortran order; Rust reads every element by index.
#[test]
fn rust_reads_struct_arrays_numpy_writes() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import sys, os, numpy as np
d = sys.argv[1]
dt = np.dtype([("id", "<u8"), ("price", "<f8"), ("qty", "<u4"), ("side", "u1"), ("_pad", "V3")])
a = np.zeros((3, 4), dtype=dt)
a["id"] = np.arange(12).reshape(3, 4)
a["price"] = a["id"] * 0.5
np.save(os.path.join(d, "c.npy"), a)
np.save(os.path.join(d, "f.npy"), np.asfortranarray(a))
"#;
    common::run_python(python, script, &[s(dir.path())], b"");
    for (name, fortran) in [("c.npy", false), ("f.npy", true)] {
        let a = Array::<Trade>::open_read(dir.path().join(name)).unwrap();
        assert_eq!((a.shape(), a.is_fortran_order()), (&[3, 4][..], fortran));
        for (pos, index) in c_indices(&[3, 4]).iter().enumerate() {
            let t = a.get(index).unwrap();
            assert_eq!(
                (t.id, t.price),
                (pos as u64, pos as f64 * 0.5),
                "{name} {index:?}"
            );
        }
    }
}

/// Fortran order cannot hold elements that have dimensions of their own: `create_fortran`
/// refuses them, and so does opening a Fortran-order file as such elements.
#[test]
fn fortran_order_refuses_elements_with_dimensions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.npy");
    match Array::<[f32; 3]>::create_fortran(&path, &[2]) {
        Err(Error::SchemaMismatch { field, .. }) => assert_eq!(field, "shape"),
        other => panic!("{other:?}"),
    }
    assert!(!path.exists(), "a refused create leaves no file");
    drop(Array::<f32>::create_fortran(&path, &[2, 3]).unwrap());
    let before = std::fs::read(&path).unwrap();
    match Array::<[f32; 3]>::open_read(&path) {
        Err(Error::SchemaMismatch { field, found, .. }) => {
            assert_eq!(
                (field.as_str(), found.as_str()),
                ("shape", "fortran_order: True")
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
