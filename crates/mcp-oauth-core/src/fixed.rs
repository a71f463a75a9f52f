//! Inline, fixed-capacity buffers for short unreserved-character secrets: the PKCE verifier
//! ([`crate::pkce::CodeVerifier`]) and `state` ([`crate::state::StateToken`]).
//!
//! Both types keep `buf: [u8; N]` plus a `len: u8` and share the same rules, written once here:
//! a fresh value is the base64url encoding (no padding) of an [`Entropy`] (43 characters), a
//! restored value must be `min..=N` characters of the RFC 3986 unreserved set. Each owner wipes
//! its `buf` on drop and compares values with [`crate::secret::constant_time_eq`].

use base64::Engine as _;

use crate::Entropy;

/// Length of the base64url (no padding) encoding of 32 bytes.
const ENCODED_32_LEN: usize = 43;

/// Why a string cannot be stored; each owner maps it to its public error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Shorter than the minimum or longer than the buffer.
    Length,
    /// A byte outside `[A-Za-z0-9._~-]`.
    Character,
}

/// Whether `b` is an RFC 3986 unreserved character: `A-Z a-z 0-9 - . _ ~`.
#[inline]
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Base64url without padding of 32 bytes: 43 characters of `[A-Za-z0-9_-]`.
pub(crate) fn encode_32(bytes: &[u8; 32]) -> [u8; ENCODED_32_LEN] {
    let mut out = [0u8; ENCODED_32_LEN];
    // 32 input bytes always encode to exactly 43 characters without padding, so the output
    // buffer is large enough and the call cannot fail.
    let written = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode_slice(bytes, &mut out)
        .unwrap_or(0);
    debug_assert_eq!(written, ENCODED_32_LEN);
    out
}

/// View ASCII bytes known to be valid as `&str`.
///
/// Only called on buffers filled with unreserved ASCII, so the fallback to `""` is unreachable;
/// it exists so that no code path can panic.
#[inline]
pub(crate) fn ascii_str(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or("")
}

/// A buffer holding the 43-character encoding of `entropy`, and its length. The encoding is
/// written in place (no temporary copy of the secret to wipe).
pub(crate) fn from_entropy<const N: usize>(entropy: &Entropy) -> ([u8; N], u8) {
    let mut buf = [0u8; N];
    if let Some(dst) = buf.get_mut(..ENCODED_32_LEN) {
        // 32 bytes encode to exactly `ENCODED_32_LEN` characters, so the slice is big enough.
        let written = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(entropy.bytes(), dst)
            .unwrap_or(0);
        debug_assert_eq!(written, ENCODED_32_LEN);
    }
    // Every owner has `N` >= 43, so `buf` holds the whole encoding.
    (buf, 43)
}

/// A buffer holding `value`, which must be `min..=N` unreserved characters (and `N` at most
/// 255), and its length.
pub(crate) fn copy_unreserved<const N: usize>(
    value: &str,
    min: usize,
) -> Result<([u8; N], u8), Refused> {
    let bytes = value.as_bytes();
    if !(min..=N).contains(&bytes.len()) {
        return Err(Refused::Length);
    }
    if !bytes.iter().all(|&b| is_unreserved(b)) {
        return Err(Refused::Character);
    }
    let len = u8::try_from(bytes.len()).map_err(|_| Refused::Length)?;
    let mut buf = [0u8; N];
    buf.get_mut(..bytes.len())
        .ok_or(Refused::Length)?
        .copy_from_slice(bytes);
    Ok((buf, len))
}

/// The filled part of `buf`.
#[inline]
pub(crate) fn filled(buf: &[u8], len: u8) -> &[u8] {
    buf.get(..usize::from(len)).unwrap_or_default()
}
