//! The screens. Each handler calls the JSON API's function for the same operation (so the
//! rules, the role checks and the access log are shared) and renders the result; a refusal is
//! shown with the rule's message.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use doorbraak_model::escalation::{EscalationCommand, FamilyInformed, StepOutcome};
use doorbraak_model::kwestie::{Consulted, KwestieCommand, KwestieRoute, Preparation};
use doorbraak_model::{
    Aggregate, DocTarget, Escalation, Kwestie, KwestieCategory, Minutes, Oin, Participant,
    PersonId, Role, RuleViolation, Situation, Status, Step, StreamKind, Timestamp,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::Site;
use super::session::same_secret;
use super::{
    Authed, Ctx, Lang, WebForm, error_box, error_page, error_summary, field_error, page, role_label,
};
use crate::error::HttpError;
use crate::http;
use doorbraak_app::User;
use doorbraak_app::ops;
use doorbraak_app::time;
use doorbraak_model::access::ContentKind;

type Web = State<Arc<Site>>;

mod admin;
mod cases;
mod escalation_actions;
mod escalations;
mod home;
mod inbox;
mod kwesties;
mod lists;
pub(super) mod login;
mod meetings;
mod oversight;
mod records;
mod story;

use admin::*;
use cases::*;
use escalation_actions::*;
use escalations::*;
use home::*;
use inbox::{inbox as inbox_page, open_notice, preference};
use kwesties::*;
use login::*;
use meetings::*;
use oversight::*;
use records::*;

/// A path of an earlier release, answered with a permanent redirect (308: the method, the query
/// and a form's body are kept) to the path in the glossary's words.
async fn old_path(uri: axum::http::Uri) -> Redirect {
    let path = uri.path();
    let new = match path.strip_prefix("/zaken") {
        Some(rest) => format!("/casussen{rest}"),
        None => path
            .strip_suffix("/notulen")
            .map_or_else(|| "/".to_owned(), |meeting| format!("{meeting}/verslag")),
    };
    let to = match uri.query() {
        Some(q) => format!("{new}?{q}"),
        None => new,
    };
    Redirect::permanent(&to)
}

pub fn routes(login_limit: &Option<crate::limit::Layer>) -> Router<Arc<Site>> {
    Router::new()
        .route("/", get(home))
        .route("/inloggen", get(login_page))
        .route(
            "/inloggen/dev",
            crate::limit::limited(post(dev_login), login_limit),
        )
        .route("/uitloggen", post(logout))
        .route("/taal", get(set_lang))
        .route("/casussen", get(cases).post(create_case))
        .route("/casussen/{case_ref}", get(case_page))
        .route("/escalaties", get(escalations).post(open_escalation))
        .route("/escalaties/nieuw", get(new_escalation))
        .route("/escalaties/{id}", get(escalation_page))
        .route("/escalaties/{id}/oppakken", post(esc_pick_up))
        .route("/escalaties/{id}/gezin", post(esc_family))
        .route("/escalaties/{id}/volgende-stap", post(esc_next_step))
        .route("/escalaties/{id}/uitkomst", post(esc_outcome))
        .route("/escalaties/{id}/afsluiten", post(esc_close))
        .route("/escalaties/{id}/deelnemer", post(esc_add_participant))
        .route("/escalaties/{id}/situatie", post(esc_change_situation))
        .route("/escalaties/{id}/overleg", post(esc_schedule))
        .route("/escalaties/{id}/notitie", post(esc_note))
        .route("/kwesties", get(kwesties).post(raise_kwestie))
        .route("/kwesties/nieuw", get(new_kwestie))
        .route("/kwesties/{id}", get(kwestie_page))
        .route("/kwesties/{id}/oppakken", post(kwestie_pick_up))
        .route("/kwesties/{id}/bestuur", post(kwestie_to_board))
        .route("/kwesties/{id}/oplossen", post(kwestie_resolve))
        .route("/overleggen", get(meetings))
        .route("/overleggen/{id}", get(meeting_page))
        .route("/overleggen/{id}/verslag", post(minutes_text))
        .route("/overleggen/{id}/rondsturen", post(minutes_circulate))
        .route("/overleggen/{id}/goedkeuren", post(minutes_approve))
        .route("/overleggen/{id}/wijzigingen", post(minutes_changes))
        .route("/overleggen/{id}/afdruk", get(minutes_print))
        .route("/overleggen/{id}/aanvullingen", post(minutes_addendum))
        .route("/meldingen", get(inbox_page))
        .route("/meldingen/voorkeur", post(preference))
        .route("/meldingen/{id}", get(open_notice))
        .route("/team", get(team))
        .route("/sturing", get(stagnation))
        .route("/sturing.csv", get(stagnation_csv))
        .route(
            "/aanbevelingen",
            get(recommendations).post(create_recommendation),
        )
        .route("/aanbevelingen/{id}/status", post(recommendation_status))
        .route(
            "/aanbevelingen/{id}/voortgang",
            post(recommendation_follow_up),
        )
        .route("/dossiers", get(records_page))
        .route("/vernietiging/{id}", get(destruction_page))
        .route("/vernietiging/{id}/goedkeuren", post(destruction_approve))
        .route("/vernietiging/{id}/afwijzen", post(destruction_reject))
        .route(
            "/vernietiging/{id}/verklaring",
            get(destruction_declaration),
        )
        .route("/casussen/{case_ref}/inzage", get(inzage_page))
        // the paths before the glossary's words (casus, verslag): permanent redirects that
        // keep the method, the query and a form's body (308)
        .route("/zaken", any(old_path))
        .route("/zaken/{*rest}", any(old_path))
        .route("/overleggen/{id}/notulen", any(old_path))
        .route("/beheer", get(admin))
        .route("/beheer/peers/{oin}/opnieuw", post(admin_resend))
        .route("/beheer/klok", post(admin_clock))
        .route("/beheer/adresboek", post(admin_reload_directory))
        .route("/beheer/gebruikers", get(people))
        .route("/beheer/toegangslog", get(access_log))
        .route("/beheer/toegangslog.csv", get(access_log_csv))
}

// ------------------------------------------------------------------ small helpers

/// A deadline: the moment in Amsterdam and how far off it is ("nog 9 dagen", "3 dagen te laat").
fn deadline(ctx: &Ctx, at: Timestamp, now: Timestamp) -> Markup {
    html! {
        time datetime=(at.to_string()) { (time::moment(at, ctx.lang)) }
        " " span.aftellen { "(" (time::countdown(at, now, ctx.lang)) ")" }
    }
}

fn org_name(site: &Site, oin: &str) -> String {
    Oin::parse(oin)
        .ok()
        .and_then(|o| site.node.directory().get(&o).map(|m| m.name.clone()))
        .unwrap_or_else(|| oin.to_owned())
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn step_label(lang: Lang, s: Step) -> &'static str {
    lang.t(s.label_nl(), s.label_en())
}

fn situation_label(lang: Lang, s: Situation) -> &'static str {
    lang.t(s.label_nl(), s.label_en())
}

