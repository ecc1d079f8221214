//! What every stream shares: its kind, and an id that names its home.
//!
//! One writer per stream: the organisation that opened an escalation (or scheduled a meeting)
//! is its home, and only its node appends. A stream's id carries a tag derived from the home's
//! OIN, so that any node can tell from the id alone which organisation's node is its home. A
//! party that delivers a stream under an id whose tag is not its own is refused: nobody can
//! pre-empt another home's stream id (see `docs/SECURITY.md`).
//!
//! The id stays a UUIDv7 (time-ordered, 74 random bits): the tag replaces the last 32 of its
//! random bits, which leaves 42 random bits per millisecond per home.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::identity::Oin;

/// The kinds of streams a node keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    Escalation,
    Kwestie,
    Minutes,
    Recommendation,
}

impl StreamKind {
    pub const ALL: [StreamKind; 4] = [
        StreamKind::Escalation,
        StreamKind::Kwestie,
        StreamKind::Minutes,
        StreamKind::Recommendation,
    ];

    /// The kinds that have parties in other organisations (their events cross the wire).
    pub const SHARED: [StreamKind; 2] = [StreamKind::Escalation, StreamKind::Minutes];

    /// The stable code, as stored and sent (`escalation`, `kwestie`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            StreamKind::Escalation => "escalation",
            StreamKind::Kwestie => "kwestie",
            StreamKind::Minutes => "minutes",
            StreamKind::Recommendation => "recommendation",
        }
    }

    /// Does this kind of stream have parties outside its home organisation?
    pub fn is_shared(self) -> bool {
        Self::SHARED.contains(&self)
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An unknown stream kind code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stream kind '{0}'")]
pub struct UnknownStreamKind(pub String);

impl FromStr for StreamKind {
    type Err = UnknownStreamKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownStreamKind(s.chars().take(40).collect()))
    }
}

/// An aggregate kept as a stream: what kind it is, whose node is its home (the one writer),
/// which organisations are party to it (they receive its events), and which of its events'
/// fields are free text (checked for BSN-shaped numbers before anything is stored or sent).
pub trait Streamed: crate::Aggregate {
    const KIND: StreamKind;
    /// The stream id (a UUID in text form).
    fn stream_id(&self) -> String;
    /// Organisations that are party to this stream: they receive its events.
    fn parties(&self) -> Vec<Oin>;
    /// The organisation whose node keeps the authoritative log (the one writer).
    fn home(&self) -> Oin;
    /// Free text of an event, by field.
    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)>;
    /// Whether this person (of this organisation) takes part in the stream (a step of an
    /// escalation, a meeting): the roles that see case content only where they take part ask
    /// this.
    fn involves(&self, _person: &crate::PersonId, _org: &Oin) -> bool {
        false
    }
}

impl Streamed for crate::Escalation {
    const KIND: StreamKind = StreamKind::Escalation;

    fn stream_id(&self) -> String {
        self.id.to_string()
    }

    fn parties(&self) -> Vec<Oin> {
        crate::Escalation::parties(self)
            .map(|p| p.oin.clone())
            .collect()
    }

    fn home(&self) -> Oin {
        self.home.oin.clone()
    }

    fn free_text(body: &Self::Body) -> Vec<(&'static str, &str)> {
        body.free_text()
    }

    fn involves(&self, person: &crate::PersonId, org: &Oin) -> bool {
        self.steps
            .iter()
            .flat_map(|s| s.participants.iter())
            .any(|p| &p.person == person && &p.org == org)
    }
}

impl Streamed for crate::Kwestie {
    const KIND: StreamKind = StreamKind::Kwestie;

    fn stream_id(&self) -> String {
        self.id.to_string()
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

impl Streamed for crate::Minutes {
    const KIND: StreamKind = StreamKind::Minutes;

    fn stream_id(&self) -> String {
        self.id.to_string()
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

    fn involves(&self, person: &crate::PersonId, org: &Oin) -> bool {
        self.meeting
            .participants
            .iter()
            .any(|p| &p.person == person && &p.org == org)
    }
}

impl Streamed for crate::Recommendation {
    const KIND: StreamKind = StreamKind::Recommendation;

    fn stream_id(&self) -> String {
        self.id.to_string()
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

/// The 32-bit tag of a home: the first four bytes of SHA-256 over a fixed label and the OIN.
fn home_tag(home: &Oin) -> [u8; 4] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"doorbraak/stream-home/v1:");
    h.update(home.as_str().as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The id of a new stream at `home`, made from a fresh UUID (the caller's clock and randomness:
/// this crate reads neither). The version and variant bits of `fresh` are kept; its last four
/// bytes become the home's tag.
pub fn stream_uuid(home: &Oin, fresh: Uuid) -> Uuid {
    let mut b = *fresh.as_bytes();
    b[12..16].copy_from_slice(&home_tag(home));
    Uuid::from_bytes(b)
}

/// Does this stream id name `home` as its home?
pub fn is_of_home(id: &Uuid, home: &Oin) -> bool {
    id.as_bytes()[12..16] == home_tag(home)
}

/// The home among `candidates` that this stream id names, if any.
pub fn home_among<'a>(id: &Uuid, candidates: impl IntoIterator<Item = &'a Oin>) -> Option<&'a Oin> {
    candidates.into_iter().find(|o| is_of_home(id, o))
}

/// A UUID that is a pure function of `label` and `parts` (SHA-256 based, version 8): the same
/// request id for every retry of one keyed command, the same stream id for every retry of one
/// keyed opening. Parts are separated unambiguously (length-prefixed).
pub fn derived_uuid(label: &str, parts: &[&str]) -> Uuid {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(label.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_custom_bytes(b).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oin(s: &str) -> Oin {
        Oin::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_stream_id_names_its_home_and_no_other() {
        let lt = oin("00000001000000000010");
        let vt = oin("00000001000000000020");
        let fresh = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000);
        let id = stream_uuid(&lt, fresh);
        assert!(is_of_home(&id, &lt));
        assert!(!is_of_home(&id, &vt));
        assert_eq!(home_among(&id, [&vt, &lt]), Some(&lt));
        assert_eq!(home_among(&fresh, [&vt, &lt]), None);
        // still the fresh id's version and time
        assert_eq!(id.get_version_num(), fresh.get_version_num());
        assert_eq!(id.as_bytes()[..12], fresh.as_bytes()[..12]);
    }

    #[test]
    fn derived_ids_are_stable_and_keep_their_parts_apart() {
        let a = derived_uuid("request", &["user:anna", "k1"]);
        assert_eq!(a, derived_uuid("request", &["user:anna", "k1"]));
        assert_ne!(a, derived_uuid("request", &["user:ann", "ak1"]));
        assert_ne!(a, derived_uuid("stream", &["user:anna", "k1"]));
        assert_eq!(a.get_version_num(), 8);
    }

    #[test]
    fn stream_kinds_round_trip_their_codes() {
        for k in StreamKind::ALL {
            assert_eq!(k.code().parse::<StreamKind>(), Ok(k));
        }
        assert!("case".parse::<StreamKind>().is_err());
        assert!(StreamKind::Escalation.is_shared());
        assert!(!StreamKind::Kwestie.is_shared());
    }
}
