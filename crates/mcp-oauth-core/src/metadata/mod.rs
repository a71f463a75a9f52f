//! Authorization server and protected resource metadata.
//!
//! Discovery has two documents:
//!
//! 1. **Protected Resource Metadata** (RFC 9728, [`resource`]): published by the MCP server, it
//!    names the authorization servers that protect it (`authorization_servers`). Its URL comes from
//!    the `resource_metadata` parameter of a `WWW-Authenticate` challenge, or is built from the
//!    MCP URL ([`resource::well_known_urls`], RFC 9728 §3.1). The document's `resource` must
//!    then match the identifier the client expected ([`resource::ResourceMatch`], RFC 9728 §3.3).
//! 2. **Authorization server metadata** (RFC 8414, or an OpenID Connect Discovery 1.0 document,
//!    [`server`]): published by the authorization server at URLs built from its issuer
//!    ([`server::discovery_urls`]). Its `issuer` must equal the issuer the URL was built from
//!    (RFC 8414 §3.3), and the endpoints and PKCE support the authorization-code flow needs are
//!    checked in a separate step ([`server::AuthorizationServerMetadata::code_flow`]).
//!
//! Both parsers read the response body in one `serde_json` pass. Unknown members are ignored.
//! An optional member of the wrong type does not fail the document: it is treated as absent and
//! reported as a [`MetadataWarning`] (the core does not log; the caller decides). Required
//! members (`resource`, `authorization_servers`, `issuer`) of the wrong type, a body that is not a
//! JSON object, and a known member that appears twice are typed [`DocumentError`]s.
//!
//! ```
//! use mcp_oauth_core::metadata::resource::{self, ProtectedResourceMetadata, ResourceMatch};
//! use mcp_oauth_core::metadata::server::{self, AuthorizationServerMetadata, IssuerSource, PkceRequirement};
//! use mcp_oauth_core::urls::UrlPolicy;
//!
//! let mcp_url = "https://mcp.example.com/mcp";
//! let prm_urls = resource::well_known_urls(mcp_url)?;
//! assert_eq!(prm_urls.first(), "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
//!
//! // ... GET it, then:
//! let body = br#"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"]}"#;
//! let prm = ProtectedResourceMetadata::from_json(body)?
//!     .validate(mcp_url, ResourceMatch::exact(), &UrlPolicy::https_only())?;
//! let issuer = &prm.authorization_servers()[0];
//!
//! let as_urls = server::discovery_urls(issuer)?;
//! assert_eq!(as_urls.first().url(), "https://auth.example.com/.well-known/oauth-authorization-server");
//!
//! // ... GET it, then:
//! let body = br#"{"issuer":"https://auth.example.com",
//!   "authorization_endpoint":"https://auth.example.com/authorize",
//!   "token_endpoint":"https://auth.example.com/token",
//!   "response_types_supported":["code"],
//!   "code_challenge_methods_supported":["S256"]}"#;
//! let asm = AuthorizationServerMetadata::from_json(body)?;
//! asm.validate_issuer(issuer, IssuerSource::Listed)?;
//! let flow = asm.code_flow(&UrlPolicy::https_only(), PkceRequirement::S256)?;
//! assert_eq!(flow.token_endpoint().as_str(), "https://auth.example.com/token");
//! # Ok::<(), mcp_oauth_core::metadata::DiscoveryError>(())
//! ```

use alloc::string::String;
use core::fmt;

use crate::urls::{UrlError, UrlPolicy};

mod lenient;
pub mod resource;
pub mod server;

pub use resource::ResourceMetadataError;
pub use server::ServerMetadataError;

/// Any error of metadata discovery: either document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// Protected Resource Metadata could not be located, parsed or validated.
    #[error(transparent)]
    Resource(#[from] ResourceMetadataError),
    /// Authorization server metadata could not be located, parsed or validated.
    #[error(transparent)]
    Server(#[from] ServerMetadataError),
}

/// Why a metadata response body was not accepted as a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The response status was not `200` (RFC 9728 §3.2, RFC 8414 §3.2).
    #[error("metadata response has status {0}, expected 200")]
    UnexpectedStatus(u16),
    /// The body is not valid JSON.
    #[error(transparent)]
    Json(JsonError),
    /// The body is valid JSON but not an object (for example `[]`).
    #[error("metadata is not a JSON object")]
    NotAnObject,
    /// A required member is missing (or `null`).
    #[error("metadata member `{0}` is missing")]
    MissingMember(&'static str),
    /// A required member has the wrong JSON type.
    #[error("metadata member `{member}` is {found}, expected {expected}")]
    InvalidMember {
        /// The member name.
        member: &'static str,
        /// What the member must be.
        expected: ExpectedType,
        /// What it was (for an array, the type of the first element that is not a string).
        found: JsonType,
    },
    /// A member this parser reads appears more than once; the document is ambiguous.
    #[error("metadata member `{0}` appears more than once")]
    DuplicateMember(&'static str),
}

/// Where in the body JSON parsing failed. Holds no document content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON ({kind}) at line {line}, column {column}")]
pub struct JsonError {
    kind: JsonErrorKind,
    line: usize,
    column: usize,
}

impl JsonError {
    fn from_serde(e: &serde_json::Error) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Eof => JsonErrorKind::Eof,
            serde_json::error::Category::Data => JsonErrorKind::Data,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                JsonErrorKind::Syntax
            }
        };
        Self {
            kind,
            line: e.line(),
            column: e.column(),
        }
    }

    /// What kind of failure it was.
    #[must_use]
    pub const fn kind(&self) -> JsonErrorKind {
        self.kind
    }

    /// The 1-based line of the failure.
    #[must_use]
    pub const fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column of the failure.
    #[must_use]
    pub const fn column(&self) -> usize {
        self.column
    }
}

