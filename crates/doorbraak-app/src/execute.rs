//! The one path every command takes: load in the transaction, answer a known key, forward a
//! replica's command to its home, else decide, append, outbox, access log, commit.

use super::*;

/// The result of a committed command (also what an idempotency key keeps).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "A: Serialize, A::Body: Serialize",
    deserialize = "A: DeserializeOwned, A::Body: DeserializeOwned"
))]
pub struct Applied<A: Aggregate> {
    pub id: String,
    pub version: i64,
    pub state: A,
    pub events: Vec<StoredEvent<A::Body>>,
}

impl Node {
    /// Decide `cmd` against the stream `id` and commit the outcome in one transaction: the
    /// events, the new projection, one outbox row per other party, the access-log row and the
    /// notices the model's `Notify` names. A refusal is logged (in its own transaction) and
    /// returned.
    pub async fn execute<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        command: &'static str,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
    {
        self.execute_traced::<A>(actor, id, cmd, command, None)
            .await
    }

    /// [`Node::execute`] with an optional idempotency key: a repeated key returns the first
    /// answer and has no second effect, also when the command is forwarded to the home.
    pub async fn execute_keyed<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        command: &'static str,
        key: Option<&Idempotency>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
    {
        self.execute_traced::<A>(actor, id, cmd, command, key).await
    }

    /// [`Node::execute`] with the span and metrics, and an optional idempotency key.
    pub(super) async fn execute_traced<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        command: &'static str,
        key: Option<&Idempotency>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
    {
        let span = tracing::info_span!(
            "command",
            org = %self.oin(),
            kind = A::KIND.code(),
            id = %id,
            command,
            role = actor.role().map_or("system", Role::code),
        );
        let started = Instant::now();
        let operation = format!("{command}:{}:{id}", A::KIND.code());
        let result = match key
            .map(|idem| Keyed::new(idem, &operation, actor, cmd))
            .transpose()
        {
            Ok(keyed) => {
                self.execute_inner::<A>(actor, id, cmd, None, keyed.as_ref())
                    .instrument(span.clone())
                    .await
            }
            Err(e) => Err(e),
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(NodeError::Rule(_)) => "refused",
            Err(_) => "error",
        };
        if let Err(NodeError::Store(_)) = &result {
            self.metrics.store_errors.inc();
        }
        self.metrics
            .commands
            .get_or_create(&CommandLabels {
                kind: A::KIND.code(),
                command,
                outcome,
            })
            .inc();
        self.metrics
            .command_seconds
            .observe(started.elapsed().as_secs_f64());
        let _enter = span.enter();
        match &result {
            Ok(a) => tracing::info!(version = a.version, "committed"),
            Err(NodeError::Rule(v)) => tracing::info!(rule = v.rule(), "refused"),
            Err(e) => tracing::warn!(error = %e, "failed"),
        }
        result
    }

