//! What the bench binaries share: the two organisations they use, an opening command, and
//! percentiles.
#![forbid(unsafe_code)]

use std::time::Duration;

use doorbraak_model::escalation::EscalationCommand;
use doorbraak_model::{
    CaseRef, DeadlinePolicy, EscalationId, Oin, OrgKind, OrgRef, Participant, Situation, Step,
};

/// The local team (home of the escalations the benches open).
pub const LT: &str = "00000001000000000010";
/// Veilig Thuis (their counterpart).
pub const VT: &str = "00000001000000000020";

pub fn oin(s: &str) -> anyhow::Result<Oin> {
    Oin::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The `p` quantile of sorted latencies (zero when empty).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Open an escalation LT → VT: situation 1 at step 1, otherwise at step 2.
pub fn open_escalation(
    id: EscalationId,
    case_ref: &str,
    situation: Situation,
    participants: Vec<Participant>,
) -> anyhow::Result<EscalationCommand> {
    Ok(EscalationCommand::Open {
        id,
        home: OrgRef {
            oin: oin(LT)?,
            kind: OrgKind::LocalTeam,
        },
        counterparts: vec![OrgRef {
            oin: oin(VT)?,
            kind: OrgKind::VeiligThuis,
        }],
        case_ref: CaseRef::parse(case_ref).map_err(|e| anyhow::anyhow!("{e}"))?,
        situation,
        first_step: if situation == Situation::ProfessionalDilemma {
            Step::BehaviouralScientists
        } else {
            Step::Management
        },
        participants,
        question: "Wij verschillen van inzicht over de volgende stap.".into(),
        needs: "Veiligheid binnen twee weken".into(),
        seeking_youth_help_access: false,
        policy: DeadlinePolicy::default(),
    })
}
