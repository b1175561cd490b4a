// `#[derive(Record)]` where `#[recmap::record]` was meant: one message, which says so.
#[derive(recmap::Record)]
struct Trade {
    id: u64,
    price: f64,
}

fn main() {}
