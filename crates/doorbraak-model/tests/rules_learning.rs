//! System learning (§4): classification at closure and the recommendations register.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use doorbraak_model::*;

#[test]
fn every_root_cause_is_followed_by_why() {
    let mut c = classification();
    assert!(c.validate().is_ok());
    c.root_causes[0].why.clear();
    assert_eq!(c.validate().unwrap_err().rule(), "learning.root_cause_why");
    c.root_causes[0].why.push("".into());
    assert_eq!(c.validate().unwrap_err().rule(), "learning.root_cause_why");
    assert_eq!(
        Bottleneck::System(SystemNature::Legal).code(),
        "system.legal"
    );
}

fn create() -> RecommendationCommand {
    RecommendationCommand::Create {
        id: RecommendationId(uuid::Uuid::from_u128(3)),
        origin: RecommendationOrigin::Escalation(esc_id()),
        title: "Regionale crisisplekken".into(),
        text: "Reserveer twee crisisplekken in de regio".into(),
        owner: PersonId::new("qo-1"),
        due: jiff::civil::date(2027, 3, 1),
        share_text: false,
    }
}

#[test]
fn the_register_is_kept_by_policy_and_operations() {
    let qo = actor("qo-1", Role::QualityOfficer, GEM);
    assert_eq!(
        refused::<Recommendation>(None, create(), &prof_lt(), day(0)),
        "access.role_not_allowed"
    );
    let r = ok::<Recommendation>(None, create(), &qo, day(0));
    assert_eq!(r.status, RecommendationStatus::Open);
    let r = ok(
        Some(&r),
        RecommendationCommand::SetStatus {
            status: RecommendationStatus::InProgress,
            note: "Gesprek met inkoop gepland".into(),
        },
        &qo,
        day(1),
    );
    let back = RecommendationCommand::SetStatus {
        status: RecommendationStatus::Open,
        note: "terug".into(),
    };
    assert_eq!(
        refused(Some(&r), back, &qo, day(2)),
        "register.status_transition"
    );
    let r = ok(
        Some(&r),
        RecommendationCommand::SetStatus {
            status: RecommendationStatus::Done,
            note: "Plekken ingekocht".into(),
        },
        &qo,
        day(3),
    );
    assert_eq!(r.follow_up.len(), 2);
    let more = RecommendationCommand::AddFollowUp {
        note: "nog iets".into(),
    };
    assert_eq!(refused(Some(&r), more, &qo, day(4)), "register.closed");
}
