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
//!
//! # Record and replay: the Windows build against the Linux oracle
//!
//! A Windows test binary under wine cannot start the Linux `python3`, so CPython's answers
//! are recorded on Linux and replayed there:
//!
//! - `RECMAP_PARITY_RECORD=<dir>` (a run that has python3): each oracle call's input — the
//!   script, its arguments and its stdin — is written to `<dir>/<test>.<n>.in` and CPython's
//!   output to `<dir>/<test>.<n>.out`, `n` counting the test's calls from 0; recmap is
//!   checked against CPython as in any run.
//! - `RECMAP_PARITY_REPLAY=<dir>` (no python3 needed): each call's expected output is read
//!   from `<dir>` after the input this run generated is checked to be byte-identical to the
//!   recorded one. A missing recording, a different input, or a recording with calls this run
//!   did not make fails the test; nothing is skipped.
//!
//! The inputs do not depend on the machine: the sequences are seeded, files are named
//! relative to the directory Python runs in, and the offsets are 64 KiB multiples
//! ([`MAP_OFFSET`]), not this machine's `ALLOCATIONGRANULARITY`.
//!
//! # What differs on Windows, from CPython's `mmap` documentation
//!
//! The Linux oracle stands for CPython on Windows only where the two behave alike. Where the
//! documentation says they do not:
//! - `ALLOCATIONGRANULARITY` is 64 KiB on Windows (the page size on Linux), and `offset` must
//!   be a multiple of it: the generator maps at [`MAP_OFFSET`] = 64 KiB, valid on both (a
//!   sequence generated with Linux's 4 KiB would be refused by CPython on Windows).
//! - a length past the end of the file: Windows CPython extends the file to it, Unix CPython
//!   raises `ValueError`. Not generated (maps cover the file); `documented_differences_from_cpython`
//!   checks recmap's extension against the Unix answer — on Windows, CPython and recmap agree.
//! - `resize` raises `OSError` on Windows when another map of the same file (or of the same
//!   `tagname`) is held, and an anonymous (pagefile) map is resized by copying into a new one:
//!   not generated (each sequence holds one map, of a file).
//! - `tagname` (a named mapping) exists only on Windows, and `flags`, `prot`, `trackfd` and
//!   `madvise` only on Unix: none is generated. (recmap's `tagname`, `Map::named`, exists on
//!   every OS and is tested by itself, across processes, in `tests/map.rs`.)
//! - an empty file cannot be mapped on either ("you cannot create an empty mapping on
//!   Windows"; `ValueError` on Unix too), so the empty-file check holds on both.
//!
//! Every generated operation — reads, writes, seeks, `find`/`rfind`, `move`, slice
//! assignment, `resize` of the one map (file and map change together: Windows CPython unmaps
//! its view, sets the end of file and maps again), `size`, `tell`, `len` — is documented alike
//! on both, so all of them are replayed on Windows.

mod common;

use std::fmt::Write as _;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use common::Rng;
use recmap::{Access, Map, MapOptions};

const ORACLE: &str = include_str!("python/mmap_oracle.py");
const ALPHABET: &[u8] = b"ab\nx\0";
const SEQUENCES: u64 = 400;

/// The offset of the sequences that map past the start of their file: 64 KiB, Windows'
/// `ALLOCATIONGRANULARITY` and a multiple of every page size recmap runs on, so a sequence
/// recorded on Linux is valid for CPython (and replayed) on Windows.
const MAP_OFFSET: usize = 64 << 10;

/// Where CPython's answers come from: Python run here (its calls recorded into a directory,
/// or not), or a recording replayed. See the module docs.
enum Source {
    Live,
    Record(PathBuf),
    Replay(PathBuf),
}

/// CPython as the oracle of one test: its calls, numbered in order.
struct Oracle {
    test: &'static str,
    calls: usize,
    source: Source,
}

