//! The functional administrator's operations: members and delivery, dead letters,
//! divergences and the audit, resending, the access log.

use doorbraak_model::RuleViolation;
use doorbraak_model::access::Operation;
use doorbraak_store::AccessEntry;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{Node, NodeError, User};

/// Most access-log entries one answer holds (the CSV export asks for all of them).
pub const MAX_ACCESS_LOG: i64 = 10_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct PeerView {
    pub oin: String,
    pub name: String,
    pub kind: doorbraak_model::OrgKind,
    pub endpoint: String,
    pub roles: Vec<String>,
    pub pending: i64,
    pub delivered: i64,
    pub attempts: i64,
    /// Messages the peer refused for good (set aside, see `last_error`).
    pub rejected: i64,
    pub next_attempt: Option<String>,
    pub oldest_pending: Option<String>,
    pub last_error: Option<String>,
    /// The release the peer announced in its greeting (absent: not heard from yet).
    pub software_version: Option<String>,
    /// Its event versions: the oldest and newest it reads, and the one it writes.
    pub event_versions: Option<[u16; 3]>,
    /// Whether this node and the peer can exchange events (absent: not known yet).
    pub compatible: Option<bool>,
}

/// Members of the federation with the delivery status towards each.
pub async fn peers(node: &Node, u: &User) -> Result<Vec<PeerView>, NodeError> {
    Operation::ReadFederationStatus.check(Some(u.role))?;
    let status = node.store.peer_status().await?;
    let dir = node.directory();
    Ok(dir
        .members()
        .iter()
        .filter(|m| &m.oin != node.oin())
        .map(|m| {
            let s = status.iter().find(|s| s.destination == m.oin.as_str());
            let release = node.peer_release(m.oin.as_str());
            PeerView {
                oin: m.oin.to_string(),
                name: m.name.clone(),
                kind: m.kind,
                endpoint: m.endpoint.clone(),
                roles: m.roles.clone(),
                pending: s.map_or(0, |s| s.pending),
                delivered: s.map_or(0, |s| s.delivered),
                attempts: s.map_or(0, |s| s.attempts),
                rejected: s.map_or(0, |s| s.rejected),
                next_attempt: s.and_then(|s| s.next_attempt.map(|t| t.to_string())),
                oldest_pending: s.and_then(|s| s.oldest_pending.map(|t| t.to_string())),
                last_error: s.and_then(|s| s.last_error.clone()),
                software_version: release.as_ref().map(|r| r.software_version.clone()),
                event_versions: release
                    .as_ref()
                    .map(|r| [r.events.oldest, r.events.newest, r.events.writes]),
                compatible: release.map(|r| r.compatible),
            }
        })
        .collect())
}

/// What the administrator must see of "one writer per stream": messages peers refused for
/// good (dead letters, with the reason), replicas that differed from their home (each repaired
/// from the home), and the store audit.
#[derive(Debug, Serialize, ToSchema)]
pub struct FederationHealth {
    #[schema(value_type = Vec<Object>)]
    pub dead_letters: Vec<doorbraak_store::DeadLetter>,
    #[schema(value_type = Vec<Object>)]
    pub divergences: Vec<doorbraak_store::Divergence>,
    #[schema(value_type = Object)]
    pub audit: doorbraak_store::Audit,
}

/// Dead letters, divergences and the store audit.
pub async fn health(node: &Node, u: &User) -> Result<FederationHealth, NodeError> {
    Operation::ReadFederationStatus.check(Some(u.role))?;
    Ok(FederationHealth {
        dead_letters: node.store.dead_letters(500).await?,
        divergences: node.store.divergences(500).await?,
        audit: node.audit().await?,
    })
}

/// Resend now whatever waits for this member, with a fresh backoff; returns how many messages
/// wait.
pub async fn resend(node: &Node, u: &User, member: &str) -> Result<u64, NodeError> {
    Operation::Resend.check(Some(u.role))?;
    let o = super::escalations::oin("oin", member)?;
    if node.directory().get(&o).is_none() {
        return Err(RuleViolation::NotFound { what: "Member" }.into());
    }
    let n = node.store.reset_backoff(o.as_str(), node.now()).await?;
    node.wake.notify_one();
    node.log_read(u, "federation_peer", o.as_str()).await?;
    Ok(n)
}

/// A person of this node in the overview of users and roles.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub role: doorbraak_model::Role,
    /// `dev` (a development account of node.toml) or `oidc`.
    pub source: String,
    /// When they last and first logged in; never for a development account not used yet.
    pub last_seen: Option<doorbraak_model::Timestamp>,
    pub first_seen: Option<doorbraak_model::Timestamp>,
    /// Where their notifications are mailed; none: in the app only.
    pub email: Option<String>,
}

/// How a person logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginSource {
    Dev,
    Oidc,
}

impl LoginSource {
    fn code(self) -> &'static str {
        match self {
            LoginSource::Dev => "dev",
            LoginSource::Oidc => "oidc",
        }
    }
}

