//! JOSE signing: private keys, public JWKs and JWS compact serialization (RFC 7515, RFC 7517,
//! RFC 7518, RFC 7638).
//!
//! This module signs the JWTs a client has to produce itself: `private_key_jwt` client
//! assertions (RFC 7523 §2.2, see [`crate::token`]) and proof JWTs (RFC 9449).
//! It never verifies anything: every JWT the library receives from a server stays opaque.
//!
//! | Algorithm | Key | Feature | Signature |
//! |---|---|---|---|
//! | `ES256` (RFC 7518 §3.4) | EC P-256 | `jose` | ECDSA with SHA-256, deterministic nonce (RFC 6979), raw `r ‖ s` (64 bytes) |
//! | `RS256` (RFC 7518 §3.3) | RSA, at least 2048 bits | `jose-rsa` | RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2) |
//!
//! Both signatures are deterministic, so no random number generator is needed: the module stays
//! sans-IO and `no_std`. (RSA private-key operations are blinded with a value derived from the key
//! and the message, which hides timing without changing the signature.) The cryptography is
//! RustCrypto's `p256` and `rsa` crates; this module only frames it as JOSE.
//!
//! ```
//! use mcp_oauth_core::jose::{Algorithm, JwsHeader, SigningKey};
//!
//! // A PKCS#8 key as `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes it
//! // (this one is the key of RFC 7515 appendix A.3).
//! let pem = "-----BEGIN PRIVATE KEY-----
//! MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpsQnnGQmL+YBIff
//! H1136cspYG6+0iY7X1fCE9+E9LKhRANCAAR/zc4ncPbEXUGDy+5v20t7WAczNXvp
//! 7xO6z248e9FURcfxRM0bvZt+hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt
//! -----END PRIVATE KEY-----";
//! let key = SigningKey::from_pkcs8_pem(pem)?;
//! assert_eq!(key.algorithm(), Algorithm::Es256);
//! assert_eq!(format!("{key:?}"), "SigningKey { algorithm: \"ES256\", key: \"[redacted]\" }");
//!
//! let jwt = key.sign_compact(&JwsHeader::new().typ("JWT"), &serde_json::json!({"iss": "joe"}))?;
//! let mut parts = jwt.split('.');
//! assert_eq!(parts.next(), Some("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9")); // {"alg":"ES256","typ":"JWT"}
//! assert_eq!(parts.next(), Some("eyJpc3MiOiJqb2UifQ")); // {"iss":"joe"}
//! assert_eq!(parts.next().map(str::len), Some(86)); // base64url of the 64-byte r ‖ s
//!
//! // The public half, as a JWK and as its RFC 7638 thumbprint.
//! let jwk = key.public_jwk();
//! assert_eq!(
//!     serde_json::to_string(&jwk)?,
//!     r#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#
//! );
//! assert_eq!(jwk.thumbprint().len(), 43);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::pkcs8::der::Decode as _;
use p256::pkcs8::{ObjectIdentifier, PrivateKeyInfoRef};
use serde::Serialize;
use serde::ser::SerializeStruct as _;
use sha2::Digest as _;

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1`, the P-256 curve (RFC 5480 §2.1.1.1).
const OID_SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `rsaEncryption` (RFC 8017 appendix C).
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The smallest RSA modulus accepted for `RS256`, in bits (RFC 7518 §3.3: "A key of size 2048
/// bits or larger MUST be used").
pub const RSA_MIN_BITS: usize = 2048;

/// A JWS signature algorithm this module can sign with (RFC 7518 §3.1).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `ES256`: ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    Es256,
    /// `RS256`: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3). Signing needs the `jose-rsa`
    /// feature.
    Rs256,
}

impl Algorithm {
    /// The JWA name, as used in the `alg` header and in
    /// `token_endpoint_auth_signing_alg_values_supported` (RFC 7518 §3.1).
    ///
    /// ```
    /// use mcp_oauth_core::jose::Algorithm;
    /// assert_eq!(Algorithm::Es256.name(), "ES256");
    /// assert_eq!(Algorithm::Rs256.name(), "RS256");
    /// ```
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

