//! The OAuth `state` parameter (RFC 6749 §4.1.1, §10.12; RFC 9700 §2.1).
//!
//! `state` binds the redirect that comes back to the flow that started it and stops cross-site
//! request forgery. The client sends an unguessable value, unique per flow (checklist Q-8), and
//! discards any authorization response whose `state` is missing or different (C-6).
//!
//! A [`StateToken`] is made from an [`Entropy`] (32 bytes → 43 characters of base64url, 256 bits,
//! well above the 128 bits asked for) and lives on the stack. [`StateToken::verify`] compares a
//! received value in constant time. `Debug` is redacted: `state` is not a credential, but it is
//! the flow's anti-forgery secret until the redirect arrives.
//!
//! ```
//! use mcp_oauth_core::Entropy;
//! use mcp_oauth_core::state::StateToken;
//!
//! let state = StateToken::from_entropy(Entropy::new([9u8; 32]));
//! assert_eq!(state.as_str().len(), 43);
//! assert!(state.verify(state.as_str()));
//! assert!(!state.verify("forged"));
//! assert_eq!(format!("{state:?}"), "StateToken([redacted])");
//! ```

use core::fmt;

use crate::Entropy;
use crate::fixed::{self, Refused, ascii_str};

/// Why a stored string was refused as a `state` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Fewer than 22 characters (under 128 bits) or more than 128.
    #[error("state must be 22 to 128 characters long")]
    Length,
    /// A character outside `[A-Za-z0-9._~-]`.
    #[error("state holds a character outside the unreserved set")]
    Character,
}

/// An unguessable `state` value for one authorization request. Stored inline (no heap).
///
/// Redacted `Debug`, no `Display`, not `Clone`, wiped on drop.
pub struct StateToken {
    buf: [u8; Self::MAX_LEN],
    len: u8,
}

impl StateToken {
    /// The shortest value [`StateToken::new`] accepts: 22 unreserved characters carry at least
    /// 128 bits when random (RFC 6749 §10.10 asks for at least 2^-128 guessing odds).
    pub const MIN_LEN: usize = 22;
    /// The longest value [`StateToken::new`] accepts.
    pub const MAX_LEN: usize = 128;

    /// A fresh value from 32 bytes of caller randomness: 43 characters of `[A-Za-z0-9_-]`.
    ///
    /// The [`Entropy`] is consumed so the same bytes cannot also become a PKCE verifier.
    #[must_use]
    pub fn from_entropy(entropy: Entropy) -> Self {
        let (buf, len) = fixed::from_entropy(&entropy);
        Self { buf, len }
    }

    /// Restore a value, for instance from a persisted flow record. Accepts 22–128 characters of
    /// `[A-Za-z0-9._~-]`.
    ///
    /// # Errors
    ///
    /// [`StateError::Length`] or [`StateError::Character`].
    pub fn new(value: &str) -> Result<Self, StateError> {
        let (buf, len) = fixed::copy_unreserved(value, Self::MIN_LEN).map_err(|e| match e {
            Refused::Length => StateError::Length,
            Refused::Character => StateError::Character,
        })?;
        Ok(Self { buf, len })
    }

    /// The value, for the `state` parameter of the authorization URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        ascii_str(self.as_bytes())
    }

    fn as_bytes(&self) -> &[u8] {
        fixed::filled(&self.buf, self.len)
    }

    /// Whether a received (already decoded) `state` equals this one. Constant time in the
    /// contents; only the lengths can be told apart by timing (checklist C-6).
    #[must_use]
    pub fn verify(&self, received: &str) -> bool {
        self.verify_bytes(received.as_bytes())
    }

    /// [`StateToken::verify`] for raw bytes (a decoded query value need not be UTF-8).
    #[must_use]
    pub fn verify_bytes(&self, received: &[u8]) -> bool {
        crate::secret::constant_time_eq(self.as_bytes(), received)
    }
}

impl fmt::Debug for StateToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateToken([redacted])")
    }
}

impl PartialEq for StateToken {
    /// Constant-time comparison of the values.
    fn eq(&self, other: &Self) -> bool {
        self.verify_bytes(other.as_bytes())
    }
}

impl Eq for StateToken {}

impl Drop for StateToken {
    fn drop(&mut self) {
        crate::secret::wipe_slice(&mut self.buf);
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_entropy_is_43_base64url_q8() {
        let s = StateToken::from_entropy(Entropy::new([0xff; 32]));
        assert_eq!(s.as_str().len(), 43);
        assert!(
            s.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn unique_per_flow_q8() {
        let a = StateToken::from_entropy(Entropy::new([1; 32]));
        let b = StateToken::from_entropy(Entropy::new([2; 32]));
        assert_ne!(a.as_str(), b.as_str());
        assert!(!a.verify(b.as_str()));
    }

    #[test]
    fn verify_constant_time_c6() {
        let s = StateToken::new("abcdefghijklmnopqrstuvwxyz").unwrap();
        assert!(s.verify("abcdefghijklmnopqrstuvwxyz"));
        assert!(!s.verify("abcdefghijklmnopqrstuvwxyZ"));
        assert!(!s.verify("abcdefghijklmnopqrstuvwxy"));
        assert!(!s.verify(""));
    }

    #[test]
    fn restore_checks_grammar() {
        assert_eq!(StateToken::new("short"), Err(StateError::Length));
        assert_eq!(
            StateToken::new("abcdefghijklmnopqrstuvw&"),
            Err(StateError::Character)
        );
        assert_eq!(StateToken::new(&"a".repeat(129)), Err(StateError::Length));
        assert_eq!(
            alloc::format!("{:?}", StateToken::new(&"a".repeat(128)).unwrap()),
            "StateToken([redacted])"
        );
    }
}
