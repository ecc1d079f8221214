//! What every list screen shares: the search and filter bar (a GET form, so a filtered list
//! is a link one can share or bookmark), the order, and server-side pages.

use super::*;
use doorbraak_app::views::{ListFilter, ListSort};

/// Rows per page of a list screen.
pub(super) const PAGE_SIZE: i64 = 50;

/// The last page one may ask for (50,000 rows deep).
const MAX_PAGE: i64 = 1000;

/// A list screen's query, in the words of its URL.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    pub zoek: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub stap: String,
    #[serde(default)]
    pub situatie: String,
    /// The OIN of an organisation that is a party.
    #[serde(default)]
    pub partij: String,
    /// The person id of the case's responsible professional.
    #[serde(default)]
    pub verantwoordelijke: String,
    #[serde(default)]
    pub sorteer: String,
    #[serde(default)]
    pub pagina: Option<i64>,
}

/// The orders a list offers, by their URL word.
const SORTS: [(&str, ListSort, &str, &str); 5] = [
    (
        "termijn",
        ListSort::Deadline,
        "te laat eerst, dan op termijn",
        "overdue first, then by deadline",
    ),
    (
        "nieuwste",
        ListSort::Newest,
        "nieuwste eerst",
        "newest first",
    ),
    ("oudste", ListSort::Oldest, "oudste eerst", "oldest first"),
    ("casus", ListSort::Case, "op casus", "by case"),
    (
        "bijgewerkt",
        ListSort::Updated,
        "laatst gewijzigd eerst",
        "last changed first",
    ),
];

/// Which filters a list screen offers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Offers {
    /// The kind listed: its statuses are offered (with their Dutch labels).
    pub kind: StreamKind,
    pub step_and_situation: bool,
    pub party: bool,
    pub responsible: bool,
}

impl ListParams {
    pub(super) fn page_number(&self) -> i64 {
        self.pagina.unwrap_or(1).clamp(1, MAX_PAGE)
    }

    /// The store's filter, each value checked (a value outside the offered ones names its
    /// field).
    pub(super) fn filter(&self, site: &Site, offers: Offers) -> Result<ListFilter, HttpError> {
        let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let number = |field: &'static str, s: &str| -> Result<Option<i64>, HttpError> {
            match s.trim() {
                "" => Ok(None),
                "1" => Ok(Some(1)),
                "2" => Ok(Some(2)),
                "3" => Ok(Some(3)),
                _ => Err(RuleViolation::InvalidField {
                    field,
                    reason: "not one of the offered choices",
                }
                .into()),
            }
        };
        let choice_err = |field: &'static str| {
            HttpError::from(RuleViolation::InvalidField {
                field,
                reason: "not one of the offered choices",
            })
        };
        let status = given(&self.status)
            .map(|s| Status::parse(offers.kind, &s).map_err(|_| choice_err("status")))
            .transpose()?;
        let party = given(&self.partij);
        if let Some(p) = &party {
            let oin = Oin::parse(p).map_err(|_| choice_err("partij"))?;
            if site.node.directory().get(&oin).is_none() {
                return Err(choice_err("partij"));
            }
        }
        let sort = match self.sorteer.trim() {
            "" => ListSort::Deadline,
            s => SORTS
                .iter()
                .find(|(w, ..)| *w == s)
                .map(|(_, sort, ..)| *sort)
                .ok_or_else(|| choice_err("sorteer"))?,
        };
        let search = given(&self.zoek);
        if search.as_deref().is_some_and(|s| s.chars().count() > 100) {
            return Err(RuleViolation::InvalidField {
                field: "zoek",
                reason: "too long",
            }
            .into());
        }
        Ok(ListFilter {
            status,
            step: number("stap", &self.stap)?,
            situation: number("situatie", &self.situatie)?,
            party,
            responsible: given(&self.verantwoordelijke),
            search,
            sort,
            limit: PAGE_SIZE,
            offset: (self.page_number() - 1) * PAGE_SIZE,
            ..ListFilter::default()
        })
    }

    /// This query as URL parameters, on another page.
    fn link(&self, path: &str, page: i64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("zoek", &self.zoek),
            ("status", &self.status),
            ("stap", &self.stap),
            ("situatie", &self.situatie),
            ("partij", &self.partij),
            ("verantwoordelijke", &self.verantwoordelijke),
            ("sorteer", &self.sorteer),
        ] {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        q.append_pair("pagina", &page.to_string());
        format!("{path}?{}", q.finish())
    }
}

/// A list screen's query and the store's filter from it; a query that does not parse, or a
/// value outside the offered ones, is the error page naming the field.
pub(super) fn read(
    site: &Site,
    ctx: &Ctx,
    q: Result<Query<ListParams>, QueryRejection>,
    offers: Offers,
) -> Result<(ListParams, ListFilter), Box<Response>> {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return Err(Box::new(error_page(site, ctx, &HttpError::from(e)))),
    };
    match q.filter(site, offers) {
        Ok(f) => Ok((q, f)),
        Err(e) => Err(Box::new(error_page(site, ctx, &e))),
    }
}

