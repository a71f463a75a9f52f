//! Client identity: pre-registered credentials, a Client ID Metadata Document, or dynamic client
//! registration (RFC 7591), in the MCP priority order (checklist R-2), bound to one issuer.

use alloc::string::String;
use alloc::vec::Vec;

use super::AuthFlow;
use super::error::FlowErrorKind;
use super::event::RequestPurpose;
use super::report::{Note, Verdict};
use super::state::{Goal, State};
use crate::Timestamp;
use crate::http::HttpResponse;
use crate::metadata::server::Endpoint;
use crate::registration::dcr::SecretExpiry;
use crate::registration::{
    RegisteredClient, RegistrationApproach, RegistrationInputs, select_approach,
};
use crate::secret::ClientSecret;
use crate::token::{ClientAuth, ClientAuthMethod, select_client_auth_method};

/// Where a client identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IdentitySource {
    PreRegistered,
    ClientIdMetadataDocument,
    Dynamic,
}

impl IdentitySource {
    fn label(self) -> &'static str {
        match self {
            Self::PreRegistered => "pre-registered",
            Self::ClientIdMetadataDocument => "client ID metadata document",
            Self::Dynamic => "dynamic registration",
        }
    }
}

/// The client as one authorization server knows it. `Debug` redacts the secret.
#[derive(Debug, Clone)]
pub(super) struct ClientIdentity {
    pub(super) client_id: String,
    pub(super) secret: Option<ClientSecret>,
    /// The registered `token_endpoint_auth_method` (wire name), if known.
    pub(super) method: Option<String>,
    pub(super) secret_expires_at: Option<Timestamp>,
    pub(super) redirect_uris: Vec<String>,
    pub(super) source: IdentitySource,
}

impl ClientIdentity {
    fn from_registration(rc: &RegisteredClient) -> Self {
        Self {
            client_id: String::from(rc.client_id()),
            secret: rc.client_secret().cloned(),
            method: Some(String::from(rc.token_endpoint_auth_method().as_str())),
            secret_expires_at: match rc.client_secret_expires_at() {
                Some(SecretExpiry::At(t)) => Some(t),
                _ => None,
            },
            redirect_uris: rc.redirect_uris().to_vec(),
            source: IdentitySource::Dynamic,
        }
    }

    /// an expired secret means registering again.
    pub(super) fn secret_expired(&self, now: Timestamp) -> bool {
        self.secret.is_some() && self.secret_expires_at.is_some_and(|t| now >= t)
    }
}

impl AuthFlow {
    /// Settle the client identity for the accepted authorization server, then continue towards
    /// `goal`.
    pub(super) fn obtain_identity(&mut self, now: Timestamp, goal: Goal) {
        let Some(server) = &self.server else {
            return self.fail(FlowErrorKind::NoResourceMetadata);
        };
        let issuer = server.issuer.clone();
        let pre = self
            .config
            .pre_registered
            .iter()
            .find(|c| c.issuer.as_deref().is_none_or(|i| i == issuer));
        let bound_elsewhere = self
            .config
            .pre_registered
            .iter()
            .any(|c| c.issuer.as_deref().is_some_and(|i| i != issuer));
        let no_identity = |issuer: String| {
            if bound_elsewhere {
                FlowErrorKind::PreRegisteredForOtherIssuer { issuer }
            } else {
                FlowErrorKind::NoClientIdentity { issuer }
            }
        };
        if let Some(p) = pre {
            let identity = ClientIdentity {
                client_id: p.client_id.clone(),
                secret: p.client_secret.clone(),
                method: p.auth_method.as_ref().map(|m| String::from(m.as_str())),
                secret_expires_at: None,
                redirect_uris: Vec::new(),
                source: IdentitySource::PreRegistered,
            };
            return self.use_identity(now, issuer, identity, goal);
        }
        if matches!(goal, Goal::ClientCredentials(_) | Goal::Assertion(_)) {
            return self.fail(no_identity(issuer));
        }
        // A registration stored for this issuer, unless its secret expired.
        if let Some(pos) = self.registrations.iter().position(|(i, _)| *i == issuer) {
            let expired = self
                .registrations
                .get(pos)
                .is_some_and(|(_, c)| c.secret_expired(now));
            if expired {
                self.registrations.remove(pos);
                self.report.note(Note::RegistrationDropped {
                    reason: "client secret expired",
                });
                self.events.push_back(super::Event::StateChanged);
            } else if let Some((_, stored)) = self.registrations.get(pos) {
                let stored = stored.clone();
                return self.use_identity(now, issuer, stored, goal);
            }
        }
        let approach = select_approach(
            RegistrationInputs::new()
                .client_id_metadata_document_url(self.config.cimd_url.is_some())
                .server_supports_client_id_metadata_document(
                    server.metadata.client_id_metadata_document_supported(),
                )
                .registration_endpoint(
                    self.config.dynamic_registration
                        && server.metadata.registration_endpoint().is_some(),
                ),
        );
        match approach {
            RegistrationApproach::ClientIdMetadataDocument => {
                let identity = ClientIdentity {
                    client_id: self.config.cimd_url.clone().unwrap_or_default(),
                    secret: None,
                    method: Some(String::from("none")),
                    secret_expires_at: None,
                    redirect_uris: Vec::new(),
                    source: IdentitySource::ClientIdMetadataDocument,
                };
                self.use_identity(now, issuer, identity, goal);
            }
            RegistrationApproach::Dynamic(_) => self.register(now, goal),
            _ => self.fail(no_identity(issuer)),
        }
    }

