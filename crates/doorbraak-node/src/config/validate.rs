//! Checking a configuration's values and resolving its paths into [`Settings`].

use super::*;

impl NodeConfig {
    pub(super) fn validate(self, base: &Path) -> Result<Settings, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_owned(),
            message,
        };
        let oin = Oin::parse(&self.node.oin).map_err(|e| invalid("node.oin", e.message_en()))?;
        if self.node.name.trim().is_empty() {
            return Err(invalid("node.name", "must not be empty".into()));
        }
        let data_dir = if self.node.data_dir.is_absolute() {
            self.node.data_dir.clone()
        } else {
            base.join(&self.node.data_dir)
        };
        let database_url = if self.database.url.trim().is_empty() {
            format!("sqlite://{}", data_dir.join("node.db").display())
        } else {
            doorbraak_app::views::Backend::from_url(&self.database.url)
                .map_err(|e| invalid("database.url", e.to_string()))?;
            self.database.url.clone()
        };
        let database_url = match &self.database.password_file {
            None => database_url,
            Some(f) => {
                let path = if f.is_absolute() {
                    f.clone()
                } else {
                    base.join(f)
                };
                let password = std::fs::read_to_string(&path).map_err(|e| {
                    invalid("database.password_file", format!("{}: {e}", path.display()))
                })?;
                with_password(&database_url, password.trim_end_matches(['\r', '\n']))
                    .map_err(|m| invalid("database.password_file", m))?
            }
        };
        let policy = DeadlinePolicy {
            step_pickup_days: self.deadlines.step_pickup_days,
            kwestie_pickup_days: self.deadlines.kwestie_pickup_days,
            minutes_approval_working_days: self.deadlines.minutes_approval_working_days,
        }
        .validate()
        .map_err(|e| match e {
            doorbraak_model::RuleViolation::InvalidField { field, reason } => {
                invalid(&format!("deadlines.{field}"), reason.into())
            }
            other => invalid("deadlines", other.message_en()),
        })?;
        if self.http.api_burst > 100_000
            || self.http.api_per_second > 100_000
            || self.http.login_burst > 10_000
            || self.http.login_period_secs > 3600
            || (self.http.api_burst == 0) != (self.http.api_per_second == 0)
            || (self.http.login_burst == 0) != (self.http.login_period_secs == 0)
        {
            return Err(invalid(
                "http",
                "rate limits: api_burst and api_per_second both 0 (off) or 1-100000; login_burst 1-10000 with login_period_secs 1-3600, or both 0".into(),
            ));
        }
        if self.http.admin_listen == Some(self.http.listen) {
            return Err(invalid(
                "http.admin_listen",
                "must differ from http.listen".into(),
            ));
        }
        if self.http.max_body_bytes < 1024 || self.http.max_body_bytes > 16 * 1024 * 1024 {
            return Err(invalid(
                "http.max_body_bytes",
                "must be between 1024 and 16777216".into(),
            ));
        }
        if self.oversight.suppress_below < 3
            || self.oversight.min_organisations < 2
            || self.oversight.deadline_ms == 0
            || self.oversight.deadline_ms > 60_000
        {
            return Err(invalid(
                "oversight",
                "suppress_below must be at least 3, min_organisations at least 2, deadline_ms between 1 and 60000".into(),
            ));
        }
        if self.grpc.max_clock_skew_secs > super::MAX_CLOCK_SKEW_SECS {
            return Err(invalid(
                "grpc.max_clock_skew_secs",
                format!("must be at most {} (a year)", super::MAX_CLOCK_SKEW_SECS),
            ));
        }
        if self.sweeper.interval_secs == 0 {
            return Err(invalid(
                "sweeper.interval_secs",
                "must be at least 1".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, u) in self.dev_users.iter().enumerate() {
            if u.token.len() < 8 {
                return Err(invalid(
                    &format!("dev_users[{i}].token"),
                    "must be at least 8 characters".into(),
                ));
            }
            if !seen.insert(u.token.clone()) {
                return Err(invalid(
                    &format!("dev_users[{i}].token"),
                    "is used by another user".into(),
                ));
            }
            if u.id.trim().is_empty() {
                return Err(invalid(
                    &format!("dev_users[{i}].id"),
                    "must not be empty".into(),
                ));
            }
            if u.email.as_deref().is_some_and(|e| !plausible_email(e)) {
                return Err(invalid(
                    &format!("dev_users[{i}].email"),
                    "is not an e-mail address".into(),
                ));
            }
        }
        let resolve =
            |p: Option<PathBuf>| p.map(|p| if p.is_absolute() { p } else { base.join(p) });
        if self.web.session_idle_minutes == 0
            || self.web.session_max_hours == 0
            || self.web.session_max_hours > 24
        {
            return Err(invalid(
                "web",
                "session_idle_minutes must be at least 1, session_max_hours between 1 and 24"
                    .into(),
            ));
        }
        let oidc = match self.oidc {
            None => None,
            Some(o) => Some(validate_oidc(o, base)?),
        };
        // development accounts log anyone in without a password: only on a loopback address,
        // and never next to a real identity provider
        if self.web.dev_login && !self.http.listen.ip().is_loopback() {
            return Err(invalid(
                "web.dev_login",
                "development accounts are only allowed when http.listen is a loopback address"
                    .into(),
            ));
        }
        // their static API tokens too: in production the API takes the provider's tokens
        if !self.dev_users.is_empty() && !self.http.listen.ip().is_loopback() {
            return Err(invalid(
                "dev_users",
                "development accounts and their static API tokens are only allowed when http.listen is a loopback address; use [oidc] api_audience for the API"
                    .into(),
            ));
        }
        if self.web.dev_login && oidc.is_some() {
            return Err(invalid(
                "web.dev_login",
                "development accounts cannot be combined with [oidc]".into(),
            ));
        }
        let theme = theme(&self.web.theme, base)?;
        let mail = match self.mail {
            None => None,
            Some(mut m) => {
                let key = |k: &str| format!("mail.{k}");
                if !plausible_email(&m.from) {
                    return Err(invalid(&key("from"), "is not an e-mail address".into()));
                }
                check_url(&key("base_url"), &m.base_url)?;
                m.base_url = m.base_url.trim_end_matches('/').to_owned();
                if m.from_hour >= m.until_hour || m.until_hour > 24 {
                    return Err(invalid(
                        &key("until_hour"),
                        "must come after from_hour, at most 24".into(),
                    ));
                }
                if m.digest_hour > 23 {
                    return Err(invalid(&key("digest_hour"), "0 to 23".into()));
                }
                if m.timeout_secs == 0 || m.timeout_secs > 300 {
                    return Err(invalid(&key("timeout_secs"), "1 to 300 seconds".into()));
                }
                match &m.file_dir {
                    Some(d) => {
                        m.file_dir = Some(if d.is_absolute() {
                            d.clone()
                        } else {
                            base.join(d)
                        })
                    }
                    None => {
                        if m.host.trim().is_empty() {
                            return Err(invalid(&key("host"), "must be set (or file_dir)".into()));
                        }
                        let loopback = matches!(m.host.as_str(), "localhost" | "127.0.0.1" | "::1");
                        match m.tls.as_str() {
                            "starttls" | "tls" => {}
                            "none" if loopback => {}
                            "none" => {
                                return Err(invalid(
                                    &key("tls"),
                                    "none is only allowed to a loopback server".into(),
                                ));
                            }
                            _ => {
                                return Err(invalid(
                                    &key("tls"),
                                    "one of starttls, tls, none".into(),
                                ));
                            }
                        }
                    }
                }
                Some(m)
            }
        };
        let instance = self.node.instance;
        if instance.is_empty()
            || instance.len() > 64
            || !instance
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "node.instance",
                "1-64 letters, digits, '-' or '_'".into(),
            ));
        }
        for (purpose, uri) in &self.records.processing_activities {
            if !super::PURPOSES.contains(&purpose.as_str()) {
                return Err(invalid(
                    "records.processing_activities",
                    format!(
                        "'{purpose}' is not a purpose of the access log ({})",
                        super::PURPOSES.join(", ")
                    ),
                ));
            }
            if !uri.contains(':') || uri.len() > 500 || uri.chars().any(char::is_whitespace) {
                return Err(invalid(
                    &format!("records.processing_activities.{purpose}"),
                    "a URI (with a scheme, no spaces, at most 500 characters)".into(),
                ));
            }
        }
        if let Err(v) = self.records.retention.validate() {
            return Err(invalid(
                v.field().unwrap_or("records.retention"),
                v.message_en(),
            ));
        }
        if let Some(url) = &self.telemetry.otlp_endpoint {
            check_url("telemetry.otlp_endpoint", url)?;
        }
        let name = &self.telemetry.service_name;
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err(invalid("telemetry.service_name", "1-100 characters".into()));
        }
        if !(1..=100).contains(&self.records.access_log_years) {
            return Err(invalid(
                "records.access_log_years",
                "between 1 and 100 years".into(),
            ));
        }
        if !(1..=86_400).contains(&self.tls.crl_refresh_secs) {
            return Err(invalid(
                "tls.crl_refresh_secs",
                "between 1 and 86400 seconds".into(),
            ));
        }
        if self.tls.crl_urls.len() > 16
            || self
                .tls
                .crl_urls
                .iter()
                .any(|u| !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2000)
        {
            return Err(invalid("tls.crl_urls", "at most 16 http(s):// URLs".into()));
        }
        let directory = {
            let d = self.directory;
            let from_file = match resolve(d.operator) {
                Some(path) => {
                    let der = doorbraak_federation::operator::read_cert(&path)
                        .map_err(|e| invalid("directory.operator", e.to_string()))?;
                    Some(doorbraak_federation::identity::fingerprint(&der))
                }
                None => None,
            };
            let given = match d.operator_fingerprint {
                Some(f) => {
                    let f = f.replace(':', "").to_ascii_lowercase();
                    if f.len() != 64 || !f.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(invalid(
                            "directory.operator_fingerprint",
                            "the SHA-256 of the operator certificate: 64 hex digits".into(),
                        ));
                    }
                    Some(f)
                }
                None => None,
            };
            let operator_fingerprint = match (from_file, given) {
                (Some(a), Some(b)) if a != b => {
                    return Err(invalid(
                        "directory.operator_fingerprint",
                        format!("does not match the certificate in directory.operator ({a})"),
                    ));
                }
                (a, b) => a.or(b),
            };
            let with_tls = self.tls.ca.is_some();
            if with_tls && d.manifest.is_some() && operator_fingerprint.is_none() {
                return Err(invalid(
                    "directory.operator",
                    "name the federation operator's certificate (or set operator_fingerprint): only a manifest it signed is accepted".into(),
                ));
            }
            if let Some(url) = &d.url {
                let local =
                    url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost");
                if !(url.starts_with("https://") || local) || url.len() > 2000 {
                    return Err(invalid(
                        "directory.url",
                        "an https:// URL (http:// only on the loopback interface)".into(),
                    ));
                }
                if d.manifest.is_none() {
                    return Err(invalid(
                        "directory.url",
                        "set directory.manifest too: the fetched manifest is kept there".into(),
                    ));
                }
            }
            if !(5..=86_400).contains(&d.refresh_secs) {
                return Err(invalid(
                    "directory.refresh_secs",
                    "between 5 and 86400 seconds".into(),
                ));
            }
            super::DirectorySettings {
                manifest: resolve(d.manifest),
                operator_fingerprint,
                url: d.url,
                refresh: std::time::Duration::from_secs(d.refresh_secs),
            }
        };
        Ok(Settings {
            app: AppSettings {
                instance,
                oin,
                name: self.node.name,
                kind: self.node.kind,
                data_dir,
                grpc_listen: self.grpc.listen,
                max_clock_skew: jiff::SignedDuration::from_secs(
                    i64::try_from(self.grpc.max_clock_skew_secs).unwrap_or(i64::MAX),
                ),
                policy,
                sweeper_interval: std::time::Duration::from_secs(self.sweeper.interval_secs),
                clock_offset_days: self.dev.clock_offset_days,
                clock_adjustable: self.dev.clock_adjustable,
                oversight: self.oversight,
                tls: TlsSection {
                    ca: resolve(self.tls.ca),
                    cert: resolve(self.tls.cert),
                    key: resolve(self.tls.key),
                    crl: resolve(self.tls.crl),
                    rsa_padding: self.tls.rsa_padding,
                    crl_refresh_secs: self.tls.crl_refresh_secs,
                    crl_urls: self.tls.crl_urls,
                },
                directory,
                dev_users: self.dev_users,
                mail,
                processing_activities: self.records.processing_activities,
                retention: self.records.retention,
                access_log_years: self.records.access_log_years,
            },
            database_url,
            max_connections: self.database.max_connections.unwrap_or(8).clamp(1, 100),
            http_listen: self.http.listen,
            admin_listen: self.http.admin_listen,
            rate_limits: super::RateLimits {
                api_burst: self.http.api_burst,
                api_per_second: self.http.api_per_second,
                login_burst: self.http.login_burst,
                login_period_secs: self.http.login_period_secs,
            },
            max_body_bytes: self.http.max_body_bytes,
            web: self.web,
            theme,
            oidc,
            telemetry: self.telemetry,
        })
    }
}