fn situation_help(lang: Lang, s: Situation) -> &'static str {
    match s {
        Situation::ProfessionalDilemma => lang.t(
            "U verschilt van inzicht over de casus, bijvoorbeeld over de volgende stap om de veiligheid te herstellen. Begint bij stap 1: de gedragswetenschappers.",
            "You differ in view on the case, e.g. on the next step to restore safety. Starts at step 1: the behavioural scientists.",
        ),
        Situation::AgreementsNotKept => lang.t(
            "De samenwerking volgt de gemaakte (of algemeen geldende) afspraken niet, bijvoorbeeld een wachtlijst houdt nodige hulp tegen. Begint bij stap 2: het management.",
            "Cooperation does not follow the agreed (or generally applicable) arrangements, e.g. a waiting list keeps needed help from starting. Starts at step 2: management.",
        ),
        Situation::Conduct => lang.t(
            "Het professioneel handelen van een collega van een andere organisatie is nalatig of zorgwekkend (SKJ-kwaliteitskader of algemene normen). Begint bij stap 2: het management.",
            "The professional conduct of a colleague of another organisation is negligent or worrying (SKJ quality framework or general norms). Starts at step 2: management.",
        ),
    }
}

fn status_badge(lang: Lang, overdue: bool, status: Status) -> Markup {
    html! {
        @if overdue { span.badge.te-laat { (lang.t("te laat", "overdue")) } " " }
        span.badge { (status_label(lang, status)) }
    }
}

