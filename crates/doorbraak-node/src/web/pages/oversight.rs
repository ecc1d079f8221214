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
                .map_err(HttpError::from),
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
                .map_err(HttpError::from),
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
                            td { (status_badge(ctx.lang, i.overdue, i.status)) }
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

/// The words of the stagnation view's keys: steps and situations, organisations, bottlenecks,
/// kinds of kwestie, months and weeks (the page and its export say the same).
struct Words<'a> {
    site: &'a Site,
    lang: Lang,
}

impl Words<'_> {
    fn step(&self, n: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.number().to_string() == n)
    }

    fn step_name(&self, n: &str) -> String {
        self.step(n)
            .map_or_else(|| n.to_owned(), |s| step_label(self.lang, s).to_owned())
    }

    fn step_situation(&self, k: &str) -> String {
        let mut it = k.split('/');
        let situation = |n: &str| {
            doorbraak_model::Situation::ALL
                .into_iter()
                .find(|s| s.number().to_string() == n)
        };
        match (
            it.next().and_then(|n| self.step(n)),
            it.next().and_then(situation),
        ) {
            (Some(s), Some(t)) => format!(
                "{} · {}",
                step_label(self.lang, s),
                situation_label(self.lang, t)
            ),
            _ => k.to_owned(),
        }
    }

    fn bottleneck(&self, k: &str) -> String {
        doorbraak_model::Bottleneck::from_code(k).map_or_else(
            || k.to_owned(),
            |b| self.lang.t(b.label_nl(), b.label_en()).to_owned(),
        )
    }

    fn category(&self, k: &str) -> String {
        doorbraak_model::KwestieCategory::ALL
            .into_iter()
            .find(|c| c.code() == k)
            .map_or_else(|| k.to_owned(), |c| category_label(self.lang, c).to_owned())
    }

    fn month(&self, k: &str) -> String {
        let mut it = k.split('-');
        match (it.next(), it.next().and_then(|m| m.parse::<usize>().ok())) {
            (Some(y), Some(m)) if (1..=12).contains(&m) => {
                format!("{} {y}", doorbraak_app::time::month_name(m, self.lang))
            }
            _ => k.to_owned(),
        }
    }

    /// "week 49 (vanaf 30 nov)"
    fn week(&self, k: &str) -> String {
        match (k.split_once("-W"), doorbraak_app::time::week_monday(k)) {
            (Some((_, w)), Some(monday)) => format!(
                "{} {} ({} {})",
                self.lang.t("week", "week"),
                w.trim_start_matches('0'),
                self.lang.t("vanaf", "from"),
                doorbraak_app::time::short_day(monday, self.lang)
            ),
            _ => k.to_owned(),
        }
    }

    /// "Lokaal Team Utrecht-West → Veilig Thuis Utrecht"
    fn pair(&self, k: &str) -> String {
        match k.split_once(" -> ") {
            Some((a, b)) => format!("{} → {}", org_name(self.site, a), org_name(self.site, b)),
            None => k.to_owned(),
        }
    }

    /// "mediaan 4 dagen; 9 van de 10 binnen 16 dagen"
    fn spread(&self, q: &Quantiles) -> String {
        let lang = self.lang;
        match *q {
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
            Quantiles::InsufficientData => {
                lang.t("te weinig gegevens", "insufficient data").to_owned()
            }
        }
    }
}

/// The period of the view as the screen asks for it (Dutch days).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    #[serde(default)]
    pub van: Option<String>,
    #[serde(default)]
    pub tot: Option<String>,
}

impl PeriodQuery {
    fn period(&self) -> Result<doorbraak_model::oversight::Period, HttpError> {
        Ok(ops::oversight::days_period(
            self.van.as_deref(),
            self.tot.as_deref(),
            ("van", "tot"),
        )?)
    }

    fn query(&self) -> String {
        format!(
            "van={}&tot={}",
            urlencode(self.van.as_deref().unwrap_or_default()),
            urlencode(self.tot.as_deref().unwrap_or_default())
        )
    }
}

