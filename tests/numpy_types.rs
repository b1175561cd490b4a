//! numpy's own record types — `S<N>` (`|S8`), `Bool` (`|b1`), `DateTime64`/`TimeDelta64`
//! (`<M8[ns]`, `<m8[us]`, …), `half::f16` (`<f2`), `Complex<f32>`/`<f64>` (`<c8`, `<c16`) — and
//! padding as numpy writes it, with the real numpy as the oracle: for each type, as a table's
//! whole element and as a struct field, Rust writes a table that numpy reads (same dtype, same
//! bytes as numpy's own array of the values, the same `str()` of each value) and numpy writes a
//! file with `np.save` that Rust opens and reads back. Files numpy makes with `align=True`
//! or explicit `offsets` open as the struct with explicit padding fields, take appends, and
//! read back in numpy.

mod common;

use std::fmt::Debug;
use std::path::Path;

use recmap::unit::{Days, Hours, Mins, Ms, Ns, Secs, Us};
use recmap::{Bool, DateTime64, Record, S, Table, TimeDelta64};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Rust writes `values` as a `Table<T>`; numpy builds `np.array(numpy_values, dtype=numpy_dtype)`
/// itself and checks that the table has that dtype, the same bytes, and that its header's
/// `descr` is what `np.lib.format.dtype_to_descr` writes for it; numpy saves its array, and
/// Rust reads it back as `values`. Returns what numpy printed for the table it read: the
/// dtype's `descr`, `str()` of each value (or of each field of each record), one per line.
fn both_ways<T: Record + Copy + PartialEq + Debug>(
    values: &[T],
    numpy_values: &str,
    numpy_dtype: &str,
) -> Option<Vec<String>> {
    let python = common::python3_with_numpy()?;
    let dir = tempfile::tempdir().unwrap();
    let (from_rust, from_numpy) = (dir.path().join("rust.npy"), dir.path().join("numpy.npy"));
    let mut t = Table::<T>::create(&from_rust).unwrap();
    t.extend(values.iter().copied()).unwrap();
    drop(t);
    let script = format!(
        r#"
import ast, sys, numpy as np
a = np.load(sys.argv[1])
b = np.array({numpy_values}, dtype={numpy_dtype})
if b.dtype.names:  # padding bytes zeroed, as Rust's are (np.array leaves them as they were)
    z = np.zeros(b.shape, b.dtype)
    for name in b.dtype.names:
        z[name] = b[name]
    b = z
assert a.dtype == b.dtype, (a.dtype, b.dtype)
assert a.tobytes() == b.tobytes(), (a.tobytes(), b.tobytes())
with open(sys.argv[1], 'rb') as f:
    major, minor = np.lib.format.read_magic(f)
    n = int.from_bytes(f.read(2 if major == 1 else 4), 'little')
    header = ast.literal_eval(f.read(n).decode('latin1' if major == 1 else 'utf8'))
assert header['descr'] == np.lib.format.dtype_to_descr(b.dtype), (header, b.dtype)
np.save(sys.argv[2], b)
print(repr(np.lib.format.dtype_to_descr(b.dtype)))
print(repr(np.lib.format.dtype_to_descr(a.dtype)))
for x in a:
    if a.dtype.names:
        print(' '.join(str(x[n]) for n in a.dtype.names))
    else:
        print(str(x))
"#
    );
    let out = common::run_python(python, &script, &[s(&from_rust), s(&from_numpy)], b"");
    let lines: Vec<String> = out.lines().map(str::to_owned).collect();
    // numpy writes this descr for the dtype, and recmap wrote the same for T.
    assert_eq!(lines[0], T::DTYPE.descr(), "numpy's descr");
    assert_eq!(
        lines[1],
        T::DTYPE.descr(),
        "the table's descr as numpy reads it"
    );
    let back = Table::<T>::open_read(&from_numpy).unwrap();
    assert_eq!(back.as_slice(), values);
    Some(lines[2..].to_vec())
}

