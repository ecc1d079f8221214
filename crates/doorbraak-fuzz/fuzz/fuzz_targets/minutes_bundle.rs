//! A minutes bundle given to `doorbraak minutes verify`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    doorbraak_fuzz::bundle(data, &[], doorbraak_fuzz::SEED_OPERATOR_FINGERPRINT)
});
