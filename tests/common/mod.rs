//! Helpers shared by the integration tests: finding Python (and numpy), and a small seeded
//! random number generator for the generated tests.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// `python3`, if it runs. Under CI (`CI` set) a missing Python fails the test instead of
/// skipping it, so the cross-checks cannot silently stop running.
pub fn python3() -> Option<Command> {
    if skip_under_wine(
        "a Windows test binary cannot start the Linux python3 (the Linux build runs this cross-check)",
    ) {
        return None;
    }
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(Command::new("python3"));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "python3 is required under CI (.ci/run installs it)"
    );
    eprintln!("SKIPPED: python3 not found; the CPython cross-check did not run");
    None
}

/// `python3` with numpy importable; skips (or fails under CI) as [`python3`] does.
pub fn python3_with_numpy() -> Option<Command> {
    let mut probe = python3()?;
    let ok = probe
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return python3();
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "numpy is required under CI (.ci/run runs `pip install numpy`)"
    );
    eprintln!("SKIPPED: numpy not importable; the numpy cross-check did not run");
    None
}

/// Runs `python3 -c script args...`, feeding `stdin`; returns stdout, panicking with stderr
/// if Python fails.
pub fn run_python(mut python: Command, script: &str, args: &[&str], stdin: &[u8]) -> String {
    let mut child = python
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write to python3");
    let out = child.wait_with_output().expect("wait for python3");
    assert!(
        out.status.success(),
        "python3 failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("python output is UTF-8")
}

/// SplitMix64: a tiny, seedable generator, so a failing case is reproduced from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi` (`hi > lo`).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `lo..hi` bytes (a random count) drawn from `alphabet`.
    pub fn bytes_from(&mut self, alphabet: &[u8], lo: usize, hi: usize) -> Vec<u8> {
        let n = lo + self.below(hi - lo);
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

/// A format 1.0 .npy file: header `text` (raw bytes, so Latin-1 names can be tested) padded
/// with spaces to a multiple of `align`, then `data`. Returns the bytes and the header's size.
pub fn npy_v1(text: &[u8], align: usize, data: &[u8]) -> (Vec<u8>, usize) {
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    let total = (10 + text.len() + 1).div_ceil(align) * align;
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(text);
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out.extend_from_slice(data);
    (out, total)
}

/// A header padded only to 16 bytes, as numpy before 1.23 wrote them: no room for a wider
/// count, so opening it for writing must re-lay it out.
pub fn tight_npy(text: &str, data: &[u8]) -> (Vec<u8>, usize) {
    npy_v1(text.as_bytes(), 16, data)
}

/// The trade record the table, view and numpy tests share.
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trade {
    pub id: u64,
    pub price: f64,
    pub qty: u32,
    pub side: u8,
    pub _pad: [u8; 3],
}

/// A record that checks itself: its index and a checksum of it (the live-reader tests).
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    pub index: u64,
    pub check: u64,
}

impl Tick {
    pub fn new(index: u64) -> Tick {
        Tick {
            index,
            check: index.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef,
        }
    }
}

/// The next line a child test process prints, without its newline, past the test harness's
/// own lines (`running 1 test`, blank lines, and the `test CHILD ... ` prefix that comes before
/// the child test's first line). Reads a byte at a time, so nothing the child prints later is
/// swallowed by a buffer between calls; `""` once the child's output ends.
pub fn child_line(out: &mut impl std::io::Read, child: &str) -> String {
    let prefix = format!("test {child} ... ");
    loop {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            match out.read(&mut byte) {
                Ok(1) if byte[0] != b'\n' => line.push(byte[0]),
                Ok(1) => break,
                _ if line.is_empty() => return String::new(),
                _ => break,
            }
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        let line = line.strip_prefix(&prefix).unwrap_or(line);
        if !line.is_empty() && !line.starts_with("running ") {
            return line.to_owned();
        }
    }
}

/// Writes `buf` at byte `offset` of `file`, whole (`pwrite`; `WriteFile` at an offset on
/// Windows), panicking on error.
pub fn write_at(file: &std::fs::File, buf: &[u8], offset: u64) {
    #[cfg(unix)]
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset).unwrap();
    #[cfg(windows)]
    {
        let n = std::os::windows::fs::FileExt::seek_write(file, buf, offset).unwrap();
        assert_eq!(n, buf.len(), "a short write");
    }
}

/// Whether the test runs under wine (`.ci/cross` sets `RECMAP_UNDER_WINE`), where what
/// Windows allows is not always emulated; if so, says why the caller skips.
pub fn skip_under_wine(why: &str) -> bool {
    let wine = cfg!(windows) && std::env::var_os("RECMAP_UNDER_WINE").is_some();
    if wine {
        eprintln!("SKIPPED under wine: {why}");
    }
    wine
}
