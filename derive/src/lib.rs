//! `#[recmap::record]` and `#[derive(Record)]` for [recmap](https://docs.rs/recmap): use them
//! as `recmap::record` and `recmap::Record`.
//!
//! `#[recmap::record]` is the one line a record struct needs. It adds `#[repr(C)]` (unless the
//! struct has a `repr`), zerocopy's `FromBytes`, `IntoBytes`, `Immutable` and `KnownLayout`
//! derives — through recmap's re-export, so users need no zerocopy dependency — and
//! `#[derive(Record)]`. zerocopy's derives prove that bytes may be viewed as the struct;
//! `#[derive(Record)]` describes it. On a struct, at compile time, they:
//! - require `#[repr(C)]` or `#[repr(transparent)]`, and refuse generics, enums, unions,
//!   references, pointers, `bool` (use `recmap::Bool`), `char`, slices, tuples, heap-owning std types (`String`,
//!   `Vec<T>`, `Box<T>`, …), `Option<T>`, cells and empty structs, with an error at the
//!   offending item (the attribute checks these before it adds zerocopy's derives, so
//!   the error is recmap's alone);
//! - require every field to be a `recmap::Record` (a trait-bound error at the field's type);
//! - refuse implicit padding, naming the field to follow with an explicit `_pad: [u8; N]`
//!   (checked by emitted `const` assertions on `offset_of!` and `size_of`, as bytemuck does);
//! - implement `recmap::Record` with the layout: each field's name, offset, size, Rust type
//!   and numpy dtype.
//!
//! # Padding
//!
//! A padding field holds bytes numpy does not show. Two kinds of field are padding:
//! - a `[u8; N]` field whose name starts with `_pad` (`_pad`, `_pad1`, `_padding`);
//! - any field marked `#[recmap(pad)]` (`#[recmap(pad)] _reserved: [u64; 2]`).
//!
//! Every other field is a real field of its own type, whatever its name (`_flags: u32` is
//! numpy's `('_flags', '<u4')`). recmap describes padding as numpy describes the gaps of an
//! aligned (`np.dtype(..., align=True)`) or `offsets` dtype — an unnamed `('', '|V<n>')` entry
//! in the file's `descr` — so numpy users see only the real fields (`a.dtype.names` has no
//! `_pad`), and such numpy files open as the struct with explicit padding fields where numpy
//! has gaps. Files whose padding is named (`('_pad', '|V3')`, as recmap wrote them before)
//! open too: void bytes compare by size. Two padding fields may not be next to each other
//! (numpy writes one gap as one field): merge them.
//!
//! ```
//! #[recmap::record]
//! struct Quote { bid: f64, size: u32, venue: u8, _pad: [u8; 3] }
//!
//! use recmap::Record;
//! assert_eq!(
//!     Quote::DTYPE.descr(),
//!     "[('bid', '<f8'), ('size', '<u4'), ('venue', '|u1'), ('', '|V3')]"
//! );
//! // numpy: np.dtype([('bid', '<f8'), ('size', '<u4'), ('venue', 'u1')], align=True)
//! ```
//!
//! `#[derive(Record)]` alone is for structs that derive zerocopy's four traits themselves;
//! without them it stops with a message that points to `#[recmap::record]`.
//!
//! The generated code names the crate `::recmap`; where recmap is a renamed dependency or is
//! re-exported by another crate, say where it is with `#[recmap::record(crate = "path")]`
//! (or `#[record(crate = "path")]` next to the derive). A path into the current crate starts
//! with `crate::`:
//!
//! ```
//! mod reexported { pub use recmap as rm; }
//!
//! #[reexported::rm::record(crate = "crate::reexported::rm")]
//! struct Tick { t: u64, v: f32, _pad: [u8; 4] }
//!
//! fn main() {
//!     use recmap::Record;
//!     assert_eq!(Tick::DTYPE.size(), 16);
//! }
//! ```
//!
//! ```
//! #[recmap::record]
//! struct Trade { id: u64, price: f64, qty: u32, side: u8, _pad: [u8; 3] }
//!
//! use recmap::Record;
//! assert_eq!(
//!     Trade::DTYPE.descr(),
//!     "[('id', '<u8'), ('price', '<f8'), ('qty', '<u4'), ('side', '|u1'), ('', '|V3')]"
//! );
//! ```

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Type, parse_macro_input};

