// A field whose type is a struct without `#[recmap::record]`: zerocopy's derives report it
// too (their errors come first), and recmap's "`Inner` is not a `recmap::Record`" is among them.
struct Inner {
    a: u64,
}

#[recmap::record]
struct Outer {
    id: u64,
    inner: Inner,
}

fn main() {}
