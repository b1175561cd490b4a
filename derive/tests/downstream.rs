//! A user's crate, built for real by cargo: it depends on recmap alone — renamed to `rm`, with
//! no zerocopy line in its Cargo.toml — and marks its structs `#[rm::record(crate = "...")]`,
//! once through the renamed crate and once through a module that re-exports it. The program
//! must build and print the layouts and a value read back through a view, which shows that
//! the attribute's zerocopy derives reach zerocopy through recmap's re-export.

use std::path::Path;
use std::process::Command;

const MAIN: &str = r#"
mod inner {
    pub use rm as store;
}

#[rm::record(crate = "rm")]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Trade {
    id: u64,
    price: f64,
    qty: u32,
    side: u8,
    _pad: [u8; 3],
}

#[inner::store::record(crate = "crate::inner::store")]
struct Tick(u32, f32);

fn main() -> Result<(), rm::Error> {
    use rm::Record;
    let mut map = rm::Map::anon(24)?;
    let trade = Trade { id: 7, price: 1.5, qty: 100, side: 1, _pad: [0; 3] };
    *map.at_mut::<Trade>(0)? = trade;
    assert_eq!(map.read_at::<Trade>(0)?, trade);
    println!("{}", Trade::DTYPE);
    println!("{}", Tick::DTYPE);
    println!("qty {}", map.read_at::<u32>(16)?);
    Ok(())
}
"#;

#[test]
fn a_crate_that_depends_on_recmap_alone_builds_and_runs() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "[package]\nname = \"downstream\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
         [workspace]\n\n[dependencies]\n\
         rm = {{ package = \"recmap\", path = {:?}, default-features = false }}\n",
        workspace.to_str().unwrap()
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    // The workspace's lock file, so the user's crate builds the same versions, offline.
    std::fs::copy(workspace.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), MAIN).unwrap();

    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline"])
        .current_dir(dir.path())
        // Its own target directory (the running `cargo test` holds the workspace's lock),
        // kept under the workspace's so that later runs reuse the build.
        .env("CARGO_TARGET_DIR", workspace.join("target/downstream"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the downstream crate failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "[('id', '<u8'), ('price', '<f8'), ('qty', '<u4'), ('side', '|u1'), ('', '|V3')]\n\
         [('f0', '<u4'), ('f1', '<f4')]\n\
         qty 100\n"
    );
}
