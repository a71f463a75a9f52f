//! Listener loops and the per-request pipeline: route → read body (bounded) → record → faults
//! → handler → body faults → counters.

use std::sync::Arc;

use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::{PrmLocation, RouteKind};
use crate::records::RecordedRequest;
use crate::state::Shared;
use crate::wire::{self, Params, Resp};
use crate::{authz, knobs, mcp, misbehave, token};

/// Which of the three listeners a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The authorization server.
    As,
    /// The MCP resource server.
    Rs,
    /// The decoy "other origin".
    Decoy,
}

/// Accepts connections until `shutdown` changes or its sender is dropped. Connection tasks
/// live in a `JoinSet`, so they are aborted when this future ends or is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    origin: Origin,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let shared = Arc::clone(&shared);
                    conns.spawn(async move {
                        let svc = service_fn(move |req| {
                            let shared = Arc::clone(&shared);
                            async move { knobs::into_wire(handle(&shared, origin, req).await) }
                        });
                        if let Err(err) =
                            http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await
                        {
                            tracing::debug!(%err, "fixture connection ended with an error");
                        }
                    });
                }
                Err(err) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!(%err, "fixture accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Maps a path on an origin to its route kind.
fn classify(shared: &Shared, origin: Origin, path: &str) -> RouteKind {
    let cfg = &shared.cfg;
    match origin {
        Origin::Decoy => RouteKind::Decoy,
        Origin::As => match path {
            "/.well-known/oauth-authorization-server" if cfg.rfc8414_metadata => {
                RouteKind::AuthorizationServerMetadata
            }
            "/.well-known/openid-configuration" if cfg.openid_configuration => {
                RouteKind::AuthorizationServerMetadata
            }
            "/register" => RouteKind::Registration,
            "/authorize" => RouteKind::Authorization,
            "/login" => RouteKind::Login,
            "/consent" => RouteKind::Consent,
            "/token" => RouteKind::Token,
            "/device" if cfg.device_approve_after.is_some() => RouteKind::DeviceAuthorization,
            "/revoke" if cfg.revocation => RouteKind::Revocation,
            _ => RouteKind::Unknown,
        },
        Origin::Rs => match (path, cfg.prm_location) {
            (
                "/.well-known/oauth-protected-resource/mcp",
                PrmLocation::PathInserted | PrmLocation::Both,
            )
            | ("/.well-known/oauth-protected-resource", PrmLocation::Root | PrmLocation::Both) => {
                RouteKind::ProtectedResourceMetadata
            }
            ("/mcp", _) => RouteKind::Mcp,
            _ => RouteKind::Unknown,
        },
    }
}

/// The request as the handlers see it: head plus fully read body.
#[derive(Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) query: Option<String>,
    pub(crate) body: hyper::body::Bytes,
}

/// Handles one request end to end; never fails (errors become 4xx/5xx responses).
async fn handle(shared: &Shared, origin: Origin, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let route = classify(shared, origin, &path);
    let (body, too_large) = match Limited::new(body, shared.cfg.max_request_body)
        .collect()
        .await
    {
        Ok(collected) => (collected.to_bytes(), false),
        Err(_) => (hyper::body::Bytes::new(), true),
    };
    let grant_type = (route == RouteKind::Token)
        .then(|| {
            Params::parse(&body)
                .get("grant_type")
                .ok()
                .flatten()
                .map(str::to_owned)
        })
        .flatten();
    let recorded = RecordedRequest {
        route,
        method: parts.method.as_str().to_owned(),
        path_and_query: path_and_query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    let faults = {
        let mut state = shared.lock();
        state.record(recorded, grant_type.as_deref());
        state.take_faults(route)
    };
    if !faults.delay.is_zero() {
        tokio::time::sleep(faults.delay).await;
    }
    let mut injected = false;
    let mut resp = if let Some(resp) = misbehave::replacement(shared, &faults, &path_and_query) {
        injected = true;
        resp
    } else if too_large {
        wire::text(413, "request body too large\n")
    } else {
        let req = Req {
            method: parts.method,
            headers: parts.headers,
            query: parts.uri.query().map(str::to_owned),
            body,
        };
        route_to(shared, route, &req, &faults)
    };
    injected |= knobs::apply(shared, route, &faults.extra, &mut resp);
    injected |= misbehave::rewrite_body(&mut resp, &faults);
    let status = resp.status().as_u16();
    {
        let mut state = shared.lock();
        if route == RouteKind::Mcp {
            state.stats.count_mcp(status);
        }
        if injected {
            state.stats.injected_faults = state.stats.injected_faults.saturating_add(1);
        }
    }
    tracing::debug!(?route, path = %path, status, injected, "fixture request");
    resp
}

fn route_to(shared: &Shared, route: RouteKind, req: &Req, faults: &crate::state::Faults) -> Resp {
    match route {
        RouteKind::ProtectedResourceMetadata => mcp::prm(shared, req),
        RouteKind::Mcp => mcp::endpoint(shared, req),
        RouteKind::AuthorizationServerMetadata => authz::metadata(shared, req, faults),
        RouteKind::Registration => authz::register(shared, req),
        RouteKind::Authorization => authz::authorize(shared, req, faults),
        RouteKind::Login => authz::login(shared, req),
        RouteKind::Consent => authz::consent(shared, req),
        RouteKind::Token => token::endpoint(shared, req),
        RouteKind::DeviceAuthorization => crate::device::authorize(shared, req),
        RouteKind::Revocation => crate::device::revoke(shared, req),
        RouteKind::Decoy => wire::text(404, "decoy origin: a client followed a redirect here\n"),
        RouteKind::Unknown => wire::text(404, "not found\n"),
    }
}
