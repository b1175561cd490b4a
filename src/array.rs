//! Layer 3, beside tables: [`Array`], one fixed-shape `.npy` file of any rank — what
//! `np.lib.format.open_memmap` is in Python — with its shape and order read from the file.

use std::marker::PhantomData;
use std::path::Path;

use crate::error::{Error, Result};
use crate::map::{Access, Map, MapOptions};
use crate::npy::{self, Header, NpyDtype};
use crate::record::Record;
use crate::table::{Mode, ReadOnly, ReadWrite};
use crate::view::View;

/// A fixed-shape array of `E` in a `.npy` file, of any rank (0 to as many as numpy allows), in
/// C or Fortran order — the shape and order come from the file, the element type from `E`
/// (numbers, byte-order types, `#[recmap::record]` structs).
///
/// The elements are the mapped file itself: [`as_slice`](Array::as_slice) is every element
/// in storage order, [`get`](Array::get) one element by its index. Locks as for
/// [`Table`](crate::Table): [`open`](Array::open) and [`create`](Array::create) are the one
/// writer (exclusive lock), [`open_read`](Array::open_read) one of many readers.
///
/// Writes land in the page cache at once, which a crash of the process does not lose;
/// [`sync`](Array::sync) makes them durable against a crash of the machine. Dropping an array
/// does not msync.
///
/// # Examples
///
/// ```
/// use recmap::Array;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("grid.npy");
/// let mut grid = Array::<f32>::create(&path, &[3, 4])?;   // zero-filled, like open_memmap(mode="w+")
/// *grid.get_mut(&[1, 2]).unwrap() = 7.5;
/// assert_eq!(grid.shape(), &[3, 4]);
/// drop(grid);
///
/// let grid = Array::<f32>::open_read(&path)?;            // numpy: np.load(path, mmap_mode="r")
/// assert_eq!(grid.get(&[1, 2]), Some(&7.5));
/// assert_eq!(grid.as_slice()[1 * 4 + 2], 7.5);            // C order
/// assert_eq!(grid.get(&[3, 0]), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Array<E: Record, M: Mode = ReadWrite> {
    // INVARIANTS: `map` covers the whole file with `M::ACCESS`; the elements occupy
    // `data_start .. data_start + len * size_of::<E>()`, which lies inside the map, and
    // `data_start` is aligned for `E`; `len` is the product of `shape`.
    map: Map,
    data_start: usize,
    shape: Vec<usize>,
    fortran: bool,
    len: usize,
    marker: PhantomData<(E, M)>,
}

