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
        Err(e) => return error_page(&site, &ctx, &ApiError::from(e)),
    };
    let (rows, unread) = match ops::inbox::page(&site.node, &user, at).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let now = site.node.now();
    let content = html! {
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
            &ApiError::from(RuleViolation::NotFound {
                what: "Notification",
            }),
        ),
        Err(e) => failed(&site, &ctx, e),
    }
}
