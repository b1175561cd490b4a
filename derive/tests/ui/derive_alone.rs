#[derive(recmap::Record)]
#[repr(C)]
struct Trade {
    id: u64,
    price: f64,
}

fn main() {}