/// Opened and closed escalations per week as a server-rendered SVG chart (two bars a week; a
/// suppressed week is a grey stub with no height to read), with the numbers in a table beside
/// it for screen readers and print.
fn throughput_chart(words: &Words, weeks: &[String], opened: &Cells, closed: &Cells) -> Markup {
    let lang = words.lang;
    if opened.shown().is_none() && closed.shown().is_none() {
        let (_, text) = cell_text(lang, &Figure::InsufficientContributors);
        return html! { p #doorstroom { (lang.t("Geopend en gesloten per week: ", "Opened and closed per week: ")) (text) } };
    }
    // a week of a shown figure without a count had none; a figure not shown is not shown at all
    let value = |f: &Cells, w: &str| -> Figure<Cell> {
        match f.shown() {
            Some(m) => Figure::Shown(m.get(w).copied().unwrap_or(Cell::Count(0))),
            None => Figure::InsufficientContributors,
        }
    };
    let count = |f: &Figure<Cell>| f.shown().and_then(|c| c.count());
    let max = weeks
        .iter()
        .flat_map(|w| [count(&value(opened, w)), count(&value(closed, w))])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1);
    let (bar, gap, height) = (14u64, 8u64, 120u64);
    let width = u64::try_from(weeks.len()).unwrap_or(0) * (2 * bar + gap) + gap;
    let h = |f: &Figure<Cell>| match f {
        Figure::Shown(c) => c.count().map_or(4, |n| n.saturating_mul(height) / max),
        Figure::InsufficientContributors => 0,
    };
    let fill = |f: &Figure<Cell>, colour: &'static str| {
        if count(f).is_some() {
            colour
        } else {
            "#b5b5b5"
        }
    };
    html! {
        figure.grafiek-svg {
            svg #doorstroom-grafiek viewBox={ "0 0 " (width) " " (height + 24) } role="img" aria-labelledby="doorstroom-titel" {
                title #doorstroom-titel { (lang.t("Geopende en gesloten escalaties per week", "Escalations opened and closed per week")) }
                line x1="0" y1=(height) x2=(width) y2=(height) stroke="#555" stroke-width="1" {}
                @for (i, w) in weeks.iter().enumerate() {
                    @let x = u64::try_from(i).unwrap_or(0) * (2 * bar + gap) + gap;
                    @let (vo, vc) = (value(opened, w), value(closed, w));
                    rect.geopend x=(x) y=(height - h(&vo)) width=(bar) height=(h(&vo)) fill=(fill(&vo, "#1f5f9e")) {}
                    rect.gesloten x=(x + bar) y=(height - h(&vc)) width=(bar) height=(h(&vc)) fill=(fill(&vc, "#3b8a3b")) {}
                    @if i % 2 == 0 {
                        text x=(x) y=(height + 16) font-size="10" fill="#333" { (w.split_once("-W").map_or(w.as_str(), |(_, n)| n)) }
                    }
                }
            }
            figcaption {
                span.sleutel.geopend aria-hidden="true" {} (lang.t("geopend", "opened")) " "
                span.sleutel.gesloten aria-hidden="true" {} (lang.t("gesloten", "closed")) " · "
                (lang.t("grijs: afgeschermd (minder dan 5)", "grey: suppressed (fewer than 5)"))
            }
        }
        div.tabel {
            table #doorstroom {
                caption { (lang.t("Geopend en gesloten per week", "Opened and closed per week")) }
                thead { tr {
                    th scope="col" { (lang.t("Week", "Week")) }
                    th scope="col" { (lang.t("Geopend", "Opened")) }
                    th scope="col" { (lang.t("Gesloten", "Closed")) }
                } }
                tbody {
                    @for w in weeks {
                        tr id={ "week-" (w) } {
                            th scope="row" { (words.week(w)) }
                            td { (cell_text(lang, &value(opened, w)).1) }
                            td { (cell_text(lang, &value(closed, w)).1) }
                        }
                    }
                }
            }
        }
    }
}

/// How a figure's key is said.
type Label<'a> = dyn Fn(&str) -> String + 'a;

