//! How each aggregate of the model is stored: its kind, its id, and the query columns of its
//! projection.

use doorbraak_model::stream::Streamed;
use doorbraak_model::{Escalation, EscalationStatus, Kwestie, Minutes, Recommendation, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The query columns of a projection row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub status: String,
    pub home_oin: Option<String>,
    pub case_ref: Option<String>,
    pub step: Option<i64>,
    pub situation: Option<i64>,
    pub next_deadline: Option<Timestamp>,
    pub overdue: bool,
    pub created_at: Option<Timestamp>,
    /// What it is about, to show and search in lists (shared free text, shortened by the
    /// store): an escalation's question, a kwestie's obstacle, a meeting's agenda, a
    /// recommendation's title.
    pub subject: String,
}

/// An aggregate that the store keeps as an event log plus a projection. What a stream is in
/// the domain (its kind, home, parties, free text) the model says
/// ([`doorbraak_model::stream::Streamed`]); the store adds the projection's query columns.
pub trait Stream:
    Streamed + doorbraak_model::notify::Notify + Serialize + DeserializeOwned + Send + Sync + 'static
where
    Self::Body: Serialize + DeserializeOwned + Send + Sync,
{
    fn summary(&self) -> Summary;
}

impl Stream for Escalation {
    fn summary(&self) -> Summary {
        let cur = self.current();
        Summary {
            status: match self.status {
                EscalationStatus::Open => "open".into(),
                EscalationStatus::Closed { .. } => "closed".into(),
            },
            home_oin: Some(self.home.oin.to_string()),
            case_ref: Some(self.case_ref.to_string()),
            step: cur.map(|s| i64::from(s.step.number())),
            situation: Some(i64::from(self.situation.number())),
            next_deadline: self.next_deadline(),
            overdue: !self.is_closed() && cur.is_some_and(|s| s.overdue_since.is_some()),
            created_at: Some(self.opened_at),
            subject: self.question.clone(),
        }
    }
}

impl Stream for Kwestie {
    fn summary(&self) -> Summary {
        let status = serde_json::to_value(self.status())
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Summary {
            status,
            home_oin: Some(self.org.to_string()),
            case_ref: self.case_ref.as_ref().map(ToString::to_string),
            step: None,
            situation: None,
            next_deadline: self.next_deadline(),
            overdue: self.overdue_since.is_some() && !self.is_closed(),
            created_at: Some(self.raised_at),
            subject: self.obstacle.clone(),
        }
    }
}

impl Stream for Minutes {
    fn summary(&self) -> Summary {
        let status = match &self.main {
            None => "scheduled",
            Some(d) if d.is_final() => "final",
            Some(d) if d.circulated == Some(d.current_number()) => "circulated",
            Some(_) => "draft",
        };
        Summary {
            status: status.into(),
            home_oin: Some(self.scheduled_by.org().to_string()),
            case_ref: None,
            step: Some(i64::from(self.meeting.step.number())),
            situation: None,
            next_deadline: self.next_deadline(),
            overdue: self.is_overdue(),
            created_at: Some(self.meeting.date),
            subject: self.meeting.agenda.clone(),
        }
    }
}

impl Stream for Recommendation {
    fn summary(&self) -> Summary {
        Summary {
            status: self.status.code().into(),
            home_oin: Some(self.org.to_string()),
            created_at: Some(self.created_at),
            subject: self.title.clone(),
            ..Summary::default()
        }
    }
}
