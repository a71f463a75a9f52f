//! The single-pass, allocation-free tokenizer behind every public parser entry point.
//!
//! It turns one or more `WWW-Authenticate` field lines into a stream of [`Item`]s: a challenge
//! start, a parameter of the current challenge, or a syntax error after which it has already
//! recovered. All state is `Copy`, so a challenge can keep a snapshot of the lexer positioned
//! at its parameters and re-read them on demand.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{ChallengeError, Position};
use super::value::{ParamValue, ValueSyntax};

// Byte classes, looked up in one table so that every scan is a load and a bit test.
const TCHAR: u8 = 1;
const TOKEN68: u8 = 2;
const OWS: u8 = 4;
const QDTEXT: u8 = 8;
const QUOTED_PAIR: u8 = 16;
const BARE: u8 = 32;

const fn class_of(b: u8) -> u8 {
    let mut c = 0;
    // `tchar` (RFC 9110 §5.6.2).
    if b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
    {
        c |= TCHAR;
    }
    // The characters of `token68` before its `=` padding (RFC 9110 §11.2).
    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
        c |= TOKEN68;
    }
    // `OWS` / `BWS` (RFC 9110 §5.6.3).
    if b == b' ' || b == b'\t' {
        c |= OWS;
    }
    // `qdtext` (RFC 9110 §5.6.4), obs-text included.
    if b == b'\t' || b == b' ' || b == 0x21 || (b >= 0x23 && b <= 0x5B) || (b >= 0x5D && b != 0x7F)
    {
        c |= QDTEXT;
    }
    // The second byte of a `quoted-pair`: HTAB, SP, VCHAR or obs-text.
    if b == b'\t' || (b >= 0x20 && b != 0x7F) {
        c |= QUOTED_PAIR;
    }
    // A byte of a lenient unquoted value: VCHAR except `,`, `"` and `\`.
    if b >= 0x21 && b <= 0x7E && b != b',' && b != b'"' && b != b'\\' {
        c |= BARE;
    }
    c
}

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        // `i < 256`, so both the index and the cast are in range.
        t[i] = class_of(i as u8);
        i += 1;
    }
    t
};

fn class(b: u8) -> u8 {
    // A `u8` index into a 256-entry table cannot be out of bounds.
    CLASS[usize::from(b)]
}

/// `tchar` (RFC 9110 §5.6.2).
pub(crate) fn is_tchar(b: u8) -> bool {
    class(b) & TCHAR != 0
}

fn is_token68_char(b: u8) -> bool {
    class(b) & TOKEN68 != 0
}

fn is_ows(b: u8) -> bool {
    class(b) & OWS != 0
}

fn is_qdtext(b: u8) -> bool {
    class(b) & QDTEXT != 0
}

fn is_quoted_pair_byte(b: u8) -> bool {
    class(b) & QUOTED_PAIR != 0
}

fn is_bare_byte(b: u8) -> bool {
    class(b) & BARE != 0
}

/// A token or token68 as `&str`. They are ASCII by construction.
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    // Callers pass only tchar/token68 bytes, which are ASCII, so this cannot fail.
    core::str::from_utf8(bytes).unwrap_or_default()
}

/// The field lines after the current one.
#[derive(Clone, Copy)]
pub(crate) enum Rest<'a> {
    Bytes(&'a [&'a [u8]]),
    Strs(&'a [&'a str]),
    /// Response headers; only `www-authenticate` entries are lines.
    Headers(&'a [(String, Vec<u8>)]),
}

impl<'a> Rest<'a> {
    fn next_line(&mut self) -> Option<&'a [u8]> {
        match self {
            Self::Bytes(lines) => {
                let (first, rest) = lines.split_first()?;
                *lines = rest;
                Some(first)
            }
            Self::Strs(lines) => {
                let (first, rest) = lines.split_first()?;
                *lines = rest;
                Some(first.as_bytes())
            }
            Self::Headers(headers) => loop {
                let ((name, value), rest) = headers.split_first()?;
                *headers = rest;
                if name.eq_ignore_ascii_case("www-authenticate") {
                    return Some(value.as_slice());
                }
            },
        }
    }
}

