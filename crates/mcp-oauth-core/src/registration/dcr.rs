//! Dynamic Client Registration (RFC 7591), the fallback when neither pre-registered credentials
//! nor Client ID Metadata Documents are available (deprecated but still allowed in MCP 2026-07-28).
//!
//! - [`ClientMetadata::registration_request`] builds the `POST` to the `registration_endpoint`
//!   (RFC 7591 §3.1; checklist R-15 … R-18), with an optional initial access token (§3, R-25).
//! - [`ClientMetadata::parse_registration_response`] reads the answer (§3.2.1, §3.2.2; R-19 …
//!   R-22) into a [`RegisteredClient`] or a [`RegistrationError`].
//!
//! ```
//! use mcp_oauth_core::http::HttpResponse;
//! use mcp_oauth_core::registration::{ClientMetadata, TokenEndpointAuthMethod};
//!
//! let metadata = ClientMetadata::new("Example MCP Client")
//!     .with_redirect_uri("http://127.0.0.1:53211/callback")
//!     .with_refresh_tokens();
//! let request = metadata.registration_request("https://as.example.com/register", None)?;
//! assert_eq!(request.header("content-type"), Some("application/json"));
//! let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
//! assert_eq!(body["token_endpoint_auth_method"], "none");
//! assert_eq!(body["application_type"], "native");
//!
//! let response = HttpResponse::new(
//!     201,
//!     vec![("Content-Type".into(), b"application/json".to_vec())],
//!     br#"{"client_id":"abc","token_endpoint_auth_method":"none",
//!          "redirect_uris":["http://127.0.0.1:53211/callback"],
//!          "grant_types":["authorization_code","refresh_token"]}"#.to_vec(),
//! );
//! let client = metadata.parse_registration_response(&response)?;
//! assert_eq!(client.client_id(), "abc");
//! assert_eq!(client.token_endpoint_auth_method(), &TokenEndpointAuthMethod::None);
//! assert!(client.warnings().is_empty());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! # What a token request does with the result
//!
//! Use [`RegisteredClient::token_endpoint_auth_method`], not the requested method (R-20):
//!
//! - `client_secret_basic` / `client_secret_post`: send [`RegisteredClient::client_secret`]
//!   that way (a missing secret is already a [`RegistrationError::SecretMissing`]).
//! - `none`: send `client_id` only. If the server returned a secret anyway (Auth0 third-party
//!   applications do), it is kept, flagged with [`RegistrationWarning::SecretWithoutSecretMethod`]
//!   and **not** sent: the server registered a public client, and a secret goes only where it is
//!   needed.
//!
//! Before each token request check [`RegisteredClient::secret_expired`]; an expired secret means
//! registering again (R-22). Store the result keyed by the authorization server's issuer and never
//! use it with another one (R-23, R-24).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{ClientKeys, ClientMetadata, MetadataError, RedirectUriCheck, TokenEndpointAuthMethod};
use crate::http::{HeaderValue, HttpRequest, HttpResponse, Method};
use crate::scope::Scopes;
pub use crate::secret::RegistrationAccessToken;
use crate::secret::{ClientSecret, InitialAccessToken, WipedString};
use crate::time::Timestamp;
use crate::untrusted::capped;
use crate::urls::{UrlError, UrlPolicy};

/// Longest `error_description` kept from a server, in bytes.
const MAX_DESCRIPTION: usize = 1024;
/// Longest unrecognised `error` code kept from a server, in bytes.
const MAX_ERROR_CODE: usize = 128;

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/// Why no registration request could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationRequestError {
    /// The client metadata is incomplete or invalid.
    #[error("invalid client metadata: {0}")]
    Metadata(#[from] MetadataError),
    /// The registration endpoint is not an https URL (or loopback http).
    #[error("invalid registration endpoint: {0}")]
    Endpoint(UrlError),
}

#[derive(serde::Serialize)]
pub(super) struct WireMetadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) client_id: Option<&'a str>,
    client_name: &'a str,
    redirect_uris: &'a [String],
    grant_types: &'static [&'static str],
    response_types: [&'static str; 1],
    token_endpoint_auth_method: &'a str,
    application_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    contacts: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    software_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    software_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks: Option<&'a serde_json::Value>,
}

impl<'a> WireMetadata<'a> {
    pub(super) fn new(m: &'a ClientMetadata) -> Self {
        let (jwks_uri, jwks) = match &m.keys {
            None => (None, None),
            Some(ClientKeys::JwksUri(u)) => (Some(u.as_str()), None),
            Some(ClientKeys::Jwks(v)) => (None, Some(v)),
        };
        Self {
            client_id: None,
            client_name: &m.client_name,
            redirect_uris: &m.redirect_uris,
            grant_types: m.grant_types(),
            response_types: ["code"],
            token_endpoint_auth_method: m.auth_method.as_str(),
            application_type: m.application_type().as_str(),
            scope: (!m.scope.is_empty()).then(|| alloc::format!("{}", m.scope)),
            client_uri: m.client_uri.as_deref(),
            logo_uri: m.logo_uri.as_deref(),
            contacts: &m.contacts,
            software_id: m.software_id.as_deref(),
            software_version: m.software_version.as_deref(),
            jwks_uri,
            jwks,
        }
    }

