//! A delivery as a member node sends it, judged by the replica's acceptance
//! (`doorbraak_model::acceptance`): whatever arrives, a verdict or a refusal, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| doorbraak_fuzz::replica_acceptance(data));
