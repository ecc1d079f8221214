//! Who may read which case content. One table, asked by every read path of a node (the JSON
//! API, the web pages, the lists) and never copied.

use crate::identity::Role;
use crate::violation::RuleViolation;

/// The kinds of content a node holds about cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentKind {
    Escalation,
    Kwestie,
    Minutes,
    Case,
    Recommendation,
}

impl From<crate::StreamKind> for ContentKind {
    fn from(k: crate::StreamKind) -> Self {
        match k {
            crate::StreamKind::Escalation => ContentKind::Escalation,
            crate::StreamKind::Kwestie => ContentKind::Kwestie,
            crate::StreamKind::Minutes => ContentKind::Minutes,
            crate::StreamKind::Recommendation => ContentKind::Recommendation,
        }
    }
}

impl ContentKind {
    /// The code used for streams and access-log objects.
    pub fn code(self) -> &'static str {
        match self {
            ContentKind::Escalation => crate::StreamKind::Escalation.code(),
            ContentKind::Kwestie => crate::StreamKind::Kwestie.code(),
            ContentKind::Minutes => crate::StreamKind::Minutes.code(),
            ContentKind::Case => "case",
            ContentKind::Recommendation => crate::StreamKind::Recommendation.code(),
        }
    }

    /// The action named in a refused read.
    pub fn read_action(self) -> &'static str {
        match self {
            ContentKind::Escalation => "read_escalation",
            ContentKind::Kwestie => "read_kwestie",
            ContentKind::Minutes => "read_minutes",
            ContentKind::Case => "read_case",
            ContentKind::Recommendation => "read_recommendation",
        }
    }
}

/// How much of a kind of content a role reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentAccess {
    /// Every item of the kind.
    All,
    /// Only items the person takes part in (a step of an escalation, a meeting).
    WhereInvolved,
    /// Nothing of the kind.
    Never,
}

/// The roles that work on cases read them; the administrative layer (aldermen, civil
/// servants, regional mediators) reads only the escalations and meetings it takes part in
/// (step 3); quality officers and functional administrators read no case content (they have
/// the register, the aggregates and the access log). Recommendations are readable by everyone
/// of the organisation.
pub fn content_access(role: Role, kind: ContentKind) -> ContentAccess {
    use Role as R;
    if kind == ContentKind::Recommendation {
        return ContentAccess::All;
    }
    match role {
        R::Professional
        | R::BehaviouralScientist
        | R::TeamManager
        | R::Director
        | R::BoardMember => ContentAccess::All,
        R::Alderman | R::CivilServant | R::RegionalMediator
            if matches!(kind, ContentKind::Escalation | ContentKind::Minutes) =>
        {
            ContentAccess::WhereInvolved
        }
        _ => ContentAccess::Never,
    }
}

/// The refusal of a read outside [`content_access`], naming the roles that may.
pub fn content_refused(role: Role, kind: ContentKind) -> RuleViolation {
    RuleViolation::RoleNotAllowed {
        action: kind.read_action(),
        role: Some(role),
        allowed: Role::ALL
            .into_iter()
            .filter(|r| content_access(*r, kind) != ContentAccess::Never)
            .collect(),
    }
}

/// The node's operations that are not commands of an aggregate (those are the model's
/// `decide`): who may do each is this table, asked by the JSON API and the web pages alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    CreateCase,
    ReadAccessLog,
    ReadTeamOverview,
    ReadTeamAgenda,
    ReadStagnationView,
    ReadFederationStatus,
    Resend,
    ReloadDirectory,
}

impl Operation {
    pub const ALL: [Operation; 8] = [
        Operation::CreateCase,
        Operation::ReadAccessLog,
        Operation::ReadTeamOverview,
        Operation::ReadTeamAgenda,
        Operation::ReadStagnationView,
        Operation::ReadFederationStatus,
        Operation::Resend,
        Operation::ReloadDirectory,
    ];

