//! [`Complex`]: numpy's `complex64` (`<c8`) and `complex128` (`<c16`), converting to and
//! from `num_complex::Complex`.

use std::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::dtype::{Dtype, ScalarKind};
use crate::record::Record;

/// A complex number as numpy stores it: the real part, then the imaginary part.
/// `Complex<f32>` is numpy's `complex64` (`<c8`), `Complex<f64>` its `complex128` (`<c16`).
///
/// `num_complex::Complex<T>` has the same layout but not zerocopy's derives, which a
/// [`Record`] needs (and which only its own crate could add), so records hold this type and
/// convert: `From` both ways, free (a copy of two floats).
///
/// # Examples
///
/// ```
/// use recmap::{Record, types::Complex};
/// let z = Complex::new(1.5f64, -2.0);
/// assert_eq!((z.re(), z.im()), (1.5, -2.0));
/// let n: num_complex::Complex<f64> = z.into();
/// assert_eq!(Complex::from(n * n), Complex::new(-1.75, -6.0));
/// assert_eq!(<Complex<f32>>::DTYPE.descr(), "'<c8'");
/// assert_eq!(<Complex<f64>>::DTYPE.descr(), "'<c16'");
/// ```
#[derive(Clone, Copy, Default, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct Complex<T>([T; 2]);

impl<T: Copy> Complex<T> {
    /// `re + im·i`.
    ///
    /// ```
    /// let z = recmap::types::Complex::new(1.5f64, -2.0);
    /// assert_eq!((z.re(), z.im()), (1.5, -2.0));
    /// ```
    pub const fn new(re: T, im: T) -> Complex<T> {
        Complex([re, im])
    }

    /// The real part.
    ///
    /// ```
    /// assert_eq!(recmap::types::Complex::new(3.0f32, 4.0).re(), 3.0);
    /// ```
    pub const fn re(self) -> T {
        self.0[0]
    }

    /// The imaginary part.
    ///
    /// ```
    /// assert_eq!(recmap::types::Complex::new(3.0f32, 4.0).im(), 4.0);
    /// ```
    pub const fn im(self) -> T {
        self.0[1]
    }
}

macro_rules! complex_records {
    ($($t:ty),*) => {$(
        impl Record for Complex<$t> {
            const DTYPE: Dtype = Dtype::native(ScalarKind::Complex, size_of::<Complex<$t>>());
        }
    )*};
}

complex_records!(f32, f64);

impl<T: Copy> From<num_complex::Complex<T>> for Complex<T> {
    fn from(z: num_complex::Complex<T>) -> Complex<T> {
        Complex::new(z.re, z.im)
    }
}

impl<T: Copy> From<Complex<T>> for num_complex::Complex<T> {
    fn from(z: Complex<T>) -> num_complex::Complex<T> {
        num_complex::Complex::new(z.re(), z.im())
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for Complex<T> {
    /// As `num_complex::Complex`'s: `Complex { re: 1.0, im: 2.0 }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Complex")
            .field("re", &self.re())
            .field("im", &self.im())
            .finish()
    }
}

impl<T: Copy> fmt::Display for Complex<T>
where
    num_complex::Complex<T>: fmt::Display,
{
    /// As `num_complex::Complex`'s: `1.5-2i`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&num_complex::Complex::from(*self), f)
    }
}
