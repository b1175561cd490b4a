//! Decoding records from a .npy file's own dtype, with no Rust type, streamed: JSON through
//! `serde_json` (escaping right by construction), CSV through the `csv` crate (quoting), float16
//! through `half`. Nothing here builds a record's text in memory: values go straight to the
//! writer, so memory stays bounded whatever the header claims (`inspect` refuses records whose
//! *output* would be absurd before writing any).

use std::fmt::Write as _;
use std::io::Write;

use recmap::npy::NpyDtype;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// Whether a struct field is padding, which numpy drops on reading, and so does `dump`.
fn is_padding(name: &str, dtype: &NpyDtype) -> bool {
    dtype.is_padding(name)
}

/// How many CSV columns a record of `dtype` has (saturating).
pub fn column_count(dtype: &NpyDtype) -> u64 {
    match dtype {
        NpyDtype::Scalar { .. } => 1,
        NpyDtype::Array { elem, shape } => shape
            .iter()
            .fold(column_count(elem), |n, &d| n.saturating_mul(d as u64)),
        NpyDtype::Struct(fields) => fields
            .iter()
            .filter(|(name, d)| !is_padding(name, d))
            .fold(0u64, |n, (_, d)| n.saturating_add(column_count(d))),
    }
}

/// The longest CSV column name of `dtype` in bytes (saturating): with `column_count`, a bound
/// on the header line's length.
pub fn longest_column_name(dtype: &NpyDtype) -> u64 {
    match dtype {
        NpyDtype::Scalar { .. } => 5, // "value"
        NpyDtype::Array { elem, shape } => shape.iter().fold(longest_column_name(elem), |n, &d| {
            n.saturating_add(2 + d.to_string().len() as u64)
        }),
        NpyDtype::Struct(fields) => fields
            .iter()
            .map(|(name, d)| (name.len() as u64 + 1).saturating_add(longest_column_name(d)))
            .max()
            .unwrap_or(0),
    }
}

/// How many JSON values (numbers, strings, arrays, objects) a record of `dtype` is
/// (saturating): a bound on the work and output of one JSON line, empty arrays included.
pub fn json_items(dtype: &NpyDtype) -> u64 {
    match dtype {
        NpyDtype::Scalar { .. } => 1,
        NpyDtype::Array { elem, shape } => array_items(json_items(elem), shape),
        NpyDtype::Struct(fields) => fields
            .iter()
            .fold(1u64, |n, (_, d)| n.saturating_add(json_items(d))),
    }
}

fn array_items(elem: u64, shape: &[usize]) -> u64 {
    match shape.split_first() {
        None => elem,
        Some((&n, rest)) => (n as u64)
            .saturating_mul(array_items(elem, rest))
            .saturating_add(1),
    }
}

/// Writes the CSV header: struct fields as `a.b`, subarray elements as `v[0]`, `m[1][2]`.
pub fn write_columns<W: Write>(
    dtype: &NpyDtype,
    prefix: &mut String,
    out: &mut csv::Writer<W>,
) -> csv::Result<()> {
    match dtype {
        NpyDtype::Scalar { .. } => {
            out.write_field(if prefix.is_empty() { "value" } else { prefix })
        }
        NpyDtype::Array { elem, shape } => {
            // No columns (a zero dimension, or elements without columns): nothing to walk,
            // however large the other dimensions are.
            if column_count(dtype) == 0 {
                return Ok(());
            }
            let Some((&n, rest)) = shape.split_first() else {
                return write_columns(elem, prefix, out);
            };
            let inner = NpyDtype::Array {
                elem: elem.clone(),
                shape: rest.to_vec(),
            };
            for i in 0..n {
                let len = prefix.len();
                let _ = write!(prefix, "[{i}]");
                write_columns(&inner, prefix, out)?;
                prefix.truncate(len);
            }
            Ok(())
        }
        NpyDtype::Struct(fields) => {
            for (name, d) in fields.iter().filter(|(name, d)| !is_padding(name, d)) {
                let len = prefix.len();
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(name);
                write_columns(d, prefix, out)?;
                prefix.truncate(len);
            }
            Ok(())
        }
    }
}

