//! End to end over loopback: both driver adapters (`mcp-oauth-reqwest`, async, and
//! `mcp-oauth-ureq`, blocking) against the `mcp-oauth-fixtures` servers.
//!
//! - **Counts** (measured once per run, from the fixtures' request counters): HTTP requests of a
//!   cold flow, of a warm start from a restored store entry, and the refresh requests caused by
//!   100 concurrent requests at token expiry (client-side expiry via the clock, and server-side
//!   expiry where all 100 get a 401).
//! - **Timing** (criterion, in `benches/ops.rs`): one authenticated JSON-RPC `POST` through the
//!   [`AuthorizedClient`](mcp_oauth_reqwest::AuthorizedClient) against the same `POST` with the
//!   plain `reqwest` / `ureq` client carrying the same bearer token ([`ReqwestPair`],
//!   [`UreqPair`]).

use core::time::Duration;

use mcp_oauth_fixtures::{FixtureConfig, Fixtures, Stats};
use serde_json::{Value, json};

/// The client name (part of the store key).
const NAME: &str = "bench";

/// How many concurrent requests hit the expired token.
pub const CONCURRENT: usize = 100;

/// The JSON-RPC message every request sends (tool `echo`, scope `mcp:basic`).
#[must_use]
pub fn echo() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
           "params": {"name": "echo", "arguments": {"text": "hi"}}})
}

/// Requests the fixtures saw, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requests {
    /// MCP endpoint requests (any status).
    pub mcp: u64,
    /// MCP requests answered 401.
    pub mcp_401: u64,
    /// Protected Resource Metadata fetches.
    pub prm: u64,
    /// AS metadata fetches.
    pub as_metadata: u64,
    /// Dynamic client registrations.
    pub register: u64,
    /// Authorization requests (made by the user agent: here the redirect follower).
    pub authorize: u64,
    /// Token requests, any grant.
    pub token: u64,
    /// Token requests with `grant_type=refresh_token`.
    pub refresh: u64,
    /// Anything else (login/consent hops, unknown paths, the decoy origin).
    pub other: u64,
}

impl Requests {
    fn from_stats(s: &Stats) -> Self {
        Self {
            mcp: s.mcp_total(),
            mcp_401: s.mcp(401),
            prm: s.prm,
            as_metadata: s.as_metadata,
            register: s.register,
            authorize: s.authorize,
            token: s.token_total(),
            refresh: s.token_refresh_token,
            other: s.login + s.consent + s.not_found + s.decoy,
        }
    }

    /// Every HTTP request.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.mcp
            + self.prm
            + self.as_metadata
            + self.register
            + self.authorize
            + self.token
            + self.other
    }

    /// Discovery and registration requests (what a warm start must not make).
    #[must_use]
    pub fn discovery(&self) -> u64 {
        self.prm + self.as_metadata + self.register
    }

    /// `mcp 2 (1 × 401), prm 1, …`.
    #[must_use]
    pub fn breakdown(&self) -> String {
        format!(
            "MCP {} ({} × 401), PRM {}, AS metadata {}, DCR {}, authorize {}, token {}, other {}",
            self.mcp,
            self.mcp_401,
            self.prm,
            self.as_metadata,
            self.register,
            self.authorize,
            self.token,
            self.other
        )
    }
}

/// The counts of one adapter.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// A cold start: one MCP request from nothing (no store entry).
    pub cold: Requests,
    /// A warm start: a new client on the store the cold client filled, one MCP request.
    pub warm: Requests,
    /// [`CONCURRENT`] requests at once after the clock passed the token's expiry.
    pub expiry_clock: Requests,
    /// [`CONCURRENT`] requests at once after the server expired the token (each gets a 401).
    pub expiry_server: Requests,
    /// Of the concurrent requests, how many ended with 200 (both scenarios).
    pub concurrent_ok: u64,
}

/// The fewest HTTP requests a cold flow with dynamic registration can make (see `docs/benchmarks.md`).
pub const COLD_MINIMUM: u64 = 7;

