//! numpy interop, both ways, with the real numpy: Rust writes tables that `np.load` reads
//! (mapped and not), numpy writes files (`np.save`, `mmap_mode="r+"`) that Rust opens, reads,
//! appends to, and numpy reads again.

mod common;

use std::path::Path;

use common::{Tick, Trade};
use recmap::{Record, Table};

fn trade(id: u64) -> Trade {
    Trade {
        id,
        price: 100.0 + id as f64 / 4.0,
        qty: (id * 7 % 1000) as u32,
        side: (id % 2) as u8,
        _pad: [0; 3],
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn numpy_reads_what_rust_writes() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (trades, vectors, scalars) = (
        dir.path().join("trades.npy"),
        dir.path().join("vec.npy"),
        dir.path().join("f64.npy"),
    );

    let mut t = Table::<Trade>::create(&trades).unwrap();
    t.extend((0..1000).map(trade)).unwrap();
    drop(t); // flushes; the file keeps its spare capacity, which numpy must ignore
    let mut v = Table::<[f32; 8]>::create(&vectors).unwrap();
    v.extend((0..50).map(|i| std::array::from_fn(|j| (i * 8 + j) as f32)))
        .unwrap();
    v.flush().unwrap();
    drop(v);
    let mut f = Table::<f64>::create(&scalars).unwrap();
    f.extend([0.5, -1.25, 1e300]).unwrap();
    f.sync().unwrap();
    drop(f);

    let script = r#"
import sys, numpy as np
t = np.load(sys.argv[1], mmap_mode='r')
print(repr(t.dtype.descr), t.shape, int(t['id'].sum()), float(t['price'].sum()), int(t['qty'].sum()), int(t['side'].sum()))
print(repr(t[999].tolist()[:4]))
t2 = np.load(sys.argv[1])
print(bool((t2 == t).all()), type(t2).__name__)
v = np.load(sys.argv[2], mmap_mode='r+')
print(v.dtype.str, v.shape, float(v.sum()), v[3].tolist())
f = np.load(sys.argv[3])
print(f.dtype.str, f.shape, f.tolist())
"#;
    let out = common::run_python(python, script, &[s(&trades), s(&vectors), s(&scalars)], b"");
    let lines: Vec<&str> = out.lines().collect();
    let want: Vec<Trade> = (0..1000).map(trade).collect();
    assert_eq!(
        lines[0],
        format!(
            "{} (1000,) {} {:?} {} {}",
            Trade::DTYPE.descr(),
            want.iter().map(|t| t.id).sum::<u64>(),
            want.iter().map(|t| t.price).sum::<f64>(),
            want.iter().map(|t| u64::from(t.qty)).sum::<u64>(),
            want.iter().map(|t| u64::from(t.side)).sum::<u64>(),
        )
    );
    assert_eq!(lines[1], "(999, 349.75, 993, 1)");
    assert_eq!(lines[2], "True ndarray");
    let vsum: f32 = (0..400).map(|x| x as f32).sum();
    assert_eq!(
        lines[3],
        format!(
            "<f4 (50, 8) {:?} [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0]",
            f64::from(vsum)
        )
    );
    assert_eq!(lines[4], "<f8 (3,) [0.5, -1.25, 1e+300]");
}

#[test]
fn rust_reads_and_appends_what_numpy_writes() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (trades, vectors, scalars) = (
        dir.path().join("trades.npy"),
        dir.path().join("vec.npy"),
        dir.path().join("f64.npy"),
    );
    let write = r#"
import sys, numpy as np
dt = np.dtype([('id', '<u8'), ('price', '<f8'), ('qty', '<u4'), ('side', '|u1'), ('_pad', 'V3')])
a = np.zeros(5, dtype=dt)
a['id'] = np.arange(5); a['price'] = np.arange(5) * 1.5; a['qty'] = 10; a['side'] = [0, 1, 0, 1, 0]
np.save(sys.argv[1], a)
np.save(sys.argv[2], np.arange(12, dtype=np.float32).reshape(3, 4))
np.save(sys.argv[3], np.linspace(0.0, 1.0, 5))
"#;
    common::run_python(python, write, &[s(&trades), s(&vectors), s(&scalars)], b"");

    let t = Table::<Trade>::open_read(&trades).unwrap();
    let got: Vec<(u64, f64, u32, u8)> = t.iter().map(|t| (t.id, t.price, t.qty, t.side)).collect();
    assert_eq!(
        got,
        [
            (0, 0.0, 10, 0),
            (1, 1.5, 10, 1),
            (2, 3.0, 10, 0),
            (3, 4.5, 10, 1),
            (4, 6.0, 10, 0)
        ]
    );
    drop(t);
    let mut t = Table::<Trade>::open(&trades).unwrap();
    t.extend((5..8).map(trade)).unwrap();
    drop(t);

    let v = Table::<[f32; 4]>::open_read(&vectors).unwrap();
    assert_eq!(v[2], [8.0, 9.0, 10.0, 11.0]);
    drop(v);
    let mut v = Table::<[f32; 4]>::open(&vectors).unwrap();
    v.push([-1.0, -2.0, -3.0, -4.0]).unwrap();
    drop(v);

    let mut f = Table::<f64>::open(&scalars).unwrap();
    assert_eq!(f.as_slice(), &[0.0, 0.25, 0.5, 0.75, 1.0]);
    f.extend([2.0, 3.0]).unwrap();
    f.flush().unwrap();
    drop(f);

    let read = r#"
import sys, numpy as np
t = np.load(sys.argv[1], mmap_mode='r+')
print(t.shape, t['id'].tolist(), t['price'][-1], t['qty'][-1])
t['qty'][0] = 4242
t.flush()
del t
v = np.load(sys.argv[2]); print(v.shape, v[-1].tolist())
f = np.load(sys.argv[3]); print(f.shape, f.tolist())
"#;
    let out = common::run_python(
        common::python3().unwrap(),
        read,
        &[s(&trades), s(&vectors), s(&scalars)],
        b"",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "(8,) [0, 1, 2, 3, 4, 5, 6, 7] {} {}",
            trade(7).price,
            trade(7).qty
        )
    );
    assert_eq!(lines[1], "(4, 4) [-1.0, -2.0, -3.0, -4.0]");
    assert_eq!(lines[2], "(7,) [0.0, 0.25, 0.5, 0.75, 1.0, 2.0, 3.0]");

    // numpy's in-place write through its own memmap is seen by Rust.
    assert_eq!(Table::<Trade>::open_read(&trades).unwrap()[0].qty, 4242);
}

