#[recmap::record]
struct Node {
    next: *const u64,
}

fn main() {}
