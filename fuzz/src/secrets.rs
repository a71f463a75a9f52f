//! Finding the secrets in a fuzz input, and asserting that they never leak into output text.

/// The members of a JSON or form body that carry secrets.
pub(crate) const SECRET_MEMBERS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "registration_access_token",
    "id_token",
    "code",
];

/// The values of the [`SECRET_MEMBERS`] of `body` (a JSON object or a form body) that can be
/// recognised unambiguously in output text: see [`unique_in`].
pub(crate) fn secrets_in(body: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        for name in SECRET_MEMBERS {
            if let Some(serde_json::Value::String(s)) = map.get(*name) {
                found.push(s.clone());
            }
        }
    }
    for (name, value) in url::form_urlencoded::parse(body) {
        if SECRET_MEMBERS.contains(&name.as_ref()) {
            found.push(value.into_owned());
        }
    }
    found.retain(|s| unique_in(body, s));
    found
}

/// `secret` can only have come from its own member of `input`: at least 12 ASCII alphanumerics,
/// occurring exactly once in the raw input, and the input holds no escape (`\`, `%`) that could
/// produce it a second time in some other decoded member (an attacker-controlled
/// `error_description` may legitimately be echoed).
pub(crate) fn unique_in(input: &[u8], secret: &str) -> bool {
    secret.len() >= 12
        && secret.bytes().all(|b| b.is_ascii_alphanumeric())
        && !input.iter().any(|&b| b == b'\\' || b == b'%')
        && count(input, secret.as_bytes()) == 1
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
