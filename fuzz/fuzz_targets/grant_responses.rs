//! Fuzz target `grant_responses`: a shim over [`mcp_oauth_fuzz::grant_responses`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::grant_responses(data));
