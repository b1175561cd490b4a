#[recmap::record]
struct Nothing {}

fn main() {}
