//! The federation directory as this node knows it: member organisations, their kinds and
//! endpoints. The signed manifest arrives with the federation; until then a node reads an
//! unsigned member list (JSON) if one is configured, and always knows itself.

use std::path::Path;

use doorbraak_model::{Oin, OrgKind, OrgRef};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub oin: Oin,
    pub name: String,
    pub kind: OrgKind,
    #[serde(default)]
    pub region: String,
    /// gRPC endpoint `host:port` of the member's node.
    #[serde(default)]
    pub endpoint: String,
    /// Directory roles, e.g. `oversight:region-utrecht`.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberList {
    pub members: Vec<Member>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot read directory manifest {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("directory manifest {path} is not valid: {message}")]
    Parse { path: String, message: String },
}

#[derive(Debug, Clone)]
pub struct Directory {
    members: Vec<Member>,
}

impl Directory {
    /// The directory with just this node's own organisation.
    pub fn own(me: Member) -> Self {
        Self { members: vec![me] }
    }

    /// Load a member list; this node's own organisation is added if missing.
    pub fn load(path: &Path, me: Member) -> Result<Self, DirectoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let list: MemberList = serde_json::from_str(&text).map_err(|e| DirectoryError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let mut members = list.members;
        if !members.iter().any(|m| m.oin == me.oin) {
            members.push(me);
        }
        Ok(Self { members })
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn get(&self, oin: &Oin) -> Option<&Member> {
        self.members.iter().find(|m| &m.oin == oin)
    }

    pub fn org_ref(&self, oin: &Oin) -> Option<OrgRef> {
        self.get(oin).map(|m| OrgRef {
            oin: m.oin.clone(),
            kind: m.kind,
        })
    }
}
