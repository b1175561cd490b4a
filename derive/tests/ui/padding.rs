#[recmap::record]
struct Trade {
    side: u8,
    price: f64,
}

fn main() {}
