//! A CRL (DER), as fetched: the open connections are checked against it.
#![no_main]

use std::sync::OnceLock;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static LIVE: OnceLock<doorbraak_federation::revocation::LiveConnections> = OnceLock::new();
    let live =
        LIVE.get_or_init(|| doorbraak_federation::revocation::LiveConnections::new(Vec::new()));
    doorbraak_fuzz::crl(data, live);
});