fn status_label(lang: Lang, status: Status) -> &'static str {
    let (nl, en) = match status {
        Status::Open => ("open", "open"),
        Status::Closed => ("gesloten", "closed"),
        Status::Raised => ("gemeld", "raised"),
        Status::PickedUp => ("opgepakt", "picked up"),
        Status::Resolved => ("opgelost", "resolved"),
        Status::EscalatedToBoard => ("bij het bestuur", "with the board"),
        Status::PickedUpByBoard => ("opgepakt door het bestuur", "picked up by the board"),
        Status::Scheduled => ("gepland", "scheduled"),
        Status::Draft => ("concept", "draft"),
        Status::Circulated => ("ter goedkeuring", "awaiting approval"),
        Status::Final => ("vastgesteld", "final"),
        Status::InProgress => ("in uitvoering", "in progress"),
        Status::Done => ("gerealiseerd", "done"),
        Status::Dropped => ("vervallen", "dropped"),
    };
    lang.t(nl, en)
}

/// The other members of the federation (every organisation but this node's own).
fn other_members(site: &Site) -> Vec<doorbraak_federation::directory::Member> {
    site.node
        .directory()
        .members()
        .iter()
        .filter(|m| &m.oin != site.node.oin())
        .cloned()
        .collect()
}

fn me_participant(site: &Site, u: &User) -> Participant {
    Participant {
        person: PersonId::new(u.id.clone()),
        name: u.name.clone(),
        role: u.role,
        org: site.node.oin().clone(),
    }
}

/// Who takes part in a step being invoked: the invoker when their role acts in it, and at
/// step 3 the civil servant it needs (a placeholder of the home when only asking the rules).
fn step_participants(
    site: &Site,
    u: &User,
    step: Step,
    civil_servant: Option<Participant>,
) -> Vec<Participant> {
    let mut ps = Vec::new();
    if step == Step::Administrative {
        ps.push(civil_servant.unwrap_or_else(|| Participant {
            person: PersonId::new("-".to_owned()),
            name: "-".into(),
            role: Role::CivilServant,
            org: site.node.oin().clone(),
        }));
    }
    step.add_opener(&mut ps, me_participant(site, u));
    ps
}

/// How a form names a person: `OIN|person id`.
fn participant_key(p: &Participant) -> String {
    format!("{}|{}", p.org.as_str(), p.person.0)
}

/// The people who can be invited to a meeting of an escalation: me, then everyone known in it
/// (step participants, those who picked a step up), each once.
fn meeting_candidates(site: &Site, u: &User, e: &Escalation) -> Vec<Participant> {
    let mut candidates: Vec<Participant> = vec![me_participant(site, u)];
    for s in &e.steps {
        candidates.extend(s.participants.iter().cloned());
        if let Some((doorbraak_model::Actor::Person { person, role, org }, _)) = &s.picked_up {
            candidates.push(Participant {
                person: person.clone(),
                name: person.0.clone(),
                role: *role,
                org: org.clone(),
            });
        }
    }
    let mut seen = BTreeSet::new();
    candidates.retain(|p| seen.insert((p.org.clone(), p.person.clone())));
    candidates
}

/// Would this command be allowed now? `Err` carries the rule that refuses it.
fn dry_run(
    site: &Site,
    u: &User,
    e: &Escalation,
    cmd: &EscalationCommand,
) -> Result<(), RuleViolation> {
    Escalation::decide(Some(e), cmd, &site.node.actor(u), site.node.now()).map(|_| ())
}

