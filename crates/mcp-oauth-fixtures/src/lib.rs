//! Loopback OAuth 2.1 authorization server and MCP resource server for tests, examples and
//! benchmarks.
//!
//! [`Fixtures::start`] binds three listeners on `127.0.0.1` with ephemeral ports:
//!
//! * the **authorization server** (the [`issuer`](Fixtures::issuer)): RFC 8414 metadata,
//!   RFC 7591 registration, an automatically approving authorization endpoint (RFC 6749
//!   §4.1 + RFC 7636 PKCE S256 + RFC 8707 `resource` + RFC 9207 `iss`), and a token endpoint
//!   for the authorization-code, refresh-token (with rotation and reuse detection) and
//!   client-credentials grants;
//! * the **MCP resource server** (the [`mcp_url`](Fixtures::mcp_url)): RFC 9728 metadata and
//!   a minimal Streamable HTTP JSON-RPC endpoint with tools `echo` and `write` (the latter
//!   needs scope `mcp:write`), answering RFC 6750 challenges;
//! * a **decoy origin** that injected cross-origin redirects point at, so tests can see
//!   whether a client followed them.
//!
//! The servers are strict: they check what a correct client must send (exact redirect URI,
//! S256 verifier, single-use codes, matching `resource`, exactly one client-authentication
//! method, form-urlencoded Basic credentials, token audience and expiry). Faults for
//! hostile-peer tests are injected per [`RouteKind`] with [`Misbehaviour`]; the [`hostile`]
//! module holds the hostile-peer case list every adapter runs (`docs/security.md`).
//!
//! | route | verifies |
//! | --- | --- |
//! | `GET /.well-known/oauth-authorization-server` | method GET |
//! | `POST /register` | JSON content type; types of known members; auth method `none`/`client_secret_basic`/`client_secret_post` (absent = basic, RFC 7591 §2); grant and response types consistent; redirect URIs https or loopback http, no fragment, no loopback for `application_type: web` |
//! | `GET /authorize` | known `client_id` and exactly registered `redirect_uri` (else 400, no redirect); `response_type=code`; 43-char S256 `code_challenge` with explicit `code_challenge_method=S256`; `state` present (configurable); known scopes; one `resource` equal to the MCP URL (configurable); no repeated parameters |
//! | `POST /token` | form content type; exactly one client authentication, the registered one (Basic parts form-urlencoded); grant allowed for the client; code: single use (replay revokes the grant), unexpired, same client and `redirect_uri`, PKCE S256, same `resource`; refresh: same client, not rotated-out (reuse revokes the grant), scope only kept or narrowed, same `resource`; client credentials: confidential client, `resource` |
//! | `POST /device` (opt-in, RFC 8628) | form content type; client authentication as at `/token`; client registered for the device-code grant; known scopes; `resource`. The token endpoint's device-code grant answers `authorization_pending` for the configured number of polls, `slow_down` to polls under the 1 s interval, `expired_token` after 600 s, then tokens once |
//! | `POST /revoke` (RFC 7009) | form content type; client authentication as at `/token`; `token`; a refresh token revokes its grant, an access token itself; 200 for unknown tokens; `unsupported_token_type` for an unknown `token_type_hint` |
//! | `GET /.well-known/oauth-protected-resource/mcp` | method GET |
//! | `POST /mcp` | `Authorization: Bearer` token issued by this AS, unexpired, unrevoked, audience = MCP URL, scope `mcp:basic` (`mcp:write` for tool `write`); `Accept` lists JSON and SSE (configurable); JSON content type; known `Mcp-Session-Id` and `MCP-Protocol-Version` when sent |
//!
//! ```
//! use mcp_oauth_fixtures::{FixtureConfig, Fixtures};
//!
//! let fixtures = Fixtures::start_blocking(FixtureConfig::default())?;
//! assert!(fixtures.mcp_url().starts_with("http://127.0.0.1:"));
//! assert!(fixtures.mcp_url().ends_with("/mcp"));
//! assert_ne!(fixtures.issuer(), fixtures.rs_origin());
//! assert_eq!(fixtures.stats().mcp_total(), 0);
//! # Ok::<(), mcp_oauth_fixtures::FixtureError>(())
//! ```

mod authz;
mod config;
mod device;
pub mod hostile;
mod knobs;
mod mcp;
mod misbehave;
mod records;
mod server;
mod state;
mod token;
mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{
    AuthMethod, ConsentMode, FixtureConfig, Misbehaviour, PreregisteredClient, PrmLocation,
    RouteKind,
};
pub use records::{AuthorizationRecord, RecordedRequest, RegisteredClient, Stats};

