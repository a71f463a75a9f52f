//! Fuzz target `flow`: a shim over [`mcp_oauth_fuzz::flow`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::flow(data));
