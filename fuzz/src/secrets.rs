//! Finding the secrets in a fuzz input, and asserting that they never leak into output text.

/// The members of a JSON or form body that carry secrets.
pub(crate) const SECRET_MEMBERS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "registration_access_token",
    "id_token",
    "code",
    "device_code",
];

/// Every secret the harnesses check for contains this marker: ASCII alphanumerics only (so no
/// encoding can hide it) and no word that any error or `Debug` text could contain by itself.
pub(crate) const MARKER: &str = "Zq7sEcReTq9";

/// Whether `input` contains [`MARKER`] (in any case) by itself: then the secret checks are off,
/// since the marker may legitimately be echoed from a non-secret part of the input.
pub(crate) fn has_marker(input: &[u8]) -> bool {
    let m = MARKER.as_bytes();
    input.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m))
}

/// The input with every secret found by [`secrets_in`] replaced by [`MARKER`] and a number, and
/// the needles to look for in output text (empty when nothing was replaced or the input already
/// held the marker).
///
/// Replacing the secret values, rather than searching output for the values the input happened
/// to hold, keeps the check free of false alarms: libFuzzer quickly learns to write secrets
/// equal to words of the output (an error variant name, say).
///
/// `form`: read the input as a form body (as the token parser does for
/// `application/x-www-form-urlencoded`) instead of a JSON object. The secrets must be found the
/// way the parser reads the body: a JSON `error_description` may hold text that reads as a form
/// `refresh_token=…` member, and echoing a description is allowed.
pub(crate) fn mark_secrets(input: &[u8], form: bool) -> (Vec<u8>, Vec<String>) {
    mark(input, &secrets_in(input, form))
}

/// [`mark_secrets`] for secrets found by the caller. Each must satisfy [`unique_in`].
pub(crate) fn mark(input: &[u8], secrets: &[String]) -> (Vec<u8>, Vec<String>) {
    if has_marker(input) || secrets.is_empty() {
        return (input.to_vec(), Vec::new());
    }
    let mut out = input.to_vec();
    for (i, s) in secrets.iter().enumerate() {
        let Some(at) = find(&out, s.as_bytes()) else {
            continue;
        };
        let replacement = format!("{MARKER}{i}");
        out.splice(at..at + s.len(), replacement.bytes());
    }
    (out, vec![MARKER.to_owned()])
}

/// The values of the [`SECRET_MEMBERS`] of `body` (a JSON object, or with `form` a form body)
/// that can be replaced unambiguously: see [`unique_in`].
pub(crate) fn secrets_in(body: &[u8], form: bool) -> Vec<String> {
    let mut found = Vec::new();
    if form {
        for (name, value) in url::form_urlencoded::parse(body) {
            if SECRET_MEMBERS.contains(&name.as_ref()) {
                found.push(value.into_owned());
            }
        }
    } else if let Ok(serde_json::Value::Object(map)) =
        serde_json::from_slice::<serde_json::Value>(body)
    {
        for name in SECRET_MEMBERS {
            if let Some(serde_json::Value::String(s)) = map.get(*name) {
                found.push(s.clone());
            }
        }
    }
    found.retain(|s| unique_in(body, s));
    found.sort();
    found.dedup();
    found
}

/// `secret` is a non-empty run of ASCII alphanumerics occurring exactly once in the raw input,
/// which holds no escape (`\`, `%`): so that one occurrence is the member's value, and
/// replacing it changes nothing but that value.
pub(crate) fn unique_in(input: &[u8], secret: &str) -> bool {
    !secret.is_empty()
        && secret.bytes().all(|b| b.is_ascii_alphanumeric())
        && !input.iter().any(|&b| b == b'\\' || b == b'%')
        && count(input, secret.as_bytes()) == 1
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Panic (a fuzz finding) when `text`, described by `what`, contains any of `secrets`.
pub(crate) fn assert_no_secret(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "secret {s:?} leaked into {what}: {text}"
        );
    }
}

/// [`assert_no_secret`] over the `Debug` of a value.
pub(crate) fn assert_debug_clean<T: core::fmt::Debug>(what: &str, value: &T, secrets: &[String]) {
    if !secrets.is_empty() {
        assert_no_secret(what, &format!("{value:?}"), secrets);
    }
}

/// [`assert_no_secret`] over the `Debug` and `Display` of an error.
pub(crate) fn assert_error_clean<E: core::fmt::Debug + core::fmt::Display>(
    what: &str,
    error: &E,
    secrets: &[String],
) {
    if !secrets.is_empty() {
        assert_no_secret(what, &format!("{error:?}"), secrets);
        assert_no_secret(what, &error.to_string(), secrets);
    }
}
