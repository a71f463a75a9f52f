//! Real Dynamic Client Registration responses (`tests/corpus/dcr`, see `MANIFEST.md`) through the
//! response parser. Success documents are served with 201, error documents (file name contains
//! `error`) with 400. The snapshots show the typed result; secrets are redacted by `Debug`.

use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::registration::ClientMetadata;

/// What the corpus client would have asked for: a public client wanting refresh tokens, with the
/// redirect URIs the document lists (so that only real differences show up as warnings).
fn requested(bytes: &[u8]) -> ClientMetadata {
    let mut m = ClientMetadata::new("Corpus Client").with_refresh_tokens();
    let uris = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => match v.get("redirect_uris") {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|u| u.as_str().map(String::from))
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    if uris.is_empty() {
        m = m.with_redirect_uri("https://client.example.com/callback");
    }
    for u in uris {
        m = m.with_redirect_uri(u);
    }
    m
}

/// Every string value of the secret members, so the test can prove they never print.
fn secrets_in(bytes: &[u8]) -> Vec<String> {
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice(bytes) else {
        return Vec::new();
    };
    ["client_secret", "registration_access_token"]
        .iter()
        .filter_map(|m| obj.get(*m).and_then(|v| v.as_str()).map(String::from))
        .collect()
}

//
#[test]
fn corpus_dcr() {
    insta::glob!("corpus", "dcr/*.json", |path| {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let status = if name.contains("error") { 400 } else { 201 };
        let response = HttpResponse::new(
            status,
            vec![("Content-Type".into(), b"application/json".to_vec())],
            bytes.clone(),
        );
        let result = requested(&bytes).parse_registration_response(&response);
        let shown = format!("{result:#?}");
        for secret in secrets_in(&bytes) {
            assert!(
                !shown.contains(&secret),
                "{name}: secret leaked into {shown}"
            );
        }
        insta::assert_snapshot!(shown);
    });
}

//
#[test]
fn corpus_success_documents_have_client_ids() {
    insta::glob!("corpus", "dcr/*.json", |path| {
        let name = path.file_name().unwrap().to_string_lossy();
        if name.contains("error") {
            return;
        }
        let bytes = std::fs::read(path).unwrap();
        let response = HttpResponse::new(201, vec![], bytes.clone());
        let client = requested(&bytes)
            .parse_registration_response(&response)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!client.client_id().is_empty());
    });
}