/// Starts fixtures on their own thread (a current-thread runtime), so both adapters can use them.
fn fixtures() -> Fixtures {
    Fixtures::start_blocking(FixtureConfig::default()).expect("loopback fixtures start")
}

/// The time the fixtures' tokens live (their default), plus a second.
const PAST_EXPIRY: Duration = Duration::from_secs(3600 + 1);

/// The `mcp-oauth-reqwest` side.
pub mod reqwest_side {
    use std::sync::Arc;

    use mcp_oauth_reqwest::{
        AuthorizedClient, AuthorizedClientBuilder, MemoryStore, OffsetClock, RedirectFollower,
        StoreKey, TokenStore,
    };

    use super::{CONCURRENT, Counts, NAME, PAST_EXPIRY, Requests, echo, fixtures};
    use mcp_oauth_fixtures::Fixtures;

    fn builder(fx: &Fixtures) -> AuthorizedClientBuilder {
        AuthorizedClient::builder(fx.mcp_url())
            .client_name(NAME)
            .follow_redirects(RedirectFollower::new().expect("redirect follower"))
    }

    async fn call(c: &AuthorizedClient) -> u16 {
        let r = c.post_json(&echo()).await.expect("authorized request");
        let status = r.status().as_u16();
        drop(r.bytes().await.expect("body"));
        status
    }

    async fn at_once(c: &AuthorizedClient) -> u64 {
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { call(&c).await })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            if t.await.expect("task") == 200 {
                ok += 1;
            }
        }
        ok
    }

    /// Measure the counts (a few hundred loopback requests).
    ///
    /// # Panics
    /// If the fixtures or the runtime cannot start, or a request fails.
    #[must_use]
    pub fn counts() -> Counts {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async {
            let fx = fixtures();
            let store = MemoryStore::new();
            let c = builder(&fx).store(store.clone()).build().expect("client");
            assert_eq!(call(&c).await, 200);
            let cold = Requests::from_stats(&fx.stats());
            drop(c);

            fx.reset_stats();
            let clock = OffsetClock::new();
            let c = builder(&fx)
                .store(store.clone())
                .clock(clock.clone())
                .build()
                .expect("client");
            assert_eq!(call(&c).await, 200);
            let warm = Requests::from_stats(&fx.stats());

            fx.reset_stats();
            clock.advance(PAST_EXPIRY);
            let mut ok = at_once(&c).await;
            let expiry_clock = Requests::from_stats(&fx.stats());

            fx.expire_access_tokens();
            fx.reset_stats();
            ok += at_once(&c).await;
            let expiry_server = Requests::from_stats(&fx.stats());
            Counts {
                cold,
                warm,
                expiry_clock,
                expiry_server,
                concurrent_ok: ok,
            }
        })
    }

    /// An authorized client and a plain `reqwest::Client` with its bearer token, on a
    /// current-thread runtime, against running fixtures.
    pub struct ReqwestPair {
        rt: tokio::runtime::Runtime,
        authorized: AuthorizedClient,
        plain: reqwest::Client,
        header: String,
        fx: Arc<Fixtures>,
        message: serde_json::Value,
    }

    impl ReqwestPair {
        /// Start the fixtures and authorize once.
        ///
        /// # Panics
        /// If anything fails to start or authorize.
        #[must_use]
        pub fn new() -> Self {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let fx = Arc::new(fixtures());
            let store = MemoryStore::new();
            let authorized = builder(&fx).store(store.clone()).build().expect("client");
            rt.block_on(call(&authorized));
            let entry = store
                .load(&StoreKey::new(fx.mcp_url(), NAME))
                .expect("store")
                .expect("an entry is stored");
            let header = super::bearer(&entry.state);
            // Count only what happens after the setup's cold flow (its 401 included).
            fx.reset_stats();
            // reqwest is built without a default TLS provider (`rustls-no-provider`); the plain
            // client only talks plain HTTP, but building it needs one installed. Another caller
            // may have installed it first, which is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let plain = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("reqwest client");
            Self {
                rt,
                authorized,
                plain,
                header,
                fx,
                message: echo(),
            }
        }

        /// One `POST` through the authorized client; the response body.
        ///
        /// # Panics
        /// If the request fails.
        pub fn authorized(&self) -> Vec<u8> {
            self.rt.block_on(async {
                let r = self
                    .authorized
                    .post_json(&self.message)
                    .await
                    .expect("authorized request");
                r.bytes().await.expect("body").to_vec()
            })
        }

        /// The same `POST` with the plain client and the same token; the response body.
        ///
        /// # Panics
        /// If the request fails.
        pub fn plain(&self) -> Vec<u8> {
            self.rt.block_on(async {
                let body = serde_json::to_vec(&self.message).expect("JSON");
                let r = self
                    .plain
                    .post(self.fx.mcp_url())
                    .header("content-type", "application/json")
                    .header("accept", "application/json, text/event-stream")
                    .header("authorization", &self.header)
                    .body(body)
                    .send()
                    .await
                    .expect("plain request");
                r.bytes().await.expect("body").to_vec()
            })
        }

        /// MCP requests the fixtures answered with a status other than 200 so far.
        #[must_use]
        pub fn failures(&self) -> u64 {
            let s = self.fx.stats();
            s.mcp_total() - s.mcp(200)
        }
    }

    impl Default for ReqwestPair {
        fn default() -> Self {
            Self::new()
        }
    }
}

