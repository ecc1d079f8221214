//! Records management: how long a closed escalation, kwestie or set of minutes is kept, the
//! legal hold that stops that clock, its destruction (content erased, a tombstone kept, every
//! party erasing its replica and confirming it) and the correction of shared free text.
//!
//! The facts are part of each stream (its `Records` events), so that every party folds the
//! same hold and the same destruction; what is erased is said here too ([`Redact`]), so a home
//! and its parties erase the same fields. Time is passed in.

use serde::{Deserialize, Serialize};

use crate::identity::{Actor, Oin, Role};
use crate::text;
use crate::violation::RuleViolation;
use crate::vocabulary::StreamKind;
use crate::{Timestamp, text::MAX_TEXT};

/// The one role that approves a destruction list, places or lifts a legal hold, erases on
/// request, and reads a record whose processing is restricted: the director, for the
/// organisation as controller (verwerkingsverantwoordelijke).
pub const RESPONSIBLE: Role = Role::Director;

/// The retention term of one kind of record, with its legal basis (named on the destruction
/// list and the declaration of destruction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Years from closing to the destruction date (archiefactiedatum).
    pub years: u16,
    /// Why this term, e.g. "Jeugdwet art. 7.3.8 lid 1 (twintig jaar)".
    pub basis: String,
}

/// The retention policy of a node, per kind of record (from `[records.retention]` in
/// node.toml; a kind not named keeps the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionPolicy {
    pub escalation: Term,
    pub kwestie: Term,
    pub minutes: Term,
}

/// The Jeugdwet's term for youth-care files: twenty years (art. 7.3.8 lid 1, since 2018; it
/// also applies to certified institutions through art. 7.3.13).
pub const JEUGDWET_YEARS: u16 = 20;
/// The legal basis named for the default term.
pub const JEUGDWET_BASIS: &str = "Jeugdwet art. 7.3.8 lid 1 (twintig jaar)";

impl Default for RetentionPolicy {
    fn default() -> Self {
        let term = Term {
            years: JEUGDWET_YEARS,
            basis: JEUGDWET_BASIS.to_owned(),
        };
        Self {
            escalation: term.clone(),
            kwestie: term.clone(),
            minutes: term,
        }
    }
}

impl RetentionPolicy {
    /// The term for a kind of record (`None`: the kind is no record kept under this policy).
    pub fn term(&self, kind: StreamKind) -> Option<&Term> {
        match kind {
            StreamKind::Escalation => Some(&self.escalation),
            StreamKind::Kwestie => Some(&self.kwestie),
            StreamKind::Minutes => Some(&self.minutes),
            StreamKind::Recommendation => None,
        }
    }

    /// Every term is at least one year and names its basis.
    pub fn validate(&self) -> Result<(), RuleViolation> {
        for (field, t) in [
            ("records.retention.escalation", &self.escalation),
            ("records.retention.kwestie", &self.kwestie),
            ("records.retention.minutes", &self.minutes),
        ] {
            if t.years == 0 || t.years > 200 {
                return Err(RuleViolation::InvalidField {
                    field,
                    reason: "a retention term is 1 to 200 years",
                });
            }
            text::require(field, &t.basis, 300)?;
        }
        Ok(())
    }
}

/// The destruction date of a record closed at `closed_at` kept for `years`: the same calendar
/// day (UTC) that many years later (29 February becomes 28 February).
pub fn destroy_on(closed_at: Timestamp, years: u16) -> Timestamp {
    let utc = jiff::tz::Offset::UTC;
    utc.to_datetime(closed_at)
        .checked_add(jiff::Span::new().years(i64::from(years)))
        .ok()
        .and_then(|d| utc.to_timestamp(d).ok())
        .unwrap_or(Timestamp::MAX)
}

