//! Every gRPC request and response body of the federation's calls, and the events a delivery
//! carries.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| doorbraak_fuzz::grpc_message(data));