/// The `mcp-oauth-ureq` side.
pub mod ureq_side {
    use mcp_oauth_fixtures::Fixtures;
    use mcp_oauth_ureq::{
        AuthorizedClient, AuthorizedClientBuilder, MemoryStore, OffsetClock, RedirectFollower,
        StoreKey, TokenStore,
    };

    use super::{CONCURRENT, Counts, NAME, PAST_EXPIRY, Requests, echo, fixtures};

    fn builder(fx: &Fixtures) -> AuthorizedClientBuilder {
        AuthorizedClient::builder(fx.mcp_url())
            .client_name(NAME)
            .follow_redirects(RedirectFollower::new())
    }

    fn call(c: &AuthorizedClient) -> u16 {
        let mut r = c.post_json(&echo()).expect("authorized request");
        let status = r.status().as_u16();
        drop(r.body_mut().read_to_vec().expect("body"));
        status
    }

    /// [`CONCURRENT`] threads, one request each.
    fn at_once(c: &AuthorizedClient) -> u64 {
        let threads: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || call(&c))
            })
            .collect();
        let mut ok = 0;
        for t in threads {
            if t.join().expect("thread") == 200 {
                ok += 1;
            }
        }
        ok
    }

    /// Measure the counts (a few hundred loopback requests, 100 threads).
    ///
    /// # Panics
    /// If the fixtures cannot start or a request fails.
    #[must_use]
    pub fn counts() -> Counts {
        let fx = fixtures();
        let store = MemoryStore::new();
        let c = builder(&fx).store(store.clone()).build().expect("client");
        assert_eq!(call(&c), 200);
        let cold = Requests::from_stats(&fx.stats());
        drop(c);

        fx.reset_stats();
        let clock = OffsetClock::new();
        let c = builder(&fx)
            .store(store)
            .clock(clock.clone())
            .build()
            .expect("client");
        assert_eq!(call(&c), 200);
        let warm = Requests::from_stats(&fx.stats());

        fx.reset_stats();
        clock.advance(PAST_EXPIRY);
        let mut ok = at_once(&c);
        let expiry_clock = Requests::from_stats(&fx.stats());

        fx.expire_access_tokens();
        fx.reset_stats();
        ok += at_once(&c);
        let expiry_server = Requests::from_stats(&fx.stats());
        Counts {
            cold,
            warm,
            expiry_clock,
            expiry_server,
            concurrent_ok: ok,
        }
    }

    /// An authorized client and a plain `ureq::Agent` with its bearer token, against running
    /// fixtures.
    pub struct UreqPair {
        authorized: AuthorizedClient,
        plain: ureq::Agent,
        header: String,
        fx: Fixtures,
        message: serde_json::Value,
    }

    impl UreqPair {
        /// Start the fixtures and authorize once.
        ///
        /// # Panics
        /// If anything fails to start or authorize.
        #[must_use]
        pub fn new() -> Self {
            let fx = fixtures();
            let store = MemoryStore::new();
            let authorized = builder(&fx).store(store.clone()).build().expect("client");
            call(&authorized);
            let entry = store
                .load(&StoreKey::new(fx.mcp_url(), NAME))
                .expect("store")
                .expect("an entry is stored");
            let header = super::bearer(&entry.state);
            // Count only what happens after the setup's cold flow (its 401 included).
            fx.reset_stats();
            let plain = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .new_agent();
            Self {
                authorized,
                plain,
                header,
                fx,
                message: echo(),
            }
        }

        /// One `POST` through the authorized client; the response body.
        ///
        /// # Panics
        /// If the request fails.
        pub fn authorized(&self) -> Vec<u8> {
            let mut r = self
                .authorized
                .post_json(&self.message)
                .expect("authorized request");
            r.body_mut().read_to_vec().expect("body")
        }

        /// The same `POST` with the plain agent and the same token; the response body.
        ///
        /// # Panics
        /// If the request fails.
        pub fn plain(&self) -> Vec<u8> {
            let body = serde_json::to_vec(&self.message).expect("JSON");
            let mut r = self
                .plain
                .post(self.fx.mcp_url())
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("authorization", &self.header)
                .send(&body[..])
                .expect("plain request");
            r.body_mut().read_to_vec().expect("body")
        }

        /// MCP requests the fixtures answered with a status other than 200 so far.
        #[must_use]
        pub fn failures(&self) -> u64 {
            let s = self.fx.stats();
            s.mcp_total() - s.mcp(200)
        }
    }

    impl Default for UreqPair {
        fn default() -> Self {
            Self::new()
        }
    }
}

