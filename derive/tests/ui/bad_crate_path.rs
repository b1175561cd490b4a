#[recmap::record(crate = "not a path")]
struct Tick {
    t: u64,
}

fn main() {}
