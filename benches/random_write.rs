//! 64-byte records written in place at random indices: `Table::get_mut` against `pwrite`.
//! 10,000 writes per iteration; what each wrote is read back and asserted before timing.

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::Table;

use common::{Rec, record};

const RECORDS: usize = 1 << 20;
const WRITES: usize = 10_000;

fn random_write(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (path, start) = common::table_file(dir.path(), RECORDS);
    let idx = common::indices(WRITES, RECORDS);
    let with = |i: usize, g: u64| -> Rec { record(i).map(|w| w + g) };

    let mut g = c.benchmark_group("random_write");
    g.throughput(Throughput::Elements(WRITES as u64))
        .sample_size(30);

    let mut table = Table::<Rec>::open(&path).unwrap();
    let via_table = |t: &mut Table<Rec>, gen_: u64| {
        for &i in &idx {
            *t.get_mut(i).unwrap() = with(i, gen_);
        }
    };
    via_table(&mut table, 1);
    assert!(idx.iter().all(|&i| table[i] == with(i, 1)));
    g.bench_function("table_get_mut", |b| b.iter(|| via_table(&mut table, 1)));
    drop(table);

    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let via_pwrite = |gen_: u64| {
        for &i in &idx {
            file.write_all_at(bytemuck::cast_slice(&with(i, gen_)), start + i as u64 * 64)
                .unwrap();
        }
    };
    via_pwrite(2);
    let mut back: Rec = [0; 8];
    for &i in &idx {
        file.read_exact_at(bytemuck::cast_slice_mut(&mut back), start + i as u64 * 64)
            .unwrap();
        assert_eq!(back, with(i, 2));
    }
    g.bench_function("pwrite", |b| b.iter(|| via_pwrite(2)));
    g.finish();
}

criterion_group!(benches, random_write);
criterion_main!(benches);
