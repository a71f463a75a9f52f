//! Property tests for client registration: no input panics the parsers and validators, built
//! bodies say exactly what was intended, and client identifier URLs keep their rules.

use mcp_oauth_core::Scopes;
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::registration::{
    ClientIdMetadataDocument, ClientIdUrl, ClientMetadata, RegistrationError,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn metadata() -> ClientMetadata {
    ClientMetadata::new("Prop Client")
        .with_redirect_uri("http://127.0.0.1:3000/callback")
        .with_refresh_tokens()
}

fn response(status: u16, body: Vec<u8>) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("content-type".into(), b"application/json".to_vec())],
        body,
    )
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const MEMBERS: [&str; 13] = [
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "token_endpoint_auth_method",
    "redirect_uris",
    "grant_types",
    "scope",
    "client_name",
    "registration_access_token",
    "registration_client_uri",
    "error",
    "error_description",
];

/// A near-valid registration response: known members with values of any type.
fn near_valid_response() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(&MEMBERS[..]), any_json()), 0..10).prop_map(
        |pairs| {
            let mut obj = Map::new();
            for (k, v) in pairs {
                obj.insert(k.to_string(), v);
            }
            Value::Object(obj)
        },
    )
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(201), Just(400), Just(401), 100u16..600]
}

/// A redirect URI the validator accepts.
fn valid_redirect() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u16..u16::MAX, "[a-z]{1,8}")
            .prop_map(|(port, path)| format!("http://127.0.0.1:{port}/{path}")),
        (1u16..u16::MAX).prop_map(|port| format!("http://[::1]:{port}/callback")),
        ("[a-z]{1,10}", "[a-z0-9/]{0,12}")
            .prop_map(|(host, path)| format!("https://{host}.example.com/{path}")),
        Just("http://localhost/cb".to_string()),
    ]
}

