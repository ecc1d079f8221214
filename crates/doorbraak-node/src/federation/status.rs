//! Node errors as gRPC statuses, and a home's statuses as node errors. The mapping of a kind of
//! refusal to a gRPC code is written once, in `doorbraak_federation::refusal`.

use doorbraak_federation::refusal::Refusal;
use doorbraak_model::RefusalKind;

use super::*;

/// A rule violation as a gRPC status, with the rule and both messages in the details.
pub fn rule_status(v: &RuleViolation) -> Status {
    Refusal::from(v).to_status()
}

/// A federation refusal (a rule of the federation, not of the model), with its rule in the
/// details.
pub(super) fn federation_status(kind: RefusalKind, rule: &str, message_en: String) -> Status {
    Refusal::new(kind, rule, message_en).to_status()
}

/// A refusal could not be written to the access log: it is still a refusal, and says so.
pub(super) fn unlogged(refusal: Status, e: &doorbraak_app::views::StoreError) -> Status {
    tracing::error!(error = %e, refused = %refusal.message(), "a federation refusal could not be logged");
    Status::unavailable("the access log cannot be written; nothing was done, try again")
}

pub(super) fn node_status(e: NodeError) -> Status {
    match e {
        NodeError::Rule(v) => rule_status(&v),
        NodeError::Federation(FedError::NotHome { .. }) => federation_status(
            RefusalKind::Access,
            doorbraak_federation::delivery::RULE_NOT_HOME,
            e.to_string(),
        ),
        NodeError::Federation(FedError::IdNotOfHome { .. }) => federation_status(
            RefusalKind::Access,
            "federation.stream_id_of_home",
            e.to_string(),
        ),
        NodeError::Federation(FedError::Divergence { .. }) => {
            doorbraak_federation::refusal::with_rule(
                tonic::Code::Aborted,
                "federation.replica_diverged",
                e.to_string(),
            )
        }
        NodeError::Federation(FedError::NotAParty) => Status::permission_denied(e.to_string()),
        NodeError::Federation(FedError::Gap { .. }) => Status::failed_precondition(e.to_string()),
        NodeError::Federation(FedError::Wire(_)) | NodeError::Replay(_) => {
            Status::invalid_argument(e.to_string())
        }
        NodeError::Federation(FedError::Remote(r)) => r.to_status(),
        NodeError::Relearning => doorbraak_federation::refusal::unavailable(
            doorbraak_federation::refusal::RULE_RELEARNING,
            e.to_string(),
        ),
        other => {
            tracing::error!(error = %other, "federation call failed");
            Status::internal("internal error")
        }
    }
}
