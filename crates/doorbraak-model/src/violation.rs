//! Every way a command can be refused. Each variant names its rule (a stable code such as
//! `ladder.step1_only_situation1`, used by the API and the UI) and explains itself in Dutch
//! and in English, in words a professional understands.

use crate::Timestamp;
use crate::vocabulary::{Role, Step};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {msg}", rule = self.rule(), msg = self.message_en())]
pub enum RuleViolation {
    // ---- input and identity
    InvalidOin {
        value: String,
    },
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    MissingField {
        field: &'static str,
    },
    BsnNotAllowed {
        field: &'static str,
    },
    RoleNotAllowed {
        action: &'static str,
        role: Option<Role>,
        allowed: Vec<Role>,
    },
    NotAParty,
    NotFound {
        what: &'static str,
    },
    AlreadyExists {
        what: &'static str,
    },

    // ---- federation: one writer per stream
    /// A person acted on a stream whose replica has not arrived at this node yet.
    ReplicaPending,
    /// A new stream's id must name the organisation that opens it as its home.
    StreamIdNotOfHome,
    /// An idempotency key was used before for another operation.
    IdempotencyKeyReused,
    /// A delivery names an organisation the federation directory does not list.
    NotInDirectory,
    /// A delivery of a stream held here under another home.
    NotHome,
    /// A delivered message without events.
    EmptyMessage,
    /// Delivered events are numbered from 1.
    SequenceFromOne {
        got: i64,
    },
    /// Delivered events follow on without holes.
    SequenceContiguous,
    /// A delivered event dated further ahead of this node's clock than the tolerated skew.
    EventInFuture {
        at: Timestamp,
    },
    /// A delivered stream's events make another stream than the id names.
    StreamIdMismatch,
    /// A meeting arrived for an escalation this node does not hold.
    MeetingEscalationUnknown,
    /// A meeting arrived scheduled by, or with participants of, an organisation that is no
    /// party of its escalation.
    MeetingOutsideEscalation,
    /// A delivered stream declares an organisation as another kind than the directory says.
    KindNotInDirectory {
        declared: crate::vocabulary::OrgKind,
        directory: crate::vocabulary::OrgKind,
    },

    // ---- escalation (Bouwsteen 6)
    NeedsCounterpart,
    OpenerIsHome,
    ReferralRouteNotEscalation,
    Step1OnlySituation1,
    Step2NeedsStep1Unbridged,
    Step3NeedsStep2Insufficient,
    StepNeverGoesBack {
        current: Step,
        requested: Step,
    },
    CurrentStepNotEnded {
        step: Step,
    },
    EscalationResolved,
    RoleMayNotInvokeStep {
        step: Step,
        role: Option<Role>,
    },
    Step3NeedsCivilServant,
    ParticipantRoleNotInStep {
        step: Step,
        role: Role,
    },
    ParticipantNotOfParty,
    AldermanOnlyAtMunicipality,
    /// A node names one of its people in a role its kind of organisation does not have.
    RoleNotAtOrgKind {
        role: Role,
        kind: crate::vocabulary::OrgKind,
    },
    /// The federation directory narrows the roles this member may claim for its people.
    RoleNotInDirectory {
        role: Role,
    },
    /// An event received from a stream's home names an organisation that is neither the home
    /// nor a party as the one who acted.
    ActorNotAParty,
    DuplicateParticipant,
    PickupByCounterpart,
    AlreadyPickedUp,
    StepAlreadyEnded {
        step: Step,
    },
    StepNotPickedUp {
        step: Step,
    },
    NotYetOverdue {
        deadline: Timestamp,
    },
    AlreadyMarkedOverdue,
    OverdueBySweeperOnly,
    StepNotReached {
        step: Step,
    },
    FamilyAlreadyRecorded {
        step: Step,
    },
    FamilyAfterNeedsExplanation,
    FamilyInformedMissing {
        step: Step,
    },
    SituationUnchanged,
    SituationConflictsWithStep1,
    CloseOnlyAtHome,
    CloseNeedsEndedStep,
    EscalationClosed,

    // ---- kwestie
    KwestieNeedsCategory,
    PreparationIncomplete {
        missing: &'static str,
    },
    KwestieNeedsRoute,
    KwestieIsLocal,
    KwestieClosed,
    BoardEscalationNotDue {
        deadline: Timestamp,
    },
    BoardEscalationNeedsBoth,
    AlreadyEscalatedToBoard,

    // ---- meetings and minutes
    NotAMeetingParticipant,
    MeetingNeedsTwoOrganisations,
    MinutesAlreadyDrafted,
    MinutesFinal,
    /// Minutes are approved after their meeting took place.
    ApprovalBeforeMeeting,
    /// The development clock is moved only on a node that allows it (`dev.clock_adjustable`).
    DevClockFixed,
    NotCirculated,
    StaleRevision {
        given: u32,
        current: u32,
    },
    ContentHashMismatch,
    AlreadyApproved {
        revision: u32,
    },
    AddendumOnlyWhenFinal,

    // ---- system learning and the recommendations register
    RootCauseNeedsWhy,
    RecommendationClosed,
    // ---- records (retention, destruction, rights of the people in the records)
    /// A record still open is neither destroyed nor erased.
    RecordNotClosed,
    /// Its destruction date has not come.
    RecordNotDue {
        destroy_on: Timestamp,
    },
    /// A legal hold stands.
    LegalHold,
    HoldAlreadyPlaced,
    NoHold,
    /// The record was destroyed: only its tombstone remains.
    RecordDestroyed,
    RecordNotDestroyed,
    /// Holds, destruction and erasure are the home's.
    RecordsAtHomeOnly,
    /// Only a party's node confirms that it destroyed its replica.
    ConfirmByPartyNode,
    /// A node acts on a stream of another home only to confirm a destruction.
    NodeActsAtHomeOnly,
    /// Processing of the case is restricted (AVG art. 18).
    ProcessingRestricted,
    /// Shared free text is corrected by the home.
    CorrectionAtHomeOnly,
    /// A destruction list is approved or rejected once.
    DestructionListDecided,
    InvalidStatusTransition {
        from: &'static str,
        to: &'static str,
    },
}