#[test]
fn byte_strings_as_tables_and_fields() {
    let values = [
        S::<8>::new("AAPL").unwrap(),
        S::default(),
        S::new("12345678").unwrap(),
        S::new(b"a\0b").unwrap(),
        S::new("café").unwrap(),
    ];
    let Some(printed) = both_ways(
        &values,
        "[b'AAPL', b'', b'12345678', b'a\\x00b', 'café'.encode()]",
        "'S8'",
    ) else {
        return;
    };
    let rust: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    // numpy's str() of a bytes scalar is its repr: b'AAPL'; Rust's Debug is b"AAPL".
    let numpy: Vec<String> = printed
        .iter()
        .map(|p| format!("b\"{}\"", &p[2..p.len() - 1]))
        .collect();
    assert_eq!(numpy, rust);
    assert_eq!(printed[0], "b'AAPL'");
    assert_eq!(printed[3], "b'a\\x00b'");
}

#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Flagged {
    id: u32,
    live: Bool,
    code: S<3>,
}

#[test]
fn bools_and_strings_in_a_struct() {
    let values = [
        Flagged {
            id: 1,
            live: Bool::TRUE,
            code: S::new("XNY").unwrap(),
        },
        Flagged {
            id: 2,
            live: Bool::FALSE,
            code: S::new("L").unwrap(),
        },
    ];
    let Some(printed) = both_ways(
        &values,
        "[(1, True, b'XNY'), (2, False, b'L')]",
        "[('id', '<u4'), ('live', '?'), ('code', 'S3')]",
    ) else {
        return;
    };
    assert_eq!(printed, ["1 True b'XNY'", "2 False b'L'"]);
}

/// numpy reads any non-zero byte as True, and so does `Bool`; Rust writes true as 1.
#[test]
fn bool_reads_any_non_zero_byte_as_true() {
    let Some(printed) = both_ways(&[Bool::TRUE, Bool::FALSE], "[True, False]", "'?'") else {
        return;
    };
    assert_eq!(printed, ["True", "False"]);
    let python = common::python3_with_numpy().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bytes.npy");
    let script = "import sys, numpy as np\n\
                  b = np.array([0, 1, 2, 255, 0x80], dtype='u1').view('?')\n\
                  np.save(sys.argv[1], b)\n\
                  print(b.tolist())";
    let numpy = common::run_python(python, script, &[s(&path)], b"");
    let t = Table::<Bool>::open_read(&path).unwrap();
    let rust: Vec<bool> = t.iter().map(|b| b.get()).collect();
    assert_eq!(numpy.trim(), "[False, True, True, True, True]");
    assert_eq!(rust, [false, true, true, true, true]);
    assert_eq!(t[2].raw(), 2); // the byte as stored
}

#[test]
fn datetimes_in_nanoseconds_with_nat() {
    let values = [
        DateTime64::<Ns>::new(0),
        DateTime64::new(1_700_000_000_123_456_789),
        DateTime64::new(-1),
        DateTime64::NAT,
        DateTime64::new(i64::MAX),
    ];
    let Some(printed) = both_ways(
        &values,
        "['1970-01-01T00:00:00', '2023-11-14T22:13:20.123456789', \
         '1969-12-31T23:59:59.999999999', 'NaT', np.datetime64(2**63 - 1, 'ns')]",
        "'M8[ns]'",
    ) else {
        return;
    };
    let rust: Vec<String> = values.iter().map(ToString::to_string).collect();
    assert_eq!(printed, rust);
    assert_eq!(printed[3], "NaT");
    assert!(values[3].is_nat());
}

/// Every unit as a field of one struct (numpy's `align=True` layout, padding at the end).
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Times {
    ns: DateTime64<Ns>,
    us: DateTime64<Us>,
    ms: DateTime64<Ms>,
    s: DateTime64<Secs>,
    m: DateTime64<Mins>,
    h: DateTime64<Hours>,
    d: DateTime64<Days>,
    dns: TimeDelta64<Ns>,
    dus: TimeDelta64<Us>,
    dms: TimeDelta64<Ms>,
    ds: TimeDelta64<Secs>,
    dd: TimeDelta64<Days>,
    sym: S<5>,
    ok: Bool,
    _pad: [u8; 2],
}