/// Writes a record's CSV cells (not the record's end).
pub fn write_cells<W: Write>(
    dtype: &NpyDtype,
    bytes: &[u8],
    text: &mut String,
    out: &mut csv::Writer<W>,
) -> csv::Result<()> {
    match dtype {
        NpyDtype::Scalar { .. } => {
            text.clear();
            scalar(dtype, bytes).csv_text(text);
            out.write_field(&*text)
        }
        NpyDtype::Array { elem, shape } => {
            let size = elem.size();
            if size == 0 || column_count(elem) == 0 {
                // Zero-sized elements have no bytes to walk; their columns (if any) are empty.
                let cells = column_count(dtype);
                for _ in 0..cells {
                    out.write_field("")?;
                }
                return Ok(());
            }
            let count: usize = shape.iter().product();
            for chunk in bytes.chunks_exact(size).take(count) {
                write_cells(elem, chunk, text, out)?;
            }
            Ok(())
        }
        NpyDtype::Struct(fields) => {
            let mut at = 0;
            for (name, d) in fields {
                if !is_padding(name, d) {
                    write_cells(
                        d,
                        bytes.get(at..at + d.size()).unwrap_or_default(),
                        text,
                        out,
                    )?;
                }
                at += d.size();
            }
            Ok(())
        }
    }
}

/// A record (or part of one) to serialize as JSON: structs as objects, subarrays as nested
/// arrays, numbers as numbers, text as strings.
pub struct Json<'a> {
    pub dtype: &'a NpyDtype,
    pub bytes: &'a [u8],
}

/// A subarray's remaining dimensions over its bytes.
struct JsonArray<'a> {
    elem: &'a NpyDtype,
    shape: &'a [usize],
    bytes: &'a [u8],
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.dtype {
            NpyDtype::Scalar { .. } => scalar(self.dtype, self.bytes).serialize(s),
            NpyDtype::Array { elem, shape } => JsonArray {
                elem,
                shape,
                bytes: self.bytes,
            }
            .serialize(s),
            NpyDtype::Struct(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                let mut at = 0;
                for (name, d) in fields {
                    let bytes = self.bytes.get(at..at + d.size()).unwrap_or_default();
                    if !is_padding(name, d) {
                        map.serialize_entry(name, &Json { dtype: d, bytes })?;
                    }
                    at += d.size();
                }
                map.end()
            }
        }
    }
}

impl Serialize for JsonArray<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some((&n, rest)) = self.shape.split_first() else {
            return Json {
                dtype: self.elem,
                bytes: self.bytes,
            }
            .serialize(s);
        };
        let step = self.elem.size() * rest.iter().product::<usize>();
        let mut seq = s.serialize_seq(Some(n))?;
        for i in 0..n {
            let bytes = self.bytes.get(i * step..(i + 1) * step).unwrap_or_default();
            seq.serialize_element(&JsonArray {
                elem: self.elem,
                shape: rest,
                bytes,
            })?;
        }
        seq.end()
    }
}

/// Some of a struct record's fields, as `dump --fields` picked them: each with its byte offset
/// in the record, in the order asked for.
pub struct Fields<'a>(Vec<(&'a str, usize, &'a NpyDtype)>);

impl<'a> Fields<'a> {
    /// The fields of `record` (a struct) named in `names`, in that order. Errors say which
    /// name is unknown or repeated, and list the record's fields; a record that is no struct
    /// has none to pick.
    pub fn pick(record: &'a NpyDtype, names: &[String]) -> Result<Fields<'a>, String> {
        let NpyDtype::Struct(all) = record else {
            return Err(format!(
                "--fields picks fields of structured records; these records are {record}"
            ));
        };
        let mut at = 0;
        let mut fields = Vec::new();
        for (name, d) in all {
            if !is_padding(name, d) {
                fields.push((name.as_str(), at, d));
            }
            at += d.size();
        }
        let mut picked: Vec<(&str, usize, &NpyDtype)> = Vec::with_capacity(names.len());
        for want in names {
            if picked.iter().any(|(name, ..)| name == want) {
                return Err(format!("--fields names `{want}` twice"));
            }
            let Some(&field) = fields.iter().find(|(name, ..)| name == want) else {
                let known: Vec<&str> = fields.iter().map(|(name, ..)| *name).collect();
                return Err(format!(
                    "no field `{want}`: the fields are {}",
                    known.join(", ")
                ));
            };
            picked.push(field);
        }
        Ok(Fields(picked))
    }

    /// How many CSV columns the picked fields have (saturating).
    pub fn column_count(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |n, (_, _, d)| n.saturating_add(column_count(d)))
    }

