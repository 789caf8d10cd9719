//! Provisioning many new users at once (an identity provider importing a directory). Only
//! the plain case goes in a batch: a new account under an email no account has, on a domain
//! no other organization verified. The store leaves anything else out and the caller
//! provisions it one by one, where it gets its exact answer.

use super::service::Provisioning;
use super::types::QueuedCreate;
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::AuditEvent;
use crate::directory::ScimUser;
use crate::error::Result;
use crate::ids::AccountId;
use crate::model::Account;
use crate::ports::{ManagedVia, NewProvisionedUser, ProvisionedUsers, Store};
use crate::product::AccountStatus;
use std::collections::HashSet;

impl<S: Store> Provisioning<S> {
    /// Writes the creates that are plain new accounts in one atomic step, each with its own
    /// audit event. The answer is in the order of `creates`: the user written, or `None` for
    /// one left to [`Provisioning::create_user`] (an email that appears twice in the batch,
    /// an account that has the email already, a domain another organization verified). An
    /// error means nothing was written (a taken userName or externalId fails the batch).
    pub async fn create_users(&self, creates: &[QueuedCreate]) -> Result<Vec<Option<ScimUser>>> {
        let now = self.clock.now();
        let mut seen = HashSet::new();
        // The first of several creates with one email may go in the batch; the others would
        // collide with it, so they go one by one.
        let mut batch = Vec::with_capacity(creates.len());
        let slots: Vec<Option<usize>> = creates
            .iter()
            .map(|c| {
                seen.insert(c.user.user.email.clone()).then(|| {
                    batch.push(new_user(c, now));
                    batch.len() - 1
                })
            })
            .collect();
        let written: HashSet<AccountId> = self
            .store
            .insert_provisioned_users(&ProvisionedUsers {
                users: &batch,
                linked_at: now,
                via: ManagedVia::Scim,
            })
            .await?;
        Ok(slots
            .into_iter()
            .map(|slot| {
                let new = &batch[slot?];
                written.contains(&new.account.id).then(|| new.user.clone())
            })
            .collect())
    }
}

/// The account, SCIM user and event a create writes if its email is free.
fn new_user(c: &QueuedCreate, now: Timestamp) -> NewProvisionedUser {
    let (dir, f) = (c.caller.directory(), &c.user.user);
    let account = Account {
        id: AccountId::new(),
        email: f.email.to_string(),
        display_name: f.display_name.to_string(),
        status: if f.active {
            AccountStatus::Active
        } else {
            AccountStatus::Deactivated
        },
        created_at: now,
        last_active_at: None,
        delete_after: None,
    };
    let user = c.user.first_version(dir.id, account.id, now);
    let event = AuditEvent::new(
        dir.org_id,
        &c.caller.actor(),
        &c.meta,
        AuditAction::ScimUserCreated,
        now,
    )
    .target("account", account.id, Some(&account.email))
    .target("scim_user", &user.id, Some(&user.user_name))
    .after(&account);
    NewProvisionedUser {
        org: dir.org_id,
        account,
        user,
        event,
    }
}
