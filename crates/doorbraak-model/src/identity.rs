//! Who is who: organisations (by OIN), people, roles, and pseudonymous case references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::privacy;
use crate::violation::RuleViolation;
pub use crate::vocabulary::{OrgKind, Role};

/// OIN prefixes accepted by [`Oin::parse`]: the prefix table of Logius' OIN-stelsel (chapter
/// "Data Architectuur", checked December 2026) without the one not yet assigned (`00000005`):
/// RSIN (`00000001`), Fi-nummer (`00000002`), KvK-nummer (`00000003`), SubOIN (`00000004`),
/// Logius OIN-hoofdnummer (`00000006`), BRIN (`00000007`), foreign organisations (`00000008`),
/// Dezi care providers (`00000009`), TRR-BD (`00000010`), Dezi health insurers (`00000011`) and
/// test OINs (`00000099`).
pub const KNOWN_OIN_PREFIXES: [&str; 11] = [
    "00000001", "00000002", "00000003", "00000004", "00000006", "00000007", "00000008", "00000009",
    "00000010", "00000011", "00000099",
];

/// Organisatie-identificatienummer: 20 positions, a known prefix of 8 digits, then the number
/// from that prefix's register (digits, or upper-case letters where the register has them, as
/// BRIN does) and its suffix. The sender of a federation message is the OIN in its peer
/// certificate, never one written in the message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Oin(String);

