//! A tiny scripted reference client for the conformance world: hand-built requests (plain
//! strings, `url`, and the crate's `pkce` / `token::basic_auth_header`), not the flow machine.
//! [`Faults`] turns it into a deliberately wrong client, one mistake at a time.

use mcp_oauth_core::http::{HeaderValue, HttpRequest, HttpResponse, Method};
use mcp_oauth_core::pkce::PkcePair;
use mcp_oauth_core::{ClientSecret, Entropy};
use serde_json::{Value, json};

use crate::conformance_world::{McpCall, Scenario, World};

pub(crate) const REDIRECT: &str = "http://localhost:3000/callback";
const CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";

/// One mistake each.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Faults {
    pub(crate) probe_root_prm_first: bool,
    pub(crate) root_as_metadata_first: bool,
    pub(crate) omit_resource: bool,
    pub(crate) wrong_verifier: bool,
    pub(crate) always_offline_access: bool,
    pub(crate) ignore_iss: bool,
    pub(crate) skip_resource_check: bool,
    pub(crate) skip_issuer_check: bool,
    pub(crate) no_scope_union: bool,
    pub(crate) no_application_type: bool,
    pub(crate) reuse_credentials_across_as: bool,
    pub(crate) ignore_cimd: bool,
    pub(crate) post_instead_of_basic: bool,
    /// Authorization attempts allowed (0 = 3).
    pub(crate) max_authorizations: u32,
}

#[derive(Debug, Clone)]
struct Creds {
    client_id: String,
    secret: Option<String>,
    method: String,
}

/// What discovery found.
struct As {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    registration_endpoint: Option<String>,
    scopes_supported: Vec<String>,
    auth_methods: Vec<String>,
    cimd: bool,
    iss_supported: bool,
    resource: Option<String>,
    prm_scopes: Vec<String>,
}

pub(crate) struct Client<'w> {
    world: &'w mut World,
    faults: Faults,
    token: Option<String>,
    requested: Vec<String>,
    creds: Vec<(String, Creds)>,
    authorizations: u32,
    counter: u8,
}

fn param(header: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let mut rest = header;
    while let Some(at) = rest.find(&needle) {
        let before = rest.get(..at).and_then(|b| b.chars().last());
        let after = rest.get(at + needle.len()..)?;
        if matches!(before, Some(' ' | ',')) {
            return after.split('"').next().map(str::to_owned);
        }
        rest = after;
    }
    None
}