    pub(super) fn to_json(&self) -> String {
        // Strings, string slices and a `serde_json::Value` (whose keys are strings): serialising
        // them cannot fail.
        serde_json::to_string(self).expect("plain JSON values always serialise")
    }
}

impl ClientMetadata {
    /// The JSON body of a registration request (RFC 7591 §2, §3.1): `client_name`,
    /// `redirect_uris`, `grant_types` (R-17), `response_types: ["code"]`,
    /// `token_endpoint_auth_method` always explicit (R-16), `application_type` (R-18), then the
    /// optional members that are set.
    ///
    /// # Errors
    ///
    /// [`ClientMetadata::validate`] fails.
    pub fn registration_body(&self) -> Result<Vec<u8>, MetadataError> {
        self.validate()?;
        Ok(WireMetadata::new(self).to_json().into_bytes())
    }

    /// The registration request (RFC 7591 §3.1, checklist R-15): `POST endpoint` with
    /// `Content-Type: application/json`, `Accept: application/json` and
    /// [`ClientMetadata::registration_body`].
    ///
    /// `initial_access_token`, when given, goes into a sensitive `Authorization: Bearer` header
    /// of this request only (RFC 7591 §3, R-25).
    ///
    /// `endpoint` should already have passed the caller's [`UrlPolicy`] when the metadata was
    /// accepted; here it is checked again against the baseline (https, or http on loopback).
    ///
    /// # Errors
    ///
    /// Invalid metadata or endpoint.
    pub fn registration_request(
        &self,
        endpoint: &str,
        initial_access_token: Option<&InitialAccessToken>,
    ) -> Result<HttpRequest, RegistrationRequestError> {
        UrlPolicy::https_only()
            .allow_loopback_http()
            .check(endpoint)
            .map_err(RegistrationRequestError::Endpoint)?;
        let body = self.registration_body()?;
        let mut headers = alloc::vec![
            ("content-type", HeaderValue::new("application/json")),
            ("accept", HeaderValue::new("application/json")),
        ];
        if let Some(token) = initial_access_token {
            let mut value = String::with_capacity(token.secret().len().saturating_add(7));
            value.push_str("Bearer ");
            value.push_str(token.secret());
            headers.push(("authorization", HeaderValue::sensitive(value)));
        }
        Ok(HttpRequest {
            method: Method::Post,
            url: String::from(endpoint),
            headers,
            body,
        })
    }

    /// Read the registration endpoint's answer to a request built from `self` (RFC 7591 §3.2).
    ///
    /// - 201, or 200 with a warning (R-21), with a JSON object holding a non-empty `client_id` →
    ///   [`RegisteredClient`]. Unknown members are ignored; members of the wrong type are
    ///   ignored with a [`RegistrationWarning::IgnoredMember`] (except `client_id`).
    /// - An RFC 7591 §3.2.2 error object (normally with 400) → [`RegistrationError::Rejected`]
    ///   (R-19).
    /// - Anything else → another typed [`RegistrationError`], never holding the body.
    ///
    /// `self` supplies what was requested, to resolve what the server did not echo (R-20, see
    /// [`RegisteredClient::token_endpoint_auth_method`]) and to warn about differences.
    ///
    /// # Errors
    ///
    /// See above.
    pub fn parse_registration_response(
        &self,
        response: &HttpResponse,
    ) -> Result<RegisteredClient, RegistrationError> {
        parse_response(self, response)
    }
}

// ---------------------------------------------------------------------------------------------
// Response types
// ---------------------------------------------------------------------------------------------

/// When the client secret expires (`client_secret_expires_at`, RFC 7591 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretExpiry {
    /// `0`: never.
    Never,
    /// At this time.
    At(Timestamp),
}

