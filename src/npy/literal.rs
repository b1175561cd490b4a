//! A parser for the subset of Python literals that .npy headers use: dicts, lists, tuples,
//! strings, integers and `True`/`False` (what numpy reads with `ast.literal_eval`).

/// A parsed Python literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    /// A non-negative integer, with its byte span in the source (for rewriting in place).
    Int(u64, std::ops::Range<usize>),
    Bool(bool),
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// Where and why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) pos: usize,
    pub(crate) expected: &'static str,
}

/// Nesting deeper than this is refused (a corrupt header must not overflow the stack).
const MAX_DEPTH: usize = 32;

/// Parses `src`. `python2_longs` accepts Python 2's `4L` integers, which numpy still reads
/// in format 1.0 and 2.0 headers (it strips the `L` and tries again).
pub(crate) fn parse(src: &str, python2_longs: bool) -> Result<Literal, SyntaxError> {
    let mut p = Parser {
        src: src.as_bytes(),
        pos: 0,
        python2_longs,
    };
    // Python refuses source text with a NUL byte in it (so numpy refuses such a header).
    if let Some(at) = src.bytes().position(|b| b == 0) {
        return Err(SyntaxError {
            pos: at,
            expected: "text without NUL bytes",
        });
    }
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(p.error("end of header"));
    }
    Ok(value)
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    python2_longs: bool,
}

