//! PEM text: certificates, CRLs and keys as configured.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| doorbraak_fuzz::pem(data));