    pub(super) async fn execute_inner<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        at: Option<Timestamp>,
        keyed: Option<&Keyed<'_>>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
    {
        for _attempt in 0..5 {
            let now = at.unwrap_or_else(|| self.now());
            let mut tx = self.store.begin().await?;
            // loaded (and on PostgreSQL locked) first: commands on one stream take turns, so a
            // key's first answer is visible to its repeat before the repeat decides anything
            let current = tx.load::<A>(id).await?;
            // a key seen before is answered with its first answer, not decided again
            if let Some(k) = keyed {
                match k.recall::<Applied<A>>(&mut tx).await {
                    Ok(Some(first)) => return Ok(first),
                    Ok(None) => {}
                    Err(NodeError::Rule(v)) => {
                        drop(tx);
                        return Err(self.refused(actor, A::KIND.code(), id, v, now).await);
                    }
                    Err(e) => return Err(e),
                }
            }
            // after a restore, nothing is decided on an own shared stream until it is re-learned
            if self.relearning()
                && A::KIND.is_shared()
                && current
                    .as_ref()
                    .is_some_and(|l| &l.state.home() == self.oin())
            {
                return Err(NodeError::Relearning);
            }
            // One writer per stream, checked inside the transaction that appends: a stream whose
            // home is another organisation is a replica here, and its commands go to the home.
            if let Some(local) = current.as_ref()
                && &local.state.home() != self.oin()
            {
                drop(tx);
                let local = current.ok_or(ReplayError::NotACreation(A::KIND.code()))?;
                // this organisation's own restriction stops its people here, before the home
                // is asked (and answers with the case's content)
                if let Actor::Person { role, .. } = actor {
                    let restricted = self.restricted(&local.state).await?;
                    if let Err(v) = doorbraak_model::records::gate(
                        false,
                        restricted,
                        doorbraak_model::records::Use::Change,
                        Some(*role),
                    ) {
                        return Err(self.refused(actor, A::KIND.code(), id, v, now).await);
                    }
                }
                return self.forward::<A>(actor, id, cmd, local, keyed).await;
            }
            let (state, version) = match current {
                Some(Loaded { state, version }) => (Some(state), version),
                None => (None, 0),
            };
            let events = match A::decide(state.as_ref(), cmd, actor, now) {
                Ok(events) => events,
                Err(violation) => {
                    drop(tx);
                    // a stream another member is the home of, not (yet) here: its replica is
                    // on its way (or this organisation is no party, which the home would say)
                    let violation = match violation {
                        RuleViolation::NotFound { .. }
                            if state.is_none() && self.foreign_home_of(id).is_some() =>
                        {
                            RuleViolation::ReplicaPending
                        }
                        v => v,
                    };
                    return Err(self
                        .refused(actor, A::KIND.code(), id, violation, now)
                        .await);
                }
            };
            let mut next = state;
            let mut noticed = Vec::new();
            for (i, e) in events.iter().enumerate() {
                let applied = A::apply(next, e)?;
                let seq = version + 1 + i64::try_from(i).unwrap_or(i64::MAX);
                self.notices_of(&applied, e, seq, &mut noticed);
                next = Some(applied);
            }
            let Some(next) = next else {
                return Err(ReplayError::NotACreation(A::KIND.code()).into());
            };
            // a case whose processing is restricted changes for nobody (checked in the
            // transaction that would change it)
            if matches!(actor, Actor::Person { .. }) {
                let cases = self.cases_of(&mut tx, &next).await?;
                let restricted = tx.restricted(&cases).await?;
                if let Err(v) =
                    doorbraak_model::records::check_restriction(restricted, false, actor.role())
                {
                    drop(tx);
                    return Err(self.refused(actor, A::KIND.code(), id, v, now).await);
                }
            }
            let stored = match tx.append(id, version, &events, &next, now).await {
                Ok(s) => s,
                // changed concurrently, or a replica of this id arrived meanwhile: decide again
                // on what is there now (a replica is then forwarded to its home)
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::NotHome { .. }) if version == 0 => continue,
                Err(e) => return Err(e.into()),
            };
            let own = self.oin().clone();
            let recipients: Vec<Oin> = next.parties().into_iter().filter(|p| p != &own).collect();
            // nothing BSN-shaped is stored, let alone sent: refused before anything is written
            let texts = events.iter().flat_map(|e| A::free_text(&e.body));
            if let Err(v) = doorbraak_model::privacy::check_free_text(texts) {
                drop(tx);
                return Err(self.refused(actor, A::KIND.code(), id, v, now).await);
            }
            self.enqueue_events::<A>(&mut tx, id, &stored, &recipients, now)
                .await?;
            // a destruction or a correction is carried through all this node holds of the stream
            let settles = events
                .iter()
                .any(|e| A::is_destruction(&e.body) || A::is_correction(&e.body));
            let next = match settles {
                true => tx.settle::<A>(id, now).await?.unwrap_or(next),
                false => next,
            };
            let action = if version == 0 {
                AccessAction::C
            } else if events.iter().any(|e| A::is_destruction(&e.body)) {
                AccessAction::D
            } else {
                AccessAction::U
            };
            tx.log_access(&self.entry(actor, action, A::KIND.code(), id, "success".into(), now))
                .await?;
            self.to_inbox(&mut tx, A::KIND, id, noticed, now).await?;
            let applied = Applied {
                id: id.to_owned(),
                version: version + i64::try_from(stored.len()).unwrap_or(0),
                state: next,
                events: stored,
            };
            // a concurrent repeat of the key got there first: answer as it did (next round)
            if let Some(k) = keyed
                && !k.remember(&mut tx, &applied, now).await?
            {
                continue;
            }
            tx.commit().await?;
            if !recipients.is_empty() {
                self.wake.notify_one();
            }
            return Ok(applied);
        }
        Err(NodeError::Busy)
    }

    /// One outbox row per recipient with these events of stream `id` (this node is its home),
    /// in the caller's transaction.
    pub(super) async fn enqueue_events<A>(
        &self,
        tx: &mut doorbraak_store::Tx,
        id: &str,
        events: &[StoredEvent<A::Body>],
        recipients: &[Oin],
        now: Timestamp,
    ) -> Result<(), NodeError>
    where
        A: Stream,
    {
        if recipients.is_empty() {
            return Ok(());
        }
        let payload = canonical::to_string(&doorbraak_store::OutboxBatch {
            stream_kind: A::KIND.code().to_owned(),
            stream_id: id.to_owned(),
            home: self.oin().to_string(),
            events: events.iter().collect(),
        })
        .map_err(StoreError::from)?;
        for to in recipients {
            tx.enqueue(&NewOutbox {
                message_id: Uuid::now_v7(),
                destination: to.to_string(),
                kind: "events".into(),
                stream_kind: Some(A::KIND.code().into()),
                stream_id: Some(id.to_owned()),
                payload: payload.clone(),
                created_at: now,
            })
            .await?;
        }
        Ok(())
    }

    /// The cases a stream is about: its own case references, and a meeting's escalation's.
    pub(super) async fn cases_of<A>(
        &self,
        tx: &mut doorbraak_store::Tx,
        state: &A,
    ) -> Result<Vec<String>, NodeError>
    where
        A: Stream,
    {
        let mut cases: Vec<String> = state.case_refs().iter().map(ToString::to_string).collect();
        if let Some(esc) = state.linked_escalation()
            && let Some(c) = tx.case_of(StreamKind::Escalation, &esc).await?
        {
            cases.push(c);
        }
        Ok(cases)
    }

    /// Why a stream is not here: its replica is still on its way (the id names another member
    /// as its home), or it does not exist.
    pub fn absent(&self, what: &'static str, id: &str) -> RuleViolation {
        if self.foreign_home_of(id).is_some() {
            RuleViolation::ReplicaPending
        } else {
            RuleViolation::NotFound { what }
        }
    }

    /// The other member of the directory that a stream id names as its home, if any.
    pub fn foreign_home_of(&self, id: &str) -> Option<Oin> {
        let id = Uuid::parse_str(id).ok()?;
        let dir = self.directory();
        dir.members()
            .iter()
            .map(|m| &m.oin)
            .find(|o| *o != self.oin() && doorbraak_model::is_of_home(&id, o))
            .cloned()
    }

    /// Decide a request that another node sent on behalf of its person, at most once per
    /// (sender, request id).
    pub async fn execute_once<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        source: &str,
        request_id: &str,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
    {
        let key = Idempotency {
            scope: format!("peer:{source}"),
            key: request_id.to_owned(),
            request: None,
        };
        self.execute_traced::<A>(actor, id, cmd, "remote_request", Some(&key))
            .await
    }

    /// Execute a command as if at `at` (seeding the demo with history, e.g. an escalation
    /// opened weeks ago). Development only; the API never calls this.
    pub async fn execute_at<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        at: Timestamp,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
    {
        self.execute_inner::<A>(actor, id, cmd, Some(at), None)
            .await
    }

    pub(super) async fn is_home<A>(&self, id: &str) -> Result<bool, NodeError>
    where
        A: Stream,
    {
        Ok(self
            .store
            .load::<A>(id)
            .await?
            .is_some_and(|l| &l.state.home() == self.oin()))
    }
}
