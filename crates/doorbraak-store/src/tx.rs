//! The unit of work: [`Tx`], one command's (or one delivery's) writes, committed together or
//! not at all.

use super::*;

/// One stream's new events and state in a batch write (a replica applying a delivery).
pub struct BatchItem<'a, A: Stream> {
    pub id: &'a str,
    pub version: i64,
    pub events: Vec<&'a StoredEvent<A::Body>>,
    pub state: &'a A,
}

/// One unit of work: commit writes everything, dropping it writes nothing.
pub struct Tx {
    pub(crate) tx: sqlx::Transaction<'static, sqlx::Any>,
    pub(crate) backend: Backend,
    pub(crate) owner: Option<Arc<str>>,
    pub(crate) _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// The figure counters this transaction changes (written at commit).
    pub(crate) counting: crate::figures::Counting,
}

impl Tx {
    /// The current state of a stream, locked for this transaction.
    pub async fn load<A: Stream>(&mut self, id: &str) -> Result<Option<Loaded<A>>>
where {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT version, state FROM projections WHERE stream_kind = $1 AND stream_id = $2"
            }
            Backend::Postgres => {
                "SELECT version, state FROM projections WHERE stream_kind = $1 AND stream_id = $2 FOR UPDATE"
            }
        };
        let row = sqlx::query(sql)
            .bind(A::KIND.code())
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let loaded = row.map(|r| loaded::<A>(&r)).transpose()?;
        if let Some(l) = &loaded {
            self.loaded_facts(A::KIND, id, l.state.facts());
        }
        Ok(loaded)
    }

    /// Append `events` to the stream at `expected` version and store `state` as its
    /// projection. Returns the stored events with their sequence numbers.
    pub async fn append<A: Stream>(
        &mut self,
        id: &str,
        expected: i64,
        events: &[Event<A::Body>],
        state: &A,
        now: Timestamp,
    ) -> Result<Vec<StoredEvent<A::Body>>>
where {
        let stored: Vec<StoredEvent<A::Body>> = events
            .iter()
            .zip(expected + 1..)
            .map(|(e, seq)| StoredEvent {
                seq,
                event_id: Uuid::now_v7(),
                event: e.clone(),
            })
            .collect();
        self.append_stored(id, expected, &stored, state, now)
            .await?;
        Ok(stored)
    }

    /// Append events with their sequence numbers and ids to a stream of this node's own
    /// (the home path: every event a node decides goes through here) and store `state` as the
    /// projection. With an owner set (see [`Store::owned_by`]) a stream whose home is another
    /// organisation is refused with [`StoreError::NotHome`]: checked against the new state and
    /// against the stored row, inside this transaction.
    pub(crate) async fn append_stored<A: Stream>(
        &mut self,
        id: &str,
        expected: i64,
        events: &[StoredEvent<A::Body>],
        state: &A,
        now: Timestamp,
    ) -> Result<()>
