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

/// At most this many sessions of logged-in people; beyond it a login is refused (never is a
/// logged-in session dropped to make room).
const MAX_SESSIONS: usize = 20_000;
/// At most this many sessions before login (the login page's CSRF token, a pending OpenID
/// Connect login); beyond it the oldest of those are dropped.
const MAX_ANONYMOUS: usize = 5_000;
/// A session before login lives this long.
const ANONYMOUS_TTL: Duration = Duration::from_secs(600);

/// No room for another session.
#[derive(Debug, thiserror::Error)]
#[error("too many sessions on this node")]
pub struct SessionsFull;

/// A one-shot message shown on the next page.
#[derive(Debug, Clone)]
pub struct Flash {
    pub ok: bool,
    pub nl: String,
    pub en: String,
    /// The rule that refused an action, if any.
    pub rule: Option<String>,
    /// The id of the form control whose command was refused (the error summary links to it).
    pub anchor: Option<String>,
    /// The refusal is about what was filled in (422), not about the state or who asks.
    pub input: bool,
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
        let max_age = if s.user.is_some() {
            self.max_age
        } else {
            ANONYMOUS_TTL.min(self.max_age)
        };
        now.duration_since(s.last_seen) < self.idle && now.duration_since(s.created) < max_age
    }

    /// A new session (anonymous, or for `user` after a login); returns its id.
    pub fn create(&self, user: Option<User>) -> Result<String, SessionsFull> {
        let now = Instant::now();
        let id = random_token();
        let mut map = self.lock();
        let (anonymous, logged_in) =
            map.values()
                .fold((0usize, 0usize), |(a, l), s| match s.user {
                    None => (a + 1, l),
                    Some(_) => (a, l + 1),
                });
        let full = match user {
            None => anonymous >= MAX_ANONYMOUS,
            Some(_) => logged_in >= MAX_SESSIONS,
        };
        if full {
            map.retain(|_, s| self.alive(s, now));
            let still = map
                .values()
                .filter(|s| s.user.is_some() == user.is_some())
                .count();
            let cap = if user.is_some() {
                MAX_SESSIONS
            } else {
                MAX_ANONYMOUS
            };
            if still >= cap {
                if user.is_some() {
                    return Err(SessionsFull);
                }
                // only sessions before login make room for each other
                if let Some(oldest) = map
                    .iter()
                    .filter(|(_, s)| s.user.is_none())
                    .min_by_key(|(_, s)| s.last_seen)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
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
        Ok(id)
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

    /// The pending login of this session, if `state` is its state (then it is used up); a
    /// wrong state leaves a pending login alone.
    pub fn take_pending(&self, id: &str, state: &str) -> Option<PendingLogin> {
        let mut map = self.lock();
        let s = map.get_mut(id)?;
        if s.pending
            .as_ref()
            .is_some_and(|p| same_secret(&p.state, state))
        {
            s.pending.take()
        } else {
            None
        }
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
        let a = s.create(Some(user())).unwrap();
        let b = s.create(Some(user())).unwrap();
        assert_ne!(a, b);
        assert!(s.get(&a).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(s.get(&a).is_none(), "an idle session must end");
        assert!(s.get("made-up").is_none());
    }

    #[test]
    fn sessions_end_at_their_maximum_age_even_when_active() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_millis(40));
        let a = s.create(Some(user())).unwrap();
        for _ in 0..3 {
            assert!(s.get(&a).is_some());
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(40));
        assert!(s.get(&a).is_none());
    }

    #[test]
    fn sessions_before_login_never_push_out_logged_in_ones() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_secs(60));
        let person = s.create(Some(user())).unwrap();
        for _ in 0..MAX_ANONYMOUS + 10 {
            s.create(None).unwrap();
        }
        assert!(
            s.get(&person).is_some(),
            "a flood of login pages logs nobody out"
        );
        assert_eq!(s.lock().len(), MAX_ANONYMOUS + 1);
    }

    #[test]
    fn a_pending_login_is_used_up_only_by_its_own_state() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_secs(60));
        let id = s.create(None).unwrap();
        s.set_pending(
            &id,
            PendingLogin {
                state: "right".into(),
                nonce: "n".into(),
                pkce_verifier: "v".into(),
                started: Instant::now(),
            },
        );
        assert!(s.take_pending(&id, "wrong").is_none());
        assert!(s.take_pending(&id, "right").is_some());
        assert!(s.take_pending(&id, "right").is_none(), "used once");
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
