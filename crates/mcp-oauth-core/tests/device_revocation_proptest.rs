//! Property tests for the RFC 8628 and RFC 7009 parsers:
//! - arbitrary bytes (and near-valid JSON) never panic the device authorization, device token
//!   and revocation response parsers, whatever the status and content type;
//! - generated valid device authorization responses parse back to the same values (numbers as
//!   JSON numbers or numeric strings, `interval` absent → 5 s, `0` → 5 s);
//! - no error and no `Debug` output holds the device code.

use core::time::Duration;

use mcp_oauth_core::device::{
    DEFAULT_INTERVAL, parse_device_authorization_response, parse_device_token_response,
};
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::revocation::parse_revocation_response;
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Scopes, Timestamp};
use proptest::prelude::*;

const NOW: Timestamp = Timestamp::from_unix_seconds(1_700_000_000);

fn response(status: u16, content_type: Option<&str>, body: Vec<u8>) -> HttpResponse {
    let headers = content_type
        .map(|ct| vec![("content-type".to_string(), ct.as_bytes().to_vec())])
        .unwrap_or_default();
    HttpResponse::new(status, headers, body)
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(vec![
        None,
        Some("application/json"),
        Some("application/x-www-form-urlencoded"),
        Some("text/html"),
    ])
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(400u16), Just(503u16), any::<u16>()]
}

/// Near-valid JSON objects: known members with values of every JSON type.
fn near_valid() -> impl Strategy<Value = Vec<u8>> {
    let key = prop::sample::select(vec![
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "verification_url",
        "expires_in",
        "interval",
        "error",
        "access_token",
        "token_type",
        "other",
    ]);
    let value = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() {
            f.to_string()
        } else {
            "1.5".into()
        }),
        "[ -~]{0,20}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("\"https://as.example/device\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
    ];
    prop::collection::vec((key, value), 0..9).prop_map(|pairs| {
        let members: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", members.join(",")).into_bytes()
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        status in status(),
        ct in content_type(),
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let r = response(status, ct, body);
        let _ = parse_device_authorization_response(&r, NOW, UrlPolicy::https_only());
        let _ = parse_device_token_response(&r, NOW, &Scopes::default());
        let _ = parse_revocation_response(&r);
    }

    #[test]
    fn near_valid_json_never_panics(status in status(), ct in content_type(), body in near_valid()) {
        let r = response(status, ct, body);
        if let Ok(d) = parse_device_authorization_response(&r, NOW, UrlPolicy::https_only()) {
            prop_assert!(!d.user_code().is_empty());
            prop_assert!(d.interval() >= Duration::from_secs(1));
            prop_assert!(d.expires_at() > NOW);
            prop_assert!(!d.device_code().secret().is_empty());
        }
        let _ = parse_device_token_response(&r, NOW, &Scopes::default());
        let _ = parse_revocation_response(&r);
    }

    #[test]
    fn valid_responses_round_trip(
        // Distinctive, so that finding it in `Debug` output means a leak.
        device_code in "dc_[a-z0-9_]{8,60}",
        user_code in "[A-Z0-9-]{1,16}",
        path in "[a-z]{1,10}",
        expires_in in 1u64..100_000,
        interval in prop::option::of(0u64..100),
        as_strings in any::<bool>(),
        complete in any::<bool>(),
    ) {
        let uri = format!("https://as.example/{path}");
        let mut v = serde_json::json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
        });
        v["expires_in"] = if as_strings {
            serde_json::json!(expires_in.to_string())
        } else {
            serde_json::json!(expires_in)
        };
        if let Some(i) = interval {
            v["interval"] = serde_json::json!(i);
        }
        if complete {
            v["verification_uri_complete"] = serde_json::json!(format!("{uri}?user_code={user_code}"));
        }
        let r = response(200, Some("application/json"), serde_json::to_vec(&v).unwrap());
        let d = parse_device_authorization_response(&r, NOW, UrlPolicy::https_only()).unwrap();
        prop_assert_eq!(d.device_code().secret(), device_code.as_str());
        prop_assert_eq!(d.user_code(), user_code.as_str());
        prop_assert_eq!(d.verification_uri(), uri.as_str());
        prop_assert_eq!(d.verification_uri_complete().is_some(), complete);
        prop_assert_eq!(d.expires_at(), NOW.saturating_add(Duration::from_secs(expires_in)));
        let want = match interval {
            None | Some(0) => DEFAULT_INTERVAL,
            Some(i) => Duration::from_secs(i),
        };
        prop_assert_eq!(d.interval(), want);
        let shown = format!("{:?}", d);
        prop_assert!(!shown.contains(&device_code));
    }

    #[test]
    fn errors_never_hold_the_device_code(
        device_code in "[A-Za-z0-9]{12,40}",
        bad in prop::sample::select(vec!["user_code", "verification_uri", "expires_in"]),
    ) {
        // A response that fails on another member still carried the code: it must not leak.
        let mut v = serde_json::json!({
            "device_code": device_code,
            "user_code": "U",
            "verification_uri": "https://as.example/d",
            "expires_in": 60,
            "error_description": device_code,
        });
        v[bad] = serde_json::json!([]);
        let r = response(200, Some("application/json"), serde_json::to_vec(&v).unwrap());
        let e = parse_device_authorization_response(&r, NOW, UrlPolicy::https_only()).unwrap_err();
        let shown = format!("{:?}{}", e, e);
        prop_assert!(!shown.contains(&device_code));
        let err = response(400, Some("application/json"),
            serde_json::to_vec(&serde_json::json!({"error": "authorization_pending",
                "error_description": device_code})).unwrap());
        let p = parse_device_token_response(&err, NOW, &Scopes::default()).unwrap_err();
        let shown = format!("{:?}{}", p, p);
        prop_assert!(!shown.contains(&device_code));
    }
}
