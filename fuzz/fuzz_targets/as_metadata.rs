//! Fuzz target `as_metadata`: a shim over [`mcp_oauth_fuzz::as_metadata`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::as_metadata(data));
