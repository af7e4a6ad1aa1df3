//! Webhooks: signed POSTs telling a program's portal about each step of its matches.
//!
//! Each delivery carries `Webhook-Id` (the same on every retry), `Webhook-Timestamp`
//! (Unix seconds) and `Webhook-Signature: v1=<hex>`, the HMAC-SHA256 under the
//! program's webhook secret of `<timestamp>.<body>`. A receiver recomputes it, compares
//! in constant time, and refuses timestamps more than a few minutes old.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::transport::SendError;

pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes keys of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub struct WebhookClient {
    http: reqwest::Client,
}

impl WebhookClient {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                // A webhook goes where it was configured to go, nowhere else.
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    /// Posts one delivery. 2xx is delivered; 408, 429 and 5xx or no answer are worth
    /// retrying; any other answer will not change.
    pub async fn post(
        &self,
        id: &str,
        url: &str,
        secret: &str,
        body: &str,
        now: i64,
    ) -> Result<(), SendError> {
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("Webhook-Id", id)
            .header("Webhook-Timestamp", now.to_string())
            .header("Webhook-Signature", signature(secret, now, body))
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("webhook: {e}")))?;
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => {
                Err(SendError::Transient(format!("webhook answered {status}")))
            }
            _ => Err(SendError::Permanent(format!("webhook answered {status}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let base = signature("whsec_a", 1_700_000_000, "{}");
        assert!(base.starts_with("v1=") && base.len() == 3 + 64);
        assert_ne!(base, signature("whsec_b", 1_700_000_000, "{}"));
        assert_ne!(base, signature("whsec_a", 1_700_000_001, "{}"));
        assert_ne!(base, signature("whsec_a", 1_700_000_000, "{ }"));
        assert_eq!(base, signature("whsec_a", 1_700_000_000, "{}"));
    }
}
