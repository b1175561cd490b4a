//! [`NpyDtype`]: a .npy `descr` — parsed from the header's literal, built from a Rust
//! record's [`Dtype`], printed back in numpy's notation, compared field by field.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use super::literal::Literal;
use super::problem::{HeaderProblem, malformed, printable};
use crate::dtype::{DescrNode, DescrTree, Dtype, write_descr, write_field};

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
                    .map(|f| (f.numpy_name().to_owned(), NpyDtype::from_dtype(f.dtype)))
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
                    Dtype::Scalar { kind, size, order } => (order.code(), kind.code(), size),
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

    /// Whether a struct field of this type named `name` is padding, which numpy drops when
    /// it reads the file: an unnamed (`''`) field of void bytes or a subarray of anything
    /// (numpy's `name == '' and dt.type is np.void and dt.names is None`). numpy writes the gaps
    /// of an aligned or offset struct so.
    ///
    /// ```
    /// use recmap::npy::NpyDtype;
    /// let v3 = NpyDtype::Scalar { order: '|', kind: 'V', size: 3, text: "|V3".into() };
    /// assert!(v3.is_padding(""));
    /// assert!(!v3.is_padding("gap"));
    /// let i2 = NpyDtype::Scalar { order: '<', kind: 'i', size: 2, text: "<i2".into() };
    /// assert!(!i2.is_padding(""));
    /// assert!(NpyDtype::Array { elem: Box::new(i2), shape: vec![2] }.is_padding(""));
    /// ```
    pub fn is_padding(&self, name: &str) -> bool {
        name.is_empty()
            && match self {
                NpyDtype::Scalar { kind, .. } => *kind == 'V',
                NpyDtype::Array { .. } => true,
                NpyDtype::Struct(_) => false,
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
        if !known || (!matches!(kind, 'M' | 'm') && !unit.is_empty()) {
            return Err(unsupported("numpy has no such type"));
        }
        if matches!(kind, 'M' | 'm') && !datetime_unit_ok(unit) {
            return Err(unsupported(
                "numpy has no such datetime unit (Y, M, W, D, h, m, s, ms, us, ns, ps, fs, as or \
                 generic, with an optional multiple such as [25s])",
            ));
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
    pub(super) fn from_literal(lit: &Literal) -> Result<NpyDtype, HeaderProblem> {
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
                // numpy refuses a name twice (an unnamed field that is not padding too);
                // padding, which it drops, may repeat. One pass with a set: a header may list
                // a million fields.
                let mut seen = HashSet::with_capacity(fields.len());
                for (name, dtype) in &fields {
                    if !dtype.is_padding(name) && !seen.insert(name.as_str()) {
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
    ///
    /// Padding compares by size alone: an unnamed void field (numpy's padding, what recmap
    /// writes), a named `|V<n>` field (what recmap wrote for `_pad` fields before, and numpy's
    /// opaque bytes), and runs of them next to each other (numpy writes one gap as one field)
    /// are all "n bytes numpy does not interpret", so a file numpy wrote with `align=True` or
    /// `offsets`, or an older recmap file, matches the struct with explicit padding fields.
    pub(crate) fn first_difference(&self, found: &NpyDtype) -> Option<(String, String, String)> {
        match (self, found) {
            (NpyDtype::Struct(want), NpyDtype::Struct(got)) => {
                let (want, got) = (compared_fields(want), compared_fields(got));
                for i in 0..want.len().max(got.len()) {
                    let difference = match (want.get(i), got.get(i)) {
                        (Some(w), Some(g)) => w.difference(g),
                        (Some(w), None) => Some((w.name(), w.text(), "no such field".into())),
                        (None, Some(g)) => Some((g.name(), "no such field".into(), g.text())),
                        (None, None) => None,
                    };
                    if difference.is_some() {
                        return difference;
                    }
                }
                None
            }
            (
                NpyDtype::Array { elem, shape },
                NpyDtype::Array {
                    elem: found_elem,
                    shape: found_shape,
                },
            ) if shape == found_shape => elem
                .first_difference(found_elem)
                .map(|(path, _, _)| (path, self.to_string(), found.to_string())),
            _ if self == found => None,
            _ => Some((String::new(), self.to_string(), found.to_string())),
        }
    }
}

/// A struct's field as [`NpyDtype::first_difference`] compares it.
enum Compared<'a> {
    /// A field numpy shows.
    Field(&'a str, &'a NpyDtype),
    /// Opaque bytes (one or more void fields in a row), named as the first of them is.
    Opaque(&'a str, usize),
}

/// `fields`, with each run of padding and void fields merged into one [`Compared::Opaque`].
fn compared_fields(fields: &[(String, NpyDtype)]) -> Vec<Compared<'_>> {
    let mut out: Vec<Compared<'_>> = Vec::with_capacity(fields.len());
    for (name, dtype) in fields {
        let opaque = dtype.is_padding(name) || matches!(dtype, NpyDtype::Scalar { kind: 'V', .. });
        match (opaque, out.last_mut()) {
            (true, Some(Compared::Opaque(_, size))) => *size = size.saturating_add(dtype.size()),
            (true, _) => out.push(Compared::Opaque(name, dtype.size())),
            (false, _) => out.push(Compared::Field(name, dtype)),
        }
    }
    out
}

impl Compared<'_> {
    fn name(&self) -> String {
        match self {
            Compared::Field(name, _) | Compared::Opaque(name, _) => (*name).to_owned(),
        }
    }

    /// The field as numpy's `descr` shows it; opaque bytes as numpy's padding.
    fn text(&self) -> String {
        match self {
            Compared::Field(name, dtype) => field_text(name, dtype),
            Compared::Opaque(_, size) => format!("('', '|V{size}')"),
        }
    }

    /// `(path, expected, found)` if `self` (expected) and `found` differ.
    fn difference(&self, found: &Compared<'_>) -> Option<(String, String, String)> {
        match (self, found) {
            (Compared::Opaque(_, a), Compared::Opaque(_, b)) if a == b => None,
            (Compared::Field(wn, wd), Compared::Field(gn, gd)) if wn == gn => {
                let (path, e, f) = wd.first_difference(gd)?;
                let path = if path.is_empty() {
                    (*wn).to_owned()
                } else {
                    format!("{wn}.{path}")
                };
                Some((path, e, f))
            }
            // Padding has no name of its own: the path is the field found in its place.
            (Compared::Opaque(..), _) => Some((found.name(), self.text(), found.text())),
            _ => Some((self.name(), self.text(), found.text())),
        }
    }
}

fn field_text(name: &str, dtype: &NpyDtype) -> String {
    let mut out = String::new();
    write_field(&mut out, name, dtype);
    out
}

impl DescrTree for NpyDtype {
    fn descr_node(&self) -> DescrNode<'_, NpyDtype> {
        match self {
            NpyDtype::Scalar { text, .. } => DescrNode::Scalar(Cow::Borrowed(text)),
            NpyDtype::Array { elem, shape } => DescrNode::Array(elem, Cow::Borrowed(shape)),
            NpyDtype::Struct(fields) => {
                DescrNode::Struct(fields.iter().map(|(n, d)| (n.as_str(), d)).collect())
            }
        }
    }
}

/// The Python literal numpy writes for this dtype (`'<u8'`, `[('a', '<u4'), ...]`,
/// `('<f4', (3,))` for a top-level subarray); the same printer as [`Dtype::descr`].
impl fmt::Display for NpyDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_descr(&mut out, self);
        f.write_str(&out)
    }
}

