//! Reads outside a transaction: projections, event logs, lists, deadlines, cases, notes.

use super::*;
use doorbraak_model::StreamKind;
use rows::KeyValue;

impl Store {
    /// The current state of a stream, from its projection.
    pub async fn load<A: Stream>(&self, id: &str) -> Result<Option<Loaded<A>>>
where {
        let row = sqlx::query(
            "SELECT version, state FROM projections WHERE stream_kind = $1 AND stream_id = $2",
        )
        .bind(A::KIND.code())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| loaded::<A>(&r)).transpose()
    }

    /// The versions of several streams (0 for unknown ones are simply absent).
    pub async fn versions(
        &self,
        kind: &str,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, i64>> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT stream_id, version FROM projections WHERE stream_kind = {} AND stream_id IN ({})",
                p1(self.backend),
                numbered(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(kind.to_owned());
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get("stream_id")?, r.try_get("version")?);
            }
        }
        Ok(out)
    }

    /// The events of a stream after sequence number `after` (0: all), in order.
    pub async fn events<A: Stream>(
        &self,
        id: &str,
        after: i64,
    ) -> Result<Vec<StoredEvent<A::Body>>>
where {
        let rows = sqlx::query(
            "SELECT seq, event_id, payload FROM events \
             WHERE stream_kind = $1 AND stream_id = $2 AND seq > $3 ORDER BY seq",
        )
        .bind(A::KIND.code())
        .bind(id)
        .bind(after)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let event_id: String = r.try_get("event_id")?;
                let payload: String = r.try_get("payload")?;
                Ok(StoredEvent {
                    seq: r.try_get("seq")?,
                    event_id: stored_uuid("event id", &event_id)?,
                    event: canonical::from_slice(payload.as_bytes())?,
                })
            })
            .collect()
    }

    /// Projections of one kind: overdue first, then by next deadline, then newest first.
    pub async fn list(&self, kind: StreamKind, filter: &ListFilter) -> Result<Vec<ProjectionRow>> {
        // at most one more than the longest page: whether another page follows
        let limit = if filter.limit <= 0 {
            500
        } else {
            filter.limit.min(5001)
        };
        // after a cursor: its order, and the rows past it (no offset)
        let (sort, after, offset) = match &filter.after {
            Some(c) => (c.sort(), format!(" AND {}", c.condition(13)), 0),
            None => (filter.sort, String::new(), filter.offset.max(0)),
        };
        let sql = format!(
            "SELECT * FROM projections WHERE {LIST_WHERE}{}{after} ORDER BY {} LIMIT $11 OFFSET $12",
            unrestricted(filter),
            sort.order_by()
        );
        let mut q = bind_list(sqlx::query(AssertSqlSafe(sql)), kind, filter)
            .bind(limit)
            .bind(offset);
        for v in filter.after.iter().flat_map(|c| c.parameters()) {
            q = match v {
                KeyValue::Int(i) => q.bind(i),
                KeyValue::Text(t) => q.bind(t),
            };
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(projection_row).collect()
    }

    /// How many rows a list holds in all (its pages together).
    pub async fn list_count(&self, kind: StreamKind, filter: &ListFilter) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM projections WHERE {LIST_WHERE}{}",
            unrestricted(filter)
        );
        let row = bind_list(sqlx::query(AssertSqlSafe(sql)), kind, filter)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Streams of `kind` (home or replica) whose next deadline falls in `[from, until)`: the
    /// approval reminders one working day before a deadline.
    pub async fn due_between(
        &self,
        kind: StreamKind,
        from: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT stream_id FROM projections WHERE stream_kind = $1 \
             AND next_deadline_ms IS NOT NULL AND next_deadline_ms >= $2 AND next_deadline_ms < $3 \
             ORDER BY next_deadline_ms LIMIT $4",
        )
        .bind(kind.code())
        .bind(ms(from))
        .bind(ms(until))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("stream_id")?)).collect()
    }

    /// Streams whose next deadline has passed at `now`: work for the deadline sweeper.
    pub async fn due(
        &self,
        own: &str,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<(String, String)>> {
        // only streams this node is home of: replicas receive the overdue event from the home
        let rows = sqlx::query(
            "SELECT stream_kind, stream_id FROM projections \
             WHERE next_deadline_ms IS NOT NULL AND next_deadline_ms < $1 AND home_oin = $3 \
             ORDER BY next_deadline_ms LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit)
        .bind(own)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("stream_kind")?, r.try_get("stream_id")?)))
            .collect()
    }

    /// Streams whose deadline passed more than `grace` ago without the overdue event: what an
    /// auditor checks to find lost timers.
    pub async fn missed_deadlines(
        &self,
        own: &str,
        now: Timestamp,
        grace: Duration,
    ) -> Result<i64> {
        let cutoff = ms(now) - i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM projections \
             WHERE next_deadline_ms IS NOT NULL AND next_deadline_ms < $1 AND home_oin = $2",
        )
        .bind(cutoff)
        .bind(own)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn cases(&self) -> Result<Vec<CaseRow>> {
        let rows = sqlx::query("SELECT * FROM cases ORDER BY created_at_ms DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(case_row).collect()
    }

    /// One page of the cases, newest first: those whose reference or description contains
    /// `search` (case-insensitive), of `responsible` when given; and how many there are in all.
    pub async fn cases_page(
        &self,
        search: &str,
        responsible: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CaseRow>, i64)> {
        self.cases_page_of(search, responsible, false, limit, offset)
            .await
    }

    /// [`Store::cases_page`], leaving out the cases whose processing is restricted where
    /// `hide_restricted`.
    pub async fn cases_page_of(
        &self,
        search: &str,
        responsible: &str,
        hide_restricted: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CaseRow>, i64)> {
        const ALL: &str = "($1 = '' OR LOWER(case_ref) LIKE $2 ESCAPE '\\' \
             OR LOWER(title) LIKE $2 ESCAPE '\\') AND ($3 = '' OR responsible = $3 OR created_by = $3)";
        const UNRESTRICTED: &str = "($1 = '' OR LOWER(case_ref) LIKE $2 ESCAPE '\\' \
             OR LOWER(title) LIKE $2 ESCAPE '\\') AND ($3 = '' OR responsible = $3 OR created_by = $3) \
             AND NOT EXISTS (SELECT 1 FROM restrictions r WHERE r.case_ref = cases.case_ref)";
        let where_ = if hide_restricted { UNRESTRICTED } else { ALL };
        let search = search.trim().to_lowercase();
        let pattern = contains_pattern(&search);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT * FROM cases WHERE {where_} ORDER BY created_at_ms DESC, case_ref LIMIT $4 OFFSET $5"
        )))
        .bind(search.as_str())
        .bind(pattern.as_str())
        .bind(responsible)
        .bind(limit.clamp(1, 5000))
        .bind(offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        let n = sqlx::query(AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM cases WHERE {where_}"
        )))
        .bind(search.as_str())
        .bind(pattern.as_str())
        .bind(responsible)
        .fetch_one(&self.pool)
        .await?;
        Ok((
            rows.iter().map(case_row).collect::<Result<_>>()?,
            n.try_get("n")?,
        ))
    }

    /// What waits for `person`, newest first, with the item's case reference; and how many of
    /// all their rows are unread.
    pub async fn inbox(
        &self,
        person: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<crate::InboxRow>, i64)> {
        let rows = sqlx::query(
            "SELECT i.*, p.case_ref AS item_case_ref FROM notices i LEFT JOIN projections p \
             ON p.stream_kind = i.stream_kind AND p.stream_id = i.stream_id \
             WHERE i.person = $1 ORDER BY i.created_at_ms DESC, i.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(person)
        .bind(limit.clamp(1, 500))
        .bind(offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(crate::InboxRow {
                    id: stored_uuid("notices.id", &id)?,
                    person: r.try_get("person")?,
                    reason: r.try_get("reason")?,
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    seq: r.try_get("seq")?,
                    deadline: r
                        .try_get::<Option<i64>, _>("deadline_ms")?
                        .map(from_ms)
                        .transpose()?,
                    created_at: from_ms(r.try_get("created_at_ms")?)?,
                    read_at: r
                        .try_get::<Option<i64>, _>("read_at_ms")?
                        .map(from_ms)
                        .transpose()?,
                    case_ref: r.try_get("item_case_ref")?,
                    mail: r.try_get::<String, _>("mail_state")? != "none",
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((rows, self.unread(person).await?))
    }

    /// Notices to mail whose next attempt is due at `now`, oldest first, with the person's
    /// address.
    pub async fn mail_due(&self, now: Timestamp, limit: i64) -> Result<Vec<crate::MailDue>> {
        let rows = sqlx::query(
            "SELECT n.*, p.email AS person_email, p.digest AS person_digest, \
             p.last_digest AS person_last_digest FROM notices n LEFT JOIN persons p ON p.id = n.person \
             WHERE n.mail_state = 'pending' AND (n.mail_next_ms IS NULL OR n.mail_next_ms <= $1) \
             ORDER BY n.created_at_ms, n.id LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(crate::MailDue {
                    notice: crate::InboxRow {
                        id: stored_uuid("notices.id", &id)?,
                        person: r.try_get("person")?,
                        reason: r.try_get("reason")?,
                        stream_kind: r.try_get("stream_kind")?,
                        stream_id: r.try_get("stream_id")?,
                        seq: r.try_get("seq")?,
                        deadline: r
                            .try_get::<Option<i64>, _>("deadline_ms")?
                            .map(from_ms)
                            .transpose()?,
                        created_at: from_ms(r.try_get("created_at_ms")?)?,
                        read_at: None,
                        case_ref: None,
                        mail: true,
                    },
                    email: r.try_get("person_email")?,
                    attempts: r.try_get("mail_attempts")?,
                    digest: r.try_get::<Option<i64>, _>("person_digest")?.unwrap_or(0) != 0,
                    last_digest: r.try_get("person_last_digest")?,
                })
            })
            .collect()
    }

    /// A notice's mail went out (`sent`), will not (`none`: nobody to send it to; `failed`:
    /// given up), or waits until `next` after a failed attempt.
    pub async fn mail_outcome(
        &self,
        id: &str,
        state: &str,
        error: Option<&str>,
        next: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE notices SET mail_state = $2, mail_error = $3, mail_next_ms = $4, \
             mail_attempts = mail_attempts + CASE WHEN $2 = 'sent' OR $3 IS NOT NULL THEN 1 ELSE 0 END, \
             mail_sent_ms = CASE WHEN $2 = 'sent' THEN $5 ELSE mail_sent_ms END \
             WHERE id = $1 AND mail_state = 'pending'",
        )
        .bind(id)
        .bind(state)
        .bind(error)
        .bind(next.map(ms))
        .bind(ms(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A person's choice between each notice at once and one daily digest (`None`: they never
    /// logged in, so nothing to change).
    pub async fn set_digest(&self, person: &str, digest: bool) -> Result<bool> {
        let r = sqlx::query("UPDATE persons SET digest = $2 WHERE id = $1")
            .bind(person)
            .bind(i64::from(digest))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Whether a person chose the daily digest.
    pub async fn digest_of(&self, person: &str) -> Result<bool> {
        let row = sqlx::query("SELECT digest FROM persons WHERE id = $1")
            .bind(person)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("digest"))
            .transpose()?
            .unwrap_or(0)
            != 0)
    }

    /// The Dutch day a person's digest went out.
    pub async fn digest_sent(&self, person: &str, day: &str) -> Result<()> {
        sqlx::query("UPDATE persons SET last_digest = $2 WHERE id = $1")
            .bind(person)
            .bind(day)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Mails by state (`pending`, `sent`, `failed`, `none`), for the admin page and metrics.
    pub async fn mail_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT mail_state, COUNT(*) AS n FROM notices GROUP BY mail_state ORDER BY mail_state",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("mail_state")?, r.try_get("n")?)))
            .collect()
    }

    /// The latest mails that failed or wait after a failure: (person, reason, state, attempts,
    /// error, when it was made).
    pub async fn mail_problems(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, String, String, i64, String, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT person, reason, mail_state, mail_attempts, mail_error, created_at_ms FROM notices \
             WHERE mail_error IS NOT NULL AND mail_state IN ('pending', 'failed') \
             ORDER BY created_at_ms DESC, id DESC LIMIT $1",
        )
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("person")?,
                    r.try_get("reason")?,
                    r.try_get("mail_state")?,
                    r.try_get("mail_attempts")?,
                    r.try_get::<Option<String>, _>("mail_error")?
                        .unwrap_or_default(),
                    from_ms(r.try_get("created_at_ms")?)?,
                ))
            })
            .collect()
    }

    /// How many rows of `person`'s inbox are unread (the count in the header).
    pub async fn unread(&self, person: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM notices WHERE person = $1 AND read_at_ms IS NULL",
        )
        .bind(person)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Mark one of `person`'s rows read (once: the first reading counts); returns the item it
    /// is about (kind, id), or `None` when it is not theirs.
    pub async fn read_inbox(
        &self,
        person: &str,
        id: &str,
        at: Timestamp,
    ) -> Result<Option<(String, String)>> {
        sqlx::query(
            "UPDATE notices SET read_at_ms = $3 WHERE id = $1 AND person = $2 AND read_at_ms IS NULL",
        )
        .bind(id)
        .bind(person)
        .bind(ms(at))
        .execute(&self.pool)
        .await?;
        let row =
            sqlx::query("SELECT stream_kind, stream_id FROM notices WHERE id = $1 AND person = $2")
                .bind(id)
                .bind(person)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| Ok((r.try_get("stream_kind")?, r.try_get("stream_id")?)))
            .transpose()
    }

    pub async fn case(&self, case_ref: &str) -> Result<Option<CaseRow>> {
        let row = sqlx::query("SELECT * FROM cases WHERE case_ref = $1")
            .bind(case_ref)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case_row).transpose()
    }

    /// Keep today's snapshot of the stagnation view (the latest of the day wins).
    pub async fn save_snapshot(&self, day: &str, now: Timestamp, view: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO oversight_snapshots (day, created_at_ms, view) VALUES ($1, $2, $3) \
             ON CONFLICT (day) DO UPDATE SET created_at_ms = excluded.created_at_ms, view = excluded.view",
        )
        .bind(day)
        .bind(ms(now))
        .bind(view)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Daily snapshots, oldest first: (day, view JSON).
    pub async fn snapshots(&self, limit: i64) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT day, view FROM oversight_snapshots ORDER BY day DESC LIMIT $1")
                .bind(limit.clamp(1, 3660))
                .fetch_all(&self.pool)
                .await?;
        let mut out: Vec<(String, String)> = rows
            .iter()
            .map(|r| Ok((r.try_get("day")?, r.try_get("view")?)))
            .collect::<Result<_>>()?;
        out.reverse();
        Ok(out)
    }

    /// The private notes on a stream, oldest first.
    pub async fn private_notes(&self, kind: StreamKind, id: &str) -> Result<Vec<PrivateNote>> {
        let rows = sqlx::query(
            "SELECT * FROM private_notes WHERE stream_kind = $1 AND stream_id = $2 ORDER BY created_at_ms, id",
        )
        .bind(kind.code())
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(PrivateNote {
                    id: stored_uuid("private note id", &id)?,
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    author: r.try_get("author")?,
                    author_role: r.try_get("author_role")?,
                    created_at: from_ms(r.try_get("created_at_ms")?)?,
                    text: r.try_get("text")?,
                })
            })
            .collect()
    }

    pub async fn notifications(&self, role: &str, person: &str) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE recipient_role = $1 \
             AND (recipient_person IS NULL OR recipient_person = $2) ORDER BY created_at_ms DESC LIMIT 500",
        )
        .bind(role)
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(Notification {
                    id: stored_uuid("notification id", &id)?,
                    created_at: from_ms(r.try_get("created_at_ms")?)?,
                    recipient_role: r.try_get("recipient_role")?,
                    recipient_person: r.try_get("recipient_person")?,
                    stream_kind: r.try_get("stream_kind")?,
                    stream_id: r.try_get("stream_id")?,
                    kind: r.try_get("kind")?,
                    message_nl: r.try_get("message_nl")?,
                    message_en: r.try_get("message_en")?,
                })
            })
            .collect()
    }
}

