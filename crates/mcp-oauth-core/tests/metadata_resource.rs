//! Protected Resource Metadata (RFC 9728): checklist section 2 (P-*).

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::metadata::resource::{
    ProtectedResourceMetadata, ResourceMatch, ResourceMetadataError, well_known_urls,
};
use mcp_oauth_core::metadata::{
    DocumentError, ExpectedType, IdentifierError, JsonType, MetadataWarning, check_issuer,
};
use mcp_oauth_core::urls::{UrlError, UrlPolicy};
use proptest::prelude::*;

const STRICT: UrlPolicy = UrlPolicy::https_only();
const DEV: UrlPolicy = UrlPolicy::https_only().allow_loopback_http();

fn urls(mcp: &str) -> Vec<String> {
    well_known_urls(mcp)
        .unwrap()
        .iter()
        .map(String::from)
        .collect()
}

fn prm(resource: &str) -> ProtectedResourceMetadata {
    let body = format!(
        r#"{{"resource":{},"authorization_servers":["https://as.example"]}}"#,
        serde_json::to_string(resource).unwrap()
    );
    ProtectedResourceMetadata::from_json(body.as_bytes()).unwrap()
}

fn accepted(expected: &str, found: &str, m: ResourceMatch) -> bool {
    prm(found).validate(expected, m, &STRICT).is_ok()
}

#[test]
fn path_inserted_then_root_p3_p4() {
    assert_eq!(
        urls("https://rs.example:8443/public/mcp"),
        [
            "https://rs.example:8443/.well-known/oauth-protected-resource/public/mcp",
            "https://rs.example:8443/.well-known/oauth-protected-resource",
        ]
    );
    assert_eq!(
        urls("https://rs.example/mcp?t=1"),
        [
            "https://rs.example/.well-known/oauth-protected-resource/mcp?t=1",
            "https://rs.example/.well-known/oauth-protected-resource",
        ]
    );
}

#[test]
fn path_kept_exactly_as_written_p3() {
    // `url::Url` would rewrite none of these differently here, but it would normalise `%7e`
    // case-sensitively elsewhere and add `/` to an empty path; the text is copied verbatim.
    assert_eq!(
        urls("https://rs.example/A%7e/b;v=1/")[0],
        "https://rs.example/.well-known/oauth-protected-resource/A%7e/b;v=1/"
    );
    // Scheme and host are normalised (they name the same server); the default port is dropped.
    assert_eq!(
        urls("HTTPS://RS.Example:443/MCP")[0],
        "https://rs.example/.well-known/oauth-protected-resource/MCP"
    );
    assert_eq!(
        urls("http://[::1]:3000/mcp")[0],
        "http://[::1]:3000/.well-known/oauth-protected-resource/mcp"
    );
}

#[test]
fn exactly_one_probe_without_path_p4() {
    for mcp in ["https://rs", "https://rs/"] {
        assert_eq!(
            urls(mcp),
            ["https://rs/.well-known/oauth-protected-resource"],
            "{mcp}"
        );
    }
}

#[test]
fn well_known_urls_refuse_unusable_mcp_urls() {
    use IdentifierError as I;
    let err = |u| match well_known_urls(u) {
        Err(ResourceMetadataError::InvalidResourceUrl(e)) => e,
        other => panic!("{u}: {other:?}"),
    };
    assert_eq!(err("ftp://rs/mcp"), I::Url(UrlError::UnsupportedScheme));
    assert_eq!(err("https://rs/mcp#frag"), I::Url(UrlError::Fragment));
    assert_eq!(err("https://u:p@rs/mcp"), I::Url(UrlError::UserInfo));
    assert_eq!(err("https://rs/a/../mcp"), I::DotSegment);
    assert_eq!(err("https://rs/m cp"), I::InvalidCharacter);
    assert_eq!(err("https://rs\\@evil/mcp"), I::InvalidCharacter);
    assert_eq!(err("/mcp"), I::Malformed);
}