/// Why a key could not be loaded or a JWS could not be produced.
///
/// No variant carries key material, claims or a signature.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// The text is not PEM (RFC 7468): missing armour, bad base64 or a broken line structure.
    #[error("malformed PEM")]
    Pem,
    /// The PEM block is not `PRIVATE KEY` (unencrypted PKCS#8, RFC 5958). SEC1 (`EC PRIVATE
    /// KEY`), PKCS#1 (`RSA PRIVATE KEY`) and encrypted keys convert with
    /// `openssl pkcs8 -topk8 -nocrypt`.
    #[error("PEM block is not an unencrypted PKCS#8 PRIVATE KEY")]
    NotPkcs8,
    /// The DER is not a well-formed PKCS#8 `PrivateKeyInfo`, or its key does not decode.
    #[error("malformed PKCS#8 private key")]
    Pkcs8,
    /// The key is an EC key on a curve other than P-256.
    #[error("unsupported elliptic curve (P-256 expected)")]
    UnsupportedCurve,
    /// The key is neither EC nor RSA (Ed25519, DSA, …).
    #[error("unsupported key type (EC P-256 or RSA expected)")]
    UnsupportedKeyType,
    /// The key is an RSA key but the crate was built without the `jose-rsa` feature.
    #[error("RSA keys need the jose-rsa feature")]
    RsaNotEnabled,
    /// The RSA modulus is shorter than [`RSA_MIN_BITS`] (RFC 7518 §3.3).
    #[error("RSA key has {bits} bits, at least 2048 required")]
    RsaKeyTooSmall {
        /// The modulus length in bits.
        bits: usize,
    },
    /// The secret bytes are not a valid P-256 scalar (zero, or not below the group order).
    #[error("invalid P-256 secret scalar")]
    InvalidScalar,
    /// The header or the claims could not be serialized to JSON.
    #[error("JWS header or claims do not serialize to JSON")]
    Serialize,
    /// The signing primitive failed.
    #[error("signing failed")]
    Signing,
}

/// The JOSE header of a JWS (RFC 7515 §4.1), apart from `alg`, which the key decides.
///
/// Serialized in the order `alg`, `typ`, `kid`, `jwk`; absent members are left out.
///
/// ```
/// use mcp_oauth_core::jose::JwsHeader;
///
/// let header = JwsHeader::new().typ("dpop+jwt").embed_jwk(true);
/// assert_eq!(header.typ, Some("dpop+jwt"));
/// assert!(header.kid.is_none());
/// assert!(header.embed_jwk);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JwsHeader<'a> {
    /// `typ` (RFC 7515 §4.1.9): the media type of the whole JWS, e.g. `JWT` or `dpop+jwt`.
    pub typ: Option<&'a str>,
    /// `kid` (RFC 7515 §4.1.4): which of the signer's keys was used, as registered with the
    /// verifier.
    pub kid: Option<&'a str>,
    /// Embed the public key as `jwk` (RFC 7515 §4.1.3), as DPoP proofs require (RFC 9449 §4.2).
    pub embed_jwk: bool,
}

impl<'a> JwsHeader<'a> {
    /// A header with only `alg`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            typ: None,
            kid: None,
            embed_jwk: false,
        }
    }

    /// Set `typ`.
    #[must_use]
    pub const fn typ(mut self, typ: &'a str) -> Self {
        self.typ = Some(typ);
        self
    }

    /// Set `kid`.
    #[must_use]
    pub const fn kid(mut self, kid: &'a str) -> Self {
        self.kid = Some(kid);
        self
    }

    /// Embed (or not) the public key as `jwk`.
    #[must_use]
    pub const fn embed_jwk(mut self, embed: bool) -> Self {
        self.embed_jwk = embed;
        self
    }
}

/// The serialized form of a header, members in the documented order.
#[derive(Serialize)]
struct HeaderJson<'a> {
    alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwk: Option<&'a PublicJwk>,
}

