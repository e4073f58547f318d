#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| weir_fuzz::path_route(data));
