//! `recmap::Map` against CPython's `mmap` module.
//!
//! Hundreds of random operation sequences run through both on identical files; every result
//! (value, or error-or-not), the cursor, the mapped bytes and the file bytes afterwards must
//! agree. The sequences are seeded: set `RECMAP_PARITY_SEED` to replay a failing seed.
//!
//! Where CPython deliberately differs from recmap's contract, the generator stays inside
//! CPython's rules and `documented_differences_from_cpython` checks the difference itself:
//! - offsets: CPython needs a multiple of ALLOCATIONGRANULARITY, recmap takes any;
//! - lengths past the end: CPython refuses, a recmap `Write` map extends the file;
//! - empty files: CPython cannot map them, recmap maps an empty `Map`;
//! - `find`/`rfind` without a start: CPython starts at the cursor, recmap at 0 (the
//!   generated calls always pass both bounds);
//! - `resize(0)`: CPython on Linux truncates the file and then fails in `mremap`; recmap
//!   gives an empty map (not generated; tested in tests/map.rs);
//! - `seek` with a negative absolute position: unrepresentable in `SeekFrom::Start(u64)`,
//!   so whence-0 seeks are generated non-negative.
//! - slice assignment `m[a:a+n] = data` with empty `data`: CPython clamps the slice and
//!   accepts even `a > len`; recmap's `write_at` refuses ranges that start past the end, so
//!   generated assignments are non-empty.

mod common;

use std::fmt::Write as _;
use std::io::{Seek, SeekFrom, Write};

use common::Rng;
use recmap::{Access, Map, MapOptions};

const ORACLE: &str = include_str!("python/mmap_oracle.py");
const ALPHABET: &[u8] = b"ab\nx\0";
const SEQUENCES: u64 = 400;

#[derive(Debug, Clone)]
enum Op {
    Read(usize),
    ReadAll,
    ReadByte,
    Readline,
    Write(Vec<u8>),
    WriteByte(u8),
    Seek(i64, u8),
    Find(Vec<u8>, usize, usize),
    Rfind(Vec<u8>, usize, usize),
    Move(usize, usize, usize),
    Assign(usize, Vec<u8>),
    Resize(usize),
    Tell,
    Size,
    Len,
}