fn scope_token() -> impl Strategy<Value = String> {
    "[a-z:]{1,10}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // Arbitrary bytes with any status never panic the response parser, and failures never
    // quote the body.
    #[test]
    fn response_parser_never_panics(status in any::<u16>(), body in prop::collection::vec(any::<u8>(), 0..256)) {
        let result = metadata().parse_registration_response(&response(status, body));
        if let Err(e) = result {
            let _ = format!("{e} {e:?}");
        }
    }

    //
    #[test]
    fn near_valid_responses_never_panic(status in status(), doc in near_valid_response()) {
        let body = serde_json::to_vec(&doc).unwrap();
        match metadata().parse_registration_response(&response(status, body)) {
            Ok(client) => {
                prop_assert!(matches!(status, 200 | 201));
                prop_assert!(!client.client_id().is_empty());
                prop_assert_eq!(doc.get("client_id").and_then(Value::as_str), Some(client.client_id()));
            }
            Err(RegistrationError::Rejected { description: Some(d), .. }) => {
                prop_assert!(d.len() <= 1024);
                prop_assert!(!d.chars().any(char::is_control));
            }
            Err(_) => {}
        }
    }

    // Secret values never appear in Debug output of a parsed client.
    #[test]
    fn secrets_never_print(secret in "[A-Za-z0-9]{12,24}", rat in "[A-Za-z0-9]{12,24}") {
        let body = json!({
            "client_id": "c",
            "client_secret": format!("S{secret}"),
            "client_secret_expires_at": 0,
            "registration_access_token": format!("R{rat}"),
            "token_endpoint_auth_method": "client_secret_basic",
        });
        let client = metadata()
            .parse_registration_response(&response(201, serde_json::to_vec(&body).unwrap()))
            .unwrap();
        let shown = format!("{client:?}");
        let (s, r) = (format!("S{secret}"), format!("R{rat}"));
        prop_assert!(!shown.contains(&s));
        prop_assert!(!shown.contains(&r));
    }

    //
    // A built registration request body parses back to exactly the intended members.
    #[test]
    fn request_body_round_trips(
        name in "[^\\x00-\\x1f]{1,20}".prop_filter("not blank", |s| !s.trim().is_empty()),
        uris in prop::collection::vec(valid_redirect(), 1..4),
        refresh in any::<bool>(),
        scope in prop::collection::vec(scope_token(), 0..4),
        software in prop::option::of(("[a-z-]{1,10}", "[0-9.]{1,6}")),
        contacts in prop::collection::vec("[a-z]{1,6}@example\\.com", 0..3),
        client_uri in prop::option::of(Just("https://client.example.com".to_string())),
    ) {
        let mut m = ClientMetadata::new(name.clone()).with_scope(Scopes::from_tokens(&scope));
        for u in &uris {
            m = m.with_redirect_uri(u.clone());
        }
        if refresh {
            m = m.with_refresh_tokens();
        }
        if let Some((id, version)) = &software {
            m = m.with_software_id(id.clone()).with_software_version(version.clone());
        }
        for c in &contacts {
            m = m.with_contact(c.clone());
        }
        if let Some(u) = &client_uri {
            m = m.with_client_uri(u.clone());
        }
        let request = m.registration_request("https://as.example.com/register", None).unwrap();
        let body: Value = serde_json::from_slice(&request.body).unwrap();

        let mut dedup: Vec<String> = Vec::new();
        for u in uris {
            if !dedup.contains(&u) {
                dedup.push(u);
            }
        }
        let native = dedup.iter().any(|u| u.starts_with("http://"));
        let mut expected = json!({
            "client_name": name,
            "redirect_uris": dedup,
            "grant_types": if refresh { json!(["authorization_code", "refresh_token"]) } else { json!(["authorization_code"]) },
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": if native { "native" } else { "web" },
        });
        let obj = expected.as_object_mut().unwrap();
        let scopes = Scopes::from_tokens(&scope);
        if !scopes.is_empty() {
            obj.insert("scope".into(), json!(scopes.to_string()));
        }
        if let Some((id, version)) = software {
            obj.insert("software_id".into(), json!(id));
            obj.insert("software_version".into(), json!(version));
        }
        if !contacts.is_empty() {
            obj.insert("contacts".into(), json!(contacts));
        }
        if let Some(u) = client_uri {
            obj.insert("client_uri".into(), json!(u));
        }
        prop_assert_eq!(body, expected);
    }

    // Arbitrary strings never panic the redirect URI validator.
    #[test]
    fn redirect_validator_never_panics(uri in ".{0,64}", used in ".{0,64}") {
        let m = ClientMetadata::new("x").with_redirect_uri(uri);
        let _ = m.validate();
        let _ = m.check_redirect_uri(&used);
        let _ = m.application_type();
    }

    //
    // Arbitrary strings never panic the client identifier URL validator; accepted ones keep the
    // rules and the exact text.
    #[test]
    fn client_id_url_never_panics(raw in ".{0,80}") {
        check_client_id_url(&raw)?;
    }

    //
    #[test]
    fn near_valid_client_id_urls(
        scheme in prop_oneof![Just("https"), Just("HTTPS"), Just("http")],
        userinfo in prop_oneof![Just(""), Just("u@"), Just("@"), Just("u:p@")],
        host in prop_oneof![Just("app.example.com"), Just("App.Example.COM"), Just("127.0.0.1"), Just("[::1]"), Just("")],
        port in prop_oneof![Just(""), Just(":443"), Just(":8443"), Just(":99999"), Just(":")],
        segments in prop::collection::vec(prop_oneof![Just("a"), Just("."), Just(".."), Just("%2e"), Just(".%2E"), Just(""), Just("c.json"), Just("...")], 0..4),
        query in prop_oneof![Just(""), Just("?v=1"), Just("?")],
        fragment in prop_oneof![Just(""), Just("#"), Just("#x")],
    ) {
        let path: String = segments.iter().map(|s| format!("/{s}")).collect();
        let raw = format!("{scheme}://{userinfo}{host}{port}{path}{query}{fragment}");
        check_client_id_url(&raw)?;
    }

    //
    // Arbitrary bodies and near-valid documents never panic the document check.
    #[test]
    fn document_check_never_panics(body in prop::collection::vec(any::<u8>(), 0..256), doc in near_valid_response()) {
        let url = ClientIdUrl::parse("https://app.example.com/client.json").unwrap();
        let _ = ClientIdMetadataDocument::parse(&url, &body);
        let _ = ClientIdMetadataDocument::parse(&url, &serde_json::to_vec(&doc).unwrap());
    }

    //
    // Every document the builder writes passes the self-check against its own URL.
    #[test]
    fn built_documents_self_check(
        name in "[a-zA-Z ]{0,3}[a-zA-Z]{1,10}",
        uris in prop::collection::vec(valid_redirect(), 1..4),
        path in "[a-z]{1,8}(/[a-z]{1,8}){0,2}",
        refresh in any::<bool>(),
    ) {
        let url = ClientIdUrl::parse(&format!("https://app.example.com/{path}")).unwrap();
        let mut m = ClientMetadata::new(name);
        for u in &uris {
            m = m.with_redirect_uri(u.clone());
        }
        if refresh {
            m = m.with_refresh_tokens();
        }
        let json = m.client_id_metadata_document(&url).unwrap();
        prop_assert!(!json.contains("client_secret"));
        let doc = ClientIdMetadataDocument::parse(&url, json.as_bytes()).unwrap();
        prop_assert_eq!(doc.client_id(), url.as_str());
        prop_assert_eq!(doc.redirect_uris(), m.redirect_uris());
        for u in &uris {
            prop_assert!(doc.check_redirect_uri(u).is_usable());
        }
    }
}

fn check_client_id_url(raw: &str) -> Result<(), TestCaseError> {
    if let Ok(u) = ClientIdUrl::parse(raw) {
        prop_assert_eq!(u.as_str(), raw);
        prop_assert_eq!(u.url().scheme(), "https");
        prop_assert!(!raw.contains('#'));
        let rest = &raw[raw.find("://").unwrap() + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        prop_assert!(!rest[..authority_end].contains('@'));
        let path = rest[authority_end..].split('?').next().unwrap();
        prop_assert!(!path.is_empty() && path != "/");
        for seg in path.split('/') {
            let s = seg.to_ascii_lowercase().replace("%2e", ".");
            prop_assert!(s != "." && s != "..", "dot segment in {}", raw);
        }
    }
    Ok(())
}
