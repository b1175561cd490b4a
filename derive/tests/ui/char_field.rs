#[derive(recmap::Record)]
#[repr(C)]
struct Letter {
    c: char,
}

fn main() {}
