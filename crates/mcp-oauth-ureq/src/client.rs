//! [`AuthorizedClient`]: MCP requests with OAuth handled, blocking.

use core::fmt;
use core::time::Duration;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mcp_oauth_batteries::clock::{Clock, SystemClock};
use mcp_oauth_batteries::http::{Limits, is_redirect_status, loggable_url, same_origin};
use mcp_oauth_batteries::loopback::{redirect_uri_for, reserve_port};
use mcp_oauth_batteries::store::{MemoryStore, StoreKey, StoreLock, StoredEntry, TokenStore};
use mcp_oauth_batteries::trace::{
    SPAN_FLOW, SPAN_INTERACTION, SPAN_SEND, SPAN_STORE, TRIGGER_CHALLENGE, TRIGGER_RENEWAL,
    TRIGGER_START, TRIGGER_STEP_UP,
};
use mcp_oauth_batteries::{AuthorizationPrompt, DevicePrompt, Interaction, InteractionError};
use mcp_oauth_core::Timestamp;
use mcp_oauth_core::dpop::{DPOP_HEADER, DpopKey, NONCE_HEADER as DPOP_NONCE};
use mcp_oauth_core::flow::{
    AssertionSource, AuthFlow, ClientConfig, Event, FlowConfig, FlowError, FlowErrorKind,
    FlowStatus, IdpConfig, LogoutOutcome, PreRegisteredClient,
};
use mcp_oauth_core::http::{HeaderValue as CoreHeaderValue, HttpResponse};
use mcp_oauth_core::secret::Assertion;
use mcp_oauth_core::urls::{UrlPolicy, is_loopback_url};
use ureq::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use ureq::http::{HeaderValue, Method, Request};
use url::Url;

use crate::Error;
use crate::transport::{OAuthHttp, RedirectFollower, agent, transport_error};

/// Upper bound on drive-loop steps in one episode (requests + events); far above any real flow.
const MAX_STEPS: usize = 256;

/// Same-origin redirects an MCP request follows.
const MAX_MCP_REDIRECTS: usize = 5;

/// The total time allowed for one MCP exchange, body included.
const MCP_TOTAL_TIMEOUT: Duration = Duration::from_secs(300);

/// An MCP response: ureq's response with its streaming body (not capped: MCP responses may be
/// long event streams).
pub type Response = ureq::http::Response<ureq::Body>;

/// A hook that adjusts each [`FlowConfig`] the client builds.
type Configure = dyn Fn(FlowConfig) -> FlowConfig + Send + Sync;

/// How the interactive step is performed.
#[derive(Clone)]
enum Authorizer {
    Interaction(Interaction),
    Follow(RedirectFollower),
}

/// Builds an [`AuthorizedClient`]. From [`AuthorizedClient::builder`].
#[must_use]
pub struct AuthorizedClientBuilder {
    mcp_url: String,
    client_name: String,
    store: Option<Arc<dyn TokenStore>>,
    authorizer: Option<Authorizer>,
    clock: Arc<dyn Clock>,
    limits: Limits,
    configure: Option<Arc<Configure>>,
    client_credentials: Option<PreRegisteredClient>,
    assertion_grant: Option<AssertionGrant>,
    redirect_uri: Option<String>,
    authorization_timeout: Duration,
    lock_timeout: Duration,
    device_authorization: bool,
    dpop: Option<DpopChoice>,
}

/// Where the DPoP key comes from.
enum DpopChoice {
    Key(DpopKey),
    Generate,
}

impl fmt::Debug for AuthorizedClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedClientBuilder")
            .field("mcp_url", &self.mcp_url)
            .field("client_name", &self.client_name)
            .finish_non_exhaustive()
    }
}