impl Oracle {
    /// The oracle for `test`, or `None` (having said why) when there is neither python3 nor
    /// a recording to replay.
    fn new(test: &'static str) -> Option<Oracle> {
        let record = std::env::var_os("RECMAP_PARITY_RECORD").map(PathBuf::from);
        let replay = std::env::var_os("RECMAP_PARITY_REPLAY").map(PathBuf::from);
        let source = match (record, replay) {
            (Some(_), Some(_)) => {
                panic!("RECMAP_PARITY_RECORD and RECMAP_PARITY_REPLAY are both set: pick one")
            }
            (None, Some(dir)) => {
                assert!(
                    dir.is_dir(),
                    "RECMAP_PARITY_REPLAY={}: no such directory (record one on Linux with \
                     RECMAP_PARITY_RECORD)",
                    dir.display()
                );
                Source::Replay(dir)
            }
            (record, None) => {
                if common::skip_under_wine(
                    "no RECMAP_PARITY_REPLAY recording of the Linux CPython oracle was given",
                ) {
                    return None;
                }
                common::python3()?;
                match record {
                    Some(dir) => {
                        std::fs::create_dir_all(&dir).unwrap();
                        // A recording is whole: drop this test's calls of an earlier one.
                        let prefix = format!("{test}.");
                        for entry in std::fs::read_dir(&dir).unwrap() {
                            let entry = entry.unwrap();
                            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                                std::fs::remove_file(entry.path()).unwrap();
                            }
                        }
                        Source::Record(dir)
                    }
                    None => Source::Live,
                }
            }
        };
        Some(Oracle {
            test,
            calls: 0,
            source,
        })
    }

    /// Everything Python is given, as recorded: the script, the arguments and stdin.
    fn input(script: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let mut out = format!("script {}\n{script}\nargs {}\n", script.len(), args.len());
        for a in args {
            let _ = writeln!(out, "{a}");
        }
        let _ = writeln!(out, "stdin {}", stdin.len());
        let mut out = out.into_bytes();
        out.extend_from_slice(stdin);
        out
    }

    /// `python3 -c script args...` in `cwd` with `stdin`, or its recorded answer: stdout.
    fn run(&mut self, script: &str, args: &[&str], cwd: &Path, stdin: &[u8]) -> String {
        let name = format!("{}.{}", self.test, self.calls);
        self.calls += 1;
        let live = || {
            let mut python = common::python3().unwrap();
            python.current_dir(cwd);
            common::run_python(python, script, args, stdin)
        };
        match &self.source {
            Source::Live => live(),
            Source::Record(dir) => {
                let out = live();
                std::fs::write(
                    dir.join(format!("{name}.in")),
                    Self::input(script, args, stdin),
                )
                .unwrap();
                std::fs::write(dir.join(format!("{name}.out")), &out).unwrap();
                out
            }
            Source::Replay(dir) => {
                let path = dir.join(format!("{name}.in"));
                let recorded = std::fs::read(&path).unwrap_or_else(|e| {
                    panic!(
                        "{}: {e}: the recording has no call {name} (record again on Linux with \
                         RECMAP_PARITY_RECORD)",
                        path.display()
                    )
                });
                let input = Self::input(script, args, stdin);
                if recorded != input {
                    let (want, got) = (
                        String::from_utf8_lossy(&recorded),
                        String::from_utf8_lossy(&input),
                    );
                    let (line, (w, g)) = want
                        .lines()
                        .map(Some)
                        .chain(std::iter::repeat(None))
                        .zip(got.lines().map(Some).chain(std::iter::repeat(None)))
                        .enumerate()
                        // The first differing line past the length headers, which differ with it.
                        .find(|(_, (w, g))| {
                            w != g
                                && !["script ", "stdin "].iter().any(|h| {
                                    w.is_some_and(|w| w.starts_with(h))
                                        && g.is_some_and(|g| g.starts_with(h))
                                })
                        })
                        .unwrap_or((0, (None, None)));
                    let cut = |l: Option<&str>| {
                        l.map_or("<none>".to_owned(), |l| l.chars().take(200).collect())
                    };
                    panic!(
                        "{}: the input this run generated for call {name} is not the recorded one \
                         ({} bytes recorded, {} generated); first difference at line {}:\n  \
                         recorded:  {}\n  generated: {}",
                        path.display(),
                        recorded.len(),
                        input.len(),
                        line + 1,
                        cut(w),
                        cut(g)
                    );
                }
                let path = dir.join(format!("{name}.out"));
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            }
        }
    }

    /// Ends the test's calls: a replayed recording must hold no call beyond them.
    fn finish(self) {
        if let Source::Replay(dir) = &self.source {
            let next = dir.join(format!("{}.{}.in", self.test, self.calls));
            assert!(
                !next.exists(),
                "{}: the recording has more calls than the {} this run made",
                next.display(),
                self.calls
            );
        }
    }
}

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
        // One sequence in ten maps at an offset (CPython needs a multiple of its
        // ALLOCATIONGRANULARITY, which 64 KiB is on every OS: see the module docs).
        let offset = if rng.below(10) == 0 { MAP_OFFSET } else { 0 };
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
    let Some(mut oracle) = Oracle::new("random_sequences_match_cpython_mmap") else {
        return;
    };
    assert_eq!(MAP_OFFSET % recmap::allocation_granularity(), 0);
    let base: u64 = std::env::var("RECMAP_PARITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026);
    let seqs: Vec<Sequence> = (0..SEQUENCES)
        .map(|i| Sequence::random(i, base.wrapping_add(i)))
        .collect();

    let mut input = String::new();
    seqs.iter().for_each(|s| s.oracle_input(&mut input));
    let dir = tempfile::tempdir().unwrap();
    let expected = oracle.run(ORACLE, &[], dir.path(), input.as_bytes());
    oracle.finish();
    let mut expected = expected.lines();

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
    let replayed = std::env::var("RECMAP_PARITY_REPLAY")
        .map(|d| format!(" (its answers replayed from {d})"))
        .unwrap_or_default();
    eprintln!("compared {ops_checked} operations in {SEQUENCES} sequences with CPython{replayed}");
}

/// Each deliberate difference from CPython, checked on both sides.
#[test]
fn documented_differences_from_cpython() {
    let Some(mut oracle) = Oracle::new("documented_differences_from_cpython") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"0123456789").unwrap();
    // Python runs in `dir` and is given the file's name there: the same input on every machine.
    let mut cpython = |snippet: &str| {
        let script = format!(
            "import mmap, sys\nf = open(sys.argv[1], 'r+b')\ntry:\n    {snippet}\n    \
             print('ok')\nexcept Exception as e:\n    print(type(e).__name__)"
        );
        oracle
            .run(&script, &["f"], dir.path(), b"")
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

    // A length past the end of the file. (Unix CPython refuses; Windows CPython extends the
    // file as recmap does: on Windows the answer checked is the Linux oracle's.)
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
    let out = oracle.run(script, &["empty"], dir.path(), b"");
    oracle.finish();
    assert_eq!(out.trim(), "ValueError");
    assert!(Map::open(&empty, Access::Read).unwrap().is_empty());
}
