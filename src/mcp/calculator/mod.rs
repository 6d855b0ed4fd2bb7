//! Evaluates MCP `calculator` input without eval: untrusted text can never panic, hang or run code.

mod error;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

pub use error::CalcError;
use error::whole;
use lexer::lex;
pub use parser::MAX_NESTING;
use parser::Parser;

/// Longest accepted expression, counted in characters (not bytes).
pub const MAX_EXPRESSION_CHARS: usize = 1_000;

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
    Parser::new(tokens, chars).evaluate()
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
