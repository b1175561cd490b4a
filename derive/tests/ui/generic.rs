#[derive(recmap::Record)]
#[repr(C)]
struct Pair<T> {
    a: T,
    b: T,
}

fn main() {}
