//! State shared by the AS and the RS: clients, codes, grants, tokens, counters and faults.
//!
//! One `std::sync::Mutex` guards it; it is never held across an `.await`.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use sha2::Digest as _;

use crate::config::{AuthMethod, FixtureConfig, Misbehaviour, PreregisteredClient, RouteKind};
use crate::records::{AuthorizationRecord, RecordedRequest, RegisteredClient, Stats};

/// How many requests the log keeps.
const LOG_CAPACITY: usize = 512;

/// The URLs of the running servers.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    /// AS issuer, e.g. `http://127.0.0.1:4000` (no trailing slash).
    pub(crate) issuer: String,
    /// RS origin.
    pub(crate) rs_origin: String,
    /// The MCP endpoint, also the RFC 8707 resource identifier.
    pub(crate) mcp_url: String,
    /// The path-inserted PRM URL.
    pub(crate) prm_url: String,
    /// The root PRM URL.
    pub(crate) prm_root_url: String,
    /// The decoy origin that redirects point at.
    pub(crate) decoy_origin: String,
}

impl Urls {
    /// The PRM URL the RS advertises in its challenges.
    pub(crate) fn advertised_prm(&self, cfg: &FixtureConfig) -> &str {
        match cfg.prm_location {
            crate::config::PrmLocation::Root => &self.prm_root_url,
            _ => &self.prm_url,
        }
    }
}

/// Everything the route handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) cfg: FixtureConfig,
    pub(crate) urls: Urls,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(cfg: FixtureConfig, urls: Urls, state: State) -> Self {
        Self {
            cfg,
            urls,
            state: Mutex::new(state),
        }
    }

    /// Locks the state; a poisoned lock is still usable (no invariant spans a panic).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A client known to the AS.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) info: RegisteredClient,
    pub(crate) secret: Option<String>,
}

/// An issued, not yet redeemed (or already redeemed) authorization code.
#[derive(Debug)]
pub(crate) struct CodeRecord {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) resource: String,
    pub(crate) expires: SystemTime,
    pub(crate) used: bool,
    pub(crate) grant: u64,
}

/// An approved authorization waiting for the multi-hop login/consent steps.
#[derive(Debug, Clone)]
pub(crate) struct PendingConsent {
    /// The final redirect (code, state and iss already in it).
    pub(crate) location: String,
    /// The session cookie value `/login` set, once it has run.
    pub(crate) session: Option<String>,
}

/// An issued access token.
#[derive(Debug)]
pub(crate) struct AccessRecord {
    pub(crate) resource: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires: SystemTime,
    pub(crate) grant: u64,
}

/// An issued refresh token.
#[derive(Debug)]
pub(crate) struct RefreshRecord {
    pub(crate) client_id: String,
    pub(crate) resource: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) grant: u64,
    /// Replaced by a newer one (rotation); presenting it again revokes the grant.
    pub(crate) rotated: bool,
}

/// Why the RS rejects a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenProblem {
    /// Not issued by this AS.
    #[error("unknown token")]
    Unknown,
    /// Past its expiry (or force-expired).
    #[error("token expired")]
    Expired,
    /// Its grant was revoked.
    #[error("token revoked")]
    Revoked,
    /// Issued for another resource (or none).
    #[error("token audience is not this resource")]
    WrongAudience,
}

/// Faults to apply to one request, taken from the configured misbehaviours.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) delay: Duration,
    pub(crate) server_error: Option<(u16, Option<u32>)>,
    pub(crate) redirect: Option<u16>,
    pub(crate) garbage: bool,
    pub(crate) oversized: Option<usize>,
    pub(crate) wrong_iss_in_redirect: bool,
    pub(crate) wrong_issuer_in_metadata: bool,
    /// Hostile-peer knobs, applied by `knobs.rs`.
    pub(crate) extra: Vec<Misbehaviour>,
}

