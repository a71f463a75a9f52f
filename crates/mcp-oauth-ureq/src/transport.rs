//! Performing the core's requests with ureq: TLS, caps, timeouts, redirect rules, and the
//! non-interactive redirect follower.

use std::io;
use std::net::{IpAddr, SocketAddr};

use mcp_oauth_batteries::follow::{CookieJar, FollowError, Hop, MAX_HOPS, next_hop};
use mcp_oauth_batteries::http::{BodyBuffer, Limits, loggable_url, oauth_redirect_target};
use mcp_oauth_batteries::retry::retry_delay;
use mcp_oauth_batteries::trace::SPAN_OAUTH_REQUEST;
use mcp_oauth_batteries::{AuthorizationPrompt, Interaction, InteractionError};
use mcp_oauth_core::flow::TransportError;
use mcp_oauth_core::http::{HttpRequest, HttpResponse, Method};
use ureq::config::IpFamily;
use ureq::http::Uri;
use ureq::http::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use url::Url;

/// The `User-Agent` of every request this crate makes.
const USER_AGENT: &str = concat!("mcp-oauth-ureq/", env!("CARGO_PKG_VERSION"));

/// rustls (ureq's default provider: `ring`, which builds from the registries with a C
/// compiler; no cmake, no aws-lc) with the platform's certificate verifier.
fn tls_config() -> TlsConfig {
    TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::PlatformVerifier)
        .build()
}

/// An agent that follows no redirect, returns every status as a response, and applies the
/// limits' connect timeout. `total`: the global timeout (body included), if any.
pub(crate) fn agent(limits: &Limits, total: Option<core::time::Duration>) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .tls_config(tls_config())
        .https_only(false)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(limits.connect_timeout))
        .timeout_global(total)
        .timeout_recv_response(Some(limits.total_timeout))
        .user_agent(USER_AGENT)
        .build();
    ureq::Agent::with_parts(
        config,
        DefaultConnector::new(),
        LiteralFirstResolver::default(),
    )
}

/// ureq's resolver, except that an IP-literal host (`127.0.0.1`, `[::1]`) is used as is.
///
/// With a timeout configured, ureq's default resolver runs every lookup on a new thread so that
/// it can give up on time, even when the host is already an address: measured by
/// `cargo xtask bench` (end to end, ureq), that thread was most of the per-request overhead
/// against a loopback MCP server. Names still go through the default resolver and its timeout.
#[derive(Debug, Default)]
struct LiteralFirstResolver(DefaultResolver);

