//! The JSON API under `/api/v1`, plus `/healthz`, `/readyz`, `/metrics` and the OpenAPI
//! document at `/api/v1/openapi.json` (generated from these handlers with utoipa).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorbraak_app::views::{ListFilter, Stream};
use doorbraak_model::escalation::{EscalationCommand, FamilyInformed, Participant, StepOutcome};
use doorbraak_model::kwestie::KwestieCommand;
use doorbraak_model::{
    BottleneckClassification, DocTarget, Escalation, Minutes, MinutesCommand, Oin, PersonId, Role,
    RuleViolation, Situation, SolutionScope, Step, StreamKind,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::error::{ApiErrorBody, HttpError};
use doorbraak_app::{Applied, Idempotency, Node, User, event_names};

mod admin;
mod bearer;
mod cases;
mod escalations;
mod health;
mod kwesties;
mod minutes;
mod openapi;
mod oversight;
mod records;
mod views;

pub use admin::*;
pub use cases::*;
pub use escalations::*;
pub(crate) use health::*;
pub use kwesties::*;
pub use minutes::*;
pub use openapi::ApiDoc;
pub use oversight::*;
pub use records::*;
pub use views::*;

type ApiResult<T> = Result<T, HttpError>;

/// Shared state of the HTTP side.
pub struct Api {
    pub node: Arc<Node>,
    /// The server's settings (limits, listeners, login).
    pub settings: Arc<crate::config::Settings>,
    tokens: HashMap<String, User>,
    /// The identity provider's access tokens, when `oidc.api_audience` is set.
    access: Option<Arc<bearer::AccessTokens>>,
}

impl Api {
    pub fn new(node: Arc<Node>, settings: Arc<crate::config::Settings>) -> Self {
        let tokens = settings
            .app
            .dev_users
            .iter()
            .map(|u| {
                (
                    u.token.clone(),
                    User {
                        id: u.id.clone(),
                        name: u.name.clone(),
                        role: u.role,
                    },
                )
            })
            .collect();
        let access = settings.oidc.as_ref().and_then(bearer::AccessTokens::new);
        Self {
            node,
            settings,
            tokens,
            access,
        }
    }
}

pub use crate::http::{FormKey, IDEMPOTENCY_HEADER, IdemKey};

/// The person behind the request's bearer token.
pub struct AuthUser(pub User);

impl FromRequestParts<Arc<Api>> for AuthUser {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Api>) -> Result<Self, HttpError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(HttpError::unauthenticated)?;
        let token = token.trim();
        if let Some(u) = api.tokens.get(token) {
            return Ok(AuthUser(u.clone()));
        }
        match &api.access {
            Some(access) if bearer::AccessTokens::is_jwt(token) => {
                access.user(token).await.map(AuthUser)
            }
            _ => Err(HttpError::unauthenticated()),
        }
    }
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    b.map(|Json(t)| t).map_err(HttpError::from)
}

pub(crate) use crate::http::uuid;

/// What a command returns: the new version, the events it recorded, and the new state.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResponse {
    pub id: String,
    pub version: i64,
    /// The types of the events recorded, e.g. `["step_invoked"]`.
    pub events: Vec<String>,
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
}

fn applied<A: Stream>(a: Applied<A>) -> ApiResult<Json<CommandResponse>>
where
{
    Ok(Json(CommandResponse {
        events: event_names(&a.events),
        id: a.id,
        version: a.version,
        state: serde_json::to_value(&a.state).map_err(|_| {
            HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "node.internal",
                "Interne fout",
                "Internal error",
            )
        })?,
    }))
}

fn created(r: ApiResult<Json<CommandResponse>>) -> ApiResult<(StatusCode, Json<CommandResponse>)> {
    r.map(|j| (StatusCode::CREATED, j))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this status (e.g. `open`, `closed`, `raised`, `picked_up`); a status of another
    /// kind matches nothing.
    #[param(value_type = Option<doorbraak_model::Status>, inline)]
    pub status: Option<String>,
    /// Only overdue items.
    pub overdue: Option<bool>,
    /// Only the items of this case.
    pub case_ref: Option<String>,
    /// At most this many (default 500). More follow when the answer has a `Link` header with
    /// `rel="next"`.
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<i64>,
    /// Where the previous page ended: the `cursor` of its `Link: <…>; rel="next"` header
    /// (empty: the first page).
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

pub use doorbraak_app::ops::lists::MAX_LIST;

pub use doorbraak_app::ops::admin::MAX_ACCESS_LOG;

pub(crate) use doorbraak_app::ops::lists::limit as list_limit;

impl ListQuery {
    fn filter(&self) -> Result<ListFilter, RuleViolation> {
        // an empty cursor is the first page
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(doorbraak_app::views::ListCursor::decode(c).map_err(|_| {
                RuleViolation::InvalidField {
                    field: "cursor",
                    reason: "not a cursor of this list (take it from the Link header)",
                }
            })?),
        };
        Ok(ListFilter {
            limit: list_limit(self.limit, MAX_LIST)?,
            status: self
                .status
                .as_deref()
                .map(doorbraak_model::Status::parse_any)
                .transpose()?,
            case_ref: self.case_ref.clone(),
            overdue_only: self.overdue.unwrap_or(false),
            after,
            ..ListFilter::default()
        })
    }

    /// The same query from `cursor` on (for the next page's link).
    fn next(&self, cursor: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(v) = &self.status {
            q.append_pair("status", v);
        }
        if let Some(v) = self.overdue {
            q.append_pair("overdue", if v { "true" } else { "false" });
        }
        if let Some(v) = &self.case_ref {
            q.append_pair("case_ref", v);
        }
        if let Some(v) = self.limit {
            q.append_pair("limit", &v.to_string());
        }
        q.append_pair("cursor", cursor);
        q.finish()
    }
}

