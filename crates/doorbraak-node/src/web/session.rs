//! Browser sessions' cookie: an opaque random id in an HttpOnly, SameSite=Lax cookie; everything
//! else is the application's (`doorbraak_app::sessions`), kept on the node.

use std::time::Duration;

pub use doorbraak_app::sessions::{
    Flash, PendingLogin, SessionError, SessionView, Sessions, random_token, same_secret,
};

/// The session cookie's name carries the node's OIN: cookies do not tell ports apart, and a
/// browser may be logged in at several nodes on one host (the demo).
pub fn cookie_name(oin: &str, secure: bool) -> String {
    // `__Host-`: the browser takes it only from this host, over a secure connection, for
    // path `/`, so no other site or subdomain can plant one
    if secure {
        format!("__Host-doorbraak_sessie_{oin}")
    } else {
        format!("doorbraak_sessie_{oin}")
    }
}
pub const LANG_COOKIE: &str = "doorbraak_taal";

/// The `Set-Cookie` value for a session id (`None`: delete the cookie).
pub fn session_cookie(name: &str, id: Option<&str>, secure: bool, max_age: Duration) -> String {
    let mut c = cookie::Cookie::build((name.to_owned(), id.unwrap_or("").to_owned()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(cookie::SameSite::Lax);
    c = match id {
        Some(_) => c.max_age(cookie_duration(max_age)),
        None => c.max_age(cookie_duration(Duration::ZERO)),
    };
    c.build().to_string()
}

fn cookie_duration(d: Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Read one cookie from the request headers.
pub fn read_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_store_and_a_store_that_fails_are_told_apart() {
        let full = crate::web::session_error(&SessionError::Full);
        assert_eq!(
            (full.status.as_u16(), full.rule.as_str()),
            (503, "web.sessions_full")
        );
        let gone = SessionError::Store(doorbraak_app::views::StoreError::Corrupt {
            what: "sessions",
            detail: "gone".into(),
        });
        let e = crate::web::session_error(&gone);
        assert_eq!(
            (e.status.as_u16(), e.rule.as_str()),
            (503, "web.sessions_unavailable")
        );
    }

    #[test]
    fn cookie_is_http_only_lax_and_secure_when_asked() {
        assert!(cookie_name("x", true).starts_with("__Host-"));
        let c = session_cookie("s", Some("abc"), true, Duration::from_secs(60));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        let gone = session_cookie("s", None, true, Duration::from_secs(60));
        assert!(gone.contains("Max-Age=0"), "{gone}");
    }

    #[test]
    fn secrets_compare_only_when_equal() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
