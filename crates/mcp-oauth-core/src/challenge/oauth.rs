//! What the Bearer and DPoP challenges say (RFC 6750 §3, RFC 9728 §5.1, RFC 9449 §7.1), and
//! what to do about a 400/401/403 (checklist D-17).

use core::fmt;

use super::error::ChallengeError;
use super::lexer::Item;
use super::value::ParamValue;
use super::{Challenge, Challenges, Duplicates, Field};
use crate::http::HttpResponse;

/// The token-carrying schemes whose challenges [`OAuthChallenge`] extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenScheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449).
    DPoP,
}

impl TokenScheme {
    /// The scheme name as registered (`Bearer`, `DPoP`); matched case-insensitively.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::DPoP => "DPoP",
        }
    }
}

const REALM: usize = 0;
const SCOPE: usize = 1;
const ERROR: usize = 2;
const ERROR_DESCRIPTION: usize = 3;
const ERROR_URI: usize = 4;
const RESOURCE_METADATA: usize = 5;
const NAMES: [&str; 6] = [
    "realm",
    "scope",
    "error",
    "error_description",
    "error_uri",
    "resource_metadata",
];

#[derive(Clone, Copy)]
struct Slot<'a> {
    first: Option<ParamValue<'a>>,
    count: usize,
}

const EMPTY_SLOT: Slot<'static> = Slot {
    first: None,
    count: 0,
};

/// The parameters of one `Bearer` or `DPoP` challenge that matter to an OAuth client.
///
/// Every getter returns a [`Field`], so a parameter repeated inside the challenge is reported
/// as [`Field::Duplicated`] with all its values, never silently resolved to the first one
/// (checklist D-12, G-14). Unknown parameters are ignored here (D-10) and remain readable
/// through [`TokenChallenge::challenge`].
#[derive(Clone, Copy)]
pub struct TokenChallenge<'a> {
    scheme: TokenScheme,
    challenge: Challenge<'a>,
    slots: [Slot<'a>; 6],
}

impl<'a> TokenChallenge<'a> {
    fn new(scheme: TokenScheme, challenge: Challenge<'a>) -> Self {
        Self {
            scheme,
            challenge,
            slots: [EMPTY_SLOT; 6],
        }
    }

    fn add(&mut self, name: &'a [u8], value: ParamValue<'a>) {
        if let Some(i) = NAMES
            .iter()
            .position(|n| n.as_bytes().eq_ignore_ascii_case(name))
            && let Some(slot) = self.slots.get_mut(i)
        {
            if slot.first.is_none() {
                slot.first = Some(value);
            }
            slot.count = slot.count.saturating_add(1);
        }
    }

    fn field(&self, i: usize) -> Field<'a> {
        let (Some(slot), Some(&name)) = (self.slots.get(i), NAMES.get(i)) else {
            return Field::Absent;
        };
        match (slot.count, slot.first) {
            (1, Some(v)) => Field::One(v),
            (0, _) | (_, None) => Field::Absent,
            (count, Some(_)) => Field::Duplicated(Duplicates {
                challenge: self.challenge,
                // Values are found again by a case-insensitive name match, so the canonical
                // spelling finds the same ones.
                name,
                count,
            }),
        }
    }

    /// Like `field`, with a single empty value counted as absent (checklist G-13).
    fn field_non_empty(&self, i: usize) -> Field<'a> {
        match self.field(i) {
            Field::One(v) if v.is_empty() => Field::Absent,
            other => other,
        }
    }

    /// Which scheme this challenge is.
    #[must_use]
    pub fn scheme(&self) -> TokenScheme {
        self.scheme
    }

    /// The whole challenge, for the token68 form or parameters not extracted here.
    #[must_use]
    pub fn challenge(&self) -> &Challenge<'a> {
        &self.challenge
    }

    /// `resource_metadata` (RFC 9728 §5.1): the URL of the Protected Resource Metadata.
    /// An empty value (`resource_metadata=""`) counts as absent (G-13).
    ///
    /// The value is not validated here; it MUST pass the URL policy before it is fetched
    /// (checklist D-14).
    #[must_use]
    pub fn resource_metadata(&self) -> Field<'a> {
        self.field_non_empty(RESOURCE_METADATA)
    }

    /// `scope` (RFC 6750 §3): space-delimited scopes the resource requires. An empty value counts
    /// as absent (G-13). Split it with [`ParamValue::scope_tokens`] or
    /// [`ParamValue::to_scopes`].
    #[must_use]
    pub fn scope(&self) -> Field<'a> {
        self.field_non_empty(SCOPE)
    }

    /// `error` (RFC 6750 §3.1): `invalid_request`, `invalid_token`, `insufficient_scope` or
    /// another code. Often absent on a first 401 (G-22).
    #[must_use]
    pub fn error(&self) -> Field<'a> {
        self.field(ERROR)
    }

    /// `error_description`: human-readable text chosen by the server. Attacker-controlled:
    /// show it only as untrusted text.
    #[must_use]
    pub fn error_description(&self) -> Field<'a> {
        self.field(ERROR_DESCRIPTION)
    }

    /// `error_uri`: a link chosen by the server. Attacker-controlled.
    #[must_use]
    pub fn error_uri(&self) -> Field<'a> {
        self.field(ERROR_URI)
    }

    /// `realm` (RFC 9110 §11.5). Carries no meaning for an OAuth client.
    #[must_use]
    pub fn realm(&self) -> Field<'a> {
        self.field(REALM)
    }

    /// Whether it carries `resource_metadata`, `scope` or `error` (the selection rule for
    /// several challenges of one scheme, checklist G-20).
    fn has_info(&self) -> bool {
        !self.resource_metadata().is_absent()
            || !self.scope().is_absent()
            || !self.error().is_absent()
    }
}