#[test]
fn well_known_urls_allocate_only_the_urls() {
    // Beyond what the URL parser needs for validation, exactly one allocation per candidate URL.
    for (mcp, candidates) in [
        ("https://rs.example/public/mcp", 2),
        ("https://rs.example", 1),
        ("https://RS.example:8443/a/b?c=d", 2),
    ] {
        let (_, parse) = counting_alloc::allocations(|| url::Url::parse(mcp));
        let (r, n) = counting_alloc::allocations(|| well_known_urls(mcp));
        assert_eq!(r.unwrap().len(), candidates);
        assert_eq!(n, parse + candidates as u64, "{mcp}");
    }
}

#[test]
fn unknown_members_ignored_and_only_objects_accepted_p6() {
    let doc = ProtectedResourceMetadata::from_json(
        br#"{"resource":"https://rs/mcp","x_vendor":{},"authorization_servers":["https://as"],"z":[1,{"a":null}]}"#,
    )
    .unwrap();
    assert_eq!(doc.resource(), "https://rs/mcp");
    assert!(doc.warnings().is_empty());
    for body in [&b"[]"[..], b"\"x\"", b"null", b"1"] {
        assert_eq!(
            ProtectedResourceMetadata::from_json(body),
            Err(ResourceMetadataError::Document(DocumentError::NotAnObject))
        );
    }
    assert!(matches!(
        ProtectedResourceMetadata::from_json(b"{\"resource\":"),
        Err(ResourceMetadataError::Document(DocumentError::Json(_)))
    ));
}

#[test]
fn only_status_200_p6() {
    let body = br#"{"resource":"https://rs/mcp","authorization_servers":["https://as"]}"#.to_vec();
    for status in [201, 204, 301, 404, 500] {
        let r = HttpResponse::new(status, vec![], body.clone());
        assert_eq!(
            ProtectedResourceMetadata::from_response(&r),
            Err(ResourceMetadataError::Document(
                DocumentError::UnexpectedStatus(status)
            ))
        );
    }
    let r = HttpResponse::new(200, vec![], body);
    assert!(ProtectedResourceMetadata::from_response(&r).is_ok());
}

