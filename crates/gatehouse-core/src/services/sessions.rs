//! Sessions you can see and revoke: one Gatehouse session per browser that signed in. The
//! person lists and ends their own (their account page); the organization that manages an
//! account lists and ends its sessions (API, console). Any other organization is refused:
//! where a person signs in from is not the business of every organization they work with.
//!
//! Ending a session deletes its row, and every request reads the session from the database,
//! so it ends at once on every node sharing that database.

use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::auth::audience::audience;
use crate::authz::{OrgAdmin, SignedIn};
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, SessionId};
use crate::model::{Account, OwnSession, Session};
use crate::ports::{Clock, prelude::*};
use crate::services::provider::{end_account_grants, end_session_grants};
use std::sync::Arc;

const NO_SESSION: CoreError = CoreError::NotFound { entity: "session" };

/// Sessions, for the person and for the organization that manages their account.
pub struct Sessions<S: Store> {
    store: S,
    clock: Arc<dyn Clock>,
    /// A session unused for this long has ended (it is not listed).
    idle_secs: i64,
}

impl<S: Store> Clone for Sessions<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            idle_secs: self.idle_secs,
        }
    }
}

impl<S: Store> Sessions<S> {
    pub(crate) fn new(store: S, clock: Arc<dyn Clock>, idle_secs: i64) -> Self {
        Self {
            store,
            clock,
            idle_secs,
        }
    }

    async fn live_of(&self, account: AccountId) -> Result<Vec<Session>> {
        let now = self.clock.now();
        let idle_since = now.plus_secs(-self.idle_secs);
        self.store
            .reader()
            .await?
            .list_live_sessions(account, now, idle_since)
            .await
    }

    /// The live sessions of an account this organization manages, the oldest first. An
    /// account it does not see is `NotFound`; one it sees without managing it is
    /// `account_not_managed` (403): it knows the account, but not where the person signs in.
    pub async fn list(&self, admin: &OrgAdmin, account: AccountId) -> Result<Vec<Session>> {
        managed(&mut self.store.reader().await?, admin, account).await?;
        self.live_of(account).await
    }

    /// Ends one session of an account this organization manages (`session.revoked`); a
    /// session that is not the account's (or has ended already) is `NotFound`.
    pub async fn delete(&self, admin: &OrgAdmin, account: AccountId, id: SessionId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let acc = managed(&mut tx, admin, account).await?;
        if !tx.delete_session_of(account, id).await? {
            return Err(NO_SESSION);
        }
        end_session_grants(&mut tx, id, now).await?;
        let ev = admin.acting().event(AuditAction::SessionRevoked, now);
        tx.insert_event(&session_event(ev, &acc, id)).await?;
        tx.commit().await
    }

    /// Ends every session of an account this organization manages (`session.revoked_all`,
    /// when there was any); answers how many ended.
    pub async fn delete_all(&self, admin: &OrgAdmin, account: AccountId) -> Result<u64> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let acc = managed(&mut tx, admin, account).await?;
        let ended = tx.delete_sessions_of(account).await?;
        end_account_grants(&mut tx, account, now).await?;
        if ended > 0 {
            let ev = admin
                .acting()
                .event(AuditAction::SessionRevokedAll, now)
                .target("account", acc.id, Some(&acc.email))
                .after(&serde_json::json!({ "revoked": ended }));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// For the person's account page: their live sessions, the oldest first, the one they are
    /// using marked.
    pub async fn list_mine(&self, signed_in: &SignedIn) -> Result<Vec<OwnSession>> {
        let current = signed_in.session().id;
        Ok(self
            .live_of(signed_in.account().id)
            .await?
            .into_iter()
            .map(|session| OwnSession {
                is_current: session.id == current,
                session,
            })
            .collect())
    }

    /// For the person's account page: ends one of their own sessions (the current one too:
    /// that signs them out), recorded as `session.revoked` in the logs of the organizations
    /// that hear of their sign-ins. Another person's session is `NotFound`.
    pub async fn revoke_mine(&self, signed_in: &SignedIn, id: SessionId, meta: &RequestMeta) -> Result<()> {
        let now = self.clock.now();
        let person = signed_in.account();
        let mut tx = self.store.begin().await?;
        if !tx.delete_session_of(person.id, id).await? {
            return Err(NO_SESSION);
        }
        end_session_grants(&mut tx, id, now).await?;
        for org in audience(&mut tx, person.id).await? {
            let ev = AuditEvent::new(org, &signed_in.actor(), meta, AuditAction::SessionRevoked, now);
            tx.insert_event(&session_event(ev, person, id)).await?;
        }
        tx.commit().await
    }

    /// For the person's account page: signs them out everywhere, this browser included
    /// (`session.revoked_all` in the logs that hear of their sign-ins); answers how many
    /// sessions ended.
    pub async fn revoke_all_mine(&self, signed_in: &SignedIn, meta: &RequestMeta) -> Result<u64> {
        let now = self.clock.now();
        let person = signed_in.account();
        let mut tx = self.store.begin().await?;
        let ended = tx.delete_sessions_of(person.id).await?;
        end_account_grants(&mut tx, person.id, now).await?;
        for org in audience(&mut tx, person.id).await? {
            let ev = AuditEvent::new(org, &signed_in.actor(), meta, AuditAction::SessionRevokedAll, now)
                .target("account", person.id, Some(&person.email))
                .after(&serde_json::json!({ "revoked": ended }));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(ended)
    }
}

/// The account, if this organization manages it: `NotFound` when the organization does not
/// see it, `account_not_managed` when it sees it without managing it.
/// The account, if this organization manages it: `NotFound` when it does not see it,
/// `account_not_managed` (403) when it sees it without managing it.
pub(crate) async fn managed<R: AccountReads + Send>(
    r: &mut R,
    admin: &OrgAdmin,
    account: AccountId,
) -> Result<Account> {
    let acc = r
        .find_org_account(admin.org(), account)
        .await?
        .ok_or(CoreError::NotFound { entity: "account" })?;
    if !acc.is_managed {
        return Err(CoreError::Forbidden {
            code: "account_not_managed",
            message: "This account is not managed by this organization: only the organization that verified its \
                      email domain sees and ends its sessions and resets its sign-in methods."
                .into(),
        });
    }
    Ok(acc.account)
}

fn session_event(ev: AuditEvent, account: &Account, id: SessionId) -> AuditEvent {
    ev.target("account", account.id, Some(&account.email))
        .target("session", id, None)
}
