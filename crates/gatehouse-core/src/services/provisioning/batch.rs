//! Provisioning many new users at once (an identity provider importing a directory). Only
//! the plain case goes in a batch: a new account under an email no account has, on a domain
//! no other organization verified. The store leaves anything else out and the caller
//! provisions it one by one, where it gets its exact answer.

use super::super::management;
use super::domain_cache::Seen;
use super::service::Provisioning;
use super::types::QueuedCreate;
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::AuditEvent;
use crate::directory::ScimUser;
use crate::domain::Domain;
use crate::error::Result;
use crate::ids::AccountId;
use crate::model::Account;
use crate::ports::{DomainReads, ManagedVia, NewProvisionedUser, ProvisionedUsers, Store};
use crate::product::AccountStatus;
use std::collections::{HashMap, HashSet};

impl<S: Store> Provisioning<S> {
    /// Writes the creates that are plain new accounts in one atomic step, each with its own
    /// audit event. The answer is in the order of `creates`: the user written, or `None` for
    /// one left to [`Provisioning::create_user`] (an email that appears twice in the batch,
    /// an account that has the email already, a domain another organization verified, an
    /// inactive user the organization would not manage, a domain whose verification changed
    /// while the batch was written). An error means nothing was written (a taken userName or
    /// externalId fails the batch).
    pub async fn create_users(&self, creates: &[QueuedCreate]) -> Result<Vec<Option<ScimUser>>> {
        let now = self.clock.now();
        let verified = self.verified_domains(creates, now).await?;
        let mut seen = HashSet::new();
        // The first of several creates with one email may go in the batch; the others would
        // collide with it, so they go one by one.
        let mut batch = Vec::with_capacity(creates.len());
        let slots: Vec<Option<usize>> = creates
            .iter()
            .map(|c| {
                let new = new_user(c, verified.get(c.user.user.email.domain())?.as_ref(), now)?;
                seen.insert(c.user.user.email.clone()).then(|| {
                    batch.push(new);
                    batch.len() - 1
                })
            })
            .collect();
        let written: HashSet<AccountId> = self
            .store
            .insert_provisioned_users(&ProvisionedUsers {
                users: &batch,
                linked_at: now,
            })
            .await?;
        let out: Vec<Option<ScimUser>> = slots
            .into_iter()
            .map(|slot| {
                let new = &batch[slot?];
                written.contains(&new.account.id).then(|| new.user.clone())
            })
            .collect();
        // A user left out may have met a verification that changed since it was read.
        for (c, user) in creates.iter().zip(&out) {
            if user.is_none() {
                self.domains.forget(c.user.user.email.domain());
            }
        }
        Ok(out)
    }

    /// The verified domain (if any) of each email domain in the batch. The store writes a user
    /// only if its domain's verification is still what was read here.
    async fn verified_domains(
        &self,
        creates: &[QueuedCreate],
        now: Timestamp,
    ) -> Result<HashMap<String, Option<Domain>>> {
        let mut out = HashMap::new();
        let mut reader = None;
        for c in creates {
            let name = c.user.user.email.domain();
            if out.contains_key(name) {
                continue;
            }
            let domain = if let Some(Seen(d)) = self.domains.get(name, now) {
                d
            } else {
                let r = match &mut reader {
                    Some(r) => r,
                    None => reader.insert(self.store.reader().await?),
                };
                let d = r.find_verified_domain(name).await?;
                self.domains.put(name, d.clone(), now);
                d
            };
            out.insert(name.to_owned(), domain);
        }
        Ok(out)
    }
}

/// The account, its link, SCIM user and event a create writes if its email is free; `None`
/// for a create that goes alone: on a domain another organization verified (refused there),
/// or inactive on an account the organization would not manage (suspended there, with its
/// own event).
fn new_user(c: &QueuedCreate, verified: Option<&Domain>, now: Timestamp) -> Option<NewProvisionedUser> {
    let (dir, f) = (c.caller.directory(), &c.user.user);
    if verified.is_some_and(|d| d.org_id != dir.org_id) {
        return None;
    }
    let id = AccountId::new();
    let link = management::creator_link(dir.org_id, id, verified, ManagedVia::Scim);
    if link.managed_via.is_none() && !f.active {
        return None;
    }
    let account = Account {
        id,
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
    Some(NewProvisionedUser {
        link,
        account,
        user,
        event,
    })
}
