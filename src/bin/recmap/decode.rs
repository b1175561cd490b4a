//! Decoding records from a .npy file's own dtype, with no Rust type: CSV cells or JSON.

use std::fmt::Write as _;

use recmap::npy::NpyDtype;

/// How many CSV columns a record of `dtype` has, without building them (saturating).
pub fn column_count(dtype: &NpyDtype) -> u64 {
    match dtype {
        NpyDtype::Scalar { .. } => 1,
        NpyDtype::Array { elem, shape } => shape
            .iter()
            .fold(column_count(elem), |n, &d| n.saturating_mul(d as u64)),
        NpyDtype::Struct(fields) => fields
            .iter()
            .fold(0u64, |n, (_, d)| n.saturating_add(column_count(d))),
    }
}

/// Column names for CSV: struct fields as `a.b`, subarray elements as `v[0]`, `m[1][2]`.
pub fn columns(dtype: &NpyDtype, prefix: &str, out: &mut Vec<String>) {
    match dtype {
        NpyDtype::Scalar { .. } => out.push(if prefix.is_empty() {
            "value".into()
        } else {
            prefix.into()
        }),
        NpyDtype::Array { elem, shape } => {
            for index in indices(shape) {
                let name = index
                    .iter()
                    .fold(prefix.to_owned(), |s, i| format!("{s}[{i}]"));
                columns(elem, &name, out);
            }
        }
        NpyDtype::Struct(fields) => {
            for (name, d) in fields {
                let full = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                columns(d, &full, out);
            }
        }
    }
}

/// Every index of an array of `shape`, in row-major order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut all = vec![vec![]];
    for &n in shape {
        all = all
            .into_iter()
            .flat_map(|prefix| (0..n).map(move |i| [prefix.clone(), vec![i]].concat()))
            .collect();
    }
    all
}

/// One CSV line's cells for a record.
pub fn cells(dtype: &NpyDtype, bytes: &[u8], out: &mut Vec<String>) {
    match dtype {
        NpyDtype::Scalar { .. } => out.push(csv_cell(&scalar(dtype, bytes))),
        NpyDtype::Array { elem, .. } => {
            for chunk in bytes.chunks_exact(elem.size()) {
                cells(elem, chunk, out);
            }
        }
        NpyDtype::Struct(fields) => {
            let mut at = 0;
            for (_, d) in fields {
                cells(d, bytes.get(at..at + d.size()).unwrap_or_default(), out);
                at += d.size();
            }
        }
    }
}

/// A record as JSON: structs as objects, subarrays as (nested) arrays.
pub fn json(dtype: &NpyDtype, bytes: &[u8], out: &mut String) {
    match dtype {
        NpyDtype::Scalar { .. } => out.push_str(&json_scalar(&scalar(dtype, bytes))),
        NpyDtype::Array { elem, shape } => json_array(elem, shape, bytes, out),
        NpyDtype::Struct(fields) => {
            out.push('{');
            let mut at = 0;
            for (i, (name, d)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&json_string(name));
                out.push_str(": ");
                json(d, bytes.get(at..at + d.size()).unwrap_or_default(), out);
                at += d.size();
            }
            out.push('}');
        }
    }
}

fn json_array(elem: &NpyDtype, shape: &[usize], bytes: &[u8], out: &mut String) {
    let Some((&n, rest)) = shape.split_first() else {
        return json(elem, bytes, out);
    };
    let step = elem.size() * rest.iter().product::<usize>();
    out.push('[');
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        json_array(
            elem,
            rest,
            bytes.get(i * step..(i + 1) * step).unwrap_or_default(),
            out,
        );
    }
    out.push(']');
}

/// A decoded scalar.
enum Scalar {
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
    Complex(f64, f64),
    Text(String),
    /// Opaque bytes (void and unsupported sizes), shown as hex.
    Bytes(Vec<u8>),
}

fn scalar(dtype: &NpyDtype, bytes: &[u8]) -> Scalar {
    let NpyDtype::Scalar {
        order, kind, size, ..
    } = dtype
    else {
        return Scalar::Bytes(bytes.to_vec());
    };
    let big = *order == '>' || (*order == '=' && cfg!(target_endian = "big"));
    // The value's bytes in little-endian order, zero-extended to 8 bytes.
    let le = |b: &[u8]| -> [u8; 8] {
        let mut out = [0u8; 8];
        for (i, &x) in b.iter().take(8).enumerate() {
            out[if big { b.len().min(8) - 1 - i } else { i }] = x;
        }
        out
    };
    let uint = |b: &[u8]| u64::from_le_bytes(le(b));
    let sign_extend = |v: u64, size: usize| {
        let shift = 64 - 8 * size as u32;
        ((v << shift) as i64) >> shift
    };
    match (kind, size) {
        ('u', 1 | 2 | 4 | 8) => Scalar::Uint(uint(bytes)),
        ('i' | 'M' | 'm', 1 | 2 | 4 | 8) => Scalar::Int(sign_extend(uint(bytes), *size)),
        ('b', 1) => Scalar::Bool(bytes.first().is_some_and(|&b| b != 0)),
        ('f', 2) => Scalar::Float(half_to_f64(uint(bytes) as u16)),
        ('f', 4) => Scalar::Float(f64::from(f32::from_bits(uint(bytes) as u32))),
        ('f', 8) => Scalar::Float(f64::from_bits(uint(bytes))),
        ('c', 8 | 16) => {
            let half = size / 2;
            let part = |b: &[u8]| match half {
                4 => f64::from(f32::from_bits(uint(b) as u32)),
                _ => f64::from_bits(uint(b)),
            };
            Scalar::Complex(
                part(bytes.get(..half).unwrap_or_default()),
                part(bytes.get(half..).unwrap_or_default()),
            )
        }
        ('S', _) => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            Scalar::Text(String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned())
        }
        ('U', _) => Scalar::Text(
            bytes
                .chunks_exact(4)
                .map(|c| uint(c) as u32)
                .take_while(|&c| c != 0)
                .map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        ),
        _ => Scalar::Bytes(bytes.to_vec()),
    }
}

/// IEEE 754 half precision to f64.
fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{f:?}")
    }
}

fn csv_cell(v: &Scalar) -> String {
    match v {
        Scalar::Int(i) => i.to_string(),
        Scalar::Uint(u) => u.to_string(),
        Scalar::Float(f) => float_text(*f),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Complex(re, im) => format!(
            "{}{}{}j",
            float_text(*re),
            if *im < 0.0 { "" } else { "+" },
            float_text(*im)
        ),
        Scalar::Text(s) if s.contains([',', '"', '\n']) => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Scalar::Text(s) => s.clone(),
        Scalar::Bytes(b) => hex(b),
    }
}

fn json_scalar(v: &Scalar) -> String {
    let num = |f: f64| {
        if f.is_finite() {
            format!("{f:?}")
        } else {
            "null".into()
        }
    };
    match v {
        Scalar::Int(i) => i.to_string(),
        Scalar::Uint(u) => u.to_string(),
        Scalar::Float(f) => num(*f),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Complex(re, im) => format!("[{}, {}]", num(*re), num(*im)),
        Scalar::Text(s) => json_string(s),
        Scalar::Bytes(b) => json_string(&hex(b)),
    }
}

pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats() {
        assert_eq!(half_to_f64(0x3c00), 1.0);
        assert_eq!(half_to_f64(0xc000), -2.0);
        assert_eq!(half_to_f64(0x3555), 0.333251953125);
        assert!(half_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
    }
}
