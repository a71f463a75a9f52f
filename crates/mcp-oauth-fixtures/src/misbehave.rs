//! Injected faults: 5xx answers, cross-origin redirects and body replacement. Route-specific
//! faults (wrong `iss`, wrong metadata issuer) are applied by the route handlers.

use http_body_util::Full;
use hyper::body::Bytes;

use crate::state::{Faults, Shared};
use crate::wire::{self, Resp};

/// A response that replaces the real one, if a fault asks for it.
pub(crate) fn replacement(shared: &Shared, faults: &Faults, path_and_query: &str) -> Option<Resp> {
    if let Some(status) = faults.redirect {
        let location = format!("{}{path_and_query}", shared.urls.decoy_origin);
        return Some(wire::redirect(status, &location));
    }
    if let Some((status, retry_after)) = faults.server_error {
        let mut resp = wire::text(status, "fixture: injected server error\n");
        if let Some(secs) = retry_after {
            wire::set_header(&mut resp, "retry-after", &secs.to_string());
        }
        return Some(resp);
    }
    None
}

/// Replaces the body of `resp` when a body fault is active; returns whether it did.
pub(crate) fn rewrite_body(resp: &mut Resp, faults: &Faults) -> bool {
    if let Some(bytes) = faults.oversized {
        *resp.body_mut() = Full::new(Bytes::from(oversized_json(bytes)));
        resp.headers_mut().remove("content-length");
        return true;
    }
    if faults.garbage {
        *resp.body_mut() = Full::new(Bytes::from_static(GARBAGE));
        resp.headers_mut().remove("content-length");
        return true;
    }
    false
}

/// Not JSON, not UTF-8, and it starts like an HTML error page.
const GARBAGE: &[u8] = b"<html>\x00\xff\xfe not json {\"access_token\": \x01";

/// A valid JSON object of (about) `bytes` bytes.
fn oversized_json(bytes: usize) -> Vec<u8> {
    let prefix = b"{\"padding\":\"";
    let suffix = b"\"}";
    let fill = bytes.saturating_sub(prefix.len().saturating_add(suffix.len()));
    let mut out = Vec::with_capacity(bytes.max(prefix.len().saturating_add(suffix.len())));
    out.extend_from_slice(prefix);
    out.resize(out.len().saturating_add(fill), b'a');
    out.extend_from_slice(suffix);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_is_valid_json_of_the_requested_size() {
        let body = oversized_json(1000);
        assert_eq!(body.len(), 1000);
        let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&body);
        assert!(parsed.is_ok());
        assert!(serde_json::from_slice::<serde_json::Value>(&oversized_json(0)).is_ok());
    }
}
