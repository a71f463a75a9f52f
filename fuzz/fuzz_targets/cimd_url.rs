//! Fuzz target `cimd_url`: a shim over [`mcp_oauth_fuzz::cimd_url`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::cimd_url(data));
