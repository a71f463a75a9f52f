//! `private_key_jwt` client assertions (RFC 7521 §4.2, RFC 7523 §2.2 and §3, RFC 7523bis).
//!
//! The rules are documented on the [`token`](crate::token#private_key_jwt) module.

use core::time::Duration;

/// The `client_assertion_type` for JWT client assertions (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The `typ` header of a client assertion (RFC 7523bis §4).
pub const CLIENT_ASSERTION_JWT_TYPE: &str = "client-authentication+jwt";

/// How long a client assertion is valid: `exp` = `iat` + 60 s. Long enough for clock skew and a
/// slow network, short enough that a leaked assertion is soon useless (RFC 7523 §3 item 4).
pub const CLIENT_ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

/// Which value a client assertion carries as `aud` (checklist T-9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssertionAudience {
    /// The authorization server's issuer identifier, as its metadata states it (RFC 7523bis §4).
    /// The default, and the only value RFC 7523bis allows.
    #[default]
    Issuer,
    /// The URL of the endpoint the request goes to (the token endpoint), as RFC 7523 §3 allowed.
    /// For servers that still expect it; it is open to the audience-injection attack RFC 7523bis
    /// fixes, so use it only when the issuer is refused.
    TokenEndpoint,
}

/// The claims of a client assertion (RFC 7523 §3), serialized in this order.
#[cfg(feature = "jose")]
#[derive(Debug, serde::Serialize)]
pub(crate) struct AssertionClaims<'a> {
    pub(crate) iss: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) aud: &'a str,
    pub(crate) exp: u64,
    pub(crate) iat: u64,
    pub(crate) jti: alloc::string::String,
}

#[cfg(feature = "jose")]
mod signing {
    use alloc::string::String;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::{AssertionClaims, CLIENT_ASSERTION_JWT_TYPE, CLIENT_ASSERTION_LIFETIME};
    use crate::jose::{Algorithm, JwsHeader, SigningKey};
    use crate::secret::ClientAssertion;
    use crate::token::ClientAuthError;
    use crate::{Entropy, Timestamp};

    /// The claims for `client_id` towards `audience` at `now`, with a `jti` from `jti`.
    pub(crate) fn claims<'a>(
        client_id: &'a str,
        audience: &'a str,
        now: Timestamp,
        jti: &Entropy,
    ) -> AssertionClaims<'a> {
        AssertionClaims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            exp: now.saturating_add(CLIENT_ASSERTION_LIFETIME).unix_seconds(),
            iat: now.unix_seconds(),
            jti: URL_SAFE_NO_PAD.encode(jti.bytes()),
        }
    }

    /// A private key for `private_key_jwt`, with the options of the assertions it signs: the
    /// header `kid` and the audience (see [`token`](crate::token#private_key_jwt)).
    ///
    /// Cheap to clone: the key itself is shared (one copy of the key material, wiped when the
    /// last clone is dropped). `Debug` shows the algorithm, the key id and the audience only.
    ///
    /// ```
    /// use mcp_oauth_core::jose::SigningKey;
    /// use mcp_oauth_core::token::{AssertionAudience, ClientAssertionKey};
    ///
    /// let key = ClientAssertionKey::new(SigningKey::es256_from_secret_bytes(&[7; 32])?)
    ///     .key_id("2026-01")
    ///     .audience(AssertionAudience::Issuer);
    /// assert_eq!(key.get_key_id(), Some("2026-01"));
    /// assert!(!format!("{key:?}").contains("[7"));
    /// # Ok::<(), mcp_oauth_core::jose::JoseError>(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct ClientAssertionKey {
        key: alloc::sync::Arc<SigningKey>,
        key_id: Option<String>,
        audience: super::AssertionAudience,
    }

    impl ClientAssertionKey {
        /// Use `key`, with no `kid` and the issuer as audience.
        #[must_use]
        pub fn new(key: SigningKey) -> Self {
            Self {
                key: alloc::sync::Arc::new(key),
                key_id: None,
                audience: super::AssertionAudience::Issuer,
            }
        }

        /// Put `kid` in the assertion header (RFC 7515 §4.1.4), for servers that know several
        /// keys of this client.
        #[must_use]
        pub fn key_id(mut self, kid: impl Into<String>) -> Self {
            self.key_id = Some(kid.into());
            self
        }

        /// Choose the `aud` value. Default [`AssertionAudience::Issuer`](super::AssertionAudience::Issuer).
        #[must_use]
        pub fn audience(mut self, audience: super::AssertionAudience) -> Self {
            self.audience = audience;
            self
        }

        /// The signing key.
        #[must_use]
        pub fn signing_key(&self) -> &SigningKey {
            &self.key
        }

        /// The `kid`, if set.
        #[must_use]
        pub fn get_key_id(&self) -> Option<&str> {
            self.key_id.as_deref()
        }

        /// The audience choice.
        #[must_use]
        pub fn get_audience(&self) -> super::AssertionAudience {
            self.audience
        }
    }

    impl From<SigningKey> for ClientAssertionKey {
        fn from(key: SigningKey) -> Self {
            Self::new(key)
        }
    }

    /// Sign a client assertion (see the [module docs](super)).
    pub(crate) fn sign(
        key: &SigningKey,
        key_id: Option<&str>,
        client_id: &str,
        audience: &str,
        now: Timestamp,
        jti: &Entropy,
    ) -> Result<ClientAssertion, ClientAuthError> {
        if client_id.is_empty() {
            return Err(ClientAuthError::EmptyClientId);
        }
        if audience.is_empty() {
            return Err(ClientAuthError::EmptyAudience);
        }
        let mut header = JwsHeader::new().typ(CLIENT_ASSERTION_JWT_TYPE);
        header.kid = key_id;
        key.sign_compact(&header, &claims(client_id, audience, now, jti))
            .map(ClientAssertion::new)
            .map_err(|_| ClientAuthError::AssertionSigning)
    }

    /// Whether the authorization server accepts `private_key_jwt` with a key of algorithm `alg`
    /// (checklist T-4):
    ///
    /// - `methods` (`token_endpoint_auth_methods_supported`) must list `private_key_jwt`. An
    ///   absent list means `["client_secret_basic"]` (RFC 8414 §2), so it does not qualify.
    /// - `signing_algs` (`token_endpoint_auth_signing_alg_values_supported`) must list the key's
    ///   algorithm when present. When it is absent the key's algorithm is assumed to be
    ///   acceptable: RFC 8414 §2 makes the member optional and gives it no default, and the
    ///   client registered this key with the server out of band. An empty list is treated like an
    ///   absent one.
    ///
    /// ```
    /// use mcp_oauth_core::jose::Algorithm;
    /// use mcp_oauth_core::token::accepts_private_key_jwt;
    ///
    /// let methods = ["client_secret_basic".to_string(), "private_key_jwt".to_string()];
    /// let es256 = ["ES256".to_string()];
    /// assert!(accepts_private_key_jwt(Algorithm::Es256, Some(&methods), Some(&es256)));
    /// assert!(accepts_private_key_jwt(Algorithm::Rs256, Some(&methods), None));
    /// assert!(!accepts_private_key_jwt(Algorithm::Rs256, Some(&methods), Some(&es256)));
    /// assert!(!accepts_private_key_jwt(Algorithm::Es256, None, Some(&es256)));
    /// ```
    #[must_use]
    pub fn accepts_private_key_jwt(
        alg: Algorithm,
        methods: Option<&[String]>,
        signing_algs: Option<&[String]>,
    ) -> bool {
        let method_listed = methods.is_some_and(|m| m.iter().any(|s| s == "private_key_jwt"));
        let alg_listed = signing_algs
            .filter(|a| !a.is_empty())
            .is_none_or(|a| a.iter().any(|s| s == alg.name()));
        method_listed && alg_listed
    }
}

