//! `WWW-Authenticate` challenges: where an MCP client learns how to authorize.
//!
//! A 401 or 403 from an MCP server carries one or more `WWW-Authenticate` field lines, each a
//! comma-separated list of challenges (RFC 9110 §11.6.1). The Bearer challenge (RFC 6750 §3)
//! tells the client where the Protected Resource Metadata is (`resource_metadata`, RFC 9728
//! §5.1), which `scope` the request needs, and why it failed (`error`).
//!
//! This module implements the RFC 9110 §11 / §5.6 grammar as a borrowing, single-pass parser
//! that **never allocates**, including quoted-pair unescaping and comparisons.
//!
//! # Typical MCP 401: discovery
//!
//! ```
//! use mcp_oauth_core::challenge::{self, ChallengeAction, Field};
//!
//! let header = r#"Bearer realm="OAuth", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read""#;
//! let oauth = challenge::parse(header).oauth();
//!
//! assert_eq!(oauth.action(401), ChallengeAction::Authenticate);
//! match oauth.resource_metadata() {
//!     // Fetch PRM from exactly this URL (checklist D-3), after the URL policy check (D-14).
//!     Field::One(url) => assert_eq!(
//!         url.as_str(),
//!         Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
//!     ),
//!     // No usable pointer: probe the well-known URLs (D-4).
//!     Field::Absent => unreachable!(),
//!     // Protocol error (D-12): probe well-known URLs, or try each value and keep only a PRM
//!     // that validates.
//!     Field::Duplicated(values) => unreachable!("{} values", values.count()),
//! }
//! let scope = oauth.scope().single().map(|s| s.to_scopes());
//! assert_eq!(scope.map(|s| s.to_string()).as_deref(), Some("files:read"));
//! ```
//!
//! # Typical MCP 403: step-up
//!
//! ```
//! use mcp_oauth_core::challenge::{self, ChallengeAction};
//!
//! let header = br#"Bearer error="insufficient_scope", scope="files:read files:write", error_description="needs \"files:write\"""#;
//! let oauth = challenge::parse_bytes(header).oauth();
//!
//! assert_eq!(oauth.action(403), ChallengeAction::StepUp);
//! let scope = oauth.scope().single().unwrap();
//! let tokens: Vec<&str> = scope.scope_tokens().filter_map(|t| t.as_str()).collect();
//! assert_eq!(tokens, ["files:read", "files:write"]);
//! // Quoted-pairs are unescaped lazily: compare without allocating...
//! let description = oauth.error_description().single().unwrap();
//! assert!(description.eq_str(r#"needs "files:write""#));
//! // ...or allocate explicitly.
//! assert_eq!(description.to_string(), r#"needs "files:write""#);
//! ```
//!
//! # Several field lines and schemes
//!
//! All `WWW-Authenticate` lines of a response form one list (RFC 9110 §5.3; checklist D-2,
//! G-8). Other schemes are parsed too and never lend their parameters to Bearer (D-8):
//!
//! ```
//! use mcp_oauth_core::challenge;
//! use mcp_oauth_core::http::HttpResponse;
//!
//! let response = HttpResponse::new(
//!     401,
//!     vec![
//!         ("WWW-Authenticate".into(), b"Negotiate, DPoP algs=\"ES256\", scope=\"x\"".to_vec()),
//!         ("www-authenticate".into(), b"Bearer scope=\"y\"".to_vec()),
//!     ],
//!     vec![],
//! );
//! let schemes: Vec<&str> = challenge::parse_response(&response)
//!     .filter_map(Result::ok)
//!     .map(|c| c.scheme())
//!     .collect();
//! assert_eq!(schemes, ["Negotiate", "DPoP", "Bearer"]);
//! let oauth = challenge::OAuthChallenge::from_response(&response);
//! assert!(oauth.scope().single().unwrap().eq_str("y"));
//! ```
//!
//! # Grammar and interoperability choices
//!
//! - Scheme and parameter names match case-insensitively (G-1, G-2); values are `token` or
//!   `quoted-string` (G-3) with optional whitespace around `=` (G-4).
//! - After a comma, `token =` continues the current challenge; `token` followed by a space,
//!   a comma or the end starts a new one (G-10). Right after a scheme, `token =` followed by a
//!   value starts the parameters; anything else in `token68` characters is a token68 (G-9).
//! - One deviation from the letter of the grammar: right after a scheme, `name=` with no value
//!   followed by a parameter (`Bearer scope=, error="x"`) is an empty, malformed `scope`
//!   ([`ChallengeError::MissingValue`]) rather than the token68 `scope=`, which would orphan
//!   every later parameter. Without a following parameter it stays a token68.
//! - Empty list elements are skipped (G-11). Parameters after `Scheme,` still belong to it
//!   (`Bearer, realm="x"` is Bearer with a realm).
//! - **Unquoted values that are not tokens are accepted (lenient, G-15)**: real servers send
//!   unquoted URLs (`authorization_uri=https://login.example/…`, AD FS, Azure). Such a value
//!   runs to the next comma or whitespace and is marked [`ValueSyntax::Bare`], so a strict
//!   caller can reject it. A single-quoted value (G-16) is such a bare value *including* its
//!   quotes: it is not unquoted, so `'https://x/p'` fails URL validation instead of being
//!   guessed at.
//! - obs-text (bytes ≥ 0x80) is allowed in quoted-strings (G-19); input is raw bytes because
//!   such a header is not valid `&str`.
//! - A repeated parameter is reported as [`Field::Duplicated`] with every value in order,
//!   never resolved silently (D-12, G-14).
//!
//! # Malformed input and what is recovered
//!
//! Every deviation yields a [`ChallengeError`] (a kind and a [`Position`], no header bytes) in
//! the [`Challenges`] stream, and parsing continues:
//!
//! - A field line is a hard boundary: garbage in one line never affects another line (apart from
//!   attribution, below). An unterminated quoted-string consumes the rest of its line.
//! - Otherwise, malformed input is skipped up to the next comma that is not inside a
//!   quoted-string, and parsing resumes at the next list element.
//! - A missing value (`scope=,`) or a well-delimited quoted-string with a control byte in it
//!   drops only that parameter.
//! - After a complete value, a missing comma before `token=` (`a=b c=d`, Azure Storage) is
//!   reported and the parameter is kept in the current challenge.
//! - Anything else that is skipped (junk after a value, a value starting with a byte that
//!   cannot start a value, an unterminated quoted-string, junk glued to a scheme) could have
//!   hidden a new scheme, so **parameters after it are attributed to no challenge** (reported
//!   as [`ChallengeError::ParamOutsideChallenge`]) until the next well-formed challenge starts,
//!   also on later lines. This keeps another scheme's parameters from leaking into Bearer (D-8)
//!   at the price of dropping some parameters of broken headers.
//! - So one garbage challenge does not hide a later Bearer challenge: the next well-formed
//!   `Scheme` or `Scheme param=…` after a comma starts fresh.
//!
//! A strict caller treats any error ([`OAuthChallenge::error_count`]) as fatal; a lenient one
//! uses what was recovered.
//!
//! # Allocation
//!
//! Parsing, iterating challenges and parameters, [`OAuthChallenge`] extraction, comparisons
//! ([`ParamValue::eq_str`]), unescaping iterators and [`ParamValue::scope_tokens`] never
//! allocate. Only [`ParamValue::to_vec`], `to_string()` and [`ParamValue::to_scopes`] do.
//! Iterating a challenge's parameters re-reads them from a saved position; the extraction
//! itself reads the header once.

