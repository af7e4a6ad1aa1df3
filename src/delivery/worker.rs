//! The outbox worker: claims due messages, writes each from the records as they are
//! now, hands it to the transport and records the outcome. It runs inside `serve` and
//! alone as `sponsor-match worker`; any number run side by side, because a message is
//! leased to one worker at a time.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures_util::StreamExt;
use lettre::message::Mailbox;

use super::transport::{Mailer, SendError};
use super::webhook::WebhookClient;
use crate::config::{OutboxSettings, Secrets, Settings};
use crate::domain::ids::MatchId;
use crate::notify::MessageKind;
use crate::notify::letters::render;
use crate::notify::links::LinkSigner;
use crate::store::letters::{Composed, compose};
use crate::store::outbox::{self, Claimed, Outcome};
use crate::store::{Db, StoreError, matches};

pub struct Worker {
    db: Db,
    mailer: Mailer,
    from: Mailbox,
    domain: String,
    links: LinkSigner,
    webhooks: WebhookClient,
    settings: OutboxSettings,
}

impl Worker {
    pub fn new(settings: &Settings, secrets: &Secrets, db: Db) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .email
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("email.from is not an address: {e}"))?;
        Ok(Self {
            db,
            mailer: Mailer::from_settings(&settings.email, settings.outbox.in_flight)?,
            domain: from.email.domain().to_owned(),
            from,
            links: LinkSigner::from_settings(settings, secrets),
            webhooks: WebhookClient::new()?,
            settings: settings.outbox.clone(),
        })
    }

    /// Delivers until the process ends: at once while messages are due, then polling.
    pub async fn run(self) {
        let idle = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        loop {
            match self.deliver_due().await {
                Ok(0) => tokio::time::sleep(idle).await,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "outbox delivery failed; retrying");
                    tokio::time::sleep(idle).await;
                }
            }
        }
    }

    /// Claims one batch of due messages and delivers it; returns how many were claimed.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let lease = TimeDelta::seconds(i64::try_from(self.settings.lease_seconds).unwrap_or(60));
        let lease_until = (Utc::now() + lease).naive_utc();
        let limit = i64::from(self.settings.batch_size.max(1));
        let batch = self
            .db
            .write(move |conn| outbox::claim(conn, lease_until, limit))
            .await?;
        let claimed = batch.len();
        let results: Vec<Result<(), StoreError>> = futures_util::stream::iter(batch)
            .map(|message| self.deliver(message))
            .buffer_unordered(self.settings.in_flight.max(1))
            .collect()
            .await;
        results.into_iter().collect::<Result<(), _>>()?;
        Ok(claimed)
    }

    async fn deliver(&self, message: Claimed) -> Result<(), StoreError> {
        let links = self.links.clone();
        let claimed = message.clone();
        let composed = self
            .db
            .run(move |conn| compose(conn, &claimed, &links))
            .await;
        let disclosure = match &composed {
            Ok(Composed::Send {
                discloses: Some(consent),
                ..
            }) => Some(*consent),
            _ => None,
        };
        let outcome = match composed {
            // The records could not be read: like any transient failure, retried and in
            // the end dead-lettered, never claimed forever.
            Err(error) => self.settled(&message, Err(SendError::Transient(error.to_string()))),
            Ok(Composed::Cancel(why)) => Outcome::Cancelled {
                why: why.to_owned(),
            },
            Ok(Composed::Undeliverable(why)) => Outcome::Dead {
                error: why.to_owned(),
            },
            Ok(Composed::Send {
                to, about, letter, ..
            }) => {
                let sent = self.send(&message, &to, about, &letter).await;
                self.settled(&message, sent)
            }
            Ok(Composed::Post { url, secret, body }) => {
                let now = Utc::now().timestamp();
                let posted = self
                    .webhooks
                    .post(&message.id, &url, &secret, &body, now)
                    .await;
                self.settled(&message, posted)
            }
        };
        metrics::counter!("outbox_messages_total",
            "kind" => message.kind.clone(), "outcome" => outcome_label(&outcome))
        .increment(1);
        // A disclosure is logged when it happens: once the letter that makes it is sent.
        let disclosed = match (&outcome, disclosure, &message.match_id) {
            (Outcome::Sent, Some(consent), Some(id)) => {
                let id: MatchId = id
                    .parse()
                    .map_err(|_| StoreError::Corrupt("outbox_messages.match_id".into()))?;
                Some((id, consent))
            }
            _ => None,
        };
        self.db
            .write(move |conn| {
                outbox::settle(conn, &message, &outcome)?;
                if let Some((id, consent)) = disclosed {
                    matches::record_introduction_sent(conn, id, consent)?;
                }
                Ok(())
            })
            .await
    }

    /// Renders the letter and hands it to the mail transport.
    async fn send(
        &self,
        message: &Claimed,
        to: &[String],
        about: uuid::Uuid,
        letter: &crate::notify::letters::Letter,
    ) -> Result<(), SendError> {
        let Some(kind) = MessageKind::parse(&message.kind) else {
            return Err(SendError::Permanent("unknown kind".into()));
        };
        let rendered = render(kind, about, &self.domain, &self.links.sign_in_url(), letter)
            .map_err(|error| SendError::Permanent(error.to_string()))?;
        self.mailer.send(&self.from, to, &rendered).await
    }

    /// What an attempt's result means for the message: sent, retried later, or dead.
    fn settled(&self, message: &Claimed, result: Result<(), SendError>) -> Outcome {
        let result = result.map_err(|error| match error {
            SendError::Transient(text) => SendError::Transient(without_addresses(&text)),
            SendError::Permanent(text) => SendError::Permanent(without_addresses(&text)),
        });
        match result {
            Ok(()) => Outcome::Sent,
            Err(SendError::Permanent(error)) => Outcome::Dead { error },
            Err(SendError::Transient(error))
                if message.attempts >= i32::try_from(self.settings.max_attempts).unwrap_or(10) =>
            {
                Outcome::Dead {
                    error: format!("gave up after {} attempts: {error}", message.attempts),
                }
            }
            Err(SendError::Transient(error)) => {
                let wait = retry_delay(
                    message.attempts,
                    self.settings.retry_base_seconds,
                    self.settings.retry_max_seconds,
                );
                tracing::info!(kind = %message.kind, attempts = message.attempts, ?wait, %error, "delivery failed; will retry");
                Outcome::Retry {
                    at: (Utc::now() + wait).naive_utc(),
                    error,
                }
            }
        }
    }
}

/// A server's error text, kept and logged, without the addresses it may quote: they
/// would tie a person to a message about recovery.
fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "[address]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Sent => "sent",
        Outcome::Retry { .. } => "retry",
        Outcome::Dead { .. } => "dead",
        Outcome::Cancelled { .. } => "cancelled",
    }
}

/// Exponential backoff: `base` after the first attempt, doubling, at most `max`.
pub fn retry_delay(attempts: i32, base_seconds: u64, max_seconds: u64) -> TimeDelta {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let seconds = base_seconds
        .saturating_mul(1u64 << doublings)
        .min(max_seconds);
    TimeDelta::seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_lose_the_addresses_they_quote() {
        assert_eq!(
            without_addresses("permanent error (550): <jo@example.org> mailbox unavailable"),
            "permanent error (550): [address] mailbox unavailable"
        );
        assert_eq!(
            without_addresses("connection refused"),
            "connection refused"
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_maximum() {
        let waits: Vec<i64> = (1..=8)
            .map(|n| retry_delay(n, 5, 300).num_seconds())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(retry_delay(1000, 5, 3600).num_seconds(), 3600);
    }
}