/// Whether numpy reads `meta`, the part of a datetime type string after `M8`/`m8`: nothing
/// (generic units) or `[` unit `]`, where numpy's parser (`datetime.c`) takes an optional
/// multiple (`strtol`: spaces, a sign, digits, at most `2**31 - 1`), a unit (`Y` `M` `W` `D`
/// `h` `m` `s` `ms` `us` `μs` `ns` `ps` `fs` `as` `generic`), and an optional `/` divisor
/// that must turn the unit into a whole multiple of a finer one (`[s/4]` is `[250ms]`).
///
/// numpy also accepts a few strings only by overflowing or dividing by zero (`[s/0]` kills
/// the interpreter; `[s/-2]`, `[2147483647s/2]` and `[W/11]` make nonsense units): those are
/// refused.
fn datetime_unit_ok(meta: &str) -> bool {
    if meta.is_empty() {
        return true;
    }
    let Some(inner) = meta.strip_prefix('[').and_then(|m| m.strip_suffix(']')) else {
        return false;
    };
    if inner.is_empty() || inner.contains(']') {
        return false;
    }
    let (num, rest) = match c_strtol(inner) {
        Some((n, rest)) if (0..=i64::from(i32::MAX)).contains(&n) => (n, rest),
        Some(_) => return false,
        None => (1, inner),
    };
    let (unit, den) = match rest.split_once('/') {
        None => (rest, None),
        // The divisor: a number and nothing after it.
        Some((unit, den)) => match c_strtol(den) {
            Some((d, "")) if (1..=i64::from(i32::MAX)).contains(&d) => (unit, Some(d)),
            _ => return false,
        },
    };
    // Each unit's finer units and how many of them it holds, as numpy's table lists them.
    let finer: &[i64] = match unit {
        "Y" => &[12, 52, 365],
        "M" => &[4, 30, 720],
        "W" => &[7, 168, 10080],
        "D" => &[24, 1440, 86400],
        "h" => &[60, 3600],
        "m" => &[60, 60_000],
        "s" | "ms" | "us" | "μs" | "ns" | "ps" => &[1000, 1_000_000],
        "fs" => &[1000],
        "as" | "generic" => &[],
        _ => return false,
    };
    match den {
        None | Some(1) => true,
        Some(den) => finer
            .iter()
            .find(|&&n| n % den == 0)
            .is_some_and(|&n| num * (n / den) <= i64::from(i32::MAX)),
    }
}

