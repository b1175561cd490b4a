//! Writer-to-reader round trips: a writer thread pushes one record and commits it (`flush`),
//! a reader thread with its own `ReadOnly` table spins in `wait_for_len` until it sees the
//! record and acknowledges it through an atomic; the writer waits for the acknowledgement.
//! The baseline is the same round trip with only the atomics (the floor of any protocol).
//! Each record is checked by the reader before it acknowledges, so a broken path panics
//! instead of looking fast. (`recmap bench` measures the same between two processes.)

use std::hint::spin_loop;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use recmap::Table;

/// `iters` round trips through the table; returns their total time.
fn table_round_trips(iters: u64) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tail.npy");
    let mut w = Table::<u64>::create_append(&path).unwrap();
    w.reserve(iters as usize).unwrap();
    let mut r = Table::<u64>::open_read(&path).unwrap();
    r.spin(Duration::from_secs(3600));
    let ack = Arc::new(AtomicU64::new(0));
    let reader_ack = Arc::clone(&ack);
    let reader = std::thread::spawn(move || {
        for i in 0..iters as usize {
            let n = r.wait_for_len(i + 1, Duration::from_secs(10)).unwrap();
            assert!(n > i && r[i] == i as u64, "record {i} missing or wrong");
            reader_ack.store(i as u64 + 1, Ordering::Release);
        }
    });
    let start = Instant::now();
    for i in 0..iters {
        w.push(i).unwrap();
        w.flush().unwrap();
        while ack.load(Ordering::Acquire) <= i {
            spin_loop();
        }
    }
    let elapsed = start.elapsed();
    reader.join().unwrap();
    elapsed
}

/// `iters` round trips through two atomics only.
fn atomic_round_trips(iters: u64) -> Duration {
    let (ping, pong) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (p, q) = (Arc::clone(&ping), Arc::clone(&pong));
    let reader = std::thread::spawn(move || {
        for i in 1..=iters {
            while p.load(Ordering::Acquire) < i {
                spin_loop();
            }
            q.store(i, Ordering::Release);
        }
    });
    let start = Instant::now();
    for i in 1..=iters {
        ping.store(i, Ordering::Release);
        while pong.load(Ordering::Acquire) < i {
            spin_loop();
        }
    }
    let elapsed = start.elapsed();
    reader.join().unwrap();
    elapsed
}

fn tail(c: &mut Criterion) {
    table_round_trips(1000); // checks every record once before timing
    let mut g = c.benchmark_group("tail");
    g.sample_size(20);
    g.bench_function("table_commit_round_trip", |b| {
        b.iter_custom(table_round_trips)
    });
    g.bench_function("atomic_round_trip", |b| b.iter_custom(atomic_round_trips));
    g.finish();
}

criterion_group!(benches, tail);
criterion_main!(benches);