    /// The longest CSV column name, as [`longest_column_name`] counts it.
    pub fn longest_column_name(&self) -> u64 {
        self.0
            .iter()
            .map(|(name, _, d)| (name.len() as u64 + 1).saturating_add(longest_column_name(d)))
            .max()
            .unwrap_or(0)
    }

    /// How many JSON values a record's line is, as [`json_items`] counts them.
    pub fn json_items(&self) -> u64 {
        self.0
            .iter()
            .fold(1u64, |n, (_, _, d)| n.saturating_add(json_items(d)))
    }

    /// Writes the CSV header: the picked fields' columns, named as for the whole record.
    pub fn write_columns<W: Write>(&self, out: &mut csv::Writer<W>) -> csv::Result<()> {
        let mut prefix = String::new();
        for (name, _, d) in &self.0 {
            prefix.clear();
            prefix.push_str(name);
            write_columns(d, &mut prefix, out)?;
        }
        Ok(())
    }

    /// Writes the picked fields' CSV cells of one record's `bytes` (not the record's end).
    pub fn write_cells<W: Write>(
        &self,
        bytes: &[u8],
        text: &mut String,
        out: &mut csv::Writer<W>,
    ) -> csv::Result<()> {
        for &(_, at, d) in &self.0 {
            let field = bytes.get(at..at + d.size()).unwrap_or_default();
            write_cells(d, field, text, out)?;
        }
        Ok(())
    }

    /// One record's picked fields as a JSON object.
    pub fn json<'b>(&'b self, bytes: &'b [u8]) -> impl Serialize + 'b {
        JsonFields {
            fields: self,
            bytes,
        }
    }
}

/// A record's picked fields as a JSON object, in the order picked.
struct JsonFields<'a, 'b> {
    fields: &'b Fields<'a>,
    bytes: &'b [u8],
}

impl Serialize for JsonFields<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.0.len()))?;
        for &(name, at, dtype) in &self.fields.0 {
            let bytes = self.bytes.get(at..at + dtype.size()).unwrap_or_default();
            map.serialize_entry(name, &Json { dtype, bytes })?;
        }
        map.end()
    }
}

/// serde_json's compact output with a space after `:` and `,` — the format `dump` has always
/// printed.
pub struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}

/// A decoded scalar.
enum Scalar {
    Int(i64),
    Uint(u64),
    F16(half::f16),
    F32(f32),
    F64(f64),
    Bool(bool),
    Complex(f64, f64),
    Complex32(f32, f32),
    /// `S` values: bytes, shown as Python shows them inside `b'…'` (lossless).
    Bytes(Vec<u8>),
    /// `U` values: code points (a value that is no char is shown as `\U` and 8 hex digits).
    Text(String),
    /// Void and anything without a number: hex.
    Opaque(Vec<u8>),
}