/// A header without room for a wider count (numpy before 1.23 padded headers only to 16
/// bytes; today's numpy leaves 21 spare bytes, so its files are rewritten in place) forces the
/// copy-and-rename path; numpy reads the result.
#[test]
fn numpy_reads_a_relaid_out_file() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tight.npy");
    let text = "{'descr': '<u8', 'fortran_order': False, 'shape': (3,), }";
    let (tight, total) = common::tight_npy(
        text,
        &(10..13u64)
            .flat_map(|v| v.to_ne_bytes())
            .collect::<Vec<u8>>(),
    );
    std::fs::write(&path, &tight).unwrap();
    let check = "import sys, numpy as np; a = np.load(sys.argv[1], mmap_mode='r'); print(a.dtype.str, a.tolist())";
    let before = common::run_python(python, check, &[s(&path)], b"");
    assert_eq!(before.trim(), "<u8 [10, 11, 12]");

    let mut t = Table::<u64>::open(&path).unwrap();
    assert_eq!((total, t.data_offset()), (80, 128)); // moved: a new file was written
    t.push(13).unwrap();
    drop(t);
    let after = common::run_python(common::python3().unwrap(), check, &[s(&path)], b"");
    assert_eq!(after.trim(), "<u8 [10, 11, 12, 13]");
}

