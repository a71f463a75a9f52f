//! Borrowed auth-param values with lazy quoted-pair unescaping (RFC 9110 §5.6.4).

use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use crate::Scopes;

/// How a parameter value was written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueSyntax {
    /// An RFC 9110 `token` (`error=invalid_token`).
    Token,
    /// An RFC 9110 `quoted-string` (`scope="a b"`); quoted-pairs are unescaped on access.
    QuotedString,
    /// Not valid RFC 9110 syntax, accepted for interoperability: an unquoted value with characters
    /// outside `tchar`, such as an unquoted URL (`authorization_uri=https://login.example/x`,
    /// checklist G-15). It runs to the next comma or whitespace. A strict caller rejects it.
    Bare,
}

/// One auth-param value, borrowed from the header bytes.
///
/// For a quoted-string the value holds the bytes between the quotes with escapes intact;
/// unescaping happens lazily and never allocates, except in the explicitly allocating
/// [`to_string`](alloc::string::ToString::to_string) (through [`fmt::Display`]) and [`ParamValue::to_vec`].
///
/// Bytes outside ASCII (RFC 9110 obs-text, checklist G-19) are kept as they are: [`bytes`]
/// yields them exactly, [`chars`] and [`fmt::Display`] decode the unescaped bytes as UTF-8 and
/// replace invalid sequences with U+FFFD.
///
/// `==` compares how the value was written (syntax and raw bytes); use
/// [`ParamValue::eq_str`] to compare what it means.
///
/// [`bytes`]: ParamValue::bytes
/// [`chars`]: ParamValue::chars
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamValue<'a> {
    raw: &'a [u8],
    syntax: ValueSyntax,
    escaped: bool,
}

impl<'a> ParamValue<'a> {
    /// A value whose lexer already knows whether it holds a quoted-pair (no second scan).
    pub(crate) fn with_escapes(raw: &'a [u8], syntax: ValueSyntax, escaped: bool) -> Self {
        debug_assert_eq!(
            escaped,
            syntax == ValueSyntax::QuotedString && raw.contains(&b'\\')
        );
        Self {
            raw,
            syntax,
            escaped,
        }
    }

    pub(crate) fn new(raw: &'a [u8], syntax: ValueSyntax) -> Self {
        let escaped = syntax == ValueSyntax::QuotedString && raw.contains(&b'\\');
        Self {
            raw,
            syntax,
            escaped,
        }
    }

    /// How the value was written.
    #[must_use]
    pub fn syntax(&self) -> ValueSyntax {
        self.syntax
    }

    /// The raw bytes: for a quoted-string the bytes between the quotes with quoted-pairs not yet
    /// unescaped, otherwise the value itself.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Whether the value contains quoted-pairs (so [`ParamValue::as_str`] returns `None`).
    #[must_use]
    pub fn has_escapes(&self) -> bool {
        self.escaped
    }

    /// Whether the unescaped value is empty (`realm=""`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The value as a string slice of the header, when it needs no unescaping and is valid UTF-8.
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        if self.escaped {
            None
        } else {
            core::str::from_utf8(self.raw).ok()
        }
    }

    /// The unescaped bytes, exactly.
    #[must_use]
    pub fn bytes(&self) -> UnescapedBytes<'a> {
        UnescapedBytes {
            raw: self.raw,
            pos: 0,
            escaped: self.escaped,
        }
    }

    /// The unescaped value decoded as UTF-8, invalid sequences replaced with U+FFFD (the same
    /// replacement rule as `String::from_utf8_lossy`).
    #[must_use]
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            bytes: self.bytes(),
        }
    }

    /// Whether the unescaped value equals `s` exactly (byte for byte, case-sensitive).
    #[must_use]
    pub fn eq_str(&self, s: &str) -> bool {
        if self.escaped {
            self.bytes().eq(s.bytes())
        } else {
            self.raw == s.as_bytes()
        }
    }

    /// Whether the unescaped value equals `s` ignoring ASCII case.
    #[must_use]
    pub fn eq_ignore_ascii_case(&self, s: &str) -> bool {
        if self.escaped {
            let mut it = s.bytes();
            self.bytes()
                .all(|b| it.next().is_some_and(|c| c.eq_ignore_ascii_case(&b)))
                && it.next().is_none()
        } else {
            self.raw.eq_ignore_ascii_case(s.as_bytes())
        }
    }

    /// Write the unescaped value (lossy UTF-8, as [`ParamValue::chars`]) into `out`.
    ///
    /// # Errors
    ///
    /// Whatever `out` returns.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        if let Some(s) = self.as_str() {
            return out.write_str(s);
        }
        for c in self.chars() {
            out.write_char(c)?;
        }
        Ok(())
    }

    /// The unescaped bytes in a new vector (allocates).
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes().collect()
    }

    /// Split the unescaped value at spaces into scope tokens, without allocating
    /// (RFC 6750 §3, RFC 6749 §3.3; checklist G-21). Runs of spaces and leading or trailing
    /// spaces produce no empty tokens. Each token is itself a [`ParamValue`], so
    /// [`ParamValue::as_str`] gives a `&str` when it needs no unescaping.
    #[must_use]
    pub fn scope_tokens(&self) -> ScopeTokens<'a> {
        ScopeTokens {
            raw: self.raw,
            pos: 0,
            syntax: self.syntax,
        }
    }

    /// The scope tokens as an owned [`Scopes`] (allocates). Tokens that are not valid RFC 6749
    /// scope tokens are dropped, as [`Scopes::parse`] does.
    #[must_use]
    pub fn to_scopes(&self) -> Scopes {
        let mut scopes = Scopes::new();
        let mut buf = alloc::string::String::new();
        for token in self.scope_tokens() {
            if let Some(s) = token.as_str() {
                scopes.insert(s);
            } else {
                buf.clear();
                // Writing into a String cannot fail.
                let _ = token.write_to(&mut buf);
                scopes.insert(&buf);
            }
        }
        scopes
    }
}

