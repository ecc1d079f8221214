//! The node configuration (`node.toml`), with environment overrides, layered by figment.
//!
//! Every key can be overridden by an environment variable named `DOORBRAAK__` followed by the
//! key path in upper case with `__` between levels: `DOORBRAAK__DATABASE__URL` sets
//! `[database] url`, `DOORBRAAK__HTTP__LISTEN` sets `[http] listen`. Values are read as figment
//! reads them (numbers and booleans as such, anything else as a string). An error names the key
//! and where its value came from (the file, or the environment variable).
//!
//! [`layers`] reads the file and the environment; [`validate`] checks the values and resolves
//! paths into [`Settings`].

mod layers;
mod validate;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use doorbraak_model::{DeadlinePolicy, Oin, OrgKind, Role};
use serde::Deserialize;

pub use doorbraak_app::settings::{
    AppSettings, DevUser, DirectorySettings, MailSection, OversightSection, TlsSection,
    plausible_email,
};

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
    /// Notifications by mail; without it the node keeps the in-app inbox only.
    #[serde(default)]
    pub mail: Option<MailSection>,
    #[serde(default)]
    pub records: RecordsSection,
    #[serde(default)]
    pub telemetry: TelemetrySection,
}

/// Optional export of the node's spans to an OpenTelemetry collector over OTLP/gRPC. The
/// spans name requests, commands and their outcome, never case content.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySection {
    /// The collector's OTLP/gRPC endpoint, e.g. `https://otel.example:4317` (http only on
    /// loopback, e.g. a collector beside the node); unset: no export.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    /// The `service.name` of the exported spans.
    #[serde(default = "default_service_name")]
    pub service_name: String,
}

fn default_service_name() -> String {
    "doorbraak-node".into()
}

impl Default for TelemetrySection {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: default_service_name(),
        }
    }
}

/// Records: the register of processing activities the access log refers to, the retention
/// terms, and the access log's own term.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordsSection {
    /// Each purpose of the access log (`escalation_handling`, `kwestie_handling`,
    /// `minutes_approval`, `quality_improvement`, `case_handling`, `administration`,
    /// `federation`) with the URI of its processing activity in the organisation's register
    /// (verwerkingsregister); a purpose not listed is `urn:doorbraak:verwerkingsactiviteit:<purpose>`.
    #[serde(default)]
    pub processing_activities: std::collections::BTreeMap<String, String>,
    /// The retention term per kind of record (`[records.retention.escalation]` etc., each
    /// `years` and `basis`); by default the Jeugdwet's twenty years (art. 7.3.8) for all three.
    #[serde(default)]
    pub retention: doorbraak_model::records::RetentionPolicy,
    /// Years the access log is kept in the database; older sealed rows are archived with
    /// their checkpoint (NEN 7513 asks at least five years).
    #[serde(default = "default_access_log_years")]
    pub access_log_years: u16,
}

fn default_access_log_years() -> u16 {
    5
}

impl Default for RecordsSection {
    fn default() -> Self {
        Self {
            processing_activities: std::collections::BTreeMap::new(),
            retention: doorbraak_model::records::RetentionPolicy::default(),
            access_log_years: default_access_log_years(),
        }
    }
}

/// The access log's purposes.
pub const PURPOSES: [&str; 7] = [
    "escalation_handling",
    "kwestie_handling",
    "minutes_approval",
    "quality_improvement",
    "case_handling",
    "administration",
    "federation",
];

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
    /// The organisation's look: title, logo and colours over the NL Design System.
    #[serde(default)]
    pub theme: ThemeSection,
}

/// The organisation theme as the node uses it.
#[derive(Debug, Clone)]
pub struct Theme {
    pub title: String,
    pub logo: Option<Logo>,
    pub primary: String,
    pub primary_text: String,
    pub link: String,
}

/// A logo read at start.
#[derive(Debug, Clone)]
pub struct Logo {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// The organisation theme of the web UI (on top of the NL Design System's components).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeSection {
    /// The name in the header, beside the organisation's name.
    #[serde(default = "doorbraak")]
    pub title: String,
    /// An SVG, PNG or WebP logo (at most 256 KB), shown in the header; relative to node.toml.
    #[serde(default)]
    pub logo: Option<PathBuf>,
    /// The header's and the primary buttons' colour, `#rrggbb`.
    #[serde(default = "blue")]
    pub primary: String,
    /// The text on that colour; it must contrast at least 4.5:1 with it (WCAG 2.1 AA).
    #[serde(default = "white")]
    pub primary_text: String,
    /// The colour of links on white; at least 4.5:1 with white.
    #[serde(default = "blue")]
    pub link: String,
}

fn doorbraak() -> String {
    "Doorbraak".into()
}
fn blue() -> String {
    "#0b4a8b".into()
}
fn white() -> String {
    "#ffffff".into()
}

impl Default for ThemeSection {
    fn default() -> Self {
        Self {
            title: doorbraak(),
            logo: None,
            primary: blue(),
            primary_text: white(),
            link: blue(),
        }
    }
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

impl WebSection {
    /// How long a session lives without use.
    pub fn session_idle(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.session_idle_minutes * 60)
    }

    /// How long a session lives at most after its login.
    pub fn session_max_age(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.session_max_hours * 3600)
    }
}

impl Default for WebSection {
    fn default() -> Self {
        Self {
            dev_login: false,
            secure_cookies: true,
            session_idle_minutes: 30,
            session_max_hours: 10,
            theme: ThemeSection::default(),
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
    /// With this, the JSON API accepts the provider's access tokens (JWT) whose audience is
    /// this value: people's tokens and service accounts' (client credentials). The role is
    /// read from `role_claim` as for the web login.
    pub api_audience: Option<String>,
    /// How often the provider's signing keys are fetched again (seconds). The last keys that
    /// were fetched stay in use for a day while the provider cannot be reached.
    #[serde(default = "default_jwks_refresh_secs")]
    pub jwks_refresh_secs: u64,
}

fn default_jwks_refresh_secs() -> u64 {
    300
}

fn default_role_claim() -> String {
    "doorbraak_role".into()
}
fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into(), "email".into()]
}

