//! ndarray views of [`Array`]s and tables of fixed-size rows (the `ndarray` feature): the
//! mapped elements themselves, with the file's strides (C or Fortran), no copy.

use ndarray::{
    ArrayView, ArrayView2, ArrayViewD, ArrayViewMut, ArrayViewMutD, Dimension, IxDyn, ShapeBuilder,
    StrideShape,
};

use crate::array::Array;
use crate::record::Record;
use crate::table::{Mode, Table};

impl<E: Record, M: Mode> Array<E, M> {
    /// The array as an `ndarray` view with the file's shape and order — zero-copy: the view's
    /// elements are the mapped file. `.into_dimensionality::<Ix2>()` gives a fixed rank.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Ix2;
    /// # let dir = tempfile::tempdir()?;
    /// let mut a = recmap::Array::<f32>::create(dir.path().join("m.npy"), &[2, 3])?;
    /// *a.get_mut(&[1, 2]).unwrap() = 4.0;
    /// let v = a.view().into_dimensionality::<Ix2>()?;
    /// assert_eq!((v[[1, 2]], v.sum()), (4.0, 4.0));
    /// assert_eq!(v.as_ptr(), a.as_slice().as_ptr()); // no copy
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn view(&self) -> ArrayViewD<'_, E> {
        let shape = self.view_shape();
        match ArrayViewD::from_shape(shape, self.as_slice()) {
            Ok(view) => view,
            // The INVARIANTS: the slice holds exactly the product of the shape's elements.
            Err(e) => unreachable!("an array's shape does not fit its elements: {e}"),
        }
    }
}

impl<E: Record, M: Mode> Array<E, M> {
    /// The array as an `ndarray` view of fixed rank `D` (`Ix1`, `Ix2`, …), zero-copy.
    ///
    /// # Errors
    ///
    /// [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) (at `shape`) if the file's rank
    /// is not `D`'s.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::ndarray::{Ix2, Ix3};
    /// # let dir = tempfile::tempdir()?;
    /// let a = recmap::Array::<u8>::create(dir.path().join("m.npy"), &[4, 5])?;
    /// assert_eq!(a.view_as::<Ix2>()?.dim(), (4, 5));
    /// assert!(a.view_as::<Ix3>().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn view_as<D: Dimension>(&self) -> crate::Result<ArrayView<'_, E, D>> {
        self.view()
            .into_dimensionality::<D>()
            .map_err(|_| self.rank_mismatch::<D>())
    }

    /// `SchemaMismatch` at `shape`: the file's rank is not `D`'s.
    fn rank_mismatch<D: Dimension>(&self) -> crate::Error {
        crate::Error::SchemaMismatch {
            path: self.path().to_path_buf(),
            field: "shape".into(),
            expected: format!("rank {}", D::NDIM.map_or("any".into(), |n| n.to_string())),
            found: format!("rank {} {:?}", self.shape().len(), self.shape()),
        }
    }

    /// The shape with the file's order, as ndarray takes it.
    fn view_shape(&self) -> StrideShape<IxDyn> {
        let shape = IxDyn(self.shape());
        if self.is_fortran_order() {
            shape.f().into()
        } else {
            shape.into()
        }
    }
}

impl<E: Record> Array<E> {
    /// The array as a writable `ndarray` view of fixed rank `D` (see
    /// [`view_as`](Array::view_as)).
    ///
    /// # Errors
    ///
    /// As [`view_as`](Array::view_as).
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::ndarray::Ix2;
    /// # let dir = tempfile::tempdir()?;
    /// let mut a = recmap::Array::<u32>::create(dir.path().join("m.npy"), &[2, 2])?;
    /// a.view_mut_as::<Ix2>()?[[1, 0]] = 7;
    /// assert_eq!(a.as_slice(), &[0, 0, 7, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn view_mut_as<D: Dimension>(&mut self) -> crate::Result<ArrayViewMut<'_, E, D>> {
        let err = self.rank_mismatch::<D>();
        self.view_mut().into_dimensionality::<D>().map_err(|_| err)
    }

    /// The array as a writable `ndarray` view (see [`view`](Array::view)).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut a = recmap::Array::<u32>::create(dir.path().join("m.npy"), &[2, 2])?;
    /// a.view_mut().fill(3);
    /// assert_eq!(a.as_slice(), &[3, 3, 3, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn view_mut(&mut self) -> ArrayViewMutD<'_, E> {
        let shape = self.view_shape();
        match ArrayViewMutD::from_shape(shape, self.as_mut_slice()) {
            Ok(view) => view,
            Err(e) => unreachable!("an array's shape does not fit its elements: {e}"),
        }
    }
}

impl<E: Record, const N: usize, M: Mode> Table<[E; N], M> {
    /// The table of rows as a `(len, N)` `ndarray` view, zero-copy.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<[f32; 4]>::create(dir.path().join("e.npy"))?;
    /// t.push([1.0, 2.0, 3.0, 4.0])?;
    /// t.push([0.5; 4])?;
    /// let v = t.view();
    /// assert_eq!((v.dim(), v.row(0).sum(), v.column(3).sum()), ((2, 4), 10.0, 4.5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn view(&self) -> ArrayView2<'_, E> {
        match ArrayView2::from_shape((self.len(), N), self.as_slice().as_flattened()) {
            Ok(view) => view,
            Err(e) => unreachable!("a table's rows do not fit (len, N): {e}"),
        }
    }
}
