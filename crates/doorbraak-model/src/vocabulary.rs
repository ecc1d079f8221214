//! The words the rules are stated in: the kinds of organisation, the roles people act in and
//! the steps of the ladder, with their codes and labels. Plain data that imports nothing of the
//! model, so that the rules' codes and messages ([`crate::violation`]) name them without
//! depending on the aggregates they describe. (Where a word carries a rule that refuses, that
//! rule is beside its aggregate: `Step::check_invoker` in [`crate::escalation`], parsing a role
//! in [`crate::identity`].)

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of organisation a node belongs to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// gemeente
    Municipality,
    /// Lokaal Team, wijkteam, jeugdteam
    LocalTeam,
    /// Veilig Thuis
    VeiligThuis,
    /// Gecertificeerde Instelling (GI): youth protection
    CertifiedInstitution,
    /// zorgaanbieder
    CareProvider,
}

impl OrgKind {
    pub const ALL: [OrgKind; 5] = [
        OrgKind::Municipality,
        OrgKind::LocalTeam,
        OrgKind::VeiligThuis,
        OrgKind::CertifiedInstitution,
        OrgKind::CareProvider,
    ];

    pub fn label_nl(self) -> &'static str {
        match self {
            OrgKind::Municipality => "gemeente",
            OrgKind::LocalTeam => "lokaal team",
            OrgKind::VeiligThuis => "Veilig Thuis",
            OrgKind::CertifiedInstitution => "gecertificeerde instelling",
            OrgKind::CareProvider => "zorgaanbieder",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            OrgKind::Municipality => "municipality",
            OrgKind::LocalTeam => "local team",
            OrgKind::VeiligThuis => "Veilig Thuis",
            OrgKind::CertifiedInstitution => "certified institution",
            OrgKind::CareProvider => "care provider",
        }
    }
}

/// The roles of a person within an organisation (DOMAIN.md, "People and organisations").
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Professional,
    BehaviouralScientist,
    TeamManager,
    Director,
    BoardMember,
    Alderman,
    CivilServant,
    RegionalMediator,
    QualityOfficer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Professional,
        Role::BehaviouralScientist,
        Role::TeamManager,
        Role::Director,
        Role::BoardMember,
        Role::Alderman,
        Role::CivilServant,
        Role::RegionalMediator,
        Role::QualityOfficer,
        Role::Admin,
    ];

    /// The code used in configuration, the API and the wire (`behavioural_scientist`).
    pub fn code(self) -> &'static str {
        match self {
            Role::Professional => "professional",
            Role::BehaviouralScientist => "behavioural_scientist",
            Role::TeamManager => "team_manager",
            Role::Director => "director",
            Role::BoardMember => "board_member",
            Role::Alderman => "alderman",
            Role::CivilServant => "civil_servant",
            Role::RegionalMediator => "regional_mediator",
            Role::QualityOfficer => "quality_officer",
            Role::Admin => "admin",
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            Role::Professional => "uitvoerend professional",
            Role::BehaviouralScientist => "gedragswetenschapper",
            Role::TeamManager => "teammanager",
            Role::Director => "directeur",
            Role::BoardMember => "bestuurder",
            Role::Alderman => "wethouder",
            Role::CivilServant => "ambtelijk medewerker",
            Role::RegionalMediator => "regionaal adviseur",
            Role::QualityOfficer => "kwaliteitsmedewerker",
            Role::Admin => "functioneel beheerder",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Professional => "professional",
            Role::BehaviouralScientist => "behavioural scientist",
            Role::TeamManager => "team manager",
            Role::Director => "director",
            Role::BoardMember => "board member",
            Role::Alderman => "alderman",
            Role::CivilServant => "civil servant",
            Role::RegionalMediator => "regional mediator",
            Role::QualityOfficer => "quality officer",
            Role::Admin => "administrator",
        }
    }
}