/// Every figure the view shows, as (figure, what, value): exactly what the screen shows, so
/// the export holds no more than the suppressed view.
fn shown_figures(words: &Words, v: &ops::oversight::StagnationView) -> Vec<[String; 3]> {
    let lang = words.lang;
    let f = &v.figures;
    let mut out = Vec::new();
    let (_, overdue) = cell_text(lang, &f.overdue_steps);
    out.push([
        lang.t("Te late stappen", "Overdue steps").to_owned(),
        String::new(),
        overdue,
    ]);
    for (name, q) in [
        (
            lang.t("Tijd in de huidige stap", "Time in the current step"),
            &f.age_in_step_days,
        ),
        (
            lang.t("Tijd tot oppakken", "Time to pick-up"),
            &f.time_to_pickup_days,
        ),
        (
            lang.t("Tijd tot afsluiten", "Time to closing"),
            &f.time_to_close_days,
        ),
    ] {
        out.push([name.to_owned(), String::new(), words.spread(q)]);
    }
    for (k, q) in &f.lead_time_days_per_step {
        out.push([
            lang.t("Doorlooptijd per stap", "Lead time per step")
                .to_owned(),
            words.step_name(k),
            words.spread(q),
        ]);
    }
    let maps: [(&str, &Cells, &Label); 8] = [
        (
            lang.t(
                "Open escalaties per stap en situatie",
                "Open escalations by step and situation",
            ),
            &f.open_by_step_situation,
            &|k| words.step_situation(k),
        ),
        (
            lang.t(
                "Open escalaties per paar organisaties",
                "Open escalations by pair of organisations",
            ),
            &f.open_by_pair,
            &|k| words.pair(k),
        ),
        (
            lang.t("Geopend per week", "Opened per week"),
            &f.opened_per_week,
            &|k| words.week(k),
        ),
        (
            lang.t("Gesloten per week", "Closed per week"),
            &f.closed_per_week,
            &|k| words.week(k),
        ),
        (
            lang.t("Geopend per maand", "Opened per month"),
            &f.opened_per_month,
            &|k| words.month(k),
        ),
        (
            lang.t("Gesloten per maand", "Closed per month"),
            &f.closed_per_month,
            &|k| words.month(k),
        ),
        (lang.t("Knelpunten", "Bottlenecks"), &f.bottlenecks, &|k| {
            words.bottleneck(k)
        }),
        (
            lang.t("Kwesties per soort", "Kwesties by kind"),
            &f.kwestie_categories,
            &|k| words.category(k),
        ),
    ];
    for (name, cells, label) in maps {
        match cells {
            Figure::Shown(m) => {
                for (k, c) in m {
                    out.push([
                        name.to_owned(),
                        label(k),
                        cell_text(lang, &Figure::Shown(*c)).1,
                    ]);
                }
            }
            Figure::InsufficientContributors => out.push([
                name.to_owned(),
                String::new(),
                cell_text(lang, &Figure::InsufficientContributors).1,
            ]),
        }
    }
    out
}

/// The view for the period the screen asks for.
async fn view_for(
    site: &Site,
    ctx: &Ctx,
    user: &User,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<
    (
        PeriodQuery,
        doorbraak_model::oversight::Period,
        ops::oversight::StagnationView,
    ),
    Box<Response>,
> {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return Err(Box::new(error_page(site, ctx, &HttpError::from(e)))),
    };
    let period = match q.period() {
        Ok(p) => p,
        Err(e) => return Err(Box::new(error_page(site, ctx, &e))),
    };
    match ops::oversight::stagnation(&site.node, user, period).await {
        Ok(v) => Ok((q, period, v)),
        Err(e) => Err(Box::new(failed(site, ctx, e))),
    }
}

