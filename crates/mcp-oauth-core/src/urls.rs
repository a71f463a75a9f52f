//! Which URLs the client may talk to.
//!
//! Every URL that arrives from a server (`resource_metadata`, `authorization_servers`, endpoints in
//! metadata) is untrusted. [`UrlPolicy::check`] parses it and enforces the transport rules before
//! anything is sent to it:
//!
//! - the scheme is `https`, or `http` on a loopback host when the policy allows it (checklist A-13,
//!   P-13, Z-2): `localhost`, `*.localhost`, `127.0.0.0/8` or `[::1]`;
//! - no user info (`https://user:pass@host/`) and no fragment (RFC 6749 §3.1, RFC 8414 §2);
//! - never a link-local (`169.254.0.0/16` — cloud metadata lives there — or `fe80::/10`),
//!   unspecified, broadcast or multicast address (D-14);
//! - optionally, for server-side deployments, no private, loopback, shared or unique-local address
//!   at all (Z-6, [`UrlPolicy::block_private_addresses`]).
//!
//! IP addresses are judged after the WHATWG host parser of the `url` crate has normalised them, so
//! `http://0x7f000001/` and `http://0177.0.0.1/` are seen as `127.0.0.1`.
//!
//! ```
//! use mcp_oauth_core::urls::{UrlError, UrlPolicy};
//!
//! let strict = UrlPolicy::https_only();
//! assert!(strict.check("https://as.example.com/token").is_ok());
//! assert_eq!(strict.check("http://as.example.com/token"), Err(UrlError::InsecureScheme));
//! assert_eq!(strict.check("http://127.0.0.1:8080/token"), Err(UrlError::InsecureScheme));
//!
//! let dev = UrlPolicy::https_only().allow_loopback_http();
//! assert!(dev.check("http://127.0.0.1:8080/token").is_ok());
//! assert_eq!(dev.check("http://169.254.169.254/latest"), Err(UrlError::InsecureScheme));
//! assert_eq!(dev.check("https://169.254.169.254/latest"), Err(UrlError::ForbiddenAddress));
//! ```

use core::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Why a URL was refused by a [`UrlPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The text is not an absolute URL.
    #[error("not an absolute URL: {0}")]
    Invalid(url::ParseError),
    /// The scheme is neither `https` nor `http` (for example `javascript:` or `file:`).
    #[error("URL scheme is not http or https")]
    UnsupportedScheme,
    /// Plain `http` on a host that is not loopback, or on loopback when the policy does not allow it.
    #[error(
        "URL is not https (plain http is allowed only for loopback hosts, and only when enabled)"
    )]
    InsecureScheme,
    /// The URL has no host.
    #[error("URL has no host")]
    MissingHost,
    /// The URL carries a user name or password.
    #[error("URL carries user info")]
    UserInfo,
    /// The URL carries a fragment, which endpoints and identifiers must not have.
    #[error("URL carries a fragment")]
    Fragment,
    /// The host is an address the policy refuses (link-local, private, …).
    #[error("URL host is an address that is not allowed")]
    ForbiddenAddress,
}

/// Transport rules for URLs that came from a server. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UrlPolicy {
    allow_loopback_http: bool,
    block_private_addresses: bool,
}

impl Default for UrlPolicy {
    /// The same as [`UrlPolicy::https_only`].
    fn default() -> Self {
        Self::https_only()
    }
}

impl UrlPolicy {
    /// `https` only, link-local and other never-valid addresses (and cloud instance-metadata
    /// endpoints) refused, private addresses allowed.
    /// The right default for a desktop or CLI client.
    #[must_use]
    pub const fn https_only() -> Self {
        Self {
            allow_loopback_http: false,
            block_private_addresses: false,
        }
    }

    /// Also accept plain `http` for loopback hosts: local development and test servers
    /// (the MCP conformance suite runs on `http://localhost`).
    #[must_use]
    pub const fn allow_loopback_http(mut self) -> Self {
        self.allow_loopback_http = true;
        self
    }

    /// Also refuse private (`10/8`, `172.16/12`, `192.168/16`), shared (`100.64/10`), loopback and
    /// unique-local (`fc00::/7`) addresses: for server-side deployments where a URL from an MCP
    /// server must never reach the internal network (SSRF, checklist Z-6).
    ///
    /// Host names are not resolved here; an adapter that needs DNS-level protection must check the
    /// resolved address too.
    #[must_use]
    pub const fn block_private_addresses(mut self) -> Self {
        self.block_private_addresses = true;
        self
    }

    /// Whether plain `http` is accepted on loopback hosts.
    #[must_use]
    pub const fn allows_loopback_http(&self) -> bool {
        self.allow_loopback_http
    }

    /// Parse `input` and check it against the policy.
    ///
    /// # Errors
    ///
    /// A [`UrlError`] naming the first rule the URL breaks.
    pub fn check(&self, input: &str) -> Result<Url, UrlError> {
        let url = Url::parse(input).map_err(UrlError::Invalid)?;
        self.check_url(&url)?;
        Ok(url)
    }

    /// Check an already parsed URL against the policy.
    ///
    /// # Errors
    ///
    /// A [`UrlError`] naming the first rule the URL breaks.
    pub fn check_url(&self, url: &Url) -> Result<(), UrlError> {
        let is_http = match url.scheme() {
            "https" => false,
            "http" => true,
            _ => return Err(UrlError::UnsupportedScheme),
        };
        let host = url.host().ok_or(UrlError::MissingHost)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::UserInfo);
        }
        if url.fragment().is_some() {
            return Err(UrlError::Fragment);
        }
        let loopback = is_loopback_host(&host);
        if is_http && !(loopback && self.allow_loopback_http) {
            return Err(UrlError::InsecureScheme);
        }
        if is_never_valid(&host) {
            return Err(UrlError::ForbiddenAddress);
        }
        if self.block_private_addresses && (loopback || is_private(&host)) {
            return Err(UrlError::ForbiddenAddress);
        }
        Ok(())
    }
}

