//! The .npy file format (numpy's `NEP 1`): a magic string, a version, a header that is a
//! Python dict literal (`descr`, `fortran_order`, `shape`), padded so the data starts 64-byte
//! aligned, then the data.
//!
//! [`Header::parse`] reads and checks any .npy header (numpy's own included) without knowing
//! a Rust type; [`NpyDtype`] is the owned form of its `descr`. Tables write their own headers
//! with the record count in a fixed-width field, so that it can be rewritten in place.

use std::fmt::{self, Write as _};
use std::ops::Range;

use super::literal::{self, Literal};
use crate::dtype::{ByteOrder, Dtype, ScalarKind};

/// The first six bytes of every .npy file.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("t.npy");
/// recmap::Table::<u8>::create(&path)?;
/// assert!(std::fs::read(&path)?.starts_with(recmap::npy::MAGIC));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Data starts at a multiple of this many bytes (numpy's `ARRAY_ALIGN`).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let t = recmap::Table::<f32>::create(dir.path().join("t.npy"))?;
/// assert_eq!(t.data_offset() % recmap::npy::ARRAY_ALIGN, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const ARRAY_ALIGN: usize = 64;

/// Width of the count field recmap writes into `shape`: any `u64` fits.
pub(crate) const COUNT_WIDTH: usize = 20;

/// recmap's count field ends on a multiple of this: its last 16 bytes are one aligned block
/// (see the commit protocol in `table::commit`).
pub(crate) const COMMIT_ALIGN: usize = 16;

/// A .npy format version.
///
/// # Examples
///
/// ```
/// use recmap::npy::Version;
/// assert_eq!(Version::V1.preamble_len(), 10);
/// assert_eq!(Version::from_bytes(3, 0), Some(Version::V3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// 1.0: header length in 2 bytes, Latin-1 header.
    V1,
    /// 2.0: header length in 4 bytes, Latin-1 header.
    V2,
    /// 3.0: header length in 4 bytes, UTF-8 header.
    V3,
}

impl Version {
    /// The version for the two bytes after the magic string, if numpy defines it.
    ///
    /// ```
    /// assert_eq!(recmap::npy::Version::from_bytes(4, 0), None);
    /// ```
    pub fn from_bytes(major: u8, minor: u8) -> Option<Version> {
        match (major, minor) {
            (1, 0) => Some(Version::V1),
            (2, 0) => Some(Version::V2),
            (3, 0) => Some(Version::V3),
            _ => None,
        }
    }

    /// `(major, minor)`.
    ///
    /// ```
    /// assert_eq!(recmap::npy::Version::V2.bytes(), [2, 0]);
    /// ```
    pub fn bytes(self) -> [u8; 2] {
        match self {
            Version::V1 => [1, 0],
            Version::V2 => [2, 0],
            Version::V3 => [3, 0],
        }
    }

    /// Bytes before the header text: magic, version, header length.
    ///
    /// ```
    /// assert_eq!(recmap::npy::Version::V3.preamble_len(), 12);
    /// ```
    pub fn preamble_len(self) -> usize {
        match self {
            Version::V1 => 10,
            Version::V2 | Version::V3 => 12,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor] = self.bytes();
        write!(f, "{major}.{minor}")
    }
}