impl fmt::Display for ParamValue<'_> {
    /// The unescaped value, lossy UTF-8.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

impl fmt::Debug for ParamValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.syntax {
            ValueSyntax::Token => "Token(",
            ValueSyntax::QuotedString => "Quoted(",
            ValueSyntax::Bare => "Bare(",
        })?;
        f.write_char('"')?;
        for c in self.chars() {
            for e in c.escape_debug() {
                f.write_char(e)?;
            }
        }
        f.write_str("\")")
    }
}

/// The unescaped bytes of a [`ParamValue`].
#[derive(Debug, Clone)]
pub struct UnescapedBytes<'a> {
    raw: &'a [u8],
    pos: usize,
    escaped: bool,
}

impl Iterator for UnescapedBytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let b = *self.raw.get(self.pos)?;
        self.pos += 1;
        if self.escaped && b == b'\\' {
            // The parser only produces complete quoted-pairs; a lone trailing backslash (only
            // possible in a hand-built value) ends the value.
            let next = *self.raw.get(self.pos)?;
            self.pos += 1;
            return Some(next);
        }
        Some(b)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.raw.len().saturating_sub(self.pos);
        if self.escaped {
            (left / 2, Some(left))
        } else {
            (left, Some(left))
        }
    }
}

/// The unescaped value of a [`ParamValue`] decoded as UTF-8, invalid sequences replaced with
/// U+FFFD.
#[derive(Debug, Clone)]
pub struct Chars<'a> {
    bytes: UnescapedBytes<'a>,
}

impl Chars<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.clone().next()
    }
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let b0 = self.bytes.next()?;
        if b0 < 0x80 {
            return Some(char::from(b0));
        }
        // Sequence length, payload bits of the lead byte, and the allowed range of the second
        // byte (which excludes overlong forms, surrogates and values above U+10FFFF), so that the
        // replacement follows the "maximal subpart" rule of `String::from_utf8_lossy`.
        let (len, mut cp, lo, hi) = match b0 {
            0xC2..=0xDF => (2, u32::from(b0 & 0x1F), 0x80, 0xBF),
            0xE0 => (3, 0, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (3, u32::from(b0 & 0x0F), 0x80, 0xBF),
            0xED => (3, 0x0D, 0x80, 0x9F),
            0xF0 => (4, 0, 0x90, 0xBF),
            0xF1..=0xF3 => (4, u32::from(b0 & 0x07), 0x80, 0xBF),
            0xF4 => (4, 4, 0x80, 0x8F),
            _ => return Some(char::REPLACEMENT_CHARACTER),
        };
        for i in 1..len {
            let (lo, hi) = if i == 1 { (lo, hi) } else { (0x80, 0xBF) };
            match self.peek() {
                Some(b) if (lo..=hi).contains(&b) => {
                    self.bytes.next();
                    cp = (cp << 6) | u32::from(b & 0x3F);
                }
                _ => return Some(char::REPLACEMENT_CHARACTER),
            }
        }
        Some(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER))
    }
}

/// The space-separated tokens of a value, see [`ParamValue::scope_tokens`].
#[derive(Debug, Clone)]
pub struct ScopeTokens<'a> {
    raw: &'a [u8],
    pos: usize,
    syntax: ValueSyntax,
}

impl ScopeTokens<'_> {
    /// Length of the separator at `i` (a space, or an escaped space in a quoted-string), or 0.
    fn separator_at(&self, i: usize) -> usize {
        match self.raw.get(i) {
            Some(b' ') => 1,
            Some(b'\\')
                if self.syntax == ValueSyntax::QuotedString
                    && self.raw.get(i + 1) == Some(&b' ') =>
            {
                2
            }
            _ => 0,
        }
    }
}

