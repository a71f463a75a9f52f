//! Wire helpers for the mock servers: URL splitting, form/JSON parameter bags, Basic
//! credentials, S256, and response builders. Everything is lenient the way express is: a
//! malformed input yields "absent", never a panic.

use mcp_oauth_core::http::{HttpRequest, HttpResponse};
use sha2::Digest as _;

/// A request URL split into what the routers look at.
pub(super) struct Target {
    /// `scheme://host[:port]`, as `URL.origin` gives it.
    pub(super) origin: String,
    /// The (percent-encoded) path.
    pub(super) path: String,
    /// The raw query, without `?`.
    pub(super) query: Option<String>,
}

pub(super) fn split_url(url: &str) -> Option<Target> {
    let parsed = url::Url::parse(url).ok()?;
    Some(Target {
        origin: parsed.origin().ascii_serialization(),
        path: parsed.path().to_owned(),
        query: parsed.query().map(str::to_owned),
    })
}

/// A parameter bag (query string, form body or flat JSON object). The first occurrence of a
/// name wins.
#[derive(Debug, Clone, Default)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn from_form(bytes: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub(super) fn from_query(query: Option<&str>) -> Self {
        query.map_or_else(Self::default, |q| Self::from_form(q.as_bytes()))
    }

    /// The string members of a JSON object body (other members are skipped).
    pub(super) fn from_json(bytes: &[u8]) -> Self {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(bytes) else {
            return Self::default();
        };
        Self(
            map.into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
        )
    }

    /// The body as express parses it: form when form-encoded, JSON when JSON, else nothing.
    pub(super) fn from_body(req: &HttpRequest) -> Self {
        let ct = req
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("application/x-www-form-urlencoded") {
            Self::from_form(&req.body)
        } else if ct.starts_with("application/json") {
            Self::from_json(&req.body)
        } else {
            Self::default()
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Like `get`, but an empty value counts as absent (JS truthiness).
    pub(super) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// `scope` split on single spaces, as the mock does (`scope.split(' ')`).
    pub(super) fn scopes(&self, name: &str) -> Vec<String> {
        self.non_empty(name)
            .map(|s| s.split(' ').map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// `Authorization: Basic` credentials as the mock reads them: base64-decode, then
/// `split(':')` and take the first two pieces (no form-decoding).
pub(super) fn basic_credentials(header: Option<&str>) -> Option<(String, Option<String>)> {
    let encoded = header?.strip_prefix("Basic ")?;
    let decoded =
        b64_decode(&base64::engine::general_purpose::STANDARD, encoded.trim()).or_else(|| {
            b64_decode(
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                encoded.trim(),
            )
        })?;
    let text = String::from_utf8_lossy(&decoded).into_owned();
    let mut parts = text.split(':');
    let id = parts.next().unwrap_or("").to_owned();
    let secret = parts.next().map(str::to_owned);
    Some((id, secret))
}

/// Whether the decoded Basic credentials contain a `:` (the token-endpoint-auth format check).
pub(super) fn basic_has_colon(header: &str) -> Result<(), &'static str> {
    let encoded = header.strip_prefix("Basic ").unwrap_or("");
    match b64_decode(&base64::engine::general_purpose::STANDARD, encoded.trim()) {
        Some(bytes) if bytes.contains(&b':') => Ok(()),
        Some(_) => Err("missing colon separator"),
        None => Err("base64 decoding failed"),
    }
}

/// `BASE64URL(SHA256(verifier))` without padding (RFC 7636 §4.2).
pub(super) fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    let mut buf = [0u8; 64];
    let written = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode_slice(digest, &mut buf)
        .unwrap_or(0);
    String::from_utf8_lossy(buf.get(..written).unwrap_or(&[])).into_owned()
}

/// Decode base64 with `engine` (the crate's base64 has no `alloc` feature, so by slice).
pub(super) fn b64_decode(engine: &impl base64::Engine, text: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; text.len()];
    let written = engine.decode_slice(text, &mut buf).ok()?;
    buf.truncate(written);
    Some(buf)
}

pub(super) fn json(status: u16, value: &serde_json::Value) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![(
            "content-type".to_owned(),
            b"application/json; charset=utf-8".to_vec(),
        )],
        value.to_string().into_bytes(),
    )
}

pub(super) fn json_with_challenge(
    status: u16,
    www_authenticate: &str,
    value: &serde_json::Value,
) -> HttpResponse {
    let mut response = json(status, value);
    response.headers.push((
        "www-authenticate".to_owned(),
        www_authenticate.as_bytes().to_vec(),
    ));
    response
}

