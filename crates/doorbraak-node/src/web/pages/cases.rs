//! Cases: mine first, registering one, a case with its escalations and kwesties.

use super::*;
use crate::http::IdemKey;

// ------------------------------------------------------------------ cases

pub(super) async fn cases(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let rows = match ops::cases::list(&site.node, &user).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    // mine first (responsible for, or registered by me), then the rest of the organisation's
    let (mine, others): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|c| c.responsible == user.id || c.created_by == user.id);
    let table = |caption: &str, id: &str, rows: &[&doorbraak_store::CaseRow]| {
        html! {
            table id=(id) {
                caption { (caption) }
                thead { tr { th scope="col" { (ctx.t("Casus", "Case")) } th scope="col" { (ctx.t("Omschrijving", "Description")) } th scope="col" { (ctx.t("Sinds", "Since")) } } }
                tbody {
                    @for c in rows {
                        tr {
                            td { a href={ "/zaken/" (urlencode(&c.case_ref)) } { (c.case_ref) } }
                            td { (c.title) }
                            td { (time::day(c.created_at, ctx.lang)) }
                        }
                    }
                }
            }
        }
    };
    let content = html! {
        @if mine.is_empty() {
            p { (ctx.t("U heeft nog geen eigen casussen.", "You have no cases of your own yet.")) }
        } @else {
            (table(ctx.t("Mijn casussen", "My cases"), "mijn-zaken", &mine))
        }
        @if !others.is_empty() {
            (table(ctx.t("Andere casussen van de organisatie", "Other cases of the organisation"), "andere-zaken", &others))
        }
        h2 { (ctx.t("Nieuwe casus registreren", "Register a new case")) }
        form method="post" action="/zaken" {
            (ctx.csrf_field())
            p.hint { (ctx.t("Gebruik een pseudoniem casusnummer, nooit een BSN.", "Use a pseudonymous case number, never a BSN.")) }
            label for="case_ref" { (ctx.t("Casusnummer", "Case number")) }
            input #case_ref name="case_ref" required maxlength="64";
            label for="title" { (ctx.t("Omschrijving", "Description")) }
            input #title name="title" required maxlength="200";
            button.utrecht-button--primary-action type="submit" { (ctx.t("Registreren", "Register")) }
        }
    };
    let title = ctx.t("Casussen", "Cases").to_owned();
    page(&site, &ctx, &title, content)
}

#[derive(Debug, Deserialize)]
pub struct CaseForm {
    pub case_ref: String,
    pub title: String,
}

pub(super) async fn create_case(
    State(site): Web,
    a: Authed,
    key: IdemKey,
    WebForm(f): WebForm<CaseForm>,
) -> Response {
    let Authed { ctx, user } = a;
    let case_ref = f.case_ref.trim().to_owned();
    let created = match key.scoped(&user) {
        Ok(key) => ops::cases::create(&site.node, &user, &case_ref, &f.title, key.as_ref())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => {
            site.flash(&ctx, true, "Casus geregistreerd", "Case registered");
            see_other(&format!("/zaken/{}", urlencode(&case_ref)))
        }
        Err(e) => {
            site.flash_error(&ctx, &e);
            see_other("/zaken")
        }
    }
}

pub(super) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(super) async fn case_page(
    State(site): Web,
    a: Authed,
    Path(case_ref): Path<String>,
) -> Response {
    let Authed { ctx, user } = a;
    let case = match ops::cases::get(&site.node, &user, &case_ref).await {
        Ok(c) => c,
        Err(e) => return failed(&site, &ctx, e),
    };
    let filter = doorbraak_store::ListFilter {
        case_ref: Some(case.case_ref.clone()),
        ..all_rows()
    };
    let escs = match ops::escalations::list(&site.node, &user, &filter).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let kws = match ops::kwesties::list(&site.node, &user, &filter).await {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let enc = urlencode(&case.case_ref);
    let content = html! {
        p { (case.title) }
        p.knoppen {
            a.knop #escalatie-openen href={ "/escalaties/nieuw?zaak=" (enc) } { (ctx.t("Escalatie openen", "Open an escalation")) }
            " "
            a.knop.tweede href={ "/kwesties/nieuw?zaak=" (enc) } { (ctx.t("Kwestie melden", "Raise a kwestie")) }
        }
        h2 { (ctx.t("Escalaties", "Escalations")) }
        (escalation_table(&site, &ctx, &escs))
        h2 { (ctx.t("Kwesties", "Kwesties")) }
        (kwestie_table(&site, &ctx, &kws))
    };
    let title = format!("{} {}", ctx.t("Casus", "Case"), case.case_ref);
    page(&site, &ctx, &title, content)
}
