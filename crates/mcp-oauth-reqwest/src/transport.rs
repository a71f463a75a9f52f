//! Performing the core's requests with reqwest: TLS, caps, timeouts, redirect rules, and the
//! non-interactive redirect follower.

use std::sync::Arc;

use mcp_oauth_batteries::follow::{CookieJar, FollowError, Hop, MAX_HOPS, next_hop};
use mcp_oauth_batteries::http::{BodyBuffer, Limits, loggable_url, oauth_redirect_target};
use mcp_oauth_batteries::retry::retry_delay;
use mcp_oauth_batteries::{AuthorizationPrompt, InteractionError};
use mcp_oauth_core::flow::TransportError;
use mcp_oauth_core::http::{HttpRequest, HttpResponse, Method};
use reqwest::header::{COOKIE, HeaderName, HeaderValue, LOCATION, RETRY_AFTER, SET_COOKIE};
use tracing::Instrument as _;
use url::Url;

use crate::Error;

/// rustls with the `ring` provider (builds from the registries with a C compiler; no cmake,
/// no aws-lc) and the platform's certificate verifier.
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new(Arc::clone(&provider)).map_err(|_| Error::Tls)?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// A client that follows no redirect, with the limits' timeouts.
pub(crate) fn base_client(limits: &Limits) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config_or_default())
        .connect_timeout(limits.connect_timeout)
        .timeout(limits.total_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("mcp-oauth-reqwest/", env!("CARGO_PKG_VERSION")))
}

fn tls_config_or_default() -> rustls::ClientConfig {
    // The platform verifier only fails where the platform has no usable roots; fall back to a
    // config that trusts nothing (every TLS connection then fails with a TLS error).
    tls_config().unwrap_or_else(|_| {
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
        .unwrap_or_else(|_| {
            // ring supports the safe defaults; this branch exists only to avoid a panic path.
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
    })
}

/// Map a reqwest error onto the core's vocabulary, keeping no text (it may hold URLs).
pub(crate) fn transport_error(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect
    } else if e.is_body() || e.is_decode() {
        TransportError::Reset
    } else if e.is_redirect() {
        TransportError::Redirect
    } else {
        TransportError::Other
    }
}

/// Performs the flow's requests.
#[derive(Debug, Clone)]
pub(crate) struct OAuthHttp {
    client: reqwest::Client,
    limits: Limits,
}

impl OAuthHttp {
    pub(crate) fn new(limits: Limits) -> Result<Self, Error> {
        let client = base_client(&limits).build().map_err(|_| Error::Tls)?;
        Ok(Self { client, limits })
    }

    /// Perform `request`: POSTs never follow redirects, GETs follow same-origin ones (bounded);
    /// the body is capped.
    pub(crate) async fn execute(
        &self,
        mut request: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let mut url = Url::parse(&request.url).map_err(|_| TransportError::Other)?;
        let span = tracing::info_span!(
            "mcp_oauth.oauth_request",
            method = request.method.as_str(),
            url = %loggable_url(&request.url),
            status = tracing::field::Empty,
        );
        let body = std::mem::take(&mut request.body);
        async move {
            let mut hops = 0usize;
            let mut retries = 0u32;
            loop {
                let method = match request.method {
                    Method::Post => reqwest::Method::POST,
                    _ => reqwest::Method::GET,
                };
                let mut rb = self.client.request(method, url.clone());
                for (name, value) in &request.headers {
                    let Ok(mut v) = HeaderValue::from_str(value.as_str()) else {
                        return Err(TransportError::Other);
                    };
                    v.set_sensitive(value.is_sensitive());
                    rb = rb.header(HeaderName::from_static(name), v);
                }
                if !body.is_empty() {
                    rb = rb.body(body.clone());
                }
                let resp = rb.send().await.map_err(|e| transport_error(&e))?;
                let status = resp.status().as_u16();
                let retry_after = resp.headers().get(RETRY_AFTER).map(HeaderValue::as_bytes);
                if let Some(pause) =
                    retry_delay(request.method, status, retry_after, retries, &self.limits)
                {
                    tracing::debug!(status, ?pause, "transient error; retrying");
                    retries = retries.saturating_add(1);
                    tokio::time::sleep(pause).await;
                    continue;
                }
                let location = resp.headers().get(LOCATION).map(HeaderValue::as_bytes);
                if let Some(next) =
                    oauth_redirect_target(request.method, &url, status, location, hops, &self.limits)
                {
                    tracing::debug!(status, to = %loggable_url(next.as_str()), "same-origin redirect");
                    hops = hops.saturating_add(1);
                    url = next;
                    continue;
                }
                tracing::Span::current().record("status", status);
                return read_capped(resp, self.limits.body_limit).await;
            }
        }
        .instrument(span)
        .await
    }
}

/// The response as a core value, body capped at `limit`.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<HttpResponse, TransportError> {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let mut body = BodyBuffer::new(limit);
    if body.declared_too_large(resp.content_length()) {
        return Err(TransportError::TooLarge);
    }
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e))? {
        body.push(&chunk)?;
    }
    Ok(HttpResponse::new(status, headers, body.into_bytes()))
}

/// A non-interactive interactive step: fetch the authorization URL and follow the
/// authorization server's redirects (with a cookie jar) until the redirect URI is reached.
/// For test servers and pre-approved clients; a real login page stops it with
/// [`FollowError::NotARedirect`].
#[derive(Debug, Clone)]
pub struct RedirectFollower {
    client: reqwest::Client,
}

impl RedirectFollower {
    /// A follower with the default [`Limits`] timeouts.
    ///
    /// # Errors
    ///
    /// [`Error::Tls`] when the HTTP client cannot be built.
    pub fn new() -> Result<Self, Error> {
        let client = base_client(&Limits::default())
            .build()
            .map_err(|_| Error::Tls)?;
        Ok(Self { client })
    }

    /// Follow from the prompt's authorization URL to its redirect URI; return the redirect URL.
    ///
    /// # Errors
    ///
    /// [`InteractionError::Follow`].
    pub async fn follow(&self, prompt: &AuthorizationPrompt) -> Result<String, InteractionError> {
        let redirect_uri =
            Url::parse(prompt.redirect_uri()).map_err(|_| FollowError::BadLocation)?;
        let mut url = Url::parse(prompt.url()).map_err(|_| FollowError::BadLocation)?;
        let mut jar = CookieJar::default();
        for _ in 0..MAX_HOPS {
            let mut rb = self.client.get(url.clone());
            if let Some(cookies) = jar.header_for(&url)
                && let Ok(mut v) = HeaderValue::from_str(&cookies)
            {
                v.set_sensitive(true);
                rb = rb.header(COOKIE, v);
            }
            let resp = rb
                .send()
                .await
                .map_err(|e| FollowError::Transport(transport_error(&e)))?;
            for c in resp.headers().get_all(SET_COOKIE) {
                jar.store(&url, c.as_bytes());
            }
            let location = resp.headers().get(LOCATION).map(HeaderValue::as_bytes);
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
}