/// Something the registration response did that a careful client should know about, but that did
/// not prevent using it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationWarning {
    /// Status 200 instead of 201 Created (tolerated, R-21).
    OkInsteadOfCreated,
    /// The `Content-Type` was not JSON, but the body was.
    NotJsonContentType,
    /// `redirect_uris` was a single string instead of an array; read as a one-element list.
    RedirectUrisAsString,
    /// `redirect_uris` was not returned; the requested ones are assumed.
    RedirectUrisNotReturned,
    /// The returned `redirect_uris` differ from the requested ones. Use only returned ones
    /// (R-20, C-2; see [`RegisteredClient::check_redirect_uri`]).
    RedirectUrisChanged,
    /// `token_endpoint_auth_method` was not returned; `assumed` is used (see
    /// [`RegisteredClient::token_endpoint_auth_method`]).
    AuthMethodNotReturned {
        /// The method the client will use.
        assumed: TokenEndpointAuthMethod,
    },
    /// The server assigned a different `token_endpoint_auth_method` than requested; the
    /// assigned one is used (R-20).
    AuthMethodChanged {
        /// What the client had asked for.
        requested: TokenEndpointAuthMethod,
    },
    /// A `client_secret` came with a method that uses no secret (`none`, `private_key_jwt`, …).
    /// The secret is kept but not sent in token requests.
    SecretWithoutSecretMethod,
    /// A `client_secret` came without `client_secret_expires_at` (REQUIRED by RFC 7591 §3.2.1);
    /// it is treated as never expiring.
    SecretExpiryMissing,
    /// `grant_types` was not returned; the requested ones are assumed.
    GrantTypesNotReturned,
    /// Refresh tokens were requested but the returned `grant_types` lack `refresh_token` (R-17).
    RefreshTokenGrantMissing,
    /// A known member had the wrong type or an unusable value and was ignored.
    IgnoredMember {
        /// The member name.
        member: &'static str,
    },
}

/// A client registered by dynamic registration (RFC 7591 §3.2.1).
///
/// `Debug` shows everything except the client secret and the registration access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    client_id: String,
    client_secret: Option<ClientSecret>,
    client_id_issued_at: Option<Timestamp>,
    client_secret_expires_at: Option<SecretExpiry>,
    token_endpoint_auth_method: TokenEndpointAuthMethod,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    scope: Option<Scopes>,
    client_name: Option<String>,
    registration_access_token: Option<RegistrationAccessToken>,
    registration_client_uri: Option<String>,
    warnings: Vec<RegistrationWarning>,
}

impl RegisteredClient {
    /// The issued `client_id`.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The issued `client_secret`, if any (an empty string counts as none).
    #[must_use]
    pub fn client_secret(&self) -> Option<&ClientSecret> {
        self.client_secret.as_ref()
    }

    /// `client_id_issued_at`.
    #[must_use]
    pub fn client_id_issued_at(&self) -> Option<Timestamp> {
        self.client_id_issued_at
    }

    /// `client_secret_expires_at`, if the server sent a usable value.
    #[must_use]
    pub fn client_secret_expires_at(&self) -> Option<SecretExpiry> {
        self.client_secret_expires_at
    }

    /// Whether the client secret has expired at `now`, so the client must register again before
    /// its next token request (R-22). `false` without a secret, for `0` (never) and when no
    /// expiry was sent.
    #[must_use]
    pub fn secret_expired(&self, now: Timestamp) -> bool {
        self.client_secret.is_some()
            && matches!(self.client_secret_expires_at, Some(SecretExpiry::At(t)) if now >= t)
    }

    /// The token endpoint authentication method to use (R-20):
    ///
    /// 1. the one the server returned, if any;
    /// 2. otherwise, if the server issued a secret but the request asked for a method without
    ///    one: `client_secret_basic`. RFC 7591 §3.2.1 says the response contains *all*
    ///    registered metadata, and an omitted method means `client_secret_basic` (§2), which is
    ///    consistent with the secret it issued;
    /// 3. otherwise the requested method.
    ///
    /// Cases 2 and 3 carry a [`RegistrationWarning::AuthMethodNotReturned`].
    #[must_use]
    pub fn token_endpoint_auth_method(&self) -> &TokenEndpointAuthMethod {
        &self.token_endpoint_auth_method
    }

    /// The registered redirect URIs: the returned ones, or the requested ones if the server did
    /// not echo them.
    #[must_use]
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }

    /// Compare the redirect URI the client is about to use with [`RegisteredClient::redirect_uris`]
    /// (C-2, R-12).
    #[must_use]
    pub fn check_redirect_uri(&self, redirect_uri: &str) -> RedirectUriCheck {
        super::check_redirect_uri_against(&self.redirect_uris, redirect_uri)
    }

    /// The registered grant types: the returned ones, or the requested ones if not echoed.
    #[must_use]
    pub fn grant_types(&self) -> &[String] {
        &self.grant_types
    }

    /// Whether `refresh_token` is among [`RegisteredClient::grant_types`].
    #[must_use]
    pub fn allows_refresh_tokens(&self) -> bool {
        self.grant_types.iter().any(|g| g == "refresh_token")
    }

    /// The returned `scope`, if any.
    #[must_use]
    pub fn scope(&self) -> Option<&Scopes> {
        self.scope.as_ref()
    }

    /// The returned `client_name`, if any.
    #[must_use]
    pub fn client_name(&self) -> Option<&str> {
        self.client_name.as_deref()
    }

    /// The registration access token (RFC 7592), if any.
    #[must_use]
    pub fn registration_access_token(&self) -> Option<&RegistrationAccessToken> {
        self.registration_access_token.as_ref()
    }

    /// `registration_client_uri` exactly as returned. It may be relative (Notion returns
    /// `/register/<id>`); it is not resolved here.
    #[must_use]
    pub fn registration_client_uri(&self) -> Option<&str> {
        self.registration_client_uri.as_deref()
    }

    /// What was tolerated while reading the response.
    #[must_use]
    pub fn warnings(&self) -> &[RegistrationWarning] {
        &self.warnings
    }
}