impl Resolver for LiteralFirstResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if matches!(config.ip_family(), IpFamily::Any)
            && let Some(addr) = ip_literal(uri)
        {
            let mut out = self.empty();
            out.push(addr);
            return Ok(out);
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// The socket address of a URI whose host is an IP literal, with the scheme's default port.
fn ip_literal(uri: &Uri) -> Option<SocketAddr> {
    let authority = uri.authority()?;
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    let port = match (authority.port_u16(), uri.scheme_str()) {
        (Some(port), _) => port,
        (None, Some("https")) => 443,
        (None, Some("http")) => 80,
        (None, _) => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Map a ureq error onto the core's vocabulary, keeping no text (it may hold URLs).
pub(crate) fn transport_error(e: &ureq::Error) -> TransportError {
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::HostNotFound => TransportError::Dns,
        ureq::Error::ConnectionFailed => TransportError::Connect,
        ureq::Error::BodyExceedsLimit(_) | ureq::Error::LargeResponseHeader(..) => {
            TransportError::TooLarge
        }
        ureq::Error::Tls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::TlsRequired => TransportError::Tls,
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => TransportError::Redirect,
        ureq::Error::Io(io) => io_error(io),
        ureq::Error::Protocol(_) | ureq::Error::BodyStalled => TransportError::Reset,
        _ => TransportError::Other,
    }
}

fn io_error(e: &io::Error) -> TransportError {
    // rustls reports handshake and record failures as `InvalidData` around its own error.
    if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return TransportError::Tls;
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportError::Timeout,
        io::ErrorKind::ConnectionRefused => TransportError::Connect,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => TransportError::Reset,
        _ => TransportError::Other,
    }
}

/// Build a ureq request from a core request (headers copied, sensitive ones marked).
fn build(
    method: Method,
    url: &Url,
    headers: &[(&'static str, mcp_oauth_core::http::HeaderValue)],
    body: &[u8],
) -> Result<ureq::http::Request<Vec<u8>>, TransportError> {
    let mut rb = ureq::http::Request::builder()
        .method(match method {
            Method::Post => ureq::http::Method::POST,
            _ => ureq::http::Method::GET,
        })
        .uri(url.as_str());
    for (name, value) in headers {
        let mut v =
            ureq::http::HeaderValue::from_str(value.as_str()).map_err(|_| TransportError::Other)?;
        v.set_sensitive(value.is_sensitive());
        rb = rb.header(*name, v);
    }
    rb.body(body.to_vec()).map_err(|_| TransportError::Other)
}

/// Performs the flow's requests.
#[derive(Debug, Clone)]
pub(crate) struct OAuthHttp {
    agent: ureq::Agent,
    limits: Limits,
}

impl OAuthHttp {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            agent: agent(&limits, Some(limits.total_timeout)),
            limits,
        }
    }

    /// Perform `request`: POSTs never follow redirects, GETs follow same-origin ones (at most
    /// [`Limits::max_redirects`]); the body is capped at [`Limits::body_limit`].
    pub(crate) fn execute(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let span = tracing::info_span!(
            SPAN_OAUTH_REQUEST,
            method = request.method.as_str(),
            url = %loggable_url(&request.url),
            status = tracing::field::Empty,
        );
        let _entered = span.enter();
        let mut url = Url::parse(&request.url).map_err(|_| TransportError::Other)?;
        let mut hops = 0usize;
        let mut retries = 0u32;
        loop {
            let req = build(request.method, &url, &request.headers, &request.body)?;
            let resp = self
                .agent
                .run(req)
                .map_err(|e| transport_error(&e))
                .inspect_err(|e| tracing::debug!(error = %e, "request failed"))?;
            let status = resp.status().as_u16();
            let retry_after = resp.headers().get(RETRY_AFTER).map(|v| v.as_bytes());
            if let Some(pause) =
                retry_delay(request.method, status, retry_after, retries, &self.limits)
            {
                tracing::debug!(status, ?pause, "transient error; retrying");
                retries = retries.saturating_add(1);
                drop(resp);
                std::thread::sleep(pause);
                continue;
            }
            let location = resp.headers().get(LOCATION).map(|v| v.as_bytes());
            if let Some(next) =
                oauth_redirect_target(request.method, &url, status, location, hops, &self.limits)
            {
                tracing::debug!(status, to = %loggable_url(next.as_str()), "same-origin redirect");
                hops = hops.saturating_add(1);
                url = next;
                continue;
            }
            span.record("status", status);
            let result = read_capped(resp, self.limits.body_limit);
            match &result {
                Ok(r) => tracing::debug!(status, bytes = r.body.len(), "OAuth response"),
                Err(e) => tracing::debug!(status, error = %e, "OAuth response body refused"),
            }
            return result;
        }
    }
}

/// The response as a core value, body capped at `limit`.
pub(crate) fn read_capped(
    resp: ureq::http::Response<ureq::Body>,
    limit: usize,
) -> Result<HttpResponse, TransportError> {
    let (parts, mut body) = resp.into_parts();
    let status = parts.status.as_u16();
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let mut buffer = BodyBuffer::new(limit);
    if buffer.declared_too_large(body.content_length()) {
        return Err(TransportError::TooLarge);
    }
    // One byte over the cap is enough to know it is too large.
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let bytes = body
        .with_config()
        .limit(cap)
        .read_to_vec()
        .map_err(|e| transport_error(&e))?;
    buffer.push(&bytes)?;
    Ok(HttpResponse::new(status, headers, buffer.into_bytes()))
}

/// A non-interactive interactive step: fetch the authorization URL and follow the
/// authorization server's redirects (with a cookie jar) until the redirect URI is reached.
/// For test servers and pre-approved clients; a real login page stops it with
/// [`FollowError::NotARedirect`]. The redirect URI itself is never requested.
///
/// ```no_run
/// use mcp_oauth_ureq::{AuthorizedClient, RedirectFollower};
///
/// let client = AuthorizedClient::builder("https://mcp.example.com/mcp")
///     .client_name("My Agent")
///     .interaction(RedirectFollower::new().into_interaction())
///     .build()?;
/// # Ok::<(), mcp_oauth_ureq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RedirectFollower {
    agent: ureq::Agent,
}

impl Default for RedirectFollower {
    fn default() -> Self {
        Self::new()
    }
}

impl RedirectFollower {
    /// A follower with the default [`Limits`] timeouts.
    #[must_use]
    pub fn new() -> Self {
        Self::with_limits(&Limits::default())
    }

