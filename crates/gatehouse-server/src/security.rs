//! Password hashing (argon2id on a bounded pool of blocking threads) and outgoing mail.

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use gatehouse_core::ports::{BoxFuture, Mail, Mailer, PasswordHasher};
use gatehouse_core::{CoreError, Result};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane). At most `permits` hashes run
/// at once, each on a blocking thread, so a flood of sign-ins queues instead of eating the
/// runtime or the memory.
pub struct Argon2Hasher {
    permits: Arc<Semaphore>,
}

impl Argon2Hasher {
    pub fn new(parallel: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
        }
    }

    fn argon() -> Argon2<'static> {
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19_456, 2, 1, None).expect("valid argon2 params"),
        )
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(CoreError::internal)?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(f))
            .await
            .map_err(CoreError::internal)
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: String) -> BoxFuture<'_, Result<String>> {
        Box::pin(async move {
            self.run(move || Self::argon().hash_password(password.as_bytes()).map(|h| h.to_string()))
                .await?
                .map_err(CoreError::internal)
        })
    }

    fn verify(&self, password: String, hash: String) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            self.run(move || {
                Self::argon()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            })
            .await
            .unwrap_or(false)
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let h = Argon2Hasher::new(2);
        let hash = h.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify("correct horse battery".into(), hash.clone()).await);
        assert!(!h.verify("wrong horse battery".into(), hash).await);
        assert!(!h.verify("anything".into(), "not a hash".into()).await);
    }
}
