//! Batched record reads: `Gather::gather_into` against a loop of `table[i]` over the same
//! 256 MiB table and the same random indices, and the same two over a `Vec` in RAM (the
//! baseline). Each method's checksum is asserted before it is timed.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::Table;
use recmap::view::Gather;

use common::{Rec, sum};

const RECORDS: usize = 1 << 22; // 256 MiB of 64-byte records
const READS: usize = 100_000;

fn gather(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = common::table_file(dir.path(), RECORDS);
    let idx = common::indices(READS, RECORDS);
    let expected = common::expected(&idx);
    let table = Table::<Rec>::open_read(&path).unwrap();
    let memory: Vec<Rec> = table.to_vec();
    let mut out: Vec<Rec> = vec![[0; 8]; READS];

    let loop_sum = |recs: &[Rec]| {
        idx.iter()
            .fold(0u64, |a, &i| a.wrapping_add(sum(black_box(&recs[i]))))
    };
    let gather_sum = |recs: &[Rec], out: &mut Vec<Rec>| {
        recs.gather_into(&idx, out).unwrap();
        out.iter()
            .fold(0u64, |a, r| a.wrapping_add(sum(black_box(r))))
    };
    assert_eq!(loop_sum(&table), expected);
    assert_eq!(gather_sum(&table, &mut out), expected);
    assert_eq!(loop_sum(&memory), expected);
    assert_eq!(gather_sum(&memory, &mut out), expected);

    let mut g = c.benchmark_group("gather");
    g.throughput(Throughput::Elements(READS as u64))
        .sample_size(20);
    g.bench_function("table_index_loop", |b| b.iter(|| loop_sum(&table)));
    g.bench_function("table_gather", |b| b.iter(|| gather_sum(&table, &mut out)));
    g.bench_function("vec_index_loop", |b| b.iter(|| loop_sum(&memory)));
    g.bench_function("vec_gather", |b| b.iter(|| gather_sum(&memory, &mut out)));
    g.finish();
}

criterion_group!(benches, gather);
criterion_main!(benches);
