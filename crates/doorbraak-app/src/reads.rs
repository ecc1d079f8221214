//! Reads that log before they return, private notes and cases.

use super::*;

impl Node {
    /// Read a stream's state for a person; the read is logged before the content is returned.
    pub async fn read<A>(&self, user: &User, id: &str) -> Result<Loaded<A>, NodeError>
    where
        A: Stream,
    {
        // access before existence: a role that never reads this kind learns nothing of which
        // ids exist
        if content_access(user.role, A::KIND.into()) == ContentAccess::Never {
            let refusal = content_refused(user.role, A::KIND.into());
            self.log_refusal(user, A::KIND.code(), id, refusal.rule())
                .await?;
            return Err(refusal.into());
        }
        let loaded = self.store.load::<A>(id).await?;
        let Some(loaded) = loaded else {
            self.log_read_outcome(user, A::KIND.code(), id, "not_found".into())
                .await?;
            return Err(RuleViolation::NotFound {
                what: A::KIND.code(),
            }
            .into());
        };
        let allowed = match content_access(user.role, A::KIND.into()) {
            ContentAccess::All => true,
            ContentAccess::WhereInvolved => loaded
                .state
                .involves(&PersonId::new(user.id.clone()), self.oin()),
            ContentAccess::Never => false,
        };
        // a case whose processing is restricted is read by the responsible role only
        if allowed {
            self.records_gate(user, &loaded.state, doorbraak_model::records::Use::Read)
                .await?;
        }
        if !allowed {
            let refusal = content_refused(user.role, A::KIND.into());
            self.log_refusal(user, A::KIND.code(), id, refusal.rule())
                .await?;
            return Err(refusal.into());
        }
        self.log_read(user, A::KIND.code(), id).await?;
        Ok(loaded)
    }

    /// Log a refused read (outcome `refused:<rule>`).
    pub async fn log_refusal(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
        rule: &str,
    ) -> Result<(), NodeError> {
        self.log_read_outcome(user, object_type, object_id, format!("refused:{rule}"))
            .await
    }

    /// Log a command refused before anything was loaded (action E, outcome `refused:<rule>`)
    /// and return the refusal as the error.
    pub async fn refuse_command(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
        violation: RuleViolation,
    ) -> NodeError {
        self.refused(
            &self.actor(user),
            object_type,
            object_id,
            violation,
            self.now(),
        )
        .await
    }

    /// Log a read of a list or other object (e.g. an overview) before it is shown.
    pub async fn log_read(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
    ) -> Result<(), NodeError> {
        self.log_read_outcome(user, object_type, object_id, "success".into())
            .await
    }

    /// Log a change that is no event of a stream (e.g. the development clock moved).
    pub async fn log_change(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
    ) -> Result<(), NodeError> {
        self.log_outcome(
            user,
            AccessAction::U,
            object_type,
            object_id,
            "success".into(),
        )
        .await
    }

    pub(super) async fn log_read_outcome(
        &self,
        user: &User,
        object_type: &str,
        object_id: &str,
        outcome: String,
    ) -> Result<(), NodeError> {
        self.log_outcome(user, AccessAction::R, object_type, object_id, outcome)
            .await
    }

    async fn log_outcome(
        &self,
        user: &User,
        action: AccessAction,
        object_type: &str,
        object_id: &str,
        outcome: String,
    ) -> Result<(), NodeError> {
        let entry = self.entry(
            &self.actor(user),
            action,
            object_type,
            object_id,
            outcome,
            self.now(),
        );
        self.store.log_access(&entry).await?;
        Ok(())
    }

    /// Add a private note (this organisation only; no outbox row, ever).
    pub async fn add_private_note(
        &self,
        user: &User,
        kind: StreamKind,
        id: &str,
        text: &str,
        key: Option<&Idempotency>,
    ) -> Result<doorbraak_store::PrivateNote, NodeError> {
        let now = self.now();
        // a note stays here, and still never names anyone by BSN
        if let Err(v) = doorbraak_model::privacy::check_free_text([("text", text)]) {
            return Err(self
                .refused(&self.actor(user), "private_note", id, v, now)
                .await);
        }
        let keyed = key
            .map(|idem| {
                Keyed::new(
                    idem,
                    &format!("add_note:{kind}:{id}"),
                    &self.actor(user),
                    text,
                )
            })
            .transpose()?;
        let note = doorbraak_store::PrivateNote {
            id: Uuid::now_v7(),
            stream_kind: kind.code().to_owned(),
            stream_id: id.to_owned(),
            author: user.id.clone(),
            author_role: user.role.code().to_owned(),
            created_at: now,
            text: text.to_owned(),
        };
        let mut tx = self.store.begin().await?;
        if let Some(k) = &keyed {
            if let Some(first) = k.recall(&mut tx).await? {
                return Ok(first);
            }
            k.remember(&mut tx, &note, now).await?;
        }
        tx.add_private_note(&note).await?;
        tx.log_access(&self.entry(
            &self.actor(user),
            AccessAction::C,
            "private_note",
            id,
            "success".into(),
            now,
        ))
        .await?;
        tx.commit().await?;
        Ok(note)
    }

    /// Register a local case.
    pub async fn create_case(
        &self,
        user: &User,
        case_ref: &str,
        title: &str,
        key: Option<&Idempotency>,
    ) -> Result<CaseRow, NodeError> {
        let actor = self.actor(user);
        doorbraak_model::access::Operation::CreateCase.check(actor.role())?;
        let case_ref = CaseRef::parse(case_ref)?;
        doorbraak_model::text::require("title", title, doorbraak_model::text::MAX_SHORT)?;
        let now = self.now();
        if let Err(v) = doorbraak_model::privacy::check_free_text([("title", title)]) {
            return Err(self
                .refused(&actor, "case", case_ref.as_str(), v, now)
                .await);
        }
        let row = CaseRow {
            case_ref: case_ref.to_string(),
            title: title.to_owned(),
            responsible: user.id.clone(),
            created_by: user.id.clone(),
            created_at: now,
        };
        let keyed = key
            .map(|idem| {
                Keyed::new(
                    idem,
                    &format!("create_case:{}", row.case_ref),
                    &actor,
                    &[&row.case_ref, &row.title],
                )
            })
            .transpose()?;
        let mut tx = self.store.begin().await?;
        if let Some(k) = &keyed {
            if let Some(first) = k.recall(&mut tx).await? {
                return Ok(first);
            }
            k.remember(&mut tx, &row, now).await?;
        }
        if !tx.insert_case(&row).await? {
            return Err(RuleViolation::AlreadyExists { what: "Case" }.into());
        }
        tx.log_access(&self.entry(
            &actor,
            AccessAction::C,
            "case",
            &row.case_ref,
            "success".into(),
            now,
        ))
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Loaded state of an escalation, for checks that span aggregates (meetings).
    pub async fn escalation(&self, id: &str) -> Result<Option<Escalation>, NodeError> {
        Ok(self.store.load::<Escalation>(id).await?.map(|l| l.state))
    }

    /// Loaded minutes, for handlers that derive commands from the current state.
    pub async fn minutes(&self, id: &str) -> Result<Option<Minutes>, NodeError> {
        Ok(self.store.load::<Minutes>(id).await?.map(|l| l.state))
    }
}