impl AuthorizedClientBuilder {
    /// The client name sent in dynamic registration, also part of the store key. Default
    /// `"mcp-oauth client"`.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = name.into();
        self
    }

    /// Where tokens, the registration and cached discovery are kept. Default: a fresh
    /// [`MemoryStore`] (nothing survives the process).
    pub fn store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// The same, for a store shared with other clients.
    pub fn shared_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The interactive step. Default [`Interaction::Browser`].
    pub fn interaction(mut self, interaction: Interaction) -> Self {
        self.authorizer = Some(Authorizer::Interaction(interaction));
        self
    }

    /// Use the non-interactive [`RedirectFollower`] as the interactive step (test servers,
    /// automatically approving authorization servers).
    pub fn follow_redirects(mut self, follower: RedirectFollower) -> Self {
        self.authorizer = Some(Authorizer::Follow(follower));
        self
    }

    /// The clock. Default [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Transport limits for OAuth requests (body cap, timeouts). Default [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adjust every [`FlowConfig`] the client builds (scopes, pre-registered clients, quirks).
    /// Called again on each restore, so it must be deterministic.
    pub fn configure(
        mut self,
        f: impl Fn(FlowConfig) -> FlowConfig + Send + Sync + 'static,
    ) -> Self {
        self.configure = Some(Arc::new(f));
        self
    }

    /// Use the OAuth client credentials grant (the MCP client-credentials extension) with these
    /// pre-registered credentials, instead of the authorization code grant: a machine-to-machine
    /// client that never registers and never runs the interactive step (checklist M-2). The
    /// credentials are added to the [`FlowConfig`] with
    /// [`FlowConfig::pre_registered`] before the [`configure`](Self::configure) hook runs;
    /// bind them to an issuer with [`PreRegisteredClient::new`] when you know it.
    ///
    /// ```
    /// # use mcp_oauth_ureq::AuthorizedClient;
    /// # use mcp_oauth_core::flow::PreRegisteredClient;
    /// # use mcp_oauth_core::secret::ClientSecret;
    /// let builder = AuthorizedClient::builder("https://mcp.example.com/mcp").client_credentials(
    ///     PreRegisteredClient::new("https://auth.example.com", "my-service")
    ///         .with_secret(ClientSecret::new("s3cret".into())),
    /// );
    /// # let _ = builder;
    /// ```
    pub fn client_credentials(mut self, client: PreRegisteredClient) -> Self {
        self.client_credentials = Some(client);
        self
    }

    /// Use workload identity federation (SEP-1933): an RFC 7523 JWT bearer grant with a
    /// workload JWT from `provider`, as the pre-registered `client` (usually with no secret:
    /// `none` authentication sends its `client_id`). Never registers, never runs the
    /// interactive step, never falls back to another grant.
    ///
    /// `provider` is called with the authorization server's issuer (the audience the JWT must
    /// name) before every grant, renewals included, so it can read a token file that the
    /// platform rotates; `None` makes the attempt fail with [`Error::NoAssertion`].
    ///
    /// ```
    /// # use mcp_oauth_ureq::AuthorizedClient;
    /// # use mcp_oauth_core::flow::PreRegisteredClient;
    /// # use mcp_oauth_core::secret::Assertion;
    /// let builder = AuthorizedClient::builder("https://mcp.example.com/mcp").workload_identity(
    ///     PreRegisteredClient::new("https://auth.example.com", "my-workload"),
    ///     |_issuer| {
    ///         let jwt = std::fs::read_to_string("/var/run/secrets/tokens/mcp").ok()?;
    ///         Some(Assertion::new(jwt.trim().to_owned()))
    ///     },
    /// );
    /// # let _ = builder;
    /// ```
    pub fn workload_identity(
        mut self,
        client: PreRegisteredClient,
        provider: impl Fn(&str) -> Option<Assertion> + Send + Sync + 'static,
    ) -> Self {
        self.assertion_grant = Some(AssertionGrant::Workload {
            client,
            provider: Arc::new(provider),
        });
        self
    }

    /// Use enterprise-managed authorization (SEP-990): after discovery, exchange the user's ID
    /// token at the enterprise IdP (`idp`) for an ID-JAG, then present it at the MCP
    /// authorization server in an RFC 7523 JWT bearer grant as the pre-registered `client`.
    /// Never registers, never runs the interactive step.
    ///
    /// ```
    /// # use mcp_oauth_ureq::AuthorizedClient;
    /// # use mcp_oauth_core::flow::{IdpConfig, PreRegisteredClient};
    /// # use mcp_oauth_core::secret::{ClientSecret, SubjectToken};
    /// # use mcp_oauth_core::token::ClientAuth;
    /// let idp = IdpConfig::new(
    ///     "https://idp.example.com/oauth2/token",
    ///     ClientAuth::None { client_id: "client-at-idp".into() },
    ///     SubjectToken::new("eyJ…".into()),
    /// );
    /// let builder = AuthorizedClient::builder("https://mcp.example.com/mcp").enterprise(
    ///     PreRegisteredClient::new("https://auth.example.com", "client-at-as")
    ///         .with_secret(ClientSecret::new("s3cret".into())),
    ///     idp,
    /// );
    /// # let _ = builder;
    /// ```
    pub fn enterprise(mut self, client: PreRegisteredClient, idp: IdpConfig) -> Self {
        self.assertion_grant = Some(AssertionGrant::Enterprise { client, idp });
        self
    }

    /// A fixed redirect URI (for a pre-registered client). Default: the stored one, else
    /// `http://127.0.0.1:<ephemeral port>/callback`.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// How long the interactive step may take. Default 10 minutes.
    pub fn authorization_timeout(mut self, timeout: Duration) -> Self {
        self.authorization_timeout = timeout;
        self
    }

    /// Use the device authorization grant (RFC 8628) when the authorization server advertises
    /// it: the user gets a code to enter at a URL on any device (presented by the
    /// [`Interaction`] with [`Interaction::present_device_code`], or printed to stderr with a
    /// redirect follower), and the client polls the token endpoint meanwhile, as often as the
    /// server allows. For headless machines. Falls back to the redirect flow when the server
    /// has no device endpoint (see [`FlowConfig::device_authorization`]). Default off.
    pub fn device_authorization(mut self, on: bool) -> Self {
        self.device_authorization = on;
        self
    }

    /// Use DPoP (RFC 9449) with a fresh ES256 key from the OS random number generator: tokens
    /// are bound to the key, every token request and every MCP request carries a fresh proof,
    /// and `use_dpop_nonce` answers (token endpoint and MCP server) are retried once with the
    /// server's nonce. See [`FlowConfig::dpop`] for the rules.
    ///
    /// The key lives as long as the client: tokens stored by an earlier process (bound to
    /// another key) are not reused, and the client authorizes again. Pass your own persistent
    /// key with [`dpop_key`](Self::dpop_key) to keep DPoP-bound tokens across restarts.
    pub fn dpop(mut self) -> Self {
        self.dpop = Some(DpopChoice::Generate);
        self
    }

    /// Use DPoP (RFC 9449) with this key (see [`dpop`](Self::dpop)).
    pub fn dpop_key(mut self, key: DpopKey) -> Self {
        self.dpop = Some(DpopChoice::Key(key));
        self
    }

    /// Build the client: load the store entry (a warm start restores the flow from it with no
    /// network request), choose the redirect URI, create the HTTP agents.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::Store`] (for example a corrupt store file),
    /// [`Error::Entropy`], [`Error::Interaction`] when no loopback port can be reserved.
    pub fn build(self) -> Result<AuthorizedClient, Error> {
        let mcp_url = Url::parse(&self.mcp_url).map_err(|_| Error::InvalidUrl)?;
        let store: Arc<dyn TokenStore> = match self.store {
            Some(store) => store,
            None => Arc::new(MemoryStore::new()),
        };
        let key = StoreKey::new(self.mcp_url.clone(), self.client_name.clone());
        let stored = {
            let _span = tracing::info_span!(SPAN_STORE, op = "load").entered();
            store.load(&key).map_err(Error::Store)?
        };
        let redirect_uri = match self
            .redirect_uri
            .or_else(|| stored.as_ref().and_then(|e| e.redirect_uri.clone()))
        {
            Some(uri) => uri,
            None => redirect_uri_for(
                reserve_port().map_err(|e| Error::Interaction(e.into()))?,
                "/callback",
            ),
        };
        let dpop = match self.dpop {
            None => None,
            Some(DpopChoice::Key(key)) => Some(key),
            Some(DpopChoice::Generate) => Some(
                DpopKey::generate(mcp_oauth_batteries::entropy().map_err(Error::Entropy)?)
                    .map_err(Error::Dpop)?,
            ),
        };
        let settings = Settings {
            dpop,
            mcp_url: self.mcp_url,
            client_name: self.client_name,
            configure: self.configure,
            client_credentials: self.client_credentials,
            assertion_grant: self.assertion_grant,
            authorization_timeout: self.authorization_timeout,
            device_authorization: self.device_authorization,
        };
        let (flow, last_seen) = settings.flow_from(&redirect_uri, stored)?;
        Ok(AuthorizedClient {
            inner: Arc::new(Inner {
                mcp_url,
                http: agent(&self.limits, Some(MCP_TOTAL_TIMEOUT)),
                oauth: OAuthHttp::new(self.limits),
                authorizer: self
                    .authorizer
                    .unwrap_or(Authorizer::Interaction(Interaction::Browser)),
                store,
                key,
                clock: self.clock,
                settings,
                lock_timeout: self.lock_timeout,
                slot: Mutex::new(Slot {
                    flow,
                    redirect_uri,
                    last_seen,
                }),
            }),
        })
    }
}

