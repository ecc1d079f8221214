//! Cases: mine first, registering one, a case with its escalations and kwesties.

use super::*;
use crate::http::IdemKey;

// ------------------------------------------------------------------ cases

/// The case list's query: a search, only my own, the page.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    #[serde(default)]
    pub zoek: String,
    /// `ja`: only the cases I am responsible for or registered.
    #[serde(default)]
    pub mijn: String,
    #[serde(default)]
    pub pagina: Option<i64>,
}

pub(super) async fn cases(
    State(site): Web,
    a: Authed,
    q: Result<Query<CasesQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&site, &ctx, &HttpError::from(e)),
    };
    let mine = q.mijn == "ja";
    let at = q.pagina.unwrap_or(1).clamp(1, 1000);
    let found = match ops::cases::page(
        &site.node,
        &user,
        &q.zoek,
        mine,
        lists::PAGE_SIZE,
        (at - 1) * lists::PAGE_SIZE,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return failed(&site, &ctx, e),
    };
    let content = html! {
        form.zoek.filters method="get" action="/casussen" role="search" aria-label=(ctx.t("Casussen zoeken", "Search cases")) {
            div {
                label for="zoek" { (ctx.t("Zoeken (casusnummer of omschrijving)", "Search (case number or description)")) }
                input #zoek type="search" name="zoek" value=(q.zoek) maxlength="100";
            }
            div.keuze {
                input #mijn type="checkbox" name="mijn" value="ja" checked[mine];
                label for="mijn" { (ctx.t("alleen mijn casussen", "only my cases")) }
            }
            button.utrecht-button--secondary-action #filteren type="submit" { (ctx.t("Tonen", "Show")) }
        }
        (lists::pager_with(&ctx, &cases_link(&q), at, &found, "casussen", "cases"))
        @if found.rows.is_empty() {
            p #geen { (ctx.t("Geen casussen.", "No cases.")) }
        } @else {
            div.tabel {
                table #zaken {
                    thead { tr {
                        th scope="col" { (ctx.t("Casus", "Case")) }
                        th scope="col" { (ctx.t("Omschrijving", "Description")) }
                        th scope="col" { (ctx.t("Verantwoordelijke", "Responsible")) }
                        th scope="col" { (ctx.t("Sinds", "Since")) }
                    } }
                    tbody {
                        @for c in &found.rows {
                            tr {
                                td { a href={ "/casussen/" (urlencode(&c.case_ref)) } { (c.case_ref) } }
                                td { (c.title) }
                                td { @if c.responsible == user.id { (ctx.t("ik", "me")) } @else { (c.responsible) } }
                                td { (time::day(c.created_at, ctx.lang)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Nieuwe casus registreren", "Register a new case")) }
        form method="post" action="/casussen" {
            (ctx.csrf_field())
            p.hint { (ctx.t("Gebruik een pseudoniem casusnummer, nooit een BSN.", "Use a pseudonymous case number, never a BSN.")) }
            label for="case_ref" { (ctx.t("Casusnummer", "Case number")) }
            input #case_ref name="case_ref" required maxlength="64";
            label for="title" { (ctx.t("Omschrijving", "Description")) }
            input #title name="title" required maxlength="200";
            button.utrecht-button--primary-action #zaak-registreren type="submit" { (ctx.t("Registreren", "Register")) }
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
            .map_err(HttpError::from),
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => {
            site.flash(&ctx, true, "Casus geregistreerd", "Case registered")
                .await;
            see_other(&format!("/casussen/{}", urlencode(&case_ref)))
        }
        Err(e) => {
            site.flash_error(&ctx, &e).await;
            see_other("/casussen")
        }
    }
}

/// The case list's address with this query, up to its page number.
fn cases_link(q: &CasesQuery) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if !q.zoek.trim().is_empty() {
        s.append_pair("zoek", q.zoek.trim());
    }
    if q.mijn == "ja" {
        s.append_pair("mijn", "ja");
    }
    format!("/casussen?{}", s.finish())
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
    let filter = doorbraak_app::views::ListFilter {
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
        @if doorbraak_model::records::check_responsible(Some(user.role), "inzage_export").is_ok() {
            h2 { (ctx.t("Inzage", "Access request")) }
            p.hint { (ctx.t("Alles wat deze node over deze casus vastlegt, met wie het las of wijzigde (AVG artikel 15), als afdrukbare pagina.", "Everything this node holds about this case, with who read or changed it (GDPR article 15), as a printable page.")) }
            p { a #inzage href={ "/casussen/" (enc) "/inzage" } { (ctx.t("Inzageoverzicht maken", "Make the access overview")) } }
        }
    };
    let title = format!("{} {}", ctx.t("Casus", "Case"), case.case_ref);
    page(&site, &ctx, &title, content)
}
