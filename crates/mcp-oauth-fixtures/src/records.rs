//! Public snapshots the tests assert on: counters, recorded requests, registered clients and
//! authorization requests.

use std::collections::BTreeMap;

use crate::config::{AuthMethod, RouteKind};

/// Request counters, per route kind. Taken with [`Fixtures::stats`](crate::Fixtures::stats).
///
/// Every request is counted, including those answered by an injected fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Protected Resource Metadata fetches (either location).
    pub prm: u64,
    /// AS metadata fetches (RFC 8414 or OIDC location).
    pub as_metadata: u64,
    /// Dynamic client registrations attempted.
    pub register: u64,
    /// Authorization requests.
    pub authorize: u64,
    /// Multi-hop `/login` requests.
    pub login: u64,
    /// Multi-hop `/consent` requests.
    pub consent: u64,
    /// Token requests with `grant_type=authorization_code`.
    pub token_authorization_code: u64,
    /// Token requests with `grant_type=refresh_token`.
    pub token_refresh_token: u64,
    /// Token requests with `grant_type=client_credentials`.
    pub token_client_credentials: u64,
    /// Token requests with another or no grant type.
    pub token_other: u64,
    /// Successful token responses (200), any grant.
    pub tokens_issued: u64,
    /// MCP endpoint requests by response status.
    pub mcp_by_status: BTreeMap<u16, u64>,
    /// Requests that reached the decoy origin (a client followed a cross-origin redirect).
    pub decoy: u64,
    /// Requests to unknown paths.
    pub not_found: u64,
    /// Responses replaced by an injected fault (5xx, redirect, garbage, oversized).
    pub injected_faults: u64,
    /// Device authorization requests (RFC 8628).
    pub device_authorization: u64,
    /// Revocation requests (RFC 7009).
    pub revocation: u64,
    /// Tokens revoked by revocation requests.
    pub tokens_revoked: u64,
}

impl Stats {
    /// MCP requests answered with `status`.
    #[must_use]
    pub fn mcp(&self, status: u16) -> u64 {
        self.mcp_by_status.get(&status).copied().unwrap_or(0)
    }

    /// All MCP requests.
    #[must_use]
    pub fn mcp_total(&self) -> u64 {
        self.mcp_by_status.values().sum()
    }

    /// All token requests.
    #[must_use]
    pub fn token_total(&self) -> u64 {
        self.token_authorization_code
            .saturating_add(self.token_refresh_token)
            .saturating_add(self.token_client_credentials)
            .saturating_add(self.token_other)
    }

    pub(crate) fn count(&mut self, route: RouteKind, grant_type: Option<&str>) {
        let slot = match route {
            RouteKind::ProtectedResourceMetadata => &mut self.prm,
            RouteKind::AuthorizationServerMetadata => &mut self.as_metadata,
            RouteKind::Registration => &mut self.register,
            RouteKind::Authorization => &mut self.authorize,
            RouteKind::Login => &mut self.login,
            RouteKind::Consent => &mut self.consent,
            RouteKind::Token => match grant_type {
                Some("authorization_code") => &mut self.token_authorization_code,
                Some("refresh_token") => &mut self.token_refresh_token,
                Some("client_credentials") => &mut self.token_client_credentials,
                _ => &mut self.token_other,
            },
            RouteKind::Decoy => &mut self.decoy,
            RouteKind::DeviceAuthorization => &mut self.device_authorization,
            RouteKind::Revocation => &mut self.revocation,
            RouteKind::Unknown => &mut self.not_found,
            // Counted by status once the response exists.
            RouteKind::Mcp => return,
        };
        *slot = slot.saturating_add(1);
    }

    pub(crate) fn count_mcp(&mut self, status: u16) {
        let slot = self.mcp_by_status.entry(status).or_insert(0);
        *slot = slot.saturating_add(1);
    }
}

/// One request as the fixtures received it (the last 512 are kept, oldest first).
///
/// Bodies and headers are kept verbatim, test secrets included: they exist so tests can
/// check what a client sent (e.g. no `Authorization` header on metadata fetches).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The route kind it was routed to.
    pub route: RouteKind,
    /// The method, e.g. `POST`.
    pub method: String,
    /// Path and query as sent.
    pub path_and_query: String,
    /// Header fields in arrival order (names lowercase; non-UTF-8 values lossily decoded).
    pub headers: Vec<(String, String)>,
    /// The body (empty if it exceeded the size limit).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded form (or query) parameters of the body.
    #[must_use]
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// The single form parameter `name` of the body, if present.
    #[must_use]
    pub fn form_param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// A client as the AS knows it (registered dynamically or pre-registered).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisteredClient {
    /// The assigned `client_id`.
    pub client_id: String,
    /// The token-endpoint authentication method.
    pub auth_method: AuthMethod,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Registered grant types.
    pub grant_types: Vec<String>,
    /// `application_type` as sent in the registration (RFC 7591 / OIDC Registration), if any.
    pub application_type: Option<String>,
    /// `client_name`, if any.
    pub client_name: Option<String>,
    /// Whether it came from dynamic registration.
    pub dynamic: bool,
}

/// An accepted authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationRecord {
    /// The client.
    pub client_id: String,
    /// The redirect URI it used.
    pub redirect_uri: String,
    /// The requested scope string, if any.
    pub scope: Option<String>,
    /// The RFC 8707 `resource`, if any.
    pub resource: Option<String>,
    /// The `state`, if any.
    pub state: Option<String>,
    /// The S256 `code_challenge`.
    pub code_challenge: String,
}
