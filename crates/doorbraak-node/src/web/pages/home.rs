//! The start page: what waits for me, reminders, my work.

use super::*;

// ------------------------------------------------------------------ start page

pub(super) async fn home(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let u = &user;
    let mut waiting: Vec<Markup> = Vec::new();
    let mut problems: Vec<ApiError> = Vec::new();
    // escalations waiting for my organisation to pick them up, in my role (for the roles that
    // read escalations at all)
    let reads_escalations = crate::app::content_access(u.role, ContentKind::Escalation)
        != crate::app::ContentAccess::Never;
    if reads_escalations {
        let open = doorbraak_store::ListFilter {
            status: Some("open".into()),
            ..all_rows()
        };
        match ops::escalations::list(&site.node, u, &open).await {
            Ok(rows) => {
                for ops::lists::Listed { state: e, .. } in rows {
                    let Some(cur) = e.current() else { continue };
                    let mine = e.waits_for_pickup_by(&site.node.actor(u), site.node.now());
                    if mine {
                        waiting.push(html! {
                            li.wacht {
                                a href={ "/escalaties/" (e.id) } {
                                    (ctx.t("Escalatie op te pakken: ", "Escalation to pick up: "))
                                    (org_name(&site, e.home.oin.as_str())) " · " (e.case_ref.as_str()) " · " (step_label(ctx.lang, cur.step))
                                }
                                " " (status_badge(ctx.lang, cur.is_overdue(site.node.now()), "open"))
                                " " span.termijn { (ctx.t("oppakken vóór ", "pick up before ")) (deadline(&ctx, cur.pickup_deadline, site.node.now())) }
                            }
                        });
                    }
                }
            }
            Err(e) => problems.push(e.into()),
        }
    }
    // kwesties waiting to be picked up: by the team manager, or (escalated) by the board
    let kwestie_status = match u.role {
        Role::TeamManager => Some("raised"),
        Role::BoardMember => Some("escalated_to_board"),
        _ => None,
    };
    if let Some(status) = kwestie_status {
        let waiting_for_me = doorbraak_store::ListFilter {
            status: Some(status.into()),
            ..all_rows()
        };
        match ops::kwesties::list(&site.node, u, &waiting_for_me).await {
            Ok(rows) => {
                for ops::lists::Listed { row: r, state: k } in rows {
                    let obstacle: String = k.obstacle.chars().take(80).collect();
                    waiting.push(html! {
                        li.wacht {
                            a href={ "/kwesties/" (r.id) } {
                                (ctx.t("Kwestie op te pakken: ", "Kwestie to pick up: ")) (obstacle)
                            }
                            " " (status_badge(ctx.lang, r.overdue, &r.status))
                        }
                    });
                }
            }
            Err(e) => problems.push(e.into()),
        }
    }
    match ops::minutes::awaiting_me(&site.node, u).await {
        Ok(items) => {
            for i in items {
                waiting.push(html! {
                    li.wacht {
                        a href={ "/overleggen/" (i.meeting) } {
                            (ctx.t("Verslagen ter goedkeuring (versie ", "Minutes to approve (revision "))
                            (i.revision) ")"
                        }
                        @if i.overdue { " " span.badge.te-laat { (ctx.t("te laat", "overdue")) } }
                    }
                });
            }
        }
        Err(e) => problems.push(e.into()),
    }
    let notes = match ops::reminders(&site.node, u).await {
        Ok(n) => n,
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
                        li { (time::moment_of(ctx.lang, n.created_at)) ": " (ctx.t(&n.message_nl, &n.message_en)) }
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
