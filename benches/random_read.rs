//! 64-byte records at random indices — the kernels of `recmap bench`'s random_read
//! (`benches/workloads.rs`): `table[i]` in a loop, against the same loop over raw memmap2 +
//! bytemuck (the zero-overhead reference), `pread` and `BufReader` seek + read. 10,000 reads
//! per iteration; each method's checksum is asserted before it is timed.

mod common;

use std::fs::File;
use std::io::BufReader;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use common::workloads::random_read;
use common::{Rec, W};

const RECORDS: usize = 1 << 20; // 64 MiB
const READS: usize = 10_000;

fn bench_random_read(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = common::table_file(dir.path(), RECORDS);
    let idx = common::indices(READS, RECORDS);
    let expected = common::expected(&idx);

    let table = file.open_table::<W>().unwrap();
    let f = File::open(&file.path).unwrap();
    // SAFETY: the bench's own temporary file; nothing else writes or truncates it meanwhile.
    let raw = unsafe { memmap2::Mmap::map(&f) }.unwrap();
    let raw_recs: &[Rec] = bytemuck::cast_slice(&raw[file.data_start as usize..]);
    let mut reader = BufReader::new(File::open(&file.path).unwrap());

    assert_eq!(random_read::index_loop(&table, &idx), expected);
    assert_eq!(random_read::index_loop(raw_recs, &idx), expected);
    assert_eq!(random_read::pread::<W>(&file, &f, &idx).unwrap(), expected);
    assert_eq!(
        random_read::bufreader::<W>(&file, &mut reader, &idx).unwrap(),
        expected
    );

    let mut g = c.benchmark_group("random_read");
    g.throughput(Throughput::Elements(READS as u64))
        .sample_size(30);
    g.bench_function("table_get", |b| {
        b.iter(|| random_read::index_loop(&table, &idx))
    });
    g.bench_function("memmap2_bytemuck", |b| {
        b.iter(|| random_read::index_loop(raw_recs, &idx))
    });
    g.bench_function("pread", |b| {
        b.iter(|| random_read::pread::<W>(&file, &f, &idx).unwrap())
    });
    g.bench_function("bufreader_seek_read", |b| {
        b.iter(|| random_read::bufreader::<W>(&file, &mut reader, &idx).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_random_read);
criterion_main!(benches);
