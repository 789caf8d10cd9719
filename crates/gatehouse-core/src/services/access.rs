use super::capability::capability;
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result, Validator};
use crate::ids::{AccessId, AccountId, GroupId, InstanceId};
use crate::model::{Access, AccessFilter, Principal};
use crate::page::{Page, PageRequest};
use crate::ports::prelude::*;
use crate::product::{Role, check_role};

const NOT_FOUND: CoreError = CoreError::NotFound {
    entity: "product access",
};

/// Who to grant access to, as given.
#[derive(Debug, Clone, Copy)]
pub enum GrantTarget {
    Account(AccountId),
    Group(GroupId),
}

/// A grant to make.
#[derive(Debug)]
pub struct GrantAccess {
    pub instance: InstanceId,
    pub principal: Principal,
    pub role: Role,
}

impl GrantAccess {
    /// Exactly one of `account_id` and `group_id` must be given.
    pub fn parse(instance_id: &str, account_id: Option<&str>, group_id: Option<&str>, role: &str) -> Result<Self> {
        let mut v = Validator::default();
        let instance = v.check(InstanceId::parse(instance_id));
        let principal = match (account_id, group_id) {
            (Some(a), None) => v.check(AccountId::parse(a)).map(Principal::Account),
            (None, Some(g)) => v.check(GroupId::parse(g)).map(Principal::Group),
            _ => v.check(Err(CoreError::validation(
                "account_id",
                "give exactly one of account_id and group_id",
            ))),
        };
        let role = v.check(Role::parse(role));
        v.finish()?;
        Ok(Self {
            instance: instance.expect("validated"),
            principal: principal.expect("validated"),
            role: role.expect("validated"),
        })
    }
}

capability!(
    AccessGrants,
    "Product access: which accounts and groups may use which product instances."
);

impl<S: Store> AccessGrants<S> {
    /// Grants a role on an instance to an account or group of this organization.
    pub async fn create(&self, admin: &OrgAdmin, grant: GrantAccess) -> Result<Access> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let instance = tx
            .find_instance(admin.org(), grant.instance)
            .await?
            .ok_or(CoreError::NotFound {
                entity: "product instance",
            })?;
        check_role(instance.product, grant.role)?;
        let (kind, id, label) = match grant.principal {
            Principal::Account(a) => {
                let acc = tx
                    .find_org_account(admin.org(), a)
                    .await?
                    .ok_or(CoreError::NotFound { entity: "account" })?;
                ("account", a.to_string(), acc.account.email)
            }
            Principal::Group(g) => {
                let grp = tx
                    .find_group(admin.org(), g)
                    .await?
                    .ok_or(CoreError::NotFound { entity: "group" })?;
                ("group", g.to_string(), grp.name)
            }
        };
        let access = Access {
            id: AccessId::new(),
            org_id: admin.org(),
            instance_id: instance.id,
            principal: grant.principal,
            role: grant.role,
            created_at: now,
        };
        if !tx.insert_access(&access).await? {
            return Err(CoreError::conflict(
                "access_exists",
                None,
                format!("This {kind} already has access to the instance; change its role instead."),
            ));
        }
        let ev = admin
            .acting()
            .event(AuditAction::ProductAccessGranted, now)
            .target("instance", instance.id, Some(&instance.name))
            .target(kind, id, Some(&label))
            .after(&access);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(access)
    }

    pub async fn get(&self, admin: &OrgAdmin, id: AccessId) -> Result<Access> {
        self.store
            .reader()
            .await?
            .find_access(admin.org(), id)
            .await?
            .ok_or(NOT_FOUND)
    }

    pub async fn list(&self, admin: &OrgAdmin, filter: &AccessFilter, page: &PageRequest) -> Result<Page<Access>> {
        self.store.reader().await?.list_access(admin.org(), filter, page).await
    }

    pub async fn update(&self, admin: &OrgAdmin, id: AccessId, role: Role) -> Result<Access> {
        let mut tx = self.store.begin().await?;
        let before = tx.find_access(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let instance = tx
            .find_instance(admin.org(), before.instance_id)
            .await?
            .ok_or_else(|| CoreError::internal("access without instance"))?;
        check_role(instance.product, role)?;
        if before.role == role {
            return Ok(before);
        }
        let after = Access { role, ..before.clone() };
        tx.update_access(&after).await?;
        let ev = admin
            .acting()
            .event(AuditAction::ProductAccessUpdated, self.clock.now())
            .target("instance", instance.id, Some(&instance.name))
            .target("access", id, None)
            .before(&before)
            .after(&after);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete(&self, admin: &OrgAdmin, id: AccessId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let before = tx.find_access(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        tx.delete_access(admin.org(), id).await?;
        let (kind, pid) = match before.principal {
            Principal::Account(a) => ("account", a.to_string()),
            Principal::Group(g) => ("group", g.to_string()),
        };
        let ev = admin
            .acting()
            .event(AuditAction::ProductAccessRevoked, self.clock.now())
            .target("instance", before.instance_id, None)
            .target(kind, pid, None)
            .before(&before);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}
