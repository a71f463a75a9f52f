//! Self-test of the conformance world: a correct scripted client passes every implemented
//! scenario under both suite releases, a do-nothing client fails every one, and deliberately
//! wrong clients trip the expected FAILURE / WARNING checks (so every check can fail).
//!
//! These tests prove the *world* (every check can pass and fail); the rows they name are the
//! client requirements whose conformance checks they exercise: P-4, P-7, A-4, A-7, Q-4, Q-9,
//! K-7, S-5, S-6, C-9, C-10, R-5, R-18, T-4, P-12, B-5 and gotchas G1, G6.

#[path = "conformance_world/mod.rs"]
mod conformance_world;

#[path = "conformance_world_selftest/client.rs"]
mod client;

use client::{Client, Faults};
use conformance_world::{Check, Scenario, Status, Suite, World};

fn run(scenario: Scenario, suite: Suite, faults: Faults) -> (World, Result<(), String>, u32) {
    let mut world = World::with_suite(scenario, suite);
    let (result, authorizations) = {
        let mut client = Client::new(&mut world, faults);
        let result = client.run();
        (result, client.authorizations())
    };
    (world, result, authorizations)
}

fn statuses(world: &World, id: &str) -> Vec<Status> {
    world.find(id).iter().map(|c| c.status).collect()
}

