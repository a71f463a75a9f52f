//! [`AuthorizedClient`]: MCP requests with OAuth handled.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use mcp_oauth_batteries::clock::Clock;
use mcp_oauth_batteries::driver::{
    Begin, DpopChoice, Drain, MAX_STEPS, Options, Settings, Slot, Step, Trigger, Unsettled,
    challenge_is_final, choose_redirect_uri, renewal_due,
};
use mcp_oauth_batteries::http::{loggable_url, same_origin};
use mcp_oauth_batteries::store::{MemoryStore, StoreKey, StoreLock, StoredEntry, TokenStore};
use mcp_oauth_batteries::{AuthorizationPrompt, Interaction, InteractionError, StoreError};
use mcp_oauth_core::dpop::DpopKey;
use mcp_oauth_core::flow::{AuthFlow, Event, FlowError, FlowStatus, LogoutOutcome};
use mcp_oauth_core::http::{HeaderValue as CoreHeaderValue, HttpResponse};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use tracing::Instrument as _;
use url::Url;

use crate::Error;
use crate::transport::{OAuthHttp, RedirectFollower, base_client, transport_error};

/// The response header with a DPoP server nonce (RFC 9449 §8.1).
const DPOP_NONCE: &str = mcp_oauth_core::dpop::NONCE_HEADER;

/// How the interactive step is performed.
type Authorizer = mcp_oauth_batteries::driver::Authorizer<RedirectFollower>;

/// Builds an [`AuthorizedClient`]. From [`AuthorizedClient::builder`].
#[must_use]
pub struct AuthorizedClientBuilder {
    options: Options,
    authorizer: Option<Authorizer>,
}

impl fmt::Debug for AuthorizedClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedClientBuilder")
            .field("mcp_url", &self.options.mcp_url)
            .field("client_name", &self.options.client_name)
            .finish_non_exhaustive()
    }
}

mcp_oauth_batteries::builder_setters!(AuthorizedClientBuilder, "mcp_oauth_reqwest");

impl AuthorizedClientBuilder {
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

