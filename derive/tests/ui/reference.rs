#[derive(recmap::Record)]
#[repr(C)]
struct Node {
    next: &'static u64,
}

fn main() {}
