//! DPoP (RFC 9449) through the whole flow: proofs at the token endpoint, the nonce retry at the
//! authorization server and at the MCP server, the token type rule, refresh binding, the
//! `dpop_signing_alg_values_supported` rule and persistence. covers: X-1
#![cfg(feature = "dpop")]

mod flow_support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flow_support::*;
use mcp_oauth_core::dpop::DpopKey;
use mcp_oauth_core::flow::{AuthFlow, ClientConfig, FlowConfig, FlowErrorKind, FlowStatus};
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::{Entropy, Timestamp};
use serde_json::{Value, json};
use sha2::Digest as _;

const TOKEN: &str = "https://auth.example.com/token";
const AS_NONCE: &str = "as-nonce-1";
const RS_NONCE: &str = "rs-nonce-1";

fn key() -> DpopKey {
    DpopKey::from_secret_bytes(&[5; 32]).expect("key")
}

fn config(key: Option<DpopKey>) -> FlowConfig {
    let c = FlowConfig::new(
        RS,
        ClientConfig::authorization_code("Test Client", REDIRECT),
    );
    match key {
        Some(k) => c.dpop(k),
        None => c,
    }
}

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

/// What a server learns from a proof, after checking it like RFC 9449 §4.3 (signature with the
/// embedded key, `typ`, no private key, `htm`, `htu`, `iat` window).
#[derive(Debug, Clone)]
struct Proof {
    jti: String,
    jkt: String,
    claims: Value,
}

fn check_proof(
    proof: &str,
    method: &str,
    url: &str,
    now: Option<Timestamp>,
) -> Result<Proof, String> {
    use p256::ecdsa::signature::Verifier as _;
    let parts: Vec<&str> = proof.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err("not a JWS".into());
    };
    let header: Value = serde_json::from_slice(&b64(h)).map_err(|e| e.to_string())?;
    let claims: Value = serde_json::from_slice(&b64(p)).map_err(|e| e.to_string())?;
    if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" {
        return Err(format!("bad header {header}"));
    }
    let jwk = &header["jwk"];
    if jwk.get("d").is_some() {
        return Err("private key in jwk".into());
    }
    let (x, y) = (
        jwk["x"].as_str().unwrap_or(""),
        jwk["y"].as_str().unwrap_or(""),
    );
    let mut sec1 = vec![4u8];
    sec1.extend(b64(x));
    sec1.extend(b64(y));
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| e.to_string())?;
    let sig = p256::ecdsa::Signature::from_slice(&b64(s)).map_err(|e| e.to_string())?;
    vk.verify(format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| "signature".to_string())?;
    if claims["htm"] != method || claims["htu"] != url {
        return Err(format!("htm/htu {claims}"));
    }
    let iat = claims["iat"].as_u64().ok_or("iat")?;
    if now.is_some_and(|now| iat.abs_diff(now.unix_seconds()) > 300) {
        return Err("iat".into());
    }
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let jkt = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()));
    Ok(Proof {
        jti: claims["jti"].as_str().ok_or("jti")?.to_string(),
        jkt,
        claims,
    })
}

#[derive(Default)]
struct AsLog {
    proofs: Vec<Proof>,
    grants: Vec<String>,
    errors: Vec<String>,
}

/// A DPoP token endpoint: checks every proof, answers `use_dpop_nonce` to a proof without
/// `require_nonce` (when set), issues `token_type` (DPoP tokens named `at-N`).
fn dpop_token_endpoint(
    log: Rc<RefCell<AsLog>>,
    require_nonce: bool,
    token_type: &'static str,
    always_nonce_error: bool,
) -> Handler {
    let mut n = 0;
    Box::new(move |req: &Req| {
        let Some(header) = req.header("dpop") else {
            log.borrow_mut().errors.push("no proof".into());
            return json(400, json!({"error": "invalid_dpop_proof"}));
        };
        // The world's clock moves (renewal); the window is checked on resource proofs.
        let proof = match check_proof(header, "POST", TOKEN, None) {
            Ok(p) => p,
            Err(e) => {
                log.borrow_mut().errors.push(e);
                return json(400, json!({"error": "invalid_dpop_proof"}));
            }
        };
        let nonce_ok = proof.claims["nonce"] == AS_NONCE;
        log.borrow_mut().proofs.push(proof);
        log.borrow_mut()
            .grants
            .push(req.param("grant_type").unwrap_or("").to_string());
        if always_nonce_error || (require_nonce && !nonce_ok) {
            return Reply::Http(HttpResponse::new(
                400,
                vec![
                    ("content-type".into(), b"application/json".to_vec()),
                    ("dpop-nonce".into(), AS_NONCE.as_bytes().to_vec()),
                ],
                br#"{"error":"use_dpop_nonce","error_description":"nonce required"}"#.to_vec(),
            ));
        }
        n += 1;
        json(
            200,
            json!({"access_token": format!("at-{n}"), "token_type": token_type,
                   "expires_in": 600, "refresh_token": format!("rt-{n}")}),
        )
    })
}

