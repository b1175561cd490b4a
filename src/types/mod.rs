//! numpy's scalar types that Rust has no plain-old-data type for, as [`Record`](crate::Record)s:
//! each has numpy's layout, so a table of them (or a struct field of one) is what numpy reads
//! and writes with the same dtype.
//!
//! | numpy            | recmap                                   |
//! |------------------|------------------------------------------|
//! | `\|S8`            | [`S<8>`](S): a NUL-padded byte string    |
//! | `\|b1`            | [`Bool`]: any non-zero byte is true      |
//! | `<M8[ns]`        | [`DateTime64<Ns>`](DateTime64) (also `us`, `ms`, `s`, `m`, `h`, `D`) |
//! | `<m8[us]`        | [`TimeDelta64<Us>`](TimeDelta64)         |
//! | `<f2`            | `half::f16` (feature `half`)             |
//! | `<c8`, `<c16`    | [`Complex<f32>`], [`Complex<f64>`] (feature `complex`) |
//!
//! ```
//! use recmap::{Bool, DateTime64, Record, S, unit::Ns};
//!
//! #[recmap::record]
//! struct Tick { t: DateTime64<Ns>, symbol: S<8>, price: f64, live: Bool, _pad: [u8; 7] }
//!
//! assert_eq!(
//!     Tick::DTYPE.descr(),
//!     "[('t', '<M8[ns]'), ('symbol', '|S8'), ('price', '<f8'), ('live', '|b1'), ('', '|V7')]"
//! );
//! ```

mod boolean;
mod bytes;
#[cfg(feature = "complex")]
mod complex;
mod time;
pub mod unit;

pub use boolean::Bool;
pub use bytes::{S, TooLong};
#[cfg(feature = "complex")]
pub use complex::Complex;
pub use time::{DateTime64, TimeDelta64, TimeError};
