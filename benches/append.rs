//! Append 100,000 64-byte records to a new file — `recmap bench`'s append kernels
//! (`benches/workloads.rs`): `Table::push` in both writable roles and `extend_from_slice`
//! (+ `flush`) against `BufWriter::write_all` (+ `flush`); all end in the page cache, none
//! msyncs. The file contents are asserted before timing.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use common::workloads::append;
use common::{Rec, W, record};

const RECORDS: usize = 100_000;

fn bench_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let table_path = dir.path().join("append.npy");
    let append_path = dir.path().join("appender.npy");
    let raw_path = dir.path().join("append.bin");
    let batch: Vec<Rec> = (0..RECORDS).map(record).collect();

    let n = RECORDS as u64;
    assert_eq!(append::table::<W>(&table_path, RECORDS).unwrap(), n);
    append::check_table::<W>(&table_path, RECORDS).unwrap();
    assert_eq!(append::appender::<W>(&append_path, RECORDS).unwrap(), n);
    append::check_table::<W>(&append_path, RECORDS).unwrap();
    assert_eq!(
        append::appender_slices::<W>(&append_path, &batch).unwrap(),
        n
    );
    append::check_table::<W>(&append_path, RECORDS).unwrap();
    assert_eq!(append::bufwriter::<W>(&raw_path, RECORDS).unwrap(), n);
    let raw = std::fs::read(&raw_path).unwrap();
    assert_eq!(&raw[64..72], &8u64.to_ne_bytes());

    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Bytes((RECORDS * 64) as u64))
        .sample_size(20);
    g.bench_function("table_push", |b| {
        b.iter(|| append::table::<W>(&table_path, RECORDS).unwrap())
    });
    g.bench_function("append_push", |b| {
        b.iter(|| append::appender::<W>(&append_path, RECORDS).unwrap())
    });
    g.bench_function("append_extend_from_slice", |b| {
        b.iter(|| append::appender_slices::<W>(&append_path, &batch).unwrap())
    });
    g.bench_function("bufwriter", |b| {
        b.iter(|| append::bufwriter::<W>(&raw_path, RECORDS).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_append);
criterion_main!(benches);