/// The moment before which what is kept for `years` has served its term at `now`: the same
/// calendar day (UTC) that many years earlier (the inverse of [`destroy_on`]; the access log's
/// rows older than it are archived).
pub fn term_start(now: Timestamp, years: u16) -> Timestamp {
    let utc = jiff::tz::Offset::UTC;
    utc.to_datetime(now)
        .checked_sub(jiff::Span::new().years(i64::from(years)))
        .ok()
        .and_then(|d| utc.to_timestamp(d).ok())
        .unwrap_or(Timestamp::MIN)
}

/// A record's retention: when it closed, its term, its destruction date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub closed_at: Timestamp,
    pub years: u16,
    pub basis: String,
    pub destroy_on: Timestamp,
}

impl Retention {
    pub fn new(closed_at: Timestamp, term: &Term) -> Self {
        Self {
            closed_at,
            years: term.years,
            basis: term.basis.clone(),
            destroy_on: destroy_on(closed_at, term.years),
        }
    }
}

/// A legal hold: the record is not destroyed while it stands (a complaint, a court case, an
/// inquiry), whatever its destruction date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: String,
    pub at: Timestamp,
    pub by: Actor,
}

/// Why a record was destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DestructionBasis {
    /// Its retention term ended; destroyed from an approved destruction list.
    RetentionEnded { list: uuid::Uuid },
    /// Erased on the request of a person in it (AVG art. 17, Jeugdwet art. 7.3.9).
    OnRequest { reason: String },
}

/// What stays of a destroyed record: its retention metadata, no content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tombstone {
    pub destroyed_at: Timestamp,
    pub closed_at: Timestamp,
    pub years: u16,
    pub legal_basis: String,
    pub destroy_on: Timestamp,
    pub basis: DestructionBasis,
}

/// The records part of a stream's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroyed: Option<Tombstone>,
    /// Parties (other than the home) that confirmed they destroyed their replica.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmed: Vec<Oin>,
    /// Corrections of shared free text, in order (what was corrected and why; the old text is
    /// no longer shown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

/// One correction of shared free text, by the home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub field: String,
    pub reason: String,
    pub at: Timestamp,
    pub by: Actor,
}

/// What records management asks of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordsCommand {
    PlaceHold {
        reason: String,
    },
    LiftHold,
    /// Destroy a record whose term ended, from an approved destruction list. `term` is the
    /// node's term for the kind (the policy is configuration; the rule is here).
    Destroy {
        list: uuid::Uuid,
        term: Term,
    },
    /// Erase a closed record on the request of a person in it, with the reason.
    Erase {
        reason: String,
        term: Term,
    },
    /// A party's node confirms it destroyed its replica (sent by the node, not a person).
    ConfirmDestroyed,
}

impl RecordsCommand {
    pub fn name(&self) -> &'static str {
        match self {
            RecordsCommand::PlaceHold { .. } => "place_hold",
            RecordsCommand::LiftHold => "lift_hold",
            RecordsCommand::Destroy { .. } => "destroy",
            RecordsCommand::Erase { .. } => "erase",
            RecordsCommand::ConfirmDestroyed => "confirm_destroyed",
        }
    }
}

/// Records facts of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordsEvent {
    HoldPlaced { reason: String },
    HoldLifted,
    Destroyed { tombstone: Tombstone },
    DestructionConfirmed { org: Oin },
}

impl RecordsEvent {
    pub fn name(&self) -> &'static str {
        match self {
            RecordsEvent::HoldPlaced { .. } => "hold_placed",
            RecordsEvent::HoldLifted => "hold_lifted",
            RecordsEvent::Destroyed { .. } => "destroyed",
            RecordsEvent::DestructionConfirmed { .. } => "destruction_confirmed",
        }
    }

    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        match self {
            RecordsEvent::HoldPlaced { reason } => vec![("reason", reason)],
            RecordsEvent::Destroyed { tombstone } => match &tombstone.basis {
                DestructionBasis::OnRequest { reason } => vec![("reason", reason)],
                DestructionBasis::RetentionEnded { .. } => Vec::new(),
            },
            RecordsEvent::HoldLifted | RecordsEvent::DestructionConfirmed { .. } => Vec::new(),
        }
    }

    /// The free text a destruction erases (a hold's reason; the reason of an erasure stays, as
    /// the record of why).
    pub fn redact(&mut self) {
        if let RecordsEvent::HoldPlaced { reason } = self {
            reason.clear();
        }
    }
}

