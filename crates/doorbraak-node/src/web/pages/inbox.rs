//! "Meldingen": what waits for me, newest first, each linking to its item; opening one marks it
//! read.

use super::*;
use doorbraak_model::notify::Reason;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    #[serde(default)]
    pub pagina: Option<i64>,
}

/// The screen's word for a kind of item.
fn item_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "escalation" => lang.t("escalatie", "escalation"),
        "kwestie" => lang.t("kwestie", "kwestie"),
        "minutes" => lang.t("overleg en verslag", "meeting and minutes"),
        _ => lang.t("aanbeveling", "recommendation"),
    }
}

/// The page of an item.
fn item_path(kind: &str, id: &str) -> String {
    match kind {
        "escalation" => format!("/escalaties/{id}"),
        "kwestie" => format!("/kwesties/{id}"),
        "minutes" => format!("/overleggen/{id}"),
        _ => "/aanbevelingen".to_owned(),
    }
}

pub(super) async fn inbox(
    State(site): Web,
    a: Authed,
    q: Result<Query<InboxQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let at = match q {
        Ok(Query(q)) => q.pagina.unwrap_or(1).clamp(1, 1000),
        Err(e) => return error_page(&site, &ctx, &HttpError::from(e)),
    };
    let (rows, unread) = match ops::inbox::page(&site.node, &user, at).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let digest = match ops::inbox::digest(&site.node, &user).await {
        Ok(d) => d,
        Err(e) => return failed(&site, &ctx, e),
    };
    let mailed = site.node.settings.mail.is_some();
    let now = site.node.now();
    let content = html! {
        @if mailed {
            details.actie #voorkeur {
                summary { (ctx.t("Mijn meldingen per e-mail: ", "My notification mails: ")) @if digest { (ctx.t("één overzicht per dag", "one digest a day")) } @else { (ctx.t("direct", "at once")) } }
                form method="post" action="/meldingen/voorkeur" {
                    (ctx.csrf_field())
                    fieldset {
                        legend { (ctx.t("Hoe wilt u meldingen per e-mail krijgen?", "How do you want notification mails?")) }
                        div.keuze { input type="radio" name="wijze" id="wijze-direct" value="direct" checked[!digest]; label for="wijze-direct" { (ctx.t("direct, elke melding apart", "at once, each on its own")) } }
                        div.keuze { input type="radio" name="wijze" id="wijze-dagelijks" value="dagelijks" checked[digest]; label for="wijze-dagelijks" { (ctx.t("één overzicht per werkdag", "one digest per working day")) } }
                    }
                    p.hint { (ctx.t("Een verstreken termijn krijgt u altijd direct.", "A passed deadline always comes at once.")) }
                    button.utrecht-button--primary-action #voorkeur-opslaan type="submit" { (ctx.t("Opslaan", "Save")) }
                }
            }
        }
        p.hint #ongelezen {
            (unread) " " (ctx.t("ongelezen", "unread")) ". "
            (ctx.t("Wat op u wacht, van uw eigen organisatie; een melding opent het onderwerp en telt dan als gelezen.", "What waits for you, from your own organisation; a notification opens its item and then counts as read."))
        }
        @if rows.is_empty() {
            p #geen { (ctx.t("Geen meldingen.", "No notifications.")) }
        } @else {
            ul.meldingen #meldingen-lijst {
                @for r in &rows {
                    @let reason = Reason::from_code(&r.reason);
                    li class=(if r.read_at.is_none() { "ongelezen" } else { "gelezen" }) {
                        a href={ "/meldingen/" (r.id) } {
                            @if r.read_at.is_none() { span.badge { (ctx.t("nieuw", "new")) } " " }
                            (reason.map_or(r.reason.as_str(), |x| ctx.t(x.label_nl(), x.label_en())))
                        }
                        br;
                        span.klein {
                            (item_label(ctx.lang, &r.stream_kind))
                            @if let Some(c) = &r.case_ref { " " (c) }
                            " · " (time::moment(r.created_at, ctx.lang))
                            @if let Some(d) = r.deadline { " · " (ctx.t("termijn ", "deadline ")) (deadline(&ctx, d, now)) }
                        }
                    }
                }
            }
            nav.paginering aria-label=(ctx.t("Pagina's", "Pages")) {
                @if at > 1 { a #vorige rel="prev" href={ "/meldingen?pagina=" (at - 1) } { "← " (ctx.t("nieuwere", "newer")) } " " }
                @if rows.len() as i64 == ops::inbox::PAGE { a #volgende rel="next" href={ "/meldingen?pagina=" (at + 1) } { (ctx.t("oudere", "older")) " →" } }
            }
        }
    };
    let title = ctx.t("Meldingen", "Notifications").to_owned();
    page(&site, &ctx, &title, content)
}

/// Open a notification: it counts as read, and its item is shown.
pub(super) async fn open_notice(State(site): Web, a: Authed, Path(id): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    match ops::inbox::open(&site.node, &user, &id).await {
        Ok(Some((kind, item))) => see_other(&item_path(&kind, &item)),
        Ok(None) => error_page(
            &site,
            &ctx,
            &HttpError::from(RuleViolation::NotFound {
                what: "Notification",
            }),
        ),
        Err(e) => failed(&site, &ctx, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct PreferenceForm {
    #[serde(default)]
    pub wijze: String,
}

/// Save the choice between mails at once and a daily digest.
pub(super) async fn preference(
    State(site): Web,
    a: Authed,
    WebForm(f): WebForm<PreferenceForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let r = match f.wijze.as_str() {
        "direct" => Ok(false),
        "dagelijks" => Ok(true),
        "" => Err(HttpError::from(RuleViolation::MissingField {
            field: "wijze",
        })),
        _ => Err(HttpError::from(RuleViolation::InvalidField {
            field: "wijze",
            reason: "not one of the offered choices",
        })),
    };
    let r = match r {
        Ok(d) => ops::inbox::set_digest(&site.node, &user, d)
            .await
            .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    after_command(
        Some("voorkeur"),
        &site,
        &ctx,
        "/meldingen",
        r,
        "Voorkeur opgeslagen",
        "Preference saved",
    )
    .await
}
