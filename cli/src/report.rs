//! How `recmap bench` reports: the measurements, the table (with each method's ratio to the
//! in-memory baseline and to the best system-call method), the ratios to the Python peers,
//! the tail latencies, and `--json`.

use std::io::{self, Write};

use crate::bench::RUNS;

/// One timed result, as printed by `--json`.
pub struct Measurement {
    pub workload: &'static str,
    pub method: &'static str,
    pub seconds: f64,
    pub bytes: u64,
    pub ops: u64,
    /// Writer-to-reader latency percentiles (p50, p99) in ns, for the tail workload.
    pub latency: Option<(u64, u64)>,
}

impl Measurement {
    /// `ops` records of `record` bytes each in `seconds`.
    pub fn records(
        workload: &'static str,
        method: &'static str,
        seconds: f64,
        ops: usize,
        record: usize,
    ) -> Measurement {
        Measurement {
            workload,
            method,
            seconds,
            bytes: (ops * record) as u64,
            ops: ops as u64,
            latency: None,
        }
    }
}

fn per_op_ns(m: &Measurement) -> f64 {
    m.seconds * 1e9 / m.ops.max(1) as f64
}

fn gbps(m: &Measurement) -> f64 {
    m.bytes as f64 / m.seconds / 1e9
}

pub fn print_table(
    out: &mut dyn Write,
    size: u64,
    record: usize,
    results: &[Measurement],
) -> io::Result<()> {
    writeln!(
        out,
        "recmap bench: {} MiB file, {record}-byte records, warm page cache, best of {RUNS}",
        size >> 20
    )?;
    writeln!(
        out,
        "{:<16} {:<15} {:>9} {:>12} {:>10} {:>12}",
        "workload", "method", "GB/s", "ns/record", "vs memory", "vs best I/O"
    )?;
    for m in results.iter().filter(|m| m.latency.is_none()) {
        let same: Vec<&Measurement> = results
            .iter()
            .filter(|r| r.workload == m.workload)
            .collect();
        let memory = same
            .iter()
            .find(|r| r.method == "memory")
            .map(|r| gbps(m) / gbps(r));
        let best_io = same
            .iter()
            .filter(|r| r.method != "memory" && !is_mapped(r.method) && !is_peer(r.method))
            .map(|r| gbps(r))
            .fold(f64::NAN, f64::max);
        let ns_per_record = per_op_ns(m);
        writeln!(
            out,
            "{:<16} {:<15} {:>9.2} {:>12.1} {:>10} {:>12}",
            m.workload,
            m.method,
            gbps(m),
            ns_per_record,
            memory.map_or("-".into(), |r| format!("{r:.2}x")),
            if best_io.is_nan() {
                "-".into()
            } else {
                format!("{:.2}x", gbps(m) / best_io)
            },
        )?;
    }
    Ok(())
}

/// The Python peers' method names (`benches/peers.py`), as the rows keep them.
pub const PEERS: [&str; 5] = [
    "numpy_memory",
    "numpy_memmap",
    "numpy_take",
    "cpython_mmap",
    "cpython_slice",
];

pub fn is_peer(method: &str) -> bool {
    PEERS.contains(&method)
}

/// recmap's methods over a mapped file: compared with the peers, not counted as I/O.
fn is_mapped(method: &str) -> bool {
    method.starts_with("mmap") || method == "gather" || method == "column"
}

/// recmap's mapped methods against each Python peer of the same workload.
pub fn print_peer_ratios(out: &mut dyn Write, results: &[Measurement]) -> io::Result<()> {
    let peers: Vec<&Measurement> = results.iter().filter(|m| is_peer(m.method)).collect();
    if peers.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "recmap against Python on the same file and indices (higher is faster for recmap)"
    )?;
    for ours in results
        .iter()
        .filter(|m| matches!(m.method, "mmap" | "gather" | "column"))
        .filter(|m| matches!(m.workload, "scan" | "random_read" | "column"))
    {
        let ratios: Vec<String> = peers
            .iter()
            .filter(|p| p.workload == ours.workload)
            .map(|p| format!("{} {:.2}x", p.method, per_op_ns(p) / per_op_ns(ours)))
            .collect();
        writeln!(
            out,
            "{:<13} {:<14} {}",
            ours.workload,
            ours.method,
            ratios.join("  ")
        )?;
    }
    Ok(())
}

pub fn print_tail(out: &mut dyn Write, results: &[Measurement]) -> io::Result<()> {
    let tail: Vec<&Measurement> = results.iter().filter(|m| m.latency.is_some()).collect();
    if tail.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "tail: one writer process, one follower process (16-byte records, CLOCK_MONOTONIC)"
    )?;
    writeln!(
        out,
        "{:<13} {:<16} {:>10} {:>10} {:>14}",
        "workload", "method", "p50 µs", "p99 µs", "records/s"
    )?;
    for m in tail {
        let (p50, p99) = m.latency.unwrap_or_default();
        writeln!(
            out,
            "{:<13} {:<16} {:>10.2} {:>10.2} {:>14.0}",
            m.workload,
            m.method,
            p50 as f64 / 1e3,
            p99 as f64 / 1e3,
            m.ops as f64 / m.seconds
        )?;
    }
    Ok(())
}

pub fn print_json(
    out: &mut dyn Write,
    size: u64,
    record: usize,
    results: &[Measurement],
) -> io::Result<()> {
    let rows: Vec<String> = results
        .iter()
        .map(|m| {
            let latency = m.latency.map_or(String::new(), |(p50, p99)| {
                format!(", \"p50_ns\": {p50}, \"p99_ns\": {p99}")
            });
            format!(
                "{{\"workload\": \"{}\", \"method\": \"{}\", \"seconds\": {:e}, \"bytes\": {}, \"ops\": {}{latency}}}",
                m.workload, m.method, m.seconds, m.bytes, m.ops
            )
        })
        .collect();
    writeln!(
        out,
        "{{\"size_bytes\": {size}, \"record_bytes\": {record}, \"results\": [{}]}}",
        rows.join(", ")
    )?;
    Ok(())
}
