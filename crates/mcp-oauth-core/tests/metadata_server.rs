//! Authorization server metadata (RFC 8414, OIDC Discovery): checklist sections 3 (A-*) and
//! 15 (B-*).

use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::metadata::server::{
    AuthorizationServerMetadata, DocumentKind, Endpoint, IssuerSource, LegacyBase, PkceMethod,
    PkceRequirement, ServerMetadataError, discovery_urls,
};
use mcp_oauth_core::metadata::{
    DocumentError, ExpectedType, IdentifierError, JsonType, MetadataWarning,
};
use mcp_oauth_core::urls::{UrlError, UrlPolicy};
use proptest::prelude::*;

const STRICT: UrlPolicy = UrlPolicy::https_only();
const DEV: UrlPolicy = UrlPolicy::https_only().allow_loopback_http();

fn list(issuer: &str) -> Vec<(DocumentKind, String)> {
    discovery_urls(issuer)
        .unwrap()
        .iter()
        .map(|u| (u.kind(), u.url().to_string()))
        .collect()
}

fn urls_only(issuer: &str) -> Vec<String> {
    list(issuer).into_iter().map(|(_, u)| u).collect()
}

/// A complete, valid document for `issuer` with `extra` members appended.
fn doc(issuer: &str, extra: &str) -> String {
    format!(
        r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/authorize","token_endpoint":"{issuer}/token",
            "response_types_supported":["code"],"code_challenge_methods_supported":["S256"]{extra}}}"#
    )
}

fn parse(body: &str) -> AuthorizationServerMetadata {
    AuthorizationServerMetadata::from_json(body.as_bytes()).unwrap()
}

/// A document built from members (no defaults).
fn members(m: &str) -> AuthorizationServerMetadata {
    parse(&format!(r#"{{"issuer":"https://as.example",{m}}}"#))
}

const EPS: &str =
    r#""authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t""#;

#[test]
fn openid_only_document_is_found_a1() {
    // The OIDC URL is always listed, for both issuer shapes.
    assert!(
        list("https://as.example")
            .iter()
            .any(|(k, _)| *k == DocumentKind::OpenIdConnect)
    );
    assert!(
        list("https://as.example/t")
            .iter()
            .any(|(k, _)| *k == DocumentKind::OpenIdConnect)
    );
}

#[test]
fn path_issuer_three_urls_in_order_a2() {
    assert_eq!(
        list("https://auth.example.com/tenant1"),
        [
            (
                DocumentKind::OAuth,
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1".into()
            ),
            (
                DocumentKind::OpenIdConnect,
                "https://auth.example.com/.well-known/openid-configuration/tenant1".into()
            ),
            (
                DocumentKind::OpenIdConnect,
                "https://auth.example.com/tenant1/.well-known/openid-configuration".into()
            ),
        ]
    );
}

#[test]
fn root_issuer_two_urls_a3() {
    for issuer in ["https://auth.example.com", "https://auth.example.com/"] {
        assert_eq!(
            urls_only(issuer),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration",
            ],
            "{issuer}"
        );
    }
}

#[test]
fn path_issuer_never_probes_root_a4() {
    for issuer in [
        "https://as/t",
        "https://as/t/",
        "https://as/a/b/c",
        "https://github.com/login/oauth",
    ] {
        let root = "https://".to_string()
            + issuer
                .trim_start_matches("https://")
                .split('/')
                .next()
                .unwrap()
            + "/.well-known/oauth-authorization-server";
        assert!(!urls_only(issuer).contains(&root), "{issuer}");
    }
}

#[test]
fn trailing_slash_stripped_before_building_a5() {
    assert_eq!(
        urls_only("https://auth.example.com/tenant1/"),
        urls_only("https://auth.example.com/tenant1")
    );
    assert_eq!(
        urls_only("https://mojeid.cz/oidc/")[2],
        "https://mojeid.cz/oidc/.well-known/openid-configuration"
    );
}

#[test]
fn discovery_refuses_unusable_issuers() {
    let err = |i| match discovery_urls(i) {
        Err(ServerMetadataError::InvalidIssuer(e)) => e,
        other => panic!("{i}: {other:?}"),
    };
    assert_eq!(
        err("https://login.microsoftonline.com/{tenantid}/v2.0"),
        IdentifierError::InvalidCharacter
    );
    assert_eq!(err("https://as/?tenant=1"), IdentifierError::Query);
    assert_eq!(
        err("https://as/t#x"),
        IdentifierError::Url(UrlError::Fragment)
    );
    assert_eq!(err("javascript:alert(1)"), IdentifierError::Malformed);
    assert_eq!(err("https://as/%2e%2e/x"), IdentifierError::DotSegment);
}

#[test]
fn issuer_must_be_identical_a7() {
    let md = parse(&doc("https://honest.example", ""));
    let err = md
        .validate_issuer("https://as.attacker", IssuerSource::Listed)
        .unwrap_err();
    assert_eq!(
        err,
        ServerMetadataError::IssuerMismatch {
            expected: "https://as.attacker".into(),
            found: "https://honest.example".into()
        }
    );
    md.validate_issuer("https://honest.example", IssuerSource::Listed)
        .unwrap();
    // No case folding, no default-port removal, no normalisation of any kind.
    for other in [
        "https://HONEST.example",
        "https://honest.example:443",
        "https://honest.example/",
        "https://honest.example/.",
    ] {
        assert!(
            md.validate_issuer(other, IssuerSource::Listed).is_err(),
            "{other}"
        );
    }
}

#[test]
fn google_trailing_slash_issuer_fails_with_clear_message_a7() {
    // Google's MCP PRM lists "https://accounts.google.com/"; its metadata says no slash.
    let md = parse(&doc("https://accounts.google.com", ""));
    let err = md
        .validate_issuer("https://accounts.google.com/", IssuerSource::Listed)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "issuer mismatch: expected `https://accounts.google.com/` (the issuer the metadata URL \
         was built from), found `https://accounts.google.com` (they differ only by a trailing \
         `/`; RFC 8414 §3.3 requires identical strings)"
    );
}