    /// After a restore with tokens: the identity those tokens were obtained with, chosen like
    /// [`AuthFlow::obtain_identity`] does but without any request (pre-registered for the
    /// issuer, else the stored registration, else the Client ID Metadata Document), so that a
    /// refresh can authenticate without discovery. `None` leaves the identity unset (a refresh
    /// then goes through discovery and identification again).
    pub(super) fn restore_identity(&mut self) {
        let Some(server) = &self.server else {
            return;
        };
        let issuer = server.issuer.clone();
        let pre = self
            .config
            .pre_registered
            .iter()
            .find(|c| c.issuer.as_deref().is_none_or(|i| i == issuer));
        let identity = if let Some(p) = pre {
            Some(ClientIdentity {
                client_id: p.client_id.clone(),
                secret: p.client_secret.clone(),
                method: p.auth_method.as_ref().map(|m| String::from(m.as_str())),
                secret_expires_at: None,
                redirect_uris: Vec::new(),
                source: IdentitySource::PreRegistered,
            })
        } else if let Some((_, stored)) = self.registrations.iter().find(|(i, _)| *i == issuer) {
            Some(stored.clone())
        } else {
            self.config
                .cimd_url
                .clone()
                .filter(|_| server.metadata.client_id_metadata_document_supported())
                .map(|url| ClientIdentity {
                    client_id: url,
                    secret: None,
                    method: Some(String::from("none")),
                    secret_expires_at: None,
                    redirect_uris: Vec::new(),
                    source: IdentitySource::ClientIdMetadataDocument,
                })
        };
        self.identity = identity.map(|i| (issuer, i));
    }

    fn use_identity(
        &mut self,
        now: Timestamp,
        issuer: String,
        identity: ClientIdentity,
        goal: Goal,
    ) {
        self.report.note(Note::ClientIdentity {
            source: identity.source.label(),
            client_id: identity.client_id.clone(),
        });
        self.identity = Some((issuer, identity));
        match goal {
            Goal::Authorize(scopes) => self.begin_authorization(now, scopes),
            Goal::ClientCredentials(scopes) => self.begin_client_credentials(now, scopes, true),
            Goal::Assertion(scopes) => self.begin_assertion_grant(now, scopes, true),
        }
    }

    /// POST the registration (R-15 … ).
    fn register(&mut self, now: Timestamp, goal: Goal) {
        let Some(server) = &self.server else {
            return self.fail(FlowErrorKind::NoResourceMetadata);
        };
        let Some(metadata) = self.config.client_metadata() else {
            return self.fail(FlowErrorKind::NoClientIdentity {
                issuer: server.issuer.clone(),
            });
        };
        let endpoint = match server
            .metadata
            .checked_endpoint(Endpoint::Registration, &self.config.url_policy)
        {
            Ok(Some(_)) => server.metadata.registration_endpoint().map(String::from),
            Ok(None) => None,
            Err(e) => return self.fail(FlowErrorKind::ServerMetadata(e)),
        };
        let Some(endpoint) = endpoint else {
            return self.fail(FlowErrorKind::NoClientIdentity {
                issuer: server.issuer.clone(),
            });
        };
        match metadata.registration_request(&endpoint, self.config.initial_access_token.as_ref()) {
            Ok(request) => {
                self.send(now, RequestPurpose::ClientRegistration, request);
                self.state = State::Registering(goal);
            }
            Err(e) => self.fail(FlowErrorKind::RegistrationRequest(e)),
        }
    }

