//! The driver, run inside the VM: every scenario of the plan, in the plan's order, printing
//! `PL <scenario> <event> <n>` after each commit point it completes — the line is the promise the
//! checker holds the disk to.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use recmap::table::Writable;
use recmap::{Array, Map, Table};

use crate::plan::{self, Appends, CREATE_MANY, GENERATIONS, Plan, Rec, rec, word};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Prints one line and pushes it out at once (the host reads it as it comes).
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn done(scenario: &str, event: &str, n: usize) {
    say(&format!("PL {scenario} {event} {n}"));
}

/// Appends `a.total` records after `a.start`, committing at each of `a`'s points (`sync`, or
/// `flush` then a pause, so that writeback may store some pages and not others).
fn append<M: Writable>(
    t: &mut Table<Rec, M>,
    name: &str,
    tag: u64,
    a: Appends,
    durable: bool,
) -> Result<()> {
    let mut next = a.start;
    for c in plan::commits(a.start, a.total, a.every) {
        while next < c {
            t.push(rec(tag, next))?;
            next += 1;
        }
        if durable {
            t.sync()?;
            done(name, "synced", c);
        } else {
            t.flush()?;
            done(name, "flushed", c);
            std::thread::sleep(Duration::from_millis(25));
        }
    }
    Ok(())
}

fn scenario(plan: &Plan, name: &str, dir: &Path) -> Result<()> {
    let tag = plan.tag(name);
    let path = dir.join("t.npy");
    match name {
        "rw-sync" => {
            let mut t = Table::<Rec>::create(&path)?;
            t.sync()?;
            done(name, "synced", 0);
            append(&mut t, name, tag, plan.rw, true)?;
        }
        "append-sync" => {
            let mut t = Table::<Rec>::create_append(&path)?;
            t.sync()?;
            done(name, "synced", 0);
            append(&mut t, name, tag, plan.append, true)?;
        }
        "flush-only" => {
            let mut t = Table::<Rec>::create_append(&path)?;
            t.sync()?;
            done(name, "synced", 0);
            append(&mut t, name, tag, plan.flush, false)?;
        }
        "npy-append" | "relayout" => {
            let a = if name == "relayout" {
                plan.relayout
            } else {
                plan.npy
            };
            let mut t = Table::<Rec>::open_append(&path)?;
            done(name, "opened", t.len());
            append(&mut t, name, tag, a, true)?;
        }
        "create-many" => {
            for i in 0..CREATE_MANY {
                let p = dir.join(format!("f{i}.npy"));
                let records: Vec<Rec> = (0..=i).map(|k| rec(tag ^ i as u64, k)).collect();
                if i % 2 == 0 {
                    let mut t = Table::<Rec>::create(&p)?;
                    t.extend_from_slice(&records)?;
                    t.sync()?;
                } else {
                    let mut t = Table::<Rec>::create_append(&p)?;
                    t.extend_from_slice(&records)?;
                    t.sync()?;
                }
                done(name, "synced", i);
            }
        }
        "array" => {
            let mut a = Array::<u64>::create(&path, &plan::ARRAY_SHAPE)?;
            for g in 1..=GENERATIONS {
                for (i, e) in a.as_mut_slice().iter_mut().enumerate() {
                    *e = word(tag, g, i);
                }
                a.sync()?;
                done(name, "synced", g as usize);
            }
        }
        "map" => {
            let mut m = Map::create(dir.join("m.bin"), plan::MAP_LEN)?;
            for g in 1..=GENERATIONS {
                let bytes: Vec<u8> = (0..plan::MAP_LEN / 8)
                    .flat_map(|i| word(tag, g, i).to_le_bytes())
                    .collect();
                m.write_at(0, &bytes)?;
                m.flush()?;
                done(name, "flushed", g as usize);
            }
        }
        _ => return Err(format!("no scenario {name}").into()),
    }
    Ok(())
}

/// Runs the plan of `seed` under `root` (the mounted disk, staged by the host).
pub fn run(root: &Path, seed: u64) -> Result<()> {
    let plan = Plan::new(seed);
    say(&format!(
        "PL start {seed} order {}",
        plan.order
            .iter()
            .map(|&i| plan::SCENARIOS[i])
            .collect::<Vec<_>>()
            .join(",")
    ));
    for &i in &plan.order {
        let name = plan::SCENARIOS[i];
        scenario(&plan, name, &root.join(name)).map_err(|e| format!("{name}: {e}"))?;
    }
    say("PL done");
    Ok(())
}
