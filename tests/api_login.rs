//! The JSON API with the organisation's real identity provider (node-oidc-provider from
//! tests/oidc): its access tokens (JWT, for this node's audience) and service accounts with
//! the client credentials grant are accepted; a token for another node, an expired one, one
//! without a Doorbraak role, one of another provider and a tampered one are refused with the
//! rule named. The `doorbraak` client commands use a token from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::NodeProc;

const AUDIENCE: &str = "urn:doorbraak:lokaal-team";

fn provider_config() -> Value {
    let client = |id: &str, role: Option<&str>, ttl: Option<u32>| {
        let mut c = json!({
            "client_id": id,
            "client_secret": format!("{id}-secret-0123456789"),
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
        });
        if let Some(r) = role {
            c["doorbraak_role"] = json!(r);
        }
        if let Some(t) = ttl {
            c["access_token_ttl"] = json!(t);
        }
        c
    };
    json!({
        "api_audiences": [AUDIENCE, "urn:doorbraak:andere-node"],
        "clients": [
            { "client_id": "doorbraak-web", "client_secret": "web-secret-0123456789",
              "redirect_uris": ["http://127.0.0.1:1/auth/callback"] },
            client("rapportage", Some("team_manager"), None),
            client("zonder-rol", None, None),
            client("kortlevend", Some("team_manager"), Some(1)),
        ],
        "accounts": [],
    })
}

