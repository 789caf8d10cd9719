use super::capability::{capability, name_conflict};
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result, Validator};
use crate::ids::{AccountId, GroupId};
use crate::model::{Group, GroupMember};
use crate::page::{Page, PageRequest};
use crate::ports::prelude::*;
use crate::types::{Name, parse_description};

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "group" };
/// A group a directory provisions changes only through that directory.
fn check_local(g: &Group) -> Result<()> {
    if g.directory_id.is_some() {
        return Err(CoreError::Forbidden {
            code: "group_managed_by_directory",
            message: "This group is provisioned by a directory (SCIM); change it in the identity provider.".into(),
        });
    }
    Ok(())
}

const TAKEN: &str = "A group with this name already exists in the organization.";

/// A group to create.
#[derive(Debug)]
pub struct NewGroup {
    pub name: Name,
    pub description: String,
}

impl NewGroup {
    pub fn parse(name: &str, description: Option<&str>) -> Result<Self> {
        let mut v = Validator::default();
        let name = v.check(Name::parse(name, "name", 100));
        let description = v.check(parse_description(description.unwrap_or(""), "description", 1000));
        v.finish()?;
        Ok(Self {
            name: name.expect("validated"),
            description: description.expect("validated"),
        })
    }
}

/// Changes to a group; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct GroupPatch {
    pub name: Option<Name>,
    pub description: Option<String>,
}

impl GroupPatch {
    pub fn parse(name: Option<&str>, description: Option<&str>) -> Result<Self> {
        let mut v = Validator::default();
        let name = name.and_then(|n| v.check(Name::parse(n, "name", 100)));
        let description = description.and_then(|d| v.check(parse_description(d, "description", 1000)));
        v.finish()?;
        Ok(Self { name, description })
    }
}

capability!(Groups, "Groups and their members.");

impl<S: Store> Groups<S> {
    pub async fn create(&self, admin: &OrgAdmin, new: NewGroup) -> Result<Group> {
        let now = self.clock.now();
        let group = Group {
            id: GroupId::new(),
            org_id: admin.org(),
            name: new.name.to_string(),
            description: new.description,
            created_at: now,
            member_count: 0,
            directory_id: None,
        };
        let mut tx = self.store.begin().await?;
        if !tx.insert_group(&group).await? {
            return Err(CoreError::conflict("group_name_taken", Some("name"), TAKEN));
        }
        let ev = admin
            .acting()
            .event(AuditAction::GroupCreated, now)
            .target("group", group.id, Some(&group.name))
            .after(&group);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(group)
    }

    pub async fn get(&self, admin: &OrgAdmin, id: GroupId) -> Result<Group> {
        self.store
            .reader()
            .await?
            .find_group(admin.org(), id)
            .await?
            .ok_or(NOT_FOUND)
    }

    pub async fn list(&self, admin: &OrgAdmin, name: Option<&str>, page: &PageRequest) -> Result<Page<Group>> {
        self.store.reader().await?.list_groups(admin.org(), name, page).await
    }

    pub async fn update(&self, admin: &OrgAdmin, id: GroupId, patch: GroupPatch) -> Result<Group> {
        let mut tx = self.store.begin().await?;
        let before = tx.find_group(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        check_local(&before)?;
        let mut after = before.clone();
        if let Some(n) = patch.name {
            after.name = n.to_string();
        }
        if let Some(d) = patch.description {
            after.description = d;
        }
        if after == before {
            return Ok(before);
        }
        tx.update_group(&after)
            .await
            .map_err(name_conflict("group_name_taken", "name", TAKEN))?;
        let ev = admin
            .acting()
            .event(AuditAction::GroupUpdated, self.clock.now())
            .target("group", id, Some(&after.name))
            .before(&before)
            .after(&after);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes the group, its memberships and the access granted to it.
    pub async fn delete(&self, admin: &OrgAdmin, id: GroupId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let before = tx.find_group(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        check_local(&before)?;
        tx.delete_group(admin.org(), id).await?;
        let ev = admin
            .acting()
            .event(AuditAction::GroupDeleted, self.clock.now())
            .target("group", id, Some(&before.name))
            .before(&before);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    pub async fn list_members(&self, admin: &OrgAdmin, id: GroupId, page: &PageRequest) -> Result<Page<GroupMember>> {
        let mut r = self.store.reader().await?;
        r.find_group(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        r.list_group_members(admin.org(), id, page).await
    }

    pub async fn add_member(&self, admin: &OrgAdmin, id: GroupId, account: AccountId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let group = tx.find_group(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        check_local(&group)?;
        let member = tx
            .find_org_account(admin.org(), account)
            .await?
            .ok_or(CoreError::NotFound { entity: "account" })?;
        if !tx.insert_group_member(admin.org(), id, account, now).await? {
            return Err(CoreError::conflict(
                "already_member",
                Some("account_id"),
                "The account is already a member of this group.",
            ));
        }
        let ev = admin
            .acting()
            .event(AuditAction::GroupMemberAdded, now)
            .target("group", id, Some(&group.name))
            .target("account", account, Some(&member.account.email));
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    pub async fn remove_member(&self, admin: &OrgAdmin, id: GroupId, account: AccountId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let group = tx.find_group(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        check_local(&group)?;
        if !tx.delete_group_member(admin.org(), id, account).await? {
            return Err(CoreError::NotFound { entity: "group member" });
        }
        let label = tx
            .find_org_account(admin.org(), account)
            .await?
            .map(|a| a.account.email);
        let ev = admin
            .acting()
            .event(AuditAction::GroupMemberRemoved, self.clock.now())
            .target("group", id, Some(&group.name))
            .target("account", account, label.as_deref());
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}
