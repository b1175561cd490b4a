#[recmap::record]
struct Owned {
    id: u64,
    tags: Vec<u32>,
}

#[recmap::record]
struct Maybe {
    price: Option<f64>,
}

#[recmap::record]
struct Shared {
    next: std::sync::Arc<u64>,
}

#[recmap::record]
struct Counted {
    n: usize,
}

// A user's own record named like a std type, without generic arguments, is accepted.
#[recmap::record]
struct Cell {
    x: u32,
}

#[recmap::record]
struct Grid {
    cells: [Cell; 4],
}

fn main() {}
