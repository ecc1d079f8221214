//! The web UI: server-rendered HTML in Dutch (English switchable), for every role, served by
//! each node next to its JSON API. Forms work without JavaScript; every form carries a CSRF
//! token checked before its handler runs; sessions live on the node (see [`session`]); login is
//! OpenID Connect at the organisation's own provider ([`oidc`]) or, in development, a list of
//! development accounts.
//!
//! Handlers call the typed operations (`doorbraak_app::ops`) that the JSON API (`crate::api`) calls too,
//! so roles, rules, limits and the access log are the same on both sides: a page that shows case
//! content has logged its read before it is rendered. The web has its own state ([`Site`]) and
//! router; it does not import the JSON API.

pub mod oidc;
mod pages;
pub mod session;
pub mod theme;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};

use crate::config::Settings;
use crate::error::HttpError;
use doorbraak_app::Node;
use doorbraak_app::User;
use session::{Flash, LANG_COOKIE, Sessions, read_cookie, same_secret};

/// The web side's state, kept in [`Site`].
/// The web UI's state: the node, and the sessions and login of its people.
pub struct Site {
    pub node: Arc<Node>,
    /// The server's settings (the look, the login, limits).
    pub settings: Arc<Settings>,
    pub web: Web,
}

impl Site {
    pub fn new(node: Arc<Node>, settings: Arc<Settings>) -> Self {
        let web = Web::new(&settings, &node);
        Self {
            node,
            settings,
            web,
        }
    }
}

/// Sessions and login.
pub struct Web {
    pub sessions: Sessions,
    pub oidc: Option<oidc::Oidc>,
    pub secure_cookies: bool,
    pub dev_login: bool,
    session_max_age: Duration,
    max_body: usize,
    /// The session cookie's name (per node).
    pub cookie_name: String,
}

impl Web {
    pub fn new(settings: &Settings, node: &Node) -> Self {
        let idle = settings.web.session_idle();
        let max_age = settings.web.session_max_age();
        Self {
            sessions: Sessions::new(node, idle, max_age),
            oidc: settings.oidc.clone().map(oidc::Oidc::new),
            secure_cookies: settings.web.secure_cookies,
            dev_login: settings.web.dev_login,
            session_max_age: max_age,
            max_body: settings.max_body_bytes,
            cookie_name: session::cookie_name(
                settings.app.oin.as_str(),
                settings.web.secure_cookies,
            ),
        }
    }

    /// `Set-Cookie` for a (new) session id.
    pub fn cookie(&self, id: Option<&str>) -> HeaderValue {
        let v = session::session_cookie(
            &self.cookie_name,
            id,
            self.secure_cookies,
            self.session_max_age,
        );
        HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// A submitted form. A form that does not parse (a missing field, a number that is not one)
/// gets the error page with the rule `input.form` (422), not a bare text answer.
pub struct WebForm<T>(pub T);

impl<T> axum::extract::FromRequest<Arc<Site>> for WebForm<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, site: &Arc<Site>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Ok(ctx) = Ctx::from_request_parts(&mut parts, site).await;
        let req = Request::from_parts(parts, body);
        match axum_extra::extract::Form::<T>::from_request(req, site).await {
            Ok(axum_extra::extract::Form(t)) => Ok(WebForm(t)),
            Err(e) => {
                let detail: String = e.body_text().chars().take(200).collect();
                Err(error_page(
                    site,
                    &ctx,
                    &HttpError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "input.form",
                        format!("Het formulier is niet volledig of niet geldig: {detail}"),
                        format!("The form is incomplete or not valid: {detail}"),
                    ),
                ))
            }
        }
    }
}

pub use doorbraak_app::lang::Lang;

/// What every page handler knows about its request.
pub struct Ctx {
    pub sid: Option<String>,
    pub user: Option<User>,
    pub csrf: String,
    pub lang: Lang,
    pub flash: Option<Flash>,
    pub path: String,
    /// How many of the person's notices are unread (shown in the header).
    pub unread: i64,
}

impl FromRequestParts<Arc<Site>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        site: &Arc<Site>,
    ) -> Result<Self, Self::Rejection> {
        let lang = match read_cookie(&parts.headers, LANG_COOKIE).as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Nl,
        };
        let session = match read_cookie(&parts.headers, &site.web.cookie_name) {
            Some(id) => site.web.sessions.get(&id).await,
            None => None,
        };
        let flash = match (&session, parts.method == Method::GET) {
            (Some(s), true) => site.web.sessions.take_flash(&s.id).await,
            _ => None,
        };
        let user = session.as_ref().and_then(|s| s.user.clone());
        let unread = match (&user, parts.method == Method::GET) {
            (Some(u), true) => doorbraak_app::ops::inbox::unread(&site.node, u)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the unread count could not be read");
                    0
                }),
            _ => 0,
        };
        Ok(Ctx {
            unread,
            sid: session.as_ref().map(|s| s.id.clone()),
            user,
            csrf: session.map(|s| s.csrf).unwrap_or_default(),
            lang,
            flash,
            path: parts.uri.path().to_owned(),
        })
    }
}

