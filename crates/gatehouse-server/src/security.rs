//! Outgoing mail (password hashing is in `hashing`).

use gatehouse_core::ports::{BoxFuture, Mail, Mailer};
use gatehouse_core::{CoreError, Result};
use std::path::PathBuf;

/// Mail written to files in an outbox folder, one `.eml` per message, for installations
/// without SMTP: the path is logged so a newcomer can open the link.
pub struct OutboxMailer {
    pub dir: PathBuf,
}

impl Mailer for OutboxMailer {
    fn send(&self, mail: Mail) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            tokio::fs::create_dir_all(&self.dir)
                .await
                .map_err(CoreError::internal)?;
            let name = format!("{}.eml", uuid::Uuid::now_v7());
            let path = self.dir.join(name);
            let text = format!(
                "To: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}",
                mail.to,
                mail.subject,
                mail.body.replace('\n', "\r\n")
            );
            tokio::fs::write(&path, text).await.map_err(CoreError::internal)?;
            tracing::info!(path = %path.display(), "mail written to the outbox (no SMTP configured)");
            Ok(())
        })
    }
}

/// Mail over SMTP (lettre). `smtps://` is TLS from the start; `smtp://...?tls=required` uses
/// STARTTLS; plain `smtp://` is accepted for a relay on the same host.
pub struct SmtpMailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .context("GATEHOUSE_SMTP_URL is not a valid smtp:// or smtps:// URL")?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().context("GATEHOUSE_MAIL_FROM is not a valid mailbox")?;
        Ok(Self { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: Mail) -> BoxFuture<'_, Result<()>> {
        use lettre::AsyncTransport;
        Box::pin(async move {
            let to = mail.to.parse().map_err(CoreError::internal)?;
            let message = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(mail.subject)
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(mail.body)
                .map_err(CoreError::internal)?;
            self.transport
                .send(message)
                .await
                .map_err(|e| CoreError::Internal(format!("smtp: {e}")))?;
            Ok(())
        })
    }
}
