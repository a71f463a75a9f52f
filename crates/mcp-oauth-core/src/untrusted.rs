//! Text chosen by an untrusted server (`error_description`, `error_uri`): which characters are
//! unsafe to display, and byte caps that never split a character.
//!
//! One rule everywhere (the redirect's error parameters, registration and token error bodies):
//! tabs and line breaks become spaces, other control characters become U+FFFD, and bidirectional
//! formatting characters are removed, so
//! server text can neither inject terminal escape sequences or fake log lines nor reorder how
//! it displays. Each caller keeps its own byte cap.

use alloc::string::String;
use core::fmt;

/// Whether `c` is a bidirectional formatting character (LRM, RLM, the embeddings and overrides
/// U+202A–U+202E, the isolates U+2066–U+2069), which can reorder how text displays.
const fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The character to keep in place of `c`, if any.
fn clean(c: char) -> Option<char> {
    if is_bidi_control(c) {
        None
    } else if matches!(c, '\t' | '\n' | '\r') {
        Some(' ')
    } else if c.is_control() {
        Some(char::REPLACEMENT_CHARACTER)
    } else {
        Some(c)
    }
}

/// A [`fmt::Write`] sink that cleans characters (see the [module docs](self)) and stops at `max` bytes: the first
/// character that would not fit makes `write_str` return `Err`, and nothing after it is kept.
pub(crate) struct CappedText<'s> {
    out: &'s mut String,
    max: usize,
}

impl<'s> CappedText<'s> {
    /// Append to `out` (which should start empty), up to `max` bytes in all.
    pub(crate) const fn new(out: &'s mut String, max: usize) -> Self {
        Self { out, max }
    }
}

impl fmt::Write for CappedText<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars().filter_map(clean) {
            if self.out.len().saturating_add(c.len_utf8()) > self.max {
                return Err(fmt::Error);
            }
            self.out.push(c);
        }
        Ok(())
    }
}

/// `s` cleaned, cut at `max` bytes on a character boundary.
pub(crate) fn capped(s: &str, max: usize) -> String {
    let mut out = String::new();
    // An `Err` only means the text reached `max`; what fits is kept.
    let _ = fmt::Write::write_str(&mut CappedText::new(&mut out, max), s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_and_caps() {
        let s = "a\u{7}b\u{202E}c\u{e9}\u{1b}[31m";
        assert_eq!(capped(s, 100), "a\u{FFFD}bc\u{e9}\u{FFFD}[31m");
        assert_eq!(capped("line\r\nfake: log\tx", 100), "line  fake: log x");
        // The cap never splits a character, and nothing after the first misfit is kept.
        assert_eq!(capped("ab\u{e9}c", 3), "ab");
        assert_eq!(capped("abc", 10), "abc");
    }
}