fn scalar(dtype: &NpyDtype, bytes: &[u8]) -> Scalar {
    let NpyDtype::Scalar {
        order, kind, size, ..
    } = dtype
    else {
        return Scalar::Opaque(bytes.to_vec());
    };
    let big = *order == '>' || (*order == '=' && cfg!(target_endian = "big"));
    // Up to 16 bytes of the value, little-endian.
    let le = |b: &[u8]| -> [u8; 16] {
        let mut out = [0u8; 16];
        let n = b.len().min(16);
        for (i, &x) in b.iter().take(n).enumerate() {
            out[if big { n - 1 - i } else { i }] = x;
        }
        out
    };
    let uint = |b: &[u8]| {
        let v = le(b);
        u64::from_le_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]])
    };
    let sign_extend = |v: u64, size: usize| {
        let shift = 64 - 8 * size as u32;
        ((v << shift) as i64) >> shift
    };
    let half = size / 2;
    let (lo, hi) = (
        bytes.get(..half).unwrap_or_default(),
        bytes.get(half..).unwrap_or_default(),
    );
    match (kind, size) {
        ('u', 1 | 2 | 4 | 8) => Scalar::Uint(uint(bytes)),
        ('i' | 'M' | 'm', 1 | 2 | 4 | 8) => Scalar::Int(sign_extend(uint(bytes), *size)),
        ('b', 1) => Scalar::Bool(bytes.first().is_some_and(|&b| b != 0)),
        ('f', 2) => Scalar::F16(half::f16::from_bits(uint(bytes) as u16)),
        ('f', 4) => Scalar::F32(f32::from_bits(uint(bytes) as u32)),
        ('f', 8) => Scalar::F64(f64::from_bits(uint(bytes))),
        // numpy's long double on x86: the 80-bit extended format, padded to 12 or 16 bytes.
        ('f', 12 | 16) => Scalar::F64(extended_to_f64(le(bytes))),
        ('c', 8) => Scalar::Complex32(
            f32::from_bits(uint(lo) as u32),
            f32::from_bits(uint(hi) as u32),
        ),
        ('c', 16) => Scalar::Complex(f64::from_bits(uint(lo)), f64::from_bits(uint(hi))),
        ('c', 24 | 32) => Scalar::Complex(extended_to_f64(le(lo)), extended_to_f64(le(hi))),
        ('S', _) => {
            // numpy strips trailing NULs only: b'a\x00b' stays b'a\x00b'.
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            Scalar::Bytes(bytes.get(..end).unwrap_or_default().to_vec())
        }
        ('U', _) => {
            let points: Vec<u32> = bytes.chunks_exact(4).map(|c| uint(c) as u32).collect();
            let end = points.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
            let mut text = String::new();
            for &c in &points[..end] {
                match char::from_u32(c) {
                    Some(ch) => text.push(ch),
                    None => {
                        let _ = write!(text, "\\U{c:08x}");
                    }
                }
            }
            Scalar::Text(text)
        }
        _ => Scalar::Opaque(bytes.to_vec()),
    }
}

/// An x87 80-bit extended float (little-endian, in the first 10 of `b`) to the nearest f64,
/// with the x87's own rules: the integer bit is explicit, and the encodings the x87 calls
/// invalid (unnormals, pseudo-infinities, pseudo-NaNs) are NaN, as numpy shows them.
fn extended_to_f64(b: [u8; 16]) -> f64 {
    let mantissa = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let se = u16::from_le_bytes([b[8], b[9]]);
    let negative = se & 0x8000 != 0;
    let exp = i32::from(se & 0x7fff);
    let integer_bit = mantissa >> 63 == 1;
    let magnitude = match exp {
        0x7fff if integer_bit && mantissa << 1 == 0 => f64::INFINITY,
        0x7fff => return f64::NAN,
        // Denormals (and pseudo-denormals, integer bit set) have the exponent of 1.
        0 => round_to_f64(mantissa, 1 - 16383),
        _ if !integer_bit => return f64::NAN,
        _ => round_to_f64(mantissa, exp - 16383),
    };
    if negative { -magnitude } else { magnitude }
}

/// `mantissa / 2^63 * 2^exp` rounded once, to nearest with ties to even, into an f64 —
/// normal, subnormal, zero or infinite. (Converting the mantissa to f64 and then scaling
/// rounds twice when the result is subnormal: 53 bits, then fewer.)
fn round_to_f64(mantissa: u64, exp: i32) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    // Normalize: the top bit set, the value `m / 2^63 * 2^e` in [2^e, 2^(e + 1)).
    let shift = mantissa.leading_zeros();
    let m = mantissa << shift;
    let e = exp - shift as i32;
    if e > 1023 {
        return f64::INFINITY;
    }
    // Bits of `m` below the f64's last place: 11 for a normal result; for a subnormal one,
    // whose last place is 2^-1074, more (all 64 and beyond for a value below 2^-1075).
    let dropped = if e >= -1022 { 11 } else { (-1011 - e) as u32 };
    let (kept, rest, half) = if dropped >= 128 {
        (0, 1, 2) // below a quarter of the smallest subnormal: rounds to zero
    } else {
        let wide = u128::from(m);
        (
            wide >> dropped,
            wide & ((1u128 << dropped) - 1),
            1u128 << (dropped - 1),
        )
    };
    let round_up = rest > half || (rest == half && kept & 1 == 1);
    let kept = kept as u64 + u64::from(round_up);
    // A normal result: the biased exponent above the 52 stored bits, plus the 53-bit
    // significand whose leading 1 adds one to it (a carry out of rounding adds one more, up
    // to infinity's exponent). A subnormal one: the significand is the bits, and a carry into
    // 2^52 makes the smallest normal.
    let bits = if e >= -1022 {
        ((e + 1022) as u64) << 52
    } else {
        0
    } + kept;
    f64::from_bits(bits)
}

