//! Typed, zero-copy record stores over memory-mapped files.
//!
//! recmap is what Python's `mmap` module, `memoryview.cast` and `numpy.memmap` are to Python,
//! in safe Rust:
//!
//! - [`Map`]: everything Python's `mmap` object does — a mapped file that is both a byte slice
//!   (`Deref<Target = [u8]>`, [`find`](Map::find), [`move_bytes`](Map::move_bytes)) and a file
//!   (`read_slice`, `readline`, `std::io::{Read, BufRead, Write, Seek}`) — with safe
//!   constructors (see the [safety model](Map#safety-model)).
//!
//! # Example
//!
//! ```
//! use recmap::{Access, Map};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("lorem.txt");
//! # std::fs::write(&path, b"Lorem ipsum dolor sit amet\n")?;
//! let mut m = Map::open(&path, Access::Read)?;
//! assert_eq!(m.read_slice(10), b"Lorem ipsu"); // zero-copy read, moves the cursor
//! assert_eq!(&m[..10], b"Lorem ipsu");         // slicing never moves it
//! assert_eq!(m.read_slice(10), b"m dolor si");
//! assert_eq!(m.find(b"dolor", ..), Some(12));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The derive's output names `::recmap::…`; this makes that path work inside recmap too.
extern crate self as recmap;

mod derive_support;
mod dtype;
mod error;
pub mod map;
mod record;
mod sys;
pub mod view;

pub use dtype::{ByteOrder, Dtype, Field, ScalarKind};
pub use error::{Error, Result};
pub use map::{Access, Advice, Map, MapOptions};
/// Derives [`Record`] for a `#[repr(C)]` struct, checking its layout at compile time.
///
/// See the `recmap-derive` crate for what it checks and emits.
pub use recmap_derive::Record;
pub use record::Record;
pub use sys::{allocation_granularity, page_size};
pub use view::View;

/// Support for `#[derive(Record)]`'s generated code; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::derive_support::*;
}
