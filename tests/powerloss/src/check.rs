//! The checker: what one state of the disk (a directory dumped from the recovered image) must
//! hold, given the plan of its run and the commit points the driver reported before that state.
//! Every reported commit present and intact; anything beyond it a clean later commit.

use std::collections::HashMap;
use std::path::Path;

use recmap::{Array, Table};

use crate::plan::{self, Appends, CREATE_MANY, GENERATIONS, Plan, Rec, rec, word};

/// The last commit point reported per scenario (`n` of its last `PL <scenario> <event> <n>`).
pub type Reported = HashMap<String, usize>;

/// Parses a driver line `PL <scenario> <event> <n>` into the scenario and `n`.
pub fn parse(line: &str) -> Option<(String, usize)> {
    let mut w = line.split_whitespace();
    if w.next()? != "PL" {
        return None;
    }
    let scenario = w.next()?;
    if !plan::SCENARIOS.contains(&scenario) {
        return None;
    }
    let _event = w.next()?;
    Some((scenario.to_string(), w.next()?.parse().ok()?))
}

/// Adds a line's commit point to `reported`.
pub fn record(reported: &mut Reported, line: &str) {
    if let Some((s, n)) = parse(line) {
        let e = reported.entry(s).or_insert(n);
        *e = (*e).max(n);
    }
}

/// Every violation in the state under `root`.
pub fn check(root: &Path, plan: &Plan, reported: &Reported) -> Vec<String> {
    let mut v = Vec::new();
    let got = |s: &str| reported.get(s).copied();
    table(
        &mut v,
        "rw-sync",
        root,
        plan,
        plan.rw,
        got("rw-sync"),
        false,
        None,
    );
    table(
        &mut v,
        "append-sync",
        root,
        plan,
        plan.append,
        got("append-sync"),
        false,
        None,
    );
    // flush without sync: the count of the last sync (0) or of any later flush, possibly ahead
    // of records that never reached the disk, which read as zeros (Table's durability docs).
    table(
        &mut v,
        "flush-only",
        root,
        plan,
        plan.flush,
        got("flush-only"),
        true,
        None,
    );
    let npy = plan::numpy_header(plan::NPY_RECORDS);
    table(
        &mut v,
        "npy-append",
        root,
        plan,
        plan.npy,
        got("npy-append"),
        false,
        Some(&npy),
    );
    let old = plan::old_numpy_header(plan::NPY_RECORDS);
    table(
        &mut v,
        "relayout",
        root,
        plan,
        plan.relayout,
        got("relayout"),
        false,
        Some(&old),
    );
    create_many(&mut v, root, plan, got("create-many"));
    array(&mut v, root, plan, got("array"));
    map(&mut v, root, plan, got("map"));
    v
}

/// A table appended in `a`'s steps. `reported`: the last count a commit point reported;
/// `zeros`: records past the last `sync` may read as zeros (flush without sync); `numpy`: the
/// file was numpy's before the run, with this header, and must stay readable with its records
/// (old header or new, never neither).
#[allow(clippy::too_many_arguments)]
fn table(
    v: &mut Vec<String>,
    name: &str,
    root: &Path,
    plan: &Plan,
    a: Appends,
    reported: Option<usize>,
    zeros: bool,
    numpy: Option<&[u8]>,
) {
    let tag = plan.tag(name);
    let path = root.join(name).join("t.npy");
    if !path.exists() {
        if reported.is_some() || numpy.is_some() {
            v.push(format!("{name}: the file is gone (reported {reported:?})"));
        }
        return;
    }
    let t = match Table::<Rec>::open_read(&path) {
        Ok(t) => t,
        Err(e) => {
            v.push(format!(
                "{name}: the file does not open: {e} (reported {reported:?})"
            ));
            return;
        }
    };
    let n = t.len();
    if let Some(header) = numpy {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let old = bytes.starts_with(header);
        if old && n != plan::NPY_RECORDS {
            v.push(format!("{name}: numpy's header with {n} records"));
        }
    }
    let counts = a.counts();
    // Before the last sync reported, and with flush only past the synced count, any count
    // published may be on the disk; with sync, only the counts of commit points.
    if !counts.contains(&n) {
        v.push(format!(
            "{name}: count {n} is no commit point (reported {reported:?}, every {})",
            a.every
        ));
    }
    let synced = if zeros { reported.map(|_| 0) } else { reported };
    if let Some(r) = synced
        && n < r
    {
        v.push(format!(
            "{name}: count {n} is behind the reported commit {r}"
        ));
    }
    let mut bad = (0, None);
    for (i, got) in t.iter().enumerate() {
        let ok = *got == rec(tag, i) || (zeros && i >= synced.unwrap_or(0) && *got == [0; 8]);
        if !ok {
            bad.0 += 1;
            bad.1.get_or_insert(i);
        }
    }
    if let (count, Some(first)) = bad {
        v.push(format!(
            "{name}: {count} of {n} records wrong, the first at {first}: {:x?} (reported {reported:?})",
            t[first]
        ));
    }
}

