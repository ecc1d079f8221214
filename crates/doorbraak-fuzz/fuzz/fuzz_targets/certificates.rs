//! A certificate (DER) as a peer presents it or a signature carries it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| doorbraak_fuzz::certificate(data, &[]));