/// The PostgreSQL URL with `password` in it (percent-encoded by the URL's rules).
fn with_password(database_url: &str, password: &str) -> Result<String, String> {
    if !database_url.starts_with("postgres://") && !database_url.starts_with("postgresql://") {
        return Err("only for a postgres:// database.url".into());
    }
    if password.is_empty() {
        return Err("the file is empty".into());
    }
    let mut url = url::Url::parse(database_url).map_err(|e| format!("database.url: {e}"))?;
    url.set_password(Some(password))
        .map_err(|()| "database.url has no host to log in to".to_string())?;
    Ok(url.into())
}

/// An issuer or callback URL: https, or http only on a loopback host (tests, demo).
fn check_url(key: &str, url: &str) -> Result<(), ConfigError> {
    let invalid = |message: &str| ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_owned(),
    };
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or_default();
        if !matches!(host, "127.0.0.1" | "localhost" | "[") {
            return Err(invalid(
                "must be https (http only for 127.0.0.1 or localhost)",
            ));
        }
        r
    } else {
        return Err(invalid("must be an https URL"));
    };
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(invalid("is not a URL"));
    }
    Ok(())
}

fn validate_oidc(o: OidcSection, base: &Path) -> Result<OidcSettings, ConfigError> {
    let invalid = |key: &str, message: &str| ConfigError::Invalid {
        key: format!("oidc.{key}"),
        message: message.to_owned(),
    };
    check_url("oidc.issuer", &o.issuer)?;
    check_url("oidc.redirect_url", &o.redirect_url)?;
    if !o.redirect_url.ends_with("/auth/callback") {
        return Err(invalid("redirect_url", "must end in /auth/callback"));
    }
    if o.client_id.trim().is_empty() {
        return Err(invalid("client_id", "must not be empty"));
    }
    if o.role_claim.trim().is_empty() {
        return Err(invalid("role_claim", "must not be empty"));
    }
    if !o.scopes.iter().any(|s| s == "openid") {
        return Err(invalid("scopes", "must include openid"));
    }
    let client_secret = match (o.client_secret, o.client_secret_file) {
        (Some(s), None) => s,
        (None, Some(f)) => {
            let f = if f.is_absolute() { f } else { base.join(f) };
            std::fs::read_to_string(&f)
                .map_err(|e| invalid("client_secret_file", &format!("{}: {e}", f.display())))?
                .trim()
                .to_owned()
        }
        _ => {
            return Err(invalid(
                "client_secret",
                "set exactly one of client_secret and client_secret_file",
            ));
        }
    };
    if client_secret.is_empty() {
        return Err(invalid("client_secret", "must not be empty"));
    }
    if o.api_audience
        .as_ref()
        .is_some_and(|a| a.trim().is_empty() || a.len() > 300)
    {
        return Err(invalid("api_audience", "1 to 300 characters"));
    }
    if !(1..=86_400).contains(&o.jwks_refresh_secs) {
        return Err(invalid("jwks_refresh_secs", "1 to 86400 seconds"));
    }
    Ok(OidcSettings {
        jwks_refresh: std::time::Duration::from_secs(o.jwks_refresh_secs),
        issuer: o.issuer,
        client_id: o.client_id,
        client_secret,
        redirect_url: o.redirect_url,
        role_claim: o.role_claim,
        roles: o.roles,
        scopes: o.scopes,
        api_audience: o.api_audience,
    })
}

