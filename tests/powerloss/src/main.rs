//! recmap's power-loss harness (issue 20): one static binary that is both the driver run inside
//! a VM and the host side that kills the VM, replays its disk's write log and checks each state.
//!
//! ```text
//! recmap-powerloss drive <mounted disk> [seed]     inside the VM (seed from pl.seed= otherwise)
//! recmap-powerloss host --kernel K --initrd I --work DIR [--rounds N] [--logged N] [--jobs N]
//!                       [--seed S] [--no-subsets] [--keep]
//! recmap-powerloss stage <dir> <seed>              the files staged on a fresh disk
//! recmap-powerloss check <dir> <seed> [lines]      check a directory against reported lines
//! ```
//!
//! `.ci/powerloss` installs qemu and a kernel, builds the initramfs and runs `host`.

mod check;
mod drive;
mod host;
mod log;
mod plan;

use std::path::PathBuf;
use std::process::ExitCode;

fn seed_from_cmdline() -> Option<u64> {
    let cmdline = std::fs::read_to_string("/proc/cmdline").ok()?;
    cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix("pl.seed=")?.parse().ok())
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: recmap-powerloss drive <dir> [seed] | host --kernel K --initrd I --work DIR [--rounds N] [--logged N] [--jobs N] [--seed S] [--no-subsets] [--keep] | stage <dir> <seed> | check <dir> <seed> [lines-file]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("drive") => {
            let (Some(dir), Some(seed)) = (
                arg(1),
                arg(2)
                    .and_then(|s| s.parse().ok())
                    .or_else(seed_from_cmdline),
            ) else {
                return usage();
            };
            match drive::run(dir.as_ref(), seed) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    drive::say(&format!("PL error {e}"));
                    ExitCode::FAILURE
                }
            }
        }
        Some("stage") => {
            let (Some(dir), Some(seed)) = (arg(1), arg(2).and_then(|s| s.parse().ok())) else {
                return usage();
            };
            match plan::stage(&plan::Plan::new(seed), dir.as_ref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("stage: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("check") => {
            let (Some(dir), Some(seed)) = (arg(1), arg(2).and_then(|s| s.parse().ok())) else {
                return usage();
            };
            let mut reported = check::Reported::new();
            if let Some(lines) = arg(3) {
                for line in std::fs::read_to_string(lines).unwrap_or_default().lines() {
                    check::record(&mut reported, line);
                }
            }
            let v = check::check(dir.as_ref(), &plan::Plan::new(seed), &reported);
            for x in &v {
                println!("VIOLATION {x}");
            }
            println!("{} violations", v.len());
            if v.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some("host") => {
            let mut cfg = host::Config {
                kernel: PathBuf::new(),
                initrd: PathBuf::new(),
                work: PathBuf::new(),
                rounds: 20,
                logged: 2,
                jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
                seed: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs()),
                subsets: true,
                keep: false,
            };
            let mut i = 1;
            while let Some(a) = arg(i) {
                let value = arg(i + 1).unwrap_or_default();
                let num = || value.parse::<u64>().ok();
                match a {
                    "--kernel" => cfg.kernel = value.into(),
                    "--initrd" => cfg.initrd = value.into(),
                    "--work" => cfg.work = value.into(),
                    "--rounds" => cfg.rounds = num().unwrap_or(20) as usize,
                    "--logged" => cfg.logged = num().unwrap_or(2) as usize,
                    "--jobs" => cfg.jobs = num().unwrap_or(2) as usize,
                    "--seed" => cfg.seed = num().unwrap_or(cfg.seed),
                    "--no-subsets" => {
                        cfg.subsets = false;
                        i += 1;
                        continue;
                    }
                    "--keep" => {
                        cfg.keep = true;
                        i += 1;
                        continue;
                    }
                    _ => return usage(),
                }
                i += 2;
            }
            if cfg.kernel.as_os_str().is_empty()
                || cfg.initrd.as_os_str().is_empty()
                || cfg.work.as_os_str().is_empty()
            {
                return usage();
            }
            match host::main(cfg) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("powerloss: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => usage(),
    }
}
