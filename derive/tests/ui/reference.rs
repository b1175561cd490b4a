#[recmap::record]
struct Node {
    next: &'static u64,
}

fn main() {}
