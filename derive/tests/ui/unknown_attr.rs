#[recmap::record]
#[record(krate = "recmap")]
#[repr(C)]
struct Tick {
    t: u64,
}

fn main() {}
