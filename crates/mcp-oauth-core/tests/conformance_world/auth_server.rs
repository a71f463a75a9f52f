//! The mock authorization server (`createAuthServer`) and the 2025-03-26 default-endpoint
//! fallback server: metadata, `/authorize` (auto-approve, 302), `/token`, `/register`, the
//! root-metadata trap for path issuers, and the checks each endpoint records.

use mcp_oauth_core::http::{HttpRequest, HttpResponse, Method};
use serde_json::json;

use super::wire::{self, Params, Target};
use super::{Status, Suite, World};

/// What the redirect carries as `iss` (RFC 9207).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IssMode {
    /// The metadata `issuer`, exactly.
    Correct,
    /// `https://evil.example.com`.
    Wrong,
    /// No `iss`.
    Omit,
    /// The issuer plus a trailing `/` (equal only after RFC 3986 normalisation).
    Normalized,
}

/// One mock AS.
#[derive(Debug, Clone)]
pub(super) struct AuthServer {
    pub(super) origin: String,
    /// Prefix of `/authorize`, `/token`, `/register` (`/tenant1`, `/oauth`, `/mismatched-as`).
    pub(super) prefix: &'static str,
    /// Where the metadata document is served; `None` for the fallback server (no metadata).
    pub(super) metadata_path: Option<String>,
    /// Add the OIDC discovery fields.
    pub(super) openid: bool,
    /// The `issuer` the document (and a correct `iss`) carries.
    pub(super) issuer: String,
    pub(super) scopes_supported: Option<Vec<&'static str>>,
    pub(super) grant_types: Vec<&'static str>,
    pub(super) auth_methods: Vec<&'static str>,
    /// `token_endpoint_auth_signing_alg_values_supported`, when present.
    pub(super) auth_signing_algs: Option<Vec<&'static str>>,
    pub(super) cimd_supported: Option<bool>,
    /// Advertise `registration_endpoint`.
    pub(super) dcr: bool,
    /// `authorization_response_iss_parameter_supported`, when present.
    pub(super) iss_supported: Option<bool>,
    pub(super) iss_mode: IssMode,
    /// Trap `GET /.well-known/oauth-authorization-server` (path issuers).
    pub(super) trap_root_metadata: bool,
    /// The `2025-03-26-oauth-endpoint-fallback` server: bare `/authorize`, `/token`,
    /// `/register`, no PKCE checks, fixed token `test-token`.
    pub(super) fallback: bool,
    /// Scopes of the most recent authorization request (granted at the token endpoint).
    pub(super) last_scopes: Vec<String>,
    /// The most recent `code_challenge` (PKCE is checked against the last one only).
    pub(super) stored_challenge: Option<String>,
}

const ROOT_AS_METADATA: &str = "/.well-known/oauth-authorization-server";

/// The endpoint a request hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AsRoute {
    Metadata,
    RootTrap,
    Authorize,
    Token,
    Register,
}

impl AuthServer {
    pub(super) fn new(origin: &str, suite: Suite) -> Self {
        let (iss_supported, iss_mode) = match suite {
            Suite::V0_1_16 => (None, IssMode::Omit),
            Suite::V0_2_0Alpha12 => (Some(true), IssMode::Correct),
        };
        Self {
            origin: origin.to_owned(),
            prefix: "",
            metadata_path: Some(ROOT_AS_METADATA.to_owned()),
            openid: false,
            issuer: origin.to_owned(),
            scopes_supported: None,
            grant_types: vec!["authorization_code", "refresh_token"],
            auth_methods: vec!["none"],
            auth_signing_algs: None,
            cimd_supported: None,
            dcr: true,
            iss_supported,
            iss_mode,
            trap_root_metadata: false,
            fallback: false,
            last_scopes: Vec::new(),
            stored_challenge: None,
        }
    }

