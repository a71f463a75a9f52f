//! Fuzz target `redirect`: a shim over [`mcp_oauth_fuzz::redirect`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::redirect(data));
