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
use crate::config::MailSection;

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

/// The wait before attempt `attempts + 1`: 30 s doubling, at most an hour.
fn backoff(attempts: i64) -> jiff::SignedDuration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 7));
    jiff::SignedDuration::from_secs(secs.min(3600))
}

impl Node {
    /// Reminders go out on working days within the configured hours (Dutch time).
    fn within_hours(&self, m: &MailSection, now: Timestamp) -> bool {
        let hour = crate::time::hour(now);
        doorbraak_model::calendar::is_working_day(crate::time::date(now))
            && hour >= i8::try_from(m.from_hour).unwrap_or(0)
            && hour < i8::try_from(m.until_hour).unwrap_or(24)
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
            let (subject, body) = compose(&d.notice, &self.settings.name, &cfg.base_url, now);
            let message = (|| -> Result<Message, String> {
                let from: Mailbox = cfg.from.parse().map_err(|e| format!("from: {e}"))?;
                let to: Mailbox = to.parse().map_err(|e| format!("to: {e}"))?;
                Message::builder()
                    .from(from)
                    .to(to)
                    .subject(subject)
                    .message_id(Some(format!("<{id}@doorbraak.{}>", self.oin())))
                    .header(ContentType::TEXT_PLAIN)
                    .header(header::ContentTransferEncoding::QuotedPrintable)
                    .body(body)
                    .map_err(|e| e.to_string())
            })();
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    self.store
                        .mail_outcome(&id, "failed", Some(&e), None, now)
                        .await?;
                    continue;
                }
            };
            match transport.send(message).await {
                Ok(()) => {
                    self.store
                        .mail_outcome(&id, "sent", None, None, now)
                        .await?;
                    self.metrics.mails_sent.inc();
                    sent += 1;
                }
                Err(e) => {
                    self.metrics.mail_failures.inc();
                    tracing::warn!(error = %e, notice = %id, "a notification mail was not sent");
                    let attempts = d.attempts + 1;
                    if attempts >= MAX_ATTEMPTS {
                        self.store
                            .mail_outcome(&id, "failed", Some(&e), None, now)
                            .await?;
                    } else {
                        let next = now.checked_add(backoff(attempts)).unwrap_or(now);
                        self.store
                            .mail_outcome(&id, "pending", Some(&e), Some(next), now)
                            .await?;
                    }
                }
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
        assert_eq!(backoff(20), jiff::SignedDuration::from_secs(3600));
    }
}