pub(super) async fn stagnation(
    State(site): Web,
    a: Authed,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let (q, period, v) = match view_for(&site, &ctx, &user, q).await {
        Ok(x) => x,
        Err(page) => return *page,
    };
    let trend = match ops::oversight::trend(&site.node, &user).await {
        Ok(t) => t,
        Err(e) => return failed(&site, &ctx, e),
    };
    let lang = ctx.lang;
    let words = Words { site: &site, lang };
    let now = site.node.now();
    let today = time::date(now);
    let ago = |days: i64| {
        today
            .checked_sub(jiff::Span::new().days(days))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let presets = [
        (lang.t("laatste 4 weken", "last 4 weeks"), ago(27)),
        (lang.t("laatste 13 weken", "last 13 weeks"), ago(90)),
        (lang.t("laatste 52 weken", "last 52 weeks"), ago(363)),
    ];
    let f = &v.figures;
    let (_, overdue_text) = cell_text(lang, &f.overdue_steps);
    let weeks = period.weeks(now);
    let content = html! {
        p.hint {
            (ctx.t("Geaggregeerd over de organisaties van de regio; geen casus verlaat haar organisatie. Aantallen onder ", "Aggregated over the region's organisations; no case leaves its organisation. Counts below "))
            (v.suppressed_below) (ctx.t(" zijn afgeschermd; een cijfer wordt alleen getoond als minstens ", " are suppressed; a figure is shown only if at least "))
            (v.min_organisations) (ctx.t(" organisaties bijdragen.", " organisations contribute."))
        }
        form.zoek.filters #periode method="get" action="/sturing" aria-label=(ctx.t("Periode", "Period")) {
            div {
                label for="van" { (ctx.t("Vanaf", "From")) }
                input #van type="date" name="van" value=(q.van.clone().unwrap_or_default());
            }
            div {
                label for="tot" { (ctx.t("Tot en met", "Up to and including")) }
                input #tot type="date" name="tot" value=(q.tot.clone().unwrap_or_default());
            }
            button.utrecht-button--secondary-action #periode-tonen type="submit" { (ctx.t("Tonen", "Show")) }
            p.snel {
                @for (name, from) in &presets { a href={ "/sturing?van=" (from) "&tot=" (today) } { (name) } " · " }
                a href="/sturing" { (ctx.t("alles", "everything")) }
            }
        }
        p.hint #periode-uitleg {
            @if period == doorbraak_model::oversight::Period::ALL {
                (ctx.t("Periode: alles. ", "Period: everything. "))
            } @else {
                (ctx.t("Periode: ", "Period: "))
                (q.van.clone().unwrap_or_else(|| "…".into())) " – " (q.tot.clone().unwrap_or_else(|| "…".into())) ". "
            }
            (ctx.t("De periode geldt voor wat er gebeurde (geopend, opgepakt, afgerond, gesloten, gemeld); open escalaties en te late stappen zijn de stand van nu.", "The period applies to what happened (opened, picked up, ended, closed, raised); open escalations and overdue steps are as they stand now."))
        }
        p { a #exporteren href={ "/sturing.csv?" (q.query()) } { (ctx.t("Getoonde cijfers exporteren (CSV)", "Export the figures shown (CSV)")) } }
        @if !v.missing.is_empty() {
            div.melding.fout role="alert" #ontbreekt {
                (ctx.t("Onvolledig: van deze organisaties is geen antwoord: ", "Incomplete: no answer from these organisations: "))
                @for m in &v.missing { (m.name) " " }
            }
        }
        @if !v.stale.is_empty() {
            div.melding role="status" #eerder {
                (ctx.t("Niet op tijd; meegeteld met hun laatste antwoord: ", "Not in time; counted with their last answer: "))
                ul {
                    @for st in &v.stale {
                        li {
                            (st.name) " — "
                            @match st.answered_at.parse::<doorbraak_model::Timestamp>() {
                                Ok(at) => { (ctx.t("antwoord van ", "answer of ")) (doorbraak_app::time::moment(at, ctx.lang)) }
                                Err(_) => { (st.answered_at) }
                            }
                        }
                    }
                }
            }
        }
        div.kaarten {
            div.kaart { h2 { (ctx.t("Te late stappen", "Overdue steps")) } p.groot #te-laat { (overdue_text) } }
            div.kaart {
                h2 { (ctx.t("Tijd in de huidige stap", "Time in the current step")) }
                p.groot #mediaan { (words.spread(&f.age_in_step_days)) }
            }
            div.kaart {
                h2 { (ctx.t("Tijd tot oppakken", "Time to pick-up")) }
                p.groot #tot-oppakken { (words.spread(&f.time_to_pickup_days)) }
            }
            div.kaart {
                h2 { (ctx.t("Tijd tot afsluiten", "Time to closing")) }
                p.groot #tot-afsluiten { (words.spread(&f.time_to_close_days)) }
            }
        }
        (bars(lang, "open", ctx.t("Open escalaties per stap en situatie", "Open escalations by step and situation"), &f.open_by_step_situation, &|k| words.step_situation(k)))
        (bars(lang, "paren", ctx.t("Waar het stagneert: open escalaties per paar organisaties", "Where it stagnates: open escalations by pair of organisations"), &f.open_by_pair, &|k| words.pair(k)))
        p.hint { (ctx.t("Een paar leest als: de organisatie die opschaalde → de organisatie waarbij het vastloopt.", "A pair reads: the organisation that escalated → the organisation where it is stuck.")) }
        h2 { (ctx.t("Doorstroom: geopend en gesloten per week", "Throughput: opened and closed per week")) }
        (throughput_chart(&words, &weeks, &f.opened_per_week, &f.closed_per_week))
        h2 { (ctx.t("Doorlooptijd per stap (van inzetten tot uitkomst)", "Lead time per step (from invocation to outcome)")) }
        @if f.lead_time_days_per_step.is_empty() { p { (ctx.t("Nog geen afgeronde stappen.", "No ended steps yet.")) } }
        ul #doorlooptijd {
            @for (k, q) in &f.lead_time_days_per_step {
                li { (words.step_name(k)) ": " (words.spread(q)) }
            }
        }
        (bars(lang, "geopend", ctx.t("Geopende escalaties per maand", "Escalations opened per month"), &f.opened_per_month, &|k| words.month(k)))
        (bars(lang, "gesloten", ctx.t("Gesloten escalaties per maand", "Escalations closed per month"), &f.closed_per_month, &|k| words.month(k)))
        (bars(lang, "knelpunten", ctx.t("Knelpunten van gesloten escalaties", "Bottlenecks of closed escalations"), &f.bottlenecks, &|k| words.bottleneck(k)))
        (bars(lang, "kwesties", ctx.t("Kwesties per soort", "Kwesties by kind"), &f.kwestie_categories, &|k| words.category(k)))
        @if !f.structural_candidates.is_empty() {
            h2 { (ctx.t("Mogelijk structurele knelpunten", "Possibly structural bottlenecks")) }
            ul { @for s in &f.structural_candidates { li { (words.bottleneck(&s.bottleneck)) " — " (s.organisations) (ctx.t(" organisaties", " organisations")) } } }
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
        p.hint { (ctx.t("Berekend: ", "Computed: ")) (v.generated_at.parse::<Timestamp>().map(|t| time::moment(t, lang)).unwrap_or_else(|_| v.generated_at.clone())) }
    };
    let title = ctx
        .t(
            "Waar de samenwerking stagneert",
            "Where cooperation stagnates",
        )
        .to_owned();
    page(&site, &ctx, &title, content)
}