/// What a stream tells records management about itself.
pub struct Subject<'a> {
    pub home: &'a Oin,
    pub parties: &'a [Oin],
    pub closed_at: Option<Timestamp>,
    pub records: &'a Records,
}

/// The responsible role decides destruction lists, restrictions and inzage exports.
pub fn check_responsible(role: Option<Role>, action: &'static str) -> Result<(), RuleViolation> {
    if role == Some(RESPONSIBLE) {
        Ok(())
    } else {
        Err(RuleViolation::RoleNotAllowed {
            action,
            role,
            allowed: vec![RESPONSIBLE],
        })
    }
}

/// Who sees the records overview and the destruction lists (metadata, no content): the
/// responsible role and the quality officer.
pub fn check_records_reader(role: Option<Role>) -> Result<(), RuleViolation> {
    if matches!(role, Some(RESPONSIBLE | Role::QualityOfficer)) {
        Ok(())
    } else {
        Err(RuleViolation::RoleNotAllowed {
            action: "read_records",
            role,
            allowed: vec![RESPONSIBLE, Role::QualityOfficer],
        })
    }
}

fn responsible(actor: &Actor, action: &'static str) -> Result<(), RuleViolation> {
    match actor {
        Actor::Person { role, .. } if *role == RESPONSIBLE => Ok(()),
        _ => Err(RuleViolation::RoleNotAllowed {
            action,
            role: actor.role(),
            allowed: vec![RESPONSIBLE],
        }),
    }
}

/// A destroyed record takes no other command (`records.destroyed`); a node acts on another
/// home's stream only to confirm a destruction (`federation.node_acts_at_home_only`).
pub fn check_command(
    subject: &Subject<'_>,
    is_records: Option<&RecordsCommand>,
    actor: &Actor,
) -> Result<(), RuleViolation> {
    if let Actor::System { org } = actor
        && org != subject.home
        && !matches!(is_records, Some(RecordsCommand::ConfirmDestroyed))
    {
        return Err(RuleViolation::NodeActsAtHomeOnly);
    }
    if subject.records.destroyed.is_some()
        && !matches!(is_records, Some(RecordsCommand::ConfirmDestroyed))
    {
        return Err(RuleViolation::RecordDestroyed);
    }
    Ok(())
}

