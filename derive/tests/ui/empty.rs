#[derive(recmap::Record)]
#[repr(C)]
struct Nothing {}

fn main() {}