#[test]
fn every_time_unit_as_fields() {
    use std::time::{Duration, UNIX_EPOCH};
    let at = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    let from = |n: i64| -> Times {
        let t = at + Duration::from_secs(n as u64 * 90_061);
        Times {
            ns: DateTime64::from_system_time(t).unwrap(),
            us: DateTime64::from_system_time(t).unwrap(),
            ms: DateTime64::from_system_time(t).unwrap(),
            s: DateTime64::from_system_time(t).unwrap(),
            m: DateTime64::from_system_time(t).unwrap(),
            h: DateTime64::from_system_time(t).unwrap(),
            d: DateTime64::from_system_time(t).unwrap(),
            dns: TimeDelta64::new(n - 1),
            dus: TimeDelta64::from_duration(Duration::from_nanos(1_500_999)).unwrap(),
            dms: TimeDelta64::new(-n),
            ds: TimeDelta64::from_duration(Duration::from_secs(90_061)).unwrap(),
            dd: if n == 1 {
                TimeDelta64::NAT
            } else {
                TimeDelta64::new(n * 7)
            },
            sym: S::new(["IBM", "MSFT"][n as usize]).unwrap(),
            ok: Bool::new(n == 0),
            _pad: [0; 2],
        }
    };
    let values = [from(0), from(1)];
    // numpy builds the same records from one datetime64 with astype to each unit (which
    // rounds down, as from_system_time does).
    let numpy_values = "[tuple([np.datetime64(1_700_000_000_123_456_789 + n * 90_061 * 10**9, 'ns').astype(f'M8[{u}]') \
                        for u in ['ns', 'us', 'ms', 's', 'm', 'h', 'D']] + \
                       [np.timedelta64(n - 1, 'ns'), np.timedelta64(1_500, 'us'), np.timedelta64(-n, 'ms'), \
                        np.timedelta64(90_061, 's'), np.timedelta64('NaT') if n == 1 else np.timedelta64(n * 7, 'D'), \
                        ['IBM', 'MSFT'][n].encode(), n == 0]) for n in range(2)]";
    let numpy_dtype = "np.dtype([('ns', 'M8[ns]'), ('us', 'M8[us]'), ('ms', 'M8[ms]'), ('s', 'M8[s]'), \
                       ('m', 'M8[m]'), ('h', 'M8[h]'), ('d', 'M8[D]'), ('dns', 'm8[ns]'), ('dus', 'm8[us]'), \
                       ('dms', 'm8[ms]'), ('ds', 'm8[s]'), ('dd', 'm8[D]'), ('sym', 'S5'), ('ok', '?')], align=True)";
    let Some(printed) = both_ways(&values, numpy_values, numpy_dtype) else {
        return;
    };
    let rust: Vec<String> = values
        .iter()
        .map(|t| {
            format!(
                "{} {} {} {} {} {} {} {} {} {} {} {} b'{}' {}",
                t.ns,
                t.us,
                t.ms,
                t.s,
                t.m,
                t.h,
                t.d,
                t.dns,
                t.dus,
                t.dms,
                t.ds,
                t.dd,
                t.sym,
                if t.ok.get() { "True" } else { "False" }
            )
        })
        .collect();
    assert_eq!(printed, rust);
    eprintln!("numpy printed:\n{}", printed.join("\n"));
}

#[test]
fn timedeltas_as_tables() {
    let values = [
        TimeDelta64::<Us>::new(5),
        TimeDelta64::new(-3),
        TimeDelta64::NAT,
    ];
    let Some(printed) = both_ways(&values, "[5, -3, 'NaT']", "'m8[us]'") else {
        return;
    };
    assert_eq!(printed, ["5 microseconds", "-3 microseconds", "NaT"]);
    let rust: Vec<String> = values.iter().map(ToString::to_string).collect();
    assert_eq!(printed, rust);
    let days = [DateTime64::<Days>::new(19_675), DateTime64::new(-800_000)];
    let Some(printed) = both_ways(&days, "['2023-11-14', '-221-09-04']", "'M8[D]'") else {
        return;
    };
    assert_eq!(printed, ["2023-11-14", "-221-09-04"]);
}

