//! The flow harness: [`AuthFlow`] driven by a sequence of operations decoded from the fuzz input
//! with `arbitrary`.

use core::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use mcp_oauth_core::flow::{
    AuthFlow, ClientConfig, DuplicatePolicy, Event, FlowConfig, FlowError, PreRegisteredClient,
    RequestId, TransportError,
};
use mcp_oauth_core::http::{HttpRequest, HttpResponse};
use mcp_oauth_core::metadata::resource::ResourceMatch;
use mcp_oauth_core::registration::TokenEndpointAuthMethod;
use mcp_oauth_core::secret::InitialAccessToken;
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{ClientSecret, Entropy, Timestamp};

use crate::parsers::{AS, REDIRECT, RS};

/// Every secret the canned world hands out contains this marker (and only ASCII alphanumerics,
/// so no encoding can hide it). Inputs that contain it themselves disable the secret checks.
const MARKER: &str = "Zq7sEcReTq9";
const PRM_URL: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
const CIMD: &str = "https://client.example.com/oauth/metadata.json";
const T0: u64 = 1_700_000_000_000;
/// At most this many operations per input: the checks after each one format the whole report.
const MAX_OPS: usize = 96;

/// The flow configuration.
#[derive(Arbitrary, Debug)]
struct Setup {
    client: Client,
    seed: u8,
    refresh_tokens: bool,
    legacy_fallback: bool,
    lenient_duplicates: bool,
    loopback_http: bool,
    matching: u8,
    initial_access_token: bool,
    refresh_margin_s: u16,
    request_timeout_s: u8,
    authorization_timeout_s: u16,
    max_attempts: u8,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Client {
    /// Authorization code, dynamic registration.
    Dynamic,
    /// Authorization code, pre-registered public client.
    PreRegistered,
    /// Authorization code, pre-registered confidential client.
    PreRegisteredSecret { post: bool, bound: bool },
    /// Authorization code, Client ID Metadata Document.
    Cimd,
    /// Client credentials.
    Machine { post: bool },
}

#[derive(Arbitrary, Debug)]
enum Op {
    Challenge {
        status: Status,
        header: Header,
    },
    /// Answer a pending request from the canned world, possibly altered.
    Serve {
        which: Target,
        alter: Alter,
    },
    /// Answer with an arbitrary response.
    Respond {
        which: Target,
        status: u16,
        json: bool,
        body: Vec<u8>,
    },
    Transport {
        which: Target,
        error: u8,
    },
    Redirect(Redirect),
    /// Let time pass, then call `handle_timeout`.
    Advance {
        millis: u32,
    },
    /// Jump to the time `poll_timeout` asks for (if any), then call `handle_timeout`.
    FireTimeout,
    Start,
    ResourceSuccess,
    /// Save the persisted state (through JSON) and restore a new flow from it.
    Restore {
        seed: u8,
    },
}

#[derive(Arbitrary, Debug)]
enum Status {
    Unauthorized,
    Forbidden,
    Other(u16),
}

#[derive(Arbitrary, Debug)]
enum Header {
    None,
    ResourceMetadata,
    Scope,
    InsufficientScope,
    OtherResourceMetadata,
    Arbitrary(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Target {
    Newest,
    Oldest,
    Id(u8),
}

#[derive(Arbitrary, Debug)]
enum Alter {
    None,
    Status(u16),
    TokenError(TokenError),
    ExpiresIn(i64),
    NoRefreshToken,
    NoExpiry,
    Body(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum TokenError {
    InvalidGrant,
    InvalidClient,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Redirect {
    /// What the authorization server sends after approval, for the latest authorization URL.
    Approve {
        iss: bool,
    },
    /// An RFC 6749 §4.1.2.1 error response with the right state.
    Deny {
        iss: bool,
    },
    /// The latest redirect again.
    Replay,
    Arbitrary(String),
}

/// Feed [`AuthFlow`] arbitrary responses, redirects, challenges and timeouts in arbitrary order
/// (decoded with `arbitrary`), answering requests from a small canned world when asked to.
///
/// Asserts after every operation:
///
/// - no panic;
/// - no secret of the canned world (access and refresh tokens, client secrets, the initial
///   access token, authorization codes) appears in `format!("{:?}")` or `Display` of the
///   report, of the flow, of the persisted state, of any event, or of any [`FlowError`];
/// - with the clock never going back: `poll_timeout` after `handle_timeout(now)` is `None` or
///   not before `now`; a `handle_timeout` before the deadline changes nothing; and a driver
///   that calls `handle_timeout(now)` while `poll_timeout() <= now` settles within a few calls.
pub fn flow(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = Setup::arbitrary(&mut u) else {
        return;
    };
    let mut h = Harness::new(setup);
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        h.apply(op);
        h.check();
    }
}

struct Harness {
    setup: Setup,
    flow: AuthFlow,
    now: Timestamp,
    /// Requests polled and not yet answered, oldest first.
    pending: Vec<(RequestId, HttpRequest)>,
    /// The latest `OpenAuthorizationUrl`.
    authorization_url: Option<String>,
    last_redirect: Option<String>,
    /// Serial number for the secrets handed out.
    serial: u32,
    /// Some input contains the marker: the secret checks are off.
    tainted: bool,
}

impl Harness {
    fn new(setup: Setup) -> Self {
        let flow = AuthFlow::new(config(&setup), Entropy::new([setup.seed; 32]));
        let mut h = Self {
            setup,
            flow,
            now: Timestamp::from_unix_millis(T0),
            pending: Vec::new(),
            authorization_url: None,
            last_redirect: None,
            serial: 0,
            tainted: false,
        };
        h.drain();
        h
    }

    fn taint(&mut self, input: &[u8]) {
        let m = MARKER.as_bytes();
        if input.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m)) {
            self.tainted = true;
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Challenge { status, header } => {
                let status = match status {
                    Status::Unauthorized => 401,
                    Status::Forbidden => 403,
                    Status::Other(s) => s,
                };
                let header: Option<Vec<u8>> = match header {
                    Header::None => None,
                    Header::ResourceMetadata => {
                        Some(format!(r#"Bearer resource_metadata="{PRM_URL}""#).into_bytes())
                    }
                    Header::Scope => Some(
                        format!(r#"Bearer resource_metadata="{PRM_URL}", scope="mcp:read""#)
                            .into_bytes(),
                    ),
                    Header::InsufficientScope => Some(
                        br#"Bearer error="insufficient_scope", scope="mcp:read mcp:write""#
                            .to_vec(),
                    ),
                    Header::OtherResourceMetadata => Some(
                        br#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource""#
                            .to_vec(),
                    ),
                    Header::Arbitrary(bytes) => {
                        self.taint(&bytes);
                        Some(bytes)
                    }
                };
                let headers = header
                    .map(|h| vec![("www-authenticate".to_owned(), h)])
                    .unwrap_or_default();
                let response = HttpResponse::new(status, headers, Vec::new());
                let result = self.flow.handle_challenge(self.now, &response);
                self.check_result(result);
            }
            Op::Serve { which, alter } => {
                if let Some((id, request)) = self.take(which) {
                    let response = self.serve(&request, alter);
                    self.flow.handle_response(self.now, id, response);
                }
            }
            Op::Respond {
                which,
                status,
                json,
                body,
            } => {
                self.taint(&body);
                let id = match which {
                    Target::Id(n) => RequestId(u64::from(n)),
                    other => match self.take(other) {
                        Some((id, _)) => id,
                        None => return,
                    },
                };
                let headers = if json {
                    vec![("content-type".to_owned(), b"application/json".to_vec())]
                } else {
                    Vec::new()
                };
                self.flow
                    .handle_response(self.now, id, HttpResponse::new(status, headers, body));
            }
            Op::Transport { which, error } => {
                let id = match which {
                    Target::Id(n) => RequestId(u64::from(n)),
                    other => match self.take(other) {
                        Some((id, _)) => id,
                        None => return,
                    },
                };
                let error = match error % 3 {
                    0 => TransportError::Reset,
                    1 => TransportError::Timeout,
                    _ => TransportError::Other,
                };
                self.flow.handle_transport_error(self.now, id, error);
            }
            Op::Redirect(r) => {
                let Some(redirect) = self.redirect(r) else {
                    return;
                };
                let result = self.flow.handle_redirect(self.now, &redirect);
                self.last_redirect = Some(redirect);
                self.check_result(result);
            }
            Op::Advance { millis } => {
                self.now = Timestamp::from_unix_millis(
                    self.now.unix_millis().saturating_add(u64::from(millis)),
                );
                self.timeout();
            }
            Op::FireTimeout => {
                if let Some(at) = self.flow.poll_timeout() {
                    self.now = self.now.max(at);
                }
                self.timeout();
            }
            Op::Start => self.flow.start(self.now),
            Op::ResourceSuccess => self.flow.handle_resource_success(self.now),
            Op::Restore { seed } => {
                let Some(state) = self.flow.persisted_state() else {
                    return;
                };
                let json = serde_json::to_string(&state).expect("persisted state serializes");
                let state = serde_json::from_str(&json).expect("persisted state deserializes");
                match AuthFlow::restore(config(&self.setup), Entropy::new([seed; 32]), state) {
                    Ok(flow) => {
                        self.flow = flow;
                        self.pending.clear();
                        self.authorization_url = None;
                    }
                    Err(e) => self.check_text("RestoreError", &format!("{e:?} {e}")),
                }
            }
        }
        self.drain();
    }

    /// `handle_timeout(now)` with the `poll_timeout` invariants.
    fn timeout(&mut self) {
        let before = self.flow.poll_timeout();
        self.flow.handle_timeout(self.now);
        self.drain();
        let after = self.flow.poll_timeout();
        if let Some(t) = before
            && t > self.now
        {
            assert_eq!(
                after, before,
                "handle_timeout before the deadline changed it"
            );
        }
        if let Some(t) = after {
            assert!(
                t >= self.now,
                "poll_timeout {t:?} went back before now {:?}",
                self.now
            );
        }
        // A driver that keeps calling handle_timeout while the deadline has passed settles.
        let mut rounds = 0;
        while self.flow.poll_timeout().is_some_and(|t| t <= self.now) {
            rounds += 1;
            assert!(rounds <= 8, "handle_timeout({:?}) never settles", self.now);
            self.flow.handle_timeout(self.now);
            self.drain();
        }
    }

    fn take(&mut self, which: Target) -> Option<(RequestId, HttpRequest)> {
        match which {
            Target::Newest => self.pending.pop(),
            Target::Oldest if !self.pending.is_empty() => Some(self.pending.remove(0)),
            Target::Oldest => None,
            Target::Id(n) => {
                let i = self
                    .pending
                    .iter()
                    .position(|(id, _)| *id == RequestId(u64::from(n)))?;
                Some(self.pending.remove(i))
            }
        }
    }

    /// Poll every request and event, checking events for secrets.
    fn drain(&mut self) {
        while let Some(request) = self.flow.poll_request() {
            self.pending.push(request);
        }
        while let Some(event) = self.flow.poll_event() {
            self.check_text("Event", &format!("{event:?}"));
            match event {
                Event::OpenAuthorizationUrl { url, .. } => self.authorization_url = Some(url),
                Event::Failed(e) => self.check_error(&e),
                _ => {}
            }
        }
    }

    fn check_result(&mut self, result: Result<(), FlowError>) {
        if let Err(e) = result {
            self.check_error(&e);
        }
    }

    fn check_error(&self, e: &FlowError) {
        self.check_text("FlowError (Debug)", &format!("{e:?}"));
        self.check_text("FlowError (Display)", &e.to_string());
        self.check_text("FlowError report", &e.report().to_string());
    }

    fn check_text(&self, what: &str, text: &str) {
        if !self.tainted {
            assert!(
                !text.contains(MARKER),
                "a secret leaked into {what}: {text}"
            );
        }
    }

    /// The invariants that hold after every operation.
    fn check(&self) {
        let report = self.flow.report();
        self.check_text("report (Debug)", &format!("{report:?}"));
        self.check_text("report (Display)", &report.to_string());
        self.check_text("AuthFlow (Debug)", &format!("{:?}", self.flow));
        if let Some(state) = self.flow.persisted_state() {
            self.check_text("PersistedState (Debug)", &format!("{state:?}"));
        }
        if let Some(header) = self.flow.authorization_header(self.now) {
            self.check_text("HeaderValue (Debug)", &format!("{header:?}"));
            assert!(header.is_sensitive());
        }
        for (_, request) in &self.pending {
            self.check_text("HttpRequest (Debug)", &format!("{request:?}"));
        }
        let _ = (
            self.flow.status(),
            self.flow.granted_scopes(),
            self.flow.issuer(),
        );
    }

    fn secret(&mut self, prefix: &str) -> String {
        self.serial = self.serial.wrapping_add(1);
        format!("{prefix}{MARKER}{}", self.serial)
    }

    /// The canned world's answer to `request`, altered as asked.
    fn serve(&mut self, request: &HttpRequest, alter: Alter) -> HttpResponse {
        let url = request.url.split('?').next().unwrap_or_default();
        let (mut status, mut body) = if url.contains("/.well-known/oauth-protected-resource") {
            (
                200,
                format!(
                    r#"{{"resource":"{RS}","authorization_servers":["{AS}"],"scopes_supported":["mcp:read","mcp:write"]}}"#
                ),
            )
        } else if url.contains("/.well-known/") && url.starts_with(AS) {
            (
                200,
                format!(
                    r#"{{"issuer":"{AS}","authorization_endpoint":"{AS}/authorize","token_endpoint":"{AS}/token","registration_endpoint":"{AS}/register","response_types_supported":["code"],"grant_types_supported":["authorization_code","refresh_token","client_credentials"],"code_challenge_methods_supported":["S256"],"scopes_supported":["mcp:read","mcp:write","offline_access"],"client_id_metadata_document_supported":true,"authorization_response_iss_parameter_supported":true}}"#
                ),
            )
        } else if url == format!("{AS}/register") {
            let secret = self.secret("cs");
            let rat = self.secret("rat");
            (
                201,
                format!(
                    r#"{{"client_id":"dyn-client","client_secret":"{secret}","client_secret_expires_at":0,"token_endpoint_auth_method":"client_secret_post","redirect_uris":["{REDIRECT}"],"registration_access_token":"{rat}"}}"#
                ),
            )
        } else if url == format!("{AS}/token") {
            let access = self.secret("at");
            let refresh = self.secret("rt");
            (
                200,
                format!(
                    r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":3600,"refresh_token":"{refresh}","scope":"mcp:read mcp:write"}}"#
                ),
            )
        } else {
            (404, r#"{"error":"not_found"}"#.to_owned())
        };
        match alter {
            Alter::None => {}
            Alter::Status(s) => status = s,
            Alter::TokenError(e) => {
                let code = match e {
                    TokenError::InvalidGrant => "invalid_grant".to_owned(),
                    TokenError::InvalidClient => "invalid_client".to_owned(),
                    TokenError::Other(s) => {
                        self.taint(s.as_bytes());
                        s
                    }
                };
                status = 400;
                body = serde_json::json!({ "error": code }).to_string();
            }
            Alter::ExpiresIn(n) => {
                body = body.replace(r#""expires_in":3600"#, &format!(r#""expires_in":{n}"#))
            }
            Alter::NoRefreshToken => {
                if let Some(i) = body.find(r#","refresh_token""#) {
                    let end = body[i + 1..]
                        .find(',')
                        .map_or(body.len() - 1, |j| i + 1 + j);
                    body.replace_range(i..end, "");
                }
            }
            Alter::NoExpiry => body = body.replace(r#""expires_in":3600,"#, ""),
            Alter::Body(bytes) => {
                self.taint(&bytes);
                return HttpResponse::new(status, json_headers(), bytes);
            }
        }
        HttpResponse::new(status, json_headers(), body.into_bytes())
    }

    fn redirect(&mut self, r: Redirect) -> Option<String> {
        let state = || {
            let url = self.authorization_url.as_deref()?;
            let query = url.split_once('?')?.1;
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
        };
        let iss_param = |iss: bool| {
            if iss {
                "&iss=https%3A%2F%2Fauth.example.com"
            } else {
                ""
            }
        };
        match r {
            Redirect::Approve { iss } => {
                let state = state()?;
                let code = self.secret("code");
                Some(format!(
                    "{REDIRECT}?code={code}&state={state}{}",
                    iss_param(iss)
                ))
            }
            Redirect::Deny { iss } => {
                let state = state()?;
                Some(format!(
                    "{REDIRECT}?error=access_denied&error_description=no&state={state}{}",
                    iss_param(iss)
                ))
            }
            Redirect::Replay => self.last_redirect.clone(),
            Redirect::Arbitrary(s) => {
                self.taint(s.as_bytes());
                Some(s)
            }
        }
    }
}

fn json_headers() -> Vec<(String, Vec<u8>)> {
    vec![("content-type".to_owned(), b"application/json".to_vec())]
}

fn config(setup: &Setup) -> FlowConfig {
    let secret = || ClientSecret::new(format!("cs{MARKER}pre"));
    let method = |post: bool| {
        if post {
            TokenEndpointAuthMethod::ClientSecretPost
        } else {
            TokenEndpointAuthMethod::ClientSecretBasic
        }
    };
    let code = || ClientConfig::authorization_code("Fuzz", REDIRECT);
    let mut config = match setup.client {
        Client::Dynamic => FlowConfig::new(RS, code()),
        Client::PreRegistered => {
            FlowConfig::new(RS, code()).pre_registered(PreRegisteredClient::new(AS, "pre-public"))
        }
        Client::PreRegisteredSecret { post, bound } => {
            let client = if bound {
                PreRegisteredClient::new(AS, "pre-secret")
            } else {
                PreRegisteredClient::unbound("pre-secret")
            };
            FlowConfig::new(RS, code())
                .pre_registered(client.with_secret(secret()).with_auth_method(method(post)))
        }
        Client::Cimd => FlowConfig::new(RS, code()).client_id_metadata_document(CIMD),
        Client::Machine { post } => FlowConfig::new(RS, ClientConfig::client_credentials())
            .pre_registered(
                PreRegisteredClient::new(AS, "m2m")
                    .with_secret(secret())
                    .with_auth_method(method(post)),
            ),
    };
    if setup.initial_access_token {
        config = config.initial_access_token(InitialAccessToken::new(format!("iat{MARKER}")));
    }
    if setup.loopback_http {
        config = config.url_policy(UrlPolicy::https_only().allow_loopback_http());
    }
    let matching = match setup.matching % 4 {
        0 => ResourceMatch::exact(),
        1 => ResourceMatch::exact().allow_trailing_slash(),
        2 => ResourceMatch::exact().allow_origin(),
        _ => ResourceMatch::exact().allow_path_prefix(),
    };
    config
        .request_refresh_tokens(setup.refresh_tokens)
        .legacy_fallback(setup.legacy_fallback)
        .duplicate_params(if setup.lenient_duplicates {
            DuplicatePolicy::Lenient
        } else {
            DuplicatePolicy::Strict
        })
        .resource_match(matching)
        .refresh_margin(Duration::from_secs(u64::from(setup.refresh_margin_s)))
        .request_timeout(Duration::from_secs(u64::from(setup.request_timeout_s)))
        .authorization_timeout(Duration::from_secs(u64::from(
            setup.authorization_timeout_s,
        )))
        .max_authorization_attempts(setup.max_attempts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_oauth_core::flow::FlowStatus;

    fn setup(client: Client) -> Setup {
        Setup {
            client,
            seed: 1,
            refresh_tokens: true,
            legacy_fallback: true,
            lenient_duplicates: false,
            loopback_http: false,
            matching: 0,
            initial_access_token: true,
            refresh_margin_s: 60,
            request_timeout_s: 30,
            authorization_timeout_s: 600,
            max_attempts: 3,
        }
    }

    fn serve_all(h: &mut Harness) {
        for _ in 0..10 {
            h.apply(Op::Serve {
                which: Target::Oldest,
                alter: Alter::None,
            });
            h.check();
        }
    }

    /// The canned world is complete enough for the fuzzer to reach every phase: a 401, discovery,
    /// registration, the browser, the code exchange, then a refresh when the timer fires.
    #[test]
    fn canned_world_authorizes_and_refreshes() {
        for client in [
            Client::Dynamic,
            Client::PreRegistered,
            Client::PreRegisteredSecret {
                post: true,
                bound: true,
            },
            Client::Cimd,
        ] {
            let mut h = Harness::new(setup(client));
            h.apply(Op::Challenge {
                status: Status::Unauthorized,
                header: Header::ResourceMetadata,
            });
            serve_all(&mut h);
            assert!(
                h.authorization_url.is_some(),
                "{client:?}: no authorization URL"
            );
            h.apply(Op::Redirect(Redirect::Approve { iss: true }));
            serve_all(&mut h);
            assert_eq!(h.flow.status(), FlowStatus::Authorized, "{client:?}");
            h.apply(Op::FireTimeout);
            assert_eq!(h.pending.len(), 1, "{client:?}: a refresh request");
            serve_all(&mut h);
            assert_eq!(h.flow.status(), FlowStatus::Authorized, "{client:?}");
            h.apply(Op::Restore { seed: 2 });
            assert_eq!(
                h.flow.status(),
                FlowStatus::Authorized,
                "{client:?}: restored"
            );
            h.check();
        }
    }

    #[test]
    fn client_credentials_authorize() {
        let mut h = Harness::new(setup(Client::Machine { post: false }));
        h.apply(Op::Start);
        serve_all(&mut h);
        assert_eq!(h.flow.status(), FlowStatus::Authorized);
    }

    /// The secret check is live: a marker that reaches the report is caught.
    #[test]
    #[allow(clippy::panic)]
    fn leaked_marker_is_caught() {
        let h = Harness::new(setup(Client::Dynamic));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            h.check_text("test", MARKER)
        }))
        .is_err();
        assert!(caught);
    }
}