/// Mutable fixture state.
#[derive(Debug)]
pub(crate) struct State {
    rng: TokenRng,
    pub(crate) clients: HashMap<String, Client>,
    pub(crate) codes: HashMap<String, CodeRecord>,
    pub(crate) pending: HashMap<String, PendingConsent>,
    pub(crate) access: HashMap<String, AccessRecord>,
    pub(crate) refresh: HashMap<String, RefreshRecord>,
    revoked_grants: HashSet<u64>,
    next_grant: u64,
    pub(crate) stats: Stats,
    pub(crate) misbehaviours: Vec<(RouteKind, Misbehaviour)>,
    pub(crate) log: VecDeque<RecordedRequest>,
    pub(crate) authorizations: Vec<AuthorizationRecord>,
    pub(crate) mcp_sessions: HashSet<String>,
    /// Pending device authorizations by device code (RFC 8628).
    pub(crate) devices: HashMap<String, crate::device::DeviceRecord>,
    /// The last successful `/authorize` redirect (for [`Misbehaviour::ReplayPreviousRedirect`]).
    pub(crate) last_redirect: Option<String>,
}

impl State {
    /// Fresh state with the configured pre-registered clients and faults.
    pub(crate) fn new(cfg: &FixtureConfig) -> Self {
        let mut state = Self {
            rng: TokenRng::new(),
            clients: HashMap::new(),
            codes: HashMap::new(),
            pending: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            revoked_grants: HashSet::new(),
            next_grant: 0,
            stats: Stats::default(),
            misbehaviours: cfg.misbehaviours.clone(),
            log: VecDeque::new(),
            authorizations: Vec::new(),
            mcp_sessions: HashSet::new(),
            devices: HashMap::new(),
            last_redirect: None,
        };
        for client in &cfg.preregistered {
            state.add_preregistered(client);
        }
        state
    }

    pub(crate) fn add_preregistered(&mut self, c: &PreregisteredClient) {
        let client = Client {
            info: RegisteredClient {
                client_id: c.client_id.clone(),
                auth_method: c.auth_method,
                redirect_uris: c.redirect_uris.clone(),
                grant_types: c.grant_types.clone(),
                application_type: None,
                client_name: None,
                dynamic: false,
            },
            secret: c.secret.clone(),
        };
        self.clients.insert(c.client_id.clone(), client);
    }

    /// A random-looking value: standard base64 *with* `+`, `/` and `=` padding, so a client
    /// that re-encodes or mis-decodes it is caught (it is still an RFC 6750 b64token).
    pub(crate) fn token(&mut self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.rng.next())
    }

    /// A URL-safe random identifier.
    pub(crate) fn id(&mut self, prefix: &str) -> String {
        let bytes = self.rng.next();
        let tail = bytes.get(..18).unwrap_or(&bytes);
        format!(
            "{prefix}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tail)
        )
    }

    /// A client secret; "awkward" ones need form-urlencoding inside a Basic header.
    pub(crate) fn secret(&mut self, awkward: bool) -> String {
        let bytes = self.rng.next();
        if awkward {
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            format!("s{b64}%+:")
        } else {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        }
    }

    /// Starts a new grant (one authorization or one client-credentials issuance).
    pub(crate) fn new_grant(&mut self) -> u64 {
        self.next_grant = self.next_grant.wrapping_add(1);
        self.next_grant
    }

    /// Revokes every token of a grant.
    pub(crate) fn revoke_grant(&mut self, grant: u64) {
        self.revoked_grants.insert(grant);
    }

    pub(crate) fn grant_revoked(&self, grant: u64) -> bool {
        self.revoked_grants.contains(&grant)
    }

    /// Revokes every grant issued so far.
    pub(crate) fn revoke_all(&mut self) {
        let grants: Vec<u64> = self
            .access
            .values()
            .map(|a| a.grant)
            .chain(self.refresh.values().map(|r| r.grant))
            .collect();
        self.revoked_grants.extend(grants);
    }

    /// Issues an access token for a grant, bound to `resource` and `scopes`.
    pub(crate) fn issue_access(
        &mut self,
        cfg: &FixtureConfig,
        resource: &str,
        scopes: &[String],
        grant: u64,
    ) -> String {
        let access = self.token();
        let expires = SystemTime::now()
            .checked_add(cfg.access_token_ttl)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        self.access.insert(
            access.clone(),
            AccessRecord {
                resource: resource.to_owned(),
                scopes: scopes.to_vec(),
                expires,
                grant,
            },
        );
        self.stats.tokens_issued = self.stats.tokens_issued.saturating_add(1);
        access
    }

    /// Issues a refresh token for a grant.
    pub(crate) fn issue_refresh(
        &mut self,
        client_id: &str,
        resource: &str,
        scopes: &[String],
        grant: u64,
    ) -> String {
        let token = self.token();
        self.refresh.insert(
            token.clone(),
            RefreshRecord {
                client_id: client_id.to_owned(),
                resource: resource.to_owned(),
                scopes: scopes.to_vec(),
                grant,
                rotated: false,
            },
        );
        token
    }

    /// Validates a bearer token for `resource`; returns its scopes.
    pub(crate) fn check_access(
        &self,
        token: &str,
        resource: &str,
    ) -> Result<Vec<String>, TokenProblem> {
        let record = self.access.get(token).ok_or(TokenProblem::Unknown)?;
        if self.grant_revoked(record.grant) {
            return Err(TokenProblem::Revoked);
        }
        if record.expires <= SystemTime::now() {
            return Err(TokenProblem::Expired);
        }
        if record.resource != resource {
            return Err(TokenProblem::WrongAudience);
        }
        Ok(record.scopes.clone())
    }

    /// Makes every access token issued so far expired.
    pub(crate) fn expire_access_tokens(&mut self) {
        for record in self.access.values_mut() {
            record.expires = SystemTime::UNIX_EPOCH;
        }
    }

    /// Counts and logs a request.
    pub(crate) fn record(&mut self, request: RecordedRequest, grant_type: Option<&str>) {
        self.stats.count(request.route, grant_type);
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(request);
    }

    /// Collects the faults for one request on `route`, consuming one use of counted ones.
    pub(crate) fn take_faults(&mut self, route: RouteKind) -> Faults {
        let mut faults = Faults::default();
        for (kind, m) in &mut self.misbehaviours {
            if *kind != route {
                continue;
            }
            match m {
                Misbehaviour::ServerError {
                    status,
                    times,
                    retry_after,
                } => {
                    if *times > 0 && faults.server_error.is_none() {
                        *times = times.saturating_sub(1);
                        faults.server_error = Some((*status, *retry_after));
                    }
                }
                Misbehaviour::Delay(d) => faults.delay = faults.delay.saturating_add(*d),
                Misbehaviour::GarbageBody => faults.garbage = true,
                Misbehaviour::OversizedBody { bytes } => faults.oversized = Some(*bytes),
                Misbehaviour::WrongIssuerInRedirect => faults.wrong_iss_in_redirect = true,
                Misbehaviour::WrongIssuerInMetadata => faults.wrong_issuer_in_metadata = true,
                Misbehaviour::RedirectToOtherOrigin { status } => faults.redirect = Some(*status),
                other => faults.extra.push(other.clone()),
            }
        }
        faults
    }
}

