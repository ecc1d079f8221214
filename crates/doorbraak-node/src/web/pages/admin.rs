//! Administration: members and delivery (resend), certificates, the access log (search, CSV).

use super::*;

// ------------------------------------------------------------------ administration

pub(super) fn cert_rows(ctx: &Ctx, site: &Site) -> Markup {
    use doorbraak_federation::identity::CertificateSummary;
    let now = site.node.now().as_second();
    let certs: Vec<(&str, Option<CertificateSummary>)> = match &site.node.federation {
        Some(f) => f
            .tls
            .anchors
            .iter()
            .map(|a| {
                (
                    ctx.t("Vertrouwd CA-certificaat", "Trusted CA certificate"),
                    CertificateSummary::from_der(a).ok(),
                )
            })
            .chain(f.tls.intermediates.iter().map(|i| {
                (
                    ctx.t("Tussencertificaat", "Intermediate certificate"),
                    CertificateSummary::from_der(i).ok(),
                )
            }))
            .chain(std::iter::once((
                ctx.t("Nodecertificaat", "Node certificate"),
                CertificateSummary::from_der(&f.tls.cert_der).ok(),
            )))
            .collect(),
        None => Vec::new(),
    };
    html! {
        @if certs.is_empty() { p { (ctx.t("Deze node draait zonder federatie-TLS.", "This node runs without federation TLS.")) } }
        @else {
            table #certificaten {
                thead { tr {
                    th scope="col" { (ctx.t("Certificaat", "Certificate")) }
                    th scope="col" { (ctx.t("Onderwerp", "Subject")) }
                    th scope="col" { (ctx.t("Geldig tot", "Valid until")) }
                    th scope="col" { (ctx.t("Vingerafdruk (SHA-256)", "Fingerprint (SHA-256)")) }
                } }
                tbody {
                    @for (what, c) in &certs {
                        tr {
                            th scope="row" { (what) }
                            @if let Some(c) = c {
                                td { (c.subject) }
                                td {
                                    (Timestamp::from_second(c.not_after).map(|t| time::day(t, ctx.lang)).unwrap_or_default())
                                    @let days = c.not_after.saturating_sub(now) / 86_400;
                                    " (" (days) (ctx.t(" dagen", " days")) ")"
                                    @if days < 30 { " " span.badge.te-laat { (ctx.t("verloopt binnenkort", "expires soon")) } }
                                }
                                td { code.klein { (c.fingerprint) } }
                            } @else { td colspan="3" { (ctx.t("onleesbaar", "unreadable")) } }
                        }
                    }
                }
            }
        }
    }
}

