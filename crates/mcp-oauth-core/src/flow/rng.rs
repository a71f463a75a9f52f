//! The flow's deterministic CSPRNG: HMAC-SHA256 keyed by the caller's seed (RFC 2104).
//!
//! Every PKCE verifier and `state` value is `HMAC-SHA256(seed, label ‖ counter)`, with a
//! big-endian 64-bit counter that never repeats for one seed. HMAC-SHA256 is a pseudo-random
//! function, so as long as the 32-byte seed comes from a CSPRNG the outputs are unpredictable and
//! independent; and the same seed gives the same sequence, which makes whole-flow tests
//! reproducible. The labels keep the PKCE and `state` streams apart.

use sha2::Digest as _;

use crate::Entropy;

const BLOCK: usize = 64;

/// HMAC-SHA256 over the concatenation of `parts` (RFC 2104; test vectors from RFC 4231).
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let digest: [u8; 32] = sha2::Sha256::digest(key).into();
        for (dst, src) in block.iter_mut().zip(digest.iter()) {
            *dst = *src;
        }
    } else {
        for (dst, src) in block.iter_mut().zip(key.iter()) {
            *dst = *src;
        }
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for ((i, o), k) in ipad.iter_mut().zip(opad.iter_mut()).zip(block.iter()) {
        *i ^= *k;
        *o ^= *k;
    }
    let mut inner = sha2::Sha256::new();
    inner.update(ipad);
    for part in parts {
        inner.update(part);
    }
    let inner: [u8; 32] = inner.finalize().into();
    let mut outer = sha2::Sha256::new();
    outer.update(opad);
    outer.update(inner);
    let out: [u8; 32] = outer.finalize().into();
    crate::secret::wipe_slice(&mut block);
    crate::secret::wipe_slice(&mut ipad);
    crate::secret::wipe_slice(&mut opad);
    out
}

/// A keyed, counter-mode generator of [`Entropy`] values.
pub(crate) struct Rng {
    key: [u8; 32],
    counter: u64,
}

impl Rng {
    /// Key the generator with the caller's seed.
    pub(crate) fn new(seed: &Entropy) -> Self {
        Self {
            key: *seed.bytes(),
            counter: 0,
        }
    }

    /// The next 32 bytes for `label`.
    pub(crate) fn next(&mut self, label: &[u8]) -> Entropy {
        let counter = self.counter.to_be_bytes();
        self.counter = self.counter.wrapping_add(1);
        Entropy::new(hmac_sha256(&self.key, &[label, &counter]))
    }
}

impl Drop for Rng {
    fn drop(&mut self) {
        crate::secret::wipe_slice(&mut self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> alloc::string::String {
        use core::fmt::Write as _;
        let mut s = alloc::string::String::new();
        for b in bytes {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    // RFC 4231 §4.2 – §4.8 (test case 5 is a truncated output and is skipped).
    #[test]
    fn rfc4231_vectors() {
        let cases: [(&[u8], &[u8], &str); 6] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 20],
                &[0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                &[
                    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                    23, 24, 25,
                ],
                &[0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                &[0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hex(&hmac_sha256(key, &[data])), want);
            // Splitting the message does not change the MAC.
            let (a, b) = data.split_at(data.len() / 2);
            assert_eq!(hex(&hmac_sha256(key, &[a, b])), want);
        }
    }

    #[test]
    fn same_seed_same_sequence_labels_differ() {
        let mut a = Rng::new(&Entropy::new([3; 32]));
        let mut b = Rng::new(&Entropy::new([3; 32]));
        let x = a.next(b"pkce");
        assert_eq!(x.bytes(), b.next(b"pkce").bytes());
        let y = a.next(b"pkce");
        assert_ne!(x.bytes(), y.bytes());
        let mut c = Rng::new(&Entropy::new([3; 32]));
        assert_ne!(c.next(b"state").bytes(), x.bytes());
    }
}