    /// Which endpoint `method path` is, if this server has it.
    pub(super) fn routes(&self, method: Method, path: &str) -> Option<AsRoute> {
        let endpoint = |name: &str| path.strip_prefix(self.prefix) == Some(name);
        match method {
            Method::Get if self.metadata_path.as_deref() == Some(path) => Some(AsRoute::Metadata),
            Method::Get if self.trap_root_metadata && path == ROOT_AS_METADATA => {
                Some(AsRoute::RootTrap)
            }
            Method::Get if endpoint("/authorize") => Some(AsRoute::Authorize),
            Method::Post if endpoint("/token") => Some(AsRoute::Token),
            Method::Post if endpoint("/register") => Some(AsRoute::Register),
            _ => None,
        }
    }

    fn endpoint(&self, name: &str) -> String {
        format!("{}{}{name}", self.origin, self.prefix)
    }

    fn metadata(&self) -> serde_json::Value {
        let mut doc = json!({
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("/authorize"),
            "token_endpoint": self.endpoint("/token"),
            "response_types_supported": ["code"],
            "grant_types_supported": self.grant_types,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": self.auth_methods,
        });
        let Some(map) = doc.as_object_mut() else {
            return doc;
        };
        if self.dcr {
            map.insert(
                "registration_endpoint".to_owned(),
                json!(self.endpoint("/register")),
            );
        }
        if let Some(supported) = self.iss_supported {
            map.insert(
                "authorization_response_iss_parameter_supported".to_owned(),
                json!(supported),
            );
        }
        if let Some(algs) = &self.auth_signing_algs {
            map.insert(
                "token_endpoint_auth_signing_alg_values_supported".to_owned(),
                json!(algs),
            );
        }
        if let Some(scopes) = &self.scopes_supported {
            map.insert("scopes_supported".to_owned(), json!(scopes));
        }
        if let Some(cimd) = self.cimd_supported {
            map.insert(
                "client_id_metadata_document_supported".to_owned(),
                json!(cimd),
            );
        }
        if self.openid {
            map.insert(
                "jwks_uri".to_owned(),
                json!(format!("{}/.well-known/jwks.json", self.origin)),
            );
            map.insert("subject_types_supported".to_owned(), json!(["public"]));
            map.insert(
                "id_token_signing_alg_values_supported".to_owned(),
                json!(["RS256"]),
            );
        }
        doc
    }
}

/// What the authorization endpoint saw (the `onAuthorizationRequest` data).
#[derive(Debug, Clone)]
pub(super) struct AuthorizeSeen {
    pub(super) client_id: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) resource: Option<String>,
}

impl AuthorizeSeen {
    pub(super) fn scopes(&self) -> Vec<&str> {
        self.scope
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| s.split(' ').collect())
            .unwrap_or_default()
    }
}

/// What the token endpoint saw (the `onTokenRequest` data).
#[derive(Debug, Clone)]
pub(super) struct TokenSeen {
    pub(super) grant_type: Option<String>,
    pub(super) body: Params,
    pub(super) authorization: Option<String>,
}

/// A scenario's answer at the token endpoint.
#[derive(Debug, Clone)]
pub(super) enum TokenDecision {
    Issue {
        token: String,
        scopes: Vec<String>,
    },
    Error {
        status: u16,
        error: &'static str,
        description: String,
    },
}

/// A scenario's answer at the registration endpoint.
#[derive(Debug, Clone)]
pub(super) struct Registration {
    pub(super) client_id: String,
    pub(super) client_secret: Option<String>,
    pub(super) method: Option<&'static str>,
}

impl World {
    pub(super) fn serve_as(
        &mut self,
        index: usize,
        req: &HttpRequest,
        target: &Target,
    ) -> HttpResponse {
        let Some(server) = self.servers.get(index) else {
            return wire::not_found(req.method.as_str(), &target.path);
        };
        match server.routes(req.method, &target.path) {
            Some(AsRoute::Metadata) => {
                let doc = server.metadata();
                self.push(
                    "authorization-server-metadata",
                    Status::Success,
                    format!(
                        "client requested authorization server metadata at {}",
                        target.path
                    ),
                );
                wire::json(200, &doc)
            }
            Some(AsRoute::RootTrap) => {
                self.push(
                    "authorization-server-metadata-wrong-path",
                    Status::Failure,
                    "client requested authorization server metadata at the root path when the AS URL has a path-based location",
                );
                wire::not_found("GET", &target.path)
            }
            Some(AsRoute::Authorize) => {
                let query = Params::from_query(target.query.as_deref());
                self.serve_authorize(index, &query)
            }
            Some(AsRoute::Token) => self.serve_token(index, req),
            Some(AsRoute::Register) => self.serve_register(index, req),
            None => wire::not_found(req.method.as_str(), &target.path),
        }
    }

