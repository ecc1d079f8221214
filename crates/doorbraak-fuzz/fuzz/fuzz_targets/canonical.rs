//! Canonical JSON of events and commands: what decodes round-trips unchanged.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| doorbraak_fuzz::canonical(data));
