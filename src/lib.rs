//! Typed, zero-copy record stores over memory-mapped files.
//!
//! recmap is what Python's `mmap` module, `memoryview.cast` and `numpy.memmap` are to Python,
//! in safe Rust:
//!
//! - [`Map`]: everything Python's `mmap` object does — a mapped file that is both a byte slice
//!   (`Deref<Target = [u8]>`, [`find`](Map::find), [`move_bytes`](Map::move_bytes)) and a file
//!   (`read_slice`, `readline`, `std::io::{Read, BufRead, Write, Seek}`) — with safe
//!   constructors (see the [safety model](Map#safety-model)).
//! - [typed views](view): the `memoryview(m).cast('I')` analogue — `&[T]`, `&mut [T]`, `&T`
//!   over a map or any byte slice ([`View`]), checked (bounds, alignment, size), never a panic.
//! - [`#[recmap::record]`](macro@record): makes a struct a [`Record`] — `repr(C)`, zerocopy's
//!   derives (which prove at compile time that bytes may be viewed as it: no padding, only
//!   plain-old-data fields) and a description: field names, offsets, and the numpy dtype
//!   ([`Dtype`]).
//! - [`Table`]: a growable file of records stored as a standard `.npy` file — numpy opens it
//!   with `np.load(path, mmap_mode="r+")` — with locks and commit points
//!   ([`flush`](Table::flush), [`sync`](Table::sync)).
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
//!
//! Records, in place:
//!
//! ```
//! use recmap::{Map, Record};
//!
//! #[recmap::record]
//! #[derive(Clone, Copy, Debug, PartialEq)]
//! struct Trade { id: u64, price: f64, qty: u32, side: u8, _pad: [u8; 3] }
//!
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("trades.bin");
//! let mut m = Map::create(&path, 100 * size_of::<Trade>())?;
//! let trades: &mut [Trade] = m.cast_mut()?;        // no copy: the mapped pages themselves
//! trades[3] = Trade { id: 3, price: 101.5, qty: 10, side: 1, _pad: [0; 3] };
//! assert_eq!(m.read_at::<u64>(3 * 24)?, 3);         // the bytes changed in place
//! assert_eq!(
//!     Trade::DTYPE.descr(),
//!     "[('id', '<u8'), ('price', '<f8'), ('qty', '<u4'), ('side', '|u1'), ('', '|V3')]"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The derive's output names `::recmap::…`; this makes that path work inside recmap too.
extern crate self as recmap;

mod array;
mod derive_support;
mod dtype;
mod error;
pub mod map;
#[cfg(feature = "ndarray")]
mod ndarray_views;

/// The `ndarray` crate recmap's views are made of (feature `ndarray`): use it as
/// `recmap::ndarray` to name their types with the very version recmap was built with, whatever
/// `ndarray` your own crate depends on.
///
/// ```
/// use recmap::ndarray::Ix2;
/// # let dir = tempfile::tempdir()?;
/// let a = recmap::Array::<f32>::create(dir.path().join("m.npy"), &[2, 3])?;
/// let v: recmap::ndarray::ArrayView2<'_, f32> = a.view_as::<Ix2>()?;
/// assert_eq!(v.dim(), (2, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "ndarray")]
pub use ndarray;
pub mod npy;
mod record;
mod sys;
pub mod table;
pub mod types;
pub mod view;

pub use array::Array;
pub use dtype::{ByteOrder, Dtype, Field, ScalarKind, TimeUnit};
pub use error::{Error, LockHolder, Result};
#[cfg(unix)]
pub use map::Advice;
pub use map::{Access, Map, MapOptions};
/// Derives [`Record`] for a `#[repr(C)]` struct that also derives zerocopy's `FromBytes`,
/// `IntoBytes`, `Immutable` and `KnownLayout`; [`record`] applies all of them in one line.
///
/// See the `recmap-derive` crate for what it checks and emits.
pub use recmap_derive::Record;
/// Makes a struct a [`Record`]: adds `#[repr(C)]` (unless it has a `repr`), zerocopy's
/// derives and `#[derive(Record)]`, checking the layout at compile time.
///
/// ```
/// #[recmap::record]
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// struct Tick { t: u64, price: f32, qty: u32 }
///
/// use recmap::Record;
/// assert_eq!(Tick::DTYPE.descr(), "[('t', '<u8'), ('price', '<f4'), ('qty', '<u4')]");
/// ```
///
/// See the `recmap-derive` crate for what it checks and emits.
pub use recmap_derive::record;
pub use record::Record;
pub use sys::{allocation_granularity, page_size};
pub use table::{Append, ReadOnly, ReadWrite, Table, TableOptions};
pub use types::{Bool, DateTime64, S, TimeDelta64, unit};
pub use view::{Gather, View};

/// Support for the code `#[recmap::record]` and `#[derive(Record)]` generate; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::derive_support::*;
    pub use zerocopy;
}
