//! Redacted newtypes for every secret the protocol handles.
//!
//! Access tokens, refresh tokens, client secrets and authorization codes are wrapped so that they
//! cannot end up in logs or error messages by accident:
//!
//! - `Debug` prints `Name([redacted])`; there is no `Display`.
//! - The value is reachable only through [`AccessToken::secret`]-style accessors, whose docs carry
//!   a **Security** section.
//! - One-shot values ([`AuthorizationCode`]) are not `Clone`, so they cannot be redeemed twice by
//!   accident.
//! - The bytes are overwritten when the value is dropped (best effort: copies made by the caller
//!   through the accessor are the caller's to protect).
//!
//! ```
//! use mcp_oauth_core::secret::AccessToken;
//!
//! let token = AccessToken::new("eyJhbGciOi.secret.value".into());
//! assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
//! assert_eq!(token.secret(), "eyJhbGciOi.secret.value");
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Overwrite the bytes of a string before its buffer is freed.
///
/// Best effort: it uses volatile writes so the compiler keeps them, but cannot reach copies that
/// were made elsewhere (for instance by an earlier reallocation of the string).
pub(crate) fn wipe_string(s: &mut String) {
    let mut bytes = core::mem::take(s).into_bytes();
    wipe_bytes(&mut bytes);
}

/// Overwrite a byte buffer with zeros using volatile writes.
pub(crate) fn wipe_bytes(bytes: &mut Vec<u8>) {
    wipe_slice(bytes.as_mut_slice());
    bytes.clear();
}

/// Overwrite a byte slice with zeros using volatile writes.
#[allow(
    unsafe_code,
    reason = "volatile writes keep the wipe from being optimised away"
)]
pub(crate) fn wipe_slice(bytes: &mut [u8]) {
    // Sixteen bytes per volatile store (a byte-at-a-time loop cost ~1 ns per byte on every
    // secret's drop), then the tail byte by byte.
    let mut chunks = bytes.chunks_exact_mut(16);
    for chunk in &mut chunks {
        if let Ok(block) = <&mut [u8; 16]>::try_from(chunk) {
            // SAFETY: `block` is a valid, exclusive reference to a `[u8; 16]` (alignment 1).
            unsafe { core::ptr::write_volatile(block, [0u8; 16]) };
        }
    }
    for b in chunks.into_remainder() {
        // SAFETY: `b` is a valid, aligned, exclusive reference to one byte.
        unsafe { core::ptr::write_volatile(b, 0) };
    }
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// Compare two byte strings in time that depends only on their lengths.
///
/// Used for `state` and any other value an attacker could probe byte by byte.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // `black_box` keeps the optimiser from short-circuiting the loop above.
    core::hint::black_box(diff) == 0
}