fn roles_nl(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label_nl())
        .collect::<Vec<_>>()
        .join(", ")
}

fn roles_en(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label_en())
        .collect::<Vec<_>>()
        .join(", ")
}

fn role_nl(role: Option<Role>) -> &'static str {
    role.map_or("het systeem", Role::label_nl)
}

fn role_en(role: Option<Role>) -> &'static str {
    role.map_or("the system", Role::label_en)
}

/// What kind of refusal a rule is, for the wires: mapped once to an HTTP status (the node's
/// `error` module: 403, 422, 404, 409) and once to a gRPC code (`doorbraak-federation`'s
/// `refusal`: `PERMISSION_DENIED`, `INVALID_ARGUMENT`, `NOT_FOUND`, `FAILED_PRECONDITION`), so
/// a refusal decided at another node is answered here as it was there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// About who asks: the role, the organisation, the party.
    Access,
    /// About the form of the request: a field, a length, a BSN.
    Input,
    /// What was asked for does not exist (here).
    NotFound,
    /// A business rule refuses it in the current state.
    Conflict,
}

/// The Dutch label of an input field, as the screens name it (a message never shows a code
/// such as `needs`).
pub fn known_field_nl(code: &str) -> Option<&'static str> {
    Some(match code {
        "question" => "wat gevraagd wordt van wie",
        "needs" => "wat het kind of gezin nodig heeft",
        "case_ref" => "casusnummer",
        "cursor" => "vervolgpagina (cursor)",
        "kind" => "soort dossier",
        "list" => "vernietigingslijst",
        "title" => "titel",
        "text" => "tekst",
        "reason" => "reden",
        "participant.name" => "naam van de deelnemer",
        "participant.person" => "persoon-id van de deelnemer",
        "participants" => "deelnemers",
        "informed.explanation" => "uitleg waarom het gezin achteraf is geïnformeerd",
        "informed.at" => "wanneer het gezin is geïnformeerd",
        "outcome.summary" => "samenvatting van de uitkomst",
        "obstacle" => "waar het vastloopt",
        "child_needs" => "wat het kind of gezin nodig heeft",
        "facilities_needed" => "welke voorzieningen nodig zijn",
        "co_signer" => "de ander die mee opschaalt",
        "co_signer_role" => "de rol van de ander",
        "solution" => "hoe het is opgelost",
        "root_causes" | "root_causes.why" | "cause" => "oorzaakvragen",
        "owner" => "eigenaar",
        "origin" => "herkomst",
        "note" => "toelichting",
        "agenda" => "agenda",
        "content" => "verslag",
        "comment" => "opmerking",
        "addenda" => "aanvullingen (addenda)",
        "bottleneck" => "knelpunt",
        "scope" => "incidenteel of structureel",
        "confirmed" => "bevestiging",
        "counterparts" => "andere organisaties",
        "joining" => "organisaties die aansluiten",
        "date" => "datum en tijd",
        "due" => "gereed op",
        "step" => "stap",
        "to" => "nieuwe situatie",
        "role" => "rol",
        "verwijsroute" => "aanmeldroute",
        "situation" => "situatie",
        "status" => "status",
        "org" => "organisatie",
        "limit" => "aantal",
        "van" => "vanaf",
        "tot" => "tot en met",
        "id" => "nummer",
        "days" => "dagen",
        "cs_org" => "organisatie van de ambtelijk medewerker",
        "zoek" => "zoeken",
        "naam" => "naam",
        "wijze" => "hoe u meldingen krijgt",
        "period.from" => "vanaf",
        "period.to" => "tot en met",
        "situatie" => "situatie",
        "stap" => "stap",
        "partij" => "andere organisatie",
        "sorteer" => "volgorde",
        "Idempotency-Key" => "Idempotency-Key (de sleutel van de handeling)",
        _ => return None,
    })
}

/// The Dutch label of a field (its code when none is known).
pub fn field_nl(field: &str) -> &str {
    known_field_nl(field).unwrap_or(field)
}

