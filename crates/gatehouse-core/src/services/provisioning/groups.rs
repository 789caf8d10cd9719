//! Provisioned groups: org groups a directory owns, their members the directory's users.
//! Membership changes go in bulk, so one write can move thousands of members.

use super::super::directories::DirectoryCaller;
use super::rules::{check_version, taken, unique_as};
use super::service::Provisioning;
use super::types::{ExpectedVersion, GroupResource, GroupWrite, MemberChange};
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{AuditEvent, RequestMeta};
use crate::directory::ScimGroup;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, GroupId};
use crate::model::Group;
use crate::ports::{AuditTx, Commit, DirectoryReads, DirectoryTx, GroupReads, GroupTx, Store};
use serde_json::json;
use std::collections::BTreeSet;

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "group" };
const NAME_TAKEN: &str = "The organization already has a group with this name.";
const RESOURCE_TAKEN: &str = "A group with this displayName or externalId already exists in this directory.";

impl<S: Store> Provisioning<S> {
    /// Provisions a group with its members (the directory's user ids), in one transaction.
    pub async fn create_group(
        &self,
        caller: &DirectoryCaller,
        meta: &RequestMeta,
        new: &GroupResource,
        members: &[String],
    ) -> Result<ScimGroup> {
        let dir = caller.directory();
        let now = self.clock.now();
        let group = Group {
            id: GroupId::new(),
            org_id: dir.org_id,
            name: new.display_name.to_string(),
            description: String::new(),
            created_at: now,
            member_count: 0,
            directory_id: Some(dir.id),
        };
        let mut tx = self.store.begin().await?;
        if !tx.insert_group(&group).await? {
            return Err(taken(NAME_TAKEN));
        }
        let accounts = accounts_for(&mut tx, caller, members).await?;
        tx.add_group_members(dir.org_id, group.id, &accounts, now).await?;
        let g = ScimGroup {
            id: uuid::Uuid::now_v7().to_string(),
            directory_id: dir.id,
            group_id: group.id,
            display_name: group.name.clone(),
            external_id: new.external_id.clone(),
            resource: new.resource.to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tx.insert_scim_group(&g).await.map_err(unique_as(RESOURCE_TAKEN))?;
        let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimGroupCreated, now)
            .target("group", group.id, Some(&group.name))
            .after(&json!({"display_name": g.display_name, "members": accounts.len()}));
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// Writes the group as `compute` makes it from the current one (a replacement or an edit),
    /// with its member changes, in one transaction.
    pub async fn write_group<E, F>(
        &self,
        caller: &DirectoryCaller,
        meta: &RequestMeta,
        id: &str,
        expected: &ExpectedVersion,
        compute: F,
    ) -> Result<ScimGroup, E>
    where
        E: From<CoreError>,
        F: FnOnce(&ScimGroup) -> Result<GroupWrite, E>,
    {
        let dir = caller.directory();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let existing = tx.find_scim_group(dir.id, id).await?.ok_or(NOT_FOUND)?;
        check_version(existing.version, expected, "group")?;
        let write = compute(&existing)?;
        let updated = write_in(&mut tx, caller, meta, existing, write, now).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes the directory's group (memberships and access go with it).
    pub async fn delete_group(&self, caller: &DirectoryCaller, meta: &RequestMeta, id: &str) -> Result<()> {
        let dir = caller.directory();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let g = tx.find_scim_group(dir.id, id).await?.ok_or(NOT_FOUND)?;
        // The org group goes, with its memberships and access; the SCIM row follows by cascade.
        tx.delete_group(dir.org_id, g.group_id).await?;
        let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimGroupDeleted, now).target(
            "group",
            g.group_id,
            Some(&g.display_name),
        );
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}

/// The accounts behind the directory's user ids; naming a user it has not provisioned is
/// refused.
async fn accounts_for<T: DirectoryReads + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    ids: &[String],
) -> Result<Vec<AccountId>> {
    let found = tx.find_scim_user_accounts(caller.directory().id, ids).await?;
    if found.len() < ids.iter().collect::<BTreeSet<_>>().len() {
        return Err(CoreError::validation(
            "",
            "members name users this directory has not provisioned.",
        ));
    }
    Ok(found.into_iter().map(|f| f.account).collect())
}

/// Applies a group write in the caller's transaction.
async fn write_in<T: GroupReads + GroupTx + DirectoryReads + DirectoryTx + AuditTx + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    existing: ScimGroup,
    write: GroupWrite,
    now: Timestamp,
) -> Result<ScimGroup> {
    let dir = caller.directory();
    let name = write.group.display_name.to_string();
    let group = tx.find_group(dir.org_id, existing.group_id).await?.ok_or(NOT_FOUND)?;
    if group.name != name {
        tx.update_group(&Group {
            name: name.clone(),
            ..group.clone()
        })
        .await
        .map_err(unique_as(NAME_TAKEN))?;
    }
    let (added, removed) = change_members(tx, caller, group.id, write.members, now).await?;
    let updated = ScimGroup {
        display_name: name,
        external_id: write.group.external_id,
        resource: write.group.resource.to_string(),
        version: existing.version + 1,
        updated_at: now,
        ..existing.clone()
    };
    let saved = tx
        .update_scim_group(&updated, existing.version)
        .await
        .map_err(unique_as(RESOURCE_TAKEN))?;
    if !saved {
        return Err(CoreError::PreconditionFailed {
            message: "The group changed since it was read; read it again.".into(),
        });
    }
    let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimGroupUpdated, now)
        .target("group", group.id, Some(&updated.display_name))
        .after(&json!({"members_added": added, "members_removed": removed}));
    tx.insert_event(&ev).await?;
    Ok(updated)
}

/// Changes the group's members; returns how many were added and removed.
async fn change_members<T: GroupTx + DirectoryReads + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    group: GroupId,
    change: MemberChange,
    now: Timestamp,
) -> Result<(usize, usize)> {
    let org = caller.directory().org_id;
    match change {
        MemberChange::Set(ids) => {
            let accounts = accounts_for(tx, caller, &ids).await?;
            tx.clear_group_members(org, group).await?;
            tx.add_group_members(org, group, &accounts, now).await?;
            Ok((accounts.len(), 0))
        }
        MemberChange::Delta {
            cleared,
            added,
            removed,
        } => {
            if cleared {
                tx.clear_group_members(org, group).await?;
            }
            // Removing someone who is not there is a no-op, not an error: Entra ID and Okta
            // resend removals, also of users deleted since (RFC 7644 §3.5.2.2 asks for no error).
            let gone: Vec<AccountId> = tx
                .find_scim_user_accounts(caller.directory().id, &removed)
                .await?
                .into_iter()
                .map(|f| f.account)
                .collect();
            tx.remove_group_members(org, group, &gone).await?;
            let new = accounts_for(tx, caller, &added).await?;
            tx.add_group_members(org, group, &new, now).await?;
            Ok((new.len(), gone.len()))
        }
    }
}
