//! Sum a 64 MiB file of u64: recmap (`Table::as_slice`, `Map::cast`) against an in-memory
//! copy (the ceiling), `File::read` into a 1 MiB buffer, and `BufReader` record by record —
//! the kernels of `recmap bench`'s scan (`benches/workloads.rs`). Each method's sum is
//! asserted before it is timed.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::{Access, Map, View};

use common::workloads::{expected_scan, scan};
use common::{W, sum};

const RECORDS: usize = 1 << 20; // 64 MiB

fn bench_scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = common::table_file(dir.path(), RECORDS);
    let expected = expected_scan((RECORDS * W) as u64);

    let memory = file.load::<W>().unwrap();
    let table = file.open_table::<W>().unwrap();
    let map = Map::open(&file.path, Access::Read).unwrap();
    let mapped_words = || {
        map.get(file.data_start as usize..)
            .unwrap()
            .cast::<u64>()
            .unwrap()
    };
    let mut buf = vec![0u64; (1 << 20) / 8];

    assert_eq!(scan::records(&memory), expected);
    assert_eq!(scan::records(&table), expected);
    assert_eq!(sum(mapped_words()), expected);
    assert_eq!(scan::read::<W>(&file, &mut buf).unwrap(), expected);
    assert_eq!(scan::bufreader::<W>(&file).unwrap(), expected);

    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes((RECORDS * 64) as u64))
        .sample_size(20);
    g.bench_function("memory_vec", |b| {
        b.iter(|| scan::records(black_box(&memory)))
    });
    g.bench_function("table_as_slice", |b| {
        b.iter(|| scan::records(black_box(table.as_slice())))
    });
    g.bench_function("map_cast", |b| b.iter(|| sum(black_box(mapped_words()))));
    g.bench_function("read_1mib", |b| {
        b.iter(|| scan::read::<W>(&file, &mut buf).unwrap())
    });
    g.bench_function("bufreader_record", |b| {
        b.iter(|| scan::bufreader::<W>(&file).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