/// A person logged in on the web: logged, and remembered with their name and role as now
/// (for the overview of users, and to find them by name in the access log).
/// `email` is the OIDC `email` claim (kept only when it looks like an address); for a
/// development account its address in node.toml.
pub async fn logged_in(
    node: &Node,
    u: &User,
    source: LoginSource,
    email: Option<&str>,
) -> Result<(), NodeError> {
    node.log_read(u, "session", "login").await?;
    let email = match source {
        LoginSource::Oidc => email.filter(|e| crate::settings::plausible_email(e)),
        LoginSource::Dev => node
            .settings
            .dev_users
            .iter()
            .find(|d| d.id == u.id)
            .and_then(|d| d.email.as_deref()),
    };
    node.store
        .person_seen(
            &u.id,
            &u.name,
            u.role.code(),
            source.code(),
            email,
            node.now(),
        )
        .await?;
    Ok(())
}

/// The node's people and their roles: everyone who logged in, and the development accounts
/// of the configuration (also before their first login), by name.
pub async fn people(node: &Node, u: &User) -> Result<Vec<Person>, NodeError> {
    Operation::ReadAccessLog.check(Some(u.role))?;
    node.log_read(u, "persons", "*").await?;
    let mut out: Vec<Person> = Vec::new();
    for p in node.store.persons().await? {
        let Ok(role) = p.role.parse::<doorbraak_model::Role>() else {
            tracing::warn!(person = %p.id, role = %p.role, "a stored role is unknown; left out");
            continue;
        };
        out.push(Person {
            id: p.id,
            name: p.name,
            role,
            source: p.source,
            last_seen: Some(p.last_seen),
            first_seen: Some(p.first_seen),
            email: p.email,
        });
    }
    for d in &node.settings.dev_users {
        if !out.iter().any(|p| p.id == d.id) {
            out.push(Person {
                id: d.id.clone(),
                name: d.name.clone(),
                role: d.role,
                source: LoginSource::Dev.code().into(),
                last_seen: None,
                first_seen: None,
                email: d.email.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// Why the directory was not reloaded.
#[derive(Debug, thiserror::Error)]
pub enum ReloadRefused {
    /// Refused for who asks (a rule), or the log could not be written.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The manifest on disk is invalid or older; the directory in use stays.
    #[error(transparent)]
    Directory(#[from] crate::directory::ReloadError),
}

/// Re-read and verify the directory manifest (the administrator, after the region's operator
/// published a new one); the number of members now. The attempt is logged.
pub async fn reload_directory(node: &Node, u: &User) -> Result<usize, ReloadRefused> {
    Operation::ReloadDirectory
        .check(Some(u.role))
        .map_err(NodeError::from)?;
    node.log_change(u, "federation", "directory").await?;
    Ok(node.reload_directory().await?)
}

/// The mail queue for the administrator: counts by state and the latest problems.
#[derive(Debug, Clone)]
pub struct MailQueue {
    pub configured: bool,
    pub counts: Vec<(String, i64)>,
    /// (person, reason, state, attempts, error, when)
    pub problems: Vec<(
        String,
        String,
        String,
        i64,
        String,
        doorbraak_model::Timestamp,
    )>,
}

pub async fn mail_queue(node: &Node, u: &User) -> Result<MailQueue, NodeError> {
    Operation::ReadFederationStatus.check(Some(u.role))?;
    node.log_read(u, "mail_queue", "*").await?;
    Ok(MailQueue {
        configured: node.settings.mail.is_some(),
        counts: node.store.mail_counts().await?,
        problems: node.store.mail_problems(20).await?,
    })
}

/// Most days the development clock moves ahead.
pub use crate::MAX_CLOCK_DAYS;

/// Move this node's development clock ahead (the demo, to show deadlines passing); refused
/// where the configuration fixes it. The change is logged.
pub async fn set_clock(node: &Node, u: &User, days: i64) -> Result<(), NodeError> {
    Operation::ReloadDirectory.check(Some(u.role))?;
    if !(0..=MAX_CLOCK_DAYS).contains(&days) {
        return Err(RuleViolation::InvalidField {
            field: "days",
            reason: "must be between 0 and 3650",
        }
        .into());
    }
    node.set_clock_offset_days(days)?;
    node.log_change(u, "dev_clock", &days.to_string()).await
}

/// The access log, newest first (the read itself logged first).
pub async fn access_log(
    node: &Node,
    u: &User,
    object_id: Option<&str>,
    user_id: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<AccessEntry>, NodeError> {
    Operation::ReadAccessLog.check(Some(u.role))?;
    let limit = super::lists::limit(limit, MAX_ACCESS_LOG)?;
    node.log_read(u, "access_log", "*").await?;
    Ok(node.store.access_log(object_id, user_id, limit).await?)
}

/// One page of the access log within a period (the screens' view of it).
pub async fn access_log_page(
    node: &Node,
    u: &User,
    filter: doorbraak_store::AccessLogFilter,
) -> Result<Vec<AccessEntry>, NodeError> {
    Operation::ReadAccessLog.check(Some(u.role))?;
    let limit = super::lists::limit(Some(filter.limit), MAX_ACCESS_LOG)?;
    node.log_read(u, "access_log", "*").await?;
    Ok(node
        .store
        .access_log_page(&doorbraak_store::AccessLogFilter { limit, ..filter })
        .await?)
}