/// The search and filter bar of a list (every choice labelled; "alle" means no filter).
pub(super) fn filter_bar(
    site: &Site,
    ctx: &Ctx,
    path: &str,
    p: &ListParams,
    offers: Offers,
) -> Markup {
    let selected = |a: &str, b: &str| a.trim() == b;
    let all = ctx.t("alle", "all");
    let others = other_members(site);
    html! {
        form.zoek.filters method="get" action=(path) role="search" aria-label=(ctx.t("Zoeken en filteren", "Search and filter")) {
            div {
                label for="zoek" { (ctx.t("Zoeken (casus of onderwerp)", "Search (case or subject)")) }
                input #zoek type="search" name="zoek" value=(p.zoek) maxlength="100";
            }
            div {
                label for="f-status" { (ctx.t("Status", "Status")) }
                select #f-status name="status" {
                    option value="" { (all) }
                    @for s in Status::of(offers.kind) { option value=(s.code()) selected[selected(&p.status, s.code())] { (status_label(ctx.lang, *s)) } }
                }
            }
            @if offers.step_and_situation {
                div {
                    label for="f-stap" { (ctx.t("Stap", "Step")) }
                    select #f-stap name="stap" {
                        option value="" { (all) }
                        @for s in Step::ALL { option value=(s.number()) selected[selected(&p.stap, &s.number().to_string())] { (step_label(ctx.lang, s)) } }
                    }
                }
                div {
                    label for="f-situatie" { (ctx.t("Situatie", "Situation")) }
                    select #f-situatie name="situatie" {
                        option value="" { (all) }
                        @for s in Situation::ALL { option value=(s.number()) selected[selected(&p.situatie, &s.number().to_string())] { (situation_label(ctx.lang, s)) } }
                    }
                }
            }
            @if offers.party {
                div {
                    label for="f-partij" { (ctx.t("Andere organisatie", "Other organisation")) }
                    select #f-partij name="partij" {
                        option value="" { (all) }
                        @for m in &others { option value=(m.oin.as_str()) selected[selected(&p.partij, m.oin.as_str())] { (m.name) } }
                    }
                }
            }
            @if offers.responsible {
                div {
                    label for="f-verantwoordelijke" { (ctx.t("Verantwoordelijke (persoon-id)", "Responsible (person id)")) }
                    input #f-verantwoordelijke name="verantwoordelijke" value=(p.verantwoordelijke) maxlength="100" list="mensen";
                    datalist #mensen { @for u in &site.node.settings.dev_users { option value=(u.id) { (u.name) } } }
                }
            }
            div {
                label for="f-sorteer" { (ctx.t("Volgorde", "Order")) }
                select #f-sorteer name="sorteer" {
                    @for (w, _, nl, en) in SORTS { option value=(w) selected[selected(&p.sorteer, w) || (p.sorteer.trim().is_empty() && w == "termijn")] { (ctx.t(nl, en)) } }
                }
            }
            button.utrecht-button--secondary-action #filteren type="submit" { (ctx.t("Tonen", "Show")) }
        }
    }
}

/// "1–50 van 1.000" and the links to the pages before and after.
pub(super) fn pager<T>(
    ctx: &Ctx,
    path: &str,
    p: &ListParams,
    page: &ops::lists::Page<T>,
    what_nl: &str,
    what_en: &str,
) -> Markup {
    let base = p.link(path, 1);
    let base = base.strip_suffix("pagina=1").unwrap_or(&base);
    pager_with(ctx, base, p.page_number(), page, what_nl, what_en)
}

/// The pager for a list whose query is `base` (an address ending in `?` or `&`, or a query to
/// which `&pagina=` is added).
pub(super) fn pager_with<T>(
    ctx: &Ctx,
    base: &str,
    at: i64,
    page: &ops::lists::Page<T>,
    what_nl: &str,
    what_en: &str,
) -> Markup {
    let pages = ((page.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let first = if page.rows.is_empty() {
        0
    } else {
        page.offset + 1
    };
    let last = page.offset + i64::try_from(page.rows.len()).unwrap_or(0);
    let sep = if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    let link = |n: i64| format!("{base}{sep}pagina={n}");
    html! {
        nav.paginering aria-label=(ctx.t("Pagina's", "Pages")) {
            p #aantal role="status" {
                (first) "–" (last) " " (ctx.t("van", "of")) " " (thousands(page.total)) " " (ctx.t(what_nl, what_en))
                " · " (ctx.t("pagina ", "page ")) (at) " " (ctx.t("van", "of")) " " (pages)
            }
            @if at > 1 { a #vorige rel="prev" href=(link(at - 1)) { "← " (ctx.t("vorige", "previous")) } " " }
            @if at < pages && at < MAX_PAGE { a #volgende rel="next" href=(link(at + 1)) { (ctx.t("volgende", "next")) " →" } }
        }
    }
}

/// A whole number with a dot between thousands, as Dutch writes it (1.000).
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_written_the_dutch_way() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1.000");
        assert_eq!(thousands(1_234_567), "1.234.567");
    }
}