fn create_many(v: &mut Vec<String>, root: &Path, plan: &Plan, reported: Option<usize>) {
    let tag = plan.tag("create-many");
    for i in 0..CREATE_MANY {
        let path = root.join("create-many").join(format!("f{i}.npy"));
        let must = reported.is_some_and(|r| i <= r);
        if !path.exists() {
            if must {
                v.push(format!(
                    "create-many: f{i}.npy is gone (reported {reported:?})"
                ));
            }
            continue;
        }
        match Table::<Rec>::open_read(&path) {
            // A new file is whole before it is named: count 0 until its sync, or all its records.
            Ok(t) => {
                let want: Vec<Rec> = (0..=i).map(|k| rec(tag ^ i as u64, k)).collect();
                if !(t.as_slice() == &want[..] || (!must && t.is_empty())) {
                    v.push(format!("create-many: f{i}.npy holds {} records, not its {} (reported {reported:?})", t.len(), i + 1));
                }
            }
            Err(e) => v.push(format!("create-many: f{i}.npy does not open: {e}")),
        }
    }
}

/// Each word must be of the reported generation or a later one (a write-back may store any
/// page of the next generation): never of an earlier one, never anything else.
fn words(v: &mut Vec<String>, name: &str, tag: u64, got: &[u64], reported: Option<usize>) {
    let from = reported.unwrap_or(0) as u64;
    let bad: Vec<usize> = got
        .iter()
        .enumerate()
        .filter(|&(i, &w)| !(from..=GENERATIONS).any(|g| word(tag, g, i) == w))
        .map(|(i, _)| i)
        .collect();
    if let Some(&first) = bad.first() {
        v.push(format!(
            "{name}: {} of {} words older than generation {from} or wrong, the first at {first}: {:#x}",
            bad.len(),
            got.len(),
            got[first]
        ));
    }
}

fn array(v: &mut Vec<String>, root: &Path, plan: &Plan, reported: Option<usize>) {
    let path = root.join("array/t.npy");
    if !path.exists() {
        if reported.is_some() {
            v.push(format!("array: the file is gone (reported {reported:?})"));
        }
        return;
    }
    match Array::<u64>::open_read(&path) {
        Ok(a) if a.shape() != plan::ARRAY_SHAPE => v.push(format!("array: shape {:?}", a.shape())),
        Ok(a) => words(v, "array", plan.tag("array"), a.as_slice(), reported),
        Err(e) => v.push(format!("array: the file does not open: {e}")),
    }
}

fn map(v: &mut Vec<String>, root: &Path, plan: &Plan, reported: Option<usize>) {
    let path = root.join("map/m.bin");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(_) => {
            if reported.is_some() {
                v.push(format!("map: the file is gone (reported {reported:?})"));
            }
            return;
        }
    };
    if bytes.len() != plan::MAP_LEN {
        v.push(format!("map: {} bytes, not {}", bytes.len(), plan::MAP_LEN));
        return;
    }
    let got: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    words(v, "map", plan.tag("map"), &got, reported);
}
