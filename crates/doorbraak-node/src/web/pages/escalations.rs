//! Escalations: the list, the open form (the first step follows from the situation), the
//! page with each action checked against the rules (the actions are in `escalation_actions`).

use super::*;
use crate::http::IdemKey;

// ------------------------------------------------------------------ escalations

/// The other organisations of an escalation, seen from this node: the counterparts at its
/// home, the home (and the other counterparts) at a counterpart.
fn others(site: &Site, e: &Escalation) -> String {
    e.parties()
        .filter(|p| &p.oin != site.node.oin())
        .map(|p| org_name(site, p.oin.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a list shows of a longer text: its first line, shortened.
pub(super) fn subject_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>())
    } else {
        line.to_owned()
    }
}

pub(super) fn escalation_table(
    site: &Site,
    ctx: &Ctx,
    rows: &[ops::lists::Listed<Escalation>],
) -> Markup {
    html! {
        @if rows.is_empty() {
            p #geen { (ctx.t("Geen escalaties.", "No escalations.")) }
        } @else {
            div.tabel {
                table.escalaties {
                    thead { tr {
                        th scope="col" { (ctx.t("Casus", "Case")) }
                        th scope="col" { (ctx.t("Onderwerp", "Subject")) }
                        th scope="col" { (ctx.t("Met", "With")) }
                        th scope="col" { (ctx.t("Stap", "Step")) }
                        th scope="col" { (ctx.t("Situatie", "Situation")) }
                        th scope="col" { (ctx.t("Status", "Status")) }
                        th scope="col" { (ctx.t("Volgende termijn", "Next deadline")) }
                    } }
                    tbody {
                        @for ops::lists::Listed { row: r, state: e } in rows {
                            tr {
                                td { a href={ "/escalaties/" (r.id) } { (e.case_ref.as_str()) } }
                                td.onderwerp { (subject_line(&e.question)) }
                                td { (others(site, e)) }
                                td { @if let Some(c) = e.current() { (step_label(ctx.lang, c.step)) } }
                                td { (situation_label(ctx.lang, e.situation)) }
                                td { (status_badge(ctx.lang, r.overdue, r.status)) }
                                td { @if let Some(t) = r.next_deadline { (deadline(ctx, t, site.node.now())) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The filters of the escalation list.
const ESCALATION_FILTERS: lists::Offers = lists::Offers {
    kind: StreamKind::Escalation,
    step_and_situation: true,
    party: true,
    responsible: true,
};

pub(super) async fn escalations(
    State(site): Web,
    a: Authed,
    q: Result<Query<lists::ListParams>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let (q, filter) = match lists::read(&site, &ctx, q, ESCALATION_FILTERS) {
        Ok(x) => x,
        Err(page) => return *page,
    };
    let found = match ops::escalations::page(&site.node, &user, &filter).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let content = html! {
        (lists::filter_bar(&site, &ctx, "/escalaties", &q, ESCALATION_FILTERS))
        (lists::pager(&ctx, "/escalaties", &q, &found, "escalaties", "escalations"))
        (escalation_table(&site, &ctx, &found.rows))
    };
    let title = ctx.t("Escalaties", "Escalations").to_owned();
    page(&site, &ctx, &title, content)
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
    /// `ja` or `nee`: is this a youth protector who cannot reach the local team while seeking
    /// youth help (a referral route, not an escalation)? Never pre-filled.
    #[serde(default)]
    pub verwijsroute: String,
    /// `ja`: open it although one is open for this case with this organisation.
    #[serde(default)]
    pub tweede: String,
}

pub(super) async fn escalation_form(
    site: &Arc<Site>,
    ctx: &Ctx,
    u: &User,
    f: &EscalationForm,
    err: Option<&HttpError>,
    open_already: &[doorbraak_model::EscalationId],
) -> Response {
    let cases = match ops::cases::list(&site.node, u).await {
        Ok(r) => r,
        Err(e) => return failed(site, ctx, e),
    };
    let others = other_members(site);
    let content = html! {
        @if !open_already.is_empty() {
            div.melding.waarschuwing #al-open role="alert" {
                strong { (ctx.t("Let op: ", "Note: ")) }
                (ctx.t("voor deze casus loopt al een escalatie met deze organisatie: ", "an escalation of this case with this organisation is open already: "))
                @for id in open_already { a href={ "/escalaties/" (id) } { (ctx.t("bekijken", "view")) } " " }
                (ctx.t("Wilt u toch een tweede openen? Vink dat dan hieronder aan.", "Do you want to open a second one anyway? Then tick that below."))
            }
        }
        @if let Some(e) = err {
            (error_summary(ctx.lang, e, &[
                ("case_ref", "case_ref"), ("situation", "sit-1"), ("counterparts", "counterpart"),
                ("needs", "needs"), ("question", "question"), ("verwijsroute", "verwijsroute-nee"),
            ]))
        }
        p.hint { (ctx.t(
            "Vul alleen in wat nodig is. De eerste stap volgt uit de situatie. Noem geen BSN of andere direct herleidbare gegevens in de tekst.",
            "Fill in only what is needed. The first step follows from the situation. Do not put a BSN or other directly identifying data in the text.")) }
        form.formulier method="post" action="/escalaties" {
            (ctx.csrf_field())
            label for="case_ref" { (ctx.t("Casus", "Case")) }
            select #case_ref name="case_ref" required {
                @for c in &cases {
                    option value=(c.case_ref) selected[c.case_ref == f.case_ref] { (c.case_ref) " — " (c.title) }
                }
            }
            fieldset {
                legend { (ctx.t("Welke situatie is van toepassing?", "Which situation applies?")) }
                @for s in Situation::ALL {
                    @let code = s.code();
                    div.keuze {
                        input type="radio" name="situation" id={ "sit-" (s.number()) } value=(code) required checked[f.situation == code];
                        label for={ "sit-" (s.number()) } { strong { (situation_label(ctx.lang, s)) } }
                        p.hint id={ "sit-" (s.number()) "-uitleg" } { (situation_help(ctx.lang, s)) }
                    }
                }
            }
            label for="counterpart" { (ctx.t("Met welke organisatie stagneert het?", "With which organisation does it stagnate?")) }
            (field_error(ctx.lang, err, "counterparts"))
            select #counterpart name="counterpart" required {
                option value="" { (ctx.t("— kies de organisatie —", "— choose the organisation —")) }
                @for m in &others {
                    option value=(m.oin.as_str()) selected[m.oin.as_str() == f.counterpart] { (m.name) " (" (m.kind.label_nl()) ")" }
                }
            }
            label for="contact" { (ctx.t("Contactpersoon daar (naam, als u die kent)", "Contact person there (name, if you know it)")) }
            input #contact name="contact" maxlength="200" value=(f.contact);
            label for="needs" { (ctx.t("Wat heeft het kind of gezin nodig?", "What does the child or family need?")) }
            (field_error(ctx.lang, err, "needs"))
            textarea #needs name="needs" required rows="3" maxlength="4000" aria-invalid=[err.and_then(|e| e.field).filter(|f| *f == "needs").map(|_| "true")] { (f.needs) }
            label for="question" { (ctx.t("Wat vraagt u van wie?", "What do you ask of whom?")) }
            (field_error(ctx.lang, err, "question"))
            textarea #question name="question" required rows="3" maxlength="4000" aria-invalid=[err.and_then(|e| e.field).filter(|f| *f == "question").map(|_| "true")] { (f.question) }
            fieldset #verwijsroute {
                legend { (ctx.t(
                    "Bent u jeugdbeschermer en zoekt u jeugdhulp, maar bereikt u het lokale team niet?",
                    "Are you a youth protector seeking youth help who cannot reach the local team?")) }
                p.hint { (ctx.t(
                    "Dat is geen escalatie: daarvoor zijn de aanmeldroutes.",
                    "That is not an escalation: the referral routes (aanmeldroutes) are for it.")) }
                div.keuze {
                    input type="radio" name="verwijsroute" id="verwijsroute-nee" value="nee" required checked[f.verwijsroute == "nee"];
                    label for="verwijsroute-nee" { (ctx.t("Nee", "No")) }
                }
                div.keuze {
                    input type="radio" name="verwijsroute" id="verwijsroute-ja" value="ja" required checked[f.verwijsroute == "ja"];
                    label for="verwijsroute-ja" { (ctx.t("Ja", "Yes")) }
                }
            }
            @if !open_already.is_empty() {
                div.keuze.bevestig {
                    input #tweede type="checkbox" name="tweede" value="ja" required;
                    label for="tweede" { (ctx.t("Ja, toch een tweede escalatie openen", "Yes, open a second escalation anyway")) }
                }
            }
            button.utrecht-button--primary-action #escalatie-versturen type="submit" { (ctx.t("Escalatie openen", "Open the escalation")) }
        }
    };
    let title = ctx.t("Escalatie openen", "Open an escalation").to_owned();
    let mut r = page(site, ctx, &title, content);
    if let Some(e) = err {
        *r.status_mut() = e.status;
    }
    r
}

pub(super) async fn new_escalation(
    State(site): Web,
    a: Authed,
    q: Result<Query<NewEscalationQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&site, &ctx, &HttpError::from(e)),
    };
    let f = EscalationForm {
        case_ref: q.zaak.unwrap_or_default(),
        ..Default::default()
    };
    escalation_form(&site, &ctx, &user, &f, None, &[]).await
}

pub(super) async fn open_escalation(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    WebForm(f): WebForm<EscalationForm>,
) -> Response {
    let Authed { ctx, user } = a;
    // a second open escalation for the same case and organisation: warn, and open it only
    // when the person says so
    if f.tweede != "ja" && !f.case_ref.is_empty() && !f.counterpart.is_empty() {
        match ops::escalations::open_between(&site.node, &user, &f.case_ref, &f.counterpart).await {
            Ok(open) if !open.is_empty() => {
                return escalation_form(&site, &ctx, &user, &f, None, &open).await;
            }
            Ok(_) => {}
            Err(e) => return failed(&site, &ctx, e),
        }
    }
    let result = async {
        let situation: Situation = parse_enum("situation", &f.situation)?;
        let first_step = situation.first_step();
        let seeking_youth_help_access = match f.verwijsroute.as_str() {
            "ja" => true,
            "nee" => false,
            _ => {
                return Err(HttpError::from(RuleViolation::MissingField {
                    field: "verwijsroute",
                }));
            }
        };
        let mut question = f.question.trim().to_owned();
        if !f.contact.trim().is_empty() {
            question = format!(
                "{question}\n\n{}: {}",
                ctx.t("Contactpersoon", "Contact"),
                f.contact.trim()
            );
        }
        let request = ops::escalations::OpenEscalationRequest {
            case_ref: f.case_ref.clone(),
            situation,
            first_step,
            counterparts: vec![f.counterpart.clone()],
            participants: Vec::new(),
            question,
            needs: f.needs.trim().to_owned(),
            seeking_youth_help_access,
        };
        let key = key.scoped(&user)?;
        Ok::<_, HttpError>(ops::escalations::open(&site.node, &user, request, key.as_ref()).await?)
    }
    .await;
    match result {
        Ok(r) => {
            site.flash(
                &ctx,
                true,
                "Escalatie geopend en verstuurd naar de andere organisatie",
                "Escalation opened and sent to the other organisation",
            )
            .await;
            see_other(&format!("/escalaties/{}", r.id))
        }
        Err(e) => escalation_form(&site, &ctx, &user, &f, Some(&e), &[]).await,
    }
}

pub(super) fn participant_list(site: &Site, lang: Lang, ps: &[Participant]) -> Markup {
    html! {
        ul.personen {
            @for p in ps {
                li { (p.name) " — " (role_label(lang, p.role)) ", " (org_name(site, p.org.as_str())) }
            }
        }
    }
}

pub(super) async fn escalation_page(
    State(site): Web,
    a: Authed,
    Path(id): Path<String>,
) -> Response {
    let Authed { ctx, user } = a;
    let id = match http::uuid(&id) {
        Ok(i) => i.to_string(),
        Err(e) => return error_page(&site, &ctx, &e),
    };
    let (e, history) = match ops::escalations::with_history(&site.node, &user, &id).await {
        Ok(x) => x,
        Err(err) => return error_page(&site, &ctx, &HttpError::from(err)),
    };
    let now = site.node.now();
    let cur = e.current();
    let path = format!("/escalaties/{id}");
    // the actions, each checked against the rules as they stand now
    let pick = dry_run(&site, &user, &e, &EscalationCommand::PickUp { name: None });
    let next = cur.and_then(|c| c.step.next());
    let next_check = next.map(|s| {
        (
            s,
            dry_run(
                &site,
                &user,
                &e,
                &EscalationCommand::InvokeStep {
                    step: s,
                    participants: step_participants(&site, &user, s, None),
                    joining: Vec::new(),
                    reason: "-".into(),
                },
            ),
        )
    });
    let family_check = cur.map(|c| {
        dry_run(
            &site,
            &user,
            &e,
            &EscalationCommand::RecordFamilyInformed {
                step: c.step,
                informed: FamilyInformed::Before { at: now },
            },
        )
    });
    let outcome_check = dry_run(
        &site,
        &user,
        &e,
        &EscalationCommand::RecordOutcome {
            outcome: StepOutcome::Resolved {
                summary: "-".into(),
            },
        },
    );
    // another situation than the present one, to ask the rules whether a change is allowed now
    let other_situation = doorbraak_model::Situation::ALL
        .into_iter()
        .find(|s| *s != e.situation)
        .unwrap_or(e.situation);
    let situation_check = dry_run(
        &site,
        &user,
        &e,
        &EscalationCommand::ChangeSituation {
            to: other_situation,
            reason: "-".into(),
        },
    );
    // inviting someone: is this person one who may (a party's, the step's roles)?
    let invite_check = cur.map_or(Err(RuleViolation::EscalationClosed), |c| {
        let someone = Participant {
            person: PersonId::new("-".to_owned()),
            name: "-".into(),
            role: c
                .step
                .participant_roles()
                .first()
                .copied()
                .unwrap_or(user.role),
            org: site.node.oin().clone(),
        };
        dry_run(
            &site,
            &user,
            &e,
            &EscalationCommand::AddParticipant {
                participant: someone,
            },
        )
    });
    let parties: Vec<doorbraak_model::Oin> = std::iter::once(e.home.oin.clone())
        .chain(e.counterparts.iter().map(|c| c.oin.clone()))
        .collect();
    let close_check = dry_run(
        &site,
        &user,
        &e,
        &EscalationCommand::Close {
            classification: doorbraak_model::BottleneckClassification::new(
                doorbraak_model::Bottleneck::Personal,
                doorbraak_model::SolutionScope::Incidental,
            ),
        },
    );
    let meetings = match ops::minutes::list(&site.node, &user, &all_rows()).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let meetings: Vec<Minutes> = meetings
        .into_iter()
        .map(|l| l.state)
        .filter(|m| m.meeting.escalation == e.id)
        .collect();
    let candidates = meeting_candidates(&site, &user, &e);
    // who may join at step 3: the members that are not a party yet, municipalities first
    let dir = site.node.directory();
    let mut joinable: Vec<_> = dir
        .members()
        .iter()
        .filter(|m| !parties.contains(&m.oin))
        .cloned()
        .collect();
    joinable.sort_by_key(|m| {
        (
            m.kind != doorbraak_model::OrgKind::Municipality,
            m.name.clone(),
        )
    });
    let notes = match ops::escalations::notes(&site.node, &user, &id).await {
        Ok(n) => n,
        Err(e) => return failed(&site, &ctx, e),
    };
    let overdue = e.is_overdue(now);
    let content = html! {
        (story::stepper(&ctx, &e))
        dl.gegevens {
            dt { (ctx.t("Casus", "Case")) } dd { (e.case_ref.as_str()) }
            dt { (ctx.t("Situatie", "Situation")) } dd #situatie { (situation_label(ctx.lang, e.situation)) }
            dt { (ctx.t("Geopend door", "Opened by")) } dd { (org_name(&site, e.home.oin.as_str())) ", " (time::moment(e.opened_at, ctx.lang)) }
            dt { (ctx.t("Andere partijen", "Other parties")) } dd { (e.counterparts.iter().map(|c| org_name(&site, c.oin.as_str())).collect::<Vec<_>>().join(", ")) }
            dt { (ctx.t("Status", "Status")) } dd #status {
                @if let doorbraak_model::EscalationStatus::Closed { at, classification } = &e.status {
                    (status_label(ctx.lang, Status::Closed)) " " (time::moment(*at, ctx.lang))
                    " — " (ctx.t("knelpunt: ", "bottleneck: "))
                    (ctx.t(classification.bottleneck.label_nl(), classification.bottleneck.label_en()))
                    ", " (ctx.t(classification.scope.label_nl(), classification.scope.label_en()))
                }
                @else if let Some(c) = cur {
                    (step_label(ctx.lang, c.step)) " · "
                    @if c.picked_up.is_some() { span #opgepakt { (ctx.t("opgepakt", "picked up")) } }
                    @else { (ctx.t("wacht op oppakken vóór ", "waiting to be picked up before ")) (deadline(&ctx, c.pickup_deadline, site.node.now())) }
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
                    (action(&ctx, check, &format!("{path}/gezin"), ctx.t("Vastleggen: gezin geïnformeerd", "Record: family informed"), "gezin", html! {
                        fieldset {
                            legend { (ctx.t("Wanneer is het gezin geïnformeerd?", "When was the family informed?")) }
                            div.keuze { input type="radio" name="when" id="fam-voor" value="before" required; label for="fam-voor" { (ctx.t("vooraf meegenomen", "taken along beforehand")) } }
                            div.keuze { input type="radio" name="when" id="fam-na" value="after" required; label for="fam-na" { (ctx.t("achteraf, met uitleg", "afterwards, with an explanation")) } }
                        }
                        label for="fam-uitleg" { (ctx.t("Uitleg (bij achteraf)", "Explanation (if afterwards)")) }
                        textarea #fam-uitleg name="explanation" rows="2" maxlength="2000" {}
                        (confirm_field(&ctx, "fam-bevestig"))
                    }))
                }
                @if let Some((s, check)) = &next_check {
                    (action(&ctx, check, &format!("{path}/volgende-stap"),
                        &format!("{} {}", ctx.t("Volgende stap:", "Next step:"), step_label(ctx.lang, *s)), "volgende-stap", html! {
                        input type="hidden" name="step" value=(s.number());
                        label for="reden" { (ctx.t("Waarom deze stap?", "Why this step?")) }
                        textarea #reden name="reason" rows="2" maxlength="2000" required {}
                        @if *s == Step::Administrative {
                            fieldset {
                                legend { (ctx.t("Organisaties die bij stap 3 aansluiten", "Organisations that join at step 3")) }
                                p.hint { (ctx.t("Meestal de gemeente van het kind; haar wethouder en ambtenaar doen dan mee.", "Usually the child's municipality; its alderman and civil servant then take part.")) }
                                @for (i, m) in joinable.iter().enumerate() {
                                    div.keuze {
                                        input type="checkbox" name="joining" id={ "aansluit-" (i) } value=(m.oin.as_str());
                                        label for={ "aansluit-" (i) } { (m.name) }
                                    }
                                }
                            }
                            fieldset {
                                legend { (ctx.t("De ambtelijk medewerker die meedoet (verplicht bij stap 3)", "The civil servant who takes part (required at step 3)")) }
                                label for="amb-org" { (ctx.t("Organisatie", "Organisation")) }
                                select #amb-org name="cs_org" required {
                                    option value="" { (ctx.t("— kies de organisatie —", "— choose the organisation —")) }
                                    @for m in &joinable { option value=(m.oin.as_str()) { (m.name) } }
                                    @for o in &parties { option value=(o.as_str()) { (org_name(&site, o.as_str())) } }
                                }
                                label for="amb-naam" { (ctx.t("Naam", "Name")) }
                                input #amb-naam name="cs_name" required maxlength="300" autocomplete="off";
                                label for="amb-id" { (ctx.t("Persoon-id (bij de eigen organisatie)", "Person id (at their organisation)")) }
                                input #amb-id name="cs_person" required maxlength="300" autocomplete="off";
                            }
                        }
                    }))
                }
                (action(&ctx, &outcome_check, &format!("{path}/uitkomst"), ctx.t("Uitkomst van deze stap vastleggen", "Record this step's outcome"), "uitkomst", html! {
                    fieldset {
                        legend { (ctx.t("Is het verschil overbrugd?", "Was the difference bridged?")) }
                        div.keuze { input type="radio" name="resolved" id="uit-ja" value="yes" required; label for="uit-ja" { (ctx.t("ja", "yes")) } }
                        div.keuze { input type="radio" name="resolved" id="uit-nee" value="no" required; label for="uit-nee" { (ctx.t("nee", "no")) } }
                    }
                    label for="uit-samenvatting" { (ctx.t("Samenvatting", "Summary")) }
                    textarea #uit-samenvatting name="summary" rows="2" maxlength="4000" required {}
                    (confirm_field(&ctx, "uit-bevestig"))
                }))
                @if let Some(c) = cur {
                    (action(&ctx, &invite_check, &format!("{path}/deelnemer"), ctx.t("Deelnemer toevoegen", "Add a participant"), "deelnemer", html! {
                        p.hint { (ctx.t("Iemand van een van de partijen die in deze stap meedoet (bij stap 3 ook de ambtenaar van de gemeente).", "Someone of one of the parties who takes part in this step (at step 3 also the municipality's civil servant).")) }
                        label for="deelnemer-org" { (ctx.t("Organisatie", "Organisation")) }
                        select #deelnemer-org name="org" required {
                            option value="" { (ctx.t("— kies de organisatie —", "— choose the organisation —")) }
                            @for o in &parties { option value=(o.as_str()) { (org_name(&site, o.as_str())) } }
                        }
                        label for="deelnemer-naam" { (ctx.t("Naam", "Name")) }
                        input #deelnemer-naam name="name" required maxlength="300" autocomplete="off";
                        label for="deelnemer-id" { (ctx.t("Persoon-id (bij de eigen organisatie)", "Person id (at their organisation)")) }
                        input #deelnemer-id name="person" required maxlength="300" autocomplete="off";
                        label for="deelnemer-rol" { (ctx.t("Rol", "Role")) }
                        select #deelnemer-rol name="role" required {
                            option value="" { (ctx.t("— kies de rol —", "— choose the role —")) }
                            @for r in c.step.participant_roles() { option value=(r.code()) { (role_label(ctx.lang, *r)) } }
                        }
                    }))
                }
                (action(&ctx, &situation_check, &format!("{path}/situatie"), ctx.t("Situatie wijzigen", "Change the situation"), "situatie-wijzigen", html! {
                    fieldset {
                        legend { (ctx.t("Welke situatie is het nu?", "Which situation is it now?")) }
                        @for s in doorbraak_model::Situation::ALL {
                            @if s != e.situation {
                                div.keuze {
                                    input type="radio" name="to" id={ "naar-" (s.number()) } value=(s.code()) required;
                                    label for={ "naar-" (s.number()) } { (situation_label(ctx.lang, s)) }
                                }
                            }
                        }
                    }
                    label for="situatie-reden" { (ctx.t("Waarom?", "Why?")) }
                    textarea #situatie-reden name="reason" rows="2" required maxlength=(doorbraak_model::text::MAX_TEXT) {}
                }))
                (action(&ctx, &close_check, &format!("{path}/afsluiten"), ctx.t("Escalatie afsluiten", "Close the escalation"), "afsluiten", classification_fields(&ctx, "sluit")))
                @if let Some(c) = cur {
                    details.actie #overleg {
                        summary { (ctx.t("Overleg plannen", "Schedule a meeting")) }
                        form method="post" action={ (path) "/overleg" } {
                            (ctx.csrf_field())
                            input type="hidden" name="step" value=(c.step.number());
                            label for="datum" { (ctx.t("Datum en tijd", "Date and time")) }
                            input #datum type="datetime-local" name="date" required aria-describedby="datum-uitleg";
                            p.hint #datum-uitleg { (ctx.t("Nederlandse tijd.", "Dutch time (Europe/Amsterdam).")) }
                            fieldset {
                                legend { (ctx.t("Deelnemers (uit minstens twee organisaties)", "Participants (from at least two organisations)")) }
                                @for (i, p) in candidates.iter().enumerate() {
                                    div.keuze {
                                        input type="checkbox" name="participant" id={ "deeln-" (i) } value=(participant_key(p)) checked;
                                        label for={ "deeln-" (i) } { (p.name) " — " (role_label(ctx.lang, p.role)) ", " (org_name(&site, p.org.as_str())) }
                                    }
                                }
                            }
                            label for="agenda" { (ctx.t("Agenda", "Agenda")) }
                            textarea #agenda name="agenda" rows="2" maxlength="4000" required {}
                            button.utrecht-button--primary-action #overleg-plannen type="submit" { (ctx.t("Overleg plannen", "Schedule")) }
                        }
                    }
                }
            }
        }
        section #notities aria-labelledby="notities-kop" {
            h2 #notities-kop { (ctx.t("Eigen notities", "Own notes")) }
            p.hint { (ctx.t("Alleen voor uw organisatie: een notitie wordt nooit gedeeld of verstuurd.", "For your organisation only: a note is never shared or sent.")) }
            @if notes.is_empty() { p { (ctx.t("Nog geen notities.", "No notes yet.")) } }
            ul.notities {
                @for n in &notes {
                    li { span.wanneer { (time::moment(n.created_at, ctx.lang)) " — " (n.author) } p.tekst { (n.text) } }
                }
            }
            form.formulier method="post" action={ (path) "/notitie" } {
                (ctx.csrf_field())
                label for="notitie" { (ctx.t("Nieuwe notitie", "New note")) }
                textarea #notitie name="text" rows="2" required maxlength=(doorbraak_model::text::MAX_TEXT) {}
                button.utrecht-button--primary-action #notitie-opslaan type="submit" { (ctx.t("Notitie opslaan", "Save the note")) }
            }
        }
        h2 { (ctx.t("Wie deed wat", "Who did what")) }
        (story::timeline(&site, &ctx, &e, &history))
        h2 { (ctx.t("Verloop per stap", "Steps")) }
        ol.stappen {
            @for s in &e.steps {
                li {
                    strong { (step_label(ctx.lang, s.step)) }
                    " — " (ctx.t("ingezet ", "invoked ")) (time::moment(s.invoked_at, ctx.lang))
                    @if let Some((_, at)) = &s.picked_up { "; " (ctx.t("opgepakt ", "picked up ")) (time::moment(*at, ctx.lang)) }
                    @if let Some(f) = &s.family {
                        "; " (ctx.t("gezin geïnformeerd ", "family informed ")) (time::moment(f.at(), ctx.lang))
                    }
                    @if let Some((o, _)) = &s.outcome {
                        "; " @if o.is_resolved() { (ctx.t("overbrugd", "bridged")) } @else { (ctx.t("niet overbrugd", "not bridged")) }
                    }
                    (participant_list(&site, ctx.lang, &s.participants))
                }
            }
        }
        h2 { (ctx.t("Overleggen", "Meetings")) }
        @if meetings.is_empty() { p { (ctx.t("Nog geen overleg gepland.", "No meeting scheduled yet.")) } }
        ul {
            @for m in &meetings {
                li { a href={ "/overleggen/" (m.id) } { (time::moment(m.meeting.date, ctx.lang)) " — " (step_label(ctx.lang, m.meeting.step)) } }
            }
        }
    };
    let title = format!(
        "{} {}",
        ctx.t("Escalatie", "Escalation"),
        e.case_ref.as_str()
    );
    page(&site, &ctx, &title, content)
}