struct Settings {
    dpop: Option<DpopKey>,
    mcp_url: String,
    client_name: String,
    configure: Option<Arc<Configure>>,
    client_credentials: Option<PreRegisteredClient>,
    assertion_grant: Option<AssertionGrant>,
    authorization_timeout: Duration,
    device_authorization: bool,
}

/// The caller's workload JWT source (see [`AuthorizedClientBuilder::workload_identity`]).
type AssertionProvider = dyn Fn(&str) -> Option<Assertion> + Send + Sync;

/// A JWT bearer grant mode (SEP-1933, SEP-990).
#[derive(Clone)]
enum AssertionGrant {
    Workload {
        client: PreRegisteredClient,
        provider: Arc<AssertionProvider>,
    },
    Enterprise {
        client: PreRegisteredClient,
        idp: IdpConfig,
    },
}

impl AssertionGrant {
    fn flow_config(&self, mcp_url: &str) -> FlowConfig {
        match self {
            Self::Workload { client, .. } => {
                FlowConfig::new(mcp_url, ClientConfig::jwt_bearer(AssertionSource::OnDemand))
                    .pre_registered(client.clone())
            }
            Self::Enterprise { client, idp } => {
                FlowConfig::new(mcp_url, ClientConfig::enterprise(idp.clone()))
                    .pre_registered(client.clone())
            }
        }
    }
}

impl Settings {
    fn config(&self, redirect_uri: &str) -> FlowConfig {
        let mut config = match &self.client_credentials {
            Some(client) => {
                FlowConfig::new(self.mcp_url.clone(), ClientConfig::client_credentials())
                    .pre_registered(client.clone())
            }
            None => FlowConfig::new(
                self.mcp_url.clone(),
                ClientConfig::authorization_code(self.client_name.clone(), redirect_uri),
            ),
        }
        .authorization_timeout(self.authorization_timeout);
        if let Some(grant) = &self.assertion_grant {
            config = grant
                .flow_config(&self.mcp_url)
                .authorization_timeout(self.authorization_timeout);
        }
        if self.device_authorization {
            config = config.device_authorization(true);
        }
        if let Some(key) = &self.dpop {
            config = config.dpop(key.clone());
        }
        if Url::parse(&self.mcp_url).is_ok_and(|u| is_loopback_url(&u) && u.scheme() == "http") {
            // A loopback MCP server (development, tests): allow loopback http everywhere.
            config = config.url_policy(UrlPolicy::https_only().allow_loopback_http());
        }
        match &self.configure {
            Some(f) => f(config),
            None => config,
        }
    }

