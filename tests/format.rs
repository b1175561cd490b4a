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