/// A public key as a JSON Web Key (RFC 7517), with only the required members of its key type
/// (RFC 7518 §6.2.1, §6.3.1).
///
/// Serializes with its members in lexicographic order, which is also the RFC 7638 thumbprint
/// input: EC `{"crv","kty","x","y"}`, RSA `{"e","kty","n"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk(JwkParams);

#[derive(Debug, Clone, PartialEq, Eq)]
enum JwkParams {
    /// P-256 coordinates, base64url without padding (32 bytes each).
    Ec { x: String, y: String },
    /// Modulus and exponent, big-endian without leading zeros, base64url without padding.
    Rsa { n: String, e: String },
}

impl PublicJwk {
    /// A P-256 public key from its affine coordinates.
    fn ec(x: &[u8], y: &[u8]) -> Self {
        Self(JwkParams::Ec {
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
        })
    }

    /// An RSA public key from its modulus and exponent (big-endian, without leading zeros).
    #[cfg_attr(not(any(feature = "jose-rsa", test)), allow(dead_code))]
    fn rsa(n: &[u8], e: &[u8]) -> Self {
        Self(JwkParams::Rsa {
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
        })
    }

    /// The key type, `kty` (RFC 7518 §6.1): `EC` or `RSA`.
    #[must_use]
    pub fn kty(&self) -> &'static str {
        match self.0 {
            JwkParams::Ec { .. } => "EC",
            JwkParams::Rsa { .. } => "RSA",
        }
    }

    /// The canonical JSON of the required members, no whitespace, members in lexicographic order
    /// (RFC 7638 §3.2, §3.3). Every value is base64url, which JSON never escapes.
    fn canonical_json(&self) -> String {
        match &self.0 {
            JwkParams::Ec { x, y } => {
                alloc::format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)
            }
            JwkParams::Rsa { n, e } => alloc::format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
        }
    }

    /// The JWK SHA-256 thumbprint (RFC 7638 §3): base64url (no padding) of the SHA-256 of the
    /// canonical JSON of the required members. 43 characters.
    ///
    /// Used as `jkt` to bind tokens to a DPoP key (RFC 9449 §6.1) and as a stable key id.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        let digest: [u8; 32] = sha2::Sha256::digest(self.canonical_json().as_bytes()).into();
        URL_SAFE_NO_PAD.encode(digest)
    }
}

impl Serialize for PublicJwk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            JwkParams::Ec { x, y } => {
                let mut s = serializer.serialize_struct("PublicJwk", 4)?;
                s.serialize_field("crv", "P-256")?;
                s.serialize_field("kty", "EC")?;
                s.serialize_field("x", x)?;
                s.serialize_field("y", y)?;
                s.end()
            }
            JwkParams::Rsa { n, e } => {
                let mut s = serializer.serialize_struct("PublicJwk", 3)?;
                s.serialize_field("e", e)?;
                s.serialize_field("kty", "RSA")?;
                s.serialize_field("n", n)?;
                s.end()
            }
        }
    }
}

/// A private signing key: EC P-256 for `ES256`, or RSA for `RS256` (feature `jose-rsa`).
///
/// `Debug` names the algorithm and nothing else; there is no `Display` and no `Clone`; the key
/// material is wiped when the value is dropped (the RustCrypto key types zeroize themselves).
///
/// # Security
///
/// This is the client's long-term credential: whoever holds it can authenticate as the client.
/// Load it from a protected store, keep one copy, and never log it.
pub struct SigningKey {
    inner: Inner,
}

