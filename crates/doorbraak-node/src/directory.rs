//! The node's view of the federation directory (re-exported from `doorbraak-federation`):
//! a signed manifest verified against the federation CA when the node has federation TLS, or
//! an unsigned member list for a standalone development node.

pub use doorbraak_federation::directory::{Directory, DirectoryError, Member, MemberList};
