//! What the application needs to know of its node's configuration, and nothing of the
//! server's (listeners, limits, the web's look, the login): the node's name and kind, its
//! deadlines, its federation material's paths, its mail, its records terms. The server's
//! configuration (`doorbraak-node`'s `config`) reads the file and hands the application these.
//!
//! The sections the application owns ([`MailSection`], [`TlsSection`], [`OversightSection`],
//! [`DevUser`]) are read from `node.toml` as they are declared here.

use std::path::PathBuf;

use doorbraak_model::{DeadlinePolicy, Oin, OrgKind, Role};
use serde::Deserialize;

/// The application's settings, validated, with paths resolved.
#[derive(Debug, Clone)]
pub struct AppSettings {
    pub oin: Oin,
    pub name: String,
    pub kind: OrgKind,
    pub data_dir: PathBuf,
    /// Where this node's federation service listens (its own entry in a development
    /// directory).
    pub grpc_listen: std::net::SocketAddr,
    /// How far ahead of this node's clock a delivered event may be dated.
    pub max_clock_skew: jiff::SignedDuration,
    pub policy: DeadlinePolicy,
    pub sweeper_interval: std::time::Duration,
    pub clock_offset_days: i64,
    pub clock_adjustable: bool,
    pub oversight: OversightSection,
    pub tls: TlsSection,
    pub directory: DirectorySettings,
    pub dev_users: Vec<DevUser>,
    pub mail: Option<MailSection>,
    /// The register of processing activities: purpose → URI.
    pub processing_activities: std::collections::BTreeMap<String, String>,
    /// The retention term per kind of record.
    pub retention: doorbraak_model::records::RetentionPolicy,
    /// Years the access log stays in the database before it is archived.
    pub access_log_years: u16,
    /// This process's name among the node's instances (owner of its outbox leases).
    pub instance: String,
}

impl AppSettings {
    /// The URI of the processing activity of an access-log purpose.
    pub fn processing_activity(&self, purpose: &str) -> String {
        self.processing_activities
            .get(purpose)
            .cloned()
            .unwrap_or_else(|| format!("urn:doorbraak:verwerkingsactiviteit:{purpose}"))
    }
}

/// How a node mails its people that something waits for them (issue #14).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSection {
    /// The SMTP server (the organisation's relay); not needed with `file_dir`.
    #[serde(default)]
    pub host: String,
    #[serde(default = "d587")]
    pub port: u16,
    /// `starttls` (default), `tls` (implicit, port 465) or `none` (only to a loopback server).
    #[serde(default = "starttls")]
    pub tls: String,
    /// AUTH user and password; give the password through `DOORBRAAK__MAIL__PASSWORD`.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, e.g. `doorbraak@lokaal-team.example.nl`.
    pub from: String,
    /// The address of this node's web UI, for the link in a mail (`https://…`).
    pub base_url: String,
    /// Write each mail as an `.eml` file into this directory instead of sending it (the demo).
    #[serde(default)]
    pub file_dir: Option<PathBuf>,
    /// Seconds an SMTP conversation may take.
    #[serde(default = "d10u64")]
    pub timeout_secs: u64,
    /// Reminders go out on working days from this hour up to that one (Dutch time); overdue
    /// items always at once.
    #[serde(default = "d8")]
    pub from_hour: u8,
    #[serde(default = "d18")]
    pub until_hour: u8,
    /// The hour (Dutch time, on working days) of the daily digest for who chose one.
    #[serde(default = "d8")]
    pub digest_hour: u8,
}

/// Certificate paths for the federation's mutual TLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// The trust anchors: one PEM file with every CA certificate trusted (the PKIoverheid
    /// private root and its intermediates, or the development CA).
    pub ca: Option<PathBuf>,
    /// The node certificate, followed by the intermediates it sends.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub crl: Option<PathBuf>,
    /// How an RSA node key signs approvals: `pkcs1` (PKCS#1 v1.5, the default) or `pss`.
    #[serde(default)]
    pub rsa_padding: doorbraak_federation::crypto::RsaPadding,
    /// How often the CRLs are read again (the `crl` file and `crl_urls`), in seconds
    /// (default 300); connections of certificates they revoke are closed.
    #[serde(default = "d300")]
    pub crl_refresh_secs: u64,
    /// CRLs to fetch as well (http(s), DER or PEM), e.g. the CAs' distribution points.
    #[serde(default)]
    pub crl_urls: Vec<String>,
}

impl Default for TlsSection {
    fn default() -> Self {
        Self {
            ca: None,
            cert: None,
            key: None,
            crl: None,
            rsa_padding: Default::default(),
            crl_refresh_secs: d300(),
            crl_urls: Vec::new(),
        }
    }
}

/// The directory as the node uses it (paths resolved, the operator's fingerprint known).
#[derive(Debug, Clone, Default)]
pub struct DirectorySettings {
    pub manifest: Option<PathBuf>,
    pub operator_fingerprint: Option<String>,
    pub url: Option<String>,
    pub refresh: std::time::Duration,
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

/// A development account: a bearer token that acts as this person in this role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevUser {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub token: String,
    /// Where this development account's notifications are mailed (none: in-app only).
    #[serde(default)]
    pub email: Option<String>,
}

/// A plausible e-mail address (one `@`, a dot in the domain, no spaces, at most 254 characters);
/// the mail server has the last word.
pub fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn d587() -> u16 {
    587
}
fn starttls() -> String {
    "starttls".into()
}
fn d8() -> u8 {
    8
}
fn d18() -> u8 {
    18
}
fn d10u64() -> u64 {
    10
}
fn d300() -> u64 {
    300
}