/// The Dutch wording of why a field is invalid.
pub fn known_reason_nl(code: &str) -> Option<&'static str> {
    Some(match code {
        "not one of the offered choices" => "kies een van de mogelijkheden",
        "not the start of a day in Europe/Amsterdam" => {
            "niet het begin van een dag (Nederlandse tijd)"
        }
        "not a step of the ladder" => "geen stap van de escalatieladder",
        "1-128 visible ASCII characters" => "1 tot 128 zichtbare ASCII-tekens",
        "unknown role" => "onbekende rol",
        "too many addenda" => "te veel addenda",
        "too long" => "te lang",
        "a retention term is 1 to 200 years" => "een bewaartermijn is 1 tot 200 jaar",
        "escalation, kwestie or minutes" => "escalatie, kwestie of overleg",
        "the organisation is already a party" => "de organisatie is al partij",
        "not an RFC 3339 date-time" => "geen datum en tijd (RFC 3339)",
        "not a valid OIN (20 positions with a prefix of the OIN-stelsel)" => {
            "geen geldig OIN (20 tekens met een voorvoegsel uit het OIN-stelsel)"
        }
        "not a person of this escalation" => "geen persoon van deze escalatie",
        "not a date and time (DD-MM-YYYY, HH:MM)" => "geen datum en tijd (DD-MM-JJJJ, UU:MM)",
        "not a date (YYYY-MM-DD)" => "geen datum (JJJJ-MM-DD)",
        "not a UUID" => "geen geldig nummer (UUID)",
        "must be between 1 and 365 days" => "moet tussen 1 en 365 dagen liggen",
        "must be between 0 and 3650" => "moet tussen 0 en 3650 liggen",
        "lies in the future" => "ligt in de toekomst",
        "not a cursor of this list (take it from the Link header)" => {
            "geen cursor van deze lijst (neem die uit de Link-header)"
        }
        "lies before the start of the period" => "ligt voor het begin van de periode",
        "not a moment (RFC 3339)" => "geen tijdstip (RFC 3339)",
        "contains control characters" => "bevat stuurtekens",
        "at most 64 participants" => "hoogstens 64 deelnemers",
        "at most 16 organisations" => "hoogstens 16 organisaties",
        "an organisation is named twice" => "een organisatie staat er twee keer in",
        "a root cause is named twice" => "een oorzaakvraag staat er twee keer in",
        "1-64 characters: letters, digits, '.', '_' or '-'" => {
            "1 tot 64 tekens: letters, cijfers, '.', '_' of '-'"
        }
        "a whole number from 1 to 5000" => "een heel getal van 1 tot 5000",
        "a whole number from 1 to 10000" => "een heel getal van 1 tot 10000",
        "answered for another organisation" => "antwoordde voor een andere organisatie",
        "is no status of this kind" => "is geen status van deze soort",
        "is not a status" => "is geen status",
        _ => return None,
    })
}

/// The Dutch wording of a reason (as it is when none is known).
pub fn reason_nl(reason: &str) -> &str {
    known_reason_nl(reason).unwrap_or(reason)
}

/// The Dutch name of a thing a `NotFound` or `AlreadyExists` names (its `what` is English);
/// a Dutch message never carries an English word.
fn dutch(what: &str) -> &str {
    match what {
        "Case" | "case" => "De casus",
        "The case (case_ref) on this node" => "De casus (casusnummer) op deze node",
        "Escalation" | "escalation" => "De escalatie",
        "Kwestie" | "kwestie" => "De kwestie",
        "Meeting" | "minutes" => "Het overleg",
        "Minutes draft" => "Het conceptverslag",
        "Addendum" => "Het addendum",
        "Member" | "The organisation in the federation directory" => {
            "De organisatie in het adresboek van de federatie"
        }
        "Step" => "De stap",
        "Recommendation" | "recommendation" => "De aanbeveling",
        "Circulation of this revision" => "De rondzending van deze versie",
        other => other,
    }
}

