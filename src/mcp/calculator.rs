//! Evaluates MCP `calculator` input without eval: untrusted text can never panic, hang or run code.

use std::f64::consts::{E, PI};
use std::fmt;

/// Longest accepted expression, counted in characters (not bytes).
pub const MAX_EXPRESSION_CHARS: usize = 1_000;
/// Deepest accepted nesting; each parenthesis, function call, unary sign and `^` adds one level.
pub const MAX_NESTING: usize = 64;

/// Why an expression was rejected; positions are 0-based character offsets into the input.
#[derive(Debug, Clone, PartialEq)]
pub struct CalcError {
    message: String,
    position: Option<usize>,
}

impl CalcError {
    /// The human-readable message, including the position when there is one.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The character offset the error refers to, if it refers to one.
    pub fn position(&self) -> Option<usize> {
        self.position
    }
}

impl fmt::Display for CalcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CalcError {}

type Res<T> = Result<T, CalcError>;

fn at(position: usize, what: impl fmt::Display) -> CalcError {
    let message = format!("{what} at position {position}");
    let position = Some(position);
    CalcError { message, position }
}

fn fail<T>(position: usize, what: impl fmt::Display) -> Res<T> {
    Err(at(position, what))
}

fn whole(message: String) -> CalcError {
    let position = None;
    CalcError { message, position }
}

/// Evaluates an arithmetic expression; every result, including intermediate ones, is finite.
pub fn evaluate(expression: &str) -> Result<f64, CalcError> {
    // Counting stops one past the limit so a multi-megabyte input costs no more than a long one.
    let chars = expression.chars().take(MAX_EXPRESSION_CHARS + 1).count();
    if chars > MAX_EXPRESSION_CHARS {
        let message = format!("expression is longer than {MAX_EXPRESSION_CHARS} characters");
        return Err(whole(message));
    }
    let tokens = lex(expression)?;
    if tokens.is_empty() {
        return Err(whole("expression is empty".to_string()));
    }
    let mut parser = Parser {
        tokens,
        next: 0,
        end: chars,
        depth: 0,
    };
    let value = parser.expr()?;
    match parser.peek() {
        (Tok::End, _) => Ok(value),
        found => Err(unexpected(found, "an operator")),
    }
}

/// Formats a result for people: integers below 1e15 without a fraction ("4"), other values in
/// [1e-6, 1e15) as plain decimals ("0.5"), the rest in scientific notation ("1e20", "1.5e-7").
/// Values are first rounded to 15 significant digits, so `0.1 + 0.2` shows as "0.3"; finite
/// outputs are themselves valid calculator expressions.
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    // f64 carries 15 trustworthy significant digits; the rest is binary rounding noise.
    let rounded = format!("{value:.14e}").parse::<f64>().ok();
    let v = rounded.filter(|r| r.is_finite()).unwrap_or(value);
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if (1e-6..1e15).contains(&v.abs()) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

#[derive(Clone, Copy)]
enum Tok<'a> {
    Num(f64),
    Ident(&'a str),
    Sym(char),
    End,
}

fn lex(src: &str) -> Res<Vec<(Tok<'_>, usize)>> {
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
    let mut error = at(pos, format!("expected {expected} but found {found}"));
    error.message.push_str(hint);
    error
}