/// Why a .npy header was refused; carried by [`Error::BadHeader`](crate::Error::BadHeader).
///
/// # Examples
///
/// ```
/// use recmap::npy::{Header, HeaderProblem};
/// assert_eq!(
///     Header::parse(b"\x93NUMPY\x07\x00").unwrap_err(),
///     HeaderProblem::UnsupportedVersion { major: 7, minor: 0 }
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// The file does not start with `\x93NUMPY`.
    #[error("not a .npy file: it starts with {found:02x?}, not the .npy magic string")]
    BadMagic {
        /// The first bytes found (up to six).
        found: Vec<u8>,
    },
    /// A version numpy does not define.
    #[error("unsupported .npy format version {major}.{minor} (known: 1.0, 2.0, 3.0)")]
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The file ends inside the preamble or the header.
    #[error("the header needs {needed} bytes but the file has only {file_len}")]
    HeaderPastEnd {
        /// Bytes the preamble and header need.
        needed: u64,
        /// The file's length.
        file_len: u64,
    },
    /// The header is not text in the version's encoding.
    #[error("the header is not {encoding} text")]
    NotText {
        /// `"Latin-1"` or `"UTF-8"`.
        encoding: &'static str,
    },
    /// The header is not a valid Python literal.
    #[error("header syntax error at byte {pos}: expected {expected}")]
    Syntax {
        /// Byte offset in the header text.
        pos: usize,
        /// What the parser expected there.
        expected: &'static str,
    },
    /// The header is valid Python but not the dict numpy writes.
    #[error("header {}", printable(what))]
    Malformed {
        /// What is wrong, e.g. "has no 'shape' key".
        what: String,
    },
    /// `fortran_order` is `True`: column-major data, which recmap does not read.
    #[error("fortran_order is True: recmap reads only C-order (row-major) data")]
    FortranOrder,
    /// A dtype recmap cannot map, such as Python objects (`'O'`).
    #[error("unsupported dtype {}: {why}", printable(descr))]
    UnsupportedDtype {
        /// The descr text.
        descr: String,
        /// Why it is unsupported.
        why: &'static str,
    },
    /// The file is shorter than its header says: records are missing.
    #[error(
        "truncated: the header promises {count} records ({needed} bytes from offset {data_start}) but the file has {file_len} bytes"
    )]
    Truncated {
        /// Records the header promises.
        count: u64,
        /// Bytes those records need.
        needed: u64,
        /// Where the data starts.
        data_start: u64,
        /// The file's length.
        file_len: u64,
    },
}

/// The owned form of a .npy `descr`: what numpy stores, independent of any Rust type.
///
/// # Examples
///
/// ```
/// use recmap::{npy::NpyDtype, Record};
/// let d = NpyDtype::from_dtype(&<[f32; 3]>::DTYPE);
/// assert_eq!(d.to_string(), "('<f4', (3,))");
/// assert_eq!(d.size(), 12);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NpyDtype {
    /// A type string such as `<u8`, `|u1`, `>f4`, `|V3`, `|b1`, `<U5`, `<M8[ns]`.
    Scalar {
        /// `<`, `>` or `|`.
        order: char,
        /// numpy's kind character: `i`, `u`, `f`, `c`, `b`, `V`, `S`, `U`, `M`, `m`.
        kind: char,
        /// Size in bytes.
        size: usize,
        /// The type string as written.
        text: String,
    },
    /// A subarray: `elem` repeated over `shape`.
    Array {
        /// The element type.
        elem: Box<NpyDtype>,
        /// The dimensions.
        shape: Vec<usize>,
    },
    /// A structured type: named fields, packed in order.
    Struct(Vec<(String, NpyDtype)>),
}

impl NpyDtype {
    /// The owned description of a Rust record's [`Dtype`].
    ///
    /// ```
    /// use recmap::{npy::NpyDtype, Record};
    /// assert_eq!(NpyDtype::from_dtype(&u16::DTYPE).to_string(), "'<u2'");
    /// ```
    pub fn from_dtype(dtype: &Dtype) -> NpyDtype {
        match dtype {
            Dtype::Struct(fields) => NpyDtype::Struct(
                fields
                    .iter()
                    .map(|f| (f.name.to_owned(), NpyDtype::from_dtype(f.dtype)))
                    .collect(),
            ),
            Dtype::Array { .. } => {
                let (base, shape) = dtype.base_and_shape();
                NpyDtype::Array {
                    elem: Box::new(NpyDtype::from_dtype(base)),
                    shape,
                }
            }
            Dtype::Scalar { .. } | Dtype::Void(_) => {
                let text = dtype.type_str().unwrap_or_default();
                let (order, kind, size) = match *dtype {
                    Dtype::Scalar { kind, size, order } => (
                        match order {
                            ByteOrder::Little => '<',
                            ByteOrder::Big => '>',
                            ByteOrder::NotApplicable => '|',
                        },
                        match kind {
                            ScalarKind::Int => 'i',
                            ScalarKind::Uint => 'u',
                            ScalarKind::Float => 'f',
                        },
                        size,
                    ),
                    _ => ('|', 'V', dtype.size()),
                };
                NpyDtype::Scalar {
                    order,
                    kind,
                    size,
                    text,
                }
            }
        }
    }

