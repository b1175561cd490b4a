//! Layout descriptions of [`Record`](crate::Record) types, and their numpy dtypes.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// The layout of a [`Record`](crate::Record) type, as numpy would describe it.
///
/// Built at compile time (every `Record` has a `const DTYPE`), used by tables to check a file
/// against a type and by tools to decode records without the Rust type.
///
/// # Examples
///
/// ```
/// use recmap::{Dtype, Record};
/// assert_eq!(f64::DTYPE.descr(), "'<f8'");
/// assert_eq!(<[f32; 4]>::DTYPE.descr(), "('<f4', (4,))");
/// assert_eq!(u8::DTYPE.size(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dtype {
    /// A number.
    Scalar {
        /// Integer, unsigned or float.
        kind: ScalarKind,
        /// Size in bytes.
        size: usize,
        /// Byte order; [`ByteOrder::NotApplicable`] for one-byte types.
        order: ByteOrder,
    },
    /// `[T; len]`: numpy's subarray.
    Array {
        /// The element type.
        elem: &'static Dtype,
        /// The number of elements.
        len: usize,
    },
    /// A struct: numpy's structured dtype, fields in order, without gaps.
    Struct(&'static [Field]),
    /// Padding: bytes numpy does not show. A struct's `descr` lists a padding field unnamed,
    /// as `('', '|V<n>')` — what numpy writes for the gaps of an aligned (`align=True`) or
    /// `offsets` dtype, and drops when it reads the file. The type of `[u8; N]` fields whose
    /// name starts with `_pad`, and of fields marked `#[recmap(pad)]`.
    Void(usize),
}

/// What kind of value a [`Dtype::Scalar`] is: numpy's `dtype.kind`.
///
/// ```
/// use recmap::{Dtype, Record, ScalarKind};
/// assert!(matches!(i16::DTYPE, Dtype::Scalar { kind: ScalarKind::Int, size: 2, .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScalarKind {
    /// Signed integer (numpy `i`).
    Int,
    /// Unsigned integer (numpy `u`).
    Uint,
    /// IEEE 754 float (numpy `f`): `f32`, `f64`, `half::f16`.
    Float,
    /// A pair of IEEE 754 floats, real part first (numpy `c`): [`Complex`](crate::types::Complex).
    Complex,
    /// One byte, any non-zero value true (numpy `b`): [`Bool`](crate::Bool).
    Bool,
    /// A fixed-size byte string, NUL-padded (numpy `S`): [`S`](crate::S).
    Bytes,
    /// A point in time, a count of units since 1970-01-01T00:00 UTC (numpy `M`):
    /// [`DateTime64`](crate::DateTime64).
    DateTime(TimeUnit),
    /// A length of time, a count of units (numpy `m`): [`TimeDelta64`](crate::TimeDelta64).
    TimeDelta(TimeUnit),
}

impl ScalarKind {
    /// numpy's kind character: `i`, `u`, `f`, `c`, `b`, `S`, `M` or `m`.
    pub(crate) const fn code(self) -> char {
        match self {
            ScalarKind::Int => 'i',
            ScalarKind::Uint => 'u',
            ScalarKind::Float => 'f',
            ScalarKind::Complex => 'c',
            ScalarKind::Bool => 'b',
            ScalarKind::Bytes => 'S',
            ScalarKind::DateTime(_) => 'M',
            ScalarKind::TimeDelta(_) => 'm',
        }
    }
}

/// The unit of a [`ScalarKind::DateTime`] or [`ScalarKind::TimeDelta`]: numpy's `[ns]`, `[us]`,
/// … in `<M8[ns]`. The type-level units of [`DateTime64`](crate::DateTime64) are in
/// [`unit`](crate::unit).
///
/// ```
/// use recmap::{Dtype, Record, ScalarKind, TimeUnit, DateTime64, unit::Us};
/// assert!(matches!(
///     <DateTime64<Us>>::DTYPE,
///     Dtype::Scalar { kind: ScalarKind::DateTime(TimeUnit::Microsecond), size: 8, .. }
/// ));
/// assert_eq!(TimeUnit::Day.code(), "D");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TimeUnit {
    /// Days of 86,400 seconds (numpy `D`).
    Day,
    /// Hours (numpy `h`).
    Hour,
    /// Minutes (numpy `m`).
    Minute,
    /// Seconds (numpy `s`).
    Second,
    /// Milliseconds (numpy `ms`).
    Millisecond,
    /// Microseconds (numpy `us`).
    Microsecond,
    /// Nanoseconds (numpy `ns`).
    Nanosecond,
}