struct Parser<'a> {
    tokens: Vec<(Tok<'a>, usize)>,
    next: usize,
    end: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Each line is `input => expected value` or `input => expected error message`.
    fn check(table: &str) {
        for line in table.lines().map(str::trim).filter(|line| !line.is_empty()) {
            let (input, want) = line.split_once(" => ").expect("table line has ' => '");
            match (evaluate(input), want.parse::<f64>()) {
                (Ok(got), Ok(want)) => {
                    let tolerance = 1e-12 * want.abs().max(1.0);
                    assert!((got - want).abs() <= tolerance, "{input} = {got}");
                }
                (got, _) => assert_eq!(got.map_err(|e| e.to_string()), Err(want.into()), "{input}"),
            }
        }
    }

    #[test]
    fn precedence_follows_school_arithmetic() {
        check(
            "1 + 2 * 3 => 7
             (1 + 2) * 3 => 9
             2 * 3 ^ 2 => 18
             7 % 3 + 1 => 2
             8 / 2 * 4 => 16",
        );
    }

    #[test]
    fn power_is_right_associative_and_the_other_operators_left_associative() {
        check(
            "2^3^2 => 512
             (2^3)^2 => 64
             10 - 4 - 3 => 3
             100 / 10 / 2 => 5
             17 % 10 % 4 => 3",
        );
    }

    #[test]
    fn unary_minus_binds_looser_than_power_but_may_appear_in_exponents() {
        check(
            "-2^2 => -4
             (-2)^2 => 4
             2^-1 => 0.5
             2^-2^2 => 0.0625
             --3 => 3
             +5 * -2 => -10
             3 - -3 => 6
             -7 % 3 => -1",
        );
    }

    #[test]
    fn numbers_accept_fractions_and_exponent_notation() {
        check(
            "1.5 => 1.5
             .5 => 0.5
             7. => 7
             2e10 => 20000000000
             1.2E-3 => 0.0012
             3e+2 => 300
             1e-400 => 0",
        );
        assert_eq!(evaluate(&format!("0.{}1e500", "0".repeat(499))), Ok(1.0));
        assert_eq!(evaluate(" 1 +\t2\n"), Ok(3.0));
    }

    #[test]
    fn functions_and_constants_compute_their_usual_values() {
        check(
            "sqrt(16) => 4
             abs(-3) => 3
             ln(e) + log10(1000) + log2(8) + exp(0) => 8
             sin(pi / 2) + cos(0) + tan(pi / 4) => 3
             asin(1) * 2 + acos(-1) + atan(1) * 4 => 9.42477796076938
             floor(-1.5) * 10 + ceil(1.2) => -18
             round(2.5) - round(-2.5) => 6
             min(3, 1, 2) + max(5) + max(1, 2 + 3, -4) => 11
             pow(2, 10) => 1024
             π - pi => 0
             e => 2.718281828459045",
        );
    }

    #[test]
    fn division_by_zero_is_an_error_not_infinity() {
        check(
            "1 / (2 - 2) => division by zero at position 2
             5 % 0 => modulo by zero at position 2",
        );
        assert_eq!(evaluate("1 / 0").map_err(|e| e.position()), Err(Some(2)));
    }

    #[test]
    fn non_finite_results_are_errors_even_in_the_middle() {
        check(
            "sqrt(-1) => result of 'sqrt' is not a real number at position 0
             ln(0) => result of 'ln' is infinite at position 0
             1e308 * 10 => result of '*' is infinite at position 6
             1 / exp(1000) => result of 'exp' is infinite at position 4
             0 ^ -1 => result of '^' is infinite at position 2
             1e999 => number too large at position 0",
        );
    }

    #[test]
    fn unknown_names_and_wrong_argument_counts_are_errors_with_positions() {
        check(
            "1 + foo(2) => unknown function 'foo' at position 4
             PI => unknown identifier 'PI' at position 0
             sqrt(1, 2) => 'sqrt' takes exactly 1 argument but got 2 at position 0
             pow(1) => 'pow' takes exactly 2 arguments but got 1 at position 0
             min() => 'min' takes at least 1 argument but got 0 at position 0
             sqrt 4 => missing '(' after function 'sqrt' at position 0",
        );
        assert_eq!(evaluate("2 * x").map_err(|e| e.position()), Err(Some(4)));
    }

    #[test]
    fn malformed_input_is_rejected_with_a_position() {
        check(
            "1 + => expected a number, name or '(' but found end of input at position 3
             (1 => expected ')' but found end of input at position 2
             1 ) => expected an operator but found ')' at position 2
             max(1,) => expected a number, name or '(' but found ')' at position 6
             1 # 2 => unexpected character '#' at position 2
             1 \u{202e} => unexpected character '\\u{202e}' at position 2",
        );
        let hint = "expected an operator but found 'pi' at position 2 (no implicit multiplication)";
        assert_eq!(evaluate("2 pi").unwrap_err().message(), hint);
        for input in ["2(3)", "2e", "1.2.3", "max(1 2)"] {
            let message = evaluate(input).unwrap_err().to_string();
            assert!(
                message.ends_with("(no implicit multiplication)"),
                "{message}"
            );
        }
        let empty = Err(("expression is empty".to_string(), None));
        for input in ["", " \t\n"] {
            assert_eq!(
                evaluate(input).map_err(|e| (e.to_string(), e.position())),
                empty
            );
        }
    }

    #[test]
    fn length_limit_is_1000_characters_not_bytes() {
        assert_eq!(evaluate(&format!("{}1", " ".repeat(999))), Ok(1.0));
        assert_eq!(evaluate(&format!("π{}", " ".repeat(999))), Ok(PI));
        let too_long = evaluate(&format!("{}1", " ".repeat(1000))).unwrap_err();
        assert_eq!(
            too_long.message(),
            "expression is longer than 1000 characters"
        );
    }

    #[test]
    fn nesting_is_limited_to_64_levels() {
        let nested = |open: &str, n: usize| format!("{}1{}", open.repeat(n), ")".repeat(n));
        assert_eq!(evaluate(&nested("(", 64)), Ok(1.0));
        assert_eq!(evaluate(&nested("abs(", 64)), Ok(1.0));
        assert_eq!(evaluate(&format!("{}1", "-".repeat(64))), Ok(1.0));
        for deep in [nested("(", 65), nested("sqrt(", 150), "-".repeat(999) + "1"] {
            let error = evaluate(&deep).unwrap_err().to_string();
            assert!(
                error.starts_with("nesting deeper than 64 levels at"),
                "{error}"
            );
        }
    }

    #[test]
    fn deepest_allowed_nesting_fits_in_a_small_thread_stack() {
        // Calls are the deepest construct (~300 KiB unoptimised); std and tokio threads get 2 MiB.
        let deep = format!("{}1{}", "abs(".repeat(64), ")".repeat(64));
        let worker = std::thread::Builder::new().stack_size(512 * 1024);
        let result = worker.spawn(move || evaluate(&deep)).expect("spawn").join();
        assert_eq!(result.expect("no stack overflow"), Ok(1.0));
    }

    #[test]
    fn format_number_drops_fractions_of_integers_and_hides_rounding_noise() {
        let cases = [
            (4.0, "4"),
            (-3.0, "-3"),
            (-0.0, "0"),
            (0.5, "0.5"),
            (0.1 + 0.2, "0.3"),
            (1e20, "1e20"),
            (1.5e-7, "1.5e-7"),
            (999_999_999_999_999.0, "999999999999999"),
        ];
        for (value, want) in cases {
            assert_eq!(format_number(value), want);
        }
        assert_eq!(evaluate(&format_number(f64::MAX)), Ok(f64::MAX));
    }

    fn expression() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            (0u32..1000).prop_map(|n| n.to_string()),
            (0.0f64..1e6).prop_map(|x| x.to_string()),
            prop::sample::select(vec!["pi", "e", "1e300", ".5", "2E-3"]).prop_map(String::from),
        ];
        leaf.prop_recursive(6, 64, 3, |inner| {
            let op = prop::sample::select(vec!["+", "-", "*", "/", "%", "^"]);
            let func = prop::sample::select(vec!["sqrt", "ln", "exp", "tan", "asin", "round"]);
            prop_oneof![
                (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
                inner.clone().prop_map(|a| format!("-({a})")),
                (func, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
                prop::collection::vec(inner, 1..4).prop_map(|v| format!("max({})", v.join(", "))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,1200}") {
            let _ = evaluate(&s);
        }

        #[test]
        fn strings_of_calculator_symbols_never_panic(s in "[0-9a-z.E+*/%^(), -]{0,1200}") {
            let _ = evaluate(&s);
        }

        #[test]
        fn small_integer_arithmetic_is_exact(a in -10_000i64..10_000, b in -10_000i64..10_000) {
            prop_assert_eq!(evaluate(&format!("{a} + {b}")), Ok((a + b) as f64));
            prop_assert_eq!(evaluate(&format!("{a} - {b}")), Ok((a - b) as f64));
            prop_assert_eq!(evaluate(&format!("{a}*{b}")), Ok((a * b) as f64));
            if b != 0 {
                prop_assert_eq!(evaluate(&format!("{a} % {b}")), Ok((a % b) as f64));
            }
        }

        #[test]
        fn well_formed_expressions_give_a_finite_value_or_an_error(s in expression()) {
            if let Ok(v) = evaluate(&s) {
                prop_assert!(v.is_finite(), "{} gave {}", s, v);
            }
        }

        #[test]
        fn formatted_numbers_evaluate_back_to_almost_the_same_value(x in prop::num::f64::NORMAL) {
            let back = evaluate(&format_number(x));
            let close = back.clone().is_ok_and(|b| (b - x).abs() <= 1e-14 * x.abs());
            prop_assert!(close, "{} -> {:?}", x, back);
        }
    }
}
