//! The loopback redirect listener of RFC 8252 §7.3 (native apps).
//!
//! [`LoopbackListener::bind`] listens on `127.0.0.1` (or `[::1]`) at the port of a loopback
//! redirect URI, *before* the browser is opened. [`LoopbackListener::wait`] then accepts HTTP
//! requests, parsed with `httparse`, until one arrives on the exact redirect path carrying the
//! expected `state`; it answers with a short self-contained HTML page (no external resources,
//! `Referrer-Policy: no-referrer`, `Cache-Control: no-store`, a `default-src 'none'` CSP:
//! checklist C-15) and returns the redirect URL for
//! [`AuthFlow::handle_redirect`](mcp_oauth_core::flow::AuthFlow::handle_redirect). Requests on
//! other paths, with another `Host`, or without the expected `state` are answered with an error
//! page and do not end the wait (a forged callback cannot cancel the login). An `iss` that is not
//! the expected issuer (RFC 9207) gets the failure page; the URL is still returned so that the
//! flow ends the attempt with its typed error. Everything is bounded: the wait by its timeout,
//! each request head by 8 KiB and a per-connection read timeout.
//!
//! [`reserve_port`] picks an ephemeral port for a cold start's redirect URI.
//!
//! ```
//! use core::time::Duration;
//! use std::io::{Read, Write};
//! use mcp_oauth_batteries::loopback::{reserve_port, Expected, LoopbackListener};
//!
//! let port = reserve_port()?;
//! let redirect_uri = format!("http://127.0.0.1:{port}/callback");
//! let listener = LoopbackListener::bind(&redirect_uri)?;
//!
//! // The "browser", on another thread.
//! let browser = std::thread::spawn(move || {
//!     let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
//!     write!(s, "GET /callback?code=c1&state=s1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
//!     let mut page = String::new();
//!     s.read_to_string(&mut page).unwrap();
//!     page
//! });
//!
//! let expected = Expected { state: Some("s1"), issuer: None };
//! let url = listener.wait(&expected, Duration::from_secs(10))?;
//! assert_eq!(url, format!("http://127.0.0.1:{port}/callback?code=c1&state=s1"));
//! assert!(browser.join().unwrap().contains("Referrer-Policy: no-referrer"));
//! # Ok::<(), mcp_oauth_batteries::loopback::LoopbackError>(())
//! ```

use core::time::Duration;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Instant;

use url::Url;

/// The largest request head accepted.
const MAX_HEAD: usize = 8 * 1024;
/// Connections handled in one wait before giving up (stray requests, favicon, probes).
const MAX_CONNECTIONS: usize = 64;
/// How often the accept loop polls.
const ACCEPT_POLL: Duration = Duration::from_millis(10);
/// Read/write timeout per connection.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

const SUCCESS_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorized</title></head>\
<body><h1>Authorization complete</h1><p>You can close this window and return to the application.</p></body></html>";
const FAILURE_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorization failed</title></head>\
<body><h1>Authorization failed</h1><p>Return to the application for details.</p></body></html>";
const NOT_FOUND_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Not found</title></head>\
<body><p>Not found.</p></body></html>";
const BAD_REQUEST_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Bad request</title></head>\
<body><p>This is not the expected authorization response.</p></body></html>";

/// Why the listener could not deliver a redirect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    /// The redirect URI is not `http://127.0.0.1:<port>/…`, `http://localhost:<port>/…` or
    /// `http://[::1]:<port>/…` without a query or fragment.
    #[error("not a loopback redirect URI with an explicit port")]
    NotLoopback,
    /// The port could not be bound (in use, or not permitted).
    #[error("could not listen on the loopback redirect port: {0}")]
    Bind(io::Error),
    /// Accepting connections failed.
    #[error("loopback listener failed: {0}")]
    Accept(io::Error),
    /// No authorization response arrived in time.
    #[error("no authorization response arrived in time")]
    TimedOut,
    /// Too many unrelated requests arrived.
    #[error("too many unrelated requests on the loopback listener")]
    TooManyRequests,
}

/// What the listener expects in the authorization response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expected<'a> {
    /// The `state` sent in the authorization request; `None` accepts any (not recommended).
    pub state: Option<&'a str>,
    /// The authorization server's issuer; when set, an `iss` parameter must equal it.
    pub issuer: Option<&'a str>,
}

/// A listener bound to a loopback redirect URI. See the [module docs](self).
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    redirect_uri: Url,
    port: u16,
}

/// Bind `127.0.0.1:0` and return the port the OS chose (the socket is closed again), for a cold
/// start's redirect URI. The port is bound for real by [`LoopbackListener::bind`] later.
///
/// # Errors
///
/// The OS refused to bind.
pub fn reserve_port() -> Result<u16, LoopbackError> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(LoopbackError::Bind)?;
    Ok(l.local_addr().map_err(LoopbackError::Bind)?.port())
}