/// A button for an action, or (when a rule forbids it now) the disabled button with the rule.
fn action(
    ctx: &Ctx,
    allowed: &Result<(), RuleViolation>,
    to: &str,
    label: &str,
    id: &str,
    fields: Markup,
) -> Markup {
    match allowed {
        Ok(()) => html! {
            form.actie method="post" action=(to) {
                (ctx.csrf_field())
                (fields)
                button.utrecht-button--primary-action #(id) type="submit" { (label) }
            }
        },
        Err(v) => html! {
            div.actie.uit {
                button #(id) type="button" disabled aria-describedby={ (id) "-waarom" } { (label) }
                p.waarom id={ (id) "-waarom" } {
                    (ctx.t(&v.message_nl(), &v.message_en()))
                    " " span.regel { "(" code { (v.rule()) } ")" }
                }
            }
        },
    }
}

/// A choice the person must make: nothing chosen is a missing answer, else one of the offered
/// values.
fn required_enum<T: serde::de::DeserializeOwned>(
    field: &'static str,
    v: &str,
) -> Result<T, HttpError> {
    if v.is_empty() {
        return Err(RuleViolation::MissingField { field }.into());
    }
    parse_enum(field, v)
}

/// The value of a field of a form read as pairs (empty when it is absent).
fn form_field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn parse_enum<T: serde::de::DeserializeOwned>(
    field: &'static str,
    v: &str,
) -> Result<T, HttpError> {
    use serde::de::value::{Error, StrDeserializer};
    T::deserialize(StrDeserializer::<Error>::new(v)).map_err(|_| {
        RuleViolation::InvalidField {
            field,
            reason: "not one of the offered choices",
        }
        .into()
    })
}

/// A list query without filters (the API's default limit).
/// A failure of an operation, as an error page.
fn failed(site: &Site, ctx: &Ctx, e: doorbraak_app::NodeError) -> Response {
    error_page(site, ctx, &HttpError::from(e))
}

/// Every row a list answers (its default limit), newest deadlines first.
fn all_rows() -> doorbraak_app::views::ListFilter {
    doorbraak_app::views::ListFilter {
        limit: 500,
        ..Default::default()
    }
}

/// The escalation a form acts on, read as its page was (id checked, read logged, roles).
async fn escalation_for(site: &Site, u: &User, id: &str) -> Result<Escalation, HttpError> {
    let id = http::uuid(id)?.to_string();
    Ok(site.node.read::<Escalation>(u, &id).await?.state)
}

/// A form field whose value must be one of `choices`.
/// The bottleneck classification of DOMAIN.md §4 (closing an escalation, resolving a
/// kwestie): the bottleneck, incidental or structural, and the root-cause questions each with
/// its "why?" answers. Nothing is chosen beforehand.
fn classification_fields(ctx: &Ctx, prefix: &str) -> Markup {
    use doorbraak_model::{Bottleneck, RootCause, SolutionScope};
    html! {
        fieldset {
            legend { (ctx.t("Wat was het knelpunt?", "What was the bottleneck?")) }
            @for b in Bottleneck::ALL {
                @let id = format!("{prefix}-knelpunt-{}", b.code().replace('.', "-"));
                div.keuze {
                    input type="radio" name="bottleneck" id=(id) value=(b.code()) required;
                    label for=(id) { (ctx.t(b.label_nl(), b.label_en())) }
                }
            }
        }
        fieldset {
            legend { (ctx.t("Geldt de oplossing voor deze casus of ook voor andere?", "Does the solution hold for this case or for others too?")) }
            @for s in SolutionScope::ALL {
                @let id = format!("{prefix}-reikwijdte-{}", s.code());
                div.keuze {
                    input type="radio" name="scope" id=(id) value=(s.code()) required;
                    label for=(id) { (ctx.t(s.label_nl(), s.label_en())) }
                }
            }
        }
        fieldset {
            legend { (ctx.t("Oorzaakvragen (kies wat speelde; beantwoord telkens: waarom is dat zo?)", "Root-cause questions (choose what played a part; answer each time: why is that so?)")) }
            @for c in RootCause::ALL {
                @let id = format!("{prefix}-oorzaak-{}", c.code());
                div.keuze {
                    input type="checkbox" name="cause" id=(id) value=(c.code());
                    label for=(id) { (ctx.t(c.label_nl(), c.label_en())) }
                }
                label for={ (id) "-waarom" } { span.sr { (ctx.t(c.label_nl(), c.label_en())) ": " } (ctx.t("Waarom is dat zo? (één antwoord per regel)", "Why is that so? (one answer per line)")) }
                textarea id={ (id) "-waarom" } name={ "why_" (c.code()) } rows="2" maxlength=(doorbraak_model::text::MAX_TEXT) {}
            }
        }
        (confirm_field(ctx, &format!("{prefix}-bevestig")))
    }
}