#[cfg(feature = "jose")]
pub(crate) use signing::sign;
#[cfg(feature = "jose")]
pub use signing::{ClientAssertionKey, accepts_private_key_jwt};

#[cfg(all(test, feature = "jose"))]
mod tests {
    use alloc::string::ToString;
    use alloc::vec::Vec;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::jose::{Algorithm, SigningKey};
    use crate::{Entropy, Timestamp};

    const A3_PEM: &str = include_str!("../jose/testdata/rfc7515_a3.pem");

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn rfc7523_section_3_claims() {
        // covers: RFC 7523 §3 items 1, 2, 3, 4, 6, 7; RFC 7523bis §4 (aud = issuer, typ)
        let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        let assertion = sign(
            &key,
            Some("key-1"),
            "my-client",
            "https://as.example.com",
            now,
            &Entropy::new([3; 32]),
        )
        .unwrap();
        let parts: Vec<&str> = assertion.secret().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode(parts[0]),
            serde_json::json!({"alg": "ES256", "typ": "client-authentication+jwt", "kid": "key-1"})
        );
        assert_eq!(
            decode(parts[1]),
            serde_json::json!({
                "iss": "my-client",
                "sub": "my-client",
                "aud": "https://as.example.com",
                "exp": 1_700_000_060,
                "iat": 1_700_000_000,
                "jti": URL_SAFE_NO_PAD.encode([3; 32]),
            })
        );
        // A different jti entropy gives a different assertion (no accidental replay).
        let other = sign(
            &key,
            None,
            "my-client",
            "https://as.example.com",
            now,
            &Entropy::new([4; 32]),
        )
        .unwrap();
        assert_ne!(other.secret(), assertion.secret());
        assert_eq!(
            decode(other.secret().split('.').next().unwrap()),
            serde_json::json!({"alg": "ES256", "typ": "client-authentication+jwt"})
        );
        assert_eq!(
            alloc::format!("{assertion:?}"),
            "ClientAssertion([redacted])"
        );
    }

    #[test]
    fn empty_client_id_or_audience_is_refused() {
        let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
        let now = Timestamp::from_unix_seconds(0);
        assert_eq!(
            sign(&key, None, "", "https://as", now, &Entropy::new([0; 32])).unwrap_err(),
            crate::token::ClientAuthError::EmptyClientId
        );
        assert_eq!(
            sign(&key, None, "c", "", now, &Entropy::new([0; 32])).unwrap_err(),
            crate::token::ClientAuthError::EmptyAudience
        );
    }

    #[test]
    fn method_and_algorithm_selection_t4() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let pkj = list(&["private_key_jwt"]);
        assert!(accepts_private_key_jwt(Algorithm::Es256, Some(&pkj), None));
        assert!(accepts_private_key_jwt(
            Algorithm::Es256,
            Some(&pkj),
            Some(&[])
        ));
        assert!(accepts_private_key_jwt(
            Algorithm::Rs256,
            Some(&pkj),
            Some(&list(&["ES256", "RS256"]))
        ));
        assert!(!accepts_private_key_jwt(
            Algorithm::Es256,
            Some(&pkj),
            Some(&list(&["RS256", "PS256"]))
        ));
        assert!(!accepts_private_key_jwt(
            Algorithm::Es256,
            Some(&list(&["client_secret_basic", "client_secret_jwt"])),
            None
        ));
        assert!(!accepts_private_key_jwt(Algorithm::Es256, None, None));
        // Names compare exactly.
        assert!(!accepts_private_key_jwt(
            Algorithm::Es256,
            Some(&list(&["Private_Key_JWT"])),
            None
        ));
    }
}