use core::fmt;

mod error;
mod lexer;
mod oauth;
mod value;

pub use error::{ChallengeError, Position};
pub use oauth::{
    ChallengeAction, OAuthChallenge, TokenChallenge, TokenScheme, classify, classify_response,
};
pub use value::{Chars, ParamValue, ScopeTokens, UnescapedBytes, ValueSyntax};

use crate::http::HttpResponse;
use lexer::{Ctx, Item, Lexer, Rest};

/// Parse one `WWW-Authenticate` field value.
#[must_use]
pub fn parse(value: &str) -> Challenges<'_> {
    parse_bytes(value.as_bytes())
}

/// Parse one `WWW-Authenticate` field value given as raw bytes (it may contain obs-text,
/// which makes `to_str()` of HTTP libraries fail; checklist G-19).
#[must_use]
pub fn parse_bytes(value: &[u8]) -> Challenges<'_> {
    Challenges {
        lexer: Lexer::single(value),
    }
}

/// Parse several `WWW-Authenticate` field lines as one list (RFC 9110 §5.3, checklist G-8).
#[must_use]
pub fn parse_lines<'a>(lines: &'a [&'a [u8]]) -> Challenges<'a> {
    Challenges {
        lexer: Lexer::new(Rest::Bytes(lines)),
    }
}

/// [`parse_lines`] for lines that are already `&str`.
#[must_use]
pub fn parse_str_lines<'a>(lines: &'a [&'a str]) -> Challenges<'a> {
    Challenges {
        lexer: Lexer::new(Rest::Strs(lines)),
    }
}

/// Parse every `WWW-Authenticate` field of a response (header names match case-insensitively),
/// in order, as one list.
#[must_use]
pub fn parse_response(response: &HttpResponse) -> Challenges<'_> {
    Challenges {
        lexer: Lexer::new(Rest::Headers(&response.headers)),
    }
}

/// The challenges of one or more field lines, in order, interleaved with the syntax errors the
/// parser recovered from.
///
/// Created by [`parse`], [`parse_bytes`], [`parse_lines`], [`parse_str_lines`] and
/// [`parse_response`]. Use `.filter_map(Result::ok)` to ignore errors, or
/// [`Challenges::oauth`] for the Bearer/DPoP summary.
#[derive(Clone)]
pub struct Challenges<'a> {
    lexer: Lexer<'a>,
}