fn dump(world: &World) -> String {
    world
        .finish()
        .iter()
        .map(Check::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn reference_client_passes_every_scenario() {
    for suite in [Suite::V0_1_16, Suite::V0_2_0Alpha12] {
        for &scenario in Scenario::all() {
            let (world, result, authorizations) = run(scenario, suite, Faults::default());
            let verdict = world.verdict();
            assert!(
                verdict.passed(),
                "{} ({suite:?}) result {result:?}, {authorizations} authorizations:\n{}",
                scenario.name(),
                dump(&world)
            );
            assert_eq!(
                result.is_ok(),
                scenario.completes(),
                "{} ({suite:?}): {result:?}",
                scenario.name()
            );
        }
    }
}

#[test]
fn do_nothing_client_fails_every_scenario_g6() {
    for suite in [Suite::V0_1_16, Suite::V0_2_0Alpha12] {
        for &scenario in Scenario::all() {
            let world = World::with_suite(scenario, suite);
            let verdict = world.verdict();
            assert!(!verdict.passed(), "{}", scenario.name());
            // Only resource-mismatch is vacuous by the suite's own rule (G6); the world's
            // `world-prm-fetched` check closes that gap.
            assert_eq!(
                verdict.suite_passed,
                scenario == Scenario::ResourceMismatch,
                "{}",
                scenario.name()
            );
        }
    }
}

#[test]
fn probing_root_prm_first_trips_the_trap_p4() {
    let faults = Faults {
        probe_root_prm_first: true,
        ..Faults::default()
    };
    let (world, result, _) = run(Scenario::MetadataDefault, Suite::V0_1_16, faults);
    assert_eq!(result, Ok(()));
    assert_eq!(statuses(&world, "prm-priority-order"), [Status::Failure]);
    assert!(!world.verdict().suite_passed);
}

#[test]
fn root_as_metadata_for_a_path_issuer_trips_the_trap_a4() {
    for scenario in [Scenario::MetadataVar2, Scenario::MetadataVar3] {
        let faults = Faults {
            root_as_metadata_first: true,
            ..Faults::default()
        };
        let (world, _, _) = run(scenario, Suite::V0_2_0Alpha12, faults);
        assert_eq!(
            statuses(&world, "authorization-server-metadata-wrong-path"),
            [Status::Failure]
        );
        assert!(!world.verdict().suite_passed);
    }
}

#[test]
fn omitting_resource_fails_the_rfc8707_checks_q4() {
    let faults = Faults {
        omit_resource: true,
        ..Faults::default()
    };
    let (world, result, _) = run(Scenario::TokenEndpointAuthBasic, Suite::V0_1_16, faults);
    assert_eq!(result, Ok(()));
    assert_eq!(
        statuses(&world, "resource-parameter-in-authorization"),
        [Status::Failure]
    );
    assert_eq!(
        statuses(&world, "resource-parameter-in-token"),
        [Status::Failure]
    );
}

#[test]
fn wrong_pkce_verifier_fails_k7() {
    let faults = Faults {
        wrong_verifier: true,
        ..Faults::default()
    };
    let (world, _, _) = run(Scenario::MetadataDefault, Suite::V0_2_0Alpha12, faults);
    assert_eq!(
        statuses(&world, "pkce-verifier-matches-challenge"),
        [Status::Failure]
    );
    assert_eq!(
        statuses(&world, "pkce-code-verifier-sent"),
        [Status::Success]
    );
}

#[test]
fn offline_access_when_not_listed_fails_q9() {
    let faults = Faults {
        always_offline_access: true,
        ..Faults::default()
    };
    let (world, _, _) = run(
        Scenario::OfflineAccessNotSupported,
        Suite::V0_2_0Alpha12,
        faults,
    );
    assert_eq!(
        statuses(&world, "sep-2207-offline-access-not-requested"),
        [Status::Failure]
    );
}

#[test]
fn offline_access_listed_is_requested_q9() {
    let (world, result, _) = run(
        Scenario::OfflineAccessScope,
        Suite::V0_2_0Alpha12,
        Faults::default(),
    );
    assert_eq!(result, Ok(()));
    assert_eq!(
        statuses(&world, "sep-2207-offline-access-requested"),
        [Status::Success]
    );
    // CIMD was used: the world does not fetch the document, like the offline suite (G14).
    assert_eq!(
        statuses(&world, "sep-2207-client-metadata-grant-types"),
        [Status::Info]
    );
}

#[test]
fn four_authorizations_exceed_the_retry_limit_s6() {
    let faults = Faults {
        max_authorizations: 4,
        ..Faults::default()
    };
    let (world, result, authorizations) =
        run(Scenario::ScopeRetryLimit, Suite::V0_2_0Alpha12, faults);
    assert!(result.is_err());
    assert_eq!(authorizations, 4);
    assert_eq!(world.count_requests("/authorize"), 4);
    assert_eq!(statuses(&world, "scope-retry-limit"), [Status::Failure]);
    // The fourth token-carrying request got 410.
    assert_eq!(world.requests().last().map(|r| r.status), Some(410));
}

#[test]
fn retry_limit_passes_with_one_to_three_authorizations_s6() {
    for max in 1..=3 {
        let faults = Faults {
            max_authorizations: max,
            ..Faults::default()
        };
        let (world, result, _) = run(Scenario::ScopeRetryLimit, Suite::V0_1_16, faults);
        assert!(result.is_err());
        assert_eq!(world.count_requests("/authorize"), max as usize);
        assert!(world.verdict().passed(), "{max}: {}", dump(&world));
    }
}

#[test]
fn accepting_a_wrong_or_missing_iss_fails_c9_c10() {
    let faults = Faults {
        ignore_iss: true,
        ..Faults::default()
    };
    for (scenario, id) in [
        (
            Scenario::IssWrongIssuer,
            "sep-2468-client-compare-iss-supported",
        ),
        (
            Scenario::IssUnexpected,
            "sep-2468-client-compare-iss-unadvertised",
        ),
        (Scenario::IssNormalized, "sep-2468-client-no-normalization"),
        (
            Scenario::IssSupportedMissing,
            "sep-2468-client-reject-missing-iss",
        ),
    ] {
        let (world, result, _) = run(scenario, Suite::V0_2_0Alpha12, faults);
        assert_eq!(result, Ok(()), "{}", scenario.name());
        assert_eq!(
            statuses(&world, id),
            [Status::Failure],
            "{}",
            scenario.name()
        );
        assert_eq!(
            statuses(&world, "world-no-protected-success"),
            [Status::Failure]
        );
    }
}

#[test]
fn skipping_the_resource_check_fails_resource_mismatch_p7_g6() {
    let faults = Faults {
        skip_resource_check: true,
        ..Faults::default()
    };
    let (world, _, _) = run(Scenario::ResourceMismatch, Suite::V0_2_0Alpha12, faults);
    assert_eq!(
        statuses(&world, "resource-mismatch-rejected"),
        [Status::Failure]
    );
    // The correct client fetched the PRM and stopped before /authorize.
    let (world, result, _) = run(
        Scenario::ResourceMismatch,
        Suite::V0_2_0Alpha12,
        Faults::default(),
    );
    assert!(result.is_err());
    assert!(world.prm_fetched());
    assert_eq!(world.count_requests("/authorize"), 0);
}

#[test]
fn skipping_the_metadata_issuer_check_fails_a7() {
    let faults = Faults {
        skip_issuer_check: true,
        ..Faults::default()
    };
    let (world, _, _) = run(
        Scenario::MetadataIssuerMismatch,
        Suite::V0_2_0Alpha12,
        faults,
    );
    assert_eq!(
        statuses(&world, "sep-2468-client-validate-metadata-issuer"),
        [Status::Failure]
    );
}

#[test]
fn step_up_without_union_warns_s5() {
    let faults = Faults {
        no_scope_union: true,
        ..Faults::default()
    };
    let (world, _, _) = run(Scenario::ScopeStepUp, Suite::V0_2_0Alpha12, faults);
    assert_eq!(
        statuses(&world, "scope-step-up-escalation"),
        [Status::Success]
    );
    assert_eq!(
        statuses(&world, "sep-2350-scope-union-on-reauth"),
        [Status::Warning]
    );
    assert!(!world.verdict().suite_passed);
    // 0.1.16's 403 names both scopes, so echoing the challenge is enough there.
    let (world, _, _) = run(Scenario::ScopeStepUp, Suite::V0_1_16, faults);
    assert!(world.verdict().passed(), "{}", dump(&world));
}

#[test]
fn dcr_without_application_type_fails_sep837_r18() {
    let faults = Faults {
        no_application_type: true,
        ..Faults::default()
    };
    let (world, _, _) = run(Scenario::MetadataDefault, Suite::V0_2_0Alpha12, faults);
    assert_eq!(
        statuses(&world, "sep-837-application-type-present"),
        [Status::Failure]
    );
    // 0.1.16 did not check it.
    let (world, _, _) = run(Scenario::MetadataDefault, Suite::V0_1_16, faults);
    assert!(world.find("sep-837-application-type-present").is_empty());
}

#[test]
fn reusing_credentials_at_the_new_as_fails_p12() {
    let faults = Faults {
        reuse_credentials_across_as: true,
        ..Faults::default()
    };
    let (world, _, _) = run(
        Scenario::AuthorizationServerMigration,
        Suite::V0_2_0Alpha12,
        faults,
    );
    for id in [
        "sep-2352-reregister-on-as-change",
        "sep-2352-no-reuse-on-as-change",
        "sep-2352-no-cross-as-credential-reuse",
    ] {
        assert_eq!(statuses(&world, id), [Status::Failure], "{id}");
    }
}

#[test]
fn ignoring_cimd_warns_r5() {
    let faults = Faults {
        ignore_cimd: true,
        ..Faults::default()
    };
    let (world, result, _) = run(Scenario::BasicCimd, Suite::V0_1_16, faults);
    assert_eq!(result, Ok(()));
    assert_eq!(statuses(&world, "cimd-client-id-used"), [Status::Warning]);
    assert!(!world.verdict().suite_passed);
}

#[test]
fn wrong_client_auth_is_refused_t4() {
    let faults = Faults {
        post_instead_of_basic: true,
        ..Faults::default()
    };
    let (world, result, _) = run(Scenario::PreRegistration, Suite::V0_1_16, faults);
    assert!(result.is_err());
    assert_eq!(statuses(&world, "pre-registration-auth"), [Status::Failure]);
    assert!(
        world
            .requests()
            .iter()
            .any(|r| r.status == 401 && r.url.ends_with("/token"))
    );
}

#[test]
fn backcompat_issuer_differs_by_suite_b5_g1() {
    for (suite, issuer) in [
        (Suite::V0_1_16, "http://localhost:3000/oauth"),
        (Suite::V0_2_0Alpha12, "http://localhost:3000"),
    ] {
        let mut world = World::with_suite(Scenario::OauthMetadataBackcompat, suite);
        let response = world.handle(&mcp_oauth_core::http::HttpRequest::get_json(
            "http://localhost:3000/.well-known/oauth-authorization-server".to_owned(),
        ));
        let doc: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(doc["issuer"], issuer);
        assert_eq!(
            doc["authorization_endpoint"],
            "http://localhost:3000/oauth/authorize"
        );
    }
}

#[test]
fn challenges_are_the_suites_exact_headers() {
    use conformance_world::McpCall;
    let cases = [
        (
            Scenario::MetadataDefault,
            McpCall::Initialize,
            "Bearer error=\"invalid_token\", error_description=\"Missing Authorization header\", resource_metadata=\"http://localhost:3000/.well-known/oauth-protected-resource/mcp\"",
        ),
        (
            Scenario::MetadataVar1,
            McpCall::Initialize,
            "Bearer error=\"invalid_token\", error_description=\"Missing Authorization header\"",
        ),
        (
            Scenario::ScopeFromWwwAuthenticate,
            McpCall::Initialize,
            "Bearer error=\"invalid_token\", error_description=\"Missing Authorization header\", scope=\"mcp:basic\", resource_metadata=\"http://localhost:3000/.well-known/oauth-protected-resource/mcp\"",
        ),
        (
            Scenario::ScopeStepUp,
            McpCall::ToolsList,
            "Bearer scope=\"mcp:basic\", resource_metadata=\"http://localhost:3000/.well-known/oauth-protected-resource/mcp\"",
        ),
    ];
    for (scenario, call, expected) in cases {
        let mut world = World::new(scenario);
        let response = world.mcp(call, None);
        assert_eq!(response.status, 401);
        assert_eq!(response.header("www-authenticate"), Some(expected));
    }
    // Step-up and retry-limit leave initialize open.
    let mut world = World::new(Scenario::ScopeRetryLimit);
    assert_eq!(world.mcp(McpCall::Initialize, None).status, 200);
    assert_eq!(world.mcp(McpCall::Initialized, None).status, 202);
    // An unknown token is a FAILURE check and a 401.
    let mut world = World::new(Scenario::MetadataDefault);
    assert_eq!(world.mcp(McpCall::ToolsList, Some("bogus")).status, 401);
    assert_eq!(statuses(&world, "invalid-bearer-token"), [Status::Failure]);
}

#[test]
fn mcp_over_raw_http_matches_the_mcp_helper() {
    use mcp_oauth_core::http::{HeaderValue, HttpRequest, Method};
    let mut world = World::new(Scenario::MetadataDefault);
    let response = world.handle(&HttpRequest {
        method: Method::Post,
        url: world.mcp_url().to_owned(),
        headers: vec![("content-type", HeaderValue::new("application/json"))],
        body: br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#.to_vec(),
    });
    assert_eq!(response.status, 401);
    assert!(response.header("www-authenticate").is_some());
    assert_eq!(
        world.requests().last().and_then(|r| r.call),
        Some(conformance_world::McpCall::Initialize)
    );
}

#[test]
fn scenario_names_round_trip_and_context() {
    for &scenario in Scenario::all() {
        assert_eq!(Scenario::from_name(scenario.name()), Some(scenario));
    }
    let world = World::new(Scenario::PreRegistration);
    let ctx = world.context().unwrap();
    assert_eq!(ctx["client_id"], "pre-registered-client");
    assert_eq!(ctx["client_secret"], "pre-registered-secret");
    assert!(World::new(Scenario::MetadataDefault).context().is_none());
}

#[test]
fn reference_run_records_the_success_checks() {
    let common = [
        "authorization-server-metadata",
        "authorization-request",
        "pkce-code-challenge-sent",
        "pkce-s256-method-used",
        "token-request",
        "pkce-code-verifier-sent",
        "pkce-verifier-matches-challenge",
        "valid-bearer-token",
    ];
    let cases: &[(Scenario, &[&str])] = &[
        (
            Scenario::MetadataDefault,
            &[
                "prm-pathbased-requested",
                "client-registration",
                "sep-837-application-type-present",
            ],
        ),
        (
            Scenario::MetadataVar1,
            &["prm-pathbased-requested", "client-registration"],
        ),
        (Scenario::MetadataVar2, &["client-registration"]),
        (Scenario::MetadataVar3, &["client-registration"]),
        (Scenario::BasicCimd, &["cimd-client-id-used"]),
        (
            Scenario::ScopeFromWwwAuthenticate,
            &["scope-from-www-authenticate"],
        ),
        (
            Scenario::ScopeFromScopesSupported,
            &["scope-from-scopes-supported"],
        ),
        (
            Scenario::ScopeOmittedWhenUndefined,
            &["scope-omitted-when-undefined"],
        ),
        (
            Scenario::ScopeStepUp,
            &[
                "scope-step-up-initial",
                "scope-step-up-escalation",
                "sep-2350-scope-union-on-reauth",
            ],
        ),
        (
            Scenario::TokenEndpointAuthBasic,
            &[
                "token-endpoint-auth-method",
                "resource-parameter-in-authorization",
                "resource-parameter-in-token",
                "resource-parameter-valid-uri",
                "resource-parameter-consistency",
                "resource-parameter-matches-prm",
            ],
        ),
        (
            Scenario::TokenEndpointAuthPost,
            &[
                "token-endpoint-auth-method",
                "resource-parameter-consistency",
            ],
        ),
        (
            Scenario::TokenEndpointAuthNone,
            &[
                "token-endpoint-auth-method",
                "resource-parameter-consistency",
            ],
        ),
        (Scenario::PreRegistration, &["pre-registration-auth"]),
        (Scenario::OauthMetadataBackcompat, &["client-registration"]),
        (
            Scenario::OfflineAccessNotSupported,
            &["sep-2207-offline-access-not-requested"],
        ),
        (
            Scenario::IssSupported,
            &["sep-2468-client-compare-iss-supported"],
        ),
        (
            Scenario::IssNotAdvertised,
            &["sep-2468-client-proceed-no-iss"],
        ),
        (
            Scenario::AuthorizationServerMigration,
            &[
                "sep-2352-reregister-on-as-change",
                "sep-2352-no-reuse-on-as-change",
                "sep-2352-no-cross-as-credential-reuse",
            ],
        ),
    ];
    for (scenario, ids) in cases {
        let (world, result, _) = run(*scenario, Suite::V0_2_0Alpha12, Faults::default());
        assert_eq!(result, Ok(()), "{}", scenario.name());
        for id in common.iter().chain(ids.iter()) {
            let found = statuses(&world, id);
            assert!(
                !found.is_empty() && found.iter().all(|s| *s == Status::Success),
                "{} {id}: {found:?}",
                scenario.name()
            );
        }
    }
    // Step-up: two authorizations; migration: one registration at each AS.
    let (world, _, _) = run(
        Scenario::ScopeStepUp,
        Suite::V0_2_0Alpha12,
        Faults::default(),
    );
    assert_eq!(world.count_requests("/authorize"), 2);
    let (world, _, _) = run(
        Scenario::AuthorizationServerMigration,
        Suite::V0_2_0Alpha12,
        Faults::default(),
    );
    assert_eq!(world.count_requests("/register"), 2);
    assert_eq!(statuses(&world, "client-registration").len(), 2);
    // The fallback and client-credentials scenarios have no PKCE checks but their own.
    let (world, _, _) = run(
        Scenario::OauthEndpointFallback,
        Suite::V0_1_16,
        Faults::default(),
    );
    for id in [
        "client-registration",
        "authorization-request",
        "token-request",
        "valid-bearer-token",
    ] {
        let found = statuses(&world, id);
        assert!(
            !found.is_empty() && found.iter().all(|s| *s == Status::Success),
            "{id}: {found:?}"
        );
    }
    let (world, _, _) = run(
        Scenario::ClientCredentialsBasic,
        Suite::V0_1_16,
        Faults::default(),
    );
    assert_eq!(
        statuses(&world, "client-credentials-basic-auth"),
        [Status::Success]
    );
    assert_eq!(world.count_requests("/authorize"), 0);
    #[cfg(feature = "jose")]
    {
        let (world, _, _) = run(
            Scenario::ClientCredentialsJwt,
            Suite::V0_2_0Alpha12,
            Faults::default(),
        );
        assert_eq!(
            statuses(&world, "client-credentials-jwt-verified"),
            [Status::Success]
        );
        assert_eq!(world.count_requests("/authorize"), 0);
    }
}
