//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25
//! "Client ID Metadata Documents", SEP-991).
//!
//! The client's `client_id` is an https URL; the authorization server fetches it and finds a JSON
//! document describing the client. This module:
//!
//! - validates the URL ([`ClientIdUrl::parse`], CIMD "Client Identifier URL", checklist R-6);
//! - writes the document ([`ClientMetadata::client_id_metadata_document`], R-7 … R-9, R-17,
//!   R-18);
//! - checks a fetched copy against its URL, for self-checks ([`ClientIdMetadataDocument`], R-10);
//! - tells whether the redirect URI in use is listed ([`ClientIdMetadataDocument::check_redirect_uri`],
//!   R-12).
//!
//! ```
//! use mcp_oauth_core::registration::{ClientIdMetadataDocument, ClientIdUrl, ClientMetadata};
//!
//! let url = ClientIdUrl::parse("https://app.example.com/oauth/client.json")?;
//! let metadata = ClientMetadata::new("Example MCP Client")
//!     .with_redirect_uri("http://127.0.0.1:3000/callback")
//!     .with_refresh_tokens();
//! let json = metadata.client_id_metadata_document(&url)?;
//! assert!(json.starts_with(r#"{"client_id":"https://app.example.com/oauth/client.json","#));
//!
//! // Self-check: what the server will see.
//! let doc = ClientIdMetadataDocument::parse(&url, json.as_bytes())?;
//! assert_eq!(doc.client_name(), "Example MCP Client");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! Identifier URLs are compared as plain strings (RFC 3986 §6.2.1): `https://app.example.com:443/c`
//! and `https://app.example.com/c` are different clients. [`ClientIdUrl`] therefore keeps the
//! original text and never normalises it; it only warns when the text is not in normal form.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};
use url::Url;

use super::dcr::WireMetadata;
use super::{
    ClientMetadata, MetadataError, RedirectUriCheck, RedirectUriError, TokenEndpointAuthMethod,
    check_redirect_uri_against, classify_redirect_uri,
};
use crate::http::{HttpRequest, HttpResponse};

/// Why a string cannot be a client identifier URL (CIMD "Client Identifier URL", checklist R-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientIdUrlError {
    /// Not an absolute `scheme://authority` URL, or the `url` parser refuses it.
    #[error("client ID is not an absolute URL")]
    Invalid,
    /// Whitespace, control, non-ASCII characters or `\`, which parsers drop or rewrite.
    #[error("client ID contains whitespace, control, non-ASCII characters or a backslash")]
    InvalidCharacter,
    /// The scheme is not `https`.
    #[error("client ID URL is not https")]
    NotHttps,
    /// No host.
    #[error("client ID URL has no host")]
    MissingHost,
    /// A userinfo component (`user@`).
    #[error("client ID URL carries user info")]
    UserInfo,
    /// A fragment component (`#…`).
    #[error("client ID URL carries a fragment")]
    Fragment,
    /// No path, or only `/`.
    #[error("client ID URL needs a path other than /")]
    MissingPath,
    /// A `.` or `..` path segment (also percent-encoded as `%2e`).
    #[error("client ID URL contains a dot segment")]
    DotSegment,
}

/// Something allowed in a client identifier URL but worth reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientIdUrlWarning {
    /// A query component: allowed, but the draft says SHOULD NOT.
    QueryPresent,
    /// The URL is not in normal form (upper-case scheme or host, default port `:443`, …). It is
    /// still used exactly as written; the client SHOULD normalise it (RFC 3986 §6.2.2, §6.2.3).
    NotNormalized {
        /// The normal form, as the `url` crate writes it.
        normalized: String,
    },
}

/// A validated client identifier URL, kept byte for byte as given (R-6, R-7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdUrl {
    raw: String,
    url: Url,
    warnings: Vec<ClientIdUrlWarning>,
}

/// Whether a raw path segment is `.` or `..`, also percent-encoded (WHATWG URL treats `%2e` as
/// a dot).
fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let rest = lower.replace("%2e", ".");
    rest == "." || rest == ".."
}

