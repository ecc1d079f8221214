//! The access log in the form of Logius' Logboek Dataverwerkingen: one record per entry with
//! trace id, operation (span) id, the calling operation, status, name, times, the foreign
//! operation of a call from another organisation, the resource (this node) and the `dpl.core`
//! attributes (processing activity, data subject), beside the NEN 7513 fields as
//! `doorbraak.*` attributes. An entry written before traces were kept gets ids derived from
//! its event id.

use std::collections::BTreeMap;

use doorbraak_app::views::AccessEntry;
use serde::Serialize;

/// One Logboek Dataverwerkingen record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogRecord {
    pub trace_id: String,
    /// The operation (`operation_id` in the standard).
    pub span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
    /// `<action> <object type>`, e.g. `read escalation`.
    pub name: String,
    /// `STATUS_CODE_OK` or `STATUS_CODE_ERROR` (a refusal).
    pub status_code: &'static str,
    /// Milliseconds since the Unix epoch.
    pub start_time: i64,
    pub end_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_operation: Option<ForeignOperation>,
    pub resource: Resource,
    pub attributes: BTreeMap<String, String>,
}

/// The operation at another organisation a call came from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForeignOperation {
    pub trace_id: String,
    pub span_id: String,
    /// `urn:oin:<OIN>` of the calling organisation.
    pub entity: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resource {
    pub attributes: BTreeMap<String, String>,
}

fn action_name(e: &AccessEntry) -> &'static str {
    use doorbraak_app::views::AccessAction as A;
    match e.action {
        A::C => "create",
        A::R => "read",
        A::U => "update",
        A::D => "delete",
        A::E => "execute",
    }
}

/// An access-log entry as a Logboek Dataverwerkingen record.
pub fn record(e: &AccessEntry) -> LogRecord {
    let id = e.event_id.simple().to_string();
    let trace_id = e.trace_id.clone().unwrap_or_else(|| id.clone());
    let span_id = e
        .trail
        .span_id
        .clone()
        .unwrap_or_else(|| id[16..].to_owned());
    let mut attributes = BTreeMap::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            attributes.insert(k.to_owned(), v.to_owned());
        }
    };
    put(
        "dpl.core.processing_activity_id",
        e.trail.processing_activity.as_deref(),
    );
    put("dpl.core.data_subject_id", e.trail.data_subject.as_deref());
    put("doorbraak.event_id", Some(&e.event_id.to_string()));
    put("doorbraak.action", Some(action_name(e)));
    put("doorbraak.user_id", Some(&e.user_id));
    put("doorbraak.user_role", Some(&e.user_role));
    put("doorbraak.on_behalf_of", e.on_behalf_of.as_deref());
    put("doorbraak.organisation", Some(&e.org_oin));
    put("doorbraak.object_type", Some(&e.object_type));
    put("doorbraak.object_id", Some(&e.object_id));
    put("doorbraak.purpose", Some(&e.purpose));
    put("doorbraak.outcome", Some(&e.outcome));
    let at = e.at.as_millisecond();
    LogRecord {
        foreign_operation: e
            .trail
            .foreign_entity
            .as_ref()
            .map(|entity| ForeignOperation {
                trace_id: trace_id.clone(),
                span_id: e
                    .trail
                    .parent_span_id
                    .clone()
                    .unwrap_or_else(|| span_id.clone()),
                entity: entity.clone(),
            }),
        trace_id,
        span_id,
        parent_span_id: e.trail.parent_span_id.clone(),
        name: format!("{} {}", action_name(e), e.object_type),
        status_code: if e.outcome.starts_with("refused") {
            "STATUS_CODE_ERROR"
        } else {
            "STATUS_CODE_OK"
        },
        start_time: at,
        end_time: at,
        resource: Resource {
            attributes: BTreeMap::from([
                ("service.name".to_owned(), "doorbraak".to_owned()),
                (
                    "service.version".to_owned(),
                    env!("CARGO_PKG_VERSION").to_owned(),
                ),
                ("doorbraak.node".to_owned(), e.source_node.clone()),
            ]),
        },
        attributes,
    }
}