impl Scalar {
    fn csv_text(&self, out: &mut String) {
        let _ = match self {
            Scalar::Int(i) => write!(out, "{i}"),
            Scalar::Uint(u) => write!(out, "{u}"),
            Scalar::F16(f) => float_text(f64::from(f.to_f32()), &format!("{:?}", f.to_f32()), out),
            Scalar::F32(f) => float_text(f64::from(*f), &format!("{f:?}"), out),
            Scalar::F64(f) => float_text(*f, &format!("{f:?}"), out),
            Scalar::Bool(b) => write!(out, "{b}"),
            Scalar::Complex(re, im) => {
                complex_text(*re, &format!("{re:?}"), *im, &format!("{im:?}"), out)
            }
            Scalar::Complex32(re, im) => complex_text(
                f64::from(*re),
                &format!("{re:?}"),
                f64::from(*im),
                &format!("{im:?}"),
                out,
            ),
            Scalar::Bytes(b) => {
                python_bytes(b, out);
                Ok(())
            }
            Scalar::Text(t) => write!(out, "{t}"),
            Scalar::Opaque(b) => {
                hex(b, out);
                Ok(())
            }
        };
    }
}

fn float_text(f: f64, shortest: &str, out: &mut String) -> std::fmt::Result {
    if f.is_nan() {
        out.write_str("nan")
    } else if f.is_infinite() {
        out.write_str(if f > 0.0 { "inf" } else { "-inf" })
    } else {
        out.write_str(shortest)
    }
}

fn complex_text(
    re: f64,
    re_text: &str,
    im: f64,
    im_text: &str,
    out: &mut String,
) -> std::fmt::Result {
    float_text(re, re_text, out)?;
    if im.is_nan() || im >= 0.0 {
        out.push('+');
    }
    float_text(im, im_text, out)?;
    out.write_str("j")
}