impl ClientIdUrl {
    /// Validate `raw` as a client identifier URL: `https`, a host, no userinfo, no fragment, a
    /// path other than `/`, no `.`/`..` segments. A port is allowed; a query is allowed but
    /// reported. The checks run on the raw text, because the `url` parser removes dot segments
    /// and empty userinfo.
    ///
    /// # Errors
    ///
    /// The first rule `raw` breaks.
    pub fn parse(raw: &str) -> Result<Self, ClientIdUrlError> {
        if !crate::redirect::is_uri_text(raw) {
            return Err(ClientIdUrlError::InvalidCharacter);
        }
        let (scheme, rest) = raw.split_once("://").ok_or(ClientIdUrlError::Invalid)?;
        if !scheme.eq_ignore_ascii_case("https") {
            // `url` also needs a valid scheme; report the CIMD rule when it has one.
            return Err(
                if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    ClientIdUrlError::NotHttps
                } else {
                    ClientIdUrlError::Invalid
                },
            );
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = rest.get(..authority_end).unwrap_or("");
        let after = rest.get(authority_end..).unwrap_or("");
        if authority.contains('@') {
            return Err(ClientIdUrlError::UserInfo);
        }
        if authority.is_empty() {
            return Err(ClientIdUrlError::MissingHost);
        }
        if after.contains('#') {
            return Err(ClientIdUrlError::Fragment);
        }
        let (path, query) = match after.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (after, None),
        };
        if path.is_empty() || path == "/" {
            return Err(ClientIdUrlError::MissingPath);
        }
        if path.split('/').any(is_dot_segment) {
            return Err(ClientIdUrlError::DotSegment);
        }
        let url = Url::parse(raw).map_err(|_| ClientIdUrlError::Invalid)?;
        if url.host().is_none() {
            return Err(ClientIdUrlError::MissingHost);
        }
        let mut warnings = Vec::new();
        if query.is_some() {
            warnings.push(ClientIdUrlWarning::QueryPresent);
        }
        if url.as_str() != raw {
            warnings.push(ClientIdUrlWarning::NotNormalized {
                normalized: String::from(url.as_str()),
            });
        }
        Ok(Self {
            raw: String::from(raw),
            url,
            warnings,
        })
    }

    /// The URL exactly as given: the `client_id` to send and to write into the document.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed URL (normalised by the `url` crate; do not use it as the `client_id`).
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// What is allowed but reported.
    #[must_use]
    pub fn warnings(&self) -> &[ClientIdUrlWarning] {
        &self.warnings
    }

    /// A `GET` of the document, for a self-check (R-10). Send it **without following
    /// redirects**, then hand the response to [`ClientIdMetadataDocument::from_response`].
    #[must_use]
    pub fn self_check_request(&self) -> HttpRequest {
        HttpRequest::get_json(self.raw.clone())
    }
}

impl ClientMetadata {
    /// The Client ID Metadata Document to serve at `client_id`, as compact JSON: `client_id`
    /// first and equal to the URL byte for byte (R-7), then the members of
    /// [`ClientMetadata::registration_body`] (`client_name`, `redirect_uris`, `grant_types`,
    /// `response_types`, `token_endpoint_auth_method`, `application_type`, …) (R-8, R-17, R-18).
    ///
    /// No `client_secret` member is ever written (R-9).
    ///
    /// # Errors
    ///
    /// [`ClientMetadata::validate`] fails, or the method is not `none` / `private_key_jwt`
    /// (R-9: [`MetadataError::SharedSecretNotAllowed`], [`MetadataError::AuthMethodNotAllowed`]).
    pub fn client_id_metadata_document(
        &self,
        client_id: &ClientIdUrl,
    ) -> Result<String, MetadataError> {
        check_cimd_auth_method(&self.auth_method)?;
        self.validate()?;
        let mut wire = WireMetadata::new(self);
        wire.client_id = Some(client_id.as_str());
        Ok(wire.to_json())
    }
}

fn check_cimd_auth_method(method: &TokenEndpointAuthMethod) -> Result<(), MetadataError> {
    match method {
        TokenEndpointAuthMethod::None | TokenEndpointAuthMethod::PrivateKeyJwt => Ok(()),
        m if m.uses_client_secret() => Err(MetadataError::SharedSecretNotAllowed),
        _ => Err(MetadataError::AuthMethodNotAllowed),
    }
}

