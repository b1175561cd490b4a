#[recmap::record]
struct Point {
    xy: (f32, f32),
}

fn main() {}
