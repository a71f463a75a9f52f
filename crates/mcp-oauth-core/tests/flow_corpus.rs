//! Flow-level corpus test: every real authorization server metadata document in
//! `corpus/as-metadata/` is served by a small world as the metadata of the one authorization
//! server a Protected Resource Metadata document lists (the document's own `issuer`), at the
//! discovery URL the MANIFEST says it comes from (RFC 8414 or OpenID Connect Discovery). The
//! real [`AuthFlow`] then runs discovery (and, when the document is accepted, client identity and
//! the authorization URL). The snapshot shows which real provider documents the flow accepts
//! and, for the others, the typed reason it refuses them, plus the flow's report (`Display`).
//!
//! The client is configured like a real public client: https only, exact resource match, a
//! Client ID Metadata Document URL, dynamic registration on, no pre-registered credentials. A
//! document without `registration_endpoint` and without CIMD support is therefore accepted by
//! discovery but ends with "no client identity" (such providers need pre-registration).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mcp_oauth_core::flow::{AuthFlow, ClientConfig, Event, FlowConfig, FlowError, FlowStatus};
use mcp_oauth_core::http::{HttpRequest, HttpResponse};
use mcp_oauth_core::{Entropy, Timestamp};

const RS: &str = "https://mcp.example.com/mcp";
const PRM_URL: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
const REDIRECT: &str = "http://127.0.0.1:8765/callback";
const CIMD_URL: &str = "https://client.example.com/client-metadata.json";
/// A marker that must never appear in the report.
const SECRET: &str = "corpus-dcr-secret-value";

/// How the MANIFEST says the document was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Rfc8414,
    OpenIdConnect,
}

/// The "how obtained" column of the MANIFEST row for `as-metadata/<name>`.
fn manifest_source(name: &str) -> Source {
    let manifest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/MANIFEST.md"),
    )
    .unwrap();
    let prefix = format!("| as-metadata/{name} |");
    let row = manifest
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{name} is not in the MANIFEST"));
    let kind = row.split('|').nth(3).unwrap_or("").trim();
    if kind.starts_with("RFC 8414") {
        Source::Rfc8414
    } else if kind.starts_with("OIDC discovery") {
        Source::OpenIdConnect
    } else {
        panic!("{name}: unknown source {kind:?}")
    }
}

/// Where a provider with `issuer` serves its metadata: RFC 8414 §3.1 inserts the well-known
/// segment before the issuer's path; OpenID Connect Discovery §4 appends it to the issuer. One
/// trailing `/` of the issuer is dropped in both (G2).
fn served_at(issuer: &str, source: Source) -> Option<String> {
    let url = url::Url::parse(issuer).ok()?;
    let origin = url.origin().ascii_serialization();
    let path = url.path().strip_suffix('/').unwrap_or(url.path());
    Some(match source {
        Source::Rfc8414 => format!("{origin}/.well-known/oauth-authorization-server{path}"),
        Source::OpenIdConnect => format!("{origin}{path}/.well-known/openid-configuration"),
    })
}

fn json_response(status: u16, body: &[u8]) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("content-type".into(), b"application/json".to_vec())],
        body.to_vec(),
    )
}

/// The world: the PRM, the document at its discovery URL, and a registration endpoint (if the
/// document names one) that accepts the client. Everything else is 404.
fn serve(routes: &BTreeMap<String, Vec<u8>>, request: &HttpRequest) -> HttpResponse {
    let base = request.url.split('?').next().unwrap_or("");
    match routes.get(base) {
        Some(body) if request.method == mcp_oauth_core::http::Method::Post => {
            json_response(201, body)
        }
        Some(body) => json_response(200, body),
        None => json_response(404, b"{}"),
    }
}

/// What became of the flow.
fn outcome(
    flow: &AuthFlow,
    failure: Option<&FlowError>,
    authorization_url: Option<&str>,
) -> String {
    match (flow.status(), failure, authorization_url) {
        (FlowStatus::AwaitingAuthorization, None, Some(url)) => {
            let parsed = url::Url::parse(url).unwrap();
            let client_id = parsed
                .query_pairs()
                .find(|(k, _)| k == "client_id")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            format!(
                "ACCEPTED: authorization URL issued\n  issuer: {}\n  authorization endpoint: {}://{}{}\n  client_id: {client_id}",
                flow.issuer().unwrap_or("?"),
                parsed.scheme(),
                parsed.host_str().unwrap_or(""),
                parsed.path(),
            )
        }
        (FlowStatus::Failed, Some(e), _) => {
            format!("REFUSED: {e}\n  kind: {:?}", e.kind())
        }
        (status, failure, url) => {
            panic!("unexpected end: {status:?} {failure:?} {url:?}")
        }
    }
}

#[test]
fn corpus_as_metadata_through_the_flow() {
    insta::glob!("corpus", "as-metadata/*.json", |path| {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let issuer = doc["issuer"].as_str().unwrap_or_default().to_owned();
        let source = manifest_source(name);
        let served = served_at(&issuer, source);

        let mut routes = BTreeMap::new();
        let prm = serde_json::json!({"resource": RS, "authorization_servers": [issuer]});
        routes.insert(PRM_URL.to_owned(), prm.to_string().into_bytes());
        if let Some(url) = &served {
            routes.insert(url.clone(), bytes.clone());
        }
        if let Some(registration) = doc["registration_endpoint"].as_str() {
            let registered = serde_json::json!({
                "client_id": "corpus-client",
                "client_secret": SECRET,
                "token_endpoint_auth_method": "client_secret_basic",
                "redirect_uris": [REDIRECT],
            });
            routes.insert(registration.to_owned(), registered.to_string().into_bytes());
        }

        let config = FlowConfig::new(
            RS,
            ClientConfig::authorization_code("Corpus Client", REDIRECT),
        )
        .client_id_metadata_document(CIMD_URL);
        let mut flow = AuthFlow::new(config, Entropy::new([3; 32]));
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        let mut failure = flow
            .handle_challenge(now, &HttpResponse::new(401, vec![], vec![]))
            .err();
        let mut authorization_url = None;
        for _ in 0..100 {
            if let Some((id, request)) = flow.poll_request() {
                assert!(
                    request.header("authorization").is_none()
                        || request.method == mcp_oauth_core::http::Method::Post
                );
                let response = serve(&routes, &request);
                flow.handle_response(now, id, response);
                continue;
            }
            match flow.poll_event() {
                Some(Event::OpenAuthorizationUrl { url, .. }) => authorization_url = Some(url),
                Some(Event::Failed(e)) => failure = Some(e),
                Some(_) => {}
                None => break,
            }
        }

        let report = flow.report().to_string();
        assert!(!report.contains(SECRET), "{report}");
        let mut out = String::new();
        writeln!(out, "document: as-metadata/{name}").unwrap();
        writeln!(out, "issuer: {issuer}").unwrap();
        writeln!(
            out,
            "served at: {} ({source:?})",
            served.as_deref().unwrap_or("nowhere (issuer is not a URL)")
        )
        .unwrap();
        writeln!(
            out,
            "{}",
            outcome(&flow, failure.as_ref(), authorization_url.as_deref())
        )
        .unwrap();
        writeln!(out, "report:\n{report}").unwrap();
        insta::assert_snapshot!(out);
    });
}
