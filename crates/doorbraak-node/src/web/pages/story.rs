//! The story of an escalation: the ladder as a stepper (where it is, what came before, what
//! the rules allow next) and a timeline of who did what when, in plain Dutch.

use doorbraak_model::escalation::{EscalationEvent, FamilyInformed, StepOutcome};
use doorbraak_model::{Actor, StoredEvent};

use super::*;

/// Stap 1 → 2 → 3: each step done (and how), the current one, or not reached.
pub(super) fn stepper(ctx: &Ctx, e: &Escalation) -> Markup {
    let current = e.current_step();
    html! {
        ol.ladder aria-label=(ctx.t("De escalatieladder", "The escalation ladder")) {
            @for s in Step::ALL {
                @let record = e.steps.iter().rev().find(|r| r.step == s);
                @let is_current = current == Some(s) && !e.is_closed();
                li class=(if is_current { "nu" } else if record.is_some() { "gedaan" } else { "later" })
                    aria-current=[is_current.then_some("step")] {
                    strong { (step_label(ctx.lang, s)) }
                    br;
                    span.klein {
                        @match record {
                            None => (ctx.t("niet ingezet", "not invoked")),
                            Some(r) => {
                                @match &r.outcome {
                                    Some((o, _)) if o.is_resolved() => (ctx.t("overbrugd", "bridged")),
                                    Some(_) => (ctx.t("niet overbrugd", "not bridged")),
                                    None if r.picked_up.is_some() => (ctx.t("opgepakt, loopt", "picked up, under way")),
                                    None => (ctx.t("wacht op oppakken", "waiting to be picked up")),
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Who did it, as people read it: name (where the escalation knows it), role, organisation.
fn who(site: &Site, ctx: &Ctx, e: &Escalation, by: &Actor) -> String {
    match by {
        Actor::Person { person, role, org } => {
            let name = e
                .steps
                .iter()
                .flat_map(|s| s.participants.iter())
                .find(|p| &p.person == person && &p.org == org)
                .map_or_else(|| person.0.clone(), |p| p.name.clone());
            format!(
                "{name} ({}, {})",
                role_label(ctx.lang, *role),
                org_name(site, org.as_str())
            )
        }
        _ => ctx.t("de termijnbewaking", "the deadline watch").to_owned(),
    }
}

fn what(site: &Site, ctx: &Ctx, body: &EscalationEvent) -> String {
    use EscalationEvent as E;
    let l = ctx.lang;
    match body {
        E::Opened {
            situation,
            counterparts,
            ..
        } => format!(
            "{} {} {}: {}",
            l.t("opende de escalatie met", "opened the escalation with"),
            counterparts
                .iter()
                .map(|c| org_name(site, c.oin.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            l.t("bij", "in"),
            situation_label(l, *situation)
        ),
        E::StepInvoked { step, .. } => {
            format!("{} {}", l.t("zette in:", "invoked"), step_label(l, *step))
        }
        E::StepPickedUp { step } => {
            format!("{} {}", l.t("pakte op:", "picked up"), step_label(l, *step))
        }
        E::ParticipantAdded { participant, .. } => format!(
            "{} {} ({}, {})",
            l.t("voegde toe als deelnemer:", "added as participant:"),
            participant.name,
            role_label(l, participant.role),
            org_name(site, participant.org.as_str())
        ),
        E::FamilyInformedRecorded { informed, .. } => match informed {
            FamilyInformed::Before { .. } => l
                .t(
                    "legde vast: het gezin is vooraf meegenomen",
                    "recorded: the family was taken along beforehand",
                )
                .to_owned(),
            FamilyInformed::After { explanation, .. } => format!(
                "{} {explanation}",
                l.t(
                    "legde vast: het gezin is achteraf geïnformeerd —",
                    "recorded: the family was informed afterwards —"
                )
            ),
        },
        E::OutcomeRecorded { step, outcome } => {
            let (how, summary) = match outcome {
                StepOutcome::Resolved { summary } => (l.t("overbrugd", "bridged"), summary),
                StepOutcome::Unresolved { summary } => {
                    (l.t("niet overbrugd", "not bridged"), summary)
                }
            };
            format!(
                "{} {}: {how} — {summary}",
                l.t("legde de uitkomst vast van", "recorded the outcome of"),
                step_label(l, *step)
            )
        }
        E::SituationChanged { from, to, reason } => format!(
            "{} {} {} {} — {reason}",
            l.t("wijzigde de situatie van", "changed the situation from"),
            situation_label(l, *from),
            l.t("naar", "to"),
            situation_label(l, *to)
        ),
        E::StepOverdue { step, .. } => format!(
            "{}: {}",
            l.t(
                "de oppaktermijn is verstreken",
                "the pick-up deadline passed"
            ),
            step_label(l, *step)
        ),
        E::Closed { classification } => format!(
            "{} {}",
            l.t(
                "sloot de escalatie af; knelpunt:",
                "closed the escalation; bottleneck:"
            ),
            l.t(
                classification.bottleneck.label_nl(),
                classification.bottleneck.label_en()
            )
        ),
        E::Corrected { field, reason, .. } => format!(
            "{} {} — {reason}",
            l.t("verbeterde de tekst:", "corrected the text:"),
            corrected_label(l, *field)
        ),
        E::Records { records } => {
            use doorbraak_model::records::RecordsEvent as R;
            match records {
                R::HoldPlaced { reason } => format!(
                    "{} — {reason}",
                    l.t(
                        "legde een juridische bewaarplicht op",
                        "placed a legal hold"
                    )
                ),
                R::HoldLifted => l
                    .t(
                        "hief de juridische bewaarplicht op",
                        "lifted the legal hold",
                    )
                    .to_owned(),
                R::Destroyed { .. } => l
                    .t("vernietigde het dossier", "destroyed the record")
                    .to_owned(),
                R::DestructionConfirmed { org } => format!(
                    "{} {}",
                    l.t("vernietiging bevestigd door", "destruction confirmed by"),
                    org_name(site, org.as_str())
                ),
            }
        }
    }
}

/// What a correction corrected, as people read it.
pub(super) fn corrected_label(l: Lang, f: doorbraak_model::escalation::CorrectableField) -> String {
    use doorbraak_model::escalation::CorrectableField as F;
    match f {
        F::Question => l.t("de vraag", "the question").to_owned(),
        F::Needs => l
            .t(
                "wat het kind of gezin nodig heeft",
                "what the child or family needs",
            )
            .to_owned(),
        F::StepReason(s) => format!("{} ({})", l.t("de reden", "the reason"), step_label(l, s)),
        F::OutcomeSummary(s) => format!(
            "{} ({})",
            l.t("de uitkomst", "the outcome"),
            step_label(l, s)
        ),
    }
}

/// Who did what when, oldest first.
pub(super) fn timeline(
    site: &Site,
    ctx: &Ctx,
    e: &Escalation,
    events: &[StoredEvent<EscalationEvent>],
) -> Markup {
    html! {
        ol.tijdlijn #tijdlijn {
            @for ev in events {
                li {
                    time datetime=(ev.event.at.to_string()) { (time::moment(ev.event.at, ctx.lang)) }
                    " — " (who(site, ctx, e, &ev.event.by)) " " (what(site, ctx, &ev.event.body))
                }
            }
        }
    }
}