    /// A follower with the timeouts of `limits`.
    #[must_use]
    pub fn with_limits(limits: &Limits) -> Self {
        Self {
            agent: agent(limits, Some(limits.total_timeout)),
        }
    }

    /// Follow from the prompt's authorization URL to its redirect URI; return the redirect URL.
    ///
    /// # Errors
    ///
    /// [`InteractionError::Follow`].
    pub fn follow(&self, prompt: &AuthorizationPrompt) -> Result<String, InteractionError> {
        let redirect_uri =
            Url::parse(prompt.redirect_uri()).map_err(|_| FollowError::BadLocation)?;
        let mut url = Url::parse(prompt.url()).map_err(|_| FollowError::BadLocation)?;
        let mut jar = CookieJar::default();
        for _ in 0..MAX_HOPS {
            let mut rb = ureq::http::Request::builder()
                .method(ureq::http::Method::GET)
                .uri(url.as_str());
            if let Some(cookies) = jar.header_for(&url)
                && let Ok(mut v) = ureq::http::HeaderValue::from_str(&cookies)
            {
                v.set_sensitive(true);
                rb = rb.header(COOKIE, v);
            }
            let req = rb.body(()).map_err(|_| FollowError::BadLocation)?;
            let resp = self
                .agent
                .run(req)
                .map_err(|e| FollowError::Transport(transport_error(&e)))?;
            for c in resp.headers().get_all(SET_COOKIE) {
                jar.store(&url, c.as_bytes());
            }
            let location = resp.headers().get(LOCATION).map(|v| v.as_bytes());
            match next_hop(&url, resp.status().as_u16(), location, &redirect_uri)? {
                Hop::Reached(redirect) => return Ok(redirect),
                Hop::Next(next) => {
                    tracing::debug!(to = %loggable_url(next.as_str()), "following authorization redirect");
                    url = next;
                }
                _ => return Err(FollowError::BadLocation.into()),
            }
        }
        Err(FollowError::TooManyRedirects.into())
    }

    /// This follower as an [`Interaction::Callback`].
    #[must_use]
    pub fn into_interaction(self) -> Interaction {
        Interaction::callback(move |prompt| self.follow(prompt))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn ip_literal_hosts_skip_the_resolver() {
        let addr = |u: &str| ip_literal(&u.parse::<Uri>().unwrap());
        assert_eq!(
            addr("http://127.0.0.1:8080/mcp"),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            addr("https://[::1]/mcp"),
            Some("[::1]:443".parse().unwrap())
        );
        assert_eq!(
            addr("http://10.0.0.1/"),
            Some("10.0.0.1:80".parse().unwrap())
        );
        assert_eq!(addr("https://localhost:8443/"), None);
        assert_eq!(addr("https://mcp.example.com/"), None);
    }
    use super::*;

    #[test]
    fn io_errors_map_to_core_kinds() {
        let e = |k| io_error(&io::Error::from(k));
        assert_eq!(e(io::ErrorKind::TimedOut), TransportError::Timeout);
        assert_eq!(e(io::ErrorKind::ConnectionRefused), TransportError::Connect);
        assert_eq!(e(io::ErrorKind::UnexpectedEof), TransportError::Reset);
        assert_eq!(e(io::ErrorKind::Other), TransportError::Other);
        assert_eq!(
            transport_error(&ureq::Error::BodyExceedsLimit(1)),
            TransportError::TooLarge
        );
        assert_eq!(
            transport_error(&ureq::Error::HostNotFound),
            TransportError::Dns
        );
    }

    #[test]
    fn refused_connection_is_a_transport_error() {
        // A port that was free a moment ago: nothing listens there.
        let port = mcp_oauth_batteries::loopback::reserve_port().unwrap();
        let http = OAuthHttp::new(Limits::default());
        let req = HttpRequest::get_json(format!("http://127.0.0.1:{port}/x"));
        assert!(matches!(
            http.execute(&req),
            Err(TransportError::Connect | TransportError::Reset | TransportError::Other)
        ));
    }

    // covers: Z-3 (TLS is on for https; the rustls + ring + platform verifier stack builds and
    // refuses a peer that does not speak TLS)
    #[test]
    fn https_to_a_non_tls_peer_is_a_tls_error() {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let http =
            OAuthHttp::new(Limits::default().total_timeout(core::time::Duration::from_secs(5)));
        let req = HttpRequest::get_json(format!("https://127.0.0.1:{port}/x"));
        assert_eq!(http.execute(&req).unwrap_err(), TransportError::Tls);
        server.join().unwrap();
    }
}
