//! Emailed links (sign-up and email change confirmations) and the proof of an address.

use crate::db::opt_ms;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::AccountId;
use gatehouse_core::ports::{EmailLink, EmailLinkReads, EmailLinkTx, LinkPurpose};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

fn purpose(s: &str) -> Result<LinkPurpose> {
    match s {
        "signup" => Ok(LinkPurpose::Signup),
        "email_change" => Ok(LinkPurpose::EmailChange),
        _ => Err(CoreError::Internal("stored purpose is not valid".into())),
    }
}

fn email_link(r: &AnyRow) -> Result<EmailLink> {
    let account = rows::os(r, "account_id")?
        .map(|id| AccountId::parse(&id).map_err(|_| CoreError::Internal("stored account_id is not valid".into())))
        .transpose()?;
    Ok(EmailLink {
        purpose: purpose(&rows::s(r, "purpose")?)?,
        email: rows::s(r, "email")?,
        account,
        expires_at: Timestamp::from_millis(rows::i(r, "expires_at")?),
    })
}

impl<C: DerefMut<Target = AnyConnection> + Send> EmailLinkReads for Db<C> {
    async fn find_email_link(
        &mut self,
        digest: &str,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<EmailLink>> {
        let q = Sql::new(
            "SELECT purpose, email, account_id, expires_at FROM email_links \
             WHERE digest = $1 AND purpose = $2 AND expires_at > $3",
        )
        .with(digest)
        .with(purpose.as_str())
        .with(now.millis());
        self.one(&q, email_link).await
    }
}

impl EmailLinkTx for SqlTx {
    async fn insert_email_link(&mut self, digest: &str, link: &EmailLink, at: Timestamp) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO email_links (digest, purpose, email, account_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .with(digest)
        .with(link.purpose.as_str())
        .with(link.email.clone())
        .with(link.account.map(|a| a.to_string()))
        .with(at.millis())
        .with(link.expires_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn take_email_link(
        &mut self,
        digest: &str,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<EmailLink>> {
        // One statement: of two posts racing with the same token, the second finds the row
        // gone (PostgreSQL re-checks after the first's delete commits; SQLite has one writer).
        let q = Sql::new(
            "DELETE FROM email_links WHERE digest = $1 AND purpose = $2 AND expires_at > $3 \
             RETURNING purpose, email, account_id, expires_at",
        )
        .with(digest)
        .with(purpose.as_str())
        .with(now.millis());
        self.one(&q, email_link).await
    }

    async fn delete_email_links_of(&mut self, account: AccountId, purpose: LinkPurpose) -> Result<u64> {
        let q = Sql::new("DELETE FROM email_links WHERE account_id = $1 AND purpose = $2")
            .with(account.to_string())
            .with(purpose.as_str());
        self.exec(&q).await
    }

    async fn mark_email_verified(&mut self, account: AccountId, at: Timestamp) -> Result<()> {
        let q = Sql::new("UPDATE accounts SET email_verified_at = $1 WHERE id = $2")
            .with(opt_ms(Some(at)))
            .with(account.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn prune_email_links(&mut self, now: Timestamp) -> Result<u64> {
        let q = Sql::new("DELETE FROM email_links WHERE expires_at <= $1").with(now.millis());
        self.exec(&q).await
    }
}
