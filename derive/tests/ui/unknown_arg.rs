#[recmap::record(krate = "recmap")]
struct Tick {
    t: u64,
}

fn main() {}
