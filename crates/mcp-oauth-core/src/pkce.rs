//! Proof Key for Code Exchange (PKCE, RFC 7636) with the `S256` method only.
//!
//! Every authorization-code flow uses PKCE (checklist K-1). The client makes a fresh secret
//! [`CodeVerifier`] per authorization request (K-4), sends its [`CodeChallenge`] in the
//! authorization request together with `code_challenge_method=S256` (K-6), and sends the verifier
//! itself only in the token request of the same flow (K-7).
//!
//! - The verifier is derived from an [`Entropy`]: its 32 bytes are base64url-encoded without
//!   padding, giving 43 characters of `[A-Za-z0-9_-]` and 256 bits of entropy (RFC 7636 §4.1,
//!   §7.1; K-2, K-3).
//! - The challenge is `BASE64URL(SHA-256(ASCII(verifier)))` without padding, always 43 characters
//!   (RFC 7636 §4.2; K-5).
//! - There is deliberately no `plain` method anywhere in this API: the method is always
//!   [`CodeChallenge::METHOD`] (`S256`).
//!
//! Both types live entirely on the stack: creating a pair performs no heap allocation. The
//! verifier is a secret: `Debug` is redacted, there is no `Display`, it is not `Clone`, and its
//! bytes are wiped when it is dropped.
//!
//! ```
//! use mcp_oauth_core::Entropy;
//! use mcp_oauth_core::pkce::{CodeChallenge, CodeVerifier, PkcePair};
//!
//! // RFC 7636 Appendix B.
//! let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
//! assert_eq!(
//!     verifier.challenge().as_str(),
//!     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
//! );
//! assert_eq!(CodeChallenge::METHOD, "S256");
//!
//! // A fresh pair per authorization request, from 32 CSPRNG bytes.
//! let pair = PkcePair::from_entropy(Entropy::new([7u8; 32]));
//! assert_eq!(pair.verifier().secret().len(), 43);
//! assert_eq!(pair.challenge().as_str().len(), 43);
//! assert_eq!(format!("{:?}", pair.verifier()), "CodeVerifier([redacted])");
//! ```

use core::fmt;
use sha2::Digest as _;

use crate::Entropy;
use crate::fixed::{self, Refused, ascii_str, encode_32};

/// Why a string was refused as a code verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkceError {
    /// The verifier is shorter than 43 or longer than 128 characters (RFC 7636 §4.1).
    #[error("code verifier must be 43 to 128 characters long")]
    Length,
    /// The verifier holds a character outside `[A-Za-z0-9._~-]` (RFC 7636 §4.1).
    #[error("code verifier holds a character outside the unreserved set")]
    Character,
}

/// A PKCE code verifier (RFC 7636 §4.1): 43 to 128 characters of `[A-Za-z0-9._~-]`.
///
/// Stored inline (no heap). Secret: redacted `Debug`, no `Display`, not `Clone` (one verifier per
/// flow, K-4), wiped on drop (best effort: moving the value may leave copies on the stack that
/// only the compiler knows about). Send it only in the token request of its own flow (K-7).
pub struct CodeVerifier {
    buf: [u8; Self::MAX_LEN],
    len: u8,
}

impl CodeVerifier {
    /// The shortest verifier RFC 7636 §4.1 allows.
    pub const MIN_LEN: usize = 43;
    /// The longest verifier RFC 7636 §4.1 allows.
    pub const MAX_LEN: usize = 128;

    /// Derive a verifier from 32 bytes of caller randomness: base64url without padding,
    /// 43 characters, 256 bits of entropy (K-2, K-3).
    ///
    /// The [`Entropy`] is consumed so the same bytes cannot also become a `state` value.
    #[must_use]
    pub fn from_entropy(entropy: Entropy) -> Self {
        let (buf, len) = fixed::from_entropy(&entropy);
        Self { buf, len }
    }

    /// Take an existing verifier (for example one restored from a persisted flow record),
    /// checking the RFC 7636 §4.1 grammar.
    ///
    /// # Errors
    ///
    /// [`PkceError::Length`] outside 43–128 characters, [`PkceError::Character`] for any
    /// character outside `[A-Za-z0-9._~-]`.
    pub fn new(verifier: &str) -> Result<Self, PkceError> {
        let (buf, len) = fixed::copy_unreserved(verifier, Self::MIN_LEN).map_err(|e| match e {
            Refused::Length => PkceError::Length,
            Refused::Character => PkceError::Character,
        })?;
        Ok(Self { buf, len })
    }

    /// The verifier text, for the `code_verifier` parameter of the token request.
    ///
    /// # Security
    ///
    /// This is the proof that the token request comes from the client that started the flow.
    /// Do not log it, and send it only to the token endpoint of the authorization server the flow
    /// was started with.
    #[must_use]
    pub fn secret(&self) -> &str {
        ascii_str(fixed::filled(&self.buf, self.len))
    }

