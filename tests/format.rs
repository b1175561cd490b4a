//! The .npy format layer against its oracles: Python's `repr()` for the names a `descr`
//! prints, and numpy's own `np.dtype` for the type strings a header may hold.

mod common;

use recmap::npy::NpyDtype;

/// The `descr` recmap prints for one field named `name`: `[(<repr of name>, '|u1')]`.
fn one_field(name: &str) -> String {
    let u1 = NpyDtype::Scalar {
        order: '|',
        kind: 'u',
        size: 1,
        text: "|u1".into(),
    };
    NpyDtype::Struct(vec![(name.to_owned(), u1)]).to_string()
}

/// Every code point Python's Unicode database assigns, alone as a field name, prints as
/// Python's `repr()` prints it (printable ones kept, the rest `\x`, `\u` or `\U` escaped).
/// Unassigned code points are left out: the toolchain's Unicode may be newer than Python's.
#[test]
fn every_assigned_code_point_prints_as_pythons_repr() {
    let Some(python) = common::python3() else {
        return;
    };
    let script = r#"
import unicodedata
for c in range(0x110000):
    if 0xd800 <= c < 0xe000 or unicodedata.category(chr(c)) == 'Cn':
        continue
    print(f"{c:x} {[(chr(c), '|u1')]!r}")
"#;
    let out = common::run_python(python, script, &[], b"");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in out.lines() {
        let (hex, python) = line.split_once(' ').unwrap();
        let c = char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap();
        let ours = one_field(&c.to_string());
        if ours != python {
            wrong.push(format!("U+{hex}: recmap {ours}, Python {python}"));
        }
        checked += 1;
    }
    assert!(checked > 100_000, "only {checked} code points");
    assert!(
        wrong.is_empty(),
        "{} of {checked} differ, e.g.\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
}

/// Whole names, where the quote is chosen: `"` only for a name with `'` and no `"`.
#[test]
fn names_print_as_pythons_repr() {
    let Some(python) = common::python3() else {
        return;
    };
    let names = [
        "plain",
        "a'b\"c",
        "it's",
        "say \"hi\"",
        "'",
        "\"",
        "'\"",
        "x\ny\r\tz",
        "back\\slash\\",
        "\0\x01\x1f\x7f",
        "é ü ß",
        "\u{85}\u{a0}\u{ad}",
        "\u{200b}\u{2028}\u{2029}\u{3000}\u{feff}",
        "\u{e000}\u{f0000}\u{10ffff}",
        "\u{301}e\u{301}",
        "😀 日本",
        "",
    ];
    // The names go to Python as hex UTF-8, one a line.
    let input: String = names
        .iter()
        .map(|n| {
            let hex: String = n.bytes().map(|b| format!("{b:02x}")).collect();
            format!("{hex}\n")
        })
        .collect();
    let script = r#"
import sys
for line in sys.stdin.read().split("\n")[:-1]:
    print(repr([(bytes.fromhex(line).decode(), '|u1')]))
"#;
    let out = common::run_python(python, script, &[], input.as_bytes());
    let python: Vec<&str> = out.lines().collect();
    assert_eq!(python.len(), names.len());
    for (name, python) in names.iter().zip(python) {
        assert_eq!(one_field(name), python, "{name:?}");
    }
}

/// `text` as a Python string literal in an ASCII header (non-ASCII and controls as `\u`).
fn py_literal(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            ' '..='~' if c != '\'' && c != '\\' => out.push(c),
            _ => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    out.push('\'');
    out
}

/// Datetime type strings: recmap reads exactly those numpy's `np.dtype` reads — units,
/// multiples, divisors, spaces and signs where numpy's `strtol` takes them — except the few
/// numpy accepts only by overflowing or by a hole in its table, which recmap refuses.
#[test]
fn datetime_units_are_the_ones_numpy_reads() {
    let Some(python) = common::python3_with_numpy() else {
        return;
    };
    let units = [
        "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as", "generic",
        "xx", "H", "S", "B", "", " s", "sec", "μ", "Ms",
    ];
    let multiples = [
        "",
        "0",
        "1",
        "25",
        "+2",
        " 3",
        "\t4",
        "-0",
        "-2",
        "007",
        "2147483647",
        "2147483648",
        "99999999999999999999",
    ];
    let divisors = [
        "", "/1", "/2", "/3", "/4", "/7", "/24", "/60", "/1000", "/1000000", "/ 5", "/+2", "/x",
        "/", "/2x", "/-0",
    ];
    // Each type, with the multiple and unit it was made of.
    let mut types: Vec<(String, &str, &str)> = [
        "<M8", "m8", "<M8[]", "<M8[s]]", "<M8[s", "<M8s]", "<M8[s]x", "<M8[[s]", ">m8[ps]",
        "|M8[D]",
    ]
    .map(|t| (t.to_owned(), "", ""))
    .into();
    for unit in units {
        for multiple in multiples {
            for divisor in divisors {
                types.push((format!("<M8[{multiple}{unit}{divisor}]"), multiple, unit));
            }
        }
    }
    // numpy in a child process per type (a divisor of 0 kills it with SIGFPE), saying what it
    // made of the type: `ok <unit> <multiple>`.
    let script = r#"
import os, sys, numpy as np
for line in sys.stdin.read().split("\n")[:-1]:
    t = bytes.fromhex(line).decode()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            unit, count = np.datetime_data(np.dtype(t))
            os.write(w, f"ok {unit} {count}".encode())
        except Exception:
            os.write(w, b"refused")
        os._exit(0)
    os.close(w)
    said = os.read(r, 64).decode()
    os.close(r)
    os.waitpid(pid, 0)
    print(said or "crashed")
"#;
    let input: String = types
        .iter()
        .map(|(t, ..)| t.bytes().map(|b| format!("{b:02x}")).collect::<String>() + "\n")
        .collect();
    let out = common::run_python(python, script, &[], input.as_bytes());
    let numpy: Vec<&str> = out.lines().collect();
    assert_eq!(numpy.len(), types.len());
    let mut differ = Vec::new();
    let (mut crashed, mut overflowed) = (0, 0);
    for ((ty, multiple, unit), numpy) in types.iter().zip(numpy) {
        let text = format!(
            "{{'descr': {}, 'fortran_order': False, 'shape': (0,), }}",
            py_literal(ty)
        );
        let file = common::npy_v1(text.as_bytes(), 64, &[]).0;
        let ours = match recmap::npy::Header::parse(&file) {
            Ok(_) => "ok",
            Err(_) => "refused",
        };
        // What numpy reads only by overflowing its int multiple (2**31 - 1 is prime, so a
        // true multiple of it is 0 or itself) or through the hole in its table (a week's
        // fourth finer unit is 0, so `[W/1000]` is `[0Y]`), recmap refuses; so what crashes it.
        let nonsense = match numpy.split(' ').collect::<Vec<_>>()[..] {
            ["ok", result_unit, count] => {
                let count: i64 = count.parse().unwrap();
                (*multiple == "2147483647" && count % 2_147_483_647 != 0)
                    || (*unit == "W" && result_unit == "Y")
            }
            _ => false,
        };
        crashed += usize::from(numpy == "crashed");
        overflowed += usize::from(nonsense);
        let expected = if numpy.starts_with("ok") && !nonsense {
            "ok"
        } else {
            "refused"
        };
        if ours != expected {
            differ.push(format!("{ty:?}: numpy {numpy}, recmap {ours}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        types.len(),
        differ.join("\n")
    );
    println!(
        "{} type strings; recmap refuses the {crashed} that crash numpy and the {overflowed} it reads by overflow",
        types.len()
    );
}
