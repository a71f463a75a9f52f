//! Syntax errors of a `WWW-Authenticate` field value.

use core::fmt;

/// Where a syntax error was found: which field line, and the byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    line: usize,
    offset: usize,
}

impl Position {
    pub(crate) const fn new(line: usize, offset: usize) -> Self {
        Self { line, offset }
    }

    /// The index of the field line (0 for the first `WWW-Authenticate` line).
    #[must_use]
    pub const fn line(&self) -> usize {
        self.line
    }

    /// The byte offset in that line.
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, byte {}", self.line, self.offset)
    }
}

/// A syntax error in a `WWW-Authenticate` field value (RFC 9110 §11.6.1).
///
/// The parser reports the error and recovers (see the module documentation for exactly what is
/// kept). An error carries only a kind and a [`Position`], never header bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// A byte that can start or continue neither a challenge nor a parameter here, such as a
    /// list element starting with `"` or `=`, or junk glued to a scheme (`Bearer/x`).
    #[error("unexpected byte at {at}")]
    UnexpectedByte {
        /// Where.
        at: Position,
    },
    /// Something other than a comma after a complete value or token68 (`a="x" junk`).
    #[error("expected a comma at {at}")]
    ExpectedComma {
        /// Where.
        at: Position,
    },
    /// `name=` with nothing after it.
    #[error("missing parameter value at {at}")]
    MissingValue {
        /// Where the value should start.
        at: Position,
    },
    /// A quoted-string with no closing quote; it consumes the rest of its field line.
    #[error("unterminated quoted string at {at}")]
    UnterminatedQuotedString {
        /// The opening quote.
        at: Position,
    },
    /// A control character inside a quoted-string (not allowed by `qdtext` / `quoted-pair`).
    #[error("invalid byte in quoted string at {at}")]
    InvalidQuotedByte {
        /// The offending byte.
        at: Position,
    },
    /// An auth-param before any challenge, or after an error made its challenge unknown.
    #[error("parameter outside any challenge at {at}")]
    ParamOutsideChallenge {
        /// The parameter name.
        at: Position,
    },
    /// An auth-param after a challenge that carries a token68, which takes no parameters.
    #[error("parameter after a token68 at {at}")]
    ParamAfterToken68 {
        /// The parameter name.
        at: Position,
    },
}

impl ChallengeError {
    /// Where the error was found.
    #[must_use]
    pub const fn position(&self) -> Position {
        match *self {
            Self::UnexpectedByte { at }
            | Self::ExpectedComma { at }
            | Self::MissingValue { at }
            | Self::UnterminatedQuotedString { at }
            | Self::InvalidQuotedByte { at }
            | Self::ParamOutsideChallenge { at }
            | Self::ParamAfterToken68 { at } => at,
        }
    }
}
