//! [`AuthorizedClient`]: MCP requests with OAuth handled, blocking.

use core::fmt;
use core::time::Duration;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mcp_oauth_batteries::clock::Clock;
use mcp_oauth_batteries::driver::{
    Begin, DpopChoice, Drain, MAX_STEPS, Options, Settings, Slot, Step, Trigger, Unsettled,
    challenge_is_final, choose_redirect_uri, renewal_due,
};
use mcp_oauth_batteries::http::{is_redirect_status, loggable_url, same_origin};
use mcp_oauth_batteries::store::{MemoryStore, StoreKey, StoreLock, StoredEntry, TokenStore};
use mcp_oauth_batteries::trace::{SPAN_FLOW, SPAN_INTERACTION, SPAN_SEND, SPAN_STORE};
use mcp_oauth_batteries::{AuthorizationPrompt, Interaction, InteractionError};
use mcp_oauth_core::dpop::{DPOP_HEADER, DpopKey, NONCE_HEADER as DPOP_NONCE};
use mcp_oauth_core::flow::{AuthFlow, Event, FlowError, FlowStatus, LogoutOutcome};
use mcp_oauth_core::http::{HeaderValue as CoreHeaderValue, HttpResponse};
use ureq::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use ureq::http::{HeaderValue, Method, Request};
use url::Url;

use crate::Error;
use crate::transport::{OAuthHttp, RedirectFollower, agent, transport_error};

/// Same-origin redirects an MCP request follows.
const MAX_MCP_REDIRECTS: usize = 5;

/// The total time allowed for one MCP exchange, body included.
const MCP_TOTAL_TIMEOUT: Duration = Duration::from_secs(300);

/// An MCP response: ureq's response with its streaming body (not capped: MCP responses may be
/// long event streams).
pub type Response = ureq::http::Response<ureq::Body>;

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

mcp_oauth_batteries::builder_setters!(AuthorizedClientBuilder, "mcp_oauth_ureq");

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
    /// network request), choose the redirect URI, create the HTTP agents.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::Store`] (for example a corrupt store file),
    /// [`Error::Entropy`], [`Error::Interaction`] when no loopback port can be reserved.
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
        let stored = {
            let _span = tracing::info_span!(SPAN_STORE, op = "load").entered();
            store.load(&key).map_err(Error::Store)?
        };
        let redirect_uri = choose_redirect_uri(o.redirect_uri, stored.as_ref())
            .map_err(|e| Error::Interaction(e.into()))?;
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
                http: agent(&o.limits, Some(MCP_TOTAL_TIMEOUT)),
                oauth: OAuthHttp::new(o.limits),
                authorizer,
                store,
                key,
                clock: o.clock,
                settings,
                lock_timeout: o.lock_timeout,
                slot: Mutex::new(Slot {
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
                    Err(Error::Flow(e)) if challenge_is_final(&e) => {
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
        let name = trigger.trace_name();
        let span = tracing::info_span!(SPAN_FLOW, trigger = name);
        let _entered = span.enter();
        let _lock = self.store_lock()?;
        self.reread(slot)?;
        let now = self.inner.clock.now();
        let first_error = match trigger.begin(&mut slot.flow, now).map_err(Error::Flow)? {
            Begin::Settled => return Ok(()),
            Begin::Run(first_error) => first_error,
        };
        self.run_until_settled(slot, first_error)
    }

    /// The drain loop of the flow's module docs (the decisions are [`Drain`]'s).
    fn run_until_settled(
        &self,
        slot: &mut Slot,
        sync_error: Option<FlowError>,
    ) -> Result<(), Error> {
        let mut drain = Drain::new(sync_error);
        loop {
            match drain.next(&mut slot.flow) {
                Step::Request(id, request) => {
                    let result = self.inner.oauth.execute(&request);
                    let now = self.inner.clock.now();
                    match result {
                        Ok(resp) => slot.flow.handle_response(now, id, resp),
                        Err(e) => {
                            tracing::debug!(error = %e, "OAuth request failed");
                            slot.flow.handle_transport_error(now, id, e);
                        }
                    }
                }
                Step::Authorize(prompt) => match self.authorize_user(&prompt) {
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
                    if let Err(e) = self.persist(slot) {
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
                    let wait = at.saturating_duration_since(self.inner.clock.now());
                    std::thread::sleep(wait);
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
            let (flow, seen) = flow_from(&self.inner.settings, &slot.redirect_uri, stored)?;
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
        let (flow, seen) = flow_from(
            &self.inner.settings,
            &slot.redirect_uri,
            slot.last_seen.clone(),
        )?;
        slot.flow = flow;
        slot.last_seen = seen;
        Ok(())
    }
}

/// [`Settings::flow_from`] with the crate's error, drained.
fn flow_from(
    settings: &Settings,
    redirect_uri: &str,
    stored: Option<StoredEntry>,
) -> Result<(AuthFlow, Option<StoredEntry>), Error> {
    let mut flow = settings
        .flow_from(redirect_uri, stored)
        .map_err(Error::Entropy)?;
    // The drain rule after `new` / `restore`: restore emits `Authorized`, nothing to act on.
    while flow.0.poll_event().is_some() {}
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use mcp_oauth_batteries::loopback::reserve_port;
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
