//! The node configuration (`node.toml`), with environment overrides.
//!
//! Every key can be overridden by an environment variable named `DOORBRAAK__` followed by the
//! key path in upper case with `__` between levels: `DOORBRAAK__DATABASE__URL` sets
//! `[database] url`, `DOORBRAAK__HTTP__LISTEN` sets `[http] listen`. Values are parsed as TOML
//! when they can be (numbers, booleans), else taken as strings.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use doorbraak_model::{DeadlinePolicy, Oin, OrgKind, Role};
use serde::Deserialize;

/// Why a configuration could not be used. Messages name the bad key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key '{key}': {message}")]
    Invalid { key: String, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub node: NodeSection,
    #[serde(default)]
    pub http: HttpSection,
    #[serde(default)]
    pub grpc: GrpcSection,
    #[serde(default)]
    pub database: DatabaseSection,
    #[serde(default)]
    pub tls: TlsSection,
    #[serde(default)]
    pub directory: DirectorySection,
    #[serde(default)]
    pub deadlines: DeadlinesSection,
    #[serde(default)]
    pub sweeper: SweeperSection,
    #[serde(default)]
    pub oversight: OversightSection,
    #[serde(default)]
    pub dev: DevSection,
    #[serde(default)]
    pub dev_users: Vec<DevUser>,
    #[serde(default)]
    pub web: WebSection,
    pub oidc: Option<OidcSection>,
}

/// The web UI served by the node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    /// Offer the development accounts (`[[dev_users]]`) on the login page. Never in production.
    #[serde(default)]
    pub dev_login: bool,
    /// Mark the session cookie `Secure` (browsers still send it to http://127.0.0.1 and
    /// http://localhost; put a TLS-terminating proxy in front of every other address).
    #[serde(default = "yes")]
    pub secure_cookies: bool,
    /// A session ends after this many minutes without a request.
    #[serde(default = "d30u64")]
    pub session_idle_minutes: u64,
    /// A session ends this many hours after login, active or not.
    #[serde(default = "d10u64")]
    pub session_max_hours: u64,
}

fn yes() -> bool {
    true
}
fn d30u64() -> u64 {
    30
}
fn d10u64() -> u64 {
    10
}

impl Default for WebSection {
    fn default() -> Self {
        Self {
            dev_login: false,
            secure_cookies: true,
            session_idle_minutes: 30,
            session_max_hours: 10,
        }
    }
}

/// Login with OpenID Connect (authorization code flow with PKCE) at the organisation's own
/// identity provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSection {
    /// The issuer URL; its `/.well-known/openid-configuration` is read at the first login.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, or (better) `client_secret_file`.
    pub client_secret: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    /// This node's callback URL as registered at the provider: `<base>/auth/callback`.
    pub redirect_url: String,
    /// The ID-token claim that carries the person's Doorbraak role.
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    /// Values of the role claim mapped to roles; without a mapping the value must be a role
    /// code (`professional`, `team_manager`, ...).
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, Role>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

fn default_role_claim() -> String {
    "doorbraak_role".into()
}
fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into()]
}

/// Validated OpenID Connect settings.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_url: String,
    pub role_claim: String,
    pub roles: std::collections::BTreeMap<String, Role>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    pub oin: String,
    pub name: String,
    pub kind: OrgKind,
    /// Where the node keeps its files (the SQLite database by default). Relative paths are
    /// relative to the config file.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The name of this process among the instances of the node (`main` by default). It owns
    /// the node's outbox leases, so a restarted process takes over its own leases at once.
    #[serde(default = "default_instance")]
    pub instance: String,
}

fn default_instance() -> String {
    "main".into()
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    #[serde(default = "default_http")]
    pub listen: SocketAddr,
    /// Largest accepted request body.
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: default_http(),
            max_body_bytes: default_body(),
        }
    }
}

fn default_http() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_body() -> usize {
    64 * 1024
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcSection {
    #[serde(default = "default_grpc")]
    pub listen: SocketAddr,
}

impl Default for GrpcSection {
    fn default() -> Self {
        Self {
            listen: default_grpc(),
        }
    }
}

fn default_grpc() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9443))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// `sqlite://PATH` or `postgres://...`; empty: a SQLite file `node.db` in the data dir.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub max_connections: Option<u32>,
}

/// Certificate paths for the federation's mutual TLS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub crl: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySection {
    /// The federation's directory manifest (members, their kinds and endpoints).
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesSection {
    #[serde(default = "d14")]
    pub step_pickup_days: u32,
    #[serde(default = "d14")]
    pub kwestie_pickup_days: u32,
    #[serde(default = "d5")]
    pub minutes_approval_working_days: u32,
}

fn d14() -> u32 {
    14
}
fn d5() -> u32 {
    5
}