/// Decide a records command. Holds, destruction and erasure are the home's (its responsible
/// role); a confirmation is a party's node.
pub fn decide(
    subject: &Subject<'_>,
    cmd: &RecordsCommand,
    actor: &Actor,
    now: Timestamp,
) -> Result<Vec<RecordsEvent>, RuleViolation> {
    use RecordsCommand as C;
    let r = subject.records;
    if let C::ConfirmDestroyed = cmd {
        let Actor::System { org } = actor else {
            return Err(RuleViolation::ConfirmByPartyNode);
        };
        if org == subject.home || !subject.parties.contains(org) {
            return Err(RuleViolation::ConfirmByPartyNode);
        }
        if r.destroyed.is_none() {
            return Err(RuleViolation::RecordNotDestroyed);
        }
        if r.confirmed.contains(org) {
            return Ok(Vec::new());
        }
        return Ok(vec![RecordsEvent::DestructionConfirmed {
            org: org.clone(),
        }]);
    }
    if actor.org() != subject.home {
        return Err(RuleViolation::RecordsAtHomeOnly);
    }
    responsible(actor, cmd.name())?;
    if r.destroyed.is_some() {
        return Err(RuleViolation::RecordDestroyed);
    }
    match cmd {
        C::PlaceHold { reason } => {
            if r.hold.is_some() {
                return Err(RuleViolation::HoldAlreadyPlaced);
            }
            text::require("reason", reason, MAX_TEXT)?;
            Ok(vec![RecordsEvent::HoldPlaced {
                reason: reason.clone(),
            }])
        }
        C::LiftHold => {
            if r.hold.is_none() {
                return Err(RuleViolation::NoHold);
            }
            Ok(vec![RecordsEvent::HoldLifted])
        }
        C::Destroy { list, term } => {
            let closed_at = subject.closed_at.ok_or(RuleViolation::RecordNotClosed)?;
            if r.hold.is_some() {
                return Err(RuleViolation::LegalHold);
            }
            let retention = Retention::new(closed_at, term);
            if now < retention.destroy_on {
                return Err(RuleViolation::RecordNotDue {
                    destroy_on: retention.destroy_on,
                });
            }
            Ok(vec![RecordsEvent::Destroyed {
                tombstone: tombstone(
                    retention,
                    now,
                    DestructionBasis::RetentionEnded { list: *list },
                ),
            }])
        }
        C::Erase { reason, term } => {
            let closed_at = subject.closed_at.ok_or(RuleViolation::RecordNotClosed)?;
            if r.hold.is_some() {
                return Err(RuleViolation::LegalHold);
            }
            text::require("reason", reason, MAX_TEXT)?;
            Ok(vec![RecordsEvent::Destroyed {
                tombstone: tombstone(
                    Retention::new(closed_at, term),
                    now,
                    DestructionBasis::OnRequest {
                        reason: reason.clone(),
                    },
                ),
            }])
        }
        C::ConfirmDestroyed => Ok(Vec::new()),
    }
}

fn tombstone(r: Retention, now: Timestamp, basis: DestructionBasis) -> Tombstone {
    Tombstone {
        destroyed_at: now,
        closed_at: r.closed_at,
        years: r.years,
        legal_basis: r.basis,
        destroy_on: r.destroy_on,
        basis,
    }
}

impl Records {
    /// Fold a records fact.
    pub fn apply(&mut self, event: &RecordsEvent, at: Timestamp, by: &Actor) {
        match event {
            RecordsEvent::HoldPlaced { reason } => {
                self.hold = Some(Hold {
                    reason: reason.clone(),
                    at,
                    by: by.clone(),
                });
            }
            RecordsEvent::HoldLifted => self.hold = None,
            RecordsEvent::Destroyed { tombstone } => {
                self.hold = None;
                self.destroyed = Some(tombstone.clone());
            }
            RecordsEvent::DestructionConfirmed { org } => {
                if !self.confirmed.contains(org) {
                    self.confirmed.push(org.clone());
                }
            }
        }
    }

    /// The parties (other than the home) that have not confirmed a destruction yet.
    pub fn unconfirmed(&self, home: &Oin, parties: &[Oin]) -> Vec<Oin> {
        if self.destroyed.is_none() {
            return Vec::new();
        }
        parties
            .iter()
            .filter(|p| *p != home && !self.confirmed.contains(p))
            .cloned()
            .collect()
    }
}

/// Whether a record may be destroyed now from a destruction list (the sweeper proposes only
/// what this says is due; [`decide`] checks it again when the list is carried out).
pub fn is_due(retention: &Retention, records: &Records, now: Timestamp) -> bool {
    records.hold.is_none() && records.destroyed.is_none() && now >= retention.destroy_on
}

/// What a person does with a record, for [`gate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Reads it: one record, a list, an export, the case.
    Read,
    /// Changes anything of it: a command (also one forwarded to the home), a private note.
    Change,
}

/// The one gate of a record's state that every read, list, export and command asks: a
/// destroyed (or erased) record takes nothing new (`records.destroyed`); a case whose
/// processing is restricted changes for nobody and is read by the responsible role only
/// (`records.processing_restricted`).
pub fn gate(
    destroyed: bool,
    restricted: bool,
    what: Use,
    role: Option<Role>,
) -> Result<(), RuleViolation> {
    if destroyed && what == Use::Change {
        return Err(RuleViolation::RecordDestroyed);
    }
    check_restriction(restricted, what == Use::Read, role)
}

