//! Batched record reads — `recmap bench`'s random_read kernels (`benches/workloads.rs`):
//! `Gather::gather_into` against a loop of `table[i]` over the same 256 MiB table and the
//! same random indices, and the same two over a `Vec` in RAM (the baseline). Each method's
//! checksum is asserted before it is timed.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use common::workloads::random_read;
use common::{Rec, W};

const RECORDS: usize = 1 << 22; // 256 MiB of 64-byte records
const READS: usize = 100_000;

fn bench_gather(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = common::table_file(dir.path(), RECORDS);
    let idx = common::indices(READS, RECORDS);
    let expected = common::expected(&idx);
    let table = file.open_table::<W>().unwrap();
    let memory: Vec<Rec> = file.load::<W>().unwrap();
    let mut out: Vec<Rec> = vec![[0; W]; READS];

    assert_eq!(random_read::index_loop(&table, &idx), expected);
    assert_eq!(
        random_read::gather(&table, &idx, &mut out).unwrap(),
        expected
    );
    assert_eq!(random_read::index_loop(&memory, &idx), expected);
    assert_eq!(
        random_read::gather(&memory, &idx, &mut out).unwrap(),
        expected
    );

    let mut g = c.benchmark_group("gather");
    g.throughput(Throughput::Elements(READS as u64))
        .sample_size(20);
    g.bench_function("table_index_loop", |b| {
        b.iter(|| random_read::index_loop(&table, &idx))
    });
    g.bench_function("table_gather", |b| {
        b.iter(|| random_read::gather(&table, &idx, &mut out).unwrap())
    });
    g.bench_function("vec_index_loop", |b| {
        b.iter(|| random_read::index_loop(&memory, &idx))
    });
    g.bench_function("vec_gather", |b| {
        b.iter(|| random_read::gather(&memory, &idx, &mut out).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_gather);
criterion_main!(benches);