impl<E: Record> Array<E> {
    /// Creates a new `.npy` file at `path` holding a zero-filled array of `shape` (C order),
    /// and opens it for reading and writing. Refuses to replace an existing file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (kind `AlreadyExists`) if the file exists, or for a full disk (the space
    /// is reserved, never a `SIGBUS` later); [`Error::TooLarge`] if the shape's size overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let cube = recmap::Array::<u16>::create(dir.path().join("cube.npy"), &[2, 3, 4])?;
    /// assert_eq!((cube.len(), cube.as_slice().iter().sum::<u16>()), (24, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, shape: &[usize]) -> Result<Array<E>> {
        Array::create_in_order(path.as_ref(), shape, false)
    }

    /// As [`create`](Array::create), in Fortran (column-major) order: the first index varies
    /// fastest in the file, as `np.asfortranarray` stores it.
    ///
    /// # Errors
    ///
    /// As [`create`](Array::create); [`Error::SchemaMismatch`] for an element type with
    /// dimensions of its own (`[f32; 3]`), which Fortran order would split apart.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut m = recmap::Array::<f64>::create_fortran(dir.path().join("m.npy"), &[2, 3])?;
    /// *m.get_mut(&[1, 0]).unwrap() = 5.0;
    /// assert_eq!((m.strides(), m.as_slice()[1]), (vec![1, 2], 5.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_fortran(path: impl AsRef<Path>, shape: &[usize]) -> Result<Array<E>> {
        Array::create_in_order(path.as_ref(), shape, true)
    }

    fn create_in_order(path: &Path, shape: &[usize], fortran: bool) -> Result<Array<E>> {
        if fortran && !E::DTYPE.base_and_shape().1.is_empty() {
            return Err(Error::SchemaMismatch {
                path: path.to_path_buf(),
                field: "shape".into(),
                expected: "scalar or struct elements for a Fortran-order array".into(),
                found: E::DTYPE.descr(),
            });
        }
        let too_large = Error::TooLarge {
            offset: 0,
            len: u64::MAX,
        };
        let (base, trailing) = E::DTYPE.base_and_shape();
        let descr = NpyDtype::from_dtype(base).to_string();
        let full: Vec<usize> = shape.iter().chain(&trailing).copied().collect();
        let header =
            npy::build_array_header(&descr, &full, fortran, align_of::<E>()).ok_or(too_large)?;
        let len = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or(Error::TooLarge {
                offset: header.len() as u64,
                len: u64::MAX,
            })?;
        let file_len = len
            .checked_mul(size_of::<E>())
            .and_then(|b| b.checked_add(header.len()))
            .ok_or(Error::TooLarge {
                offset: header.len() as u64,
                len: len as u64,
            })?;
        // Complete (header written, space reserved) and locked before its name appears; an
        // existing file is never touched, and a failure leaves no file behind.
        let map = MapOptions::new()
            .access(Access::Write)
            .len(file_len)
            .create_new_with(path, true, |map| map.write_at(0, &header))?;
        Array::from_parts(map, header.len(), shape.to_vec(), fortran)
    }

    /// Opens the `.npy` file at `path` for reading and writing (exclusive lock).
    ///
    /// # Errors
    ///
    /// [`Error::BadHeader`] for a file that is not a valid `.npy` file;
    /// [`Error::SchemaMismatch`] if its dtype is not `E`'s; [`Error::Misaligned`] if its data
    /// is not aligned for `E`; [`Error::Locked`], [`Error::Io`]. The file is unchanged after any
    /// error.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("v.npy");
    /// # drop(recmap::Array::<f64>::create(&path, &[5])?);
    /// let mut v = recmap::Array::<f64>::open(&path)?;
    /// v.as_mut_slice().fill(1.5);
    /// assert!(recmap::Array::<u8>::open(&path).is_err()); // locked, and the wrong type
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Array<E>> {
        Array::open_mode(path.as_ref())
    }

    /// Opens the `.npy` file at `path` read-only (shared lock); never writes to it.
    ///
    /// # Errors
    ///
    /// As [`open`](Array::open).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("v.npy");
    /// # drop(recmap::Array::<i32>::create(&path, &[2, 2])?);
    /// let a = recmap::Array::<i32>::open_read(&path)?;
    /// let b = recmap::Array::<i32>::open_read(&path)?; // many readers
    /// assert_eq!(a.shape(), b.shape());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read(path: impl AsRef<Path>) -> Result<Array<E, ReadOnly>> {
        Array::open_mode(path.as_ref())
    }

    /// Every element, writable in place, in storage order.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut a = recmap::Array::<u32>::create(dir.path().join("a.npy"), &[2, 3])?;
    /// for (i, x) in a.as_mut_slice().iter_mut().enumerate() { *x = i as u32; }
    /// assert_eq!(a.get(&[1, 0]), Some(&3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        let range = self.data_range();
        match self
            .map
            .bytes_mut()
            .map(|b| b.get_mut(range).map(View::cast_mut))
        {
            Ok(Some(Ok(elements))) => elements,
            // Unreachable by the INVARIANTS: the map is writable and the range aligned.
            _ => unreachable!("an array's elements are not a valid [E]"),
        }
    }

    /// The element at `index` (one coordinate per dimension), writable; `None` if the index
    /// has the wrong rank or is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut a = recmap::Array::<u8>::create(dir.path().join("a.npy"), &[2, 2])?;
    /// *a.get_mut(&[1, 1]).unwrap() = 9;
    /// assert!(a.get_mut(&[2, 0]).is_none());
    /// assert_eq!(a.as_slice(), &[0, 0, 0, 9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_mut(&mut self, index: &[usize]) -> Option<&mut E> {
        let at = self.offset_of(index)?;
        self.as_mut_slice().get_mut(at)
    }

    /// Makes every write durable (`msync`, then `fdatasync`): after it returns, a crash of the
    /// machine loses nothing written before.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if writing back fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let mut a = recmap::Array::<f32>::create(dir.path().join("a.npy"), &[4])?;
    /// a.as_mut_slice()[0] = 1.0;
    /// a.sync()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync(&mut self) -> Result<()> {
        self.map.flush()?;
        match self.map.file() {
            Some(f) => f
                .sync_data()
                .map_err(|e| Error::io(self.map.path(), "sync", e)),
            None => Ok(()),
        }
    }
}

impl<E: Record, M: Mode> Array<E, M> {
    fn open_mode(path: &Path) -> Result<Array<E, M>> {
        let map = MapOptions::new().access(M::ACCESS).open(path)?;
        let bad = |problem| Error::BadHeader {
            path: path.to_path_buf(),
            problem,
        };
        let header = Header::parse(&map).map_err(bad)?;
        let shape = Self::check(&header, path)?;
        if header.fortran_order && !E::DTYPE.base_and_shape().1.is_empty() {
            return Err(Error::SchemaMismatch {
                path: path.to_path_buf(),
                field: "shape".into(),
                expected: "a C-order file (an element type with dimensions of its own)".into(),
                found: "fortran_order: True".into(),
            });
        }
        Array::from_parts(map, header.data_start, shape, header.fortran_order)
    }