    /// The registration response (R-19 … R-22, C-2).
    pub(super) fn registration_response(
        &mut self,
        now: Timestamp,
        goal: Goal,
        entry: usize,
        response: &HttpResponse,
    ) {
        let (Some(metadata), Some(server)) = (self.config.client_metadata(), &self.server) else {
            return self.fail(FlowErrorKind::NoResourceMetadata);
        };
        let issuer = server.issuer.clone();
        let client = match metadata.parse_registration_response(response) {
            Ok(c) => c,
            Err(e) => {
                let kind = FlowErrorKind::Registration(e);
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                return self.fail(kind);
            }
        };
        let redirect = self.config.redirect_uri().unwrap_or_default();
        if !client.check_redirect_uri(redirect).is_usable() {
            let kind = FlowErrorKind::RedirectUriNotRegistered;
            self.report
                .set_verdict(entry, Verdict::Rejected(kind.clone()));
            return self.fail(kind);
        }
        self.report.set_verdict(entry, Verdict::Accepted);
        let identity = ClientIdentity::from_registration(&client);
        self.registrations.retain(|(i, _)| *i != issuer);
        self.registrations.push((issuer.clone(), identity.clone()));
        self.events.push_back(super::Event::StateChanged);
        self.use_identity(now, issuer, identity, goal);
    }

    /// Drop the stored registration of the current issuer (after `invalid_client`).
    pub(super) fn drop_registration(&mut self, reason: &'static str) {
        let Some((issuer, _)) = &self.identity else {
            return;
        };
        let issuer = issuer.clone();
        self.registrations.retain(|(i, _)| *i != issuer);
        self.identity = None;
        self.report.note(Note::RegistrationDropped { reason });
        self.events.push_back(super::Event::StateChanged);
    }

    /// Client authentication for the token endpoint (T-4, R-20, M-6). `now` dates a
    /// `private_key_jwt` assertion, whose `jti` comes from the flow's generator.
    pub(super) fn client_auth(&mut self, now: Timestamp) -> Result<ClientAuth, FlowErrorKind> {
        #[cfg(feature = "jose")]
        if let Some(auth) = self.private_key_jwt_auth(now)? {
            return Ok(auth);
        }
        #[cfg(not(feature = "jose"))]
        let _ = now;
        let (Some((_, identity)), Some(server)) = (&self.identity, &self.server) else {
            return Err(FlowErrorKind::NoResourceMetadata);
        };
        let method = select_client_auth_method(
            identity.method.as_deref(),
            identity.secret.is_some(),
            server.metadata.token_endpoint_auth_methods_supported(),
        )
        .map_err(FlowErrorKind::ClientAuth)?;
        let secret = if method == ClientAuthMethod::None {
            None
        } else {
            identity.secret.clone()
        };
        ClientAuth::new(method, identity.client_id.clone(), secret)
            .map_err(FlowErrorKind::ClientAuth)
    }

    /// `private_key_jwt` for a pre-registered client with a private key, when the server accepts
    /// it (RFC 7523 §2.2, checklist T-4). `None` means "use the other methods".
    #[cfg(feature = "jose")]
    fn private_key_jwt_auth(
        &mut self,
        now: Timestamp,
    ) -> Result<Option<ClientAuth>, FlowErrorKind> {
        let (Some((issuer, identity)), Some(server)) = (&self.identity, &self.server) else {
            return Ok(None);
        };
        if identity.source != IdentitySource::PreRegistered {
            return Ok(None);
        }
        // The same entry `obtain_identity` chose: the first one usable with this issuer.
        let Some(pre) = self
            .config
            .pre_registered
            .iter()
            .find(|c| c.issuer.as_deref().is_none_or(|i| i == issuer))
            .filter(|c| c.client_id == identity.client_id)
        else {
            return Ok(None);
        };
        let Some(key) = pre.private_key.clone() else {
            return Ok(None);
        };
        let metadata = &server.metadata;
        if !crate::token::accepts_private_key_jwt(
            key.signing_key().algorithm(),
            metadata.token_endpoint_auth_methods_supported(),
            metadata.token_endpoint_auth_signing_alg_values_supported(),
        ) {
            return if identity.secret.is_some() {
                Ok(None)
            } else {
                Err(FlowErrorKind::ClientAuth(
                    crate::token::ClientAuthError::PrivateKeyJwtNotAccepted,
                ))
            };
        }
        let audience = match key.get_audience() {
            crate::token::AssertionAudience::TokenEndpoint => metadata.token_endpoint(),
            crate::token::AssertionAudience::Issuer => Some(metadata.issuer()),
        };
        let audience = String::from(audience.unwrap_or_default());
        let client_id = identity.client_id.clone();
        let jti = self.rng.next(b"client-assertion-jti");
        let signing_key = key.signing_key();
        ClientAuth::private_key_jwt(
            client_id,
            signing_key,
            key.get_key_id(),
            &audience,
            now,
            &jti,
        )
        .map(Some)
        .map_err(FlowErrorKind::ClientAuth)
    }
}