    /// Size in bytes of one value.
    ///
    /// ```
    /// use recmap::{npy::NpyDtype, Record};
    /// assert_eq!(NpyDtype::from_dtype(&<[u32; 5]>::DTYPE).size(), 20);
    /// ```
    pub fn size(&self) -> usize {
        // Parsed dtypes are checked not to overflow; saturating keeps this total anyway.
        self.checked_size().unwrap_or(usize::MAX)
    }

    /// The size, or `None` if it does not fit in `usize` (a corrupt or hostile header).
    fn checked_size(&self) -> Option<usize> {
        match self {
            NpyDtype::Scalar { size, .. } => Some(*size),
            NpyDtype::Array { elem, shape } => shape
                .iter()
                .try_fold(elem.checked_size()?, |acc, &d| acc.checked_mul(d)),
            NpyDtype::Struct(fields) => fields
                .iter()
                .try_fold(0usize, |acc, (_, d)| acc.checked_add(d.checked_size()?)),
        }
    }

    /// Parses a type string (`'<u8'`, `'|V3'`, `'<M8[ns]'`).
    fn parse_type_str(text: &str) -> Result<NpyDtype, HeaderProblem> {
        let unsupported = |why| HeaderProblem::UnsupportedDtype {
            descr: format!("'{text}'"),
            why,
        };
        let mut chars = text.chars();
        let (order, rest) = match chars.next() {
            Some(c @ ('<' | '>' | '|' | '=')) => (c, chars.as_str()),
            _ => ('|', text),
        };
        let mut chars = rest.chars();
        let kind = chars
            .next()
            .ok_or_else(|| unsupported("empty type string"))?;
        let rest = chars.as_str();
        let digits = rest.split('[').next().unwrap_or_default();
        if kind == 'O' {
            return Err(unsupported(
                "Python objects are pointers, not data in the file",
            ));
        }
        if !"iufcbVSUMm".contains(kind) {
            return Err(unsupported("unknown kind"));
        }
        let n: usize = digits
            .parse()
            .map_err(|_| unsupported("no size in the type string"))?;
        // The sizes numpy has types for (`'<u3'` is "not understood" by numpy either).
        let known = match kind {
            'i' | 'u' => [1, 2, 4, 8].contains(&n),
            'f' => [2, 4, 8, 12, 16].contains(&n),
            'c' => [8, 16, 24, 32].contains(&n),
            'b' => n == 1,
            'M' | 'm' => n == 8,
            _ => true, // S, U, V: any length, 0 included
        };
        let unit = rest.get(digits.len()..).unwrap_or_default();
        let unit_ok = match kind {
            'M' | 'm' => {
                unit.is_empty()
                    || (unit.starts_with('[')
                        && unit.ends_with(']')
                        && unit.len() > 2
                        && unit[1..unit.len() - 1]
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric()))
            }
            _ => unit.is_empty(),
        };
        if !known || !unit_ok {
            return Err(unsupported("numpy has no such type"));
        }
        let size = if kind == 'U' {
            n.checked_mul(4)
        } else {
            Some(n)
        }
        .ok_or_else(|| unsupported("size overflows"))?;
        Ok(NpyDtype::Scalar {
            order,
            kind,
            size,
            text: text.to_owned(),
        })
    }

    /// Parses a `descr` value: a type string or a list of fields, whose size must fit.
    fn from_literal(lit: &Literal) -> Result<NpyDtype, HeaderProblem> {
        let dtype = Self::from_literal_unchecked(lit)?;
        if dtype.checked_size().is_none() {
            return Err(HeaderProblem::UnsupportedDtype {
                descr: dtype.to_string(),
                why: "its size does not fit in memory",
            });
        }
        Ok(dtype)
    }

    fn from_literal_unchecked(lit: &Literal) -> Result<NpyDtype, HeaderProblem> {
        match lit {
            Literal::Str(s) => NpyDtype::parse_type_str(s),
            Literal::List(items) => {
                let mut fields = Vec::with_capacity(items.len());
                for item in items {
                    fields.push(Self::field(item)?);
                }
                for (i, (name, _)) in fields.iter().enumerate() {
                    // numpy refuses a name twice; unnamed ('') padding may repeat.
                    if !name.is_empty() && fields[..i].iter().any(|(n, _)| n == name) {
                        return Err(malformed(&format!(
                            "names the field '{}' twice in 'descr'",
                            printable(name)
                        )));
                    }
                }
                Ok(NpyDtype::Struct(fields))
            }
            // A subarray type: (type, shape), as in [('c', ('<f8', (5,)), (2,))].
            Literal::Tuple(parts) => match parts.as_slice() {
                [ty, shape] => Self::subarray(Self::from_literal_unchecked(ty)?, shape),
                _ => Err(malformed(
                    "'descr' is neither a type string, a list of fields nor (type, shape)",
                )),
            },
            _ => Err(malformed(
                "'descr' is neither a type string nor a list of fields",
            )),
        }
    }

    /// One `('name', type)` or `('name', type, shape)` entry.
    fn field(item: &Literal) -> Result<(String, NpyDtype), HeaderProblem> {
        let bad = || malformed("has a 'descr' field that is not ('name', type[, shape])");
        let Literal::Tuple(parts) = item else {
            return Err(bad());
        };
        let (name, ty, shape) = match parts.as_slice() {
            [name, ty] => (name, ty, None),
            [name, ty, shape] => (name, ty, Some(shape)),
            _ => return Err(bad()),
        };
        let name = match name {
            Literal::Str(s) => s.clone(),
            // numpy writes titled fields as (('title', 'name'), type).
            Literal::Tuple(t) => match t.as_slice() {
                [_, Literal::Str(s)] => s.clone(),
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        let dtype = NpyDtype::from_literal_unchecked(ty)?;
        let dtype = match shape {
            None => dtype,
            Some(shape) => Self::subarray(dtype, shape)?,
        };
        Ok((name, dtype))
    }

    /// `elem` repeated over `shape` (a tuple of integers, or one integer).
    fn subarray(elem: NpyDtype, shape: &Literal) -> Result<NpyDtype, HeaderProblem> {
        let dims = match shape {
            Literal::Int(n, _) => vec![*n],
            other => int_tuple(other)
                .ok_or_else(|| malformed("has a subarray shape that is not a tuple of integers"))?,
        };
        let shape = dims
            .iter()
            .map(|&n| usize::try_from(n))
            .collect::<Result<Vec<usize>, _>>()
            .map_err(|_| HeaderProblem::UnsupportedDtype {
                descr: format!("{shape:?}"),
                why: "its size does not fit in memory",
            })?;
        // numpy gives a subarray of shape () the element type itself.
        if shape.is_empty() {
            return Ok(elem);
        }
        Ok(NpyDtype::Array {
            elem: Box::new(elem),
            shape,
        })
    }

    /// The first difference between `self` (expected) and `found`, as
    /// `(field path, expected, found)`.
    pub(crate) fn first_difference(&self, found: &NpyDtype) -> Option<(String, String, String)> {
        match (self, found) {
            (NpyDtype::Struct(want), NpyDtype::Struct(got)) => {
                for i in 0..want.len().max(got.len()) {
                    match (want.get(i), got.get(i)) {
                        (Some((wn, wd)), Some((gn, gd))) => {
                            if wn != gn {
                                return Some((wn.clone(), field_text(wn, wd), field_text(gn, gd)));
                            }
                            if let Some((path, e, f)) = wd.first_difference(gd) {
                                let path = if path.is_empty() {
                                    wn.clone()
                                } else {
                                    format!("{wn}.{path}")
                                };
                                return Some((path, e, f));
                            }
                        }
                        (Some((wn, wd)), None) => {
                            return Some((wn.clone(), field_text(wn, wd), "no such field".into()));
                        }
                        (None, Some((gn, gd))) => {
                            return Some((gn.clone(), "no such field".into(), field_text(gn, gd)));
                        }
                        (None, None) => {}
                    }
                }
                None
            }
            _ if self == found => None,
            _ => Some((String::new(), self.to_string(), found.to_string())),
        }
    }
}

fn field_text(name: &str, dtype: &NpyDtype) -> String {
    match dtype {
        NpyDtype::Array { elem, shape } => format!("('{name}', {elem}, {})", shape_text(shape)),
        other => format!("('{name}', {other})"),
    }
}

fn shape_text(shape: &[usize]) -> String {
    let mut s = String::new();
    crate::dtype::write_shape(&mut s, shape);
    s
}

/// The Python literal numpy writes for this dtype (`'<u8'`, `[('a', '<u4'), ...]`,
/// `('<f4', (3,))` for a top-level subarray).
impl fmt::Display for NpyDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyDtype::Scalar { text, .. } => write!(f, "'{text}'"),
            NpyDtype::Array { elem, shape } => write!(f, "({elem}, {})", shape_text(shape)),
            NpyDtype::Struct(fields) => {
                f.write_str("[")?;
                for (i, (name, d)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&field_text(name, d))?;
                }
                f.write_str("]")
            }
        }
    }
}

