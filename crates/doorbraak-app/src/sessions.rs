//! Browser sessions as the node keeps them: everything of a session (the person, the CSRF
//! token, a pending OpenID Connect login, a one-shot message) stays on the node, in its
//! database (only the id's SHA-256 is stored), so that every instance of the node knows the
//! session and it outlives a restart. A session ends after an idle period and, regardless, a
//! maximum age; a login always starts a new session id (no fixation). The cookie that carries
//! the id is the web's (`doorbraak-node`'s `web::session`).

use std::time::Duration;

use doorbraak_model::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::{Node, User};

/// At most this many sessions of logged-in people; beyond it a login is refused (never is a
/// logged-in session dropped to make room).
const MAX_SESSIONS: i64 = 20_000;
/// At most this many sessions before login (the login page's CSRF token, a pending OpenID
/// Connect login); beyond it the least recently used of those are dropped.
const MAX_ANONYMOUS: i64 = 5_000;
/// A session before login lives this long.
const ANONYMOUS_TTL: Duration = Duration::from_secs(600);
/// A session's last use is written at most this often (not on every page).
const TOUCH_EVERY: Duration = Duration::from_secs(30);

/// No session could be made: too many, or the database did not answer.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("too many sessions on this node")]
    Full,
    #[error("the session store failed: {0}")]
    Store(#[from] doorbraak_store::StoreError),
}

/// A one-shot message shown on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub started: Timestamp,
}

/// What a session holds, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Content {
    user: Option<User>,
    csrf: String,
    flash: Option<Flash>,
    pending: Option<PendingLogin>,
}

/// A copy of what a request needs from its session.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: String,
    pub user: Option<User>,
    pub csrf: String,
}

/// The node's sessions, with their idle and maximum age.
pub struct Sessions {
    store: doorbraak_store::Store,
    idle: Duration,
    max_age: Duration,
    /// [`MAX_SESSIONS`] and [`MAX_ANONYMOUS`] (smaller in tests).
    caps: (i64, i64),
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine;
    let b: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Compare two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    // in time independent of where they differ (a length is no secret)
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    /// Forget the node's ended sessions (the sweeper, about once a minute).
    pub async fn purge(&self) -> Result<u64, doorbraak_store::StoreError> {
        let now = Timestamp::now();
        self.store
            .session_purge(
                ago(now, self.idle),
                ago(now, self.max_age),
                ago(now, ANONYMOUS_TTL),
            )
            .await
    }
}

/// What the database knows a session by: never the cookie's value itself.
fn key(id: &str) -> String {
    hex::encode(sha2::Sha256::digest(id.as_bytes()))
}

fn ago(now: Timestamp, d: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|d| now.checked_sub(d).ok())
        .unwrap_or(Timestamp::MIN)
}

fn encode(c: &Content) -> String {
    // plain structs of strings: serialising them cannot fail
    serde_json::to_string(c).unwrap_or_default()
}

fn decode(data: &str) -> Option<Content> {
    serde_json::from_str(data)
        .map_err(|e| tracing::warn!(error = %e, "an unreadable session is ignored"))
        .ok()
}

impl Sessions {
    /// The sessions of `node`: ended after `idle` without use, or `max_age` after the login.
    pub fn new(node: &Node, idle: Duration, max_age: Duration) -> Self {
        Self::in_store(node.store.clone(), idle, max_age)
    }

    fn in_store(store: doorbraak_store::Store, idle: Duration, max_age: Duration) -> Self {
        Self {
            store,
            idle,
            max_age,
            caps: (MAX_SESSIONS, MAX_ANONYMOUS),
        }
    }

    fn alive(
        &self,
        person: bool,
        created: Timestamp,
        last_seen: Timestamp,
        now: Timestamp,
    ) -> bool {
        let max_age = if person {
            self.max_age
        } else {
            ANONYMOUS_TTL.min(self.max_age)
        };
        last_seen > ago(now, self.idle) && created > ago(now, max_age)
    }

    /// A new session (anonymous, or for `user` after a login); returns its id.
    pub async fn create(&self, user: Option<User>) -> Result<String, SessionError> {
        let now = Timestamp::now();
        let (anonymous, logged_in) = self.store.session_counts().await?;
        let (max_sessions, max_anonymous) = self.caps;
        let full = match user {
            None => anonymous >= max_anonymous,
            Some(_) => logged_in >= max_sessions,
        };
        if full {
            self.store
                .session_purge(
                    ago(now, self.idle),
                    ago(now, self.max_age),
                    ago(now, ANONYMOUS_TTL),
                )
                .await?;
            let (anonymous, logged_in) = self.store.session_counts().await?;
            match user {
                Some(_) if logged_in >= max_sessions => return Err(SessionError::Full),
                // only sessions before login make room for each other
                None if anonymous >= max_anonymous => {
                    self.store.session_drop_oldest_anonymous().await?
                }
                _ => {}
            }
        }
        let id = random_token();
        let person = user.as_ref().map(|u| u.id.clone());
        let content = Content {
            user,
            csrf: random_token(),
            flash: None,
            pending: None,
        };
        self.store
            .session_insert(&key(&id), person.as_deref(), &encode(&content), now)
            .await?;
        Ok(id)
    }

    /// The live session with this id (touching it), or `None` (an expired one is removed). A
    /// database that does not answer is no session (logged, and the person logs in again).
    pub async fn get(&self, id: &str) -> Option<SessionView> {
        let now = Timestamp::now();
        let k = key(id);
        let s = match self.store.session_load(&k).await {
            Ok(s) => s?,
            Err(e) => {
                tracing::warn!(error = %e, "reading a session failed");
                return None;
            }
        };
        if !self.alive(s.person.is_some(), s.created, s.last_seen, now) {
            let _ = self.store.session_delete(&k).await;
            return None;
        }
        if s.last_seen < ago(now, TOUCH_EVERY) {
            let _ = self.store.session_touch(&k, now).await;
        }
        let c = decode(&s.data)?;
        Some(SessionView {
            id: id.to_owned(),
            user: c.user,
            csrf: c.csrf,
        })
    }