/// An RFC 7591 §3.2.2 error code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistrationErrorCode {
    /// `invalid_redirect_uri`.
    InvalidRedirectUri,
    /// `invalid_client_metadata`.
    InvalidClientMetadata,
    /// `invalid_software_statement`.
    InvalidSoftwareStatement,
    /// `unapproved_software_statement`.
    UnapprovedSoftwareStatement,
    /// Another code (for example `invalid_token` for a bad initial access token). Server text,
    /// limited to the RFC 6749 error character set and 128 bytes.
    Other(String),
}

impl RegistrationErrorCode {
    fn from_wire(code: &str) -> Option<Self> {
        Some(match code {
            "invalid_redirect_uri" => Self::InvalidRedirectUri,
            "invalid_client_metadata" => Self::InvalidClientMetadata,
            "invalid_software_statement" => Self::InvalidSoftwareStatement,
            "unapproved_software_statement" => Self::UnapprovedSoftwareStatement,
            other => {
                let valid = !other.is_empty()
                    && other.len() <= MAX_ERROR_CODE
                    && other
                        .bytes()
                        .all(|b| matches!(b, 0x20 | 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
                if !valid {
                    return None;
                }
                Self::Other(String::from(other))
            }
        })
    }

    /// The code on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidSoftwareStatement => "invalid_software_statement",
            Self::UnapprovedSoftwareStatement => "unapproved_software_statement",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for RegistrationErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a registration response gave no usable client. Never holds the body or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The server refused the registration with an RFC 7591 §3.2.2 error (R-19). Consider
    /// retrying once with adjusted redirect URIs or `application_type`.
    #[error("registration rejected ({status}): {code}")]
    Rejected {
        /// The HTTP status (normally 400).
        status: u16,
        /// The `error` code.
        code: RegistrationErrorCode,
        /// `error_description`. **Attacker-controlled text** from the server: show it only as
        /// quoted, untrusted data. Control and bidirectional formatting characters removed, at
        /// most 1024 bytes.
        description: Option<String>,
    },
    /// A status other than 200/201 without an RFC 7591 error object (for example an HTML page,
    /// an empty body, or a 401 for a missing initial access token).
    #[error("unexpected registration response status {status}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// A success status, but the body is not valid JSON.
    #[error("registration response is not valid JSON")]
    InvalidJson,
    /// A success status, but the body is JSON other than an object.
    #[error("registration response is not a JSON object")]
    NotAnObject,
    /// A member appears twice; which copy counts is ambiguous, so the response is refused.
    #[error("registration response repeats member {member}")]
    DuplicateMember {
        /// The member name.
        member: &'static str,
    },
    /// No `client_id`, or an empty one (R-21).
    #[error("registration response has no client_id")]
    MissingClientId,
    /// `client_id` is not a string of printable ASCII characters.
    #[error("registration response has an invalid client_id")]
    InvalidClientId,
    /// The assigned method needs a client secret, but none was issued: the registration cannot
    /// be used.
    #[error("token endpoint auth method {method:?} needs a client secret, but none was issued")]
    SecretMissing {
        /// The assigned method.
        method: TokenEndpointAuthMethod,
    },
}

// ---------------------------------------------------------------------------------------------
// Response parsing
// ---------------------------------------------------------------------------------------------

/// A JSON value as far as this parser cares.
enum Raw {
    Null,
    Str(WipedString),
    UInt(u64),
    Array(Vec<Self>),
    /// Booleans, negative or fractional numbers, objects.
    Other,
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Raw, E> {
        Ok(Raw::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(u64::try_from(v).map_or(Raw::Other, Raw::UInt))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Raw, E> {
        Ok(Raw::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(WipedString::new(String::from(v))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(WipedString::new(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Raw>()? {
            items.push(item);
        }
        Ok(Raw::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Raw::Other)
    }
}

macro_rules! members {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// The members this parser reads.
        #[derive(Clone, Copy)]
        enum Member { $($variant),* }

        impl Member {
            fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)* _ => None }
            }
            fn name(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
        }

        /// The members read from a response, each at most once.
        #[derive(Default)]
        #[allow(non_snake_case, reason = "fields are named after the Member variants")]
        struct Wire {
            $($variant: Option<Raw>,)*
            duplicate: Option<&'static str>,
        }

        impl Wire {
            fn slot(&mut self, m: Member) -> &mut Option<Raw> {
                match m { $(Member::$variant => &mut self.$variant),* }
            }
        }
    };
}

members! {
    ClientId => "client_id",
    ClientSecret => "client_secret",
    ClientIdIssuedAt => "client_id_issued_at",
    ClientSecretExpiresAt => "client_secret_expires_at",
    TokenEndpointAuthMethod => "token_endpoint_auth_method",
    RedirectUris => "redirect_uris",
    GrantTypes => "grant_types",
    Scope => "scope",
    ClientName => "client_name",
    RegistrationAccessToken => "registration_access_token",
    RegistrationClientUri => "registration_client_uri",
    Error => "error",
    ErrorDescription => "error_description",
}

/// A map key: one of [`Member`], or something to skip.
struct Key(Option<Member>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(Member::from_name(v)))
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Wire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct WireVisitor;
        impl<'de> Visitor<'de> for WireVisitor {
            type Value = Wire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Wire, A::Error> {
                let mut wire = Wire::default();
                while let Some(Key(member)) = map.next_key::<Key>()? {
                    let Some(member) = member else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    let value = map.next_value::<Raw>()?;
                    let slot = wire.slot(member);
                    if slot.is_some() {
                        wire.duplicate.get_or_insert(member.name());
                    } else {
                        *slot = Some(value);
                    }
                }
                Ok(wire)
            }
        }
        d.deserialize_map(WireVisitor)
    }
}

/// Why a body is not a JSON object.
enum NotObject {
    InvalidJson,
    OtherJson,
}

fn parse_wire(body: &[u8]) -> Result<Wire, NotObject> {
    serde_json::from_slice::<Wire>(body).map_err(|e| {
        // `Data` means well-formed JSON of the wrong shape (only "not an object" here). The serde
        // message may quote the body, so it is dropped.
        if e.is_data() {
            NotObject::OtherJson
        } else {
            NotObject::InvalidJson
        }
    })
}

/// Take a string member; `None` for absent or null; a warning for other types.
fn take_string(
    slot: Option<Raw>,
    member: Member,
    warnings: &mut Vec<RegistrationWarning>,
) -> Option<String> {
    match slot? {
        Raw::Null => None,
        Raw::Str(s) => Some(s.take()),
        _ => {
            warnings.push(RegistrationWarning::IgnoredMember {
                member: member.name(),
            });
            None
        }
    }
}

/// Take an array of strings. A lone string is accepted as a one-element list (IBM Security
/// Verify returns `redirect_uris` that way) and reported with `as_string`.
fn take_strings(
    slot: Option<Raw>,
    member: Member,
    as_string: Option<RegistrationWarning>,
    warnings: &mut Vec<RegistrationWarning>,
) -> Option<Vec<String>> {
    let ignored = RegistrationWarning::IgnoredMember {
        member: member.name(),
    };
    match slot? {
        Raw::Null => None,
        Raw::Str(s) => {
            warnings.push(as_string.unwrap_or(ignored));
            Some(alloc::vec![s.take()])
        }
        Raw::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Raw::Str(s) => out.push(s.take()),
                    _ => {
                        warnings.push(ignored);
                        return None;
                    }
                }
            }
            Some(out)
        }
        _ => {
            warnings.push(ignored);
            None
        }
    }
}

