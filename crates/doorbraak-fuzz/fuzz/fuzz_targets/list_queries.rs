//! The query strings of the list endpoints (filters, sort, cursor, limits, periods) through the
//! node's real HTTP router: never a 5xx or a panic.
#![no_main]

#[path = "http.rs"]
mod http;

const PATHS: [&str; 9] = [
    "/api/v1/escalations",
    "/api/v1/kwesties",
    "/api/v1/cases",
    "/api/v1/meetings",
    "/api/v1/access-log",
    "/api/v1/notifications",
    "/api/v1/oversight/trend",
    "/escalaties",
    "/zaken",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((which, query)) = data.split_first() else {
        return;
    };
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    let path = PATHS[usize::from(*which) % PATHS.len()];
    let token = if which & 0x80 == 0 {
        "dev-eva-teammanager"
    } else {
        "dev-beheer-admin"
    };
    http::send(
        "GET",
        &format!("{path}?{query}"),
        token,
        "text/plain",
        Vec::new(),
    );
});