impl TimeUnit {
    /// numpy's code for the unit, as it appears between the brackets of `<M8[ns]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::TimeUnit;
    /// assert_eq!((TimeUnit::Nanosecond.code(), TimeUnit::Day.code()), ("ns", "D"));
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            TimeUnit::Day => "D",
            TimeUnit::Hour => "h",
            TimeUnit::Minute => "m",
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }

    /// The length of one unit in nanoseconds.
    ///
    /// ```
    /// assert_eq!(recmap::TimeUnit::Day.nanos(), 86_400_000_000_000);
    /// ```
    pub const fn nanos(self) -> i64 {
        match self {
            TimeUnit::Day => 86_400_000_000_000,
            TimeUnit::Hour => 3_600_000_000_000,
            TimeUnit::Minute => 60_000_000_000,
            TimeUnit::Second => 1_000_000_000,
            TimeUnit::Millisecond => 1_000_000,
            TimeUnit::Microsecond => 1_000,
            TimeUnit::Nanosecond => 1,
        }
    }
}

/// The byte order of a [`Dtype::Scalar`].
///
/// ```
/// use recmap::{ByteOrder, Dtype, Record};
/// use zerocopy::byteorder::{BigEndian, U64};
/// assert!(matches!(<U64<BigEndian>>::DTYPE, Dtype::Scalar { order: ByteOrder::Big, .. }));
/// assert!(matches!(u8::DTYPE, Dtype::Scalar { order: ByteOrder::NotApplicable, .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first (numpy `<`).
    Little,
    /// Most significant byte first (numpy `>`).
    Big,
    /// One-byte types (numpy `|`).
    NotApplicable,
}

impl ByteOrder {
    /// The byte order of this machine.
    ///
    /// # Examples
    ///
    /// ```
    /// # use recmap::ByteOrder;
    /// assert_ne!(ByteOrder::NATIVE, ByteOrder::NotApplicable);
    /// ```
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "little") {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };

    /// numpy's byte-order character: `<`, `>` or `|`.
    pub(crate) const fn code(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::NotApplicable => '|',
        }
    }
}

/// One field of a [`Dtype::Struct`].
///
/// # Examples
///
/// ```
/// #[recmap::record]
/// struct Sample { t: u32, v: f32 }
///
/// let f = &<Sample as recmap::Record>::FIELDS[1];
/// assert_eq!((f.name, f.offset, f.size, f.ty), ("v", 4, 4, "f32"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field's name (`f0`, `f1`, … for tuple structs, as numpy names them).
    pub name: &'static str,
    /// Offset from the start of the record, in bytes.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
    /// The Rust type as written in the struct.
    pub ty: &'static str,
    /// The field's layout.
    pub dtype: &'static Dtype,
}

impl Field {
    /// Whether the field is padding (its dtype is [`Dtype::Void`]): numpy lists it unnamed in
    /// the file's `descr` and drops it when it reads the file.
    ///
    /// # Examples
    ///
    /// ```
    /// #[recmap::record]
    /// struct Quote { price: f64, size: u32, _pad: [u8; 4] }
    ///
    /// use recmap::Record;
    /// assert!(!Quote::FIELDS[1].is_padding());
    /// assert!(Quote::FIELDS[2].is_padding());
    /// ```
    pub const fn is_padding(&self) -> bool {
        matches!(self.dtype, Dtype::Void(_))
    }

    /// The name numpy gives the field: the Rust name, or `""` for padding.
    ///
    /// # Examples
    ///
    /// ```
    /// #[recmap::record]
    /// struct Quote { price: f64, size: u32, _pad: [u8; 4] }
    ///
    /// use recmap::Record;
    /// let names: Vec<&str> = Quote::FIELDS.iter().map(|f| f.numpy_name()).collect();
    /// assert_eq!(names, ["price", "size", ""]);
    /// ```
    pub const fn numpy_name(&self) -> &'static str {
        if self.is_padding() { "" } else { self.name }
    }
}

impl Dtype {
    /// A native-byte-order scalar (the primitives' dtypes).
    pub(crate) const fn native(kind: ScalarKind, size: usize) -> Dtype {
        Dtype::Scalar {
            kind,
            size,
            order: if size == 1 {
                ByteOrder::NotApplicable
            } else {
                ByteOrder::NATIVE
            },
        }
    }

    /// Size in bytes of one value.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::Record;
    /// assert_eq!(<[[u16; 3]; 2]>::DTYPE.size(), 12);
    /// ```
    pub const fn size(&self) -> usize {
        match *self {
            Dtype::Scalar { size, .. } | Dtype::Void(size) => size,
            Dtype::Array { elem, len } => elem.size() * len,
            Dtype::Struct(fields) => match fields.last() {
                Some(f) => f.offset + f.size,
                None => 0,
            },
        }
    }

