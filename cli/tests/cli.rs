//! The `recmap` command, run as a user would: `info` and `dump` on files Rust and numpy wrote,
//! every kind of bad input (one clear line, non-zero exit, no panic), and `bench --json`.

// The root package's test helpers (Python, numpy, .npy builders, a seeded RNG).
#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output};

use recmap::Table;

#[recmap::record]
#[derive(Clone, Copy, Debug)]
struct Sample {
    id: u32,
    v: [f32; 2],
    flag: i8,
    _pad: [u8; 3],
}

fn recmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recmap"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = recmap(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail: returns its one line of stderr.
fn fails(args: &[&str]) -> String {
    let out = recmap(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("recmap: "), "{err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sample_table(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("samples.npy");
    let mut t = Table::<Sample>::create(&path).unwrap();
    for i in 0..5 {
        t.push(Sample {
            id: i,
            v: [i as f32 * 0.5, -(i as f32)],
            flag: -(i as i8),
            _pad: [0; 3],
        })
        .unwrap();
    }
    drop(t);
    path
}

#[test]
fn info_describes_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_table(dir.path());
    let out = ok(&["info", s(&path)]);
    let len = std::fs::metadata(&path).unwrap().len();
    let header = Table::<Sample>::open_read(&path).unwrap().data_offset() as u64;
    let expected = [
        format!("file:         {}", path.display()),
        "format:       .npy 1.0".into(),
        "dtype:        [('id', '<u4'), ('v', '<f4', (2,)), ('flag', '|i1'), ('', '|V3')]".into(),
        "shape:        (5,)".into(),
        "record size:  16 bytes".into(),
        "count:        5".into(),
        format!("capacity:     {}", (len - header) / 16),
        format!("header size:  {header} bytes"),
        format!("file size:    {len} bytes"),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn dump_decodes_from_the_files_own_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_table(dir.path());
    // `_pad` is padding, written unnamed as numpy writes padding: dump drops it as numpy does.
    let csv = ok(&["dump", s(&path), "--range", "1..3"]);
    assert_eq!(csv, "id,v[0],v[1],flag\n1,0.5,-1.0,-1\n2,1.0,-2.0,-2\n");
    let json = ok(&["dump", s(&path), "--format", "json", "--range", "4.."]);
    assert_eq!(json, "{\"id\": 4, \"v\": [2.0, -4.0], \"flag\": -4}\n");
    assert_eq!(
        ok(&["dump", s(&path), "--range", "..0"]),
        "id,v[0],v[1],flag\n"
    );
}

#[test]
fn dump_reads_what_numpy_wrote() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.npy"),
        dir.path().join("b.npy"),
        dir.path().join("c.npy"),
    );
    let script = r#"
import sys, numpy as np
dt = np.dtype([('t', '>i8'), ('ok', '?'), ('name', 'S5'), ('u', '<U3'), ('h', '<f2'), ('z', '<c8'), ('m', '<u2', (2, 2))])
x = np.zeros(2, dtype=dt)
x[0] = (-7, True, b'ab', 'xyz', 1.5, 1 - 2j, [[1, 2], [3, 4]])
x[1] = (2**40, False, b'hello', 'q', -0.25, 0.5j, [[5, 6], [7, 8]])
np.save(sys.argv[1], x)
np.save(sys.argv[2], np.arange(6, dtype='>u2').reshape(3, 2))
np.save(sys.argv[3], np.array([1, 'two', None], dtype=object))
"#;
    common::run_python(python, script, &[s(&a), s(&b), s(&c)], b"");
    assert_eq!(
        ok(&["dump", s(&a)]),
        "t,ok,name,u,h,z,m[0][0],m[0][1],m[1][0],m[1][1]\n\
         -7,true,ab,xyz,1.5,1.0-2.0j,1,2,3,4\n\
         1099511627776,false,hello,q,-0.25,0.0+0.5j,5,6,7,8\n"
    );
    assert_eq!(
        ok(&["dump", s(&a), "--format", "json", "--range", "0..1"]),
        "{\"t\": -7, \"ok\": true, \"name\": \"ab\", \"u\": \"xyz\", \"h\": 1.5, \"z\": [1.0, -2.0], \"m\": [[1, 2], [3, 4]]}\n"
    );
    assert_eq!(
        ok(&["dump", s(&b), "--format", "json"]),
        "[0, 1]\n[2, 3]\n[4, 5]\n"
    );
    assert!(ok(&["info", s(&b)]).contains("shape:        (3, 2)"));
    let err = fails(&["dump", s(&c)]);
    assert!(
        err.contains("c.npy") && err.contains("unsupported dtype"),
        "{err}"
    );
}

