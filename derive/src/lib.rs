//! `#[derive(Record)]` for recmap (filled in by the typed-views work).