#[test]
fn synthesised_issuer_may_differ_by_root_slash_only_a8() {
    let md = parse(&doc("https://rs", ""));
    md.validate_issuer("https://rs/", IssuerSource::Synthesized)
        .unwrap();
    assert!(
        md.validate_issuer("https://rs/", IssuerSource::Listed)
            .is_err()
    );
    let md = parse(&doc("https://rs/t", ""));
    assert!(
        md.validate_issuer("https://rs/t/", IssuerSource::Synthesized)
            .is_err()
    );
    assert!(
        md.validate_issuer("https://rs", IssuerSource::Synthesized)
            .is_err()
    );
}

#[test]
fn code_flow_requirements_a9() {
    assert_eq!(
        members(r#""authorization_endpoint":"https://as.example/a","code_challenge_methods_supported":["S256"]"#)
            .code_flow(&STRICT, PkceRequirement::S256),
        Err(ServerMetadataError::MissingEndpoint("token_endpoint"))
    );
    assert_eq!(
        members(
            r#""token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]"#
        )
        .code_flow(&STRICT, PkceRequirement::S256),
        Err(ServerMetadataError::MissingEndpoint(
            "authorization_endpoint"
        ))
    );
    assert_eq!(
        members(&format!(
            r#"{EPS},"response_types_supported":["token"],"code_challenge_methods_supported":["S256"]"#
        ))
        .code_flow(&STRICT, PkceRequirement::S256),
        Err(ServerMetadataError::CodeResponseTypeNotSupported)
    );
    // Absent response_types_supported: proceed, and say so.
    let flow = members(&format!(
        r#"{EPS},"code_challenge_methods_supported":["S256"]"#
    ))
    .code_flow(&STRICT, PkceRequirement::S256)
    .unwrap();
    assert!(flow.response_type_assumed());
    assert_eq!(flow.token_endpoint().as_str(), "https://as.example/t");
    // grant_types_supported present without authorization_code.
    assert_eq!(
        members(&format!(
            r#"{EPS},"grant_types_supported":["implicit"],"code_challenge_methods_supported":["S256"]"#
        ))
        .code_flow(&STRICT, PkceRequirement::S256),
        Err(ServerMetadataError::CodeGrantNotSupported)
    );
}

#[test]
fn pkce_not_advertised_is_refused_a10() {
    assert_eq!(
        members(&format!(r#"{EPS},"response_types_supported":["code"]"#))
            .code_flow(&STRICT, PkceRequirement::S256OrPlain),
        Err(ServerMetadataError::PkceNotAdvertised)
    );
    // Wrong type counts as absent.
    let md = members(&format!(
        r#"{EPS},"code_challenge_methods_supported":"S256""#
    ));
    assert_eq!(
        md.code_flow(&STRICT, PkceRequirement::S256),
        Err(ServerMetadataError::PkceNotAdvertised)
    );
}

#[test]
fn s256_required_unless_plain_opted_in_a11() {
    let md = members(&format!(
        r#"{EPS},"code_challenge_methods_supported":["plain"]"#
    ));
    assert_eq!(
        md.code_flow(&STRICT, PkceRequirement::S256),
        Err(ServerMetadataError::S256NotSupported)
    );
    assert_eq!(
        md.code_flow(&STRICT, PkceRequirement::S256OrPlain)
            .unwrap()
            .pkce_method(),
        PkceMethod::Plain
    );
    // PayPal lists signature algorithms there, and S256 among them.
    let paypal = members(&format!(
        r#"{EPS},"code_challenge_methods_supported":["RS256","ES256","S256"]"#
    ));
    let flow = paypal.code_flow(&STRICT, PkceRequirement::S256).unwrap();
    assert_eq!(flow.pkce_method(), PkceMethod::S256);
    assert_eq!(flow.pkce_method().as_str(), "S256");
    // S256 preferred even when plain is allowed and listed first.
    let both = members(&format!(
        r#"{EPS},"code_challenge_methods_supported":["plain","S256"]"#
    ));
    assert_eq!(
        both.code_flow(&STRICT, PkceRequirement::S256OrPlain)
            .unwrap()
            .pkce_method(),
        PkceMethod::S256
    );
    assert_eq!(
        members(&format!(
            r#"{EPS},"code_challenge_methods_supported":["RS256"]"#
        ))
        .code_flow(&STRICT, PkceRequirement::S256OrPlain),
        Err(ServerMetadataError::S256NotSupported)
    );
}

#[test]
fn wrong_typed_optional_members_are_warnings_a12() {
    let md = parse(&doc(
        "https://as.example",
        r#","authorization_response_iss_parameter_supported":"true",
           "client_id_metadata_document_supported":"false",
           "scopes_supported":"openid profile","registration_endpoint":{"url":"x"},
           "dpop_signing_alg_values_supported":[["ES256"]],"x_unknown":[1,2,{"z":null}],
           "jwks_uri":null,"revocation_endpoint":7"#,
    ));
    assert!(md.authorization_response_iss_parameter_supported());
    assert!(!md.client_id_metadata_document_supported());
    assert_eq!(md.scopes_supported(), None);
    assert_eq!(md.registration_endpoint(), None);
    assert_eq!(md.dpop_signing_alg_values_supported(), None);
    assert_eq!(md.jwks_uri(), None);
    assert_eq!(md.revocation_endpoint(), None);
    assert_eq!(
        md.warnings(),
        [
            MetadataWarning::WrongType {
                member: "registration_endpoint",
                expected: ExpectedType::String,
                found: JsonType::Object
            },
            MetadataWarning::WrongType {
                member: "scopes_supported",
                expected: ExpectedType::StringArray,
                found: JsonType::String
            },
            MetadataWarning::WrongType {
                member: "revocation_endpoint",
                expected: ExpectedType::String,
                found: JsonType::Number
            },
            MetadataWarning::BooleanAsString {
                member: "client_id_metadata_document_supported",
                value: false
            },
            MetadataWarning::BooleanAsString {
                member: "authorization_response_iss_parameter_supported",
                value: true
            },
            MetadataWarning::WrongElementType {
                member: "dpop_signing_alg_values_supported",
                index: 0,
                found: JsonType::Array
            },
        ]
    );
    // The document stays usable.
    md.validate_issuer("https://as.example", IssuerSource::Listed)
        .unwrap();
    md.code_flow(&STRICT, PkceRequirement::S256).unwrap();
    // Other strings are not booleans.
    let md = members(r#""authorization_response_iss_parameter_supported":"TRUE""#);
    assert!(!md.authorization_response_iss_parameter_supported());
    assert_eq!(md.warnings().len(), 1);
}

#[test]
fn required_issuer_and_document_shape() {
    assert_eq!(
        AuthorizationServerMetadata::from_json(br#"{"token_endpoint":"https://as/t"}"#),
        Err(DocumentError::MissingMember("issuer").into())
    );
    assert_eq!(
        AuthorizationServerMetadata::from_json(br#"{"issuer":["https://as"]}"#),
        Err(DocumentError::InvalidMember {
            member: "issuer",
            expected: ExpectedType::String,
            found: JsonType::Array
        }
        .into())
    );
    assert_eq!(
        AuthorizationServerMetadata::from_json(b"[]"),
        Err(DocumentError::NotAnObject.into())
    );
    assert_eq!(
        AuthorizationServerMetadata::from_json(
            br#"{"issuer":"https://as","token_endpoint":"https://as/t","token_endpoint":"https://evil/t"}"#
        ),
        Err(DocumentError::DuplicateMember("token_endpoint").into())
    );
    let r = HttpResponse::new(404, vec![], doc("https://as", "").into_bytes());
    assert_eq!(
        AuthorizationServerMetadata::from_response(&r),
        Err(DocumentError::UnexpectedStatus(404).into())
    );
    let r = HttpResponse::new(200, vec![], doc("https://as", "").into_bytes());
    assert!(AuthorizationServerMetadata::from_response(&r).is_ok());
}

#[test]
fn endpoints_must_be_https_a13() {
    let md = members(
        r#""authorization_endpoint":"https://as.example/a","token_endpoint":"http://auth.example.com/token",
           "code_challenge_methods_supported":["S256"]"#,
    );
    assert_eq!(
        md.code_flow(&DEV, PkceRequirement::S256),
        Err(ServerMetadataError::Endpoint {
            member: "token_endpoint",
            error: UrlError::InsecureScheme
        })
    );
    let local = members(
        r#""authorization_endpoint":"http://localhost:8080/a","token_endpoint":"http://127.0.0.1:8080/t",
           "registration_endpoint":"http://localhost:8080/r","code_challenge_methods_supported":["S256"]"#,
    );
    assert!(local.code_flow(&STRICT, PkceRequirement::S256).is_err());
    assert!(local.code_flow(&DEV, PkceRequirement::S256).is_ok());
    assert_eq!(
        local.checked_endpoint(Endpoint::Registration, &STRICT),
        Err(ServerMetadataError::Endpoint {
            member: "registration_endpoint",
            error: UrlError::InsecureScheme
        })
    );
    assert_eq!(
        local
            .checked_endpoint(Endpoint::Registration, &DEV)
            .unwrap()
            .unwrap()
            .as_str(),
        "http://localhost:8080/r"
    );
    assert_eq!(local.checked_endpoint(Endpoint::Jwks, &STRICT), Ok(None));
    let bad_jwks = members(r#""jwks_uri":"http://as.example/jwks""#);
    assert_eq!(
        bad_jwks.check_endpoints(&DEV),
        Err(ServerMetadataError::Endpoint {
            member: "jwks_uri",
            error: UrlError::InsecureScheme
        })
    );
}

#[test]
fn non_http_authorization_endpoint_refused_a14() {
    for bad in [
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "vbscript:x",
        "myapp://cb",
    ] {
        let md = members(&format!(
            r#""authorization_endpoint":"{bad}","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]"#
        ));
        assert_eq!(
            md.code_flow(&DEV, PkceRequirement::S256),
            Err(ServerMetadataError::Endpoint {
                member: "authorization_endpoint",
                error: UrlError::UnsupportedScheme
            }),
            "{bad}"
        );
    }
}

#[test]
fn issuer_is_the_identity_a16() {
    let md = parse(&doc("https://as.example/t", ""));
    assert_eq!(md.issuer(), "https://as.example/t");
}

#[test]
fn oidc_document_without_oidc_only_members_is_usable_a17() {
    let md = members(&format!(
        r#"{EPS},"response_types_supported":["code"],"code_challenge_methods_supported":["S256"]"#
    ));
    assert_eq!(md.jwks_uri(), None);
    assert_eq!(md.userinfo_endpoint(), None);
    assert!(md.code_flow(&STRICT, PkceRequirement::S256).is_ok());
    assert!(md.check_endpoints(&STRICT).is_ok());
}

#[test]
fn every_member_read() {
    let md = parse(
        r#"{"issuer":"https://as","authorization_endpoint":"https://as/a","token_endpoint":"https://as/t",
        "registration_endpoint":"https://as/r","jwks_uri":"https://as/j","scopes_supported":["s"],
        "response_types_supported":["code"],"response_modes_supported":["query"],
        "grant_types_supported":["authorization_code"],"code_challenge_methods_supported":["S256"],
        "token_endpoint_auth_methods_supported":["none"],
        "token_endpoint_auth_signing_alg_values_supported":["ES256"],
        "revocation_endpoint":"https://as/rv","introspection_endpoint":"https://as/i",
        "device_authorization_endpoint":"https://as/d","client_id_metadata_document_supported":true,
        "authorization_response_iss_parameter_supported":true,
        "dpop_signing_alg_values_supported":["ES256"],"userinfo_endpoint":"https://as/u"}"#,
    );
    assert_eq!(md.authorization_endpoint(), Some("https://as/a"));
    assert_eq!(md.token_endpoint(), Some("https://as/t"));
    assert_eq!(md.registration_endpoint(), Some("https://as/r"));
    assert_eq!(md.jwks_uri(), Some("https://as/j"));
    assert_eq!(md.scopes_supported().unwrap(), ["s"]);
    assert_eq!(md.response_types_supported().unwrap(), ["code"]);
    assert_eq!(md.response_modes_supported().unwrap(), ["query"]);
    assert_eq!(md.grant_types_supported().unwrap(), ["authorization_code"]);
    assert_eq!(md.code_challenge_methods_supported().unwrap(), ["S256"]);
    assert_eq!(
        md.token_endpoint_auth_methods_supported().unwrap(),
        ["none"]
    );
    assert_eq!(
        md.token_endpoint_auth_signing_alg_values_supported()
            .unwrap(),
        ["ES256"]
    );
    assert_eq!(md.revocation_endpoint(), Some("https://as/rv"));
    assert_eq!(md.introspection_endpoint(), Some("https://as/i"));
    assert_eq!(md.device_authorization_endpoint(), Some("https://as/d"));
    assert!(md.client_id_metadata_document_supported());
    assert!(md.authorization_response_iss_parameter_supported());
    assert_eq!(md.dpop_signing_alg_values_supported().unwrap(), ["ES256"]);
    assert_eq!(md.userinfo_endpoint(), Some("https://as/u"));
    for e in Endpoint::ALL {
        assert!(md.endpoint(e).is_some(), "{e}");
    }
    assert!(md.check_endpoints(&STRICT).is_ok());
    assert!(md.warnings().is_empty());
    assert!(!md.is_legacy_default());
}

#[test]
fn legacy_base_discards_path_b1() {
    let base = LegacyBase::from_mcp_url("https://api.example.com/v1/mcp").unwrap();
    assert_eq!(base.as_str(), "https://api.example.com");
    let base = LegacyBase::from_mcp_url("http://localhost:3000/mcp?x=1").unwrap();
    assert_eq!(base.as_str(), "http://localhost:3000");
    assert!(matches!(
        LegacyBase::from_mcp_url("mailto:x@y"),
        Err(ServerMetadataError::InvalidIssuer(_))
    ));
}

#[test]
fn legacy_metadata_url_at_base_b2() {
    let base = LegacyBase::from_mcp_url("https://api.example.com/v1/mcp").unwrap();
    assert_eq!(
        base.metadata_url(),
        "https://api.example.com/.well-known/oauth-authorization-server"
    );
}

#[test]
fn legacy_default_endpoints_b4() {
    let base = LegacyBase::from_mcp_url("https://api.example.com/v1/mcp").unwrap();
    let md = base.default_metadata();
    assert_eq!(
        md.authorization_endpoint(),
        Some("https://api.example.com/authorize")
    );
    assert_eq!(md.token_endpoint(), Some("https://api.example.com/token"));
    assert_eq!(
        md.registration_endpoint(),
        Some("https://api.example.com/register")
    );
    assert!(md.is_legacy_default());
    let flow = md.code_flow(&STRICT, PkceRequirement::S256).unwrap();
    assert_eq!(flow.pkce_method(), PkceMethod::S256);
}

#[test]
fn legacy_metadata_endpoints_win_b5() {
    let base = LegacyBase::from_mcp_url("https://api.example.com/v1/mcp").unwrap();
    let md = parse(
        r#"{"issuer":"https://api.example.com","authorization_endpoint":"https://api.example.com/oauth/authorize",
           "token_endpoint":"https://api.example.com/oauth/token","code_challenge_methods_supported":["S256"]}"#,
    );
    md.validate_issuer(base.as_str(), IssuerSource::Synthesized)
        .unwrap();
    let flow = md.code_flow(&STRICT, PkceRequirement::S256).unwrap();
    assert_eq!(
        flow.authorization_endpoint().as_str(),
        "https://api.example.com/oauth/authorize"
    );
    assert!(!md.is_legacy_default());
}

#[test]
fn legacy_issuer_binding_b8() {
    let base = LegacyBase::from_mcp_url("https://api.example.com/v1/mcp").unwrap();
    // Without metadata: the base URL.
    assert_eq!(base.default_metadata().issuer(), "https://api.example.com");
    // With metadata: the metadata issuer (after the synthesised-issuer check).
    let md = parse(&doc("https://api.example.com/", ""));
    md.validate_issuer(base.as_str(), IssuerSource::Synthesized)
        .unwrap();
    assert_eq!(md.issuer(), "https://api.example.com/");
    // Atlassian-style legacy document for another host: refused.
    let other = parse(&doc("https://cf.mcp.atlassian.com", ""));
    let base = LegacyBase::from_mcp_url("https://mcp.atlassian.com/v1/mcp").unwrap();
    assert!(
        other
            .validate_issuer(base.as_str(), IssuerSource::Synthesized)
            .is_err()
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(md) = AuthorizationServerMetadata::from_json(&bytes) {
            let _ = md.validate_issuer("https://as", IssuerSource::Synthesized);
            let _ = md.code_flow(&DEV, PkceRequirement::S256OrPlain);
            let _ = md.check_endpoints(&DEV);
        }
    }

    #[test]
    fn arbitrary_issuers_never_panic(s in ".{0,80}") {
        let _ = discovery_urls(&s);
        let _ = LegacyBase::from_mcp_url(&s);
    }

    #[test]
    fn near_valid_documents_never_panic(
        value in prop_oneof![
            Just("null".to_string()), Just("true".to_string()), Just("\"true\"".to_string()),
            Just("1.5".to_string()), Just("[]".to_string()), Just("[\"S256\",2]".to_string()),
            Just("{}".to_string()), "\"[a-z:/.]{0,12}\"",
        ],
        member in prop::sample::select(&[
            "authorization_endpoint", "token_endpoint", "code_challenge_methods_supported",
            "response_types_supported", "grant_types_supported",
            "authorization_response_iss_parameter_supported", "userinfo_endpoint",
        ][..]),
    ) {
        let md = AuthorizationServerMetadata::from_json(
            format!(r#"{{"issuer":"https://as","{member}":{value}}}"#).as_bytes(),
        );
        prop_assert!(md.is_ok());
        let md = md.unwrap();
        let _ = md.code_flow(&DEV, PkceRequirement::S256);
        prop_assert!(md.warnings().len() <= 1);
    }

    #[test]
    fn discovery_urls_keep_origin_and_never_root_for_path_issuers(
        scheme in prop::sample::select(&["http", "https"][..]),
        host in "[a-z]{1,10}(\\.[a-z]{2,5})?",
        port in prop::option::of(1u16..),
        path in "(/[a-zA-Z0-9_~-]{1,6}){0,4}/?",
    ) {
        let port_text = port.map(|p| format!(":{p}")).unwrap_or_default();
        let issuer = format!("{scheme}://{host}{port_text}{path}");
        let parsed = url::Url::parse(&issuer).unwrap();
        let list = discovery_urls(&issuer).unwrap();
        let origin = parsed.origin().ascii_serialization();
        let root_oauth = format!("{origin}/.well-known/oauth-authorization-server");
        let has_path = !path.trim_end_matches('/').is_empty();
        prop_assert_eq!(list.len(), if has_path { 3 } else { 2 });
        for u in list.iter() {
            let p = url::Url::parse(u.url()).unwrap();
            prop_assert_eq!(p.scheme(), parsed.scheme());
            prop_assert_eq!(p.host_str(), parsed.host_str());
            prop_assert_eq!(p.port_or_known_default(), parsed.port_or_known_default());
            if has_path {
                prop_assert_ne!(u.url(), root_oauth.as_str());
            }
        }
        prop_assert_eq!(list.first().kind(), DocumentKind::OAuth);
    }

    #[test]
    fn issuer_check_is_string_equality(a in "https://[a-z]{1,4}(/[a-z]{0,3}){0,2}/?", b in "https://[a-z]{1,4}(/[a-z]{0,3}){0,2}/?") {
        let md = AuthorizationServerMetadata::from_json(
            format!(r#"{{"issuer":"{a}"}}"#).as_bytes(),
        ).unwrap();
        prop_assert_eq!(md.validate_issuer(&b, IssuerSource::Listed).is_ok(), a == b);
        if md.validate_issuer(&b, IssuerSource::Synthesized).is_ok() {
            prop_assert!(a == b || a.trim_end_matches('/') == b.trim_end_matches('/'));
        }
    }
}
