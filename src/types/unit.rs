//! The units of [`DateTime64`](crate::DateTime64) and [`TimeDelta64`](crate::TimeDelta64), as
//! types: `DateTime64<Ns>` is numpy's `<M8[ns]`, `TimeDelta64<Days>` its `<m8[D]`.
//!
//! ```
//! use recmap::{DateTime64, Record, TimeDelta64};
//! use recmap::unit::{Days, Ns, Us};
//! assert_eq!(<DateTime64<Ns>>::DTYPE.descr(), "'<M8[ns]'");
//! assert_eq!(<TimeDelta64<Us>>::DTYPE.descr(), "'<m8[us]'");
//! assert_eq!(<DateTime64<Days>>::DTYPE.descr(), "'<M8[D]'");
//! ```

use crate::dtype::TimeUnit;

mod sealed {
    pub trait Sealed {}
}

/// A unit of time at the type level: one of [`Ns`], [`Us`], [`Ms`], [`Secs`], [`Mins`],
/// [`Hours`], [`Days`]. Sealed: these are numpy's units of fixed length (numpy's years and
/// months, `Y` and `M`, vary in length and are not offered).
///
/// ```
/// use recmap::TimeUnit;
/// use recmap::unit::{Secs, Unit};
/// assert_eq!(Secs::UNIT, TimeUnit::Second);
/// ```
pub trait Unit: sealed::Sealed + 'static {
    /// The unit as a value.
    const UNIT: TimeUnit;
}

macro_rules! units {
    ($($name:ident => $unit:ident, $code:literal;)*) => {$(
        #[doc = concat!("Unit of [`DateTime64`](crate::DateTime64) and [`TimeDelta64`](crate::TimeDelta64): numpy's `", $code, "`.")]
        ///
        #[doc = concat!("```\nuse recmap::{Record, TimeDelta64};\nassert_eq!(<TimeDelta64<recmap::unit::", stringify!($name), ">>::DTYPE.descr(), \"'<m8[", $code, "]'\");\n```")]
        #[derive(Debug)]
        pub enum $name {}

        impl sealed::Sealed for $name {}

        impl Unit for $name {
            const UNIT: TimeUnit = TimeUnit::$unit;
        }
    )*};
}

units! {
    Ns => Nanosecond, "ns";
    Us => Microsecond, "us";
    Ms => Millisecond, "ms";
    Secs => Second, "s";
    Mins => Minute, "m";
    Hours => Hour, "h";
    Days => Day, "D";
}
