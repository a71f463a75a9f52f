//! Text chosen by an untrusted server (`error_description`, `error_uri`): which characters are
//! unsafe to display, and byte caps that never split a character.
//!
//! Each caller keeps its own cap and [`CharRule`] (the token endpoint's error text is only cut,
//! with [`truncate`]); only the mechanics live here.

use alloc::string::String;
use core::fmt;

/// What to do with characters that could corrupt a terminal or a log line, or reorder how the
/// text displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharRule {
    /// Replace control characters (`char::is_control`) with U+FFFD.
    ReplaceControl,
    /// Remove control characters and bidirectional formatting characters.
    RemoveControlAndBidi,
}

/// Whether `c` is a bidirectional formatting character (LRM, RLM, the embeddings and overrides
/// U+202A–U+202E, the isolates U+2066–U+2069), which can reorder how text displays.
const fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl CharRule {
    /// The character to keep in place of `c`, if any.
    fn apply(self, c: char) -> Option<char> {
        match self {
            Self::ReplaceControl if c.is_control() => Some(char::REPLACEMENT_CHARACTER),
            Self::ReplaceControl => Some(c),
            Self::RemoveControlAndBidi if c.is_control() || is_bidi_control(c) => None,
            Self::RemoveControlAndBidi => Some(c),
        }
    }
}

/// A [`fmt::Write`] sink that applies a [`CharRule`] and stops at `max` bytes: the first
/// character that would not fit makes `write_str` return `Err`, and nothing after it is kept.
pub(crate) struct CappedText<'s> {
    out: &'s mut String,
    max: usize,
    rule: CharRule,
}

impl<'s> CappedText<'s> {
    /// Append to `out` (which should start empty) under `rule`, up to `max` bytes in all.
    pub(crate) const fn new(out: &'s mut String, max: usize, rule: CharRule) -> Self {
        Self { out, max, rule }
    }
}

impl fmt::Write for CappedText<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars().filter_map(|c| self.rule.apply(c)) {
            if self.out.len().saturating_add(c.len_utf8()) > self.max {
                return Err(fmt::Error);
            }
            self.out.push(c);
        }
        Ok(())
    }
}

/// `s` under `rule`, cut at `max` bytes on a character boundary.
pub(crate) fn capped(s: &str, max: usize, rule: CharRule) -> String {
    let mut out = String::new();
    // An `Err` only means the text reached `max`; what fits is kept.
    let _ = fmt::Write::write_str(&mut CappedText::new(&mut out, max, rule), s);
    out
}

/// `s` cut to at most `max` bytes on a char boundary, without copying.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    s.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_caps() {
        let s = "a\u{7}b\u{202E}c\u{e9}";
        assert_eq!(
            capped(s, 100, CharRule::ReplaceControl),
            "a\u{FFFD}b\u{202E}c\u{e9}"
        );
        assert_eq!(capped(s, 100, CharRule::RemoveControlAndBidi), "abc\u{e9}");
        // The cap never splits a character, and nothing after the first misfit is kept.
        assert_eq!(capped("ab\u{e9}c", 3, CharRule::ReplaceControl), "ab");
        assert_eq!(truncate("ab\u{e9}c", 3), "ab");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
