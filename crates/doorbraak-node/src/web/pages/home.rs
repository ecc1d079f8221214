//! The start page: what waits for me, reminders, my work.

use super::*;

// ------------------------------------------------------------------ start page

/// The start of a text, cut at a word with "…" when it is longer than `n` characters.
fn snippet(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        return text.to_owned();
    }
    let cut: String = text.chars().take(n).collect();
    let at_word = cut
        .rfind(' ')
        .filter(|i| *i > n / 2)
        .map_or(cut.as_str(), |i| &cut[..i]);
    format!("{at_word}…")
}

/// How many lines of one group of "waiting for me" a page shows.
const PER_PAGE: usize = 10;

#[derive(Debug, Deserialize, Default)]
pub struct HomeQuery {
    /// The page of each group (1 = first), e.g. `?escalaties=2`.
    #[serde(default)]
    pub escalaties: Option<usize>,
    #[serde(default)]
    pub kwesties: Option<usize>,
    #[serde(default)]
    pub verslagen: Option<usize>,
}

/// One group of what waits for me: its title, its lines (deadline first), its page.
struct Group {
    key: &'static str,
    title: String,
    lines: Vec<(Option<Timestamp>, Markup)>,
    page: usize,
}

fn group_html(ctx: &Ctx, g: &Group) -> Markup {
    let pages = g.lines.len().div_ceil(PER_PAGE).max(1);
    let page = g.page.clamp(1, pages);
    html! {
        @if !g.lines.is_empty() {
            section.groep aria-labelledby={ "wacht-" (g.key) } {
                h3 id={ "wacht-" (g.key) } { (g.title) " " span.aantal { "(" (g.lines.len()) ")" } }
                ul {
                    @for (_, line) in g.lines.iter().skip((page - 1) * PER_PAGE).take(PER_PAGE) { (line) }
                }
                @if pages > 1 {
                    nav.paginering aria-label=(ctx.t("Pagina's", "Pages")) {
                        (ctx.t("Pagina ", "Page ")) (page) (ctx.t(" van ", " of ")) (pages) " "
                        @if page > 1 { a href={ "/?" (g.key) "=" (page - 1) } { (ctx.t("vorige", "previous")) } " " }
                        @if page < pages { a href={ "/?" (g.key) "=" (page + 1) } { (ctx.t("volgende", "next")) } }
                    }
                }
            }
        }
    }
}

