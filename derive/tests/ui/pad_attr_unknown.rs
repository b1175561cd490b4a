#[recmap::record]
struct Trade {
    id: u64,
    side: u8,
    #[recmap(padding)]
    _gap: [u8; 7],
}

fn main() {}
