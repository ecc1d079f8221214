//! How each aggregate of the model is stored: its kind, its id, and the query columns of its
//! projection.

use doorbraak_model::{
    Aggregate, Escalation, EscalationStatus, Kwestie, Minutes, Oin, Recommendation, Timestamp,
};
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
}

/// An aggregate that the store keeps as an event log plus a projection.
pub trait Stream: Aggregate + Serialize + DeserializeOwned + Send + Sync + 'static
where
    Self::Body: Serialize + DeserializeOwned + Send + Sync,
{
    /// `escalation`, `kwestie`, `minutes` or `recommendation`.
    const KIND: &'static str;
    /// The stream id (a UUID in text form).
    fn stream_id(&self) -> String;
    fn summary(&self) -> Summary;
    /// Organisations that are party to this stream: they receive its events.
    fn parties(&self) -> Vec<Oin>;
    /// The organisation whose node keeps the authoritative log (the one writer).
    fn home(&self) -> Oin;
    /// Free text of an event, by field (checked for BSN-shaped numbers before it leaves).
    fn free_text(_body: &Self::Body) -> Vec<(&'static str, &str)> {
        Vec::new()
    }
    /// Whether this person (of this organisation) takes part in the stream (a step of an
    /// escalation, a meeting): the roles that see case content only where they take part ask
    /// this.
    fn involves(&self, _person: &doorbraak_model::PersonId, _org: &Oin) -> bool {
        false
    }
}

impl Stream for Escalation {
    const KIND: &'static str = "escalation";

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

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
        }
    }

    fn parties(&self) -> Vec<Oin> {
        self.parties().map(|p| p.oin.clone()).collect()
    }

    fn home(&self) -> Oin {
        self.home.oin.clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }

    fn involves(&self, person: &doorbraak_model::PersonId, org: &Oin) -> bool {
        self.steps
            .iter()
            .flat_map(|s| s.participants.iter())
            .any(|p| &p.person == person && &p.org == org)
    }
}

impl Stream for Kwestie {
    const KIND: &'static str = "kwestie";

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

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
        }
    }

    fn parties(&self) -> Vec<Oin> {
        vec![self.org.clone()]
    }

    fn home(&self) -> Oin {
        self.org.clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }
}

impl Stream for Minutes {
    const KIND: &'static str = "minutes";

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

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
        }
    }

    fn parties(&self) -> Vec<Oin> {
        self.organisations()
    }

    fn home(&self) -> Oin {
        self.scheduled_by.org().clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }

    fn involves(&self, person: &doorbraak_model::PersonId, org: &Oin) -> bool {
        self.meeting
            .participants
            .iter()
            .any(|p| &p.person == person && &p.org == org)
    }
}

impl Stream for Recommendation {
    const KIND: &'static str = "recommendation";

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

    fn summary(&self) -> Summary {
        Summary {
            status: self.status.code().into(),
            home_oin: Some(self.org.to_string()),
            created_at: Some(self.created_at),
            ..Summary::default()
        }
    }

    fn parties(&self) -> Vec<Oin> {
        vec![self.org.clone()]
    }

    fn home(&self) -> Oin {
        self.org.clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }
}