/// The class of a [`JsonError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// Not JSON (bad token, bad escape, invalid UTF-8, trailing characters, nesting too deep).
    Syntax,
    /// The body ended in the middle of a value (a truncated document).
    Eof,
    /// Valid JSON the parser could not map.
    Data,
}

impl fmt::Display for JsonErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "syntax error",
            Self::Eof => "unexpected end",
            Self::Data => "unexpected data",
        })
    }
}

/// The type of a JSON value, as found in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "null",
            Self::Boolean => "a boolean",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Array => "an array",
            Self::Object => "an object",
        })
    }
}

/// The type a metadata member must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpectedType {
    /// A string.
    String,
    /// A boolean.
    Boolean,
    /// A (possibly empty) array of strings.
    StringArray,
    /// A non-empty array of strings.
    NonEmptyStringArray,
}

impl fmt::Display for ExpectedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "a string",
            Self::Boolean => "a boolean",
            Self::StringArray => "an array of strings",
            Self::NonEmptyStringArray => "a non-empty array of strings",
        })
    }
}

/// Something in a document that was tolerated rather than rejected (checklist A-12).
///
/// The core does not log: the caller may log these, show them in a diagnostics view, or ignore
/// them. A member named in a `WrongType` or `WrongElementType` warning is treated as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataWarning {
    /// An optional member has the wrong type and is treated as absent.
    WrongType {
        /// The member name.
        member: &'static str,
        /// What the member must be.
        expected: ExpectedType,
        /// What it was.
        found: JsonType,
    },
    /// An optional array member holds an element that is not a string; the whole member is treated
    /// as absent.
    WrongElementType {
        /// The member name.
        member: &'static str,
        /// The 0-based index of the first offending element.
        index: usize,
        /// What that element was.
        found: JsonType,
    },
    /// A boolean member was sent as the string `"true"` or `"false"` and read as that boolean.
    BooleanAsString {
        /// The member name.
        member: &'static str,
        /// The boolean it was read as.
        value: bool,
    },
    /// The document carries `signed_metadata`; it was not verified and its values were not used
    /// (RFC 9728 §2.2 and RFC 8414 §2.1 make processing it optional; checklist P-15).
    SignedMetadataIgnored,
    /// An `authorization_servers` entry was refused by the URL policy and will not be used.
    AuthorizationServerRefused {
        /// The entry as listed.
        issuer: String,
        /// Why it was refused.
        error: IdentifierError,
    },
}

/// Why a URL cannot serve as an identifier (an MCP server URL or an issuer) from which discovery
/// URLs are built.
///
/// Identifiers are handled as text so that their path is kept exactly as written (RFC 9728 §3.1,
/// RFC 8414 §3.1). Only the characters RFC 3986 allows are accepted; an identifier with a
/// non-ASCII character must be given in its percent-encoded and punycode form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The URL itself is unusable (not absolute, not http/https, no host, user info, fragment, or
    /// refused by a [`UrlPolicy`]).
    #[error(transparent)]
    Url(UrlError),
    /// The text contains a character RFC 3986 does not allow (space, control character, `\`,
    /// `{`, `"`, non-ASCII …) or a `%` not followed by two hex digits. Template issuers like
    /// Entra's `https://login.microsoftonline.com/{tenantid}/v2.0` land here.
    #[error("identifier contains a character that is not allowed in a URL")]
    InvalidCharacter,
    /// The text does not start with `http://` or `https://` followed by a host.
    #[error("identifier is not of the form scheme://host/path")]
    Malformed,
    /// The path has a `.` or `..` segment (also percent-encoded), which would be resolved away.
    #[error("identifier path has a dot segment")]
    DotSegment,
    /// An issuer has a query component (RFC 8414 §2).
    #[error("issuer has a query component")]
    Query,
}

