//! An `Array`'s ndarray view summed against the same numbers in a `Vec` (the baseline) and in
//! an `ndarray::Array2` in RAM: a (4096, 1024) f32 matrix, 16 MiB. Results asserted first.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Ix2;
use recmap::Array;

const ROWS: usize = 4096;
const COLS: usize = 1024;

fn array(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Array::<f32>::create(dir.path().join("m.npy"), &[ROWS, COLS]).unwrap();
    for (i, x) in a.as_mut_slice().iter_mut().enumerate() {
        *x = (i % 7) as f32;
    }
    let vec: Vec<f32> = a.as_slice().to_vec();
    let owned = ndarray::Array2::from_shape_vec((ROWS, COLS), vec.clone()).unwrap();
    let view = a.view().into_dimensionality::<Ix2>().unwrap();
    let expected: f32 = vec.iter().sum();
    assert_eq!(view.sum(), owned.sum());
    assert!((view.sum() - expected).abs() <= expected * 1e-3);

    let mut g = c.benchmark_group("array_sum");
    g.throughput(Throughput::Bytes((ROWS * COLS * 4) as u64));
    g.bench_function("mapped_ndarray_view", |b| b.iter(|| view.sum()));
    g.bench_function("ndarray_in_memory", |b| b.iter(|| owned.sum()));
    g.bench_function("vec_iter_sum", |b| b.iter(|| vec.iter().sum::<f32>()));
    g.finish();
}

criterion_group!(benches, array);
criterion_main!(benches);