impl<'a> Iterator for ScopeTokens<'a> {
    type Item = ParamValue<'a>;

    fn next(&mut self) -> Option<ParamValue<'a>> {
        loop {
            let sep = self.separator_at(self.pos);
            if sep == 0 {
                break;
            }
            self.pos += sep;
        }
        let start = self.pos;
        if start >= self.raw.len() {
            return None;
        }
        let quoted = self.syntax == ValueSyntax::QuotedString;
        while let Some(&b) = self.raw.get(self.pos) {
            if self.separator_at(self.pos) > 0 {
                break;
            }
            // A quoted-pair is two bytes; never split it.
            self.pos += if quoted && b == b'\\' { 2 } else { 1 };
        }
        let end = self.pos.min(self.raw.len());
        let raw = self.raw.get(start..end).unwrap_or_default();
        Some(ParamValue::new(raw, self.syntax))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use proptest::prelude::*;

    fn quoted(raw: &[u8]) -> ParamValue<'_> {
        ParamValue::new(raw, ValueSyntax::QuotedString)
    }

    #[test]
    fn unescapes_quoted_pairs_g5() {
        let v = quoted(br#"say \"hi\" \\ ok"#);
        assert!(v.has_escapes());
        assert_eq!(v.as_str(), None);
        assert!(v.eq_str(r#"say "hi" \ ok"#));
        assert!(!v.eq_str(r#"say "hi" \ o"#));
        assert_eq!(v.to_string(), r#"say "hi" \ ok"#);
        assert_eq!(v.to_vec(), br#"say "hi" \ ok"#);
    }

    #[test]
    fn token_values_keep_backslashes() {
        let v = ParamValue::new(b"a\\b", ValueSyntax::Bare);
        assert!(!v.has_escapes());
        assert_eq!(v.as_str(), Some("a\\b"));
    }

    #[test]
    fn ignore_case_comparison() {
        assert!(quoted(br"Insufficient\_Scope").eq_ignore_ascii_case("insufficient_scope"));
        assert!(!quoted(br"Insufficient\_Scope").eq_ignore_ascii_case("insufficient_scop"));
        assert!(!quoted(br"Insufficient\_Scop").eq_ignore_ascii_case("insufficient_scope"));
        assert!(quoted(b"ABC").eq_ignore_ascii_case("abc"));
    }

    #[test]
    fn scope_tokens_split_on_spaces_g21() {
        let v = quoted(b"  a   b ");
        let t: Vec<_> = v.scope_tokens().map(|t| t.as_str()).collect();
        assert_eq!(t, [Some("a"), Some("b")]);
        assert_eq!(v.to_scopes().to_string(), "a b");
    }

    #[test]
    fn scope_tokens_respect_escapes() {
        // `\ ` is an escaped space: it separates tokens after unescaping. `\x` stays in its token.
        let v = quoted(br"a\ b c\xd \\");
        let t: Vec<String> = v.scope_tokens().map(|t| t.to_string()).collect();
        assert_eq!(t, ["a", "b", "cxd", "\\"]);
        // `\` is not a valid scope token character, so it is dropped from `Scopes`.
        assert_eq!(v.to_scopes().to_string(), "a b cxd");
    }

    #[test]
    fn obs_text_is_decoded_lossily_g19() {
        let v = quoted(b"caf\xe9");
        assert_eq!(v.as_str(), None);
        assert_eq!(v.to_string(), "caf\u{fffd}");
        assert_eq!(v.bytes().collect::<Vec<_>>(), b"caf\xe9");
        let v = quoted("café".as_bytes());
        assert_eq!(v.as_str(), Some("café"));
    }

    #[test]
    fn debug_shows_syntax_and_unescaped_text() {
        let v = quoted(br#"a\"b"#);
        assert_eq!(alloc::format!("{v:?}"), r#"Quoted("a\"b")"#);
    }

    proptest! {
        #[test]
        fn lossy_decoding_matches_std(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let v = ParamValue::new(&bytes, ValueSyntax::Token);
            let ours: String = v.chars().collect();
            prop_assert_eq!(ours, String::from_utf8_lossy(&bytes).into_owned());
        }

        #[test]
        fn escaping_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut raw = Vec::new();
            for &b in &bytes {
                if b == b'"' || b == b'\\' || b % 3 == 0 {
                    raw.push(b'\\');
                }
                raw.push(b);
            }
            let v = quoted(&raw);
            prop_assert_eq!(v.to_vec(), bytes.clone());
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert_eq!(v.to_string(), lossy.clone());
            if let Ok(s) = core::str::from_utf8(&bytes) {
                prop_assert!(v.eq_str(s));
            }
        }
    }
}