    /// The innermost element type and the array dimensions around it: `[[f32; 4]; 2]` is
    /// `f32` with shape `[2, 4]`; a non-array type has an empty shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::Record;
    /// let (base, shape) = <[[f32; 4]; 2]>::DTYPE.base_and_shape();
    /// assert_eq!((*base, shape), (f32::DTYPE, vec![2, 4]));
    /// ```
    pub fn base_and_shape(&self) -> (&Dtype, Vec<usize>) {
        let mut shape = Vec::new();
        let mut base = self;
        while let Dtype::Array { elem, len } = base {
            shape.push(*len);
            base = elem;
        }
        (base, shape)
    }

    /// numpy's type string for a scalar or void type (`'<u8'`, `'|u1'`, `'>f4'`, `'|S8'`,
    /// `'<M8[ns]'`, `'|V3'`) — numpy's `dtype.str` — without quotes; `None` for arrays and
    /// structs.
    ///
    /// # Examples
    ///
    /// ```
    /// use recmap::{DateTime64, Record, S, unit::Ns};
    /// use zerocopy::byteorder::{BigEndian, U32};
    /// assert_eq!(<U32<BigEndian>>::DTYPE.type_str().as_deref(), Some(">u4"));
    /// assert_eq!(<S<8>>::DTYPE.type_str().as_deref(), Some("|S8"));
    /// assert_eq!(<DateTime64<Ns>>::DTYPE.type_str().as_deref(), Some("<M8[ns]"));
    /// assert_eq!(<[u8; 2]>::DTYPE.type_str(), None);
    /// ```
    pub fn type_str(&self) -> Option<String> {
        match *self {
            Dtype::Scalar { kind, size, order } => {
                let (order, kind_code) = (order.code(), kind.code());
                Some(match kind {
                    ScalarKind::DateTime(unit) | ScalarKind::TimeDelta(unit) => {
                        format!("{order}{kind_code}{size}[{}]", unit.code())
                    }
                    _ => format!("{order}{kind_code}{size}"),
                })
            }
            Dtype::Void(size) => Some(format!("|V{size}")),
            Dtype::Array { .. } | Dtype::Struct(_) => None,
        }
    }

    /// The Python literal numpy uses to describe this type: what `numpy.dtype(...).descr`
    /// prints for a struct (`[('id', '<u8'), ('v', '<f4', (4,))]`, padding as `('', '|V3')`),
    /// the quoted type string for a scalar (`'<f8'`, numpy's `dtype.str`), and
    /// `(base, shape)` for an array (`('<f4', (4,))`, numpy's subarray form). It is what
    /// numpy's `np.lib.format.dtype_to_descr` writes into a .npy header for the same dtype.
    ///
    /// # Examples
    ///
    /// ```
    /// #[recmap::record]
    /// struct Trade { id: u64, price: f64, qty: u32, side: u8, _pad: [u8; 3] }
    ///
    /// use recmap::Record;
    /// // numpy: np.dtype({'names': ['id', 'price', 'qty', 'side'],
    /// //                  'formats': ['<u8', '<f8', '<u4', 'u1'], 'itemsize': 24}).descr
    /// assert_eq!(
    ///     Trade::DTYPE.descr(),
    ///     "[('id', '<u8'), ('price', '<f8'), ('qty', '<u4'), ('side', '|u1'), ('', '|V3')]"
    /// );
    /// ```
    pub fn descr(&self) -> String {
        let mut out = String::new();
        write_descr(&mut out, self);
        out
    }
}

/// One node of a dtype tree as numpy's `descr` literal shows it. [`Dtype`] (a Rust record's
/// layout) and the format layer's `NpyDtype` (what a file says) are both such trees, so
/// [`write_descr`] is the one printer of both.
pub(crate) enum DescrNode<'a, T: ?Sized> {
    /// A type string such as `<u8` or `|V3`.
    Scalar(Cow<'a, str>),
    /// A subarray: its element type (never itself a subarray, for `Dtype`) and shape.
    Array(&'a T, Cow<'a, [usize]>),
    /// Named fields, in order.
    Struct(Vec<(&'a str, &'a T)>),
}

/// A dtype tree that [`write_descr`] can print.
pub(crate) trait DescrTree {
    /// This node, as the printer sees it.
    fn descr_node(&self) -> DescrNode<'_, Self>;
}

impl DescrTree for Dtype {
    fn descr_node(&self) -> DescrNode<'_, Dtype> {
        match self {
            Dtype::Struct(fields) => {
                DescrNode::Struct(fields.iter().map(|f| (f.numpy_name(), f.dtype)).collect())
            }
            Dtype::Array { .. } => {
                // numpy describes nested arrays as one subarray of the innermost type.
                let (base, shape) = self.base_and_shape();
                DescrNode::Array(base, Cow::Owned(shape))
            }
            Dtype::Scalar { .. } | Dtype::Void(_) => {
                DescrNode::Scalar(Cow::Owned(self.type_str().unwrap_or_default()))
            }
        }
    }
}