fn strings(doc: &Value, key: &str) -> Vec<String> {
    doc.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn text(doc: &Value, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn origin(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| String::new(), |u| u.origin().ascii_serialization())
}

fn body_json(response: &HttpResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

impl<'w> Client<'w> {
    pub(crate) fn new(world: &'w mut World, faults: Faults) -> Self {
        Self {
            world,
            faults,
            token: None,
            requested: Vec::new(),
            creds: Vec::new(),
            authorizations: 0,
            counter: 0,
        }
    }

    pub(crate) fn authorizations(&self) -> u32 {
        self.authorizations
    }

    /// The reference sequence: initialize, initialized, tools/list, tools/call; on 401/403
    /// (re)authorize and retry, at most `max_authorizations` times in total.
    pub(crate) fn run(&mut self) -> Result<(), String> {
        let max = match self.faults.max_authorizations {
            0 => 3,
            n => n,
        };
        for call in [
            McpCall::Initialize,
            McpCall::Initialized,
            McpCall::ToolsList,
            McpCall::ToolsCall,
        ] {
            loop {
                let response = self.world.mcp(call, self.token.as_deref());
                match response.status {
                    200 | 202 => break,
                    401 | 403 if self.authorizations < max => {
                        let challenge =
                            response.header("www-authenticate").unwrap_or("").to_owned();
                        self.authorize(&challenge)?;
                    }
                    status => return Err(format!("{} answered {status}", call.method())),
                }
            }
        }
        Ok(())
    }

    fn get(&mut self, url: &str) -> HttpResponse {
        self.world.handle(&HttpRequest::get_json(url.to_owned()))
    }

    fn get_doc(&mut self, urls: &[String]) -> Option<Value> {
        for url in urls {
            let response = self.get(url);
            if response.status == 200 {
                return Some(body_json(&response));
            }
        }
        None
    }

    fn discover(&mut self, challenge: &str) -> Result<As, String> {
        let mcp_url = self.world.mcp_url().to_owned();
        let base = origin(&mcp_url);
        let root_prm = format!("{base}/.well-known/oauth-protected-resource");
        let mut prm_urls = match param(challenge, "resource_metadata") {
            Some(url) => vec![url],
            None => vec![format!("{root_prm}/mcp"), root_prm.clone()],
        };
        if self.faults.probe_root_prm_first {
            prm_urls.insert(0, root_prm);
        }
        let Some(prm) = self.get_doc(&prm_urls) else {
            return self.legacy(&base, &mcp_url);
        };
        let resource = text(&prm, "resource").ok_or("PRM without resource")?;
        if !self.faults.skip_resource_check
            && (origin(&resource) != base || !mcp_url.starts_with(&resource))
        {
            return Err(format!("PRM resource {resource} does not match {mcp_url}"));
        }
        let issuer = strings(&prm, "authorization_servers")
            .into_iter()
            .next()
            .ok_or("PRM without authorization_servers")?;
        let as_origin = origin(&issuer);
        let path = issuer
            .strip_prefix(&as_origin)
            .unwrap_or("")
            .trim_end_matches('/');
        let mut urls = if path.is_empty() {
            vec![
                format!("{as_origin}/.well-known/oauth-authorization-server"),
                format!("{as_origin}/.well-known/openid-configuration"),
            ]
        } else {
            vec![
                format!("{as_origin}/.well-known/oauth-authorization-server{path}"),
                format!("{as_origin}/.well-known/openid-configuration{path}"),
                format!("{as_origin}{path}/.well-known/openid-configuration"),
            ]
        };
        if self.faults.root_as_metadata_first {
            urls.insert(
                0,
                format!("{as_origin}/.well-known/oauth-authorization-server"),
            );
        }
        let doc = self.get_doc(&urls).ok_or("no AS metadata")?;
        if !self.faults.skip_issuer_check && text(&doc, "issuer").as_deref() != Some(&issuer) {
            return Err(format!(
                "AS metadata issuer {:?} is not {issuer}",
                text(&doc, "issuer")
            ));
        }
        let mut found = from_metadata(&doc, &issuer)?;
        found.resource = Some(resource);
        found.prm_scopes = strings(&prm, "scopes_supported");
        Ok(found)
    }

    /// 2025-03-26: the AS is the MCP origin; metadata there, or the default endpoints.
    fn legacy(&mut self, base: &str, mcp_url: &str) -> Result<As, String> {
        let urls = [
            format!("{base}/.well-known/oauth-authorization-server"),
            format!("{base}/.well-known/openid-configuration"),
        ];
        let mut found = match self.get_doc(&urls) {
            Some(doc) => {
                let issuer = text(&doc, "issuer").unwrap_or_default();
                if origin(&issuer) != base {
                    return Err(format!("legacy issuer {issuer} is not at {base}"));
                }
                from_metadata(&doc, &issuer)?
            }
            None => As {
                issuer: base.to_owned(),
                authorization_endpoint: format!("{base}/authorize"),
                token_endpoint: format!("{base}/token"),
                registration_endpoint: Some(format!("{base}/register")),
                scopes_supported: Vec::new(),
                auth_methods: Vec::new(),
                cimd: false,
                iss_supported: false,
                resource: None,
                prm_scopes: Vec::new(),
            },
        };
        found.resource = Some(mcp_url.to_owned());
        Ok(found)
    }

    fn authorize(&mut self, challenge: &str) -> Result<(), String> {
        let found = self.discover(challenge)?;
        self.authorizations += 1;
        let context = self.world.context();
        if matches!(
            self.world.scenario(),
            Scenario::ClientCredentialsBasic | Scenario::ClientCredentialsJwt
        ) {
            return self.client_credentials(&found, context.as_ref());
        }
        if matches!(
            self.world.scenario(),
            Scenario::WifJwtBearer | Scenario::EnterpriseManagedAuthorization
        ) {
            return self.jwt_bearer(&found, context.as_ref());
        }
        let creds = self.identity(&found, context.as_ref())?;

        let mut scopes: Vec<String> = match param(challenge, "scope") {
            Some(scope) => {
                let mut s: Vec<String> = if self.faults.no_scope_union {
                    Vec::new()
                } else {
                    self.requested.clone()
                };
                s.extend(scope.split(' ').map(str::to_owned));
                s
            }
            None => found.prm_scopes.clone(),
        };
        if self.faults.always_offline_access
            || found.scopes_supported.iter().any(|s| s == "offline_access")
        {
            scopes.push("offline_access".to_owned());
        }
        let mut seen = Vec::new();
        scopes.retain(|s| {
            !s.is_empty() && !seen.contains(s) && {
                seen.push(s.clone());
                true
            }
        });

        self.counter = self.counter.wrapping_add(1);
        let pkce = PkcePair::from_entropy(Entropy::new([self.counter; 32]));
        let state = format!("state-{}", self.counter);
        let resource = found
            .resource
            .clone()
            .filter(|_| !self.faults.omit_resource);
        let mut url = url::Url::parse(&found.authorization_endpoint).map_err(|e| e.to_string())?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &creds.client_id)
                .append_pair("redirect_uri", REDIRECT)
                .append_pair("state", &state)
                .append_pair("code_challenge", pkce.challenge().as_str())
                .append_pair("code_challenge_method", "S256");
            if !scopes.is_empty() {
                q.append_pair("scope", &scopes.join(" "));
            }
            if let Some(resource) = &resource {
                q.append_pair("resource", resource);
            }
        }
        let location = self.world.authorize(url.as_str())?;
        let back = url::Url::parse(&location).map_err(|e| e.to_string())?;
        let get = |name: &str| {
            back.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if get("state").as_deref() != Some(state.as_str()) {
            return Err("state mismatch".to_owned());
        }
        if !self.faults.ignore_iss {
            match get("iss") {
                Some(iss) if iss != found.issuer => {
                    return Err(format!("iss {iss} is not {}", found.issuer));
                }
                None if found.iss_supported => return Err("iss missing but advertised".to_owned()),
                _ => {}
            }
        }
        let code = get("code").ok_or("no code")?;
        let verifier = if self.faults.wrong_verifier {
            "wrong-verifier-wrong-verifier-wrong-verifier-0".to_owned()
        } else {
            pkce.verifier().secret().to_owned()
        };
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", REDIRECT.to_owned()),
        ];
        if let Some(resource) = resource {
            form.push(("resource", resource));
        }
        let response = self.token_request(&found.token_endpoint, form, &creds);
        self.take_token(&response)?;
        self.requested = scopes;
        Ok(())
    }

    fn identity(&mut self, found: &As, context: Option<&Value>) -> Result<Creds, String> {
        if let Some(ctx) = context {
            let method = if found
                .auth_methods
                .iter()
                .any(|m| m == "client_secret_basic")
                && !self.faults.post_instead_of_basic
            {
                "client_secret_basic"
            } else {
                "client_secret_post"
            };
            return Ok(Creds {
                client_id: text(ctx, "client_id").unwrap_or_default(),
                secret: text(ctx, "client_secret"),
                method: method.to_owned(),
            });
        }
        if found.cimd && !self.faults.ignore_cimd {
            return Ok(Creds {
                client_id: CIMD_URL.to_owned(),
                secret: None,
                method: "none".to_owned(),
            });
        }
        let stored = self
            .creds
            .iter()
            .find(|(issuer, _)| *issuer == found.issuer || self.faults.reuse_credentials_across_as);
        if let Some((_, creds)) = stored {
            return Ok(creds.clone());
        }
        let endpoint = found
            .registration_endpoint
            .clone()
            .ok_or("no registration endpoint")?;
        let mut metadata = json!({
            "client_name": "world-reference-client",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        });
        if !self.faults.no_application_type {
            metadata["application_type"] = json!("native");
        }
        let response = self.world.handle(&HttpRequest {
            method: Method::Post,
            url: endpoint,
            headers: vec![
                ("content-type", HeaderValue::new("application/json")),
                ("accept", HeaderValue::new("application/json")),
            ],
            body: metadata.to_string().into_bytes(),
        });
        if response.status != 201 && response.status != 200 {
            return Err(format!("registration answered {}", response.status));
        }
        let doc = body_json(&response);
        let secret = text(&doc, "client_secret");
        let method = text(&doc, "token_endpoint_auth_method").unwrap_or_else(|| {
            match (
                &secret,
                found
                    .auth_methods
                    .iter()
                    .any(|m| m == "client_secret_basic"),
            ) {
                (Some(_), true) => "client_secret_basic".to_owned(),
                _ => "none".to_owned(),
            }
        });
        let creds = Creds {
            client_id: text(&doc, "client_id").ok_or("no client_id")?,
            secret,
            method,
        };
        self.creds.push((found.issuer.clone(), creds.clone()));
        Ok(creds)
    }

    fn client_credentials(&mut self, found: &As, context: Option<&Value>) -> Result<(), String> {
        let ctx = context.ok_or("no context")?;
        let creds = Creds {
            client_id: text(ctx, "client_id").unwrap_or_default(),
            secret: text(ctx, "client_secret"),
            method: "client_secret_basic".to_owned(),
        };
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if let Some(resource) = found
            .resource
            .clone()
            .filter(|_| !self.faults.omit_resource)
        {
            form.push(("resource", resource));
        }
        #[cfg(feature = "jose")]
        let creds = match text(ctx, "private_key_pem") {
            Some(pem) => {
                // RFC 7523 §3 claims, written out independently of the library's token module.
                let key = mcp_oauth_core::jose::SigningKey::from_pkcs8_pem(&pem)
                    .map_err(|e| e.to_string())?;
                let claims = json!({
                    "iss": creds.client_id,
                    "sub": creds.client_id,
                    "aud": found.issuer,
                    "iat": 1_700_000_000u64,
                    "exp": 1_700_000_060u64,
                    "jti": "reference-client-jti",
                });
                let jws = key
                    .sign_compact(&mcp_oauth_core::jose::JwsHeader::new(), &claims)
                    .map_err(|e| e.to_string())?;
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                ));
                form.push(("client_assertion", jws));
                Creds {
                    method: "private_key_jwt".to_owned(),
                    ..creds
                }
            }
            None => creds,
        };
        let response = self.token_request(&found.token_endpoint, form, &creds);
        self.take_token(&response)
    }

    /// SEP-1933 (the context's workload JWT) or SEP-990 (an ID-JAG from the IdP first), then
    /// the RFC 7523 grant.
    fn jwt_bearer(&mut self, found: &As, context: Option<&Value>) -> Result<(), String> {
        let ctx = context.ok_or("no context")?;
        let resource = found.resource.clone().unwrap_or_default();
        let (assertion, creds) = if let Some(endpoint) = text(ctx, "idp_token_endpoint") {
            let idp_client = Creds {
                client_id: text(ctx, "idp_client_id").unwrap_or_default(),
                secret: None,
                method: "none".to_owned(),
            };
            let form = vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange".to_owned(),
                ),
                (
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:id-jag".to_owned(),
                ),
                ("audience", found.issuer.clone()),
                ("resource", resource.clone()),
                (
                    "subject_token",
                    text(ctx, "idp_id_token").unwrap_or_default(),
                ),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token".to_owned(),
                ),
            ];
            let response = self.token_request(&endpoint, form, &idp_client);
            let doc: Value = serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
            let jag = doc
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or("no ID-JAG")?
                .to_owned();
            let creds = Creds {
                client_id: text(ctx, "client_id").unwrap_or_default(),
                secret: text(ctx, "client_secret"),
                method: "client_secret_basic".to_owned(),
            };
            (jag, creds)
        } else {
            let creds = Creds {
                client_id: text(ctx, "client_id").unwrap_or_default(),
                secret: None,
                method: "none".to_owned(),
            };
            (text(ctx, "valid_jwt").unwrap_or_default(), creds)
        };
        let form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned(),
            ),
            ("assertion", assertion),
            ("resource", resource),
        ];
        let response = self.token_request(&found.token_endpoint, form, &creds);
        self.take_token(&response)
    }

    fn token_request(
        &mut self,
        endpoint: &str,
        mut form: Vec<(&'static str, String)>,
        creds: &Creds,
    ) -> HttpResponse {
        let mut headers = vec![
            (
                "content-type",
                HeaderValue::new("application/x-www-form-urlencoded"),
            ),
            ("accept", HeaderValue::new("application/json")),
        ];
        match (creds.method.as_str(), &creds.secret) {
            ("client_secret_basic", Some(secret)) => headers.push((
                "authorization",
                mcp_oauth_core::token::basic_auth_header(
                    &creds.client_id,
                    &ClientSecret::new(secret.clone()),
                ),
            )),
            ("client_secret_post", Some(secret)) => {
                form.push(("client_id", creds.client_id.clone()));
                form.push(("client_secret", secret.clone()));
            }
            _ => form.push(("client_id", creds.client_id.clone())),
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        self.world.handle(&HttpRequest {
            method: Method::Post,
            url: endpoint.to_owned(),
            headers,
            body: body.into_bytes(),
        })
    }

    fn take_token(&mut self, response: &HttpResponse) -> Result<(), String> {
        if response.status != 200 {
            return Err(format!("token endpoint answered {}", response.status));
        }
        self.token = Some(text(&body_json(response), "access_token").ok_or("no access_token")?);
        Ok(())
    }
}

fn from_metadata(doc: &Value, issuer: &str) -> Result<As, String> {
    Ok(As {
        issuer: issuer.to_owned(),
        authorization_endpoint: text(doc, "authorization_endpoint")
            .ok_or("no authorization_endpoint")?,
        token_endpoint: text(doc, "token_endpoint").ok_or("no token_endpoint")?,
        registration_endpoint: text(doc, "registration_endpoint"),
        scopes_supported: strings(doc, "scopes_supported"),
        auth_methods: strings(doc, "token_endpoint_auth_methods_supported"),
        cimd: doc.get("client_id_metadata_document_supported") == Some(&json!(true)),
        iss_supported: doc.get("authorization_response_iss_parameter_supported")
            == Some(&json!(true)),
        resource: None,
        prm_scopes: Vec::new(),
    })
}