/// A page for logged-in people only: others are sent to the login page.
pub struct Authed {
    pub ctx: Ctx,
    pub user: User,
}

impl FromRequestParts<Arc<Site>> for Authed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        site: &Arc<Site>,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = Ctx::from_request_parts(parts, site).await;
        match ctx.user.clone() {
            Some(user) => Ok(Authed { ctx, user }),
            None => Err(Redirect::to("/inloggen").into_response()),
        }
    }
}

impl Ctx {
    pub fn t<'a>(&self, nl: &'a str, en: &'a str) -> &'a str {
        self.lang.t(nl, en)
    }

    /// The hidden CSRF field every form carries.
    /// The hidden fields of every form: the session's CSRF token, and an idempotency key of
    /// this rendered form (sending the same form twice — a double click, a retry after a lost
    /// answer — has one effect and shows the first answer).
    pub fn csrf_field(&self) -> Markup {
        html! {
            input type="hidden" name="_csrf" value=(self.csrf);
            input type="hidden" name="_idem" value=(uuid::Uuid::now_v7().to_string());
        }
    }
}

impl Site {
    /// Remember a one-shot message for the next page of this session.
    pub async fn flash(&self, ctx: &Ctx, ok: bool, nl: impl Into<String>, en: impl Into<String>) {
        if let Some(sid) = &ctx.sid {
            self.web
                .sessions
                .set_flash(
                    sid,
                    Flash {
                        ok,
                        nl: nl.into(),
                        en: en.into(),
                        rule: None,
                        anchor: None,
                        input: false,
                    },
                )
                .await;
        }
    }

    /// Remember a refusal (with its rule) for the next page.
    pub async fn flash_error(&self, ctx: &Ctx, e: &HttpError) {
        self.flash_refusal(ctx, e, None).await;
    }

    /// Remember a refusal of the form whose control has id `anchor`, for the next page's
    /// error summary.
    pub async fn flash_refusal(&self, ctx: &Ctx, e: &HttpError, anchor: Option<&str>) {
        if let Some(sid) = &ctx.sid {
            self.web
                .sessions
                .set_flash(
                    sid,
                    Flash {
                        ok: false,
                        nl: e.message_nl.clone(),
                        en: e.message_en.clone(),
                        rule: Some(e.rule.clone()),
                        anchor: anchor.map(str::to_owned),
                        input: e.status == StatusCode::UNPROCESSABLE_ENTITY,
                    },
                )
                .await;
        }
    }
}

/// A refusal shown in the page: the rule's message and its code.
pub fn refusal(lang: Lang, rule: &str, nl: &str, en: &str) -> Markup {
    html! {
        div.melding.fout role="alert" {
            strong { (lang.t("Niet toegestaan: ", "Not allowed: ")) }
            (lang.t(nl, en))
            " " span.regel { "(" (lang.t("regel", "rule")) " " code { (rule) } ")" }
        }
    }
}

/// A form's refusal after the page reloaded, as the NL Design System's error summary: what is
/// wrong (or why it cannot be done now), as a link to the form it is about, the rule's code in
/// a small detail.
pub fn form_refusal(
    lang: Lang,
    rule: &str,
    nl: &str,
    en: &str,
    anchor: &str,
    input: bool,
) -> Markup {
    html! {
        div.foutsamenvatting role="alert" aria-labelledby="foutsamenvatting-kop" tabindex="-1" {
            h2 #foutsamenvatting-kop {
                @if input { (lang.t("Er is iets niet goed ingevuld", "Something is not filled in correctly")) }
                @else { (lang.t("Dit kan nu niet", "This cannot be done now")) }
            }
            ul { li { a href={ "#" (anchor) } { (lang.t(nl, en)) } } }
            p.regel { (lang.t("regel", "rule")) " " code { (rule) } }
        }
    }
}

pub fn error_box(lang: Lang, e: &HttpError) -> Markup {
    refusal(lang, &e.rule, &e.message_nl, &e.message_en)
}

