//! The printable record of final minutes for the dossier: one self-contained Dutch HTML page
//! with its own print stylesheet. Served by the JSON API (`GET /api/v1/meetings/{id}/print`,
//! for `doorbraak minutes print`) and by the web UI alike, so it lives beside both.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use doorbraak_model::{Minutes, RuleViolation};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::error::ApiError;

const STYLE: &str = "body{font-family:Georgia,serif;max-width:42rem;margin:2rem auto;color:#111}\
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;padding:.3rem;text-align:left}\
pre{white-space:pre-wrap;font-family:inherit}.meta{color:#333}@media print{body{margin:0}a{color:#000}}";

/// The content security policy of the record: its own inline stylesheet, and nothing else.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The record of `m`, or `None` when the minutes are not final (see
/// `Minutes::final_record`, which says why).
pub fn minutes(m: &Minutes) -> Option<Markup> {
    let (doc, text) = m.final_record().ok()?;
    Some(html! {
        (DOCTYPE)
        html lang="nl" {
            head {
                meta charset="utf-8";
                title { "Verslag overleg" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Verslag van het overleg (" (m.meeting.step.label_nl()) ")" }
                p.meta {
                    "Datum overleg: " (m.meeting.date) " · Escalatie " (m.meeting.escalation)
                    " · Versie " (text.number) " · Definitief sinds "
                    (doc.final_at.map(|t| t.to_string()).unwrap_or_default())
                }
                h2 { "Agenda" }
                pre { (m.meeting.agenda) }
                h2 { "Verslag" }
                pre { (text.content) }
                h2 { "Goedkeuringen" }
                table {
                    tr { th { "Naam" } th { "Rol" } th { "Organisatie (OIN)" } th { "Goedgekeurd op" } th { "Ondertekend" } }
                    @for p in &m.meeting.participants {
                        @let a = doc.approvals.iter().find(|a| a.org == p.org && a.person == p.person);
                        tr {
                            td { (p.name) }
                            td { (p.role.label_nl()) }
                            td { (p.org.as_str()) }
                            td { (a.map(|a| a.at.to_string()).unwrap_or_else(|| "—".into())) }
                            td { @if a.and_then(|a| a.signature.as_ref()).is_some() { "ja (ECDSA P-256)" } @else { "nee" } }
                        }
                    }
                }
                p.meta { "SHA-256 van de tekst: " code { (text.content_hash) } }
                @for (i, a) in m.addenda.iter().enumerate() {
                    @if let Some(t) = a.final_text() {
                        h2 { "Addendum " (i + 1) }
                        pre { (t.content) }
                    }
                }
            }
        }
    })
}

/// The record as an HTTP response, under its own content security policy.
pub fn response(m: &Minutes) -> Response {
    match minutes(m) {
        Some(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            ],
            html.into_string(),
        )
            .into_response(),
        None => ApiError::from(RuleViolation::MinutesNotFinal).into_response(),
    }
}