impl fmt::Debug for TokenChallenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TokenChallenge");
        d.field("scheme", &self.scheme);
        if let Some(t) = self.challenge.token68() {
            d.field("token68", &t);
        }
        d.field("resource_metadata", &self.resource_metadata())
            .field("scope", &self.scope())
            .field("error", &self.error())
            .field("error_description", &self.error_description())
            .field("error_uri", &self.error_uri())
            .field("realm", &self.realm())
            .finish()
    }
}

/// Where `from_challenges` puts the parameters being read.
#[derive(Clone, Copy)]
enum Target {
    /// Not a Bearer or DPoP challenge (or none yet).
    Nowhere,
    /// The kept challenge of this scheme.
    Kept(TokenScheme),
    /// The spare: a later challenge of an already kept scheme.
    Spare,
}

/// What the `Bearer` and `DPoP` challenges of a response say, extracted in one pass without
/// allocating.
///
/// - **Bearer first.** `scope`, `error`, `error_description`, `error_uri` and `realm` come only
///   from a Bearer challenge (checklist D-8, D-9). [`OAuthChallenge::resource_metadata`] falls
///   back to the DPoP challenge when no Bearer challenge carries one (D-9, RFC 9728 §5.1).
/// - **Several challenges of one scheme** (rare, G-20): the first one that carries
///   `resource_metadata`, `scope` or `error` is used, otherwise the first one. Values are never
///   mixed across challenges. [`OAuthChallenge::bearer_count`] tells a strict caller that
///   there was more than one.
/// - **Syntax errors** are counted and the first is kept; everything the parser recovered is
///   used (see the module documentation).
#[derive(Clone, Copy)]
pub struct OAuthChallenge<'a> {
    bearer: Option<TokenChallenge<'a>>,
    dpop: Option<TokenChallenge<'a>>,
    bearer_count: usize,
    dpop_count: usize,
    challenge_count: usize,
    error_count: usize,
    first_error: Option<ChallengeError>,
}

