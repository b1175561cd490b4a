//! What a run does, derived from its seed alone: the driver (inside the VM) and the checker
//! (on the host) compute the same plan, so the checker knows every file, every commit point
//! and every byte a state may hold without being told.

/// One record of the tables: 64 bytes, so a record never spans a page.
pub type Rec = [u64; 8];

/// The scenarios, each in its own directory of the disk.
pub const SCENARIOS: [&str; 8] = [
    "rw-sync",
    "append-sync",
    "create-many",
    "flush-only",
    "npy-append",
    "relayout",
    "array",
    "map",
];

/// Records already in the numpy-written files of `npy-append` and `relayout`.
pub const NPY_RECORDS: usize = 500;
/// Files `create-many` creates (file `i` holds `i + 1` records).
pub const CREATE_MANY: usize = 10;
/// The shape of `array`'s array of u64, and the generations written over it.
pub const ARRAY_SHAPE: [usize; 2] = [48, 96];
pub const GENERATIONS: u64 = 10;
/// The length of `map`'s file: not a multiple of a page.
pub const MAP_LEN: usize = 5 * 4096 + 8 * 37;

/// splitmix64: the only randomness, so that a seed says everything.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A small generator over `mix`.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix(self.0)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Record `i` of the table tagged `tag`: its index, then seven words no other record has (never
/// zero, so a record that never reached the disk cannot pass for one that did).
pub fn rec(tag: u64, i: usize) -> Rec {
    let mut r = [0u64; 8];
    r[0] = i as u64;
    for (j, w) in r.iter_mut().enumerate().skip(1) {
        *w = mix(tag.wrapping_mul(0x1000_0000_01B3) ^ ((i as u64) << 3) ^ j as u64) | 1;
    }
    r
}

/// Word `i` of generation `g` (of `array` or `map`); generation 0 is the zeros of a new file.
pub fn word(tag: u64, g: u64, i: usize) -> u64 {
    if g == 0 {
        0
    } else {
        mix(tag ^ (g << 40) ^ i as u64) | 1
    }
}

/// The commit points of appending from `start` to `start + total` records, one every `every`:
/// the counts after each `sync`/`flush`.
pub fn commits(start: usize, total: usize, every: usize) -> Vec<usize> {
    let mut out: Vec<usize> = (1..)
        .map(|k| start + k * every)
        .take_while(|&c| c < start + total)
        .collect();
    out.push(start + total);
    out
}

/// One table scenario's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Appends {
    pub start: usize,
    pub total: usize,
    pub every: usize,
}

impl Appends {
    /// Every count a durable header may hold: the first one, then each commit point.
    pub fn counts(&self) -> Vec<usize> {
        let mut c = vec![self.start];
        c.extend(commits(self.start, self.total, self.every));
        c
    }
}

/// The plan of one run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub seed: u64,
    /// The order the scenarios run in (indices into `SCENARIOS`).
    pub order: Vec<usize>,
    pub rw: Appends,
    pub append: Appends,
    pub flush: Appends,
    pub npy: Appends,
    pub relayout: Appends,
}

impl Plan {
    pub fn new(seed: u64) -> Plan {
        let mut rng = Rng(seed);
        let mut order: Vec<usize> = (0..SCENARIOS.len()).collect();
        for i in (1..order.len()).rev() {
            let j = rng.range(0, i as u64) as usize;
            order.swap(i, j);
        }
        let mut appends = |start: usize, total: usize, lo: u64, hi: u64| {
            let points = rng.range(lo, hi) as usize;
            Appends {
                start,
                total,
                every: (total / points).max(1),
            }
        };
        Plan {
            seed,
            order,
            rw: appends(0, 3000, 12, 30),
            append: appends(0, 3000, 12, 30),
            flush: appends(0, 3000, 20, 40),
            npy: appends(NPY_RECORDS, 1500, 8, 16),
            relayout: appends(NPY_RECORDS, 1500, 8, 16),
        }
    }

    /// The tag of scenario `name`'s data in this run.
    pub fn tag(&self, name: &str) -> u64 {
        let i = SCENARIOS
            .iter()
            .position(|s| *s == name)
            .expect("a scenario") as u64;
        mix(self.seed ^ (i << 56))
    }
}

/// The header numpy writes today (`np.save`, format 1.0): the dict, spaces so the first axis can
/// grow in place (21 digits), padded with spaces to a multiple of 64, and a newline.
pub fn numpy_header(rows: usize) -> Vec<u8> {
    let shape = format!("({rows}, 8)");
    let mut dict = format!("{{'descr': '<u8', 'fortran_order': False, 'shape': {shape}, }}");
    dict.push_str(&" ".repeat(21 - rows.to_string().len()));
    wrap(dict, 64)
}

/// The header numpy wrote before 1.14 (format 1.0, no room to grow, padded to a multiple of
/// 16): recmap cannot rewrite it in place and relayouts the file by renaming a new one over it.
pub fn old_numpy_header(rows: usize) -> Vec<u8> {
    wrap(
        format!("{{'descr': '<u8', 'fortran_order': False, 'shape': ({rows}, 8), }}"),
        16,
    )
}

fn wrap(dict: String, align: usize) -> Vec<u8> {
    let unpadded = 10 + dict.len() + 1;
    let pad = (align - unpadded % align) % align;
    let hlen = dict.len() + pad + 1;
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(hlen as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out
}

/// A numpy-written file of `NPY_RECORDS` records of `tag` under `header`.
pub fn numpy_file(header: &[u8], tag: u64) -> Vec<u8> {
    let mut out = header.to_vec();
    for i in 0..NPY_RECORDS {
        for w in rec(tag, i) {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    out
}

/// The files staged on the disk before the VM starts (made durable by `mkfs.ext4 -d`): every
/// scenario's directory, and the numpy-written files.
pub fn stage(plan: &Plan, root: &std::path::Path) -> std::io::Result<()> {
    for s in SCENARIOS {
        std::fs::create_dir_all(root.join(s))?;
    }
    std::fs::write(
        root.join("npy-append/t.npy"),
        numpy_file(&numpy_header(NPY_RECORDS), plan.tag("npy-append")),
    )?;
    std::fs::write(
        root.join("relayout/t.npy"),
        numpy_file(&old_numpy_header(NPY_RECORDS), plan.tag("relayout")),
    )?;
    Ok(())
}