/// The classification from a submitted form (see [`classification_fields`]).
fn classification_from(
    form: &[(String, String)],
) -> Result<doorbraak_model::BottleneckClassification, HttpError> {
    use doorbraak_model::{Bottleneck, RootCause, RootCauseAnswer, SolutionScope};
    let field = |name: &str| form_field(form, name);
    let bottleneck = match field("bottleneck") {
        "" => {
            return Err(RuleViolation::MissingField {
                field: "bottleneck",
            }
            .into());
        }
        code => Bottleneck::from_code(code).ok_or(RuleViolation::InvalidField {
            field: "bottleneck",
            reason: "not one of the offered choices",
        })?,
    };
    let scope = match field("scope") {
        "" => return Err(RuleViolation::MissingField { field: "scope" }.into()),
        code => SolutionScope::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or(RuleViolation::InvalidField {
                field: "scope",
                reason: "not one of the offered choices",
            })?,
    };
    let mut root_causes = Vec::new();
    for (_, code) in form.iter().filter(|(k, _)| k == "cause") {
        let cause = RootCause::from_code(code).ok_or(RuleViolation::InvalidField {
            field: "cause",
            reason: "not one of the offered choices",
        })?;
        let why = field(&format!("why_{}", cause.code()))
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        root_causes.push(RootCauseAnswer { cause, why });
    }
    Ok(doorbraak_model::BottleneckClassification {
        bottleneck,
        scope,
        root_causes,
    })
}

/// The box a person ticks before a record that cannot be changed afterwards.
fn confirm_field(ctx: &Ctx, id: &str) -> Markup {
    html! {
        div.keuze.bevestig {
            input type="checkbox" name="confirmed" id=(id) value="ja" required;
            label for=(id) { (ctx.t("Ik weet dat dit vastligt en daarna niet meer verandert", "I know this is recorded for good and cannot be changed afterwards")) }
        }
    }
}

/// The confirmation of an irrevocable record was given.
fn confirmed(v: Option<&str>) -> Result<(), HttpError> {
    match v {
        Some("ja") => Ok(()),
        _ => Err(RuleViolation::MissingField { field: "confirmed" }.into()),
    }
}

/// One of the offered choices; nothing chosen is a missing answer, not a default.
fn choice<'a>(field: &'static str, v: &str, choices: &[&'a str]) -> Result<&'a str, HttpError> {
    if v.is_empty() {
        return Err(RuleViolation::MissingField { field }.into());
    }
    choices.iter().copied().find(|c| *c == v).ok_or_else(|| {
        RuleViolation::InvalidField {
            field,
            reason: "not one of the offered choices",
        }
        .into()
    })
}

/// After a form's command: back to the page with what happened; a refusal names the form it
/// refused (`anchor`, the id of its control), so the page's error summary links to it.
async fn after_command<T, E: Into<HttpError>>(
    anchor: Option<&str>,
    site: &Site,
    ctx: &Ctx,
    to: &str,
    r: Result<T, E>,
    nl: &str,
    en: &str,
) -> Response {
    match r {
        Ok(_) => site.flash(ctx, true, nl, en).await,
        Err(e) => site.flash_refusal(ctx, &e.into(), anchor).await,
    }
    see_other(to)
}

fn checked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("anna"), "anna");
    }

    #[test]
    fn diff_marks_removed_and_added_lines() {
        let d = diff("a\nb\n", "a\nc\n").into_string();
        assert!(d.contains("<del>- b"), "{d}");
        assert!(d.contains("<ins>+ c"), "{d}");
    }
}
