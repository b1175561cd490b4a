//! Datasets past one machine: a directory of tables, one .npy per partition, written and
//! appended independently by Rust, read by Dask (`examples/dask_dataset.py`: a dask.array and
//! a dask.dataframe over np.load(mmap_mode="r"), no pickled metadata), and the aggregates
//! compared with Rust's. `recmap info DIR` lists the partitions in the same order.

// The root package's test helpers (Python, numpy, .npy builders, a seeded RNG).
#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::Trade;
use recmap::Table;

fn python_with_dask() -> Option<Command> {
    let mut probe = common::python3_with_numpy()?;
    let ok = probe
        .args(["-c", "import dask.array, dask.dataframe, pandas"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return common::python3();
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "dask is required under CI (.ci/run installs dask[array,dataframe])"
    );
    eprintln!("SKIPPED: dask not importable; the Dask test did not run");
    None
}

#[test]
fn dask_reads_a_directory_of_tables_as_one_dataset() {
    let Some(python) = python_with_dask() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut records, mut qty, mut value) = (0u64, 0u64, 0f64);
    // Five days of trades, of different sizes, one partition each; day 2 is empty, day 3 is
    // appended in two sessions.
    for (day, n) in [(0u64, 1000u64), (1, 2500), (2, 0), (3, 1200), (4, 777)] {
        let path = dir.path().join(format!("day-{day:02}.npy"));
        let mut t = Table::<Trade>::create_append(&path).unwrap();
        for i in 0..n {
            let trade = Trade {
                id: day * 1_000_000 + i,
                price: 100.0 + (i % 97) as f64 * 0.25,
                qty: (i % 13) as u32 + 1,
                side: (i % 2) as u8,
                _pad: [0; 3],
            };
            t.push(trade).unwrap();
            if day == 3 && i == 600 {
                drop(t);
                t = Table::<Trade>::open_append(&path).unwrap();
            }
            records += 1;
            qty += u64::from(trade.qty);
            value += trade.price * f64::from(trade.qty);
        }
    }

    let info = Command::new(env!("CARGO_BIN_EXE_recmap"))
        .arg("info")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(
        info.contains("partitions:   5") && info.contains(&format!("records:      {records}")),
        "{info}"
    );
    let order: Vec<&str> = info
        .lines()
        .filter_map(|l| l.trim().strip_prefix("day-"))
        .collect();
    assert_eq!(order.len(), 5, "{info}");
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{info}");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dask_dataset.py");
    let mut python = python;
    let out = python.arg(script).arg(dir.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8(out.stdout).unwrap();
    let field = |line: &str, key: &str| -> f64 {
        let rest = line.split(&format!("{key} ")).nth(1).unwrap();
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    let array = out.lines().find(|l| l.starts_with("array:")).unwrap();
    let frame = out.lines().find(|l| l.starts_with("frame:")).unwrap();
    assert_eq!(field(array, "records") as u64, records);
    assert_eq!(field(array, "qty") as u64, qty);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
    assert!(close(field(array, "value"), value), "{array} vs {value}");
    assert_eq!(field(frame, "records") as u64, records);
    assert_eq!(field(frame, "partitions") as u64, 5);
    assert!(close(field(frame, "value"), value), "{frame} vs {value}");
}