impl<'a> Challenges<'a> {
    /// Extract the Bearer and DPoP parameters in one pass (see [`OAuthChallenge`]).
    #[must_use]
    pub fn oauth(self) -> OAuthChallenge<'a> {
        OAuthChallenge::from_challenges(self)
    }
}

impl<'a> Iterator for Challenges<'a> {
    type Item = Result<Challenge<'a>, ChallengeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.lexer.next_item()? {
                Item::Challenge {
                    scheme,
                    token68,
                    params,
                } => {
                    return Some(Ok(Challenge {
                        scheme,
                        token68,
                        params,
                    }));
                }
                // Read through `Challenge::params`.
                Item::Param { .. } => {}
                Item::Error(e) => return Some(Err(e)),
            }
        }
    }
}

impl fmt::Debug for Challenges<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// One challenge: a scheme with a token68, parameters, or nothing.
#[derive(Clone, Copy)]
pub struct Challenge<'a> {
    scheme: &'a str,
    token68: Option<&'a str>,
    params: Lexer<'a>,
}

impl<'a> Challenge<'a> {
    /// The auth-scheme as written (`Bearer`, `bearer`, `DPoP`, …).
    #[must_use]
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// Whether the scheme is `name`, ignoring ASCII case (RFC 9110 §11.1; checklist D-5, G-1).
    #[must_use]
    pub fn is_scheme(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name)
    }

    /// The token68 (`Negotiate YIIB+g==`), if the challenge has one instead of parameters.
    #[must_use]
    pub fn token68(&self) -> Option<&'a str> {
        self.token68
    }

    /// The well-formed auth-params of this challenge, in order, duplicates included.
    #[must_use]
    pub fn params(&self) -> Params<'a> {
        Params { lexer: self.params }
    }

    /// The parameter `name` (case-insensitive, D-6), reporting duplicates (D-12).
    #[must_use]
    pub fn param(&self, name: &str) -> Field<'a> {
        let mut count = 0usize;
        let mut first: Option<Param<'a>> = None;
        for p in self.params().filter(|p| p.is(name)) {
            count = count.saturating_add(1);
            first.get_or_insert(p);
        }
        match (count, first) {
            (1, Some(p)) => Field::One(p.value),
            (_, Some(p)) => Field::Duplicated(Duplicates {
                challenge: *self,
                name: p.name,
                count,
            }),
            (_, None) => Field::Absent,
        }
    }
}

impl fmt::Debug for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct ParamsDebug<'a>(Params<'a>);
        impl fmt::Debug for ParamsDebug<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.clone().map(|p| (p.name, p.value)))
                    .finish()
            }
        }
        let mut d = f.debug_struct("Challenge");
        d.field("scheme", &self.scheme);
        if let Some(t) = self.token68 {
            d.field("token68", &t);
        }
        d.field("params", &ParamsDebug(self.params())).finish()
    }
}