impl Parser<'_> {
    fn error(&self, expected: &'static str) -> SyntaxError {
        SyntaxError {
            pos: self.pos,
            expected,
        }
    }

    fn skip_ws(&mut self) {
        while self
            .src
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.src.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Literal, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("less nesting"));
        }
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let items = self.sequence(b'}', depth, |p, d| {
                    let key = p.value(d)?;
                    if !p.eat(b':') {
                        return Err(p.error("':'"));
                    }
                    Ok((key, p.value(d)?))
                })?;
                Ok(Literal::Dict(items))
            }
            Some(b'[') => {
                self.pos += 1;
                Ok(Literal::List(self.sequence(b']', depth, Parser::value)?))
            }
            Some(b'(') => {
                self.pos += 1;
                let start = self.pos;
                let items = self.sequence(b')', depth, Parser::value)?;
                // `(x)` is x in Python; only `(x,)` is a one-tuple.
                let had_comma = self
                    .src
                    .get(start..self.pos)
                    .is_some_and(|s| s.contains(&b','));
                match (items.len(), had_comma) {
                    (1, false) => Ok(items.into_iter().next().unwrap_or(Literal::Tuple(vec![]))),
                    _ => Ok(Literal::Tuple(items)),
                }
            }
            Some(q @ (b'\'' | b'"')) => self.string(q),
            // Python 2's unicode prefix, which Python 3 still accepts.
            Some(b'u' | b'U') if matches!(self.src.get(self.pos + 1), Some(b'\'' | b'"')) => {
                self.pos += 1;
                let quote = self.src.get(self.pos).copied().unwrap_or(b'\'');
                self.string(quote)
            }
            Some(b'0'..=b'9') => self.int(),
            Some(b'T' | b'F') => self.boolean(),
            _ => Err(self.error("a value")),
        }
    }

    /// Items separated by commas (a trailing comma allowed) up to `close`.
    fn sequence<T>(
        &mut self,
        close: u8,
        depth: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<T, SyntaxError>,
    ) -> Result<Vec<T>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(items);
            }
            items.push(item(self, depth + 1)?);
            if !self.eat(b',') {
                return if self.eat(close) {
                    Ok(items)
                } else {
                    Err(self.error("',' or a closing bracket"))
                };
            }
        }
    }

    /// A quoted string with Python's escapes (`\\n`, `\\x41`, `\\u00e9`, octal, …).
    fn string(&mut self, quote: u8) -> Result<Literal, SyntaxError> {
        self.pos += 1;
        let mut text = String::new();
        let mut plain = self.pos;
        loop {
            let Some(&b) = self.src.get(self.pos) else {
                return Err(self.error("a closing quote"));
            };
            if b == quote || b == b'\\' || b == b'\n' {
                let run = self.src.get(plain..self.pos).unwrap_or_default();
                text.push_str(std::str::from_utf8(run).map_err(|_| self.error("UTF-8 text"))?);
            }
            match b {
                b'\n' => return Err(self.error("a closing quote")),
                _ if b == quote => {
                    self.pos += 1;
                    return Ok(Literal::Str(text));
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape(&mut text)?;
                    plain = self.pos;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// One escape after a backslash, appended to `text`.
    fn escape(&mut self, text: &mut String) -> Result<(), SyntaxError> {
        let Some(&c) = self.src.get(self.pos) else {
            return Err(self.error("an escape"));
        };
        self.pos += 1;
        let simple = match c {
            b'\n' => Some(None), // a line continuation: nothing
            b'\\' => Some(Some('\\')),
            b'\'' => Some(Some('\'')),
            b'"' => Some(Some('"')),
            b'a' => Some(Some('\u{7}')),
            b'b' => Some(Some('\u{8}')),
            b'f' => Some(Some('\u{c}')),
            b'n' => Some(Some('\n')),
            b'r' => Some(Some('\r')),
            b't' => Some(Some('\t')),
            b'v' => Some(Some('\u{b}')),
            _ => None,
        };
        if let Some(ch) = simple {
            text.extend(ch);
            return Ok(());
        }
        let code = match c {
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.src.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                v
            }
            b'x' => self.hex_digits(2)?,
            b'u' => self.hex_digits(4)?,
            b'U' => self.hex_digits(8)?,
            // Python keeps an unknown escape as it is, backslash included.
            other => {
                text.push('\\');
                self.pos -= 1;
                let _ = other;
                return Ok(());
            }
        };
        text.push(char::from_u32(code).ok_or(self.error("a valid code point"))?);
        Ok(())
    }

    fn hex_digits(&mut self, n: usize) -> Result<u32, SyntaxError> {
        let digits = self
            .src
            .get(self.pos..self.pos + n)
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(self.error("hex digits"))?;
        self.pos += n;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("hex digits"))
    }

    /// A decimal integer as Python writes it: no leading zeros (but `0`, `00`), `_` between
    /// digits, and with `python2_longs` an `L` suffix.
    fn int(&mut self) -> Result<Literal, SyntaxError> {
        let start = self.pos;
        let mut n: u64 = 0;
        let mut digits = String::new();
        while let Some(&b) = self.src.get(self.pos) {
            if b.is_ascii_digit() {
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(b - b'0')))
                    .ok_or(self.error("an integer below 2**64"))?;
                digits.push(char::from(b));
            } else if b == b'_'
                && self.src.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
                && !digits.is_empty()
            {
                // a digit separator
            } else {
                break;
            }
            self.pos += 1;
        }
        let end = self.pos;
        if digits.len() > 1 && digits.starts_with('0') && n != 0 {
            return Err(self.error("an integer without leading zeros"));
        }
        if self.python2_longs && matches!(self.src.get(self.pos), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        if self
            .src
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_')
        {
            return Err(self.error("a plain integer"));
        }
        Ok(Literal::Int(n, start..end))
    }

    fn boolean(&mut self) -> Result<Literal, SyntaxError> {
        for (word, value) in [(&b"True"[..], true), (b"False", false)] {
            if self.src.get(self.pos..self.pos + word.len()) == Some(word) {
                self.pos += word.len();
                return Ok(Literal::Bool(value));
            }
        }
        Err(self.error("True or False"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numpy_headers() {
        let h = "{'descr': [('id', '<u8'), ('v', '<f4', (4,))], 'fortran_order': False, 'shape': (   12, 3), }   \n";
        let Literal::Dict(items) = parse(h, false).unwrap() else {
            panic!()
        };
        assert_eq!(items[0].0, Literal::Str("descr".into()));
        assert_eq!(items[1].1, Literal::Bool(false));
        let Literal::Tuple(shape) = &items[2].1 else {
            panic!()
        };
        assert!(matches!(&shape[0], Literal::Int(12, r) if &h[r.clone()] == "12"));
        assert_eq!(
            parse("(5,)", false).unwrap(),
            Literal::Tuple(vec![Literal::Int(5, 1..2)])
        );
        assert_eq!(parse("()", false).unwrap(), Literal::Tuple(vec![]));
        assert_eq!(parse("(5)", false).unwrap(), Literal::Int(5, 1..2));
        assert_eq!(parse("\"x\"", false).unwrap(), Literal::Str("x".into()));
    }

    #[test]
    fn refuses_garbage_without_panicking() {
        for bad in [
            "",
            "{",
            "{'a' 1}",
            "(1 2)",
            "'open",
            "99999999999999999999999",
            "1.5",
            "Tru",
            "[[[[",
            "{'a': 1,,}",
            "('a\0b',)",
            "(1,)\0",
        ] {
            assert!(parse(bad, false).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(10_000);
        assert_eq!(parse(&deep, false).unwrap_err().expected, "less nesting");
    }

    #[test]
    fn strings_take_pythons_escapes() {
        let s = |src: &str| {
            parse(src, false).map(|l| match l {
                Literal::Str(s) => s,
                other => panic!("{other:?}"),
            })
        };
        assert_eq!(s(r"'a\'b'").unwrap(), "a'b");
        assert_eq!(s(r#""a\"b""#).unwrap(), "a\"b");
        assert_eq!(s(r"'a\\b'").unwrap(), "a\\b");
        assert_eq!(s(r"'a\nb\r\t'").unwrap(), "a\nb\r\t");
        assert_eq!(
            s(r"'\x41\u00e9\U0001F600\101\0'").unwrap(),
            "A\u{e9}\u{1F600}A\0"
        );
        assert_eq!(s(r"'\q'").unwrap(), "\\q"); // unknown escapes stay, as in Python
        assert_eq!(s("u'x'").unwrap(), "x");
        assert!(s(r"'\x4'").is_err());
        assert!(s(r"'\ud800'").is_err()); // a lone surrogate is no char
        assert!(s("'a\nb'").is_err()); // a raw newline ends nothing
    }

    #[test]
    fn integers_follow_python() {
        assert!(matches!(parse("1_000", false), Ok(Literal::Int(1000, _))));
        assert!(matches!(parse("000", false), Ok(Literal::Int(0, _))));
        assert!(parse("0999", false).is_err());
        assert!(parse("1__0", false).is_err());
        assert!(parse("4L", false).is_err());
        assert!(matches!(parse("4L", true), Ok(Literal::Int(4, r)) if r == (0..1)));
    }
}
