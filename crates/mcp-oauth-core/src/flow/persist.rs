//! State for persistence: everything needed to resume without re-discovery or re-login.
//!
//! # Security
//!
//! A [`PersistedState`] holds live credentials: the access token, the refresh token and any
//! client secret. They are **serialised as plain strings** (serde has no notion of secrecy), so
//! whatever you serialise it into must be stored like a password: an OS keychain, an encrypted
//! file, a secrets manager (checklist V-11, F-7). `Debug` stays redacted, and the in-memory copies
//! are wiped on drop.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::AuthFlow;
use super::discovery::check_legacy_issuer;
use super::error::RestoreError;
use super::identity::{ClientIdentity, IdentitySource};
use super::state::{IssuerCheck, ResourceInfo, ServerInfo, Tokens};
use crate::Scopes;
use crate::Timestamp;
use crate::metadata::server::{AuthorizationServerMetadata, IssuerSource, LegacyBase};
use crate::secret::{AccessToken, ClientSecret, RefreshToken};
use crate::token::TokenSet;

/// The schema version written by this crate.
pub const PERSISTED_STATE_VERSION: u32 = 1;

/// A string that is a secret: plain in serde, redacted in `Debug`, wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
struct SecretString(String);

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        crate::secret::wipe_string(&mut self.0);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PersistedResource {
    resource: String,
    #[serde(default)]
    scopes_supported: Option<Vec<String>>,
    #[serde(default)]
    metadata_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum PersistedCheck {
    Listed { listed: String },
    Override { listed: String },
    Legacy { base: String },
    LegacyDefault { base: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PersistedServer {
    issuer: String,
    /// The metadata document as received (`None` for legacy default endpoints).
    #[serde(default)]
    metadata: Option<String>,
    check: PersistedCheck,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PersistedRegistration {
    issuer: String,
    client_id: String,
    #[serde(default)]
    client_secret: Option<SecretString>,
    #[serde(default)]
    auth_method: Option<String>,
    #[serde(default)]
    secret_expires_at: Option<Timestamp>,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PersistedTokens {
    issuer: String,
    resource: String,
    access_token: SecretString,
    #[serde(default)]
    refresh_token: Option<SecretString>,
    /// Absolute expiry (ms since the Unix epoch).
    #[serde(default)]
    expires_at: Option<Timestamp>,
    #[serde(default)]
    scope: Scopes,
}

/// Everything a flow needs to resume: the validated PRM, the authorization server metadata (as
/// received, re-validated on restore), dynamic registrations per issuer, and the tokens with
/// their absolute expiry and granted scope.
///
/// Serialise it with any serde format; a schema `version` field is included and checked on
/// restore.
///
/// # Security
///
/// It holds live credentials: the access token, the refresh token and any client secret. They
/// are **serialised as plain strings** (serde has no notion of secrecy), so whatever you
/// serialise it into must be stored like a password: an OS keychain, an encrypted file, a secrets
/// manager (checklist V-11, F-7). `Debug` stays redacted, and in-memory copies are wiped on drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistedState {
    version: u32,
    resource_url: String,
    #[serde(default)]
    resource: Option<PersistedResource>,
    #[serde(default)]
    server: Option<PersistedServer>,
    #[serde(default)]
    registrations: Vec<PersistedRegistration>,
    #[serde(default)]
    tokens: Option<PersistedTokens>,
}

impl PersistedState {
    /// The schema version.
    #[must_use]
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The MCP server URL the state belongs to.
    #[must_use]
    pub fn resource_url(&self) -> &str {
        &self.resource_url
    }

    /// The authorization server's issuer, if discovery completed.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.server.as_ref().map(|s| s.issuer.as_str())
    }

    /// Whether tokens are stored.
    #[must_use]
    pub fn has_tokens(&self) -> bool {
        self.tokens.is_some()
    }
}

impl AuthFlow {
    /// Export the persistent state (also announced by [`Event::StateChanged`](super::Event::StateChanged)).
    /// `None` before anything worth keeping was learned.
    #[must_use]
    pub fn persisted_state(&self) -> Option<PersistedState> {
        if self.resource.is_none() && self.server.is_none() && self.tokens.is_none() {
            return None;
        }
        let resource = self.resource.as_ref().map(|r| PersistedResource {
            resource: r.resource.clone(),
            scopes_supported: r.scopes_supported.clone(),
            metadata_url: r.metadata_url.clone(),
        });
        let server = self.server.as_ref().map(|s| PersistedServer {
            issuer: s.issuer.clone(),
            metadata: s.raw.clone(),
            check: match &s.check {
                IssuerCheck::Listed(listed) => PersistedCheck::Listed {
                    listed: listed.clone(),
                },
                IssuerCheck::Override { listed } => PersistedCheck::Override {
                    listed: listed.clone(),
                },
                IssuerCheck::Legacy { base } => PersistedCheck::Legacy { base: base.clone() },
                IssuerCheck::LegacyDefault { base } => {
                    PersistedCheck::LegacyDefault { base: base.clone() }
                }
            },
        });
        let registrations = self
            .registrations
            .iter()
            .map(|(issuer, c)| PersistedRegistration {
                issuer: issuer.clone(),
                client_id: c.client_id.clone(),
                client_secret: c
                    .secret
                    .as_ref()
                    .map(|s| SecretString(String::from(s.secret()))),
                auth_method: c.method.clone(),
                secret_expires_at: c.secret_expires_at,
                redirect_uris: c.redirect_uris.clone(),
            })
            .collect();
        let tokens = self.tokens.as_ref().map(|t| PersistedTokens {
            issuer: t.issuer.clone(),
            resource: t.resource.clone(),
            access_token: SecretString(String::from(t.set.access_token().secret())),
            refresh_token: t
                .set
                .refresh_token()
                .map(|r| SecretString(String::from(r.secret()))),
            expires_at: t.set.expires_at(),
            scope: t.set.scope().clone(),
        });
        Some(PersistedState {
            version: PERSISTED_STATE_VERSION,
            resource_url: self.config.resource_url.clone(),
            resource,
            server,
            registrations,
            tokens,
        })
    }

    /// Rebuild knowledge from `state` (the machine part of [`AuthFlow::restore`]).
    pub(super) fn import(&mut self, state: PersistedState) -> Result<(), RestoreError> {
        if state.version != PERSISTED_STATE_VERSION {
            return Err(RestoreError::Version(state.version));
        }
        if state.resource_url != self.config.resource_url {
            return Err(RestoreError::ResourceUrlMismatch);
        }
        let resource = state.resource.as_ref().map(|r| ResourceInfo {
            resource: r.resource.clone(),
            scopes_supported: r.scopes_supported.clone(),
            metadata_url: r.metadata_url.clone(),
        });
        let server = match &state.server {
            None => None,
            Some(s) => Some(self.restore_server(s)?),
        };
        if resource.is_none() && server.is_some() {
            return Err(RestoreError::Inconsistent("metadata without a resource"));
        }
        let mut registrations = Vec::new();
        for r in &state.registrations {
            registrations.push((
                r.issuer.clone(),
                ClientIdentity {
                    client_id: r.client_id.clone(),
                    secret: r
                        .client_secret
                        .as_ref()
                        .map(|s| ClientSecret::new(s.0.clone())),
                    method: r.auth_method.clone(),
                    secret_expires_at: r.secret_expires_at,
                    redirect_uris: r.redirect_uris.clone(),
                    source: IdentitySource::Dynamic,
                },
            ));
        }
        let tokens = match &state.tokens {
            None => None,
            Some(t) => {
                // P-12, U-5: tokens are only usable with the AS and resource they came from.
                let issuer_ok = server.as_ref().is_some_and(|s| s.issuer == t.issuer);
                let resource_ok = resource.as_ref().is_some_and(|r| {
                    r.resource == t.resource || self.config.resource_url == t.resource
                }) || self.config.omit_resource;
                if !issuer_ok || !resource_ok {
                    return Err(RestoreError::Inconsistent(
                        "tokens are bound to another authorization server or resource",
                    ));
                }
                Some(Tokens {
                    set: TokenSet::new(
                        AccessToken::new(t.access_token.0.clone()),
                        t.expires_at,
                        t.refresh_token
                            .as_ref()
                            .map(|r| RefreshToken::new(r.0.clone())),
                        t.scope.clone(),
                    ),
                    issuer: t.issuer.clone(),
                    resource: t.resource.clone(),
                    // When the token was obtained is not stored: renew at expiry − margin (at
                    // once if that has passed; the renewed token then gets the full rule).
                    renew_at: t
                        .expires_at
                        .map(|at| at.saturating_sub(self.config.refresh_margin)),
                })
            }
        };
        self.resource = resource;
        self.server = server;
        self.registrations = registrations;
        self.tokens = tokens;
        self.identity = self.restored_identity();
        Ok(())
    }

    /// The client the restored tokens were issued to, chosen in `obtain_identity`'s order (a
    /// pre-registered client for the issuer, else its stored registration, else the Client ID
    /// Metadata Document URL), so that a refresh after a warm start authenticates as that
    /// client instead of failing for want of an identity.
    fn restored_identity(&self) -> Option<(String, ClientIdentity)> {
        let issuer = &self.server.as_ref()?.issuer;
        self.tokens.as_ref()?;
        let pre = self
            .config
            .pre_registered
            .iter()
            .find(|c| c.issuer.as_deref().is_none_or(|i| i == issuer));
        let identity = if let Some(p) = pre {
            ClientIdentity {
                client_id: p.client_id.clone(),
                secret: p.client_secret.clone(),
                method: p.auth_method.as_ref().map(|m| String::from(m.as_str())),
                secret_expires_at: None,
                redirect_uris: Vec::new(),
                source: IdentitySource::PreRegistered,
            }
        } else if let Some((_, stored)) = self.registrations.iter().find(|(i, _)| i == issuer) {
            stored.clone()
        } else {
            ClientIdentity {
                client_id: self.config.cimd_url.clone()?,
                secret: None,
                method: Some(String::from("none")),
                secret_expires_at: None,
                redirect_uris: Vec::new(),
                source: IdentitySource::ClientIdMetadataDocument,
            }
        };
        Some((issuer.clone(), identity))
    }

    fn restore_server(&self, s: &PersistedServer) -> Result<ServerInfo, RestoreError> {
        let (metadata, check) = match (&s.check, &s.metadata) {
            (PersistedCheck::LegacyDefault { base }, _) => {
                let legacy = LegacyBase::from_mcp_url(&self.config.resource_url)
                    .map_err(RestoreError::ServerMetadata)?;
                if legacy.as_str() != base {
                    return Err(RestoreError::Inconsistent("legacy base changed"));
                }
                (
                    legacy.default_metadata(),
                    IssuerCheck::LegacyDefault { base: base.clone() },
                )
            }
            (_, None) => return Err(RestoreError::Inconsistent("metadata document missing")),
            (check, Some(raw)) => {
                let md = AuthorizationServerMetadata::from_json(raw.as_bytes())
                    .map_err(RestoreError::ServerMetadata)?;
                let check = match check {
                    PersistedCheck::Listed { listed } => {
                        md.validate_issuer(listed, IssuerSource::Listed)
                            .map_err(RestoreError::ServerMetadata)?;
                        IssuerCheck::Listed(listed.clone())
                    }
                    PersistedCheck::Override { listed } => {
                        let approved = self
                            .config
                            .issuer_overrides
                            .iter()
                            .any(|(l, a)| l == listed && a == md.issuer());
                        if !approved {
                            return Err(RestoreError::Inconsistent(
                                "issuer override no longer configured",
                            ));
                        }
                        IssuerCheck::Override {
                            listed: listed.clone(),
                        }
                    }
                    PersistedCheck::Legacy { base } => {
                        check_legacy_issuer(base, &md)
                            .map_err(|_| RestoreError::Inconsistent("legacy issuer"))?;
                        IssuerCheck::Legacy { base: base.clone() }
                    }
                    PersistedCheck::LegacyDefault { .. } => {
                        return Err(RestoreError::Inconsistent("unexpected document"));
                    }
                };
                (md, check)
            }
        };
        self.check_usable(&metadata)
            .map_err(RestoreError::ServerMetadata)?;
        if metadata.issuer() != s.issuer {
            return Err(RestoreError::Inconsistent("issuer changed"));
        }
        Ok(ServerInfo {
            issuer: s.issuer.clone(),
            metadata,
            raw: s.metadata.clone(),
            check,
        })
    }
}
