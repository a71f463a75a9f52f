//! One harness per parser. Each takes the raw fuzz input as the thing a server (or browser) sent,
//! so the seed corpus files are used as they are, and runs every entry point and option over it.

use core::time::Duration;

use mcp_oauth_core::challenge::{self, ChallengeAction, OAuthChallenge, ParamValue};
use mcp_oauth_core::device;
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::metadata::resource::{self, ProtectedResourceMetadata, ResourceMatch};
use mcp_oauth_core::metadata::server::{
    self, AuthorizationServerMetadata, Endpoint, IssuerSource, LegacyBase, PkceRequirement,
};
use mcp_oauth_core::redirect::{self, AuthorizationResponse, ExpectedResponse};
use mcp_oauth_core::registration::cimd::{ClientIdMetadataDocument, ClientIdUrl};
use mcp_oauth_core::registration::{ClientMetadata, TokenEndpointAuthMethod};
use mcp_oauth_core::revocation;
use mcp_oauth_core::state::StateToken;
use mcp_oauth_core::token::{self, TokenResponseError};
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Entropy, Scopes, Timestamp};

use crate::secrets::{
    assert_debug_clean, assert_error_clean, assert_no_secret, mark, mark_secrets, unique_in,
};

/// The MCP server the harnesses pretend to talk to.
pub(crate) const RS: &str = "https://mcp.example.com/mcp";
/// Its authorization server.
pub(crate) const AS: &str = "https://auth.example.com";
/// The client's redirect URI.
pub(crate) const REDIRECT: &str = "http://127.0.0.1:8765/callback";
/// A fixed "now".
const T0: Timestamp = Timestamp::from_unix_seconds(1_700_000_000);
/// The client ID URL the CIMD document harness checks documents against.
const CIMD_URL: &str = "https://client.example.com/oauth/metadata.json";

fn policies() -> [UrlPolicy; 2] {
    [
        UrlPolicy::https_only(),
        UrlPolicy::https_only()
            .allow_loopback_http()
            .block_private_addresses(),
    ]
}

fn response(status: u16, content_type: Option<&str>, body: &[u8]) -> HttpResponse {
    let headers = content_type
        .map(|ct| vec![("content-type".to_owned(), ct.as_bytes().to_vec())])
        .unwrap_or_default();
    HttpResponse::new(status, headers, body.to_vec())
}

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate
// ---------------------------------------------------------------------------------------------

/// `WWW-Authenticate` parsing ([`challenge::parse_bytes`], [`challenge::parse_lines`],
/// [`OAuthChallenge`], [`challenge::classify`]) over the input as one field value and as one
/// field line per input line.
///
/// Asserts: iteration ends; every error position lies inside the input; for every parameter
/// value, [`ParamValue::chars`] and [`ParamValue::write_to`] equal `String::from_utf8_lossy` of
/// [`ParamValue::bytes`], `eq_str`/`eq_ignore_ascii_case` accept that string when it is valid
/// UTF-8, and [`ParamValue::to_scopes`] equals [`Scopes::parse`] of it.
pub fn challenge(data: &[u8]) {
    walk_challenges(challenge::parse_bytes(data), data.len());
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    walk_challenges(challenge::parse_lines(&lines), data.len());

    let oauth = challenge::parse_bytes(data).oauth();
    let _ = format!("{oauth:?}");
    for status in [400, 401, 403, 200] {
        let action = challenge::classify(status, &oauth);
        match status {
            401 => assert_eq!(action, ChallengeAction::Authenticate),
            403 => assert!(matches!(
                action,
                ChallengeAction::StepUp | ChallengeAction::Forbidden
            )),
            _ => {}
        }
    }
    for field in [
        oauth.resource_metadata(),
        oauth.scope(),
        oauth.error(),
        oauth.error_description(),
        oauth.error_uri(),
        oauth.realm(),
    ] {
        assert_eq!(field.values().count(), field.count());
        for v in field.values() {
            check_value(v);
        }
    }
    if let Some(e) = oauth.first_error() {
        let _ = e.to_string();
    }
    let _ = oauth.resource_metadata_scheme();
    let response = HttpResponse::new(
        401,
        vec![("WWW-Authenticate".to_owned(), data.to_vec())],
        Vec::new(),
    );
    assert_eq!(
        challenge::classify_response(&response),
        ChallengeAction::Authenticate
    );
    let from_response = OAuthChallenge::from_response(&response);
    assert_eq!(from_response.challenge_count(), oauth.challenge_count());
}