#[test]
fn missing_or_wrong_resource_p6() {
    assert_eq!(
        ProtectedResourceMetadata::from_json(br#"{"authorization_servers":["https://as"]}"#),
        Err(DocumentError::MissingMember("resource").into())
    );
    assert_eq!(
        ProtectedResourceMetadata::from_json(
            br#"{"resource":["https://rs"],"authorization_servers":["https://as"]}"#
        ),
        Err(DocumentError::InvalidMember {
            member: "resource",
            expected: ExpectedType::String,
            found: JsonType::Array
        }
        .into())
    );
}

#[test]
fn resource_mismatch_discards_document_p7() {
    let err = prm("https://evil.example.com/mcp")
        .validate("https://rs.example/mcp", ResourceMatch::exact(), &STRICT)
        .unwrap_err();
    assert_eq!(
        err,
        ResourceMetadataError::ResourceMismatch {
            expected: "https://rs.example/mcp".into(),
            found: "https://evil.example.com/mcp".into()
        }
    );
    // No relaxation accepts another origin.
    for m in [
        ResourceMatch::typescript_sdk(),
        ResourceMatch::csharp_sdk(),
        ResourceMatch::exact().allow_trailing_slash(),
    ] {
        assert!(!accepted(
            "https://rs.example/mcp",
            "https://evil.example.com/mcp",
            m
        ));
        assert!(!accepted(
            "https://rs.example/mcp",
            "https://evil.example.com",
            m
        ));
        assert!(!accepted(
            "https://rs.example/mcp",
            "http://rs.example/mcp",
            m
        ));
        assert!(!accepted(
            "https://rs.example/mcp",
            "https://rs.example:8443/mcp",
            m
        ));
    }
}

#[test]
fn challenged_request_url_is_the_expected_identifier_p7() {
    // The PRM URL came from `resource_metadata`: `resource` must equal the challenged request URL.
    let doc = prm("https://rs.example/tenant/mcp");
    let ok = doc
        .clone()
        .validate(
            "https://rs.example/tenant/mcp",
            ResourceMatch::exact(),
            &STRICT,
        )
        .unwrap();
    assert_eq!(ok.resource(), "https://rs.example/tenant/mcp");
    assert!(
        doc.validate("https://rs.example/mcp", ResourceMatch::exact(), &STRICT)
            .is_err()
    );
}

#[test]
fn code_point_comparison_after_unescaping_p8() {
    let doc = ProtectedResourceMetadata::from_json(
        br#"{"resource":"https://rs.example/m\u0063p","authorization_servers":["https://as"]}"#,
    )
    .unwrap();
    let v = doc
        .validate("https://rs.example/mcp", ResourceMatch::exact(), &STRICT)
        .unwrap();
    assert_eq!(v.resource(), "https://rs.example/mcp");
    // NFC vs NFD: no normalisation, under any policy.
    for m in [ResourceMatch::exact(), ResourceMatch::typescript_sdk()] {
        assert!(!accepted(
            "https://rs.example/caf\u{e9}",
            "https://rs.example/cafe\u{301}",
            m
        ));
    }
    // Percent-encoding and case are not normalised either.
    assert!(!accepted(
        "https://rs.example/mcp",
        "https://rs.example/%6Dcp",
        ResourceMatch::typescript_sdk()
    ));
    assert!(!accepted(
        "https://rs.example/mcp",
        "https://RS.example/mcp",
        ResourceMatch::typescript_sdk()
    ));
}

#[test]
fn relaxations_are_opt_in_and_bounded_p9() {
    let server = "https://rs/mcp/tools";
    // (b) origin-only resource for a deeper path.
    assert!(!accepted(server, "https://rs", ResourceMatch::exact()));
    assert!(accepted(server, "https://rs", ResourceMatch::csharp_sdk()));
    assert!(accepted(server, "https://rs/", ResourceMatch::csharp_sdk()));
    assert!(accepted(
        server,
        "https://rs",
        ResourceMatch::exact().allow_origin()
    ));
    // C#-style: exact or authority only; a non-root parent path is refused.
    assert!(!accepted(
        server,
        "https://rs/mcp",
        ResourceMatch::csharp_sdk()
    ));
    // (c) TypeScript-style segment prefix.
    assert!(accepted(
        server,
        "https://rs/mcp",
        ResourceMatch::typescript_sdk()
    ));
    assert!(accepted(
        server,
        "https://rs/mcp/",
        ResourceMatch::typescript_sdk()
    ));
    assert!(accepted(
        server,
        "https://rs",
        ResourceMatch::typescript_sdk()
    ));
    assert!(!accepted(
        "https://rs/mcp",
        "https://rs/mc",
        ResourceMatch::typescript_sdk()
    ));
    assert!(!accepted(
        "https://rs/mcp",
        "https://rs/mcp/tools",
        ResourceMatch::typescript_sdk()
    ));
    assert!(!accepted(
        "https://rs/mcp",
        "https://rs/mcp?x=1",
        ResourceMatch::typescript_sdk()
    ));
    // A sibling path is never accepted.
    for m in [
        ResourceMatch::exact(),
        ResourceMatch::csharp_sdk(),
        ResourceMatch::typescript_sdk(),
    ] {
        assert!(!accepted(server, "https://rs/other", m));
        assert!(!accepted("https://rs/mcp", "https://rs/other", m));
    }
    // (a) a trailing `/` on an empty path, in both directions, and nothing more.
    let slash = ResourceMatch::exact().allow_trailing_slash();
    assert!(!accepted(
        "https://rs",
        "https://rs/",
        ResourceMatch::exact()
    ));
    assert!(accepted("https://rs", "https://rs/", slash));
    assert!(accepted("https://rs/", "https://rs", slash));
    assert!(!accepted("https://rs/mcp", "https://rs/mcp/", slash));
    assert!(!accepted("https://rs/mcp", "https://rs", slash));
}

#[test]
fn validated_resource_is_exact_text_q6() {
    // Stripe: `resource` is a bare origin; the exact text must be kept, never `https://mcp.stripe.com/`.
    let v = prm("https://mcp.stripe.com")
        .validate(
            "https://mcp.stripe.com/",
            ResourceMatch::exact().allow_trailing_slash(),
            &STRICT,
        )
        .unwrap();
    assert_eq!(v.resource(), "https://mcp.stripe.com");
}

#[test]
fn no_authorization_server_p10() {
    for body in [
        &br#"{"resource":"https://rs/mcp"}"#[..],
        br#"{"resource":"https://rs/mcp","authorization_servers":[]}"#,
        br#"{"resource":"https://rs/mcp","authorization_servers":null}"#,
    ] {
        assert_eq!(
            ProtectedResourceMetadata::from_json(body),
            Err(ResourceMetadataError::NoAuthorizationServers)
        );
    }
    assert_eq!(
        ProtectedResourceMetadata::from_json(
            br#"{"resource":"https://rs/mcp","authorization_servers":"https://as"}"#
        ),
        Err(DocumentError::InvalidMember {
            member: "authorization_servers",
            expected: ExpectedType::NonEmptyStringArray,
            found: JsonType::String
        }
        .into())
    );
    assert_eq!(
        ProtectedResourceMetadata::from_json(
            br#"{"resource":"https://rs/mcp","authorization_servers":["https://as",{}]}"#
        ),
        Err(DocumentError::InvalidMember {
            member: "authorization_servers",
            expected: ExpectedType::NonEmptyStringArray,
            found: JsonType::Object
        }
        .into())
    );
}

#[test]
fn several_servers_keep_order_p11() {
    let doc = ProtectedResourceMetadata::from_json(
        br#"{"resource":"https://rs/mcp","authorization_servers":["https://as1","https://as2/t"]}"#,
    )
    .unwrap()
    .validate("https://rs/mcp", ResourceMatch::exact(), &STRICT)
    .unwrap();
    assert_eq!(
        doc.authorization_servers(),
        ["https://as1", "https://as2/t"]
    );
}

#[test]
fn authorization_servers_checked_with_policy_p13() {
    let body = br#"{"resource":"https://rs/mcp","authorization_servers":
        ["http://as.example","https://login.microsoftonline.com/{tenantid}/v2.0","https://as/?q=1","https://good.example/t/"]}"#;
    let v = ProtectedResourceMetadata::from_json(body)
        .unwrap()
        .validate("https://rs/mcp", ResourceMatch::exact(), &STRICT)
        .unwrap();
    assert_eq!(v.authorization_servers(), ["https://good.example/t/"]);
    assert_eq!(
        v.warnings(),
        [
            MetadataWarning::AuthorizationServerRefused {
                issuer: "http://as.example".into(),
                error: IdentifierError::Url(UrlError::InsecureScheme)
            },
            MetadataWarning::AuthorizationServerRefused {
                issuer: "https://login.microsoftonline.com/{tenantid}/v2.0".into(),
                error: IdentifierError::InvalidCharacter
            },
            MetadataWarning::AuthorizationServerRefused {
                issuer: "https://as/?q=1".into(),
                error: IdentifierError::Query
            },
        ]
    );

    let only_http =
        br#"{"resource":"https://rs/mcp","authorization_servers":["http://localhost:9000"]}"#;
    let doc = ProtectedResourceMetadata::from_json(only_http).unwrap();
    assert_eq!(
        doc.clone()
            .validate("https://rs/mcp", ResourceMatch::exact(), &STRICT),
        Err(ResourceMetadataError::NoUsableAuthorizationServer {
            issuer: "http://localhost:9000".into(),
            error: IdentifierError::Url(UrlError::InsecureScheme)
        })
    );
    assert!(
        doc.validate("https://rs/mcp", ResourceMatch::exact(), &DEV)
            .is_ok()
    );
    assert_eq!(
        check_issuer("https://169.254.169.254/x", &DEV),
        Err(IdentifierError::Url(UrlError::ForbiddenAddress))
    );
}