/// The error summary at the top of a form (the NL Design System pattern): what is wrong, as a
/// link to the field it is about (`fields`: the rule's field code and the form element's id),
/// with the rule's code in a small detail. A refusal that is about no field of this form is
/// shown as a refusal.
pub fn error_summary(lang: Lang, e: &HttpError, fields: &[(&str, &str)]) -> Markup {
    let target = e
        .field
        .and_then(|f| fields.iter().find(|(code, _)| *code == f))
        .map(|(_, id)| *id);
    let Some(id) = target else {
        return error_box(lang, e);
    };
    html! {
        div.foutsamenvatting role="alert" aria-labelledby="foutsamenvatting-kop" tabindex="-1" {
            h2 #foutsamenvatting-kop { (lang.t("Er is iets niet goed ingevuld", "Something is not filled in correctly")) }
            ul {
                li { a href={ "#" (id) } { (lang.t(&e.message_nl, &e.message_en)) } }
            }
            p.regel { (lang.t("regel", "rule")) " " code { (e.rule) } }
        }
    }
}

/// The error at a field, when the form's error is about it (`aria-describedby` of the field
/// can point at `{code}-fout`).
pub fn field_error(lang: Lang, e: Option<&HttpError>, code: &str) -> Markup {
    html! {
        @if let Some(e) = e.filter(|e| e.field == Some(code)) {
            p.veldfout id={ (code) "-fout" } {
                span.sr { (lang.t("Fout: ", "Error: ")) }
                (lang.t(&e.message_nl, &e.message_en))
            }
        }
    }
}

fn nav_items(lang: Lang, role: doorbraak_model::Role) -> Vec<(&'static str, &'static str)> {
    use doorbraak_model::Role as R;
    let mut v = vec![("/", lang.t("Start", "Home"))];
    match role {
        R::Professional | R::BehaviouralScientist => {
            v.push(("/casussen", lang.t("Casussen", "Cases")));
            v.push(("/escalaties", lang.t("Escalaties", "Escalations")));
            v.push(("/kwesties", lang.t("Kwesties", "Kwesties")));
            v.push(("/overleggen", lang.t("Overleggen", "Meetings")));
            v.push(("/team", lang.t("Teamagenda", "Team agenda")));
        }
        R::TeamManager | R::Director | R::BoardMember => {
            v.push(("/escalaties", lang.t("Escalaties", "Escalations")));
            v.push(("/kwesties", lang.t("Kwesties", "Kwesties")));
            v.push(("/overleggen", lang.t("Overleggen", "Meetings")));
            v.push(("/team", lang.t("Team", "Team")));
            if role == R::Director {
                v.push(("/dossiers", lang.t("Bewaren", "Retention")));
            }
        }
        R::Alderman | R::CivilServant | R::RegionalMediator => {
            // the stagnation view is the municipality's; mediators see what they take part in
            if role != R::RegionalMediator {
                v.push(("/sturing", lang.t("Stagnatie", "Stagnation")));
            }
            v.push(("/escalaties", lang.t("Escalaties", "Escalations")));
            v.push(("/overleggen", lang.t("Overleggen", "Meetings")));
        }
        R::QualityOfficer => {
            v.push(("/aanbevelingen", lang.t("Aanbevelingen", "Recommendations")));
            v.push(("/dossiers", lang.t("Bewaren", "Retention")));
            v.push(("/beheer/toegangslog", lang.t("Toegangslog", "Access log")));
        }
        R::Admin => {
            v.push(("/beheer", lang.t("Federatie", "Federation")));
            v.push(("/beheer/toegangslog", lang.t("Toegangslog", "Access log")));
            v.push(("/beheer/gebruikers", lang.t("Gebruikers", "Users")));
        }
    }
    v
}

pub fn role_label(lang: Lang, role: doorbraak_model::Role) -> &'static str {
    match lang {
        Lang::Nl => role.label_nl(),
        Lang::En => role.label_en(),
    }
}

