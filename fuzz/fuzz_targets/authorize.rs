#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_mcp_fuzz::authorize(data));
