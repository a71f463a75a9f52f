//! The hostile-peer knobs of [`Misbehaviour`]: rewrites of a finished response (documents,
//! challenges, redirects, bodies) and wire-level faults (endless, slow or missing bodies).
//!
//! [`apply`] runs on the route's response; [`into_wire`] turns the buffered response into the
//! body hyper sends, streaming it when a wire fault asks for it.

use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::Response;
use hyper::body::{Body, Bytes, Frame};
use hyper::header::{HeaderValue, LOCATION, WWW_AUTHENTICATE};
use serde_json::Value;
use url::Url;

use crate::config::{Misbehaviour, RouteKind};
use crate::state::Shared;
use crate::wire::{self, Resp};

/// The body type the listeners send.
pub(crate) type WireBody = BoxBody<Bytes, std::io::Error>;

/// A wire-level fault, carried from [`apply`] to [`into_wire`] in the response extensions.
#[derive(Debug, Clone, Copy)]
enum WireFault {
    Endless,
    Slow(Duration),
    Reset,
}

/// Why the connection was dropped on purpose.
#[derive(Debug, thiserror::Error)]
#[error("fixture: connection reset on purpose")]
pub(crate) struct ResetOnPurpose;

/// Applies the knobs to `resp`; returns whether any did something.
pub(crate) fn apply(
    shared: &Shared,
    route: RouteKind,
    knobs: &[Misbehaviour],
    resp: &mut Resp,
) -> bool {
    if route == RouteKind::Authorization && !knobs.iter().any(is_redirect_knob) {
        remember_redirect(shared, resp);
    }
    let mut applied = false;
    for knob in knobs {
        applied |= apply_one(shared, route, knob, resp);
    }
    applied
}

fn is_redirect_knob(m: &Misbehaviour) -> bool {
    matches!(
        m,
        Misbehaviour::MissingIssInRedirect
            | Misbehaviour::WrongStateInRedirect
            | Misbehaviour::ReplayPreviousRedirect
    )
}

fn expand(shared: &Shared, s: &str) -> String {
    let as_port = Url::parse(&shared.urls.issuer)
        .ok()
        .and_then(|u| u.port())
        .map_or_else(String::new, |p| p.to_string());
    s.replace("{as_port}", &as_port)
        .replace("{decoy}", &shared.urls.decoy_origin)
}

fn apply_one(shared: &Shared, route: RouteKind, knob: &Misbehaviour, resp: &mut Resp) -> bool {
    match knob {
        Misbehaviour::MissingIssInRedirect => {
            edit_location(resp, |pairs| pairs.retain(|(k, _)| k != "iss"))
        }
        Misbehaviour::WrongStateInRedirect => edit_location(resp, |pairs| {
            for (k, v) in pairs.iter_mut() {
                if k == "state" {
                    *v = "forged-state-from-the-attacker".into();
                }
            }
        }),
        Misbehaviour::ReplayPreviousRedirect => {
            let previous = shared.lock().last_redirect.clone();
            match previous.and_then(|p| HeaderValue::from_str(&p).ok()) {
                Some(v) => {
                    resp.headers_mut().insert(LOCATION, v);
                    true
                }
                None => false,
            }
        }
        Misbehaviour::PrmAuthorizationServers(list) => {
            let list: Vec<String> = list.iter().map(|s| expand(shared, s)).collect();
            edit_json(resp, |doc| {
                doc.insert("authorization_servers".into(), list.into());
            })
        }
        Misbehaviour::PrmResource(resource) => {
            let resource = expand(shared, resource);
            edit_json(resp, |doc| {
                doc.insert("resource".into(), resource.into());
            })
        }
        Misbehaviour::PkceMethods(methods) => edit_json(resp, |doc| match methods {
            Some(m) => {
                doc.insert("code_challenge_methods_supported".into(), m.clone().into());
            }
            None => {
                doc.remove("code_challenge_methods_supported");
            }
        }),
        Misbehaviour::ChallengeResourceMetadata(url) => {
            let url = expand(shared, url);
            let Some(old) = resp
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
            else {
                return false;
            };
            let kept: Vec<&str> = old
                .trim_start_matches("Bearer ")
                .split(", ")
                .filter(|p| !p.starts_with("resource_metadata="))
                .collect();
            let mut value = format!("Bearer resource_metadata={}", wire::quote(&url));
            for p in kept {
                value.push_str(", ");
                value.push_str(p);
            }
            wire::set_header(resp, "www-authenticate", &value);
            true
        }
        Misbehaviour::ExtraChallenge(line) => {
            let line = expand(shared, line);
            let (Some(real), Ok(extra)) = (
                resp.headers().get(WWW_AUTHENTICATE).cloned(),
                HeaderValue::from_str(&line),
            ) else {
                return false;
            };
            resp.headers_mut().insert(WWW_AUTHENTICATE, extra);
            resp.headers_mut().append(WWW_AUTHENTICATE, real);
            true
        }
        Misbehaviour::NestedJson { depth } => {
            let mut body = "[".repeat(*depth);
            body.push_str(&"]".repeat(*depth));
            replace_body(resp, Bytes::from(body));
            true
        }
        Misbehaviour::InvalidUtf8Json => {
            replace_body(
                resp,
                Bytes::from_static(b"{\"access_token\":\"\xff\xfe\xc3\x28\",\"token_type\":\"Bearer\",\"issuer\":\"\xed\xa0\x80\"}"),
            );
            true
        }
        Misbehaviour::ErrorBodyWithOk if route == RouteKind::Token => {
            *resp = wire::json(
                200,
                &serde_json::json!({"error": "invalid_grant", "error_description": "fixture: an error with status 200"}),
            );
            true
        }
        Misbehaviour::EndlessBody => mark(resp, WireFault::Endless),
        Misbehaviour::SlowBody { interval } => mark(resp, WireFault::Slow(*interval)),
        Misbehaviour::ResetConnection => mark(resp, WireFault::Reset),
        _ => false,
    }
}