/// Random-looking values for a test fixture: SHA-256 over a per-process seed (from std's
/// randomly keyed `RandomState`, the time and the pid) and a counter. Not a CSPRNG; the
/// fixture only needs unpredictability good enough that a client cannot guess values.
#[derive(Debug)]
struct TokenRng {
    seed: [u8; 32],
    counter: u64,
}

impl TokenRng {
    fn new() -> Self {
        let mut h = sha2::Sha256::new();
        for i in 0u64..4 {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(i);
            h.update(hasher.finish().to_le_bytes());
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        h.update(now.as_nanos().to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        Self {
            seed: h.finalize().into(),
            counter: 0,
        }
    }

    fn next(&mut self) -> [u8; 32] {
        self.counter = self.counter.wrapping_add(1);
        let mut h = sha2::Sha256::new();
        h.update(self.seed);
        h.update(self.counter.to_le_bytes());
        h.finalize().into()
    }
}

/// The auth method named in a registration, defaulting per RFC 7591 §2.
pub(crate) fn registered_method(name: Option<&str>) -> Option<AuthMethod> {
    match name {
        None => Some(AuthMethod::ClientSecretBasic),
        Some(n) => AuthMethod::from_name(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_b64tokens() {
        let mut s = State::new(&FixtureConfig::default());
        let a = s.token();
        let b = s.token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 44);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c))
        );
    }

    #[test]
    fn server_error_fault_is_counted_down() {
        let cfg =
            FixtureConfig::default().misbehave(RouteKind::Token, Misbehaviour::server_error(2));
        let mut s = State::new(&cfg);
        assert!(s.take_faults(RouteKind::Token).server_error.is_some());
        assert!(s.take_faults(RouteKind::Mcp).server_error.is_none());
        assert!(s.take_faults(RouteKind::Token).server_error.is_some());
        assert!(s.take_faults(RouteKind::Token).server_error.is_none());
    }
}
