#[recmap::record]
struct Trade {
    price: f64,
    qty: u32,
}

fn main() {}