/// `text` with its control characters escaped (`\r` as `\\r`, ESC as `\\u{1b}`): header text
/// echoed in a message must not move the cursor or recolour the terminal it is printed on.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

fn malformed(what: &str) -> HeaderProblem {
    HeaderProblem::Malformed {
        what: what.to_owned(),
    }
}

fn int_tuple(lit: &Literal) -> Option<Vec<u64>> {
    match lit {
        Literal::Tuple(items) => items
            .iter()
            .map(|i| match i {
                Literal::Int(n, _) => Some(*n),
                _ => None,
            })
            .collect(),
        Literal::Int(n, _) => Some(vec![*n]),
        _ => None,
    }
}

/// A parsed, checked .npy header.
///
/// # Examples
///
/// ```
/// use recmap::npy::{Header, Version};
/// let mut file = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
/// let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
/// file.extend_from_slice(format!("{text:<117}\n").as_bytes());
/// file.extend_from_slice(&[0u8; 24]);
/// let h = Header::parse(&file)?;
/// assert_eq!((h.version, h.count(), h.data_start), (Version::V1, 3, 128));
/// assert_eq!(h.dtype.to_string(), "'<f8'");
/// # Ok::<(), recmap::npy::HeaderProblem>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The format version.
    pub version: Version,
    /// The record type (`descr`).
    pub dtype: NpyDtype,
    /// `shape`: the first dimension is the record count (empty for a 0-d array).
    pub shape: Vec<u64>,
    /// `fortran_order`: the data is column-major. Tables refuse such files; `recmap dump`
    /// reads them.
    pub fortran_order: bool,
    /// Byte offset of the data in the file.
    pub data_start: usize,
    /// The bytes of the count (with the spaces before it) in the file, for rewriting in place.
    pub(crate) count_field: Range<usize>,
}

