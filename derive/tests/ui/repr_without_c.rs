#[recmap::record]
#[repr(align(8))]
struct Trade {
    id: u64,
    price: f64,
}

fn main() {}