#[test]
fn signed_metadata_ignored_p15() {
    let doc = ProtectedResourceMetadata::from_json(
        br#"{"resource":"https://rs/mcp","authorization_servers":["https://as"],
             "signed_metadata":"eyJhbGciOiJSUzI1NiJ9.eyJyZXNvdXJjZSI6Imh0dHBzOi8vZXZpbCJ9.c2ln"}"#,
    )
    .unwrap();
    assert_eq!(doc.resource(), "https://rs/mcp");
    assert_eq!(doc.warnings(), [MetadataWarning::SignedMetadataIgnored]);
}

#[test]
fn optional_members_of_wrong_type_are_warnings() {
    let doc = ProtectedResourceMetadata::from_json(
        br#"{"resource":"https://rs/mcp","authorization_servers":["https://as"],
             "scopes_supported":"read write","bearer_methods_supported":["header",1],
             "resource_name":42,"dpop_bound_access_tokens_required":"true",
             "tls_client_certificate_bound_access_tokens":"yes","jwks_uri":null}"#,
    )
    .unwrap();
    assert_eq!(doc.scopes_supported(), None);
    assert_eq!(doc.bearer_methods_supported(), None);
    assert_eq!(doc.resource_name(), None);
    assert!(doc.dpop_bound_access_tokens_required());
    assert!(!doc.tls_client_certificate_bound_access_tokens());
    assert_eq!(doc.jwks_uri(), None);
    assert_eq!(
        doc.warnings(),
        [
            MetadataWarning::WrongType {
                member: "scopes_supported",
                expected: ExpectedType::StringArray,
                found: JsonType::String
            },
            MetadataWarning::WrongElementType {
                member: "bearer_methods_supported",
                index: 1,
                found: JsonType::Number
            },
            MetadataWarning::WrongType {
                member: "resource_name",
                expected: ExpectedType::String,
                found: JsonType::Number
            },
            MetadataWarning::WrongType {
                member: "tls_client_certificate_bound_access_tokens",
                expected: ExpectedType::Boolean,
                found: JsonType::String
            },
            MetadataWarning::BooleanAsString {
                member: "dpop_bound_access_tokens_required",
                value: true
            },
        ]
    );
}

