//! The parts of an `AuthorizedClient` driver that do no IO, shared by `mcp-oauth-reqwest`
//! (async) and `mcp-oauth-ureq` (blocking): the builder's options and setters, the flow
//! configuration they make, and the warm/cold start from a store entry.
//!
//! An implementation detail of those two crates (hidden from the docs, no stability promise):
//! their `AuthorizedClientBuilder` holds an [`Options`] and gets its setters from
//! [`builder_setters!`](crate::builder_setters); each adapter keeps only its IO loop.

use core::time::Duration;
use std::sync::Arc;

use mcp_oauth_core::Timestamp;
use mcp_oauth_core::dpop::DpopKey;
use mcp_oauth_core::flow::{
    AssertionSource, AuthFlow, ClientConfig, Event, FlowConfig, FlowError, FlowErrorKind,
    FlowStatus, IdpConfig, PreRegisteredClient, RequestId,
};
use mcp_oauth_core::http::{HeaderValue, HttpRequest, HttpResponse};
use mcp_oauth_core::secret::Assertion;
use mcp_oauth_core::urls::{UrlPolicy, is_loopback_url};
use url::Url;

use crate::clock::{Clock, EntropyError, SystemClock};
use crate::http::Limits;
use crate::interaction::{AuthorizationPrompt, DevicePrompt, Interaction, InteractionError};
use crate::loopback::{LoopbackError, redirect_uri_for, reserve_port};
use crate::store::{StoredEntry, TokenStore};

/// A hook that adjusts each [`FlowConfig`] the client builds.
pub type Configure = dyn Fn(FlowConfig) -> FlowConfig + Send + Sync;

/// The caller's workload JWT source (see the builders' `workload_identity`).
pub type AssertionProvider = dyn Fn(&str) -> Option<Assertion> + Send + Sync;

