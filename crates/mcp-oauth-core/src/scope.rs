//! Scope sets (RFC 6749 §3.3).
//!
//! A scope is a space-delimited list of case-sensitive tokens whose order carries no meaning.
//! [`Scopes`] keeps the tokens in first-seen order without duplicates, so that the value the
//! client sends is deterministic and the union used for step-up authorization keeps what was
//! granted before (checklist S-5, S-10).
//!
//! ```
//! use mcp_oauth_core::Scopes;
//!
//! let granted = Scopes::parse("mcp:basic  files:read ");
//! let required = Scopes::parse("mcp:write mcp:basic");
//! let union = granted.union(&required);
//! assert_eq!(union.to_string(), "mcp:basic files:read mcp:write");
//! assert!(union.contains_all(&required));
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// An ordered, duplicate-free set of scope tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Scopes(Vec<String>);

/// Whether `token` is a valid scope token: one or more of `%x21 / %x23-5B / %x5D-7E`
/// (printable ASCII except space, `"` and `\`).
#[must_use]
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

impl Scopes {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Split a space-delimited scope string. Runs of spaces, leading and trailing spaces are
    /// ignored; duplicates are dropped, keeping the first. Tokens with characters outside the
    /// RFC 6749 §3.3 set (`"`, `\`, control or non-ASCII characters) are dropped too, so they are
    /// never sent back to a server (checklist S-10).
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let mut s = Self::new();
        for token in value.split(' ') {
            s.insert(token);
        }
        s
    }

    /// Build a set from individual tokens, with the same filtering as [`Scopes::parse`].
    #[must_use]
    pub fn from_tokens<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut s = Self::new();
        for t in tokens {
            s.insert(t.as_ref());
        }
        s
    }

    /// Add one token if it is valid and not yet present. Returns whether it was added.
    pub fn insert(&mut self, token: &str) -> bool {
        if !is_scope_token(token) || self.contains(token) {
            return false;
        }
        self.0.push(String::from(token));
        true
    }

    /// Whether the set contains `token` (exact, case-sensitive comparison).
    #[must_use]
    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    /// Whether every token of `other` is in `self`.
    #[must_use]
    pub fn contains_all(&self, other: &Self) -> bool {
        other.0.iter().all(|t| self.contains(t))
    }

    /// `self` followed by the tokens of `other` that `self` lacks (checklist S-5).
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        let mut out = self.clone();
        for t in &other.0 {
            out.insert(t);
        }
        out
    }

    /// Whether the set is empty (then the `scope` parameter is omitted, checklist Q-7).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of tokens.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Scopes {
    /// The tokens joined by single spaces: the wire form of the `scope` parameter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(t)?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Scopes {
    type Item = &'a str;
    type IntoIter = core::iter::Map<core::slice::Iter<'a, String>, fn(&'a String) -> &'a str>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn splits_on_runs_of_spaces_g21_s10() {
        let s = Scopes::parse("  a   b ");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(s.to_string(), "a b");
    }

    #[test]
    fn case_sensitive_and_deduplicated() {
        let s = Scopes::parse("Read read Read");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["Read", "read"]);
    }

    #[test]
    fn invalid_tokens_are_dropped_s10() {
        let s = Scopes::parse("ok bad\"quote back\\slash ctl\u{7} caf\u{e9} fine");
        assert_eq!(s.to_string(), "ok fine");
    }

    #[test]
    fn union_keeps_order_s5() {
        let a = Scopes::parse("mcp:basic");
        let b = Scopes::parse("mcp:write mcp:basic");
        assert_eq!(a.union(&b).to_string(), "mcp:basic mcp:write");
        assert!(Scopes::new().is_empty());
        assert_eq!(Scopes::parse("").to_string(), "");
    }
}
