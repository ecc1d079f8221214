//! Errors as both HTTP adapters show them: the JSON API as `{code, rule, message_nl, message_en}`
//! with a 4xx/5xx, the web as a page or a form's error summary. One refusal kind, mapped once
//! ([`http_status`]).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorbraak_model::RuleViolation;
use serde::Serialize;
use utoipa::ToSchema;

use doorbraak_app::NodeError;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// The HTTP status code.
    pub code: u16,
    /// The rule or check that refused the request, e.g. `ladder.step1_only_situation1`.
    pub rule: String,
    pub message_nl: String,
    pub message_en: String,
}

#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub rule: String,
    pub message_nl: String,
    pub message_en: String,
    /// The input field the refusal is about, if it is about one (for the form's error summary).
    pub field: Option<&'static str>,
}

impl HttpError {
    pub fn new(
        status: StatusCode,
        rule: &str,
        nl: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            status,
            rule: rule.to_owned(),
            message_nl: nl.into(),
            message_en: en.into(),
            field: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "auth.unauthenticated",
            "Log in: een geldig bearer-token is nodig",
            "Log in: a valid bearer token is required",
        )
    }

    pub fn bad_id(what: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "input.invalid_id",
            format!("'{what}' is geen geldige id (UUID)"),
            format!("'{what}' is not a valid id (UUID)"),
        )
    }
}

impl From<RuleViolation> for HttpError {
    fn from(v: RuleViolation) -> Self {
        Self {
            status: http_status(v.kind()),
            rule: v.rule().to_owned(),
            message_nl: v.message_nl(),
            message_en: v.message_en(),
            field: v.field(),
        }
    }
}

/// The HTTP status of a kind of refusal (the one mapping; gRPC has its own in
/// `doorbraak_federation::refusal`).
pub fn http_status(kind: doorbraak_model::RefusalKind) -> StatusCode {
    use doorbraak_model::RefusalKind::*;
    match kind {
        Access => StatusCode::FORBIDDEN,
        Input => StatusCode::UNPROCESSABLE_ENTITY,
        NotFound => StatusCode::NOT_FOUND,
        Conflict => StatusCode::CONFLICT,
    }
}

impl From<NodeError> for HttpError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Rule(v) => v.into(),
            NodeError::Relearning => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "federation.relearning",
                "Deze node is teruggezet uit een back-up en haalt de escalaties eerst bij de andere organisaties op; probeer het zo opnieuw",
                "This node was restored from a backup and first fetches its escalations from the other organisations; try again shortly",
            ),
            NodeError::Busy => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "node.busy",
                "Het lukte niet de wijziging vast te leggen; probeer het opnieuw",
                "The change could not be committed; try again",
            ),
            NodeError::Federation(doorbraak_app::FedError::Remote(r)) => Self {
                status: http_status(r.kind),
                rule: r.rule,
                message_nl: r.message_nl,
                message_en: r.message_en,
                field: None,
            },
            NodeError::Federation(doorbraak_app::FedError::Unreachable { home, .. }) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "federation.home_unreachable",
                format!(
                    "De node van de thuisorganisatie ({home}) is niet bereikbaar; probeer het later opnieuw"
                ),
                format!(
                    "The node of the home organisation ({home}) cannot be reached; try again later"
                ),
            ),
            NodeError::Federation(doorbraak_app::FedError::NotConfigured) => Self::new(
                StatusCode::CONFLICT,
                "federation.not_configured",
                "Deze node is niet aangesloten op de federatie",
                "This node is not connected to the federation",
            ),
            other => {
                tracing::error!(error = %other, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "node.internal",
                    "Interne fout in de node; niets is vastgelegd",
                    "Internal error in the node; nothing was recorded",
                )
            }
        }
    }
}

impl From<JsonRejection> for HttpError {
    fn from(r: JsonRejection) -> Self {
        let detail = r.body_text();
        match r {
            JsonRejection::JsonDataError(_) => {
                let rule = if detail.contains("unknown field") {
                    "input.unknown_field"
                } else {
                    "input.invalid_json"
                };
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    rule,
                    format!("De gegevens kloppen niet: {detail}"),
                    format!("The request body does not fit: {detail}"),
                )
            }
            JsonRejection::JsonSyntaxError(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "input.malformed_json",
                format!("Geen geldige JSON: {detail}"),
                format!("Not valid JSON: {detail}"),
            ),
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "input.content_type",
                "Stuur JSON met Content-Type: application/json",
                "Send JSON with Content-Type: application/json",
            ),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "input.body_too_large",
                "Het verzoek is te groot",
                "The request body is too large",
            ),
            _ => Self::new(
                r.status(),
                "input.body",
                format!("Het verzoek kon niet worden gelezen: {detail}"),
                format!("The request body could not be read: {detail}"),
            ),
        }
    }
}

impl From<PathRejection> for HttpError {
    fn from(r: PathRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "input.path",
            format!("Ongeldig pad: {}", r.body_text()),
            format!("Invalid path: {}", r.body_text()),
        )
    }
}

impl From<QueryRejection> for HttpError {
    fn from(r: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "input.query",
            format!("Ongeldige zoekparameters: {}", r.body_text()),
            format!("Invalid query parameters: {}", r.body_text()),
        )
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            code: self.status.as_u16(),
            rule: self.rule,
            message_nl: self.message_nl,
            message_en: self.message_en,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// The directory on disk was not taken into use (the old one stays): 422 with its reason.
pub fn directory_not_loaded(e: &doorbraak_app::directory::ReloadError) -> HttpError {
    HttpError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.rule(),
        format!(
            "Het adresboek is niet geladen (het oude blijft in gebruik): {}",
            e.message_nl()
        ),
        format!("The directory was not loaded (the old one stays in use): {e}"),
    )
}