fn mark(resp: &mut Resp, fault: WireFault) -> bool {
    resp.extensions_mut().insert(fault);
    true
}

/// Remembers a successful authorization redirect for [`Misbehaviour::ReplayPreviousRedirect`].
fn remember_redirect(shared: &Shared, resp: &Resp) {
    if let Some(location) = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|l| l.contains("code="))
    {
        shared.lock().last_redirect = Some(location.to_owned());
    }
}

/// Rewrites the query pairs of the `Location` header.
fn edit_location(resp: &mut Resp, f: impl FnOnce(&mut Vec<(String, String)>)) -> bool {
    let Some(mut url) = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| Url::parse(l).ok())
    else {
        return false;
    };
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    f(&mut pairs);
    url.query_pairs_mut().clear().extend_pairs(pairs);
    match HeaderValue::from_str(url.as_str()) {
        Ok(v) => {
            resp.headers_mut().insert(LOCATION, v);
            true
        }
        Err(_) => false,
    }
}

/// The bytes of a buffered body (a `Full` body is always ready).
fn body_bytes(resp: &mut Resp) -> Bytes {
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(resp.body_mut()).poll_frame(&mut cx) {
        Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}

fn replace_body(resp: &mut Resp, bytes: Bytes) {
    *resp.body_mut() = Full::new(bytes);
    resp.headers_mut().remove("content-length");
}

/// Rewrites a JSON object body.
fn edit_json(resp: &mut Resp, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> bool {
    let bytes = body_bytes(resp);
    let Ok(Value::Object(mut doc)) = serde_json::from_slice::<Value>(&bytes) else {
        replace_body(resp, bytes);
        return false;
    };
    f(&mut doc);
    replace_body(resp, Bytes::from(Value::Object(doc).to_string()));
    true
}

/// The response as sent: buffered, streamed slowly or endlessly, or no response at all.
pub(crate) fn into_wire(mut resp: Resp) -> Result<Response<WireBody>, ResetOnPurpose> {
    let fault = resp.extensions_mut().remove::<WireFault>();
    let (mut parts, body) = resp.into_parts();
    let body = match fault {
        None => body.map_err(|never| match never {}).boxed(),
        Some(WireFault::Reset) => return Err(ResetOnPurpose),
        Some(WireFault::Endless) => {
            parts.headers.remove("content-length");
            Trickle::endless().boxed()
        }
        Some(WireFault::Slow(interval)) => {
            parts.headers.remove("content-length");
            let mut full = Response::new(body);
            let bytes = body_bytes(&mut full);
            Trickle::slow(bytes, interval).boxed()
        }
    };
    Ok(Response::from_parts(parts, body))
}

/// A body sent in small pieces with pauses: the real body byte by byte, or `{` and then
/// whitespace forever.
struct Trickle {
    data: Bytes,
    endless: bool,
    interval: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Trickle {
    fn endless() -> Self {
        let interval = Duration::from_millis(2);
        Self {
            data: Bytes::from_static(b"{"),
            endless: true,
            interval,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }

    fn slow(data: Bytes, interval: Duration) -> Self {
        Self {
            data,
            endless: false,
            interval,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

/// What the endless body sends after its `{`.
static FILLER: [u8; 1024] = [b' '; 1024];

impl Body for Trickle {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if this.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let next = tokio::time::Instant::now() + this.interval;
        this.sleep.as_mut().reset(next);
        if !this.data.is_empty() {
            let step = if this.endless { this.data.len() } else { 1 };
            return Poll::Ready(Some(Ok(Frame::data(this.data.split_to(step)))));
        }
        if this.endless {
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&FILLER)))));
        }
        Poll::Ready(None)
    }
}
