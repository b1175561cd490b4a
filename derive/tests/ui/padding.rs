#[derive(recmap::Record)]
#[repr(C)]
struct Trade {
    side: u8,
    price: f64,
}

fn main() {}