#[test]
fn duplicate_member_is_refused() {
    assert_eq!(
        ProtectedResourceMetadata::from_json(
            br#"{"resource":"https://rs/mcp","authorization_servers":["https://as"],"resource":"https://evil/mcp"}"#
        ),
        Err(DocumentError::DuplicateMember("resource").into())
    );
}

#[test]
fn all_members_read() {
    let doc = ProtectedResourceMetadata::from_json(
        br#"{"resource":"https://rs/mcp","authorization_servers":["https://as"],
        "jwks_uri":"https://rs/jwks","scopes_supported":["a","b"],"bearer_methods_supported":["header"],
        "resource_signing_alg_values_supported":["RS256"],"resource_name":"R","resource_documentation":"https://rs/doc",
        "resource_policy_uri":"https://rs/p","resource_tos_uri":"https://rs/t",
        "tls_client_certificate_bound_access_tokens":true,"authorization_details_types_supported":["payment"],
        "dpop_signing_alg_values_supported":["ES256"],"dpop_bound_access_tokens_required":false}"#,
    )
    .unwrap();
    assert_eq!(doc.jwks_uri(), Some("https://rs/jwks"));
    assert_eq!(doc.scopes_supported().unwrap(), ["a", "b"]);
    assert_eq!(doc.bearer_methods_supported().unwrap(), ["header"]);
    assert_eq!(
        doc.resource_signing_alg_values_supported().unwrap(),
        ["RS256"]
    );
    assert_eq!(doc.resource_name(), Some("R"));
    assert_eq!(doc.resource_documentation(), Some("https://rs/doc"));
    assert_eq!(doc.resource_policy_uri(), Some("https://rs/p"));
    assert_eq!(doc.resource_tos_uri(), Some("https://rs/t"));
    assert!(doc.tls_client_certificate_bound_access_tokens());
    assert_eq!(
        doc.authorization_details_types_supported().unwrap(),
        ["payment"]
    );
    assert_eq!(doc.dpop_signing_alg_values_supported().unwrap(), ["ES256"]);
    assert!(!doc.dpop_bound_access_tokens_required());
    assert!(doc.warnings().is_empty());
}

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        ".*".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("\"true\"".to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|v| {
                let members: Vec<String> = v
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

const OPTIONAL: [&str; 12] = [
    "jwks_uri",
    "scopes_supported",
    "bearer_methods_supported",
    "resource_signing_alg_values_supported",
    "resource_name",
    "resource_documentation",
    "resource_policy_uri",
    "resource_tos_uri",
    "tls_client_certificate_bound_access_tokens",
    "authorization_details_types_supported",
    "dpop_signing_alg_values_supported",
    "dpop_bound_access_tokens_required",
];

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = ProtectedResourceMetadata::from_json(&bytes);
    }

    #[test]
    fn arbitrary_strings_never_panic_url_builder(s in ".{0,80}") {
        let _ = well_known_urls(&s);
        let _ = check_issuer(&s, &DEV);
    }

    #[test]
    fn near_valid_documents_parse_with_optional_members_of_any_type(
        members in prop::collection::vec((prop::sample::select(&OPTIONAL[..]), json_value()), 0..6),
        resource in "https://[a-z]{1,8}(/[a-z]{0,5}){0,3}",
    ) {
        let mut seen = std::collections::HashSet::new();
        let mut body = format!(
            r#"{{"resource":"{resource}","authorization_servers":["https://as.example"]"#
        );
        for (name, value) in &members {
            if seen.insert(*name) {
                body.push_str(&format!(",\"{name}\":{value}"));
            }
        }
        body.push('}');
        let doc = ProtectedResourceMetadata::from_json(body.as_bytes());
        prop_assert!(doc.is_ok(), "{body}: {doc:?}");
        let doc = doc.unwrap();
        prop_assert!(doc.warnings().len() <= seen.len());
        let v = doc.validate(&resource, ResourceMatch::exact(), &STRICT).unwrap();
        prop_assert_eq!(v.resource(), resource.as_str());
    }

    #[test]
    fn well_known_urls_keep_origin_and_end_with_root(
        host in "[a-z]{1,10}(\\.[a-z]{2,5})?",
        port in prop::option::of(1u16..),
        path in "(/[a-zA-Z0-9._~%-]{0,6}){0,4}",
        query in prop::option::of("[a-z=&]{0,8}"),
    ) {
        let port_text = port.map(|p| format!(":{p}")).unwrap_or_default();
        let query_text = query.map(|q| format!("?{q}")).unwrap_or_default();
        let mcp = format!("https://{host}{port_text}{path}{query_text}");
        let Ok(list) = well_known_urls(&mcp) else {
            // Only dot segments or bad escapes in the generated path may be refused.
            return Ok(());
        };
        let parsed = url::Url::parse(&mcp).unwrap();
        let origin = parsed.origin().ascii_serialization();
        let root = format!("{origin}/.well-known/oauth-protected-resource");
        prop_assert_eq!(list.iter().last().unwrap(), root.as_str());
        for u in list.iter() {
            prop_assert!(u.starts_with(root.as_str()));
            let p = url::Url::parse(u).unwrap();
            prop_assert_eq!(p.origin(), parsed.origin());
        }
        let has_path = !(path.is_empty() || path == "/") || !query_text.is_empty();
        prop_assert_eq!(list.len(), if has_path { 2 } else { 1 });
        if has_path {
            let stripped = if path == "/" { "" } else { path.as_str() };
            prop_assert_eq!(list.first(), format!("{root}{stripped}{query_text}"));
        }
    }

    #[test]
    fn matching_never_crosses_origins(
        a in "https?://[a-z]{1,4}(:[0-9]{1,3})?(/[a-z]{0,3}){0,3}",
        b in "https?://[a-z]{1,4}(:[0-9]{1,3})?(/[a-z]{0,3}){0,3}",
    ) {
        let lax = ResourceMatch::typescript_sdk().allow_trailing_slash().allow_origin();
        prop_assert!(ResourceMatch::exact().matches(&a, &a));
        prop_assert_eq!(ResourceMatch::exact().matches(&a, &b), a == b);
        let origin = |s: &str| {
            let rest = &s[s.find("://").unwrap() + 3..];
            let end = rest.find('/').unwrap_or(rest.len());
            s[..s.find("://").unwrap() + 3 + end].to_string()
        };
        if origin(&a) != origin(&b) {
            prop_assert!(!lax.matches(&a, &b));
        }
    }
}