impl<'a> OAuthChallenge<'a> {
    /// Extract from parsed challenges (see also [`Challenges::oauth`]).
    #[must_use]
    pub fn from_challenges(challenges: Challenges<'a>) -> Self {
        let mut out = Self {
            bearer: None,
            dpop: None,
            bearer_count: 0,
            dpop_count: 0,
            challenge_count: 0,
            error_count: 0,
            first_error: None,
        };
        let mut lexer = challenges.lexer;
        // Parameters go straight into the kept challenge of their scheme; only a second
        // challenge of a scheme already kept is collected aside, then kept or dropped by
        // `settle` (so the common case moves no `TokenChallenge` around).
        let mut target = Target::Nowhere;
        let mut spare: Option<TokenChallenge<'a>> = None;
        while let Some(item) = lexer.next_item() {
            match item {
                Item::Challenge {
                    scheme,
                    token68,
                    params,
                } => {
                    out.settle(target, spare.take());
                    target = Target::Nowhere;
                    out.challenge_count = out.challenge_count.saturating_add(1);
                    let challenge = Challenge {
                        scheme,
                        token68,
                        params,
                    };
                    let kind = if challenge.is_scheme("Bearer") {
                        out.bearer_count = out.bearer_count.saturating_add(1);
                        TokenScheme::Bearer
                    } else if challenge.is_scheme("DPoP") {
                        out.dpop_count = out.dpop_count.saturating_add(1);
                        TokenScheme::DPoP
                    } else {
                        continue;
                    };
                    let slot = out.slot_mut(kind);
                    if slot.is_none() {
                        *slot = Some(TokenChallenge::new(kind, challenge));
                        target = Target::Kept(kind);
                    } else {
                        spare = Some(TokenChallenge::new(kind, challenge));
                        target = Target::Spare;
                    }
                }
                Item::Param { name, value } => {
                    let current = match target {
                        Target::Nowhere => None,
                        Target::Kept(kind) => out.slot_mut(kind).as_mut(),
                        Target::Spare => spare.as_mut(),
                    };
                    if let Some(c) = current {
                        c.add(name, value);
                    }
                }
                Item::Error(e) => {
                    out.error_count = out.error_count.saturating_add(1);
                    out.first_error.get_or_insert(e);
                }
            }
        }
        out.settle(target, spare);
        out
    }

    /// Extract from every `WWW-Authenticate` field of a response.
    #[must_use]
    pub fn from_response(response: &'a HttpResponse) -> Self {
        Self::from_challenges(super::parse_response(response))
    }

    fn slot_mut(&mut self, scheme: TokenScheme) -> &mut Option<TokenChallenge<'a>> {
        match scheme {
            TokenScheme::Bearer => &mut self.bearer,
            TokenScheme::DPoP => &mut self.dpop,
        }
    }

    /// A finished second challenge of a kept scheme replaces the kept one only if that one
    /// carries no information and this one does.
    fn settle(&mut self, target: Target, spare: Option<TokenChallenge<'a>>) {
        let (Target::Spare, Some(done)) = (target, spare) else {
            return;
        };
        let slot = self.slot_mut(done.scheme);
        match slot {
            None => *slot = Some(done),
            Some(kept) if !kept.has_info() && done.has_info() => *slot = Some(done),
            Some(_) => {}
        }
    }

    /// The Bearer challenge used (G-20 rule above), if any.
    #[must_use]
    pub fn bearer(&self) -> Option<&TokenChallenge<'a>> {
        self.bearer.as_ref()
    }

    /// The DPoP challenge used (same rule), if any.
    #[must_use]
    pub fn dpop(&self) -> Option<&TokenChallenge<'a>> {
        self.dpop.as_ref()
    }

    /// How many Bearer challenges there were. More than one is legal but ambiguous (G-20).
    #[must_use]
    pub fn bearer_count(&self) -> usize {
        self.bearer_count
    }

    /// How many DPoP challenges there were.
    #[must_use]
    pub fn dpop_count(&self) -> usize {
        self.dpop_count
    }

    /// How many challenges of any scheme there were.
    #[must_use]
    pub fn challenge_count(&self) -> usize {
        self.challenge_count
    }

    /// How many syntax errors the parser recovered from.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.error_count
    }

    /// The first syntax error, if any.
    #[must_use]
    pub fn first_error(&self) -> Option<ChallengeError> {
        self.first_error
    }

    /// `resource_metadata` from the Bearer challenge, else from the DPoP challenge (D-9), else
    /// [`Field::Absent`]. Empty values count as absent (G-13).
    ///
    /// [`Field::Absent`] means: probe the well-known PRM URLs (D-4). [`Field::Duplicated`] is a
    /// protocol error (D-12): a strict flow probes the well-known URLs, a lenient one tries
    /// [`Field::values`] in order and accepts only a PRM that validates. A later challenge
    /// without any value MUST NOT erase a URL learned earlier (D-13): that is the flow's job.
    #[must_use]
    pub fn resource_metadata(&self) -> Field<'a> {
        let from_bearer = self.bearer.map_or(Field::Absent, |b| b.resource_metadata());
        if from_bearer.is_absent() {
            self.dpop.map_or(Field::Absent, |d| d.resource_metadata())
        } else {
            from_bearer
        }
    }

    /// Which scheme [`OAuthChallenge::resource_metadata`] comes from, if present.
    #[must_use]
    pub fn resource_metadata_scheme(&self) -> Option<TokenScheme> {
        let has =
            |c: &Option<TokenChallenge<'a>>| c.is_some_and(|c| !c.resource_metadata().is_absent());
        if has(&self.bearer) {
            Some(TokenScheme::Bearer)
        } else if has(&self.dpop) {
            Some(TokenScheme::DPoP)
        } else {
            None
        }
    }

    fn bearer_field(&self, f: impl FnOnce(&TokenChallenge<'a>) -> Field<'a>) -> Field<'a> {
        self.bearer.as_ref().map_or(Field::Absent, f)
    }

    /// The Bearer `scope` (D-11); empty counts as absent (G-13).
    #[must_use]
    pub fn scope(&self) -> Field<'a> {
        self.bearer_field(TokenChallenge::scope)
    }

    /// The Bearer `error`.
    #[must_use]
    pub fn error(&self) -> Field<'a> {
        self.bearer_field(TokenChallenge::error)
    }

    /// The Bearer `error_description` (attacker-controlled text).
    #[must_use]
    pub fn error_description(&self) -> Field<'a> {
        self.bearer_field(TokenChallenge::error_description)
    }

    /// The Bearer `error_uri` (attacker-controlled).
    #[must_use]
    pub fn error_uri(&self) -> Field<'a> {
        self.bearer_field(TokenChallenge::error_uri)
    }

    /// The Bearer `realm`.
    #[must_use]
    pub fn realm(&self) -> Field<'a> {
        self.bearer_field(TokenChallenge::realm)
    }

    /// What a response with this status and these challenges calls for; see [`classify`].
    #[must_use]
    pub fn action(&self, status: u16) -> ChallengeAction {
        classify(status, self)
    }
}