/// Whether a host is loopback: `localhost`, a name under `.localhost`, `127.0.0.0/8` or `::1`.
#[must_use]
pub fn is_loopback_host<S: AsRef<str>>(host: &Host<S>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.as_ref();
            is_localhost_name(d.strip_suffix('.').unwrap_or(d), true)
        }
        Host::Ipv4(a) => a.is_loopback(),
        Host::Ipv6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Whether `name` is `localhost` (any case) or, with `subdomains`, a name under `.localhost`
/// (RFC 6761 §6.3). Exact text: no trailing-dot handling, no resolution. Shared by
/// [`is_loopback_host`] (subdomains allowed) and the allocation-free host checks of
/// `authorize` (subdomains allowed) and `redirect` (refused for redirect URIs).
pub(crate) fn is_localhost_name(name: &str, subdomains: bool) -> bool {
    const SUFFIX: &str = ".localhost";
    name.eq_ignore_ascii_case("localhost")
        || (subdomains
            && name.len() > SUFFIX.len()
            && name
                .get(name.len().saturating_sub(SUFFIX.len())..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(SUFFIX)))
}

/// Whether a URL points at a loopback host (see [`is_loopback_host`]).
#[must_use]
pub fn is_loopback_url(url: &Url) -> bool {
    url.host().is_some_and(|h| is_loopback_host(&h))
}

fn v4_never_valid(a: Ipv4Addr) -> bool {
    a.is_link_local() || a.is_unspecified() || a.is_broadcast() || a.is_multicast()
}

fn v4_private(a: Ipv4Addr) -> bool {
    let [o0, o1, ..] = a.octets();
    a.is_private() || (o0 == 100 && (o1 & 0xc0) == 64) // 100.64.0.0/10, shared address space
        || o0 == 0
}

fn v6_never_valid(a: Ipv6Addr) -> bool {
    (a.segments()[0] & 0xffc0) == 0xfe80 // fe80::/10
        || a.is_unspecified()
        || a.is_multicast()
        || a.to_ipv4_mapped().is_some_and(v4_never_valid)
}

fn v6_private(a: Ipv6Addr) -> bool {
    (a.segments()[0] & 0xfe00) == 0xfc00 // fc00::/7
        || a.to_ipv4_mapped().is_some_and(v4_private)
}

/// Cloud instance-metadata endpoints outside the link-local range (which is refused anyway):
/// Alibaba `100.100.100.200`, Oracle `192.0.0.192`, AWS `fd00:ec2::254`, and the GCP names.
/// A URL from a server never has a reason to point there (SSRF, checklist Z-6).
const METADATA_V4: [Ipv4Addr; 2] = [
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(192, 0, 0, 192),
];
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);
const METADATA_NAMES: [&str; 2] = ["metadata.google.internal", "metadata.goog"];

fn is_never_valid<S: AsRef<str>>(host: &Host<S>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.as_ref();
            let d = d.strip_suffix('.').unwrap_or(d);
            METADATA_NAMES.iter().any(|n| n.eq_ignore_ascii_case(d))
        }
        Host::Ipv4(a) => v4_never_valid(*a) || METADATA_V4.contains(a),
        Host::Ipv6(a) => {
            v6_never_valid(*a)
                || *a == METADATA_V6
                || a.to_ipv4_mapped()
                    .is_some_and(|v4| METADATA_V4.contains(&v4))
        }
    }
}

