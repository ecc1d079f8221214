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
                            td { (status_badge(ctx.lang, r.overdue, r.status)) }
                            td { @if let Some(t) = r.next_deadline { (deadline(ctx, t, site.node.now())) } }
                        }
                    }
                }
            }
        }
    }
}

/// The filters of the kwestie list.
const KWESTIE_FILTERS: lists::Offers = lists::Offers {
    kind: StreamKind::Kwestie,
    step_and_situation: false,
    party: false,
    responsible: true,
};

pub(super) async fn kwesties(
    State(site): Web,
    a: Authed,
    q: Result<Query<lists::ListParams>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let (q, filter) = match lists::read(&site, &ctx, q, KWESTIE_FILTERS) {
        Ok(x) => x,
        Err(page) => return *page,
    };
    let found = match ops::lists::typed_page::<Kwestie>(&site.node, &user, &filter).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let content = html! {
        p { a.knop href="/kwesties/nieuw" { (ctx.t("Kwestie melden", "Raise a kwestie")) } }
        (lists::filter_bar(&site, &ctx, "/kwesties", &q, KWESTIE_FILTERS))
        (lists::pager(&ctx, "/kwesties", &q, &found, "kwesties", "kwesties"))
        (kwestie_table(&site, &ctx, &found.rows))
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
    err: Option<&HttpError>,
) -> Response {
    let cases = match ops::cases::list(&site.node, u).await {
        Ok(r) => r,
        Err(e) => return failed(site, ctx, e),
    };
    let content = html! {
        @if let Some(e) = err {
            (error_summary(ctx.lang, e, &[
                ("case_ref", "case_ref"), ("obstacle", "obstacle"), ("child_needs", "child_needs"),
                ("categories", "cat-help_does_not_start"), ("facilities_needed", "facilities_needed"),
            ]))
        }
        form.formulier method="post" action="/kwesties" {
            (ctx.csrf_field())
            label for="case_ref" { (ctx.t("Casus (optioneel)", "Case (optional)")) }
            select #case_ref name="case_ref" {
                option value="" { (ctx.t("— geen casus —", "— no case —")) }
                @for c in &cases { option value=(c.case_ref) selected[c.case_ref == f.case_ref] { (c.case_ref) " — " (c.title) } }
            }
            label for="obstacle" { (ctx.t("Waar loopt u tegenaan?", "What is blocking you?")) }
            (field_error(ctx.lang, err, "obstacle"))
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
            (field_error(ctx.lang, err, "child_needs"))
            textarea #child_needs name="child_needs" rows="2" maxlength="4000" { (f.child_needs) }
            label for="facilities_needed" { (ctx.t("Welke voorzieningen zijn nodig?", "Which facilities are needed?")) }
            textarea #facilities_needed name="facilities_needed" rows="2" maxlength="4000" { (f.facilities_needed) }
            fieldset {
                legend { (ctx.t("Naar wie?", "To whom?")) }
                div.keuze { input type="checkbox" name="to_team_manager" id="to_tm" value="1" checked[checked(&f.to_team_manager) || err.is_none()]; label for="to_tm" { (ctx.t("de teammanager", "the team manager")) } }
                div.keuze { input type="checkbox" name="on_team_agenda" id="on_agenda" value="1" checked[checked(&f.on_team_agenda)]; label for="on_agenda" { (ctx.t("de agenda van het teamoverleg", "the team meeting's agenda")) } }
            }
            button.utrecht-button--primary-action type="submit" { (ctx.t("Kwestie melden", "Raise the kwestie")) }
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
        Err(e) => return error_page(&site, &ctx, &HttpError::from(e)),
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
        Ok::<_, HttpError>(ops::kwesties::raise(&site.node, &user, request, key.as_ref()).await?)
    }
    .await;
    match result {
        Ok(r) => {
            site.flash(&ctx, true, "Kwestie gemeld", "Kwestie raised")
                .await;
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
    let me = site.node.actor(&user);
    let dry = |cmd: &KwestieCommand| Kwestie::decide(Some(s), cmd, &me, k.now).map(|_| ());
    let board = dry(&KwestieCommand::EscalateToBoard {
        co_signer: doorbraak_model::PersonId::new("-".to_owned()),
        co_signer_role: doorbraak_model::kwestie::co_signs_with(user.role)
            .unwrap_or(doorbraak_model::Role::TeamManager),
    });
    let resolve = dry(&KwestieCommand::Resolve {
        solution: "-".into(),
        scope: doorbraak_model::SolutionScope::Incidental,
        solved_for_family: true,
        classification: doorbraak_model::BottleneckClassification::new(
            doorbraak_model::Bottleneck::Personal,
            doorbraak_model::SolutionScope::Incidental,
        ),
    });
    let base = format!("/kwesties/{}", urlencode(&id));
    let content = html! {
        dl.gegevens {
            dt { (ctx.t("Waar loopt het vast?", "What is blocking?")) } dd.tekst { (s.obstacle) }
            dt { (ctx.t("Casus", "Case")) } dd { (s.case_ref.as_ref().map_or("—", |c| c.as_str())) }
            dt { (ctx.t("Wat het kind of gezin nodig heeft", "What the child or family needs")) } dd.tekst { (s.child_needs) }
            dt { (ctx.t("Te laat", "Overdue")) } dd { @if k.overdue { span.badge.te-laat { (ctx.t("ja", "yes")) } } @else { (ctx.t("nee", "no")) } }
        }
        @if let Some(r) = &s.resolution {
            p #oplossing { (ctx.t("Opgelost: ", "Resolved: ")) (r.solution) " — " (ctx.t(r.classification.bottleneck.label_nl(), r.classification.bottleneck.label_en())) }
        }
        (action(&ctx, &pick, &format!("{base}/oppakken"), ctx.t("Oppakken", "Pick up"), "oppakken", html! {}))
        (action(&ctx, &board, &format!("{base}/bestuur"), ctx.t("Opschalen naar het bestuur", "Escalate to the board"), "bestuur", html! {
            p.hint { (ctx.t("De professional en de teammanager schalen samen op: noem de ander.", "The professional and the team manager escalate together: name the other.")) }
            label for="medeondertekenaar" { (ctx.t("Persoon-id van de ander", "The other person's id")) }
            input #medeondertekenaar name="co_signer" required maxlength="300";
            label for="rol-ander" { (ctx.t("Rol van de ander", "The other person's role")) }
            select #rol-ander name="co_signer_role" required {
                option value="" { (ctx.t("— kies de rol —", "— choose the role —")) }
                @if let Some(r) = doorbraak_model::kwestie::co_signs_with(user.role) {
                    option value=(r.code()) { (role_label(ctx.lang, r)) }
                }
            }
        }))
        (action(&ctx, &resolve, &format!("{base}/oplossen"), ctx.t("Kwestie oplossen", "Resolve the kwestie"), "oplossen", html! {
            label for="oplossing-tekst" { (ctx.t("Hoe is het opgelost?", "How was it solved?")) }
            textarea #oplossing-tekst name="solution" rows="3" required maxlength=(doorbraak_model::text::MAX_TEXT) {}
            fieldset {
                legend { (ctx.t("Is het opgelost voor het gezin?", "Was it solved for the family?")) }
                div.keuze { input type="radio" name="solved_for_family" id="opl-gezin-ja" value="yes" required; label for="opl-gezin-ja" { (ctx.t("ja", "yes")) } }
                div.keuze { input type="radio" name="solved_for_family" id="opl-gezin-nee" value="no" required; label for="opl-gezin-nee" { (ctx.t("nee", "no")) } }
            }
            (classification_fields(&ctx, "opl"))
        }))
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
        .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    after_command(
        Some("oppakken"),
        &site,
        &ctx,
        &format!("/kwesties/{}", urlencode(&id)),
        picked,
        "Opgepakt",
        "Picked up",
    )
    .await
}

/// Escalate an overdue kwestie to the board, with the other person who signs.
#[derive(Debug, Deserialize)]
pub struct BoardForm {
    pub co_signer: String,
    #[serde(default)]
    pub co_signer_role: String,
}

pub(super) async fn kwestie_to_board(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<BoardForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let result = async {
        let co_signer_role =
            required_enum::<doorbraak_model::Role>("co_signer_role", &f.co_signer_role)?;
        let cmd = KwestieCommand::EscalateToBoard {
            co_signer: doorbraak_model::PersonId::new(f.co_signer.trim().to_owned()),
            co_signer_role,
        };
        let key = key.scoped(&user)?;
        Ok::<_, HttpError>(
            ops::kwesties::command(
                &site.node,
                &user,
                &id,
                cmd,
                "escalate_to_board",
                key.as_ref(),
            )
            .await?,
        )
    }
    .await;
    after_command(
        Some("bestuur"),
        &site,
        &ctx,
        &format!("/kwesties/{}", urlencode(&id)),
        result,
        "Opgeschaald naar het bestuur",
        "Escalated to the board",
    )
    .await
}

/// Resolve a kwestie: how, for the family or not, and its classification.
pub(super) async fn kwestie_resolve(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> Response {
    let Authed { ctx, user } = a;
    let field = |name: &str| form_field(&form, name).to_owned();
    let result = async {
        confirmed(Some(form_field(&form, "confirmed")))?;
        let solved_for_family = choice(
            "solved_for_family",
            &field("solved_for_family"),
            &["yes", "no"],
        )? == "yes";
        let classification = classification_from(&form)?;
        let cmd = KwestieCommand::Resolve {
            solution: field("solution"),
            scope: classification.scope,
            solved_for_family,
            classification,
        };
        let key = key.scoped(&user)?;
        Ok::<_, HttpError>(
            ops::kwesties::command(&site.node, &user, &id, cmd, "resolve", key.as_ref()).await?,
        )
    }
    .await;
    after_command(
        Some("oplossen"),
        &site,
        &ctx,
        &format!("/kwesties/{}", urlencode(&id)),
        result,
        "Kwestie opgelost",
        "Kwestie resolved",
    )
    .await
}