impl Oin {
    pub fn parse(s: &str) -> Result<Self, RuleViolation> {
        let ok = s.len() == 20
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            && KNOWN_OIN_PREFIXES.iter().any(|p| s.starts_with(p));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(RuleViolation::InvalidOin {
                value: s.chars().take(40).collect(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Oin {
    type Error = RuleViolation;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Oin> for String {
    fn from(o: Oin) -> String {
        o.0
    }
}

impl FromStr for Oin {
    type Err = RuleViolation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Oin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organisation as named in a command: its OIN and its kind (from the directory).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrgRef {
    pub oin: Oin,
    pub kind: OrgKind,
}

/// A person's id within their organisation (an opaque, non-personal identifier such as the
/// subject of the organisation's identity provider).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub String);

impl PersonId {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// May a member of kind `kind` name one of its people in `role`? The home trusts the sending
/// node for who its person is, but not beyond what that kind of organisation has; the directory
/// may narrow it further (`narrowed` empty: every role that exists at the kind).
pub fn check_claimed_role(
    role: Role,
    kind: OrgKind,
    narrowed: &[Role],
) -> Result<(), RuleViolation> {
    if !role.exists_at(kind) {
        return Err(RuleViolation::RoleNotAtOrgKind { role, kind });
    }
    if !narrowed.is_empty() && !narrowed.contains(&role) {
        return Err(RuleViolation::RoleNotInDirectory { role });
    }
    Ok(())
}

impl FromStr for Role {
    type Err = RuleViolation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or(RuleViolation::InvalidField {
                field: "role",
                reason: "unknown role",
            })
    }
}

/// Who acts: a person with a role at an organisation, or the node itself (the deadline
/// sweeper), which may only record facts that follow from time passing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    Person {
        person: PersonId,
        role: Role,
        org: Oin,
    },
    System {
        org: Oin,
    },
}

impl Actor {
    pub fn person(person: impl Into<String>, role: Role, org: Oin) -> Self {
        Actor::Person {
            person: PersonId(person.into()),
            role,
            org,
        }
    }

    pub fn system(org: Oin) -> Self {
        Actor::System { org }
    }

    pub fn org(&self) -> &Oin {
        match self {
            Actor::Person { org, .. } | Actor::System { org } => org,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Person { role, .. } => Some(*role),
            Actor::System { .. } => None,
        }
    }

    pub fn person_id(&self) -> Option<&PersonId> {
        match self {
            Actor::Person { person, .. } => Some(person),
            Actor::System { .. } => None,
        }
    }

    /// The role if it is one of `allowed`, otherwise the violation naming `action`.
    pub(crate) fn require_role(
        &self,
        allowed: &[Role],
        action: &'static str,
    ) -> Result<Role, RuleViolation> {
        match self.role() {
            Some(r) if allowed.contains(&r) => Ok(r),
            role => Err(RuleViolation::RoleNotAllowed {
                action,
                role,
                allowed: allowed.to_vec(),
            }),
        }
    }
}

/// A pseudonymous case reference (`zaakreferentie`): how a case is named inside and across
/// nodes. 1–64 characters of `[A-Za-z0-9._-]`, and never a BSN: anything containing a
/// 9-digit number that passes the 11-check is refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseRef(String);

impl CaseRef {
    pub fn parse(s: &str) -> Result<Self, RuleViolation> {
        if s.is_empty()
            || s.len() > 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(RuleViolation::InvalidField {
                field: "case_ref",
                reason: "1-64 characters: letters, digits, '.', '_' or '-'",
            });
        }
        if privacy::find_bsn_like(s).is_some() {
            return Err(RuleViolation::BsnNotAllowed { field: "case_ref" });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CaseRef {
    type Error = RuleViolation;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CaseRef> for String {
    fn from(c: CaseRef) -> String {
        c.0
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_role_is_claimed_only_where_it_exists_and_the_directory_allows_it() {
        use crate::RuleViolation as V;
        assert_eq!(
            check_claimed_role(Role::Alderman, OrgKind::Municipality, &[]),
            Ok(())
        );
        assert_eq!(
            check_claimed_role(Role::Alderman, OrgKind::CertifiedInstitution, &[]),
            Err(V::RoleNotAtOrgKind {
                role: Role::Alderman,
                kind: OrgKind::CertifiedInstitution
            })
        );
        for kind in OrgKind::ALL {
            assert_eq!(check_claimed_role(Role::Director, kind, &[]), Ok(()));
        }
        let narrowed = [Role::Professional, Role::TeamManager];
        assert_eq!(
            check_claimed_role(Role::TeamManager, OrgKind::CareProvider, &narrowed),
            Ok(())
        );
        let refused = check_claimed_role(Role::Director, OrgKind::CareProvider, &narrowed);
        assert_eq!(
            refused,
            Err(V::RoleNotInDirectory {
                role: Role::Director
            })
        );
        let v = refused.err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(v.rule(), "access.role_not_in_directory");
        assert!(v.message_nl().contains("directeur"), "{}", v.message_nl());
    }
    use super::*;

    #[test]
    fn oin_needs_twenty_positions_and_a_prefix_of_the_oin_stelsel() {
        for prefix in KNOWN_OIN_PREFIXES {
            let oin = format!("{prefix}823288444000");
            assert!(Oin::parse(&oin).is_ok(), "{oin}");
        }
        // a BRIN number has letters
        assert!(Oin::parse("0000000700AB00000000").is_ok());
        for bad in [
            "",
            "0000000182328844400",   // 19 positions
            "000000018232884440001", // 21 positions
            "0000000182328844400a",  // a lower-case letter
            "00000005823288444000",  // the prefix not yet assigned
            "00000012823288444000",  // no such prefix
            "0000000182328844400-",  // not a letter or digit
        ] {
            let err = Oin::parse(bad).unwrap_err();
            assert_eq!(err.rule(), "identity.oin_format", "{bad}");
        }
    }

    #[test]
    fn oin_deserialisation_validates() {
        let ok: Oin = serde_json::from_str("\"00000003123456780000\"").unwrap();
        assert_eq!(ok.as_str(), "00000003123456780000");
        assert!(serde_json::from_str::<Oin>("\"12345\"").is_err());
    }

    #[test]
    fn case_ref_refuses_bsn_but_allows_pseudonyms() {
        assert!(CaseRef::parse("LT-2026-0042").is_ok());
        // 123456782 passes the 11-check: a BSN shape.
        let err = CaseRef::parse("case-123456782").unwrap_err();
        assert_eq!(err.rule(), "privacy.no_bsn");
        // 123456789 fails the 11-check: just a number.
        assert!(CaseRef::parse("case-123456789").is_ok());
        assert_eq!(
            CaseRef::parse("has space").unwrap_err().rule(),
            "input.invalid_field"
        );
    }

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), r);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.code())
            );
        }
    }
}
