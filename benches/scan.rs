//! Sum a 64 MiB file of u64: recmap (`Table::as_slice`, `Map::cast`) against an in-memory
//! `Vec<u64>` (the ceiling), `File::read` into a 1 MiB buffer, and `BufReader` record by record.
//! Each method's sum is asserted before it is timed.

mod common;

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, Read, Seek, SeekFrom};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::{Access, Map, Table, View};

use common::{Rec, sum};

const RECORDS: usize = 1 << 20; // 64 MiB

fn scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (path, start) = common::table_file(dir.path(), RECORDS);
    let words = (RECORDS * 8) as u64;
    let expected = (words / 2).wrapping_mul(words - 1);

    let read_file = || -> u64 {
        let mut f = File::open(&path).unwrap();
        f.seek(SeekFrom::Start(start)).unwrap();
        let mut buf = vec![0u64; (1 << 20) / 8];
        let mut total = 0u64;
        for _ in 0..(RECORDS * 64) >> 20 {
            f.read_exact(bytemuck::cast_slice_mut(&mut buf)).unwrap();
            total = total.wrapping_add(sum(&buf));
        }
        total
    };
    let buf_reader = || -> u64 {
        let mut f = BufReader::new(File::open(&path).unwrap());
        f.seek(SeekFrom::Start(start)).unwrap();
        let mut r: Rec = [0; 8];
        let mut total = 0u64;
        for _ in 0..RECORDS {
            f.read_exact(bytemuck::cast_slice_mut(&mut r)).unwrap();
            total = total.wrapping_add(sum(&r));
        }
        total
    };
    let memory: Vec<u64> = {
        let mut v = vec![0u64; RECORDS * 8];
        let mut f = File::open(&path).unwrap();
        f.seek(SeekFrom::Start(start)).unwrap();
        f.read_exact(bytemuck::cast_slice_mut(&mut v)).unwrap();
        v
    };
    let table = Table::<Rec>::open_read(&path).unwrap();
    let map = Map::open(&path, Access::Read).unwrap();
    let mapped_words = || map.get(start as usize..).unwrap().cast::<u64>().unwrap();

    assert_eq!(sum(&memory), expected);
    assert_eq!(sum(table.as_slice().as_flattened()), expected);
    assert_eq!(sum(mapped_words()), expected);
    assert_eq!(read_file(), expected);
    assert_eq!(buf_reader(), expected);

    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes((RECORDS * 64) as u64))
        .sample_size(20);
    g.bench_function("memory_vec", |b| b.iter(|| sum(black_box(&memory))));
    g.bench_function("table_as_slice", |b| {
        b.iter(|| sum(black_box(table.as_slice()).as_flattened()))
    });
    g.bench_function("map_cast", |b| b.iter(|| sum(black_box(mapped_words()))));
    g.bench_function("read_1mib", |b| b.iter(read_file));
    g.bench_function("bufreader_record", |b| b.iter(buf_reader));
    g.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
