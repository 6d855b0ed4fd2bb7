//! The grammar and the arithmetic: operators with their precedence, functions and constants,
//! and the nesting limit that keeps hostile input from exhausting the stack.

use std::f64::consts::{E, PI};
use std::fmt;

use super::error::{CalcError, Res, at, fail};
use super::lexer::Tok;

/// Deepest accepted nesting; each parenthesis, function call, unary sign and `^` adds one level.
pub const MAX_NESTING: usize = 64;

#[derive(Clone, Copy)]
enum Func {
    One(fn(f64) -> f64),
    Two(fn(f64, f64) -> f64),
    Fold(fn(f64, f64) -> f64),
}

fn function(name: &str) -> Option<Func> {
    use Func::{Fold, One, Two};
    Some(match name {
        "sqrt" => One(f64::sqrt),
        "abs" => One(f64::abs),
        "ln" => One(f64::ln),
        "log10" => One(f64::log10),
        "log2" => One(f64::log2),
        "exp" => One(f64::exp),
        "sin" => One(f64::sin),
        "cos" => One(f64::cos),
        "tan" => One(f64::tan),
        "asin" => One(f64::asin),
        "acos" => One(f64::acos),
        "atan" => One(f64::atan),
        "floor" => One(f64::floor),
        "ceil" => One(f64::ceil),
        "round" => One(f64::round),
        "pow" => Two(f64::powf),
        "min" => Fold(f64::min),
        "max" => Fold(f64::max),
        _ => return None,
    })
}

fn finite(value: f64, what: impl fmt::Display, pos: usize) -> Res<f64> {
    let problem = match value {
        v if v.is_finite() => return Ok(value),
        v if v.is_nan() => "not a real number",
        _ => "infinite",
    };
    fail(pos, format!("result of '{what}' is {problem}"))
}

