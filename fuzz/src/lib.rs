//! Fuzz harnesses for `mcp-oauth-core`: one function per parser plus one that drives the flow
//! state machine. Each `fuzz_targets/<name>.rs` is a one-line shim over the function of the same
//! name, so the harnesses build (and are replayed over the seed corpus by this crate's tests) on
//! stable without libFuzzer; `cargo xtask fuzz` runs them under libFuzzer with nightly.
//!
//! Every harness asserts more than "no panic":
//!
//! - parsers: secrets (tokens, client secrets, authorization codes) found in the input never
//!   appear in the `Debug` of a result or the `Debug`/`Display` of an error; a few
//!   round-trip properties hold (see each function);
//! - [`flow`]: see its docs.
//!
//! The stable proptest suites in `crates/mcp-oauth-core/tests/` cover the same parsers with
//! generated inputs; these harnesses add coverage-guided search over the real-world corpus.

mod flow;
mod parsers;
mod secrets;

pub use flow::flow;
pub use parsers::{
    as_metadata, challenge, cimd_document, cimd_url, grant_responses, prm, redirect,
    registration_response, token_response,
};

/// A fuzz target: its name, its harness, and the folders that seed it.
pub type Target = (&'static str, fn(&[u8]), &'static [&'static str]);

/// The harnesses by fuzz target name, with the folders of `crates/mcp-oauth-core/tests/corpus/`
/// and of `fuzz/seeds/` that seed them. `cargo xtask fuzz` keeps the same table (a test below
/// checks that every target has a binary).
pub const TARGETS: &[Target] = &[
    ("challenge", challenge, &["www-authenticate"]),
    ("prm", prm, &["prm"]),
    ("as_metadata", as_metadata, &["as-metadata"]),
    ("registration_response", registration_response, &["dcr"]),
    ("token_response", token_response, &["token"]),
    ("redirect", redirect, &["redirect"]),
    ("cimd_url", cimd_url, &["cimd-url"]),
    ("cimd_document", cimd_document, &["dcr", "cimd-document"]),
    (
        "grant_responses",
        grant_responses,
        &["token", "grant-responses"],
    ),
    ("flow", flow, &[]),
];

#[cfg(test)]
mod tests;
