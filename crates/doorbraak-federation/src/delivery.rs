//! Outbox delivery: every pending message is sent to its destination in order, batched per
//! destination, until the peer acknowledges it. A failed destination backs off exponentially
//! with jitter (capped); the backoff resets when the peer contacts us or an administrator asks
//! for a resend. A commit that adds outbox rows wakes the loop at once: there is no poll
//! interval on the happy path.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use doorbraak_model::{Oin, Timestamp};
use doorbraak_proto::v1;
use doorbraak_store::{OutboxBatch, OutboxEvent, OutboxRow, Store};
use tokio::sync::Notify;

use crate::backoff::Backoff;
use crate::transport::Peers;

/// Most messages per Deliver call (the receiver accepts up to 1024).
pub const BATCH: i64 = 1024;
/// Most payload bytes per Deliver call (the transport accepts 4 MiB); a larger single message
/// goes alone.
pub const BATCH_BYTES: usize = 2 * 1024 * 1024;

/// The rule a receiver names when a stream's events come from a node that is not its home.
/// A sender that meets it appended to a stream it does not own: a bug, never routine.
pub const RULE_NOT_HOME: &str = "federation.not_home";

/// The rule a node names when the caller is not (or no longer, or not with this certificate) a
/// member of its directory. Not permanent: the peer may not have the new directory yet.
pub const RULE_NOT_A_MEMBER: &str = "federation.not_a_member";

/// Does this refusal mean the message can never be applied there (so retrying is useless)?
/// Membership refusals are not: the peer may not have the new directory yet. The rule is read
/// from the status details, never from the sentence.
fn permanent(s: &tonic::Status) -> bool {
    use tonic::Code::*;
    match s.code() {
        InvalidArgument | ResourceExhausted | OutOfRange | Unimplemented => true,
        PermissionDenied => crate::refusal::rule_in(s).as_deref() != Some(RULE_NOT_A_MEMBER),
        _ => false,
    }
}
/// How long an instance holds a destination: three calls' time, renewed with every batch.
const LEASE: Duration = Duration::from_secs(30);
const _: () = assert!(LEASE.as_secs() >= 3 * crate::transport::CALL_TIMEOUT.as_secs());

/// Turn outbox rows into a wire request.
pub fn to_request(rows: &[OutboxRow]) -> Result<v1::DeliverRequest, String> {
    let mut messages = Vec::with_capacity(rows.len());
    for r in rows {
        let p: OutboxBatch<OutboxEvent> = serde_json::from_str(&r.payload)
            .map_err(|e| format!("outbox {}: {e}", r.message_id))?;
        let mut events = Vec::with_capacity(p.events.len());
        for e in p.events {
            events.push(v1::StoredEvent {
                seq: e.seq,
                event_id: e.event_id,
                canonical: e.event.get().as_bytes().to_vec(),
            });
        }
        messages.push(v1::Message {
            message_id: r.message_id.clone(),
            stream_kind: p.stream_kind,
            stream_id: p.stream_id,
            events,
        });
    }
    Ok(v1::DeliverRequest { messages })
}

/// The metadata key that names the sending instance (`OIN/instance`) to the receiver, for its
/// log only: who the sender is, the certificate decides.
pub const SENDER_METADATA: &str = "doorbraak-sender";

/// The wall clock in whole milliseconds (the default [`Delivery::clock`]).
pub fn wall_clock() -> Timestamp {
    let n = Timestamp::now();
    Timestamp::from_millisecond(n.as_millisecond()).unwrap_or(n)
}

/// The clock of a delivery loop: the node's own, so that the times it writes to the outbox
/// and the times it compares them with are of one clock (a development clock offset too).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

