//! Compile-time checks that `#[derive(Record)]` emits as `const` items (the bytemuck way):
//! if one fails, the program does not compile, and the message says what to change.

use zerocopy::FromBytes;

use crate::record::Record;

/// zerocopy's `FromBytes` (the first of the four derives `Record` needs), under a name whose
/// error message says what to write instead of suggesting a zerocopy dependency. One trait,
/// not four, so that a struct without zerocopy's derives gets this message once.
#[diagnostic::on_unimplemented(
    message = "`{Self}` lacks zerocopy's derives, which `recmap::Record` needs",
    label = "write `#[recmap::record]` above this struct instead of `#[derive(recmap::Record)]`",
    note = "`#[recmap::record]` adds `#[repr(C)]`, zerocopy's `FromBytes`, `IntoBytes`, \
            `Immutable` and `KnownLayout` derives, and `#[derive(Record)]`"
)]
pub trait ZerocopyDerived {}

impl<T: FromBytes> ZerocopyDerived for T {}

/// Implemented by `#[derive(Record)]` first, with [`assert_record`] of every field's type in
/// its const argument: a field that is not a Record is named before anything else.
pub trait FieldsChecked<const CHECKED: usize> {}

/// Implemented by `#[derive(Record)]` before `Record` itself (the compiler checks impls in
/// order), so that a struct without zerocopy's derives is refused with [`ZerocopyDerived`]'s
/// message first, before the four unmet supertraits of `Record`.
pub trait DerivedWithZerocopy: ZerocopyDerived {}

/// Implemented by `#[derive(Record)]` with the padding checks ([`assert_no_padding`]) in its
/// const argument, which the compiler evaluates when it checks the impl: before zerocopy's
/// `IntoBytes` derive (after `Record` in `#[recmap::record]`) reports "`T` has 7 total
/// byte(s) of padding", so recmap's message, which names the field, comes first.
pub trait PaddingChecked<const CHECKED: usize> {}

/// Fails to compile unless `T` is a `Record` of non-zero size whose `DTYPE` matches it.
pub const fn assert_record<T: Record>() {
    assert!(size_of::<T>() > 0, "a Record must not be zero-sized");
    assert!(
        T::DTYPE.size() == size_of::<T>(),
        "Record::DTYPE does not describe the type's size"
    );
}

/// Fails to compile if `gap` bytes of padding follow field `field` of struct `ty`; `next` is
/// the following field, or `None` for the end of the struct.
pub const fn assert_no_padding(ty: &str, field: &str, next: Option<&str>, gap: usize) {
    if gap == 0 {
        return;
    }
    let mut msg = Msg::new();
    msg.push("`");
    msg.push(ty);
    msg.push("` has ");
    msg.push_num(gap);
    msg.push(" bytes of implicit padding after field `");
    msg.push(field);
    match next {
        Some(next) => {
            msg.push("` (before `");
            msg.push(next);
            msg.push("`, which needs alignment)");
        }
        None => msg.push("` (the struct's size is rounded up to its alignment)"),
    }
    msg.push(": a Record must have no padding bytes; add an explicit `_pad: [u8; ");
    msg.push_num(gap);
    msg.push("]` field after `");
    msg.push(field);
    msg.push("`, or reorder the fields from largest to smallest alignment");
    panic!("{}", msg.as_str());
}

/// A message built at compile time (const `panic!` takes one `&str`, not formatting).
struct Msg {
    buf: [u8; 1024],
    len: usize,
}

impl Msg {
    const fn new() -> Msg {
        Msg {
            buf: [0; 1024],
            len: 0,
        }
    }

    const fn push(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
    }

    const fn push_num(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.buf.len() {
            count -= 1;
            self.buf[self.len] = digits[count];
            self.len += 1;
        }
    }

    const fn as_str(&self) -> &str {
        // Only whole `&str`s and ASCII digits were pushed; a cut at the buffer's end could
        // split a character, and then the generic message stands in.
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "a Record must have no padding bytes",
        }
    }
}