impl RuleViolation {
    /// The stable code of the rule, e.g. `ladder.step1_only_situation1`.
    pub fn rule(&self) -> &'static str {
        use RuleViolation::*;
        match self {
            InvalidOin { .. } => "identity.oin_format",
            InvalidField { .. } => "input.invalid_field",
            MissingField { .. } => "input.missing_field",
            BsnNotAllowed { .. } => "privacy.no_bsn",
            RoleNotAllowed { .. } => "access.role_not_allowed",
            NotAParty => "access.not_a_party",
            NotFound { .. } => "state.not_found",
            AlreadyExists { .. } => "state.already_exists",
            ReplicaPending => "federation.replica_pending",
            StreamIdNotOfHome => "federation.stream_id_of_home",
            IdempotencyKeyReused => "idempotency.key_reused",
            NotInDirectory => "federation.not_in_directory",
            NotHome => "federation.not_home",
            EmptyMessage => "federation.empty_message",
            SequenceFromOne { .. } => "federation.sequence_from_one",
            SequenceContiguous => "federation.sequence_contiguous",
            EventInFuture { .. } => "federation.event_in_future",
            StreamIdMismatch => "federation.stream_id_mismatch",
            MeetingEscalationUnknown => "federation.meeting_escalation_unknown",
            MeetingOutsideEscalation => "federation.meeting_outside_escalation",
            KindNotInDirectory { .. } => "federation.kind_not_in_directory",
            NeedsCounterpart => "escalation.needs_counterpart",
            OpenerIsHome => "escalation.opener_is_home",
            ReferralRouteNotEscalation => "escalation.referral_route",
            Step1OnlySituation1 => "ladder.step1_only_situation1",
            Step2NeedsStep1Unbridged => "ladder.step2_after_step1",
            Step3NeedsStep2Insufficient => "ladder.step3_after_step2",
            StepNeverGoesBack { .. } => "ladder.no_step_back",
            CurrentStepNotEnded { .. } => "ladder.step_not_ended",
            EscalationResolved => "ladder.already_resolved",
            RoleMayNotInvokeStep { .. } => "ladder.invoke_role",
            Step3NeedsCivilServant => "ladder.step3_civil_servant",
            ParticipantRoleNotInStep { .. } => "ladder.participant_role",
            ParticipantNotOfParty => "escalation.participant_not_party",
            AldermanOnlyAtMunicipality => "ladder.alderman_municipality",
            DuplicateParticipant => "escalation.duplicate_participant",
            PickupByCounterpart => "deadline.pickup_by_counterpart",
            AlreadyPickedUp => "deadline.already_picked_up",
            StepAlreadyEnded { .. } => "ladder.step_ended",
            StepNotPickedUp { .. } => "ladder.step_not_picked_up",
            NotYetOverdue { .. } => "deadline.not_overdue",
            AlreadyMarkedOverdue => "deadline.already_overdue",
            OverdueBySweeperOnly => "deadline.sweeper_only",
            StepNotReached { .. } => "ladder.step_not_reached",
            FamilyAlreadyRecorded { .. } => "family.already_recorded",
            FamilyAfterNeedsExplanation => "family.after_needs_explanation",
            FamilyInformedMissing { .. } => "family.record_required",
            SituationUnchanged => "situation.unchanged",
            SituationConflictsWithStep1 => "situation.conflicts_with_step1",
            CloseOnlyAtHome => "escalation.close_at_home",
            CloseNeedsEndedStep => "escalation.close_needs_ended_step",
            EscalationClosed => "escalation.closed",
            KwestieNeedsCategory => "kwestie.category_required",
            PreparationIncomplete { .. } => "kwestie.preparation",
            KwestieNeedsRoute => "kwestie.route_required",
            KwestieIsLocal => "kwestie.local",
            KwestieClosed => "kwestie.closed",
            BoardEscalationNotDue { .. } => "kwestie.board_not_due",
            BoardEscalationNeedsBoth => "kwestie.board_needs_professional_and_manager",
            AlreadyEscalatedToBoard => "kwestie.already_at_board",
            NotAMeetingParticipant => "minutes.not_participant",
            MeetingNeedsTwoOrganisations => "minutes.two_organisations",
            MinutesAlreadyDrafted => "minutes.already_drafted",
            MinutesFinal => "minutes.final_never_changes",
            ApprovalBeforeMeeting => "minutes.approval_before_meeting",
            DevClockFixed => "dev.clock_fixed",
            RoleNotAtOrgKind { .. } => "access.role_not_at_org_kind",
            RoleNotInDirectory { .. } => "access.role_not_in_directory",
            ActorNotAParty => "federation.actor_not_a_party",
            NotCirculated => "minutes.not_circulated",
            StaleRevision { .. } => "minutes.stale_revision",
            ContentHashMismatch => "minutes.content_hash",
            AlreadyApproved { .. } => "minutes.already_approved",
            AddendumOnlyWhenFinal => "minutes.addendum_after_final",
            RootCauseNeedsWhy => "learning.root_cause_why",
            RecommendationClosed => "register.closed",
            InvalidStatusTransition { .. } => "register.status_transition",
            RecordNotClosed => "records.not_closed",
            RecordNotDue { .. } => "records.not_due",
            LegalHold => "records.legal_hold",
            HoldAlreadyPlaced => "records.hold_placed",
            NoHold => "records.no_hold",
            RecordDestroyed => "records.destroyed",
            RecordNotDestroyed => "records.not_destroyed",
            RecordsAtHomeOnly => "records.at_home_only",
            ConfirmByPartyNode => "records.confirm_by_party_node",
            NodeActsAtHomeOnly => "federation.node_acts_at_home_only",
            ProcessingRestricted => "records.processing_restricted",
            CorrectionAtHomeOnly => "records.correction_at_home_only",
            DestructionListDecided => "records.list_decided",
        }
    }

    /// How this refusal is answered on every wire (see [`RefusalKind`]).
    pub fn kind(&self) -> RefusalKind {
        if self.is_access() {
            RefusalKind::Access
        } else if self.is_input() {
            RefusalKind::Input
        } else if matches!(self, RuleViolation::NotFound { .. }) {
            RefusalKind::NotFound
        } else {
            RefusalKind::Conflict
        }
    }

    /// Is this refusal about who is asking (403) rather than about the request (409/422)?
    pub fn is_access(&self) -> bool {
        matches!(
            self,
            RuleViolation::RoleNotAllowed { .. }
                | RuleViolation::NotAParty
                | RuleViolation::RoleMayNotInvokeStep { .. }
                | RuleViolation::KwestieIsLocal
                | RuleViolation::NotAMeetingParticipant
                | RuleViolation::CloseOnlyAtHome
                | RuleViolation::RoleNotAtOrgKind { .. }
                | RuleViolation::RoleNotInDirectory { .. }
                | RuleViolation::ActorNotAParty
                | RuleViolation::RecordsAtHomeOnly
                | RuleViolation::ConfirmByPartyNode
                | RuleViolation::NodeActsAtHomeOnly
                | RuleViolation::ProcessingRestricted
                | RuleViolation::CorrectionAtHomeOnly
                | RuleViolation::NotInDirectory
                | RuleViolation::NotHome
                | RuleViolation::KindNotInDirectory { .. }
        )
    }

    /// The input field this refusal is about, if it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            RuleViolation::InvalidField { field, .. }
            | RuleViolation::MissingField { field }
            | RuleViolation::BsnNotAllowed { field } => Some(field),
            _ => None,
        }
    }

    /// Is this refusal about malformed input rather than a business rule?
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            RuleViolation::InvalidOin { .. }
                | RuleViolation::InvalidField { .. }
                | RuleViolation::MissingField { .. }
                | RuleViolation::BsnNotAllowed { .. }
                | RuleViolation::StreamIdNotOfHome
                | RuleViolation::IdempotencyKeyReused
                | RuleViolation::EmptyMessage
                | RuleViolation::SequenceFromOne { .. }
                | RuleViolation::SequenceContiguous
                | RuleViolation::EventInFuture { .. }
                | RuleViolation::StreamIdMismatch
                | RuleViolation::MeetingEscalationUnknown
                | RuleViolation::MeetingOutsideEscalation
        )
    }

    /// The explanation in Dutch.
    pub fn message_nl(&self) -> String {
        use RuleViolation::*;
        match self {
            InvalidOin { value } => format!(
                "'{value}' is geen geldig OIN: een OIN heeft 20 tekens (cijfers of hoofdletters) en begint met een voorvoegsel uit het OIN-stelsel (zoals 00000001, 00000003, 00000004 of 00000099)"
            ),
            InvalidField { field, reason } => {
                format!("Het veld ‘{}’ is ongeldig: {}", field_nl(field), reason_nl(reason))
            }
            MissingField { field } => format!("Vul ‘{}’ in: dat is verplicht", field_nl(field)),
            BsnNotAllowed { field } => format!(
                "Het veld ‘{}’ bevat een nummer dat op een BSN lijkt; gebruik het pseudonieme casusnummer, nooit een BSN", field_nl(field)
            ),
            RoleNotAllowed { action, role, allowed } => format!(
                "Als {} mag u '{action}' niet uitvoeren; dat mag: {}",
                role_nl(*role),
                roles_nl(allowed)
            ),
            NotAParty => "Uw organisatie is geen partij bij deze escalatie".into(),
            NotFound { what } => format!("{} bestaat niet", dutch(what)),
            AlreadyExists { what } => format!("{} bestaat al", dutch(what)),
            ReplicaPending => "Deze escalatie is nog niet binnen van de andere organisatie; probeer het zo opnieuw".into(),
            StreamIdNotOfHome => "Het nummer van een nieuwe escalatie of vergadering moet bij de organisatie horen die haar start".into(),
            IdempotencyKeyReused => "Deze Idempotency-Key is al gebruikt voor een andere handeling; gebruik per handeling een nieuwe sleutel".into(),
            NotInDirectory => "Het bericht noemt een organisatie die niet in het adresboek van de federatie staat".into(),
            NotHome => "Alleen de thuisorganisatie van een escalatie of vergadering levert haar gebeurtenissen".into(),
            EmptyMessage => "Een bericht zonder gebeurtenissen wordt niet aangenomen".into(),
            SequenceFromOne { got } => format!("Gebeurtenissen zijn genummerd vanaf 1; dit bericht begint bij {got}"),
            SequenceContiguous => "De gebeurtenissen in een bericht volgen zonder gat op elkaar".into(),
            EventInFuture { at } => format!("Een gebeurtenis is gedateerd op {at}, verder vooruit dan de klok van deze node toestaat"),
            StreamIdMismatch => "De gebeurtenissen horen bij een andere escalatie of vergadering dan het nummer van het bericht".into(),
            MeetingEscalationUnknown => "Het overleg hoort bij een escalatie die deze node niet kent".into(),
            MeetingOutsideEscalation => "Een overleg wordt gepland door en met de partijen van zijn escalatie, niet door of met een andere organisatie".into(),
            KindNotInDirectory { declared, directory } => format!(
                "Het bericht noemt een organisatie een {}, maar volgens het adresboek van de federatie is zij een {}",
                declared.label_nl(),
                directory.label_nl()
            ),
            NeedsCounterpart => {
                "Een escalatie heeft ten minste één andere organisatie als tegenpartij nodig".into()
            }
            OpenerIsHome => {
                "Een escalatie wordt geopend door een medewerker van de eigen organisatie (de thuisorganisatie)".into()
            }
            ReferralRouteNotEscalation => "Dit is geen escalatie: als een jeugdbeschermer het lokaal team niet bereikt bij het zoeken van jeugdhulp, gebruik dan de aanmeldroutes (verwijsroutes) van het lokaal team".into(),
            Step1OnlySituation1 => {
                "Stap 1 (gedragswetenschappers) is alleen mogelijk bij situatie 1 (professioneel dilemma)".into()
            }
            Step2NeedsStep1Unbridged => "Bij situatie 1 (professioneel dilemma) kan stap 2 (management) pas als stap 1 (gedragswetenschappers) is afgesloten zonder dat het verschil is overbrugd".into(),
            Step3NeedsStep2Insufficient => "Stap 3 (bestuurlijk) kan alleen uitzonderlijk: als stap 2 (management) is afgesloten zonder voldoende resultaat".into(),
            StepNeverGoesBack { current, requested } => format!(
                "De escalatie staat op {}; een escalatie gaat nooit terug naar {}",
                current.label_nl(),
                requested.label_nl()
            ),
            CurrentStepNotEnded { step } => format!(
                "{} is nog niet afgesloten; leg eerst de uitkomst vast",
                step.label_nl()
            ),
            EscalationResolved => "De stagnatie is opgelost in de laatste stap; sluit de escalatie af in plaats van op te schalen".into(),
            RoleMayNotInvokeStep { step, role } => format!(
                "Als {} mag u {} niet inzetten; dat mogen: {}",
                role_nl(*role),
                step.label_nl(),
                roles_nl(step.invokers())
            ),
            Step3NeedsCivilServant => "Bij stap 3 (bestuurlijk) moet ten minste één ambtelijk medewerker deelnemen".into(),
            ParticipantRoleNotInStep { step, role } => format!(
                "Een {} neemt niet deel aan {}; deelnemers zijn: {}",
                role.label_nl(),
                step.label_nl(),
                roles_nl(step.participant_roles())
            ),
            ParticipantNotOfParty => {
                "Een deelnemer moet werken bij een organisatie die partij is bij de escalatie".into()
            }
            AldermanOnlyAtMunicipality => "Een wethouder neemt deel namens een gemeente die partij is bij de escalatie".into(),
            DuplicateParticipant => "Deze persoon neemt al deel aan deze stap".into(),
            PickupByCounterpart => "Deze stap wordt opgepakt door de tegenpartij, niet door de organisatie die hem inzette".into(),
            AlreadyPickedUp => "Dit is al opgepakt".into(),
            StepAlreadyEnded { step } => format!("{} is al afgesloten", step.label_nl()),
            StepNotPickedUp { step } => format!(
                "{} is nog niet opgepakt door de tegenpartij; een uitkomst kan pas daarna",
                step.label_nl()
            ),
            NotYetOverdue { deadline } => format!(
                "De termijn voor oppakken loopt nog tot {deadline}; dit kan pas als de termijn verstreken is"
            ),
            AlreadyMarkedOverdue => "De termijn is al als verstreken gemarkeerd".into(),
            OverdueBySweeperOnly => "Een termijn wordt alleen door de termijnbewaking van de thuisorganisatie als verstreken gemarkeerd, niet door een persoon".into(),
            StepNotReached { step } => format!("De escalatie heeft {} nog niet bereikt", step.label_nl()),
            FamilyAlreadyRecorded { step } => format!(
                "Voor {} is al vastgelegd of en wanneer het gezin is geïnformeerd",
                step.label_nl()
            ),
            FamilyAfterNeedsExplanation => "Is het gezin achteraf geïnformeerd, geef dan de uitleg waarom niet vooraf".into(),
            FamilyInformedMissing { step } => format!(
                "De escalatie kan niet worden afgesloten: voor {} is niet vastgelegd of en wanneer het gezin is geïnformeerd",
                step.label_nl()
            ),
            SituationUnchanged => "De escalatie heeft deze situatie al".into(),
            SituationConflictsWithStep1 => "Stap 1 (gedragswetenschappers) hoort bij situatie 1; sluit stap 1 eerst af voordat u de situatie wijzigt".into(),
            CloseOnlyAtHome => "Alleen de organisatie die de escalatie opende, sluit haar af".into(),
            CloseNeedsEndedStep => "Leg eerst de uitkomst van de huidige stap vast; daarna kan de escalatie worden afgesloten".into(),
            EscalationClosed => "Deze escalatie is afgesloten en verandert niet meer".into(),
            KwestieNeedsCategory => "Kies ten minste één categorie voor de kwestie".into(),
            PreparationIncomplete { missing } => format!(
                "De voorbereiding is niet compleet: {}",
                match *missing {
                    "own_reach" => "doe eerst wat binnen uw eigen bereik ligt",
                    "discussed" => "bespreek de kwestie eerst (team, gedragsdeskundige, teammanager, servicedesk, zorgbemiddeling of juristen)",
                    _ => "weet wat u vraagt en aan wie",
                }
            ),
            KwestieNeedsRoute => "Een kwestie gaat naar de teammanager en/of op de agenda van het basisteamoverleg".into(),
            KwestieIsLocal => "Een kwestie is intern: alleen medewerkers van de eigen organisatie behandelen haar".into(),
            KwestieClosed => "Deze kwestie is afgesloten en verandert niet meer".into(),
            BoardEscalationNotDue { deadline } => format!(
                "Opschalen naar het bestuur kan pas als de kwestie niet binnen de termijn is opgepakt (termijn tot {deadline})"
            ),
            BoardEscalationNeedsBoth => "De professional schaalt samen met de teammanager op naar het bestuur: beiden moeten meedoen".into(),
            AlreadyEscalatedToBoard => "Deze kwestie is al naar het bestuur opgeschaald".into(),
            NotAMeetingParticipant => "U bent geen deelnemer van dit overleg".into(),
            MeetingNeedsTwoOrganisations => "Een overleg heeft deelnemers van ten minste twee organisaties".into(),
            MinutesAlreadyDrafted => "Voor dit overleg is al een verslag opgesteld; maak een nieuwe versie".into(),
            MinutesFinal => "Dit verslag is definitief en verandert niet meer; een correctie is een addendum".into(),
            ApprovalBeforeMeeting => "Een verslag wordt goedgekeurd nadat het overleg heeft plaatsgevonden".into(),
            DevClockFixed => "De ontwikkelklok van deze node staat vast (dev.clock_adjustable staat uit)".into(),
            RoleNotAtOrgKind { role, kind } => format!(
                "De rol {} bestaat niet bij een {}; een node van zo'n organisatie kan niemand in die rol laten handelen",
                role.label_nl(),
                kind.label_nl()
            ),
            RoleNotInDirectory { role } => format!(
                "Het adresboek van de federatie staat deze organisatie niet toe iemand als {} te laten handelen",
                role.label_nl()
            ),
            ActorNotAParty => "De gebeurtenis noemt als handelende een organisatie die geen partij is; alleen de thuisnode en de partijen handelen".into(),
            NotCirculated => "Deze versie is nog niet rondgestuurd ter goedkeuring".into(),
            StaleRevision { given, current } => format!(
                "U reageert op versie {given}, maar de actuele versie is {current}; lees de nieuwe versie"
            ),
            ContentHashMismatch => "De tekst die u goedkeurt is niet de tekst van deze versie".into(),
            AlreadyApproved { revision } => format!("U hebt versie {revision} al goedgekeurd"),
            AddendumOnlyWhenFinal => "Een addendum kan alleen bij een definitief verslag; pas anders het concept aan".into(),
            RootCauseNeedsWhy => "Beantwoord bij elke grondoorzaak de vraag 'waarom is dat zo?'".into(),
            RecommendationClosed => "Deze aanbeveling is afgerond en verandert niet meer".into(),
            RecordNotClosed => "Een dossier dat nog loopt wordt niet vernietigd of gewist; sluit het eerst af".into(),
            RecordNotDue { destroy_on } => format!("De bewaartermijn loopt nog: vernietigen kan vanaf {destroy_on}"),
            LegalHold => "Er staat een juridische bewaarplicht (legal hold) op dit dossier; zolang die staat wordt het niet vernietigd".into(),
            HoldAlreadyPlaced => "Er staat al een juridische bewaarplicht op dit dossier".into(),
            NoHold => "Er staat geen juridische bewaarplicht op dit dossier".into(),
            RecordDestroyed => "Dit dossier is vernietigd; alleen de gegevens over de vernietiging zijn bewaard".into(),
            RecordNotDestroyed => "Dit dossier is niet vernietigd".into(),
            RecordsAtHomeOnly => "Bewaarplicht, vernietiging en wissen doet de organisatie die het dossier beheert (de thuisorganisatie)".into(),
            ConfirmByPartyNode => "Alleen de node van een partij bevestigt dat die haar kopie heeft vernietigd".into(),
            NodeActsAtHomeOnly => "Een node handelt alleen zelf bij dossiers van haar eigen organisatie (behalve het bevestigen van een vernietiging)".into(),
            ProcessingRestricted => "De verwerking van deze casus is beperkt (AVG art. 18): niets verandert, en alleen de directeur leest hem".into(),
            CorrectionAtHomeOnly => "Gedeelde tekst wordt verbeterd door de organisatie die het dossier beheert (de thuisorganisatie)".into(),
            DestructionListDecided => "Over deze vernietigingslijst is al besloten".into(),
            InvalidStatusTransition { from, to } => {
                format!("Een aanbeveling gaat niet van status '{from}' naar '{to}'")
            }
        }
    }

    /// The explanation in English.
    pub fn message_en(&self) -> String {
        use RuleViolation::*;
        match self {
            InvalidOin { value } => format!(
                "'{value}' is not a valid OIN: an OIN has 20 positions (digits or upper-case letters) and starts with a prefix of the OIN-stelsel (such as 00000001, 00000003, 00000004 or 00000099)"
            ),
            InvalidField { field, reason } => format!("The field '{field}' is invalid: {reason}"),
            MissingField { field } => format!("The field '{field}' is required"),
            BsnNotAllowed { field } => format!(
                "The field '{field}' contains a number shaped like a BSN; use the pseudonymous case reference, never a BSN"
            ),
            RoleNotAllowed { action, role, allowed } => format!(
                "As {} you may not '{action}'; allowed: {}",
                role_en(*role),
                roles_en(allowed)
            ),
            NotAParty => "Your organisation is not a party to this escalation".into(),
            NotFound { what } => format!("{what} does not exist"),
            AlreadyExists { what } => format!("{what} already exists"),
            ReplicaPending => "This escalation has not yet arrived from the other organisation; try again in a moment".into(),
            StreamIdNotOfHome => "The id of a new escalation or meeting must belong to the organisation that opens it".into(),
            IdempotencyKeyReused => "This Idempotency-Key was used before for another operation; use a new key for each operation".into(),
            NotInDirectory => "The message names an organisation the federation directory does not list".into(),
            NotHome => "Only the home organisation of an escalation or meeting delivers its events".into(),
            EmptyMessage => "A message without events is not accepted".into(),
            SequenceFromOne { got } => format!("Events are numbered from 1; this message starts at {got}"),
            SequenceContiguous => "The events in a message follow on without a hole".into(),
            EventInFuture { at } => format!("An event is dated {at}, further ahead than this node's clock allows"),
            StreamIdMismatch => "The events belong to another escalation or meeting than the message's id".into(),
            MeetingEscalationUnknown => "The meeting belongs to an escalation this node does not hold".into(),
            MeetingOutsideEscalation => "A meeting is scheduled by and with the parties of its escalation, not by or with another organisation".into(),
            KindNotInDirectory { declared, directory } => format!(
                "The message calls an organisation a {}, but the federation directory says it is a {}",
                declared.label_en(),
                directory.label_en()
            ),
            NeedsCounterpart => "An escalation needs at least one other organisation as counterpart".into(),
            OpenerIsHome => "An escalation is opened by a person of the organisation that will be its home".into(),
            ReferralRouteNotEscalation => "This is not an escalation: when a youth protector cannot reach the local team while seeking youth help, use the local team's referral routes (aanmeldroutes)".into(),
            Step1OnlySituation1 => "Step 1 (behavioural scientists) is only possible in situation 1 (professional dilemma)".into(),
            Step2NeedsStep1Unbridged => "In situation 1 (professional dilemma) step 2 (management) comes only after step 1 (behavioural scientists) ended without bridging the difference".into(),
            Step3NeedsStep2Insufficient => "Step 3 (administrative) is exceptional: only after step 2 (management) ended with insufficient result".into(),
            StepNeverGoesBack { current, requested } => format!(
                "The escalation is at {}; an escalation never goes back to {}",
                current.label_en(),
                requested.label_en()
            ),
            CurrentStepNotEnded { step } => format!(
                "{} has not ended yet; record its outcome first",
                step.label_en()
            ),
            EscalationResolved => "The stagnation was lifted in the last step; close the escalation instead of escalating further".into(),
            RoleMayNotInvokeStep { step, role } => format!(
                "As {} you may not invoke {}; allowed: {}",
                role_en(*role),
                step.label_en(),
                roles_en(step.invokers())
            ),
            Step3NeedsCivilServant => "Step 3 (administrative) needs at least one civil servant among its participants".into(),
            ParticipantRoleNotInStep { step, role } => format!(
                "A {} does not take part in {}; participants are: {}",
                role.label_en(),
                step.label_en(),
                roles_en(step.participant_roles())
            ),
            ParticipantNotOfParty => "A participant must work for an organisation that is a party to the escalation".into(),
            AldermanOnlyAtMunicipality => "An alderman takes part on behalf of a municipality that is a party to the escalation".into(),
            DuplicateParticipant => "This person already takes part in this step".into(),
            PickupByCounterpart => "A step is picked up by the counterpart, not by the organisation that invoked it".into(),
            AlreadyPickedUp => "This has already been picked up".into(),
            StepAlreadyEnded { step } => format!("{} has already ended", step.label_en()),
            StepNotPickedUp { step } => format!(
                "{} has not been picked up by the counterpart yet; an outcome comes after that",
                step.label_en()
            ),
            NotYetOverdue { deadline } => format!(
                "The pickup deadline runs until {deadline}; this is possible only once it has passed"
            ),
            AlreadyMarkedOverdue => "The deadline has already been marked as passed".into(),
            OverdueBySweeperOnly => "Only the home's deadline sweeper marks a deadline as passed, never a person".into(),
            StepNotReached { step } => format!("The escalation has not reached {} yet", step.label_en()),
            FamilyAlreadyRecorded { step } => format!(
                "Whether and when the family was informed has already been recorded for {}",
                step.label_en()
            ),
            FamilyAfterNeedsExplanation => "If the family was informed afterwards, explain why not beforehand".into(),
            FamilyInformedMissing { step } => format!(
                "The escalation cannot close: for {} it is not recorded whether and when the family was informed",
                step.label_en()
            ),
            SituationUnchanged => "The escalation already has this situation".into(),
            SituationConflictsWithStep1 => "Step 1 (behavioural scientists) belongs to situation 1; end step 1 before changing the situation".into(),
            CloseOnlyAtHome => "Only the organisation that opened the escalation closes it".into(),
            CloseNeedsEndedStep => "Record the outcome of the current step first; then the escalation can close".into(),
            EscalationClosed => "This escalation is closed and no longer changes".into(),
            KwestieNeedsCategory => "Choose at least one category for the kwestie".into(),
            PreparationIncomplete { missing } => format!(
                "The preparation is incomplete: {}",
                match *missing {
                    "own_reach" => "first do what is within your own reach",
                    "discussed" => "first discuss the kwestie (team, behavioural expert, team manager, service desk, care mediation or lawyers)",
                    _ => "know what you ask and of whom",
                }
            ),
            KwestieNeedsRoute => "A kwestie goes to the team manager and/or onto the agenda of the team meeting (basisteamoverleg)".into(),
            KwestieIsLocal => "A kwestie is internal: only people of the own organisation handle it".into(),
            KwestieClosed => "This kwestie is closed and no longer changes".into(),
            BoardEscalationNotDue { deadline } => format!(
                "Escalating to the board is possible only when the kwestie was not picked up in time (deadline {deadline})"
            ),
            BoardEscalationNeedsBoth => "The professional escalates to the board together with the team manager: both must take part".into(),
            AlreadyEscalatedToBoard => "This kwestie has already been escalated to the board".into(),
            NotAMeetingParticipant => "You are not a participant of this meeting".into(),
            MeetingNeedsTwoOrganisations => "A meeting has participants of at least two organisations".into(),
            MinutesAlreadyDrafted => "Minutes have already been drafted for this meeting; make a new revision".into(),
            MinutesFinal => "These minutes are final and never change; a correction is an addendum".into(),
            ApprovalBeforeMeeting => "Minutes are approved after the meeting took place".into(),
            DevClockFixed => "This node's development clock is fixed (dev.clock_adjustable is off)".into(),
            RoleNotAtOrgKind { role, kind } => format!(
                "The role {} does not exist at a {}; a node of such an organisation cannot have anyone act in it",
                role.label_en(),
                kind.label_en()
            ),
            RoleNotInDirectory { role } => format!(
                "The federation directory does not allow this organisation to have anyone act as {}",
                role.label_en()
            ),
            ActorNotAParty => "The event names an organisation that is not a party as the one who acted; only the home and the parties act".into(),
            NotCirculated => "This revision has not been circulated for approval yet".into(),
            StaleRevision { given, current } => format!(
                "You respond to revision {given}, but the current revision is {current}; read the new revision"
            ),
            ContentHashMismatch => "The text you approve is not the text of this revision".into(),
            AlreadyApproved { revision } => format!("You already approved revision {revision}"),
            AddendumOnlyWhenFinal => "An addendum is possible only on final minutes; otherwise revise the draft".into(),
            RootCauseNeedsWhy => "Answer 'why is that so?' for every root cause".into(),
            RecommendationClosed => "This recommendation is finished and no longer changes".into(),
            RecordNotClosed => "A record still open is neither destroyed nor erased; close it first".into(),
            RecordNotDue { destroy_on } => format!("The retention term has not ended: destruction is possible from {destroy_on}"),
            LegalHold => "A legal hold stands on this record; while it stands the record is not destroyed".into(),
            HoldAlreadyPlaced => "A legal hold already stands on this record".into(),
            NoHold => "No legal hold stands on this record".into(),
            RecordDestroyed => "This record was destroyed; only its destruction metadata remains".into(),
            RecordNotDestroyed => "This record was not destroyed".into(),
            RecordsAtHomeOnly => "Legal holds, destruction and erasure are done by the organisation that keeps the record (its home)".into(),
            ConfirmByPartyNode => "Only a party's node confirms that it destroyed its replica".into(),
            NodeActsAtHomeOnly => "A node acts by itself only on records it is the home of (except confirming a destruction)".into(),
            ProcessingRestricted => "Processing of this case is restricted (GDPR art. 18): nothing changes, and only the director reads it".into(),
            CorrectionAtHomeOnly => "Shared text is corrected by the organisation that keeps the record (its home)".into(),
            DestructionListDecided => "This destruction list has already been decided".into(),
            InvalidStatusTransition { from, to } => {
                format!("A recommendation does not go from status '{from}' to '{to}'")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dutch_message_names_the_thing_in_dutch() {
        for what in [
            "Case",
            "The case (case_ref) on this node",
            "Escalation",
            "Kwestie",
            "Meeting",
            "Minutes draft",
            "Addendum",
            "Member",
            "The organisation in the federation directory",
            "Step",
            "Recommendation",
            "Circulation of this revision",
        ] {
            assert_ne!(dutch(what), what, "{what} has a Dutch name");
        }
        assert_eq!(
            RuleViolation::NotFound { what: "Escalation" }.message_nl(),
            "De escalatie bestaat niet"
        );
    }
}
