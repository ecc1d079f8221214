//! After a restore from a backup: the node may have delivered events the backup does not hold,
//! so before it decides anything on its own shared streams it asks every member which of them
//! it holds and how far (`StreamsOfHome`), fetches what it lost (`FetchEvents`), checks it as a
//! party checks the home's events, and appends it with the same sequence numbers and ids. Until
//! every member answered, commands on its own shared streams get `503 federation.relearning`
//! (never a sequence number handed out twice).

use std::collections::BTreeMap;

use super::*;

/// What one re-learning pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Relearned {
    /// Members that answered.
    pub asked: usize,
    /// Members that could not be asked (down, not yet reachable).
    pub unreachable: Vec<String>,
    /// Events appended from the members' copies.
    pub events: usize,
    /// Streams re-learned (some or all of their events).
    pub streams: usize,
}

impl Node {
    /// Is the node still re-learning its own streams after a restore?
    pub fn relearning(&self) -> bool {
        self.relearning.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Read whether a restore is waiting to be re-learned (at start).
    pub async fn load_restore_state(&self) -> Result<(), NodeError> {
        let pending = self.store.pending_restore().await?.is_some();
        self.relearning
            .store(pending, std::sync::atomic::Ordering::Relaxed);
        if pending {
            tracing::warn!(
                "restored from a backup: re-learning this node's streams from its peers before deciding on them"
            );
        }
        Ok(())
    }

    /// One pass: ask every member, re-learn what they hold beyond this node's log. Done (and
    /// commands allowed again) when every member answered and every stream was re-learned.
    pub async fn relearn_pass(&self) -> Result<Relearned, NodeError> {
        let mut out = Relearned::default();
        if !self.relearning() {
            return Ok(out);
        }
        let fed = self.federation.as_ref().ok_or(FedError::NotConfigured)?;
        let dir = self.directory();
        // per stream: (kind, id) -> (member, version) of every member that holds more
        let mut wanted: BTreeMap<(String, String), Vec<(Oin, i64)>> = BTreeMap::new();
        for m in dir.members().iter().filter(|m| &m.oin != self.oin()) {
            let held = match fed.peers.client(&m.oin) {
                Ok(mut c) => c
                    .streams_of_home(v1::StreamsOfHomeRequest {})
                    .await
                    .map(tonic::Response::into_inner),
                Err(s) => Err(s),
            };
            let held = match held {
                Ok(h) => h,
                Err(s) => {
                    tracing::info!(member = %m.oin, error = %s.message(), "cannot ask a member what it holds yet");
                    out.unreachable.push(m.oin.to_string());
                    continue;
                }
            };
            out.asked += 1;
            for h in held.streams {
                if h.stream_kind
                    .parse::<StreamKind>()
                    .is_ok_and(StreamKind::is_shared)
                    && Uuid::parse_str(&h.stream_id).is_ok()
                {
                    wanted
                        .entry((h.stream_kind, h.stream_id))
                        .or_default()
                        .push((m.oin.clone(), h.version));
                }
            }
        }
        for ((kind, id), holders) in wanted {
            let n = match kind.parse::<StreamKind>() {
                Ok(StreamKind::Escalation) => {
                    self.relearn_stream::<Escalation>(&id, &holders).await?
                }
                Ok(StreamKind::Minutes) => self.relearn_stream::<Minutes>(&id, &holders).await?,
                _ => 0,
            };
            if n > 0 {
                out.streams += 1;
                out.events += n;
            }
        }
        if out.unreachable.is_empty() {
            self.store.restore_relearned(self.now()).await?;
            self.relearning
                .store(false, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(
                streams = out.streams,
                events = out.events,
                "re-learned after the restore; deciding again"
            );
        }
        Ok(out)
    }

    /// Re-learn one stream from the members that hold more of it than this node: every copy
    /// must agree (same event ids at the same positions), and the events are checked as a party
    /// checks its home's. Returns how many events were appended.
    async fn relearn_stream<A>(&self, id: &str, holders: &[(Oin, i64)]) -> Result<usize, NodeError>
    where
        A: Stream,
    {
        let have = self.store.load::<A>(id).await?.map_or(0, |l| l.version);
        let fed = self.federation.as_ref().ok_or(FedError::NotConfigured)?;
        let mut longest: Vec<StoredEvent<A::Body>> = Vec::new();
        let mut copies: Vec<(Oin, Vec<StoredEvent<A::Body>>)> = Vec::new();
        for (member, version) in holders.iter().filter(|(_, v)| *v > have) {
            let mut c = fed
                .peers
                .client(member)
                .map_err(|s| FedError::Unreachable {
                    home: member.to_string(),
                    detail: s.message().to_owned(),
                })?;
            let resp = c
                .fetch_events(v1::FetchEventsRequest {
                    stream_kind: A::KIND.code().into(),
                    stream_id: id.to_owned(),
                    after_seq: have,
                })
                .await
                .map_err(|s| super::error::remote_error(member, s))?
                .into_inner();
            let events = doorbraak_proto::from_wire::<A::Body>(&resp.events)
                .map_err(|e| FedError::Wire(e.to_string()))?;
            if events.len() as i64 != version - have {
                return Err(FedError::Wire(format!(
                    "{member} said it holds {id} up to {version} but sent {} events",
                    events.len()
                ))
                .into());
            }
            if events.len() > longest.len() {
                longest = events.clone();
            }
            copies.push((member.clone(), events));
        }
        // a member whose copy differs from another's at the same position: nobody decides
        for (member, copy) in &copies {
            for (a, b) in copy.iter().zip(&longest) {
                if a.seq != b.seq || a.event_id != b.event_id {
                    return Err(FedError::Divergence {
                        kind: A::KIND,
                        id: id.to_owned(),
                        seq: a.seq,
                        local: b.event_id.to_string(),
                        home_event: format!("{} at {member}", a.event_id),
                    }
                    .into());
                }
            }
        }
        if longest.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let current = tx.load::<A>(id).await?;
        let (mut state, version) = match current {
            Some(l) => (Some(l.state), l.version),
            None => (None, 0),
        };
        let new: Vec<StoredEvent<A::Body>> =
            longest.into_iter().filter(|e| e.seq > version).collect();
        let Some(first) = new.first() else {
            return Ok(0);
        };
        if first.seq != version + 1 {
            return Err(FedError::Gap {
                have: version,
                got: first.seq,
            }
            .into());
        }
        for e in &new {
            let parties_before = state
                .as_ref()
                .map(doorbraak_model::stream::Streamed::parties);
            let applied = A::apply(state, &e.event)?;
            A::check_received(parties_before.as_deref(), &applied, &e.event, self.oin())?;
            state = Some(applied);
        }
        let state = state.ok_or(FedError::Wire("no state".into()))?;
        if &state.home() != self.oin() || state.stream_id() != id {
            return Err(FedError::Wire(format!("{id} is not a stream of this home")).into());
        }
        tx.append_relearned::<A>(id, version, &new, &state, now)
            .await?;
        // the members that are behind get the re-learned events too (duplicates are skipped)
        let behind: Vec<Oin> = state
            .parties()
            .into_iter()
            .filter(|p| p != self.oin())
            .collect();
        self.enqueue_events::<A>(&mut tx, id, &new, &behind, now)
            .await?;
        if new
            .iter()
            .any(|e| A::is_destruction(&e.event.body) || A::is_correction(&e.event.body))
        {
            tx.settle::<A>(id, now).await?;
        }
        let system = Actor::system(self.oin().clone());
        tx.log_access(&self.entry(
            &system,
            AccessAction::U,
            A::KIND.code(),
            id,
            "relearned".into(),
            now,
        ))
        .await?;
        tx.commit().await?;
        self.wake.notify_one();
        tracing::info!(
            kind = A::KIND.code(),
            id,
            events = new.len(),
            "re-learned events lost in the restore"
        );
        Ok(new.len())
    }
}
