//! The team overview and agenda, the alderman's stagnation view with its charts, and the
//! recommendations register.

use super::*;
use crate::http::IdemKey;

// ------------------------------------------------------------------ team

pub(super) async fn team(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    use doorbraak_model::access::Operation;
    let overview = if Operation::ReadTeamOverview.allows(user.role) {
        Some(
            ops::team::overview(&site.node, &user)
                .await
                .map_err(ApiError::from),
        )
    } else {
        None
    };
    // the agenda is the team's (board members see the overview only)
    let agenda = if !Operation::ReadTeamAgenda.allows(user.role) {
        None
    } else {
        Some(
            ops::team::agenda(&site.node, &user)
                .await
                .map_err(ApiError::from),
        )
    };
    let content = html! {
        @if let Some(o) = &overview {
            h2 { (ctx.t("Teamoverzicht", "Team overview")) }
            p.hint { (ctx.t("Te laat eerst, dan op termijn; leeftijd in dagen.", "Overdue first, then by deadline; age in days.")) }
            @match o {
                Err(e) => (error_box(ctx.lang, e)),
                Ok(v) => {
                    h3 { (ctx.t("Escalaties", "Escalations")) }
                    (team_table(&site, &ctx, &v.escalations, "escalaties"))
                    h3 { (ctx.t("Kwesties", "Kwesties")) }
                    (team_table(&site, &ctx, &v.kwesties, "kwesties"))
                }
            }
        }
        @if let Some(agenda) = &agenda {
        h2 { (ctx.t("Agenda van het teamoverleg", "Team-meeting agenda")) }
        @match agenda {
            Err(e) => (error_box(ctx.lang, e)),
            Ok(v) => {
                @if v.items.is_empty() { p { (ctx.t("Niets geagendeerd.", "Nothing on the agenda.")) } }
                ol {
                    @for i in &v.items {
                        li {
                            a href={ "/kwesties/" (i.kwestie) } { (i.obstacle) }
                            " — " (i.age_days) (ctx.t(" dagen", " days"))
                            @if i.overdue { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                            @if i.offers_board_escalation { " " span.badge { (ctx.t("kan naar het bestuur", "may go to the board")) } }
                        }
                    }
                }
            }
        }
        }
    };
    let title = ctx.t("Team", "Team").to_owned();
    page(&site, &ctx, &title, content)
}

pub(super) fn team_table(
    site: &Site,
    ctx: &Ctx,
    items: &[ops::team::TeamItem],
    base: &str,
) -> Markup {
    html! {
        @if items.is_empty() { p { (ctx.t("Niets open.", "Nothing open.")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("Casus", "Case")) }
                    th scope="col" { (ctx.t("Van", "From")) }
                    th scope="col" { (ctx.t("Status", "Status")) }
                    th scope="col" { (ctx.t("Leeftijd (dagen)", "Age (days)")) }
                    th scope="col" { (ctx.t("Volgende termijn", "Next deadline")) }
                } }
                tbody {
                    @for i in items {
                        tr {
                            td { a href={ "/" (base) "/" (i.id) } { (i.case_ref.as_deref().unwrap_or("—")) } }
                            td { (i.home.as_deref().map(|o| org_name(site, o)).unwrap_or_default()) }
                            td { (status_badge(ctx.lang, i.overdue, &i.status)) }
                            td { (i.age_days) }
                            td { @if let Some(t) = i.next_deadline { (deadline(ctx, t, site.node.now())) } }
                        }
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------ oversight

use doorbraak_model::oversight::{Cell, Cells, Figure, Quantiles};

/// One figure of the stagnation view: a number, or why it is not shown.
pub(super) fn cell_text(lang: Lang, c: &Figure<Cell>) -> (Option<u64>, String) {
    match c {
        Figure::Shown(Cell::Count(n)) => (Some(*n), n.to_string()),
        Figure::Shown(c @ Cell::Small { .. }) => (
            None,
            format!("{c} {}", lang.t("(afgeschermd)", "(suppressed)")),
        ),
        Figure::Shown(Cell::Suppressed) => (None, lang.t("afgeschermd", "suppressed").to_owned()),
        Figure::InsufficientContributors => (
            None,
            lang.t("te weinig organisaties", "too few organisations")
                .to_owned(),
        ),
    }
}

/// One bar (an SVG, so no inline style is needed under the content security policy).
pub(super) fn bar(percent: u64) -> Markup {
    html! {
        svg.balk viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
            rect width=(percent.min(100)) height="10" {}
        }
    }
}

/// A bar chart of a map of figures (with the numbers as text, for screen readers and print).
pub(super) fn bars(
    lang: Lang,
    id: &str,
    caption: &str,
    v: &Cells,
    label: &dyn Fn(&str) -> String,
) -> Markup {
    let Figure::Shown(map) = v else {
        let (_, text) = cell_text(lang, &Figure::InsufficientContributors);
        return html! { p id=(id) { (caption) ": " (text) } };
    };
    let max = map
        .values()
        .filter_map(|c| c.count())
        .max()
        .unwrap_or(1)
        .max(1);
    html! {
        table.grafiek id=(id) {
            caption { (caption) }
            thead { tr { th scope="col" { (lang.t("Wat", "What")) } th scope="col" { (lang.t("Aantal", "Count")) } } }
            tbody {
                @for (k, val) in map {
                    @let (n, text) = cell_text(lang, &Figure::Shown(*val));
                    @let cell_id = format!("{id}-{}", k.replace(['/', ' ', '>', '.', ':'], "-"));
                    tr {
                        th scope="row" { (label(k)) }
                        td id=(cell_id) {
                            @match n {
                                Some(n) => {
                                    (bar((n.saturating_mul(100) / max).max(2)))
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

pub(super) async fn stagnation(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let v = match ops::oversight::stagnation(&site.node, &user).await {
        Ok(v) => v,
        Err(e) => return failed(&site, &ctx, e),
    };
    let trend = match ops::oversight::trend(&site.node, &user).await {
        Ok(t) => t,
        Err(e) => return failed(&site, &ctx, e),
    };
    let lang = ctx.lang;
    let step_of = |n: &str| Step::ALL.into_iter().find(|s| s.number().to_string() == n);
    let step_sit = |k: &str| {
        let mut it = k.split('/');
        let situation = |n: &str| {
            doorbraak_model::Situation::ALL
                .into_iter()
                .find(|s| s.number().to_string() == n)
        };
        match (it.next().and_then(step_of), it.next().and_then(situation)) {
            (Some(s), Some(t)) => format!("{} · {}", step_label(lang, s), situation_label(lang, t)),
            _ => k.to_owned(),
        }
    };
    let bottleneck = |k: &str| {
        doorbraak_model::Bottleneck::from_code(k).map_or_else(
            || k.to_owned(),
            |b| lang.t(b.label_nl(), b.label_en()).to_owned(),
        )
    };
    let category = |k: &str| {
        doorbraak_model::KwestieCategory::ALL
            .into_iter()
            .find(|c| c.code() == k)
            .map_or_else(|| k.to_owned(), |c| category_label(lang, c).to_owned())
    };
    let month = |k: &str| {
        let mut it = k.split('-');
        match (it.next(), it.next().and_then(|m| m.parse::<usize>().ok())) {
            (Some(y), Some(m)) if (1..=12).contains(&m) => {
                format!("{} {y}", crate::time::month_name(m, lang))
            }
            _ => k.to_owned(),
        }
    };
    // "mediaan 4 dagen; 9 van de 10 binnen 16 dagen"
    let spread = |q: &Quantiles| match *q {
        Quantiles::Shown { median, p90 } => {
            let mut t = format!(
                "{} {median} {}",
                lang.t("mediaan", "median"),
                lang.t("dagen", "days")
            );
            if let Some(p) = p90 {
                t.push_str(&format!(
                    "; {} {p} {}",
                    lang.t("9 van de 10 binnen", "9 out of 10 within"),
                    lang.t("dagen", "days")
                ));
            }
            t
        }
        Quantiles::InsufficientData => lang.t("te weinig gegevens", "insufficient data").to_owned(),
    };
    let pair = |k: &str| match k.split_once(" -> ") {
        Some((a, b)) => format!("{} → {}", org_name(&site, a), org_name(&site, b)),
        None => k.to_owned(),
    };
    let f = &v.figures;
    let (_, overdue_text) = cell_text(lang, &f.overdue_steps);
    let content = html! {
        p.hint {
            (ctx.t("Geaggregeerd over de organisaties van de regio; geen casus verlaat haar organisatie. Aantallen onder ", "Aggregated over the region's organisations; no case leaves its organisation. Counts below "))
            (v.suppressed_below) (ctx.t(" zijn afgeschermd; een cijfer wordt alleen getoond als minstens ", " are suppressed; a figure is shown only if at least "))
            (v.min_organisations) (ctx.t(" organisaties bijdragen.", " organisations contribute."))
        }
        @if v.partial {
            div.melding.fout role="alert" {
                (ctx.t("Onvolledig: deze organisaties antwoordden niet op tijd: ", "Incomplete: these organisations did not answer in time: "))
                @for m in &v.missing { (m.name) " " }
            }
        }
        div.kaarten {
            div.kaart { h2 { (ctx.t("Te late stappen", "Overdue steps")) } p.groot #te-laat { (overdue_text) } }
            div.kaart {
                h2 { (ctx.t("Tijd in de huidige stap", "Time in the current step")) }
                p.groot #mediaan { (spread(&f.age_in_step_days)) }
            }
        }
        (bars(lang, "open", ctx.t("Open escalaties per stap en situatie", "Open escalations by step and situation"), &f.open_by_step_situation, &step_sit))
        (bars(lang, "paren", ctx.t("Waar het stagneert: open escalaties per paar organisaties", "Where it stagnates: open escalations by pair of organisations"), &f.open_by_pair, &pair))
        p.hint { (ctx.t("Een paar leest als: de organisatie die opschaalde → de organisatie waarbij het vastloopt.", "A pair reads: the organisation that escalated → the organisation where it is stuck.")) }
        h2 { (ctx.t("Doorlooptijd per stap (van inzetten tot uitkomst)", "Lead time per step (from invocation to outcome)")) }
        @if f.lead_time_days_per_step.is_empty() { p { (ctx.t("Nog geen afgeronde stappen.", "No ended steps yet.")) } }
        ul #doorlooptijd {
            @for (k, q) in &f.lead_time_days_per_step {
                li { (step_of(k).map_or_else(|| k.clone(), |s| step_label(lang, s).to_owned())) ": " (spread(q)) }
            }
        }
        (bars(lang, "geopend", ctx.t("Geopende escalaties per maand", "Escalations opened per month"), &f.opened_per_month, &month))
        (bars(lang, "gesloten", ctx.t("Gesloten escalaties per maand", "Escalations closed per month"), &f.closed_per_month, &month))
        (bars(lang, "knelpunten", ctx.t("Knelpunten van gesloten escalaties", "Bottlenecks of closed escalations"), &f.bottlenecks, &bottleneck))
        (bars(lang, "kwesties", ctx.t("Kwesties per soort", "Kwesties by kind"), &f.kwestie_categories, &category))
        @if !f.structural_candidates.is_empty() {
            h2 { (ctx.t("Mogelijk structurele knelpunten", "Possibly structural bottlenecks")) }
            ul { @for s in &f.structural_candidates { li { (bottleneck(&s.bottleneck)) " — " (s.organisations) (ctx.t(" organisaties", " organisations")) } } }
        }
        h2 { (ctx.t("Verloop (dagelijkse momentopnamen)", "Trend (daily snapshots)")) }
        @if trend.is_empty() { p { (ctx.t("Nog geen momentopnamen.", "No snapshots yet.")) } }
        @else {
            table.grafiek #trend {
                caption { (ctx.t("Te late stappen per dag", "Overdue steps per day")) }
                thead { tr { th scope="col" { (ctx.t("Dag", "Day")) } th scope="col" { (ctx.t("Te late stappen", "Overdue steps")) } } }
                tbody {
                    @for t in &trend {
                        @let (n, text) = cell_text(lang, &t.view.figures.overdue_steps);
                        tr {
                            th scope="row" { (t.day) }
                            td {
                                @if let Some(n) = n { (bar(n.saturating_mul(4).clamp(2, 100))) }
                                @else { span.balk.afgeschermd aria-hidden="true" {} }
                                span.getal { (text) }
                            }
                        }
                    }
                }
            }
        }
        p.hint { (ctx.t("Berekend: ", "Computed: ")) (v.generated_at) }
    };
    let title = ctx
        .t(
            "Waar de samenwerking stagneert",
            "Where cooperation stagnates",
        )
        .to_owned();
    page(&site, &ctx, &title, content)
}

// ------------------------------------------------------------------ recommendations

pub(super) async fn recommendations(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows = match ops::register::list(&site.node, &user, &all_rows()).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    // the statuses a recommendation can move on to
    let statuses = [
        ("in_progress", ctx.t("in uitvoering", "in progress")),
        ("done", ctx.t("gerealiseerd", "done")),
        ("dropped", ctx.t("vervallen", "dropped")),
    ];
    let content = html! {
        @if rows.is_empty() { p { (ctx.t("Nog geen aanbevelingen.", "No recommendations yet.")) } }
        @else {
            table #aanbevelingen {
                thead { tr {
                    th scope="col" { (ctx.t("Aanbeveling", "Recommendation")) }
                    th scope="col" { (ctx.t("Eigenaar", "Owner")) }
                    th scope="col" { (ctx.t("Gereed op", "Due")) }
                    th scope="col" { (ctx.t("Status", "Status")) }
                    th scope="col" { (ctx.t("Verder zetten", "Move on")) }
                } }
                tbody {
                    @for (i, ops::lists::Listed { row: r, state: rec }) in rows.iter().enumerate() {
                        @let status = rec.status.code().to_owned();
                        tr {
                            td {
                                strong { (rec.title) } br; (rec.text)
                                @if !rec.follow_up.is_empty() {
                                    details.geschiedenis {
                                        summary { (ctx.t("Geschiedenis", "History")) " (" (rec.follow_up.len()) ")" }
                                        ol {
                                            @for fu in &rec.follow_up {
                                                li {
                                                    (crate::time::moment(fu.at, ctx.lang)) " — "
                                                    @match &fu.by {
                                                        doorbraak_model::Actor::Person { person, role, .. } => { (person.0) " (" (role_label(ctx.lang, *role)) ")" }
                                                        _ => (ctx.t("de node", "the node")),
                                                    }
                                                    ": " (fu.note)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            td { (rec.owner.0) }
                            td { (rec.due.to_string()) }
                            td { (status_badge(ctx.lang, r.overdue, &status)) }
                            td {
                                @if status != "done" && status != "dropped" {
                                    form method="post" action={ "/aanbevelingen/" (r.id) "/status" } {
                                        (ctx.csrf_field())
                                        label for={ "status-" (i) } { span.sr { (ctx.t("Nieuwe status", "New status")) } }
                                        select id={ "status-" (i) } name="status" {
                                            @for (code, label) in &statuses { option value=(code) { (label) } }
                                        }
                                        label for={ "notitie-" (i) } { span.sr { (ctx.t("Toelichting", "Note")) } }
                                        input id={ "notitie-" (i) } name="note" required maxlength="2000" placeholder=(ctx.t("toelichting", "note"));
                                        button type="submit" { (ctx.t("Opslaan", "Save")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Aanbeveling toevoegen", "Add a recommendation")) }
        form.formulier #nieuwe-aanbeveling method="post" action="/aanbevelingen" {
            (ctx.csrf_field())
            label for="herkomst" { (ctx.t("Uit welke evaluatie?", "From which evaluation?")) }
            input #herkomst name="evaluation" required maxlength="200";
            label for="titel" { (ctx.t("Titel", "Title")) }
            input #titel name="title" required maxlength="200";
            label for="tekst" { (ctx.t("Aanbeveling", "Recommendation")) }
            textarea #tekst name="text" rows="3" required maxlength="4000" {}
            label for="eigenaar" { (ctx.t("Eigenaar (persoon-id)", "Owner (person id)")) }
            input #eigenaar name="owner" required maxlength="100";
            label for="gereed" { (ctx.t("Gereed op", "Due")) }
            input #gereed type="date" name="due" required;
            div.keuze {
                input #delen type="checkbox" name="share_text" value="1";
                label for="delen" { (ctx.t("De tekst delen met de gemeente (anders alleen de aantallen)", "Share the text with the municipality (else only the counts)")) }
            }
            button #aanbeveling-toevoegen type="submit" { (ctx.t("Toevoegen", "Add")) }
        }
    };
    let title = ctx
        .t("Register van aanbevelingen", "Recommendations register")
        .to_owned();
    page(&site, &ctx, &title, content)
}

#[derive(Debug, Deserialize)]
pub struct RecommendationForm {
    pub evaluation: String,
    pub title: String,
    pub text: String,
    pub owner: String,
    pub due: String,
    #[serde(default)]
    pub share_text: Option<String>,
}

pub(super) async fn create_recommendation(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    WebForm(f): WebForm<RecommendationForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let request = ops::register::CreateRecommendationRequest {
        origin: doorbraak_model::RecommendationOrigin::Evaluation(f.evaluation),
        title: f.title,
        text: f.text,
        owner: f.owner,
        due: f.due,
        share_text: checked(&f.share_text),
    };
    let r = match key.scoped(&user) {
        Ok(key) => ops::register::create(&site.node, &user, request, key.as_ref())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    after_command(
        &site,
        &ctx,
        "/aanbevelingen",
        r,
        "Aanbeveling toegevoegd",
        "Recommendation added",
    )
}

#[derive(Debug, Deserialize)]
pub struct RecommendationStatusForm {
    pub status: String,
    pub note: String,
}

pub(super) async fn recommendation_status(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<RecommendationStatusForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = match parse_enum::<doorbraak_model::RecommendationStatus>("status", &f.status) {
        Ok(status) => match key.scoped(&user) {
            Ok(key) => ops::register::command(
                &site.node,
                &user,
                &id,
                doorbraak_model::RecommendationCommand::SetStatus {
                    status,
                    note: f.note,
                },
                "set_status",
                key.as_ref(),
            )
            .await
            .map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    after_command(
        &site,
        &ctx,
        "/aanbevelingen",
        r,
        "Status opgeslagen",
        "Status saved",
    )
}