/// Take a NumericDate (seconds since the epoch, RFC 7591 §3.2.1). A string of digits is
/// tolerated.
fn take_seconds(
    slot: Option<Raw>,
    member: Member,
    warnings: &mut Vec<RegistrationWarning>,
) -> Option<u64> {
    let value = match slot? {
        Raw::Null => return None,
        Raw::UInt(n) => Some(n),
        Raw::Str(s) if !s.as_str().is_empty() && s.as_str().bytes().all(|b| b.is_ascii_digit()) => {
            s.as_str().parse().ok()
        }
        _ => None,
    };
    if value.is_none() {
        warnings.push(RegistrationWarning::IgnoredMember {
            member: member.name(),
        });
    }
    value
}

/// An RFC 7591 §3.2.2 error object, if the wire holds one.
fn rejection(wire: &mut Wire, status: u16) -> Option<RegistrationError> {
    let Some(Raw::Str(code)) = wire.Error.take() else {
        return None;
    };
    let code = RegistrationErrorCode::from_wire(code.as_str())?;
    let description = match wire.ErrorDescription.take() {
        Some(Raw::Str(d)) => Some(capped(d.as_str(), MAX_DESCRIPTION)),
        _ => None,
    };
    Some(RegistrationError::Rejected {
        status,
        code,
        description,
    })
}

