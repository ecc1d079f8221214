//! A signed directory manifest, as read from a file or a URL.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    doorbraak_fuzz::manifest(data, doorbraak_fuzz::SEED_OPERATOR_FINGERPRINT)
});
