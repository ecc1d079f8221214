//! Meetings and minutes: drafts, revisions with their differences, circulation, signed
//! approval, change requests, the printable record.

use super::*;
use crate::http::IdemKey;
use doorbraak_model::MinutesCommand;

// ------------------------------------------------------------------ meetings and minutes

/// The filters of the meeting list.
const MEETING_FILTERS: lists::Offers = lists::Offers {
    kind: StreamKind::Minutes,
    step_and_situation: false,
    party: true,
    responsible: false,
};

pub(super) async fn meetings(
    State(site): Web,
    a: Authed,
    q: Result<Query<lists::ListParams>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let (q, filter) = match lists::read(&site, &ctx, q, MEETING_FILTERS) {
        Ok(x) => x,
        Err(page) => return *page,
    };
    let found = match ops::lists::typed_page::<Minutes>(&site.node, &user, &filter).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let rows = &found.rows;
    let content = html! {
        (lists::filter_bar(&site, &ctx, "/overleggen", &q, MEETING_FILTERS))
        (lists::pager(&ctx, "/overleggen", &q, &found, "overleggen", "meetings"))
        @if rows.is_empty() { p { (ctx.t("Geen overleggen.", "No meetings.")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("Overleg", "Meeting")) }
                    th scope="col" { (ctx.t("Agenda", "Agenda")) }
                    th scope="col" { (ctx.t("Stap", "Step")) }
                    th scope="col" { (ctx.t("Verslag", "Minutes")) }
                    th scope="col" { (ctx.t("Goedkeuren vóór", "Approve before")) }
                } }
                tbody {
                    @for ops::lists::Listed { row: r, state } in rows {
                        @let m = Some(state);
                        tr {
                            td { a href={ "/overleggen/" (r.id) } { (m.as_ref().map(|m| time::moment(m.meeting.date, ctx.lang)).unwrap_or_else(|| r.id.clone())) } }
                            td.onderwerp { (super::escalations::subject_line(&state.meeting.agenda)) }
                            td { (m.as_ref().map(|m| step_label(ctx.lang, m.meeting.step)).unwrap_or_default()) }
                            td { (status_badge(ctx.lang, r.overdue, r.status)) }
                            td { @if let Some(t) = r.next_deadline { (deadline(&ctx, t, site.node.now())) } }
                        }
                    }
                }
            }
        }
    };
    let title = ctx.t("Overleggen", "Meetings").to_owned();
    page(&site, &ctx, &title, content)
}

