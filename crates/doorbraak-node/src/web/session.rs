//! Browser sessions: an opaque random id in an HttpOnly, SameSite=Lax cookie; everything else
//! (the person, the CSRF token, a pending OpenID Connect login, a one-shot message) stays on the
//! node, in memory. A session ends after an idle period and, regardless, a maximum age; a login
//! always starts a new session id (no fixation).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::app::User;

/// The session cookie's name carries the node's OIN: cookies do not tell ports apart, and a
/// browser may be logged in at several nodes on one host (the demo).
pub fn cookie_name(oin: &str) -> String {
    format!("doorbraak_sessie_{oin}")
}
pub const LANG_COOKIE: &str = "doorbraak_taal";

/// At most this many sessions (logged in or not) are kept; beyond it the oldest are dropped.
const MAX_SESSIONS: usize = 20_000;

/// A one-shot message shown on the next page.
#[derive(Debug, Clone)]
pub struct Flash {
    pub ok: bool,
    pub nl: String,
    pub en: String,
    /// The rule that refused an action, if any.
    pub rule: Option<String>,
}

/// An OpenID Connect login between the redirect to the provider and the callback.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub started: Instant,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: Option<User>,
    pub csrf: String,
    pub created: Instant,
    pub last_seen: Instant,
    pub flash: Option<Flash>,
    pub pending: Option<PendingLogin>,
}

/// A copy of what a request needs from its session.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: String,
    pub user: Option<User>,
    pub csrf: String,
}

pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    idle: Duration,
    max_age: Duration,
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine;
    let b: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Compare two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sessions {
    pub fn new(idle: Duration, max_age: Duration) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            idle,
            max_age,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn alive(&self, s: &Session, now: Instant) -> bool {
        now.duration_since(s.last_seen) < self.idle && now.duration_since(s.created) < self.max_age
    }

    /// A new session (anonymous, or for `user` after a login); returns its id.
    pub fn create(&self, user: Option<User>) -> String {
        let now = Instant::now();
        let id = random_token();
        let mut map = self.lock();
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| {
                now.duration_since(s.last_seen) < self.idle
                    && now.duration_since(s.created) < self.max_age
            });
            if map.len() >= MAX_SESSIONS
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, s)| s.last_seen)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            id.clone(),
            Session {
                user,
                csrf: random_token(),
                created: now,
                last_seen: now,
                flash: None,
                pending: None,
            },
        );
        id
    }

    /// The live session with this id (touching it), or `None` (an expired one is removed).
    pub fn get(&self, id: &str) -> Option<SessionView> {
        let now = Instant::now();
        let mut map = self.lock();
        let alive = map.get(id).map(|s| self.alive(s, now))?;
        if !alive {
            map.remove(id);
            return None;
        }
        let s = map.get_mut(id)?;
        s.last_seen = now;
        Some(SessionView {
            id: id.to_owned(),
            user: s.user.clone(),
            csrf: s.csrf.clone(),
        })
    }

    pub fn remove(&self, id: &str) -> Option<Session> {
        self.lock().remove(id)
    }

    pub fn set_flash(&self, id: &str, flash: Flash) {
        if let Some(s) = self.lock().get_mut(id) {
            s.flash = Some(flash);
        }
    }

    pub fn take_flash(&self, id: &str) -> Option<Flash> {
        self.lock().get_mut(id).and_then(|s| s.flash.take())
    }

    pub fn set_pending(&self, id: &str, p: PendingLogin) -> bool {
        match self.lock().get_mut(id) {
            Some(s) => {
                s.pending = Some(p);
                true
            }
            None => false,
        }
    }

    pub fn take_pending(&self, id: &str) -> Option<PendingLogin> {
        self.lock().get_mut(id).and_then(|s| s.pending.take())
    }
}

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
    use doorbraak_model::Role;

    fn user() -> User {
        User {
            id: "anna".into(),
            name: "Anna".into(),
            role: Role::Professional,
        }
    }

    #[test]
    fn sessions_expire_when_idle_and_ids_are_fresh() {
        let s = Sessions::new(Duration::from_millis(30), Duration::from_secs(60));
        let a = s.create(Some(user()));
        let b = s.create(Some(user()));
        assert_ne!(a, b);
        assert!(s.get(&a).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(s.get(&a).is_none(), "an idle session must end");
        assert!(s.get("made-up").is_none());
    }

    #[test]
    fn sessions_end_at_their_maximum_age_even_when_active() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_millis(40));
        let a = s.create(Some(user()));
        for _ in 0..3 {
            assert!(s.get(&a).is_some());
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(40));
        assert!(s.get(&a).is_none());
    }

    #[test]
    fn cookie_is_http_only_lax_and_secure_when_asked() {
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