/// Where the lexer expects to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// At the start of a list element (a challenge or a parameter), after optional OWS/commas.
    ElementStart,
    /// After a complete value; only OWS then a comma or the end of the line may follow.
    AfterValue,
}

/// Which challenge a parameter found now would belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// No challenge yet, or attribution was lost while recovering from an error.
    Outside,
    /// The current challenge takes auth-params.
    Params,
    /// The current challenge carries a token68 and takes no auth-params.
    Token68,
}

/// One lexical item.
pub(crate) enum Item<'a> {
    Challenge {
        scheme: &'a str,
        token68: Option<&'a str>,
        /// The lexer positioned right after the scheme (and token68).
        params: Lexer<'a>,
    },
    Param {
        /// A token (ASCII); bytes, so the OAuth view compares it without a UTF-8 check.
        name: &'a [u8],
        value: ParamValue<'a>,
    },
    Error(ChallengeError),
}

/// The tokenizer state. See the module docs of `challenge` for the recovery rules.
#[derive(Clone, Copy)]
pub(crate) struct Lexer<'a> {
    line: &'a [u8],
    pos: usize,
    line_no: usize,
    rest: Rest<'a>,
    phase: Phase,
    pub(crate) ctx: Ctx,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(mut rest: Rest<'a>) -> Self {
        let line = rest.next_line().unwrap_or_default();
        Self {
            line,
            pos: 0,
            line_no: 0,
            rest,
            phase: Phase::ElementStart,
            ctx: Ctx::Outside,
        }
    }

    /// A lexer over exactly one line.
    pub(crate) fn single(line: &'a [u8]) -> Self {
        Self {
            line,
            pos: 0,
            line_no: 0,
            rest: Rest::Bytes(&[]),
            phase: Phase::ElementStart,
            ctx: Ctx::Outside,
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.line.get(i).copied()
    }

    /// The first index at or after `from` whose byte does not satisfy `f` (or the line length).
    fn skip(&self, from: usize, f: impl Fn(u8) -> bool) -> usize {
        match self.line.get(from..) {
            Some(rest) => rest
                .iter()
                .position(|&b| !f(b))
                .map_or(self.line.len(), |k| from + k),
            None => from,
        }
    }

    /// `skip(from, is_qdtext)`, eight bytes at a time while no byte of the word can end or break
    /// a quoted-string (`"`, `\`, a control byte, DEL); the word that has one, and the tail,
    /// are finished byte by byte. Also reports whether a backslash was met on the way.
    fn skip_qdtext(&self, from: usize) -> usize {
        const LO: u64 = 0x0101_0101_0101_0101;
        const HI: u64 = 0x8080_8080_8080_8080;
        // Nonzero iff some byte of `x` is zero / below `n` (n <= 0x80); exact as a boolean.
        const fn has_zero(x: u64) -> u64 {
            x.wrapping_sub(LO) & !x & HI
        }
        const fn has_below(x: u64, n: u8) -> u64 {
            x.wrapping_sub(LO.wrapping_mul(n as u64)) & !x & HI
        }
        let mut i = from;
        if let Some(rest) = self.line.get(from..) {
            for chunk in rest.chunks_exact(8) {
                let Ok(word) = <[u8; 8]>::try_from(chunk) else {
                    break;
                };
                let w = u64::from_le_bytes(word);
                let stop = has_zero(w ^ LO.wrapping_mul(u64::from(b'"')))
                    | has_zero(w ^ LO.wrapping_mul(u64::from(b'\\')))
                    | has_zero(w ^ LO.wrapping_mul(0x7F))
                    | has_below(w, 0x20);
                if stop != 0 {
                    break;
                }
                i = i.saturating_add(8);
            }
        }
        self.skip(i, is_qdtext)
    }

    fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.line.get(from..to).unwrap_or_default()
    }

    fn position(&self, offset: usize) -> Position {
        Position::new(self.line_no, offset)
    }

    /// Whether `token BWS "=" BWS` followed by something that can start a value begins at `p`.
    ///
    /// A following `=`, comma or end of line means token68 padding instead (`abc==`), which is
    /// how `Negotiate YIIB+g==` and `Bearer realm="r"` are told apart (checklist G-9, G-10).
    fn is_param_start(&self, p: usize) -> bool {
        let e = self.skip(p, is_tchar);
        if e == p {
            return false;
        }
        let f = self.skip(e, is_ows);
        if self.at(f) != Some(b'=') {
            return false;
        }
        let g = self.skip(f + 1, is_ows);
        !matches!(self.at(g), None | Some(b'=' | b','))
    }

    /// Whether `token BWS "=" BWS` with no value starts at `p` and the next list element (on
    /// this line or a later one) is a parameter: `Bearer scope=, error="x"` is then read as an
    /// empty (malformed) `scope` followed by `error`, not as the token68 `scope=` that would
    /// orphan every later parameter.
    fn is_empty_param_before_param(&self, p: usize) -> bool {
        let e = self.skip(p, is_tchar);
        if e == p {
            return false;
        }
        let f = self.skip(e, is_ows);
        if self.at(f) != Some(b'=') {
            return false;
        }
        let g = self.skip(f + 1, is_ows);
        if !matches!(self.at(g), None | Some(b',')) {
            return false;
        }
        let mut ahead = *self;
        ahead.pos = g;
        loop {
            let q = ahead.skip(ahead.pos, |b| is_ows(b) || b == b',');
            if q < ahead.line.len() {
                return ahead.is_param_start(q);
            }
            match ahead.rest.next_line() {
                Some(line) => {
                    ahead.line = line;
                    ahead.pos = 0;
                }
                None => return false,
            }
        }
    }

    /// The index of the closing quote of the quoted-string opening at `open`, accepting any
    /// byte inside: used only to skip junk without mistaking a quoted comma for a separator.
    fn loose_close(&self, open: usize) -> Option<usize> {
        let mut i = open + 1;
        loop {
            match self.at(i)? {
                b'"' => return Some(i),
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
    }

    /// Skip malformed input from `p` to the next comma outside a quoted-string, or to the end
    /// of the line. An unterminated quoted-string consumes the rest of its line.
    fn skip_junk(&self, p: usize) -> usize {
        let mut i = p;
        loop {
            match self.at(i) {
                None | Some(b',') => return i,
                Some(b'"') => match self.loose_close(i) {
                    Some(close) => i = close + 1,
                    None => return self.line.len(),
                },
                Some(_) => i += 1,
            }
        }
    }

    /// Parse a parameter value starting at `start` (just after `=`) and move past it.
    fn value(&mut self, start: usize) -> Result<ParamValue<'a>, ChallengeError> {
        let p = self.skip(start, is_ows);
        match self.at(p) {
            Some(b'"') => {
                let mut i = p + 1;
                let mut escaped = false;
                loop {
                    // Fast path over plain qdtext; stop at `"`, `\` or a forbidden byte.
                    i = self.skip_qdtext(i);
                    match self.at(i) {
                        Some(b'"') => {
                            self.pos = i + 1;
                            return Ok(ParamValue::with_escapes(
                                self.slice(p + 1, i),
                                ValueSyntax::QuotedString,
                                escaped,
                            ));
                        }
                        Some(b'\\') => match self.at(i + 1) {
                            Some(b) if is_quoted_pair_byte(b) => {
                                escaped = true;
                                i += 2;
                            }
                            None => return Err(self.unterminated(p)),
                            Some(_) => return Err(self.invalid_quoted(p, i + 1)),
                        },
                        Some(_) => return Err(self.invalid_quoted(p, i)),
                        None => return Err(self.unterminated(p)),
                    }
                }
            }
            Some(b) if is_bare_byte(b) => {
                let t = self.skip(p, is_tchar);
                let i = self.skip(t, is_bare_byte);
                self.pos = i;
                let syntax = if t == i {
                    ValueSyntax::Token
                } else {
                    ValueSyntax::Bare
                };
                Ok(ParamValue::with_escapes(self.slice(p, i), syntax, false))
            }
            None | Some(b',') => {
                self.pos = p;
                Err(ChallengeError::MissingValue {
                    at: self.position(p),
                })
            }
            Some(_) => {
                self.pos = self.skip_junk(p);
                self.ctx = Ctx::Outside;
                Err(ChallengeError::UnexpectedByte {
                    at: self.position(p),
                })
            }
        }
    }

    /// A forbidden byte at `bad` in the quoted-string opening at `open`.
    fn invalid_quoted(&mut self, open: usize, bad: usize) -> ChallengeError {
        match self.loose_close(open) {
            // Drop just this value; what follows is checked as after any other value.
            Some(close) => {
                self.pos = close + 1;
                self.phase = Phase::AfterValue;
            }
            None => {
                self.pos = self.line.len();
                self.ctx = Ctx::Outside;
            }
        }
        ChallengeError::InvalidQuotedByte {
            at: self.position(bad),
        }
    }

    /// An unterminated quoted-string opening at `open`: it consumes the rest of the line, which
    /// might have held a new scheme, so attribution is dropped.
    fn unterminated(&mut self, open: usize) -> ChallengeError {
        self.pos = self.line.len();
        self.ctx = Ctx::Outside;
        ChallengeError::UnterminatedQuotedString {
            at: self.position(open),
        }
    }

    /// A challenge starts at the current position with `scheme`.
    fn challenge(&self, scheme: &'a str, token68: Option<&'a str>) -> Item<'a> {
        Item::Challenge {
            scheme,
            token68,
            params: *self,
        }
    }

    /// Lex the list element starting at `p` (not OWS, not a comma, not the end of the line).
    fn element(&mut self, p: usize) -> Item<'a> {
        let e = self.skip(p, is_tchar);
        if e == p {
            self.pos = self.skip_junk(p);
            self.ctx = Ctx::Outside;
            return Item::Error(ChallengeError::UnexpectedByte {
                at: self.position(p),
            });
        }
        let name_bytes = self.slice(p, e);
        let f = self.skip(e, is_ows);
        match self.at(f) {
            Some(b'=') => match self.value(f + 1) {
                Ok(value) => {
                    self.phase = Phase::AfterValue;
                    match self.ctx {
                        Ctx::Params => Item::Param {
                            name: name_bytes,
                            value,
                        },
                        Ctx::Token68 => Item::Error(ChallengeError::ParamAfterToken68 {
                            at: self.position(p),
                        }),
                        Ctx::Outside => Item::Error(ChallengeError::ParamOutsideChallenge {
                            at: self.position(p),
                        }),
                    }
                }
                // `value` has moved past the bad value and dropped attribution if what it
                // skipped could have hidden a new challenge.
                Err(err) => Item::Error(err),
            },
            None | Some(b',') => {
                // A scheme with no parameters (G-12), maybe followed by parameters after a
                // comma (G-11).
                self.pos = f;
                self.phase = Phase::AfterValue;
                self.ctx = Ctx::Params;
                self.challenge(ascii(name_bytes), None)
            }
            Some(_) if f > e => {
                self.ctx = Ctx::Params;
                if self.is_param_start(f) || self.is_empty_param_before_param(f) {
                    self.pos = f;
                    self.phase = Phase::ElementStart;
                    return self.challenge(ascii(name_bytes), None);
                }
                let t = self.skip(f, is_token68_char);
                self.phase = Phase::AfterValue;
                if t == f {
                    // Neither token68 nor auth-param: keep the challenge and let `AfterValue`
                    // report the junk and drop attribution.
                    self.pos = f;
                    return self.challenge(ascii(name_bytes), None);
                }
                let end = self.skip(t, |b| b == b'=');
                self.pos = end;
                self.ctx = Ctx::Token68;
                self.challenge(ascii(name_bytes), Some(ascii(self.slice(f, end))))
            }
            Some(_) => {
                // Junk glued to a token (`Bearer/x`, `Basic"`): it might have been a scheme, so
                // later parameters belong to no challenge we know.
                self.pos = self.skip_junk(e);
                self.ctx = Ctx::Outside;
                Item::Error(ChallengeError::UnexpectedByte {
                    at: self.position(e),
                })
            }
        }
    }

    /// The next item, or `None` at the end of the last line (and on every call after that).
    pub(crate) fn next_item(&mut self) -> Option<Item<'a>> {
        loop {
            match self.phase {
                Phase::AfterValue => {
                    let p = self.skip(self.pos, is_ows);
                    self.phase = Phase::ElementStart;
                    if matches!(self.at(p), None | Some(b',')) {
                        self.pos = p;
                        continue;
                    }
                    let err = ChallengeError::ExpectedComma {
                        at: self.position(p),
                    };
                    if self.is_param_start(p) {
                        // `a=b c=d`: a parameter with the comma missing (Azure Storage). It
                        // cannot start a challenge, so it stays with the current one.
                        self.pos = p;
                    } else {
                        // Could be anything, including a new scheme: drop attribution so no
                        // later parameter leaks into the wrong challenge.
                        self.pos = self.skip_junk(p);
                        self.ctx = Ctx::Outside;
                    }
                    return Some(Item::Error(err));
                }
                Phase::ElementStart => {
                    let p = self.skip(self.pos, |b| is_ows(b) || b == b',');
                    if p < self.line.len() {
                        return Some(self.element(p));
                    }
                    self.pos = p;
                    // A line boundary separates list elements like a comma (RFC 9110 §5.3).
                    let line = self.rest.next_line()?;
                    self.line = line;
                    self.pos = 0;
                    self.line_no = self.line_no.saturating_add(1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_classes_match_rfc_9110() {
        for b in 0..=255u8 {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_tchar(b), tchar, "{b:#x}");
            let t68 = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_token68_char(b), t68, "{b:#x}");
            assert_eq!(is_ows(b), b == b' ' || b == b'\t');
            let vchar = (0x21..=0x7E).contains(&b);
            let obs = b >= 0x80;
            let qd = b == b'\t' || b == b' ' || (vchar && b != b'"' && b != b'\\') || obs;
            assert_eq!(is_qdtext(b), qd, "{b:#x}");
            assert_eq!(
                is_quoted_pair_byte(b),
                b == b'\t' || b == b' ' || vchar || obs
            );
            assert_eq!(is_bare_byte(b), vchar && !b",\"\\".contains(&b), "{b:#x}");
        }
    }

    fn lexer(line: &[u8]) -> Lexer<'_> {
        Lexer::single(line)
    }

    #[test]
    fn param_start_vs_token68_g9_g10() {
        let l = lexer(b"realm=\"x\" abc== a = b a=, a=");
        assert!(l.is_param_start(0));
        assert!(!l.is_param_start(10), "token68 padding");
        assert!(l.is_param_start(16), "BWS around =");
        assert!(!l.is_param_start(22), "empty value before a comma");
        assert!(!l.is_param_start(26), "empty value at the end");
        assert!(!l.is_param_start(5), "not a token");
    }

    #[test]
    fn junk_skipping_respects_quotes() {
        let l = lexer(b"a \"b, c\" d, e");
        assert_eq!(l.skip_junk(0), 10);
        let l = lexer(b"a \"b, c");
        assert_eq!(l.skip_junk(0), 7, "unterminated quote eats the line");
        let l = lexer(br#"a "b\", c" d, e"#);
        assert_eq!(l.skip_junk(0), 12, "escaped quote does not close");
    }

    #[test]
    fn lexer_is_fused_at_the_end() {
        let mut l = lexer(b"Bearer");
        assert!(matches!(l.next_item(), Some(Item::Challenge { .. })));
        assert!(l.next_item().is_none());
        assert!(l.next_item().is_none());
        let mut l = Lexer::new(Rest::Bytes(&[]));
        assert!(l.next_item().is_none());
    }

    #[test]
    fn headers_rest_yields_only_www_authenticate() {
        let headers = alloc::vec![
            (String::from("Content-Type"), b"text/plain".to_vec()),
            (String::from("WWW-Authenticate"), b"A".to_vec()),
            (String::from("x"), b"B".to_vec()),
            (String::from("www-authenticate"), b"C".to_vec()),
        ];
        let mut rest = Rest::Headers(&headers);
        assert_eq!(rest.next_line(), Some(&b"A"[..]));
        assert_eq!(rest.next_line(), Some(&b"C"[..]));
        assert_eq!(rest.next_line(), None);
    }
}