/// A line diff between two revisions, as `<del>`/`<ins>` lines.
pub(super) fn diff(old: &str, new: &str) -> Markup {
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

pub(super) async fn meeting_page(State(site): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let id = match http::uuid(&id) {
        Ok(i) => i.to_string(),
        Err(e) => return error_page(&site, &ctx, &e),
    };
    let m = match site.node.read::<Minutes>(&user, &id).await {
        Ok(l) => l.state,
        Err(e) => return error_page(&site, &ctx, &HttpError::from(e)),
    };
    let me = PersonId::new(user.id.clone());
    let i_participate = m
        .meeting
        .participants
        .iter()
        .any(|p| p.person == me && &p.org == site.node.oin());
    let doc = m.main.as_ref();
    let base = format!("/overleggen/{id}");
    let content = html! {
        dl.gegevens {
            dt { (ctx.t("Datum", "Date")) } dd { (time::moment(m.meeting.date, ctx.lang)) }
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
                        td { (org_name(&site, p.org.as_str())) }
                        td {
                            @if let Some(a) = appr {
                                (ctx.t("versie ", "revision ")) (a.revision) ", " (time::moment(a.at, ctx.lang))
                                @if a.signature.is_some() { " · " (ctx.t("ondertekend", "signed")) }
                            } @else { "—" }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Verslag", "Minutes")) }
        @match doc {
            None => {
                p { (ctx.t("Nog geen verslag.", "No minutes yet.")) }
                @if i_participate {
                    form.formulier method="post" action={ (base) "/verslag" } {
                        (ctx.csrf_field())
                        label for="notulen-tekst" { (ctx.t("Conceptverslag", "Draft minutes")) }
                        textarea #notulen-tekst name="content" rows="8" required maxlength=(doorbraak_model::text::MAX_TEXT) {}
                        button.utrecht-button--primary-action #notulen-opslaan type="submit" { (ctx.t("Concept opslaan", "Save draft")) }
                    }
                }
            }
            Some(d) => {
                (doc_block(&site, &ctx, &m, &me, DocTarget::Main, d, i_participate, &base))
                @if d.is_final() {
                    h2 { (ctx.t("Aanvullingen", "Addenda")) }
                    p.hint { (ctx.t("Een vastgesteld verslag wordt nooit gewijzigd; een correctie is een aanvulling die dezelfde goedkeuring doorloopt.", "Final minutes are never edited; a correction is an addendum that goes through the same approval.")) }
                    @for (i, a) in m.addenda.iter().enumerate() {
                        @let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                        section.aanvulling id={ "aanvulling-" (n) } {
                            h3 { (ctx.t("Aanvulling ", "Addendum ")) (n) }
                            (doc_block(&site, &ctx, &m, &me, DocTarget::Addendum(n), a, i_participate, &base))
                        }
                    }
                    @if i_participate {
                        details.actie #aanvulling {
                            summary { (ctx.t("Aanvulling toevoegen", "Add an addendum")) }
                            form method="post" action={ (base) "/aanvullingen" } {
                                (ctx.csrf_field())
                                label for="aanvulling-tekst" { (ctx.t("Tekst van de aanvulling", "Text of the addendum")) }
                                textarea #aanvulling-tekst name="content" rows="4" required maxlength=(doorbraak_model::text::MAX_TEXT) {}
                                button.utrecht-button--primary-action #aanvulling-opslaan type="submit" { (ctx.t("Aanvulling opslaan", "Save the addendum")) }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = ctx.t("Overleg", "Meeting").to_owned();
    page(&site, &ctx, &title, content)
}

/// The ids of one document's controls: the minutes proper keep the short ids, addendum `n`
/// gets the suffix `-aanvulling-n`.
fn doc_id(target: DocTarget, name: &str) -> String {
    match target {
        DocTarget::Main => name.to_owned(),
        DocTarget::Addendum(n) => format!("{name}-aanvulling-{n}"),
    }
}

/// How a form names a document: `0` for the minutes proper, `n` for addendum `n`.
fn doc_value(target: DocTarget) -> u32 {
    match target {
        DocTarget::Main => 0,
        DocTarget::Addendum(n) => n,
    }
}

fn doc_target(n: Option<u32>) -> DocTarget {
    match n {
        None | Some(0) => DocTarget::Main,
        Some(n) => DocTarget::Addendum(n),
    }
}

/// One approvable document (the minutes proper or an addendum): its status, text, and what
/// this participant may do with it now.
#[allow(clippy::too_many_arguments)]
fn doc_block(
    site: &Site,
    ctx: &Ctx,
    m: &Minutes,
    me: &PersonId,
    target: DocTarget,
    d: &doorbraak_model::minutes::Doc,
    i_participate: bool,
    base: &str,
) -> Markup {
    let cur = d.current();
    let awaiting_me = d.circulated == Some(d.current_number())
        && m.awaiting(target)
            .iter()
            .any(|p| &p.person == me && &p.org == site.node.oin());
    let id = |name: &str| doc_id(target, name);
    html! {
        p id=(id("notulen-status")) {
            @if d.is_final() {
                strong { (ctx.t("Vastgesteld", "Final")) } " — " (ctx.t("versie ", "revision ")) (d.final_revision.unwrap_or_default())
                @if let Some(at) = d.final_at { ", " (time::moment(at, ctx.lang)) }
            } @else if d.circulated == Some(d.current_number()) {
                (ctx.t("Ter goedkeuring: versie ", "Awaiting approval: revision ")) (d.current_number())
                @if let Some(dl) = d.approval_deadline { " — " (ctx.t("goedkeuren vóór ", "approve before ")) (deadline(ctx, dl, site.node.now())) }
            } @else {
                (ctx.t("Concept: versie ", "Draft: revision ")) (d.current_number())
            }
        }
        @if let Some(r) = cur { div.notulen { pre.tekst { (r.content) } } }
        @if target != DocTarget::Main && !d.approvals.is_empty() {
            ul id=(id("goedkeuringen")) {
                @for a in &d.approvals {
                    li {
                        (m.meeting.participants.iter().find(|p| p.org == a.org && p.person == a.person).map(|p| p.name.clone()).unwrap_or_else(|| a.person.0.clone()))
                        " (" (org_name(site, a.org.as_str())) ") — " (ctx.t("versie ", "revision ")) (a.revision) ", " (time::moment(a.at, ctx.lang))
                    }
                }
            }
        }
        @if target == DocTarget::Main { p { a href={ (base) "/afdruk" } { (ctx.t("Afdrukbare versie", "Printable version")) } } }
        @if !d.is_final() && i_participate {
            @if awaiting_me {
                @if let Some(r) = cur {
                    form.actie method="post" action={ (base) "/goedkeuren" } {
                        (ctx.csrf_field())
                        input type="hidden" name="doc" value=(doc_value(target));
                        input type="hidden" name="revision" value=(r.number);
                        input type="hidden" name="content_hash" value=(r.content_hash);
                        button.utrecht-button--primary-action id=(id("goedkeuren")) type="submit" { (ctx.t("Versie ", "Approve revision ")) (r.number) (ctx.t(" goedkeuren", "")) }
                    }
                    details.actie id=(id("wijziging")) {
                        summary { (ctx.t("Wijziging vragen", "Request a change")) }
                        form method="post" action={ (base) "/wijzigingen" } {
                            (ctx.csrf_field())
                            input type="hidden" name="doc" value=(doc_value(target));
                            input type="hidden" name="revision" value=(r.number);
                            label for=(id("opmerking")) { (ctx.t("Wat moet er anders?", "What should change?")) }
                            textarea id=(id("opmerking")) name="comment" rows="3" required maxlength="4000" {}
                            button.utrecht-button--primary-action type="submit" { (ctx.t("Wijziging vragen", "Request the change")) }
                        }
                    }
                }
            }
            @if d.circulated != Some(d.current_number()) {
                form.actie method="post" action={ (base) "/rondsturen" } {
                    (ctx.csrf_field())
                    input type="hidden" name="doc" value=(doc_value(target));
                    button.utrecht-button--primary-action id=(id("rondsturen")) type="submit" { (ctx.t("Ter goedkeuring rondsturen", "Circulate for approval")) }
                }
            }
            details.actie id=(id("nieuwe-versie")) {
                summary { (ctx.t("Nieuwe versie maken", "Make a new revision")) }
                form method="post" action={ (base) "/verslag" } {
                    (ctx.csrf_field())
                    input type="hidden" name="revise" value="1";
                    input type="hidden" name="doc" value=(doc_value(target));
                    label for=(id("nieuwe-inhoud")) { (ctx.t("Tekst (eerdere goedkeuringen vervallen)", "Text (earlier approvals lapse)")) }
                    textarea id=(id("nieuwe-inhoud")) name="content" rows="8" required maxlength=(doorbraak_model::text::MAX_TEXT) { (cur.map(|r| r.content.as_str()).unwrap_or_default()) }
                    button.utrecht-button--primary-action type="submit" { (ctx.t("Versie opslaan", "Save revision")) }
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

pub(super) async fn minutes_result<T, E: Into<HttpError>>(
    anchor: Option<&str>,
    site: &Site,
    ctx: &Ctx,
    id: &str,
    r: Result<T, E>,
    nl: &str,
    en: &str,
) -> Response {
    after_command(
        anchor,
        site,
        ctx,
        &format!("/overleggen/{}", urlencode(id)),
        r,
        nl,
        en,
    )
    .await
}

/// A command on a meeting's minutes from a page's form, with the form's idempotency key.
async fn minutes_command(
    site: &Site,
    user: &User,
    key: &IdemKey,
    id: &str,
    cmd: MinutesCommand,
    name: &'static str,
) -> Result<doorbraak_app::Applied<Minutes>, HttpError> {
    let key = key.scoped(user)?;
    Ok(ops::minutes::command(&site.node, user, id, cmd, name, key.as_ref()).await?)
}

#[derive(Debug, Deserialize)]
pub struct MinutesTextForm {
    pub content: String,
    #[serde(default)]
    pub revise: Option<String>,
    /// Which document: `0` (or absent) the minutes proper, `n` addendum `n`.
    #[serde(default)]
    pub doc: Option<u32>,
}

pub(super) async fn minutes_text(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<MinutesTextForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let (cmd, name) = if checked(&f.revise) {
        (
            MinutesCommand::Revise {
                target: doc_target(f.doc),
                content: f.content,
            },
            "revise",
        )
    } else {
        (MinutesCommand::Draft { content: f.content }, "draft")
    };
    let r = minutes_command(&site, &user, &key, &id, cmd, name).await;
    minutes_result(
        Some("notulen"),
        &site,
        &ctx,
        &id,
        r,
        "Verslag opgeslagen",
        "Minutes saved",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DocForm {
    #[serde(default)]
    pub doc: Option<u32>,
}

pub(super) async fn minutes_circulate(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<DocForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let cmd = MinutesCommand::Circulate {
        target: doc_target(f.doc),
    };
    let r = minutes_command(&site, &user, &key, &id, cmd, "circulate").await;
    minutes_result(
        Some("rondsturen"),
        &site,
        &ctx,
        &id,
        r,
        "Ter goedkeuring rondgestuurd",
        "Circulated for approval",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    pub revision: u32,
    pub content_hash: String,
    #[serde(default)]
    pub doc: Option<u32>,
}

pub(super) async fn minutes_approve(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<ApproveForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = match key.scoped(&user) {
        Ok(key) => ops::minutes::approve(
            &site.node,
            &user,
            &id,
            doc_target(f.doc),
            f.revision,
            f.content_hash,
            key.as_ref(),
        )
        .await
        .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    minutes_result(
        Some("goedkeuren"),
        &site,
        &ctx,
        &id,
        r,
        "Goedgekeurd en ondertekend",
        "Approved and signed",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ChangesForm {
    pub revision: u32,
    pub comment: String,
    #[serde(default)]
    pub doc: Option<u32>,
}

pub(super) async fn minutes_changes(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<ChangesForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let cmd = MinutesCommand::RequestChanges {
        target: doc_target(f.doc),
        revision: f.revision,
        comment: f.comment,
    };
    let r = minutes_command(&site, &user, &key, &id, cmd, "request_changes").await;
    minutes_result(
        Some("wijziging"),
        &site,
        &ctx,
        &id,
        r,
        "Wijziging gevraagd",
        "Change requested",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AddendumForm {
    #[serde(default)]
    pub content: String,
}

/// A correction of final minutes: a new addendum, which goes through the same approval.
pub(super) async fn minutes_addendum(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<AddendumForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let cmd = MinutesCommand::AddAddendum { content: f.content };
    let r = minutes_command(&site, &user, &key, &id, cmd, "add_addendum").await;
    minutes_result(
        Some("aanvulling"),
        &site,
        &ctx,
        &id,
        r,
        "Aanvulling opgeslagen",
        "Addendum saved",
    )
    .await
}

pub(super) async fn minutes_print(State(site): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    match ops::minutes::record(&site.node, &user, &id).await {
        Ok(m) => crate::record::response(&m),
        Err(e) => failed(&site, &ctx, e),
    }
}
