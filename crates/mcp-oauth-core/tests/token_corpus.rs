//! Every real token response of the corpus (`tests/corpus/token/`) through
//! `parse_token_response`, with a plausible status and content type per file (see `wire`), and
//! the typed result snapshotted. Debug output redacts tokens; the test also checks that no token
//! text of the file reaches the snapshot (checklist V-11).

use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::token::parse_token_response;
use mcp_oauth_core::{Scopes, Timestamp};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
const HTML: &str = "text/html; charset=UTF-8";

/// The status and content type each file would arrive with, per the corpus MANIFEST: error
/// documents are 400 JSON, except Entra's `invalid_client` (401) and GitHub's errors (HTTP 200);
/// `.txt` files are form-encoded bodies, except Google's HTML error page (400).
fn wire(file: &str) -> (u16, &'static str) {
    match file {
        "amazon-lwa-invalid-grant.json"
        | "cognito-invalid-grant-no-description.json"
        | "google-invalid-grant-bad-request.json" => (400, JSON),
        "entra-invalid-client-aadsts7000215.json" => (401, JSON),
        "github-error-incorrect-client-credentials.json"
        | "github-error-redirect-uri-mismatch.json" => (200, JSON),
        "github-app-user-token-expiring-form-redacted.txt"
        | "github-oauth-app-default-form.txt" => (200, FORM),
        "google-2013-token-error-html.txt" => (400, HTML),
        "azure-managed-identity-string-expires.json"
        | "docker-registry-oauth2-empty-scope-spec.json"
        | "docker-registry-token-spec-no-token-type.json"
        | "entra-v2-client-credentials-recorded-2021.json"
        | "entra-v2-docs-auth-code-trailing-comma.json"
        | "github-oauth-app-accept-json.json"
        | "keycloak-token-exchange-fragment.json"
        | "salesforce-password-flow-docs-no-token-type.json"
        | "slack-oauth-v2-access-docs-mirror.json"
        | "twitch-kraken-2018-no-token-type.json"
        | "twitch-oidc-code-exchange.json"
        | "twitch-refresh-scope-array.json" => (200, JSON),
        other => panic!("add {other} to the wire table"),
    }
}

/// Token-like values in the file, found by a reference reader: JSON string members and form
/// values named like credentials.
fn secrets_in(bytes: &[u8], content_type: &str) -> Vec<String> {
    let secret_name = |k: &str| {
        matches!(
            k,
            "access_token" | "refresh_token" | "id_token" | "token" | "signature"
        )
    };
    let values: Vec<String> = if content_type == FORM {
        url::form_urlencoded::parse(bytes)
            .filter(|(k, _)| secret_name(k))
            .map(|(_, v)| v.into_owned())
            .collect()
    } else {
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes)
            .map(|m| {
                m.into_iter()
                    .filter(|(k, _)| secret_name(k))
                    .filter_map(|(_, v)| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Some sources replaced their tokens by placeholder words ("redacted", "access_token",
    // "abc") that the Debug output spells anyway (the redaction marker, a field name); only
    // token-shaped values are checked.
    values
        .into_iter()
        .filter(|v| v.len() >= 3 && !v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .collect()
}

#[test]
fn corpus_token() {
    let now = Timestamp::from_unix_seconds(1_700_000_000);
    let requested = Scopes::parse("mcp:read");
    let mut seen = 0;
    insta::glob!("corpus", "token/*.{json,txt}", |path| {
        seen += 1;
        let file = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let (status, content_type) = wire(file);
        let response = HttpResponse::new(
            status,
            vec![("Content-Type".to_string(), content_type.as_bytes().to_vec())],
            bytes.clone(),
        );
        let result = parse_token_response(&response, now, &requested);
        let shown = format!("{result:#?}");
        for secret in secrets_in(&bytes, content_type) {
            assert!(
                !shown.contains(&secret),
                "{file}: token text reached the output"
            );
        }
        if let Err(e) = &result {
            let display = e.to_string();
            for secret in secrets_in(&bytes, content_type) {
                assert!(!display.contains(&secret), "{file}: token text in Display");
            }
        }
        insta::assert_debug_snapshot!((status, content_type, result));
    });
    assert_eq!(seen, 21, "the token corpus has 21 files");
}
