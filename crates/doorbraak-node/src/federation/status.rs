//! Refusals as gRPC statuses (the rule in the status details), and back.

use super::*;

/// The JSON in a refusal's status details.
#[derive(Debug, Serialize, serde::Deserialize)]
pub(super) struct RuleDetails {
    rule: String,
    message_nl: String,
    message_en: String,
}

/// A rule violation as a gRPC status, with the rule and both messages in the details.
pub fn rule_status(v: &RuleViolation) -> Status {
    let code = if v.is_access() {
        tonic::Code::PermissionDenied
    } else if v.is_input() {
        tonic::Code::InvalidArgument
    } else if matches!(v, RuleViolation::NotFound { .. }) {
        tonic::Code::NotFound
    } else {
        tonic::Code::FailedPrecondition
    };
    let details = serde_json::to_vec(&RuleDetails {
        rule: v.rule().into(),
        message_nl: v.message_nl(),
        message_en: v.message_en(),
    })
    .unwrap_or_default();
    Status::with_details(
        code,
        format!("{}: {}", v.rule(), v.message_en()),
        details.into(),
    )
}

/// A federation refusal with its rule code in the message and the details (the sender reads
/// the rule from the details, never from the sentence).
pub(super) fn federation_status(code: tonic::Code, rule: &str, message_en: String) -> Status {
    let details = serde_json::to_vec(&RuleDetails {
        rule: rule.into(),
        message_nl: String::new(),
        message_en: message_en.clone(),
    })
    .unwrap_or_default();
    Status::with_details(code, format!("{rule}: {message_en}"), details.into())
}

pub(super) fn node_status(e: NodeError) -> Status {
    match e {
        NodeError::Rule(v) => rule_status(&v),
        NodeError::Federation(FedError::NotHome { .. }) => federation_status(
            tonic::Code::PermissionDenied,
            doorbraak_federation::delivery::RULE_NOT_HOME,
            e.to_string(),
        ),
        NodeError::Federation(FedError::IdNotOfHome { .. }) => federation_status(
            tonic::Code::PermissionDenied,
            "federation.stream_id_of_home",
            e.to_string(),
        ),
        NodeError::Federation(FedError::Divergence { .. }) => {
            Status::aborted(format!("federation.replica_diverged: {e}"))
        }
        NodeError::Federation(FedError::NotAParty) => Status::permission_denied(e.to_string()),
        NodeError::Federation(FedError::Gap { .. }) => Status::failed_precondition(e.to_string()),
        NodeError::Federation(FedError::Wire(_)) | NodeError::Replay(_) => {
            Status::invalid_argument(e.to_string())
        }
        NodeError::Federation(FedError::Remote {
            rule, message_en, ..
        }) => Status::failed_precondition(format!("{rule}: {message_en}")),
        other => {
            tracing::error!(error = %other, "federation call failed");
            Status::internal("internal error")
        }
    }
}

/// A status from the home, as the requesting node's error (keeps the rule and messages).
pub fn remote_error(home: &Oin, s: Status) -> NodeError {
    if let Ok(d) = serde_json::from_slice::<RuleDetails>(s.details()) {
        let status = match s.code() {
            tonic::Code::PermissionDenied => 403,
            tonic::Code::InvalidArgument => 422,
            tonic::Code::NotFound => 404,
            _ => 409,
        };
        return FedError::Remote {
            status,
            rule: d.rule,
            message_nl: d.message_nl,
            message_en: d.message_en,
        }
        .into();
    }
    FedError::Unreachable {
        home: home.to_string(),
        detail: format!("{:?}: {}", s.code(), s.message()),
    }
    .into()
}