/// C's `strtol` in base 10 on `text`: leading white space, an optional sign, digits (at least
/// one, saturating). The value and what follows, or `None` if there are no digits.
fn c_strtol(text: &str) -> Option<(i64, &str)> {
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(unsigned) => (true, unsigned),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let rest = unsigned.trim_start_matches(|c: char| c.is_ascii_digit());
    let digits = unsigned
        .get(..unsigned.len() - rest.len())
        .unwrap_or_default();
    if digits.is_empty() {
        return None;
    }
    let value = digits.bytes().fold(0i64, |v, d| {
        v.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some((if negative { -value } else { value }, rest))
}

pub(super) fn int_tuple(lit: &Literal) -> Option<Vec<u64>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::Header;

    /// A format 2.0 file (4-byte header length) with `descr` and one record of `size` bytes.
    fn npy_v2(descr: &str, size: usize) -> Vec<u8> {
        let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
        let total = (12 + text.len() + 1).div_ceil(64) * 64;
        let mut out = b"\x93NUMPY\x02\x00".to_vec();
        out.extend_from_slice(&u32::try_from(total - 12).unwrap().to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        out.resize(total + size, 0);
        out
    }

    fn fields(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("('f{i}', '|u1')")).collect()
    }

    /// The duplicate-name check is one pass: a million fields parse (it was quadratic, and
    /// 100,000 fields took seconds). Not timed: a slow machine must not fail it.
    #[test]
    fn a_million_fields_parse() {
        let n = 1_000_000;
        let header = Header::parse(&npy_v2(&format!("[{}]", fields(n).join(", ")), n)).unwrap();
        let NpyDtype::Struct(parsed) = &header.dtype else {
            panic!("not a struct: {:?}", header.dtype);
        };
        assert_eq!(parsed.len(), n);
        assert_eq!(parsed[n - 1].0, format!("f{}", n - 1));
        assert_eq!(header.dtype.size(), n);
    }

    /// Padding compares by size: unnamed (numpy's, recmap's now), named void (recmap's
    /// before), and a gap numpy wrote as one field where a struct has it in one.
    #[test]
    fn padding_compares_by_size() {
        let parse = |descr: &str| {
            NpyDtype::from_literal(&crate::npy::literal::parse(descr, false).unwrap()).unwrap()
        };
        let want = parse("[('a', '|u1'), ('', '|V7'), ('b', '<u8')]");
        for same in [
            "[('a', '|u1'), ('_pad', '|V7'), ('b', '<u8')]",
            "[('a', '|u1'), ('', '|V3'), ('', '|V4'), ('b', '<u8')]",
            "[('a', '|u1'), ('', '|u1', (7,)), ('b', '<u8')]",
        ] {
            assert_eq!(want.first_difference(&parse(same)), None, "{same}");
        }
        assert_eq!(
            want.first_difference(&parse("[('a', '|u1'), ('', '|V6'), ('b', '<u8')]")),
            Some(("".into(), "('', '|V7')".into(), "('', '|V6')".into()))
        );
        assert_eq!(
            want.first_difference(&parse("[('a', '|u1'), ('x', '|u1', (7,)), ('b', '<u8')]")),
            Some((
                "x".into(),
                "('', '|V7')".into(),
                "('x', '|u1', (7,))".into()
            ))
        );
    }

    #[test]
    fn a_name_twice_is_refused_and_padding_may_repeat() {
        let twice = |descr: &str| Header::parse(&npy_v2(descr, 64)).unwrap_err();
        assert_eq!(
            twice("[('a', '<u4'), ('b', '<u4'), ('a', '<u2')]"),
            HeaderProblem::Malformed {
                what: "names the field 'a' twice in 'descr'".into()
            }
        );
        // The last of a million fields repeats the first.
        let mut many = fields(1_000_000);
        many.push("('f0', '|u1')".into());
        assert_eq!(
            twice(&format!("[{}]", many.join(", "))),
            HeaderProblem::Malformed {
                what: "names the field 'f0' twice in 'descr'".into()
            }
        );
        let padded = "[('a', '<u4'), ('', '|V4'), ('b', '<u4'), ('', '|V4'), ('', '<i2', (2,))]";
        assert_eq!(Header::parse(&npy_v2(padded, 20)).unwrap().dtype.size(), 20);
        // An unnamed field that is not padding is a field named '', once at most (numpy:
        // "name already used as a name or title").
        let unnamed = "[('', '<u4'), ('', '|V4'), ('', '<u4')]";
        assert_eq!(
            twice(unnamed),
            HeaderProblem::Malformed {
                what: "names the field '' twice in 'descr'".into()
            }
        );
    }

    #[test]
    fn datetime_units_are_numpys() {
        let parse = |ty: &str| Header::parse(&npy_v2(&format!("'{ty}'"), 8)).map(|h| h.dtype);
        for ok in [
            "<M8",
            "<m8",
            "<M8[Y]",
            "<M8[M]",
            "<M8[W]",
            "<M8[D]",
            "<M8[h]",
            "<M8[m]",
            "<M8[s]",
            "<M8[ms]",
            "<M8[us]",
            "<M8[\\u03bcs]", // μs, in a Latin-1 header
            "<M8[ns]",
            "<M8[ps]",
            "<M8[fs]",
            "<M8[as]",
            "<M8[generic]",
            ">m8[10ms]",
            "<M8[25s]",
            "<M8[0s]",
            "<M8[ +3s]",
            "<M8[s/4]",
            "<M8[D/24]",
            "<M8[W/5]",
            "<M8[fs/1000]",
            "<M8[generic/1]",
            "<M8[2147483647s]",
        ] {
            assert!(parse(ok).is_ok(), "{ok}: {:?}", parse(ok));
        }
        for bad in [
            "<M8[xx]",
            "<M8[]",
            "<M8[10]",
            "<M8[H]",
            "<M8[S]",
            "<M8[y]",
            "<M8[B]",
            "<M8[2 s]",
            "<M8[ s]",
            "<M8[-2s]",
            "<M8[2147483648s]",
            "<M8[ns]x",
            "<M8[as",
            "<M8[s]]",
            "<M8[s/7]",
            "<M8[as/2]",
            "<M8[generic/2]",
            "<M8[s/]",
            "<M8[/2]",
            "<M8[s/0]",
            "<M8[s/-2]",
            "<M8[W/11]",
            "<M8[2147483647s/2]",
            "<M8[s/4294967298]",
            "<i8[s]",
        ] {
            assert_eq!(
                parse(bad),
                Err(HeaderProblem::UnsupportedDtype {
                    descr: format!("'{bad}'"),
                    why: if bad == "<i8[s]" {
                        "numpy has no such type"
                    } else {
                        "numpy has no such datetime unit (Y, M, W, D, h, m, s, ms, us, ns, ps, fs, \
                         as or generic, with an optional multiple such as [25s])"
                    }
                }),
                "{bad}"
            );
        }
    }
}
