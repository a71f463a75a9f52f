//! Small HTTP helpers shared by the routes: response builders, strict form parsing, Basic
//! credentials (RFC 6749 §2.3.1) and the RFC 6749 §5.2 error body.

use base64::Engine as _;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

/// Every fixture response has a fully buffered body.
pub(crate) type Resp = Response<Full<Bytes>>;

/// Builds a response with a status, content type and body.
pub(crate) fn with_body(status: u16, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    set_header(&mut resp, "content-type", content_type);
    resp
}

/// A JSON response.
pub(crate) fn json(status: u16, value: &serde_json::Value) -> Resp {
    with_body(status, "application/json", value.to_string())
}

/// A plain-text response.
pub(crate) fn text(status: u16, body: &str) -> Resp {
    with_body(status, "text/plain; charset=utf-8", body.to_owned())
}

/// An empty response.
pub(crate) fn empty(status: u16) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp
}

/// A redirect to `location`.
pub(crate) fn redirect(status: u16, location: &str) -> Resp {
    let mut resp = empty(status);
    set_header(&mut resp, "location", location);
    resp
}

/// Sets (replaces) a header; values that are not valid header text are dropped.
pub(crate) fn set_header(resp: &mut Resp, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

/// The RFC 6749 §5.2 error body, with `Cache-Control: no-store`.
pub(crate) fn oauth_error(status: u16, error: &str, description: &str) -> Resp {
    let mut resp = json(
        status,
        &serde_json::json!({ "error": error, "error_description": description }),
    );
    set_header(&mut resp, "cache-control", "no-store");
    resp
}

/// A single header as text, if present exactly once and valid visible ASCII.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

/// Whether the `content-type` media type (parameters ignored) equals `media_type`.
pub(crate) fn content_type_is(headers: &HeaderMap, media_type: &str) -> bool {
    header(headers, "content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(media_type))
}

/// A parameter problem that maps to `invalid_request`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParamError {
    /// The parameter appeared more than once (RFC 6749 §3.1, §3.2).
    #[error("parameter {0} repeated")]
    Repeated(&'static str),
    /// A required parameter is missing or empty.
    #[error("parameter {0} missing")]
    Missing(&'static str),
}

/// Decoded `application/x-www-form-urlencoded` parameters (query or body).
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses form-urlencoded bytes.
    pub(crate) fn parse(bytes: &[u8]) -> Self {
        Self {
            pairs: url::form_urlencoded::parse(bytes).into_owned().collect(),
        }
    }

    /// Parses the query of a request URI (empty when there is none).
    pub(crate) fn from_query(query: Option<&str>) -> Self {
        Self::parse(query.unwrap_or("").as_bytes())
    }

    /// The single value of `name`; empty values count as absent (RFC 6749 §3.1).
    pub(crate) fn get(&self, name: &'static str) -> Result<Option<&str>, ParamError> {
        let mut found = None;
        for (k, v) in &self.pairs {
            if k == name && !v.is_empty() {
                if found.is_some() {
                    return Err(ParamError::Repeated(name));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found)
    }

    /// Like [`Params::get`] but the parameter is required.
    pub(crate) fn require(&self, name: &'static str) -> Result<&str, ParamError> {
        self.get(name)?.ok_or(ParamError::Missing(name))
    }
}

/// Credentials from an `Authorization: Basic` header.
#[derive(Debug)]
pub(crate) struct BasicCredentials {
    pub(crate) client_id: String,
    pub(crate) secret: String,
}

/// What the `Authorization` header of a token request holds.
#[derive(Debug)]
pub(crate) enum AuthorizationHeader {
    /// No header.
    Absent,
    /// Valid Basic credentials.
    Basic(BasicCredentials),
    /// A header that is not well-formed Basic credentials.
    Malformed,
}

/// Reads `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> AuthorizationHeader {
    if headers.get_all("authorization").iter().next().is_none() {
        return AuthorizationHeader::Absent;
    }
    let Some(value) = header(headers, "authorization") else {
        return AuthorizationHeader::Malformed;
    };
    let Some((scheme, rest)) = value.split_once(' ') else {
        return AuthorizationHeader::Malformed;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return AuthorizationHeader::Malformed;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest.trim()) else {
        return AuthorizationHeader::Malformed;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return AuthorizationHeader::Malformed;
    };
    let Some((id, secret)) = decoded.split_once(':') else {
        return AuthorizationHeader::Malformed;
    };
    match (form_decode(id), form_decode(secret)) {
        (Some(client_id), Some(secret)) => {
            AuthorizationHeader::Basic(BasicCredentials { client_id, secret })
        }
        _ => AuthorizationHeader::Malformed,
    }
}

/// Decodes one form-urlencoded component (`+` is a space, `%XX` a byte). `None` on a bad
/// escape or invalid UTF-8.
pub(crate) fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_val(*bytes.get(i.checked_add(1)?)?)?;
                let lo = hex_val(*bytes.get(i.checked_add(2)?)?)?;
                out.push(hi << 4 | lo);
                i = i.checked_add(2)?;
            }
            other => out.push(other),
        }
        i = i.checked_add(1)?;
    }
    String::from_utf8(out).ok()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `base64url(SHA-256(verifier))` without padding (RFC 7636 §4.2).
pub(crate) fn s256(verifier: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Whether `s` is a valid RFC 7636 §4.1 code verifier: 43–128 unreserved characters.
pub(crate) fn is_valid_verifier(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Escapes a value for a quoted-string (RFC 9110 §5.6.4).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len().saturating_add(2));
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decode_handles_escapes_and_bad_input() {
        assert_eq!(form_decode("a+b%2Bc%3A").as_deref(), Some("a b+c:"));
        assert_eq!(form_decode("%"), None);
        assert_eq!(form_decode("%4"), None);
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%ff"), None);
    }

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn params_reject_repeats_and_treat_empty_as_absent() {
        let p = Params::parse(b"a=1&a=2&b=&c=3");
        assert_eq!(p.get("a"), Err(ParamError::Repeated("a")));
        assert_eq!(p.get("b"), Ok(None));
        assert_eq!(p.require("c"), Ok("3"));
        assert_eq!(p.require("d"), Err(ParamError::Missing("d")));
    }
}