/// The page around every screen: language attribute, skip link, navigation, messages.
pub fn page(site: &Site, ctx: &Ctx, title: &str, content: Markup) -> Response {
    let org = &site.node.settings.name;
    let other = match ctx.lang {
        Lang::Nl => ("en", "English"),
        Lang::En => ("nl", "Nederlands"),
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) class="voorbeeld-theme doorbraak-thema" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (site.settings.theme.title) " · " (org) }
                @for href in theme::STYLESHEETS { link rel="stylesheet" href={ (href) "?v=" (theme::VERSION) }; }
            }
            body {
                a.skip href="#inhoud" { (ctx.t("Naar de inhoud", "Skip to content")) }
                header.kop {
                    div.merk {
                        a href="/" {
                            @if site.settings.theme.logo.is_some() { img.logo src="/static/logo" alt="" height="32"; }
                            (site.settings.theme.title)
                        }
                        span.org { (org) }
                    }
                    @if let Some(u) = &ctx.user {
                        nav aria-label=(ctx.t("Hoofdmenu", "Main menu")) {
                            ul {
                                @for (href, label) in nav_items(ctx.lang, u.role) {
                                    li {
                                        @if ctx.path == href {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                        div.wie {
                            a #meldingen href="/meldingen" aria-label={ (ctx.t("Meldingen", "Notifications")) ": " (ctx.unread) " " (ctx.t("ongelezen", "unread")) } {
                                (ctx.t("Meldingen", "Notifications"))
                                @if ctx.unread > 0 { " " span.teller aria-hidden="true" { (ctx.unread) } }
                            }
                            span #ingelogd { (u.name) " · " (role_label(ctx.lang, u.role)) }
                            form method="post" action="/uitloggen" {
                                (ctx.csrf_field())
                                button.link type="submit" { (ctx.t("Uitloggen", "Log out")) }
                            }
                            a.taal href={ "/taal?lang=" (other.0) "&terug=" (ctx.path) } lang=(other.0) { (other.1) }
                        }
                    } @else {
                        a.taal href={ "/taal?lang=" (other.0) "&terug=" (ctx.path) } lang=(other.0) { (other.1) }
                    }
                }
                main.utrecht-html #inhoud tabindex="-1" {
                    @if let Some(f) = &ctx.flash {
                        @if f.ok {
                            div.melding.ok role="status" { (ctx.t(&f.nl, &f.en)) }
                        } @else if let (Some(rule), Some(anchor)) = (&f.rule, &f.anchor) {
                            (form_refusal(ctx.lang, rule, &f.nl, &f.en, anchor, f.input))
                        } @else if let Some(rule) = &f.rule {
                            (refusal(ctx.lang, rule, &f.nl, &f.en))
                        } @else {
                            div.melding.fout role="alert" { (ctx.t(&f.nl, &f.en)) }
                        }
                    }
                    h1 { (title) }
                    (content)
                }
            }
        }
    };
    Html(markup.into_string()).into_response()
}

/// The node keeps no more sessions: a login has to wait.
pub fn sessions_full() -> HttpError {
    HttpError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "web.sessions_full",
        "Er zijn te veel sessies op deze node; probeer het over enkele minuten opnieuw",
        "This node has too many sessions; try again in a few minutes",
    )
}

/// The sessions cannot be read or written (the database did not answer).
pub fn sessions_unavailable() -> HttpError {
    HttpError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "web.sessions_unavailable",
        "Inloggen lukt nu niet: de node kan haar sessies niet bereiken; probeer het zo opnieuw",
        "Logging in does not work now: the node cannot reach its sessions; try again shortly",
    )
}

/// Why no session could be made, as a page says it.
pub fn session_error(e: &session::SessionError) -> HttpError {
    match e {
        session::SessionError::Full => sessions_full(),
        session::SessionError::Store(e) => {
            tracing::error!(error = %e, "the session store failed");
            sessions_unavailable()
        }
    }
}

/// A full error page (for refusals that leave nothing else to show).
/// An address that is no page (the JSON API answers its own unknown addresses in JSON).
async fn not_found(State(site): State<Arc<Site>>, ctx: Ctx) -> Response {
    let e = HttpError::new(
        StatusCode::NOT_FOUND,
        "http.not_found",
        "Deze pagina bestaat niet",
        "No such page",
    );
    error_page(&site, &ctx, &e)
}

pub fn error_page(site: &Site, ctx: &Ctx, e: &HttpError) -> Response {
    let mut r = page(
        site,
        ctx,
        ctx.t("Niet gelukt", "Something went wrong"),
        html! {
            (error_box(ctx.lang, e))
            p { a href="/" { (ctx.t("Terug naar de start", "Back to the start")) } }
        },
    );
    *r.status_mut() = e.status;
    r
}

async fn stylesheet() -> Response {
    theme::css(theme::OWN.to_owned())
}

async fn nlds_theme() -> Response {
    theme::css(theme::NLDS_THEME.to_owned())
}

async fn nlds_html() -> Response {
    theme::css(theme::NLDS_HTML.to_owned())
}

async fn nlds_button() -> Response {
    theme::css(theme::NLDS_BUTTON.to_owned())
}

async fn organisation_theme(State(site): State<Arc<Site>>) -> Response {
    theme::css(theme::organisation_css(&site.settings.theme))
}