fn hx(data: &[u8]) -> String {
    if data.is_empty() {
        return "-".into();
    }
    data.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Op {
    fn random(rng: &mut Rng, len: usize) -> Op {
        let l = len as i64;
        let pos = |rng: &mut Rng| rng.below(len + 4);
        match rng.below(15) {
            0 => Op::Read(pos(rng)),
            1 => Op::ReadAll,
            2 => Op::ReadByte,
            3 => Op::Readline,
            4 => Op::Write(rng.bytes_from(ALPHABET, 0, 7)),
            5 => Op::WriteByte(rng.below(256) as u8),
            6 => match rng.below(3) {
                0 => Op::Seek(rng.range(0, l + 3), 0),
                1 => Op::Seek(rng.range(-l - 2, l + 3), 1),
                _ => Op::Seek(rng.range(-l - 2, 3), 2),
            },
            7 => Op::Find(rng.bytes_from(ALPHABET, 0, 4), pos(rng), pos(rng)),
            8 => Op::Rfind(rng.bytes_from(ALPHABET, 0, 4), pos(rng), pos(rng)),
            9 => Op::Move(pos(rng), pos(rng), rng.below(len / 2 + 3)),
            10 => Op::Assign(pos(rng), rng.bytes_from(ALPHABET, 1, 6)),
            11 => Op::Resize(1 + rng.below(2 * len + 2)),
            12 => Op::Tell,
            13 => Op::Size,
            _ => Op::Len,
        }
    }

    /// The oracle's input line.
    fn line(&self) -> String {
        match self {
            Op::Read(n) => format!("read {n}"),
            Op::ReadAll => "readall".into(),
            Op::ReadByte => "read_byte".into(),
            Op::Readline => "readline".into(),
            Op::Write(d) => format!("write {}", hx(d)),
            Op::WriteByte(b) => format!("write_byte {b}"),
            Op::Seek(off, whence) => format!("seek {off} {whence}"),
            Op::Find(n, s, e) => format!("find {} {s} {e}", hx(n)),
            Op::Rfind(n, s, e) => format!("rfind {} {s} {e}", hx(n)),
            Op::Move(d, s, c) => format!("move {d} {s} {c}"),
            Op::Assign(s, d) => format!("assign {s} {}", hx(d)),
            Op::Resize(n) => format!("resize {n}"),
            Op::Tell => "tell".into(),
            Op::Size => "size".into(),
            Op::Len => "len".into(),
        }
    }

    /// Runs the operation on a recmap `Map`; the result line in the oracle's format.
    fn apply(&self, m: &mut Map) -> String {
        let res: Result<String, Box<dyn std::error::Error>> = match self {
            Op::Read(n) => Ok(hx(m.read_slice(*n))),
            Op::ReadAll => Ok(hx(m.read_slice(usize::MAX))),
            Op::ReadByte => m.read_byte().map(|b| b.to_string()).map_err(Into::into),
            Op::Readline => Ok(hx(m.readline())),
            Op::Write(d) => m.write(d).map(|_| String::new()).map_err(Into::into),
            Op::WriteByte(b) => m.write_byte(*b).map(|_| String::new()).map_err(Into::into),
            Op::Seek(off, whence) => {
                let to = match whence {
                    0 => SeekFrom::Start(*off as u64),
                    1 => SeekFrom::Current(*off),
                    _ => SeekFrom::End(*off),
                };
                m.seek(to).map(|_| String::new()).map_err(Into::into)
            }
            Op::Find(n, s, e) => Ok(m.find(n, *s..*e).map_or(-1, |i| i as i64).to_string()),
            Op::Rfind(n, s, e) => Ok(m.rfind(n, *s..*e).map_or(-1, |i| i as i64).to_string()),
            Op::Move(d, s, c) => m
                .move_bytes(*d, *s, *c)
                .map(|_| String::new())
                .map_err(Into::into),
            Op::Assign(s, d) => m.write_at(*s, d).map(|_| String::new()).map_err(Into::into),
            Op::Resize(n) => m.resize(*n).map(|_| String::new()).map_err(Into::into),
            Op::Tell => Ok(m.tell().to_string()),
            Op::Size => m.file_size().map(|s| s.to_string()).map_err(Into::into),
            Op::Len => Ok(m.len().to_string()),
        };
        match res {
            Ok(s) => format!("ok {s}").trim_end().to_owned(),
            Err(_) => "err".into(),
        }
    }
}

struct Sequence {
    id: u64,
    access: Access,
    offset: usize,
    contents: Vec<u8>,
    ops: Vec<Op>,
}

impl Sequence {
    fn random(id: u64, seed: u64) -> Sequence {
        let mut rng = Rng::new(seed);
        let access = match rng.below(5) {
            0 => Access::Read,
            1 => Access::Copy,
            _ => Access::Write,
        };
        let len = 1 + rng.below(48);
        // One sequence in ten maps at a page offset (CPython needs a page multiple).
        let offset = if rng.below(10) == 0 {
            recmap::allocation_granularity()
        } else {
            0
        };
        let contents = rng.bytes_from(ALPHABET, offset + len, offset + len + 1);
        let ops = (0..1 + rng.below(25))
            .map(|_| Op::random(&mut rng, len))
            .collect();
        Sequence {
            id,
            access,
            offset,
            contents,
            ops,
        }
    }

    fn oracle_input(&self, out: &mut String) {
        let access = match self.access {
            Access::Read => "r",
            Access::Write => "w",
            Access::Copy => "c",
        };
        let _ = writeln!(
            out,
            "seq {} {access} {} {}",
            self.id,
            self.offset,
            hx(&self.contents)
        );
        for op in &self.ops {
            let _ = writeln!(out, "{}", op.line());
        }
        out.push_str("end\n");
    }

    /// The same run through recmap, in the oracle's output format.
    fn run_recmap(&self, dir: &std::path::Path) -> Vec<String> {
        let path = dir.join(format!("seq{}", self.id));
        std::fs::write(&path, &self.contents).unwrap();
        let mut out = vec![format!("seq {}", self.id)];
        let mut m = MapOptions::new()
            .access(self.access)
            .offset(self.offset as u64)
            .open(&path)
            .unwrap();
        out.extend(self.ops.iter().map(|op| op.apply(&mut m)));
        out.push(format!("pos {}", m.tell()));
        out.push(format!("mem {}", hx(&m)));
        m.close().unwrap();
        out.push(format!("file {}", hx(&std::fs::read(&path).unwrap())));
        std::fs::remove_file(&path).unwrap();
        out
    }
}

#[test]
fn random_sequences_match_cpython_mmap() {
    let Some(python) = common::python3() else {
        return;
    };
    let base: u64 = std::env::var("RECMAP_PARITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026);
    let seqs: Vec<Sequence> = (0..SEQUENCES)
        .map(|i| Sequence::random(i, base.wrapping_add(i)))
        .collect();

    let mut input = String::new();
    seqs.iter().for_each(|s| s.oracle_input(&mut input));
    let expected = common::run_python(python, ORACLE, &[], input.as_bytes());
    let mut expected = expected.lines();

    let dir = tempfile::tempdir().unwrap();
    let mut ops_checked = 0;
    for seq in &seqs {
        let got = seq.run_recmap(dir.path());
        for (i, line) in got.iter().enumerate() {
            let want = expected.next().unwrap_or("<oracle output ended>");
            if line != want {
                let step = i.checked_sub(1).and_then(|k| seq.ops.get(k));
                panic!(
                    "recmap differs from CPython mmap: seed {} (RECMAP_PARITY_SEED={base}, \
                     sequence {}), {:?} map at offset {} of a file whose mapped part is {}\nops:\n{}\n\
                     at output line {i} (op {:?}):\n  CPython: {want}\n  recmap:  {line}",
                    base.wrapping_add(seq.id),
                    seq.id,
                    seq.access,
                    seq.offset,
                    hx(&seq.contents[seq.offset..]),
                    seq.ops.iter().map(Op::line).collect::<Vec<_>>().join("\n"),
                    step.map(Op::line),
                );
            }
        }
        ops_checked += seq.ops.len();
    }
    assert_eq!(expected.next(), None, "CPython printed more than recmap");
    assert!(
        ops_checked > 1000,
        "only {ops_checked} operations were compared"
    );
    eprintln!("compared {ops_checked} operations in {SEQUENCES} sequences with CPython");
}

/// Each deliberate difference from CPython, checked on both sides.
#[test]
fn documented_differences_from_cpython() {
    let Some(_) = common::python3() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"0123456789").unwrap();
    let p = path.to_str().unwrap();
    let cpython = |snippet: &str| {
        let script = format!(
            "import mmap, sys\nf = open(sys.argv[1], 'r+b')\ntry:\n    {snippet}\n    \
             print('ok')\nexcept Exception as e:\n    print(type(e).__name__)"
        );
        common::run_python(common::python3().unwrap(), &script, &[p], b"")
            .trim()
            .to_owned()
    };

    // An offset that is not a multiple of ALLOCATIONGRANULARITY.
    // (CPython checks this itself on some versions, ValueError; on others mmap(2) fails, OSError.)
    let refused = cpython("mmap.mmap(f.fileno(), 4, offset=3)");
    assert!(
        ["ValueError", "OSError"].contains(&refused.as_str()),
        "CPython said {refused}"
    );
    let m = MapOptions::new().offset(3).len(4).open(&path).unwrap();
    assert_eq!(&m[..], b"3456");
    drop(m);

    // A length past the end of the file.
    assert_eq!(cpython("mmap.mmap(f.fileno(), 12)"), "ValueError");
    let m = MapOptions::new()
        .access(Access::Write)
        .len(12)
        .open(&path)
        .unwrap();
    assert_eq!(&m[..], b"0123456789\0\0");
    drop(m);
    assert_eq!(std::fs::read(&path).unwrap(), b"0123456789\0\0");

    // An empty file.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let script = "import mmap, sys\nf = open(sys.argv[1], 'rb')\ntry:\n    mmap.mmap(f.fileno(), 0, \
                  access=mmap.ACCESS_READ)\n    print('ok')\nexcept Exception as e:\n    \
                  print(type(e).__name__)";
    let out = common::run_python(
        common::python3().unwrap(),
        script,
        &[empty.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.trim(), "ValueError");
    assert!(Map::open(&empty, Access::Read).unwrap().is_empty());
}
