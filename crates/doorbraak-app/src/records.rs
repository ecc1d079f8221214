//! Records at this node: a retention term for every record that closed, destruction lists
//! proposed and carried out, a party's confirmation that it destroyed its replica, and the
//! restriction of processing checked on every read.

use super::*;
use doorbraak_model::minutes::MinutesCommand;
use doorbraak_model::records::{self, RecordsCommand, Term};
use doorbraak_store::records::DestructionList;

/// What one records pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordsPass {
    /// Records that closed and got their retention term.
    pub retained: usize,
    /// A destruction list proposed now.
    pub proposed: Option<String>,
    /// Destroyed replicas confirmed to their home.
    pub confirmed: usize,
}

impl Node {
    /// The sweeper's records pass: terms for what closed, a destruction list for what is due,
    /// confirmations of destroyed replicas.
    pub async fn records_pass(&self) -> Result<RecordsPass, NodeError> {
        let now = self.now();
        let mut pass = RecordsPass::default();
        self.store.backfill_closed::<Escalation>(500).await?;
        self.store.backfill_closed::<Kwestie>(500).await?;
        self.store.backfill_closed::<Minutes>(500).await?;
        for c in self
            .store
            .closed_without_retention(self.oin().as_str(), 500)
            .await?
        {
            let Ok(kind) = c.stream_kind.parse::<StreamKind>() else {
                continue;
            };
            let Some(term) = self.settings.retention.term(kind) else {
                continue;
            };
            let retention = records::Retention::new(c.closed_at, term);
            self.store
                .set_retention(kind, &c.stream_id, &retention, now)
                .await?;
            pass.retained += 1;
        }
        pass.proposed = self.propose_destruction().await?;
        pass.confirmed = self.confirm_destroyed().await;
        Ok(pass)
    }

    /// Propose a destruction list of every record due now (none: nothing is due).
    pub async fn propose_destruction(&self) -> Result<Option<String>, NodeError> {
        let now = self.now();
        let due = self
            .store
            .due_for_destruction(self.oin().as_str(), now, 1000)
            .await?;
        let id = self.store.propose_destruction(&due, now).await?;
        if let Some(id) = &id {
            tracing::info!(list = %id, records = due.len(), "a destruction list was proposed");
        }
        Ok(id)
    }

    /// A records command on a stream of any kept kind, in `actor`'s name.
    pub async fn records_command(
        &self,
        actor: &Actor,
        kind: StreamKind,
        id: &str,
        cmd: RecordsCommand,
    ) -> Result<(), NodeError> {
        let name = cmd.name();
        match kind {
            StreamKind::Escalation => self
                .execute::<Escalation>(
                    actor,
                    id,
                    &EscalationCommand::Records { records: cmd },
                    name,
                )
                .await
                .map(drop),
            StreamKind::Kwestie => self
                .execute::<Kwestie>(actor, id, &KwestieCommand::Records { records: cmd }, name)
                .await
                .map(drop),
            StreamKind::Minutes => self
                .execute::<Minutes>(actor, id, &MinutesCommand::Records { records: cmd }, name)
                .await
                .map(drop),
            StreamKind::Recommendation => Err(RuleViolation::NotFound { what: "Record" }.into()),
        }
    }

    /// Approve or reject a proposed destruction list (the responsible role, once). An approved
    /// list is carried out at once: each record destroyed, or skipped with the rule that
    /// stopped it (a legal hold placed since, a restriction).
    pub async fn decide_destruction(
        &self,
        user: &User,
        list: &str,
        approve: bool,
    ) -> Result<DestructionList, NodeError> {
        let now = self.now();
        if let Err(v) = records::check_responsible(Some(user.role), "decide_destruction_list") {
            self.log_refusal(user, "destruction_list", list, v.rule())
                .await?;
            return Err(v.into());
        }
        let list_id = Uuid::parse_str(list).map_err(|_| RuleViolation::InvalidField {
            field: "list",
            reason: "not a UUID",
        })?;
        let l = self
            .store
            .destruction_list(&list_id.to_string())
            .await?
            .ok_or(RuleViolation::NotFound {
                what: "Destruction list",
            })?;
        if !self
            .store
            .decide_destruction(&l.id, approve, &user.id, now)
            .await?
        {
            return Err(RuleViolation::DestructionListDecided.into());
        }
        self.log_change(user, "destruction_list", &l.id).await?;
        if approve {
            let actor = self.actor(user);
            for it in &l.items {
                let Ok(kind) = it.stream_kind.parse::<StreamKind>() else {
                    continue;
                };
                let term = Term {
                    years: u16::try_from(it.years).unwrap_or(u16::MAX),
                    basis: it.basis.clone(),
                };
                let cmd = RecordsCommand::Destroy {
                    list: list_id,
                    term,
                };
                let outcome = match self.records_command(&actor, kind, &it.stream_id, cmd).await {
                    Ok(()) => "destroyed".to_owned(),
                    Err(NodeError::Rule(v)) => format!("skipped:{}", v.rule()),
                    Err(e) => {
                        tracing::warn!(error = %e, id = %it.stream_id, "destroying a record failed");
                        "failed".to_owned()
                    }
                };
                self.store
                    .destruction_outcome(&l.id, &it.stream_kind, &it.stream_id, &outcome, now)
                    .await?;
            }
            tracing::info!(list = %l.id, records = l.items.len(), "a destruction list was carried out");
        }
        Ok(self
            .store
            .destruction_list(&l.id)
            .await?
            .ok_or(RuleViolation::NotFound {
                what: "Destruction list",
            })?)
    }