    pub async fn remove(&self, id: &str) {
        if let Err(e) = self.store.session_delete(&key(id)).await {
            tracing::warn!(error = %e, "ending a session failed");
        }
    }

    async fn modify<R>(&self, id: &str, f: impl FnOnce(&mut Content) -> R) -> Option<R> {
        let result = self
            .store
            .session_modify(&key(id), |data| match decode(data) {
                Some(mut c) => {
                    let r = f(&mut c);
                    (Some(encode(&c)), Some(r))
                }
                None => (None, None),
            })
            .await;
        match result {
            Ok(r) => r.flatten(),
            Err(e) => {
                tracing::warn!(error = %e, "changing a session failed");
                None
            }
        }
    }

    pub async fn set_flash(&self, id: &str, flash: Flash) {
        self.modify(id, |c| c.flash = Some(flash)).await;
    }

    pub async fn take_flash(&self, id: &str) -> Option<Flash> {
        self.modify(id, |c| c.flash.take()).await.flatten()
    }

    pub async fn set_pending(&self, id: &str, p: PendingLogin) -> bool {
        self.modify(id, |c| c.pending = Some(p)).await.is_some()
    }

    /// The pending login of this session, if `state` is its state (then it is used up); a
    /// wrong state leaves a pending login alone.
    pub async fn take_pending(&self, id: &str, state: &str) -> Option<PendingLogin> {
        self.modify(id, |c| {
            if c.pending
                .as_ref()
                .is_some_and(|p| same_secret(&p.state, state))
            {
                c.pending.take()
            } else {
                None
            }
        })
        .await
        .flatten()
    }
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

    async fn sessions(idle: Duration, max_age: Duration) -> Sessions {
        let dir = std::env::temp_dir().join(format!("doorbraak-sessions-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let store =
            doorbraak_store::Store::connect(&doorbraak_store::testing::fresh_sqlite(&dir), 2)
                .await
                .unwrap();
        Sessions::in_store(store, idle, max_age)
    }

    #[tokio::test]
    async fn sessions_expire_when_idle_and_ids_are_fresh() {
        let s = sessions(Duration::from_millis(300), Duration::from_secs(60)).await;
        let a = s.create(Some(user())).await.unwrap();
        let b = s.create(Some(user())).await.unwrap();
        assert_ne!(a, b);
        assert_eq!(s.get(&a).await.unwrap().user, Some(user()));
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(s.get(&a).await.is_none(), "an idle session must end");
        assert!(s.get("made-up").await.is_none());
    }

    #[tokio::test]
    async fn sessions_end_at_their_maximum_age_even_when_active() {
        let s = sessions(Duration::from_secs(60), Duration::from_millis(400)).await;
        let a = s.create(Some(user())).await.unwrap();
        for _ in 0..3 {
            assert!(s.get(&a).await.is_some());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(s.get(&a).await.is_none());
    }

    #[tokio::test]
    async fn sessions_before_login_never_push_out_logged_in_ones() {
        let mut s = sessions(Duration::from_secs(60), Duration::from_secs(60)).await;
        s.caps = (2, 20);
        let person = s.create(Some(user())).await.unwrap();
        for _ in 0..30 {
            s.create(None).await.unwrap();
        }
        assert!(
            s.get(&person).await.is_some(),
            "a flood of login pages logs nobody out"
        );
        assert_eq!(s.store.session_counts().await.unwrap(), (20, 1));
        // logged-in sessions are refused beyond their cap, never dropped
        s.create(Some(user())).await.unwrap();
        assert!(matches!(
            s.create(Some(user())).await,
            Err(SessionError::Full)
        ));
        assert!(s.get(&person).await.is_some());
    }

    #[tokio::test]
    async fn a_pending_login_is_used_up_only_by_its_own_state_and_a_flash_once() {
        let s = sessions(Duration::from_secs(60), Duration::from_secs(60)).await;
        let id = s.create(None).await.unwrap();
        assert!(
            s.set_pending(
                &id,
                PendingLogin {
                    state: "right".into(),
                    nonce: "n".into(),
                    pkce_verifier: "v".into(),
                    started: Timestamp::now(),
                },
            )
            .await
        );
        assert!(s.take_pending(&id, "wrong").await.is_none());
        assert!(s.take_pending(&id, "right").await.is_some());
        assert!(s.take_pending(&id, "right").await.is_none(), "used once");
        s.set_flash(
            &id,
            Flash {
                ok: true,
                nl: "Opgeslagen".into(),
                en: "Saved".into(),
                rule: None,
                anchor: None,
                input: false,
            },
        )
        .await;
        assert_eq!(s.take_flash(&id).await.unwrap().nl, "Opgeslagen");
        assert!(s.take_flash(&id).await.is_none());
        // the cookie's value is not in the database, only its hash
        assert!(s.store.session_load(&id).await.unwrap().is_none());
        assert!(s.store.session_load(&key(&id)).await.unwrap().is_some());
        s.remove(&id).await;
        assert!(s.get(&id).await.is_none());
    }

    #[tokio::test]
    async fn a_full_store_and_a_store_that_fails_are_told_apart() {
        // a database that is gone: every session call fails, and says so
        let s = sessions(Duration::from_secs(60), Duration::from_secs(60)).await;
        s.store.close().await;
        let err = s.create(None).await.unwrap_err();
        assert!(matches!(err, SessionError::Store(_)), "{err}");
        assert!(s.get("any").await.is_none());
    }
}