    fn serve_authorize(&mut self, index: usize, query: &Params) -> HttpResponse {
        let fallback = self.servers.get(index).is_some_and(|s| s.fallback);
        self.obs.authorize_requests = self.obs.authorize_requests.saturating_add(1);
        self.push(
            "authorization-request",
            Status::Success,
            format!(
                "client made authorization request (client_id {:?}, scope {:?}, resource {:?})",
                query.get("client_id"),
                query.get("scope"),
                query.get("resource")
            ),
        );
        if !fallback {
            let challenge = query.non_empty("code_challenge").map(str::to_owned);
            let method = query.get("code_challenge_method");
            self.push(
                "pkce-code-challenge-sent",
                if challenge.is_some() {
                    Status::Success
                } else {
                    Status::Failure
                },
                if challenge.is_some() {
                    "client sent code_challenge in authorization request"
                } else {
                    "client MUST send code_challenge in authorization request"
                },
            );
            let s256 = method == Some("S256");
            self.push(
                "pkce-s256-method-used",
                if s256 {
                    Status::Success
                } else {
                    Status::Failure
                },
                format!(
                    "code_challenge_method: {}",
                    method.unwrap_or("not specified")
                ),
            );
            let scopes = query.scopes("scope");
            if let Some(server) = self.servers.get_mut(index) {
                server.stored_challenge = challenge;
                server.last_scopes = scopes;
            }
            let seen = AuthorizeSeen {
                client_id: query.get("client_id").map(str::to_owned),
                scope: query.get("scope").map(str::to_owned),
                resource: query.get("resource").map(str::to_owned),
            };
            self.on_authorize(index, &seen);
        }

        let mut params: Vec<(&str, String)> = vec![("code", "test-auth-code".to_owned())];
        if let Some(state) = query.non_empty("state") {
            params.push(("state", state.to_owned()));
        }
        if let Some(server) = self.servers.get(index).filter(|_| !fallback) {
            match server.iss_mode {
                IssMode::Correct => params.push(("iss", server.issuer.clone())),
                IssMode::Wrong => params.push(("iss", "https://evil.example.com".to_owned())),
                IssMode::Normalized => params.push(("iss", format!("{}/", server.issuer))),
                IssMode::Omit => {}
            }
        }
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        match query
            .get("redirect_uri")
            .and_then(|uri| wire::redirect_with(uri, &pairs))
        {
            Some(location) => wire::redirect(&location),
            None => wire::json(500, &json!({"error": "Invalid URL"})),
        }
    }

