#[derive(recmap::Record)]
#[repr(C)]
struct Point {
    xy: (f32, f32),
}

fn main() {}