impl Role {
    /// Does this role exist at this kind of organisation? DOMAIN.md: "A role exists only where
    /// it fits the organisation: an alderman only at a municipality."
    pub fn exists_at(self, kind: OrgKind) -> bool {
        self != Role::Alderman || kind == OrgKind::Municipality
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The three steps of the ladder, in order (`Ord` follows the ladder).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Step 1: behavioural scientists (gedragswetenschappers).
    BehaviouralScientists,
    /// Step 2: management (managers and directors).
    Management,
    /// Step 3: administrative (bestuurlijk): board members and aldermen.
    Administrative,
}

impl Step {
    pub const ALL: [Step; 3] = [
        Step::BehaviouralScientists,
        Step::Management,
        Step::Administrative,
    ];

    pub fn number(self) -> u8 {
        match self {
            Step::BehaviouralScientists => 1,
            Step::Management => 2,
            Step::Administrative => 3,
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            Step::BehaviouralScientists => "stap 1 (gedragswetenschappers)",
            Step::Management => "stap 2 (management)",
            Step::Administrative => "stap 3 (bestuurlijk)",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Step::BehaviouralScientists => "step 1 (behavioural scientists)",
            Step::Management => "step 2 (management)",
            Step::Administrative => "step 3 (administrative)",
        }
    }

    /// The step above this one on the ladder (none above the administrative step).
    pub fn next(self) -> Option<Step> {
        match self {
            Step::BehaviouralScientists => Some(Step::Management),
            Step::Management => Some(Step::Administrative),
            Step::Administrative => None,
        }
    }

    pub fn invokers(self) -> &'static [Role] {
        match self {
            Step::BehaviouralScientists => &[Role::Professional],
            Step::Management => &[Role::Professional, Role::BehaviouralScientist],
            Step::Administrative => &[Role::TeamManager, Role::Director],
        }
    }

    /// Who picks this step up at the counterpart: the people who act in it (DOMAIN.md). Step 1
    /// a professional or behavioural scientist; step 2 a team manager or director; step 3 a
    /// board member, director, alderman or civil servant (the civil-service layer must be
    /// involved).
    pub fn pickup_roles(self) -> &'static [Role] {
        match self {
            Step::BehaviouralScientists => &[Role::Professional, Role::BehaviouralScientist],
            Step::Management => &[Role::TeamManager, Role::Director],
            Step::Administrative => &[
                Role::BoardMember,
                Role::Director,
                Role::Alderman,
                Role::CivilServant,
            ],
        }
    }

    /// Who takes part in this step (the ladder table's "who acts", plus those who invoke it).
    pub fn participant_roles(self) -> &'static [Role] {
        match self {
            Step::BehaviouralScientists => &[Role::Professional, Role::BehaviouralScientist],
            Step::Management => &[
                Role::Professional,
                Role::BehaviouralScientist,
                Role::TeamManager,
                Role::Director,
            ],
            Step::Administrative => &[
                Role::TeamManager,
                Role::Director,
                Role::BoardMember,
                Role::Alderman,
                Role::CivilServant,
                Role::RegionalMediator,
            ],
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_en())
    }
}

/// The kinds of streams a node keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    Escalation,
    Kwestie,
    Minutes,
    Recommendation,
}

impl StreamKind {
    pub const ALL: [StreamKind; 4] = [
        StreamKind::Escalation,
        StreamKind::Kwestie,
        StreamKind::Minutes,
        StreamKind::Recommendation,
    ];

    /// The kinds that have parties in other organisations (their events cross the wire).
    pub const SHARED: [StreamKind; 2] = [StreamKind::Escalation, StreamKind::Minutes];

    /// The stable code, as stored and sent (`escalation`, `kwestie`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            StreamKind::Escalation => "escalation",
            StreamKind::Kwestie => "kwestie",
            StreamKind::Minutes => "minutes",
            StreamKind::Recommendation => "recommendation",
        }
    }

    /// Does this kind of stream have parties outside its home organisation?
    pub fn is_shared(self) -> bool {
        Self::SHARED.contains(&self)
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An unknown stream kind code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stream kind '{0}'")]
pub struct UnknownStreamKind(pub String);

impl FromStr for StreamKind {
    type Err = UnknownStreamKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownStreamKind(s.chars().take(40).collect()))
    }
}