where {
        let home = state.home().to_string();
        if let Some(owner) = self.owner.clone()
            && home != *owner
        {
            return Err(StoreError::NotHome {
                kind: A::KIND.code(),
                id: id.to_owned(),
                home,
                owner: owner.to_string(),
            });
        }
        let last = expected + i64::try_from(events.len()).unwrap_or(i64::MAX);
        for (stored, seq) in events.iter().zip(expected + 1..) {
            if stored.seq != seq {
                return Err(StoreError::Conflict {
                    kind: A::KIND.code(),
                    id: id.to_owned(),
                    expected,
                });
            }
        }
        // what the stream counted for its home's figures before this change
        let facts_before = self.facts_before::<A>(id, expected).await?;
        let s = state.summary();
        let json = serde_json::to_string(state).map_err(|e| StoreError::Corrupt {
            what: "projection",
            detail: e.to_string(),
        })?;
        let created = s.created_at.unwrap_or(now);
        // the projection first: its row decides whether this stream may be written at all
        let result = if expected == 0 {
            // creating a stream: only if no stream of this id exists (not even a replica)
            sqlx::query(
                "INSERT INTO projections (stream_kind, stream_id, version, status, home_oin, case_ref, \
                 step, situation, next_deadline_ms, overdue, created_at_ms, updated_at_ms, state, subject, \
                 closed_at_ms, destroyed_at_ms, held, unconfirmed, link) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(A::KIND.code())
            .bind(id)
            .bind(last)
            .bind(s.status.code())
            .bind(s.home_oin)
            .bind(s.case_ref)
            .bind(s.step)
            .bind(s.situation)
            .bind(s.next_deadline.map(ms))
            .bind(i64::from(s.overdue))
            .bind(ms(created))
            .bind(ms(now))
            .bind(json)
            .bind(subject(&s.subject))
            .bind(s.closed_at.map(ms))
            .bind(s.destroyed_at.map(ms))
            .bind(i64::from(s.held))
            .bind(s.unconfirmed)
            .bind(s.link)
            .execute(&mut *self.tx)
            .await?
        } else {
            // only the home's own row, at the version the command was decided on
            sqlx::query(
                "UPDATE projections SET version = $3, status = $4, home_oin = $5, case_ref = $6, \
                 step = $7, situation = $8, next_deadline_ms = $9, overdue = $10, updated_at_ms = $11, \
                 state = $12, subject = $14, closed_at_ms = $15, destroyed_at_ms = $16, held = $17, \
                 unconfirmed = $18, link = $19 \
                 WHERE stream_kind = $1 AND stream_id = $2 AND version = $13 AND home_oin = $5",
            )
            .bind(A::KIND.code())
            .bind(id)
            .bind(last)
            .bind(s.status.code())
            .bind(s.home_oin)
            .bind(s.case_ref)
            .bind(s.step)
            .bind(s.situation)
            .bind(s.next_deadline.map(ms))
            .bind(i64::from(s.overdue))
            .bind(ms(now))
            .bind(json)
            .bind(expected)
            .bind(subject(&s.subject))
            .bind(s.closed_at.map(ms))
            .bind(s.destroyed_at.map(ms))
            .bind(i64::from(s.held))
            .bind(s.unconfirmed)
            .bind(s.link)
            .execute(&mut *self.tx)
            .await?
        };
        if result.rows_affected() != 1 {
            // why not: a stream of another home under this id, or a concurrent change
            let row = sqlx::query(
                "SELECT home_oin FROM projections WHERE stream_kind = $1 AND stream_id = $2",
            )
            .bind(A::KIND.code())
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(r) = row {
                let stored: Option<String> = r.try_get("home_oin")?;
                if let Some(stored) = stored
                    && stored != home
                {
                    return Err(StoreError::NotHome {
                        kind: A::KIND.code(),
                        id: id.to_owned(),
                        home: stored,
                        owner: self.owner.as_deref().unwrap_or(&home).to_owned(),
                    });
                }
            }
            return Err(StoreError::Conflict {
                kind: A::KIND.code(),
                id: id.to_owned(),
                expected,
            });
        }
        for stored in events {
            let (event_id, e) = (stored.event_id, &stored.event);
            sqlx::query(
                "INSERT INTO events (stream_kind, stream_id, seq, event_id, at_ms, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(A::KIND.code())
            .bind(id)
            .bind(stored.seq)
            .bind(event_id.to_string())
            .bind(ms(e.at))
            .bind(canonical::to_string(e)?)
            .execute(&mut *self.tx)
            .await?;
        }
        for party in state.parties() {
            sqlx::query(
                "INSERT INTO stream_parties (stream_kind, stream_id, oin) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(A::KIND.code())
            .bind(id)
            .bind(party.to_string())
            .execute(&mut *self.tx)
            .await?;
        }
        self.count_change(A::KIND, id, &facts_before, &state.facts());
        Ok(())
    }

    /// Which of these message ids were applied before.
    pub async fn seen_many(
        &mut self,
        source: &str,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT message_id FROM inbox WHERE source = {} AND message_id IN ({})",
                p1(self.backend),
                numbered(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(source);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                out.insert(r.try_get("message_id")?);
            }
        }
        Ok(out)
    }

    /// The current state of several streams (locked for this transaction on PostgreSQL).
    pub async fn load_many<A: Stream>(
        &mut self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, Loaded<A>>>
where {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let lock = if self.backend == Backend::Postgres {
                " FOR UPDATE"
            } else {
                ""
            };
            let sql = format!(
                "SELECT stream_id, version, state FROM projections WHERE stream_kind = {} AND stream_id IN ({}){lock}",
                p1(self.backend),
                numbered(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(A::KIND.code());
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                out.insert(r.try_get("stream_id")?, loaded::<A>(&r)?);
            }
        }
        Ok(out)
    }

    /// Write a replica batch with a few multi-row statements: all events, the projections
    /// (upserted to their final state), and the parties.
    pub async fn write_batch<A: Stream>(
        &mut self,
        items: &[BatchItem<'_, A>],
        now: Timestamp,
    ) -> Result<()>
where {
        // a replica write: never to a stream this node is the home of
        if let Some(owner) = self.owner.as_deref()
            && let Some(own) = items.iter().find(|it| it.state.home().as_str() == owner)
        {
            return Err(StoreError::OwnStream {
                kind: A::KIND.code(),
                id: own.id.to_owned(),
            });
        }
        let events: Vec<(&str, &StoredEvent<A::Body>)> = items
            .iter()
            .flat_map(|it| it.events.iter().map(move |e| (it.id, *e)))
            .collect();
        for chunk in events.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO events (stream_kind, stream_id, seq, event_id, at_ms, payload) VALUES {}",
                values_clause(self.backend, chunk.len(), 6)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, e) in chunk {
                q = q
                    .bind(A::KIND.code())
                    .bind(*id)
                    .bind(e.seq)
                    .bind(e.event_id.to_string())
                    .bind(ms(e.event.at))
                    .bind(canonical::to_string(&e.event)?);
            }
            q.execute(&mut *self.tx).await?;
        }
        for chunk in items.chunks(CHUNK / 4) {
            let sql = format!(
                "INSERT INTO projections (stream_kind, stream_id, version, status, home_oin, case_ref, \
                 step, situation, next_deadline_ms, overdue, created_at_ms, updated_at_ms, state, subject, \
                 closed_at_ms, destroyed_at_ms, held, unconfirmed, link) \
                 VALUES {} \
                 ON CONFLICT (stream_kind, stream_id) DO UPDATE SET version = excluded.version, \
                 status = excluded.status, home_oin = excluded.home_oin, case_ref = excluded.case_ref, \
                 step = excluded.step, situation = excluded.situation, \
                 next_deadline_ms = excluded.next_deadline_ms, overdue = excluded.overdue, \
                 updated_at_ms = excluded.updated_at_ms, state = excluded.state, \
                 subject = excluded.subject, closed_at_ms = excluded.closed_at_ms, \
                 destroyed_at_ms = excluded.destroyed_at_ms, held = excluded.held, \
                 unconfirmed = excluded.unconfirmed, link = excluded.link",
                values_clause(self.backend, chunk.len(), 19)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for it in chunk {
                let s = it.state.summary();
                let json = serde_json::to_string(it.state).map_err(|e| StoreError::Corrupt {
                    what: "projection",
                    detail: e.to_string(),
                })?;
                q = q
                    .bind(A::KIND.code())
                    .bind(it.id)
                    .bind(it.version)
                    .bind(s.status.code())
                    .bind(s.home_oin)
                    .bind(s.case_ref)
                    .bind(s.step)
                    .bind(s.situation)
                    .bind(s.next_deadline.map(ms))
                    .bind(i64::from(s.overdue))
                    .bind(ms(s.created_at.unwrap_or(now)))
                    .bind(ms(now))
                    .bind(json)
                    .bind(subject(&s.subject))
                    .bind(s.closed_at.map(ms))
                    .bind(s.destroyed_at.map(ms))
                    .bind(i64::from(s.held))
                    .bind(s.unconfirmed)
                    .bind(s.link);
            }
            q.execute(&mut *self.tx).await?;
        }
        let parties: Vec<(&str, String)> = items
            .iter()
            .flat_map(|it| {
                it.state
                    .parties()
                    .into_iter()
                    .map(move |p| (it.id, p.to_string()))
            })
            .collect();
        for chunk in parties.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO stream_parties (stream_kind, stream_id, oin) VALUES {} ON CONFLICT DO NOTHING",
                values_clause(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, oin) in chunk {
                q = q.bind(A::KIND.code()).bind(*id).bind(oin.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Several access-log rows in one statement.
    pub async fn log_access_many(&mut self, entries: &[AccessEntry]) -> Result<()> {
        for chunk in entries.chunks(CHUNK / 3) {
            let sql = format!(
                "INSERT INTO access_log (event_id, action, at_ms, user_id, user_role, on_behalf_of, org_oin, \
                 object_type, object_id, purpose, outcome, source_node, trace_id, span_id, \
                 parent_span_id, foreign_entity, processing_activity, data_subject) VALUES {}",
                crate::access::access_values(chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.event_id.to_string())
                    .bind(e.action.code())
                    .bind(ms(e.at))
                    .bind(e.user_id.clone())
                    .bind(e.user_role.clone())
                    .bind(e.on_behalf_of.clone())
                    .bind(e.org_oin.clone())
                    .bind(e.object_type.clone())
                    .bind(e.object_id.clone())
                    .bind(e.purpose.clone())
                    .bind(e.outcome.clone())
                    .bind(e.source_node.clone())
                    .bind(e.trace_id.clone())
                    .bind(e.trail.span_id.clone())
                    .bind(e.trail.parent_span_id.clone())
                    .bind(e.trail.foreign_entity.clone())
                    .bind(e.trail.processing_activity.clone())
                    .bind(e.trail.data_subject.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Record several message ids as applied.
    pub async fn mark_seen_many(
        &mut self,
        ids: &[String],
        source: &str,
        now: Timestamp,
    ) -> Result<()> {
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO inbox (message_id, source, received_at_ms) VALUES {} ON CONFLICT DO NOTHING",
                values_clause(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone()).bind(source).bind(ms(now));
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    pub async fn enqueue(&mut self, msg: &NewOutbox) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox (message_id, destination, kind, stream_kind, stream_id, payload, \
             created_at_ms, attempts, next_attempt_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7)",
        )
        .bind(msg.message_id.to_string())
        .bind(&msg.destination)
        .bind(&msg.kind)
        .bind(msg.stream_kind.clone())
        .bind(msg.stream_id.clone())
        .bind(&msg.payload)
        .bind(ms(msg.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn log_access(&mut self, e: &AccessEntry) -> Result<()> {
        insert_access(&mut *self.tx, e).await
    }

    pub async fn insert_case(&mut self, c: &CaseRow) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO cases (case_ref, title, responsible, created_by, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&c.case_ref)
        .bind(&c.title)
        .bind(&c.responsible)
        .bind(&c.created_by)
        .bind(ms(c.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn case_exists(&mut self, case_ref: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM cases WHERE case_ref = $1")
            .bind(case_ref)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }

    pub async fn add_private_note(&mut self, n: &PrivateNote) -> Result<()> {
        sqlx::query(
            "INSERT INTO private_notes (id, stream_kind, stream_id, author, author_role, created_at_ms, text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(n.id.to_string())
        .bind(&n.stream_kind)
        .bind(&n.stream_id)
        .bind(&n.author)
        .bind(&n.author_role)
        .bind(ms(n.created_at))
        .bind(&n.text)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn notify(&mut self, n: &Notification) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (id, created_at_ms, recipient_role, recipient_person, stream_kind, \
             stream_id, kind, message_nl, message_en) VALUES ($1, $2, $3, $9, $4, $5, $6, $7, $8)",
        )
        .bind(n.id.to_string())
        .bind(ms(n.created_at))
        .bind(&n.recipient_role)
        .bind(&n.stream_kind)
        .bind(&n.stream_id)
        .bind(&n.kind)
        .bind(&n.message_nl)
        .bind(&n.message_en)
        .bind(n.recipient_person.clone())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The people of this node (who logged in) in one of `roles`.
    pub async fn persons_with_roles(&mut self, roles: &[&str]) -> Result<Vec<String>> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=roles.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id FROM persons WHERE role IN ({}) ORDER BY id",
            marks.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in roles {
            q = q.bind(*r);
        }
        let rows = q.fetch_all(&mut *self.tx).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Add what waits for people; a row already there (the same person, item, reason and
    /// event) is kept as it is, so a repeated delivery tells nobody twice.
    pub async fn add_to_inbox(&mut self, rows: &[InboxRow]) -> Result<()> {
        for r in rows {
            sqlx::query(
                "INSERT INTO notices (id, person, reason, stream_kind, stream_id, seq, deadline_ms, \
                 created_at_ms, read_at_ms, mail_state, mail_next_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $8) ON CONFLICT DO NOTHING",
            )
            .bind(r.id.to_string())
            .bind(&r.person)
            .bind(&r.reason)
            .bind(&r.stream_kind)
            .bind(&r.stream_id)
            .bind(r.seq)
            .bind(r.deadline.map(ms))
            .bind(ms(r.created_at))
            .bind(if r.mail { "pending" } else { "none" })
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    pub async fn commit(mut self) -> Result<()> {
        // the figure counters last: their rows are shared by every command, held only briefly
        self.write_counts().await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// A projection's subject as stored: its first 200 characters.
fn subject(s: &str) -> String {
    s.chars().take(200).collect()
}
