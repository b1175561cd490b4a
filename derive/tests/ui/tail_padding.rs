#[derive(recmap::Record)]
#[repr(C)]
struct Trade {
    price: f64,
    qty: u32,
}

fn main() {}
