//! # doorbraak-proto
//!
//! The generated federation contract (`proto/doorbraak/federation/v1`) and the conversions
//! between its prost types and the model's types. Domain types never depend on prost: this
//! crate is the edge where wire types become model types and back.
#![forbid(unsafe_code)]
#![allow(clippy::all)]

/// Generated code (prost + tonic).
pub mod v1 {
    #![allow(clippy::all, clippy::unwrap_used, clippy::expect_used, missing_docs)]
    tonic::include_proto!("doorbraak.federation.v1");
}

use doorbraak_model::StoredEvent;
use doorbraak_model::{Event, canonical};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a wire message could not become model types.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("invalid event id '{0}'")]
    EventId(String),
    #[error("invalid event encoding at seq {seq}: {detail}")]
    Event { seq: i64, detail: String },
    #[error("events are not contiguous: seq {got} after {after}")]
    Order { after: i64, got: i64 },
}

/// Model → wire: a stored event with its canonical bytes.
pub fn to_wire<B: Serialize>(e: &StoredEvent<B>) -> Result<v1::StoredEvent, WireError> {
    Ok(v1::StoredEvent {
        seq: e.seq,
        event_id: e.event_id.to_string(),
        canonical: canonical::to_vec(&e.event).map_err(|err| WireError::Event {
            seq: e.seq,
            detail: err.to_string(),
        })?,
    })
}

/// Wire → model: decode and check that the events are contiguous and in order.
pub fn from_wire<B: DeserializeOwned>(
    events: &[v1::StoredEvent],
) -> Result<Vec<StoredEvent<B>>, WireError> {
    let mut out: Vec<StoredEvent<B>> = Vec::with_capacity(events.len());
    for e in events {
        if let Some(prev) = out.last() {
            if e.seq != prev.seq + 1 {
                return Err(WireError::Order {
                    after: prev.seq,
                    got: e.seq,
                });
            }
        }
        let event: Event<B> =
            canonical::from_slice(&e.canonical).map_err(|err| WireError::Event {
                seq: e.seq,
                detail: err.to_string(),
            })?;
        out.push(StoredEvent {
            seq: e.seq,
            event_id: uuid::Uuid::parse_str(&e.event_id)
                .map_err(|_| WireError::EventId(e.event_id.chars().take(40).collect()))?,
            event,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorbraak_model::escalation::EscalationEvent;
    use doorbraak_model::{Actor, Oin, Role, Step};

    fn ev(seq: i64) -> StoredEvent<EscalationEvent> {
        StoredEvent {
            seq,
            event_id: uuid::Uuid::from_u128(seq as u128),
            event: Event::new(
                "2026-11-02T09:00:00Z".parse().unwrap(),
                Actor::person(
                    "anna",
                    Role::Professional,
                    Oin::parse("00000001000000000010").unwrap(),
                ),
                EscalationEvent::StepPickedUp {
                    step: Step::Management,
                },
            ),
        }
    }

    #[test]
    fn round_trip_keeps_the_canonical_bytes() {
        let wire: Vec<_> = [ev(3), ev(4)].iter().map(|e| to_wire(e).unwrap()).collect();
        let back: Vec<StoredEvent<EscalationEvent>> = from_wire(&wire).unwrap();
        assert_eq!(back, vec![ev(3), ev(4)]);
        assert_eq!(to_wire(&back[0]).unwrap().canonical, wire[0].canonical);
    }

    #[test]
    fn gaps_and_garbage_are_refused() {
        let wire: Vec<_> = [ev(3), ev(5)].iter().map(|e| to_wire(e).unwrap()).collect();
        assert!(matches!(
            from_wire::<EscalationEvent>(&wire),
            Err(WireError::Order { after: 3, got: 5 })
        ));
        let mut bad = to_wire(&ev(1)).unwrap();
        bad.canonical = b"{\"v\":1}".to_vec();
        assert!(matches!(
            from_wire::<EscalationEvent>(&[bad]),
            Err(WireError::Event { .. })
        ));
    }
}
