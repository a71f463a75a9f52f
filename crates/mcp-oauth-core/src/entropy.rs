//! Randomness as a value.
//!
//! The core never draws random numbers. Operations that need unpredictability (the PKCE code
//! verifier, the `state` value) take an [`Entropy`]: 32 bytes the caller fills from a
//! cryptographically secure generator (`getrandom`, a hardware RNG, …). A test passes fixed bytes
//! and gets deterministic output.

use core::fmt;

/// 32 bytes of caller-supplied randomness (256 bits, RFC 7636 §7.1).
///
/// Not `Clone` or `Copy`: each value is meant to be consumed once, so a PKCE verifier and a
/// `state` can never be derived from the same bytes by accident. `Debug` is redacted and the
/// bytes are wiped on drop.
///
/// # Security
///
/// The bytes MUST come from a CSPRNG. Anyone who can predict them can predict the PKCE verifier
/// and the `state` derived from them.
///
/// ```
/// use mcp_oauth_core::Entropy;
///
/// let e = Entropy::new([7u8; 32]);
/// assert_eq!(format!("{e:?}"), "Entropy([redacted])");
/// ```
pub struct Entropy([u8; 32]);

impl Entropy {
    /// The number of bytes in one [`Entropy`].
    pub const LEN: usize = 32;

    /// Wrap 32 random bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    ///
    /// # Security
    ///
    /// Anything derived from these bytes is as secret as the value it is turned into.
    #[must_use]
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Entropy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Entropy([redacted])")
    }
}

impl Drop for Entropy {
    fn drop(&mut self) {
        crate::secret::wipe_slice(&mut self.0);
    }
}
