//! Login (development accounts), logout and the language switch.

use super::*;

// ------------------------------------------------------------------ login and language

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Show only this development account (the demo prints one URL per person).
    pub als: Option<String>,
}

pub(super) async fn login_page(
    State(site): Web,
    ctx: Ctx,
    q: Result<Query<LoginQuery>, QueryRejection>,
) -> Response {
    if ctx.user.is_some() {
        return see_other("/");
    }
    let only = q.ok().and_then(|Query(q)| q.als);
    let (ctx, new_sid) = match ctx.sid {
        Some(_) => (ctx, None),
        None => {
            let sid = match site.web.sessions.create(None).await {
                Ok(sid) => sid,
                Err(e) => return error_page(&site, &ctx, &crate::web::session_error(&e)),
            };
            let csrf = site
                .web
                .sessions
                .get(&sid)
                .await
                .map(|s| s.csrf)
                .unwrap_or_default();
            (
                Ctx {
                    sid: Some(sid.clone()),
                    csrf,
                    ..ctx
                },
                Some(sid),
            )
        }
    };
    let users: Vec<_> = site
        .node
        .settings
        .dev_users
        .iter()
        .filter(|u| only.as_deref().is_none_or(|o| o == u.id))
        .collect();
    let content = html! {
        @if site.web.oidc.is_some() {
            p { (ctx.t("Log in met het account van uw organisatie.", "Log in with your organisation's account.")) }
            p { a.knop #oidc-login href="/auth/login" { (ctx.t("Inloggen via uw organisatie", "Log in through your organisation")) } }
        }
        @if site.web.dev_login {
            section aria-labelledby="dev-kop" {
                h2 #dev-kop { (ctx.t("Ontwikkelaccounts (alleen voor de demo)", "Development accounts (demo only)")) }
                @if users.is_empty() {
                    p { (ctx.t("Geen account met die naam.", "No account by that name.")) }
                }
                ul.accounts {
                    @for u in &users {
                        li {
                            form method="post" action="/inloggen/dev" {
                                (ctx.csrf_field())
                                input type="hidden" name="user" value=(u.id);
                                button.utrecht-button--primary-action type="submit" id={ "als-" (u.id) } {
                                    (ctx.t("Inloggen als ", "Log in as ")) (u.name)
                                }
                                " " span.rol { (role_label(ctx.lang, u.role)) }
                            }
                        }
                    }
                }
                @if only.is_some() {
                    p { a href="/inloggen" { (ctx.t("Alle accounts", "All accounts")) } }
                }
            }
        }
        @if site.web.oidc.is_none() && !site.web.dev_login {
            p role="alert" { (ctx.t("Er is geen inlogmethode ingesteld: zet [oidc] in node.toml.", "No login method is configured: set [oidc] in node.toml.")) }
        }
    };
    let title = ctx.t("Inloggen", "Log in").to_owned();
    let mut r = page(&site, &ctx, &title, content);
    if let Some(sid) = new_sid {
        r.headers_mut()
            .insert(header::SET_COOKIE, site.web.cookie(Some(&sid)));
    }
    r
}

/// A new session for a person who just logged in (the old id is dropped), logged in the access
/// log, then the start page.
pub async fn start_session(
    site: &Site,
    ctx: &Ctx,
    user: User,
    source: ops::admin::LoginSource,
    email: Option<&str>,
) -> Response {
    if let Some(old) = &ctx.sid {
        site.web.sessions.remove(old).await;
    }
    if let Err(e) = ops::admin::logged_in(&site.node, &user, source, email).await {
        return error_page(site, ctx, &HttpError::from(e));
    }
    tracing::info!(role = user.role.code(), "web login");
    let sid = match site.web.sessions.create(Some(user)).await {
        Ok(sid) => sid,
        Err(e) => return error_page(site, ctx, &crate::web::session_error(&e)),
    };
    let mut r = see_other("/");
    r.headers_mut()
        .insert(header::SET_COOKIE, site.web.cookie(Some(&sid)));
    r
}

#[derive(Debug, Deserialize)]
pub struct DevLoginForm {
    pub user: String,
}

pub(super) async fn dev_login(
    State(site): Web,
    ctx: Ctx,
    WebForm(f): WebForm<DevLoginForm>,
) -> Response {
    if !site.web.dev_login {
        return error_page(
            &site,
            &ctx,
            &HttpError::new(
                StatusCode::NOT_FOUND,
                "auth.dev_login_off",
                "Ontwikkelaccounts zijn op deze node uitgeschakeld",
                "Development accounts are off on this node",
            ),
        );
    }
    let Some(u) = site
        .node
        .settings
        .dev_users
        .iter()
        .find(|u| same_secret(&u.id, &f.user))
    else {
        return error_page(
            &site,
            &ctx,
            &HttpError::new(
                StatusCode::UNAUTHORIZED,
                "auth.unknown_account",
                "Onbekend account",
                "Unknown account",
            ),
        );
    };
    let user = User {
        id: u.id.clone(),
        name: u.name.clone(),
        role: u.role,
    };
    start_session(&site, &ctx, user, ops::admin::LoginSource::Dev, None).await
}

pub(super) async fn logout(State(site): Web, ctx: Ctx) -> Response {
    if let Some(sid) = &ctx.sid {
        site.web.sessions.remove(sid).await;
    }
    let mut r = see_other("/inloggen");
    r.headers_mut()
        .insert(header::SET_COOKIE, site.web.cookie(None));
    r
}

/// A path on this node, in the characters our own paths use (no scheme, no `//`, no control
/// characters a browser would strip): the only redirect targets taken from a request.
pub(super) fn local_path(t: &str) -> bool {
    t.starts_with('/')
        && !t.starts_with("//")
        && t.len() <= 200
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub lang: String,
    pub terug: Option<String>,
}

pub(super) async fn set_lang(q: Result<Query<LangQuery>, QueryRejection>) -> Response {
    let Ok(Query(q)) = q else {
        return see_other("/");
    };
    let lang = if q.lang == "en" { "en" } else { "nl" };
    // only local paths: no open redirect
    let back = q
        .terug
        .filter(|t| local_path(t))
        .unwrap_or_else(|| "/".into());
    let mut r = see_other(&back);
    let c = cookie::Cookie::build((crate::web::session::LANG_COOKIE, lang))
        .path("/")
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::days(365))
        .build()
        .to_string();
    if let Ok(v) = header::HeaderValue::from_str(&c) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