/// Why a fetched Client ID Metadata Document is not acceptable (R-7 … R-10).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// A redirect (3xx): the authorization server must not follow it (R-10).
    #[error("client ID metadata document URL redirects (status {status})")]
    Redirect {
        /// The HTTP status.
        status: u16,
    },
    /// A status other than 200 (R-10).
    #[error("client ID metadata document served with status {status}, not 200")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The `Content-Type` is not JSON.
    #[error("client ID metadata document is not served as JSON")]
    NotJsonContentType,
    /// The body is not valid JSON.
    #[error("client ID metadata document is not valid JSON")]
    InvalidJson,
    /// The body is JSON other than an object.
    #[error("client ID metadata document is not a JSON object")]
    NotAnObject,
    /// A required member is missing or empty (R-8).
    #[error("client ID metadata document lacks {member}")]
    MissingMember {
        /// The member name.
        member: &'static str,
    },
    /// A member has the wrong type.
    #[error("client ID metadata document member {member} has the wrong type")]
    InvalidMember {
        /// The member name.
        member: &'static str,
    },
    /// `client_id` differs from the URL the document was fetched from (R-7).
    #[error("client_id in the document does not match its URL byte for byte")]
    ClientIdMismatch,
    /// A shared-secret `token_endpoint_auth_method`, or `client_secret` /
    /// `client_secret_expires_at` members (R-9).
    #[error("client ID metadata document uses shared-secret authentication")]
    SharedSecret,
    /// A `token_endpoint_auth_method` other than `none` or `private_key_jwt` (R-9, R-11).
    #[error("client ID metadata document uses an unsupported token endpoint auth method")]
    AuthMethodNotAllowed,
    /// `private_key_jwt` without `jwks` or `jwks_uri`.
    #[error("private_key_jwt without jwks or jwks_uri")]
    MissingKeys,
    /// Private key material in `jwks`, or `jwks` is not a JWK Set (R-9).
    #[error("jwks is not a public JWK Set")]
    InvalidJwks,
    /// A listed redirect URI breaks the rules (C-1).
    #[error("redirect URI #{index} refused: {reason}")]
    InvalidRedirectUri {
        /// Position in the list, from 0.
        index: usize,
        /// The rule it breaks.
        reason: RedirectUriError,
    },
}

/// A fetched Client ID Metadata Document that passed the client-side checks (R-7 … R-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdMetadataDocument {
    client_id: String,
    client_name: String,
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: TokenEndpointAuthMethod,
    grant_types: Vec<String>,
    application_type: Option<String>,
}

fn string_member<'a>(
    obj: &'a Map<String, Value>,
    member: &'static str,
) -> Result<Option<&'a str>, DocumentError> {
    match obj.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(DocumentError::InvalidMember { member }),
    }
}

fn strings_member(
    obj: &Map<String, Value>,
    member: &'static str,
) -> Result<Vec<String>, DocumentError> {
    match obj.get(member) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or(DocumentError::InvalidMember { member })
            })
            .collect(),
        Some(_) => Err(DocumentError::InvalidMember { member }),
    }
}

impl ClientIdMetadataDocument {
    /// Check a fetch of `client_id` (R-10): status exactly 200 (a 3xx is
    /// [`DocumentError::Redirect`]), a JSON `Content-Type`, then [`ClientIdMetadataDocument::parse`].
    ///
    /// # Errors
    ///
    /// The first problem found.
    pub fn from_response(
        client_id: &ClientIdUrl,
        response: &HttpResponse,
    ) -> Result<Self, DocumentError> {
        match response.status {
            200 => {}
            status @ 300..=399 => return Err(DocumentError::Redirect { status }),
            status => return Err(DocumentError::Status { status }),
        }
        if !response.is_json() {
            return Err(DocumentError::NotJsonContentType);
        }
        Self::parse(client_id, &response.body)
    }