fn unexpected((tok, pos): (Tok<'_>, usize), expected: &str) -> CalcError {
    let found = match tok {
        Tok::Num(_) => "a number".to_string(),
        Tok::Ident(name) => format!("'{name}'"),
        Tok::Sym(c) => format!("'{c}'"),
        Tok::End => "end of input".to_string(),
    };
    // A value where an operator belongs is almost always someone writing "2pi" or "2(3)".
    let hint = match tok {
        Tok::Num(_) | Tok::Ident(_) | Tok::Sym('(') => " (no implicit multiplication)",
        _ => "",
    };
    at(pos, format!("expected {expected} but found {found}")).with_hint(hint)
}

/// A recursive-descent parser that evaluates as it goes: there is no syntax tree to build.
pub(super) struct Parser<'a> {
    tokens: Vec<(Tok<'a>, usize)>,
    next: usize,
    end: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    /// `end` is the input's length in characters, the position reported for "end of input".
    pub(super) fn new(tokens: Vec<(Tok<'a>, usize)>, end: usize) -> Self {
        let (next, depth) = (0, 0);
        Self {
            tokens,
            next,
            end,
            depth,
        }
    }

    /// The value of the whole input: one expression and nothing after it.
    pub(super) fn evaluate(mut self) -> Res<f64> {
        let value = self.expr()?;
        match self.peek() {
            (Tok::End, _) => Ok(value),
            found => Err(unexpected(found, "an operator")),
        }
    }

    fn peek(&self) -> (Tok<'a>, usize) {
        let end = (Tok::End, self.end);
        self.tokens.get(self.next).copied().unwrap_or(end)
    }

    fn eat(&mut self, sym: char) -> bool {
        let found = matches!(self.peek().0, Tok::Sym(c) if c == sym);
        self.next += usize::from(found);
        found
    }

    /// Runs `inner` one nesting level deeper, which is what bounds recursion on hostile input.
    fn nested<T>(&mut self, pos: usize, inner: fn(&mut Self) -> Res<T>) -> Res<T> {
        if self.depth >= MAX_NESTING {
            return fail(pos, format!("nesting deeper than {MAX_NESTING} levels"));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    fn expr(&mut self) -> Res<f64> {
        self.binary("+-", Self::term)
    }

    fn term(&mut self) -> Res<f64> {
        self.binary("*/%", Self::unary)
    }

    /// Loops rather than recurses, so long flat chains like 1+1+...+1 cost no stack.
    fn binary(&mut self, ops: &str, operand: fn(&mut Self) -> Res<f64>) -> Res<f64> {
        let mut acc = operand(self)?;
        while let (Tok::Sym(op), pos) = self.peek()
            && ops.contains(op)
        {
            self.next += 1;
            let rhs = operand(self)?;
            let value = match op {
                '+' => acc + rhs,
                '-' => acc - rhs,
                '*' => acc * rhs,
                _ if rhs == 0.0 => {
                    let kind = if op == '/' { "division" } else { "modulo" };
                    return fail(pos, format!("{kind} by zero"));
                }
                '/' => acc / rhs,
                // Remainder of truncated division: the sign follows the dividend, as in C and Rust.
                _ => acc % rhs,
            };
            acc = finite(value, op, pos)?;
        }
        Ok(acc)
    }

    /// Signs sit above `^` so that -2^2 is -(2^2), as in conventional maths notation.
    fn unary(&mut self) -> Res<f64> {
        match self.peek() {
            (Tok::Sym(sign @ ('+' | '-')), pos) => {
                self.next += 1;
                let value = self.nested(pos, Self::unary)?;
                Ok(if sign == '-' { -value } else { value })
            }
            _ => self.power(),
        }
    }

    /// The exponent is parsed as a unary so both 2^-1 and right-associative 2^3^2 work.
    fn power(&mut self) -> Res<f64> {
        let base = self.primary()?;
        let (Tok::Sym('^'), pos) = self.peek() else {
            return Ok(base);
        };
        self.next += 1;
        let exponent = self.nested(pos, Self::unary)?;
        finite(base.powf(exponent), '^', pos)
    }

    fn primary(&mut self) -> Res<f64> {
        let (tok, pos) = self.peek();
        self.next += 1;
        match tok {
            Tok::Num(value) => Ok(value),
            Tok::Sym('(') => {
                let value = self.nested(pos, Self::expr)?;
                if self.eat(')') {
                    Ok(value)
                } else {
                    Err(unexpected(self.peek(), "')'"))
                }
            }
            Tok::Ident(name) if self.eat('(') => self.call(name, pos),
            Tok::Ident("pi" | "π") => Ok(PI),
            Tok::Ident("e") => Ok(E),
            Tok::Ident(name) if function(name).is_some() => {
                fail(pos, format!("missing '(' after function '{name}'"))
            }
            Tok::Ident(name) => fail(pos, format!("unknown identifier '{name}'")),
            _ => Err(unexpected((tok, pos), "a number, name or '('")),
        }
    }

    fn call(&mut self, name: &str, pos: usize) -> Res<f64> {
        let Some(func) = function(name) else {
            return fail(pos, format!("unknown function '{name}'"));
        };
        let args = self.nested(pos, Self::arguments)?;
        let value = match (func, args.as_slice()) {
            (Func::One(f), &[x]) => f(x),
            (Func::Two(f), &[a, b]) => f(a, b),
            (Func::Fold(f), &[first, ref rest @ ..]) => rest.iter().fold(first, |a, &b| f(a, b)),
            _ => {
                let wanted = match func {
                    Func::One(_) => "exactly 1 argument",
                    Func::Two(_) => "exactly 2 arguments",
                    Func::Fold(_) => "at least 1 argument",
                };
                let got = args.len();
                return fail(pos, format!("'{name}' takes {wanted} but got {got}"));
            }
        };
        finite(value, name, pos)
    }

    /// Parses the comma-separated arguments after an already-consumed '('.
    fn arguments(&mut self) -> Res<Vec<f64>> {
        let mut args = Vec::new();
        if self.eat(')') {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(')') {
                return Ok(args);
            }
            if !self.eat(',') {
                return Err(unexpected(self.peek(), "',' or ')'"));
            }
        }
    }
}
