//! Find a needle at the end of a 64 MiB file: `Map::find` over the mapping against reading the
//! file into memory and searching with memchr's memmem. The offset is asserted before timing.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use recmap::{Access, Map};

const SIZE: usize = 64 << 20;

fn find(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haystack.txt");
    let needle = b"needle in a haystack";
    let mut data: Vec<u8> = b"lorem ipsum dolor sit amet "
        .iter()
        .copied()
        .cycle()
        .take(SIZE)
        .collect();
    let at = SIZE - 1000;
    data[at..at + needle.len()].copy_from_slice(needle);
    std::fs::write(&path, &data).unwrap();
    drop(data);

    let map = Map::open(&path, Access::Read).unwrap();
    let via_read = || memchr::memmem::find(&std::fs::read(&path).unwrap(), needle);
    assert_eq!(map.find(needle, ..), Some(at));
    assert_eq!(via_read(), Some(at));

    let mut g = c.benchmark_group("find");
    g.throughput(Throughput::Bytes(SIZE as u64)).sample_size(20);
    g.bench_function("map_find", |b| b.iter(|| map.find(black_box(needle), ..)));
    g.bench_function("read_then_memmem", |b| b.iter(via_read));
    g.finish();
}

criterion_group!(benches, find);
criterion_main!(benches);