/// The figures the view shows, as CSV: only what the screen shows (suppressed as it shows it).
pub(super) async fn stagnation_csv(
    State(site): Web,
    a: Authed,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let (q, _, v) = match view_for(&site, &ctx, &user, q).await {
        Ok(x) => x,
        Err(page) => return *page,
    };
    let words = Words {
        site: &site,
        lang: ctx.lang,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        ctx.t("cijfer", "figure"),
        ctx.t("wat", "what"),
        ctx.t("waarde", "value"),
    ];
    let mut ok = w.write_record(head).is_ok();
    ok &= w
        .write_record([
            ctx.t("periode", "period").to_owned(),
            format!(
                "{} – {}",
                q.van.as_deref().unwrap_or("…"),
                q.tot.as_deref().unwrap_or("…")
            ),
            String::new(),
        ])
        .is_ok();
    for row in shown_figures(&words, &v) {
        ok &= w
            .write_record(row.iter().map(|c| super::admin::csv_cell(c)))
            .is_ok();
    }
    super::admin::csv_response(&site, &ctx, w, ok, "stagnatie.csv")
}

// ------------------------------------------------------------------ recommendations

/// The filters of the recommendations register.
const REGISTER_FILTERS: lists::Offers = lists::Offers {
    kind: StreamKind::Recommendation,
    step_and_situation: false,
    party: false,
    responsible: false,
};