/// Validated OpenID Connect settings.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// How often the provider's signing keys are fetched again.
    pub jwks_refresh: std::time::Duration,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_url: String,
    pub role_claim: String,
    pub roles: std::collections::BTreeMap<String, Role>,
    pub scopes: Vec<String>,
    pub api_audience: Option<String>,
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
    /// Requests to the JSON API per client address: a burst of this many, then
    /// `api_per_second` (0: no limit).
    #[serde(default = "d200u32")]
    pub api_burst: u32,
    #[serde(default = "d100u32")]
    pub api_per_second: u32,
    /// Login requests (`/auth/*`, `/inloggen/dev`) per client address: a burst of this many,
    /// then one every `login_period_secs` (0: no limit).
    #[serde(default = "d20u32")]
    pub login_burst: u32,
    #[serde(default = "d1u64")]
    pub login_period_secs: u64,
    /// A second listener for `/metrics`, `/healthz` and `/readyz` (monitoring only); they are
    /// then not served on `listen`.
    #[serde(default)]
    pub admin_listen: Option<SocketAddr>,
}

fn d200u32() -> u32 {
    200
}
fn d100u32() -> u32 {
    100
}
fn d20u32() -> u32 {
    20
}
fn d1u64() -> u64 {
    1
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: default_http(),
            max_body_bytes: default_body(),
            api_burst: d200u32(),
            api_per_second: d100u32(),
            login_burst: d20u32(),
            login_period_secs: d1u64(),
            admin_listen: None,
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
    /// How far ahead of this node's clock a delivered event may be dated (seconds; clocks of
    /// members differ a little). A node whose development clock is adjustable also takes the
    /// days that clocks are moved on purpose.
    #[serde(default = "default_max_clock_skew_secs")]
    pub max_clock_skew_secs: u64,
}

impl Default for GrpcSection {
    fn default() -> Self {
        Self {
            listen: default_grpc(),
            max_clock_skew_secs: default_max_clock_skew_secs(),
        }
    }
}

fn default_max_clock_skew_secs() -> u64 {
    doorbraak_model::acceptance::DEFAULT_MAX_CLOCK_SKEW
        .as_secs()
        .unsigned_abs()
}

/// The most a configuration may tolerate of clock skew: a year.
pub const MAX_CLOCK_SKEW_SECS: u64 = 366 * 24 * 3600;

fn default_grpc() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9443))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// `sqlite://PATH` or `postgres://...`; empty: a SQLite file `node.db` in the data dir.
    #[serde(default)]
    pub url: String,
    /// A file holding the PostgreSQL password (a mounted Secret); it goes into the URL, whose
    /// own password it replaces. Relative to the configuration file.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub max_connections: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySection {
    /// The federation's directory manifest (members, their kinds and endpoints), signed by
    /// the federation operator.
    pub manifest: Option<PathBuf>,
    /// The federation operator's certificate (PEM) whose key signs the manifest.
    pub operator: Option<PathBuf>,
    /// Or its SHA-256 fingerprint (64 hex digits).
    pub operator_fingerprint: Option<String>,
    /// Also fetch the manifest from this HTTPS URL (written to `manifest` once verified).
    pub url: Option<String>,
    /// How often the manifest file (and the URL) is read again, in seconds (default 300).
    #[serde(default = "d300")]
    pub refresh_secs: u64,
}

fn d300() -> u64 {
    300
}

impl Default for DirectorySection {
    fn default() -> Self {
        Self {
            manifest: None,
            operator: None,
            operator_fingerprint: None,
            url: None,
            refresh_secs: d300(),
        }
    }
}

/// Rate limits per client address (0: none).
#[derive(Debug, Clone, Copy, Default)]
pub struct RateLimits {
    pub api_burst: u32,
    pub api_per_second: u32,
    pub login_burst: u32,
    pub login_period_secs: u64,
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

/// Development settings. Never set these in production.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSection {
    /// Shift the node's clock by this many days (to demonstrate and test deadlines).
    #[serde(default)]
    pub clock_offset_days: i64,
    /// Let the administrator move the clock at run time (the demo's nodes; never in
    /// production).
    #[serde(default)]
    pub clock_adjustable: bool,
}

/// The configuration after validation, with paths resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// What the application gets: the node's name and kind, deadlines, federation paths, mail,
    /// records terms.
    pub app: AppSettings,
    pub database_url: String,
    pub max_connections: u32,
    pub http_listen: SocketAddr,
    /// The monitoring listener (`/metrics`, `/healthz`, `/readyz`), if apart.
    pub admin_listen: Option<SocketAddr>,
    /// Rate limits per client address: API burst and rate, login burst and period.
    pub rate_limits: RateLimits,
    pub max_body_bytes: usize,
    pub web: WebSection,
    /// The organisation theme, checked (colours, contrast) and with its logo read.
    pub theme: Theme,
    pub oidc: Option<OidcSettings>,
    /// OpenTelemetry export of the node's spans.
    pub telemetry: TelemetrySection,
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

    /// The configuration in `text` (read from `path`; relative paths in it are relative to
    /// `base`), with the `DOORBRAAK__*` overrides of `env`, validated.
    pub fn from_toml(
        text: &str,
        path: &Path,
        base: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        layers::extract(text, path, env)?.validate(base)
    }
}

#[cfg(test)]
mod tests;