enum Inner {
    Es256(p256::ecdsa::SigningKey),
    #[cfg(feature = "jose-rsa")]
    Rs256(alloc::boxed::Box<rsa_key::RsaKey>),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm().name())
            .field("key", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    /// Load an unencrypted PKCS#8 private key from PEM (`-----BEGIN PRIVATE KEY-----`, RFC 7468
    /// §10): EC on P-256 gives an `ES256` key, RSA (with the `jose-rsa` feature) an `RS256` key.
    ///
    /// # Errors
    ///
    /// [`JoseError::Pem`] if the text is not PEM, [`JoseError::NotPkcs8`] for any other PEM label,
    /// and the errors of [`SigningKey::from_pkcs8_der`].
    ///
    /// ```
    /// use mcp_oauth_core::jose::{JoseError, SigningKey};
    ///
    /// let sec1 = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
    /// assert_eq!(SigningKey::from_pkcs8_pem(sec1).unwrap_err(), JoseError::NotPkcs8);
    /// assert_eq!(SigningKey::from_pkcs8_pem("not a key").unwrap_err(), JoseError::Pem);
    /// ```
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, JoseError> {
        let (label, mut der) =
            p256::pkcs8::der::pem::decode_vec(pem.trim().as_bytes()).map_err(|_| JoseError::Pem)?;
        let result = if label == "PRIVATE KEY" {
            Self::from_pkcs8_der(&der)
        } else {
            Err(JoseError::NotPkcs8)
        };
        crate::secret::wipe_bytes(&mut der);
        result
    }

    /// Load an unencrypted PKCS#8 `PrivateKeyInfo` (RFC 5958 §2) from DER.
    ///
    /// # Errors
    ///
    /// [`JoseError::Pkcs8`] for malformed DER or key data, [`JoseError::UnsupportedCurve`] for EC
    /// keys not on P-256, [`JoseError::UnsupportedKeyType`] for other algorithms,
    /// [`JoseError::RsaNotEnabled`] for RSA keys without the `jose-rsa` feature and
    /// [`JoseError::RsaKeyTooSmall`] for RSA moduli under 2048 bits.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, JoseError> {
        let info = PrivateKeyInfoRef::from_der(der).map_err(|_| JoseError::Pkcs8)?;
        let oid = info.algorithm.oid;
        if oid == OID_EC_PUBLIC_KEY {
            if info.algorithm.parameters_oid().ok() != Some(OID_SECP256R1) {
                return Err(JoseError::UnsupportedCurve);
            }
            let key = p256::ecdsa::SigningKey::try_from(info).map_err(|_| JoseError::Pkcs8)?;
            Ok(Self {
                inner: Inner::Es256(key),
            })
        } else if oid == OID_RSA_ENCRYPTION {
            Self::rsa_from_pkcs8(info, der)
        } else {
            Err(JoseError::UnsupportedKeyType)
        }
    }

    #[cfg(feature = "jose-rsa")]
    fn rsa_from_pkcs8(info: PrivateKeyInfoRef<'_>, der: &[u8]) -> Result<Self, JoseError> {
        let key = rsa_key::RsaKey::from_pkcs8(info, der)?;
        Ok(Self {
            inner: Inner::Rs256(alloc::boxed::Box::new(key)),
        })
    }

    #[cfg(not(feature = "jose-rsa"))]
    #[allow(clippy::unnecessary_wraps, reason = "same signature as with jose-rsa")]
    fn rsa_from_pkcs8(_info: PrivateKeyInfoRef<'_>, _der: &[u8]) -> Result<Self, JoseError> {
        Err(JoseError::RsaNotEnabled)
    }

    /// An `ES256` key from a raw 32-byte big-endian P-256 secret scalar (SEC 1 §2.3.6), for
    /// ephemeral keys made from an [`Entropy`](crate::Entropy) (e.g. a per-session DPoP key).
    ///
    /// # Errors
    ///
    /// [`JoseError::InvalidScalar`] if the bytes are zero or not below the group order (for
    /// uniformly random bytes, a chance of about 2⁻³²).
    ///
    /// ```
    /// use mcp_oauth_core::jose::{Algorithm, JoseError, SigningKey};
    /// use mcp_oauth_core::Entropy;
    ///
    /// let entropy = Entropy::new([7; 32]);
    /// let key = SigningKey::es256_from_secret_bytes(entropy.bytes())?;
    /// assert_eq!(key.algorithm(), Algorithm::Es256);
    /// assert_eq!(SigningKey::es256_from_secret_bytes(&[0; 32]).unwrap_err(), JoseError::InvalidScalar);
    /// # Ok::<(), JoseError>(())
    /// ```
    pub fn es256_from_secret_bytes(bytes: &[u8; 32]) -> Result<Self, JoseError> {
        let key =
            p256::ecdsa::SigningKey::from_slice(bytes).map_err(|_| JoseError::InvalidScalar)?;
        Ok(Self {
            inner: Inner::Es256(key),
        })
    }

    /// The algorithm this key signs with (`alg`).
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self.inner {
            Inner::Es256(_) => Algorithm::Es256,
            #[cfg(feature = "jose-rsa")]
            Inner::Rs256(_) => Algorithm::Rs256,
        }
    }

    /// The public half as a JWK (RFC 7517 §4, RFC 7518 §6.2.1 and §6.3.1).
    #[must_use]
    pub fn public_jwk(&self) -> PublicJwk {
        match &self.inner {
            Inner::Es256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                // Uncompressed SEC1: 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
                let bytes = point.as_bytes();
                PublicJwk::ec(
                    bytes.get(1..33).unwrap_or_default(),
                    bytes.get(33..65).unwrap_or_default(),
                )
            }
            #[cfg(feature = "jose-rsa")]
            Inner::Rs256(key) => key.public_jwk(),
        }
    }

    /// Sign `claims` as a JWS in compact serialization (RFC 7515 §7.1):
    /// `BASE64URL(header) . BASE64URL(JSON(claims)) . BASE64URL(signature)`.
    ///
    /// The header is `{"alg": …}` followed by `typ` and `kid` when set and `jwk` (this key's
    /// public half) when [`JwsHeader::embed_jwk`] is set. The claims are serialized with
    /// `serde_json`, so a struct keeps its field order.
    ///
    /// # Errors
    ///
    /// [`JoseError::Serialize`] if the claims fail to serialize (a `Serialize` impl that errors),
    /// [`JoseError::Signing`] if the signing primitive fails.
    ///
    /// # Security
    ///
    /// The result is a bearer credential for as long as its claims make it valid: treat it like
    /// a token.
    pub fn sign_compact<C: Serialize>(
        &self,
        header: &JwsHeader<'_>,
        claims: &C,
    ) -> Result<String, JoseError> {
        let jwk = header.embed_jwk.then(|| self.public_jwk());
        let header_json = serde_json::to_vec(&HeaderJson {
            alg: self.algorithm().name(),
            typ: header.typ,
            kid: header.kid,
            jwk: jwk.as_ref(),
        })
        .map_err(|_| JoseError::Serialize)?;
        let mut payload = serde_json::to_vec(claims).map_err(|_| JoseError::Serialize)?;
        let result = self.sign_parts(&header_json, &payload);
        crate::secret::wipe_bytes(&mut payload);
        result
    }

    /// Sign the exact header and payload octets (RFC 7515 §5.1 steps 2–6).
    fn sign_parts(&self, header: &[u8], payload: &[u8]) -> Result<String, JoseError> {
        let mut out =
            String::with_capacity((header.len() + payload.len()).saturating_mul(4) / 3 + 2 + 512);
        URL_SAFE_NO_PAD.encode_string(header, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut out);
        let signature = self.sign_bytes(out.as_bytes())?;
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        Ok(out)
    }

    /// The raw JWS signature over the signing input (RFC 7518 §3.3, §3.4).
    fn sign_bytes(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        match &self.inner {
            Inner::Es256(key) => {
                use p256::ecdsa::signature::Signer as _;
                let signature: p256::ecdsa::Signature =
                    key.try_sign(input).map_err(|_| JoseError::Signing)?;
                // `to_bytes` is the fixed-width `r ‖ s` JWS wants (RFC 7518 §3.4), not DER.
                Ok(signature.to_bytes().to_vec())
            }
            #[cfg(feature = "jose-rsa")]
            Inner::Rs256(key) => key.sign(input),
        }
    }
}