#[test]
fn bad_input_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.npy");
    let err = fails(&["info", s(&missing)]);
    // The OS's own words: ENOENT's, or ERROR_FILE_NOT_FOUND's (whose text varies: "The system
    // cannot find the file specified.", "File not found." under wine), by its code.
    let not_found = if cfg!(windows) {
        "(os error 2)"
    } else {
        "No such file"
    };
    assert!(
        err.contains("missing.npy") && err.contains(not_found),
        "{err}"
    );

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just text").unwrap();
    for cmd in ["info", "dump"] {
        let err = fails(&[cmd, s(&text)]);
        assert!(
            err.contains("notes.txt") && err.contains("not a .npy file"),
            "{err}"
        );
    }

    let path = sample_table(dir.path());
    let err = fails(&["dump", s(&path), "--range", "3..9"]);
    assert!(
        err.contains("samples.npy") && err.contains("has 5 records"),
        "{err}"
    );
    let err = fails(&["dump", s(&path), "--range", "4..2"]);
    assert!(err.contains("4..2"), "{err}");

    let truncated = dir.path().join("cut.npy");
    std::fs::write(&truncated, &std::fs::read(&path).unwrap()[..100]).unwrap();
    let err = fails(&["info", s(&truncated)]);
    assert!(
        err.contains("cut.npy") && err.contains("header needs"),
        "{err}"
    );

    let _writer = Table::<Sample>::open(&path).unwrap();
    let err = fails(&["info", s(&path)]);
    assert!(
        err.contains("samples.npy") && err.contains("held by a writer"),
        "{err}"
    );
}

#[test]
fn bench_json_has_every_workload_and_method() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&[
        "bench",
        "--size",
        "1MiB",
        "--record",
        "64",
        "--json",
        "--dir",
        s(dir.path()),
    ]);
    let re = regex::Regex::new(
        r#"\{"workload": "(\w+)", "method": "(\w+)", "seconds": ([0-9.e-]+), "bytes": (\d+), "ops": (\d+)(?:, "p50_ns": (\d+), "p99_ns": (\d+))?\}"#,
    )
    .unwrap();
    assert!(
        out.starts_with("{\"size_bytes\": 1048576, \"record_bytes\": 64, \"results\": ["),
        "{out}"
    );
    let rows: Vec<(String, String)> = re
        .captures_iter(&out)
        .map(|c| {
            assert!(c[3].parse::<f64>().unwrap() > 0.0);
            assert!(c[4].parse::<u64>().unwrap() > 0 && c[5].parse::<u64>().unwrap() > 0);
            // Latency percentiles come with the tail rows, and only with them.
            assert_eq!(c.get(6).is_some(), &c[1] == "tail", "{}", &c[0]);
            if let (Some(p50), Some(p99)) = (c.get(6), c.get(7)) {
                let (p50, p99) = (
                    p50.as_str().parse::<u64>().unwrap(),
                    p99.as_str().parse::<u64>().unwrap(),
                );
                assert!(p50 > 0 && p50 <= p99, "{}", &c[0]);
            }
            (c[1].to_owned(), c[2].to_owned())
        })
        .collect();
    let want = [
        ("scan", "memory"),
        ("scan", "mmap"),
        ("scan", "read"),
        ("scan", "bufreader"),
        ("random_read", "memory"),
        ("random_read", "mmap"),
        ("random_read", "gather"),
        ("random_read", "pread"),
        ("random_read", "bufreader"),
        ("column", "memory"),
        ("column", "column"),
        ("column", "mmap"),
        ("column", "read"),
        ("random_write", "mmap"),
        ("random_write", "pwrite"),
        ("append", "mmap"),
        ("append", "mmap_followed"),
        ("append", "bufwriter"),
        ("tail", "spin_commit1"),
        ("tail", "spin_commit64"),
        ("tail", "block_commit1"),
        ("tail", "block_commit64"),
        ("tail", "spin_flat_out"),
        ("tail", "block_flat_out"),
    ];
    assert_eq!(rows, want.map(|(w, m)| (w.to_owned(), m.to_owned())));
    // The temporary files are gone.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let err = fails(&["bench", "--size", "1MiB", "--record", "48"]);
    assert!(err.contains("--record 48"), "{err}");
}

