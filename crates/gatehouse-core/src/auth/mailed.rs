//! What sign-up and email change share: single-use links mailed to an address, whose digest
//! alone is stored, and the one answer to a link that does not work.

use super::service::Auth;
use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::ports::{EmailLink, LinkPurpose, Mail, prelude::*};
use crate::secret;

/// How long a mailed sign-up or email change link works.
pub const EMAIL_LINK_SECS: i64 = 24 * 3600;

/// The token prefix of each purpose: a token of one purpose is never looked up as another.
fn prefix(purpose: LinkPurpose) -> &'static str {
    match purpose {
        LinkPurpose::Signup => "ghu",
        LinkPurpose::EmailChange => "ghe",
    }
}

/// The stored digest of a presented token, if it could be one of `purpose` (a token of
/// another shape is not looked up at all).
pub(super) fn link_digest(token: &str, purpose: LinkPurpose) -> Option<String> {
    let p = prefix(purpose);
    let well_formed = token.len() <= 100 && token.strip_prefix(p).is_some_and(|rest| rest.starts_with('_'));
    well_formed.then(|| secret::digest(token))
}

/// Stores a new link of `purpose` for `email` in the caller's transaction; answers the token
/// (for the mail only: just its digest is stored).
pub(super) async fn insert_link<T: EmailLinkTx + Send>(
    tx: &mut T,
    purpose: LinkPurpose,
    email: &str,
    account: Option<AccountId>,
    now: Timestamp,
) -> Result<String> {
    let token = secret::mint(prefix(purpose))?;
    let link = EmailLink {
        purpose,
        email: email.to_owned(),
        account,
        expires_at: now.plus_secs(EMAIL_LINK_SECS),
    };
    tx.insert_email_link(&token.digest, &link, now).await?;
    Ok(token.value)
}

/// The one answer to a mailed link that does not work, whatever the reason (unknown, used,
/// expired, or the address it was for taken meanwhile).
pub(super) fn link_expired() -> CoreError {
    CoreError::conflict(
        "email_link_invalid",
        Some("token"),
        "This link has expired or was already used.",
    )
}

impl<S: Store> Auth<S> {
    /// The public address of a page, for links in mail.
    pub(super) fn public_link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// Sends one message.
    pub(super) async fn mail(&self, to: &str, subject: &str, body: String) -> Result<()> {
        self.mailer
            .send(Mail {
                to: to.to_owned(),
                subject: subject.to_owned(),
                body,
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_token_of_the_purpose_is_looked_up() {
        assert!(link_digest("ghu_abc", LinkPurpose::Signup).is_some());
        assert!(link_digest("ghu_abc", LinkPurpose::EmailChange).is_none());
        assert!(link_digest("ghe_abc", LinkPurpose::EmailChange).is_some());
        assert!(link_digest("ghuabc", LinkPurpose::Signup).is_none());
        assert!(link_digest("ghr_abc", LinkPurpose::Signup).is_none());
        assert!(link_digest(&format!("ghu_{}", "a".repeat(200)), LinkPurpose::Signup).is_none());
    }
}
