//! A replica's command, sent to the stream's home (the one writer) over gRPC.

use super::*;

impl Node {
    /// Send a person's command on a replica to the stream's home, and apply the events the
    /// home appended (the home also delivers them through its outbox; duplicates are skipped).
    pub(super) async fn forward<A>(
        &self,
        actor: &Actor,
        id: &str,
        cmd: &A::Command,
        local: Loaded<A>,
        keyed: Option<&Keyed<'_>>,
    ) -> Result<Applied<A>, NodeError>
    where
        A: Stream,
    {
        let home = local.state.home();
        let fed = self.federation.as_ref().ok_or(FedError::NotConfigured)?;
        let Actor::Person { person, role, .. } = actor else {
            return Err(FedError::Wire("only people's commands are forwarded".into()).into());
        };
        // The BSN check happens before anything leaves: on what the replica would decide.
        if let Ok(events) = A::decide(Some(&local.state), cmd, actor, self.now()) {
            let texts = events.iter().flat_map(|e| A::free_text(&e.body));
            if let Err(v) = doorbraak_model::privacy::check_free_text(texts) {
                return Err(self.refused(actor, A::KIND.code(), id, v, self.now()).await);
            }
        }
        let command = canonical::to_vec(cmd).map_err(|e| FedError::Wire(e.to_string()))?;
        let mut client = fed.peers.client(&home).map_err(|s| FedError::Unreachable {
            home: home.to_string(),
            detail: s.message().to_owned(),
        })?;
        // a keyed command keeps its request id across retries (and restarts): the home decides
        // a request id once and answers a repeat with its first answer
        let request_id = keyed
            .map_or_else(Uuid::now_v7, |k| k.idem.request_id())
            .to_string();
        let call = |mut c: doorbraak_federation::transport::PeerClient, command: Vec<u8>| {
            let request_id = request_id.clone();
            let (person, role) = (person.0.clone(), role.code().to_owned());
            async move {
                c.request(v1::CommandRequest {
                    stream_kind: A::KIND.code().into(),
                    stream_id: id.to_owned(),
                    person: Some(v1::Person { id: person, role }),
                    command,
                    request_id,
                })
                .await
            }
        };
        // one retry with the same request id when the answer was lost on the way: the home
        // decides a request id once
        let first = call(client.clone(), command.clone()).await;
        let answer = match first {
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown
                ) =>
            {
                call(client.clone(), command).await
            }
            other => other,
        };
        let resp = answer
            .map_err(|s| super::error::remote_error(&home, s))?
            .into_inner();
        tracing::info!(
            home = %home,
            kind = A::KIND.code(),
            trace_id = doorbraak_federation::trace::current_trace_id().unwrap_or_default(),
            "a command was decided by the stream's home"
        );
        let events: Vec<StoredEvent<A::Body>> =
            doorbraak_proto::from_wire(&resp.events).map_err(|e| FedError::Wire(e.to_string()))?;
        // The home committed. Apply its events here; if this replica is behind (an earlier
        // event still on its way), fetch what is missing from the home first. A failure here is
        // not the command's failure: the home's outbox brings the events anyway.
        let mut all = events.clone();
        if events.first().is_some_and(|e| e.seq > local.version + 1)
            && let Ok(resp) = client
                .fetch_events(v1::FetchEventsRequest {
                    stream_kind: A::KIND.code().into(),
                    stream_id: id.to_owned(),
                    after_seq: local.version,
                })
                .await
            && let Ok(fetched) = doorbraak_proto::from_wire::<A::Body>(&resp.into_inner().events)
        {
            all = fetched;
        }
        let mut tx = self.store.begin().await?;
        match super::replica::apply_in_tx::<A>(self, &mut tx, &home, id, all).await {
            Ok((state, version)) => {
                let applied = Applied {
                    id: id.to_owned(),
                    version,
                    state,
                    events,
                };
                // the answer is kept here too, so a retry is answered without asking the home
                if let Some(k) = keyed {
                    k.remember(&mut tx, &applied, self.now()).await?;
                }
                tx.commit().await?;
                Ok(applied)
            }
            Err(e) => {
                drop(tx);
                if let NodeError::Federation(d @ FedError::Divergence { .. }) = &e
                    && let Err(r) = super::repair::repair_replica(self, &home, d).await
                {
                    tracing::warn!(error = %r, "repairing a replica failed; the next delivery tries again");
                }
                tracing::warn!(error = %e, "applying the home's answer locally failed; delivery will bring it");
                Ok(Applied {
                    id: id.to_owned(),
                    version: resp.version,
                    state: local.state,
                    events,
                })
            }
        }
    }
}