    /// Build the client: load the store entry (a warm start restores the flow from it with no
    /// network request), choose the redirect URI, create the HTTP clients.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::Store`] (for example a corrupt store file),
    /// [`Error::Entropy`], [`Error::Tls`], [`Error::Interaction`] (no loopback port).
    pub fn build(self) -> Result<AuthorizedClient, Error> {
        let authorizer = self
            .authorizer
            .unwrap_or(Authorizer::Interaction(Interaction::Browser));
        let o = self.options;
        let mcp_url = Url::parse(&o.mcp_url).map_err(|_| Error::InvalidUrl)?;
        let store: Arc<dyn TokenStore> = match o.store {
            Some(store) => store,
            None => Arc::new(MemoryStore::new()),
        };
        let key = StoreKey::new(o.mcp_url.clone(), o.client_name.clone());
        let stored = store.load(&key).map_err(Error::Store)?;
        let redirect_uri = choose_redirect_uri(o.redirect_uri, stored.as_ref())
            .map_err(|e| Error::Interaction(e.into()))?;
        let oauth = OAuthHttp::new(o.limits)?;
        let mcp_origin = mcp_url.clone();
        let http = base_client(&o.limits)
            .timeout(Duration::from_secs(300))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                // Same-origin only (the Authorization header must not cross origins), bounded.
                let within = attempt.previous().len() <= 5;
                if within && same_origin(&mcp_origin, attempt.url()) {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(|_| Error::Tls)?;
        let dpop = match o.dpop {
            None => None,
            Some(DpopChoice::Key(key)) => Some(key),
            Some(DpopChoice::Generate) => Some(
                DpopKey::generate(mcp_oauth_batteries::entropy().map_err(Error::Entropy)?)
                    .map_err(Error::Dpop)?,
            ),
        };
        let settings = Settings {
            dpop,
            mcp_url: o.mcp_url,
            client_name: o.client_name,
            configure: o.configure,
            client_credentials: o.client_credentials,
            assertion_grant: o.assertion_grant,
            authorization_timeout: o.authorization_timeout,
            device_authorization: o.device_authorization,
        };
        let (flow, last_seen) = flow_from(&settings, &redirect_uri, stored)?;
        Ok(AuthorizedClient {
            inner: Arc::new(Inner {
                mcp_url,
                http,
                oauth,
                authorizer,
                store,
                key,
                clock: o.clock,
                settings,
                lock_timeout: o.lock_timeout,
                slot: tokio::sync::Mutex::new(Slot {
                    flow,
                    redirect_uri,
                    last_seen,
                }),
            }),
        })
    }
}

struct Inner {
    mcp_url: Url,
    http: reqwest::Client,
    oauth: OAuthHttp,
    authorizer: Authorizer,
    store: Arc<dyn TokenStore>,
    key: StoreKey,
    clock: Arc<dyn Clock>,
    settings: Settings,
    lock_timeout: Duration,
    slot: tokio::sync::Mutex<Slot>,
}

/// An MCP client that handles authorization: see the [crate docs](crate).
///
/// Cheap to clone (clones share the flow, the store and the connection pools).
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
            options: Options::new(mcp_url.into()),
            authorizer: None,
        }
    }

    /// The MCP server URL.
    #[must_use]
    pub fn mcp_url(&self) -> &str {
        self.inner.mcp_url.as_str()
    }

    /// The redirect URI in use.
    pub async fn redirect_uri(&self) -> String {
        self.inner.slot.lock().await.redirect_uri.clone()
    }

    /// The flow's status (for diagnostics and tests).
    pub async fn status(&self) -> FlowStatus {
        self.inner.slot.lock().await.flow.status()
    }

    /// The flow's report of every request and decision so far, as text (no secrets).
    pub async fn report(&self) -> String {
        self.inner.slot.lock().await.flow.report().to_string()
    }

    /// A request builder on the MCP HTTP client (no credentials attached; pass the built request
    /// to [`AuthorizedClient::send`]).
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.inner.http.request(method, url)
    }

    /// POST a JSON-RPC message to the MCP URL (`Accept: application/json, text/event-stream`).
    ///
    /// # Errors
    ///
    /// As [`AuthorizedClient::send`].
    pub async fn post_json(&self, message: &serde_json::Value) -> Result<reqwest::Response, Error> {
        let body = serde_json::to_vec(message).map_err(|_| Error::InvalidRequest)?;
        let request = self
            .inner
            .http
            .post(self.inner.mcp_url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .body(body)
            .build()
            .map_err(|_| Error::InvalidRequest)?;
        self.send(request).await
    }

    /// Authorize now (without waiting for a 401): a no-op with a usable token.
    ///
    /// # Errors
    ///
    /// [`Error::Flow`], [`Error::Interaction`], [`Error::Store`].
    pub async fn authorize(&self) -> Result<(), Error> {
        let mut slot = self.inner.slot.lock().await;
        self.drive(&mut slot, Trigger::Start).await
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
    pub async fn logout(&self) -> Result<LogoutOutcome, Error> {
        let mut slot = self.inner.slot.lock().await;
        let span = tracing::info_span!("mcp_oauth.logout");
        async {
            let _lock = self.store_lock().await?;
            self.reread(&mut slot).await?;
            slot.flow.logout(self.inner.clock.now());
            let mut outcome = None;
            for _ in 0..MAX_STEPS {
                if let Some((id, request)) = slot.flow.poll_request() {
                    let result = self.inner.oauth.execute(request).await;
                    let now = self.inner.clock.now();
                    match result {
                        Ok(resp) => slot.flow.handle_response(now, id, resp),
                        Err(e) => slot.flow.handle_transport_error(now, id, e),
                    }
                    continue;
                }
                match slot.flow.poll_event() {
                    // The tokens leave the store before they are revoked.
                    Some(Event::StateChanged) => self.persist(&mut slot).await?,
                    Some(Event::LoggedOut(o)) => outcome = Some(o),
                    Some(_) => {}
                    None => break,
                }
            }
            let store = Arc::clone(&self.inner.store);
            let key = self.inner.key.clone();
            blocking(move || store.remove(&key))
                .instrument(tracing::info_span!("mcp_oauth.store", op = "remove"))
                .await?;
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
        .instrument(span)
        .await
    }

    /// Send `request` (to the MCP server's origin) with the access token. A 401 runs the flow
    /// (refresh or authorization), a 403 `insufficient_scope` steps up; then the request is
    /// retried once. A token near expiry is renewed first. Other responses (including a second
    /// 401/403 and a 403 authorization cannot fix) are returned as they are.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignOrigin`] for a URL on another origin (the token is never sent there),
    /// [`Error::BodyNotReplayable`] for a streaming body, [`Error::Transport`] when the MCP
    /// server could not be reached, and the flow's errors.
    pub async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, Error> {
        if !same_origin(&self.inner.mcp_url, request.url()) {
            return Err(Error::ForeignOrigin);
        }
        let span = tracing::info_span!(
            "mcp_oauth.send",
            method = %request.method(),
            url = %loggable_url(request.url().as_str()),
        );
        async move {
            let mut retried = false;
            let mut nonce_retried = false;
            let method = request.method().as_str().to_owned();
            let url = request.url().as_str().to_owned();
            loop {
                let headers = self.current_headers(&method, &url).await?;
                let mut header = None;
                let mut attempt = request.try_clone().ok_or(Error::BodyNotReplayable)?;
                for (name, value) in headers {
                    let mut v =
                        HeaderValue::from_str(value.as_str()).map_err(|_| Error::InvalidRequest)?;
                    v.set_sensitive(value.is_sensitive());
                    attempt.headers_mut().insert(name, v);
                    if name == AUTHORIZATION.as_str() {
                        header = Some(value);
                    }
                }
                let resp = self
                    .inner
                    .http
                    .execute(attempt)
                    .await
                    .map_err(|e| Error::Transport(transport_error(&e)))?;
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
                        .inner
                        .slot
                        .lock()
                        .await
                        .flow
                        .handle_resource_response(&url, &seen);
                    if retry_nonce && !nonce_retried {
                        // RFC 9449 §9: the same request again with a proof carrying the nonce.
                        nonce_retried = true;
                        tracing::debug!("MCP server asked for a DPoP nonce; retrying");
                        continue;
                    }
                }
                if matches!(status, 401 | 403) && !retried {
                    let challenge = seen;
                    let mut slot = self.inner.slot.lock().await;
                    let trigger = Trigger::Challenge {
                        response: challenge,
                        used: header,
                    };
                    match self.drive(&mut slot, trigger).await {
                        Ok(()) => {
                            retried = true;
                            continue;
                        }
                        Err(Error::Flow(e)) if challenge_is_final(&e) => {
                            return Ok(resp);
                        }
                        Err(e) => return Err(e),
                    }
                }
                if resp.status().is_success() && header.is_some() {
                    let now = self.inner.clock.now();
                    self.inner
                        .slot
                        .lock()
                        .await
                        .flow
                        .handle_resource_success(now);
                }
                return Ok(resp);
            }
        }
        .instrument(span)
        .await
    }

    /// The headers to send now (`Authorization`, and a DPoP proof for a DPoP-bound token),
    /// renewing first when the token is due.
    async fn current_headers(
        &self,
        method: &str,
        url: &str,
    ) -> Result<Vec<(&'static str, CoreHeaderValue)>, Error> {
        let mut slot = self.inner.slot.lock().await;
        let now = self.inner.clock.now();
        if renewal_due(&slot.flow, now)
            && let Err(e) = self.drive(&mut slot, Trigger::Renewal).await
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
    async fn drive(&self, slot: &mut Slot, trigger: Trigger) -> Result<(), Error> {
        let name = trigger.trace_name();
        let span = tracing::info_span!("mcp_oauth.flow", trigger = name);
        async move {
            let _lock = self.store_lock().await?;
            self.reread(slot).await?;
            let now = self.inner.clock.now();
            let first_error = match trigger.begin(&mut slot.flow, now).map_err(Error::Flow)? {
                Begin::Settled => return Ok(()),
                Begin::Run(first_error) => first_error,
            };
            self.run_until_settled(slot, first_error).await
        }
        .instrument(span)
        .await
    }

    /// The drain loop of the flow's module docs (the decisions are [`Drain`]'s).
    async fn run_until_settled(
        &self,
        slot: &mut Slot,
        sync_error: Option<FlowError>,
    ) -> Result<(), Error> {
        let mut drain = Drain::new(sync_error);
        loop {
            match drain.next(&mut slot.flow) {
                Step::Request(id, request) => {
                    let result = self.inner.oauth.execute(request).await;
                    let now = self.inner.clock.now();
                    match result {
                        Ok(resp) => slot.flow.handle_response(now, id, resp),
                        Err(e) => {
                            tracing::debug!(error = %e, "OAuth request failed");
                            slot.flow.handle_transport_error(now, id, e);
                        }
                    }
                }
                Step::Authorize(prompt) => match self.authorize_user(prompt).await {
                    Ok(redirect) => {
                        let now = self.inner.clock.now();
                        drain.redirect(&mut slot.flow, now, &redirect);
                    }
                    Err(e) => {
                        self.reset(slot)?;
                        return Err(Error::Interaction(e));
                    }
                },
                Step::PresentDevice(prompt) => {
                    if let Err(e) = self.inner.authorizer.present_device_code(&prompt) {
                        self.reset(slot)?;
                        return Err(Error::Interaction(e));
                    }
                    drain.device_presented();
                }
                Step::Persist => {
                    if let Err(e) = self.persist(slot).await {
                        // F-4: never use tokens that could not be stored.
                        self.reset(slot)?;
                        return Err(e);
                    }
                }
                Step::Assertion(issuer) => {
                    let Some(assertion) = self.inner.settings.assertion(&issuer) else {
                        self.reset(slot)?;
                        return Err(Error::NoAssertion);
                    };
                    let now = self.inner.clock.now();
                    drain.assertion(&mut slot.flow, now, assertion);
                }
                Step::Sleep(at) => {
                    let now = self.inner.clock.now();
                    let wait = at.saturating_duration_since(now);
                    tokio::time::sleep(wait).await;
                    // The sleep reached `at`; a clock read a hair earlier must not make the
                    // flow wait another round.
                    let now = self.inner.clock.now().max(at);
                    slot.flow.handle_timeout(now);
                }
                Step::Done => break,
            }
        }
        match drain.finish(&slot.flow) {
            Ok(()) => Ok(()),
            Err(Unsettled::Failed(e)) => Err(Error::Flow(e)),
            Err(Unsettled::Refused) => {
                // A refused redirect left the attempt pending; start over next time.
                self.reset(slot)?;
                Err(Error::Interaction(InteractionError::Other(
                    "the authorization response was refused".into(),
                )))
            }
            Err(Unsettled::Stalled) => Err(Error::Stalled),
        }
    }

    async fn authorize_user(
        &self,
        prompt: AuthorizationPrompt,
    ) -> Result<String, InteractionError> {
        let span = tracing::info_span!(
            "mcp_oauth.interaction",
            issuer = prompt.issuer(),
            redirect_uri = prompt.redirect_uri(),
        );
        match &self.inner.authorizer {
            Authorizer::Follow(f) => f.follow(&prompt).instrument(span).await,
            Authorizer::Interaction(i) => {
                let i = i.clone();
                let timeout = self.inner.settings.authorization_timeout;
                tokio::task::spawn_blocking(move || i.run(&prompt, timeout))
                    .instrument(span)
                    .await
                    .map_err(|_| InteractionError::Other("the interactive step panicked".into()))?
            }
        }
    }

    /// Store the flow's state (F-4: before the new token is used).
    async fn persist(&self, slot: &mut Slot) -> Result<(), Error> {
        let Some(state) = slot.flow.persisted_state() else {
            return Ok(());
        };
        let entry = StoredEntry::new(state).with_redirect_uri(slot.redirect_uri.clone());
        let store = Arc::clone(&self.inner.store);
        let key = self.inner.key.clone();
        let saved = entry.clone();
        blocking(move || store.save(&key, &saved))
            .instrument(tracing::info_span!("mcp_oauth.store", op = "save"))
            .await?;
        slot.last_seen = Some(entry);
        Ok(())
    }

    /// Resume from what another holder of the store wrote, if anything changed.
    async fn reread(&self, slot: &mut Slot) -> Result<(), Error> {
        let store = Arc::clone(&self.inner.store);
        let key = self.inner.key.clone();
        let stored = blocking(move || store.load(&key))
            .instrument(tracing::info_span!("mcp_oauth.store", op = "load"))
            .await?;
        if stored.is_some() && stored != slot.last_seen {
            tracing::info!("store entry changed by another client; resuming from it");
            let (flow, seen) = flow_from(&self.inner.settings, &slot.redirect_uri, stored)?;
            slot.flow = flow;
            slot.last_seen = seen;
            // Restore emits `Authorized`; nothing to act on.
            while slot.flow.poll_event().is_some() {}
        }
        Ok(())
    }

    async fn store_lock(&self) -> Result<StoreLock, Error> {
        let store = Arc::clone(&self.inner.store);
        let key = self.inner.key.clone();
        let timeout = self.inner.lock_timeout;
        blocking(move || store.lock(&key, timeout))
            .instrument(tracing::info_span!("mcp_oauth.store", op = "lock"))
            .await
    }

    /// Replace the flow by one restored from the last stored entry (or a new one).
    fn reset(&self, slot: &mut Slot) -> Result<(), Error> {
        let (flow, seen) = flow_from(
            &self.inner.settings,
            &slot.redirect_uri,
            slot.last_seen.clone(),
        )?;
        slot.flow = flow;
        slot.last_seen = seen;
        while slot.flow.poll_event().is_some() {}
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Error::Store(StoreError::Other("store task panicked".into())))?
        .map_err(Error::Store)
}

/// [`Settings::flow_from`] with the crate's error.
fn flow_from(
    settings: &Settings,
    redirect_uri: &str,
    stored: Option<StoredEntry>,
) -> Result<(AuthFlow, Option<StoredEntry>), Error> {
    settings
        .flow_from(redirect_uri, stored)
        .map_err(Error::Entropy)
}