// Unix only: SIGINT. On Windows Ctrl-C is a console event, and the bench does not clean up
// after it there (see `cleanup_on_ctrl_c` in cli/src/bench.rs).
#[cfg(unix)]
#[test]
fn ctrl_c_during_bench_removes_the_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_recmap"))
        .args(["bench", "--size", "512MiB", "--dir", s(dir.path())])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the bench has made its file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let has_file = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .any(|d| d.path().join("bench.npy").exists())
    };
    while !has_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "the bench made no file"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: sends SIGINT to our own child process, which is still running (not yet waited).
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temporary files left behind"
    );
}

/// Off Linux, `bench --cold` (page-cache eviction needs posix_fadvise and mincore) refuses in
/// one line before it makes any file, rather than time warm runs as cold ones.
#[cfg(not(target_os = "linux"))]
#[test]
fn bench_cold_off_linux_refuses_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(&["bench", "--size", "1MiB", "--cold", "--dir", s(dir.path())]);
    assert_eq!(
        err,
        "recmap: bench --cold needs Linux: it evicts the file from the page cache with \
         posix_fadvise(POSIX_FADV_DONTNEED), and this OS has no call that drops one file's pages\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn dump_refuses_absurdly_wide_records_instead_of_exhausting_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.npy");
    let text =
        "{'descr': [('v', '|u1', (100000, 100000))], 'fortran_order': False, 'shape': (0,), }";
    let (bytes, _) = common::npy_v1(text.as_bytes(), 64, &[]);
    std::fs::write(&path, &bytes).unwrap();
    let err = fails(&["dump", s(&path)]);
    assert!(
        err.contains("wide.npy") && err.contains("10000000000 columns"),
        "{err}"
    );
    assert_eq!(ok(&["dump", s(&path), "--format", "json"]), "");
}

