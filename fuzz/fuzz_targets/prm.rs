//! Fuzz target `prm`: a shim over [`mcp_oauth_fuzz::prm`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::prm(data));
