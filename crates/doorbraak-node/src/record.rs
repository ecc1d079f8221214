//! The printable record of minutes for the dossier (final, or a draft marked CONCEPT): one
//! self-contained Dutch HTML page
//! with its own print stylesheet. Served by the JSON API (`GET /api/v1/meetings/{id}/print`,
//! for `doorbraak minutes print`) and by the web UI alike, so it lives beside both.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::lang::Lang;
use crate::ops::minutes::MinutesRecord;
use crate::time;

const STYLE: &str = "body{font-family:Georgia,serif;max-width:42rem;margin:2rem auto;color:#111}\
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;padding:.3rem;text-align:left}\
pre{white-space:pre-wrap;font-family:inherit}.meta{color:#333}.concept{font-weight:bold;border:2px solid #111;padding:.4rem}@media print{body{margin:0}a{color:#000}}";

/// The content security policy of the record: its own inline stylesheet, and nothing else.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The record: the meeting (its step, local date, case reference), the text (final, or the
/// newest draft marked CONCEPT), who approved when (names, roles, organisations' names), the
/// text's hash, and the final addenda. No internal ids, no OINs.
pub fn minutes(r: &MinutesRecord) -> Markup {
    let m = &r.minutes;
    let nl = Lang::Nl;
    let Ok((doc, text, is_final)) = m.printable() else {
        return html! {};
    };
    html! {
        (DOCTYPE)
        html lang="nl" {
            head {
                meta charset="utf-8";
                title { @if !is_final { "CONCEPT — " } "Verslag overleg" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @if !is_final {
                    p.concept role="note" { "CONCEPT — dit verslag is nog niet door alle deelnemers goedgekeurd" }
                }
                h1 { "Verslag van het overleg (" (m.meeting.step.label_nl()) ")" }
                p.meta {
                    "Datum overleg: " (time::moment(m.meeting.date, nl))
                    @if let Some(c) = &r.case_ref { " · Casus " (c) }
                    " · Versie " (text.number)
                    @if let Some(at) = doc.final_at { " · Definitief sinds " (time::moment(at, nl)) }
                }
                h2 { "Agenda" }
                pre { (m.meeting.agenda) }
                h2 { "Verslag" }
                pre { (text.content) }
                h2 { "Goedkeuringen" }
                table {
                    tr { th { "Naam" } th { "Rol" } th { "Organisatie" } th { "Goedgekeurd op" } th { "Ondertekend" } }
                    @for p in &m.meeting.participants {
                        @let a = doc.approvals.iter().find(|a| a.org == p.org && a.person == p.person && a.revision == text.number);
                        tr {
                            td { (p.name) }
                            td { (p.role.label_nl()) }
                            td { (r.org_name(&p.org)) }
                            td { (a.map(|a| time::moment(a.at, nl)).unwrap_or_else(|| "—".into())) }
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
    }
}

/// The record as an HTTP response, under its own content security policy.
pub fn response(r: &MinutesRecord) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        minutes(r).into_string(),
    )
        .into_response()
}