impl Header {
    /// Reads and checks the header at the start of `file` (the whole file, or at least its
    /// header), and that the file holds all the records it promises.
    ///
    /// See [`Header`] for an example.
    ///
    /// # Errors
    ///
    /// A [`HeaderProblem`] saying what is wrong.
    pub fn parse(file: &[u8]) -> Result<Header, HeaderProblem> {
        Header::parse_prefix(file, file.len() as u64)
    }

    /// As [`parse`](Header::parse), for `file` holding at least the header of a file of
    /// `file_len` bytes (a live reader parses a copy of the header, not the mapped file).
    pub(crate) fn parse_prefix(file: &[u8], file_len: u64) -> Result<Header, HeaderProblem> {
        let short = |needed: usize| HeaderProblem::HeaderPastEnd {
            needed: needed as u64,
            file_len,
        };
        if file.get(..6) != Some(&MAGIC[..]) {
            if file.len() < 6 && MAGIC.starts_with(file) && !file.is_empty() {
                return Err(short(10));
            }
            return Err(HeaderProblem::BadMagic {
                found: file.iter().take(6).copied().collect(),
            });
        }
        let (&major, &minor) = match (file.get(6), file.get(7)) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(short(10)),
        };
        let version = Version::from_bytes(major, minor)
            .ok_or(HeaderProblem::UnsupportedVersion { major, minor })?;
        let preamble = version.preamble_len();
        let len_bytes = file.get(8..preamble).ok_or(short(preamble))?;
        let header_len = match *len_bytes {
            [a, b] => usize::from(u16::from_le_bytes([a, b])),
            [a, b, c, d] => u32::from_le_bytes([a, b, c, d]) as usize,
            _ => return Err(short(preamble)),
        };
        let data_start = preamble + header_len;
        let raw = file.get(preamble..data_start).ok_or(short(data_start))?;
        let text: String = match version {
            Version::V3 => std::str::from_utf8(raw)
                .map_err(|_| HeaderProblem::NotText { encoding: "UTF-8" })?
                .to_owned(),
            // Latin-1: every byte is the code point of the same value.
            Version::V1 | Version::V2 => raw.iter().map(|&b| char::from(b)).collect(),
        };
        // numpy reads Python 2's `4L` in 1.0 and 2.0 headers (its `_filter_header`).
        let lit =
            literal::parse(&text, version != Version::V3).map_err(|e| HeaderProblem::Syntax {
                pos: e.pos,
                expected: e.expected,
            })?;
        let Literal::Dict(items) = lit else {
            return Err(malformed("is not a dict"));
        };
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        for (key, value) in &items {
            let Literal::Str(key) = key else {
                return Err(malformed("has a key that is not a string"));
            };
            let slot = match key.as_str() {
                "descr" => &mut descr,
                "fortran_order" => &mut fortran,
                "shape" => &mut shape,
                other => return Err(malformed(&format!("has an unexpected key '{other}'"))),
            };
            if slot.replace(value).is_some() {
                return Err(malformed(&format!("repeats the key '{key}'")));
            }
        }
        let descr = descr.ok_or_else(|| malformed("has no 'descr' key"))?;
        let fortran = fortran.ok_or_else(|| malformed("has no 'fortran_order' key"))?;
        let shape_lit = shape.ok_or_else(|| malformed("has no 'shape' key"))?;
        let fortran_order = match fortran {
            Literal::Bool(b) => *b,
            _ => return Err(malformed("has a 'fortran_order' that is not True or False")),
        };
        // numpy's own test: a tuple of integers (a bare integer is not a shape).
        let shape = match shape_lit {
            Literal::Tuple(_) => int_tuple(shape_lit),
            _ => None,
        }
        .ok_or_else(|| malformed("has a 'shape' that is not a tuple of integers"))?;
        // numpy's dimensions are signed 64-bit: a larger one is "negative" to it.
        if let Some(&d) = shape.iter().find(|&&d| d > i64::MAX as u64) {
            return Err(malformed(&format!(
                "has a dimension of {d}, more than numpy's largest (2**63 - 1)"
            )));
        }
        // The parser's spans index `text` (UTF-8); a Latin-1 header has one byte per char.
        let to_raw = |i: usize| match version {
            Version::V3 => i,
            Version::V1 | Version::V2 => text.get(..i).map_or(i, |t| t.chars().count()),
        };
        let count_field = match shape_lit {
            Literal::Tuple(items) => match items.first() {
                Some(Literal::Int(_, span)) => {
                    let span = to_raw(span.start)..to_raw(span.end);
                    // Spaces before the count belong to its field: room to grow in place.
                    let mut start = span.start;
                    while start > 0 && raw.get(start - 1) == Some(&b' ') {
                        start -= 1;
                    }
                    preamble + start..preamble + span.end
                }
                _ => 0..0,
            },
            _ => 0..0,
        };
        let dtype = NpyDtype::from_literal(descr)?;
        let header = Header {
            version,
            dtype,
            shape,
            fortran_order,
            data_start,
            count_field,
        };
        let needed = header
            .data_bytes()
            .ok_or_else(|| HeaderProblem::Truncated {
                count: header.count(),
                needed: u64::MAX,
                data_start: data_start as u64,
                file_len,
            })?;
        if (data_start as u64)
            .checked_add(needed)
            .is_none_or(|end| end > file_len)
        {
            return Err(HeaderProblem::Truncated {
                count: header.count(),
                needed,
                data_start: data_start as u64,
                file_len,
            });
        }
        Ok(header)
    }

    /// The number of records: the first dimension of `shape`, or 1 for a 0-d array.
    ///
    /// See [`Header`] for an example.
    pub fn count(&self) -> u64 {
        // A 0-d array holds one value.
        self.shape.first().copied().unwrap_or(1)
    }

    /// Bytes of one record: the dtype's size times the dimensions after the first.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("v.npy");
    /// let mut t = recmap::Table::<[f32; 4]>::create(&path)?;
    /// t.push([1.0; 4])?;
    /// t.flush()?;
    /// let h = recmap::npy::Header::parse(&std::fs::read(&path)?)?;
    /// assert_eq!((h.shape.clone(), h.record_size(), h.data_bytes()), (vec![1, 4], Some(16), Some(16)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_size(&self) -> Option<u64> {
        self.shape
            .iter()
            .skip(1)
            .try_fold(self.dtype.size() as u64, |acc, &d| acc.checked_mul(d))
    }

    /// Bytes of all the records the header promises (`None` on overflow); see
    /// [`record_size`](Header::record_size) for an example.
    pub fn data_bytes(&self) -> Option<u64> {
        self.record_size()?.checked_mul(self.count())
    }
}