/// An identifier split into its textual parts, validated with the `url` crate.
pub(crate) struct Identifier<'a> {
    /// The parsed URL (host and port normalised by the WHATWG parser).
    pub(crate) url: url::Url,
    /// The path exactly as written (possibly empty).
    pub(crate) path: &'a str,
    /// The query including its `?`, exactly as written (empty when there is none).
    pub(crate) query: &'a str,
}

impl Identifier<'_> {
    /// `scheme://host[:port]`, normalised.
    pub(crate) fn origin_len(&self) -> usize {
        let host = self.url.host_str().unwrap_or("");
        let port = match self.url.port() {
            Some(p) => 1 + decimal_len(p),
            None => 0,
        };
        self.url.scheme().len() + 3 + host.len() + port
    }

    pub(crate) fn push_origin(&self, out: &mut String) {
        out.push_str(self.url.scheme());
        out.push_str("://");
        out.push_str(self.url.host_str().unwrap_or(""));
        if let Some(port) = self.url.port() {
            out.push(':');
            push_decimal(out, port);
        }
    }
}

fn decimal_len(mut n: u16) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

fn push_decimal(out: &mut String, n: u16) {
    let mut buf = [0u8; 5];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        // `i` stays in 0..5: a u16 has at most five decimal digits.
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for &b in buf.get(i..).unwrap_or(&[]) {
        out.push(char::from(b));
    }
}

/// Whether `b` may appear in a URL per RFC 3986 (unreserved, reserved or `%`).
fn is_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b':'
                | b'/'
                | b'?'
                | b'#'
                | b'['
                | b']'
                | b'@'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b'%'
        )
}

fn is_dot_segment(seg: &str) -> bool {
    let b = seg.as_bytes();
    let is_dot = |s: &[u8]| s == b"." || s.eq_ignore_ascii_case(b"%2e");
    match b.len() {
        1 | 3 => is_dot(b),
        2 => b == b"..",
        4 => {
            // ".%2e" or "%2e."
            (b.first() == Some(&b'.') && b.get(1..).is_some_and(is_dot))
                || (b.last() == Some(&b'.') && b.get(..3).is_some_and(is_dot))
        }
        6 => b.get(..3).is_some_and(is_dot) && b.get(3..).is_some_and(is_dot),
        _ => false,
    }
}

/// Split and check an identifier: `http(s)://authority[path][?query]`, RFC 3986 characters only,
/// valid percent-escapes, no user info, no fragment, no dot segments.
pub(crate) fn split_identifier(input: &str) -> Result<Identifier<'_>, IdentifierError> {
    let bytes = input.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !is_uri_byte(b) {
            return Err(IdentifierError::InvalidCharacter);
        }
        if b == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(IdentifierError::InvalidCharacter);
            }
        }
        i += 1;
    }
    let (scheme, rest) = input.split_once("://").ok_or(IdentifierError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return Err(IdentifierError::Url(UrlError::UnsupportedScheme));
    }
    let url = url::Url::parse(input).map_err(|e| IdentifierError::Url(UrlError::Invalid(e)))?;
    if url.host().is_none() {
        return Err(IdentifierError::Url(UrlError::MissingHost));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(IdentifierError::Url(UrlError::UserInfo));
    }
    if url.fragment().is_some() || rest.contains('#') {
        return Err(IdentifierError::Url(UrlError::Fragment));
    }
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = rest.get(..auth_end).unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return Err(IdentifierError::Malformed);
    }
    let after = rest.get(auth_end..).unwrap_or("");
    let (path, query) = match after.find('?') {
        Some(q) => (after.get(..q).unwrap_or(""), after.get(q..).unwrap_or("")),
        None => (after, ""),
    };
    if path.split('/').any(is_dot_segment) {
        return Err(IdentifierError::DotSegment);
    }
    Ok(Identifier { url, path, query })
}

/// Check that `issuer` is a usable authorization server issuer identifier: an `https` URL (or
/// `http` on loopback when `policy` allows it) with a host, no query, no fragment, no user info,
/// no dot segment, only RFC 3986 characters, and accepted by `policy` (RFC 8414 §2; checklist
/// A-13). The text itself is not changed: compare and store it as given.
///
/// # Errors
///
/// The first rule the issuer breaks.
pub fn check_issuer(issuer: &str, policy: &UrlPolicy) -> Result<(), IdentifierError> {
    let id = split_identifier(issuer)?;
    if !id.query.is_empty() {
        return Err(IdentifierError::Query);
    }
    policy.check_url(&id.url).map_err(IdentifierError::Url)
}

