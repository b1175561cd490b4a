#[recmap::record]
struct Named {
    id: u64,
    name: String,
}

fn main() {}
