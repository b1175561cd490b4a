//! Sum the `f64` field of 1,048,576 64-byte records (64 MiB): recmap's
//! `Table::column(|q| &q.price).iter().sum()` against a plain loop over the mapped records,
//! the same loop over an in-memory copy (the ceiling) and `File::read` into a 1 MiB buffer —
//! the kernels of `recmap bench`'s column workload (`benches/workloads.rs`). Each method's sum
//! is asserted before it is timed.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use common::workloads::column;

const RECORDS: usize = 1 << 20; // 64 MiB

fn bench_column(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = column::create(&dir.path().join("quotes.npy"), RECORDS, |_| {}).unwrap();
    let expected = column::expected(RECORDS);

    let memory = column::load(&file).unwrap();
    let table = recmap::Table::open_read(&file.path).unwrap();
    let mut buf = vec![column::quote(0); (1 << 20) / 64];

    assert_eq!(column::records(&memory), expected);
    assert_eq!(column::column(&table), expected);
    assert_eq!(column::records(&table), expected);
    assert_eq!(column::read(&file, &mut buf).unwrap(), expected);

    let mut g = c.benchmark_group("column");
    g.throughput(Throughput::Bytes((RECORDS * 64) as u64))
        .sample_size(20);
    g.bench_function("memory_loop", |b| {
        b.iter(|| column::records(black_box(&memory)))
    });
    g.bench_function("table_column", |b| {
        b.iter(|| column::column(black_box(&table)))
    });
    g.bench_function("table_loop", |b| {
        b.iter(|| column::records(black_box(&table)))
    });
    g.bench_function("read_1mib", |b| {
        b.iter(|| column::read(&file, &mut buf).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_column);
criterion_main!(benches);
