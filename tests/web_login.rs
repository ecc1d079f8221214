//! Login to the web UI through a real OpenID Connect provider (node-oidc-provider, OpenID
//! Certified, from tests/oidc) started here on loopback: the authorization code flow with PKCE
//! in a real headless Chromium; the role comes from the ID token's `doorbraak_role` claim; a
//! person without a Doorbraak role is refused with the rule named; the session cookie is
//! HttpOnly, SameSite and Secure; forms without the CSRF token are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use fantoccini::Locator;
use serde_json::json;
use support::NodeProc;
use support::browser::Browser;
use support::oidc::Provider;

/// Start the provider with the web client and three accounts, or `None` when Node.js or its
/// packages are missing (allowed only when DOORBRAAK_REQUIRE_BROWSER is not set).
fn start_provider(dir: &Path, redirect: &str) -> Option<Provider> {
    support::oidc::start(
        dir,
        json!({
            "clients": [{
                "client_id": "doorbraak-web",
                "client_secret": "test-client-secret-0123456789",
                "redirect_uris": [redirect],
            }],
            "accounts": [
                { "sub": "anna", "password": "juist-wachtwoord",
                  "claims": { "name": "Anna de Vries", "doorbraak_role": "professional",
                              "email": "anna@lokaal-team.example", "email_verified": true } },
                { "sub": "beheer", "password": "beheer-wachtwoord",
                  "claims": { "name": "Beheer", "doorbraak_role": "admin" } },
                { "sub": "stagiair", "password": "ook-juist",
                  "claims": { "name": "Sam Stagiair", "doorbraak_role": "intern" } },
            ],
        }),
    )
}

async fn provider_login(b: &Browser, user: &str, password: &str) {
    b.fill("#login", user).await.unwrap();
    b.fill("#password", password).await.unwrap();
    b.click("#sign-in").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_through_openid_connect_takes_the_role_from_the_claim() {
    let Some(b) = Browser::start().await.unwrap() else {
        return;
    };
    let dir = support::tempdir("web-login");
    let port = support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let Some(idp) = start_provider(&dir, &format!("{base}/auth/callback")) else {
        return;
    };
    let config = support::write_config(&dir, "");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[oidc]\nissuer = \"{}\"\nclient_id = \"doorbraak-web\"\nclient_secret = \"test-client-secret-0123456789\"\nredirect_url = \"{base}/auth/callback\"\nrole_claim = \"doorbraak_role\"\n",
        idp.issuer
    ));
    std::fs::write(&config, text).unwrap();
    let listen = format!("127.0.0.1:{port}");
    let node = NodeProc::start(
        &config,
        &[
            ("DOORBRAAK__HTTP__LISTEN", &listen),
            ("DOORBRAAK__WEB__DEV_LOGIN", "false"),
        ],
    );
    assert_eq!(node.base, base);

    // the session cookie's flags, and a form without the CSRF token
    support::install_tls_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(format!("{base}/inloggen")).send().await.unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(
        r.headers()
            .get("content-security-policy")
            .is_some_and(|v| v.to_str().unwrap().contains("frame-ancestors 'none'"))
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let forged = http
        .post(format!("{base}/casussen"))
        .header("cookie", &session)
        .form(&[("case_ref", "X-1"), ("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.text().await.unwrap().contains("web.csrf"));
    let wrong = http
        .post(format!("{base}/casussen"))
        .header("cookie", &session)
        .form(&[
            ("case_ref", "X-1"),
            ("title", "x"),
            ("_csrf", "not-the-token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    // an answer from the provider that belongs to no login of this browser
    let forged = http
        .get(format!("{base}/auth/callback?code=abc&state=forged"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await.unwrap().contains("auth.state_mismatch"));
    // the page itself needs a login
    let home = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()["location"], "/inloggen");

    // a professional logs in at the provider (a wrong password first)
    b.goto(&format!("{base}/inloggen")).await.unwrap();
    b.click("#oidc-login").await.unwrap();
    b.wait_for("#login").await.unwrap();
    assert!(b.current_url().await.unwrap().starts_with(&idp.issuer));
    provider_login(&b, "anna", "fout-wachtwoord").await;
    b.wait_for("#error").await.unwrap();
    provider_login(&b, "anna", "juist-wachtwoord").await;
    let who = b.text("#ingelogd").await.unwrap();
    assert!(who.contains("Anna de Vries"), "{who}");
    assert!(who.contains("uitvoerend professional"), "{who}");
    assert!(b.current_url().await.unwrap().starts_with(&base));
    // she can work: register a case through the form
    b.goto(&format!("{base}/casussen")).await.unwrap();
    b.fill("#case_ref", "LT-OIDC-1").await.unwrap();
    b.fill("#title", "Gezin Oidc (pseudoniem)").await.unwrap();
    b.click("#zaak-registreren").await.unwrap();
    b.wait_for("#escalatie-openen").await.unwrap();
    b.click(".wie button").await.unwrap();
    b.wait_for("#oidc-login").await.unwrap();

    // someone whose role claim names no Doorbraak role is refused, and is not logged in
    b.client.delete_all_cookies().await.unwrap();
    b.goto(&format!("{base}/inloggen")).await.unwrap();
    b.click("#oidc-login").await.unwrap();
    b.wait_for("#login").await.unwrap();
    provider_login(&b, "stagiair", "ook-juist").await;
    let refused = b.text("[role=alert]").await.unwrap();
    assert!(refused.contains("auth.no_role"), "{refused}");
    assert!(refused.contains("doorbraak_role"), "{refused}");
    assert!(refused.contains("intern"), "{refused}");
    assert!(
        b.client.find(Locator::Css("#ingelogd")).await.is_err(),
        "not logged in"
    );
    b.goto(&format!("{base}/")).await.unwrap();
    assert!(b.current_url().await.unwrap().ends_with("/inloggen"));

    // the administrator sees who logged in, with the address of the `email` claim; one
    // without an address is told in the app only (the provider forgets stagiair first)
    b.goto(&idp.issuer).await.unwrap();
    b.client.delete_all_cookies().await.unwrap();
    b.goto(&format!("{base}/inloggen")).await.unwrap();
    b.click("#oidc-login").await.unwrap();
    b.wait_for("#login").await.unwrap();
    provider_login(&b, "beheer", "beheer-wachtwoord").await;
    b.wait_for("#ingelogd").await.unwrap();
    b.goto(&format!("{base}/beheer/gebruikers")).await.unwrap();
    let people = b.text("#gebruikers").await.unwrap();
    let row = |who: &str| {
        people
            .lines()
            .find(|l| l.contains(who))
            .unwrap_or_else(|| panic!("{who} in {people}"))
            .to_owned()
    };
    assert!(
        row("Anna de Vries").contains("anna@lokaal-team.example")
            && row("Anna de Vries").contains("OpenID Connect"),
        "{people}"
    );
    assert!(row("Beheer").contains("alleen in de app"), "{people}");
    assert!(
        b.text("#zonder-adres").await.unwrap().contains("Beheer"),
        "the page lists who has no address"
    );

    // the login was written to the access log
    let (status, log) = node
        .get("/api/v1/access-log?object_id=login", support::BEHEER)
        .await;
    assert_eq!(status, 200);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["user_id"] == "anna" && e["object_type"] == "session"),
        "{log}"
    );
    b.close().await.unwrap();
}