/// A recmap header: `descr`, the trailing dimensions and `count` in a [`COUNT_WIDTH`] field;
/// padded with spaces to exactly `total` bytes if given and large enough, else to the next
/// multiple of [`ARRAY_ALIGN`]. Returns the bytes and the count field's range in them.
pub(crate) fn build_header(
    descr: &str,
    trailing: &[usize],
    count: u64,
    total: Option<usize>,
    version: Option<Version>,
) -> Option<(Vec<u8>, Range<usize>)> {
    let build = |pad: usize| {
        let mut text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (");
        let count_pos = text.len();
        let _ = write!(text, "{:pad$}{count:>COUNT_WIDTH$}", "");
        if trailing.is_empty() {
            text.push(',');
        }
        for d in trailing {
            let _ = write!(text, ", {d}");
        }
        text.push_str("), }");
        (text, count_pos)
    };
    let (text, _) = build(0);
    let version = version.unwrap_or(if !text.is_ascii() {
        Version::V3
    } else if text.len() < 65_000 {
        Version::V1
    } else {
        Version::V2
    });
    // 1.0 and 2.0 headers are Latin-1 (as numpy writes them), 3.0 headers UTF-8.
    let encode = |t: &str| -> Option<Vec<u8>> {
        match version {
            Version::V3 => Some(t.as_bytes().to_vec()),
            Version::V1 | Version::V2 => {
                t.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
            }
        }
    };
    let preamble = version.preamble_len();
    // Spaces before the count so that the field *ends* on a multiple of 16: its last 16
    // bytes — every digit a count below 10^16 has — are then one aligned block, which the
    // commit protocol stores and loads indivisibly, and which never straddles a page.
    let (text, count_pos) = build(0);
    let field_end = preamble + encode(text.get(..count_pos)?)?.len() + COUNT_WIDTH;
    let pad = (COMMIT_ALIGN - field_end % COMMIT_ALIGN) % COMMIT_ALIGN;
    let (text, count_pos) = build(pad);
    let count_pos = encode(text.get(..count_pos)?)?.len();
    let text = encode(&text)?;
    let minimal = preamble + text.len() + 1;
    let total = match total {
        Some(t) if t >= minimal => t,
        Some(_) => return None,
        None => minimal.div_ceil(ARRAY_ALIGN) * ARRAY_ALIGN,
    };
    let header_len = total - preamble;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.bytes());
    match version {
        Version::V1 => out.extend_from_slice(&u16::try_from(header_len).ok()?.to_le_bytes()),
        Version::V2 | Version::V3 => {
            out.extend_from_slice(&u32::try_from(header_len).ok()?.to_le_bytes());
        }
    }
    out.extend_from_slice(&text);
    out.resize(total - 1, b' ');
    out.push(b'\n');
    let field = preamble + count_pos..preamble + count_pos + pad + COUNT_WIDTH;
    Some((out, field))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the length of the header before it, the count's 16-byte block ends on a
    /// multiple of 16 — so it never straddles a page, even in headers longer than 4 KiB.
    #[test]
    fn the_count_block_is_aligned_and_never_straddles_a_page() {
        for n in 1..400 {
            let fields: Vec<String> = (0..n).map(|i| format!("('f{i:03}', '<u8')")).collect();
            let descr = format!("[{}]", fields.join(", "));
            let (bytes, field) = build_header(&descr, &[], 12_345, None, None).unwrap();
            assert_eq!(field.end % COMMIT_ALIGN, 0, "{n} fields");
            assert!(field.len() >= COUNT_WIDTH);
            let block = field.end - 16..field.end;
            assert_eq!(block.start / 4096, (block.end - 1) / 4096, "{n} fields");
            assert_eq!(&bytes[block], b"           12345");
            let parsed = Header::parse_prefix(&bytes, bytes.len() as u64 + 12_345 * 8 * n as u64);
            assert_eq!(parsed.map(|h| h.count_field), Ok(field));
        }
    }

    #[test]
    fn built_headers_parse_back() {
        for (descr, trailing) in [
            ("'<f8'", &[][..]),
            ("'<f4'", &[128][..]),
            ("[('a', '<u4'), ('b', '|V4')]", &[][..]),
        ] {
            let (mut bytes, field) = build_header(descr, trailing, 12345, None, None).unwrap();
            assert_eq!(bytes.len() % ARRAY_ALIGN, 0);
            assert_eq!(
                std::str::from_utf8(&bytes[field.clone()]).unwrap().trim(),
                "12345"
            );
            let data = 12345
                * NpyDtype::from_literal(&literal::parse(descr, false).unwrap())
                    .unwrap()
                    .size()
                * trailing.iter().product::<usize>();
            bytes.resize(bytes.len() + data, 0);
            let h = Header::parse(&bytes).unwrap();
            assert_eq!(h.count(), 12345);
            assert_eq!(h.count_field, field);
            assert_eq!(h.dtype.to_string(), descr);
            assert_eq!(
                &h.shape[1..],
                &trailing.iter().map(|&d| d as u64).collect::<Vec<_>>()[..]
            );
        }
    }

    #[test]
    fn exact_total_and_too_small_total() {
        let (bytes, _) = build_header("'<f8'", &[], 0, Some(200), Some(Version::V1)).unwrap();
        assert_eq!(bytes.len(), 200);
        assert!(build_header("'<f8'", &[], 0, Some(40), Some(Version::V1)).is_none());
    }

    #[test]
    fn refusals_carry_their_facts() {
        assert_eq!(
            Header::parse(b"PK\x03\x04zipfile").unwrap_err(),
            HeaderProblem::BadMagic {
                found: b"PK\x03\x04zi".to_vec()
            }
        );
        assert_eq!(
            Header::parse(b"\x93NUMPY\x04\x00\x10\x00").unwrap_err(),
            HeaderProblem::UnsupportedVersion { major: 4, minor: 0 }
        );
        assert_eq!(
            Header::parse(b"\x93NUMPY\x01\x00\xff\x00{").unwrap_err(),
            HeaderProblem::HeaderPastEnd {
                needed: 265,
                file_len: 11
            }
        );
        let (bytes, _) = build_header("'<f8'", &[], 2, None, None).unwrap();
        assert!(matches!(
            Header::parse(&bytes).unwrap_err(),
            HeaderProblem::Truncated {
                count: 2,
                needed: 16,
                data_start: 128,
                file_len: 128
            }
        ));
    }
}