    /// Confirm to their homes the replicas destroyed here (each once; a home that is down
    /// hears it at a later pass). Returns how many were confirmed now.
    async fn confirm_destroyed(&self) -> usize {
        let rows = match self
            .store
            .unconfirmed_replicas(self.oin().as_str(), 100)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "reading destroyed replicas failed");
                return 0;
            }
        };
        let mut confirmed = 0;
        for (kind, id, home) in rows {
            let Ok(home) = Oin::parse(&home) else {
                continue;
            };
            let r = match kind.parse::<StreamKind>() {
                Ok(StreamKind::Escalation) => {
                    self.confirm_one::<Escalation>(
                        &home,
                        &id,
                        &EscalationCommand::Records {
                            records: RecordsCommand::ConfirmDestroyed,
                        },
                    )
                    .await
                }
                Ok(StreamKind::Minutes) => {
                    self.confirm_one::<Minutes>(
                        &home,
                        &id,
                        &MinutesCommand::Records {
                            records: RecordsCommand::ConfirmDestroyed,
                        },
                    )
                    .await
                }
                _ => continue,
            };
            match r {
                Ok(()) => confirmed += 1,
                Err(e) => {
                    tracing::info!(error = %e, home = %home, id = %id, "confirming a destruction to its home failed; the next pass tries again");
                }
            }
        }
        confirmed
    }

    /// Tell `home` that this node destroyed its replica of `id` (a request by the node, no
    /// person), and apply the home's answer here.
    async fn confirm_one<A>(&self, home: &Oin, id: &str, cmd: &A::Command) -> Result<(), NodeError>
    where
        A: Stream,
    {
        let fed = self.federation.as_ref().ok_or(FedError::NotConfigured)?;
        let mut client = fed.peers.client(home).map_err(|s| FedError::Unreachable {
            home: home.to_string(),
            detail: s.message().to_owned(),
        })?;
        let command = canonical::to_vec(cmd).map_err(|e| FedError::Wire(e.to_string()))?;
        // one request id per replica and node: a retry is answered, never decided twice
        let request_id = doorbraak_model::derived_uuid(
            "doorbraak/confirm-destroyed/v1",
            &[A::KIND.code(), id, self.oin().as_str()],
        );
        let resp = client
            .request(v1::CommandRequest {
                stream_kind: A::KIND.code().into(),
                stream_id: id.to_owned(),
                person: None,
                command,
                request_id: request_id.to_string(),
            })
            .await
            .map_err(|s| super::error::remote_error(home, s))?
            .into_inner();
        let events: Vec<StoredEvent<A::Body>> =
            doorbraak_proto::from_wire(&resp.events).map_err(|e| FedError::Wire(e.to_string()))?;
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        match super::replica::apply_in_tx::<A>(self, &mut tx, home, id, events).await {
            Ok(_) => tx.commit().await?,
            // an earlier event still on its way: the home's delivery brings both
            Err(e) => tracing::debug!(error = %e, "the confirmation is applied when delivered"),
        }
        Ok(())
    }

    /// The one gate of a record's state ([`doorbraak_model::records::gate`]): destroyed or
    /// erased, restricted at this node. Every read, list, export and command path asks it; a
    /// refusal is logged.
    pub async fn records_gate<A>(
        &self,
        user: &User,
        state: &A,
        what: doorbraak_model::records::Use,
    ) -> Result<(), NodeError>
    where
        A: Stream,
    {
        let destroyed = state.records().is_some_and(|r| r.destroyed.is_some());
        let restricted = self.restricted(state).await?;
        if let Err(v) = doorbraak_model::records::gate(destroyed, restricted, what, Some(user.role))
        {
            let action = match what {
                doorbraak_model::records::Use::Read => AccessAction::R,
                doorbraak_model::records::Use::Change => AccessAction::U,
            };
            let entry = self.entry(
                &self.actor(user),
                action,
                A::KIND.code(),
                &state.stream_id(),
                format!("refused:{}", v.rule()),
                self.now(),
            );
            self.store.log_access(&entry).await?;
            return Err(v.into());
        }
        Ok(())
    }

    /// The restriction of processing standing on any case `state` is about.
    pub(super) async fn restricted<A>(&self, state: &A) -> Result<bool, NodeError>
    where
        A: Stream,
    {
        let mut cases: Vec<String> = state.case_refs().iter().map(ToString::to_string).collect();
        if let Some(esc) = state.linked_escalation()
            && let Some(c) = self.store.case_of(StreamKind::Escalation, &esc).await?
        {
            cases.push(c);
        }
        for c in cases {
            if self.store.restriction(&c).await?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