/// The conditions of a list; `$1`..`$10` are bound by [`bind_list`].
const LIST_WHERE: &str = "stream_kind = $1 \
     AND ($2 = '' OR status = $2) AND ($3 = '' OR case_ref = $3) AND ($4 = 0 OR overdue = 1) \
     AND ($5 = 0 OR step = $5) AND ($6 = 0 OR situation = $6) \
     AND ($7 = '' OR EXISTS (SELECT 1 FROM stream_parties sp WHERE sp.stream_kind = projections.stream_kind \
          AND sp.stream_id = projections.stream_id AND sp.oin = $7)) \
     AND ($8 = '' OR EXISTS (SELECT 1 FROM cases c WHERE c.case_ref = projections.case_ref \
          AND c.responsible = $8)) \
     AND ($9 = '' OR LOWER(subject) LIKE $10 ESCAPE '\\' OR LOWER(COALESCE(case_ref, '')) LIKE $10 ESCAPE '\\')";

/// The condition that leaves out a restricted case's streams, where the filter asks it.
fn unrestricted(filter: &ListFilter) -> &'static str {
    if filter.hide_restricted {
        " AND NOT EXISTS (SELECT 1 FROM restrictions r WHERE r.case_ref = projections.case_ref)"
    } else {
        ""
    }
}

fn bind_list<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    kind: StreamKind,
    f: &ListFilter,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let search = f
        .search
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_lowercase();
    let pattern = contains_pattern(&search);
    q.bind(kind.code())
        .bind(f.status.map_or("", doorbraak_model::Status::code))
        .bind(f.case_ref.clone().unwrap_or_default())
        .bind(i64::from(f.overdue_only))
        .bind(f.step.unwrap_or(0))
        .bind(f.situation.unwrap_or(0))
        .bind(f.party.clone().unwrap_or_default())
        .bind(f.responsible.clone().unwrap_or_default())
        .bind(search)
        .bind(pattern)
}

/// A `LIKE … ESCAPE` pattern (backslash) that finds `s` anywhere, its `%`, `_` and backslash taken
/// literally.
pub(crate) fn contains_pattern(s: &str) -> String {
    format!(
        "%{}%",
        s.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}
