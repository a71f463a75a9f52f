//! Fuzz target `token_response`: a shim over [`mcp_oauth_fuzz::token_response`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::token_response(data));