    fn serve_token(&mut self, index: usize, req: &HttpRequest) -> HttpResponse {
        let body = Params::from_body(req);
        let grant_type = body.get("grant_type").map(str::to_owned);
        self.obs.token_requests = self.obs.token_requests.saturating_add(1);
        self.push(
            "token-request",
            Status::Success,
            format!("client requested access token (grant_type {grant_type:?})"),
        );
        if self.servers.get(index).is_some_and(|s| s.fallback) {
            return wire::json(
                200,
                &json!({"access_token": "test-token", "token_type": "Bearer", "expires_in": 3600}),
            );
        }
        if grant_type.as_deref() == Some("authorization_code") {
            self.check_pkce(index, body.non_empty("code_verifier"));
        }
        let seen = TokenSeen {
            grant_type,
            body,
            authorization: req.header("authorization").map(str::to_owned),
        };
        let decision = self.on_token(index, &seen).unwrap_or_else(|| {
            let n = self.next();
            TokenDecision::Issue {
                token: format!("test-token-{n}"),
                scopes: self
                    .servers
                    .get(index)
                    .map(|s| s.last_scopes.clone())
                    .unwrap_or_default(),
            }
        });
        match decision {
            TokenDecision::Error {
                status,
                error,
                description,
            } => wire::json(
                status,
                &json!({"error": error, "error_description": description}),
            ),
            TokenDecision::Issue { token, scopes } => {
                self.register_token(&token, scopes.clone());
                let mut doc =
                    json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600});
                if let (false, Some(map)) = (scopes.is_empty(), doc.as_object_mut()) {
                    map.insert("scope".to_owned(), json!(scopes.join(" ")));
                }
                wire::json(200, &doc)
            }
        }
    }

    fn check_pkce(&mut self, index: usize, verifier: Option<&str>) {
        self.push(
            "pkce-code-verifier-sent",
            if verifier.is_some() {
                Status::Success
            } else {
                Status::Failure
            },
            if verifier.is_some() {
                "client sent code_verifier in token request"
            } else {
                "client MUST send code_verifier in token request"
            },
        );
        let stored = self
            .servers
            .get(index)
            .and_then(|s| s.stored_challenge.clone());
        let (status, detail) = match (stored.as_deref(), verifier) {
            (None, None) => (
                Status::Failure,
                "neither code_challenge nor code_verifier were sent",
            ),
            (None, Some(_)) => (
                Status::Failure,
                "code_challenge was not sent in authorization request",
            ),
            (Some(_), None) => (
                Status::Failure,
                "code_verifier was not sent in token request",
            ),
            (Some(challenge), Some(verifier)) if wire::s256(verifier) == challenge => (
                Status::Success,
                "code_verifier correctly matches code_challenge (S256)",
            ),
            (Some(_), Some(_)) => (
                Status::Failure,
                "code_verifier does not match code_challenge",
            ),
        };
        self.push("pkce-verifier-matches-challenge", status, detail);
    }

    fn serve_register(&mut self, index: usize, req: &HttpRequest) -> HttpResponse {
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
        let fallback = self.servers.get(index).is_some_and(|s| s.fallback);
        let registration = if fallback {
            None
        } else {
            self.on_register(index, &body)
        }
        .unwrap_or_else(|| Registration {
            client_id: "test-client-id".to_owned(),
            client_secret: Some("test-client-secret".to_owned()),
            method: None,
        });
        self.push(
            "client-registration",
            Status::Success,
            format!(
                "client registered (client_name {:?})",
                body.get("client_name").and_then(|v| v.as_str())
            ),
        );
        if !fallback && self.suite == Suite::V0_2_0Alpha12 {
            let app_type = body.get("application_type").and_then(|v| v.as_str());
            let valid = matches!(app_type, Some("native" | "web"));
            self.push(
                "sep-837-application-type-present",
                if valid { Status::Success } else { Status::Failure },
                match (valid, app_type) {
                    (true, Some(t)) => format!("client specified application_type \"{t}\""),
                    (_, None) => "client MUST specify an appropriate application_type during DCR (SEP-837); field was omitted".to_owned(),
                    (_, Some(t)) => format!("client MUST specify an appropriate application_type during DCR (SEP-837); got \"{t}\", expected \"native\" or \"web\""),
                },
            );
        }
        let client_name = body
            .get("client_name")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("test-client");
        let redirect_uris = body.get("redirect_uris").cloned().unwrap_or(json!([]));
        let mut doc = json!({
            "client_id": registration.client_id,
            "client_name": client_name,
            "redirect_uris": redirect_uris,
        });
        if let Some(map) = doc.as_object_mut() {
            if let Some(secret) = registration.client_secret {
                map.insert("client_secret".to_owned(), json!(secret));
            }
            if let Some(method) = registration.method {
                map.insert("token_endpoint_auth_method".to_owned(), json!(method));
            }
        }
        wire::json(201, &doc)
    }
}