/// The body without a leading UTF-8 byte order mark.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Parse a metadata body in one pass, classifying the members named in `names`, and map
/// failures to typed errors.
pub(crate) fn parse_object<const N: usize>(
    bytes: &[u8],
    names: &'static [&'static str; N],
    index: fn(&str) -> Option<usize>,
) -> Result<lenient::Raw<N>, DocumentError> {
    use serde::de::DeserializeSeed;
    // RFC 8259 §8.1 lets a parser ignore a byte order mark; some servers send one.
    let bytes = strip_bom(bytes);
    let first = bytes
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(b'{') {
        // Error path only: decide between "valid JSON, wrong shape" and "not JSON".
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => DocumentError::NotAnObject,
                Err(e) => DocumentError::Json(JsonError::from_serde(&e)),
            },
        );
    }
    let json = |e: serde_json::Error| DocumentError::Json(JsonError::from_serde(&e));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let raw = lenient::RawSeed { names, index }
        .deserialize(&mut de)
        .map_err(json)?;
    de.end().map_err(json)?;
    if let Some(member) = raw.duplicate {
        return Err(DocumentError::DuplicateMember(member));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn decimal_helpers() {
        for n in [0u16, 7, 10, 99, 443, 8080, 65535] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
            assert_eq!(decimal_len(n), s.len());
        }
    }

    #[test]
    fn dot_segments() {
        for d in [".", "..", "%2e", "%2E", ".%2e", "%2e.", "%2e%2E"] {
            assert!(is_dot_segment(d), "{d}");
        }
        for d in ["", "a", "...", ".a", "%2f", "a.b"] {
            assert!(!is_dot_segment(d), "{d}");
        }
    }

    #[test]
    fn split_keeps_path_and_query() {
        let id = split_identifier("https://RS.example:8443/a/B%2F/?x=1&y").unwrap();
        assert_eq!(id.path, "/a/B%2F/");
        assert_eq!(id.query, "?x=1&y");
        let mut o = String::new();
        id.push_origin(&mut o);
        assert_eq!(o, "https://rs.example:8443");
        assert_eq!(o.len(), id.origin_len());
    }

    #[test]
    fn split_refuses() {
        use IdentifierError as E;
        assert_eq!(
            split_identifier("https://h/{tenantid}/v2.0").err(),
            Some(E::InvalidCharacter)
        );
        assert_eq!(
            split_identifier("https://h/a b").err(),
            Some(E::InvalidCharacter)
        );
        assert_eq!(
            split_identifier("https://h/%zz").err(),
            Some(E::InvalidCharacter)
        );
        assert_eq!(split_identifier("https:h/x").err(), Some(E::Malformed));
        assert_eq!(
            split_identifier("ftp://h/x").err(),
            Some(E::Url(UrlError::UnsupportedScheme))
        );
        assert_eq!(
            split_identifier("https://u@h/x").err(),
            Some(E::Url(UrlError::UserInfo))
        );
        assert_eq!(
            split_identifier("https://h/x#f").err(),
            Some(E::Url(UrlError::Fragment))
        );
        assert_eq!(
            split_identifier("https://h/a/../b").err(),
            Some(E::DotSegment)
        );
        assert!(matches!(
            split_identifier("https:///x").err(),
            Some(E::Url(_) | E::Malformed)
        ));
    }

    const NAMES: [&str; 2] = ["a", "b"];

    fn index(name: &str) -> Option<usize> {
        NAMES.iter().position(|n| *n == name)
    }

    #[test]
    fn non_object_bodies() {
        assert_eq!(
            parse_object(b"[]", &NAMES, index).err(),
            Some(DocumentError::NotAnObject)
        );
        assert_eq!(
            parse_object(b" \"x\" ", &NAMES, index).err(),
            Some(DocumentError::NotAnObject)
        );
        assert!(matches!(
            parse_object(b"{\"a\":", &NAMES, index).err(),
            Some(DocumentError::Json(e)) if e.kind() == JsonErrorKind::Eof
        ));
        assert!(matches!(
            parse_object(b"", &NAMES, index).err(),
            Some(DocumentError::Json(_))
        ));
        assert!(matches!(
            parse_object(b"{} x", &NAMES, index).err(),
            Some(DocumentError::Json(e)) if e.kind() == JsonErrorKind::Syntax
        ));
    }

    #[test]
    fn duplicates_and_escaped_names() {
        assert_eq!(
            parse_object(br#"{"a":1,"x":2,"x":3,"\u0061":4}"#, &NAMES, index).err(),
            Some(DocumentError::DuplicateMember("a"))
        );
        let mut raw = parse_object(
            b"\xEF\xBB\xBF {\"b\":true,\"zz\":{\"q\":[1,{}]}}",
            &NAMES,
            index,
        )
        .unwrap();
        assert!(raw.take(0).is_none());
        assert!(matches!(raw.take(1), Some(lenient::Member::Bool(true))));
    }
}
