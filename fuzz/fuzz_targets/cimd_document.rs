//! Fuzz target `cimd_document`: a shim over [`mcp_oauth_fuzz::cimd_document`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_oauth_fuzz::cimd_document(data));
