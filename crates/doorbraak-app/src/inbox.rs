//! What waits for this node's people: the model's notices of each event (`Notify`), expanded
//! from roles to the people of this node and written in the same transaction as the event, at
//! the home (a command) and at a replica (a delivery) alike.

use super::*;
use doorbraak_model::notify::{Audience, Notice, Notify};
use doorbraak_store::{InboxRow, Tx};

/// The notices of one stream's events at this node, each with the sequence number of the event
/// that caused it (gathered while the events are applied).
pub(crate) type Noticed = Vec<(i64, Notice)>;

impl Node {
    /// The notices of `event` (number `seq`) for this node's people, `state` as after it.
    pub(crate) fn notices_of<A: Notify>(
        &self,
        state: &A,
        event: &doorbraak_model::Event<A::Body>,
        seq: i64,
        into: &mut Noticed,
    ) {
        into.extend(
            A::notices(state, event, self.oin())
                .into_iter()
                .map(|n| (seq, n)),
        );
    }

    /// The approval reminders due now (one working day before a deadline, for this node's
    /// participants who have not approved): written once per person, document and version of
    /// the minutes. Home and replica alike: each node reminds its own people. Returns how many
    /// meetings were looked at.
    pub async fn remind(&self) -> Result<usize, NodeError> {
        let now = self.now();
        // a deadline within the next few days (a weekend and a holiday between)
        let until = now
            .checked_add(jiff::SignedDuration::from_hours(24 * 5))
            .unwrap_or(now);
        let ids = self
            .store
            .due_between(StreamKind::Minutes, now, until, 500)
            .await?;
        for id in &ids {
            let mut tx = self.store.begin().await?;
            let Some(loaded) = tx.load::<Minutes>(id).await? else {
                continue;
            };
            let noticed: Noticed =
                doorbraak_model::notify::approval_reminders(&loaded.state, now, self.oin())
                    .into_iter()
                    .map(|(_, n)| (loaded.version, n))
                    .collect();
            if noticed.is_empty() {
                continue;
            }
            self.to_inbox(&mut tx, StreamKind::Minutes, id, noticed, now)
                .await?;
            tx.commit().await?;
        }
        Ok(ids.len())
    }

    /// Write the notices of a stream's events into its people's inboxes, in `tx`: a role is
    /// everyone of this node in it (who logged in, and the development accounts).
    pub(crate) async fn to_inbox(
        &self,
        tx: &mut Tx,
        kind: StreamKind,
        id: &str,
        noticed: Noticed,
        now: Timestamp,
    ) -> Result<(), NodeError> {
        let mut rows = Vec::new();
        // one notice per person, reason and deadline for what one command (or one delivery)
        // did to one stream: a pick-up that also adds the picker, or twenty changes delivered
        // at once, is one row (the first event's), not one per event
        let mut seen = std::collections::HashSet::new();
        for (seq, n) in noticed {
            let people = match &n.audience {
                Audience::Person(p) => vec![p.0.clone()],
                Audience::Roles(roles) => {
                    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
                    let mut people = tx.persons_with_roles(&codes).await?;
                    people.extend(
                        self.settings
                            .dev_users
                            .iter()
                            .filter(|u| roles.contains(&u.role))
                            .map(|u| u.id.clone()),
                    );
                    people.sort();
                    people.dedup();
                    people
                }
            };
            for person in people {
                if !seen.insert((person.clone(), n.reason, n.deadline)) {
                    continue;
                }
                rows.push(InboxRow {
                    id: Uuid::now_v7(),
                    person,
                    reason: n.reason.code().to_owned(),
                    stream_kind: kind.code().to_owned(),
                    stream_id: id.to_owned(),
                    seq,
                    deadline: n.deadline,
                    created_at: now,
                    read_at: None,
                    case_ref: None,
                    mail: self.settings.mail.is_some(),
                });
            }
        }
        if !rows.is_empty() {
            tx.add_to_inbox(&rows).await?;
        }
        Ok(())
    }
}
