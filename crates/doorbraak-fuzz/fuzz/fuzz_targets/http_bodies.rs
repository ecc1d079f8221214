//! JSON and form bodies through the node's real HTTP router: whatever the body, the answer is
//! a 2xx or a 4xx with a rule, never a 5xx or a panic.
#![no_main]

#[path = "http.rs"]
mod http;

const PATHS: [(&str, &str); 9] = [
    ("/api/v1/cases", "application/json"),
    ("/api/v1/escalations", "application/json"),
    ("/api/v1/kwesties", "application/json"),
    ("/api/v1/meetings", "application/json"),
    ("/api/v1/recommendations", "application/json"),
    ("/api/v1/records/destruction-lists", "application/json"),
    ("/api/v1/cases/LT-1/restriction", "application/json"),
    ("/inloggen/dev", "application/x-www-form-urlencoded"),
    ("/zaken", "application/x-www-form-urlencoded"),
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((which, body)) = data.split_first() else {
        return;
    };
    let (path, content_type) = PATHS[usize::from(*which) % PATHS.len()];
    let token = if which & 0x80 == 0 {
        "dev-eva-teammanager"
    } else {
        "dev-anna-professional"
    };
    http::send("POST", path, token, content_type, body.to_vec());
});
