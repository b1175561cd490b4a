//! Append 100,000 64-byte records to a new file: `Table::push` in both writable roles and
//! `Table::extend_from_slice` (+ `flush`) against `BufWriter::write_all` (+ `flush`); all end
//! in the page cache, none msyncs. The file contents are asserted before timing.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::Table;

use common::{Rec, record};

const RECORDS: usize = 100_000;

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let table_path = dir.path().join("append.npy");
    let raw_path = dir.path().join("append.bin");

    let via_table = || {
        let _ = std::fs::remove_file(&table_path);
        let mut t: Table<Rec> = Table::create(&table_path).unwrap();
        for i in 0..RECORDS {
            t.push(record(i)).unwrap();
        }
        t.flush().unwrap();
    };
    let append_path = dir.path().join("appender.npy");
    let via_appender = || {
        let _ = std::fs::remove_file(&append_path);
        let mut t = Table::<Rec>::create_append(&append_path).unwrap();
        for i in 0..RECORDS {
            t.push(record(i)).unwrap();
        }
        t.flush().unwrap();
    };
    let batch: Vec<Rec> = (0..RECORDS).map(record).collect();
    let via_slice = || {
        let _ = std::fs::remove_file(&append_path);
        let mut t = Table::<Rec>::create_append(&append_path).unwrap();
        for chunk in batch.chunks(4096) {
            t.extend_from_slice(chunk).unwrap();
        }
        t.flush().unwrap();
    };
    let via_bufwriter = || {
        let mut w = BufWriter::new(File::create(&raw_path).unwrap());
        for i in 0..RECORDS {
            w.write_all(bytemuck::cast_slice(&record(i))).unwrap();
        }
        w.flush().unwrap();
    };

    via_table();
    let t = Table::<Rec>::open_read(&table_path).unwrap();
    assert_eq!((t.len(), t[RECORDS - 1]), (RECORDS, record(RECORDS - 1)));
    drop(t);
    for f in [&via_appender as &dyn Fn(), &via_slice] {
        f();
        let t = Table::<Rec>::open_read(&append_path).unwrap();
        assert_eq!((t.len(), t[RECORDS - 1]), (RECORDS, record(RECORDS - 1)));
    }
    via_bufwriter();
    let raw = std::fs::read(&raw_path).unwrap();
    assert_eq!(raw.len(), RECORDS * 64);
    assert_eq!(&raw[64..72], &8u64.to_ne_bytes());

    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Bytes((RECORDS * 64) as u64))
        .sample_size(20);
    g.bench_function("table_push", |b| b.iter(via_table));
    g.bench_function("append_push", |b| b.iter(via_appender));
    g.bench_function("append_extend_from_slice", |b| b.iter(via_slice));
    g.bench_function("bufwriter", |b| b.iter(via_bufwriter));
    g.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