use server::Origin;
use state::{Shared, State, Urls};

/// `client_id` of the built-in confidential client for the `client_credentials` grant.
pub const SERVICE_CLIENT_ID: &str = "fixture-service";

/// Why the fixtures could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// A loopback listener could not be bound.
    #[error("cannot bind a loopback listener")]
    Bind(#[source] std::io::Error),
    /// The background runtime or thread of [`Fixtures::start_blocking`] could not start.
    #[error("cannot start the fixture runtime")]
    Runtime(#[source] std::io::Error),
    /// The background thread ended before reporting its listeners.
    #[error("fixture thread ended before the servers started")]
    ThreadGone,
}

/// Running fixture servers; they shut down when this is dropped.
#[derive(Debug)]
pub struct Fixtures {
    shared: Arc<Shared>,
    service_secret: String,
    shutdown: Option<watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Listeners bound and state built, not yet serving.
struct Bound {
    shared: Arc<Shared>,
    service_secret: String,
    listeners: Vec<(TcpListener, Origin)>,
}

async fn bind_loopback() -> Result<(TcpListener, SocketAddr), FixtureError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(FixtureError::Bind)?;
    let addr = listener.local_addr().map_err(FixtureError::Bind)?;
    Ok((listener, addr))
}

impl Bound {
    async fn new(config: FixtureConfig) -> Result<Self, FixtureError> {
        let (as_listener, as_addr) = bind_loopback().await?;
        let (rs_listener, rs_addr) = bind_loopback().await?;
        let (decoy_listener, decoy_addr) = bind_loopback().await?;
        let rs_origin = format!("http://{rs_addr}");
        let urls = Urls {
            issuer: format!("http://{as_addr}"),
            mcp_url: format!("{rs_origin}/mcp"),
            prm_url: format!("{rs_origin}/.well-known/oauth-protected-resource/mcp"),
            prm_root_url: format!("{rs_origin}/.well-known/oauth-protected-resource"),
            rs_origin,
            decoy_origin: format!("http://{decoy_addr}"),
        };
        let mut state = State::new(&config);
        let service_secret = state.secret(config.awkward_secrets);
        state.add_preregistered(
            &PreregisteredClient::confidential(
                SERVICE_CLIENT_ID,
                service_secret.clone(),
                config.service_client_auth,
            )
            .grant_types(["client_credentials"]),
        );
        Ok(Self {
            shared: Arc::new(Shared::new(config, urls, state)),
            service_secret,
            listeners: vec![
                (as_listener, Origin::As),
                (rs_listener, Origin::Rs),
                (decoy_listener, Origin::Decoy),
            ],
        })
    }
}

impl Fixtures {
    /// Starts the servers on the current tokio runtime.
    ///
    /// With a current-thread runtime, the servers only make progress while the test awaits;
    /// use [`Fixtures::start_blocking`] for blocking clients.
    ///
    /// # Errors
    /// [`FixtureError::Bind`] if a loopback port cannot be bound.
    pub async fn start(config: FixtureConfig) -> Result<Self, FixtureError> {
        let bound = Bound::new(config).await?;
        let (tx, rx) = watch::channel(false);
        let tasks = bound
            .listeners
            .into_iter()
            .map(|(listener, origin)| {
                let shared = Arc::clone(&bound.shared);
                tokio::spawn(server::serve(listener, shared, origin, rx.clone()))
            })
            .collect();
        Ok(Self {
            shared: bound.shared,
            service_secret: bound.service_secret,
            shutdown: Some(tx),
            tasks,
            thread: None,
        })
    }

    /// Starts the servers on a current-thread tokio runtime in a background thread, for
    /// blocking clients and code without a runtime.
    ///
    /// # Errors
    /// [`FixtureError::Runtime`] if the thread or runtime cannot start, [`FixtureError::Bind`]
    /// if a loopback port cannot be bound.
    pub fn start_blocking(config: FixtureConfig) -> Result<Self, FixtureError> {
        let (report_tx, report_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("mcp-oauth-fixtures".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        // The receiver only disappears if the caller is gone.
                        let _ = report_tx.send(Err(FixtureError::Runtime(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    let bound = match Bound::new(config).await {
                        Ok(b) => b,
                        Err(e) => {
                            let _ = report_tx.send(Err(e));
                            return;
                        }
                    };
                    let (tx, rx) = watch::channel(false);
                    let report = (Arc::clone(&bound.shared), bound.service_secret.clone(), tx);
                    if report_tx.send(Ok(report)).is_err() {
                        return;
                    }
                    let mut servers = tokio::task::JoinSet::new();
                    for (listener, origin) in bound.listeners {
                        let shared = Arc::clone(&bound.shared);
                        servers.spawn(server::serve(listener, shared, origin, rx.clone()));
                    }
                    while servers.join_next().await.is_some() {}
                });
            })
            .map_err(FixtureError::Runtime)?;
        let (shared, service_secret, tx) =
            report_rx.recv().map_err(|_| FixtureError::ThreadGone)??;
        Ok(Self {
            shared,
            service_secret,
            shutdown: Some(tx),
            tasks: Vec::new(),
            thread: Some(thread),
        })
    }

    /// The MCP endpoint, e.g. `http://127.0.0.1:PORT/mcp`; also the RFC 8707 resource.
    #[must_use]
    pub fn mcp_url(&self) -> &str {
        &self.shared.urls.mcp_url
    }

    /// The resource server's origin (`http://127.0.0.1:PORT`).
    #[must_use]
    pub fn rs_origin(&self) -> &str {
        &self.shared.urls.rs_origin
    }

    /// The PRM URL the RS advertises (path-inserted, or root with [`PrmLocation::Root`]).
    #[must_use]
    pub fn prm_url(&self) -> &str {
        self.shared.urls.advertised_prm(&self.shared.cfg)
    }

    /// The AS issuer identifier, `http://127.0.0.1:PORT` (another port than the RS).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.shared.urls.issuer
    }

    /// The RFC 8414 metadata URL.
    #[must_use]
    pub fn as_metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-authorization-server", self.issuer())
    }

    /// The authorization endpoint.
    #[must_use]
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/authorize", self.issuer())
    }

    /// The token endpoint.
    #[must_use]
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.issuer())
    }

    /// The registration endpoint.
    #[must_use]
    pub fn registration_endpoint(&self) -> String {
        format!("{}/register", self.issuer())
    }

    /// The decoy origin that injected redirects (and wrong issuers) point at.
    #[must_use]
    pub fn decoy_origin(&self) -> &str {
        &self.shared.urls.decoy_origin
    }

    /// `client_id` of the built-in `client_credentials` client ([`SERVICE_CLIENT_ID`]).
    #[must_use]
    pub fn service_client_id(&self) -> &str {
        SERVICE_CLIENT_ID
    }

    /// Secret of the built-in `client_credentials` client (generated at start).
    #[must_use]
    pub fn service_client_secret(&self) -> &str {
        &self.service_secret
    }

    /// A snapshot of the request counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    /// Resets the request counters to zero.
    pub fn reset_stats(&self) {
        self.shared.lock().stats = Stats::default();
    }

    /// The most recent requests (up to 512), oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.iter().cloned().collect()
    }

    /// The recorded requests of one route kind, oldest first.
    #[must_use]
    pub fn requests_for(&self, route: RouteKind) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|r| r.route == route)
            .cloned()
            .collect()
    }

    /// Every client the AS knows (including the service client), in no particular order.
    #[must_use]
    pub fn registered_clients(&self) -> Vec<RegisteredClient> {
        self.shared
            .lock()
            .clients
            .values()
            .map(|c| c.info.clone())
            .collect()
    }

    /// Every accepted authorization request, oldest first.
    #[must_use]
    pub fn authorizations(&self) -> Vec<AuthorizationRecord> {
        self.shared.lock().authorizations.clone()
    }

    /// Makes every access token issued so far expired (refresh tokens stay valid), so
    /// refresh paths can be tested without sleeping.
    pub fn expire_access_tokens(&self) {
        self.shared.lock().expire_access_tokens();
    }

    /// Revokes every grant issued so far: its access and refresh tokens stop working.
    pub fn revoke_all_tokens(&self) {
        self.shared.lock().revoke_all();
    }

    /// Adds a fault on a route kind at run time.
    pub fn set_misbehaviour(&self, route: RouteKind, misbehaviour: Misbehaviour) {
        self.shared.lock().misbehaviours.push((route, misbehaviour));
    }

    /// Removes every fault (configured or added).
    pub fn clear_misbehaviours(&self) {
        self.shared.lock().misbehaviours.clear();
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        // Dropping the sender wakes every accept loop, which then ends with its connections.
        drop(self.shutdown.take());
        for task in &self.tasks {
            task.abort();
        }
        if let Some(thread) = self.thread.take() {
            // A panic in the server thread has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}
