#[recmap::record]
struct Letter {
    c: char,
}

fn main() {}