    /// The S256 challenge of this verifier (RFC 7636 §4.2). Computed on the stack.
    #[must_use]
    pub fn challenge(&self) -> CodeChallenge {
        let digest: [u8; 32] = sha2::Sha256::digest(self.secret().as_bytes()).into();
        CodeChallenge(encode_32(&digest))
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

impl PartialEq for CodeVerifier {
    /// Constant-time comparison of the verifier text.
    fn eq(&self, other: &Self) -> bool {
        crate::secret::constant_time_eq(self.secret().as_bytes(), other.secret().as_bytes())
    }
}

impl Eq for CodeVerifier {}

impl Drop for CodeVerifier {
    fn drop(&mut self) {
        crate::secret::wipe_slice(&mut self.buf);
        self.len = 0;
    }
}

/// An S256 code challenge (RFC 7636 §4.2): 43 characters of base64url, sent as
/// `code_challenge` together with `code_challenge_method=S256`.
///
/// Not secret: it travels in the authorization URL. Stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeChallenge([u8; 43]);

impl CodeChallenge {
    /// The only challenge method this crate sends (K-6). `plain` is never offered.
    pub const METHOD: &'static str = "S256";

    /// The challenge text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The challenge method, always `S256`.
    #[must_use]
    pub const fn method(&self) -> &'static str {
        Self::METHOD
    }
}

impl fmt::Debug for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CodeChallenge")
            .field(&self.as_str())
            .finish()
    }
}

impl fmt::Display for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verifier and its S256 challenge, made together for one authorization request.
///
/// Keep the pair (or at least the verifier, [`PkcePair::into_verifier`]) in the flow record next
/// to `state`, the expected issuer, `redirect_uri`, `resource` and the requested scopes (K-9).
#[derive(Debug)]
pub struct PkcePair {
    verifier: CodeVerifier,
    challenge: CodeChallenge,
}

impl PkcePair {
    /// A fresh pair from 32 bytes of caller randomness. No heap allocation.
    #[must_use]
    pub fn from_entropy(entropy: Entropy) -> Self {
        Self::from_verifier(CodeVerifier::from_entropy(entropy))
    }

    /// Pair an existing verifier with its challenge.
    #[must_use]
    pub fn from_verifier(verifier: CodeVerifier) -> Self {
        let challenge = verifier.challenge();
        Self {
            verifier,
            challenge,
        }
    }

    /// The verifier (secret; for the token request).
    #[must_use]
    pub fn verifier(&self) -> &CodeVerifier {
        &self.verifier
    }

    /// The challenge (public; for the authorization request).
    #[must_use]
    pub fn challenge(&self) -> &CodeChallenge {
        &self.challenge
    }

    /// Keep only the verifier, once the authorization URL has been built.
    #[must_use]
    pub fn into_verifier(self) -> CodeVerifier {
        self.verifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_vector_k5() {
        let v = CodeVerifier::new(RFC_VERIFIER).unwrap();
        assert_eq!(v.challenge().as_str(), RFC_CHALLENGE);
        assert_eq!(v.challenge().method(), "S256");
    }

    #[test]
    fn rfc7636_appendix_b_entropy_k3() {
        // RFC 7636 Appendix B: these 32 octets encode to the verifier above.
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let pair = PkcePair::from_entropy(Entropy::new(octets));
        assert_eq!(pair.verifier().secret(), RFC_VERIFIER);
        assert_eq!(pair.challenge().as_str(), RFC_CHALLENGE);
    }

    #[test]
    fn verifier_grammar_k2() {
        assert_eq!(CodeVerifier::new(&"a".repeat(42)), Err(PkceError::Length));
        assert!(CodeVerifier::new(&"a".repeat(43)).is_ok());
        assert!(CodeVerifier::new(&"~._-".repeat(32)).is_ok());
        assert_eq!(CodeVerifier::new(&"a".repeat(129)), Err(PkceError::Length));
        let mut bad = "a".repeat(42);
        bad.push('+');
        assert_eq!(CodeVerifier::new(&bad), Err(PkceError::Character));
        let mut bad = "a".repeat(42);
        bad.push('=');
        assert_eq!(CodeVerifier::new(&bad), Err(PkceError::Character));
        // 43 bytes, but 42 characters: still refused.
        let mut bad = "a".repeat(41);
        bad.push('\u{e9}');
        assert_eq!(CodeVerifier::new(&bad), Err(PkceError::Character));
    }

    #[test]
    fn debug_redacted_and_wiped() {
        let v = CodeVerifier::new(RFC_VERIFIER).unwrap();
        let dbg = format!("{v:?}");
        assert_eq!(dbg, "CodeVerifier([redacted])");
        let pair = PkcePair::from_verifier(v);
        assert!(!format!("{pair:?}").contains(RFC_VERIFIER));
        let mut v = pair.into_verifier();
        // Run the wipe explicitly and check its effect.
        crate::secret::wipe_slice(&mut v.buf);
        assert!(v.buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn fresh_pair_per_flow_k4() {
        let a = PkcePair::from_entropy(Entropy::new([1; 32]));
        let b = PkcePair::from_entropy(Entropy::new([2; 32]));
        assert_ne!(a.challenge(), b.challenge());
        assert_ne!(a.verifier(), b.verifier());
    }
}