#[cfg(feature = "half")]
#[test]
fn half_floats() {
    use half::f16;
    let values = [
        f16::from_f32(1.5),
        f16::from_f32(-0.0),
        f16::MAX,
        f16::INFINITY,
        f16::from_f32(0.1),
        f16::MIN_POSITIVE_SUBNORMAL,
    ];
    let Some(printed) = both_ways(&values, "[1.5, -0.0, 65504, np.inf, 0.1, 2**-24]", "'<f2'")
    else {
        return;
    };
    assert_eq!(printed, ["1.5", "-0.0", "6.55e+04", "inf", "0.1", "6e-08"]);
}

#[cfg(feature = "complex")]
#[test]
fn complex_numbers() {
    use recmap::types::Complex;
    let wide = [Complex::new(1.5f64, -2.0), Complex::new(0.0, 1e300)];
    let Some(printed) = both_ways(&wide, "[1.5 - 2j, 1e300j]", "'<c16'") else {
        return;
    };
    assert_eq!(printed, ["(1.5-2j)", "1e+300j"]);
    let narrow = [Complex::new(0.25f32, 4.0)];
    let Some(printed) = both_ways(&narrow, "[0.25 + 4j]", "'<c8'") else {
        return;
    };
    assert_eq!(printed, ["(0.25+4j)"]);
}

#[cfg(all(feature = "half", feature = "complex"))]
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Numeric {
    z: recmap::types::Complex<f64>,
    w: recmap::types::Complex<f32>,
    h: half::f16,
    #[recmap(pad)]
    _spare: [u16; 3],
}

#[cfg(all(feature = "half", feature = "complex"))]
#[test]
fn half_and_complex_fields() {
    use recmap::types::Complex;
    let values = [Numeric {
        z: Complex::new(1.0, 2.0),
        w: Complex::new(-0.5, 0.0),
        h: half::f16::from_f32(3.0),
        _spare: [0; 3],
    }];
    let Some(printed) = both_ways(
        &values,
        "[(1 + 2j, -0.5, 3.0)]",
        "np.dtype([('z', '<c16'), ('w', '<c8'), ('h', '<f2')], align=True)",
    ) else {
        return;
    };
    assert_eq!(printed, ["(1+2j) (-0.5+0j) 3.0"]);
}

/// recmap's padding is numpy's unnamed padding: numpy sees only the real fields, and the
/// header says what numpy itself writes for the dtype with offsets.
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Quote {
    bid: f64,
    size: u32,
    _flags: u16, // underscored but not padding: a real field
    venue: u8,
    _pad: [u8; 1],
}

#[test]
fn numpy_sees_no_padding_fields() {
    let values = [Quote {
        bid: 99.5,
        size: 300,
        _flags: 7,
        venue: 2,
        _pad: [0],
    }];
    let Some(printed) = both_ways(
        &values,
        "[(99.5, 300, 7, 2)]",
        "np.dtype({'names': ['bid', 'size', '_flags', 'venue'], \
         'formats': ['<f8', '<u4', '<u2', 'u1'], 'offsets': [0, 8, 12, 14], 'itemsize': 16})",
    ) else {
        return;
    };
    assert_eq!(printed, ["99.5 300 7 2"]);
    assert_eq!(
        Quote::DTYPE.descr(),
        "[('bid', '<f8'), ('size', '<u4'), ('_flags', '<u2'), ('venue', '|u1'), ('', '|V1')]"
    );
}

/// A struct matching numpy's `align=True` layout of `(a: u1, b: u8, c: u2)`: a 7-byte gap
/// after `a` and 6 bytes at the end.
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Aligned {
    a: u8,
    _pad: [u8; 7],
    b: u64,
    c: u16,
    #[recmap(pad)]
    _tail: [u16; 3],
}

/// numpy's `offsets` layout `x: <u4 at 4, y: <f8 at 16`, itemsize 32.
#[recmap::record]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Offsets {
    _pad0: [u8; 4],
    x: u32,
    _pad1: [u8; 8],
    y: f64,
    _pad2: [u8; 8],
}

