//! Compile-fail tests: every input `#[recmap::record]` / `#[derive(Record)]` refuses, with the expected compiler
//! message checked in next to it (`tests/ui/*.stderr`), and one file it must accept.
//!
//! Regenerate the messages after an intended change with `TRYBUILD=overwrite cargo test -p
//! recmap-derive --test ui`, then read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_ok.rs");
    for case in [
        "repr_without_c",
        "derive_alone",
        "derive_without_repr",
        "generic",
        "enum",
        "union",
        "reference",
        "pointer",
        "bool_field",
        "char_field",
        "tuple_field",
        "not_a_record",
        "string_field",
        "std_fields",
        "padding",
        "tail_padding",
        "pad_attr_unknown",
        "adjacent_padding",
        "empty",
        "unknown_attr",
        "unknown_arg",
        "bad_crate_path",
    ] {
        t.compile_fail(format!("tests/ui/{case}.rs"));
    }
}