/// A service account's access token for `audience`.
async fn token(issuer: &str, client: &str, audience: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(client, Some(format!("{client}-secret-0123456789")))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", audience),
            ("scope", "api"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {r}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_takes_the_providers_access_tokens_and_refuses_every_other() {
    let dir = support::tempdir("api-login");
    let Some(idp) = support::oidc::start(&dir, provider_config()) else {
        return;
    };
    let Some(other) = support::oidc::start(&dir, provider_config()) else {
        return;
    };
    let config = support::write_config(&dir, "");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!(
        "\n[oidc]\nissuer = \"{}\"\nclient_id = \"doorbraak-web\"\nclient_secret = \"web-secret-0123456789\"\nredirect_url = \"http://127.0.0.1:1/auth/callback\"\napi_audience = \"{AUDIENCE}\"\n",
        idp.issuer
    ));
    std::fs::write(&config, toml).unwrap();
    let node = NodeProc::start(&config, &[("DOORBRAAK__WEB__DEV_LOGIN", "false")]);

    // allowed: the service account lists escalations, as itself, in its role
    let valid = token(&idp.issuer, "rapportage", AUDIENCE).await;
    let (s, b) = node.get("/api/v1/escalations", &valid).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = node.get("/api/v1/access-log", &valid).await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (403, Some("access.role_not_allowed")),
        "{b}"
    );

    // refused, each with its rule
    let wrong_audience = token(&idp.issuer, "rapportage", "urn:doorbraak:andere-node").await;
    let no_role = token(&idp.issuer, "zonder-rol", AUDIENCE).await;
    let foreign = token(&other.issuer, "rapportage", AUDIENCE).await;
    // one character in the middle of the signature changed (still valid base64url)
    let mut tampered: Vec<char> = valid.chars().collect();
    let at = tampered.len() - 20;
    tampered[at] = if tampered[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    for (what, t, status, rule) in [
        (
            "another node's audience",
            &wrong_audience,
            401,
            "auth.token_audience",
        ),
        ("no Doorbraak role", &no_role, 403, "auth.no_role"),
        ("another provider", &foreign, 401, "auth.token_issuer"),
        (
            "a changed signature",
            &tampered,
            401,
            "auth.token_signature",
        ),
        (
            "not a token at all",
            &"geen.jwt.token".to_owned(),
            401,
            "auth.token_invalid",
        ),
    ] {
        let (s, b) = node.get("/api/v1/escalations", t).await;
        assert_eq!((s, b["rule"].as_str()), (status, Some(rule)), "{what}: {b}");
        assert!(
            b["message_nl"].as_str().is_some_and(|m| !m.is_empty()),
            "{b}"
        );
    }

    // the client commands with a token from the environment
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doorbraak"))
        .args(["escalation", "list", "--json"])
        .env("DOORBRAAK_URL", &node.base)
        .env("DOORBRAAK_TOKEN", &valid)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // a token that lived a second is refused once it (and the clock tolerance) passed
    let short = token(&idp.issuer, "kortlevend", AUDIENCE).await;
    assert_eq!(node.get("/api/v1/escalations", &short).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    let (s, b) = node.get("/api/v1/escalations", &short).await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (401, Some("auth.token_expired")),
        "{b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_its_rate_limit_the_api_answers_429_and_recovers_and_monitoring_listens_apart() {
    let dir = support::tempdir("rate-limit");
    let config = support::write_config(&dir, "");
    let admin = format!("127.0.0.1:{}", support::free_port());
    let node = NodeProc::start(
        &config,
        &[
            ("DOORBRAAK__HTTP__API_BURST", "5"),
            ("DOORBRAAK__HTTP__API_PER_SECOND", "2"),
            ("DOORBRAAK__HTTP__LOGIN_BURST", "3"),
            ("DOORBRAAK__HTTP__LOGIN_PERIOD_SECS", "2"),
            ("DOORBRAAK__HTTP__ADMIN_LISTEN", &admin),
        ],
    );
    let token = "dev-anna-professional";
    let get = || {
        node.client
            .get(format!("{}/api/v1/escalations", node.base))
            .bearer_auth(token)
            .send()
    };
    // allowed: the burst
    for _ in 0..5 {
        assert_eq!(get().await.unwrap().status(), 200);
    }
    // refused: one more at once, with the rule, the wait and Dutch words
    let r = get().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"), "{:?}", r.headers());
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["rule"], "http.rate_limited", "{b}");
    assert!(
        b["message_nl"]
            .as_str()
            .unwrap()
            .contains("Te veel verzoeken"),
        "{b}"
    );
    // recovers: two a second come back
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get().await.unwrap().status(), 200);

    // logins have a budget of their own
    let login = || node.client.get(format!("{}/auth/login", node.base)).send();
    for _ in 0..3 {
        assert_ne!(login().await.unwrap().status(), 429);
    }
    assert_eq!(login().await.unwrap().status(), 429);

    // monitoring on its own listener, not on the public one
    let metrics = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused: f64 = metrics
        .lines()
        .find(|l| l.starts_with("doorbraak_http_rate_limited_total "))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(refused >= 2.0, "{refused}");
    assert_eq!(
        reqwest::get(format!("http://{admin}/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        node.client
            .get(format!("{}/metrics", node.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_unreachable_provider_holds_no_request_and_known_keys_keep_working() {
    let dir = support::tempdir("api-jwks");
    let Some(idp) = support::oidc::start(&dir, provider_config()) else {
        return;
    };
    let config = support::write_config(&dir, "");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!(
        "\n[oidc]\nissuer = \"{}\"\nclient_id = \"doorbraak-web\"\nclient_secret = \"web-secret-0123456789\"\nredirect_url = \"http://127.0.0.1:1/auth/callback\"\napi_audience = \"{AUDIENCE}\"\njwks_refresh_secs = 1\n",
        idp.issuer
    ));
    std::fs::write(&config, toml).unwrap();
    let node = NodeProc::start(&config, &[("DOORBRAAK__WEB__DEV_LOGIN", "false")]);
    let valid = token(&idp.issuer, "rapportage", AUDIENCE).await;
    assert_eq!(node.get("/api/v1/escalations", &valid).await.0, 200);

    // the provider goes down: past the refresh interval the keys cannot be fetched, and a
    // token with a known key keeps working
    let port: u16 = idp.issuer.rsplit(':').next().unwrap().parse().unwrap();
    drop(idp);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(node.get("/api/v1/escalations", &valid).await.0, 200);
    assert_eq!(node.get("/api/v1/escalations", &valid).await.0, 200);

    // on its port now a provider that accepts and never answers; once the node may ask again
    // (ten seconds after a failure), one request renews the keys and waits for it
    let hole = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = hole.accept().await {
            open.push(s);
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    let client = reqwest::Client::new();
    let get = |client: reqwest::Client, base: String, token: String| async move {
        client
            .get(format!("{base}/api/v1/escalations"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let renewing = tokio::spawn(get(client.clone(), node.base.clone(), valid.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // the other requests go on with the keys the node has, while that one still waits
    for _ in 0..5 {
        assert_eq!(
            get(client.clone(), node.base.clone(), valid.clone()).await,
            200
        );
    }
    assert!(
        !renewing.is_finished(),
        "the renewing request should still wait for the hanging provider"
    );
    // the renewal fails (the provider's timeout): the last good keys stay in use
    assert_eq!(renewing.await.unwrap(), 200);
    held.abort();
    let _ = held.await;
    assert_eq!(node.get("/api/v1/escalations", &valid).await.0, 200);
}