/// `http://127.0.0.1:{port}{path}`.
#[must_use]
pub fn redirect_uri_for(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

impl LoopbackListener {
    /// Listen for `redirect_uri`: bind its loopback address and port.
    ///
    /// # Errors
    ///
    /// [`LoopbackError::NotLoopback`] for other URIs, [`LoopbackError::Bind`].
    pub fn bind(redirect_uri: &str) -> Result<Self, LoopbackError> {
        let url = Url::parse(redirect_uri).map_err(|_| LoopbackError::NotLoopback)?;
        if url.scheme() != "http" || url.query().is_some() || url.fragment().is_some() {
            return Err(LoopbackError::NotLoopback);
        }
        let ip: IpAddr = match url.host() {
            Some(url::Host::Ipv4(ip)) if ip == Ipv4Addr::LOCALHOST => ip.into(),
            Some(url::Host::Ipv6(ip)) if ip == Ipv6Addr::LOCALHOST => ip.into(),
            // RFC 8252 §8.3: `localhost` is allowed as a name; listen on IPv4 loopback.
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
                Ipv4Addr::LOCALHOST.into()
            }
            _ => return Err(LoopbackError::NotLoopback),
        };
        let port = url.port().ok_or(LoopbackError::NotLoopback)?;
        let listener = TcpListener::bind(SocketAddr::new(ip, port)).map_err(LoopbackError::Bind)?;
        Ok(Self {
            listener,
            redirect_uri: url,
            port,
        })
    }

    /// The bound port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Wait up to `timeout` for the authorization response; return the full redirect URL.
    ///
    /// # Errors
    ///
    /// [`LoopbackError::TimedOut`], [`LoopbackError::TooManyRequests`], [`LoopbackError::Accept`].
    pub fn wait(self, expected: &Expected<'_>, timeout: Duration) -> Result<String, LoopbackError> {
        let start = Instant::now();
        self.listener
            .set_nonblocking(true)
            .map_err(LoopbackError::Accept)?;
        let mut handled = 0usize;
        loop {
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Err(LoopbackError::TimedOut);
            }
            match self.listener.accept() {
                Ok((stream, _peer)) => {
                    handled = handled.saturating_add(1);
                    let remaining = timeout.saturating_sub(start.elapsed());
                    if let Some(url) = self.handle(stream, expected, remaining) {
                        return Ok(url);
                    }
                    if handled >= MAX_CONNECTIONS {
                        return Err(LoopbackError::TooManyRequests);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(ACCEPT_POLL.min(timeout.saturating_sub(elapsed)));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(LoopbackError::Accept(e)),
            }
        }
    }

    /// Serve one connection; `Some(url)` when it carried the authorization response.
    fn handle(
        &self,
        mut stream: TcpStream,
        expected: &Expected<'_>,
        remaining: Duration,
    ) -> Option<String> {
        let io_timeout = IO_TIMEOUT.min(remaining).max(Duration::from_millis(1));
        stream.set_nonblocking(false).ok()?;
        stream.set_read_timeout(Some(io_timeout)).ok()?;
        stream.set_write_timeout(Some(io_timeout)).ok()?;
        let Some(target) = read_target(&mut stream, self.port) else {
            respond(&mut stream, 400, BAD_REQUEST_PAGE);
            return None;
        };
        let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
        if path != self.redirect_uri.path() {
            respond(&mut stream, 404, NOT_FOUND_PAGE);
            return None;
        }
        let mut state = None;
        let mut iss = None;
        let mut has_code = false;
        let mut has_error = false;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "state" => state = Some(v.into_owned()),
                "iss" => iss = Some(v.into_owned()),
                "code" => has_code = true,
                "error" => has_error = true,
                _ => {}
            }
        }
        if let Some(want) = expected.state
            && state.as_deref() != Some(want)
        {
            respond(&mut stream, 400, BAD_REQUEST_PAGE);
            return None;
        }
        let iss_ok = match (expected.issuer, iss.as_deref()) {
            (Some(want), Some(got)) => want == got,
            _ => true,
        };
        if has_code && !has_error && iss_ok {
            respond(&mut stream, 200, SUCCESS_PAGE);
        } else {
            respond(&mut stream, 400, FAILURE_PAGE);
        }
        let mut url = self.redirect_uri.clone();
        url.set_query(Some(query));
        Some(url.into())
    }
}

/// Read one request head and return its target, when it is a `GET` to this listener.
fn read_target(stream: &mut TcpStream, port: u16) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        buf.extend_from_slice(chunk.get(..n)?);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                if req.method != Some("GET") {
                    return None;
                }
                // DNS rebinding: only our own loopback names as Host.
                let host = req
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("host"))
                    .and_then(|h| core::str::from_utf8(h.value).ok())?;
                let allowed = [
                    format!("127.0.0.1:{port}"),
                    format!("localhost:{port}"),
                    format!("[::1]:{port}"),
                ];
                if !allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) {
                    return None;
                }
                return req.path.map(str::to_owned);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            _ => return None,
        }
    }
}

