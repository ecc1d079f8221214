//! Kwesties: the list, the form with the preparation checklist, the page, picking up.

use super::*;
use crate::http::IdemKey;

// ------------------------------------------------------------------ kwesties

pub(super) fn kwestie_table(
    site: &Site,
    ctx: &Ctx,
    rows: &[ops::lists::Listed<Kwestie>],
) -> Markup {
    html! {
        @if rows.is_empty() {
            p { (ctx.t("Geen kwesties.", "No kwesties.")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("Kwestie", "Kwestie")) }
                    th scope="col" { (ctx.t("Casus", "Case")) }
                    th scope="col" { (ctx.t("Status", "Status")) }
                    th scope="col" { (ctx.t("Termijn", "Deadline")) }
                } }
                tbody {
                    @for ops::lists::Listed { row: r, state: k } in rows {
                        tr {
                            td { a href={ "/kwesties/" (r.id) } { (k.obstacle.chars().take(80).collect::<String>()) } }
                            td { (r.case_ref.clone().unwrap_or_else(|| "—".into())) }
                            td { (status_badge(ctx.lang, r.overdue, &r.status)) }
                            td { @if let Some(t) = r.next_deadline { (deadline(ctx, t, site.node.now())) } }
                        }
                    }
                }
            }
        }
    }
}

pub(super) async fn kwesties(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows = match ops::kwesties::list(&site.node, &user, &all_rows()).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let content = html! {
        p { a.knop href="/kwesties/nieuw" { (ctx.t("Kwestie melden", "Raise a kwestie")) } }
        (kwestie_table(&site, &ctx, &rows))
    };
    let title = ctx.t("Kwesties", "Kwesties").to_owned();
    page(&site, &ctx, &title, content)
}

pub(super) fn category_label(lang: Lang, c: KwestieCategory) -> &'static str {
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

pub(super) fn consulted_label(lang: Lang, c: Consulted) -> &'static str {
    match c {
        Consulted::Team => lang.t("het team", "the team"),
        Consulted::BehaviouralExpert => lang.t("de gedragsdeskundige", "the behavioural expert"),
        Consulted::TeamManager => lang.t("de teammanager", "the team manager"),
        Consulted::ServiceDesk => lang.t("de servicedesk", "the service desk"),
        Consulted::CareMediation => lang.t("zorgbemiddeling", "care mediation"),
        Consulted::Lawyers => lang.t("juristen", "lawyers"),
    }
}

pub(super) const CONSULTED: [Consulted; 6] = [
    Consulted::Team,
    Consulted::BehaviouralExpert,
    Consulted::TeamManager,
    Consulted::ServiceDesk,
    Consulted::CareMediation,
    Consulted::Lawyers,
];

pub(super) fn code_of<T: serde::Serialize>(t: &T) -> String {
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

pub(super) async fn kwestie_form(
    site: &Arc<Site>,
    ctx: &Ctx,
    u: &User,
    f: &KwestieForm,
    err: Option<&ApiError>,
) -> Response {
    let cases = match ops::cases::list(&site.node, u).await {
        Ok(r) => r,
        Err(e) => return failed(site, ctx, e),
    };
    let content = html! {
        @if let Some(e) = err { (error_box(ctx.lang, e)) }
        form.formulier method="post" action="/kwesties" {
            (ctx.csrf_field())
            label for="case_ref" { (ctx.t("Casus (optioneel)", "Case (optional)")) }
            select #case_ref name="case_ref" {
                option value="" { (ctx.t("— geen casus —", "— no case —")) }
                @for c in &cases { option value=(c.case_ref) selected[c.case_ref == f.case_ref] { (c.case_ref) " — " (c.title) } }
            }
            label for="obstacle" { (ctx.t("Waar loopt u tegenaan?", "What is blocking you?")) }
            textarea #obstacle name="obstacle" rows="3" required maxlength="4000" { (f.obstacle) }
            fieldset {
                legend { (ctx.t("Soort kwestie", "Kind of kwestie")) }
                @for c in KwestieCategory::ALL {
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
            label for="child_needs" { (ctx.t("Wat heeft het kind of gezin nodig? (verplicht bij een casus)", "What does the child or family need? (required with a case)")) }
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
    let mut r = page(site, ctx, &title, content);
    if let Some(e) = err {
        *r.status_mut() = e.status;
    }
    r
}

pub(super) async fn new_kwestie(
    State(site): Web,
    a: Authed,
    q: Result<Query<NewEscalationQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&site, &ctx, &ApiError::from(e)),
    };
    let f = KwestieForm {
        case_ref: q.zaak.unwrap_or_default(),
        ..Default::default()
    };
    kwestie_form(&site, &ctx, &user, &f, None).await
}

pub(super) async fn raise_kwestie(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    WebForm(f): WebForm<KwestieForm>,
) -> Response {
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
        let request = ops::kwesties::RaiseKwestieRequest {
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
        };
        let key = key.scoped(&user)?;
        Ok::<_, ApiError>(ops::kwesties::raise(&site.node, &user, request, key.as_ref()).await?)
    }
    .await;
    match result {
        Ok(r) => {
            site.flash(&ctx, true, "Kwestie gemeld", "Kwestie raised");
            see_other(&format!("/kwesties/{}", r.id))
        }
        Err(e) => kwestie_form(&site, &ctx, &user, &f, Some(&e)).await,
    }
}

pub(super) async fn kwestie_page(State(site): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    let k = match ops::kwesties::get(&site.node, &user, &id).await {
        Ok(k) => k,
        Err(e) => return failed(&site, &ctx, e),
    };
    let s = &k.state;
    // whether picking up is allowed for me now, and if not which rule says so
    let pick = Kwestie::decide(
        Some(s),
        &KwestieCommand::PickUp,
        &site.node.actor(&user),
        k.now,
    )
    .map(|_| ());
    let content = html! {
        dl.gegevens {
            dt { (ctx.t("Waar loopt het vast?", "What is blocking?")) } dd.tekst { (s.obstacle) }
            dt { (ctx.t("Casus", "Case")) } dd { (s.case_ref.as_ref().map_or("—", |c| c.as_str())) }
            dt { (ctx.t("Wat het kind of gezin nodig heeft", "What the child or family needs")) } dd.tekst { (s.child_needs) }
            dt { (ctx.t("Te laat", "Overdue")) } dd { @if k.overdue { span.badge.te-laat { (ctx.t("ja", "yes")) } } @else { (ctx.t("nee", "no")) } }
        }
        (action(&ctx, &pick, &format!("/kwesties/{}/oppakken", urlencode(&id)), ctx.t("Oppakken", "Pick up"), "oppakken", html! {}))
    };
    let title = ctx.t("Kwestie", "Kwestie").to_owned();
    page(&site, &ctx, &title, content)
}

pub(super) async fn kwestie_pick_up(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
) -> Response {
    let Authed { ctx, user } = a;
    let picked = match key.scoped(&user) {
        Ok(key) => ops::kwesties::command(
            &site.node,
            &user,
            &id,
            KwestieCommand::PickUp,
            "pick_up",
            key.as_ref(),
        )
        .await
        .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    after_command(
        &site,
        &ctx,
        &format!("/kwesties/{}", urlencode(&id)),
        picked,
        "Opgepakt",
        "Picked up",
    )
}
