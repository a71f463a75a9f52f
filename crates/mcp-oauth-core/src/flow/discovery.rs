//! Discovery: Protected Resource Metadata (RFC 9728), authorization server metadata (RFC 8414,
//! OpenID Connect Discovery) and the 2025-03-26 legacy fallback.

use alloc::string::String;
use alloc::vec::Vec;

use super::AuthFlow;
use super::error::FlowErrorKind;
use super::event::RequestPurpose;
use super::report::{Note, Verdict};
use super::state::{Goal, IssuerCheck, ResourceInfo, ServerInfo, State};
use crate::Timestamp;
use crate::http::{HeaderValue, HttpRequest, HttpResponse};
use crate::metadata::resource::{ProtectedResourceMetadata, well_known_urls};
use crate::metadata::server::{
    AuthorizationServerMetadata, Endpoint, IssuerSource, LegacyBase, OPENID_WELL_KNOWN_SEGMENT,
    PkceRequirement, discovery_urls,
};
use crate::metadata::{ResourceMetadataError, ServerMetadataError};

/// A PRM URL to try.
pub(super) struct PrmCandidate {
    url: String,
    /// From a `resource_metadata` challenge parameter (as opposed to well-known probing).
    from_challenge: bool,
}

enum Stage {
    Prm {
        candidates: Vec<PrmCandidate>,
        next: usize,
        current: usize,
    },
    Server {
        issuers: Vec<String>,
        next_issuer: usize,
        current: usize,
        urls: Vec<String>,
        url: usize,
        first_rejection: Option<FlowErrorKind>,
    },
    Legacy {
        base: LegacyBase,
        urls: [String; 2],
        url: usize,
    },
}

/// Discovery in progress.
pub(super) struct Discovery {
    stage: Stage,
    goal: Goal,
}

/// How a status is read during discovery.
enum StatusClass {
    Ok,
    NotFound,
    Fatal(FlowErrorKind),
}

fn classify(purpose: RequestPurpose, status: u16) -> StatusClass {
    match status {
        200 => StatusClass::Ok,
        400..=499 => StatusClass::NotFound,
        500..=599 => StatusClass::Fatal(FlowErrorKind::ServerError { purpose, status }),
        _ => StatusClass::Fatal(FlowErrorKind::UnexpectedStatus { purpose, status }),
    }
}

