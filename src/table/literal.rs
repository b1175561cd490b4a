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

pub(crate) fn parse(src: &str) -> Result<Literal, SyntaxError> {
    let mut p = Parser {
        src: src.as_bytes(),
        pos: 0,
    };
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

    fn string(&mut self, quote: u8) -> Result<Literal, SyntaxError> {
        self.pos += 1;
        let start = self.pos;
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b'\\' => return Err(self.error("a string without escapes")),
                b'\n' => break,
                _ if b == quote => {
                    let text =
                        std::str::from_utf8(self.src.get(start..self.pos).unwrap_or_default())
                            .map_err(|_| self.error("UTF-8 text"))?;
                    self.pos += 1;
                    return Ok(Literal::Str(text.to_owned()));
                }
                _ => self.pos += 1,
            }
        }
        Err(self.error("a closing quote"))
    }

    fn int(&mut self) -> Result<Literal, SyntaxError> {
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(&b) = self.src.get(self.pos).filter(|b| b.is_ascii_digit()) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .ok_or(self.error("an integer below 2**64"))?;
            self.pos += 1;
        }
        if self
            .src
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
        {
            return Err(self.error("a plain integer"));
        }
        Ok(Literal::Int(n, start..self.pos))
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
        let Literal::Dict(items) = parse(h).unwrap() else {
            panic!()
        };
        assert_eq!(items[0].0, Literal::Str("descr".into()));
        assert_eq!(items[1].1, Literal::Bool(false));
        let Literal::Tuple(shape) = &items[2].1 else {
            panic!()
        };
        assert!(matches!(&shape[0], Literal::Int(12, r) if &h[r.clone()] == "12"));
        assert_eq!(
            parse("(5,)").unwrap(),
            Literal::Tuple(vec![Literal::Int(5, 1..2)])
        );
        assert_eq!(parse("()").unwrap(), Literal::Tuple(vec![]));
        assert_eq!(parse("(5)").unwrap(), Literal::Int(5, 1..2));
        assert_eq!(parse("\"x\"").unwrap(), Literal::Str("x".into()));
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
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(10_000);
        assert_eq!(parse(&deep).unwrap_err().expected, "less nesting");
    }
}
