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
    assert_eq!(s.app.policy, DeadlinePolicy::default());
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
    assert_eq!(s.app.policy.step_pickup_days, 7);
    let err = load(MIN, &[("DOORBRAAK__DEADLINES__STEP_PICKUP_DAYS", "0")]).unwrap_err();
    assert!(
        err.to_string().contains("deadlines.step_pickup_days"),
        "{err}"
    );
}

#[test]
fn environment_values_that_look_like_numbers_stay_strings_where_strings_are_wanted() {
    // how a container or a Helm chart configures a node: an OIN, a numeric mail password and a
    // numeric client id by environment; and numbers and booleans where those are wanted
    let with_oidc = format!(
        "{MIN}\n[oidc]\nissuer = \"https://idp.example.nl\"\nclient_id = \"x\"\nclient_secret = \"s\"\nredirect_url = \"https://node.example.nl/auth/callback\"\n"
    );
    let s = load(
        &with_oidc,
        &[
            ("DOORBRAAK__NODE__OIN", "00000001003214345000"),
            ("DOORBRAAK__OIDC__CLIENT_ID", "123456"),
            ("DOORBRAAK__DEADLINES__STEP_PICKUP_DAYS", "7"),
            ("DOORBRAAK__DEV__CLOCK_ADJUSTABLE", "true"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.app.oin.as_str(), "00000001003214345000");
    assert_eq!(
        s.oidc.as_ref().map(|o| o.client_id.as_str()),
        Some("123456")
    );
    assert_eq!(s.app.policy.step_pickup_days, 7);
    assert!(s.app.clock_adjustable);
    let mail = format!(
        "{MIN}\n[mail]\nhost = \"127.0.0.1\"\nport = 2525\ntls = \"none\"\nfrom = \"a@b.nl\"\nbase_url = \"http://127.0.0.1:8080\"\nusername = \"u\"\n"
    );
    let s =
        load(&mail, &[("DOORBRAAK__MAIL__PASSWORD", "20251207")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.app.mail.as_ref().and_then(|m| m.password.as_deref()),
        Some("20251207")
    );
    // a number that is no number is still refused, naming the variable
    let err = load(MIN, &[("DOORBRAAK__DEADLINES__STEP_PICKUP_DAYS", "zeven")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("environment variable DOORBRAAK__DEADLINES__STEP_PICKUP_DAYS"),
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
    assert_eq!(o.scopes, vec!["openid", "profile", "email"]);
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
    // development accounts' static API tokens only on loopback too
    let users = format!(
        "{MIN}\n[[dev_users]]\nid = \"a\"\nname = \"A\"\nrole = \"professional\"\ntoken = \"12345678\"\n"
    );
    assert_eq!(load(&users, &[]).unwrap().app.dev_users.len(), 1);
    let err = load(&users, &[("DOORBRAAK__HTTP__LISTEN", "0.0.0.0:8080")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("dev_users"), "{err}");
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

#[test]
fn an_organisation_theme_is_checked_for_colours_contrast_and_its_logo() {
    let theme = |body: &str| format!("{MIN}\n[web.theme]\n{body}\n");
    // the default is readable
    let s = load(MIN, &[]).unwrap();
    assert_eq!(
        (s.theme.title.as_str(), s.theme.primary.as_str()),
        ("Doorbraak", "#0b4a8b")
    );
    // an organisation's own colours
    let own = load(
        &theme("title = \"Escalaties\"\nprimary = \"#1D5E20\"\nlink = \"#1d5e20\""),
        &[],
    )
    .unwrap();
    assert_eq!(
        (own.theme.title.as_str(), own.theme.primary.as_str()),
        ("Escalaties", "#1d5e20")
    );
    // white text on yellow cannot be read: refused with the ratio and the rule
    let err = load(&theme("primary = \"#ffdd00\""), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("web.theme.primary_text") && err.contains("4.5:1"),
        "{err}"
    );
    let err = load(&theme("link = \"#aaaaaa\""), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("web.theme.link"), "{err}");
    let err = load(&theme("primary = \"blue\""), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("web.theme.primary") && err.contains("#rrggbb"),
        "{err}"
    );
    // a logo is read at start: a missing file or another kind is refused
    let err = load(&theme("logo = \"nergens.svg\""), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("web.theme.logo"), "{err}");
    let err = load(&theme("logo = \"logo.gif\""), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains(".svg, .png or .webp"), "{err}");
    let dir = std::env::temp_dir().join(format!("doorbraak-logo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("logo.svg");
    std::fs::write(&svg, "<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    let with_logo = load(&theme(&format!("logo = \"{}\"", svg.display())), &[]).unwrap();
    let logo = with_logo.theme.logo.unwrap();
    assert_eq!(logo.content_type, "image/svg+xml");
    std::fs::write(&svg, vec![b' '; 300 * 1024]).unwrap();
    let err = load(&theme(&format!("logo = \"{}\"", svg.display())), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("256 KB"), "{err}");
}

#[test]
fn contrast_is_computed_as_wcag_defines_it() {
    let c = |a: &str, b: &str| {
        validate::Rgb::parse(a)
            .unwrap()
            .contrast(validate::Rgb::parse(b).unwrap())
    };
    assert!((c("#000000", "#ffffff") - 21.0).abs() < 0.01);
    assert!((c("#ffffff", "#ffffff") - 1.0).abs() < 0.01);
    // the default blue on white (AA for text)
    assert!(c("#0b4a8b", "#ffffff") > 8.0);
    assert!(c("#767676", "#ffffff") >= 4.5 && c("#777777", "#ffffff") < 4.5);
}

#[test]
fn a_development_accounts_address_must_look_like_one() {
    let user = |email: &str| {
        format!(
            "{MIN}\n[[dev_users]]\nid = \"a\"\nname = \"A\"\nrole = \"professional\"\ntoken = \"12345678\"\nemail = \"{email}\"\n"
        )
    };
    assert_eq!(
        load(&user("anna@lokaal-team.example"), &[])
            .unwrap()
            .app
            .dev_users[0]
            .email
            .as_deref(),
        Some("anna@lokaal-team.example")
    );
    for bad in ["anna", "anna@", "@x.nl", "an na@x.nl", "anna@nl"] {
        let err = load(&user(bad), &[]).unwrap_err().to_string();
        assert!(err.contains("dev_users[0].email"), "{bad}: {err}");
    }
}

#[test]
fn the_register_of_processing_activities_names_known_purposes_with_uris() {
    let ok = format!(
        "{MIN}\n[records.processing_activities]\nescalation_handling = \"https://register.example/v/1\"\n"
    );
    let s = load(&ok, &[]).unwrap();
    assert_eq!(
        s.app.processing_activity("escalation_handling"),
        "https://register.example/v/1"
    );
    assert_eq!(
        s.app.processing_activity("minutes_approval"),
        "urn:doorbraak:verwerkingsactiviteit:minutes_approval"
    );
    let unknown = format!("{MIN}\n[records.processing_activities]\nmarketing = \"urn:x\"\n");
    let err = load(&unknown, &[]).unwrap_err().to_string();
    assert!(
        err.contains("records.processing_activities") && err.contains("marketing"),
        "{err}"
    );
    let no_uri = format!("{MIN}\n[records.processing_activities]\nfederation = \"geen uri\"\n");
    let err = load(&no_uri, &[]).unwrap_err().to_string();
    assert!(
        err.contains("records.processing_activities.federation"),
        "{err}"
    );
}

#[test]
fn a_database_password_file_goes_into_the_postgres_url_encoded() {
    let dir = std::env::temp_dir().join(format!("doorbraak-pwfile-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pw"), "s3cr@t/1\n").unwrap();
    let text = format!(
        "{MIN}\n[database]\nurl = \"postgres://doorbraak@db:5432/doorbraak\"\npassword_file = \"{}\"\n",
        dir.join("pw").display()
    );
    let s = load(&text, &[]).unwrap();
    assert_eq!(
        s.database_url,
        "postgres://doorbraak:s3cr%40t%2F1@db:5432/doorbraak"
    );
    // refused: a missing file, an empty one, and a SQLite database
    let missing = text.replace("/pw\"", "/nope\"");
    let err = load(&missing, &[]).unwrap_err().to_string();
    assert!(err.contains("database.password_file"), "{err}");
    std::fs::write(dir.join("pw"), "\n").unwrap();
    let err = load(&text, &[]).unwrap_err().to_string();
    assert!(err.contains("empty"), "{err}");
    let sqlite = format!(
        "{MIN}\n[database]\npassword_file = \"{}\"\n",
        dir.join("pw").display()
    );
    let err = load(&sqlite, &[]).unwrap_err().to_string();
    assert!(err.contains("only for a postgres"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