/// A page of a list of one kind of stream for a person (see
/// [`doorbraak_app::ops::lists::cursor_page`]); the next page, if any, in a `Link` header (RFC 8288).
pub(crate) async fn list_rows(
    api: &Api,
    u: &User,
    kind: StreamKind,
    path: &str,
    q: ListQuery,
) -> ApiResult<Response> {
    let filter = q.filter()?;
    let (rows, next) = doorbraak_app::ops::lists::cursor_page(&api.node, u, kind, &filter).await?;
    let mut resp = Json(rows).into_response();
    if let Some(c) = next {
        let link = format!("<{path}?{}>; rel=\"next\"", q.next(&c.encode()));
        if let Ok(v) = http::HeaderValue::from_str(&link) {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(resp)
}

/// The JSON API's router (with `/healthz`, `/readyz` and `/metrics`); [`crate::http::router`]
/// puts it beside the web UI's.
pub fn router(api: Arc<Api>) -> Router {
    let v1 = Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/cases", post(create_case).get(list_cases))
        .route("/cases/{case_ref}", get(get_case))
        .route("/cases/{case_ref}/inzage", get(inzage))
        .route("/cases/{case_ref}/inzage/print", get(inzage_print))
        .route(
            "/records/destruction-lists/{id}/declaration",
            get(destruction_declaration),
        )
        .route("/cases/{case_ref}/restriction", post(restrict_case))
        .route("/cases/{case_ref}/lift-restriction", post(lift_restriction))
        .route("/records", get(records_overview))
        .route("/records/destruction-lists", post(propose_destruction))
        .route("/records/destruction-lists/{id}", get(destruction_list))
        .route(
            "/records/destruction-lists/{id}/approve",
            post(approve_destruction),
        )
        .route(
            "/records/destruction-lists/{id}/reject",
            post(reject_destruction),
        )
        .route("/records/{kind}/{id}/hold", post(place_hold))
        .route("/records/{kind}/{id}/lift-hold", post(lift_hold))
        .route("/records/{kind}/{id}/erase", post(erase_record))
        .route("/kwesties", post(raise_kwestie).get(list_kwesties))
        .route("/kwesties/{id}", get(get_kwestie))
        .route("/kwesties/{id}/pick-up", post(kwestie_pick_up))
        .route("/kwesties/{id}/escalate-to-board", post(kwestie_to_board))
        .route("/kwesties/{id}/resolve", post(kwestie_resolve))
        .route("/escalations", post(open_escalation).get(list_escalations))
        .route("/escalations/{id}", get(get_escalation))
        .route("/escalations/{id}/events", get(escalation_events))
        .route("/escalations/{id}/steps", post(invoke_step))
        .route("/escalations/{id}/pick-up", post(esc_pick_up))
        .route("/escalations/{id}/participants", post(add_participant))
        .route("/escalations/{id}/family-informed", post(family_informed))
        .route("/escalations/{id}/outcome", post(record_outcome))
        .route("/escalations/{id}/situation", post(change_situation))
        .route("/escalations/{id}/close", post(close_escalation))
        .route("/escalations/{id}/correct", post(correct_escalation))
        .route("/escalations/{id}/notes", post(add_note).get(list_notes))
        .route("/meetings", post(schedule_meeting).get(list_meetings))
        .route("/meetings/awaiting-me", get(awaiting_me))
        .route("/meetings/{id}", get(get_meeting))
        .route("/meetings/{id}/minutes", post(draft_minutes))
        .route("/meetings/{id}/revisions", post(revise_minutes))
        .route("/meetings/{id}/circulate", post(circulate_minutes))
        .route("/meetings/{id}/approve", post(approve_minutes))
        .route("/meetings/{id}/request-changes", post(request_changes))
        .route("/meetings/{id}/addenda", post(add_addendum))
        .route("/meetings/{id}/bundle", get(minutes_bundle))
        .route("/meetings/{id}/print", get(minutes_print))
        .route("/access-log", get(access_log))
        .route("/access-log/export", get(access_log_export))
        .route("/notifications", get(notifications))
        .route("/oversight/stagnation", get(stagnation))
        .route("/oversight/trend", get(trend))
        .route("/team/overview", get(team_overview))
        .route("/team/agenda", get(team_agenda))
        .route(
            "/recommendations",
            post(create_recommendation).get(list_recommendations),
        )
        .route("/recommendations/{id}/status", post(recommendation_status))
        .route(
            "/recommendations/{id}/follow-up",
            post(recommendation_follow_up),
        )
        .route("/federation/peers", get(peers))
        .route("/federation/health", get(federation_health))
        .route("/federation/peers/{oin}/resend", post(resend))
        .route("/federation/directory/reload", post(reload_directory))
        .fallback(not_found);
    // a keyed request is bound to its body: buffered and digested before the handler
    let max = api.settings.max_body_bytes;
    let v1 = v1.layer(axum::middleware::from_fn(move |req, next| {
        crate::http::digest_keyed(max, req, next)
    }));
    let v1 = match crate::limit::api_layer(&api.node, api.settings.rate_limits) {
        Some(l) => v1.layer(l),
        None => v1,
    };
    let root = Router::new().nest("/api/v1", v1);
    // monitoring here unless the node has a listener of its own for it
    let root = if api.settings.admin_listen.is_none() {
        root.merge(monitoring_routes())
    } else {
        root
    };
    root.with_state(api)
}

fn monitoring_routes() -> Router<Arc<Api>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// `/metrics`, `/healthz` and `/readyz` alone, for the separate monitoring listener.
pub fn monitoring_router(api: Arc<Api>) -> Router {
    monitoring_routes().with_state(api)
}