#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Accented {
    café: u32,
}

/// numpy stores a field name like `café` as Latin-1 in a 1.0 header; appending from Rust must
/// keep the name numpy sees.
#[test]
fn latin1_field_names_survive_an_append() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("café.npy");
    let write = "import sys, numpy as np\n\
                 np.save(sys.argv[1], np.array([(1,), (2,)], dtype=[('café', '<u4')]))\n\
                 print(open(sys.argv[1], 'rb').read(8)[6])";
    assert_eq!(
        common::run_python(python, write, &[s(&path)], b"").trim(),
        "1"
    ); // format 1.0
    let mut t = Table::<Accented>::open(&path).unwrap();
    t.push(Accented { café: 3 }).unwrap();
    drop(t);
    let read = "import sys, numpy as np; a = np.load(sys.argv[1]); print(a.dtype.names[0], a['café'].tolist())";
    let out = common::run_python(common::python3().unwrap(), read, &[s(&path)], b"");
    assert_eq!(out.trim(), "café [1, 2, 3]");
}

const LIVE_ENV: &str = "RECMAP_NUMPY_LIVE_WRITER";

/// In a child: appends forever, committing every 8 records, with a short pause after each
/// commit so that the table stays small enough for numpy to load thousands of times. A no-op
/// otherwise.
#[test]
fn numpy_live_writer_child() {
    let Some(path) = std::env::var_os(LIVE_ENV) else {
        return;
    };
    let mut t = Table::<Tick>::open_append(&path).expect("writer: open_append");
    let mut i = t.len() as u64;
    loop {
        t.push(Tick::new(i)).expect("writer: push");
        i += 1;
        if i.is_multiple_of(8) {
            t.flush().expect("writer: flush");
            std::thread::sleep(std::time::Duration::from_micros(20));
        }
    }
}

/// numpy re-runs `np.load(path, mmap_mode="r")` thousands of times while a Rust writer
/// process appends and commits: every array it gets holds only whole, correct records, in
/// order, and never fewer than the last one did.
#[test]
fn numpy_reads_whole_records_while_rust_appends() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.npy");
    drop(Table::<Tick>::create(&path).unwrap());
    let mut writer = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "numpy_live_writer_child", "--nocapture"])
        .env(LIVE_ENV, &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let script = r#"
import sys, time
import numpy as np
path = sys.argv[1]
loads, last, t0 = 0, 0, time.monotonic()
while time.monotonic() - t0 < 3.0 or last == 0:
    a = np.load(path, mmap_mode="r")
    n = len(a)
    idx = np.asarray(a["index"])
    chk = np.asarray(a["check"])
    want = np.arange(n, dtype=np.uint64)
    assert (idx == want).all(), f"load {loads}: wrong index among {n} records"
    with np.errstate(over="ignore"):
        good = (want * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(0xDEADBEEF)
    assert (chk == good).all(), f"load {loads}: torn record among {n}"
    assert n >= last, f"load {loads}: {n} records after {last}"
    last, loads = n, loads + 1
    del a
print(loads, last)
"#;
    let out = common::run_python(python, script, &[s(&path)], b"");
    writer.kill().unwrap();
    writer.wait().unwrap();
    let mut words = out.split_whitespace().map(|w| w.parse::<usize>().unwrap());
    let (loads, last) = (words.next().unwrap(), words.next().unwrap());
    eprintln!("numpy loaded the live table {loads} times, up to {last} records");
    assert!(loads >= 100 && last > 0, "{out}");
    let committed = Table::<Tick>::open_read(&path).unwrap();
    assert!(committed.len() >= last);
    assert!(
        committed
            .iter()
            .enumerate()
            .all(|(i, t)| *t == Tick::new(i as u64))
    );
}