    /// A flow restored from `stored` (warm start) or a new one; with the entry it came from.
    fn flow_from(
        &self,
        redirect_uri: &str,
        stored: Option<StoredEntry>,
    ) -> Result<(AuthFlow, Option<StoredEntry>), Error> {
        let seed = mcp_oauth_batteries::entropy().map_err(Error::Entropy)?;
        let mut flow = match stored {
            Some(entry) => {
                match AuthFlow::restore(self.config(redirect_uri), seed, entry.state.clone()) {
                    Ok(flow) => {
                        tracing::debug!(has_tokens = entry.state.has_tokens(), "warm start");
                        (flow, Some(entry))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "stored state not usable; starting cold");
                        let seed = mcp_oauth_batteries::entropy().map_err(Error::Entropy)?;
                        (AuthFlow::new(self.config(redirect_uri), seed), Some(entry))
                    }
                }
            }
            None => (AuthFlow::new(self.config(redirect_uri), seed), None),
        };
        // The drain rule after `new` / `restore`: restore emits `Authorized`, nothing to act on.
        while flow.0.poll_event().is_some() {}
        Ok(flow)
    }
}

struct Slot {
    flow: AuthFlow,
    redirect_uri: String,
    /// The store entry this flow was restored from or last saved (to notice other writers).
    last_seen: Option<StoredEntry>,
}

struct Inner {
    mcp_url: Url,
    http: ureq::Agent,
    oauth: OAuthHttp,
    authorizer: Authorizer,
    store: Arc<dyn TokenStore>,
    key: StoreKey,
    clock: Arc<dyn Clock>,
    settings: Settings,
    lock_timeout: Duration,
    slot: Mutex<Slot>,
}

/// What starts a drive of the flow.
enum Trigger {
    /// The token is due for renewal.
    Renewal,
    /// The MCP server answered 401/403 to a request that carried `used`.
    Challenge {
        response: HttpResponse,
        used: Option<CoreHeaderValue>,
    },
    /// Authorize now.
    Start,
}