    /// Check a document body against the URL it was fetched from: `client_id` equal byte for byte
    /// (R-7), non-empty `client_name` and `redirect_uris` (R-8), every redirect URI allowed
    /// (C-1), no shared-secret authentication or `client_secret*` members, keys for
    /// `private_key_jwt`, no private keys (R-9). Unknown members are ignored.
    ///
    /// # Errors
    ///
    /// The first problem found.
    pub fn parse(client_id: &ClientIdUrl, body: &[u8]) -> Result<Self, DocumentError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            if e.is_data() {
                DocumentError::NotAnObject
            } else {
                DocumentError::InvalidJson
            }
        })?;
        let obj = value.as_object().ok_or(DocumentError::NotAnObject)?;

        let id = string_member(obj, "client_id")?
            .filter(|s| !s.is_empty())
            .ok_or(DocumentError::MissingMember {
                member: "client_id",
            })?;
        if id != client_id.as_str() {
            return Err(DocumentError::ClientIdMismatch);
        }
        let client_name = string_member(obj, "client_name")?
            .filter(|s| !s.trim().is_empty())
            .ok_or(DocumentError::MissingMember {
                member: "client_name",
            })?;
        let redirect_uris = strings_member(obj, "redirect_uris")?;
        if redirect_uris.is_empty() {
            return Err(DocumentError::MissingMember {
                member: "redirect_uris",
            });
        }
        for (index, uri) in redirect_uris.iter().enumerate() {
            classify_redirect_uri(uri)
                .map_err(|reason| DocumentError::InvalidRedirectUri { index, reason })?;
        }

        if obj.contains_key("client_secret") || obj.contains_key("client_secret_expires_at") {
            return Err(DocumentError::SharedSecret);
        }
        // RFC 7591 §2: an omitted method means client_secret_basic, which CIMD forbids; the
        // draft's examples always state it, so a missing one is refused as a shared secret.
        let method = string_member(obj, "token_endpoint_auth_method")?
            .map_or(TokenEndpointAuthMethod::ClientSecretBasic, |m| {
                TokenEndpointAuthMethod::from_wire(m)
            });
        check_cimd_auth_method(&method).map_err(|e| match e {
            MetadataError::SharedSecretNotAllowed => DocumentError::SharedSecret,
            _ => DocumentError::AuthMethodNotAllowed,
        })?;
        let jwks_uri = string_member(obj, "jwks_uri")?;
        let jwks = obj.get("jwks").filter(|v| !v.is_null());
        if let Some(jwks) = jwks {
            super::check_public_jwks(jwks).map_err(|_| DocumentError::InvalidJwks)?;
        }
        if method == TokenEndpointAuthMethod::PrivateKeyJwt && jwks_uri.is_none() && jwks.is_none()
        {
            return Err(DocumentError::MissingKeys);
        }

        Ok(Self {
            client_id: String::from(id),
            client_name: String::from(client_name),
            redirect_uris,
            token_endpoint_auth_method: method,
            grant_types: strings_member(obj, "grant_types")?,
            application_type: string_member(obj, "application_type")?.map(String::from),
        })
    }

    /// `client_id` (equal to the URL).
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `client_name`.
    #[must_use]
    pub fn client_name(&self) -> &str {
        &self.client_name
    }

    /// `redirect_uris`.
    #[must_use]
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }

    /// `token_endpoint_auth_method` (`none` or `private_key_jwt`).
    #[must_use]
    pub fn token_endpoint_auth_method(&self) -> &TokenEndpointAuthMethod {
        &self.token_endpoint_auth_method
    }

    /// `grant_types` (empty when absent).
    #[must_use]
    pub fn grant_types(&self) -> &[String] {
        &self.grant_types
    }

    /// `application_type`, as written.
    #[must_use]
    pub fn application_type(&self) -> Option<&str> {
        self.application_type.as_deref()
    }

    /// Compare the redirect URI the client will use with the document (R-12): a loopback URI
    /// whose port is not listed gives [`RedirectUriCheck::LoopbackPortNotListed`], a warning.
    #[must_use]
    pub fn check_redirect_uri(&self, redirect_uri: &str) -> RedirectUriCheck {
        check_redirect_uri_against(&self.redirect_uris, redirect_uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::ClientKeys;
    use alloc::string::ToString;
    use alloc::vec;

    const URL: &str = "https://app.example.com/oauth/client.json";

    fn metadata() -> ClientMetadata {
        ClientMetadata::new("Example")
            .with_redirect_uri("http://127.0.0.1:3000/callback")
            .with_refresh_tokens()
    }

    #[test]
    fn url_rules_r6() {
        let cases = [
            ("https://app.example.com", ClientIdUrlError::MissingPath),
            ("https://app.example.com/", ClientIdUrlError::MissingPath),
            ("https://app.example.com?x=1", ClientIdUrlError::MissingPath),
            (
                "https://app.example.com/c.json#x",
                ClientIdUrlError::Fragment,
            ),
            (
                "https://app.example.com/c.json#",
                ClientIdUrlError::Fragment,
            ),
            (
                "https://app.example.com/a/../c.json",
                ClientIdUrlError::DotSegment,
            ),
            (
                "https://app.example.com/./c.json",
                ClientIdUrlError::DotSegment,
            ),
            ("https://app.example.com/a/..", ClientIdUrlError::DotSegment),
            (
                "https://app.example.com/a/%2E%2e/c",
                ClientIdUrlError::DotSegment,
            ),
            (
                "https://user@app.example.com/c.json",
                ClientIdUrlError::UserInfo,
            ),
            (
                "https://@app.example.com/c.json",
                ClientIdUrlError::UserInfo,
            ),
            ("http://app.example.com/c.json", ClientIdUrlError::NotHttps),
            ("app.example.com/c.json", ClientIdUrlError::Invalid),
            ("https:app.example.com/c.json", ClientIdUrlError::Invalid),
            ("https:///c.json", ClientIdUrlError::MissingHost),
            (
                " https://app.example.com/c.json",
                ClientIdUrlError::InvalidCharacter,
            ),
            (
                "https://app.example.com\\c.json",
                ClientIdUrlError::InvalidCharacter,
            ),
            ("https://app.example.com:99999/c", ClientIdUrlError::Invalid),
        ];
        for (raw, err) in cases {
            assert_eq!(ClientIdUrl::parse(raw), Err(err), "{raw}");
        }
        let ok = ClientIdUrl::parse("https://app.example.com:8443/c.json").unwrap();
        assert!(ok.warnings().is_empty());
        assert_eq!(ok.as_str(), "https://app.example.com:8443/c.json");
        let q = ClientIdUrl::parse("https://app.example.com/c.json?v=1").unwrap();
        assert_eq!(q.warnings(), [ClientIdUrlWarning::QueryPresent]);
        // `...` and `.well-known` are ordinary segments.
        assert!(ClientIdUrl::parse("https://app.example.com/.../.well-known/c").is_ok());
    }

    #[test]
    fn url_kept_byte_for_byte_r7() {
        let u = ClientIdUrl::parse("https://App.Example.com:443/c.json").unwrap();
        assert_eq!(u.as_str(), "https://App.Example.com:443/c.json");
        assert_eq!(
            u.warnings(),
            [ClientIdUrlWarning::NotNormalized {
                normalized: "https://app.example.com/c.json".to_string()
            }]
        );
        let doc = metadata().client_id_metadata_document(&u).unwrap();
        assert!(doc.contains(r#""client_id":"https://App.Example.com:443/c.json""#));
    }

    #[test]
    fn document_client_id_must_match_r7() {
        let with_port = ClientIdUrl::parse("https://app.example.com:443/c.json").unwrap();
        let without = ClientIdUrl::parse("https://app.example.com/c.json").unwrap();
        let json = metadata().client_id_metadata_document(&without).unwrap();
        assert_eq!(
            ClientIdMetadataDocument::parse(&with_port, json.as_bytes()),
            Err(DocumentError::ClientIdMismatch)
        );
        let slash = ClientIdUrl::parse("https://app.example.com/c.json/").unwrap();
        assert_eq!(
            ClientIdMetadataDocument::parse(&slash, json.as_bytes()),
            Err(DocumentError::ClientIdMismatch)
        );
        assert!(ClientIdMetadataDocument::parse(&without, json.as_bytes()).is_ok());
    }

    #[test]
    fn required_members_r8() {
        let url = ClientIdUrl::parse(URL).unwrap();
        assert_eq!(
            ClientMetadata::new("x").client_id_metadata_document(&url),
            Err(MetadataError::NoRedirectUris)
        );
        assert_eq!(
            ClientMetadata::new(" ")
                .with_redirect_uri("https://a.example/cb")
                .client_id_metadata_document(&url),
            Err(MetadataError::EmptyClientName)
        );
        let doc = br#"{"client_id":"https://app.example.com/oauth/client.json","client_name":"x",
            "token_endpoint_auth_method":"none"}"#;
        assert_eq!(
            ClientIdMetadataDocument::parse(&url, doc),
            Err(DocumentError::MissingMember {
                member: "redirect_uris"
            })
        );
    }

    #[test]
    fn no_shared_secrets_r9() {
        let url = ClientIdUrl::parse(URL).unwrap();
        for m in [
            TokenEndpointAuthMethod::ClientSecretBasic,
            TokenEndpointAuthMethod::ClientSecretPost,
            TokenEndpointAuthMethod::ClientSecretJwt,
        ] {
            assert_eq!(
                metadata()
                    .with_token_endpoint_auth_method(m)
                    .client_id_metadata_document(&url),
                Err(MetadataError::SharedSecretNotAllowed)
            );
        }
        assert_eq!(
            metadata()
                .with_token_endpoint_auth_method(TokenEndpointAuthMethod::from_wire(
                    "tls_client_auth"
                ))
                .client_id_metadata_document(&url),
            Err(MetadataError::AuthMethodNotAllowed)
        );
        assert_eq!(
            metadata()
                .with_token_endpoint_auth_method(TokenEndpointAuthMethod::PrivateKeyJwt)
                .client_id_metadata_document(&url),
            Err(MetadataError::MissingKeys)
        );
        let pkj = metadata()
            .with_token_endpoint_auth_method(TokenEndpointAuthMethod::PrivateKeyJwt)
            .with_keys(ClientKeys::JwksUri(
                "https://app.example.com/jwks.json".into(),
            ))
            .client_id_metadata_document(&url)
            .unwrap();
        assert!(pkj.contains(r#""jwks_uri":"https://app.example.com/jwks.json""#));
        assert!(!pkj.contains("client_secret"));
        let doc = ClientIdMetadataDocument::parse(&url, pkj.as_bytes()).unwrap();
        assert_eq!(
            doc.token_endpoint_auth_method(),
            &TokenEndpointAuthMethod::PrivateKeyJwt
        );

        let base = r#""client_id":"https://app.example.com/oauth/client.json","client_name":"x","redirect_uris":["https://a.example/cb"]"#;
        for (extra, err) in [
            (
                r#","token_endpoint_auth_method":"none","client_secret":"s""#,
                DocumentError::SharedSecret,
            ),
            (
                r#","token_endpoint_auth_method":"none","client_secret_expires_at":0"#,
                DocumentError::SharedSecret,
            ),
            (
                r#","token_endpoint_auth_method":"client_secret_post""#,
                DocumentError::SharedSecret,
            ),
            ("", DocumentError::SharedSecret),
            (
                r#","token_endpoint_auth_method":"private_key_jwt""#,
                DocumentError::MissingKeys,
            ),
            (
                r#","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"oct","k":"AAAA"}]}"#,
                DocumentError::InvalidJwks,
            ),
            (
                r#","token_endpoint_auth_method":"tls_client_auth""#,
                DocumentError::AuthMethodNotAllowed,
            ),
        ] {
            let body = alloc::format!("{{{base}{extra}}}");
            assert_eq!(
                ClientIdMetadataDocument::parse(&url, body.as_bytes()),
                Err(err),
                "{body}"
            );
        }
    }

    #[test]
    fn document_members_r17_r18() {
        let url = ClientIdUrl::parse(URL).unwrap();
        let json = metadata().client_id_metadata_document(&url).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "client_id": URL,
                "client_name": "Example",
                "redirect_uris": ["http://127.0.0.1:3000/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
                "application_type": "native",
            })
        );
    }

    #[test]
    fn self_check_r10() {
        let url = ClientIdUrl::parse(URL).unwrap();
        let req = url.self_check_request();
        assert_eq!(req.url, URL);
        let json = metadata().client_id_metadata_document(&url).unwrap();
        let ok = HttpResponse::new(
            200,
            vec![("Content-Type".into(), b"application/json".to_vec())],
            json.clone().into_bytes(),
        );
        let doc = ClientIdMetadataDocument::from_response(&url, &ok).unwrap();
        assert_eq!(doc.grant_types(), ["authorization_code", "refresh_token"]);
        assert_eq!(doc.application_type(), Some("native"));
        let redirect = HttpResponse::new(301, vec![], vec![]);
        assert_eq!(
            ClientIdMetadataDocument::from_response(&url, &redirect),
            Err(DocumentError::Redirect { status: 301 })
        );
        let html = HttpResponse::new(
            200,
            vec![("content-type".into(), b"text/html".to_vec())],
            json.into_bytes(),
        );
        assert_eq!(
            ClientIdMetadataDocument::from_response(&url, &html),
            Err(DocumentError::NotJsonContentType)
        );
    }

    #[test]
    fn loopback_port_warning_r12() {
        let url = ClientIdUrl::parse(URL).unwrap();
        let json = metadata().client_id_metadata_document(&url).unwrap();
        let doc = ClientIdMetadataDocument::parse(&url, json.as_bytes()).unwrap();
        assert_eq!(
            doc.check_redirect_uri("http://127.0.0.1:53211/callback"),
            RedirectUriCheck::LoopbackPortNotListed
        );
        assert_eq!(
            doc.check_redirect_uri("http://127.0.0.1:3000/callback"),
            RedirectUriCheck::Listed
        );
    }
}
