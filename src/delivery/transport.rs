//! Where messages go: SMTP, or `.eml` files in a directory (the embedded default).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{EmailSettings, EmailTransport, SmtpSecurity};
use crate::notify::letters::Rendered;

pub enum Mailer {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Why a message was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: the server is down, busy or said 4xx.
    #[error("{0}")]
    Transient(String),
    /// Will fail again: the server refused with 5xx, or an address is malformed.
    #[error("{0}")]
    Permanent(String),
}

impl Mailer {
    /// `connections`: how many SMTP connections may be open at once.
    pub fn from_settings(email: &EmailSettings, connections: usize) -> anyhow::Result<Self> {
        Ok(match email.transport {
            EmailTransport::File => {
                // The messages carry contact details: the directory is its owner's only.
                use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(&email.file_dir)?;
                std::fs::set_permissions(&email.file_dir, std::fs::Permissions::from_mode(0o700))?;
                Mailer::File(AsyncFileTransport::new(&email.file_dir))
            }
            EmailTransport::Smtp => {
                let smtp = &email.smtp;
                let builder = match smtp.security {
                    SmtpSecurity::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                };
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(Duration::from_secs(smtp.timeout_seconds)))
                    // One connection per message in flight; idle ones are let go soon.
                    .pool_config(
                        PoolConfig::new()
                            .max_size(u32::try_from(connections.max(1)).unwrap_or(8))
                            .idle_timeout(Duration::from_secs(10)),
                    );
                if !smtp.username.is_empty() {
                    let password = smtp
                        .password
                        .as_ref()
                        .map(|p| p.expose_secret().to_owned())
                        .unwrap_or_default();
                    builder =
                        builder.credentials(Credentials::new(smtp.username.clone(), password));
                }
                Mailer::Smtp(builder.build())
            }
        })
    }

    pub async fn send(
        &self,
        from: &Mailbox,
        to: &[String],
        rendered: &Rendered,
    ) -> Result<(), SendError> {
        let mut builder = Message::builder()
            .from(from.clone())
            .subject(rendered.subject.clone())
            .message_id(Some(rendered.message_id.clone()));
        // Several recipients (a program's staff) do not see each other's addresses.
        let several = to.len() > 1;
        if several {
            builder = builder.to(from.clone());
        }
        for address in to {
            let mailbox: Mailbox = address
                .parse()
                .map_err(|e| SendError::Permanent(format!("recipient address: {e}")))?;
            builder = if several {
                builder.bcc(mailbox)
            } else {
                builder.to(mailbox)
            };
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                rendered.text.clone(),
                rendered.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("building the message: {e}")))?;
        match self {
            Mailer::File(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(format!("writing the message: {e}"))),
            Mailer::Smtp(transport) => transport.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
        }
    }
}
