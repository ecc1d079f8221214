//! Prometheus metrics of the node, served at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandLabels {
    pub kind: &'static str,
    pub command: &'static str,
    /// `ok`, `refused` or `error`
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TableLabels {
    pub table: &'static str,
}

pub struct Metrics {
    pub registry: Registry,
    pub commands: Family<CommandLabels, Counter>,
    pub command_seconds: Histogram,
    pub overdue_marked: Counter,
    pub rows: Family<TableLabels, Gauge>,
    pub delivered: Family<PeerLabels, Counter>,
    pub delivery_failures: Family<PeerLabels, Counter>,
    pub pending: Family<PeerLabels, Gauge>,
    pub received: Counter,
    /// Federation refusals per peer, and those counted rather than written one by one to the
    /// access log (a flood; see `federation::throttle`).
    pub refusals: Family<PeerLabels, Counter>,
    /// HTTP requests refused with 429 by a rate limit.
    pub rate_limited: Counter,
    /// The directory in force: its serial, its age and the time left before it expires.
    pub directory_serial: Gauge,
    /// CRLs taken up while running, and connections closed because their peer was revoked.
    pub crl_reloads: Counter,
    pub revoked_connections_closed: Counter,
    pub directory_age: Gauge,
    pub directory_expires_in: Gauge,
    pub refusals_unlogged: Family<PeerLabels, Counter>,
    /// The auditor's check: deadlines that passed more than two sweeper intervals ago without
    /// their overdue event (a lost timer). Zero on a healthy node.
    pub missed_deadlines: Gauge,
    /// Replicas found to differ from their home (and repaired from it).
    pub replica_divergences: Counter,
    /// Messages a peer refused for good, set aside (dead letters), per peer.
    pub dead_letters: Family<PeerLabels, Counter>,
    /// The periodic audit's findings per check; zero on a healthy node.
    pub audit_findings: Family<CheckLabels, Gauge>,
    /// Age of the oldest undelivered outbox message per peer (set at each scrape).
    pub oldest_pending: Family<PeerLabels, Gauge>,
    /// Seconds until the node certificate expires (set at each scrape; negative: expired).
    pub certificate_expires_in: Gauge,
    /// Database errors met by commands and the sweeper.
    pub store_errors: Counter,
    /// Notification mails sent, and attempts that failed (retried later).
    pub mails_sent: Counter,
    pub mail_failures: Counter,
    /// Notification mails waiting to be sent.
    pub mails_queued: Gauge,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CheckLabels {
    pub check: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabels {
    pub peer: String,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("doorbraak");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands decided by this node, by aggregate, command and outcome",
            commands.clone(),
        );
        let command_seconds = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        registry.register(
            "command_duration_seconds",
            "Time from receiving a command to its commit",
            command_seconds.clone(),
        );
        let overdue_marked = Counter::default();
        registry.register(
            "deadlines_overdue_marked",
            "Pickup deadlines the sweeper marked as passed",
            overdue_marked.clone(),
        );
        let mails_sent = Counter::default();
        registry.register(
            "notification_mails_sent",
            "Notification mails the SMTP server accepted",
            mails_sent.clone(),
        );
        let mail_failures = Counter::default();
        registry.register(
            "notification_mail_failures",
            "Attempts to send a notification mail that failed (retried with backoff)",
            mail_failures.clone(),
        );
        let mails_queued = Gauge::default();
        registry.register(
            "notification_mails_queued",
            "Notification mails waiting to be sent",
            mails_queued.clone(),
        );
        let rows = Family::<TableLabels, Gauge>::default();
        registry.register("rows", "Rows in the node's tables", rows.clone());
        let delivered = Family::<PeerLabels, Counter>::default();
        registry.register(
            "federation_delivered_messages",
            "Outbox messages acknowledged by each peer",
            delivered.clone(),
        );
        let delivery_failures = Family::<PeerLabels, Counter>::default();
        registry.register(
            "federation_delivery_failures",
            "Failed delivery attempts per peer",
            delivery_failures.clone(),
        );
        let pending = Family::<PeerLabels, Gauge>::default();
        registry.register(
            "federation_pending_messages",
            "Outbox messages waiting for each peer",
            pending.clone(),
        );
        let received = Counter::default();
        registry.register(
            "federation_received_messages",
            "Messages received from peers and applied",
            received.clone(),
        );
        let crl_reloads = Counter::default();
        registry.register(
            "tls_crl_reloads",
            "Times changed CRLs were taken up without a restart",
            crl_reloads.clone(),
        );
        let revoked_connections_closed = Counter::default();
        registry.register(
            "tls_revoked_connections_closed",
            "Open connections closed because their peer's certificate was revoked",
            revoked_connections_closed.clone(),
        );
        let directory_serial = Gauge::default();
        registry.register(
            "directory_serial",
            "Serial of the federation directory manifest in force",
            directory_serial.clone(),
        );
        let directory_age = Gauge::default();
        registry.register(
            "directory_age_seconds",
            "Seconds since the directory manifest in force was issued",
            directory_age.clone(),
        );
        let directory_expires_in = Gauge::default();
        registry.register(
            "directory_expires_in_seconds",
            "Seconds until the directory manifest in force expires (negative: expired)",
            directory_expires_in.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "http_rate_limited",
            "HTTP requests refused with 429 because their address exceeded a rate limit",
            rate_limited.clone(),
        );
        let refusals = Family::<PeerLabels, Counter>::default();
        registry.register(
            "federation_refusals",
            "Calls from peers that were refused",
            refusals.clone(),
        );
        let refusals_unlogged = Family::<PeerLabels, Counter>::default();
        registry.register(
            "federation_refusals_unlogged",
            "Refused calls counted in a later access-log entry rather than written one by one (a flood)",
            refusals_unlogged.clone(),
        );
        let missed_deadlines = Gauge::default();
        registry.register(
            "deadlines_missed",
            "Deadlines passed more than two sweeper intervals ago without their overdue event",
            missed_deadlines.clone(),
        );
        let replica_divergences = Counter::default();
        registry.register(
            "replica_divergence",
            "Replicas whose events differed from their home's at the same sequence number (each repaired from the home)",
            replica_divergences.clone(),
        );
        let dead_letters = Family::<PeerLabels, Counter>::default();
        registry.register(
            "federation_dead_letters",
            "Messages a peer refused for good and that were set aside",
            dead_letters.clone(),
        );
        let audit_findings = Family::<CheckLabels, Gauge>::default();
        registry.register(
            "audit_findings",
            "Findings of the periodic store audit per check (zero on a healthy node)",
            audit_findings.clone(),
        );
        let oldest_pending = Family::<PeerLabels, Gauge>::default();
        registry.register(
            "federation_oldest_pending_seconds",
            "Age of the oldest outbox message each peer has not acknowledged yet",
            oldest_pending.clone(),
        );
        let certificate_expires_in = Gauge::default();
        registry.register(
            "tls_certificate_expires_in_seconds",
            "Seconds until the node certificate expires (negative: expired)",
            certificate_expires_in.clone(),
        );
        let store_errors = Counter::default();
        registry.register(
            "store_errors",
            "Database errors met by commands and by the sweeper",
            store_errors.clone(),
        );
        Self {
            oldest_pending,
            certificate_expires_in,
            store_errors,
            replica_divergences,
            dead_letters,
            audit_findings,
            delivered,
            delivery_failures,
            pending,
            received,
            refusals,
            rate_limited,
            refusals_unlogged,
            directory_serial,
            crl_reloads,
            revoked_connections_closed,
            directory_age,
            directory_expires_in,
            missed_deadlines,
            registry,
            commands,
            command_seconds,
            overdue_marked,
            rows,
            mails_sent,
            mail_failures,
            mails_queued,
        }
    }
}

impl Metrics {
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // encoding into a String cannot fail
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
