//! The OpenAPI document (`GET /api/v1/openapi.json`), generated from the handlers: the bearer
//! scheme, the `Idempotency-Key` of every command, and the error answers every operation can
//! give, each with the error body `{code, rule, message_nl, message_en}`.

use super::*;
use utoipa::openapi::path::Operation as OpenApiOperation;
use utoipa::openapi::{RefOr, ResponseBuilder};

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every command accepts an `Idempotency-Key` (the federation's admin actions, which are
/// idempotent by nature, too: there it changes nothing).
struct IdempotencyAddon;

impl Modify for IdempotencyAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        let header = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes the command safe to retry: a repeated key (per person, kept at least 24 \
                 hours) returns the first answer and has no second effect; the same key for \
                 another operation is refused (422 idempotency.key_reused).",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(Idempotency::MAX_LEN))
                    .pattern(Some("^[!-~]+$")),
            ))
            .build();
        for item in openapi.paths.paths.values_mut() {
            if let Some(op) = item.post.as_mut() {
                op.parameters
                    .get_or_insert_with(Vec::new)
                    .push(header.clone().into());
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Doorbraak node API", description = "The JSON API of one organisation's Doorbraak node. Errors are `{code, rule, message_nl, message_en}`."),
    paths(
        me, create_case, list_cases, get_case,
        raise_kwestie, list_kwesties, get_kwestie, kwestie_pick_up, kwestie_to_board, kwestie_resolve,
        open_escalation, list_escalations, get_escalation, escalation_events, invoke_step, esc_pick_up,
        add_participant, family_informed, record_outcome, change_situation, close_escalation, add_note, list_notes,
        schedule_meeting, list_meetings, awaiting_me, get_meeting, draft_minutes, revise_minutes, circulate_minutes,
        approve_minutes, request_changes, add_addendum, minutes_bundle, minutes_print, access_log, access_log_export, notifications,
        peers, federation_health, resend, reload_directory, team_overview, team_agenda, create_recommendation,
        list_recommendations, recommendation_status, recommendation_follow_up, stagnation, trend,
        records_overview, propose_destruction, destruction_list, approve_destruction, reject_destruction,
        place_hold, lift_hold, erase_record, inzage, restrict_case, lift_restriction, correct_escalation,
        destruction_declaration, inzage_print,
    ),
    components(schemas(RecordKind)),
    modifiers(&SecurityAddon, &IdempotencyAddon, &ErrorsAddon, &ClosedVariantsAddon)
)]
pub struct ApiDoc;

/// The error answers an operation can give besides its own: 401 without a valid token, 403 when
/// the role may not, 422 for input the rules refuse, 503 when the node is busy or a home node
/// is unreachable; with a path id also 400 (not a UUID), 404 and 409; with a body or query
/// also 400 (malformed), and for a body 409, 413 (too large) and 415 (not JSON).
struct ErrorsAddon;

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ApiErrorBody")))
                .build(),
        )
        .into()
}

fn add_errors(op: &mut OpenApiOperation, path: &str, post: bool) {
    let has_query = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)))
    });
    let mut codes: Vec<(&str, &str)> = vec![
        ("401", "No valid bearer token (auth.unauthenticated)."),
        (
            "403",
            "The role or organisation may not do this (access.*).",
        ),
        (
            "422",
            "Input the rules refuse (input.*, or the rule named).",
        ),
        (
            "503",
            "The node is busy, or the home node cannot be reached; try again.",
        ),
    ];
    if path.contains('{') {
        codes.push(("400", "The id in the path is not valid (input.invalid_id)."));
        codes.push(("404", "No such object here (state.not_found)."));
        codes.push((
            "409",
            "A rule refuses it in the current state (the rule named).",
        ));
    }
    if has_query || post {
        codes.push((
            "400",
            "The body or query is malformed (input.malformed_json, input.body, input.query).",
        ));
    }
    if post {
        codes.push((
            "404",
            "Something the request names does not exist here (state.not_found).",
        ));
        codes.push((
            "409",
            "A rule refuses it in the current state (the rule named).",
        ));
        codes.push((
            "413",
            "The body is larger than the node accepts (input.body_too_large).",
        ));
        codes.push(("415", "The body is not JSON (input.content_type)."));
    }
    for (code, description) in codes {
        op.responses
            .responses
            .entry(code.to_owned())
            .or_insert_with(|| error_response(description));
    }
}

/// Every tagged enum of the API refuses fields it does not know (`deny_unknown_fields`): say
/// so in each of its variants.
struct ClosedVariantsAddon;

impl Modify for ClosedVariantsAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for schema in components.schemas.values_mut() {
            if let RefOr::T(Schema::OneOf(one)) = schema {
                for item in one.items.iter_mut() {
                    if let RefOr::T(Schema::Object(o)) = item {
                        o.additional_properties =
                            Some(Box::new(AdditionalProperties::FreeForm(false)));
                    }
                }
            }
        }
    }
}

impl Modify for ErrorsAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if let Some(op) = item.get.as_mut() {
                add_errors(op, path, false);
            }
            if let Some(op) = item.post.as_mut() {
                add_errors(op, path, true);
            }
        }
    }
}