pub(super) fn not_found(method: &str, path: &str) -> HttpResponse {
    HttpResponse::new(
        404,
        vec![(
            "content-type".to_owned(),
            b"text/html; charset=utf-8".to_vec(),
        )],
        format!("Cannot {method} {path}").into_bytes(),
    )
}

pub(super) fn redirect(location: &str) -> HttpResponse {
    HttpResponse::new(
        302,
        vec![("location".to_owned(), location.as_bytes().to_vec())],
        format!("Found. Redirecting to {location}").into_bytes(),
    )
}

pub(super) fn empty(status: u16) -> HttpResponse {
    HttpResponse::new(status, Vec::new(), Vec::new())
}

/// `new URL(redirect_uri)` then `searchParams.set(name, value)` for each pair, in order.
pub(super) fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    let mut kept: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for (name, value) in params {
        if let Some(slot) = kept.iter_mut().find(|(k, _)| k == name) {
            (*value).clone_into(&mut slot.1);
            let first = kept.iter().position(|(k, _)| k == name);
            let mut index = 0usize;
            kept.retain(|(k, _)| {
                let keep = k != name || Some(index) == first;
                index = index.saturating_add(1);
                keep
            });
        } else {
            kept.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    url.query_pairs_mut().clear().extend_pairs(kept);
    Some(url.into())
}

/// The PKCS#8 ES256 key handed to the client in `auth/client-credentials-jwt` (RFC 7515 A.3's).
pub(super) const CLIENT_JWT_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpsQnnGQmL+YBIff
H1136cspYG6+0iY7X1fCE9+E9LKhRANCAAR/zc4ncPbEXUGDy+5v20t7WAczNXvp
7xO6z248e9FURcfxRM0bvZt+hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt
-----END PRIVATE KEY-----
";

/// The public half of [`CLIENT_JWT_KEY_PEM`] (RFC 7515 A.3 `x`, `y`).
#[cfg(feature = "jose")]
const CLIENT_JWT_KEY_XY: (&str, &str) = (
    "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
);

/// What `jose.jwtVerify(jws, publicKey, {audience})` checks, for the world's fixed ES256 key:
/// three parts, `alg` ES256, a valid P-256 signature over the signing input, and `aud` (a string
/// or an array) naming one of `audiences`. The world has no clock, so `exp` is only required to
/// be a number after `iat` (when present). Returns the claims.
#[cfg(feature = "jose")]
pub(super) fn verify_es256_jwt(
    jws: &str,
    audiences: &[String],
) -> Result<serde_json::Value, String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use p256::ecdsa::signature::Verifier as _;
    let decode = |part: &str| b64_decode(&URL_SAFE_NO_PAD, part).ok_or("bad base64url");
    let mut parts = jws.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS".to_owned());
    };
    let header: serde_json::Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| "header is not JSON")?;
    if header["alg"] != "ES256" {
        return Err(format!("unexpected alg {}", header["alg"]));
    }
    let mut point = vec![4u8];
    point.extend(decode(CLIENT_JWT_KEY_XY.0)?);
    point.extend(decode(CLIENT_JWT_KEY_XY.1)?);
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|e| e.to_string())?;
    let signature = p256::ecdsa::Signature::from_slice(&decode(signature)?)
        .map_err(|_| "signature is not 64 bytes r || s")?;
    let input_len = jws.len() - jws.rsplit('.').next().map_or(0, str::len) - 1;
    let input = jws.get(..input_len).ok_or("no signing input")?;
    key.verify(input.as_bytes(), &signature)
        .map_err(|_| "signature verification failed")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&decode(payload)?).map_err(|_| "payload is not JSON")?;
    let aud_ok = match &claims["aud"] {
        serde_json::Value::String(a) => audiences.contains(a),
        serde_json::Value::Array(list) => list
            .iter()
            .any(|a| a.as_str().is_some_and(|a| audiences.iter().any(|x| x == a))),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("unexpected \"aud\" claim value {}", claims["aud"]));
    }
    let exp = claims["exp"].as_u64().ok_or("no numeric exp")?;
    if claims["iat"].as_u64().is_some_and(|iat| exp <= iat) {
        return Err("exp is not after iat".to_owned());
    }
    Ok(claims)
}

/// Without the `jose` feature the world cannot verify (and the scenario is not replayed).
#[cfg(not(feature = "jose"))]
pub(super) fn verify_es256_jwt(
    _jws: &str,
    _audiences: &[String],
) -> Result<serde_json::Value, String> {
    Err("built without the jose feature".to_owned())
}
