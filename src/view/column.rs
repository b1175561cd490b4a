//! [`Column`]: one field of every record as a strided, zero-copy view — numpy's `a['price']`.

use std::fmt;
use std::marker::PhantomData;

/// One field of every record of a slice of records, in place: numpy's `a['price']`.
///
/// The field is named by a closure that borrows it from a record (`|t| &t.price`), so the
/// compiler checks that it exists and what type it has; nothing is copied, and reading the
/// column compiles to a strided load of that field from each record. Made by
/// [`Table::column`](crate::Table::column) or [`Column::new`] over any `&[R]`.
///
/// With the `ndarray` feature, [`view`](Column::view) gives an `ArrayView1` over the same
/// bytes with the record size as its stride.
///
/// # Examples
///
/// ```
/// use recmap::Table;
///
/// #[recmap::record]
/// #[derive(Clone, Copy)]
/// struct Trade { id: u64, price: f64, qty: u32, side: u8, _pad: [u8; 3] }
///
/// # let dir = tempfile::tempdir()?;
/// let mut t = Table::<Trade>::create(dir.path().join("t.npy"))?;
/// for id in 0..4 {
///     t.push(Trade { id, price: 10.0 + id as f64, qty: 1, side: 0, _pad: [0; 3] })?;
/// }
/// let price = t.column(|t| &t.price);        // a['price']
/// assert_eq!(price.iter().sum::<f64>(), 46.0); // a['price'].sum()
/// assert_eq!((price[2], price.len()), (12.0, 4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A field that does not exist, or has another type, does not compile:
///
/// ```compile_fail
/// # #[recmap::record] #[derive(Clone, Copy)] struct Trade { id: u64, price: f64 }
/// # let dir = tempfile::tempdir()?;
/// let t = recmap::Table::<Trade>::create(dir.path().join("t.npy"))?;
/// let volume: recmap::view::Column<'_, Trade, u32, _> = t.column(|t| &t.price); // f64, not u32
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Column<'a, R, F, A> {
    records: &'a [R],
    field: A,
    marker: PhantomData<fn() -> F>,
}

impl<'a, R, F: 'a, A> Column<'a, R, F, A>
where
    A: Fn(&R) -> &F,
{
    /// The field that `field` borrows from each record of `records`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pairs = [(1u32, 2.5f64), (3, 4.5)];
    /// let second = recmap::view::Column::new(&pairs, |p| &p.1);
    /// assert_eq!(second.iter().copied().collect::<Vec<_>>(), [2.5, 4.5]);
    /// ```
    pub fn new(records: &'a [R], field: A) -> Self {
        Column {
            records,
            field,
            marker: PhantomData,
        }
    }

    /// How many records (and so values) there are.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = recmap::view::Column::new(&[(1u8, 2u8)], |p| &p.0);
    /// assert_eq!(c.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    ///
    /// # Examples
    ///
    /// ```
    /// let none: [(u8, u8); 0] = [];
    /// assert!(recmap::view::Column::new(&none, |p| &p.0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The field of record `index`; `None` past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = recmap::view::Column::new(&[(1u8, 2u8)], |p| &p.1);
    /// assert_eq!((c.get(0), c.get(1)), (Some(&2), None));
    /// ```
    #[inline]
    pub fn get(&self, index: usize) -> Option<&'a F> {
        self.records.get(index).map(&self.field)
    }

    /// The field of every record, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = recmap::view::Column::new(&[(1u8, 2u8), (3, 4)], |p| &p.1);
    /// assert_eq!(c.iter().max(), Some(&4));
    /// ```
    #[inline]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &'a F> + ExactSizeIterator + '_ {
        self.records.iter().map(|r| (self.field)(r))
    }

    /// The records the column is a field of.
    ///
    /// # Examples
    ///
    /// ```
    /// let recs = [(1u8, 2u8)];
    /// assert_eq!(recmap::view::Column::new(&recs, |p| &p.1).records(), &recs);
    /// ```
    pub fn records(&self) -> &'a [R] {
        self.records
    }

    #[cfg(feature = "ndarray")]
    /// Where the field lies in a record, in bytes (`None` for an empty column, or a closure
    /// that returns something other than a part of the record).
    fn offset(&self) -> Option<usize> {
        let first = self.records.first()?;
        let start = first as *const R as usize;
        let at = (self.field)(first) as *const F as usize;
        let offset = at.checked_sub(start)?;
        (offset + size_of::<F>() <= size_of::<R>()).then_some(offset)
    }
}

#[cfg(feature = "ndarray")]
impl<'a, R, F: 'a, A> Column<'a, R, F, A>
where
    R: crate::Record,
    F: crate::Record,
    A: Fn(&R) -> &F,
{
    /// The column as an `ndarray` view over the same bytes (feature `ndarray`): length
    /// `len()`, stride one record — what numpy's `a['price']` is.
    ///
    /// # Errors
    ///
    /// [`Error::SizeMismatch`](crate::Error::SizeMismatch) if the record's size is not a
    /// whole number of the field's (ndarray counts strides in elements);
    /// [`Error::OutOfBounds`](crate::Error::OutOfBounds) if the closure returns something
    /// that is not a part of the record.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut t = recmap::Table::<[f64; 3]>::create(dir.path().join("t.npy"))?;
    /// t.extend([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    /// let y = t.column(|r| &r[1]);
    /// let v = y.view()?;
    /// assert_eq!((v.len(), v.sum(), v.strides()), (2, 7.0, &[3][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn view(&self) -> crate::Result<ndarray::ArrayView1<'a, F>> {
        use crate::view::View;
        use ndarray::ShapeBuilder;
        use zerocopy::IntoBytes;
        let (record, value) = (size_of::<R>(), size_of::<F>());
        if value == 0 || !record.is_multiple_of(value) {
            return Err(crate::Error::SizeMismatch {
                len: record,
                elem_size: value,
            });
        }
        let Some(offset) = self.offset() else {
            if self.records.is_empty() {
                return Ok(ndarray::ArrayView1::from(&[][..]));
            }
            return Err(crate::Error::OutOfBounds {
                offset: 0,
                len: value,
                map_len: record,
            });
        };
        let bytes = self.records.as_bytes();
        let tail = &bytes[offset..];
        let whole = tail.len() / value * value;
        let values: &'a [F] = tail[..whole].cast()?;
        let shape = (self.records.len(),).strides((record / value,));
        ndarray::ArrayView1::from_shape(shape, values).map_err(|_| crate::Error::OutOfBounds {
            offset,
            len: value,
            map_len: bytes.len(),
        })
    }
}

impl<R, F, A> std::ops::Index<usize> for Column<'_, R, F, A>
where
    A: Fn(&R) -> &F,
{
    type Output = F;

    /// # Panics
    ///
    /// If `index >= len()`, as slices do.
    fn index(&self, index: usize) -> &F {
        (self.field)(&self.records[index])
    }
}

impl<R, F: fmt::Debug, A> fmt::Debug for Column<'_, R, F, A>
where
    A: Fn(&R) -> &F,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