impl Default for DeadlinesSection {
    fn default() -> Self {
        Self {
            step_pickup_days: 14,
            kwestie_pickup_days: 14,
            minutes_approval_working_days: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweeperSection {
    /// How often the deadline sweeper looks for passed deadlines.
    #[serde(default = "d30")]
    pub interval_secs: u64,
}

fn d30() -> u64 {
    30
}

impl Default for SweeperSection {
    fn default() -> Self {
        Self { interval_secs: 30 }
    }
}

/// The stagnation view (municipality nodes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OversightSection {
    /// Counts from 1 to this minus one are shown as "<N>".
    #[serde(default = "d5u64")]
    pub suppress_below: u64,
    /// A figure is shown only if at least this many organisations contribute.
    #[serde(default = "d2")]
    pub min_organisations: usize,
    /// How long to wait for each member node.
    #[serde(default = "d750")]
    pub deadline_ms: u64,
}

fn d5u64() -> u64 {
    5
}
fn d2() -> usize {
    2
}
fn d750() -> u64 {
    750
}

impl Default for OversightSection {
    fn default() -> Self {
        Self {
            suppress_below: 5,
            min_organisations: 2,
            deadline_ms: 750,
        }
    }
}

/// Development settings. Never set these in production.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSection {
    /// Shift the node's clock by this many days (to demonstrate and test deadlines).
    #[serde(default)]
    pub clock_offset_days: i64,
}

/// A development account: a bearer token that acts as this person in this role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevUser {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub token: String,
}

/// The configuration after validation, with paths resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub oin: Oin,
    pub name: String,
    pub kind: OrgKind,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub max_connections: u32,
    pub http_listen: SocketAddr,
    pub grpc_listen: SocketAddr,
    pub max_body_bytes: usize,
    pub policy: DeadlinePolicy,
    pub sweeper_interval: std::time::Duration,
    pub clock_offset_days: i64,
    pub oversight: OversightSection,
    pub tls: TlsSection,
    pub directory_manifest: Option<PathBuf>,
    pub dev_users: Vec<DevUser>,
    pub web: WebSection,
    pub oidc: Option<OidcSettings>,
    /// This process's name among the node's instances (owner of its outbox leases).
    pub instance: String,
}

impl NodeConfig {
    /// Read `path`, apply `DOORBRAAK__*` overrides from `env`, and validate.
    pub fn load(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, path, base, env)
    }

    pub fn from_toml(
        text: &str,
        path: &Path,
        base: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut value: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        for (k, v) in env {
            let Some(rest) = k.strip_prefix("DOORBRAAK__") else {
                continue;
            };
            let keys: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            set_path(&mut value, &keys, parse_env_value(&v)).map_err(|message| {
                ConfigError::Invalid {
                    key: keys.join("."),
                    message,
                }
            })?;
        }
        let cfg: NodeConfig = NodeConfig::deserialize(value).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        cfg.validate(base)
    }

    fn validate(self, base: &Path) -> Result<Settings, ConfigError> {
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
            doorbraak_store::Backend::from_url(&self.database.url)
                .map_err(|e| invalid("database.url", e.to_string()))?;
            self.database.url.clone()
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
        if self.web.dev_login && oidc.is_some() {
            return Err(invalid(
                "web.dev_login",
                "development accounts cannot be combined with [oidc]".into(),
            ));
        }
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
        Ok(Settings {
            instance,
            oin,
            name: self.node.name,
            kind: self.node.kind,
            data_dir,
            database_url,
            max_connections: self.database.max_connections.unwrap_or(8).clamp(1, 100),
            http_listen: self.http.listen,
            grpc_listen: self.grpc.listen,
            max_body_bytes: self.http.max_body_bytes,
            policy,
            sweeper_interval: std::time::Duration::from_secs(self.sweeper.interval_secs),
            clock_offset_days: self.dev.clock_offset_days,
            oversight: self.oversight,
            tls: TlsSection {
                ca: resolve(self.tls.ca),
                cert: resolve(self.tls.cert),
                key: resolve(self.tls.key),
                crl: resolve(self.tls.crl),
            },
            directory_manifest: resolve(self.directory.manifest),
            dev_users: self.dev_users,
            web: self.web,
            oidc,
        })
    }
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
    Ok(OidcSettings {
        issuer: o.issuer,
        client_id: o.client_id,
        client_secret,
        redirect_url: o.redirect_url,
        role_claim: o.role_claim,
        roles: o.roles,
        scopes: o.scopes,
    })
}

fn parse_env_value(v: &str) -> toml::Value {
    // numbers and booleans as such; everything else (addresses, URLs, paths) as a string
    if let Ok(i) = v.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    match v {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(v.to_owned()),
    }
}

fn set_path(table: &mut toml::Table, keys: &[String], v: toml::Value) -> Result<(), String> {
    match keys {
        [] => Err("empty key".into()),
        [last] => {
            table.insert(last.clone(), v);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, v),
                _ => Err(format!("'{first}' is not a section")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
}