impl fmt::Debug for OAuthChallenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthChallenge")
            .field("bearer", &self.bearer)
            .field("dpop", &self.dpop)
            .field("bearer_count", &self.bearer_count)
            .field("dpop_count", &self.dpop_count)
            .field("challenge_count", &self.challenge_count)
            .field("error_count", &self.error_count)
            .field("first_error", &self.first_error)
            .finish()
    }
}

/// What an HTTP error from the MCP server calls for (checklist D-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChallengeAction {
    /// 401: authenticate, or re-authenticate if a token was sent (refresh once, then run the
    /// authorization flow; D-1, D-15). Applies with or without a challenge (D-4).
    Authenticate,
    /// 403 whose Bearer challenge has `error="insufficient_scope"`: step-up authorization with
    /// the challenged `scope` (RFC 6750 §3.1, checklist table S).
    StepUp,
    /// Any other 403 (for example a rejected `Origin`): surface the error; start no
    /// authorization flow and open no browser.
    Forbidden,
    /// 400 (RFC 6750 `invalid_request`): the request itself is wrong; re-authenticating cannot
    /// fix it.
    BadRequest,
    /// Any other status: not an authorization failure.
    NotAuthError,
}

/// Decide what a `status` with these challenges calls for (checklist D-17). Pure and total.
///
/// A duplicated `error` parameter is ambiguous, so a 403 carrying one is [`ChallengeAction::Forbidden`],
/// not a step-up. Only the Bearer challenge's `error` counts.
#[must_use]
pub fn classify(status: u16, challenge: &OAuthChallenge<'_>) -> ChallengeAction {
    match status {
        401 => ChallengeAction::Authenticate,
        403 if challenge
            .error()
            .single()
            .is_some_and(|e| e.eq_str("insufficient_scope")) =>
        {
            ChallengeAction::StepUp
        }
        403 => ChallengeAction::Forbidden,
        400 => ChallengeAction::BadRequest,
        _ => ChallengeAction::NotAuthError,
    }
}

/// [`classify`] a response by its status and `WWW-Authenticate` fields.
#[must_use]
pub fn classify_response(response: &HttpResponse) -> ChallengeAction {
    classify(response.status, &OAuthChallenge::from_response(response))
}
