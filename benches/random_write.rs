//! 64-byte records written in place at random indices — `recmap bench`'s random_write kernels
//! (`benches/workloads.rs`): stores into `Table::as_mut_slice` against `pwrite`. 10,000 writes
//! per iteration; what each wrote is read back and asserted before timing.

mod common;

use std::fs::OpenOptions;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::Table;

use common::workloads::random_write;
use common::{Rec, W};

const RECORDS: usize = 1 << 20;
const WRITES: usize = 10_000;

fn bench_random_write(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = common::table_file(dir.path(), RECORDS);
    let idx = common::indices(WRITES, RECORDS);

    let mut g = c.benchmark_group("random_write");
    g.throughput(Throughput::Elements(WRITES as u64))
        .sample_size(30);

    let mut table = Table::<Rec>::open(&file.path).unwrap();
    assert_eq!(
        random_write::mapped(table.as_mut_slice(), &idx, 1),
        WRITES as u64
    );
    table.flush().unwrap();
    random_write::check::<W>(&file, &idx, 1, 1).unwrap();
    g.bench_function("table_get_mut", |b| {
        b.iter(|| random_write::mapped(table.as_mut_slice(), &idx, 1))
    });
    drop(table);

    let f = OpenOptions::new().write(true).open(&file.path).unwrap();
    assert_eq!(
        random_write::pwrite::<W>(&file, &f, &idx, 2).unwrap(),
        WRITES as u64
    );
    random_write::check::<W>(&file, &idx, 1, 2).unwrap();
    g.bench_function("pwrite", |b| {
        b.iter(|| random_write::pwrite::<W>(&file, &f, &idx, 2).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_random_write);
criterion_main!(benches);
