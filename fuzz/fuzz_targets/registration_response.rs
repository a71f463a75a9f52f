//! Fuzz target `registration_response`: a shim over [`mcp_oauth_fuzz::registration_response`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::registration_response(data));
