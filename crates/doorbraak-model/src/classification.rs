//! How a closed escalation or a resolved kwestie names its bottleneck (the classification at
//! closure that system learning counts): plain data with its validation, importing no
//! aggregate, so that the escalation, the kwestie and the recommendations register each use it
//! without depending on one another.

use serde::{Deserialize, Serialize};

use crate::text::{self, MAX_TEXT};
use crate::violation::RuleViolation;

/// The nature of a system bottleneck.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemNature {
    Legal,
    Financial,
    /// Ways of working within or between organisations.
    Cultural,
    Organisational,
}

/// The bottleneck (knelpunt) behind a kwestie or escalation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "nature",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Bottleneck {
    /// Client-related.
    Personal,
    /// Knowledge or quality of care workers, case direction, alignment of the helping alliance.
    Professional,
    System(SystemNature),
}

impl Bottleneck {
    /// A stable code for aggregates: `personal`, `professional`, `system.legal`, ...
    pub fn code(self) -> &'static str {
        match self {
            Bottleneck::Personal => "personal",
            Bottleneck::Professional => "professional",
            Bottleneck::System(SystemNature::Legal) => "system.legal",
            Bottleneck::System(SystemNature::Financial) => "system.financial",
            Bottleneck::System(SystemNature::Cultural) => "system.cultural",
            Bottleneck::System(SystemNature::Organisational) => "system.organisational",
        }
    }

    /// Every bottleneck, in the order of DOMAIN.md §4.
    pub const ALL: [Bottleneck; 6] = [
        Bottleneck::Personal,
        Bottleneck::Professional,
        Bottleneck::System(SystemNature::Legal),
        Bottleneck::System(SystemNature::Financial),
        Bottleneck::System(SystemNature::Cultural),
        Bottleneck::System(SystemNature::Organisational),
    ];

    /// The bottleneck of a code (see [`Bottleneck::code`]).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The label in Dutch (as in docs/glossary.md).
    pub fn label_nl(self) -> &'static str {
        match self {
            Bottleneck::Personal => "persoonlijk (cliëntgebonden)",
            Bottleneck::Professional => "professioneel",
            Bottleneck::System(SystemNature::Legal) => "systeem: juridisch",
            Bottleneck::System(SystemNature::Financial) => "systeem: financieel",
            Bottleneck::System(SystemNature::Cultural) => "systeem: cultureel (werkwijzen)",
            Bottleneck::System(SystemNature::Organisational) => "systeem: organisatorisch",
        }
    }

    /// The label in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Bottleneck::Personal => "personal (client-related)",
            Bottleneck::Professional => "professional",
            Bottleneck::System(SystemNature::Legal) => "system: legal",
            Bottleneck::System(SystemNature::Financial) => "system: financial",
            Bottleneck::System(SystemNature::Cultural) => "system: cultural (ways of working)",
            Bottleneck::System(SystemNature::Organisational) => "system: organisational",
        }
    }
}

impl SolutionScope {
    pub const ALL: [SolutionScope; 2] = [SolutionScope::Incidental, SolutionScope::Structural];

    pub fn code(self) -> &'static str {
        match self {
            SolutionScope::Incidental => "incidental",
            SolutionScope::Structural => "structural",
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            SolutionScope::Incidental => "incidenteel: voor deze casus",
            SolutionScope::Structural => "structureel: ook voor andere gezinnen",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            SolutionScope::Incidental => "incidental: for this case",
            SolutionScope::Structural => "structural: for other families too",
        }
    }
}

impl RootCause {
    pub const ALL: [RootCause; 5] = [
        RootCause::LackOfProfessionalism,
        RootCause::LackOfUsableBudget,
        RootCause::ConflictingInterests,
        RootCause::LackOfSpeedOrAccess,
        RootCause::LackOfFacilities,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RootCause::LackOfProfessionalism => "lack_of_professionalism",
            RootCause::LackOfUsableBudget => "lack_of_usable_budget",
            RootCause::ConflictingInterests => "conflicting_interests",
            RootCause::LackOfSpeedOrAccess => "lack_of_speed_or_access",
            RootCause::LackOfFacilities => "lack_of_facilities",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            RootCause::LackOfProfessionalism => "gebrek aan professionaliteit",
            RootCause::LackOfUsableBudget => "gebrek aan bruikbaar budget",
            RootCause::ConflictingInterests => "tegenstrijdige belangen",
            RootCause::LackOfSpeedOrAccess => "gebrek aan snelheid of toegang",
            RootCause::LackOfFacilities => "gebrek aan voorzieningen",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RootCause::LackOfProfessionalism => "lack of professionalism",
            RootCause::LackOfUsableBudget => "lack of usable budget",
            RootCause::ConflictingInterests => "conflicting interests",
            RootCause::LackOfSpeedOrAccess => "lack of speed or access",
            RootCause::LackOfFacilities => "lack of facilities",
        }
    }
}

/// Whether a solution or finding holds for this case only, or structurally.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolutionScope {
    Incidental,
    Structural,
}

/// The root-cause questions of the analysis frame.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    LackOfProfessionalism,
    LackOfUsableBudget,
    ConflictingInterests,
    LackOfSpeedOrAccess,
    LackOfFacilities,
}

/// A root cause followed by its chain of "why is that so?" answers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCauseAnswer {
    pub cause: RootCause,
    /// The answers to "why?", asked again until the root is reached.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::schema::OptionalText>))]
    pub why: Vec<String>,
}

/// The classification every closed kwestie and escalation carries.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BottleneckClassification {
    pub bottleneck: Bottleneck,
    pub scope: SolutionScope,
    #[serde(default)]
    pub root_causes: Vec<RootCauseAnswer>,
}

impl BottleneckClassification {
    pub fn new(bottleneck: Bottleneck, scope: SolutionScope) -> Self {
        Self {
            bottleneck,
            scope,
            root_causes: Vec::new(),
        }
    }

    /// Every root cause has at least one non-blank "why" answer; no cause appears twice.
    pub fn validate(&self) -> Result<(), RuleViolation> {
        for (i, rc) in self.root_causes.iter().enumerate() {
            if rc.why.is_empty() || rc.why.iter().any(|w| w.trim().is_empty()) {
                return Err(RuleViolation::RootCauseNeedsWhy);
            }
            for w in &rc.why {
                text::check("root_causes.why", w, MAX_TEXT)?;
            }
            if self.root_causes[..i].iter().any(|o| o.cause == rc.cause) {
                return Err(RuleViolation::InvalidField {
                    field: "root_causes",
                    reason: "a root cause is named twice",
                });
            }
        }
        Ok(())
    }
}