pub(super) async fn admin(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let peers = match ops::admin::peers(&site.node, &user).await {
        Ok(p) => p,
        Err(e) => return failed(&site, &ctx, e),
    };
    let health = match ops::admin::health(&site.node, &user).await {
        Ok(h) => h,
        Err(e) => return failed(&site, &ctx, e),
    };
    let queue = match ops::admin::mail_queue(&site.node, &user).await {
        Ok(q) => q,
        Err(e) => return failed(&site, &ctx, e),
    };
    let state_word = |s: &str| match s {
        "pending" => ctx.t("wachtend", "queued"),
        "sent" => ctx.t("verstuurd", "sent"),
        "failed" => ctx.t("opgegeven", "given up"),
        _ => ctx.t(
            "geen adres (alleen in de app)",
            "no address (in the app only)",
        ),
    };
    let content = html! {
        h2 { (ctx.t("Leden en aflevering", "Members and delivery")) }
        table #peers {
            thead { tr {
                th scope="col" { (ctx.t("Organisatie", "Organisation")) }
                th scope="col" { (ctx.t("Adres", "Endpoint")) }
                th scope="col" { (ctx.t("Wachtend", "Pending")) }
                th scope="col" { (ctx.t("Afgeleverd", "Delivered")) }
                th scope="col" { (ctx.t("Geweigerd", "Refused")) }
                th scope="col" { (ctx.t("Laatste fout", "Last error")) }
                th scope="col" { (ctx.t("Versie", "Release")) }
                th scope="col" { span.sr { (ctx.t("Actie", "Action")) } }
            } }
            tbody {
                @for p in &peers {
                    tr {
                        td { (p.name) br; span.klein { (p.oin) " · " (p.kind.label_nl()) } }
                        td { code { (p.endpoint) } }
                        td { (p.pending) }
                        td { (p.delivered) }
                        td { (p.rejected) }
                        td { (p.last_error.clone().unwrap_or_default()) }
                        td.versie {
                            @match (&p.software_version, p.compatible) {
                                (Some(v), Some(false)) => {
                                    strong.fout { (ctx.t("Niet uitwisselbaar: ", "Cannot exchange events: ")) }
                                    (v) " — "
                                    (ctx.t("deze versie en die van de organisatie lezen elkaars gebeurtenissen niet; werk een van beide bij (docs/beheer.md)", "this release and the organisation's do not read each other's events; upgrade one of them (docs/beheer.md)"))
                                }
                                (Some(v), _) => (v),
                                (None, _) => span.hint { (ctx.t("nog niet gehoord", "not heard from yet")) },
                            }
                        }
                        td {
                            form method="post" action={ "/beheer/peers/" (p.oin) "/opnieuw" } {
                                (ctx.csrf_field())
                                button.utrecht-button--primary-action type="submit" aria-label={ (ctx.t("Nu opnieuw versturen naar ", "Resend now to ")) (p.name) } { (ctx.t("Opnieuw versturen", "Resend")) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Geweigerde berichten", "Refused messages")) }
        @if health.dead_letters.is_empty() {
            p #geweigerd { (ctx.t("Geen: elke organisatie heeft alles aangenomen wat deze node verstuurde.", "None: every organisation accepted everything this node sent.")) }
        } @else {
            p { (ctx.t("Deze berichten weigerde de ontvanger definitief; ze worden niet meer verstuurd. Elke weigering is een fout die onderzocht moet worden.", "The receiver refused these messages for good; they are no longer sent. Every refusal is a fault to investigate.")) }
            table #geweigerd {
                thead { tr {
                    th scope="col" { (ctx.t("Bericht", "Message")) }
                    th scope="col" { (ctx.t("Aan", "To")) }
                    th scope="col" { (ctx.t("Geweigerd op", "Refused at")) }
                    th scope="col" { (ctx.t("Reden", "Reason")) }
                } }
                tbody {
                    @for d in &health.dead_letters {
                        tr {
                            td { code.klein { (d.message_id) } br; span.klein { (d.stream_kind.clone().unwrap_or_default()) " " (d.stream_id.clone().unwrap_or_default()) } }
                            td { (peers.iter().find(|p| p.oin == d.destination).map_or(d.destination.clone(), |p| p.name.clone())) }
                            td { (time::moment(d.rejected_at, ctx.lang)) }
                            td { (d.reason) }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Afwijkende kopieën", "Diverged replicas")) }
        @if health.divergences.is_empty() {
            p #afwijkingen { (ctx.t("Geen: elke kopie is gelijk aan het origineel bij de thuisorganisatie.", "None: every replica equals its home's log.")) }
        } @else {
            table #afwijkingen {
                thead { tr {
                    th scope="col" { (ctx.t("Escalatie of verslag", "Escalation or minutes")) }
                    th scope="col" { (ctx.t("Volgnummer", "Sequence number")) }
                    th scope="col" { (ctx.t("Hier / bij de thuisorganisatie", "Here / at the home")) }
                    th scope="col" { (ctx.t("Gevonden", "Detected")) }
                    th scope="col" { (ctx.t("Hersteld", "Repaired")) }
                } }
                tbody {
                    @for d in &health.divergences {
                        tr {
                            td { (d.stream_kind) " " code.klein { (d.stream_id) } }
                            td { (d.seq) }
                            td { code.klein { (d.local_event_id) } br; code.klein { (d.home_event_id) } }
                            td { (time::moment(d.detected_at, ctx.lang)) }
                            td { @match d.repaired_at { Some(t) => (time::moment(t, ctx.lang)), None => span.badge.te-laat { (ctx.t("nog niet", "not yet")) } } }
                        }
                    }
                }
            }
        }
        @if !health.audit.is_clean() {
            p.melding.fout role="alert" {
                (ctx.t("De controle van de opslag vond afwijkingen: ", "The store audit found inconsistencies: "))
                @for (check, n) in health.audit.findings().into_iter().filter(|(_, n)| *n > 0) {
                    code { (check) } " " (n) " "
                }
            }
        }
        h2 { (ctx.t("Meldingen per e-mail", "Notification mails")) }
        @if !queue.configured {
            p #mailwachtrij { (ctx.t("Deze node verstuurt geen e-mail ([mail] ontbreekt in node.toml); meldingen staan alleen in de app.", "This node sends no mail ([mail] is missing from node.toml); notifications are in the app only.")) }
        } @else {
            p #mailwachtrij {
                @for (state, n) in &queue.counts { (state_word(state)) ": " (n) " · " }
                a href="/beheer/gebruikers" { (ctx.t("wie heeft geen adres?", "who has no address?")) }
            }
            @if !queue.problems.is_empty() {
                div.tabel { table #mailfouten {
                    caption { (ctx.t("Laatste problemen bij het versturen", "Latest problems sending")) }
                    thead { tr {
                        th scope="col" { (ctx.t("Aan", "To")) }
                        th scope="col" { (ctx.t("Waarom", "Why")) }
                        th scope="col" { (ctx.t("Stand", "State")) }
                        th scope="col" { (ctx.t("Pogingen", "Attempts")) }
                        th scope="col" { (ctx.t("Fout", "Error")) }
                    } }
                    tbody {
                        @for (person, reason, state, attempts, error, at) in &queue.problems {
                            tr {
                                td { (person) br; span.klein { (time::moment(*at, ctx.lang)) } }
                                td { (doorbraak_model::notify::Reason::from_code(reason).map_or(reason.as_str(), |r| ctx.t(r.label_nl(), r.label_en()))) }
                                td { (state_word(state)) }
                                td { (attempts) }
                                td { code.klein { (error) } }
                            }
                        }
                    }
                } }
            }
        }
        h2 { (ctx.t("Certificaten", "Certificates")) }
        (cert_rows(&ctx, &site))
        h2 { (ctx.t("Adresboek van de federatie", "The federation's directory")) }
        @if let Some(m) = site.node.directory().manifest.as_ref().map(|m| &m.manifest) {
            @let left_days = (m.expires_at.as_second() - site.node.now().as_second()) / 86_400;
            p #adresboek-versie {
                (ctx.t("Versie ", "Version ")) strong { (m.serial) }
                (ctx.t(", ondertekend door de federatiebeheerder op ", ", signed by the federation operator on "))
                (time::moment(m.issued_at, ctx.lang))
                (ctx.t("; geldig tot ", "; valid until ")) (time::moment(m.expires_at, ctx.lang))
                " · " (m.members.len()) (ctx.t(" leden", " members"))
            }
            @if left_days < 14 {
                p.melding.waarschuwing #adresboek-verloopt role="alert" {
                    (ctx.t("Het adresboek verloopt over ", "The directory expires in "))
                    (left_days.max(0)) (ctx.t(" dagen: vraag de federatiebeheerder om een nieuw ondertekend adresboek.", " days: ask the federation operator for a newly signed one."))
                }
            }
        }
        p.hint { (ctx.t("Heeft de regio een nieuw ondertekend adresboek gepubliceerd? Laad het hier; een ongeldig of ouder adresboek wordt geweigerd en het huidige blijft in gebruik.", "Did the region publish a new signed directory? Load it here; an invalid or older one is refused and the current one stays in use.")) }
        form.actie method="post" action="/beheer/adresboek" {
            (ctx.csrf_field())
            button.utrecht-button--primary-action #adresboek type="submit" { (ctx.t("Adresboek opnieuw laden", "Reload the directory")) }
        }
        p {
            a href="/beheer/toegangslog" { (ctx.t("Toegangslog doorzoeken", "Search the access log")) }
            " · "
            a #naar-gebruikers href="/beheer/gebruikers" { (ctx.t("Gebruikers en rollen", "Users and roles")) }
        }
        @if site.node.settings.clock_adjustable {
            h2 { (ctx.t("Ontwikkelklok", "Development clock")) }
            p.hint { (ctx.t("Alleen voor demonstraties en tests: de klok van deze node loopt zoveel dagen voor, zodat termijnen verstrijken. Nu: ", "For demonstrations and tests only: this node's clock runs this many days ahead, so that deadlines pass. Now: "))
                strong #klok-nu { (site.node.clock_offset_days()) (ctx.t(" dagen vooruit", " days ahead")) } " (" (time::moment(site.node.now(), ctx.lang)) ")" }
            form.formulier #klok method="post" action="/beheer/klok" {
                (ctx.csrf_field())
                label for="klok-dagen" { (ctx.t("Dagen vooruit", "Days ahead")) }
                input #klok-dagen type="number" name="days" min="0" max=(ops::admin::MAX_CLOCK_DAYS) required value=(site.node.clock_offset_days()) inputmode="numeric";
                button.utrecht-button--primary-action #klok-zetten type="submit" { (ctx.t("Klok zetten", "Set the clock")) }
            }
        }
    };
    let title = ctx.t("Federatie", "Federation").to_owned();
    page(&site, &ctx, &title, content)
}

pub(super) async fn admin_reload_directory(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    match ops::admin::reload_directory(&site.node, &user).await {
        Ok(members) => {
            site.flash(
                &ctx,
                true,
                format!("Adresboek geladen: {members} organisaties"),
                format!("Directory loaded: {members} organisations"),
            )
            .await
        }
        Err(ops::admin::ReloadRefused::Node(e)) => {
            site.flash_refusal(&ctx, &e.into(), Some("adresboek")).await;
        }
        Err(ops::admin::ReloadRefused::Directory(e)) => {
            site.flash_refusal(
                &ctx,
                &crate::error::directory_not_loaded(&e),
                Some("adresboek"),
            )
            .await;
        }
    }
    see_other("/beheer")
}

pub(super) async fn admin_resend(State(site): Web, a: Authed, Path(oin): Path<String>) -> Response {
    let Authed { ctx, user } = a;
    match ops::admin::resend(&site.node, &user, &oin).await {
        Ok(pending) => {
            site.flash(
                &ctx,
                true,
                format!("Opnieuw verstuurd ({pending} wachtend)"),
                format!("Resent ({pending} pending)"),
            )
            .await
        }
        Err(e) => site.flash_error(&ctx, &e.into()).await,
    }
    see_other("/beheer")
}

#[derive(Debug, Deserialize)]
pub struct ClockForm {
    pub days: i64,
}

pub(super) async fn admin_clock(
    State(site): Web,
    a: Authed,
    WebForm(f): WebForm<ClockForm>,
) -> Response {
    let Authed { ctx, user } = a;
    match ops::admin::set_clock(&site.node, &user, f.days).await {
        Ok(()) => {
            site.flash(
                &ctx,
                true,
                format!("Klok gezet: {} dagen vooruit", f.days),
                format!("Clock set: {} days ahead", f.days),
            )
            .await
        }
        Err(e) => site.flash_error(&ctx, &e.into()).await,
    }
    see_other("/beheer")
}

/// The node's people and their roles, with when they last logged in and a link to what they
/// did.
pub(super) async fn people(State(site): Web, a: Authed) -> Response {
    let Authed { ctx, user } = a;
    let people = match ops::admin::people(&site.node, &user).await {
        Ok(p) => p,
        Err(e) => return failed(&site, &ctx, e),
    };
    let without: Vec<&str> = people
        .iter()
        .filter(|p| p.email.is_none())
        .map(|p| p.name.as_str())
        .collect();
    let content = html! {
        p.hint { (ctx.t("Iedereen die op deze node heeft ingelogd, met de rol van de laatste keer, en de ontwikkelaccounts uit de configuratie. Rollen komen van de inlogdienst (OpenID Connect) of uit node.toml.", "Everyone who logged in at this node, with their role as last time, and the development accounts of the configuration. Roles come from the login service (OpenID Connect) or node.toml.")) }
        div.tabel {
            table #gebruikers {
                caption { (people.len()) (ctx.t(" personen", " people")) }
                thead { tr {
                    th scope="col" { (ctx.t("Naam", "Name")) }
                    th scope="col" { (ctx.t("Persoon-id", "Person id")) }
                    th scope="col" { (ctx.t("Rol", "Role")) }
                    th scope="col" { (ctx.t("Inloggen via", "Logs in with")) }
                    th scope="col" { (ctx.t("E-mail voor meldingen", "E-mail for notifications")) }
                    th scope="col" { (ctx.t("Laatst ingelogd", "Last login")) }
                    th scope="col" { span.sr { (ctx.t("Toegangslog", "Access log")) } }
                } }
                tbody {
                    @for p in &people {
                        tr {
                            td { (p.name) }
                            td { code.klein { (p.id) } }
                            td { (role_label(ctx.lang, p.role)) }
                            td { @if p.source == "oidc" { "OpenID Connect" } @else { (ctx.t("ontwikkelaccount", "development account")) } }
                            td { @match &p.email { Some(e) => (e), None => span.hint { (ctx.t("geen: alleen in de app", "none: in the app only")) } } }
                            td { @match p.last_seen { Some(t) => (time::moment(t, ctx.lang)), None => (ctx.t("nog niet", "not yet")) } }
                            td { a href={ "/beheer/toegangslog?user_id=" (urlencode(&p.id)) } aria-label={ (ctx.t("Toegangslog van ", "Access log of ")) (p.name) } { (ctx.t("toegangslog", "access log")) } }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("Zonder e-mailadres", "Without an e-mail address")) }
        p #zonder-adres {
            @if without.is_empty() { (ctx.t("Iedereen heeft een adres.", "Everyone has an address.")) }
            @else {
                (ctx.t("Deze personen krijgen hun meldingen alleen in de app: ", "These people get their notifications in the app only: "))
                (without.join(", "))
            }
        }
    };
    let title = ctx.t("Gebruikers en rollen", "Users and roles").to_owned();
    page(&site, &ctx, &title, content)
}

#[derive(Debug, Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// (Part of) a person's name, as this node knows it from their logins.
    #[serde(default)]
    pub naam: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
    /// From this day (Amsterdam), `YYYY-MM-DD`.
    #[serde(default)]
    pub van: Option<String>,
    /// Up to and including this day.
    #[serde(default)]
    pub tot: Option<String>,
    /// The page (1 = newest).
    #[serde(default)]
    pub pagina: Option<i64>,
}

/// Entries per page of the access-log screen.
const LOG_PAGE: i64 = 50;

pub(super) async fn log_rows(
    site: &Arc<Site>,
    user: &User,
    q: LogQuery,
) -> Result<Vec<doorbraak_app::views::AccessEntry>, HttpError> {
    let limit = q.limit.unwrap_or(200).clamp(1, ops::admin::MAX_ACCESS_LOG);
    let given = |s: Option<String>| {
        s.filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned())
    };
    let from = time::day_bound("van", q.van.as_deref(), false)?;
    let until = time::day_bound("tot", q.tot.as_deref(), true)?;
    let page = q.pagina.unwrap_or(1).max(1);
    let (object_id, user_id, user_name) = (given(q.object_id), given(q.user_id), given(q.naam));
    if user_name
        .as_deref()
        .is_some_and(|n| n.chars().count() > 100)
    {
        return Err(RuleViolation::InvalidField {
            field: "naam",
            reason: "too long",
        }
        .into());
    }
    Ok(ops::admin::access_log_page(
        &site.node,
        user,
        doorbraak_app::views::AccessLogFilter {
            object_id,
            user_id,
            user_name,
            from,
            until,
            limit,
            offset: (page - 1).saturating_mul(limit),
        },
    )
    .await?)
}

/// What kind of thing an access-log entry is about, in words.
fn object_label(lang: Lang, kind: &str) -> &str {
    match kind {
        "escalation" => lang.t("escalatie", "escalation"),
        "kwestie" => lang.t("kwestie", "kwestie"),
        "minutes" => lang.t("overleg en verslag", "meeting and minutes"),
        "recommendation" => lang.t("aanbeveling", "recommendation"),
        "case" => lang.t("casus", "case"),
        "private_note" => lang.t("eigen notitie", "private note"),
        "access_log" => lang.t("toegangslog", "access log"),
        "oversight" => lang.t("stagnatieoverzicht", "stagnation view"),
        "team_overview" => lang.t("teamoverzicht", "team overview"),
        "team_agenda" => lang.t("agenda teamoverleg", "team-meeting agenda"),
        "federation" => lang.t("federatie", "federation"),
        other => other,
    }
}

/// The role of an access-log entry, in words (another node is "een andere organisatie").
fn role_of(lang: Lang, code: &str) -> String {
    match code.parse::<doorbraak_model::Role>() {
        Ok(r) => role_label(lang, r).to_owned(),
        Err(_) if code == "federation" => lang
            .t(
                "node van een andere organisatie",
                "another organisation's node",
            )
            .to_owned(),
        Err(_) => code.to_owned(),
    }
}

/// The outcome of an access-log entry, in words.
fn outcome_label(lang: Lang, outcome: &str) -> Markup {
    html! {
        @match outcome.strip_prefix("refused:") {
            None if outcome == "success" => (lang.t("gelukt", "done")),
            None => (outcome),
            Some(rule) => { (lang.t("geweigerd", "refused")) " " span.regel { "(" code { (rule) } ")" } }
        }
    }
}

pub(super) async fn access_log(
    State(site): Web,
    a: Authed,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&site, &ctx, &HttpError::from(e)),
    };
    let object = q.object_id.clone().unwrap_or_default();
    let who = q.user_id.clone().unwrap_or_default();
    let name = q.naam.clone().unwrap_or_default();
    // the names of the people this node knows, to show beside their ids
    let names: std::collections::BTreeMap<String, String> =
        match ops::admin::people(&site.node, &user).await {
            Ok(p) => p.into_iter().map(|p| (p.id, p.name)).collect(),
            Err(e) => return failed(&site, &ctx, e),
        };
    let (van, tot) = (
        q.van.clone().unwrap_or_default(),
        q.tot.clone().unwrap_or_default(),
    );
    let at_page = q.pagina.unwrap_or(1).max(1);
    let q = LogQuery {
        limit: Some(LOG_PAGE),
        ..q
    };
    let rows = match log_rows(&site, &user, q).await {
        Ok(r) => r,
        Err(e) => return error_page(&site, &ctx, &e),
    };
    let content = html! {
        form.zoek method="get" action="/beheer/toegangslog" role="search" {
            div {
                label for="object_id" { (ctx.t("Object-id (escalatie, overleg, casus, ...)", "Object id (escalation, meeting, case, ...)")) }
                input #object_id name="object_id" value=(object) maxlength="100";
            }
            div {
                label for="naam" { (ctx.t("Naam (of een deel)", "Name (or part of it)")) }
                input #naam name="naam" value=(name) maxlength="100";
            }
            div {
                label for="user_id" { (ctx.t("Persoon-id", "Person id")) }
                input #user_id name="user_id" value=(who) maxlength="100";
            }
            div {
                label for="van" { (ctx.t("Vanaf", "From")) }
                input #van type="date" name="van" value=(van);
            }
            div {
                label for="tot" { (ctx.t("Tot en met", "Up to and including")) }
                input #tot type="date" name="tot" value=(tot);
            }
            button.utrecht-button--primary-action type="submit" { (ctx.t("Zoeken", "Search")) }
            " "
            a href={ "/beheer/toegangslog.csv?object_id=" (urlencode(&object)) "&user_id=" (urlencode(&who)) "&naam=" (urlencode(&name)) } { (ctx.t("Exporteren (CSV)", "Export (CSV)")) }
        }
        table #toegangslog {
            caption { (ctx.t("Pagina ", "Page ")) (at_page) ": " (rows.len()) (ctx.t(" regels, nieuwste eerst", " entries, newest first")) }
            thead { tr {
                th scope="col" { (ctx.t("Wanneer", "When")) }
                th scope="col" { (ctx.t("Wie", "Who")) }
                th scope="col" { (ctx.t("Rol", "Role")) }
                th scope="col" { (ctx.t("Actie", "Action")) }
                th scope="col" { (ctx.t("Object", "Object")) }
                th scope="col" { (ctx.t("Uitkomst", "Outcome")) }
            } }
            tbody {
                @for r in &rows {
                    tr {
                        td { (time::moment(r.at, ctx.lang)) }
                        td { @if let Some(n) = names.get(&r.user_id) { (n) " " } span.klein { "(" (r.user_id) ")" } }
                        td { (role_of(ctx.lang, &r.user_role)) }
                        td { (action_label(ctx.lang, r.action)) }
                        td { (object_label(ctx.lang, &r.object_type)) " " code.klein { (r.object_id) } }
                        td { (outcome_label(ctx.lang, &r.outcome)) }
                    }
                }
            }
        }
        @let base = format!("/beheer/toegangslog?object_id={}&user_id={}&naam={}&van={}&tot={}", urlencode(&object), urlencode(&who), urlencode(&name), urlencode(&van), urlencode(&tot));
        nav.paginering aria-label=(ctx.t("Pagina's", "Pages")) {
            @if at_page > 1 { a #vorige href={ (base) "&pagina=" (at_page - 1) } { (ctx.t("nieuwere", "newer")) } " " }
            @if rows.len() as i64 == LOG_PAGE { a #volgende href={ (base) "&pagina=" (at_page + 1) } { (ctx.t("oudere", "older")) } }
        }
    };
    let title = ctx.t("Toegangslog", "Access log").to_owned();
    page(&site, &ctx, &title, content)
}

/// A CSV cell that a spreadsheet will not run as a formula.
pub(super) fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

pub(super) async fn access_log_csv(
    State(site): Web,
    a: Authed,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Response {
    let Authed { ctx, user } = a;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(&site, &ctx, &HttpError::from(e)),
    };
    let q = LogQuery {
        limit: Some(q.limit.unwrap_or(10_000)),
        ..q
    };
    let rows = match log_rows(&site, &user, q).await {
        Ok(r) => r,
        Err(e) => return error_page(&site, &ctx, &e),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut ok = w
        .write_record([
            "at",
            "user_id",
            "user_role",
            "on_behalf_of",
            "org_oin",
            "action",
            "object_type",
            "object_id",
            "purpose",
            "outcome",
            "source_node",
        ])
        .is_ok();
    for r in &rows {
        let at = r.at.to_string();
        let action = format!("{:?}", r.action);
        let rec = [
            at.as_str(),
            &r.user_id,
            &r.user_role,
            r.on_behalf_of.as_deref().unwrap_or(""),
            &r.org_oin,
            &action,
            &r.object_type,
            &r.object_id,
            &r.purpose,
            &r.outcome,
            &r.source_node,
        ];
        ok &= w.write_record(rec.iter().map(|c| csv_cell(c))).is_ok();
    }
    csv_response(&site, &ctx, w, ok, "toegangslog.csv")
}

/// A CSV download, or the error page when a record could not be written.
pub(super) fn csv_response(
    site: &Site,
    ctx: &Ctx,
    w: csv::Writer<Vec<u8>>,
    ok: bool,
    filename: &str,
) -> Response {
    let body = w.into_inner().unwrap_or_default();
    if !ok {
        return error_page(
            site,
            ctx,
            &HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "node.internal",
                "Export mislukt",
                "Export failed",
            ),
        );
    }
    let disposition = format!("attachment; filename=\"{filename}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// NEN 7513 action codes in words.
fn action_label(lang: Lang, a: doorbraak_app::views::AccessAction) -> &'static str {
    use doorbraak_app::views::AccessAction as A;
    match a {
        A::C => lang.t("aangemaakt", "created"),
        A::R => lang.t("ingezien", "read"),
        A::U => lang.t("gewijzigd", "changed"),
        A::D => lang.t("verwijderd", "deleted"),
        A::E => lang.t("uitgevoerd", "executed"),
    }
}