fn plus(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

/// Observer of delivery outcomes (for metrics).
pub trait DeliveryObserver: Send + Sync {
    fn delivered(&self, _destination: &str, _messages: usize) {}
    fn failed(&self, _destination: &str, _error: &str) {}
    /// A message was refused for good and set aside.
    fn dead_lettered(&self, _destination: &str, _message_id: &str, _error: &str) {}
}

pub struct NoObserver;
impl DeliveryObserver for NoObserver {}

/// The delivery loop of one node (or one replica: `owner` names it in the leases).
pub struct Delivery {
    pub store: Store,
    pub peers: Arc<Peers>,
    pub wake: Arc<Notify>,
    pub backoff: Backoff,
    pub owner: String,
    pub observer: Arc<dyn DeliveryObserver>,
    pub clock: Clock,
}

impl Delivery {
    /// A delivery request naming this instance in its metadata ([`SENDER_METADATA`]).
    fn named(&self, req: v1::DeliverRequest) -> tonic::Request<v1::DeliverRequest> {
        let mut req = tonic::Request::new(req);
        if let Ok(v) = self.owner.parse() {
            req.metadata_mut().insert(SENDER_METADATA, v);
        }
        req
    }

    /// Run until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let in_flight: Arc<std::sync::Mutex<HashSet<String>>> = Arc::default();
        let done = Arc::new(Notify::new());
        loop {
            if *stop.borrow() {
                return;
            }
            let t = (self.clock)();
            match self.store.due_destinations(t).await {
                Ok(dests) => {
                    for d in dests {
                        let fresh = in_flight
                            .lock()
                            .map(|mut s| s.insert(d.clone()))
                            .unwrap_or(false);
                        if !fresh {
                            continue;
                        }
                        let (me, in_flight, done) = (self.clone(), in_flight.clone(), done.clone());
                        tokio::spawn(async move {
                            me.drain(&d).await;
                            if let Ok(mut s) = in_flight.lock() {
                                s.remove(&d);
                            }
                            done.notify_one();
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "outbox query failed"),
            }
            let sleep = match self.store.next_due().await {
                Ok(Some(next)) => {
                    let ms = next.as_millisecond() - (self.clock)().as_millisecond();
                    // at least 250 ms: a due destination that is being sent wakes us through
                    // `done`, new outbox rows through `wake`; this only paces backoff timers
                    Duration::from_millis(ms.clamp(250, 60_000) as u64)
                }
                Ok(None) => Duration::from_secs(60),
                Err(_) => Duration::from_secs(1),
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = done.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Send everything pending for `destination`, batch by batch, in order.
    async fn drain(&self, destination: &str) {
        let Ok(oin) = Oin::parse(destination) else {
            let _ = self
                .store
                .mark_failed(
                    destination,
                    &self.owner,
                    plus((self.clock)(), self.backoff.cap()),
                    "not a valid OIN",
                )
                .await;
            return;
        };
        // after a permanent refusal of a batch, send one message at a time to find the culprit
        let mut single = false;
        loop {
            let t = (self.clock)();
            let rows = match self
                .store
                .lease(destination, &self.owner, t, plus(t, LEASE), BATCH)
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "lease failed");
                    return;
                }
            };
            if rows.is_empty() {
                // nothing more (or another instance sends to it): let go of what we may hold
                let _ = self
                    .store
                    .release_outbox_lease(destination, &self.owner)
                    .await;
                return;
            }
            // a byte budget per call; at least one message
            let mut bytes = 0;
            let take = rows
                .iter()
                .take_while(|r| {
                    bytes += r.payload.len();
                    bytes <= BATCH_BYTES
                })
                .count()
                .max(1);
            let rows = &rows[..if single { 1 } else { take }];
            let attempts = rows.iter().map(|r| r.attempts).max().unwrap_or(0);
            let result: Result<(), (bool, String)> = match to_request(rows) {
                Ok(req) => match self.peers.client(&oin) {
                    Ok(mut client) => client.deliver(self.named(req)).await.map(|_| ()).map_err(|s| {
                        if crate::refusal::rule_in(&s).as_deref() == Some(RULE_NOT_HOME) {
                            tracing::error!(%destination, error = %s.message(),
                                "the peer says this node is not the home of a stream it delivered: this node appended to a replica (a bug)");
                        }
                        (
                            permanent(&s),
                            format!("{:?}: {}", s.code(), s.message()),
                        )
                    }),
                    Err(s) => Err((false, s.message().to_owned())),
                },
                // a payload we cannot encode is our bug, not the peer's refusal: keep it, retry
                Err(e) => Err((false, e)),
            };
            match result {
                Ok(()) => {
                    let ids: Vec<String> = rows.iter().map(|r| r.message_id.clone()).collect();
                    if let Err(e) = self.store.mark_delivered(&ids, (self.clock)()).await {
                        tracing::warn!(error = %e, "marking delivered failed");
                        return;
                    }
                    self.observer.delivered(destination, ids.len());
                    single = false;
                }
                Err((true, err)) if rows.len() > 1 => {
                    tracing::info!(%destination, error = %err, "batch refused; retrying one message at a time");
                    single = true;
                }
                Err((true, err)) => {
                    tracing::warn!(%destination, message = %rows[0].message_id, error = %err, "message refused for good; set aside as a dead letter (see the admin page)");
                    self.observer.failed(destination, &err);
                    self.observer
                        .dead_lettered(destination, &rows[0].message_id, &err);
                    if let Err(e) = self
                        .store
                        .mark_rejected(&rows[0].message_id, (self.clock)(), &err)
                        .await
                    {
                        tracing::warn!(error = %e, "marking rejected failed");
                        return;
                    }
                }
                Err((false, err)) => {
                    let delay = self
                        .backoff
                        .delay(u32::try_from(attempts).unwrap_or(u32::MAX));
                    tracing::info!(%destination, attempts = attempts + 1, retry_in_ms = delay.as_millis() as u64, error = %err, "delivery failed");
                    self.observer.failed(destination, &err);
                    let _ = self
                        .store
                        .mark_failed(destination, &self.owner, plus((self.clock)(), delay), &err)
                        .await;
                    let _ = self
                        .store
                        .release_outbox_lease(destination, &self.owner)
                        .await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(code: tonic::Code, rule: &str) -> tonic::Status {
        let details = format!("{{\"rule\":\"{rule}\",\"message_nl\":\"\",\"message_en\":\"\"}}");
        tonic::Status::with_details(code, format!("{rule}: ..."), details.into_bytes().into())
    }

    #[test]
    fn a_membership_refusal_is_retried_every_other_refusal_of_access_is_final() {
        assert!(!permanent(&refusal(
            tonic::Code::PermissionDenied,
            RULE_NOT_A_MEMBER
        )));
        assert!(permanent(&refusal(
            tonic::Code::PermissionDenied,
            RULE_NOT_HOME
        )));
        // the sentence does not count, the rule in the details does
        assert!(permanent(&tonic::Status::permission_denied(
            "not a member, says the text"
        )));
        assert!(permanent(&tonic::Status::invalid_argument("bad")));
        assert!(!permanent(&tonic::Status::unavailable("down")));
    }
}
