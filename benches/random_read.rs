//! 64-byte records at random indices: `Table::get` against raw memmap2 + bytemuck (the
//! zero-overhead reference), `pread` and `BufReader` seek + read. 10,000 reads per iteration;
//! each method's checksum is asserted before it is timed.

mod common;

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::Table;

use common::{Rec, sum};

const RECORDS: usize = 1 << 20; // 64 MiB
const READS: usize = 10_000;

fn random_read(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (path, start) = common::table_file(dir.path(), RECORDS);
    let idx = common::indices(READS, RECORDS);
    let expected = common::expected(&idx);

    let table = Table::<Rec>::open_read(&path).unwrap();
    let file = File::open(&path).unwrap();
    // SAFETY: the bench's own temporary file; nothing else writes or truncates it meanwhile.
    let raw = unsafe { memmap2::Mmap::map(&file) }.unwrap();
    let raw_recs: &[Rec] = bytemuck::cast_slice(&raw[start as usize..]);
    let mut reader = BufReader::new(File::open(&path).unwrap());

    let via_table = |t: &Table<Rec, recmap::ReadOnly>| {
        idx.iter().fold(0u64, |a, &i| {
            a.wrapping_add(sum(black_box(t.get(i).unwrap())))
        })
    };
    let via_raw = || {
        idx.iter()
            .fold(0u64, |a, &i| a.wrapping_add(sum(black_box(&raw_recs[i]))))
    };
    let via_pread = || {
        let mut r: Rec = [0; 8];
        idx.iter().fold(0u64, |a, &i| {
            file.read_exact_at(bytemuck::cast_slice_mut(&mut r), start + i as u64 * 64)
                .unwrap();
            a.wrapping_add(sum(&r))
        })
    };
    let mut via_bufreader = || {
        let mut r: Rec = [0; 8];
        idx.iter().fold(0u64, |a, &i| {
            reader.seek(SeekFrom::Start(start + i as u64 * 64)).unwrap();
            reader.read_exact(bytemuck::cast_slice_mut(&mut r)).unwrap();
            a.wrapping_add(sum(&r))
        })
    };

    assert_eq!(via_table(&table), expected);
    assert_eq!(via_raw(), expected);
    assert_eq!(via_pread(), expected);
    assert_eq!(via_bufreader(), expected);

    let mut g = c.benchmark_group("random_read");
    g.throughput(Throughput::Elements(READS as u64))
        .sample_size(30);
    g.bench_function("table_get", |b| b.iter(|| via_table(&table)));
    g.bench_function("memmap2_bytemuck", |b| b.iter(via_raw));
    g.bench_function("pread", |b| b.iter(via_pread));
    g.bench_function("bufreader_seek_read", |b| b.iter(&mut via_bufreader));
    g.finish();
}

criterion_group!(benches, random_read);
criterion_main!(benches);