    /// The action's stable code, as named in a refusal.
    pub fn code(self) -> &'static str {
        match self {
            Operation::CreateCase => "create_case",
            Operation::ReadAccessLog => "read_access_log",
            Operation::ReadTeamOverview => "read_team_overview",
            Operation::ReadTeamAgenda => "read_team_agenda",
            Operation::ReadStagnationView => "read_stagnation_view",
            Operation::ReadFederationStatus => "read_federation_status",
            Operation::Resend => "resend",
            Operation::ReloadDirectory => "reload_directory",
        }
    }

    /// Who may: the case roles register cases; the team manager keeps the overview of the
    /// team's kwesties (with the director, and the board for what was escalated to it); the
    /// team meeting's agenda is the team's; the alderman and civil servants read the
    /// stagnation view; the functional administrator runs the federation; the access log is
    /// for the administrator and the quality officer.
    pub fn roles(self) -> &'static [Role] {
        use Role as R;
        match self {
            Operation::CreateCase => &[R::Professional, R::BehaviouralScientist, R::TeamManager],
            Operation::ReadAccessLog => &[R::Admin, R::QualityOfficer],
            Operation::ReadTeamOverview => &[R::TeamManager, R::Director, R::BoardMember],
            Operation::ReadTeamAgenda => &[
                R::TeamManager,
                R::Director,
                R::Professional,
                R::BehaviouralScientist,
            ],
            Operation::ReadStagnationView => &[R::Alderman, R::CivilServant],
            Operation::ReadFederationStatus | Operation::Resend | Operation::ReloadDirectory => {
                &[R::Admin]
            }
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// Allowed for this role, or the refusal that names who may.
    pub fn check(self, role: Option<Role>) -> Result<(), RuleViolation> {
        match role {
            Some(r) if self.allows(r) => Ok(()),
            role => Err(RuleViolation::RoleNotAllowed {
                action: self.code(),
                role,
                allowed: self.roles().to_vec(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContentKind as K;

    #[test]
    fn case_content_is_for_case_workers_and_for_the_administrative_layer_where_it_takes_part() {
        for kind in [K::Escalation, K::Kwestie, K::Minutes, K::Case] {
            assert_eq!(content_access(Role::Professional, kind), ContentAccess::All);
            assert_eq!(content_access(Role::TeamManager, kind), ContentAccess::All);
            assert_eq!(content_access(Role::Admin, kind), ContentAccess::Never);
            assert_eq!(
                content_access(Role::QualityOfficer, kind),
                ContentAccess::Never
            );
        }
        assert_eq!(
            content_access(Role::Alderman, K::Escalation),
            ContentAccess::WhereInvolved
        );
        assert_eq!(
            content_access(Role::CivilServant, K::Minutes),
            ContentAccess::WhereInvolved
        );
        assert_eq!(
            content_access(Role::Alderman, K::Kwestie),
            ContentAccess::Never
        );
        assert_eq!(
            content_access(Role::Alderman, K::Case),
            ContentAccess::Never
        );
        assert_eq!(
            content_access(Role::Admin, K::Recommendation),
            ContentAccess::All
        );
        let refusal = content_refused(Role::Admin, K::Escalation);
        assert_eq!(refusal.rule(), "access.role_not_allowed");
        assert!(
            refusal.message_en().contains("read_escalation"),
            "{refusal}"
        );
        assert_eq!(K::Case.code(), "case");
        assert_eq!(K::from(crate::StreamKind::Minutes), K::Minutes);
    }

    #[test]
    fn operations_name_their_roles_and_refuse_the_others() {
        assert!(
            Operation::ReadTeamOverview
                .check(Some(Role::TeamManager))
                .is_ok()
        );
        let refusal = Operation::ReadTeamOverview
            .check(Some(Role::Professional))
            .unwrap_err();
        assert_eq!(refusal.rule(), "access.role_not_allowed");
        assert!(
            refusal.message_en().contains("read_team_overview"),
            "{refusal}"
        );
        assert!(Operation::ReadStagnationView.allows(Role::Alderman));
        assert!(!Operation::ReadStagnationView.allows(Role::Director));
        assert!(
            Operation::Resend.check(None).is_err(),
            "the system acts through no page"
        );
        for op in Operation::ALL {
            assert!(!op.roles().is_empty(), "{op:?}");
        }
    }
}
