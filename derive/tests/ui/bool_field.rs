#[recmap::record]
struct Flags {
    id: u32,
    live: [bool; 4],
}

fn main() {}