/// Whether `issuer` is `base` or a path on it (legacy relaxation, gotcha G1).
fn on_origin(base: &str, issuer: &str) -> bool {
    issuer
        .strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl AuthFlow {
    fn metadata_get(&self, url: String) -> HttpRequest {
        let mut request = HttpRequest::get_json(url);
        if let Some(v) = &self.config.protocol_version {
            request
                .headers
                .push(("mcp-protocol-version", HeaderValue::new(v.clone())));
        }
        request
    }

    /// Start discovery from the PRM (D-3, D-4, P-3, P-4).
    pub(super) fn begin_discovery(&mut self, now: Timestamp, goal: Goal) {
        let mut candidates = Vec::new();
        if let Some(urls) = &self.learned_prm_urls {
            for url in urls {
                // D-14: refuse before fetching.
                if let Err(e) = self.config.url_policy.check(url) {
                    return self.fail(FlowErrorKind::ResourceMetadataUrlRefused(e));
                }
                candidates.push(PrmCandidate {
                    url: url.clone(),
                    from_challenge: true,
                });
            }
        }
        match well_known_urls(&self.config.resource_url) {
            Ok(urls) => candidates.extend(urls.iter().map(|u| PrmCandidate {
                url: String::from(u),
                from_challenge: false,
            })),
            Err(e) => return self.fail(FlowErrorKind::ResourceMetadata(e)),
        }
        let discovery = Discovery {
            stage: Stage::Prm {
                candidates,
                next: 0,
                current: 0,
            },
            goal,
        };
        self.next_prm_probe(now, discovery);
    }

    fn next_prm_probe(&mut self, now: Timestamp, mut d: Discovery) {
        let Stage::Prm {
            candidates,
            next,
            current,
        } = &mut d.stage
        else {
            return self.fail(FlowErrorKind::NoResourceMetadata);
        };
        // Challenge URLs come first; once one 4xx-ed, well-known probing continues (D-4).
        let Some(candidate) = candidates.get(*next) else {
            return self.begin_legacy(now, d.goal);
        };
        let request = self.metadata_get(candidate.url.clone());
        *current = *next;
        *next = next.saturating_add(1);
        self.send(now, RequestPurpose::ResourceMetadata, request);
        self.state = State::Discovering(d);
    }

    /// Dispatch a discovery response.
    pub(super) fn discovery_response(
        &mut self,
        now: Timestamp,
        d: Discovery,
        entry: usize,
        response: &HttpResponse,
    ) {
        match &d.stage {
            Stage::Prm { .. } => self.prm_response(now, d, entry, response),
            Stage::Server { .. } => self.server_response(now, d, entry, response),
            Stage::Legacy { .. } => self.legacy_response(now, d, entry, response),
        }
    }

    fn prm_response(
        &mut self,
        now: Timestamp,
        d: Discovery,
        entry: usize,
        response: &HttpResponse,
    ) {
        let Stage::Prm {
            candidates,
            current,
            next,
        } = &d.stage
        else {
            return;
        };
        match classify(RequestPurpose::ResourceMetadata, response.status) {
            StatusClass::NotFound => {
                self.report.set_verdict(entry, Verdict::NotFound);
                return self.next_prm_probe(now, d);
            }
            StatusClass::Fatal(kind) => {
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                return self.fail(kind);
            }
            StatusClass::Ok => {}
        }
        let from_challenge = candidates.get(*current).is_some_and(|c| c.from_challenge);
        let url = candidates.get(*current).map(|c| c.url.clone());
        let result = ProtectedResourceMetadata::from_response(response).and_then(|p| {
            p.validate(
                &self.config.resource_url,
                self.config.resource_match,
                &self.config.url_policy,
            )
        });
        match result {
            Ok(prm) => {
                self.report.set_verdict(entry, Verdict::Accepted);
                let info = ResourceInfo {
                    resource: String::from(prm.resource()),
                    scopes_supported: prm.document().scopes_supported().map(<[String]>::to_vec),
                    metadata_url: url,
                };
                let listed = prm.authorization_servers().to_vec();
                self.resource = Some(info);
                self.begin_server_discovery(now, d.goal, listed);
            }
            Err(e) => {
                let kind = FlowErrorKind::ResourceMetadata(e);
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                // Lenient duplicates (D-12): try the next challenge value, never a well-known
                // URL after a refused document.
                let more_from_challenge =
                    from_challenge && candidates.get(*next).is_some_and(|c| c.from_challenge);
                if more_from_challenge {
                    self.next_prm_probe(now, d);
                } else {
                    self.fail(kind);
                }
            }
        }
    }

    fn begin_server_discovery(&mut self, now: Timestamp, goal: Goal, listed: Vec<String>) {
        let resource = self
            .resource
            .as_ref()
            .map(|r| r.resource.clone())
            .unwrap_or_default();
        let mut issuers: Vec<String> = Vec::new();
        for i in self.config.selection.order(&resource, &listed) {
            if let Some(issuer) = listed.get(i)
                && !issuers.contains(issuer)
            {
                issuers.push(issuer.clone());
            }
        }
        let d = Discovery {
            stage: Stage::Server {
                issuers,
                next_issuer: 0,
                current: 0,
                urls: Vec::new(),
                url: 0,
                first_rejection: None,
            },
            goal,
        };
        self.next_server_issuer(now, d);
    }

    /// Try the next authorization server in the selection order (P-11).
    fn next_server_issuer(&mut self, now: Timestamp, mut d: Discovery) {
        let Stage::Server {
            issuers,
            next_issuer,
            current,
            urls,
            url,
            first_rejection,
        } = &mut d.stage
        else {
            return;
        };
        loop {
            let index = *next_issuer;
            *next_issuer = next_issuer.saturating_add(1);
            let Some(name) = issuers.get(index) else {
                let kind = first_rejection
                    .take()
                    .unwrap_or(FlowErrorKind::ResourceMetadata(
                        ResourceMetadataError::NoAuthorizationServers,
                    ));
                return self.fail(kind);
            };
            *current = index;
            match discovery_urls(name) {
                Ok(list) => {
                    *urls = list.iter().map(|u| String::from(u.url())).collect();
                    *url = 0;
                    return self.next_server_url(now, d);
                }
                Err(e) => {
                    first_rejection.get_or_insert(FlowErrorKind::ServerMetadata(e));
                    self.report.note(Note::AuthorizationServerSkipped {
                        issuer: name.clone(),
                    });
                }
            }
        }
    }

    fn next_server_url(&mut self, now: Timestamp, mut d: Discovery) {
        let Stage::Server {
            issuers,
            current,
            urls,
            url,
            first_rejection,
            ..
        } = &mut d.stage
        else {
            return;
        };
        let Some(target) = urls.get(*url).cloned() else {
            // Every URL answered 4xx (A-19 for this server).
            let name = issuers.get(*current).cloned().unwrap_or_default();
            first_rejection.get_or_insert(FlowErrorKind::NoServerMetadata {
                issuer: name.clone(),
            });
            self.report
                .note(Note::AuthorizationServerSkipped { issuer: name });
            return self.next_server_issuer(now, d);
        };
        *url = url.saturating_add(1);
        let request = self.metadata_get(target);
        self.send(now, RequestPurpose::AuthorizationServerMetadata, request);
        self.state = State::Discovering(d);
    }

    fn server_response(
        &mut self,
        now: Timestamp,
        mut d: Discovery,
        entry: usize,
        response: &HttpResponse,
    ) {
        match classify(RequestPurpose::AuthorizationServerMetadata, response.status) {
            StatusClass::NotFound => {
                self.report.set_verdict(entry, Verdict::NotFound);
                return self.next_server_url(now, d);
            }
            StatusClass::Fatal(kind) => {
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                return self.fail(kind);
            }
            StatusClass::Ok => {}
        }
        let Stage::Server {
            issuers,
            current,
            first_rejection,
            ..
        } = &mut d.stage
        else {
            return;
        };
        let listed = issuers.get(*current).cloned().unwrap_or_default();
        let overridden = self
            .config
            .issuer_overrides
            .iter()
            .find(|(l, _)| *l == listed)
            .map(|(_, actual)| actual.clone());
        let expected = overridden.clone().unwrap_or_else(|| listed.clone());
        let result = AuthorizationServerMetadata::from_response(response)
            .and_then(|md| {
                md.validate_issuer(&expected, IssuerSource::Listed)
                    .map(|()| md)
            })
            .and_then(|md| self.check_usable(&md).map(|()| md));
        match result {
            Ok(metadata) => {
                self.report.set_verdict(entry, Verdict::Accepted);
                let check = match overridden {
                    Some(actual) => {
                        self.report.note(Note::IssuerOverride {
                            listed: listed.clone(),
                            actual,
                        });
                        IssuerCheck::Override { listed }
                    }
                    None => IssuerCheck::Listed(listed),
                };
                let raw = String::from_utf8(response.body.clone()).ok();
                self.server_accepted(now, d.goal, metadata, raw, check);
            }
            Err(e) => {
                // Fail closed for this server: no further URLs; next listed server.
                let kind = FlowErrorKind::ServerMetadata(e);
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                first_rejection.get_or_insert(kind);
                self.report
                    .note(Note::AuthorizationServerSkipped { issuer: listed });
                self.next_server_issuer(now, d);
            }
        }
    }

    /// What the goal needs of the metadata: the code flow with S256 (A-9 … A-14), or a usable
    /// token endpoint for client credentials.
    pub(super) fn check_usable(
        &self,
        md: &AuthorizationServerMetadata,
    ) -> Result<(), ServerMetadataError> {
        let device_required = self.config.device == super::config::DeviceMode::Required;
        if self.config.is_headless() || device_required {
            if device_required {
                // RFC 8628 needs no authorization endpoint; the device endpoint itself is
                // checked when the grant starts.
                md.checked_endpoint(Endpoint::DeviceAuthorization, &self.config.url_policy)?;
            }
            md.checked_endpoint(Endpoint::Token, &self.config.url_policy)?
                .ok_or(ServerMetadataError::MissingEndpoint("token_endpoint"))?;
            Ok(())
        } else {
            md.code_flow(&self.config.url_policy, PkceRequirement::S256)
                .map(|_| ())
        }
    }

    /// Every PRM probe answered 4xx: legacy mode if allowed (B-6, P-17).
    fn begin_legacy(&mut self, now: Timestamp, goal: Goal) {
        if !self.config.legacy_fallback {
            return self.fail(FlowErrorKind::NoResourceMetadata);
        }
        let base = match LegacyBase::from_mcp_url(&self.config.resource_url) {
            Ok(b) => b,
            Err(e) => return self.fail(FlowErrorKind::ServerMetadata(e)),
        };
        self.report.note(Note::LegacyMode {
            base: String::from(base.as_str()),
        });
        let mut oidc = String::from(base.as_str());
        oidc.push_str(OPENID_WELL_KNOWN_SEGMENT);
        let urls = [base.metadata_url(), oidc];
        let d = Discovery {
            stage: Stage::Legacy { base, urls, url: 0 },
            goal,
        };
        self.next_legacy_url(now, d);
    }

    fn next_legacy_url(&mut self, now: Timestamp, mut d: Discovery) {
        let Stage::Legacy { base, urls, url } = &mut d.stage else {
            return;
        };
        if let Some(target) = urls.get(*url).cloned() {
            *url = url.saturating_add(1);
            let request = self.metadata_get(target);
            self.send(now, RequestPurpose::LegacyServerMetadata, request);
            self.state = State::Discovering(d);
            return;
        }
        // B-4: no metadata at all → the default endpoints.
        self.report.note(Note::LegacyDefaultEndpoints);
        let metadata = base.default_metadata();
        let base = String::from(base.as_str());
        self.legacy_resource();
        self.server_accepted(
            now,
            d.goal,
            metadata,
            None,
            IssuerCheck::LegacyDefault { base },
        );
    }

    fn legacy_resource(&mut self) {
        self.resource = Some(ResourceInfo {
            resource: self.config.resource_url.clone(),
            scopes_supported: None,
            metadata_url: None,
        });
    }

    fn legacy_response(
        &mut self,
        now: Timestamp,
        d: Discovery,
        entry: usize,
        response: &HttpResponse,
    ) {
        match classify(RequestPurpose::LegacyServerMetadata, response.status) {
            StatusClass::NotFound => {
                self.report.set_verdict(entry, Verdict::NotFound);
                return self.next_legacy_url(now, d);
            }
            StatusClass::Fatal(kind) => {
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                return self.fail(kind);
            }
            StatusClass::Ok => {}
        }
        let Stage::Legacy { base, .. } = &d.stage else {
            return;
        };
        let base = String::from(base.as_str());
        let result = AuthorizationServerMetadata::from_response(response)
            .map_err(FlowErrorKind::ServerMetadata)
            .and_then(|md| {
                check_legacy_issuer(&base, &md)?;
                self.check_usable(&md)
                    .map_err(FlowErrorKind::ServerMetadata)?;
                Ok(md)
            });
        match result {
            Ok(metadata) => {
                self.report.set_verdict(entry, Verdict::Accepted);
                if metadata.issuer() != base {
                    self.report.note(Note::LegacyIssuerRelaxed {
                        base: base.clone(),
                        issuer: String::from(metadata.issuer()),
                    });
                }
                let raw = String::from_utf8(response.body.clone()).ok();
                self.legacy_resource();
                self.server_accepted(now, d.goal, metadata, raw, IssuerCheck::Legacy { base });
            }
            Err(kind) => {
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                self.fail(kind);
            }
        }
    }

    /// Metadata accepted: bind to the issuer and continue with the client identity.
    fn server_accepted(
        &mut self,
        now: Timestamp,
        goal: Goal,
        metadata: AuthorizationServerMetadata,
        raw: Option<String>,
        check: IssuerCheck,
    ) {
        let issuer = String::from(metadata.issuer());
        self.report.note(Note::AuthorizationServer {
            issuer: issuer.clone(),
        });
        // P-12, F-8: tokens of another AS are never sent to this one.
        if self.tokens.as_ref().is_some_and(|t| t.issuer != issuer) {
            self.drop_tokens("authorization server changed");
        }
        if self.identity.as_ref().is_some_and(|(i, _)| *i != issuer) {
            self.identity = None;
        }
        self.server = Some(ServerInfo {
            issuer,
            metadata,
            raw,
            check,
        });
        self.events.push_back(super::Event::StateChanged);
        self.obtain_identity(now, goal);
    }
}

/// Legacy mode issuer rule: the document's issuer must be the MCP origin or a path on it (the
/// 0.1.16 conformance mock serves `<origin>/oauth` from the root; gotcha G1). A `/`-only
/// difference is the A-8 synthesised-issuer relaxation.
pub(super) fn check_legacy_issuer(
    base: &str,
    md: &AuthorizationServerMetadata,
) -> Result<(), FlowErrorKind> {
    if md.validate_issuer(base, IssuerSource::Synthesized).is_ok() || on_origin(base, md.issuer()) {
        Ok(())
    } else {
        Err(FlowErrorKind::LegacyIssuerMismatch {
            base: String::from(base),
            found: String::from(md.issuer()),
        })
    }
}