/// numpy's `descr` literal: `'<u8'`, `('<f4', (4,))`, `[('id', '<u8'), ('v', '<f4', (4,))]`.
pub(crate) fn write_descr<T: DescrTree + ?Sized>(out: &mut String, dtype: &T) {
    match dtype.descr_node() {
        DescrNode::Scalar(text) => write_py_str(out, &text),
        DescrNode::Array(elem, shape) => {
            out.push('(');
            write_descr(out, elem);
            out.push_str(", ");
            write_shape(out, &shape);
            out.push(')');
        }
        DescrNode::Struct(fields) => {
            out.push('[');
            for (i, (name, field)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_field(out, name, field);
            }
            out.push(']');
        }
    }
}

/// One field of a struct's `descr`: `('name', '<u8')`, or `('name', '<f4', (4,))` for a
/// subarray.
pub(crate) fn write_field<T: DescrTree + ?Sized>(out: &mut String, name: &str, dtype: &T) {
    out.push('(');
    write_py_str(out, name);
    out.push_str(", ");
    match dtype.descr_node() {
        DescrNode::Array(elem, shape) => {
            write_descr(out, elem);
            out.push_str(", ");
            write_shape(out, &shape);
        }
        DescrNode::Scalar(_) | DescrNode::Struct(_) => write_descr(out, dtype),
    }
    out.push(')');
}

/// `text` as Python's `repr()` writes a `str` (what numpy's `descr` shows, and what
/// `ast.literal_eval` reads back to `text`): in `'` quotes, or `"` if `text` has a `'` and no
/// `"`; the quote and `\\` escaped; `\t`, `\n`, `\r`; other ASCII controls and DEL as `\xNN`;
/// non-ASCII kept if printable, else `\xNN`, `\uNNNN` or `\UNNNNNNNN` by size.
pub(crate) fn write_py_str(out: &mut String, text: &str) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        let code = u32::from(c);
        let _ = match c {
            '\\' => out.write_str("\\\\"),
            _ if c == quote => write!(out, "\\{c}"),
            '\t' => out.write_str("\\t"),
            '\n' => out.write_str("\\n"),
            '\r' => out.write_str("\\r"),
            ' '..='~' => out.write_char(c),
            _ if c.is_ascii() => write!(out, "\\x{code:02x}"),
            _ if is_printable(c) => out.write_char(c),
            _ if code <= 0xff => write!(out, "\\x{code:02x}"),
            _ if code <= 0xffff => write!(out, "\\u{code:04x}"),
            _ => write!(out, "\\U{code:08x}"),
        };
    }
    out.push(quote);
}

/// Python's `str.isprintable()` for a non-ASCII `c`: false for the general categories Cc,
/// Cf, Cs, Co, Cn, Zl, Zp and Zs. std's `str::escape_debug` escapes exactly those after a
/// string's first character (the first also has its combining marks escaped), so std's own
/// table answers, in the toolchain's Unicode version.
fn is_printable(c: char) -> bool {
    let mut buf = [b' '; 5];
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    std::str::from_utf8(&buf[..len]).is_ok_and(|s| s.escape_debug().nth(1) == Some(c))
}

/// A Python tuple: `(4,)`, `(2, 4)`.
pub(crate) fn write_shape(out: &mut String, shape: &[usize]) {
    out.push('(');
    for (i, n) in shape.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{n}");
    }
    if shape.len() == 1 {
        out.push(',');
    }
    out.push(')');
}

impl fmt::Display for Dtype {
    /// The same text as [`Dtype::descr`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.descr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py_repr(text: &str) -> String {
        let mut out = String::new();
        write_py_str(&mut out, text);
        out
    }

    /// What Python 3 prints for `repr(text)` (tests/format.rs checks every code point against
    /// the real Python).
    #[test]
    fn names_are_written_as_pythons_repr() {
        for (text, python) in [
            ("a'b\"c", r#"'a\'b"c'"#),
            ("it's", r#""it's""#),
            ("say \"hi\"", r#"'say "hi"'"#),
            ("a\nb\tc\rd\\e", r"'a\nb\tc\rd\\e'"),
            ("\0\x1b\x7f", r"'\x00\x1b\x7f'"),
            ("é😀", "'é😀'"),
            ("\u{85}\u{a0}\u{ad}", r"'\x85\xa0\xad'"),
            (
                "\u{200b}\u{2028}\u{3000}\u{e000}\u{feff}",
                r"'\u200b\u2028\u3000\ue000\ufeff'",
            ),
            ("\u{10ffff}\u{f0000}", r"'\U0010ffff\U000f0000'"),
            ("\u{301}x", "'\u{301}x'"),
            ("\u{378}", r"'\u0378'"),
            ("", "''"),
        ] {
            assert_eq!(py_repr(text), python, "{text:?}");
        }
    }
}