fn is_private<S: AsRef<str>>(host: &Host<S>) -> bool {
    match host {
        Host::Domain(_) => false,
        Host::Ipv4(a) => v4_private(*a),
        Host::Ipv6(a) => v6_private(*a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: UrlPolicy = UrlPolicy::https_only().allow_loopback_http();
    const SERVER: UrlPolicy = UrlPolicy::https_only().block_private_addresses();

    #[test]
    fn https_everywhere_z2_a13() {
        let p = UrlPolicy::https_only();
        assert!(p.check("https://as.example.com/token").is_ok());
        assert_eq!(
            p.check("http://as.example.com/token"),
            Err(UrlError::InsecureScheme)
        );
        assert_eq!(
            p.check("http://localhost:3000/token"),
            Err(UrlError::InsecureScheme)
        );
        assert!(DEV.check("http://localhost:3000/token").is_ok());
        assert!(DEV.check("http://127.0.0.1:3000/token").is_ok());
        assert!(DEV.check("http://[::1]:3000/token").is_ok());
        assert!(DEV.check("http://auth.localhost/token").is_ok());
        assert_eq!(
            DEV.check("http://localhost.evil.com/x"),
            Err(UrlError::InsecureScheme)
        );
        assert_eq!(
            DEV.check("http://as.example.com/token"),
            Err(UrlError::InsecureScheme)
        );
    }

    #[test]
    fn only_http_schemes_a14() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "vbscript:x",
            "myapp://cb",
        ] {
            assert_eq!(DEV.check(bad), Err(UrlError::UnsupportedScheme), "{bad}");
        }
        assert!(matches!(DEV.check("/relative"), Err(UrlError::Invalid(_))));
    }

    #[test]
    fn userinfo_and_fragment_refused() {
        assert_eq!(
            DEV.check("https://u:p@as.example.com/"),
            Err(UrlError::UserInfo)
        );
        assert_eq!(
            DEV.check("https://as.example.com/a#frag"),
            Err(UrlError::Fragment)
        );
    }

    #[test]
    fn link_local_always_refused_d14() {
        assert_eq!(
            DEV.check("https://169.254.169.254/latest/meta-data"),
            Err(UrlError::ForbiddenAddress)
        );
        assert_eq!(
            DEV.check("https://[fe80::1]/"),
            Err(UrlError::ForbiddenAddress)
        );
        assert_eq!(
            DEV.check("https://0.0.0.0/"),
            Err(UrlError::ForbiddenAddress)
        );
        assert_eq!(
            DEV.check("https://[::ffff:169.254.169.254]/"),
            Err(UrlError::ForbiddenAddress)
        );
    }

    #[test]
    fn server_side_blocks_private_z6() {
        for bad in [
            "https://10.0.0.5/x",
            "https://172.16.1.1/x",
            "https://192.168.0.1/x",
            "https://100.64.0.1/x",
            "https://127.0.0.1/x",
            "https://0x7f000001/x",
            "https://0177.0.0.1/x",
            "https://[fd00::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://localhost/x",
        ] {
            assert_eq!(SERVER.check(bad), Err(UrlError::ForbiddenAddress), "{bad}");
            assert!(UrlPolicy::https_only().check(bad).is_ok(), "{bad}");
        }
        assert!(SERVER.check("https://as.example.com/x").is_ok());
    }

    // covers: Z-6, D-14 (cloud instance-metadata endpoints are never contacted)
    #[test]
    fn cloud_metadata_endpoints_are_never_valid_z6() {
        for p in [UrlPolicy::https_only(), DEV, SERVER] {
            for url in [
                "https://169.254.169.254/latest/meta-data/",
                "https://metadata.google.internal/computeMetadata/v1/",
                "https://METADATA.google.internal./x",
                "https://metadata.goog/",
                "https://100.100.100.200/latest/meta-data/",
                "https://192.0.0.192/opc/v2/",
                "https://[fd00:ec2::254]/latest/meta-data/",
                "https://[::ffff:100.100.100.200]/",
            ] {
                assert_eq!(p.check(url), Err(UrlError::ForbiddenAddress), "{url}");
            }
        }
        let p = UrlPolicy::https_only();
        assert!(
            p.check("https://metadata.google.internal.example.com/")
                .is_ok()
        );
        assert!(p.check("https://100.100.100.201/").is_ok());
    }
}
