//! Records: retention terms, destruction lists (approved or rejected here by the director),
//! the declaration of destruction, and the inzage export of a case.

use super::*;

use doorbraak_app::views::records::{DestructionList, RetainedRow};

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "escalation" => lang.t("Escalatie", "Escalation"),
        "kwestie" => lang.t("Kwestie", "Kwestie"),
        "minutes" => lang.t("Overleg", "Meeting"),
        _ => lang.t("Dossier", "Record"),
    }
}

fn status_label(lang: Lang, status: &str) -> &'static str {
    match status {
        "proposed" => lang.t("wacht op besluit", "awaiting a decision"),
        "approved" => lang.t("goedgekeurd en uitgevoerd", "approved and carried out"),
        "rejected" => lang.t("afgewezen", "rejected"),
        _ => "—",
    }
}

fn retained_table(ctx: &Ctx, id: &str, caption: &str, rows: &[RetainedRow]) -> Markup {
    html! {
        div.tabel {
            table id=(id) {
                caption { (caption) " (" (rows.len()) ")" }
                thead { tr {
                    th scope="col" { (ctx.t("Soort", "Kind")) }
                    th scope="col" { (ctx.t("Casus", "Case")) }
                    th scope="col" { (ctx.t("Afgesloten", "Closed")) }
                    th scope="col" { (ctx.t("Bewaartermijn", "Retention term")) }
                    th scope="col" { (ctx.t("Vernietigen vanaf", "Destroy from")) }
                    th scope="col" { (ctx.t("Stand", "State")) }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            td { (kind_label(ctx.lang, &r.stream_kind)) " " code.klein { (r.stream_id) } }
                            td { (r.case_ref.as_deref().unwrap_or("—")) }
                            td { (time::day(r.closed_at, ctx.lang)) }
                            td { (r.years) (ctx.t(" jaar — ", " years — ")) (r.basis) }
                            td { (time::day(r.destroy_on, ctx.lang)) }
                            td {
                                @if let Some(at) = r.destroyed_at { (ctx.t("vernietigd op ", "destroyed on ")) (time::day(at, ctx.lang)) }
                                @else if r.held { strong { (ctx.t("juridische bewaarplicht", "legal hold")) } }
                                @else { (ctx.t("bewaard", "kept")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The records overview: destruction lists, what is due, every term.
pub(super) async fn records_page(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let o = match ops::records::overview(&site.node, &user).await {
        Ok(o) => o,
        Err(e) => return failed(&site, &ctx, e),
    };
    let content = html! {
        p.hint { (ctx.t(
            "Elk afgesloten dossier krijgt een bewaartermijn en een vernietigingsdatum. Wat aan de beurt is, zet de node op een vernietigingslijst; de directeur keurt die goed of wijst hem af. Na goedkeuring wordt de inhoud gewist, hier en bij iedere partij; alleen de gegevens over de vernietiging blijven.",
            "Every closed record gets a retention term and a destruction date. What is due, the node puts on a destruction list; the director approves or rejects it. Once approved, the content is erased, here and at every party; only the destruction metadata remains.")) }
        h2 { (ctx.t("Vernietigingslijsten", "Destruction lists")) }
        @if o.lists.is_empty() { p #geen-lijsten { (ctx.t("Er is nog geen vernietigingslijst.", "There is no destruction list yet.")) } }
        @else {
            ul #lijsten {
                @for l in &o.lists {
                    li {
                        a href={ "/vernietiging/" (l.id) } { (ctx.t("Lijst van ", "List of ")) (time::moment(l.proposed_at, ctx.lang)) }
                        " — " (l.items.len()) (ctx.t(" dossiers, ", " records, ")) (status_label(ctx.lang, &l.status))
                    }
                }
            }
        }
        h2 { (ctx.t("Nu aan de beurt", "Due now")) }
        (retained_table(&ctx, "aan-de-beurt", ctx.t("Bewaartermijn verstreken, nog niet op een lijst", "Term ended, not on a list yet"), &o.due))
        h2 { (ctx.t("Alle bewaartermijnen", "Every retention term")) }
        (retained_table(&ctx, "termijnen", ctx.t("Afgesloten dossiers", "Closed records"), &o.retained))
    };
    page(
        &site,
        &ctx,
        ctx.t("Bewaren en vernietigen", "Retention and destruction"),
        content,
    )
}

fn list_markup(ctx: &Ctx, site: &Site, l: &DestructionList, may_decide: bool) -> Markup {
    html! {
        p #lijst-status { strong { (status_label(ctx.lang, &l.status)) }
            @if let (Some(by), Some(at)) = (&l.decided_by, l.decided_at) { " — " (by) ", " (time::moment(at, ctx.lang)) } }
        div.tabel {
            table #lijst {
                caption { (l.items.len()) (ctx.t(" dossiers", " records")) }
                thead { tr {
                    th scope="col" { (ctx.t("Soort", "Kind")) }
                    th scope="col" { (ctx.t("Casus", "Case")) }
                    th scope="col" { (ctx.t("Afgesloten", "Closed")) }
                    th scope="col" { (ctx.t("Termijn", "Term")) }
                    th scope="col" { (ctx.t("Uitkomst", "Outcome")) }
                    th scope="col" { (ctx.t("Nog niet bevestigd door", "Not yet confirmed by")) }
                } }
                tbody {
                    @for i in &l.items {
                        tr {
                            td { (kind_label(ctx.lang, &i.stream_kind)) " " code.klein { (i.stream_id) } }
                            td { (i.case_ref.as_deref().unwrap_or("—")) }
                            td { (time::day(i.closed_at, ctx.lang)) }
                            td { (i.years) (ctx.t(" jaar — ", " years — ")) (i.basis) }
                            td { @match i.outcome.as_deref() {
                                Some("destroyed") => (ctx.t("vernietigd", "destroyed")),
                                Some(o) => { (ctx.t("niet vernietigd: ", "not destroyed: ")) code.klein { (o.trim_start_matches("skipped:")) } }
                                None => "—",
                            } }
                            td { @if i.unconfirmed.is_empty() { "—" } @else {
                                (i.unconfirmed.iter().map(|o| org_name(site, o)).collect::<Vec<_>>().join(", "))
                            } }
                        }
                    }
                }
            }
        }
        @if may_decide && l.status == "proposed" {
            p.hint { (ctx.t("Goedkeuren vernietigt alle dossiers op deze lijst nu, hier en bij iedere partij. Dat kan niet ongedaan worden gemaakt.", "Approving destroys every record on this list now, here and at every party. It cannot be undone.")) }
            div.knoppen {
                form.actie method="post" action={ "/vernietiging/" (l.id) "/goedkeuren" } {
                    (ctx.csrf_field())
                    button.utrecht-button--primary-action #goedkeuren type="submit" { (ctx.t("Lijst goedkeuren en vernietigen", "Approve the list and destroy")) }
                }
                form.actie method="post" action={ "/vernietiging/" (l.id) "/afwijzen" } {
                    (ctx.csrf_field())
                    button.utrecht-button--secondary-action #afwijzen type="submit" { (ctx.t("Lijst afwijzen", "Reject the list")) }
                }
            }
        }
        p { a #verklaring href={ "/vernietiging/" (l.id) "/verklaring" } { (ctx.t("Verklaring van vernietiging (afdrukken)", "Declaration of destruction (print)")) } }
    }
}

/// One destruction list, with its decision for the director.
pub(super) async fn destruction_page(
    State(site): Web,
    a: Authed,
    Path(id): Path<String>,
) -> Response {
    let Authed { ctx, user } = a;
    let l = match ops::records::list(&site.node, &user, &id).await {
        Ok(l) => l,
        Err(e) => return failed(&site, &ctx, e),
    };
    let may_decide = doorbraak_model::records::check_responsible(Some(user.role), "decide").is_ok();
    let content = list_markup(&ctx, &site, &l, may_decide);
    page(
        &site,
        &ctx,
        ctx.t("Vernietigingslijst", "Destruction list"),
        content,
    )
}

async fn decide(site: Arc<Site>, a: Authed, id: String, approve: bool) -> Response {
    let Authed { ctx, user } = a;
    match ops::records::decide(&site.node, &user, &id, approve).await {
        Ok(l) => {
            let done = l
                .items
                .iter()
                .filter(|i| i.outcome.as_deref() == Some("destroyed"))
                .count();
            if approve {
                site.flash(
                    &ctx,
                    true,
                    format!("Vernietigd: {done} van {} dossiers", l.items.len()),
                    format!("Destroyed: {done} of {} records", l.items.len()),
                )
                .await;
            } else {
                site.flash(&ctx, true, "Lijst afgewezen", "List rejected")
                    .await;
            }
        }
        Err(e) => site.flash_error(&ctx, &e.into()).await,
    }
    see_other(&format!("/vernietiging/{}", urlencode(&id)))
}

pub(super) async fn destruction_approve(
    State(site): Web,
    a: Authed,
    Path(id): Path<String>,
) -> Response {
    decide(site, a, id, true).await
}

pub(super) async fn destruction_reject(
    State(site): Web,
    a: Authed,
    Path(id): Path<String>,
) -> Response {
    decide(site, a, id, false).await
}

/// The printable declaration of destruction.
pub(super) async fn destruction_declaration(
    State(site): Web,
    a: Authed,
    Path(id): Path<String>,
) -> Response {
    let Authed { ctx, user } = a;
    match ops::records::declaration(&site.node, &user, &id).await {
        Ok((l, approver)) => crate::record::page(crate::record::declaration(
            &l,
            &site.node.settings.name,
            &approver,
        )),
        Err(e) => failed(&site, &ctx, e),
    }
}

/// The printable inzage of a case (the director).
pub(super) async fn inzage_page(
    State(site): Web,
    a: Authed,
    Path(case_ref): Path<String>,
) -> Response {
    let Authed { ctx, user } = a;
    match ops::records::inzage(&site.node, &user, &case_ref).await {
        Ok(i) => crate::record::page(crate::record::inzage(&i, &site.node.settings.name)),
        Err(e) => failed(&site, &ctx, e),
    }
}
