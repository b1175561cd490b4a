#[derive(recmap::Record)]
struct Trade {
    id: u64,
    price: f64,
}

fn main() {}
