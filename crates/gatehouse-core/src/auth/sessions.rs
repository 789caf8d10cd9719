//! Sessions: opened after a sign-in its destination admitted, found (and kept alive) from the
//! browser's token, ended by signing out or, for every session of an account, by a new
//! password.

use super::flow::Authenticated;
use super::service::Auth;
use super::throttle::refund_in;
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{AuditEvent, RequestMeta};
use crate::authz::{SignedIn, account_actor};
use crate::error::Result;
use crate::ids::{AccountId, SessionId};
use crate::model::{Account, Session};
use crate::ports::prelude::*;
use crate::product::AccountStatus;
use crate::secret;

/// A session just opened: the cookie token (shown to the browser only) and its CSRF token.
#[derive(Debug)]
pub struct OpenedSession {
    /// The session token for the browser's cookie; only its digest is stored.
    pub token: String,
    /// The token every form of the session must carry.
    pub csrf: String,
    /// The signed-in account.
    pub account: Account,
    /// The session's id (as people and admins see it).
    pub session_id: SessionId,
    /// How long the session can last at most, in seconds (the cookie's age).
    pub max_age_secs: i64,
}

impl<S: Store> Auth<S> {
    /// Opens a session for a completed sign-in: a new token, the attempt taken back (and the
    /// earlier failures of this address from this client forgotten; nobody else's count is
    /// touched), the account's activity recorded and `auth.signed_in` written to the logs of
    /// the organizations it administers.
    pub async fn open_session(&self, done: Authenticated, meta: &RequestMeta) -> Result<OpenedSession> {
        let now = done.at;
        let (pair, admission, break_glass) = (done.pair_key.clone(), done.admission.clone(), done.break_glass);
        let amr = done.amr.clone();
        let account = done.into_account();
        let token = secret::mint("ghs")?;
        let csrf = secret::mint("csrf")?.value;
        let mut tx = self.store.begin().await?;
        // The lifetimes of the account's policy, else the server's.
        let (absolute, own_idle) = match self.policy.enforcement.policy_of(&mut tx, account.id, now).await? {
            Some(p) => {
                let (idle, absolute) = p
                    .settings
                    .session_secs(self.policy.idle_secs, self.policy.absolute_secs);
                (absolute, Some(idle))
            }
            None => (self.policy.absolute_secs, None),
        };
        let session = Session {
            id: SessionId::new(),
            account_id: account.id,
            csrf: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus_secs(absolute),
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            amr: amr.clone(),
            idle_secs: own_idle,
            email_verified_at: None,
        };
        refund_in(&mut tx, &admission).await?;
        tx.clear_attempts(&pair).await?;
        tx.insert_session(&token.digest, &session, meta).await?;
        tx.update_account(&Account {
            last_active_at: Some(now),
            ..account.clone()
        })
        .await?;
        for org in super::audience::audience(&mut tx, account.id).await? {
            let ev = AuditEvent::new(org, &account_actor(&account), meta, AuditAction::AuthSignedIn, now)
                .target("account", account.id, Some(&account.email))
                .after(&serde_json::json!({ "amr": amr }));
            tx.insert_event(&ev).await?;
        }
        if let Some(org) = break_glass {
            let ev = AuditEvent::new(
                org,
                &account_actor(&account),
                meta,
                AuditAction::AuthBreakGlassSignedIn,
                now,
            )
            .target("account", account.id, Some(&account.email));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(OpenedSession {
            token: token.value,
            csrf,
            account,
            session_id: session.id,
            max_age_secs: absolute,
        })
    }

    /// The person behind a session token, if the session is live: not past its absolute end,
    /// used within the idle timeout, and its account still active. Activity is recorded at
    /// most once a minute.
    pub async fn session(&self, token: &str) -> Result<Option<SignedIn>> {
        if !token.starts_with("ghs_") || token.len() > 100 {
            return Ok(None);
        }
        let digest = secret::digest(token);
        let now = self.clock.now();
        let mut r = self.store.reader().await?;
        let Some(session) = r.find_session(&digest).await? else {
            return Ok(None);
        };
        let idle = session.idle_secs.unwrap_or(self.policy.idle_secs);
        if now >= session.expires_at || now >= session.last_seen_at.plus_secs(idle) {
            return Ok(None);
        }
        let Some(account) = r.find_account(session.account_id).await? else {
            return Ok(None);
        };
        if account.status != AccountStatus::Active {
            return Ok(None);
        }
        drop(r);
        if now.millis() - session.last_seen_at.millis() > 60_000 {
            let mut tx = self.store.begin().await?;
            tx.touch_session(&digest, now).await?;
            tx.commit().await?;
        }
        Ok(Some(SignedIn::new(account, session, digest)))
    }

    /// Ends the session and records it.
    pub async fn sign_out(&self, signed_in: &SignedIn, meta: &RequestMeta) -> Result<()> {
        let now = self.clock.now();
        let account = signed_in.account();
        let mut tx = self.store.begin().await?;
        tx.delete_session(signed_in.digest()).await?;
        crate::services::provider::end_session_grants(&mut tx, signed_in.session().id, now).await?;
        for org in super::audience::audience(&mut tx, account.id).await? {
            let ev = AuditEvent::new(org, &signed_in.actor(), meta, AuditAction::AuthSignedOut, now).target(
                "account",
                account.id,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await
    }
}

/// Ends every session of the account, inside the caller's transaction (a new password does:
/// whoever knew the old one is signed out everywhere).
pub(super) async fn sign_out_everywhere<T: Writes + Send>(
    tx: &mut T,
    account: AccountId,
    now: Timestamp,
) -> Result<()> {
    tx.delete_sessions_of(account).await?;
    // A sign-in the old password started and whose second step is still due ends too.
    tx.delete_pending_signins_of(account).await?;
    crate::services::provider::end_account_grants(tx, account, now).await
}