fn parse_response(
    requested: &ClientMetadata,
    response: &HttpResponse,
) -> Result<RegisteredClient, RegistrationError> {
    let status = response.status;
    let success = matches!(status, 200 | 201);
    let mut wire = match parse_wire(&response.body) {
        Ok(w) => w,
        Err(NotObject::InvalidJson) if success => return Err(RegistrationError::InvalidJson),
        Err(NotObject::OtherJson) if success => return Err(RegistrationError::NotAnObject),
        _ => return Err(RegistrationError::UnexpectedStatus { status }),
    };
    if !success {
        return Err(
            rejection(&mut wire, status).unwrap_or(RegistrationError::UnexpectedStatus { status })
        );
    }
    if let Some(member) = wire.duplicate {
        return Err(RegistrationError::DuplicateMember { member });
    }
    // A 200 carrying an error object and no client_id (the GitHub token-endpoint habit).
    if wire.ClientId.is_none()
        && let Some(rejected) = rejection(&mut wire, status)
    {
        return Err(rejected);
    }

    let mut warnings = Vec::new();
    if status == 200 {
        warnings.push(RegistrationWarning::OkInsteadOfCreated);
    }
    if !response.is_json() {
        warnings.push(RegistrationWarning::NotJsonContentType);
    }

    let client_id = match wire.ClientId.take() {
        None | Some(Raw::Null) => return Err(RegistrationError::MissingClientId),
        Some(Raw::Str(s)) if s.as_str().is_empty() => {
            return Err(RegistrationError::MissingClientId);
        }
        Some(Raw::Str(s)) if s.as_str().bytes().all(|b| matches!(b, 0x20..=0x7E)) => s.take(),
        Some(_) => return Err(RegistrationError::InvalidClientId),
    };

    let client_secret = take_string(
        wire.ClientSecret.take(),
        Member::ClientSecret,
        &mut warnings,
    )
    .filter(|s| !s.is_empty())
    .map(ClientSecret::new);
    let client_id_issued_at = take_seconds(
        wire.ClientIdIssuedAt.take(),
        Member::ClientIdIssuedAt,
        &mut warnings,
    )
    .map(Timestamp::from_unix_seconds);
    let client_secret_expires_at = take_seconds(
        wire.ClientSecretExpiresAt.take(),
        Member::ClientSecretExpiresAt,
        &mut warnings,
    )
    .map(|s| {
        if s == 0 {
            SecretExpiry::Never
        } else {
            SecretExpiry::At(Timestamp::from_unix_seconds(s))
        }
    });
    if client_secret.is_some() && client_secret_expires_at.is_none() {
        warnings.push(RegistrationWarning::SecretExpiryMissing);
    }

    let returned_method = take_string(
        wire.TokenEndpointAuthMethod.take(),
        Member::TokenEndpointAuthMethod,
        &mut warnings,
    )
    .filter(|m| !m.is_empty())
    .map(|m| TokenEndpointAuthMethod::from_wire(&m));
    let token_endpoint_auth_method = match returned_method {
        Some(m) => {
            if m != requested.auth_method {
                warnings.push(RegistrationWarning::AuthMethodChanged {
                    requested: requested.auth_method.clone(),
                });
            }
            m
        }
        None => {
            let assumed = if client_secret.is_some() && !requested.auth_method.uses_client_secret()
            {
                TokenEndpointAuthMethod::ClientSecretBasic
            } else {
                requested.auth_method.clone()
            };
            warnings.push(RegistrationWarning::AuthMethodNotReturned {
                assumed: assumed.clone(),
            });
            assumed
        }
    };
    if client_secret.is_some() && !token_endpoint_auth_method.uses_client_secret() {
        warnings.push(RegistrationWarning::SecretWithoutSecretMethod);
    }
    if client_secret.is_none() && token_endpoint_auth_method.uses_client_secret() {
        return Err(RegistrationError::SecretMissing {
            method: token_endpoint_auth_method,
        });
    }

    let redirect_uris = match take_strings(
        wire.RedirectUris.take(),
        Member::RedirectUris,
        Some(RegistrationWarning::RedirectUrisAsString),
        &mut warnings,
    ) {
        Some(uris) => {
            if uris != requested.redirect_uris {
                warnings.push(RegistrationWarning::RedirectUrisChanged);
            }
            uris
        }
        None => {
            warnings.push(RegistrationWarning::RedirectUrisNotReturned);
            requested.redirect_uris.clone()
        }
    };
    let grant_types = take_strings(
        wire.GrantTypes.take(),
        Member::GrantTypes,
        None,
        &mut warnings,
    )
    .unwrap_or_else(|| {
        warnings.push(RegistrationWarning::GrantTypesNotReturned);
        requested
            .grant_types()
            .iter()
            .map(|g| String::from(*g))
            .collect()
    });
    if requested.refresh_tokens && !grant_types.iter().any(|g| g == "refresh_token") {
        warnings.push(RegistrationWarning::RefreshTokenGrantMissing);
    }

    let scope =
        take_string(wire.Scope.take(), Member::Scope, &mut warnings).map(|s| Scopes::parse(&s));
    let client_name = take_string(wire.ClientName.take(), Member::ClientName, &mut warnings);
    let registration_access_token = take_string(
        wire.RegistrationAccessToken.take(),
        Member::RegistrationAccessToken,
        &mut warnings,
    )
    .filter(|t| !t.is_empty())
    .map(RegistrationAccessToken::new);
    let registration_client_uri = take_string(
        wire.RegistrationClientUri.take(),
        Member::RegistrationClientUri,
        &mut warnings,
    );

    Ok(RegisteredClient {
        client_id,
        client_secret,
        client_id_issued_at,
        client_secret_expires_at,
        token_endpoint_auth_method,
        redirect_uris,
        grant_types,
        scope,
        client_name,
        registration_access_token,
        registration_client_uri,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    fn metadata() -> ClientMetadata {
        ClientMetadata::new("Test Client")
            .with_redirect_uri("http://127.0.0.1:3000/callback")
            .with_refresh_tokens()
    }

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            vec![("content-type".to_string(), b"application/json".to_vec())],
            body.as_bytes().to_vec(),
        )
    }

    #[test]
    fn request_shape_r15_r16_r17_r18() {
        let req = metadata()
            .registration_request("https://as.example.com/register", None)
            .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, "https://as.example.com/register");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("accept"), Some("application/json"));
        assert_eq!(req.header("authorization"), None);
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "client_name": "Test Client",
                "redirect_uris": ["http://127.0.0.1:3000/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
                "application_type": "native",
            })
        );
    }

    #[test]
    fn initial_access_token_is_sensitive_r25() {
        let iat = InitialAccessToken::new("iat-SECRET".into());
        let req = metadata()
            .registration_request("https://as.example.com/register", Some(&iat))
            .unwrap();
        assert_eq!(req.header("authorization"), Some("Bearer iat-SECRET"));
        assert!(!format!("{req:?}").contains("iat-SECRET"));
    }

    #[test]
    fn endpoint_and_metadata_checked_c1() {
        assert!(matches!(
            metadata().registration_request("http://as.example.com/register", None),
            Err(RegistrationRequestError::Endpoint(UrlError::InsecureScheme))
        ));
        let bad = ClientMetadata::new("x").with_redirect_uri("http://example.com/cb");
        assert_eq!(
            bad.registration_request("https://as.example.com/register", None),
            Err(RegistrationRequestError::Metadata(
                MetadataError::InvalidRedirectUri {
                    index: 0,
                    reason: super::super::RedirectUriError::InsecureHttp
                }
            ))
        );
        assert_eq!(
            ClientMetadata::new("x").registration_body(),
            Err(MetadataError::NoRedirectUris)
        );
    }

    #[test]
    fn created_and_ok_r21() {
        let body = r#"{"client_id":"c1","token_endpoint_auth_method":"none",
            "redirect_uris":["http://127.0.0.1:3000/callback"],
            "grant_types":["authorization_code","refresh_token"]}"#;
        let ok = metadata()
            .parse_registration_response(&resp(201, body))
            .unwrap();
        assert!(ok.warnings().is_empty(), "{:?}", ok.warnings());
        let ok = metadata()
            .parse_registration_response(&resp(200, body))
            .unwrap();
        assert_eq!(ok.warnings(), [RegistrationWarning::OkInsteadOfCreated]);
        for status in [202, 204, 302, 500] {
            assert_eq!(
                metadata().parse_registration_response(&resp(status, body)),
                Err(RegistrationError::UnexpectedStatus { status })
            );
        }
    }

    #[test]
    fn client_id_required_r21() {
        for body in [r#"{}"#, r#"{"client_id":""}"#, r#"{"client_id":null}"#] {
            assert_eq!(
                metadata().parse_registration_response(&resp(201, body)),
                Err(RegistrationError::MissingClientId),
                "{body}"
            );
        }
        assert_eq!(
            metadata().parse_registration_response(&resp(201, r#"{"client_id":5}"#)),
            Err(RegistrationError::InvalidClientId)
        );
    }

    #[test]
    fn server_method_wins_r20() {
        let body = r#"{"client_id":"c","client_secret":"s3cr3t","client_secret_expires_at":0,
            "token_endpoint_auth_method":"client_secret_post"}"#;
        let c = metadata()
            .parse_registration_response(&resp(201, body))
            .unwrap();
        assert_eq!(
            c.token_endpoint_auth_method(),
            &TokenEndpointAuthMethod::ClientSecretPost
        );
        assert_eq!(c.client_secret().map(ClientSecret::secret), Some("s3cr3t"));
        assert!(
            c.warnings()
                .contains(&RegistrationWarning::AuthMethodChanged {
                    requested: TokenEndpointAuthMethod::None
                })
        );
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    // covers: R-20
    #[test]
    fn secret_method_without_secret_is_unusable() {
        let body = r#"{"client_id":"c","token_endpoint_auth_method":"client_secret_basic"}"#;
        assert_eq!(
            metadata().parse_registration_response(&resp(201, body)),
            Err(RegistrationError::SecretMissing {
                method: TokenEndpointAuthMethod::ClientSecretBasic
            })
        );
    }

    #[test]
    fn secret_expiry_r22() {
        let body = r#"{"client_id":"c","client_secret":"s","client_secret_expires_at":1000,
            "token_endpoint_auth_method":"client_secret_basic"}"#;
        let c = metadata()
            .parse_registration_response(&resp(201, body))
            .unwrap();
        assert_eq!(
            c.client_secret_expires_at(),
            Some(SecretExpiry::At(Timestamp::from_unix_seconds(1000)))
        );
        assert!(!c.secret_expired(Timestamp::from_unix_seconds(999)));
        assert!(c.secret_expired(Timestamp::from_unix_seconds(1000)));
        let never = r#"{"client_id":"c","client_secret":"s","client_secret_expires_at":0,
            "token_endpoint_auth_method":"client_secret_basic"}"#;
        let c = metadata()
            .parse_registration_response(&resp(201, never))
            .unwrap();
        assert!(!c.secret_expired(Timestamp::from_unix_millis(u64::MAX)));
    }

    #[test]
    fn rejected_r19() {
        let body = r#"{"error":"invalid_redirect_uri","error_description":"No\u0007 \u202eway"}"#;
        assert_eq!(
            metadata().parse_registration_response(&resp(400, body)),
            Err(RegistrationError::Rejected {
                status: 400,
                code: RegistrationErrorCode::InvalidRedirectUri,
                description: Some("No\u{FFFD} way".into()),
            })
        );
        let odd = r#"{"error":"bad\"code"}"#;
        assert_eq!(
            metadata().parse_registration_response(&resp(400, odd)),
            Err(RegistrationError::UnexpectedStatus { status: 400 })
        );
        let html = resp(400, "<html>client_secret=LEAK</html>");
        let err = metadata().parse_registration_response(&html).unwrap_err();
        assert_eq!(err, RegistrationError::UnexpectedStatus { status: 400 });
        let ok_status_error = r#"{"error":"invalid_client_metadata"}"#;
        assert!(matches!(
            metadata().parse_registration_response(&resp(200, ok_status_error)),
            Err(RegistrationError::Rejected { status: 200, .. })
        ));
    }

    // covers: R-19, R-21
    #[test]
    fn bodies_never_leak() {
        let bad = resp(201, r#"{"client_secret":"LEAK", "client_id": "#);
        let err = metadata().parse_registration_response(&bad).unwrap_err();
        assert_eq!(err, RegistrationError::InvalidJson);
        let arr = resp(201, r#"["LEAK"]"#);
        assert_eq!(
            metadata().parse_registration_response(&arr),
            Err(RegistrationError::NotAnObject)
        );
        let dup = resp(201, r#"{"client_id":"a","client_id":"b"}"#);
        assert_eq!(
            metadata().parse_registration_response(&dup),
            Err(RegistrationError::DuplicateMember {
                member: "client_id"
            })
        );
    }

    // covers: R-20, R-21
    #[test]
    fn tolerant_members() {
        let body = r#"{"client_id":"c","redirect_uris":"http://127.0.0.1:3000/callback",
            "client_id_issued_at":"1522139359","grant_types":[1],"scope":7,
            "token_endpoint_auth_method":"none","unknown":{"deep":[1,2,{}]}}"#;
        let c = metadata()
            .parse_registration_response(&resp(201, body))
            .unwrap();
        assert_eq!(c.redirect_uris(), ["http://127.0.0.1:3000/callback"]);
        assert_eq!(
            c.client_id_issued_at(),
            Some(Timestamp::from_unix_seconds(1_522_139_359))
        );
        assert_eq!(
            c.warnings(),
            [
                RegistrationWarning::RedirectUrisAsString,
                RegistrationWarning::IgnoredMember {
                    member: "grant_types"
                },
                RegistrationWarning::GrantTypesNotReturned,
                RegistrationWarning::IgnoredMember { member: "scope" },
            ]
        );
        // grant_types unusable → the requested ones.
        assert!(c.allows_refresh_tokens());
    }

    // covers: R-20
    #[test]
    fn registration_access_token_redacted() {
        let body = r#"{"client_id":"c","registration_access_token":"RAT-SECRET",
            "registration_client_uri":"/register/c","token_endpoint_auth_method":"none"}"#;
        let c = metadata()
            .parse_registration_response(&resp(201, body))
            .unwrap();
        assert_eq!(c.registration_client_uri(), Some("/register/c"));
        assert_eq!(
            c.registration_access_token()
                .map(RegistrationAccessToken::secret),
            Some("RAT-SECRET")
        );
        assert!(!format!("{c:?}").contains("RAT-SECRET"));
    }
}
