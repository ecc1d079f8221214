//! The printable record of minutes for the dossier (final, or a draft marked CONCEPT): one
//! self-contained Dutch HTML page
//! with its own print stylesheet. Served by the JSON API (`GET /api/v1/meetings/{id}/print`,
//! for `doorbraak minutes print`) and by the web UI alike, so it lives beside both.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use doorbraak_app::lang::Lang;
use doorbraak_app::ops::minutes::MinutesRecord;
use doorbraak_app::ops::records::Inzage;
use doorbraak_app::time;
use doorbraak_app::views::records::DestructionList;

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
    page(minutes(r))
}

/// A printable page as an HTTP response, under the records' content security policy.
pub fn page(m: Markup) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        m.into_string(),
    )
        .into_response()
}

fn kind_nl(kind: &str) -> &'static str {
    match kind {
        "escalation" => "Escalatie",
        "kwestie" => "Kwestie",
        "minutes" => "Overleg en verslag",
        _ => "Dossier",
    }
}

/// The declaration of destruction (verklaring van vernietiging) of a destruction list: which
/// records (kind, id, case reference, closed, term and its basis, destruction date), who
/// approved it when, what became of each, and which parties have yet to confirm.
pub fn declaration(l: &DestructionList, organisation: &str, approver: &str) -> Markup {
    let nl = Lang::Nl;
    html! {
        (DOCTYPE)
        html lang="nl" {
            head {
                meta charset="utf-8";
                title { "Verklaring van vernietiging" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @if l.status != "approved" {
                    p.concept role="note" { "CONCEPT — over deze vernietigingslijst is nog niet (positief) besloten" }
                }
                h1 { "Verklaring van vernietiging" }
                p.meta {
                    (organisation) " · Vernietigingslijst " code { (l.id) }
                    br;
                    "Voorgesteld op " (time::moment(l.proposed_at, nl))
                    @if let Some(at) = l.decided_at {
                        " · " @if l.status == "approved" { "goedgekeurd" } @else { "afgewezen" }
                        " op " (time::moment(at, nl)) " door " (approver)
                        @if let Some(by) = l.decided_by.as_ref().filter(|by| *by != approver) { " (" (by) ")" }
                    }
                }
                p {
                    "Hierbij wordt verklaard dat de onderstaande dossiers, waarvan de bewaartermijn is verstreken en "
                    "waarop geen juridische bewaarplicht rust, zijn vernietigd: alle inhoud (vrije tekst, notities, "
                    "verslagtekst en namen van deelnemers) is gewist, bij deze organisatie en bij iedere partij die "
                    "een kopie hield. Bewaard blijven alleen de gegevens over de vernietiging zelf."
                }
                table {
                    tr { th { "Soort" } th { "Kenmerk" } th { "Casus" } th { "Afgesloten" } th { "Termijn" } th { "Vernietigen vanaf" } th { "Uitkomst" } th { "Nog te bevestigen door" } }
                    @for i in &l.items {
                        tr {
                            td { (kind_nl(&i.stream_kind)) }
                            td { code { (i.stream_id) } }
                            td { (i.case_ref.as_deref().unwrap_or("—")) }
                            td { (time::day(i.closed_at, nl)) }
                            td { (i.years) " jaar (" (i.basis) ")" }
                            td { (time::day(i.destroy_on, nl)) }
                            td {
                                @match i.outcome.as_deref() {
                                    Some("destroyed") => { "vernietigd" @if let Some(at) = i.done_at { " op " (time::moment(at, nl)) } }
                                    Some(o) => { "niet vernietigd (" (o.trim_start_matches("skipped:")) ")" }
                                    None => { "—" }
                                }
                            }
                            td { @if i.unconfirmed.is_empty() { "—" } @else { (i.unconfirmed.join(", ")) } }
                        }
                    }
                }
            }
        }
    }
}

/// The inzage export of a case as a printable Dutch page: what this node holds about it.
pub fn inzage(i: &Inzage, organisation: &str) -> Markup {
    let nl = Lang::Nl;
    html! {
        (DOCTYPE)
        html lang="nl" {
            head {
                meta charset="utf-8";
                title { "Inzage casus " (i.case_ref) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Inzage: wat " (organisation) " over casus " (i.case_ref) " vastlegt" }
                p.meta { "Gemaakt op " (time::moment(i.made_at, nl)) " door " (i.made_by) " · AVG artikel 15" }
                @if let Some(r) = &i.restriction {
                    p.concept role="note" { "De verwerking van deze casus is beperkt sinds " (time::moment(r.at, nl)) ": " (r.reason) }
                }
                h2 { "Casus" }
                @match &i.case {
                    Some(c) => p { (c.case_ref) " — " (c.title) }
                    None => p { "Deze node kent de casus niet als eigen casus (alleen kopieën van anderen)." }
                }
                h2 { "Escalaties (" (i.escalations.len()) ")" }
                @for e in &i.escalations {
                    h3 { "Escalatie " code { (e.id) } @if e.replica { " (kopie; beheerd door " (e.home) ")" } }
                    @if let Some(t) = &e.state.records.destroyed { p.meta { "Vernietigd op " (time::moment(t.destroyed_at, nl)) } }
                    p { strong { "Vraag: " } (e.state.question) }
                    p { strong { "Nodig: " } (e.state.needs) }
                    @for s in &e.state.steps {
                        p {
                            strong { (s.step.label_nl()) ": " }
                            "ingezet " (time::moment(s.invoked_at, nl))
                            @if !s.reason.is_empty() { " — " (s.reason) }
                            @if let Some((o, _)) = &s.outcome { " · uitkomst: " (e.state.corrected_text(doorbraak_model::escalation::CorrectableField::OutcomeSummary(s.step)).unwrap_or_default()) @if o.is_resolved() { " (overbrugd)" } }
                        }
                        @if !s.participants.is_empty() {
                            p.meta { "Deelnemers: " (s.participants.iter().map(|p| format!("{} ({})", p.name, p.role.label_nl())).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                    @for n in &e.notes { p.meta { "Notitie " (time::moment(n.created_at, nl)) ": " (n.text) } }
                }
                h2 { "Kwesties (" (i.kwesties.len()) ")" }
                @for k in &i.kwesties {
                    h3 { "Kwestie " code { (k.id) } }
                    p { strong { "Belemmering: " } (k.state.obstacle) }
                    @if !k.state.child_needs.is_empty() { p { strong { "Nodig voor het kind: " } (k.state.child_needs) } }
                    @if let Some(r) = &k.state.resolution { p { strong { "Oplossing: " } (r.solution) } }
                }
                h2 { "Overleggen en verslagen (" (i.minutes.len()) ")" }
                @for m in &i.minutes {
                    h3 { "Overleg " code { (m.id) } " op " (time::moment(m.state.meeting.date, nl)) @if m.replica { " (kopie; beheerd door " (m.home) ")" } }
                    p { strong { "Agenda: " } (m.state.meeting.agenda) }
                    @if let Ok((_, text, _)) = m.state.printable() { pre { (text.content) } }
                }
                h2 { "Wie las of wijzigde wat (" (i.access_log.len()) ")" }
                table {
                    tr { th { "Wanneer" } th { "Wie" } th { "Rol" } th { "Organisatie" } th { "Handeling" } th { "Wat" } th { "Uitkomst" } }
                    @for a in &i.access_log {
                        tr {
                            td { (time::moment(a.at, nl)) }
                            td { (a.user_id) }
                            td { (a.user_role) }
                            td { (a.org_oin) }
                            td { (a.action.code()) }
                            td { (a.object_type) " " (a.object_id) }
                            td { (a.outcome) }
                        }
                    }
                }
            }
        }
    }
}