/// Most bytes of a logo.
const MAX_LOGO: u64 = 256 * 1024;

/// The theme checked: colours as `#rrggbb` with enough contrast, a logo that is read now.
fn theme(t: &ThemeSection, base: &Path) -> Result<Theme, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        key: format!("web.theme.{key}"),
        message,
    };
    let title = t.title.trim();
    if title.is_empty() || title.chars().count() > 60 {
        return Err(invalid("title", "1 to 60 characters".into()));
    }
    let colour = |key: &str, v: &str| {
        Rgb::parse(v).ok_or_else(|| invalid(key, format!("'{v}' is not a colour #rrggbb")))
    };
    let (primary, text, link) = (
        colour("primary", &t.primary)?,
        colour("primary_text", &t.primary_text)?,
        colour("link", &t.link)?,
    );
    let white = Rgb(255, 255, 255);
    // text 4.5:1 (WCAG 2.1 1.4.3); the primary colour as a button's edge on the page 3:1 (1.4.11)
    for (key, a, b, what, needed) in [
        ("primary_text", text, primary, "primary", 4.5),
        ("link", link, white, "white", 4.5),
        ("primary", primary, white, "white", 3.0),
    ] {
        let ratio = a.contrast(b);
        if ratio < needed {
            return Err(invalid(
                key,
                format!("contrasts {ratio:.1}:1 with {what}; WCAG 2.1 AA asks {needed}:1"),
            ));
        }
    }
    let logo = match &t.logo {
        None => None,
        Some(p) => {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            };
            let content_type = match path.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("svg") => "image/svg+xml",
                Some(e) if e.eq_ignore_ascii_case("png") => "image/png",
                Some(e) if e.eq_ignore_ascii_case("webp") => "image/webp",
                _ => return Err(invalid("logo", "an .svg, .png or .webp file".into())),
            };
            let too_big = std::fs::metadata(&path).map(|m| m.len() > MAX_LOGO);
            match too_big {
                Err(e) => return Err(invalid("logo", format!("{}: {e}", path.display()))),
                Ok(true) => return Err(invalid("logo", "at most 256 KB".into())),
                Ok(false) => {}
            }
            let bytes = std::fs::read(&path)
                .map_err(|e| invalid("logo", format!("{}: {e}", path.display())))?;
            Some(Logo {
                bytes,
                content_type,
            })
        }
    };
    Ok(Theme {
        title: title.to_owned(),
        logo,
        primary: t.primary.to_ascii_lowercase(),
        primary_text: t.primary_text.to_ascii_lowercase(),
        link: t.link.to_ascii_lowercase(),
    })
}

/// A colour `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rgb(u8, u8, u8);

impl Rgb {
    pub(super) fn parse(s: &str) -> Option<Rgb> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let part = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        Some(Rgb(part(0)?, part(2)?, part(4)?))
    }

    /// Relative luminance (WCAG 2.1, definition "relative luminance").
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// The contrast ratio of two colours (WCAG 2.1, "contrast ratio"), from 1 to 21.
    pub(super) fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}
