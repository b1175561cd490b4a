#[recmap::record]
struct Pair<T> {
    a: T,
    b: T,
}

fn main() {}
