//! The notification outbox's worker: claims due messages, delivers each (email over SMTP with
//! lettre, SMS through the configured HTTP gateway, or into the dev mailbox, where nothing leaves
//! the machine), and marks it sent, or failed with the next try's time (doubling back-off, then
//! given up). Messages are claimed with a lease, so a crashed worker's messages are tried again
//! when it lapses, and two servers on one database never send one twice at once.

use crate::config::NotifyConfig;
use jiff::{SignedDuration, Timestamp};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use onestop_domain::notify::{MessageChannel, Retry};
use onestop_store::Store;
use onestop_store::outbox::OutboxMessage;
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed message is reserved for its delivery.
const LEASE: SignedDuration = SignedDuration::from_secs(120);

/// Messages claimed per round.
const BATCH: u32 = 50;

/// How email leaves.
enum Email {
    /// Kept in the outbox for the dev mailbox.
    Mailbox,
    /// Over SMTP.
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
}

/// How SMS leave.
enum Sms {
    /// Kept in the outbox for the dev mailbox.
    Mailbox,
    /// POSTed to a gateway.
    Gateway { client: reqwest::Client, url: String },
}

/// The configured ways out.
pub struct Transports {
    email: Email,
    sms: Sms,
}

impl Transports {
    /// The transports `config` names.
    pub fn from_config(config: &NotifyConfig) -> Result<Transports, String> {
        let email = match config.email_transport.as_str() {
            "smtp" => {
                let from: Mailbox = config
                    .smtp_from
                    .parse()
                    .map_err(|e| format!("notify.smtp_from {:?} is not an address: {e}", config.smtp_from))?;
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
                    .port(config.smtp_port)
                    .timeout(Some(Duration::from_secs(20)));
                if !config.smtp_username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        config.smtp_username.clone(),
                        config.smtp_password.clone(),
                    ));
                }
                Email::Smtp { transport: builder.build(), from }
            }
            _ => Email::Mailbox,
        };
        let sms = match config.sms_transport.as_str() {
            "gateway" => Sms::Gateway {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .map_err(|e| format!("cannot build the SMS client: {e}"))?,
                url: config.sms_gateway_url.clone(),
            },
            _ => Sms::Mailbox,
        };
        Ok(Transports { email, sms })
    }

    /// Delivers one message; the error says why not.
    async fn deliver(&self, m: &OutboxMessage) -> Result<(), String> {
        let msg = &m.message;
        match msg.channel {
            MessageChannel::Email => match &self.email {
                Email::Mailbox => Ok(()),
                Email::Smtp { transport, from } => {
                    let to: Mailbox =
                        msg.recipient.parse().map_err(|e| format!("bad recipient address: {e}"))?;
                    let email = lettre::Message::builder()
                        .from(from.clone())
                        .to(to)
                        .subject(msg.subject.clone())
                        .message_id(Some(format!("<outbox-{}@onestop>", m.id)))
                        .header(ContentType::TEXT_PLAIN)
                        .body(msg.body.clone())
                        .map_err(|e| format!("cannot build the email: {e}"))?;
                    transport.send(email).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
                }
            },
            MessageChannel::Sms => match &self.sms {
                Sms::Mailbox => Ok(()),
                Sms::Gateway { client, url } => {
                    let response = client
                        .post(url)
                        .json(&serde_json::json!({"to": msg.recipient, "text": msg.body, "id": m.id}))
                        .send()
                        .await
                        .map_err(|e| format!("SMS gateway: {e}"))?;
                    if response.status().is_success() {
                        Ok(())
                    } else {
                        Err(format!("SMS gateway answered {}", response.status()))
                    }
                }
            },
        }
    }
}

/// Claims and delivers the messages due at `now()` until none is due; answers how many were sent.
pub async fn deliver_due(
    store: &dyn Store,
    transports: &Transports,
    retry: Retry,
    now: &(dyn Fn() -> Timestamp + Send + Sync),
) -> Result<usize, String> {
    let mut sent = 0;
    loop {
        let claimed = store.claim_messages(now(), LEASE, BATCH).await.map_err(|e| e.to_string())?;
        if claimed.is_empty() {
            return Ok(sent);
        }
        let mut delivered = Vec::new();
        for m in &claimed {
            match transports.deliver(m).await {
                Ok(()) => delivered.push(m.id),
                Err(error) => {
                    let at = now();
                    let retry_at = retry.after(m.attempts + 1).map(|wait| at + wait);
                    tracing::warn!(id = m.id, topic = %m.message.topic, %error, given_up = retry_at.is_none(), "delivery failed");
                    store.message_failed(m.id, &error, retry_at).await.map_err(|e| e.to_string())?;
                }
            }
        }
        // Marked together: one transaction per round, not one per message.
        store.messages_sent(&delivered, now()).await.map_err(|e| e.to_string())?;
        sent += delivered.len();
    }
}

/// Runs the worker: a round every `every`, until aborted.
pub async fn run(store: Arc<dyn Store>, transports: Transports, retry: Retry, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = deliver_due(store.as_ref(), &transports, retry, &crate::clock::now).await {
            tracing::warn!(error = %e, "the outbox worker failed a round");
        }
    }
}

/// The retry rule `config` sets.
pub fn retry_of(config: &NotifyConfig) -> Retry {
    Retry {
        first: SignedDuration::from_secs(config.retry_first_secs),
        max: SignedDuration::from_secs(config.retry_max_secs.max(config.retry_first_secs)),
        attempts: config.max_attempts,
    }
}