fn walk_challenges(challenges: challenge::Challenges<'_>, input_len: usize) {
    // Every item consumes input; a generous bound catches a parser that stops making progress.
    let limit = input_len.saturating_mul(4).saturating_add(16);
    let mut items = 0usize;
    for item in challenges {
        items += 1;
        assert!(items <= limit, "challenge iterator does not terminate");
        match item {
            Ok(c) => {
                let _ = (c.scheme(), c.token68(), format!("{c:?}"));
                for p in c.params() {
                    let _ = c.param(p.name()).count();
                    assert!(p.is(p.name()));
                    check_value(p.value());
                }
            }
            Err(e) => {
                let _ = e.to_string();
                // `offset` counts bytes into the line; lines are shorter than the whole input.
                assert!(e.position().offset() <= input_len, "{e:?}");
            }
        }
    }
}

fn check_value(v: ParamValue<'_>) {
    let bytes = v.to_vec();
    assert_eq!(bytes, v.bytes().collect::<Vec<u8>>());
    let lossy = String::from_utf8_lossy(&bytes);
    let chars: String = v.chars().collect();
    assert_eq!(chars, lossy, "chars() disagrees with from_utf8_lossy");
    let mut written = String::new();
    v.write_to(&mut written)
        .expect("writing to a String cannot fail");
    assert_eq!(written, lossy);
    assert_eq!(v.to_string(), lossy);
    if let Some(s) = v.as_str() {
        assert_eq!(s, lossy);
    }
    if core::str::from_utf8(&bytes).is_ok() {
        assert!(v.eq_str(&lossy));
        assert!(v.eq_ignore_ascii_case(&lossy.to_ascii_uppercase()));
        assert_eq!(
            v.to_scopes(),
            Scopes::parse(&lossy),
            "scope tokens of {lossy:?}"
        );
    }
    let _ = (v.scope_tokens().count(), format!("{v:?}"));
}

// ---------------------------------------------------------------------------------------------
// Protected Resource Metadata
// ---------------------------------------------------------------------------------------------