/// A JWT bearer grant mode (SEP-1933, SEP-990).
#[derive(Clone)]
pub enum AssertionGrant {
    /// Workload identity federation (SEP-1933).
    Workload {
        /// The pre-registered client.
        client: PreRegisteredClient,
        /// Where the workload JWT comes from.
        provider: Arc<AssertionProvider>,
    },
    /// Enterprise-managed authorization (SEP-990).
    Enterprise {
        /// The pre-registered client at the MCP authorization server.
        client: PreRegisteredClient,
        /// The enterprise IdP.
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

/// Where the DPoP key comes from.
pub enum DpopChoice {
    /// The caller's key.
    Key(DpopKey),
    /// A fresh key from the OS random number generator.
    Generate,
}

/// What an `AuthorizedClientBuilder` collects, apart from the adapter's own interactive step.
pub struct Options {
    /// The MCP server URL, as given.
    pub mcp_url: String,
    /// The client name (dynamic registration, store key).
    pub client_name: String,
    /// The store; `None` for a fresh `MemoryStore`.
    pub store: Option<Arc<dyn TokenStore>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Transport limits for OAuth requests.
    pub limits: Limits,
    /// The [`FlowConfig`] hook.
    pub configure: Option<Arc<Configure>>,
    /// Client credentials grant.
    pub client_credentials: Option<PreRegisteredClient>,
    /// JWT bearer grant mode.
    pub assertion_grant: Option<AssertionGrant>,
    /// A fixed redirect URI.
    pub redirect_uri: Option<String>,
    /// How long the interactive step may take.
    pub authorization_timeout: Duration,
    /// How long to wait for the store lock.
    pub lock_timeout: Duration,
    /// Device authorization grant.
    pub device_authorization: bool,
    /// DPoP.
    pub dpop: Option<DpopChoice>,
}

impl Options {
    /// The defaults for a client of `mcp_url`.
    #[must_use]
    pub fn new(mcp_url: String) -> Self {
        Self {
            mcp_url,
            client_name: "mcp-oauth client".into(),
            store: None,
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
}

/// What a built client keeps to make (and remake) its flow.
pub struct Settings {
    /// The DPoP key, if DPoP is on.
    pub dpop: Option<DpopKey>,
    /// The MCP server URL, as given.
    pub mcp_url: String,
    /// The client name.
    pub client_name: String,
    /// The [`FlowConfig`] hook.
    pub configure: Option<Arc<Configure>>,
    /// Client credentials grant.
    pub client_credentials: Option<PreRegisteredClient>,
    /// JWT bearer grant mode.
    pub assertion_grant: Option<AssertionGrant>,
    /// How long the interactive step may take.
    pub authorization_timeout: Duration,
    /// Device authorization grant.
    pub device_authorization: bool,
}

impl Settings {
    /// The flow configuration for `redirect_uri`.
    #[must_use]
    pub fn config(&self, redirect_uri: &str) -> FlowConfig {
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
    /// Its events are not drained.
    ///
    /// # Errors
    ///
    /// [`EntropyError`] when the OS random number generator fails.
    pub fn flow_from(
        &self,
        redirect_uri: &str,
        stored: Option<StoredEntry>,
    ) -> Result<(AuthFlow, Option<StoredEntry>), EntropyError> {
        let seed = crate::entropy()?;
        if let Some(entry) = stored {
            match AuthFlow::restore(self.config(redirect_uri), seed, entry.state.clone()) {
                Ok(flow) => {
                    tracing::debug!(has_tokens = entry.state.has_tokens(), "warm start");
                    return Ok((flow, Some(entry)));
                }
                Err(e) => tracing::warn!(error = %e, "stored state not usable; starting cold"),
            }
            let seed = crate::entropy()?;
            return Ok((AuthFlow::new(self.config(redirect_uri), seed), Some(entry)));
        }
        Ok((AuthFlow::new(self.config(redirect_uri), seed), None))
    }
}

/// Whether an authorized flow's token is due for renewal at `now`.
#[must_use]
pub fn renewal_due(flow: &AuthFlow, now: Timestamp) -> bool {
    flow.status() == FlowStatus::Authorized && flow.poll_timeout().is_some_and(|t| t <= now)
}

#[doc(hidden)]
pub use mcp_oauth_core;

/// The setters shared by both adapters' `AuthorizedClientBuilder` (one copy of their docs):
/// `builder_setters!(AuthorizedClientBuilder, "crate_name")` in a module where the builder
/// has a field `options: Options` and `Error` is the adapter's error type.
#[doc(hidden)]
#[macro_export]
macro_rules! builder_setters {
    ($builder:ident, $krate:literal) => {
        impl $builder {
            /// The client name sent in dynamic registration, also part of the store key. Default
            /// `"mcp-oauth client"`.
            pub fn client_name(mut self, name: impl Into<String>) -> Self {
                self.options.client_name = name.into();
                self
            }

            /// Where tokens, the registration and cached discovery are kept. Default: a fresh
            /// [`MemoryStore`](mcp_oauth_batteries::store::MemoryStore) (nothing survives the
            /// process).
            pub fn store(mut self, store: impl $crate::store::TokenStore + 'static) -> Self {
                self.options.store = Some(::std::sync::Arc::new(store));
                self
            }

            /// The same, for a store shared with other clients.
            pub fn shared_store(
                mut self,
                store: ::std::sync::Arc<dyn $crate::store::TokenStore>,
            ) -> Self {
                self.options.store = Some(store);
                self
            }

            /// The clock. Default [`SystemClock`](mcp_oauth_batteries::clock::SystemClock).
            pub fn clock(mut self, clock: impl $crate::clock::Clock + 'static) -> Self {
                self.options.clock = ::std::sync::Arc::new(clock);
                self
            }

            /// Transport limits for OAuth requests (body cap, timeouts). Default
            /// [`Limits::default`](mcp_oauth_batteries::http::Limits::default).
            pub fn limits(mut self, limits: $crate::http::Limits) -> Self {
                self.options.limits = limits;
                self
            }

            /// Adjust every [`FlowConfig`](mcp_oauth_core::flow::FlowConfig) the client builds
            /// (scopes, pre-registered clients, quirks). Called again on each restore, so it
            /// must be deterministic.
            pub fn configure(
                mut self,
                f: impl Fn(
                    $crate::driver::mcp_oauth_core::flow::FlowConfig,
                ) -> $crate::driver::mcp_oauth_core::flow::FlowConfig
                + Send
                + Sync
                + 'static,
            ) -> Self {
                self.options.configure = Some(::std::sync::Arc::new(f));
                self
            }

            /// Use the OAuth client credentials grant (the MCP client-credentials extension)
            /// with these pre-registered credentials, instead of the authorization code grant:
            /// a machine-to-machine client that never registers and never runs the interactive
            /// step (checklist M-2). The credentials are added to the
            /// [`FlowConfig`](mcp_oauth_core::flow::FlowConfig) with
            /// [`FlowConfig::pre_registered`](mcp_oauth_core::flow::FlowConfig::pre_registered)
            /// before the [`configure`](Self::configure) hook runs; bind them to an issuer with
            /// [`PreRegisteredClient::new`](mcp_oauth_core::flow::PreRegisteredClient::new) when
            /// you know it.
            ///
            /// ```
            #[doc = concat!("# use ", $krate, "::AuthorizedClient;")]
            /// # use mcp_oauth_core::flow::PreRegisteredClient;
            /// # use mcp_oauth_core::secret::ClientSecret;
            /// let builder = AuthorizedClient::builder("https://mcp.example.com/mcp").client_credentials(
            ///     PreRegisteredClient::new("https://auth.example.com", "my-service")
            ///         .with_secret(ClientSecret::new("s3cret".into())),
            /// );
            /// # let _ = builder;
            /// ```
            pub fn client_credentials(
                mut self,
                client: $crate::driver::mcp_oauth_core::flow::PreRegisteredClient,
            ) -> Self {
                self.options.client_credentials = Some(client);
                self
            }

            /// Use workload identity federation (SEP-1933): an RFC 7523 JWT bearer grant with a
            /// workload JWT from `provider`, as the pre-registered `client` (usually with no
            /// secret: `none` authentication sends its `client_id`). Never registers, never runs
            /// the interactive step, never falls back to another grant.
            ///
            /// `provider` is called with the authorization server's issuer (the audience the JWT
            /// must name) before every grant, renewals included, so it can read a token file that
            /// the platform rotates; `None` makes the attempt fail with
            /// [`Error::NoAssertion`](crate::Error::NoAssertion).
            ///
            /// ```
            #[doc = concat!("# use ", $krate, "::AuthorizedClient;")]
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
                client: $crate::driver::mcp_oauth_core::flow::PreRegisteredClient,
                provider: impl Fn(&str) -> Option<$crate::driver::mcp_oauth_core::secret::Assertion>
                + Send
                + Sync
                + 'static,
            ) -> Self {
                self.options.assertion_grant = Some($crate::driver::AssertionGrant::Workload {
                    client,
                    provider: ::std::sync::Arc::new(provider),
                });
                self
            }

            /// Use enterprise-managed authorization (SEP-990): after discovery, exchange the
            /// user's ID token at the enterprise IdP (`idp`) for an ID-JAG, then present it at
            /// the MCP authorization server in an RFC 7523 JWT bearer grant as the pre-registered
            /// `client`. Never registers, never runs the interactive step.
            ///
            /// ```
            #[doc = concat!("# use ", $krate, "::AuthorizedClient;")]
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
            pub fn enterprise(
                mut self,
                client: $crate::driver::mcp_oauth_core::flow::PreRegisteredClient,
                idp: $crate::driver::mcp_oauth_core::flow::IdpConfig,
            ) -> Self {
                self.options.assertion_grant =
                    Some($crate::driver::AssertionGrant::Enterprise { client, idp });
                self
            }

            /// A fixed redirect URI (for a pre-registered client). Default: the stored one, else
            /// `http://127.0.0.1:<ephemeral port>/callback`.
            pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
                self.options.redirect_uri = Some(uri.into());
                self
            }

            /// How long the interactive step may take. Default 10 minutes.
            pub fn authorization_timeout(mut self, timeout: ::core::time::Duration) -> Self {
                self.options.authorization_timeout = timeout;
                self
            }

            /// Use the device authorization grant (RFC 8628) when the authorization server
            /// advertises it: the user gets a code to enter at a URL on any device (presented by
            /// the [`Interaction`](mcp_oauth_batteries::Interaction) with
            /// [`Interaction::present_device_code`](mcp_oauth_batteries::Interaction::present_device_code),
            /// or printed to stderr with a redirect follower), and the client polls the token
            /// endpoint meanwhile, as often as the server allows. For headless machines. Falls
            /// back to the redirect flow when the server has no device endpoint (see
            /// [`FlowConfig::device_authorization`](mcp_oauth_core::flow::FlowConfig::device_authorization)).
            /// Default off.
            pub fn device_authorization(mut self, on: bool) -> Self {
                self.options.device_authorization = on;
                self
            }

            /// Use DPoP (RFC 9449) with a fresh ES256 key from the OS random number generator:
            /// tokens are bound to the key, every token request and every MCP request carries a
            /// fresh proof, and `use_dpop_nonce` answers (token endpoint and MCP server) are
            /// retried once with the server's nonce. See
            /// [`FlowConfig::dpop`](mcp_oauth_core::flow::FlowConfig::dpop) for the rules.
            ///
            /// The key lives as long as the client: tokens stored by an earlier process (bound
            /// to another key) are not reused, and the client authorizes again. Pass your own
            /// persistent key with [`dpop_key`](Self::dpop_key) to keep DPoP-bound tokens across
            /// restarts.
            pub fn dpop(mut self) -> Self {
                self.options.dpop = Some($crate::driver::DpopChoice::Generate);
                self
            }

            /// Use DPoP (RFC 9449) with this key (see [`dpop`](Self::dpop)).
            pub fn dpop_key(mut self, key: $crate::driver::mcp_oauth_core::dpop::DpopKey) -> Self {
                self.options.dpop = Some($crate::driver::DpopChoice::Key(key));
                self
            }
        }
    };
}

/// The flow a client drives, behind its mutex.
pub struct Slot {
    /// The flow.
    pub flow: AuthFlow,
    /// The redirect URI in use.
    pub redirect_uri: String,
    /// The store entry this flow was restored from or last saved (to notice other writers).
    pub last_seen: Option<StoredEntry>,
}

/// What starts a drive of the flow.
pub enum Trigger {
    /// The token is due for renewal.
    Renewal,
    /// The MCP server answered 401/403 to a request that carried `used`.
    Challenge {
        /// The parts of the response the flow reads.
        response: HttpResponse,
        /// The `Authorization` header the request carried.
        used: Option<HeaderValue>,
    },
    /// Authorize now.
    Start,
}

impl Trigger {
    /// The `trigger` field of the flow span ([`crate::trace`]).
    #[must_use]
    pub fn trace_name(&self) -> &'static str {
        match self {
            Self::Renewal => crate::trace::TRIGGER_RENEWAL,
            Self::Challenge { response, .. } if response.status == 403 => {
                crate::trace::TRIGGER_STEP_UP
            }
            Self::Challenge { .. } => crate::trace::TRIGGER_CHALLENGE,
            Self::Start => crate::trace::TRIGGER_START,
        }
    }
}

impl Settings {
    /// The answer to the flow's `AssertionRequired { issuer }` event: the workload provider's
    /// JWT, `None` without one.
    #[must_use]
    pub fn assertion(&self, issuer: &str) -> Option<Assertion> {
        match &self.assertion_grant {
            Some(AssertionGrant::Workload { provider, .. }) => provider(issuer),
            _ => None,
        }
    }
}

/// Upper bound on drive-loop steps in one episode (requests + events); far above any real flow.
pub const MAX_STEPS: usize = 256;

/// What the drain loop must do next (the IO part is the adapter's).
pub enum Step {
    /// Send this OAuth request; answer with `handle_response` / `handle_transport_error`.
    Request(RequestId, HttpRequest),
    /// Run the interactive step; answer with [`Drain::redirect`] (on failure: reset, give up).
    Authorize(AuthorizationPrompt),
    /// Show the device code; then [`Drain::device_presented`] (on failure: reset, give up).
    PresentDevice(DevicePrompt),
    /// Store the flow's state (F-4: before the new token is used; on failure: reset, give up).
    Persist,
    /// Find the assertion for this issuer ([`Settings::assertion`]); answer with
    /// [`Drain::assertion`] (none: reset, give up).
    Assertion(String),
    /// Sleep until this instant (a device poll or the code's expiry), then call
    /// `handle_timeout` with the later of the clock and this instant.
    Sleep(Timestamp),
    /// The loop is over: call [`Drain::finish`].
    Done,
}

/// How a drain ended when it did not authorize.
pub enum Unsettled {
    /// The attempt failed with this error.
    Failed(FlowError),
    /// A refused redirect left the attempt pending: reset the flow (start over next time).
    Refused,
    /// The flow neither authorized nor failed.
    Stalled,
}

/// The decisions of the drain loop of the flow's module docs, without its IO.
pub struct Drain {
    failure: Option<FlowError>,
    redirect_error: Option<FlowError>,
    sync_error: Option<FlowError>,
    /// While a device code is out (RFC 8628) the loop also sleeps until the flow's next poll;
    /// those rounds do not count against the step bound (the code's expiry ends them).
    device_waiting: bool,
    steps: usize,
}

impl Drain {
    /// A drain after a synchronous `sync_error` (from `handle_challenge`), if any.
    #[must_use]
    pub fn new(sync_error: Option<FlowError>) -> Self {
        Self {
            failure: None,
            redirect_error: None,
            sync_error,
            device_waiting: false,
            steps: 0,
        }
    }

    /// The next thing to do.
    pub fn next(&mut self, flow: &mut AuthFlow) -> Step {
        while self.steps < MAX_STEPS {
            if !self.device_waiting {
                self.steps += 1;
            }
            if let Some((id, request)) = flow.poll_request() {
                return Step::Request(id, request);
            }
            match flow.poll_event() {
                Some(Event::OpenAuthorizationUrl {
                    url,
                    redirect_uri,
                    issuer,
                }) => return Step::Authorize(AuthorizationPrompt::new(url, redirect_uri, issuer)),
                Some(Event::DeviceAuthorization {
                    user_code,
                    verification_uri,
                    verification_uri_complete,
                    expires_at,
                    issuer,
                }) => {
                    return Step::PresentDevice(DevicePrompt::new(
                        user_code,
                        verification_uri,
                        verification_uri_complete,
                        expires_at,
                        issuer,
                    ));
                }
                Some(Event::StateChanged) => return Step::Persist,
                Some(Event::Failed(e)) => {
                    tracing::info!(error = %e, "authorization attempt failed");
                    self.device_waiting = false;
                    self.failure = Some(e);
                }
                Some(Event::AssertionRequired { issuer }) => return Step::Assertion(issuer),
                Some(Event::Refreshed) => tracing::info!("token refreshed"),
                Some(Event::Authorized) => {
                    self.device_waiting = false;
                    tracing::info!("authorized");
                }
                Some(_) => {}
                None if self.device_waiting
                    && flow.status() == FlowStatus::AwaitingAuthorization =>
                {
                    // The flow's own timer: the next device poll, or the code's expiry.
                    return match flow.poll_timeout() {
                        Some(at) => Step::Sleep(at),
                        None => Step::Done,
                    };
                }
                None => return Step::Done,
            }
        }
        Step::Done
    }

    /// The interactive step's redirect.
    pub fn redirect(&mut self, flow: &mut AuthFlow, now: Timestamp, redirect: &str) {
        if let Err(e) = flow.handle_redirect(now, redirect) {
            self.redirect_error = Some(e);
        }
    }

    /// The device code was shown.
    pub fn device_presented(&mut self) {
        self.device_waiting = true;
    }

    /// The assertion for [`Step::Assertion`].
    pub fn assertion(&mut self, flow: &mut AuthFlow, now: Timestamp, assertion: Assertion) {
        if let Err(e) = flow.handle_assertion(now, assertion) {
            self.failure = Some(e);
        }
    }

    /// The outcome once [`Step::Done`] came.
    ///
    /// # Errors
    ///
    /// [`Unsettled`] when the flow is not authorized.
    pub fn finish(self, flow: &AuthFlow) -> Result<(), Unsettled> {
        if let Some(e) = self.failure.or(self.redirect_error).or(self.sync_error)
            && flow.status() != FlowStatus::Authorized
        {
            return Err(Unsettled::Failed(e));
        }
        match flow.status() {
            FlowStatus::Authorized => Ok(()),
            FlowStatus::AwaitingAuthorization => Err(Unsettled::Refused),
            _ => Err(Unsettled::Stalled),
        }
    }
}

/// Whether a challenge error ends the request as it is (the MCP response goes back to the
/// caller): `Forbidden` (insufficient scope already tried) or `NotAChallenge`.
#[must_use]
pub fn challenge_is_final(e: &FlowError) -> bool {
    matches!(
        e.kind(),
        FlowErrorKind::Forbidden | FlowErrorKind::NotAChallenge { .. }
    )
}

/// What a drive does after its trigger was applied.
pub enum Begin {
    /// Nothing to do (another holder of the store renewed, or the token changed meanwhile).
    Settled,
    /// Run the drain loop, with the challenge's synchronous error if any.
    Run(Option<FlowError>),
}

impl Trigger {
    /// Apply the trigger to `flow` (after the store lock and the re-read).
    ///
    /// # Errors
    ///
    /// A challenge error that [ends the request](challenge_is_final).
    pub fn begin(self, flow: &mut AuthFlow, now: Timestamp) -> Result<Begin, FlowError> {
        match self {
            Self::Renewal => {
                if !renewal_due(flow, now) {
                    tracing::debug!("renewed by another holder of the store");
                    return Ok(Begin::Settled);
                }
                flow.handle_timeout(now);
                Ok(Begin::Run(None))
            }
            Self::Challenge { response, used } => {
                let current = flow.authorization_header(now);
                if current.is_some() && current != used {
                    tracing::debug!("token changed meanwhile; retrying with it");
                    return Ok(Begin::Settled);
                }
                let first_error = flow.handle_challenge(now, &response).err();
                if let Some(e) = &first_error
                    && challenge_is_final(e)
                {
                    return Err(e.clone());
                }
                Ok(Begin::Run(first_error))
            }
            Self::Start => {
                flow.start(now);
                Ok(Begin::Run(None))
            }
        }
    }
}

/// The redirect URI for a new client: the builder's, else the stored entry's, else
/// `http://127.0.0.1:<ephemeral port>/callback`.
///
/// # Errors
///
/// [`LoopbackError`] when no loopback port can be reserved.
pub fn choose_redirect_uri(
    explicit: Option<String>,
    stored: Option<&StoredEntry>,
) -> Result<String, LoopbackError> {
    match explicit.or_else(|| stored.and_then(|e| e.redirect_uri.clone())) {
        Some(uri) => Ok(uri),
        None => Ok(redirect_uri_for(reserve_port()?, "/callback")),
    }
}

/// How the interactive step is performed: an [`Interaction`], or the adapter's redirect
/// follower `F`.
#[derive(Clone)]
pub enum Authorizer<F> {
    /// A user-facing interaction.
    Interaction(Interaction),
    /// The adapter's non-interactive redirect follower.
    Follow(F),
}

impl<F> Authorizer<F> {
    /// Show a device code (RFC 8628): through the interaction, or on stderr
    /// ([`Interaction::Headless`]) with a redirect follower.
    ///
    /// # Errors
    ///
    /// The interaction's [`InteractionError`].
    pub fn present_device_code(&self, prompt: &DevicePrompt) -> Result<(), InteractionError> {
        tracing::info!(issuer = prompt.issuer(), "device code presented");
        match self {
            Self::Interaction(i) => i.present_device_code(prompt),
            Self::Follow(_) => Interaction::Headless.present_device_code(prompt),
        }
    }
}
