//! The municipality's memory of its region's answers to the stagnation view: each member's
//! last good answer per period, and how it answered lately (issue #18).

use super::*;

/// A member's last good answer: its figures as received, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAnswer {
    pub figures: String,
    pub answered_at: Timestamp,
}

/// How a member answered lately.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberHealth {
    /// Failures since its last good answer.
    pub failures: i64,
    pub last_failure: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
}

impl Store {
    /// Keep `member`'s answer for `period` (replacing the one before) and count it a success;
    /// a `late` one (after the view's deadline) keeps its failures, so the member is not waited
    /// for until its backoff has passed.
    pub async fn save_member_answer(
        &self,
        member: &str,
        period: &str,
        figures: &str,
        at: Timestamp,
        late: bool,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO member_answers (member, period, figures, answered_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (member, period) DO UPDATE SET \
             figures = excluded.figures, answered_at_ms = excluded.answered_at_ms",
        )
        .bind(member)
        .bind(period)
        .bind(figures)
        .bind(ms(at))
        .execute(&mut *tx.tx)
        .await?;
        sqlx::query(
            "INSERT INTO member_health (member, failures, last_success_ms) VALUES ($1, 0, $2) \
             ON CONFLICT (member) DO UPDATE SET last_success_ms = excluded.last_success_ms, \
             failures = CASE WHEN $3 = 1 THEN member_health.failures ELSE 0 END",
        )
        .bind(member)
        .bind(ms(at))
        .bind(i64::from(late))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// `member` did not answer (in time) at `at`.
    pub async fn member_failed(&self, member: &str, at: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO member_health (member, failures, last_failure_ms) VALUES ($1, 1, $2) \
             ON CONFLICT (member) DO UPDATE SET failures = member_health.failures + 1, \
             last_failure_ms = excluded.last_failure_ms",
        )
        .bind(member)
        .bind(ms(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every member's last good answer for `period`.
    pub async fn member_answers(
        &self,
        period: &str,
    ) -> Result<std::collections::HashMap<String, MemberAnswer>> {
        let rows = sqlx::query(
            "SELECT member, figures, answered_at_ms FROM member_answers WHERE period = $1",
        )
        .bind(period)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("member")?,
                    MemberAnswer {
                        figures: r.try_get("figures")?,
                        answered_at: from_ms(r.try_get("answered_at_ms")?)?,
                    },
                ))
            })
            .collect()
    }

    /// How every member answered lately.
    pub async fn member_health(&self) -> Result<std::collections::HashMap<String, MemberHealth>> {
        let rows = sqlx::query(
            "SELECT member, failures, last_failure_ms, last_success_ms FROM member_health",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("member")?,
                    MemberHealth {
                        failures: r.try_get("failures")?,
                        last_failure: r
                            .try_get::<Option<i64>, _>("last_failure_ms")?
                            .map(from_ms)
                            .transpose()?,
                        last_success: r
                            .try_get::<Option<i64>, _>("last_success_ms")?
                            .map(from_ms)
                            .transpose()?,
                    },
                ))
            })
            .collect()
    }
}
