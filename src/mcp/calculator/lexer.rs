//! Splits calculator input into numbers, names and symbols, each with its character offset.

use super::error::{Res, fail};

#[derive(Clone, Copy)]
pub(super) enum Tok<'a> {
    Num(f64),
    Ident(&'a str),
    Sym(char),
    End,
}

pub(super) fn lex(src: &str) -> Res<Vec<(Tok<'_>, usize)>> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let ch = |i: usize| chars.get(i).map(|&(_, c)| c);
    let byte = |i: usize| chars.get(i).map_or(src.len(), |&(b, _)| b);
    let is_digit = |i: usize| ch(i).is_some_and(|c| c.is_ascii_digit());
    let skip_digits = |mut i: usize| {
        while is_digit(i) {
            i += 1;
        }
        i
    };
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = ch(i) {
        let start = i;
        let tok = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_digit() || (c == '.' && is_digit(i + 1)) {
            i = skip_digits(i);
            if ch(i) == Some('.') {
                i = skip_digits(i + 1);
            }
            // An `e` without digits after it is left alone, so "2e" reads as 2 followed by e.
            let sign = usize::from(matches!(ch(i + 1), Some('+' | '-')));
            if matches!(ch(i), Some('e' | 'E')) && is_digit(i + 1 + sign) {
                i = skip_digits(i + 1 + sign);
            }
            let text = &src[byte(start)..byte(i)];
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Tok::Num(v),
                Ok(_) => return fail(start, "number too large"),
                Err(_) => return fail(start, format!("malformed number '{text}'")),
            }
        } else if c.is_alphabetic() || c == '_' {
            while ch(i).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                i += 1;
            }
            Tok::Ident(&src[byte(start)..byte(i)])
        } else if "+-*/%^(),".contains(c) {
            i += 1;
            Tok::Sym(c)
        } else {
            return fail(i, format!("unexpected character {c:?}"));
        };
        tokens.push((tok, start));
    }
    Ok(tokens)
}