fn hex(bytes: &[u8], out: &mut String) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// Bytes as Python prints them between `b'` and `'`: printable ASCII as it is, `\\`, `\t`,
/// `\n`, `\r`, and `\xNN` for the rest — every byte recoverable.
fn python_bytes(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Int(i) => s.serialize_i64(*i),
            Scalar::Uint(u) => s.serialize_u64(*u),
            Scalar::F16(f) => s.serialize_f32(f.to_f32()),
            Scalar::F32(f) => s.serialize_f32(*f),
            Scalar::F64(f) => s.serialize_f64(*f),
            Scalar::Bool(b) => s.serialize_bool(*b),
            Scalar::Complex(re, im) => [*re, *im].serialize(s),
            Scalar::Complex32(re, im) => [*re, *im].serialize(s),
            Scalar::Bytes(b) => {
                let mut text = String::new();
                python_bytes(b, &mut text);
                s.serialize_str(&text)
            }
            Scalar::Text(t) => s.serialize_str(t),
            Scalar::Opaque(b) => {
                let mut text = String::new();
                hex(b, &mut text);
                s.serialize_str(&text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_text(descr: &str, bytes: &[u8]) -> String {
        let dtype = recmap::npy::Header::parse(&npy(descr)).unwrap().dtype;
        let mut out = String::new();
        scalar(&dtype, bytes).csv_text(&mut out);
        out
    }

    fn npy(descr: &str) -> Vec<u8> {
        let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (0,), }}");
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        let total = (10 + text.len() + 1).div_ceil(64) * 64;
        out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        out
    }

    #[test]
    fn half_floats() {
        assert_eq!(scalar_text("'<f2'", &0x3c00u16.to_le_bytes()), "1.0");
        assert_eq!(scalar_text("'<f2'", &0xc000u16.to_le_bytes()), "-2.0");
        assert_eq!(scalar_text("'<f2'", &0x3555u16.to_le_bytes()), "0.33325195");
        assert_eq!(scalar_text("'<f2'", &0x7e00u16.to_le_bytes()), "nan");
    }

    #[test]
    fn bytes_keep_embedded_nuls_and_every_byte() {
        assert_eq!(scalar_text("'|S5'", b"a\0b\0\0"), "a\\x00b");
        assert_eq!(scalar_text("'|S4'", b"\xff\\\n\x7f"), "\\xff\\\\\\n\\x7f");
        let u: Vec<u8> = [0x61u32, 0, 0x62, 0]
            .iter()
            .flat_map(|c| c.to_le_bytes())
            .collect();
        assert_eq!(scalar_text("'<U4'", &u), "a\0b");
        let bad: Vec<u8> = [0x110000u32].iter().flat_map(|c| c.to_le_bytes()).collect();
        assert_eq!(scalar_text("'<U1'", &bad), "\\U00110000");
    }

    #[test]
    fn long_doubles_are_decoded() {
        // 1.5 as x87 extended: mantissa 0xC000…, exponent 16383.
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&0xC000_0000_0000_0000u64.to_le_bytes());
        b[8..10].copy_from_slice(&16383u16.to_le_bytes());
        assert_eq!(scalar_text("'<f16'", &b), "1.5");
        let mut c = [0u8; 32];
        c[..16].copy_from_slice(&b);
        c[16..32].copy_from_slice(&b);
        assert_eq!(scalar_text("'<c32'", &c), "1.5+1.5j");
    }

    fn extended(mantissa: u64, sign_exp: u16) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&mantissa.to_le_bytes());
        b[8..10].copy_from_slice(&sign_exp.to_le_bytes());
        b
    }

    /// Long doubles land on the nearest f64, rounded once (ties to even) — in f64's
    /// subnormal range too, where converting the mantissa and then scaling rounded twice.
    /// The expected values are numpy's `np.float64(np.longdouble)` (tests/cli.rs checks
    /// thousands more against numpy itself).
    #[test]
    fn long_doubles_round_once() {
        let f = |mantissa, sign_exp| extended_to_f64(extended(mantissa, sign_exp));
        // Just above the halfway point between two subnormals 2^-1074 apart: the first
        // rounding (to 53 bits) made it a tie, and the second went to the even one.
        assert_eq!(f(0x8000_0000_0020_0001, 15350), 1.0864618449747e-311);
        assert_eq!(f(0x8000_0000_0020_0000, 15350), 1.086461844974e-311); // a tie: to even
        assert_eq!(f(0x8000_0000_0060_0000, 15350), 1.086461844975e-311); // a tie: to even
        assert_eq!(
            f(0x8000_0000_0020_0001, 0x8000 | 15350),
            -1.0864618449747e-311
        );
        // Around the smallest subnormal, 2^-1074: half of it is a tie (to zero), more is it.
        let half_min = 16383 - 1075;
        assert_eq!(f(1 << 63, half_min).to_bits(), 0);
        assert_eq!(f((1 << 63) | 1, half_min).to_bits(), 1);
        assert_eq!(f(u64::MAX, half_min - 1).to_bits(), 0);
        assert_eq!(f(1 << 63, 0x8000 | half_min).to_bits(), (-0.0f64).to_bits());
        // Rounding up out of the subnormals makes the smallest normal, 2^-1022.
        assert_eq!(f(u64::MAX, 16383 - 1023), f64::MIN_POSITIVE);
        // Normal results: 64 bits to 53.
        assert_eq!(f(u64::MAX, 16383), 2.0);
        assert_eq!(f(0x8000_0000_0000_0400, 16383), 1.0); // a tie: to even
        assert_eq!(f(0x8000_0000_0000_0c00, 16383), 1.0 + 2.0 * f64::EPSILON);
        // Past f64's range: infinity, also by rounding up from just below it.
        assert_eq!(f(u64::MAX, 16383 + 1023), f64::INFINITY);
        assert_eq!(f(0xffff_ffff_ffff_f800, 16383 + 1023), f64::MAX);
        assert_eq!(f(1 << 63, 0x8000 | 0x7ffe), f64::NEG_INFINITY);
        // Extended denormals and pseudo-denormals are far below f64's range.
        assert_eq!(f(1 << 62, 0), 0.0);
        assert_eq!(f(1 << 63, 0), 0.0);
        assert_eq!(f(0, 0), 0.0);
        assert!(f(0x4000_0000_0000_0000, 16383).is_nan()); // an unnormal
    }
}
