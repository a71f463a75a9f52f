//! End-of-run checks: what each scenario's `getChecks()` appends (missing required checks
//! become FAILURE, the "did the client refuse" verdicts, the RFC 8707 resource checks), plus
//! the world's own stricter `world-*` checks.

use super::scenarios::Scenario;
use super::{Check, Status, Suite, World};

fn has(out: &[Check], id: &str) -> bool {
    out.iter().any(|c| c.id == id)
}

fn push(out: &mut Vec<Check>, id: &'static str, status: Status, detail: impl Into<String>) {
    out.push(Check {
        id,
        status,
        detail: detail.into(),
    });
}

/// Add FAILURE "Expected Check Missing" for each id not recorded.
fn expect(out: &mut Vec<Check>, ids: &[&'static str]) {
    for id in ids {
        if !has(out, id) {
            push(
                out,
                id,
                Status::Failure,
                format!("expected check missing: {id}"),
            );
        }
    }
}

fn expect_one(out: &mut Vec<Check>, id: &'static str, detail: &str) {
    if !has(out, id) {
        push(out, id, Status::Failure, detail);
    }
}

fn verdict(ok: bool) -> Status {
    if ok { Status::Success } else { Status::Failure }
}

const FLOW: [&str; 4] = [
    "authorization-server-metadata",
    "client-registration",
    "authorization-request",
    "token-request",
];

pub(super) fn finalize(world: &World, out: &mut Vec<Check>) {
    use Scenario::*;
    let obs = &world.obs;
    let refused = obs.auth_reached && !obs.token_request_made;
    match world.scenario {
        MetadataDefault | MetadataVar1 => {
            expect(out, &["prm-pathbased-requested"]);
            expect(out, &FLOW);
        }
        MetadataVar2 | MetadataVar3 | OauthMetadataBackcompat => expect(out, &FLOW),
        OauthEndpointFallback => expect(out, &FLOW[1..]),
        BasicCimd => expect_one(
            out,
            "cimd-client-id-used",
            "client did not make an authorization request",
        ),
        ScopeFromWwwAuthenticate => expect_one(
            out,
            "scope-from-www-authenticate",
            "client did not make an authorization request",
        ),
        ScopeFromScopesSupported => expect_one(
            out,
            "scope-from-scopes-supported",
            "client did not make an authorization request",
        ),
        ScopeOmittedWhenUndefined => expect_one(
            out,
            "scope-omitted-when-undefined",
            "client did not complete authorization flow",
        ),
        ScopeStepUp => {
            expect_one(
                out,
                "scope-step-up-initial",
                "client did not make an initial authorization request",
            );
            if !has(out, "scope-step-up-escalation") {
                push(
                    out,
                    "scope-step-up-escalation",
                    Status::Failure,
                    "client did not make a second authorization request for scope escalation",
                );
                if world.suite == Suite::V0_2_0Alpha12 {
                    push(
                        out,
                        "sep-2350-scope-union-on-reauth",
                        Status::Failure,
                        "client did not make a second authorization request",
                    );
                }
            }
        }
        ScopeRetryLimit => {
            let attempts = out
                .iter()
                .filter(|c| c.id == "scope-retry-auth-attempt")
                .count();
            let (status, detail) = match attempts {
                0 => (
                    Status::Failure,
                    "client did not make any authorization requests".to_owned(),
                ),
                1..=3 => (
                    Status::Success,
                    format!("client limited retry attempts to {attempts} (3 or fewer)"),
                ),
                _ => (
                    Status::Failure,
                    format!("client made {attempts} authorization attempts (more than 3)"),
                ),
            };
            push(out, "scope-retry-limit", status, detail);
        }
        TokenEndpointAuthBasic | TokenEndpointAuthPost | TokenEndpointAuthNone => {
            expect_one(
                out,
                "token-endpoint-auth-method",
                "client did not make a token request",
            );
            resource_checks(world, out);
        }
        PreRegistration => expect_one(
            out,
            "pre-registration-auth",
            "client did not make a token request",
        ),
        ResourceMismatch => push(
            out,
            "resource-mismatch-rejected",
            verdict(!obs.auth_reached),
            if obs.auth_reached {
                "client MUST validate that PRM resource matches the server URL before proceeding with authorization"
            } else {
                "client did not proceed to authorization with a mismatched PRM resource"
            },
        ),
        OfflineAccessScope => {
            if !obs.grant_types_checked {
                let detail = match &obs.cimd_client_id {
                    Some(url) => {
                        format!("client used CIMD ({url}); the world does not fetch it (G14)")
                    }
                    None => "client did not use DCR or CIMD; grant_types could not be inspected"
                        .to_owned(),
                };
                push(
                    out,
                    "sep-2207-client-metadata-grant-types",
                    Status::Info,
                    detail,
                );
            }
            expect_one(
                out,
                "sep-2207-offline-access-requested",
                "client did not complete authorization flow",
            );
        }
        OfflineAccessNotSupported => expect_one(
            out,
            "sep-2207-offline-access-not-requested",
            "client did not complete authorization flow",
        ),
        WifJwtBearer => expect_one(
            out,
            "wif-assertion-verified",
            "client did not make a JWT-bearer token request",
        ),
        EnterpriseManagedAuthorization => {
            expect_one(
                out,
                "complete-flow-token-exchange",
                "client did not perform token exchange",
            );
            expect_one(
                out,
                "complete-flow-jwt-bearer",
                "client did not perform JWT bearer grant exchange",
            );
        }
        ClientCredentialsBasic => expect_one(
            out,
            "client-credentials-basic-auth",
            "client did not make a client_credentials token request",
        ),
        ClientCredentialsJwt => expect_one(
            out,
            "client-credentials-jwt-verified",
            "client did not make a client_credentials token request",
        ),
        IssSupported => push(
            out,
            "sep-2468-client-compare-iss-supported",
            verdict(obs.token_request_made),
            "client must proceed to token exchange after a correct advertised iss",
        ),
        IssNotAdvertised => push(
            out,
            "sep-2468-client-proceed-no-iss",
            verdict(obs.token_request_made),
            "client must proceed when iss is absent and not advertised",
        ),
        IssSupportedMissing => push(
            out,
            "sep-2468-client-reject-missing-iss",
            verdict(refused),
            "client must reject a response without the advertised iss",
        ),
        IssWrongIssuer => push(
            out,
            "sep-2468-client-compare-iss-supported",
            verdict(refused),
            "client must reject iss https://evil.example.com",
        ),
        IssUnexpected => push(
            out,
            "sep-2468-client-compare-iss-unadvertised",
            verdict(refused),
            "client must compare an unadvertised iss and reject the mismatch",
        ),
        IssNormalized => push(
            out,
            "sep-2468-client-no-normalization",
            verdict(refused),
            "client must compare iss without URL normalisation",
        ),
        MetadataIssuerMismatch => {
            let requested = has(out, "authorization-server-metadata");
            push(
                out,
                "sep-2468-client-validate-metadata-issuer",
                verdict(requested && !obs.metadata_endpoints_used),
                match (requested, obs.metadata_endpoints_used) {
                    (false, _) => {
                        "client never retrieved the authorization server metadata document"
                    }
                    (true, true) => {
                        "client used endpoints from metadata whose issuer is https://attacker.example.com"
                    }
                    (true, false) => "client rejected metadata whose issuer does not match",
                },
            );
        }
        AuthorizationServerMigration => {
            let reused = obs.as2_saw_as1_client_id || obs.as2_saw_as1_client_id_at_token;
            push(
                out,
                "sep-2352-reregister-on-as-change",
                verdict(obs.as2_saw_register),
                "registration at the new AS after the PRM changed",
            );
            push(
                out,
                "sep-2352-no-reuse-on-as-change",
                verdict(!reused),
                "the previous AS client_id must not appear at the new AS",
            );
            push(
                out,
                "sep-2352-no-cross-as-credential-reuse",
                verdict(!reused),
                "credentials are bound to the AS that issued them",
            );
        }
    }

    // The world's own, stricter checks.
    let scenario = world.scenario;
    if scenario.completes() {
        push(
            out,
            "world-tools-call-succeeded",
            verdict(obs.tools_call_succeeded),
            "the flow finished: tools/call answered 200 with the client's token",
        );
    }
    if scenario.must_refuse() {
        push(
            out,
            "world-no-protected-success",
            verdict(!obs.protected_success),
            "no protected MCP request may succeed when the client must refuse the flow",
        );
    }
    if scenario == ResourceMismatch {
        push(
            out,
            "world-prm-fetched",
            verdict(obs.prm_fetched),
            "G6: the client fetched the PRM before refusing (a do-nothing client must not pass)",
        );
    }
}

/// The RFC 8707 checks of the token-endpoint-auth scenarios.
fn resource_checks(world: &World, out: &mut Vec<Check>) {
    let obs = &world.obs;
    let authz = obs
        .authorization_resource
        .as_deref()
        .filter(|r| !r.is_empty());
    let token = obs.token_resource.as_deref().filter(|r| !r.is_empty());
    push(
        out,
        "resource-parameter-in-authorization",
        verdict(authz.is_some()),
        format!(
            "authorization request resource: {}",
            authz.unwrap_or("not provided")
        ),
    );
    push(
        out,
        "resource-parameter-in-token",
        verdict(token.is_some()),
        format!(
            "token request resource: {}",
            token.unwrap_or("not provided")
        ),
    );
    if let Some(resource) = authz.or(token) {
        let valid = match url::Url::parse(resource) {
            Ok(url) if url.fragment().is_some() => Err("contains fragment"),
            Ok(_) => Ok(()),
            Err(_) => Err("invalid URI format"),
        };
        push(
            out,
            "resource-parameter-valid-uri",
            verdict(valid.is_ok()),
            format!(
                "{resource}: {}",
                valid.err().unwrap_or("valid canonical URI")
            ),
        );
    }
    if let (Some(a), Some(t)) = (authz, token) {
        push(
            out,
            "resource-parameter-consistency",
            verdict(a == t),
            format!("authorization {a}, token {t}"),
        );
    }
    if world.suite == Suite::V0_2_0Alpha12 {
        let sent: Vec<&str> = [
            obs.authorization_resource.as_deref(),
            obs.token_resource.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let (Some(prm), false) = (obs.prm_resource.as_deref(), sent.is_empty()) {
            push(
                out,
                "resource-parameter-matches-prm",
                verdict(sent.iter().all(|s| *s == prm)),
                format!("PRM resource {prm}, sent {}", sent.join(", ")),
            );
        }
    }
}
