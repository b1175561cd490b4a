// numpy writes one gap as one unnamed field; two padding fields in a row are refused.
#[recmap::record]
struct Trade {
    id: u64,
    side: u8,
    _pad: [u8; 3],
    #[recmap(pad)]
    _reserved: [u8; 4],
}

fn main() {}