/// An MCP client that handles authorization: see the [crate docs](crate).
///
/// `Send + Sync` and cheap to clone (clones share the flow, the store and the connection
/// pools): share it between threads.
#[derive(Clone)]
pub struct AuthorizedClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for AuthorizedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedClient")
            .field("mcp_url", &self.inner.mcp_url.as_str())
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl AuthorizedClient {
    /// A builder for a client of the MCP server at `mcp_url`.
    pub fn builder(mcp_url: impl Into<String>) -> AuthorizedClientBuilder {
        AuthorizedClientBuilder {
            mcp_url: mcp_url.into(),
            client_name: "mcp-oauth client".into(),
            store: None,
            authorizer: None,
            clock: Arc::new(SystemClock),
            limits: Limits::default(),
            configure: None,
            client_credentials: None,
            assertion_grant: None,
            redirect_uri: None,
            authorization_timeout: Duration::from_secs(600),
            lock_timeout: Duration::from_secs(60),
            device_authorization: false,
            dpop: None,
        }
    }

    /// The MCP server URL.
    #[must_use]
    pub fn mcp_url(&self) -> &str {
        self.inner.mcp_url.as_str()
    }

    /// The redirect URI in use.
    #[must_use]
    pub fn redirect_uri(&self) -> String {
        self.slot().redirect_uri.clone()
    }

    /// The flow's status (for diagnostics and tests).
    #[must_use]
    pub fn status(&self) -> FlowStatus {
        self.slot().flow.status()
    }

    /// The flow's report of every request and decision so far, as text (no secrets).
    #[must_use]
    pub fn report(&self) -> String {
        self.slot().flow.report().to_string()
    }

    /// A request builder for `method` and `url` (no credentials attached; pass the built
    /// request to [`AuthorizedClient::send`]).
    pub fn request(&self, method: Method, url: &str) -> ureq::http::request::Builder {
        Request::builder().method(method).uri(url)
    }

    /// POST a JSON-RPC message to the MCP URL (`Accept: application/json, text/event-stream`).
    ///
    /// # Errors
    ///
    /// As [`AuthorizedClient::send`].
    pub fn post_json(&self, message: &serde_json::Value) -> Result<Response, Error> {
        let body = serde_json::to_vec(message).map_err(|_| Error::InvalidRequest)?;
        let request = self
            .request(Method::POST, self.inner.mcp_url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .body(body)
            .map_err(|_| Error::InvalidRequest)?;
        self.send(request)
    }

    /// Authorize now (without waiting for a 401): a no-op with a usable token.
    ///
    /// # Errors
    ///
    /// [`Error::Flow`], [`Error::Interaction`], [`Error::Store`].
    pub fn authorize(&self) -> Result<(), Error> {
        let mut slot = self.slot();
        self.drive(&mut slot, Trigger::Start)
    }

    /// Log out: revoke the tokens at the authorization server (RFC 7009: the refresh token
    /// first, then the access token, when the server advertises a `revocation_endpoint`),
    /// forget them, and delete this client's store entry (tokens, registration and cached
    /// discovery). The next request authorizes from scratch. The outcome says what the server
    /// confirmed; without a revocation endpoint the tokens are only forgotten locally and stay
    /// valid at the server until they expire.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store entry could not be updated or deleted.
    pub fn logout(&self) -> Result<LogoutOutcome, Error> {
        let mut slot = self.slot();
        let _span = tracing::info_span!("mcp_oauth.logout").entered();
        let _lock = self.store_lock()?;
        self.reread(&mut slot)?;
        slot.flow.logout(self.inner.clock.now());
        let mut outcome = None;
        for _ in 0..MAX_STEPS {
            if let Some((id, request)) = slot.flow.poll_request() {
                let result = self.inner.oauth.execute(&request);
                let now = self.inner.clock.now();
                match result {
                    Ok(resp) => slot.flow.handle_response(now, id, resp),
                    Err(e) => slot.flow.handle_transport_error(now, id, e),
                }
                continue;
            }
            match slot.flow.poll_event() {
                // The tokens leave the store before they are revoked.
                Some(Event::StateChanged) => self.persist(&mut slot)?,
                Some(Event::LoggedOut(o)) => outcome = Some(o),
                Some(_) => {}
                None => break,
            }
        }
        {
            let _span = tracing::info_span!(SPAN_STORE, op = "remove").entered();
            self.inner
                .store
                .remove(&self.inner.key)
                .map_err(Error::Store)?;
        }
        slot.last_seen = None;
        // The live flow starts over too, like the deleted entry.
        self.reset(&mut slot)?;
        let outcome = outcome.ok_or(Error::Stalled)?;
        tracing::info!(
            revoked = outcome.revoked.len(),
            not_revoked = outcome.not_revoked.len(),
            revocation_endpoint = outcome.revocation_endpoint,
            "logged out"
        );
        Ok(outcome)
    }

    /// Send `request` (to the MCP server's origin) with the access token. A 401 runs the flow
    /// (refresh or authorization), a 403 `insufficient_scope` steps up; then the request is
    /// retried once. A token near expiry is renewed first. Other responses (including a second
    /// 401/403 and a 403 authorization cannot fix) are returned as they are.
    ///
    /// Same-origin redirects are followed (at most 5; `307`/`308` keep the method and body,
    /// `301`/`302`/`303` are followed for `GET` only); any other redirect is returned as it is.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignOrigin`] for a URL on another origin (the token is never sent there),
    /// [`Error::Transport`] when the MCP server could not be reached, and the flow's errors.
    pub fn send(&self, request: Request<Vec<u8>>) -> Result<Response, Error> {
        let url = Url::parse(&request.uri().to_string()).map_err(|_| Error::InvalidRequest)?;
        if !same_origin(&self.inner.mcp_url, &url) {
            return Err(Error::ForeignOrigin);
        }
        let span = tracing::info_span!(
            SPAN_SEND,
            method = %request.method(),
            url = %loggable_url(url.as_str()),
        );
        let _entered = span.enter();
        let mut retried = false;
        let mut nonce_retried = false;
        loop {
            let headers = self.current_headers(request.method().as_str(), url.as_str())?;
            let header = headers
                .iter()
                .find(|(name, _)| *name == AUTHORIZATION.as_str())
                .map(|(_, v)| v.clone());
            let resp = self.execute_mcp(&request, &url, &headers)?;
            let status = resp.status().as_u16();
            tracing::debug!(status, authorized = header.is_some(), "MCP response");
            // The parts of the response the flow reads: challenges and DPoP nonces.
            let seen = HttpResponse::new(
                status,
                resp.headers()
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .map(|v| ("www-authenticate".to_owned(), v.as_bytes().to_vec()))
                    .chain(
                        resp.headers()
                            .get_all(DPOP_NONCE)
                            .iter()
                            .map(|v| (DPOP_NONCE.to_owned(), v.as_bytes().to_vec())),
                    )
                    .collect(),
                Vec::new(),
            );
            if header.is_some() {
                let retry_nonce = self
                    .slot()
                    .flow
                    .handle_resource_response(url.as_str(), &seen);
                if retry_nonce && !nonce_retried {
                    // RFC 9449 §9: the same request again with a proof carrying the nonce.
                    nonce_retried = true;
                    tracing::debug!("MCP server asked for a DPoP nonce; retrying");
                    continue;
                }
            }
            if matches!(status, 401 | 403) && !retried {
                let challenge = seen;
                let mut slot = self.slot();
                let trigger = Trigger::Challenge {
                    response: challenge,
                    used: header,
                };
                match self.drive(&mut slot, trigger) {
                    Ok(()) => {
                        retried = true;
                        continue;
                    }
                    Err(Error::Flow(e))
                        if matches!(
                            e.kind(),
                            FlowErrorKind::Forbidden | FlowErrorKind::NotAChallenge { .. }
                        ) =>
                    {
                        return Ok(resp);
                    }
                    Err(e) => return Err(e),
                }
            }
            if resp.status().is_success() && header.is_some() {
                let now = self.inner.clock.now();
                self.slot().flow.handle_resource_success(now);
            }
            return Ok(resp);
        }
    }

    /// One MCP exchange: `request` with the `auth` headers (`Authorization`, and `DPoP` for a
    /// DPoP-bound token), following same-origin redirects only.
    fn execute_mcp(
        &self,
        request: &Request<Vec<u8>>,
        url: &Url,
        auth: &[(&'static str, CoreHeaderValue)],
    ) -> Result<Response, Error> {
        let mut url = url.clone();
        for hop in 0..=MAX_MCP_REDIRECTS {
            let mut rb = Request::builder()
                .method(request.method().clone())
                .uri(url.as_str())
                .version(request.version());
            for (name, value) in request.headers() {
                if name != AUTHORIZATION && name.as_str() != DPOP_HEADER {
                    rb = rb.header(name, value);
                }
            }
            for (name, h) in auth {
                let mut v = HeaderValue::from_str(h.as_str()).map_err(|_| Error::InvalidRequest)?;
                v.set_sensitive(h.is_sensitive());
                rb = rb.header(*name, v);
            }
            let attempt = rb
                .body(request.body().clone())
                .map_err(|_| Error::InvalidRequest)?;
            let resp = self
                .inner
                .http
                .run(attempt)
                .map_err(|e| Error::Transport(transport_error(&e)))?;
            let status = resp.status().as_u16();
            let follow = is_redirect_status(status)
                && hop < MAX_MCP_REDIRECTS
                && (matches!(status, 307 | 308) || request.method() == Method::GET);
            let next = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l.trim()).ok())
                .filter(|next| follow && same_origin(&self.inner.mcp_url, next));
            match next {
                Some(next) => {
                    tracing::debug!(status, to = %loggable_url(next.as_str()), "same-origin MCP redirect");
                    url = next;
                }
                None => return Ok(resp),
            }
        }
        // The last iteration never follows (`hop < MAX_MCP_REDIRECTS` is false there).
        Err(Error::Transport(
            mcp_oauth_core::flow::TransportError::Redirect,
        ))
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        // A panic while driving leaves a consistent flow (every step is a whole method call).
        self.inner
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The headers to send now (`Authorization`, and a DPoP proof for a DPoP-bound token),
    /// renewing first when the token is due.
    fn current_headers(
        &self,
        method: &str,
        url: &str,
    ) -> Result<Vec<(&'static str, CoreHeaderValue)>, Error> {
        let mut slot = self.slot();
        let now = self.inner.clock.now();
        if renewal_due(&slot.flow, now)
            && let Err(e) = self.drive(&mut slot, Trigger::Renewal)
        {
            // A failed early renewal is not fatal while the token is still valid.
            let now = self.inner.clock.now();
            if slot.flow.authorization_header(now).is_none() {
                return Err(e);
            }
            tracing::warn!(error = %e, "proactive renewal failed; using the current token");
        }
        let now = self.inner.clock.now();
        slot.flow
            .authorization_headers(now, method, url)
            .map_err(Error::Flow)
    }

    /// Drive the flow for `trigger` until it settles. Runs under the flow mutex (single
    /// flight) and the store lock (other processes), after re-reading the store entry.
    fn drive(&self, slot: &mut Slot, trigger: Trigger) -> Result<(), Error> {
        let name = match &trigger {
            Trigger::Renewal => TRIGGER_RENEWAL,
            Trigger::Challenge { response, .. } if response.status == 403 => TRIGGER_STEP_UP,
            Trigger::Challenge { .. } => TRIGGER_CHALLENGE,
            Trigger::Start => TRIGGER_START,
        };
        let span = tracing::info_span!(SPAN_FLOW, trigger = name);
        let _entered = span.enter();
        let _lock = self.store_lock()?;
        self.reread(slot)?;
        let now = self.inner.clock.now();
        let mut first_error = None;
        match trigger {
            Trigger::Renewal => {
                if !renewal_due(&slot.flow, now) {
                    tracing::debug!("renewed by another holder of the store");
                    return Ok(());
                }
                slot.flow.handle_timeout(now);
            }
            Trigger::Challenge { response, used } => {
                let current = slot.flow.authorization_header(now);
                if current.is_some() && current != used {
                    tracing::debug!("token changed meanwhile; retrying with it");
                    return Ok(());
                }
                first_error = slot.flow.handle_challenge(now, &response).err();
                if let Some(e) = &first_error
                    && matches!(
                        e.kind(),
                        FlowErrorKind::Forbidden | FlowErrorKind::NotAChallenge { .. }
                    )
                {
                    return Err(Error::Flow(e.clone()));
                }
            }
            Trigger::Start => slot.flow.start(now),
        }
        self.run_until_settled(slot, first_error)
    }

    /// The drain loop of the flow's module docs.
    fn run_until_settled(
        &self,
        slot: &mut Slot,
        sync_error: Option<FlowError>,
    ) -> Result<(), Error> {
        let mut failure: Option<FlowError> = None;
        let mut redirect_error: Option<FlowError> = None;
        // While a device code is out (RFC 8628) the loop also sleeps until the flow's next
        // poll; those rounds do not count against the step bound (the code's expiry ends them).
        let mut device_waiting = false;
        let mut steps = 0;
        while steps < MAX_STEPS {
            if !device_waiting {
                steps += 1;
            }
            if let Some((id, request)) = slot.flow.poll_request() {
                let result = self.inner.oauth.execute(&request);
                let now = self.inner.clock.now();
                match result {
                    Ok(resp) => slot.flow.handle_response(now, id, resp),
                    Err(e) => {
                        tracing::debug!(error = %e, "OAuth request failed");
                        slot.flow.handle_transport_error(now, id, e);
                    }
                }
                continue;
            }
            match slot.flow.poll_event() {
                Some(Event::OpenAuthorizationUrl {
                    url,
                    redirect_uri,
                    issuer,
                }) => {
                    let prompt = AuthorizationPrompt::new(url, redirect_uri, issuer);
                    match self.authorize_user(&prompt) {
                        Ok(redirect) => {
                            let now = self.inner.clock.now();
                            if let Err(e) = slot.flow.handle_redirect(now, &redirect) {
                                redirect_error = Some(e);
                            }
                        }
                        Err(e) => {
                            self.reset(slot)?;
                            return Err(Error::Interaction(e));
                        }
                    }
                }
                Some(Event::DeviceAuthorization {
                    user_code,
                    verification_uri,
                    verification_uri_complete,
                    expires_at,
                    issuer,
                }) => {
                    let prompt = DevicePrompt::new(
                        user_code,
                        verification_uri,
                        verification_uri_complete,
                        expires_at,
                        issuer,
                    );
                    if let Err(e) = self.present_device_code(&prompt) {
                        self.reset(slot)?;
                        return Err(Error::Interaction(e));
                    }
                    device_waiting = true;
                }
                Some(Event::StateChanged) => {
                    if let Err(e) = self.persist(slot) {
                        // F-4: never use tokens that could not be stored.
                        self.reset(slot)?;
                        return Err(e);
                    }
                }
                Some(Event::Failed(e)) => {
                    tracing::info!(error = %e, "authorization attempt failed");
                    device_waiting = false;
                    failure = Some(e);
                }
                Some(Event::AssertionRequired { issuer }) => {
                    let assertion = match &self.inner.settings.assertion_grant {
                        Some(AssertionGrant::Workload { provider, .. }) => provider(&issuer),
                        _ => None,
                    };
                    let Some(assertion) = assertion else {
                        self.reset(slot)?;
                        return Err(Error::NoAssertion);
                    };
                    let now = self.inner.clock.now();
                    if let Err(e) = slot.flow.handle_assertion(now, assertion) {
                        failure = Some(e);
                    }
                }
                Some(Event::Refreshed) => tracing::info!("token refreshed"),
                Some(Event::Authorized) => {
                    device_waiting = false;
                    tracing::info!("authorized");
                }
                Some(_) => {}
                None if device_waiting
                    && slot.flow.status() == FlowStatus::AwaitingAuthorization =>
                {
                    // The flow's own timer: the next device poll, or the code's expiry.
                    let Some(at) = slot.flow.poll_timeout() else {
                        break;
                    };
                    let wait = at.saturating_duration_since(self.inner.clock.now());
                    std::thread::sleep(wait);
                    // The sleep reached `at`; a clock read a hair earlier must not make the
                    // flow wait another round.
                    let now = self.inner.clock.now().max(at);
                    slot.flow.handle_timeout(now);
                }
                None => break,
            }
        }
        if let Some(e) = failure.or(redirect_error).or(sync_error)
            && slot.flow.status() != FlowStatus::Authorized
        {
            return Err(Error::Flow(e));
        }
        match slot.flow.status() {
            FlowStatus::Authorized => Ok(()),
            FlowStatus::AwaitingAuthorization => {
                // A refused redirect left the attempt pending; start over next time.
                self.reset(slot)?;
                Err(Error::Interaction(InteractionError::Other(
                    "the authorization response was refused".into(),
                )))
            }
            _ => Err(Error::Stalled),
        }
    }

    fn present_device_code(&self, prompt: &DevicePrompt) -> Result<(), InteractionError> {
        tracing::info!(issuer = prompt.issuer(), "device code presented");
        match &self.inner.authorizer {
            Authorizer::Interaction(i) => i.present_device_code(prompt),
            Authorizer::Follow(_) => Interaction::Headless.present_device_code(prompt),
        }
    }

    fn authorize_user(&self, prompt: &AuthorizationPrompt) -> Result<String, InteractionError> {
        let span = tracing::info_span!(
            SPAN_INTERACTION,
            issuer = prompt.issuer(),
            redirect_uri = prompt.redirect_uri(),
        );
        let _entered = span.enter();
        match &self.inner.authorizer {
            Authorizer::Follow(f) => f.follow(prompt),
            Authorizer::Interaction(i) => i.run(prompt, self.inner.settings.authorization_timeout),
        }
    }

    /// Store the flow's state (F-4: before the new token is used).
    fn persist(&self, slot: &mut Slot) -> Result<(), Error> {
        let Some(state) = slot.flow.persisted_state() else {
            return Ok(());
        };
        let entry = StoredEntry::new(state).with_redirect_uri(slot.redirect_uri.clone());
        {
            let _span = tracing::info_span!(SPAN_STORE, op = "save").entered();
            self.inner
                .store
                .save(&self.inner.key, &entry)
                .map_err(Error::Store)?;
        }
        slot.last_seen = Some(entry);
        Ok(())
    }

    /// Resume from what another holder of the store wrote, if anything changed.
    fn reread(&self, slot: &mut Slot) -> Result<(), Error> {
        let stored = {
            let _span = tracing::info_span!(SPAN_STORE, op = "load").entered();
            self.inner
                .store
                .load(&self.inner.key)
                .map_err(Error::Store)?
        };
        if stored.is_some() && stored != slot.last_seen {
            tracing::info!("store entry changed by another client; resuming from it");
            let (flow, seen) = self.inner.settings.flow_from(&slot.redirect_uri, stored)?;
            slot.flow = flow;
            slot.last_seen = seen;
        }
        Ok(())
    }

    fn store_lock(&self) -> Result<StoreLock, Error> {
        let _span = tracing::info_span!(SPAN_STORE, op = "lock").entered();
        self.inner
            .store
            .lock(&self.inner.key, self.inner.lock_timeout)
            .map_err(Error::Store)
    }

    /// Replace the flow by one restored from the last stored entry (or a new one).
    fn reset(&self, slot: &mut Slot) -> Result<(), Error> {
        let (flow, seen) = self
            .inner
            .settings
            .flow_from(&slot.redirect_uri, slot.last_seen.clone())?;
        slot.flow = flow;
        slot.last_seen = seen;
        Ok(())
    }
}

fn renewal_due(flow: &AuthFlow, now: Timestamp) -> bool {
    flow.status() == FlowStatus::Authorized && flow.poll_timeout().is_some_and(|t| t <= now)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, TcpListener};
    use std::sync::mpsc;

    use super::*;

    /// A loopback server answering `count` requests, one per connection, with `answer(path)`;
    /// reports `(path, authorization header)` for each.
    fn server(
        count: usize,
        answer: impl Fn(&str) -> String + Send + 'static,
    ) -> (u16, mpsc::Receiver<(String, Option<String>)>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for _ in 0..count {
                let Ok((mut s, _)) = listener.accept() else {
                    return;
                };
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                    if s.read(&mut byte).unwrap_or(0) == 0 {
                        break;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                let auth = head
                    .lines()
                    .find_map(|l| l.strip_prefix("authorization: "))
                    .map(str::to_owned);
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                let _ = s.read_exact(&mut body);
                let _ = s.write_all(answer(&path).as_bytes());
                let _ = tx.send((path, auth));
            }
        });
        (port, rx)
    }

    fn redirect(status: u16, location: &str) -> String {
        format!(
            "HTTP/1.1 {status} Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    }

    fn client_for(port: u16) -> AuthorizedClient {
        AuthorizedClient::builder(format!("http://127.0.0.1:{port}/mcp"))
            .build()
            .unwrap()
    }

    fn post(c: &AuthorizedClient, port: u16) -> (Request<Vec<u8>>, Url) {
        let url = Url::parse(&format!("http://127.0.0.1:{port}/mcp")).unwrap();
        let req = c
            .request(Method::POST, url.as_str())
            .body(b"{}".to_vec())
            .unwrap();
        (req, url)
    }

    // covers: U-4 (the token stays on its origin; same-origin redirects keep it)
    #[test]
    fn same_origin_redirects_keep_the_header_and_cross_origin_ones_are_returned() {
        let foreign = reserve_port().unwrap();
        let (port, seen) = server(2, move |path| match path {
            "/mcp" => redirect(307, "/mcp2"),
            _ => redirect(308, &format!("http://127.0.0.1:{foreign}/steal")),
        });
        let c = client_for(port);
        let (req, url) = post(&c, port);
        let auth = [(
            "authorization",
            CoreHeaderValue::sensitive("Bearer t0ken".into()),
        )];
        let resp = c.execute_mcp(&req, &url, &auth).unwrap();
        assert_eq!(
            resp.status().as_u16(),
            308,
            "the cross-origin redirect is returned"
        );
        let seen: Vec<_> = seen.iter().take(2).collect();
        assert_eq!(seen[0], ("/mcp".into(), Some("Bearer t0ken".into())));
        assert_eq!(seen[1], ("/mcp2".into(), Some("Bearer t0ken".into())));
    }

    #[test]
    fn same_origin_redirects_are_bounded() {
        let (port, seen) = server(MAX_MCP_REDIRECTS + 1, |_| redirect(307, "/mcp"));
        let c = client_for(port);
        let (req, url) = post(&c, port);
        let resp = c.execute_mcp(&req, &url, &[]).unwrap();
        assert_eq!(resp.status().as_u16(), 307);
        assert_eq!(seen.iter().take(MAX_MCP_REDIRECTS + 1).count(), 6);
    }

    #[test]
    fn a_post_is_not_turned_into_a_get_by_a_303() {
        let (port, seen) = server(1, |_| redirect(303, "/elsewhere"));
        let c = client_for(port);
        let (req, url) = post(&c, port);
        let resp = c.execute_mcp(&req, &url, &[]).unwrap();
        assert_eq!(resp.status().as_u16(), 303);
        assert_eq!(seen.iter().count(), 1);
    }
}
