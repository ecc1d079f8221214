//! How each aggregate of the model is stored: its kind, its id, and the query columns of its
//! projection.

use doorbraak_model::stream::Streamed;
use doorbraak_model::{Escalation, Kwestie, Minutes, Recommendation, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The query columns of a projection row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub status: doorbraak_model::Status,
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
    /// When it closed (retention counts from then).
    pub closed_at: Option<Timestamp>,
    /// When it was destroyed (only a tombstone remains).
    pub destroyed_at: Option<Timestamp>,
    /// A legal hold stands.
    pub held: bool,
    /// Parties that have not confirmed the destruction of their replica (OINs, comma-separated).
    pub unconfirmed: Option<String>,
    /// The stream it belongs to (a meeting's escalation).
    pub link: Option<String>,
}

impl Summary {
    /// A summary of this status and nothing else (the rest filled in by each kind).
    pub fn of(status: doorbraak_model::Status) -> Summary {
        Summary {
            status,
            home_oin: None,
            case_ref: None,
            step: None,
            situation: None,
            next_deadline: None,
            overdue: false,
            created_at: None,
            subject: String::new(),
            closed_at: None,
            destroyed_at: None,
            held: false,
            unconfirmed: None,
            link: None,
        }
    }
}

/// The records columns of any stream kept as a record.
fn records_summary<A: Streamed>(a: &A, s: &mut Summary) {
    s.closed_at = a.closed_at();
    s.link = a.linked_escalation();
    if let Some(r) = a.records() {
        s.destroyed_at = r.destroyed.as_ref().map(|t| t.destroyed_at);
        s.held = r.hold.is_some();
        let open = r.unconfirmed(&a.home(), &a.parties());
        s.unconfirmed = (!open.is_empty()).then(|| {
            open.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        });
    }
}

/// An aggregate that the store keeps as an event log plus a projection. What a stream is in
/// the domain (its kind, home, parties, free text) the model says
/// ([`doorbraak_model::stream::Streamed`]); the store adds the projection's query columns.
pub trait Stream:
    Streamed<
        Body: Serialize + DeserializeOwned + Send + Sync,
        Command: Serialize + DeserializeOwned + Send + Sync,
    > + doorbraak_model::notify::Notify
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// The query columns of the aggregate's own kind.
    fn own_summary(&self) -> Summary;

    /// Every query column: the kind's own and the records columns.
    fn summary(&self) -> Summary {
        let mut s = self.own_summary();
        records_summary(self, &mut s);
        s
    }
}

impl Stream for Escalation {
    fn own_summary(&self) -> Summary {
        let cur = self.current();
        Summary {
            home_oin: Some(self.home.oin.to_string()),
            case_ref: Some(self.case_ref.to_string()),
            step: cur.map(|s| i64::from(s.step.number())),
            situation: Some(i64::from(self.situation.number())),
            next_deadline: self.next_deadline(),
            overdue: !self.is_closed() && cur.is_some_and(|s| s.overdue_since.is_some()),
            created_at: Some(self.opened_at),
            subject: self.question.clone(),
            ..Summary::of(self.list_status())
        }
    }
}

impl Stream for Kwestie {
    fn own_summary(&self) -> Summary {
        Summary {
            home_oin: Some(self.org.to_string()),
            case_ref: self.case_ref.as_ref().map(ToString::to_string),
            step: None,
            situation: None,
            next_deadline: self.next_deadline(),
            overdue: self.overdue_since.is_some() && !self.is_closed(),
            created_at: Some(self.raised_at),
            subject: self.obstacle.clone(),
            ..Summary::of(self.list_status())
        }
    }
}

impl Stream for Minutes {
    fn own_summary(&self) -> Summary {
        Summary {
            home_oin: Some(self.scheduled_by.org().to_string()),
            case_ref: None,
            step: Some(i64::from(self.meeting.step.number())),
            situation: None,
            next_deadline: self.next_deadline(),
            overdue: self.is_overdue(),
            created_at: Some(self.meeting.date),
            subject: self.meeting.agenda.clone(),
            ..Summary::of(self.list_status())
        }
    }
}

impl Stream for Recommendation {
    fn own_summary(&self) -> Summary {
        Summary {
            home_oin: Some(self.org.to_string()),
            created_at: Some(self.created_at),
            subject: self.title.clone(),
            ..Summary::of(self.list_status())
        }
    }
}