pub(super) async fn home(
    State(site): Web,
    a: Authed,
    q: Result<Query<HomeQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let u = &user;
    let now = site.node.now();
    let me = site.node.actor(u);
    let mut escalations = Group {
        key: "escalaties",
        title: ctx
            .t("Escalaties op te pakken", "Escalations to pick up")
            .to_owned(),
        lines: Vec::new(),
        page: q.escalaties.unwrap_or(1),
    };
    let mut kwesties = Group {
        key: "kwesties",
        title: ctx
            .t("Kwesties op te pakken", "Kwesties to pick up")
            .to_owned(),
        lines: Vec::new(),
        page: q.kwesties.unwrap_or(1),
    };
    let mut minutes = Group {
        key: "verslagen",
        title: ctx
            .t("Verslagen ter goedkeuring", "Minutes to approve")
            .to_owned(),
        lines: Vec::new(),
        page: q.verslagen.unwrap_or(1),
    };
    let mut problems: Vec<HttpError> = Vec::new();
    // escalations waiting for me to pick them up (the model's answer), for the roles that
    // read escalations at all
    let reads_escalations = doorbraak_app::content_access(u.role, ContentKind::Escalation)
        != doorbraak_app::ContentAccess::Never;
    if reads_escalations {
        let open = doorbraak_app::views::ListFilter {
            status: Some(doorbraak_model::Status::Open),
            ..all_rows()
        };
        match ops::escalations::list(&site.node, u, &open).await {
            Ok(rows) => {
                for ops::lists::Listed { state: e, .. } in rows {
                    let Some(cur) = e.current() else { continue };
                    if !e.waits_for_pickup_by(&me, now) {
                        continue;
                    }
                    let subject = snippet(&e.question, 90);
                    escalations.lines.push((Some(cur.pickup_deadline), html! {
                        li.wacht {
                            a href={ "/escalaties/" (e.id) } { (subject) }
                            br;
                            span.klein {
                                (ctx.t("van ", "from ")) (org_name(&site, e.home.oin.as_str()))
                                " · " (e.case_ref.as_str()) " · " (step_label(ctx.lang, cur.step)) " · "
                                (ctx.t("oppakken vóór ", "pick up before ")) (deadline(&ctx, cur.pickup_deadline, now))
                            }
                            @if cur.is_overdue(now) { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                        }
                    }));
                }
            }
            Err(e) => problems.push(e.into()),
        }
    }
    // kwesties waiting to be picked up: by the team manager, or (escalated) by the board
    if let Some(status) = doorbraak_model::kwestie::KwestieStatus::picked_up_by(u.role) {
        let waiting_for_me = doorbraak_app::views::ListFilter {
            status: Some(status.into()),
            ..all_rows()
        };
        match ops::kwesties::list(&site.node, u, &waiting_for_me).await {
            Ok(rows) => {
                for ops::lists::Listed { row: r, state: k } in rows {
                    let obstacle = snippet(&k.obstacle, 90);
                    kwesties.lines.push((r.next_deadline, html! {
                        li.wacht {
                            a href={ "/kwesties/" (r.id) } { (obstacle) }
                            br;
                            span.klein {
                                (k.case_ref.as_ref().map_or("—", |c| c.as_str()))
                                @if let Some(t) = r.next_deadline { " · " (ctx.t("oppakken vóór ", "pick up before ")) (deadline(&ctx, t, now)) }
                            }
                            @if r.overdue { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                        }
                    }));
                }
            }
            Err(e) => problems.push(e.into()),
        }
    }
    match ops::minutes::awaiting_me(&site.node, u).await {
        Ok(items) => {
            for i in items {
                minutes.lines.push((i.deadline, html! {
                    li.wacht {
                        a href={ "/overleggen/" (i.meeting) } {
                            (ctx.t("Verslag ter goedkeuring, versie ", "Minutes to approve, revision ")) (i.revision)
                        }
                        @if let Some(t) = i.deadline { br; span.klein { (ctx.t("goedkeuren vóór ", "approve before ")) (deadline(&ctx, t, now)) } }
                        @if i.overdue { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                    }
                }));
            }
        }
        Err(e) => problems.push(e.into()),
    }
    // the nearest deadline first (overdue ones are the nearest)
    let groups = [escalations, kwesties, minutes].map(|mut g| {
        g.lines
            .sort_by_key(|(t, _)| t.map_or(i64::MAX, |t| t.as_second()));
        g
    });
    let total: usize = groups.iter().map(|g| g.lines.len()).sum();
    // the newest unread notices (the same as "Meldingen"; the model decides who is told) that
    // are not already work above: a passed deadline, a board offer, a change, final minutes
    let notes: Vec<_> = match ops::inbox::notices(&site.node, u).await {
        Ok(n) => n
            .into_iter()
            .filter(|n| !n.read)
            .filter(|n| {
                doorbraak_model::notify::Reason::from_code(&n.reason).is_some_and(|r| !r.is_work())
            })
            .take(5)
            .collect(),
        Err(e) => {
            problems.push(e.into());
            Vec::new()
        }
    };
    let content = html! {
        p.intro {
            (ctx.t("Welkom, ", "Welcome, ")) strong { (u.name) } " — "
            (role_label(ctx.lang, u.role)) ", " (site.node.settings.name) "."
        }
        @for p in &problems { (error_box(ctx.lang, p)) }
        section aria-labelledby="wacht-kop" {
            h2 #wacht-kop { (ctx.t("Wacht op mij", "Waiting for me")) @if total > 0 { " " span.aantal { "(" (total) ")" } } }
            @if total == 0 {
                p #niets-wacht { (ctx.t("Er wacht nu niets op u.", "Nothing is waiting for you now.")) }
            } @else {
                div #wacht { @for g in &groups { (group_html(&ctx, g)) } }
            }
        }
        @if !notes.is_empty() {
            section aria-labelledby="herinnering-kop" {
                h2 #herinnering-kop { (ctx.t("Nieuwe meldingen", "New notifications")) }
                ul {
                    @for n in &notes {
                        li {
                            a href={ "/meldingen/" (n.id) } { (ctx.t(&n.message_nl, &n.message_en)) }
                            @if let Some(c) = &n.case_ref { " · " (c) }
                            " · " (time::moment(n.created_at, ctx.lang))
                        }
                    }
                }
                p { a href="/meldingen" { (ctx.t("Alle meldingen", "All notifications")) } }
            }
        }
        section aria-labelledby="werk-kop" {
            h2 #werk-kop { (ctx.t("Mijn werk", "My work")) }
            ul.tegels {
                @match u.role {
                    Role::Professional | Role::BehaviouralScientist => {
                        li { a href="/casussen" { (ctx.t("Mijn casussen: escalatie openen of kwestie melden", "My cases: open an escalation or raise a kwestie")) } }
                        li { a href="/escalaties" { (ctx.t("Escalaties volgen", "Follow escalations")) } }
                        li { a href="/overleggen" { (ctx.t("Overleggen en verslagen", "Meetings and minutes")) } }
                    }
                    Role::TeamManager | Role::Director | Role::BoardMember => {
                        li { a href="/team" { (ctx.t("Teamoverzicht en agenda van het teamoverleg", "Team overview and team-meeting agenda")) } }
                        li { a href="/escalaties" { (ctx.t("Escalaties", "Escalations")) } }
                        li { a href="/overleggen" { (ctx.t("Overleggen en verslagen ter goedkeuring", "Meetings and minutes to approve")) } }
                    }
                    Role::Alderman | Role::CivilServant => {
                        li { a href="/sturing" { (ctx.t("Waar de samenwerking stagneert", "Where cooperation stagnates")) } }
                        li { a href="/overleggen" { (ctx.t("Overleggen waaraan u deelneemt", "Meetings you take part in")) } }
                    }
                    Role::RegionalMediator => {
                        li { a href="/escalaties" { (ctx.t("Escalaties waarin u bemiddelt", "Escalations you mediate in")) } }
                        li { a href="/overleggen" { (ctx.t("Overleggen waaraan u deelneemt", "Meetings you take part in")) } }
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
    page(&site, &ctx, &title, content)
}