fn respond(stream: &mut TcpStream, status: u16, page: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Referrer-Policy: no-referrer\r\n\
         Cache-Control: no-store\r\n\
         Content-Security-Policy: default-src 'none'\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Connection: close\r\n\r\n",
        page.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(page.as_bytes());
    let _ = stream.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(port: u16, raw: String) -> String {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(raw.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    fn get(port: u16, target: &str) -> String {
        send(
            port,
            format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
        )
    }

    #[test]
    fn refuses_non_loopback_redirect_uris() {
        for uri in [
            "https://127.0.0.1:8080/cb",
            "http://example.com:8080/cb",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:8080/cb?x=1",
            "http://10.0.0.1:8080/cb",
            "not a url",
        ] {
            assert!(
                matches!(LoopbackListener::bind(uri), Err(LoopbackError::NotLoopback)),
                "{uri}"
            );
        }
    }

    // covers: C-15 (page headers), C-7 (forged callbacks do not end the wait)
    #[test]
    fn strays_are_refused_then_the_real_response_is_accepted() {
        let port = reserve_port().unwrap();
        let l = LoopbackListener::bind(&redirect_uri_for(port, "/cb")).unwrap();
        let t = std::thread::spawn(move || {
            let a = get(port, "/favicon.ico");
            let b = get(port, "/cb?code=x&state=WRONG");
            let c = send(
                port,
                format!("GET /cb?code=x&state=S HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n"),
            );
            let d = send(
                port,
                format!("POST /cb?code=x&state=S HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
            );
            let e = get(port, "/cb?code=x&state=S&iss=https%3A%2F%2Fas.example");
            (a, b, c, d, e)
        });
        let url = l
            .wait(
                &Expected {
                    state: Some("S"),
                    issuer: Some("https://as.example"),
                },
                Duration::from_secs(10),
            )
            .unwrap();
        let (a, b, c, d, e) = t.join().unwrap();
        assert!(a.starts_with("HTTP/1.1 404"));
        assert!(b.starts_with("HTTP/1.1 400"));
        assert!(c.starts_with("HTTP/1.1 400"));
        assert!(d.starts_with("HTTP/1.1 400"));
        assert!(e.starts_with("HTTP/1.1 200"));
        for h in [
            "Referrer-Policy: no-referrer",
            "Cache-Control: no-store",
            "Content-Security-Policy: default-src 'none'",
        ] {
            assert!(e.contains(h), "{h}");
        }
        assert!(
            !e.contains("http://") && !e.contains("https://"),
            "no external resources"
        );
        assert_eq!(
            url,
            format!("http://127.0.0.1:{port}/cb?code=x&state=S&iss=https%3A%2F%2Fas.example")
        );
    }

    #[test]
    fn iss_mismatch_and_error_get_the_failure_page_but_reach_the_flow() {
        let port = reserve_port().unwrap();
        let l = LoopbackListener::bind(&redirect_uri_for(port, "/cb")).unwrap();
        let t = std::thread::spawn(move || get(port, "/cb?code=x&state=S&iss=https%3A%2F%2Fevil"));
        let url = l
            .wait(
                &Expected {
                    state: Some("S"),
                    issuer: Some("https://as.example"),
                },
                Duration::from_secs(10),
            )
            .unwrap();
        assert!(t.join().unwrap().contains("Authorization failed"));
        assert!(url.contains("iss=https%3A%2F%2Fevil"));

        let port = reserve_port().unwrap();
        let l = LoopbackListener::bind(&redirect_uri_for(port, "/cb")).unwrap();
        let t = std::thread::spawn(move || get(port, "/cb?error=access_denied&state=S"));
        let url = l
            .wait(
                &Expected {
                    state: Some("S"),
                    issuer: None,
                },
                Duration::from_secs(10),
            )
            .unwrap();
        assert!(t.join().unwrap().starts_with("HTTP/1.1 400"));
        assert!(url.ends_with("?error=access_denied&state=S"));
    }

    #[test]
    fn times_out_and_oversized_heads_are_dropped() {
        let port = reserve_port().unwrap();
        let l = LoopbackListener::bind(&redirect_uri_for(port, "/cb")).unwrap();
        let t = std::thread::spawn(move || {
            let big = format!(
                "GET /cb?{} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n",
                "a".repeat(MAX_HEAD * 2)
            );
            send(port, big)
        });
        let started = Instant::now();
        let r = l.wait(&Expected::default(), Duration::from_millis(400));
        assert!(matches!(r, Err(LoopbackError::TimedOut)));
        assert!(started.elapsed() < Duration::from_secs(3));
        // The oversized head was refused (the peer may see a 400 or a reset).
        let _ = t.join();
    }

    #[test]
    fn port_in_use_is_a_bind_error() {
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        assert!(matches!(
            LoopbackListener::bind(&redirect_uri_for(port, "/cb")),
            Err(LoopbackError::Bind(_))
        ));
    }
}
