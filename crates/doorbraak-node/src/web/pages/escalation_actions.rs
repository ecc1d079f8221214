//! The commands on one escalation from its page: pick up, family informed, next step,
//! outcome, schedule a meeting.

use super::*;
use crate::http::IdemKey;

pub(super) async fn esc_result<T, E: Into<HttpError>>(
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
        &format!("/escalaties/{}", urlencode(id)),
        r,
        nl,
        en,
    )
    .await
}

/// A command on an escalation from a page's form, with the form's idempotency key.
async fn esc_command(
    site: &Site,
    user: &User,
    key: &IdemKey,
    id: &str,
    cmd: EscalationCommand,
) -> Result<doorbraak_app::Applied<Escalation>, HttpError> {
    let key = key.scoped(user)?;
    Ok(ops::escalations::command(&site.node, user, id, cmd, key.as_ref()).await?)
}

pub(super) async fn esc_pick_up(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = match key.scoped(&user) {
        Ok(key) => ops::escalations::pick_up(&site.node, &user, &id, key.as_ref())
            .await
            .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    esc_result(
        Some("oppakken"),
        &site,
        &ctx,
        &id,
        r,
        "Opgepakt",
        "Picked up",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct FamilyForm {
    #[serde(default)]
    pub when: String,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub confirmed: Option<String>,
}

pub(super) async fn esc_family(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<FamilyForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let now = site.node.now();
    let input = async {
        let e = escalation_for(&site, &user, &id).await?;
        let step = e
            .current_step()
            .ok_or(RuleViolation::NotFound { what: "Step" })?;
        confirmed(f.confirmed.as_deref())?;
        let informed = match choice("when", &f.when, &["before", "after"])? {
            "after" => FamilyInformed::After {
                at: now,
                explanation: f.explanation.clone(),
            },
            _ => FamilyInformed::Before { at: now },
        };
        Ok::<_, HttpError>((step, informed))
    }
    .await;
    let (step, informed) = match input {
        Ok(x) => x,
        Err(e) => {
            return esc_result::<(), HttpError>(Some("gezin"), &site, &ctx, &id, Err(e), "", "")
                .await;
        }
    };
    let r = esc_command(
        &site,
        &user,
        &key,
        &id,
        EscalationCommand::RecordFamilyInformed { step, informed },
    )
    .await;
    esc_result(
        Some("gezin"),
        &site,
        &ctx,
        &id,
        r,
        "Vastgelegd: gezin geïnformeerd",
        "Recorded: family informed",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct NextStepForm {
    pub step: u8,
    #[serde(default)]
    pub reason: String,
    /// OINs of the organisations that join at this step (step 3: the municipality).
    #[serde(default)]
    pub joining: Vec<String>,
    /// The civil servant step 3 needs: organisation, name and person id.
    #[serde(default)]
    pub cs_org: String,
    #[serde(default)]
    pub cs_name: String,
    #[serde(default)]
    pub cs_person: String,
}

pub(super) async fn esc_next_step(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<NextStepForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let Some(step) = Step::ALL.into_iter().find(|s| s.number() == f.step) else {
        return esc_result::<(), HttpError>(
            Some("volgende-stap"),
            &site,
            &ctx,
            &id,
            Err(RuleViolation::InvalidField {
                field: "step",
                reason: "not a step of the ladder",
            }
            .into()),
            "",
            "",
        )
        .await;
    };
    let civil_servant = if step == Step::Administrative {
        match ops::escalations::oin("cs_org", &f.cs_org) {
            Ok(org) => Some(Participant {
                person: PersonId::new(f.cs_person.trim().to_owned()),
                name: f.cs_name.trim().to_owned(),
                role: Role::CivilServant,
                org,
            }),
            Err(e) => {
                return esc_result::<(), HttpError>(
                    Some("volgende-stap"),
                    &site,
                    &ctx,
                    &id,
                    Err(e.into()),
                    "",
                    "",
                )
                .await;
            }
        }
    } else {
        None
    };
    let request = ops::escalations::InvokeStepRequest {
        step,
        participants: step_participants(&site, &user, step, civil_servant),
        joining: f.joining.into_iter().filter(|j| !j.is_empty()).collect(),
        reason: f.reason,
    };
    let r = match key.scoped(&user) {
        Ok(key) => ops::escalations::invoke_step(&site.node, &user, &id, request, key.as_ref())
            .await
            .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    esc_result(
        Some("volgende-stap"),
        &site,
        &ctx,
        &id,
        r,
        "Volgende stap ingezet",
        "Next step invoked",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    #[serde(default)]
    pub resolved: String,
    pub summary: String,
    #[serde(default)]
    pub confirmed: Option<String>,
}

pub(super) async fn esc_outcome(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<OutcomeForm>,
) -> Response {
    let Authed { ctx, user } = a;
    if let Err(e) = confirmed(f.confirmed.as_deref()) {
        return esc_result::<(), HttpError>(Some("uitkomst"), &site, &ctx, &id, Err(e), "", "")
            .await;
    }
    let outcome = match choice("resolved", &f.resolved, &["yes", "no"]) {
        Ok("yes") => StepOutcome::Resolved { summary: f.summary },
        Ok(_) => StepOutcome::Unresolved { summary: f.summary },
        Err(e) => {
            return esc_result::<(), HttpError>(Some("uitkomst"), &site, &ctx, &id, Err(e), "", "")
                .await;
        }
    };
    let r = esc_command(
        &site,
        &user,
        &key,
        &id,
        EscalationCommand::RecordOutcome { outcome },
    )
    .await;
    esc_result(
        Some("uitkomst"),
        &site,
        &ctx,
        &id,
        r,
        "Uitkomst vastgelegd",
        "Outcome recorded",
    )
    .await
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

pub(super) async fn esc_schedule(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<ScheduleForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let input = async {
        let e = escalation_for(&site, &user, &id).await?;
        // participants are named by organisation and person; only the people the page
        // offered can be invited
        let candidates = meeting_candidates(&site, &user, &e);
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
        Ok::<_, HttpError>((participants, step))
    }
    .await;
    let (participants, step) = match input {
        Ok(x) => x,
        Err(e) => {
            return esc_result::<(), HttpError>(Some("overleg"), &site, &ctx, &id, Err(e), "", "")
                .await;
        }
    };
    // datetime-local gives "YYYY-MM-DDTHH:MM" in Dutch time
    let Some(date) = time::parse_input(&f.date).map(|t| t.to_string()) else {
        let e = HttpError::from(RuleViolation::InvalidField {
            field: "date",
            reason: "not a date and time (DD-MM-YYYY, HH:MM)",
        });
        return esc_result::<(), HttpError>(Some("overleg"), &site, &ctx, &id, Err(e), "", "")
            .await;
    };
    let request = ops::minutes::ScheduleMeetingRequest {
        escalation: id.clone(),
        step,
        date,
        participants,
        agenda: f.agenda,
    };
    let r = match key.scoped(&user) {
        Ok(key) => ops::minutes::schedule(&site.node, &user, request, key.as_ref())
            .await
            .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(c) => {
            site.flash(&ctx, true, "Overleg gepland", "Meeting scheduled")
                .await;
            see_other(&format!("/overleggen/{}", c.id))
        }
        Err(err) => {
            site.flash_error(&ctx, &err).await;
            see_other(&format!("/escalaties/{}", urlencode(&id)))
        }
    }
}

/// Close the escalation with its bottleneck classification (at the home, by the roles that
/// close; the model says when).
pub(super) async fn esc_close(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> Response {
    let Authed { ctx, user } = a;
    let classification = match confirmed(Some(form_field(&form, "confirmed")))
        .and_then(|()| classification_from(&form))
    {
        Ok(c) => c,
        Err(e) => {
            return esc_result::<(), HttpError>(
                Some("afsluiten"),
                &site,
                &ctx,
                &id,
                Err(e),
                "",
                "",
            )
            .await;
        }
    };
    let r = esc_command(
        &site,
        &user,
        &key,
        &id,
        EscalationCommand::Close { classification },
    )
    .await;
    esc_result(
        Some("afsluiten"),
        &site,
        &ctx,
        &id,
        r,
        "Escalatie afgesloten",
        "Escalation closed",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ParticipantForm {
    pub org: String,
    pub name: String,
    pub person: String,
    #[serde(default)]
    pub role: String,
}

/// Invite someone of one of the parties into the current step.
pub(super) async fn esc_add_participant(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<ParticipantForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let participant = async {
        let org = ops::escalations::oin("org", &f.org)?;
        let role = required_enum::<doorbraak_model::Role>("role", &f.role)?;
        Ok::<_, HttpError>(Participant {
            person: PersonId::new(f.person.trim().to_owned()),
            name: f.name.trim().to_owned(),
            role,
            org,
        })
    }
    .await;
    let participant = match participant {
        Ok(p) => p,
        Err(e) => {
            return esc_result::<(), HttpError>(
                Some("deelnemer"),
                &site,
                &ctx,
                &id,
                Err(e),
                "",
                "",
            )
            .await;
        }
    };
    let r = esc_command(
        &site,
        &user,
        &key,
        &id,
        EscalationCommand::AddParticipant { participant },
    )
    .await;
    esc_result(
        Some("deelnemer"),
        &site,
        &ctx,
        &id,
        r,
        "Deelnemer toegevoegd",
        "Participant added",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct SituationForm {
    #[serde(default)]
    pub to: String,
    pub reason: String,
}

/// Change the situation, with the reason.
pub(super) async fn esc_change_situation(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<SituationForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let to = match required_enum::<doorbraak_model::Situation>("to", &f.to) {
        Ok(t) => t,
        Err(e) => {
            return esc_result::<(), HttpError>(
                Some("situatie-wijzigen"),
                &site,
                &ctx,
                &id,
                Err(e),
                "",
                "",
            )
            .await;
        }
    };
    let r = esc_command(
        &site,
        &user,
        &key,
        &id,
        EscalationCommand::ChangeSituation {
            to,
            reason: f.reason,
        },
    )
    .await;
    esc_result(
        Some("situatie-wijzigen"),
        &site,
        &ctx,
        &id,
        r,
        "Situatie gewijzigd",
        "Situation changed",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub text: String,
}

/// A private note of this organisation on the escalation (never shared).
pub(super) async fn esc_note(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    Path(id): Path<String>,
    WebForm(f): WebForm<NoteForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = match key.scoped(&user) {
        Ok(key) => ops::escalations::add_note(&site.node, &user, &id, &f.text, key.as_ref())
            .await
            .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    esc_result(
        Some("notitie"),
        &site,
        &ctx,
        &id,
        r,
        "Notitie opgeslagen",
        "Note saved",
    )
    .await
}