/// A zero after a huge dimension: records of no bytes and no columns. CSV prints them at once
/// (it used to walk 10^12 empty columns per record); JSON, which would print 10^12 empty lists
/// per record, refuses in one line.
#[test]
fn dump_of_empty_records_with_huge_dimensions_is_immediate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.npy");
    let text = "{'descr': '<u8', 'fortran_order': False, 'shape': (5, 1000000000000, 0), }";
    let (bytes, _) = common::npy_v1(text.as_bytes(), 64, &[]);
    std::fs::write(&path, &bytes).unwrap();
    let start = std::time::Instant::now();
    // The csv crate writes a record without fields as `""`.
    assert_eq!(ok(&["dump", s(&path)]), "\"\"\n".repeat(6));
    let err = fails(&["dump", s(&path), "--format", "json"]);
    assert!(
        err.contains("empty.npy") && err.contains("JSON values"),
        "{err}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

/// Long field names inside a wide subarray: each CSV column repeats the name, so the header
/// alone would be gigabytes. dump refuses in one line, before printing, with little memory.
#[test]
fn dump_refuses_a_csv_header_of_gigabytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.npy");
    let long = "n".repeat(2000);
    let text = format!(
        "{{'descr': [('{long}', '|u1', (1000000,))], 'fortran_order': False, 'shape': (0,), }}"
    );
    let (bytes, _) = common::npy_v1(text.as_bytes(), 64, &[]);
    std::fs::write(&path, &bytes).unwrap();
    let err = fails(&["dump", s(&path)]);
    assert!(
        err.contains("names.npy") && err.contains("1000000 columns"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

/// `bench --peers` runs benches/peers.py on the bench's own file and adds its rows, with the
/// same schema, to `--json`.
#[test]
fn bench_peers_adds_the_python_rows() {
    if common::python3_with_numpy().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&[
        "bench",
        "--size",
        "1MiB",
        "--json",
        "--peers",
        "--dir",
        s(dir.path()),
    ]);
    for (workload, method) in [
        ("random_read", "numpy_take"),
        ("scan", "numpy_memmap"),
        ("scan", "numpy_memory"),
        ("random_read", "cpython_mmap"),
        ("random_read", "cpython_slice"),
        ("random_read", "gather"),
        ("column", "numpy_memmap"),
        ("column", "numpy_memory"),
    ] {
        let row = format!("{{\"workload\": \"{workload}\", \"method\": \"{method}\"");
        assert!(out.contains(&row), "{workload} {method}: {out}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `info DIR` on a directory that is not a dataset: no partitions, or partitions of different
/// record types — one line naming the culprit.
#[test]
fn info_of_a_directory_that_is_not_a_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(&["info", s(dir.path())]);
    assert!(err.contains("no .npy files"), "{err}");
    Table::<u32>::create(dir.path().join("a.npy"))
        .unwrap()
        .push(1)
        .unwrap();
    Table::<u64>::create(dir.path().join("b.npy"))
        .unwrap()
        .push(2)
        .unwrap();
    let err = fails(&["info", s(dir.path())]);
    assert!(
        err.contains("b.npy") && err.contains("a.npy") && err.contains("not one dataset"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    std::fs::remove_file(dir.path().join("b.npy")).unwrap();
    let out = ok(&["info", s(dir.path())]);
    assert!(
        out.contains("partitions:   1") && out.contains("records:      1"),
        "{out}"
    );
}

/// A Fortran-order file whose one record is 70 MB (sparse on disk): `dump` would gather each
/// record into memory, so it refuses in one line before printing anything, in both formats
/// (the record is under the CSV and JSON limits, so this is the refusal that speaks).
#[test]
fn dump_refuses_a_fortran_order_record_too_large_to_gather() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.npy");
    let text = "{'descr': '|S100', 'fortran_order': True, 'shape': (1, 700000), }";
    let (bytes, header_len) = common::npy_v1(text.as_bytes(), 64, &[]);
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(header_len as u64 + 70_000_000).unwrap();

    for format in ["csv", "json"] {
        let out = recmap(&["dump", "--format", format, s(&path)]);
        assert!(!out.status.success(), "{format}: dump succeeded");
        assert!(out.stdout.is_empty(), "{format}: printed before refusing");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            err,
            format!(
                "recmap: {}: a Fortran-order record of 70000000 bytes is too large to gather\n",
                path.display()
            )
        );
    }
    // `info` reads only the header: it describes the file.
    let out = ok(&["info", s(&path)]);
    assert!(out.contains("Fortran"), "{out}");
}

/// `bench --peers` where the peers cannot run (here: the script is missing) says so in one
/// line and still reports recmap's own workloads.
#[test]
fn bench_peers_without_the_peers_says_so_and_runs_its_own_workloads() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_recmap"))
        .args([
            "bench",
            "--size",
            "1MiB",
            "--json",
            "--peers",
            "--dir",
            s(dir.path()),
        ])
        .env("RECMAP_PEERS_SCRIPT", dir.path().join("no-such-peers.py"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let said = if common::python3_with_numpy().is_some() {
        format!(
            "{} not found",
            dir.path().join("no-such-peers.py").display()
        )
    } else {
        "python3 with numpy not found".to_owned()
    };
    assert!(
        stderr.contains(&format!(
            "recmap bench --peers: {said}; ran recmap's own workloads only"
        )),
        "{stderr}"
    );
    assert!(stdout.contains("\"method\": \"gather\""), "{stdout}");
    assert!(!stdout.contains("numpy_take"), "{stdout}");
}

/// `info DIR` sums the partitions' counts without overflow, even when zero-sized records let
/// each file claim 2^63 − 1 of them (three such files used to panic).
#[test]
fn info_of_a_dataset_whose_counts_overflow_u64() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{'descr': '|V0', 'fortran_order': False, 'shape': (9223372036854775807,), }";
    let (bytes, _) = common::npy_v1(text.as_bytes(), 64, &[]);
    for name in ["a.npy", "b.npy", "c.npy"] {
        std::fs::write(dir.path().join(name), &bytes).unwrap();
    }
    let out = ok(&["info", s(dir.path())]);
    assert!(
        out.contains("partitions:   3") && out.contains("records:      27670116110564327421"),
        "{out}"
    );
}

/// `info` prints the dtype as numpy's `descr`, names escaped as Python's `repr()` escapes
/// them: the line is a literal that Python reads back to the same dtype.
#[test]
fn info_prints_names_as_numpy_does() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.npy");
    let script = r#"
import sys, numpy as np
names = ['a\'b"c', "it's", 'say "hi"', 'x\ny', 'tab\there', 'back\\slash', 'é', '\x85',
         '\u200b', '😀', '\x00', '\U0010ffff']
np.save(sys.argv[1], np.zeros(2, dtype=[(n, '<i4') for n in names]))
print(repr(np.load(sys.argv[1]).dtype.descr))
"#;
    let numpy = common::run_python(python, script, &[s(&path)], b"");
    let out = ok(&["info", s(&path)]);
    let dtype = out
        .lines()
        .find_map(|l| l.strip_prefix("dtype:        "))
        .unwrap();
    assert_eq!(format!("{dtype}\n"), numpy);
    assert_eq!(
        dtype,
        r#"[('a\'b"c', '<i4'), ("it's", '<i4'), ('say "hi"', '<i4'), ('x\ny', '<i4'), ('tab\there', '<i4'), ('back\\slash', '<i4'), ('é', '<i4'), ('\x85', '<i4'), ('\u200b', '<i4'), ('😀', '<i4'), ('\x00', '<i4'), ('\U0010ffff', '<i4')]"#
    );
    let check = r#"
import ast, sys, numpy as np
print(ast.literal_eval(sys.stdin.read()) == np.load(sys.argv[1]).dtype.descr)
"#;
    let python = common::python3_with_numpy().unwrap();
    assert_eq!(
        common::run_python(python, check, &[s(&path)], dtype.as_bytes()),
        "True\n"
    );
}

/// Runs `recmap args` with its stdout a pipe whose reader takes `read` bytes and closes it:
/// returns the exit status and stderr.
fn closed_early(args: &[&str], read: usize) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_recmap"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0; read];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `recmap info f | head`, `recmap dump f | head`: the reader closes the pipe after a few
/// bytes, and the command ends quietly with status 0 — no panic, no "Broken pipe" message.
/// The outputs are larger than a pipe holds, so the command is still writing when it closes.
#[test]
fn a_closed_pipe_ends_info_and_dump_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("wide.npy");
    let fields: Vec<String> = (0..20_000).map(|i| format!("('f{i}', '|u1')")).collect();
    let text = format!(
        "{{'descr': [{}], 'fortran_order': False, 'shape': (1,), }}",
        fields.join(", ")
    );
    let mut file = b"\x93NUMPY\x02\x00".to_vec();
    let total = (12 + text.len() + 1).div_ceil(64) * 64;
    file.extend_from_slice(&u32::try_from(total - 12).unwrap().to_le_bytes());
    file.extend_from_slice(text.as_bytes());
    file.resize(total - 1, b' ');
    file.push(b'\n');
    file.resize(total + fields.len(), 7);
    std::fs::write(&wide, file).unwrap();
    assert!(ok(&["info", s(&wide)]).len() > 256 << 10);

    let long = dir.path().join("long.npy");
    let mut t = Table::<u64>::create(&long).unwrap();
    t.extend(0..300_000).unwrap();
    drop(t);

    for args in [
        &["info", s(&wide)][..],
        &["dump", s(&long)],
        &["dump", s(&long), "--format", "json"],
        &["dump", s(&wide), "--format", "json"],
    ] {
        let (status, err) = closed_early(args, 10);
        assert_eq!((status.code(), err.as_str()), (Some(0), ""), "{args:?}");
    }
}

/// `recmap bench | head`: the reader is gone before the report; bench still ends quietly and
/// removes its temporary file.
#[test]
fn a_closed_pipe_ends_bench_quietly_and_cleans_up() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_recmap"))
        .args(["bench", "--size", "1MiB", "--dir", s(dir.path())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!((out.status.code(), &*err), (Some(0), ""));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// numpy drops every unnamed field that is void bytes or a subarray (of anything) when it
/// reads a file — its padding — and keeps an unnamed scalar or struct as a field named `''`;
/// `dump` shows the same fields.
#[test]
fn dump_drops_the_padding_numpy_drops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.npy");
    let descr = "[('a', '<i4'), ('', '|V3', (2,)), ('b', '<u2'), ('', '<i2', (2,)), \
                 ('', [('x', '|u1')], (1,)), ('', ('|V1', (2,))), ('', '<i2')]";
    let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (2,), }}");
    let mut data = Vec::new();
    for i in 0..2u8 {
        data.extend_from_slice(&(-1 - i32::from(i)).to_le_bytes());
        data.extend_from_slice(&[4, 5, 6, 7, 8, 9]);
        data.extend_from_slice(&(10 + u16::from(i)).to_le_bytes());
        data.extend_from_slice(&[1, 0, 2, 0, 3, 0xaa, 0xbb]);
        data.extend_from_slice(&(-20 - i16::from(i)).to_le_bytes());
    }
    std::fs::write(&path, common::npy_v1(text.as_bytes(), 64, &data).0).unwrap();
    assert_eq!(
        ok(&["dump", s(&path)]),
        // The unnamed field's column is `value`, as a bare scalar's.
        "a,b,value\n-1,10,-20\n-2,11,-21\n"
    );
    assert_eq!(
        ok(&["dump", s(&path), "--format", "json"]),
        "{\"a\": -1, \"b\": 10, \"\": -20}\n{\"a\": -2, \"b\": 11, \"\": -21}\n"
    );
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let script = r#"
import sys, numpy as np
x = np.load(sys.argv[1])
print(x.dtype.names, x.tolist())
"#;
    assert_eq!(
        common::run_python(python, script, &[s(&path)], b""),
        "('a', 'b', '') [(-1, 10, -20), (-2, 11, -21)]\n"
    );
}

/// `dump` of long doubles (x87 extended, `<f16`) against numpy's `np.float64(x)`, bit for
/// bit: the f64 subnormal range, where rounding twice went wrong, with ties and near-ties
/// below the last place; normal values; overflow to infinity.
#[test]
fn long_doubles_dump_as_numpy_rounds_them() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let mut rng = common::Rng::new(12);
    let mut values: Vec<(u64, u16)> = vec![(0x8000_0000_0020_0001, 15350)];
    for _ in 0..20_000 {
        let band = rng.below(4);
        let exp = match band {
            0 => 16383 - 1080 + rng.below(60) as u16, // f64 subnormals and their edges
            1 => rng.range(1, 0x7fff) as u16,         // anything finite
            2 => 16383 + 1020 + rng.below(8) as u16,  // around f64's largest
            _ => 16383 - 1023 + rng.below(3) as u16,  // the subnormal/normal border
        };
        let mut m = rng.next_u64() | 1 << 63;
        // Bits below f64's last place (for a subnormal, more than 11): a tie, just above or
        // below one, or random.
        let dropped = (16383 + 63 - 1074 - i32::from(exp)).clamp(11, 63) as u32;
        let low = 1u64 << (dropped - 1);
        m &= !((low << 1) - 1);
        m |= match rng.below(4) {
            0 => low,
            1 => low + 1,
            2 => low - 1,
            _ => rng.next_u64() & ((low << 1) - 1),
        };
        let sign = if rng.below(2) == 0 { 0 } else { 0x8000 };
        values.push((m, exp | sign));
    }
    let mut data = Vec::new();
    for &(m, se) in &values {
        data.extend_from_slice(&m.to_le_bytes());
        data.extend_from_slice(&se.to_le_bytes());
        data.extend_from_slice(&[0; 6]);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.npy");
    let text = format!(
        "{{'descr': '<f16', 'fortran_order': False, 'shape': ({},), }}",
        values.len()
    );
    std::fs::write(&path, common::npy_v1(text.as_bytes(), 64, &data).0).unwrap();
    let script = r#"
import sys, numpy as np
x = np.load(sys.argv[1])
assert x.dtype == np.longdouble and np.finfo(np.longdouble).nmant == 63, "not x87 extended"
print(repr(float(np.float64(x[0]))))
with np.errstate(over='ignore'):
    for b in x.astype(np.float64).view(np.uint64):
        print(f"{int(b):016x}")
"#;
    let numpy = common::run_python(python, script, &[s(&path)], b"");
    let numpy: Vec<&str> = numpy.lines().collect();
    let dump = ok(&["dump", s(&path)]);
    let ours: Vec<&str> = dump.lines().skip(1).collect();
    // The value that was rounded twice, as numpy and Python print it.
    assert_eq!(numpy[0], "1.0864618449747e-311");
    assert_eq!(ours[0], "1.0864618449747e-311");
    assert_eq!((numpy.len() - 1, ours.len()), (values.len(), values.len()));
    let mut wrong = Vec::new();
    for (i, (want, got)) in numpy[1..].iter().zip(&ours).enumerate() {
        let got = got.parse::<f64>().unwrap().to_bits();
        let want = u64::from_str_radix(want, 16).unwrap();
        if got != want {
            let (m, se) = values[i];
            wrong.push(format!(
                "{m:#018x} {se:#06x}: numpy {want:#018x}, recmap {got:#018x}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ, e.g.\n{}",
        wrong.len(),
        values.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
}

/// A directory given to `dump` (which reads one file) is refused as a directory, in one line
/// naming it — not mmap's "No such device"; `info` reads a directory as a dataset, and one
/// with no .npy files in it (a directory named `x.npy` is no partition) is not one.
#[test]
fn dump_of_a_directory_says_it_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("x.npy");
    std::fs::create_dir(&named).unwrap();
    // Unix opens a directory and refuses to map it; Windows refuses to open it as a file
    // (access denied), which recmap says as the same "is a directory".
    let verb = if cfg!(windows) { "open" } else { "map" };
    for path in [dir.path(), &named] {
        let err = fails(&["dump", s(path)]);
        assert_eq!(
            err,
            format!("recmap: cannot {verb} {}: is a directory\n", path.display())
        );
    }
    for path in [dir.path(), &named] {
        let err = fails(&["info", s(path)]);
        assert_eq!(
            err,
            format!("recmap: {}: no .npy files: not a dataset\n", path.display())
        );
    }
}

/// Five records `(id <u4, price <f8, v <i2 (2,))`: record `i` is `(i, 1.5 i, [i, -i])`. Written
/// byte by byte, so the test does not depend on how a Rust record names its padding.
fn five_quotes(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("quotes.npy");
    let text = "{'descr': [('id', '<u4'), ('price', '<f8'), ('v', '<i2', (2,))], \
                'fortran_order': False, 'shape': (5,), }";
    let mut data = Vec::new();
    for i in 0..5u8 {
        data.extend_from_slice(&u32::from(i).to_le_bytes());
        data.extend_from_slice(&(f64::from(i) * 1.5).to_le_bytes());
        data.extend_from_slice(&i16::from(i).to_le_bytes());
        data.extend_from_slice(&(-i16::from(i)).to_le_bytes());
    }
    std::fs::write(&path, common::npy_v1(text.as_bytes(), 64, &data).0).unwrap();
    path
}

/// `dump --tail N`: the last N records, all of them when there are fewer, none for 0.
#[test]
fn dump_tail_prints_the_last_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = five_quotes(dir.path());
    assert_eq!(
        ok(&["dump", s(&path), "--tail", "2"]),
        "id,price,v[0],v[1]\n3,4.5,3,-3\n4,6.0,4,-4\n"
    );
    assert_eq!(
        ok(&["dump", s(&path), "--tail", "1", "--format", "json"]),
        "{\"id\": 4, \"price\": 6.0, \"v\": [4, -4]}\n"
    );
    assert_eq!(
        ok(&["dump", s(&path), "--tail", "9"]),
        ok(&["dump", s(&path)])
    );
    assert_eq!(
        ok(&["dump", s(&path), "--tail", "0"]),
        "id,price,v[0],v[1]\n"
    );
    // --tail and --range do not mix: clap says so (status 2).
    let out = recmap(&["dump", s(&path), "--tail", "1", "--range", "0..1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{out:?}"
    );
}

/// A reversed range says it is reversed (not "past the end"); one past the end says that;
/// an empty range prints no record and succeeds: CSV's header line alone, no JSON line.
#[test]
fn dump_ranges_reversed_empty_and_past_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = five_quotes(dir.path());
    assert_eq!(
        fails(&["dump", s(&path), "--range", "5..2"]),
        "recmap: --range 5..2 is reversed: it starts after it ends (did you mean 2..5?)\n"
    );
    for range in ["2..2", "5..", "..0", "0..0"] {
        assert_eq!(
            ok(&["dump", s(&path), "--range", range]),
            "id,price,v[0],v[1]\n",
            "{range}"
        );
        assert_eq!(
            ok(&["dump", s(&path), "--range", range, "--format", "json"]),
            "",
            "{range}"
        );
    }
    assert_eq!(
        fails(&["dump", s(&path), "--range", "3..9"]),
        format!(
            "recmap: {}: range 3..9 is past the end: the file has 5 records\n",
            path.display()
        )
    );
    assert_eq!(
        fails(&["dump", s(&path), "--range", "6.."]),
        format!(
            "recmap: {}: range 6.. is past the end: the file has 5 records\n",
            path.display()
        )
    );
}

/// `dump --fields a,b`: only those fields, in that order, in both formats and with the row
/// options; an unknown field is named with the fields there are; a repeated one, or fields
/// of records that have none, are refused in one line.
#[test]
fn dump_fields_prints_only_those_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = five_quotes(dir.path());
    assert_eq!(
        ok(&["dump", s(&path), "--fields", "price,id", "--range", "1..3"]),
        "price,id\n1.5,1\n3.0,2\n"
    );
    assert_eq!(
        ok(&["dump", s(&path), "--fields", "v", "--tail", "2"]),
        "v[0],v[1]\n3,-3\n4,-4\n"
    );
    assert_eq!(
        ok(&[
            "dump",
            s(&path),
            "--fields",
            "v,id",
            "--format",
            "json",
            "--tail",
            "1"
        ]),
        "{\"v\": [4, -4], \"id\": 4}\n"
    );
    let name = path.display();
    assert_eq!(
        fails(&["dump", s(&path), "--fields", "id,qty"]),
        format!("recmap: {name}: no field `qty`: the fields are id, price, v\n")
    );
    assert_eq!(
        fails(&["dump", s(&path), "--fields", "id,id"]),
        format!("recmap: {name}: --fields names `id` twice\n")
    );
    let plain = dir.path().join("plain.npy");
    Table::<u64>::create(&plain).unwrap().extend(0..3).unwrap();
    assert_eq!(
        fails(&["dump", s(&plain), "--fields", "id"]),
        format!(
            "recmap: {}: --fields picks fields of structured records; these records are '<u8'\n",
            plain.display()
        )
    );
}