/// numpy writes an `align=True` file and an `offsets` file; Rust opens both as structs with
/// explicit padding, reads, appends; numpy reads the appended files with their dtypes intact.
#[test]
fn numpy_aligned_and_offset_files_open_and_take_appends() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (aligned, offsets) = (
        dir.path().join("aligned.npy"),
        dir.path().join("offsets.npy"),
    );
    let write = r#"
import sys, numpy as np
al = np.dtype([('a', 'u1'), ('b', '<u8'), ('c', '<u2')], align=True)
np.save(sys.argv[1], np.array([(1, 10, 100), (2, 20, 200)], dtype=al))
of = np.dtype({'names': ['x', 'y'], 'formats': ['<u4', '<f8'], 'offsets': [4, 16], 'itemsize': 32})
np.save(sys.argv[2], np.array([(7, 0.5), (8, 1.5)], dtype=of))
for p in sys.argv[1:]:
    with open(p, 'rb') as f:
        np.lib.format.read_magic(f)
        print(repr(np.lib.format.read_array_header_1_0(f)[2].descr))
"#;
    let out = common::run_python(python, write, &[s(&aligned), s(&offsets)], b"");
    let descrs: Vec<&str> = out.lines().collect();
    assert_eq!(descrs, [Aligned::DTYPE.descr(), Offsets::DTYPE.descr()]);

    let mut t = Table::<Aligned>::open(&aligned).unwrap();
    let got: Vec<(u8, u64, u16)> = t.iter().map(|r| (r.a, r.b, r.c)).collect();
    assert_eq!(got, [(1, 10, 100), (2, 20, 200)]);
    t.push(Aligned {
        a: 3,
        _pad: [0; 7],
        b: 30,
        c: 300,
        _tail: [0; 3],
    })
    .unwrap();
    drop(t);
    let mut t = Table::<Offsets>::open(&offsets).unwrap();
    let got: Vec<(u32, f64)> = t.iter().map(|r| (r.x, r.y)).collect();
    assert_eq!(got, [(7, 0.5), (8, 1.5)]);
    t.push(Offsets {
        _pad0: [0; 4],
        x: 9,
        _pad1: [0; 8],
        y: 2.5,
        _pad2: [0; 8],
    })
    .unwrap();
    drop(t);

    let read = r#"
import sys, numpy as np
al = np.dtype([('a', 'u1'), ('b', '<u8'), ('c', '<u2')], align=True)
of = np.dtype({'names': ['x', 'y'], 'formats': ['<u4', '<f8'], 'offsets': [4, 16], 'itemsize': 32})
a, o = np.load(sys.argv[1]), np.load(sys.argv[2], mmap_mode='r')
assert a.dtype == al and a.dtype.names == ('a', 'b', 'c') and a.dtype.itemsize == 24, a.dtype
assert o.dtype == of and o.dtype.names == ('x', 'y'), o.dtype
print(a.tolist(), o.tolist())
"#;
    let out = common::run_python(
        common::python3().unwrap(),
        read,
        &[s(&aligned), s(&offsets)],
        b"",
    );
    assert_eq!(
        out.trim(),
        "[(1, 10, 100), (2, 20, 200), (3, 30, 300)] [(7, 0.5), (8, 1.5), (9, 2.5)]"
    );
}

/// A file with named padding (`('_pad', '|V3')`, what recmap wrote before padding became
/// unnamed) still opens as the struct, and takes appends.
#[test]
fn named_void_padding_still_opens() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.npy");
    let write = "import sys, numpy as np\n\
                 dt = np.dtype([('bid', '<f8'), ('size', '<u4'), ('_flags', '<u2'), ('venue', 'u1'), ('_pad', 'V1')])\n\
                 np.save(sys.argv[1], np.array([(1.5, 2, 3, 4, b'')], dtype=dt))";
    common::run_python(python, write, &[s(&path)], b"");
    let mut t = Table::<Quote>::open(&path).unwrap();
    assert_eq!(
        (t[0].bid, t[0].size, t[0]._flags, t[0].venue),
        (1.5, 2, 3, 4)
    );
    t.push(t[0]).unwrap();
    assert_eq!(t.len(), 2);
}
