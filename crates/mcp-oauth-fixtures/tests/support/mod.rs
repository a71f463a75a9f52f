//! A deliberately small test client: one HTTP/1.1 connection per request with
//! `hyper::client::conn`, every request bounded by a timeout, no redirect following.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use mcp_oauth_fixtures::Fixtures;
use serde_json::{Value, json};
use sha2::Digest as _;
use tokio::net::TcpStream;

/// Upper bound for one request, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Loopback redirect URI used by the test clients.
pub const REDIRECT: &str = "http://127.0.0.1:9999/callback";

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The decoded query parameters of the `Location` header.
    pub fn location_params(&self) -> HashMap<String, String> {
        let location = self.header("location").unwrap_or_default();
        let url = url::Url::parse(location).expect("absolute Location");
        url.query_pairs().into_owned().collect()
    }
}

/// Sends one request and reads the whole response.
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Resp {
    tokio::time::timeout(REQUEST_TIMEOUT, send_inner(method, url, headers, body))
        .await
        .expect("request timed out")
}

async fn send_inner(method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Resp {
    let parsed = url::Url::parse(url).expect("test URL");
    assert_eq!(
        parsed.host_str(),
        Some("127.0.0.1"),
        "tests talk to loopback only"
    );
    let port = parsed.port().expect("explicit port");
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let conn = tokio::spawn(conn);
    let path = &parsed[url::Position::BeforePath..];
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::from(body))).expect("request");
    let resp = sender.send_request(req).await.expect("send");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    conn.abort();
    Resp {
        status,
        headers,
        body,
    }
}

pub async fn get(url: &str) -> Resp {
    send("GET", url, &[], Vec::new()).await
}

pub async fn post_json(url: &str, value: &Value) -> Resp {
    send(
        "POST",
        url,
        &[("content-type", "application/json")],
        value.to_string().into_bytes(),
    )
    .await
}

/// Form-urlencodes pairs.
pub fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

/// `Basic` credentials per RFC 6749 §2.3.1 (each part form-urlencoded first).
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let joined = format!("{}:{}", enc(id), enc(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined)
    )
}

/// POST to the token endpoint, optionally with a Basic header.
pub async fn token(fx: &Fixtures, pairs: &[(&str, &str)], authorization: Option<&str>) -> Resp {
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if let Some(a) = authorization {
        headers.push(("authorization", a));
    }
    send("POST", &fx.token_endpoint(), &headers, form(pairs)).await
}

/// A fresh (verifier, S256 challenge) pair.
pub fn pkce() -> (String, String) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = sha2::Sha256::digest(format!("verifier-{n}").as_bytes());
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// Registers a client with DCR and returns the response JSON.
pub async fn register(fx: &Fixtures, method: &str, grants: &[&str]) -> Value {
    let resp = post_json(
        &fx.registration_endpoint(),
        &json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": method,
            "grant_types": grants,
            "response_types": ["code"],
            "client_name": "fixture test",
            "application_type": "native",
        }),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()
}

/// The query string of an authorization request.
pub fn authorize_url(fx: &Fixtures, client_id: &str, challenge: &str, scope: &str) -> String {
    let mut url = url::Url::parse(&fx.authorization_endpoint()).expect("endpoint");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scope", scope)
        .append_pair("resource", fx.mcp_url())
        .append_pair("state", "st-123");
    url.into()
}

/// Authorizes (immediate consent) and returns (code, verifier).
pub async fn code_for(fx: &Fixtures, client_id: &str, scope: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let resp = get(&authorize_url(fx, client_id, &challenge, scope)).await;
    assert_eq!(resp.status, 302);
    let params = resp.location_params();
    (params.get("code").expect("code").clone(), verifier)
}

/// Full public-client flow: returns the token response JSON.
pub async fn public_tokens(fx: &Fixtures, client_id: &str, scope: &str) -> Value {
    let (code, verifier) = code_for(fx, client_id, scope).await;
    let resp = token(
        fx,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", client_id),
            ("resource", fx.mcp_url()),
        ],
        None,
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()
}

/// A JSON-RPC POST to the MCP endpoint.
pub async fn mcp(fx: &Fixtures, access_token: Option<&str>, msg: &Value) -> Resp {
    let auth = access_token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
    ];
    if let Some(a) = &auth {
        headers.push(("authorization", a));
    }
    send("POST", fx.mcp_url(), &headers, msg.to_string().into_bytes()).await
}

pub fn tools_list() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
}

pub fn call(name: &str, args: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": args}})
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}
