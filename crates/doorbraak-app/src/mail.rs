//! Mailing the notices of this node's people (issue #14): the SMTP transport (lettre, rustls,
//! STARTTLS or implicit TLS, optional AUTH, a timeout) or a file transport (the demo), and the
//! sender's pass over the notices that are due. A mail says what kind of thing waits, by when
//! (Dutch time) and links to the notice on the person's own node; it never holds case content:
//! a notice has none to give.

use std::time::Duration;

use doorbraak_model::notify::Reason;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::*;
use crate::settings::MailSection;

/// Attempts before a mail is given up (the notice stays in the inbox).
pub const MAX_ATTEMPTS: i64 = 12;

/// Where mails go.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// Why the mail transport could not be made.
#[derive(Debug, thiserror::Error)]
#[error("mail transport: {0}")]
pub struct TransportError(String);

impl Transport {
    pub fn new(m: &MailSection) -> Result<Transport, TransportError> {
        if let Some(dir) = &m.file_dir {
            std::fs::create_dir_all(dir).map_err(|e| TransportError(e.to_string()))?;
            return Ok(Transport::File(AsyncFileTransport::new(dir)));
        }
        let builder = match m.tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&m.host),
            "none" => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &m.host,
            )),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&m.host),
        }
        .map_err(|e| TransportError(e.to_string()))?;
        let mut builder = builder
            .port(m.port)
            .timeout(Some(Duration::from_secs(m.timeout_secs)));
        if let (Some(user), Some(password)) = (&m.username, &m.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::File(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

/// The words of a kind of item in a mail (no case reference, no content).
fn item_word(kind: &str) -> &'static str {
    match kind {
        "escalation" => "een escalatie",
        "kwestie" => "een kwestie",
        "minutes" => "een overleg en zijn verslag",
        _ => "het aanbevelingenregister",
    }
}

/// The subject and text of a notice's mail: what waits, by when, and the link; nothing else.
pub fn compose(
    n: &doorbraak_store::InboxRow,
    org: &str,
    base_url: &str,
    now: Timestamp,
) -> (String, String) {
    let label = Reason::from_code(&n.reason).map_or("Er wacht iets op u", |r| r.label_nl());
    let subject = format!("Doorbraak: {label}");
    let mut body = format!("{label}.\n\nHet gaat om {}.\n", item_word(&n.stream_kind));
    if let Some(d) = n.deadline {
        body.push_str(&format!(
            "Termijn: {} ({}).\n",
            crate::time::moment(d, crate::lang::Lang::Nl),
            crate::time::countdown(d, now, crate::lang::Lang::Nl)
        ));
    }
    body.push_str(&format!(
        "\nBekijk het in Doorbraak: {base_url}/meldingen/{}\n\n\
         Dit bericht noemt bewust geen gegevens over de casus of het gezin.\n\
         {org}\n",
        n.id
    ));
    (subject, body)
}

/// One mail of several notices (the daily digest): a line each, the link to the inbox.
pub fn compose_digest(
    notices: &[&doorbraak_store::InboxRow],
    org: &str,
    base_url: &str,
    now: Timestamp,
) -> (String, String) {
    let subject = format!(
        "Doorbraak: {} {} voor u",
        notices.len(),
        if notices.len() == 1 {
            "melding"
        } else {
            "meldingen"
        }
    );
    let mut body = String::from("Uw dagelijkse overzicht van wat op u wacht:\n\n");
    for n in notices {
        let label = Reason::from_code(&n.reason).map_or("Er wacht iets op u", |r| r.label_nl());
        body.push_str(&format!("- {label} ({})", item_word(&n.stream_kind)));
        if let Some(d) = n.deadline {
            body.push_str(&format!(
                ", termijn {} ({})",
                crate::time::moment(d, crate::lang::Lang::Nl),
                crate::time::countdown(d, now, crate::lang::Lang::Nl)
            ));
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "\nBekijk ze in Doorbraak: {base_url}/meldingen\n\n\
         Dit bericht noemt bewust geen gegevens over de casus of het gezin.\n\
         {org}\n"
    ));
    (subject, body)
}

/// A mail that could not be sent waits 30 s, doubling, at most an hour.
const MAIL_RETRY: doorbraak_federation::backoff::Backoff =
    doorbraak_federation::backoff::Backoff::exact(
        std::time::Duration::from_secs(30),
        std::time::Duration::from_secs(3600),
    );

/// The wait before attempt `attempts + 1`.
fn backoff(attempts: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::try_from(MAIL_RETRY.after_failures(attempts.saturating_add(1)))
        .unwrap_or(jiff::SignedDuration::from_secs(3600))
}

impl Node {
    /// Reminders go out on working days within the configured hours (Dutch time).
    fn within_hours(&self, m: &MailSection, now: Timestamp) -> bool {
        let hour = crate::time::hour(now);
        doorbraak_model::calendar::is_working_day(crate::time::date(now))
            && hour >= i8::try_from(m.from_hour).unwrap_or(0)
            && hour < i8::try_from(m.until_hour).unwrap_or(24)
    }

    /// Build a mail and hand it to the transport.
    async fn deliver(
        &self,
        transport: &Transport,
        cfg: &MailSection,
        to: &str,
        subject: String,
        body: String,
        message_id: &str,
    ) -> Result<(), String> {
        let from: Mailbox = cfg.from.parse().map_err(|e| format!("from: {e}"))?;
        let to: Mailbox = to.parse().map_err(|e| format!("to: {e}"))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{message_id}@doorbraak.{}>", self.oin())))
            .header(ContentType::TEXT_PLAIN)
            .header(header::ContentTransferEncoding::QuotedPrintable)
            .body(body)
            .map_err(|e| e.to_string())?;
        transport.send(message).await
    }

    /// Record what became of the mail of these notices; true when it was sent.
    async fn mailed(
        &self,
        rows: &[&doorbraak_store::MailDue],
        result: Result<(), String>,
        now: Timestamp,
    ) -> Result<bool, NodeError> {
        match result {
            Ok(()) => {
                for d in rows {
                    self.store
                        .mail_outcome(&d.notice.id.to_string(), "sent", None, None, now)
                        .await?;
                }
                self.metrics.mails_sent.inc();
                Ok(true)
            }
            Err(e) => {
                self.metrics.mail_failures.inc();
                tracing::warn!(error = %e, "a notification mail was not sent");
                for d in rows {
                    let attempts = d.attempts + 1;
                    let (state, next) = if attempts >= MAX_ATTEMPTS {
                        ("failed", None)
                    } else {
                        (
                            "pending",
                            Some(now.checked_add(backoff(attempts)).unwrap_or(now)),
                        )
                    };
                    self.store
                        .mail_outcome(&d.notice.id.to_string(), state, Some(&e), next, now)
                        .await?;
                }
                Ok(false)
            }
        }
    }

    /// One pass of the mail sender: the notices that are due, sent; a failure waits (backoff)
    /// and is tried again, up to [`MAX_ATTEMPTS`]. Returns how many were sent.
    pub async fn send_mails(&self) -> Result<usize, NodeError> {
        let (Some(cfg), Some(transport)) = (&self.settings.mail, &self.mailer) else {
            return Ok(0);
        };
        let now = self.now();
        let due = self.store.mail_due(now, 100).await?;
        let mut sent = 0;
        let mut digests: std::collections::BTreeMap<
            String,
            Vec<(doorbraak_store::MailDue, String)>,
        > = std::collections::BTreeMap::new();
        for d in due {
            let id = d.notice.id.to_string();
            let at_once = Reason::from_code(&d.notice.reason).is_some_and(|r| r.always_at_once());
            if !at_once && !self.within_hours(cfg, now) {
                continue;
            }
            // the address of the last login, else a development account's in node.toml
            let dev = self
                .settings
                .dev_users
                .iter()
                .find(|u| u.id == d.notice.person)
                .and_then(|u| u.email.as_deref());
            let Some(to) = d.email.as_deref().or(dev) else {
                // nobody to mail: the inbox has it
                self.store
                    .mail_outcome(&id, "none", None, None, now)
                    .await?;
                continue;
            };
            if d.digest && !at_once {
                let to = to.to_owned();
                digests
                    .entry(d.notice.person.clone())
                    .or_default()
                    .push((d, to));
                continue;
            }
            let (subject, body) = compose(&d.notice, &self.settings.name, &cfg.base_url, now);
            let result = self.deliver(transport, cfg, to, subject, body, &id).await;
            if self.mailed(&[&d], result, now).await? {
                sent += 1;
            }
        }
        // who chose one daily digest: one mail of everything that waited, once a working day
        let today = crate::time::date(now).to_string();
        let digest_time = doorbraak_model::calendar::is_working_day(crate::time::date(now))
            && crate::time::hour(now) >= i8::try_from(cfg.digest_hour).unwrap_or(8);
        for (person, rows) in digests {
            let already = rows
                .first()
                .is_some_and(|(d, _)| d.last_digest.as_deref() == Some(today.as_str()));
            if !digest_time || already {
                continue;
            }
            let to = rows.first().map(|(_, t)| t.clone()).unwrap_or_default();
            let notices: Vec<&doorbraak_store::InboxRow> =
                rows.iter().map(|(d, _)| &d.notice).collect();
            let (subject, body) = compose_digest(&notices, &self.settings.name, &cfg.base_url, now);
            let message_id = format!("digest-{person}-{today}");
            let result = self
                .deliver(transport, cfg, &to, subject, body, &message_id)
                .await;
            let all: Vec<&doorbraak_store::MailDue> = rows.iter().map(|(d, _)| d).collect();
            if self.mailed(&all, result, now).await? {
                self.store.digest_sent(&person, &today).await?;
                sent += 1;
            }
        }
        let queued = self
            .store
            .mail_counts()
            .await?
            .into_iter()
            .find(|(s, _)| s == "pending")
            .map_or(0, |(_, n)| n);
        self.metrics.mails_queued.set(queued);
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_says_what_waits_and_by_when_and_nothing_of_the_case() {
        let now: Timestamp = "2026-12-01T09:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let n = doorbraak_store::InboxRow {
            id: Uuid::from_u128(42),
            person: "vera".into(),
            reason: "pick_up".into(),
            stream_kind: "escalation".into(),
            stream_id: "e-1".into(),
            seq: 2,
            deadline: Some("2026-12-15T09:00:00Z".parse().unwrap_or(now)),
            created_at: now,
            read_at: None,
            case_ref: Some("LT-2026-0200".into()),
            mail: true,
        };
        let (subject, body) = compose(&n, "Veilig Thuis Utrecht", "https://vt.example", now);
        assert_eq!(subject, "Doorbraak: Er wacht iets op u om op te pakken");
        assert!(body.contains("di 15 december 2026, 10:00") && body.contains("nog 14 dagen"));
        assert!(body.contains(&format!("https://vt.example/meldingen/{}", n.id)));
        assert!(!body.contains("LT-2026-0200"), "no case reference: {body}");
        assert_eq!(backoff(1), jiff::SignedDuration::from_secs(60));
        // every kind of notice, on every kind of item, alone and in a digest: the case
        // reference (the only thing of the case a notice row knows, from its projection, for
        // the app) never reaches a mail, nor a BSN-shaped number
        let mut rows = Vec::new();
        for reason in Reason::ALL {
            for kind in ["escalation", "kwestie", "minutes", "recommendation"] {
                rows.push(doorbraak_store::InboxRow {
                    reason: reason.code().into(),
                    stream_kind: kind.into(),
                    case_ref: Some("MARKER-123456782".into()),
                    ..n.clone()
                });
            }
        }
        for r in &rows {
            let (subject, body) = compose(r, "Org", "https://x.example", now);
            let mail = format!("{subject}\n{body}");
            assert!(
                !mail.contains("MARKER") && !mail.contains("123456782"),
                "{mail}"
            );
            assert!(mail.contains("/meldingen/"), "{mail}");
        }
        let all: Vec<&doorbraak_store::InboxRow> = rows.iter().collect();
        let (subject, body) = compose_digest(&all, "Org", "https://x.example", now);
        assert_eq!(
            subject,
            format!("Doorbraak: {} meldingen voor u", rows.len())
        );
        assert!(!body.contains("MARKER") && !body.contains("123456782"));
        assert_eq!(backoff(20), jiff::SignedDuration::from_secs(3600));
    }
}