#[cfg(feature = "jose-rsa")]
mod rsa_key {
    //! RS256 keys: RustCrypto `rsa`, with deterministic blinding.

    use alloc::vec::Vec;
    use core::convert::Infallible;

    use rsa::rand_core::{TryCryptoRng, TryRng};
    use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
    use rsa::traits::PublicKeyParts as _;
    use sha2::Digest as _;

    use super::{JoseError, PrivateKeyInfoRef, PublicJwk, RSA_MIN_BITS};

    /// An RSA key and the secret that seeds its blinding values.
    pub(super) struct RsaKey {
        key: rsa::pkcs1v15::SigningKey<sha2::Sha256>,
        /// SHA-256 of the PKCS#8 DER: as secret as the key, so blinding values derived from it
        /// are unpredictable to anyone without the key.
        blinding_seed: [u8; 32],
    }

    impl RsaKey {
        pub(super) fn from_pkcs8(
            info: PrivateKeyInfoRef<'_>,
            der: &[u8],
        ) -> Result<Self, JoseError> {
            let private = rsa::PrivateKey::try_from(info).map_err(|_| JoseError::Pkcs8)?;
            let bits = private.size().saturating_mul(8);
            if bits < RSA_MIN_BITS {
                return Err(JoseError::RsaKeyTooSmall { bits });
            }
            Ok(Self {
                key: rsa::pkcs1v15::SigningKey::new(private),
                blinding_seed: sha2::Sha256::digest(der).into(),
            })
        }

