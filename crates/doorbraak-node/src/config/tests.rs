//! The configuration: defaults, overrides and errors that name the key.

use super::*;

const MIN: &str = r#"
[node]
oin = "00000001000000000010"
name = "Lokaal Team"
kind = "local_team"
"#;

fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    NodeConfig::from_toml(
        text,
        Path::new("node.toml"),
        Path::new("/srv/doorbraak"),
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

#[test]
fn defaults_give_a_sqlite_file_in_the_data_dir() {
    let s = load(MIN, &[]).unwrap();
    assert_eq!(s.database_url, "sqlite:///srv/doorbraak/data/node.db");
    assert_eq!(s.policy, DeadlinePolicy::default());
    assert_eq!(s.http_listen.port(), 8080);
}

#[test]
fn environment_overrides_name_their_key() {
    let s = load(
        MIN,
        &[
            ("DOORBRAAK__HTTP__LISTEN", "127.0.0.1:9999"),
            ("DOORBRAAK__DEADLINES__STEP_PICKUP_DAYS", "7"),
            ("OTHER", "x"),
        ],
    )
    .unwrap();
    assert_eq!(s.http_listen.port(), 9999);
    assert_eq!(s.policy.step_pickup_days, 7);
    let err = load(MIN, &[("DOORBRAAK__DEADLINES__STEP_PICKUP_DAYS", "0")]).unwrap_err();
    assert!(
        err.to_string().contains("deadlines.step_pickup_days"),
        "{err}"
    );
}

#[test]
fn oidc_settings_are_checked_and_dev_login_stays_on_loopback() {
    let oidc = |issuer: &str, redirect: &str| {
        format!(
            "{MIN}\n[oidc]\nissuer = \"{issuer}\"\nclient_id = \"doorbraak\"\nclient_secret = \"s3cret\"\nredirect_url = \"{redirect}\"\n"
        )
    };
    let ok = load(
        &oidc(
            "https://idp.example.nl",
            "https://node.example.nl/auth/callback",
        ),
        &[],
    )
    .unwrap();
    let o = ok.oidc.unwrap();
    assert_eq!(o.role_claim, "doorbraak_role");
    assert_eq!(o.scopes, vec!["openid", "profile"]);
    // http only on loopback (tests), the callback path is fixed
    assert!(
        load(
            &oidc(
                "http://127.0.0.1:9000",
                "http://127.0.0.1:8080/auth/callback"
            ),
            &[]
        )
        .is_ok()
    );
    let err = load(
        &oidc(
            "http://idp.example.nl",
            "https://n.example.nl/auth/callback",
        ),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("oidc.issuer"), "{err}");
    let err = load(
        &oidc("https://idp.example.nl", "https://n.example.nl/elders"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("oidc.redirect_url"), "{err}");
    let no_secret = oidc(
        "https://idp.example.nl",
        "https://n.example.nl/auth/callback",
    )
    .replace("client_secret = \"s3cret\"\n", "");
    assert!(
        load(&no_secret, &[])
            .unwrap_err()
            .to_string()
            .contains("oidc.client_secret")
    );

    let dev = format!("{MIN}\n[web]\ndev_login = true\n");
    assert!(load(&dev, &[]).unwrap().web.dev_login);
    let err = load(&dev, &[("DOORBRAAK__HTTP__LISTEN", "0.0.0.0:8080")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("web.dev_login"), "{err}");
    let both = format!(
        "{}\n[web]\ndev_login = true\n",
        oidc(
            "https://idp.example.nl",
            "https://n.example.nl/auth/callback"
        )
    );
    assert!(
        load(&both, &[])
            .unwrap_err()
            .to_string()
            .contains("web.dev_login")
    );
}

#[test]
fn errors_name_the_bad_key() {
    let bad_oin = MIN.replace("00000001000000000010", "123");
    assert!(
        load(&bad_oin, &[])
            .unwrap_err()
            .to_string()
            .contains("node.oin")
    );
    let unknown = format!("{MIN}\n[http]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n");
    let err = load(&unknown, &[]).unwrap_err().to_string();
    assert!(err.contains("lisen"), "{err}");
    let bad_url = format!("{MIN}\n[database]\nurl = \"mysql://x\"\n");
    assert!(
        load(&bad_url, &[])
            .unwrap_err()
            .to_string()
            .contains("database.url")
    );
    let short = format!(
        "{MIN}\n[[dev_users]]\nid = \"a\"\nname = \"A\"\nrole = \"professional\"\ntoken = \"x\"\n"
    );
    assert!(
        load(&short, &[])
            .unwrap_err()
            .to_string()
            .contains("dev_users[0].token")
    );
}

#[test]
fn an_error_says_where_the_bad_value_came_from() {
    let err = load(MIN, &[("DOORBRAAK__HTTP__LISTEN", "nergens")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("http.listen") && err.contains("environment variable DOORBRAAK__HTTP__LISTEN"),
        "{err}"
    );
    let err = load(&format!("{MIN}\n[http]\nlisten = 3\n"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("http.listen") && err.contains("config file node.toml"),
        "{err}"
    );
    let err = load(MIN, &[("DOORBRAAK__HTTP__LISEN", "127.0.0.1:1")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("lisen"), "{err}");
    let err = load(MIN, &[("DOORBRAAK____", "x")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("DOORBRAAK____"), "{err}");
}
