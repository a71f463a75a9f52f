//! Best-effort wiping of secret strings this crate owns (cookie values, pasted redirect URLs).

/// Overwrite the bytes of `s` with zeros and empty it. Best effort, in safe code: the zeroed
/// buffer goes through [`core::hint::black_box`] so the writes are kept; copies made earlier
/// (by a reallocation) cannot be reached.
pub(crate) fn wipe(s: &mut String) {
    let mut bytes = core::mem::take(s).into_bytes();
    bytes.fill(0);
    core::hint::black_box(&mut bytes);
}

#[cfg(test)]
mod tests {
    #[test]
    fn wipe_empties() {
        let mut s = String::from("session=abc");
        super::wipe(&mut s);
        assert!(s.is_empty());
    }
}
