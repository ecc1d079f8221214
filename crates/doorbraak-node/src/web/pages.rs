//! The screens. Each handler calls the JSON API's function for the same operation (so the
//! rules, the role checks and the access log are shared) and renders the result; a refusal is
//! shown with the rule's message.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::Form;
use doorbraak_model::escalation::{EscalationCommand, FamilyInformed, StepOutcome};
use doorbraak_model::kwestie::{Consulted, KwestieCommand, KwestieRoute, Preparation};
use doorbraak_model::{
    Aggregate, DocTarget, Escalation, Kwestie, KwestieCategory, Minutes, Oin, Participant,
    PersonId, Role, RuleViolation, Situation, Step, Timestamp,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::session::same_secret;
use super::{Authed, Ctx, Lang, error_box, error_page, page, role_label};
use crate::api::{self, Api, AuthUser};
use crate::app::User;
use crate::error::ApiError;

type Web = State<Arc<Api>>;

pub fn routes() -> Router<Arc<Api>> {
    Router::new()
        .route("/", get(home))
        .route("/inloggen", get(login_page))
        .route("/inloggen/dev", post(dev_login))
        .route("/uitloggen", post(logout))
        .route("/taal", get(set_lang))
        .route("/zaken", get(cases).post(create_case))
        .route("/zaken/{case_ref}", get(case_page))
        .route("/escalaties", get(escalations).post(open_escalation))
        .route("/escalaties/nieuw", get(new_escalation))
        .route("/escalaties/{id}", get(escalation_page))
        .route("/escalaties/{id}/oppakken", post(esc_pick_up))
        .route("/escalaties/{id}/familie", post(esc_family))
        .route("/escalaties/{id}/volgende-stap", post(esc_next_step))
        .route("/escalaties/{id}/uitkomst", post(esc_outcome))
        .route("/escalaties/{id}/overleg", post(esc_schedule))
        .route("/kwesties", get(kwesties).post(raise_kwestie))
        .route("/kwesties/nieuw", get(new_kwestie))
        .route("/kwesties/{id}", get(kwestie_page))
        .route("/kwesties/{id}/oppakken", post(kwestie_pick_up))
        .route("/overleggen", get(meetings))
        .route("/overleggen/{id}", get(meeting_page))
        .route("/overleggen/{id}/notulen", post(minutes_text))
        .route("/overleggen/{id}/rondsturen", post(minutes_circulate))
        .route("/overleggen/{id}/goedkeuren", post(minutes_approve))
        .route("/overleggen/{id}/wijzigingen", post(minutes_changes))
        .route("/overleggen/{id}/afdruk", get(minutes_print))
        .route("/team", get(team))
        .route("/sturing", get(stagnation))
        .route("/aanbevelingen", get(recommendations))
        .route("/beheer", get(admin))
        .route("/beheer/peers/{oin}/opnieuw", post(admin_resend))
        .route("/beheer/toegangslog", get(access_log))
        .route("/beheer/toegangslog.csv", get(access_log_csv))
}

// ------------------------------------------------------------------ small helpers

fn fmt_ts(ts: Timestamp) -> String {
    ts.strftime("%d-%m-%Y %H:%M UTC").to_string()
}

fn fmt_day(ts: Timestamp) -> String {
    ts.strftime("%d-%m-%Y").to_string()
}

fn org_name(api: &Api, oin: &str) -> String {
    Oin::parse(oin)
        .ok()
        .and_then(|o| api.node.directory().get(&o).map(|m| m.name.clone()))
        .unwrap_or_else(|| oin.to_owned())
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn step_label(lang: Lang, s: Step) -> &'static str {
    lang.t(s.label_nl(), s.label_en())
}

fn situation_label(lang: Lang, s: Situation) -> String {
    match lang {
        Lang::Nl => s.label_nl().to_owned(),
        Lang::En => match s {
            Situation::ProfessionalDilemma => "situation 1 (professional dilemma)".into(),
            Situation::AgreementsNotKept => "situation 2 (agreements not kept)".into(),
            Situation::Conduct => "situation 3 (professional conduct)".into(),
        },
    }
}

fn situation_help(lang: Lang, s: Situation) -> &'static str {
    match s {
        Situation::ProfessionalDilemma => lang.t(
            "U verschilt van inzicht over de zaak, bijvoorbeeld over de volgende stap om de veiligheid te herstellen. Begint bij stap 1: de gedragswetenschappers.",
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

fn status_badge(lang: Lang, overdue: bool, status: &str) -> Markup {
    html! {
        @if overdue { span.badge.te-laat { (lang.t("te laat", "overdue")) } " " }
        span.badge { (status_label(lang, status)) }
    }
}

fn status_label(lang: Lang, status: &str) -> String {
    let (nl, en) = match status {
        "open" => ("open", "open"),
        "closed" => ("gesloten", "closed"),
        "raised" => ("gemeld", "raised"),
        "picked_up" => ("opgepakt", "picked up"),
        "resolved" => ("opgelost", "resolved"),
        "escalated_to_board" => ("bij het bestuur", "with the board"),
        "scheduled" => ("gepland", "scheduled"),
        "draft" => ("concept", "draft"),
        "circulated" => ("ter goedkeuring", "awaiting approval"),
        "final" => ("vastgesteld", "final"),
        other => (other, other),
    };
    lang.t(nl, en).to_owned()
}

fn me_participant(api: &Api, u: &User) -> Participant {
    Participant {
        person: PersonId::new(u.id.clone()),
        name: u.name.clone(),
        role: u.role,
        org: api.node.oin().clone(),
    }
}

/// How a form names a person: `OIN|person id`.
fn participant_key(p: &Participant) -> String {
    format!("{}|{}", p.org.as_str(), p.person.0)
}

/// The people who can be invited to a meeting of an escalation: me, then everyone known in it
/// (step participants, those who picked a step up), each once.
fn meeting_candidates(api: &Api, u: &User, e: &Escalation) -> Vec<Participant> {
    let mut candidates: Vec<Participant> = vec![me_participant(api, u)];
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
    api: &Api,
    u: &User,
    e: &Escalation,
    cmd: &EscalationCommand,
) -> Result<(), RuleViolation> {
    Escalation::decide(Some(e), cmd, &api.node.actor(u), api.node.now()).map(|_| ())
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
                button #(id) type="submit" { (label) }
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

fn parse_enum<T: serde::de::DeserializeOwned>(field: &'static str, v: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(v.to_owned())).map_err(|_| {
        RuleViolation::InvalidField {
            field,
            reason: "not one of the offered choices",
        }
        .into()
    })
}

/// A list query without filters (the API's default limit).
fn everything() -> Result<Query<api::ListQuery>, QueryRejection> {
    Ok(Query(api::ListQuery {
        status: None,
        overdue: None,
        case_ref: None,
        limit: None,
    }))
}

/// The escalation a form acts on, read as its page was (id checked, read logged, roles).
async fn escalation_for(api: &Api, u: &User, id: &str) -> Result<Escalation, ApiError> {
    let id = api::uuid(id)?.to_string();
    Ok(api.node.read::<Escalation>(u, &id).await?.state)
}

/// A form field whose value must be one of `choices`.
fn choice<'a>(field: &'static str, v: &str, choices: &[&'a str]) -> Result<&'a str, ApiError> {
    choices.iter().copied().find(|c| *c == v).ok_or_else(|| {
        RuleViolation::InvalidField {
            field,
            reason: "not one of the offered choices",
        }
        .into()
    })
}

/// After a command: remember its outcome (or the rule that refused it) for the next page,
/// and go there.
fn after_command(
    api: &Api,
    ctx: &Ctx,
    to: &str,
    r: Result<Json<api::CommandResponse>, ApiError>,
    nl: &str,
    en: &str,
) -> Response {
    match r {
        Ok(_) => api.flash(ctx, true, nl, en),
        Err(e) => api.flash_error(ctx, &e),
    }
    see_other(to)
}

fn checked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

// ------------------------------------------------------------------ login and language

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Show only this development account (the demo prints one URL per person).
    pub als: Option<String>,
}

async fn login_page(
    State(api): Web,
    ctx: Ctx,
    q: Result<Query<LoginQuery>, QueryRejection>,
) -> Response {
    if ctx.user.is_some() {
        return see_other("/");
    }
    let only = q.ok().and_then(|Query(q)| q.als);
    let (ctx, new_sid) = match ctx.sid {
        Some(_) => (ctx, None),
        None => {
            let Ok(sid) = api.web.sessions.create(None) else {
                return error_page(&api, &ctx, &super::sessions_full());
            };
            let csrf = api
                .web
                .sessions
                .get(&sid)
                .map(|s| s.csrf)
                .unwrap_or_default();
            (
                Ctx {
                    sid: Some(sid.clone()),
                    csrf,
                    ..ctx
                },
                Some(sid),
            )
        }
    };
    let users: Vec<_> = api
        .node
        .settings
        .dev_users
        .iter()
        .filter(|u| only.as_deref().is_none_or(|o| o == u.id))
        .collect();
    let content = html! {
        @if api.web.oidc.is_some() {
            p { (ctx.t("Log in met het account van uw organisatie.", "Log in with your organisation's account.")) }
            p { a.knop #oidc-login href="/auth/login" { (ctx.t("Inloggen via uw organisatie", "Log in through your organisation")) } }
        }
        @if api.web.dev_login {
            section aria-labelledby="dev-kop" {
                h2 #dev-kop { (ctx.t("Ontwikkelaccounts (alleen voor de demo)", "Development accounts (demo only)")) }
                @if users.is_empty() {
                    p { (ctx.t("Geen account met die naam.", "No account by that name.")) }
                }
                ul.accounts {
                    @for u in &users {
                        li {
                            form method="post" action="/inloggen/dev" {
                                (ctx.csrf_field())
                                input type="hidden" name="user" value=(u.id);
                                button type="submit" id={ "als-" (u.id) } {
                                    (ctx.t("Inloggen als ", "Log in as ")) (u.name)
                                }
                                " " span.rol { (role_label(ctx.lang, u.role)) }
                            }
                        }
                    }
                }
                @if only.is_some() {
                    p { a href="/inloggen" { (ctx.t("Alle accounts", "All accounts")) } }
                }
            }
        }
        @if api.web.oidc.is_none() && !api.web.dev_login {
            p role="alert" { (ctx.t("Er is geen inlogmethode ingesteld: zet [oidc] in node.toml.", "No login method is configured: set [oidc] in node.toml.")) }
        }
    };
    let title = ctx.t("Inloggen", "Log in").to_owned();
    let mut r = page(&api, &ctx, &title, content);
    if let Some(sid) = new_sid {
        r.headers_mut()
            .insert(header::SET_COOKIE, api.web.cookie(Some(&sid)));
    }
    r
}

/// A new session for a person who just logged in (the old id is dropped), logged in the access
/// log, then the start page.
pub async fn start_session(api: &Api, ctx: &Ctx, user: User) -> Response {
    if let Some(old) = &ctx.sid {
        api.web.sessions.remove(old);
    }
    if let Err(e) = api.node.log_read(&user, "session", "login").await {
        return error_page(api, ctx, &ApiError::from(e));
    }
    tracing::info!(role = user.role.code(), "web login");
    let Ok(sid) = api.web.sessions.create(Some(user)) else {
        return error_page(api, ctx, &super::sessions_full());
    };
    let mut r = see_other("/");
    r.headers_mut()
        .insert(header::SET_COOKIE, api.web.cookie(Some(&sid)));
    r
}

#[derive(Debug, Deserialize)]
pub struct DevLoginForm {
    pub user: String,
}

async fn dev_login(State(api): Web, ctx: Ctx, Form(f): Form<DevLoginForm>) -> Response {
    if !api.web.dev_login {
        return error_page(
            &api,
            &ctx,
            &ApiError::new(
                StatusCode::NOT_FOUND,
                "auth.dev_login_off",
                "Ontwikkelaccounts zijn op deze node uitgeschakeld",
                "Development accounts are off on this node",
            ),
        );
    }
    let Some(u) = api
        .node
        .settings
        .dev_users
        .iter()
        .find(|u| same_secret(&u.id, &f.user))
    else {
        return error_page(
            &api,
            &ctx,
            &ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.unknown_account",
                "Onbekend account",
                "Unknown account",
            ),
        );
    };
    let user = User {
        id: u.id.clone(),
        name: u.name.clone(),
        role: u.role,
    };
    start_session(&api, &ctx, user).await
}

async fn logout(State(api): Web, ctx: Ctx) -> Response {
    if let Some(sid) = &ctx.sid {
        api.web.sessions.remove(sid);
    }
    let mut r = see_other("/inloggen");
    r.headers_mut()
        .insert(header::SET_COOKIE, api.web.cookie(None));
    r
}

/// A path on this node, in the characters our own paths use (no scheme, no `//`, no control
/// characters a browser would strip): the only redirect targets taken from a request.
fn local_path(t: &str) -> bool {
    t.starts_with('/')
        && !t.starts_with("//")
        && t.len() <= 200
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub lang: String,
    pub terug: Option<String>,
}

async fn set_lang(q: Result<Query<LangQuery>, QueryRejection>) -> Response {
    let Ok(Query(q)) = q else {
        return see_other("/");
    };
    let lang = if q.lang == "en" { "en" } else { "nl" };
    // only local paths: no open redirect
    let back = q
        .terug
        .filter(|t| local_path(t))
        .unwrap_or_else(|| "/".into());
    let mut r = see_other(&back);
    let c = cookie::Cookie::build((super::session::LANG_COOKIE, lang))
        .path("/")
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::days(365))
        .build()
        .to_string();
    if let Ok(v) = header::HeaderValue::from_str(&c) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

// ------------------------------------------------------------------ start page

async fn home(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let u = &user;
    let mut waiting: Vec<Markup> = Vec::new();
    let mut problems: Vec<ApiError> = Vec::new();
    // escalations waiting for my organisation to pick them up, in my role (for the roles that
    // read escalations at all)
    let reads_escalations =
        crate::app::content_access(u.role, "escalation") != crate::app::ContentAccess::Never;
    if reads_escalations {
        match api::list_escalations(
            State(api.clone()),
            AuthUser(u.clone()),
            Ok(Query(api::ListQuery {
                status: Some("open".into()),
                overdue: None,
                case_ref: None,
                limit: None,
            })),
        )
        .await
        {
            Ok(Json(rows)) => {
                for r in rows {
                    let Ok(e) = serde_json::from_value::<Escalation>(r.state) else {
                        continue;
                    };
                    let Some(cur) = e.current() else { continue };
                    let mine = &e.home.oin != api.node.oin()
                        && cur.picked_up.is_none()
                        && cur.step.participant_roles().contains(&u.role);
                    if mine {
                        waiting.push(html! {
                            li.wacht {
                                a href={ "/escalaties/" (e.id) } {
                                    (ctx.t("Escalatie op te pakken: ", "Escalation to pick up: "))
                                    (org_name(&api, e.home.oin.as_str())) " · " (e.case_ref.as_str()) " · " (step_label(ctx.lang, cur.step))
                                }
                                " " (status_badge(ctx.lang, cur.is_overdue(api.node.now()), "open"))
                                " " span.termijn { (ctx.t("oppakken vóór ", "pick up before ")) (fmt_ts(cur.pickup_deadline)) }
                            }
                        });
                    }
                }
            }
            Err(e) => problems.push(e),
        }
    }
    match api::awaiting_me(State(api.clone()), AuthUser(u.clone())).await {
        Ok(Json(items)) => {
            for i in items {
                let id = i["meeting"].as_str().unwrap_or_default().to_owned();
                waiting.push(html! {
                    li.wacht {
                        a href={ "/overleggen/" (id) } {
                            (ctx.t("Notulen ter goedkeuring (versie ", "Minutes to approve (revision "))
                            (i["revision"]) ")"
                        }
                        @if i["overdue"] == true { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                    }
                });
            }
        }
        Err(e) => problems.push(e),
    }
    let notes = match api::notifications(State(api.clone()), AuthUser(u.clone())).await {
        Ok(Json(n)) => n,
        Err(e) => {
            problems.push(e);
            Vec::new()
        }
    };
    let content = html! {
        p.intro {
            (ctx.t("Welkom, ", "Welcome, ")) strong { (u.name) } " — "
            (role_label(ctx.lang, u.role)) ", " (api.node.settings.name) "."
        }
        @for p in &problems { (error_box(ctx.lang, p)) }
        section aria-labelledby="wacht-kop" {
            h2 #wacht-kop { (ctx.t("Wacht op mij", "Waiting for me")) }
            @if waiting.is_empty() {
                p #niets-wacht { (ctx.t("Er wacht nu niets op u.", "Nothing is waiting for you now.")) }
            } @else {
                ul #wacht { @for w in &waiting { (w) } }
            }
        }
        @if !notes.is_empty() {
            section aria-labelledby="herinnering-kop" {
                h2 #herinnering-kop { (ctx.t("Herinneringen", "Reminders")) }
                ul {
                    @for n in notes.iter().take(20) {
                        li { (fmt_ts(n.created_at)) ": " (ctx.t(&n.message_nl, &n.message_en)) }
                    }
                }
            }
        }
        section aria-labelledby="werk-kop" {
            h2 #werk-kop { (ctx.t("Mijn werk", "My work")) }
            ul.tegels {
                @match u.role {
                    Role::Professional | Role::BehaviouralScientist => {
                        li { a href="/zaken" { (ctx.t("Mijn zaken: escalatie openen of kwestie melden", "My cases: open an escalation or raise a kwestie")) } }
                        li { a href="/escalaties" { (ctx.t("Escalaties volgen", "Follow escalations")) } }
                        li { a href="/overleggen" { (ctx.t("Overleggen en notulen", "Meetings and minutes")) } }
                    }
                    Role::TeamManager | Role::Director | Role::BoardMember => {
                        li { a href="/team" { (ctx.t("Teamoverzicht en agenda van het teamoverleg", "Team overview and team-meeting agenda")) } }
                        li { a href="/escalaties" { (ctx.t("Escalaties", "Escalations")) } }
                        li { a href="/overleggen" { (ctx.t("Overleggen en notulen ter goedkeuring", "Meetings and minutes to approve")) } }
                    }
                    Role::Alderman | Role::CivilServant | Role::RegionalMediator => {
                        li { a href="/sturing" { (ctx.t("Waar de samenwerking stagneert", "Where cooperation stagnates")) } }
                    }
                    Role::QualityOfficer => {
                        li { a href="/aanbevelingen" { (ctx.t("Register van aanbevelingen", "Recommendations register")) } }
                        li { a href="/beheer/toegangslog" { (ctx.t("Toegangslog", "Access log")) } }
                    }
                    Role::Admin => {
                        li { a href="/beheer" { (ctx.t("Federatie: leden, aflevering, certificaten", "Federation: members, delivery, certificates")) } }
                        li { a href="/beheer/toegangslog" { (ctx.t("Toegangslog", "Access log")) } }
                    }
                }
            }
        }
    };
    let title = ctx.t("Start", "Home").to_owned();
    page(&api, &ctx, &title, content)
}

// ------------------------------------------------------------------ cases

async fn cases(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows = match api::list_cases(State(api.clone()), AuthUser(user.clone())).await {
        Ok(Json(r)) => r,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    // mine first (responsible for, or registered by me), then the rest of the organisation's
    let (mine, others): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|c| c.responsible == user.id || c.created_by == user.id);
    let table = |caption: &str, id: &str, rows: &[&doorbraak_store::CaseRow]| {
        html! {
            table id=(id) {
                caption { (caption) }
                thead { tr { th scope="col" { (ctx.t("Zaak", "Case")) } th scope="col" { (ctx.t("Omschrijving", "Description")) } th scope="col" { (ctx.t("Sinds", "Since")) } } }
                tbody {
                    @for c in rows {
                        tr {
                            td { a href={ "/zaken/" (urlencode(&c.case_ref)) } { (c.case_ref) } }
                            td { (c.title) }
                            td { (fmt_day(c.created_at)) }
                        }
                    }
                }
            }
        }
    };
    let content = html! {
        @if mine.is_empty() {
            p { (ctx.t("U heeft nog geen eigen zaken.", "You have no cases of your own yet.")) }
        } @else {
            (table(ctx.t("Mijn zaken", "My cases"), "mijn-zaken", &mine))
        }
        @if !others.is_empty() {
            (table(ctx.t("Andere zaken van de organisatie", "Other cases of the organisation"), "andere-zaken", &others))
        }
        h2 { (ctx.t("Nieuwe zaak registreren", "Register a new case")) }
        form method="post" action="/zaken" {
            (ctx.csrf_field())
            p.hint { (ctx.t("Gebruik een pseudoniem zaaknummer, nooit een BSN.", "Use a pseudonymous case number, never a BSN.")) }
            label for="case_ref" { (ctx.t("Zaaknummer", "Case number")) }
            input #case_ref name="case_ref" required maxlength="64";
            label for="title" { (ctx.t("Omschrijving", "Description")) }
            input #title name="title" required maxlength="200";
            button type="submit" { (ctx.t("Registreren", "Register")) }
        }
    };
    let title = ctx.t("Zaken", "Cases").to_owned();
    page(&api, &ctx, &title, content)
}

#[derive(Debug, Deserialize)]
pub struct CaseForm {
    pub case_ref: String,
    pub title: String,
}

async fn create_case(State(api): Web, a: Authed, Form(f): Form<CaseForm>) -> Response {
    let Authed { ctx, user } = a;
    let case_ref = f.case_ref.trim().to_owned();
    match api::create_case(
        State(api.clone()),
        AuthUser(user),
        Ok(Json(api::CreateCaseRequest {
            case_ref: case_ref.clone(),
            title: f.title,
        })),
    )
    .await
    {
        Ok(_) => {
            api.flash(&ctx, true, "Zaak geregistreerd", "Case registered");
            see_other(&format!("/zaken/{}", urlencode(&case_ref)))
        }
        Err(e) => {
            api.flash_error(&ctx, &e);
            see_other("/zaken")
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn case_page(State(api): Web, a: Authed, Path(case_ref): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let case = match api::get_case(State(api.clone()), AuthUser(user.clone()), Path(case_ref)).await
    {
        Ok(Json(c)) => c,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let filter = |_: ()| {
        Ok(Query(api::ListQuery {
            status: None,
            overdue: None,
            case_ref: Some(case.case_ref.clone()),
            limit: None,
        }))
    };
    let escs =
        match api::list_escalations(State(api.clone()), AuthUser(user.clone()), filter(())).await {
            Ok(Json(r)) => r,
            Err(e) => return error_page(&api, &ctx, &e),
        };
    let kws = match api::list_kwesties(State(api.clone()), AuthUser(user.clone()), filter(())).await
    {
        Ok(Json(r)) => r,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let enc = urlencode(&case.case_ref);
    let content = html! {
        p { (case.title) }
        p.knoppen {
            a.knop #escalatie-openen href={ "/escalaties/nieuw?zaak=" (enc) } { (ctx.t("Escalatie openen", "Open an escalation")) }
            " "
            a.knop.tweede href={ "/kwesties/nieuw?zaak=" (enc) } { (ctx.t("Kwestie melden", "Raise a kwestie")) }
        }
        h2 { (ctx.t("Escalaties", "Escalations")) }
        (escalation_table(&api, &ctx, &escs))
        h2 { (ctx.t("Kwesties", "Kwesties")) }
        (kwestie_table(&ctx, &kws))
    };
    let title = format!("{} {}", ctx.t("Zaak", "Case"), case.case_ref);
    page(&api, &ctx, &title, content)
}

// ------------------------------------------------------------------ escalations

fn escalation_table(api: &Api, ctx: &Ctx, rows: &[doorbraak_store::ProjectionRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p { (ctx.t("Geen escalaties.", "No escalations.")) }
        } @else {
            table.escalaties {
                thead { tr {
                    th scope="col" { (ctx.t("Zaak", "Case")) }
                    th scope="col" { (ctx.t("Van", "From")) }
                    th scope="col" { (ctx.t("Stap", "Step")) }
                    th scope="col" { (ctx.t("Situatie", "Situation")) }
                    th scope="col" { (ctx.t("Status", "Status")) }
                    th scope="col" { (ctx.t("Volgende termijn", "Next deadline")) }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            td { a href={ "/escalaties/" (r.id) } { (r.case_ref.clone().unwrap_or_else(|| "—".into())) } }
                            td { (r.home_oin.as_deref().map(|o| org_name(api, o)).unwrap_or_default()) }
                            td { (r.step.map(|s| s.to_string()).unwrap_or_default()) }
                            td { (r.situation.map(|s| s.to_string()).unwrap_or_default()) }
                            td { (status_badge(ctx.lang, r.overdue, &r.status)) }
                            td { (r.next_deadline.map(fmt_ts).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

async fn escalations(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows = match api::list_escalations(State(api.clone()), AuthUser(user), everything()).await {
        Ok(Json(r)) => r,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let content = html! {
        p.hint { (ctx.t("Te late stappen staan bovenaan, daarna op termijn.", "Overdue steps first, then by deadline.")) }
        (escalation_table(&api, &ctx, &rows))
    };
    let title = ctx.t("Escalaties", "Escalations").to_owned();
    page(&api, &ctx, &title, content)
}

#[derive(Debug, Deserialize, Default)]
pub struct NewEscalationQuery {
    pub zaak: Option<String>,
}

/// What was typed in the open-escalation form (kept when a rule refuses it).
#[derive(Debug, Deserialize, Default)]
pub struct EscalationForm {
    #[serde(default)]
    pub case_ref: String,
    #[serde(default)]
    pub situation: String,
    #[serde(default)]
    pub counterpart: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub needs: String,
    #[serde(default)]
    pub question: String,
}

async fn escalation_form(
    api: &Arc<Api>,
    ctx: &Ctx,
    u: &User,
    f: &EscalationForm,
    err: Option<&ApiError>,
) -> Response {
    let cases = match api::list_cases(State(api.clone()), AuthUser(u.clone())).await {
        Ok(Json(r)) => r,
        Err(e) => return error_page(api, ctx, &e),
    };
    let dir = api.node.directory();
    let others: Vec<_> = dir
        .members()
        .iter()
        .filter(|m| &m.oin != api.node.oin())
        .cloned()
        .collect();
    let content = html! {
        @if let Some(e) = err { (error_box(ctx.lang, e)) }
        p.hint { (ctx.t(
            "Vul alleen in wat nodig is. De eerste stap volgt uit de situatie. Noem geen BSN of andere direct herleidbare gegevens in de tekst.",
            "Fill in only what is needed. The first step follows from the situation. Do not put a BSN or other directly identifying data in the text.")) }
        form.formulier method="post" action="/escalaties" {
            (ctx.csrf_field())
            label for="case_ref" { (ctx.t("Zaak", "Case")) }
            select #case_ref name="case_ref" required {
                @for c in &cases {
                    option value=(c.case_ref) selected[c.case_ref == f.case_ref] { (c.case_ref) " — " (c.title) }
                }
            }
            fieldset {
                legend { (ctx.t("Welke situatie is van toepassing?", "Which situation applies?")) }
                @for s in Situation::ALL {
                    @let code = serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                    div.keuze {
                        input type="radio" name="situation" id={ "sit-" (s.number()) } value=(code) required checked[f.situation == code];
                        label for={ "sit-" (s.number()) } { strong { (situation_label(ctx.lang, s)) } }
                        p.hint id={ "sit-" (s.number()) "-uitleg" } { (situation_help(ctx.lang, s)) }
                    }
                }
            }
            label for="counterpart" { (ctx.t("Met welke organisatie stagneert het?", "With which organisation does it stagnate?")) }
            select #counterpart name="counterpart" required {
                @for m in &others {
                    option value=(m.oin.as_str()) selected[m.oin.as_str() == f.counterpart] { (m.name) " (" (m.kind.label_nl()) ")" }
                }
            }
            label for="contact" { (ctx.t("Contactpersoon daar (naam, als u die kent)", "Contact person there (name, if you know it)")) }
            input #contact name="contact" maxlength="200" value=(f.contact);
            label for="needs" { (ctx.t("Wat heeft het kind of gezin nodig?", "What does the child or family need?")) }
            textarea #needs name="needs" required rows="3" maxlength="4000" { (f.needs) }
            label for="question" { (ctx.t("Wat vraagt u van wie?", "What do you ask of whom?")) }
            textarea #question name="question" required rows="3" maxlength="4000" { (f.question) }
            button #escalatie-versturen type="submit" { (ctx.t("Escalatie openen", "Open the escalation")) }
        }
    };
    let title = ctx.t("Escalatie openen", "Open an escalation").to_owned();
    let mut r = page(api, ctx, &title, content);
    if let Some(e) = err {
        *r.status_mut() = e.status;
    }
    r
}

async fn new_escalation(
    State(api): Web,
    a: Authed,
    q: Result<Query<NewEscalationQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&api, &ctx, &ApiError::from(e)),
    };
    let f = EscalationForm {
        case_ref: q.zaak.unwrap_or_default(),
        ..Default::default()
    };
    escalation_form(&api, &ctx, &user, &f, None).await
}

async fn open_escalation(State(api): Web, a: Authed, Form(f): Form<EscalationForm>) -> Response {
    let Authed { ctx, user } = a;
    let result = async {
        let situation: Situation = parse_enum("situation", &f.situation)?;
        let first_step = if situation == Situation::ProfessionalDilemma {
            Step::BehaviouralScientists
        } else {
            Step::Management
        };
        let mut question = f.question.trim().to_owned();
        if !f.contact.trim().is_empty() {
            question = format!(
                "{question}\n\n{}: {}",
                ctx.t("Contactpersoon", "Contact"),
                f.contact.trim()
            );
        }
        api::open_escalation(
            State(api.clone()),
            AuthUser(user.clone()),
            Ok(Json(api::OpenEscalationRequest {
                case_ref: f.case_ref.clone(),
                situation,
                first_step,
                counterparts: vec![f.counterpart.clone()],
                participants: Vec::new(),
                question,
                needs: f.needs.trim().to_owned(),
                seeking_youth_help_access: false,
            })),
        )
        .await
    }
    .await;
    match result {
        Ok((_, Json(r))) => {
            api.flash(
                &ctx,
                true,
                "Escalatie geopend en verstuurd naar de andere organisatie",
                "Escalation opened and sent to the other organisation",
            );
            see_other(&format!("/escalaties/{}", r.id))
        }
        Err(e) => escalation_form(&api, &ctx, &user, &f, Some(&e)).await,
    }
}

fn participant_list(api: &Api, ps: &[Participant]) -> Markup {
    html! {
        ul.personen {
            @for p in ps {
                li { (p.name) " — " (p.role.label_nl()) ", " (org_name(api, p.org.as_str())) }
            }
        }
    }
}

async fn escalation_page(State(api): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let id = match api::uuid(&id) {
        Ok(i) => i.to_string(),
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let e = match api.node.read::<Escalation>(&user, &id).await {
        Ok(l) => l.state,
        Err(err) => return error_page(&api, &ctx, &ApiError::from(err)),
    };
    let now = api.node.now();
    let cur = e.current();
    let path = format!("/escalaties/{id}");
    // the actions, each checked against the rules as they stand now
    let pick = dry_run(&api, &user, &e, &EscalationCommand::PickUp);
    let next = cur.and_then(|c| match c.step {
        Step::BehaviouralScientists => Some(Step::Management),
        Step::Management => Some(Step::Administrative),
        Step::Administrative => None,
    });
    let next_check = next.map(|s| {
        (
            s,
            dry_run(
                &api,
                &user,
                &e,
                &EscalationCommand::InvokeStep {
                    step: s,
                    participants: vec![me_participant(&api, &user)],
                    joining: Vec::new(),
                    reason: "-".into(),
                },
            ),
        )
    });
    let family_check = cur.map(|c| {
        dry_run(
            &api,
            &user,
            &e,
            &EscalationCommand::RecordFamilyInformed {
                step: c.step,
                informed: FamilyInformed::Before { at: now },
            },
        )
    });
    let outcome_check = dry_run(
        &api,
        &user,
        &e,
        &EscalationCommand::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "-".into(),
            },
        },
    );
    let meetings =
        match api::list_meetings(State(api.clone()), AuthUser(user.clone()), everything()).await {
            Ok(Json(r)) => r,
            Err(e) => return error_page(&api, &ctx, &e),
        };
    let meetings: Vec<Minutes> = meetings
        .into_iter()
        .filter_map(|r| serde_json::from_value::<Minutes>(r.state).ok())
        .filter(|m| m.meeting.escalation == e.id)
        .collect();
    let candidates = meeting_candidates(&api, &user, &e);
    let overdue = e.is_overdue(now);
    let content = html! {
        dl.gegevens {
            dt { (ctx.t("Zaak", "Case")) } dd { (e.case_ref.as_str()) }
            dt { (ctx.t("Situatie", "Situation")) } dd #situatie { (situation_label(ctx.lang, e.situation)) }
            dt { (ctx.t("Geopend door", "Opened by")) } dd { (org_name(&api, e.home.oin.as_str())) ", " (fmt_ts(e.opened_at)) }
            dt { (ctx.t("Andere partijen", "Other parties")) } dd { @for c in &e.counterparts { (org_name(&api, c.oin.as_str())) " " } }
            dt { (ctx.t("Status", "Status")) } dd #status {
                @if e.is_closed() { (status_label(ctx.lang, "closed")) }
                @else if let Some(c) = cur {
                    (step_label(ctx.lang, c.step)) " · "
                    @if c.picked_up.is_some() { span #opgepakt { (ctx.t("opgepakt", "picked up")) } }
                    @else { (ctx.t("wacht op oppakken vóór ", "waiting to be picked up before ")) (fmt_ts(c.pickup_deadline)) }
                    @if overdue { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                }
            }
            dt { (ctx.t("Wat het kind of gezin nodig heeft", "What the child or family needs")) } dd.tekst { (e.needs) }
            dt { (ctx.t("Wat gevraagd wordt van wie", "What is asked of whom")) } dd.tekst { (e.question) }
        }
        @if !e.is_closed() {
            section aria-labelledby="acties-kop" {
                h2 #acties-kop { (ctx.t("Acties", "Actions")) }
                (action(&ctx, &pick, &format!("{path}/oppakken"), ctx.t("Oppakken", "Pick up"), "oppakken", html!{}))
                @if let Some(check) = &family_check {
                    (action(&ctx, check, &format!("{path}/familie"), ctx.t("Vastleggen: familie geïnformeerd", "Record: family informed"), "familie", html! {
                        fieldset {
                            legend { (ctx.t("Wanneer is de familie geïnformeerd?", "When was the family informed?")) }
                            div.keuze { input type="radio" name="when" id="fam-voor" value="before" checked; label for="fam-voor" { (ctx.t("vooraf meegenomen", "taken along beforehand")) } }
                            div.keuze { input type="radio" name="when" id="fam-na" value="after"; label for="fam-na" { (ctx.t("achteraf, met uitleg", "afterwards, with an explanation")) } }
                        }
                        label for="fam-uitleg" { (ctx.t("Uitleg (bij achteraf)", "Explanation (if afterwards)")) }
                        textarea #fam-uitleg name="explanation" rows="2" maxlength="2000" {}
                    }))
                }
                @if let Some((s, check)) = &next_check {
                    (action(&ctx, check, &format!("{path}/volgende-stap"),
                        &format!("{} {}", ctx.t("Volgende stap:", "Next step:"), step_label(ctx.lang, *s)), "volgende-stap", html! {
                        input type="hidden" name="step" value=(s.number());
                        label for="reden" { (ctx.t("Waarom deze stap?", "Why this step?")) }
                        textarea #reden name="reason" rows="2" maxlength="2000" required {}
                    }))
                }
                (action(&ctx, &outcome_check, &format!("{path}/uitkomst"), ctx.t("Uitkomst van deze stap vastleggen", "Record this step's outcome"), "uitkomst", html! {
                    fieldset {
                        legend { (ctx.t("Is het verschil overbrugd?", "Was the difference bridged?")) }
                        div.keuze { input type="radio" name="resolved" id="uit-ja" value="yes" checked; label for="uit-ja" { (ctx.t("ja", "yes")) } }
                        div.keuze { input type="radio" name="resolved" id="uit-nee" value="no"; label for="uit-nee" { (ctx.t("nee", "no")) } }
                    }
                    label for="uit-samenvatting" { (ctx.t("Samenvatting", "Summary")) }
                    textarea #uit-samenvatting name="summary" rows="2" maxlength="4000" required {}
                }))
                @if let Some(c) = cur {
                    details.actie #overleg {
                        summary { (ctx.t("Overleg plannen", "Schedule a meeting")) }
                        form method="post" action={ (path) "/overleg" } {
                            (ctx.csrf_field())
                            input type="hidden" name="step" value=(c.step.number());
                            label for="datum" { (ctx.t("Datum en tijd (UTC)", "Date and time (UTC)")) }
                            input #datum type="datetime-local" name="date" required;
                            fieldset {
                                legend { (ctx.t("Deelnemers (uit minstens twee organisaties)", "Participants (from at least two organisations)")) }
                                @for (i, p) in candidates.iter().enumerate() {
                                    div.keuze {
                                        input type="checkbox" name="participant" id={ "deeln-" (i) } value=(participant_key(p)) checked;
                                        label for={ "deeln-" (i) } { (p.name) " — " (role_label(ctx.lang, p.role)) ", " (org_name(&api, p.org.as_str())) }
                                    }
                                }
                            }
                            label for="agenda" { (ctx.t("Agenda", "Agenda")) }
                            textarea #agenda name="agenda" rows="2" maxlength="4000" required {}
                            button #overleg-plannen type="submit" { (ctx.t("Overleg plannen", "Schedule")) }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Verloop", "History")) }
        ol.stappen {
            @for s in &e.steps {
                li {
                    strong { (step_label(ctx.lang, s.step)) }
                    " — " (ctx.t("ingezet ", "invoked ")) (fmt_ts(s.invoked_at))
                    @if let Some((_, at)) = &s.picked_up { "; " (ctx.t("opgepakt ", "picked up ")) (fmt_ts(*at)) }
                    @if let Some(f) = &s.family {
                        "; " (ctx.t("familie geïnformeerd ", "family informed ")) (fmt_ts(f.at()))
                    }
                    @if let Some((o, _)) = &s.outcome {
                        "; " @if o.is_resolved() { (ctx.t("overbrugd", "bridged")) } @else { (ctx.t("niet overbrugd", "not bridged")) }
                    }
                    (participant_list(&api, &s.participants))
                }
            }
        }
        h2 { (ctx.t("Overleggen", "Meetings")) }
        @if meetings.is_empty() { p { (ctx.t("Nog geen overleg gepland.", "No meeting scheduled yet.")) } }
        ul {
            @for m in &meetings {
                li { a href={ "/overleggen/" (m.id) } { (fmt_ts(m.meeting.date)) " — " (step_label(ctx.lang, m.meeting.step)) } }
            }
        }
    };
    let title = format!(
        "{} {}",
        ctx.t("Escalatie", "Escalation"),
        e.case_ref.as_str()
    );
    page(&api, &ctx, &title, content)
}

fn esc_result(
    api: &Api,
    ctx: &Ctx,
    id: &str,
    r: Result<Json<api::CommandResponse>, ApiError>,
    nl: &str,
    en: &str,
) -> Response {
    after_command(
        api,
        ctx,
        &format!("/escalaties/{}", urlencode(id)),
        r,
        nl,
        en,
    )
}

async fn esc_pick_up(State(api): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let r = api::esc_pick_up(State(api.clone()), AuthUser(user.clone()), Path(id.clone())).await;
    if r.is_ok() {
        // the one who picks up takes part in the step, under their name (so that a meeting
        // can invite them); refused when the role does not act in this step, which is fine
        let me = me_participant(&api, &user);
        let _ = api::add_participant(
            State(api.clone()),
            AuthUser(user),
            Path(id.clone()),
            Ok(Json(api::AddParticipantRequest { participant: me })),
        )
        .await;
    }
    esc_result(&api, &ctx, &id, r, "Opgepakt", "Picked up")
}

#[derive(Debug, Deserialize)]
pub struct FamilyForm {
    pub when: String,
    #[serde(default)]
    pub explanation: String,
}

async fn esc_family(
    State(api): Web,
    a: Authed,
    Path(id): Path<String>,
    Form(f): Form<FamilyForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let now = api.node.now();
    let input = async {
        let e = escalation_for(&api, &user, &id).await?;
        let step = e
            .current_step()
            .ok_or(RuleViolation::NotFound { what: "Step" })?;
        let informed = match choice("when", &f.when, &["before", "after"])? {
            "after" => FamilyInformed::After {
                at: now,
                explanation: f.explanation.clone(),
            },
            _ => FamilyInformed::Before { at: now },
        };
        Ok::<_, ApiError>((step, informed))
    }
    .await;
    let (step, informed) = match input {
        Ok(x) => x,
        Err(e) => return esc_result(&api, &ctx, &id, Err(e), "", ""),
    };
    let r = api::family_informed(
        State(api.clone()),
        AuthUser(user),
        Path(id.clone()),
        Ok(Json(api::FamilyInformedRequest { step, informed })),
    )
    .await;
    esc_result(
        &api,
        &ctx,
        &id,
        r,
        "Vastgelegd: familie geïnformeerd",
        "Recorded: family informed",
    )
}

#[derive(Debug, Deserialize)]
pub struct NextStepForm {
    pub step: u8,
    #[serde(default)]
    pub reason: String,
}

async fn esc_next_step(
    State(api): Web,
    a: Authed,
    Path(id): Path<String>,
    Form(f): Form<NextStepForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let Some(step) = Step::ALL.into_iter().find(|s| s.number() == f.step) else {
        return esc_result(
            &api,
            &ctx,
            &id,
            Err(RuleViolation::InvalidField {
                field: "step",
                reason: "not a step of the ladder",
            }
            .into()),
            "",
            "",
        );
    };
    let r = api::invoke_step(
        State(api.clone()),
        AuthUser(user.clone()),
        Path(id.clone()),
        Ok(Json(api::InvokeStepRequest {
            step,
            participants: vec![me_participant(&api, &user)],
            joining: Vec::new(),
            reason: f.reason,
        })),
    )
    .await;
    esc_result(
        &api,
        &ctx,
        &id,
        r,
        "Volgende stap ingezet",
        "Next step invoked",
    )
}

#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    pub resolved: String,
    pub summary: String,
}

async fn esc_outcome(
    State(api): Web,
    a: Authed,
    Path(id): Path<String>,
    Form(f): Form<OutcomeForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let outcome = match choice("resolved", &f.resolved, &["yes", "no"]) {
        Ok("yes") => StepOutcome::Resolved { summary: f.summary },
        Ok(_) => StepOutcome::Unresolved { summary: f.summary },
        Err(e) => return esc_result(&api, &ctx, &id, Err(e), "", ""),
    };
    let r = api::record_outcome(
        State(api.clone()),
        AuthUser(user),
        Path(id.clone()),
        Ok(Json(api::OutcomeRequest { outcome })),
    )
    .await;
    esc_result(
        &api,
        &ctx,
        &id,
        r,
        "Uitkomst vastgelegd",
        "Outcome recorded",
    )
}

#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    pub step: u8,
    pub date: String,
    /// `OIN|person` of each invited person.
    #[serde(default)]
    pub participant: Vec<String>,
    pub agenda: String,
}

async fn esc_schedule(
    State(api): Web,
    a: Authed,
    Path(id): Path<String>,
    Form(f): Form<ScheduleForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let input = async {
        let e = escalation_for(&api, &user, &id).await?;
        // participants are named by organisation and person; only the people the page
        // offered can be invited
        let candidates = meeting_candidates(&api, &user, &e);
        let mut participants = Vec::with_capacity(f.participant.len());
        for v in &f.participant {
            let p = candidates.iter().find(|c| participant_key(c) == *v).ok_or(
                RuleViolation::InvalidField {
                    field: "participants",
                    reason: "not a person of this escalation",
                },
            )?;
            participants.push(p.clone());
        }
        let step = Step::ALL.into_iter().find(|s| s.number() == f.step).ok_or(
            RuleViolation::InvalidField {
                field: "step",
                reason: "not a step of the ladder",
            },
        )?;
        Ok::<_, ApiError>((participants, step))
    }
    .await;
    let (participants, step) = match input {
        Ok(x) => x,
        Err(e) => return esc_result(&api, &ctx, &id, Err(e), "", ""),
    };
    // datetime-local gives "YYYY-MM-DDTHH:MM"; the form says UTC
    let date = if f.date.len() == 16 {
        format!("{}:00Z", f.date)
    } else {
        f.date.clone()
    };
    let r = api::schedule_meeting(
        State(api.clone()),
        AuthUser(user),
        Ok(Json(api::ScheduleMeetingRequest {
            escalation: id.clone(),
            step,
            date,
            participants,
            agenda: f.agenda,
        })),
    )
    .await;
    match r {
        Ok((_, Json(c))) => {
            api.flash(&ctx, true, "Overleg gepland", "Meeting scheduled");
            see_other(&format!("/overleggen/{}", c.id))
        }
        Err(err) => {
            api.flash_error(&ctx, &err);
            see_other(&format!("/escalaties/{}", urlencode(&id)))
        }
    }
}

// ------------------------------------------------------------------ kwesties

fn kwestie_table(ctx: &Ctx, rows: &[doorbraak_store::ProjectionRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p { (ctx.t("Geen kwesties.", "No kwesties.")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("Kwestie", "Kwestie")) }
                    th scope="col" { (ctx.t("Zaak", "Case")) }
                    th scope="col" { (ctx.t("Status", "Status")) }
                    th scope="col" { (ctx.t("Termijn", "Deadline")) }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            td { a href={ "/kwesties/" (r.id) } { (r.state["obstacle"].as_str().unwrap_or("—").chars().take(80).collect::<String>()) } }
                            td { (r.case_ref.clone().unwrap_or_else(|| "—".into())) }
                            td { (status_badge(ctx.lang, r.overdue, &r.status)) }
                            td { (r.next_deadline.map(fmt_ts).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

async fn kwesties(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows = match api::list_kwesties(State(api.clone()), AuthUser(user), everything()).await {
        Ok(Json(r)) => r,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let content = html! {
        p { a.knop href="/kwesties/nieuw" { (ctx.t("Kwestie melden", "Raise a kwestie")) } }
        (kwestie_table(&ctx, &rows))
    };
    let title = ctx.t("Kwesties", "Kwesties").to_owned();
    page(&api, &ctx, &title, content)
}

fn category_label(lang: Lang, c: KwestieCategory) -> &'static str {
    use KwestieCategory as K;
    match c {
        K::HelpDoesNotStart => lang.t(
            "hulp start niet (hoofdaannemer of aanbieder levert niet)",
            "help does not start",
        ),
        K::WaitingList => lang.t("wachtlijst", "waiting list"),
        K::HelpNotAsAgreed => lang.t("hulp niet zoals afgesproken", "help not as agreed"),
        K::LegalFrameworkBlocks => {
            lang.t("wettelijk kader staat in de weg", "legal framework blocks")
        }
        K::NeedlessPaperwork => lang.t("onnodige administratie", "needless paperwork"),
        K::MissingSupport => lang.t(
            "ondersteuning ontbreekt (ICT, advies, sturing, methode)",
            "missing support",
        ),
        K::TooFewFamilyManagers => lang.t("te weinig gezinsmanagers", "too few family managers"),
        K::PrivacyDelay => lang.t("vertraging door privacyvragen", "privacy delay"),
        K::OwnCircumstances => lang.t("eigen omstandigheden", "own circumstances"),
    }
}

const CATEGORIES: [KwestieCategory; 9] = [
    KwestieCategory::HelpDoesNotStart,
    KwestieCategory::WaitingList,
    KwestieCategory::HelpNotAsAgreed,
    KwestieCategory::LegalFrameworkBlocks,
    KwestieCategory::NeedlessPaperwork,
    KwestieCategory::MissingSupport,
    KwestieCategory::TooFewFamilyManagers,
    KwestieCategory::PrivacyDelay,
    KwestieCategory::OwnCircumstances,
];

fn consulted_label(lang: Lang, c: Consulted) -> &'static str {
    match c {
        Consulted::Team => lang.t("het team", "the team"),
        Consulted::BehaviouralExpert => lang.t("de gedragsdeskundige", "the behavioural expert"),
        Consulted::TeamManager => lang.t("de teammanager", "the team manager"),
        Consulted::ServiceDesk => lang.t("de servicedesk", "the service desk"),
        Consulted::CareMediation => lang.t("zorgbemiddeling", "care mediation"),
        Consulted::Lawyers => lang.t("juristen", "lawyers"),
    }
}

const CONSULTED: [Consulted; 6] = [
    Consulted::Team,
    Consulted::BehaviouralExpert,
    Consulted::TeamManager,
    Consulted::ServiceDesk,
    Consulted::CareMediation,
    Consulted::Lawyers,
];

fn code_of<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[derive(Debug, Deserialize, Default)]
pub struct KwestieForm {
    #[serde(default)]
    pub case_ref: String,
    #[serde(default)]
    pub obstacle: String,
    #[serde(default)]
    pub category: Vec<String>,
    #[serde(default)]
    pub own_reach_done: Option<String>,
    #[serde(default)]
    pub discussed: Vec<String>,
    #[serde(default)]
    pub knows_what_and_whom: Option<String>,
    #[serde(default)]
    pub child_needs: String,
    #[serde(default)]
    pub facilities_needed: String,
    #[serde(default)]
    pub to_team_manager: Option<String>,
    #[serde(default)]
    pub on_team_agenda: Option<String>,
}

async fn kwestie_form(
    api: &Arc<Api>,
    ctx: &Ctx,
    u: &User,
    f: &KwestieForm,
    err: Option<&ApiError>,
) -> Response {
    let cases = match api::list_cases(State(api.clone()), AuthUser(u.clone())).await {
        Ok(Json(r)) => r,
        Err(e) => return error_page(api, ctx, &e),
    };
    let content = html! {
        @if let Some(e) = err { (error_box(ctx.lang, e)) }
        form.formulier method="post" action="/kwesties" {
            (ctx.csrf_field())
            label for="case_ref" { (ctx.t("Zaak (optioneel)", "Case (optional)")) }
            select #case_ref name="case_ref" {
                option value="" { (ctx.t("— geen zaak —", "— no case —")) }
                @for c in &cases { option value=(c.case_ref) selected[c.case_ref == f.case_ref] { (c.case_ref) " — " (c.title) } }
            }
            label for="obstacle" { (ctx.t("Waar loopt u tegenaan?", "What is blocking you?")) }
            textarea #obstacle name="obstacle" rows="3" required maxlength="4000" { (f.obstacle) }
            fieldset {
                legend { (ctx.t("Soort kwestie", "Kind of kwestie")) }
                @for c in CATEGORIES {
                    @let code = code_of(&c);
                    div.keuze { input type="checkbox" name="category" id={ "cat-" (code) } value=(code) checked[f.category.contains(&code)]; label for={ "cat-" (code) } { (category_label(ctx.lang, c)) } }
                }
            }
            fieldset {
                legend { (ctx.t("Voorbereiding (verplicht)", "Preparation (required)")) }
                div.keuze { input type="checkbox" name="own_reach_done" id="own_reach" value="1" checked[checked(&f.own_reach_done)]; label for="own_reach" { (ctx.t("Ik heb gedaan wat binnen mijn eigen bereik ligt", "I did what is within my own reach")) } }
                p.hint { (ctx.t("Besproken met:", "Discussed with:")) }
                @for c in CONSULTED {
                    @let code = code_of(&c);
                    div.keuze { input type="checkbox" name="discussed" id={ "bespr-" (code) } value=(code) checked[f.discussed.contains(&code)]; label for={ "bespr-" (code) } { (consulted_label(ctx.lang, c)) } }
                }
                div.keuze { input type="checkbox" name="knows_what_and_whom" id="knows" value="1" checked[checked(&f.knows_what_and_whom)]; label for="knows" { (ctx.t("Ik weet wat ik vraag en van wie", "I know what I ask and of whom")) } }
            }
            label for="child_needs" { (ctx.t("Wat heeft het kind of gezin nodig? (verplicht bij een zaak)", "What does the child or family need? (required with a case)")) }
            textarea #child_needs name="child_needs" rows="2" maxlength="4000" { (f.child_needs) }
            label for="facilities_needed" { (ctx.t("Welke voorzieningen zijn nodig?", "Which facilities are needed?")) }
            textarea #facilities_needed name="facilities_needed" rows="2" maxlength="4000" { (f.facilities_needed) }
            fieldset {
                legend { (ctx.t("Naar wie?", "To whom?")) }
                div.keuze { input type="checkbox" name="to_team_manager" id="to_tm" value="1" checked[checked(&f.to_team_manager) || err.is_none()]; label for="to_tm" { (ctx.t("de teammanager", "the team manager")) } }
                div.keuze { input type="checkbox" name="on_team_agenda" id="on_agenda" value="1" checked[checked(&f.on_team_agenda)]; label for="on_agenda" { (ctx.t("de agenda van het teamoverleg", "the team meeting's agenda")) } }
            }
            button type="submit" { (ctx.t("Kwestie melden", "Raise the kwestie")) }
        }
    };
    let title = ctx.t("Kwestie melden", "Raise a kwestie").to_owned();
    let mut r = page(api, ctx, &title, content);
    if let Some(e) = err {
        *r.status_mut() = e.status;
    }
    r
}

async fn new_kwestie(
    State(api): Web,
    a: Authed,
    q: Result<Query<NewEscalationQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&api, &ctx, &ApiError::from(e)),
    };
    let f = KwestieForm {
        case_ref: q.zaak.unwrap_or_default(),
        ..Default::default()
    };
    kwestie_form(&api, &ctx, &user, &f, None).await
}

async fn raise_kwestie(State(api): Web, a: Authed, Form(f): Form<KwestieForm>) -> Response {
    let Authed { ctx, user } = a;
    let result = async {
        let mut categories = BTreeSet::new();
        for c in &f.category {
            categories.insert(parse_enum::<KwestieCategory>("categories", c)?);
        }
        let mut discussed = BTreeSet::new();
        for c in &f.discussed {
            discussed.insert(parse_enum::<Consulted>("discussed_with", c)?);
        }
        api::raise_kwestie(
            State(api.clone()),
            AuthUser(user.clone()),
            Ok(Json(api::RaiseKwestieRequest {
                case_ref: Some(f.case_ref.clone()).filter(|c| !c.is_empty()),
                obstacle: f.obstacle.clone(),
                categories,
                preparation: Preparation {
                    own_reach_done: checked(&f.own_reach_done),
                    discussed_with: discussed,
                    knows_what_and_whom: checked(&f.knows_what_and_whom),
                },
                child_needs: f.child_needs.clone(),
                facilities_needed: f.facilities_needed.clone(),
                route: KwestieRoute {
                    to_team_manager: checked(&f.to_team_manager),
                    on_team_agenda: checked(&f.on_team_agenda),
                },
            })),
        )
        .await
    }
    .await;
    match result {
        Ok((_, Json(r))) => {
            api.flash(&ctx, true, "Kwestie gemeld", "Kwestie raised");
            see_other(&format!("/kwesties/{}", r.id))
        }
        Err(e) => kwestie_form(&api, &ctx, &user, &f, Some(&e)).await,
    }
}

async fn kwestie_page(State(api): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let k = match api::get_kwestie(State(api.clone()), AuthUser(user.clone()), Path(id.clone()))
        .await
    {
        Ok(Json(v)) => v,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let s = &k["state"];
    // whether picking up is allowed for me now, and if not which rule says so
    let pick = match serde_json::from_value::<Kwestie>(s.clone()) {
        Ok(kw) => Kwestie::decide(
            Some(&kw),
            &KwestieCommand::PickUp,
            &api.node.actor(&user),
            api.node.now(),
        )
        .map(|_| ()),
        Err(_) => Err(RuleViolation::NotFound { what: "Kwestie" }),
    };
    let content = html! {
        dl.gegevens {
            dt { (ctx.t("Waar loopt het vast?", "What is blocking?")) } dd.tekst { (s["obstacle"].as_str().unwrap_or_default()) }
            dt { (ctx.t("Zaak", "Case")) } dd { (s["case_ref"].as_str().unwrap_or("—")) }
            dt { (ctx.t("Wat het kind of gezin nodig heeft", "What the child or family needs")) } dd.tekst { (s["child_needs"].as_str().unwrap_or_default()) }
            dt { (ctx.t("Te laat", "Overdue")) } dd { @if k["overdue"] == true { span.badge.te-laat { (ctx.t("ja", "yes")) } } @else { (ctx.t("nee", "no")) } }
        }
        (action(&ctx, &pick, &format!("/kwesties/{}/oppakken", urlencode(&id)), ctx.t("Oppakken", "Pick up"), "oppakken", html! {}))
    };
    let title = ctx.t("Kwestie", "Kwestie").to_owned();
    page(&api, &ctx, &title, content)
}

async fn kwestie_pick_up(State(api): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    match api::kwestie_pick_up(State(api.clone()), AuthUser(user), Path(id.clone())).await {
        Ok(_) => api.flash(&ctx, true, "Opgepakt", "Picked up"),
        Err(e) => api.flash_error(&ctx, &e),
    }
    see_other(&format!("/kwesties/{}", urlencode(&id)))
}

// ------------------------------------------------------------------ meetings and minutes

async fn meetings(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows = match api::list_meetings(State(api.clone()), AuthUser(user), everything()).await {
        Ok(Json(r)) => r,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let content = html! {
        @if rows.is_empty() { p { (ctx.t("Geen overleggen.", "No meetings.")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("Overleg", "Meeting")) }
                    th scope="col" { (ctx.t("Stap", "Step")) }
                    th scope="col" { (ctx.t("Notulen", "Minutes")) }
                    th scope="col" { (ctx.t("Goedkeuren vóór", "Approve before")) }
                } }
                tbody {
                    @for r in &rows {
                        @let m = serde_json::from_value::<Minutes>(r.state.clone()).ok();
                        tr {
                            td { a href={ "/overleggen/" (r.id) } { (m.as_ref().map(|m| fmt_ts(m.meeting.date)).unwrap_or_else(|| r.id.clone())) } }
                            td { (m.as_ref().map(|m| step_label(ctx.lang, m.meeting.step)).unwrap_or_default()) }
                            td { (status_badge(ctx.lang, r.overdue, &r.status)) }
                            td { (r.next_deadline.map(fmt_ts).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    };
    let title = ctx.t("Overleggen", "Meetings").to_owned();
    page(&api, &ctx, &title, content)
}

/// A line diff between two revisions, as `<del>`/`<ins>` lines.
fn diff(old: &str, new: &str) -> Markup {
    // bounded: a pathological pair of texts gives a coarser diff, not a slow page
    let d = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(old, new);
    html! {
        pre.diff {
            @for change in d.iter_all_changes() {
                @match change.tag() {
                    similar::ChangeTag::Delete => del { "- " (change.value()) },
                    similar::ChangeTag::Insert => ins { "+ " (change.value()) },
                    similar::ChangeTag::Equal => span { "  " (change.value()) },
                }
            }
        }
    }
}

async fn meeting_page(State(api): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let id = match api::uuid(&id) {
        Ok(i) => i.to_string(),
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let m = match api.node.read::<Minutes>(&user, &id).await {
        Ok(l) => l.state,
        Err(e) => return error_page(&api, &ctx, &ApiError::from(e)),
    };
    let me = PersonId::new(user.id.clone());
    let i_participate = m
        .meeting
        .participants
        .iter()
        .any(|p| p.person == me && &p.org == api.node.oin());
    let doc = m.main.as_ref();
    let cur = doc.and_then(|d| d.current());
    let awaiting_me = doc.is_some_and(|d| d.circulated == Some(d.current_number()))
        && m.awaiting(DocTarget::Main)
            .iter()
            .any(|p| p.person == me && &p.org == api.node.oin());
    let base = format!("/overleggen/{id}");
    let content = html! {
        dl.gegevens {
            dt { (ctx.t("Datum", "Date")) } dd { (fmt_ts(m.meeting.date)) }
            dt { (ctx.t("Stap", "Step")) } dd { (step_label(ctx.lang, m.meeting.step)) }
            dt { (ctx.t("Escalatie", "Escalation")) } dd { a href={ "/escalaties/" (m.meeting.escalation) } { (ctx.t("naar de escalatie", "to the escalation")) } }
            dt { (ctx.t("Agenda", "Agenda")) } dd.tekst { (m.meeting.agenda) }
        }
        h2 { (ctx.t("Deelnemers en goedkeuring", "Participants and approval")) }
        table #goedkeuringen {
            thead { tr {
                th scope="col" { (ctx.t("Deelnemer", "Participant")) }
                th scope="col" { (ctx.t("Organisatie", "Organisation")) }
                th scope="col" { (ctx.t("Goedgekeurd", "Approved")) }
            } }
            tbody {
                @for p in &m.meeting.participants {
                    @let appr = doc.and_then(|d| d.approvals.iter().find(|a| a.org == p.org && a.person == p.person));
                    tr {
                        td { (p.name) " — " (role_label(ctx.lang, p.role)) }
                        td { (org_name(&api, p.org.as_str())) }
                        td {
                            @if let Some(a) = appr {
                                (ctx.t("versie ", "revision ")) (a.revision) ", " (fmt_ts(a.at))
                                @if a.signature.is_some() { " · " (ctx.t("ondertekend", "signed")) }
                            } @else { "—" }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Notulen", "Minutes")) }
        @match doc {
            None => {
                p { (ctx.t("Nog geen notulen.", "No minutes yet.")) }
                @if i_participate {
                    form.formulier method="post" action={ (base) "/notulen" } {
                        (ctx.csrf_field())
                        label for="notulen-tekst" { (ctx.t("Concept-notulen", "Draft minutes")) }
                        textarea #notulen-tekst name="content" rows="8" required maxlength="60000" {}
                        button #notulen-opslaan type="submit" { (ctx.t("Concept opslaan", "Save draft")) }
                    }
                }
            }
            Some(d) => {
                p #notulen-status {
                    @if d.is_final() {
                        strong { (ctx.t("Vastgesteld", "Final")) } " — " (ctx.t("versie ", "revision ")) (d.final_revision.unwrap_or_default())
                        @if let Some(at) = d.final_at { ", " (fmt_ts(at)) }
                    } @else if d.circulated == Some(d.current_number()) {
                        (ctx.t("Ter goedkeuring: versie ", "Awaiting approval: revision ")) (d.current_number())
                        @if let Some(dl) = d.approval_deadline { " — " (ctx.t("goedkeuren vóór ", "approve before ")) (fmt_ts(dl)) }
                    } @else {
                        (ctx.t("Concept: versie ", "Draft: revision ")) (d.current_number())
                    }
                }
                @if let Some(r) = cur { div.notulen { pre.tekst { (r.content) } } }
                p { a href={ (base) "/afdruk" } { (ctx.t("Afdrukbare versie", "Printable version")) } }
                @if !d.is_final() && i_participate {
                    @if awaiting_me {
                        @if let Some(r) = cur {
                            form.actie method="post" action={ (base) "/goedkeuren" } {
                                (ctx.csrf_field())
                                input type="hidden" name="revision" value=(r.number);
                                input type="hidden" name="content_hash" value=(r.content_hash);
                                button #goedkeuren type="submit" { (ctx.t("Versie ", "Approve revision ")) (r.number) (ctx.t(" goedkeuren", "")) }
                            }
                            details.actie #wijziging {
                                summary { (ctx.t("Wijziging vragen", "Request a change")) }
                                form method="post" action={ (base) "/wijzigingen" } {
                                    (ctx.csrf_field())
                                    input type="hidden" name="revision" value=(r.number);
                                    label for="opmerking" { (ctx.t("Wat moet er anders?", "What should change?")) }
                                    textarea #opmerking name="comment" rows="3" required maxlength="4000" {}
                                    button type="submit" { (ctx.t("Wijziging vragen", "Request the change")) }
                                }
                            }
                        }
                    }
                    @if d.circulated != Some(d.current_number()) {
                        form.actie method="post" action={ (base) "/rondsturen" } {
                            (ctx.csrf_field())
                            button #rondsturen type="submit" { (ctx.t("Ter goedkeuring rondsturen", "Circulate for approval")) }
                        }
                    }
                    details.actie #nieuwe-versie {
                        summary { (ctx.t("Nieuwe versie maken", "Make a new revision")) }
                        form method="post" action={ (base) "/notulen" } {
                            (ctx.csrf_field())
                            input type="hidden" name="revise" value="1";
                            label for="nieuwe-inhoud" { (ctx.t("Tekst (eerdere goedkeuringen vervallen)", "Text (earlier approvals lapse)")) }
                            textarea #nieuwe-inhoud name="content" rows="8" required maxlength="60000" { (cur.map(|r| r.content.as_str()).unwrap_or_default()) }
                            button type="submit" { (ctx.t("Versie opslaan", "Save revision")) }
                        }
                    }
                }
                @if !d.change_requests.is_empty() {
                    h3 { (ctx.t("Gevraagde wijzigingen", "Requested changes")) }
                    ul { @for c in &d.change_requests { li { (ctx.t("versie ", "revision ")) (c.revision) ": " (c.comment) } } }
                }
                @if d.revisions.len() > 1 {
                    h3 { (ctx.t("Verschillen tussen versies", "Differences between revisions")) }
                    @for w in d.revisions.windows(2) {
                        h4 { (ctx.t("Versie ", "Revision ")) (w[0].number) " → " (w[1].number) }
                        (diff(&w[0].content, &w[1].content))
                    }
                }
            }
        }
    };
    let title = ctx.t("Overleg", "Meeting").to_owned();
    page(&api, &ctx, &title, content)
}

fn minutes_result(
    api: &Api,
    ctx: &Ctx,
    id: &str,
    r: Result<Json<api::CommandResponse>, ApiError>,
    nl: &str,
    en: &str,
) -> Response {
    after_command(
        api,
        ctx,
        &format!("/overleggen/{}", urlencode(id)),
        r,
        nl,
        en,
    )
}

#[derive(Debug, Deserialize)]
pub struct MinutesTextForm {
    pub content: String,
    #[serde(default)]
    pub revise: Option<String>,
}

async fn minutes_text(
    State(api): Web,
    a: Authed,
    Path(id): Path<String>,
    Form(f): Form<MinutesTextForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = if checked(&f.revise) {
        api::revise_minutes(
            State(api.clone()),
            AuthUser(user),
            Path(id.clone()),
            Ok(Json(api::ReviseRequest {
                target: DocTarget::Main,
                content: f.content,
            })),
        )
        .await
    } else {
        api::draft_minutes(
            State(api.clone()),
            AuthUser(user),
            Path(id.clone()),
            Ok(Json(api::ContentRequest { content: f.content })),
        )
        .await
    };
    minutes_result(&api, &ctx, &id, r, "Notulen opgeslagen", "Minutes saved")
}

async fn minutes_circulate(State(api): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let r = api::circulate_minutes(
        State(api.clone()),
        AuthUser(user),
        Path(id.clone()),
        Ok(Json(api::CirculateRequest {
            target: DocTarget::Main,
        })),
    )
    .await;
    minutes_result(
        &api,
        &ctx,
        &id,
        r,
        "Ter goedkeuring rondgestuurd",
        "Circulated for approval",
    )
}

#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    pub revision: u32,
    pub content_hash: String,
}

async fn minutes_approve(
    State(api): Web,
    a: Authed,
    Path(id): Path<String>,
    Form(f): Form<ApproveForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = api::approve_minutes(
        State(api.clone()),
        AuthUser(user),
        Path(id.clone()),
        Ok(Json(api::ApproveRequest {
            target: DocTarget::Main,
            revision: f.revision,
            content_hash: f.content_hash,
        })),
    )
    .await;
    minutes_result(
        &api,
        &ctx,
        &id,
        r,
        "Goedgekeurd en ondertekend",
        "Approved and signed",
    )
}

#[derive(Debug, Deserialize)]
pub struct ChangesForm {
    pub revision: u32,
    pub comment: String,
}

async fn minutes_changes(
    State(api): Web,
    a: Authed,
    Path(id): Path<String>,
    Form(f): Form<ChangesForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = api::request_changes(
        State(api.clone()),
        AuthUser(user),
        Path(id.clone()),
        Ok(Json(api::RequestChangesRequest {
            target: DocTarget::Main,
            revision: f.revision,
            comment: f.comment,
        })),
    )
    .await;
    minutes_result(&api, &ctx, &id, r, "Wijziging gevraagd", "Change requested")
}

async fn minutes_print(State(api): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    match api::minutes_print(State(api.clone()), AuthUser(user), Path(id)).await {
        Ok(mut r) => {
            // the printable record carries its own stylesheet inline, and nothing else
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                ),
            );
            r
        }
        Err(e) => error_page(&api, &ctx, &e),
    }
}

// ------------------------------------------------------------------ team

async fn team(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let overview = if matches!(
        user.role,
        Role::TeamManager | Role::Director | Role::BoardMember
    ) {
        Some(api::team_overview(State(api.clone()), AuthUser(user.clone())).await)
    } else {
        None
    };
    let agenda = api::team_agenda(State(api.clone()), AuthUser(user.clone())).await;
    let content = html! {
        @if let Some(o) = &overview {
            h2 { (ctx.t("Teamoverzicht", "Team overview")) }
            p.hint { (ctx.t("Te laat eerst, dan op termijn; leeftijd in dagen.", "Overdue first, then by deadline; age in days.")) }
            @match o {
                Err(e) => (error_box(ctx.lang, e)),
                Ok(Json(v)) => {
                    h3 { (ctx.t("Escalaties", "Escalations")) }
                    (team_table(&api, &ctx, v["escalations"].as_array(), "escalaties"))
                    h3 { (ctx.t("Kwesties", "Kwesties")) }
                    (team_table(&api, &ctx, v["kwesties"].as_array(), "kwesties"))
                }
            }
        }
        h2 { (ctx.t("Agenda van het teamoverleg", "Team-meeting agenda")) }
        @match &agenda {
            Err(e) => (error_box(ctx.lang, e)),
            Ok(Json(v)) => {
                @let items = v["items"].as_array().cloned().unwrap_or_default();
                @if items.is_empty() { p { (ctx.t("Niets geagendeerd.", "Nothing on the agenda.")) } }
                ol {
                    @for i in &items {
                        li {
                            a href={ "/kwesties/" (i["kwestie"].as_str().unwrap_or_default()) } { (i["obstacle"].as_str().unwrap_or_default()) }
                            " — " (i["age_days"]) (ctx.t(" dagen", " days"))
                            @if i["overdue"] == true { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                            @if i["offers_board_escalation"] == true { " " span.badge { (ctx.t("kan naar het bestuur", "may go to the board")) } }
                        }
                    }
                }
            }
        }
    };
    let title = ctx.t("Team", "Team").to_owned();
    page(&api, &ctx, &title, content)
}

fn team_table(api: &Api, ctx: &Ctx, items: Option<&Vec<serde_json::Value>>, base: &str) -> Markup {
    let items = items.cloned().unwrap_or_default();
    html! {
        @if items.is_empty() { p { (ctx.t("Niets open.", "Nothing open.")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("Zaak", "Case")) }
                    th scope="col" { (ctx.t("Van", "From")) }
                    th scope="col" { (ctx.t("Status", "Status")) }
                    th scope="col" { (ctx.t("Leeftijd (dagen)", "Age (days)")) }
                    th scope="col" { (ctx.t("Volgende termijn", "Next deadline")) }
                } }
                tbody {
                    @for i in &items {
                        tr {
                            td { a href={ "/" (base) "/" (i["id"].as_str().unwrap_or_default()) } { (i["case_ref"].as_str().unwrap_or("—")) } }
                            td { (i["home"].as_str().map(|o| org_name(api, o)).unwrap_or_default()) }
                            td { (status_badge(ctx.lang, i["overdue"] == true, i["status"].as_str().unwrap_or_default())) }
                            td { (i["age_days"]) }
                            td { (i["next_deadline"].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------ oversight

/// One figure of the stagnation view: a number, or why it is not shown.
fn cell_text(lang: Lang, v: &serde_json::Value) -> (Option<u64>, String) {
    match v {
        serde_json::Value::Number(n) => (n.as_u64(), n.to_string()),
        serde_json::Value::String(s) if s.starts_with('<') => (
            None,
            format!("{s} {}", lang.t("(afgeschermd)", "(suppressed)")),
        ),
        serde_json::Value::String(s) if s == "suppressed" => {
            (None, lang.t("afgeschermd", "suppressed").to_owned())
        }
        serde_json::Value::String(s) if s.starts_with("insufficient") => (
            None,
            lang.t("te weinig organisaties", "too few organisations")
                .to_owned(),
        ),
        other => (None, other.to_string()),
    }
}

/// One bar (an SVG, so no inline style is needed under the content security policy).
fn bar(percent: u64) -> Markup {
    html! {
        svg.balk viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
            rect width=(percent.min(100)) height="10" {}
        }
    }
}

/// A bar chart of a map of figures (with the numbers as text, for screen readers and print).
fn bars(
    lang: Lang,
    id: &str,
    caption: &str,
    v: &serde_json::Value,
    label: &dyn Fn(&str) -> String,
) -> Markup {
    let Some(map) = v.as_object() else {
        let (_, text) = cell_text(lang, v);
        return html! { p id=(id) { (caption) ": " (text) } };
    };
    let max = map
        .values()
        .filter_map(|v| v.as_u64())
        .max()
        .unwrap_or(1)
        .max(1);
    html! {
        table.grafiek id=(id) {
            caption { (caption) }
            thead { tr { th scope="col" { (lang.t("Wat", "What")) } th scope="col" { (lang.t("Aantal", "Count")) } } }
            tbody {
                @for (k, val) in map {
                    @let (n, text) = cell_text(lang, val);
                    @let cell_id = format!("{id}-{}", k.replace(['/', ' ', '>'], "-"));
                    tr {
                        th scope="row" { (label(k)) }
                        td id=(cell_id) {
                            @match n {
                                Some(n) => {
                                    (bar((n * 100 / max).max(2)))
                                    span.getal { (n) }
                                }
                                None => { span.balk.afgeschermd aria-hidden="true" {} span.getal { (text) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn stagnation(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let v = match api::stagnation(State(api.clone()), AuthUser(user.clone())).await {
        Ok(Json(v)) => v,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let trend = match api::trend(State(api.clone()), AuthUser(user)).await {
        Ok(Json(t)) => t,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let lang = ctx.lang;
    let step_sit = |k: &str| {
        let mut it = k.split('/');
        match (it.next(), it.next()) {
            (Some(s), Some(t)) => format!(
                "{} {s} · {} {t}",
                lang.t("stap", "step"),
                lang.t("situatie", "situation")
            ),
            _ => k.to_owned(),
        }
    };
    let pair = |k: &str| match k.split_once(" -> ") {
        Some((a, b)) => format!("{} → {}", org_name(&api, a), org_name(&api, b)),
        None => k.to_owned(),
    };
    let plain = |k: &str| k.to_owned();
    let age = &v["age_in_step_days"];
    let (overdue_n, overdue_text) = cell_text(lang, &v["overdue_steps"]);
    let _ = overdue_n;
    let content = html! {
        p.hint {
            (ctx.t("Geaggregeerd over de organisaties van de regio; geen zaak verlaat haar organisatie. Aantallen onder ", "Aggregated over the region's organisations; no case leaves its organisation. Counts below "))
            (v["suppressed_below"]) (ctx.t(" zijn afgeschermd; een cijfer wordt alleen getoond als minstens ", " are suppressed; a figure is shown only if at least "))
            (v["min_organisations"]) (ctx.t(" organisaties bijdragen.", " organisations contribute."))
        }
        @if v["partial"] == true {
            div.melding.fout role="alert" {
                (ctx.t("Onvolledig: deze organisaties antwoordden niet op tijd: ", "Incomplete: these organisations did not answer in time: "))
                @for m in v["missing"].as_array().into_iter().flatten() { (m["name"].as_str().unwrap_or_default()) " " }
            }
        }
        div.kaarten {
            div.kaart { h2 { (ctx.t("Te late stappen", "Overdue steps")) } p.groot #te-laat { (overdue_text) } }
            div.kaart {
                h2 { (ctx.t("Tijd in de huidige stap (dagen)", "Time in the current step (days)")) }
                @if let Some(o) = age.as_object() {
                    p.groot #mediaan { (ctx.t("mediaan ", "median ")) (o.get("median").cloned().unwrap_or_default()) }
                    @if let Some(p90) = o.get("p90") { p { "p90 " (p90) } }
                } @else { p.groot { (cell_text(lang, age).1) } }
            }
        }
        (bars(lang, "open", ctx.t("Open escalaties per stap en situatie", "Open escalations by step and situation"), &v["open_by_step_situation"], &step_sit))
        (bars(lang, "paren", ctx.t("Waar het stagneert: open escalaties per paar organisaties", "Where it stagnates: open escalations by pair of organisations"), &v["open_by_pair"], &pair))
        (bars(lang, "knelpunten", ctx.t("Knelpunten van gesloten escalaties", "Bottlenecks of closed escalations"), &v["bottlenecks"], &plain))
        (bars(lang, "kwesties", ctx.t("Kwesties per soort", "Kwesties by kind"), &v["kwestie_categories"], &plain))
        @let structural = v["structural_candidates"].as_array().cloned().unwrap_or_default();
        @if !structural.is_empty() {
            h2 { (ctx.t("Mogelijk structurele knelpunten", "Possibly structural bottlenecks")) }
            ul { @for s in &structural { li { (s["bottleneck"].as_str().unwrap_or_default()) } } }
        }
        h2 { (ctx.t("Verloop (dagelijkse momentopnamen)", "Trend (daily snapshots)")) }
        @if trend.is_empty() { p { (ctx.t("Nog geen momentopnamen.", "No snapshots yet.")) } }
        @else {
            table.grafiek #trend {
                caption { (ctx.t("Te late stappen per dag", "Overdue steps per day")) }
                thead { tr { th scope="col" { (ctx.t("Dag", "Day")) } th scope="col" { (ctx.t("Te late stappen", "Overdue steps")) } } }
                tbody {
                    @for t in &trend {
                        @let (n, text) = cell_text(lang, &t["view"]["overdue_steps"]);
                        tr {
                            th scope="row" { (t["day"].as_str().unwrap_or_default()) }
                            td {
                                @if let Some(n) = n { (bar((n * 4).clamp(2, 100))) }
                                @else { span.balk.afgeschermd aria-hidden="true" {} }
                                span.getal { (text) }
                            }
                        }
                    }
                }
            }
        }
        p.hint { (ctx.t("Berekend: ", "Computed: ")) (v["generated_at"].as_str().unwrap_or_default()) }
    };
    let title = ctx
        .t(
            "Waar de samenwerking stagneert",
            "Where cooperation stagnates",
        )
        .to_owned();
    page(&api, &ctx, &title, content)
}

// ------------------------------------------------------------------ recommendations

async fn recommendations(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows =
        match api::list_recommendations(State(api.clone()), AuthUser(user), everything()).await {
            Ok(Json(r)) => r,
            Err(e) => return error_page(&api, &ctx, &e),
        };
    let content = html! {
        @if rows.is_empty() { p { (ctx.t("Nog geen aanbevelingen.", "No recommendations yet.")) } }
        @else {
            table #aanbevelingen {
                thead { tr {
                    th scope="col" { (ctx.t("Aanbeveling", "Recommendation")) }
                    th scope="col" { (ctx.t("Eigenaar", "Owner")) }
                    th scope="col" { (ctx.t("Gereed op", "Due")) }
                    th scope="col" { (ctx.t("Status", "Status")) }
                    th scope="col" { (ctx.t("Opvolging", "Follow-up")) }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { strong { (r.state["title"].as_str().unwrap_or_default()) } br; (r.state["text"].as_str().unwrap_or_default()) }
                            td { (r.state["owner"].as_str().unwrap_or_default()) }
                            td { (r.state["due"].as_str().unwrap_or_default()) }
                            td { (status_badge(ctx.lang, r.overdue, r.state["status"].as_str().unwrap_or(&r.status))) }
                            td { (r.state["follow_up"].as_array().map_or(0, Vec::len)) }
                        }
                    }
                }
            }
        }
        p.hint { (ctx.t("Nieuwe aanbevelingen en hun opvolging gaan via de API of `doorbraak` (POST /api/v1/recommendations).", "New recommendations and follow-up go through the API or `doorbraak` (POST /api/v1/recommendations).")) }
    };
    let title = ctx
        .t("Register van aanbevelingen", "Recommendations register")
        .to_owned();
    page(&api, &ctx, &title, content)
}

// ------------------------------------------------------------------ administration

fn cert_rows(ctx: &Ctx, api: &Api) -> Markup {
    use doorbraak_federation::identity::CertificateSummary;
    let now = api.node.now().as_second();
    let certs: Vec<(&str, Option<CertificateSummary>)> = match &api.node.federation {
        Some(f) => vec![
            (
                ctx.t("Federatie-CA", "Federation CA"),
                CertificateSummary::from_der(&f.tls.ca_der).ok(),
            ),
            (
                ctx.t("Nodecertificaat", "Node certificate"),
                CertificateSummary::from_der(&f.tls.cert_der).ok(),
            ),
        ],
        None => Vec::new(),
    };
    html! {
        @if certs.is_empty() { p { (ctx.t("Deze node draait zonder federatie-TLS.", "This node runs without federation TLS.")) } }
        @else {
            table #certificaten {
                thead { tr {
                    th scope="col" { (ctx.t("Certificaat", "Certificate")) }
                    th scope="col" { (ctx.t("Onderwerp", "Subject")) }
                    th scope="col" { (ctx.t("Geldig tot", "Valid until")) }
                    th scope="col" { (ctx.t("Vingerafdruk (SHA-256)", "Fingerprint (SHA-256)")) }
                } }
                tbody {
                    @for (what, c) in &certs {
                        tr {
                            th scope="row" { (what) }
                            @if let Some(c) = c {
                                td { (c.subject) }
                                td {
                                    (Timestamp::from_second(c.not_after).map(fmt_day).unwrap_or_default())
                                    @let days = (c.not_after - now) / 86_400;
                                    " (" (days) (ctx.t(" dagen", " days")) ")"
                                    @if days < 30 { " " span.badge.te-laat { (ctx.t("verloopt binnenkort", "expires soon")) } }
                                }
                                td { code.klein { (c.fingerprint) } }
                            } @else { td colspan="3" { (ctx.t("onleesbaar", "unreadable")) } }
                        }
                    }
                }
            }
        }
    }
}

async fn admin(State(api): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let peers = match api::peers(State(api.clone()), AuthUser(user)).await {
        Ok(Json(p)) => p,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let content = html! {
        h2 { (ctx.t("Leden en aflevering", "Members and delivery")) }
        table #peers {
            thead { tr {
                th scope="col" { (ctx.t("Organisatie", "Organisation")) }
                th scope="col" { (ctx.t("Adres", "Endpoint")) }
                th scope="col" { (ctx.t("Wachtend", "Pending")) }
                th scope="col" { (ctx.t("Afgeleverd", "Delivered")) }
                th scope="col" { (ctx.t("Geweigerd", "Refused")) }
                th scope="col" { (ctx.t("Laatste fout", "Last error")) }
                th scope="col" { span.sr { (ctx.t("Actie", "Action")) } }
            } }
            tbody {
                @for p in &peers {
                    tr {
                        td { (p.name) br; span.klein { (p.oin) " · " (p.kind.label_nl()) } }
                        td { code { (p.endpoint) } }
                        td { (p.pending) }
                        td { (p.delivered) }
                        td { (p.rejected) }
                        td { (p.last_error.clone().unwrap_or_default()) }
                        td {
                            form method="post" action={ "/beheer/peers/" (p.oin) "/opnieuw" } {
                                (ctx.csrf_field())
                                button type="submit" aria-label={ (ctx.t("Nu opnieuw versturen naar ", "Resend now to ")) (p.name) } { (ctx.t("Opnieuw versturen", "Resend")) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Certificaten", "Certificates")) }
        (cert_rows(&ctx, &api))
        p { a href="/beheer/toegangslog" { (ctx.t("Toegangslog doorzoeken", "Search the access log")) } }
    };
    let title = ctx.t("Federatie", "Federation").to_owned();
    page(&api, &ctx, &title, content)
}

async fn admin_resend(State(api): Web, a: Authed, Path(oin): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    match api::resend(State(api.clone()), AuthUser(user), Path(oin)).await {
        Ok(Json(v)) => api.flash(
            &ctx,
            true,
            format!("Opnieuw verstuurd ({} wachtend)", v["pending"]),
            format!("Resent ({} pending)", v["pending"]),
        ),
        Err(e) => api.flash_error(&ctx, &e),
    }
    see_other("/beheer")
}

#[derive(Debug, Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}

async fn log_rows(
    api: &Arc<Api>,
    user: &User,
    q: LogQuery,
) -> Result<Vec<doorbraak_store::AccessEntry>, ApiError> {
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000);
    api::access_log(
        State(api.clone()),
        AuthUser(user.clone()),
        Ok(Query(api::AccessLogQuery {
            object_id: q
                .object_id
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_owned()),
            limit: Some(limit),
        })),
    )
    .await
    .map(|Json(r)| r)
}

async fn access_log(
    State(api): Web,
    a: Authed,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&api, &ctx, &ApiError::from(e)),
    };
    let object = q.object_id.clone().unwrap_or_default();
    let rows = match log_rows(&api, &user, q).await {
        Ok(r) => r,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let content = html! {
        form.zoek method="get" action="/beheer/toegangslog" role="search" {
            label for="object_id" { (ctx.t("Object-id (escalatie, overleg, zaak, ...)", "Object id (escalation, meeting, case, ...)")) }
            input #object_id name="object_id" value=(object) maxlength="100";
            button type="submit" { (ctx.t("Zoeken", "Search")) }
            " "
            a href={ "/beheer/toegangslog.csv?object_id=" (urlencode(&object)) } { (ctx.t("Exporteren (CSV)", "Export (CSV)")) }
        }
        table #toegangslog {
            caption { (rows.len()) (ctx.t(" regels, nieuwste eerst", " entries, newest first")) }
            thead { tr {
                th scope="col" { (ctx.t("Wanneer", "When")) }
                th scope="col" { (ctx.t("Wie", "Who")) }
                th scope="col" { (ctx.t("Rol", "Role")) }
                th scope="col" { (ctx.t("Actie", "Action")) }
                th scope="col" { (ctx.t("Object", "Object")) }
                th scope="col" { (ctx.t("Uitkomst", "Outcome")) }
            } }
            tbody {
                @for r in &rows {
                    tr {
                        td { (fmt_ts(r.at)) }
                        td { (r.user_id) }
                        td { (r.user_role) }
                        td { (format!("{:?}", r.action)) }
                        td { (r.object_type) " " code.klein { (r.object_id) } }
                        td { (r.outcome) }
                    }
                }
            }
        }
    };
    let title = ctx.t("Toegangslog", "Access log").to_owned();
    page(&api, &ctx, &title, content)
}

/// A CSV cell that a spreadsheet will not run as a formula.
fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

async fn access_log_csv(
    State(api): Web,
    a: Authed,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&api, &ctx, &ApiError::from(e)),
    };
    let q = LogQuery {
        limit: Some(q.limit.unwrap_or(10_000)),
        ..q
    };
    let rows = match log_rows(&api, &user, q).await {
        Ok(r) => r,
        Err(e) => return error_page(&api, &ctx, &e),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut ok = w
        .write_record([
            "at",
            "user_id",
            "user_role",
            "on_behalf_of",
            "org_oin",
            "action",
            "object_type",
            "object_id",
            "purpose",
            "outcome",
            "source_node",
        ])
        .is_ok();
    for r in &rows {
        let at = r.at.to_string();
        let action = format!("{:?}", r.action);
        let rec = [
            at.as_str(),
            &r.user_id,
            &r.user_role,
            r.on_behalf_of.as_deref().unwrap_or(""),
            &r.org_oin,
            &action,
            &r.object_type,
            &r.object_id,
            &r.purpose,
            &r.outcome,
            &r.source_node,
        ];
        ok &= w.write_record(rec.iter().map(|c| csv_cell(c))).is_ok();
    }
    let body = w.into_inner().unwrap_or_default();
    if !ok {
        return error_page(
            &api,
            &ctx,
            &ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "node.internal",
                "Export mislukt",
                "Export failed",
            ),
        );
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"toegangslog.csv\"",
            ),
        ],
        body,
    )
        .into_response()
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
