//! [`Header`]: reading and checking any .npy header, and writing recmap's own (with the count
//! in a field the commit protocol can rewrite in place).

use std::fmt::Write as _;
use std::ops::Range;

use super::dtype::int_tuple;
use super::literal::{self, Literal};
use super::problem::{HeaderProblem, malformed};
use super::{ARRAY_ALIGN, COMMIT_ALIGN, COUNT_WIDTH, MAGIC, NpyDtype, Version};

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
    let out = assemble(version, &text, total)?;
    let field = preamble + count_pos..preamble + count_pos + pad + COUNT_WIDTH;
    Some((out, field))
}

/// Magic, version, header length, `text`, then spaces and a newline up to `total` bytes.
/// `None` if the length does not fit the version's length field.
fn assemble(version: Version, text: &[u8], total: usize) -> Option<Vec<u8>> {
    let header_len = total.checked_sub(version.preamble_len())?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.bytes());
    match version {
        Version::V1 => out.extend_from_slice(&u16::try_from(header_len).ok()?.to_le_bytes()),
        Version::V2 | Version::V3 => {
            out.extend_from_slice(&u32::try_from(header_len).ok()?.to_le_bytes());
        }
    }
    out.extend_from_slice(text);
    out.resize(total - 1, b' ');
    out.push(b'\n');
    Some(out)
}

/// A header for a fixed-shape array of any rank: `descr`, `fortran_order` and `shape` as numpy
/// writes them, padded with spaces so that the data starts on a multiple of [`ARRAY_ALIGN`] and
/// of `align`. `None` if it cannot be written (a 1.0/2.0 header that is not Latin-1 is written
/// as 3.0; one longer than 4 GiB cannot be).
pub(crate) fn build_array_header(
    descr: &str,
    shape: &[usize],
    fortran: bool,
    align: usize,
) -> Option<Vec<u8>> {
    let dims = match shape {
        [] => "()".to_owned(),
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let order = if fortran { "True" } else { "False" };
    let text = format!("{{'descr': {descr}, 'fortran_order': {order}, 'shape': {dims}, }}");
    let version = if !text.is_ascii() {
        Version::V3
    } else if text.len() < 65_000 {
        Version::V1
    } else {
        Version::V2
    };
    let preamble = version.preamble_len();
    let step = ARRAY_ALIGN.max(align);
    let total = (preamble + text.len() + 1).div_ceil(step) * step;
    assemble(version, text.as_bytes(), total)
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