pub(super) async fn recommendations(
    State(site): Web,
    a: Authed,
    q: Result<Query<lists::ListParams>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let (q, filter) = match lists::read(&site, &ctx, q, REGISTER_FILTERS) {
        Ok(x) => x,
        Err(page) => return *page,
    };
    let found =
        match ops::lists::typed_page::<doorbraak_model::Recommendation>(&site.node, &user, &filter)
            .await
        {
            Ok(r) => r,
            Err(e) => return failed(&site, &ctx, e),
        };
    let rows = &found.rows;
    // the statuses a recommendation can move on to
    let statuses: Vec<(&str, &str)> = Status::of(StreamKind::Recommendation)
        .iter()
        .filter(|s| **s != Status::Open)
        .map(|s| (s.code(), status_label(ctx.lang, *s)))
        .collect();
    let content = html! {
        (lists::filter_bar(&site, &ctx, "/aanbevelingen", &q, REGISTER_FILTERS))
        (lists::pager(&ctx, "/aanbevelingen", &q, &found, "aanbevelingen", "recommendations"))
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
                        @let status = r.status;
                        tr {
                            td {
                                strong { (rec.title) } br; (rec.text)
                                @if !rec.follow_up.is_empty() {
                                    details.geschiedenis {
                                        summary { (ctx.t("Geschiedenis", "History")) " (" (rec.follow_up.len()) ")" }
                                        ol {
                                            @for fu in &rec.follow_up {
                                                li {
                                                    (doorbraak_app::time::moment(fu.at, ctx.lang)) " — "
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
                            td { (status_badge(ctx.lang, r.overdue, status)) }
                            td {
                                @if status.is_open() {
                                    form method="post" action={ "/aanbevelingen/" (r.id) "/status" } {
                                        (ctx.csrf_field())
                                        label for={ "status-" (i) } { span.sr { (ctx.t("Nieuwe status", "New status")) } }
                                        select id={ "status-" (i) } name="status" {
                                            @for (code, label) in &statuses { option value=(code) { (label) } }
                                        }
                                        label for={ "notitie-" (i) } { span.sr { (ctx.t("Toelichting", "Note")) } }
                                        input id={ "notitie-" (i) } name="note" required maxlength="2000" placeholder=(ctx.t("toelichting", "note"));
                                        button.utrecht-button--primary-action type="submit" { (ctx.t("Opslaan", "Save")) }
                                    }
                                    details.voortgang {
                                        summary { (ctx.t("Voortgang noteren", "Note progress")) }
                                        form method="post" action={ "/aanbevelingen/" (r.id) "/voortgang" } {
                                            (ctx.csrf_field())
                                            label for={ "voortgang-" (i) } { (ctx.t("Wat is er gedaan? (de status blijft)", "What was done? (the status stays)")) }
                                            textarea id={ "voortgang-" (i) } name="note" rows="2" required maxlength="2000" {}
                                            button.utrecht-button--primary-action id={ "voortgang-opslaan-" (i) } type="submit" { (ctx.t("Noteren", "Save")) }
                                        }
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
            button.utrecht-button--primary-action #aanbeveling-toevoegen type="submit" { (ctx.t("Toevoegen", "Add")) }
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
            .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    after_command(
        Some("aanbeveling-toevoegen"),
        &site,
        &ctx,
        "/aanbevelingen",
        r,
        "Aanbeveling toegevoegd",
        "Recommendation added",
    )
    .await
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
            .map_err(HttpError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    after_command(
        None,
        &site,
        &ctx,
        "/aanbevelingen",
        r,
        "Status opgeslagen",
        "Status saved",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct FollowUpForm {
    #[serde(default)]
    pub note: String,
}

/// Progress on a recommendation without changing its status (its history gains a line).
pub(super) async fn recommendation_follow_up(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<FollowUpForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = match key.scoped(&user) {
        Ok(key) => ops::register::command(
            &site.node,
            &user,
            &id,
            doorbraak_model::RecommendationCommand::AddFollowUp { note: f.note },
            "follow_up",
            key.as_ref(),
        )
        .await
        .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    after_command(
        None,
        &site,
        &ctx,
        "/aanbevelingen",
        r,
        "Voortgang genoteerd",
        "Progress noted",
    )
    .await
}
