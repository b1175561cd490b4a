#[derive(recmap::Record)]
#[repr(C)]
struct Named {
    id: u64,
    name: String,
}

fn main() {}