pub use reqwest_side::ReqwestPair;
pub use ureq_side::UreqPair;

/// `Bearer <access token>` from a persisted state (its documented JSON form).
fn bearer(state: &impl serde::Serialize) -> String {
    let v = serde_json::to_value(state).expect("persisted state serializes");
    let token = v["tokens"]["access_token"]
        .as_str()
        .expect("the persisted state has an access token");
    format!("Bearer {token}")
}

/// One line of the counts file `benches/ops.rs` writes: `title \t adapter \t value \t target \t
/// detail`.
#[must_use]
pub fn count_lines(adapter: &str, c: &Counts) -> String {
    let mut out = String::new();
    let mut line = |title: &str, value: u64, target: u64, detail: &str| {
        out.push_str(&format!(
            "{title}\t{adapter}\t{value}\t{target}\t{detail}\n"
        ));
    };
    line(
        "Cold flow: HTTP requests (401 probe, PRM, AS metadata, DCR, authorize, token, retry)",
        c.cold.total(),
        COLD_MINIMUM,
        &c.cold.breakdown(),
    );
    line(
        "Warm start: discovery + registration requests",
        c.warm.discovery(),
        0,
        &c.warm.breakdown(),
    );
    line(
        "Warm start: HTTP requests",
        c.warm.total(),
        1,
        &c.warm.breakdown(),
    );
    line(
        "100 concurrent requests, token expired by the clock: refresh requests",
        c.expiry_clock.refresh,
        1,
        &c.expiry_clock.breakdown(),
    );
    line(
        "100 concurrent requests, token expired by the server (they get 401s): refresh requests",
        c.expiry_server.refresh,
        1,
        &c.expiry_server.breakdown(),
    );
    line(
        "Concurrent requests answered 200 (of 200)",
        c.concurrent_ok,
        2 * CONCURRENT as u64,
        "both concurrent scenarios",
    );
    out
}