        pub(super) fn public_jwk(&self) -> PublicJwk {
            let public = self.key.as_ref().as_public_key();
            PublicJwk::rsa(&public.n_bytes(), &public.e_bytes())
        }

        pub(super) fn sign(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
            let mut rng = BlindingRng::new(&self.blinding_seed, input);
            let signature = self
                .key
                .try_sign_with_rng(&mut rng, input)
                .map_err(|_| JoseError::Signing)?;
            Ok(signature.to_vec())
        }
    }

    impl Drop for RsaKey {
        fn drop(&mut self) {
            crate::secret::wipe_slice(&mut self.blinding_seed);
        }
    }

    /// SHA-256 in counter mode over (seed, message digest): the blinding factors for one
    /// signature. Blinding only masks timing; the signature is the same whatever the factor.
    struct BlindingRng {
        key: [u8; 32],
        counter: u64,
        block: [u8; 32],
        used: usize,
    }

    impl BlindingRng {
        fn new(seed: &[u8; 32], message: &[u8]) -> Self {
            let mut hasher = sha2::Sha256::new();
            hasher.update(b"mcp-oauth rsa blinding");
            hasher.update(seed);
            hasher.update(sha2::Sha256::digest(message));
            Self {
                key: hasher.finalize().into(),
                counter: 0,
                block: [0; 32],
                used: 32,
            }
        }

        fn next_byte(&mut self) -> u8 {
            if self.used >= self.block.len() {
                let mut hasher = sha2::Sha256::new();
                hasher.update(self.key);
                hasher.update(self.counter.to_be_bytes());
                self.block = hasher.finalize().into();
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            let byte = self.block.get(self.used).copied().unwrap_or_default();
            self.used = self.used.saturating_add(1);
            byte
        }
    }

    impl TryRng for BlindingRng {
        type Error = Infallible;

        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            let mut bytes = [0; 4];
            self.try_fill_bytes(&mut bytes)?;
            Ok(u32::from_le_bytes(bytes))
        }

        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            let mut bytes = [0; 8];
            self.try_fill_bytes(&mut bytes)?;
            Ok(u64::from_le_bytes(bytes))
        }

        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            for byte in dst {
                *byte = self.next_byte();
            }
            Ok(())
        }
    }

    impl TryCryptoRng for BlindingRng {}

    impl Drop for BlindingRng {
        fn drop(&mut self) {
            crate::secret::wipe_slice(&mut self.key);
            crate::secret::wipe_slice(&mut self.block);
        }
    }
}

#[cfg(test)]
mod tests;