/// One auth-param.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    name: &'a str,
    value: ParamValue<'a>,
}

impl<'a> Param<'a> {
    /// The name as written.
    #[must_use]
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Whether the name is `name`, ignoring ASCII case (RFC 9110 §11.2).
    #[must_use]
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value.
    #[must_use]
    pub fn value(&self) -> ParamValue<'a> {
        self.value
    }
}

/// The auth-params of one challenge; see [`Challenge::params`].
#[derive(Clone)]
pub struct Params<'a> {
    lexer: Lexer<'a>,
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        loop {
            // Once attribution is lost (or for a token68 challenge) no parameter can follow.
            if self.lexer.ctx != Ctx::Params {
                return None;
            }
            match self.lexer.next_item() {
                Some(Item::Param { name, value }) => {
                    return Some(Param {
                        name: lexer::ascii(name),
                        value,
                    });
                }
                Some(Item::Error(_)) => {}
                Some(Item::Challenge { .. }) | None => {
                    self.lexer.ctx = Ctx::Outside;
                    return None;
                }
            }
        }
    }
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// A parameter looked up by name in one challenge: absent, present once, or repeated.
///
/// RFC 9110 §11.2 allows each name at most once per challenge, so [`Field::Duplicated`] is a
/// protocol error that the caller must decide on (checklist D-12, G-14). [`Field::single`]
/// deliberately returns `None` for it.
#[derive(Clone, Copy)]
pub enum Field<'a> {
    /// Not present (for `resource_metadata` and `scope` of [`TokenChallenge`]: or present
    /// once with an empty value, G-13).
    Absent,
    /// Present exactly once.
    One(ParamValue<'a>),
    /// Present more than once.
    Duplicated(Duplicates<'a>),
}

impl<'a> Field<'a> {
    /// The value if present exactly once.
    #[must_use]
    pub fn single(&self) -> Option<ParamValue<'a>> {
        match self {
            Self::One(v) => Some(*v),
            Self::Absent | Self::Duplicated(_) => None,
        }
    }

    /// Whether it is absent.
    #[must_use]
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// Whether it is repeated.
    #[must_use]
    pub fn is_duplicated(&self) -> bool {
        matches!(self, Self::Duplicated(_))
    }

    /// How many times the parameter appears.
    #[must_use]
    pub fn count(&self) -> usize {
        match self {
            Self::Absent => 0,
            Self::One(_) => 1,
            Self::Duplicated(d) => d.count,
        }
    }

    /// Every value in order (none, one, or all duplicates; empty values included).
    #[must_use]
    pub fn values(&self) -> Values<'a> {
        match self {
            Self::Absent => Values {
                one: None,
                many: None,
            },
            Self::One(v) => Values {
                one: Some(*v),
                many: None,
            },
            Self::Duplicated(d) => d.values(),
        }
    }
}

impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent => f.write_str("Absent"),
            Self::One(v) => f.debug_tuple("One").field(v).finish(),
            Self::Duplicated(d) => f.debug_tuple("Duplicated").field(d).finish(),
        }
    }
}

/// A parameter repeated inside one challenge; see [`Field::Duplicated`].
#[derive(Clone, Copy)]
pub struct Duplicates<'a> {
    challenge: Challenge<'a>,
    name: &'a str,
    count: usize,
}

impl<'a> Duplicates<'a> {
    /// How many times the parameter appears (at least 2).
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// Every value in order. Reads the challenge's parameters again; does not allocate.
    #[must_use]
    pub fn values(&self) -> Values<'a> {
        Values {
            one: None,
            many: Some((self.challenge.params(), self.name)),
        }
    }
}

impl fmt::Debug for Duplicates<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values()).finish()
    }
}

/// The values of a [`Field`], in order.
#[derive(Debug, Clone)]
pub struct Values<'a> {
    one: Option<ParamValue<'a>>,
    many: Option<(Params<'a>, &'a str)>,
}

impl<'a> Iterator for Values<'a> {
    type Item = ParamValue<'a>;

    fn next(&mut self) -> Option<ParamValue<'a>> {
        if let Some(v) = self.one.take() {
            return Some(v);
        }
        let (params, name) = self.many.as_mut()?;
        params.find(|p| p.is(name)).map(|p| p.value)
    }
}