/// The organisation's logo (`[web.theme] logo`), or 404 when it has none.
async fn logo(State(site): State<Arc<Site>>, ctx: Ctx) -> Response {
    match &site.settings.theme.logo {
        Some(l) => (
            [
                (header::CONTENT_TYPE, l.content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            l.bytes.clone(),
        )
            .into_response(),
        None => not_found(State(site), ctx).await,
    }
}

/// Does a state-changing request come from another site? The browser says so in
/// `Sec-Fetch-Site` (anything but `same-origin` or `none`) and in `Origin` (another host than
/// the one asked, or `null`). Defence in depth beside the CSRF token (OWASP); a request without
/// either header (an older browser, a script) is judged by its token alone.
fn cross_site(headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin" | "none"))
    {
        return true;
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let authority = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        return match (authority, host) {
            (Some(a), Some(h)) => !a.eq_ignore_ascii_case(h),
            _ => true,
        };
    }
    false
}

/// The page that refuses a form: expired, or not from this site (`rule`).
fn form_refused(rule: &'static str) -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(
            html! {
                (DOCTYPE)
                html lang="nl" {
                    head { meta charset="utf-8"; title { "Formulier verlopen" } }
                    body {
                        main {
                            h1 { "Formulier verlopen" }
                            p role="alert" {
                                "Dit formulier is verlopen of kwam niet van deze site (regel "
                                code { (rule) } "). "
                                a href="/inloggen" { "Log opnieuw in" } " en probeer het nog eens."
                            }
                            p lang="en" { "This form has expired or did not come from this site (rule " (rule) "). Log in again and retry." }
                        }
                    }
                }
            }
            .into_string(),
        ),
    )
        .into_response()
}

/// Every POST needs the session's CSRF token in its form and must come from this site; every
/// response (the fallback's too) gets the security headers of a page that shows personal data.
async fn guard(State(site): State<Arc<Site>>, req: Request, next: Next) -> Response {
    let mut resp = if req.method() == Method::POST && cross_site(req.headers()) {
        tracing::warn!(origin = ?req.headers().get(header::ORIGIN), "refused a form from another site");
        form_refused("web.cross_origin")
    } else if req.method() == Method::POST {
        let (parts, body) = req.into_parts();
        let session = match read_cookie(&parts.headers, &site.web.cookie_name) {
            Some(id) => site.web.sessions.get(&id).await,
            None => None,
        };
        match axum::body::to_bytes(body, site.web.max_body).await {
            Err(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Het formulier is te groot / the form is too large",
            )
                .into_response(),
            Ok(bytes) => {
                let field = |name: &str| {
                    form_urlencoded::parse(&bytes)
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                };
                let token = field("_csrf");
                let mut parts = parts;
                if let Some(key) = field("_idem") {
                    parts.extensions.insert(crate::http::FormKey(key));
                    let fields = crate::http::RequestDigest::form_body(&bytes);
                    parts.extensions.insert(crate::http::RequestDigest::of(
                        &parts.method,
                        &parts.uri,
                        &fields,
                    ));
                }
                match (session, token) {
                    (Some(s), Some(t)) if same_secret(&s.csrf, &t) => {
                        next.run(Request::from_parts(parts, Body::from(bytes)))
                            .await
                    }
                    _ => form_refused("web.csrf"),
                }
            }
        }
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    // a handler may set a stricter (or, for the printable minutes, its own) policy
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The web routes (merged into the node's router).
pub fn router(site: Arc<Site>) -> Router {
    let login_limit = crate::limit::login_layer(&site.node, site.settings.rate_limits);
    pages::routes(&login_limit)
        .route("/static/doorbraak.css", axum::routing::get(stylesheet))
        .route("/static/nlds-thema.css", axum::routing::get(nlds_theme))
        .route("/static/nlds-html.css", axum::routing::get(nlds_html))
        .route("/static/nlds-button.css", axum::routing::get(nlds_button))
        .route("/static/thema.css", axum::routing::get(organisation_theme))
        .route("/static/logo", axum::routing::get(logo))
        .route(
            "/auth/login",
            crate::limit::limited(axum::routing::get(oidc::login), &login_limit),
        )
        .route(
            "/auth/callback",
            crate::limit::limited(axum::routing::get(oidc::callback), &login_limit),
        )
        .fallback(not_found)
        // a layer, not a route layer: the fallback (the 404 page, with the person's menu) gets
        // the security headers too
        .layer(axum::middleware::from_fn_with_state(site.clone(), guard))
        .with_state(site)
}