    /// Checks the file's dtype against `E` and returns the array's shape (the file's, less
    /// the dimensions that `E` itself has, as `[f32; 3]` has one of 3).
    fn check(header: &Header, path: &Path) -> Result<Vec<usize>> {
        let mismatch = |field: String, expected: String, found: String| Error::SchemaMismatch {
            path: path.to_path_buf(),
            field,
            expected,
            found,
        };
        let (base, trailing) = E::DTYPE.base_and_shape();
        let want = NpyDtype::from_dtype(base);
        if let Some((field, expected, found)) = want.first_difference(&header.dtype) {
            return Err(mismatch(field, expected, found));
        }
        let dims: Vec<usize> = header.shape.iter().map(|&d| d as usize).collect();
        let split = dims.len().checked_sub(trailing.len());
        match split {
            Some(at) if dims[at..] == trailing[..] => Ok(dims[..at].to_vec()),
            _ => Err(mismatch(
                "shape".into(),
                format!(
                    "(…, {})",
                    trailing
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!("{:?}", header.shape),
            )),
        }
    }

    fn from_parts(
        mut map: Map,
        data_start: usize,
        shape: Vec<usize>,
        fortran: bool,
    ) -> Result<Self> {
        const {
            assert!(size_of::<E>() > 0, "an Array's elements must have a size");
            assert!(
                align_of::<E>() <= 4096,
                "an Array's elements may be aligned to at most a page"
            );
        }
        map.skip_flush_on_drop();
        map.check_aligned(data_start, align_of::<E>())?;
        // `Header::parse` (or `create`) checked that every element is in the file.
        let len = shape.iter().product();
        Ok(Array {
            map,
            data_start,
            shape,
            fortran,
            len,
            marker: PhantomData,
        })
    }

    /// The shape: one length per dimension (`&[]` for a 0-d array, which holds one element).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let a = recmap::Array::<f64>::create(dir.path().join("a.npy"), &[2, 5])?;
    /// assert_eq!((a.shape(), a.ndim()), (&[2, 5][..], 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of dimensions.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// assert_eq!(recmap::Array::<u8>::create(dir.path().join("s.npy"), &[])?.ndim(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements (the product of the shape; 1 for a 0-d array).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// assert_eq!(recmap::Array::<u8>::create(dir.path().join("a.npy"), &[3, 0])?.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the array has no elements.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// assert!(recmap::Array::<u8>::create(dir.path().join("a.npy"), &[0])?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the file stores the array in Fortran (column-major) order: the first index
    /// varies fastest in [`as_slice`](Array::as_slice).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// assert!(!recmap::Array::<u8>::create(dir.path().join("a.npy"), &[2, 2])?.is_fortran_order());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_fortran_order(&self) -> bool {
        self.fortran
    }

    /// The distance in elements between neighbours along each dimension, as the file stores
    /// them (C order: the last dimension is 1; Fortran order: the first is).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let a = recmap::Array::<u8>::create(dir.path().join("a.npy"), &[2, 3, 4])?;
    /// assert_eq!(a.strides(), vec![12, 4, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn strides(&self) -> Vec<usize> {
        let mut strides = vec![0; self.shape.len()];
        let mut step = 1usize;
        let dims: Vec<usize> = if self.fortran {
            (0..self.shape.len()).collect()
        } else {
            (0..self.shape.len()).rev().collect()
        };
        for d in dims {
            strides[d] = step;
            step = step.saturating_mul(self.shape[d]);
        }
        strides
    }

    /// Every element, in storage order (see [`is_fortran_order`](Array::is_fortran_order)).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let a = recmap::Array::<i16>::create(dir.path().join("a.npy"), &[2, 2])?;
    /// assert_eq!(a.as_slice(), &[0, 0, 0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_slice(&self) -> &[E] {
        match self.map.bytes_in(self.data_range()).map(View::cast) {
            Some(Ok(elements)) => elements,
            // Unreachable by the INVARIANTS.
            _ => unreachable!("an array's elements are not a valid [E]"),
        }
    }

    /// The element at `index` (one coordinate per dimension); `None` if the index has the
    /// wrong rank or is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let a = recmap::Array::<u8>::create(dir.path().join("a.npy"), &[2, 3])?;
    /// assert_eq!(a.get(&[1, 2]), Some(&0));
    /// assert_eq!((a.get(&[1]), a.get(&[2, 0])), (None, None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: &[usize]) -> Option<&E> {
        self.as_slice().get(self.offset_of(index)?)
    }

    /// The path of the array's file.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npy");
    /// let a = recmap::Array::<u8>::create(&path, &[1])?;
    /// assert_eq!(a.path(), path);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        self.map.path().unwrap_or(Path::new(""))
    }

    fn offset_of(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() {
            return None;
        }
        let strides = self.strides();
        index
            .iter()
            .zip(&self.shape)
            .zip(&strides)
            .try_fold(0usize, |at, ((&i, &n), &s)| (i < n).then(|| at + i * s))
    }

    fn data_range(&self) -> std::ops::Range<usize> {
        self.data_start..self.data_start + self.len * size_of::<E>()
    }
}

impl<E: Record, M: Mode> std::fmt::Debug for Array<E, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Array")
            .field("path", &self.path())
            .field("dtype", &E::DTYPE.descr())
            .field("shape", &self.shape)
            .field("fortran_order", &self.fortran)
            .field("mode", &M::ACCESS)
            .finish()
    }
}
