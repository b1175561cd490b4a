#[derive(recmap::Record)]
#[repr(C)]
struct Node {
    next: *const u64,
}

fn main() {}