/// Makes a struct a record: adds `#[repr(C)]` (unless it has a `repr`), zerocopy's four
/// derives and `#[derive(Record)]`; see the [crate docs](crate).
#[proc_macro_attribute]
pub fn record(attr: TokenStream, item: TokenStream) -> TokenStream {
    let input = parse_macro_input!(item as DeriveInput);
    let mut krate: Option<syn::LitStr> = None;
    let args = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            krate = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown record attribute: the only one is `crate = \"path\"`"))
        }
    });
    parse_macro_input!(attr with args);
    match record_attributes(&input, krate.as_ref()) {
        Ok(attributes) => quote!(#attributes #input).into(),
        // The item goes out next to the error without its `#[recmap(...)]` field attributes
        // (which only the derive, not emitted now, makes known), so only recmap's message
        // shows.
        Err(error) => {
            let error = error.into_compile_error();
            let mut input = input;
            strip_field_attributes(&mut input);
            quote!(#error #input).into()
        }
    }
}

/// Removes the `#[recmap(...)]` attributes of a struct's fields.
fn strip_field_attributes(input: &mut DeriveInput) {
    if let Data::Struct(data) = &mut input.data {
        for field in data.fields.iter_mut() {
            field.attrs.retain(|a| !a.path().is_ident("recmap"));
        }
    }
}

/// The attributes `#[recmap::record]` puts before the struct, after the checks the derives
/// would make on the syntax alone.
fn record_attributes(
    input: &DeriveInput,
    krate: Option<&syn::LitStr>,
) -> syn::Result<TokenStream2> {
    let fields = struct_fields(input)?;
    for (_, field) in &fields {
        check_field_type(&field.ty)?;
    }
    check_padding_fields(&fields)?;
    let has_repr = input.attrs.iter().any(|a| a.path().is_ident("repr"));
    if has_repr {
        check_repr(input, false)?;
    }
    let path_text = krate.map_or_else(|| "::recmap".to_owned(), syn::LitStr::value);
    let path = match krate {
        Some(text) => parse_crate_path(text)?,
        None => syn::parse_quote!(::recmap),
    };
    let zerocopy_path = format!("{path_text}::__private::zerocopy");
    let zc = quote!(#path::__private::zerocopy);
    let record_crate = krate.map(|k| quote!(#[record(crate = #k)]));
    let repr = (!has_repr).then(|| quote!(#[repr(C)]));
    // `Record` first: its checks then come before zerocopy's in the compiler's output.
    Ok(quote! {
        #[derive(#path::Record, #zc::FromBytes, #zc::IntoBytes, #zc::Immutable, #zc::KnownLayout)]
        #[zerocopy(crate = #zerocopy_path)]
        #record_crate
        #repr
    })
}

/// Derives `recmap::Record` for a struct that has zerocopy's four derives; see the
/// [crate docs](crate). `#[recmap::record]` applies all of them.
#[proc_macro_derive(Record, attributes(record, recmap))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The struct's fields with the names recmap gives them (`f0`, `f1`, … for tuple structs),
/// after refusing what is not a non-generic struct with fields.
fn struct_fields(input: &DeriveInput) -> syn::Result<Vec<(String, &syn::Field)>> {
    let name = &input.ident;
    let data = match &input.data {
        Data::Struct(s) => s,
        Data::Enum(e) => {
            return Err(syn::Error::new(
                e.enum_token.span,
                "#[recmap::record] does not support enums: not every bit pattern is a valid \
                 variant; store the discriminant in an integer field instead",
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "#[recmap::record] does not support unions: their layout cannot be described \
                 field by field; use a struct, or a byte array field",
            ));
        }
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[recmap::record] does not support generic structs: a record's layout must be \
             fixed; write a concrete struct for each layout",
        ));
    }
    let fields: Vec<(String, &syn::Field)> = match &data.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .map(|f| {
                (
                    f.ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    f,
                )
            })
            .collect(),
        Fields::Unnamed(unnamed) => unnamed
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("f{i}"), f))
            .collect(),
        Fields::Unit => Vec::new(),
    };
    if fields.is_empty() {
        return Err(syn::Error::new(
            name.span(),
            "#[recmap::record] needs at least one field: a record must have bytes",
        ));
    }
    Ok(fields)
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let fields = struct_fields(input)?;
    check_repr(input, true)?;
    let krate = crate_path(input)?;

    for (_, field) in &fields {
        check_field_type(&field.ty)?;
    }
    check_padding_fields(&fields)?;

    let type_name = name.to_string();
    let member = |i: usize, field: &syn::Field| match &field.ident {
        Some(ident) => quote!(#ident),
        None => {
            let index = syn::Index::from(i);
            quote!(#index)
        }
    };

    let assert_fields = fields.iter().map(|(_, f)| {
        let ty = &f.ty;
        let krate = spanned(&krate, ty.span());
        quote_spanned!(ty.span()=> #krate::__private::assert_record::<#ty>();)
    });
    let padding_checks = fields.iter().enumerate().map(|(i, (field_name, f))| {
        let ty = &f.ty;
        let this = member(i, f);
        let end = quote!(::core::mem::offset_of!(#name, #this) + ::core::mem::size_of::<#ty>());
        let (next_start, next_name) = match fields.get(i + 1) {
            Some((next_name, next)) => {
                let next = member(i + 1, next);
                (
                    quote!(::core::mem::offset_of!(#name, #next)),
                    quote!(::core::option::Option::Some(#next_name)),
                )
            }
            None => (
                quote!(::core::mem::size_of::<#name>()),
                quote!(::core::option::Option::None),
            ),
        };
        let krate = spanned(&krate, f.span());
        quote_spanned!(f.span()=>
            #krate::__private::assert_no_padding(#type_name, #field_name, #next_name, #next_start - (#end));
        )
    });
    let field_descs = fields.iter().enumerate().map(|(i, (field_name, f))| {
        let ty = &f.ty;
        let this = member(i, f);
        let ty_text = quote!(#ty).to_string().replace(' ', "");
        let dtype = if is_padding(field_name, f) {
            quote!(&#krate::Dtype::Void(::core::mem::size_of::<#ty>()))
        } else {
            quote!(&<#ty as #krate::Record>::DTYPE)
        };
        quote! {
            #krate::Field {
                name: #field_name,
                offset: ::core::mem::offset_of!(#name, #this),
                size: ::core::mem::size_of::<#ty>(),
                ty: #ty_text,
                dtype: #dtype,
            }
        }
    });

    let zerocopy_derived = {
        let krate = spanned(&krate, name.span());
        quote_spanned!(name.span()=> impl #krate::__private::DerivedWithZerocopy for #name {})
    };
    Ok(quote! {
        // The compiler checks impls in order, and these three come before `Record`'s and
        // zerocopy's (the derives after `Record` in `#[recmap::record]`), so recmap's messages
        // come first: a field that is not a Record, a struct without zerocopy's derives (write
        // `#[recmap::record]`), padding named by field before zerocopy's "has 7 total byte(s)
        // of padding". The checks are the impls' const arguments, evaluated when each impl is
        // checked, each even when another fails.
        impl #krate::__private::FieldsChecked<{ #(#assert_fields)* 0 }> for #name {}
        #zerocopy_derived
        impl #krate::__private::PaddingChecked<{ #(#padding_checks)* 0 }> for #name {}

        // zerocopy's derives prove the struct may be viewed over bytes; the checks above
        // point at the field to change when one fails. DTYPE lists every field with its
        // offset and size, so its size is the struct's size.
        #[automatically_derived]
        impl #krate::Record for #name {
            const DTYPE: #krate::Dtype = #krate::Dtype::Struct(&[#(#field_descs),*]);
        }
    })
}

/// `path`'s tokens with `span`, so that an error in code that names it points where `span`
/// does (the field), not at the derive.
fn spanned(path: &syn::Path, span: proc_macro2::Span) -> TokenStream2 {
    quote::ToTokens::to_token_stream(path)
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// The path of the recmap crate: `::recmap`, or what `#[record(crate = "...")]` names (for a
/// renamed dependency, or a crate that re-exports recmap).
fn crate_path(input: &DeriveInput) -> syn::Result<syn::Path> {
    let mut path: syn::Path = syn::parse_quote!(::recmap);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("record")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let text: syn::LitStr = meta.value()?.parse()?;
                path = parse_crate_path(&text)?;
                Ok(())
            } else {
                Err(meta.error("unknown record attribute: the only one is `crate = \"path\"`"))
            }
        })?;
    }
    Ok(path)
}

/// The path in `crate = "..."`, or an error at it that says what is expected.
fn parse_crate_path(text: &syn::LitStr) -> syn::Result<syn::Path> {
    text.parse().map_err(|e| {
        syn::Error::new(
            text.span(),
            format!(
                "`crate = \"{}\"` is not a path ({e}): name where recmap is, such as \"rm\" \
                 for a renamed dependency or \"crate::reexported::recmap\"",
                text.value()
            ),
        )
    })
}

/// Whether a field is padding: marked `#[recmap(pad)]`, or a `[u8; N]` whose name starts
/// with `_pad` (the attributes are checked by [`check_padding_fields`]).
fn is_padding(name: &str, field: &syn::Field) -> bool {
    let marked = field.attrs.iter().any(|a| {
        a.path().is_ident("recmap") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "pad")
    });
    let byte_array = matches!(&field.ty, Type::Array(a)
        if matches!(&*a.elem, Type::Path(p) if p.qself.is_none() && p.path.is_ident("u8")));
    marked || (name.starts_with("_pad") && byte_array)
}

/// `#[recmap(...)]` on a field says only `pad`; two padding fields may not be next to each
/// other (numpy writes one gap as one unnamed field, so recmap's description must too).
fn check_padding_fields(fields: &[(String, &syn::Field)]) -> syn::Result<()> {
    for (_, field) in fields {
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("recmap")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("pad") {
                    Ok(())
                } else {
                    Err(meta.error(
                        "unknown recmap field attribute: the only one is `pad` (the field's \
                         bytes are padding, which numpy does not show)",
                    ))
                }
            })?;
        }
    }
    for pair in fields.windows(2) {
        if let [(first, a), (second, b)] = pair
            && is_padding(first, a)
            && is_padding(second, b)
        {
            let at = b
                .ident
                .as_ref()
                .map_or_else(|| b.ty.span(), syn::Ident::span);
            return Err(syn::Error::new(
                at,
                format!(
                    "padding field `{second}` follows padding field `{first}`: numpy writes \
                     one gap as one unnamed field, so merge them into one `[u8; N]`"
                ),
            ));
        }
    }
    Ok(())
}

/// `#[repr(C)]` or `#[repr(transparent)]` must be present (`packed`/`align` may accompany C).
/// `#[recmap::record]` adds it unless the struct has a `repr`, so where `#[derive(Record)]`
/// finds none, the attribute was not used, and the message says to use it.
fn check_repr(input: &DeriveInput, from_derive: bool) -> syn::Result<()> {
    let mut fixed = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") || meta.path.is_ident("transparent") {
                fixed = true;
            }
            // Consume `align(N)` / `packed(N)` arguments; other reprs do not fix a layout.
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let _: TokenStream2 = content.parse()?;
            }
            Ok(())
        })?;
    }
    let has_repr = input.attrs.iter().any(|a| a.path().is_ident("repr"));
    if fixed {
        Ok(())
    } else if from_derive && !has_repr {
        Err(syn::Error::new(
            input.ident.span(),
            "write `#[recmap::record]` above this struct instead of `#[derive(Record)]`: it adds \
             the `#[repr(C)]` and zerocopy's derives that a Record needs (`#[derive(Record)]` \
             alone is for `#[repr(C)]` structs that derive zerocopy's traits themselves)",
        ))
    } else {
        Err(syn::Error::new(
            input.ident.span(),
            "a Record needs #[repr(C)] (or #[repr(transparent)]) on the struct: Rust's \
             default layout may reorder fields, so their offsets could not be described",
        ))
    }
}

/// Types that can never be records, refused with a message of their own.
fn check_field_type(ty: &Type) -> syn::Result<()> {
    let refuse = |msg: &str| Err(syn::Error::new(ty.span(), msg));
    match ty {
        Type::Reference(_) => refuse(
            "a Record cannot hold references: their addresses mean nothing in a file; store \
             an index or offset instead",
        ),
        Type::Ptr(_) => refuse(
            "a Record cannot hold raw pointers: their addresses mean nothing in a file; store \
             an index or offset instead",
        ),
        Type::Slice(_) => {
            refuse("a Record cannot hold a slice: records have a fixed size; use an array `[T; N]`")
        }
        Type::Tuple(_) => refuse(
            "a Record cannot hold a tuple: tuple layout is unspecified; use a #[repr(C)] struct with #[derive(Record)]",
        ),
        Type::Array(array) => check_field_type(&array.elem),
        Type::Paren(inner) => check_field_type(&inner.elem),
        Type::Group(inner) => check_field_type(&inner.elem),
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("bool") => refuse(
            "a Record cannot hold `bool`: only 0 and 1 are valid, and a file may hold any byte; \
             use `recmap::Bool` (numpy's `|b1`: any non-zero byte is true)",
        ),
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("char") => refuse(
            "a Record cannot hold `char`: not every u32 is a valid char; use `u32` and \
             `char::from_u32`",
        ),
        Type::Path(path) if path.qself.is_none() => match known_non_record(&path.path) {
            Some(message) => refuse(&message),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// A message for the standard types that own or point to memory elsewhere, hold invalid bit
/// patterns or change size between machines — the common mistakes, refused here in one line
/// rather than by a dozen trait errors from zerocopy's derives. Generic ones are matched only
/// with their arguments (`Vec<u8>`, not a user's record named `Cell`), as no derived record
/// is generic.
fn known_non_record(path: &syn::Path) -> Option<String> {
    let last = path.segments.last()?;
    let name = last.ident.to_string();
    let generic = !matches!(last.arguments, syn::PathArguments::None);
    let why = match (name.as_str(), generic) {
        ("String" | "PathBuf" | "OsString" | "CString", false) => {
            "its bytes live on the heap, and a file can hold only the pointer; use a fixed-size \
             byte array such as `[u8; 32]`"
        }
        ("Vec" | "VecDeque" | "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet", true) => {
            "its items live on the heap, and a file can hold only the pointer; use an array \
             `[T; N]` and a length field"
        }
        ("Box" | "Rc" | "Arc", true) => {
            "a pointer means nothing in a file; store the value itself, or an index or offset"
        }
        ("Option", true) => {
            "not every bit pattern is a valid `Option`; use a sentinel value, or a `u8` flag \
             field beside the value"
        }
        ("usize" | "isize", false) => {
            "its size depends on the machine, and a file must read the same everywhere; use \
             `u64` or `i64` (numpy `<u8` / `<i8`)"
        }
        ("Cell" | "RefCell" | "UnsafeCell", true) => {
            "interior mutability cannot be viewed in place; a mapped record is changed through \
             `&mut`"
        }
        _ => return None,
    };
    Some(format!("a Record cannot hold `{name}`: {why}"))
}