/// Protected Resource Metadata ([`ProtectedResourceMetadata::from_response`] / `from_json`, then
/// `validate` under every [`ResourceMatch`] relaxation and two URL policies), plus
/// [`resource::well_known_urls`] of the document's `resource` and of the input itself.
///
/// Asserts: a document always validates against its own `resource` as far as the resource match
/// goes (any error is about the authorization servers); a validated document has at least one
/// authorization server.
pub fn prm(data: &[u8]) {
    for ct in [Some("application/json"), Some("text/html"), None] {
        let _ = format!(
            "{:?}",
            ProtectedResourceMetadata::from_response(&response(200, ct, data))
        );
    }
    let _ =
        ProtectedResourceMetadata::from_response(&response(404, Some("application/json"), data));
    let _ = resource::well_known_urls(&String::from_utf8_lossy(data));

    let doc = match ProtectedResourceMetadata::from_json(data) {
        Ok(doc) => doc,
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            return;
        }
    };
    let _ = (
        doc.jwks_uri(),
        doc.scopes_supported(),
        doc.bearer_methods_supported(),
        doc.resource_name(),
        doc.warnings(),
        doc.dpop_bound_access_tokens_required(),
    );
    if let Ok(urls) = resource::well_known_urls(doc.resource()) {
        assert!(!urls.is_empty());
        assert_eq!(urls.iter().count(), urls.len());
        let _ = urls.first();
    }
    let own = doc.resource().to_owned();
    let matchings = [
        ResourceMatch::exact(),
        ResourceMatch::exact().allow_trailing_slash(),
        ResourceMatch::exact().allow_origin(),
        ResourceMatch::exact().allow_path_prefix(),
    ];
    for policy in &policies() {
        for expected in [own.as_str(), RS] {
            for matching in matchings {
                assert!(matching.matches(&own, &own) || own != expected);
                match doc.clone().validate(expected, matching, policy) {
                    Ok(v) => {
                        assert!(!v.authorization_servers().is_empty());
                        assert!(matching.matches(expected, v.resource()));
                        let _ = (v.document(), v.warnings());
                    }
                    Err(e) => {
                        let _ = (e.to_string(), format!("{e:?}"));
                        if expected == own {
                            assert!(
                                !matches!(
                                    e,
                                    resource::ResourceMetadataError::ResourceMismatch { .. }
                                ),
                                "own resource refused: {e:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization server metadata
// ---------------------------------------------------------------------------------------------

/// Authorization server metadata ([`AuthorizationServerMetadata::from_response`] / `from_json`,
/// `validate_issuer`, `code_flow`, every endpoint) plus [`server::discovery_urls`] of the
/// issuer and of the input, and [`LegacyBase`] of the input.
///
/// Asserts: a document's own issuer passes `validate_issuer` as listed and as synthesized;
/// `code_flow` endpoints equal (as URLs) the document's members.
pub fn as_metadata(data: &[u8]) {
    for ct in [Some("application/json"), None] {
        let _ = format!(
            "{:?}",
            AuthorizationServerMetadata::from_response(&response(200, ct, data))
        );
    }
    let text = String::from_utf8_lossy(data);
    let _ = server::discovery_urls(&text);
    if let Ok(base) = LegacyBase::from_mcp_url(&text) {
        let _ = (base.as_str(), base.metadata_url());
        let m = base.default_metadata();
        assert!(
            m.validate_issuer(m.issuer(), IssuerSource::Synthesized)
                .is_ok()
        );
    }

    let m = match AuthorizationServerMetadata::from_json(data) {
        Ok(m) => m,
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            return;
        }
    };
    assert!(m.validate_issuer(m.issuer(), IssuerSource::Listed).is_ok());
    assert!(
        m.validate_issuer(m.issuer(), IssuerSource::Synthesized)
            .is_ok()
    );
    if let Err(e) = m.validate_issuer(AS, IssuerSource::Listed) {
        let _ = e.to_string();
    }
    if let Ok(urls) = server::discovery_urls(m.issuer()) {
        assert!(!urls.is_empty());
        for u in urls.iter() {
            let _ = u.url();
        }
    }
    for policy in &policies() {
        for pkce in [PkceRequirement::S256, PkceRequirement::S256OrPlain] {
            match m.code_flow(policy, pkce) {
                Ok(flow) => {
                    let auth = m.authorization_endpoint().expect("code_flow found it");
                    let token = m.token_endpoint().expect("code_flow found it");
                    assert_eq!(
                        Some(flow.authorization_endpoint()),
                        url::Url::parse(auth).ok().as_ref()
                    );
                    assert_eq!(
                        Some(flow.token_endpoint()),
                        url::Url::parse(token).ok().as_ref()
                    );
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
        let _ = m.check_endpoints(policy);
        for which in [
            Endpoint::Authorization,
            Endpoint::Token,
            Endpoint::Registration,
            Endpoint::Jwks,
            Endpoint::Revocation,
            Endpoint::Introspection,
            Endpoint::DeviceAuthorization,
            Endpoint::Userinfo,
        ] {
            if let Ok(Some(u)) = m.checked_endpoint(which, policy) {
                assert!(m.endpoint(which).is_some());
                let _ = u.as_str();
            }
        }
    }
    let _ = (
        m.registration_endpoint(),
        m.scopes_supported(),
        m.code_challenge_methods_supported(),
        m.token_endpoint_auth_methods_supported(),
        m.client_id_metadata_document_supported(),
        m.authorization_response_iss_parameter_supported(),
        m.warnings(),
    );
}

// ---------------------------------------------------------------------------------------------
// Dynamic client registration response
// ---------------------------------------------------------------------------------------------

/// RFC 7591 registration responses ([`ClientMetadata::parse_registration_response`]) for a
/// public and a confidential request, several statuses and content types.
///
/// Asserts: a `client_secret` or `registration_access_token` in the input (replaced by a marker,
/// see [`mark_secrets`]) never appears in the `Debug` of the result or the `Debug`/`Display` of
/// the error.
pub fn registration_response(data: &[u8]) {
    let (marked, secrets) = mark_secrets(data, false);
    let data = marked.as_slice();
    let requests = [
        ClientMetadata::new("Fuzz").with_redirect_uri(REDIRECT),
        ClientMetadata::new("Fuzz")
            .with_redirect_uri(REDIRECT)
            .with_refresh_tokens()
            .with_token_endpoint_auth_method(TokenEndpointAuthMethod::ClientSecretBasic),
    ];
    for md in &requests {
        for status in [201, 200, 400] {
            for ct in [Some("application/json"), None] {
                match md.parse_registration_response(&response(status, ct, data)) {
                    Ok(c) => {
                        assert_debug_clean("RegisteredClient", &c, &secrets);
                        assert!(!c.client_id().is_empty());
                        let _ = (
                            c.client_secret().map(|s| s.secret().len()),
                            c.secret_expired(T0),
                            c.check_redirect_uri(REDIRECT),
                            c.allows_refresh_tokens(),
                            c.token_endpoint_auth_method(),
                            c.registration_client_uri(),
                            c.warnings(),
                        );
                    }
                    Err(e) => assert_error_clean("RegistrationError", &e, &secrets),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Token response
// ---------------------------------------------------------------------------------------------

/// Token endpoint responses ([`token::parse_token_response`], [`token::parse_refresh_response`])
/// as JSON, as a form body and without a content type, with statuses 200, 400 and 401, at a
/// normal time and at the end of time.
///
/// Asserts: no token from the input (replaced by a marker, see [`mark_secrets`]) appears in the
/// `Debug` of a [`token::TokenSet`] or the
/// `Debug`/`Display` of a [`TokenResponseError`]; `expires_at` is never before `now`; a refresh
/// response without a refresh token keeps the previous one.
pub fn token_response(data: &[u8]) {
    let requested = Scopes::parse("mcp:read mcp:write");
    let json = mark_secrets(data, false);
    let form = mark_secrets(data, true);
    for status in [200, 400, 401] {
        for ct in [
            Some("application/json"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            // The parser reads the body as a form only with the form content type.
            let (data, secrets) = if ct == Some("application/x-www-form-urlencoded") {
                (&form.0, &form.1)
            } else {
                (&json.0, &json.1)
            };
            for now in [T0, Timestamp::from_unix_millis(u64::MAX)] {
                let r = response(status, ct, data);
                match token::parse_token_response(&r, now, &requested) {
                    Ok(set) => {
                        assert_debug_clean("TokenSet", &set, secrets);
                        assert!(!set.access_token().secret().is_empty());
                        if let Some(at) = set.expires_at() {
                            assert!(at >= now, "expires_at {at:?} before now {now:?}");
                        }
                        let _ = set.expires_within(now, Duration::MAX);
                        let next = token::parse_refresh_response(&r, now, &set, None)
                            .expect("the same response parses again");
                        assert_eq!(next.refresh_token(), set.refresh_token());
                        assert_debug_clean("TokenSet", &next, secrets);
                    }
                    Err(e) => {
                        assert_error_clean("TokenResponseError", &e, secrets);
                        if let TokenResponseError::Server(s) = &e {
                            let _ = (s.status(), s.code().as_str(), s.description(), s.uri());
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Redirect
// ---------------------------------------------------------------------------------------------

/// The redirect back from the browser ([`AuthorizationResponse::parse`], `verify` against three
/// expectations, [`redirect::check_redirect_uri`]). The text `{state}` in the input is replaced by
/// the expected `state`, so seeds (and mutations of them) get past the state check.
///
/// Asserts: the `code` (replaced by a marker, see [`mark`]) never appears in any `Debug` or
/// error text; a verified code decodes to
/// what `decoded_eq` accepts.
pub fn redirect(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let state = StateToken::from_entropy(Entropy::new([9; 32]));
    let input = text.replace("{state}", state.as_str());
    if let Err(e) = redirect::check_redirect_uri(&input) {
        let _ = e.to_string();
    }
    let query = input.split_once('?').map_or(input.as_str(), |(_, q)| q);
    let codes: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .filter(|v| unique_in(input.as_bytes(), v))
        .collect();
    let (marked, secrets) = mark(input.as_bytes(), &codes);
    let input = String::from_utf8(marked).expect("an ASCII marker replaced ASCII text");

    let response = match AuthorizationResponse::parse(&input) {
        Ok(r) => r,
        Err(e) => return assert_error_clean("RedirectError", &e, &secrets),
    };
    assert_debug_clean("AuthorizationResponse", &response, &secrets);
    for (issuer, iss_supported) in [(Some(AS), true), (Some(AS), false), (None, false)] {
        let expected = ExpectedResponse::new(&state, issuer, iss_supported);
        match response.verify(&expected) {
            Ok(verified) => {
                assert_debug_clean("VerifiedCode", &verified, &secrets);
                let code = response
                    .into_code(&expected)
                    .expect("verified once, verifies again");
                assert_debug_clean("AuthorizationCode", &code, &secrets);
                assert!(verified.decoded_eq(code.secret()));
            }
            Err(e) => assert_error_clean("RedirectError", &e, &secrets),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client ID Metadata Documents
// ---------------------------------------------------------------------------------------------

/// Client ID URLs ([`ClientIdUrl::parse`]).
///
/// Asserts: an accepted URL is kept byte for byte; the document
/// [`ClientMetadata::client_id_metadata_document`] writes for it parses back with
/// [`ClientIdMetadataDocument::parse`] and [`ClientIdMetadataDocument::from_response`] and
/// names the same `client_id`.
pub fn cimd_url(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let id = match ClientIdUrl::parse(text) {
        Ok(id) => id,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(id.as_str(), text);
    let _ = (id.url(), id.warnings(), format!("{id:?}"));
    let request = id.self_check_request();
    assert_eq!(request.url, text);
    let md = ClientMetadata::new("Fuzz").with_redirect_uri(REDIRECT);
    let doc = md
        .client_id_metadata_document(&id)
        .expect("valid metadata with a valid client ID URL makes a document");
    let parsed = ClientIdMetadataDocument::parse(&id, doc.as_bytes())
        .unwrap_or_else(|e| panic!("our own document is refused ({e}): {doc}"));
    assert_eq!(parsed.client_id(), text);
    let fetched = ClientIdMetadataDocument::from_response(
        &id,
        &response(200, Some("application/json"), doc.as_bytes()),
    )
    .expect("our own document, fetched");
    assert_eq!(fetched, parsed);
}

/// Client ID Metadata Documents ([`ClientIdMetadataDocument::parse`] / `from_response`),
/// checked against a fixed client ID URL and against the document's own `client_id` when that
/// is a valid client ID URL.
///
/// Asserts: no `client_secret` in the input appears in an error or result.
pub fn cimd_document(data: &[u8]) {
    let (marked, secrets) = mark_secrets(data, false);
    let data = marked.as_slice();
    let mut ids = vec![ClientIdUrl::parse(CIMD_URL).expect("a valid client ID URL")];
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(data)
        && let Some(serde_json::Value::String(own)) = map.get("client_id")
        && let Ok(id) = ClientIdUrl::parse(own)
    {
        ids.push(id);
    }
    for id in &ids {
        for status in [200, 302] {
            for ct in [Some("application/json"), None] {
                let r = response(status, ct, data);
                match ClientIdMetadataDocument::from_response(id, &r) {
                    Ok(doc) => assert_debug_clean("ClientIdMetadataDocument", &doc, &secrets),
                    Err(e) => assert_error_clean("cimd::DocumentError", &e, &secrets),
                }
            }
        }
        match ClientIdMetadataDocument::parse(id, data) {
            Ok(doc) => {
                assert_eq!(doc.client_id(), id.as_str());
                assert!(!doc.redirect_uris().is_empty());
                assert_no_secret("ClientIdMetadataDocument", &format!("{doc:?}"), &secrets);
                let _ = (
                    doc.client_name(),
                    doc.token_endpoint_auth_method(),
                    doc.grant_types(),
                    doc.application_type(),
                    doc.check_redirect_uri(REDIRECT),
                );
            }
            Err(e) => assert_error_clean("cimd::DocumentError", &e, &secrets),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Other authorization-server answers: device grant, revocation, token exchange
// ---------------------------------------------------------------------------------------------

/// The other answers of an authorization server's endpoints, each read from the input as JSON
/// and as a form body, with statuses 200, 400 and 503, at a normal time and at the end of time:
/// RFC 8628 device authorization ([`device::parse_device_authorization_response`]) and device
/// token polls ([`device::parse_device_token_response`]), RFC 7009 revocation
/// ([`revocation::parse_revocation_response`]) and RFC 8693 token exchange
/// ([`token::parse_token_exchange_response`], with and without an expected token type).
///
/// Asserts: no secret from the input (replaced by a marker, see [`mark_secrets`]; the device
/// code included) appears in any `Debug` of a result or `Debug`/`Display` of an error; a device
/// code expires no earlier than `now` and its polling interval is between 1 s and an hour;
/// revocation succeeds exactly on 200.
pub fn grant_responses(data: &[u8]) {
    let requested = Scopes::parse("mcp:read");
    let json = mark_secrets(data, false);
    let form = mark_secrets(data, true);
    for status in [200, 400, 503] {
        for ct in [
            Some("application/json"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let (data, secrets) = if ct == Some("application/x-www-form-urlencoded") {
                (&form.0, &form.1)
            } else {
                (&json.0, &json.1)
            };
            let r = response(status, ct, data);
            for now in [T0, Timestamp::from_unix_millis(u64::MAX)] {
                for policy in policies() {
                    match device::parse_device_authorization_response(&r, now, policy) {
                        Ok(d) => {
                            assert_debug_clean("DeviceAuthorization", &d, secrets);
                            assert!(d.expires_at() >= now);
                            assert!(d.interval() >= Duration::from_secs(1));
                            assert!(d.interval() <= Duration::from_secs(3600));
                            let _ = (d.user_code(), d.verification_uri());
                            let _ = d.verification_uri_complete();
                        }
                        Err(e) => assert_error_clean("DeviceAuthorizationError", &e, secrets),
                    }
                }
                match device::parse_device_token_response(&r, now, &requested) {
                    Ok(set) => assert_debug_clean("TokenSet", &set, secrets),
                    Err(e) => assert_error_clean("DevicePollError", &e, secrets),
                }
                for expected in [None, Some(token::TOKEN_TYPE_ID_JAG)] {
                    match token::parse_token_exchange_response(&r, now, &requested, expected) {
                        Ok(issued) => {
                            assert_debug_clean("IssuedToken", &issued, secrets);
                            assert!(!issued.secret().is_empty());
                            if let Some(t) = expected {
                                assert_eq!(issued.issued_token_type(), t);
                            }
                        }
                        Err(e) => assert_error_clean("TokenExchangeError", &e, secrets),
                    }
                }
            }
            match revocation::parse_revocation_response(&r) {
                Ok(()) => assert_eq!(status, 200),
                Err(e) => {
                    assert_ne!(status, 200);
                    assert_error_clean("RevocationError", &e, secrets);
                }
            }
        }
    }
}