fn dpop_world(
    key: Option<DpopKey>,
    algs: Option<&[&str]>,
    require_nonce: bool,
    token_type: &'static str,
) -> (World, Rc<RefCell<AsLog>>) {
    let mut w = standard(config(key), 600, true);
    let mut meta = as_metadata(AS);
    if let Some(algs) = algs {
        meta["dpop_signing_alg_values_supported"] = json!(algs);
    }
    w.serve("GET", AS_META, 200, meta);
    let log = Rc::new(RefCell::new(AsLog::default()));
    w.route(
        "POST",
        TOKEN,
        dpop_token_endpoint(log.clone(), require_nonce, token_type, false),
    );
    (w, log)
}

fn headers(w: &mut World, method: &str, url: &str) -> Vec<(String, String)> {
    w.flow
        .authorization_headers(w.now, method, url)
        .expect("headers")
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.as_str().to_string()))
        .collect()
}

fn rs_nonce_challenge() -> HttpResponse {
    HttpResponse::new(
        401,
        vec![
            (
                "www-authenticate".into(),
                br#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#.to_vec(),
            ),
            ("dpop-nonce".into(), RS_NONCE.as_bytes().to_vec()),
        ],
        vec![],
    )
}

#[test]
fn x1_code_flow_with_as_nonce_then_dpop_bound_resource_requests() {
    let k = key();
    let (mut w, log) = dpop_world(Some(k.clone()), Some(&["ES256"]), true, "DPoP");
    w.challenge(challenge(
        401,
        Some(&format!(r#"DPoP resource_metadata="{PRM_URL}""#)),
    ))
    .expect("authorized");
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    {
        let log = log.borrow();
        assert!(log.errors.is_empty(), "{:?}", log.errors);
        // The first proof had no nonce and was answered use_dpop_nonce; the retry carried it.
        assert_eq!(log.grants, ["authorization_code", "authorization_code"]);
        assert!(log.proofs[0].claims.get("nonce").is_none());
        assert_eq!(log.proofs[1].claims["nonce"], AS_NONCE);
        assert_ne!(log.proofs[0].jti, log.proofs[1].jti);
        assert!(log.proofs.iter().all(|p| p.jkt == k.thumbprint()));
        assert!(log.proofs.iter().all(|p| p.claims.get("ath").is_none()));
    }
    assert_eq!(w.count("POST", TOKEN), 2);
    let report = w.flow.report().to_string();
    assert!(report.contains("asked for a DPoP nonce"), "{report}");
    assert!(
        !report.contains("at-1") && !report.contains("test-auth-code"),
        "{report}"
    );

    // Resource requests: DPoP scheme, a fresh proof each time, `ath`, no nonce yet.
    let first = headers(&mut w, "POST", RS);
    assert_eq!(first[0], ("authorization".into(), "DPoP at-1".into()));
    assert_eq!(first[1].0, "dpop");
    let p1 = check_proof(&first[1].1, "POST", RS, Some(w.now)).expect("valid proof");
    let ath = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(b"at-1"));
    assert_eq!(p1.claims["ath"], ath.as_str());
    assert!(p1.claims.get("nonce").is_none());
    let get = headers(&mut w, "GET", &format!("{RS}?session=1"));
    let p2 = check_proof(&get[1].1, "GET", RS, Some(w.now)).expect("valid GET proof");
    assert_ne!(p1.jti, p2.jti);

    // The MCP server asks for a nonce: retry with it, no new authorization.
    assert!(w.flow.handle_resource_response(RS, &rs_nonce_challenge()));
    let retry = headers(&mut w, "POST", RS);
    let p3 = check_proof(&retry[1].1, "POST", RS, Some(w.now)).expect("valid proof");
    assert_eq!(p3.claims["nonce"], RS_NONCE);
    // A driver that hands the same 401 to handle_challenge gets no re-authorization either.
    let before = w.requests.len();
    w.challenge(rs_nonce_challenge()).expect("absorbed");
    assert_eq!(w.requests.len(), before);
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    // A plain 401 without the nonce error is not a nonce request.
    assert!(
        !w.flow
            .handle_resource_response(RS, &challenge(401, Some("DPoP")))
    );
    // Nonces are per server: the AS nonce never goes to the MCP server.
    assert_eq!(
        check_proof(&headers(&mut w, "POST", RS)[1].1, "POST", RS, Some(w.now))
            .expect("proof")
            .claims["nonce"],
        RS_NONCE
    );
}

#[test]
fn x1_refresh_carries_a_proof_with_the_same_key() {
    let k = key();
    let (mut w, log) = dpop_world(Some(k.clone()), None, false, "DPoP");
    w.challenge(challenge(401, None)).expect("authorized");
    assert!(w.fire_timeout(), "a renewal timer");
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    let log = log.borrow();
    assert_eq!(log.grants, ["authorization_code", "refresh_token"]);
    assert!(log.proofs.iter().all(|p| p.jkt == k.thumbprint()));
    assert_eq!(headers(&mut w, "POST", RS)[0].1, "DPoP at-2");
}

#[test]
fn x1_as_without_es256_is_a_typed_error_and_no_token_request() {
    let (mut w, log) = dpop_world(Some(key()), Some(&["RS256", "PS256"]), false, "DPoP");
    let err = w.challenge(challenge(401, None)).expect_err("refused");
    assert_eq!(
        err,
        FlowErrorKind::DpopAlgorithmNotSupported { algorithm: "ES256" }.to_string()
    );
    assert_eq!(w.count("POST", TOKEN), 0);
    assert!(log.borrow().proofs.is_empty());
}

#[test]
fn x1_a_bearer_answer_to_a_proof_is_used_as_a_bearer_token() {
    let (mut w, _) = dpop_world(Some(key()), Some(&["ES256"]), false, "Bearer");
    w.challenge(challenge(401, None)).expect("authorized");
    let h = headers(&mut w, "POST", RS);
    assert_eq!(
        h,
        [("authorization".to_string(), "Bearer at-1".to_string())]
    );
    assert!(
        w.flow
            .report()
            .to_string()
            .contains("Bearer token was issued")
    );
}

#[test]
fn x1_dpop_token_type_without_a_proof_is_refused() {
    let mut w = standard(config(None), 600, true);
    w.route(
        "POST",
        TOKEN,
        Box::new(|_| json(200, json!({"access_token": "at-1", "token_type": "DPoP"}))),
    );
    let err = w.challenge(challenge(401, None)).expect_err("refused");
    assert!(err.contains("DPoP"), "{err}");
}

#[test]
fn x1_nonce_retry_happens_once() {
    let mut w = standard(config(Some(key())), 600, true);
    let log = Rc::new(RefCell::new(AsLog::default()));
    w.route(
        "POST",
        TOKEN,
        dpop_token_endpoint(log.clone(), true, "DPoP", true),
    );
    let err = w.challenge(challenge(401, None)).expect_err("gives up");
    assert!(err.contains("use_dpop_nonce"), "{err}");
    assert_eq!(w.count("POST", TOKEN), 2);
}

#[test]
fn x1_persisted_dpop_tokens_need_the_same_key() {
    let k = key();
    let (mut w, _) = dpop_world(Some(k.clone()), None, false, "DPoP");
    w.challenge(challenge(401, None)).expect("authorized");
    let state = w.flow.persisted_state().expect("state");
    let text = serde_json::to_string(&state).expect("json");
    assert!(text.contains(k.thumbprint()), "{text}");
    assert!(!text.contains("\"d\""));
    let seed = || Entropy::new([3; 32]);
    let now = Timestamp::from_unix_seconds(T0);

    let same = AuthFlow::restore(config(Some(k.clone())), seed(), state.clone()).expect("restore");
    assert_eq!(same.status(), FlowStatus::Authorized);
    assert_eq!(
        same.authorization_header(now).expect("token").as_str(),
        "DPoP at-1"
    );

    let other = DpopKey::from_secret_bytes(&[6; 32]).expect("key");
    for config in [config(Some(other)), config(None)] {
        let mut flow = AuthFlow::restore(config, seed(), state.clone()).expect("restore");
        assert!(flow.authorization_header(now).is_none());
        assert!(flow.persisted_state().is_some_and(|s| !s.has_tokens()));
        assert!(
            flow.authorization_headers(now, "POST", RS)
                .expect("ok")
                .is_empty()
        );
        assert!(flow.report().to_string().contains("another DPoP key"));
    }
}

#[test]
fn x1_every_grant_carries_a_proof_client_credentials_too() {
    use mcp_oauth_core::flow::PreRegisteredClient;
    use mcp_oauth_core::secret::ClientSecret;
    let config = FlowConfig::new(RS, ClientConfig::client_credentials())
        .pre_registered(
            PreRegisteredClient::new(AS, "svc").with_secret(ClientSecret::new("s3cret".into())),
        )
        .dpop(key());
    let mut w = standard(config, 600, false);
    let log = Rc::new(RefCell::new(AsLog::default()));
    w.route(
        "POST",
        TOKEN,
        dpop_token_endpoint(log.clone(), true, "DPoP", false),
    );
    w.start();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert_eq!(
        log.borrow().grants,
        ["client_credentials", "client_credentials"]
    );
    w.advance(Duration::from_secs(1));
    assert_eq!(headers(&mut w, "GET", RS)[0].1, "DPoP at-1");
}