macro_rules! secret_string {
    (
        $(#[$meta:meta])*
        $name:ident, clone = $clone:tt
    ) => {
        $(#[$meta])*
        #[derive(PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Wrap a raw value as a [`", stringify!($name), "`].")]
            #[must_use]
            pub fn new(value: String) -> Self {
                Self(value)
            }

            /// The raw value.
            ///
            /// # Security
            ///
            /// The returned string is a live credential. Do not log it, put it in an error
            /// message, or send it anywhere but the endpoint it is meant for.
            #[must_use]
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Consume the wrapper and return the raw value.
            ///
            /// # Security
            ///
            /// The caller takes over the duty to keep the value out of logs and to wipe it.
            #[must_use]
            pub fn into_secret(mut self) -> String {
                core::mem::take(&mut self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                wipe_string(&mut self.0);
            }
        }

        secret_string!(@clone $name, $clone);
    };
    (@clone $name:ident, true) => {
        impl Clone for $name {
            fn clone(&self) -> Self {
                Self(self.0.clone())
            }
        }
    };
    (@clone $name:ident, false) => {};
}

secret_string!(
    /// An OAuth access token (RFC 6749 §1.4), sent to the MCP server as
    /// `Authorization: Bearer <token>`.
    ///
    /// Treated as opaque: the library never decodes it (checklist V-12).
    AccessToken, clone = true
);

secret_string!(
    /// An OAuth refresh token (RFC 6749 §1.5). Sent only to the token endpoint of the
    /// authorization server that issued it.
    RefreshToken, clone = true
);

secret_string!(
    /// A client secret issued at registration (RFC 7591 §3.2.1) or configured by the caller.
    ClientSecret, clone = true
);

secret_string!(
    /// An authorization code from the redirect (RFC 6749 §4.1.2). Single use, so not `Clone`.
    AuthorizationCode, clone = false
);

secret_string!(
    /// A JWT used as an authorization grant (RFC 7523 §2.1, the `assertion` of a
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` token request): a workload identity token
    /// (SEP-1933) or an Identity Assertion JWT Authorization Grant (ID-JAG, SEP-990). A bearer
    /// credential: whoever holds it until it expires can obtain tokens with it. Treated as opaque:
    /// the library never decodes it.
    Assertion, clone = true
);

secret_string!(
    /// The `subject_token` of an RFC 8693 token exchange (§2.1): for enterprise-managed
    /// authorization (SEP-990), the user's OpenID Connect ID token from the enterprise IdP. Sent
    /// only to the IdP's token endpoint. Treated as opaque: the library never decodes it.
    SubjectToken, clone = true
);

secret_string!(
    /// An initial access token for a protected registration endpoint (RFC 7591 §3).
    InitialAccessToken, clone = true
);

secret_string!(
    /// A registration access token (RFC 7592 §3): lets the client read, update or delete its
    /// registration at
    /// [`RegisteredClient::registration_client_uri`](crate::registration::RegisteredClient::registration_client_uri).
    /// Send it only to that URI of the server that issued it.
    ///
    /// Also reachable as `registration::dcr::RegistrationAccessToken`.
    RegistrationAccessToken, clone = true
);

secret_string!(
    /// A signed client assertion (RFC 7521 §4.2, RFC 7523 §2.2): the JWT sent as
    /// `client_assertion` by `private_key_jwt` clients. Whoever holds it can authenticate as the
    /// client at the authorization server until it expires; it carries a unique `jti`, so it is
    /// meant for one request and is not `Clone`.
    ///
    /// Made by [`ClientAuth::private_key_jwt`](crate::token::ClientAuth::private_key_jwt)
    /// (feature `jose`), or wrap a JWT signed elsewhere (an HSM, a cloud KMS) with
    /// [`ClientAssertion::new`].
    ClientAssertion, clone = false
);

/// A crate-internal string that may hold a secret: `Debug` prints `[redacted]`, wiped on drop.
///
/// For intermediate values (a request parameter, a string read from a response body) that are
/// not yet, or never become, one of the public secret types above.
pub(crate) struct WipedString(String);

impl WipedString {
    /// Wrap a value.
    pub(crate) const fn new(value: String) -> Self {
        Self(value)
    }

    /// The value.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwrap the value; the caller takes over the duty to wipe it.
    pub(crate) fn take(mut self) -> String {
        core::mem::take(&mut self.0)
    }
}

impl fmt::Debug for WipedString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for WipedString {
    fn drop(&mut self) {
        wipe_string(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_v11() {
        let t = AccessToken::new("tok-123".into());
        let r = RefreshToken::new("ref-456".into());
        let s = ClientSecret::new("sec-789".into());
        let c = AuthorizationCode::new("code-000".into());
        let all = alloc::format!("{t:?}{r:?}{s:?}{c:?}");
        for needle in ["tok-123", "ref-456", "sec-789", "code-000"] {
            assert!(!all.contains(needle), "{needle} leaked into {all}");
        }
        assert_eq!(
            all,
            "AccessToken([redacted])RefreshToken([redacted])ClientSecret([redacted])AuthorizationCode([redacted])"
        );
    }

    #[test]
    fn accessors_return_the_value() {
        let t = AccessToken::new("a+b/c=".into());
        assert_eq!(t.secret(), "a+b/c=");
        assert_eq!(t.clone().into_secret(), "a+b/c=");
    }

    #[test]
    fn constant_time_eq_matches_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn wipe_clears_bytes() {
        let mut v = alloc::vec![1u8, 2, 3];
        wipe_slice(&mut v);
        assert_eq!(v, [0, 0, 0]);
        // Whole 16-byte blocks and a tail, at every length around the block size.
        for len in [0, 15, 16, 17, 43, 128, 130] {
            let mut v = alloc::vec![0xA5u8; len];
            wipe_slice(&mut v);
            assert!(v.iter().all(|&b| b == 0), "{len}");
        }
        let mut s = String::from("secret");
        wipe_string(&mut s);
        assert!(s.is_empty());
    }
}
