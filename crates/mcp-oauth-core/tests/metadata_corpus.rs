//! Corpus snapshots: every real Protected Resource Metadata and authorization server metadata
//! document goes through the parser and the validations a flow runs.

use mcp_oauth_core::metadata::resource::{
    ProtectedResourceMetadata, ResourceMatch, ResourceMetadataError, ValidatedResourceMetadata,
};
use mcp_oauth_core::metadata::server::{
    AuthorizationServerMetadata, CodeFlow, IssuerSource, PkceMethod, PkceRequirement,
    ServerMetadataError,
};
use mcp_oauth_core::urls::UrlPolicy;

/// Loopback `http` allowed, as in a developer setup (the Keycloak fixture runs on localhost).
const POLICY: UrlPolicy = UrlPolicy::https_only().allow_loopback_http();

/// The MCP URL each PRM document was served for (from MANIFEST.md).
fn expected_resource(file: &str) -> &'static str {
    match file {
        "atlassian-mcp-authv2-fragment.json" => "https://mcp.atlassian.com/v1/mcp/authv2",
        // "resource has no trailing slash while the server URL is .../mcp/"
        "github-copilot-mcp.json" => "https://api.githubcopilot.com/mcp/",
        "google-compute-mcp.json" => "https://compute.googleapis.com/mcp",
        "linear-mcp-readonly.json" => "https://mcp.linear.app/mcp/readonly",
        // Served at the root well-known URL for the MCP URL .../mcp.
        "linear-mcp-root-2026-08.json" => "https://mcp.linear.app/mcp",
        // The reporter's server URL before FastMCP's normalisation added "/".
        "mcp-python-sdk-trailing-slash.json" => "https://your-mcp.com",
        "notion-mcp-path-2026.json" => "https://mcp.notion.com/mcp",
        // Root document, fetched for the MCP URL https://mcp.notion.com/mcp.
        "notion-mcp-root-2025-10.json" => "https://mcp.notion.com/mcp",
        "selfhosted-gateway-workos-2026-09.json" => "https://app.sundartha.com/mcp",
        "sentry-mcp-2026-01.json" => "https://mcp.sentry.dev/mcp",
        // "clients use https://mcp.stripe.com/"
        "stripe-mcp.json" => "https://mcp.stripe.com/",
        other => panic!("no expected resource for {other}: add it from MANIFEST.md"),
    }
}

/// The issuer each AS document was fetched for, where MANIFEST.md says it differs from the
/// document's own `issuer`.
fn expected_issuer(file: &str) -> Option<&'static str> {
    match file {
        // Google's MCP PRM lists "https://accounts.google.com/" (prm/google-compute-mcp.json).
        "google-oauth-authorization-server.json" => Some("https://accounts.google.com/"),
        // Fetched from .../common/v2.0 and .../organizations/v2.0; the document says {tenantid}.
        "wellknown-entra-common.json" => Some("https://login.microsoftonline.com/common/v2.0"),
        "wellknown-entra-organizations.json" => {
            Some("https://login.microsoftonline.com/organizations/v2.0")
        }
        _ => None,
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Validated<'a> {
    resource: &'a str,
    authorization_servers: &'a [String],
    warnings: usize,
}

fn summarise(
    r: &Result<ValidatedResourceMetadata, ResourceMetadataError>,
) -> Result<Validated<'_>, &ResourceMetadataError> {
    r.as_ref().map(|v| Validated {
        resource: v.resource(),
        authorization_servers: v.authorization_servers(),
        warnings: v.warnings().len(),
    })
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct PrmReport<'a> {
    expected_resource: &'a str,
    strict: Result<Validated<'a>, &'a ResourceMetadataError>,
    trailing_slash: Result<Validated<'a>, &'a ResourceMetadataError>,
    csharp_sdk: Result<Validated<'a>, &'a ResourceMetadataError>,
    typescript_sdk: Result<Validated<'a>, &'a ResourceMetadataError>,
}

#[test]
fn corpus_prm() {
    insta::glob!("corpus", "prm/*.json", |path| {
        let bytes = std::fs::read(path).unwrap();
        let file = path.file_name().unwrap().to_str().unwrap();
        let expected = expected_resource(file);
        let parsed = ProtectedResourceMetadata::from_json(&bytes);
        let Ok(doc) = &parsed else {
            insta::assert_debug_snapshot!(parsed);
            return;
        };
        let run = |m: ResourceMatch| doc.clone().validate(expected, m, &POLICY);
        let results = [
            run(ResourceMatch::exact()),
            run(ResourceMatch::exact().allow_trailing_slash()),
            run(ResourceMatch::csharp_sdk()),
            run(ResourceMatch::typescript_sdk()),
        ];
        let report = PrmReport {
            expected_resource: expected,
            strict: summarise(&results[0]),
            trailing_slash: summarise(&results[1]),
            csharp_sdk: summarise(&results[2]),
            typescript_sdk: summarise(&results[3]),
        };
        insta::assert_debug_snapshot!((doc, report));
    });
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Flow {
    authorization_endpoint: String,
    token_endpoint: String,
    pkce_method: PkceMethod,
    response_type_assumed: bool,
}

impl From<CodeFlow> for Flow {
    fn from(f: CodeFlow) -> Self {
        Self {
            authorization_endpoint: f.authorization_endpoint().to_string(),
            token_endpoint: f.token_endpoint().to_string(),
            pkce_method: f.pkce_method(),
            response_type_assumed: f.response_type_assumed(),
        }
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct AsReport<'a> {
    expected_issuer: &'a str,
    issuer_check: Result<(), ServerMetadataError>,
    endpoints_check: Result<(), ServerMetadataError>,
    code_flow_s256: Result<Flow, ServerMetadataError>,
}

#[test]
fn corpus_as_metadata() {
    insta::glob!("corpus", "as-metadata/*.json", |path| {
        let bytes = std::fs::read(path).unwrap();
        let file = path.file_name().unwrap().to_str().unwrap();
        let parsed = AuthorizationServerMetadata::from_json(&bytes);
        let Ok(md) = &parsed else {
            insta::assert_debug_snapshot!(parsed);
            return;
        };
        let expected = expected_issuer(file).unwrap_or(md.issuer());
        let report = AsReport {
            expected_issuer: expected,
            issuer_check: md.validate_issuer(expected, IssuerSource::Listed),
            endpoints_check: md.check_endpoints(&POLICY),
            code_flow_s256: md.code_flow(&POLICY, PkceRequirement::S256).map(Flow::from),
        };
        insta::assert_debug_snapshot!((md, report));
    });
}
