//! The calculator's one error type: a message, and the character offset it refers to if any.

use std::fmt;

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

impl CalcError {
    /// Appends a hint to the message, e.g. " (no implicit multiplication)".
    pub(super) fn with_hint(mut self, hint: &str) -> Self {
        self.message.push_str(hint);
        self
    }
}

pub(super) type Res<T> = Result<T, CalcError>;

pub(super) fn at(position: usize, what: impl fmt::Display) -> CalcError {
    let message = format!("{what} at position {position}");
    let position = Some(position);
    CalcError { message, position }
}

pub(super) fn fail<T>(position: usize, what: impl fmt::Display) -> Res<T> {
    Err(at(position, what))
}

pub(super) fn whole(message: String) -> CalcError {
    let position = None;
    CalcError { message, position }
}