/// Does this role see the records of a case whose processing is restricted (in lists too)?
pub fn sees_restricted(role: Option<Role>) -> bool {
    check_restriction(true, true, role).is_ok()
}

/// Restriction of processing (AVG art. 18) on a case: while it stands, nothing of the case
/// changes, and only the responsible role reads it (`records.processing_restricted`).
pub fn check_restriction(
    restricted: bool,
    reading: bool,
    role: Option<Role>,
) -> Result<(), RuleViolation> {
    if !restricted {
        return Ok(());
    }
    if reading && role == Some(RESPONSIBLE) {
        return Ok(());
    }
    Err(RuleViolation::ProcessingRestricted)
}

/// Erase the free text of an event body: what a destruction leaves of it. Each aggregate says
/// which of its fields are free text and names (`Streamed::redact`).
pub trait Redact {
    fn redact(&mut self);
}

/// Clear every string.
pub(crate) fn clear<'a>(texts: impl IntoIterator<Item = &'a mut String>) {
    for t in texts {
        t.clear();
    }
}

/// A correction of the shared text `field` (by the home, with a reason).
pub fn check_correction(
    home: &Oin,
    actor: &Actor,
    text_value: &str,
    reason: &str,
    field: &'static str,
) -> Result<(), RuleViolation> {
    if actor.org() != home {
        return Err(RuleViolation::CorrectionAtHomeOnly);
    }
    match actor.role() {
        Some(role)
            if crate::access::content_access(role, crate::access::ContentKind::Escalation)
                == crate::access::ContentAccess::All => {}
        role => {
            return Err(RuleViolation::RoleNotAllowed {
                action: "correct",
                role,
                allowed: vec![
                    Role::Professional,
                    Role::BehaviouralScientist,
                    Role::TeamManager,
                    Role::Director,
                    Role::BoardMember,
                ],
            });
        }
    }
    text::require(field, text_value, MAX_TEXT)?;
    text::require("reason", reason, MAX_TEXT)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oin(n: u8) -> Oin {
        format!("000000010000000000{n:02}").parse().unwrap()
    }
    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }
    fn director(o: &Oin) -> Actor {
        Actor::person("d", Role::Director, o.clone())
    }

    fn subject<'a>(home: &'a Oin, parties: &'a [Oin], records: &'a Records) -> Subject<'a> {
        Subject {
            home,
            parties,
            closed_at: Some(t("2026-01-15T10:00:00Z")),
            records,
        }
    }

    #[test]
    fn records_destroy_only_when_due() {
        let (h, p) = (oin(1), oin(2));
        let parties = [h.clone(), p.clone()];
        let r = Records::default();
        let s = subject(&h, &parties, &r);
        let term = Term {
            years: 20,
            basis: JEUGDWET_BASIS.into(),
        };
        let cmd = RecordsCommand::Destroy {
            list: uuid::Uuid::nil(),
            term,
        };
        let early = decide(&s, &cmd, &director(&h), t("2046-01-15T09:59:59Z"));
        assert!(matches!(early, Err(RuleViolation::RecordNotDue { .. })));
        assert_eq!(early.unwrap_err().rule(), "records.not_due");
        let due = decide(&s, &cmd, &director(&h), t("2046-01-15T10:00:00Z")).unwrap();
        assert!(matches!(due[0], RecordsEvent::Destroyed { .. }));
    }

    #[test]
    fn records_legal_hold_blocks_destruction_and_erasure() {
        let h = oin(1);
        let parties = [h.clone()];
        let mut r = Records::default();
        r.apply(
            &RecordsEvent::HoldPlaced {
                reason: "klacht".into(),
            },
            t("2030-01-01T00:00:00Z"),
            &director(&h),
        );
        let s = subject(&h, &parties, &r);
        let term = Term {
            years: 1,
            basis: "x".into(),
        };
        let d = decide(
            &s,
            &RecordsCommand::Destroy {
                list: uuid::Uuid::nil(),
                term: term.clone(),
            },
            &director(&h),
            t("2040-01-01T00:00:00Z"),
        );
        assert_eq!(d.unwrap_err().rule(), "records.legal_hold");
        let e = decide(
            &s,
            &RecordsCommand::Erase {
                reason: "verzoek ouder".into(),
                term,
            },
            &director(&h),
            t("2040-01-01T00:00:00Z"),
        );
        assert_eq!(e.unwrap_err().rule(), "records.legal_hold");
    }

    #[test]
    fn records_responsible_role_and_home_only() {
        let (h, p) = (oin(1), oin(2));
        let parties = [h.clone(), p.clone()];
        let r = Records::default();
        let s = subject(&h, &parties, &r);
        let hold = RecordsCommand::PlaceHold {
            reason: "klacht".into(),
        };
        let prof = Actor::person("p", Role::Professional, h.clone());
        assert_eq!(
            decide(&s, &hold, &prof, t("2027-01-01T00:00:00Z"))
                .unwrap_err()
                .rule(),
            "access.role_not_allowed"
        );
        assert_eq!(
            decide(&s, &hold, &director(&p), t("2027-01-01T00:00:00Z"))
                .unwrap_err()
                .rule(),
            "records.at_home_only"
        );
        assert!(decide(&s, &hold, &director(&h), t("2027-01-01T00:00:00Z")).is_ok());
    }

    #[test]
    fn records_confirmation_only_by_a_party_node_after_destruction() {
        let (h, p, x) = (oin(1), oin(2), oin(3));
        let parties = [h.clone(), p.clone()];
        let mut r = Records::default();
        let s = subject(&h, &parties, &r);
        let c = RecordsCommand::ConfirmDestroyed;
        let now = t("2027-01-01T00:00:00Z");
        assert_eq!(
            decide(&s, &c, &Actor::system(p.clone()), now)
                .unwrap_err()
                .rule(),
            "records.not_destroyed"
        );
        r.destroyed = Some(tombstone(
            Retention::new(
                now,
                &Term {
                    years: 1,
                    basis: "x".into(),
                },
            ),
            now,
            DestructionBasis::RetentionEnded {
                list: uuid::Uuid::nil(),
            },
        ));
        let s = subject(&h, &parties, &r);
        assert_eq!(
            decide(&s, &c, &Actor::system(x), now).unwrap_err().rule(),
            "records.confirm_by_party_node"
        );
        assert_eq!(
            decide(&s, &c, &Actor::person("q", Role::Director, p.clone()), now)
                .unwrap_err()
                .rule(),
            "records.confirm_by_party_node"
        );
        let ok = decide(&s, &c, &Actor::system(p.clone()), now).unwrap();
        assert_eq!(
            ok,
            vec![RecordsEvent::DestructionConfirmed { org: p.clone() }]
        );
        assert_eq!(r.unconfirmed(&h, &parties), vec![p]);
    }

    #[test]
    fn records_restriction_blocks_all_but_reading_by_the_responsible_role() {
        assert!(check_restriction(false, false, Some(Role::Professional)).is_ok());
        assert!(check_restriction(true, true, Some(RESPONSIBLE)).is_ok());
        assert_eq!(
            check_restriction(true, true, Some(Role::Professional))
                .unwrap_err()
                .rule(),
            "records.processing_restricted"
        );
        assert_eq!(
            check_restriction(true, false, Some(RESPONSIBLE))
                .unwrap_err()
                .rule(),
            "records.processing_restricted"
        );
    }

    #[test]
    fn records_destroy_on_is_the_same_day_years_later() {
        assert_eq!(
            destroy_on(t("2024-02-29T12:00:00Z"), 20),
            t("2044-02-29T12:00:00Z")
        );
        assert_eq!(
            destroy_on(t("2024-02-29T12:00:00Z"), 1),
            t("2025-02-28T12:00:00Z")
        );
    }
}
