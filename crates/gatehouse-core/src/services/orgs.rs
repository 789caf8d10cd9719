use super::api_keys::{NewApiKey, mint_key};
use super::capability::capability;
use crate::audit::AuditAction;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result, Validator};
use crate::ids::{AccountId, OrgId};
use crate::model::{Account, ApiKey, Org, OrgCounts};
use crate::ports::{OrgLink, prelude::*};
use crate::product::{AccountStatus, Plan};
use crate::types::{Email, Name};

/// What `bootstrap` made: the organization, its first admin, and an API key shown once.
#[derive(Debug)]
pub struct Bootstrapped {
    pub org: Org,
    pub admin: Account,
    pub api_key: ApiKey,
    pub api_key_secret: String,
}

/// Changes an organization's admins may make; absent fields stay as they are. The plan and
/// free status are the operator's (`Subscriptions::set_plan`, `set_free`).
#[derive(Debug, Default)]
pub struct OrgPatch {
    pub name: Option<Name>,
}

impl OrgPatch {
    /// Reads a change. A `plan` is refused whatever its value (403 `plan_operator_only`):
    /// the organization's own key can no longer change what it pays.
    pub fn parse(name: Option<&str>, plan: Option<&str>) -> Result<Self> {
        if plan.is_some() {
            return Err(CoreError::Forbidden {
                code: "plan_operator_only",
                message: "The plan is set by the operator of this Gatehouse installation, not through the organization's API."
                    .into(),
            });
        }
        let name = name.map(|n| Name::parse(n, "name", 100)).transpose()?;
        Ok(Self { name })
    }
}

capability!(Orgs, "Organizations: bootstrap, profile, counts.");

impl<S: Store> Orgs<S> {
    /// Creates an organization with its first admin account and an API key, as the system.
    /// An admin email that already has an account links that account instead of creating one.
    pub async fn bootstrap(&self, org_name: &str, admin_email: &str) -> Result<Bootstrapped> {
        let mut v = Validator::default();
        let name = v.check(Name::parse(org_name, "org_name", 100));
        let email = v.check(Email::parse_field(admin_email, "admin_email"));
        v.finish()?;
        let (name, email) = (name.expect("validated"), email.expect("validated"));
        let now = self.clock.now();
        let org = Org {
            id: OrgId::new(),
            name: name.to_string(),
            plan: Plan::Free,
            free: None,
            created_at: now,
        };
        let actor = Actor::system("bootstrap");
        let meta = RequestMeta::default();
        let mut tx = self.store.begin().await?;
        insert_with_default_policy(&mut tx, &org, &actor, now).await?;
        let fresh = Account {
            id: AccountId::new(),
            email: email.to_string(),
            display_name: email.as_str().split('@').next().unwrap_or_default().to_owned(),
            status: AccountStatus::Active,
            created_at: now,
            last_active_at: None,
            delete_after: None,
        };
        let created = tx.insert_account(&fresh).await?;
        let admin = if created {
            fresh
        } else {
            tx.find_account_by_email(email.as_str())
                .await?
                .ok_or_else(|| CoreError::internal("account vanished"))?
        };
        // A new organization has verified no domain, so it does not manage its first admin's
        // account (see `management`); verifying the admin's domain later claims it.
        tx.link_org_accounts(&[OrgLink::unmanaged(org.id, admin.id)], now)
            .await?;
        let action = if created {
            AuditAction::AccountCreated
        } else {
            AuditAction::AccountAdded
        };
        tx.insert_event(
            &AuditEvent::new(org.id, &actor, &meta, action, now)
                .target("account", admin.id, Some(&admin.email))
                .after(&admin),
        )
        .await?;
        tx.insert_org_admin(org.id, admin.id, now).await?;
        tx.insert_event(
            &AuditEvent::new(org.id, &actor, &meta, AuditAction::OrgAdminGranted, now).target(
                "account",
                admin.id,
                Some(&admin.email),
            ),
        )
        .await?;
        let cap = crate::authz::system(org.id, "bootstrap");
        let spec = NewApiKey::parse("bootstrap", Some(90))?;
        let (api_key, secret) = mint_key(&mut tx, &cap, &spec, now).await?;
        tx.commit().await?;
        Ok(Bootstrapped {
            org,
            admin,
            api_key,
            api_key_secret: secret,
        })
    }

    pub async fn get(&self, admin: &OrgAdmin) -> Result<Org> {
        let mut r = self.store.reader().await?;
        r.find_org(admin.org())
            .await?
            .ok_or(CoreError::NotFound { entity: "organization" })
    }

    /// The overview's counts; the billable count comes from the one billing classifier.
    pub async fn get_counts(&self, admin: &OrgAdmin) -> Result<OrgCounts> {
        let mut r = self.store.reader().await?;
        let org = r
            .find_org(admin.org())
            .await?
            .ok_or(CoreError::NotFound { entity: "organization" })?;
        let t = r.org_counts(admin.org()).await?;
        Ok(OrgCounts {
            accounts: t.accounts,
            billable_accounts: crate::billing::count_billable(org.terms(), &t.billing),
            instances: t.instances,
            groups: t.groups,
        })
    }

    pub async fn update(&self, admin: &OrgAdmin, patch: OrgPatch) -> Result<Org> {
        let mut tx = self.store.begin().await?;
        let before = tx
            .find_org(admin.org())
            .await?
            .ok_or(CoreError::NotFound { entity: "organization" })?;
        let mut after = before.clone();
        if let Some(n) = patch.name {
            after.name = n.to_string();
        }
        if after == before {
            return Ok(before);
        }
        tx.update_org(&after).await?;
        let ev = admin
            .acting()
            .event(AuditAction::OrgUpdated, self.clock.now())
            .target("org", after.id, Some(&after.name))
            .before(&before)
            .after(&after);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// What needs the admin's attention in their organization, for the console's banners.
    pub async fn list_notices(&self, admin: &OrgAdmin) -> Result<Vec<crate::notices::OrgNotice>> {
        self.store.reader().await?.list_org_notices(admin.org()).await
    }
}

/// Writes a new organization and its default policy, each with its event.
async fn insert_with_default_policy<T: Writes + Send>(
    tx: &mut T,
    org: &Org,
    actor: &Actor,
    now: crate::Timestamp,
) -> Result<()> {
    let meta = RequestMeta::default();
    tx.insert_org(org).await?;
    tx.insert_event(
        &AuditEvent::new(org.id, actor, &meta, AuditAction::OrgCreated, now)
            .target("org", org.id, Some(&org.name))
            .after(org),
    )
    .await?;
    let policy = crate::policy::Policy::default_for(org.id, crate::policy::SsoRule::default(), now);
    tx.insert_policy(&policy).await?;
    tx.insert_event(
        &AuditEvent::new(org.id, actor, &meta, AuditAction::PolicyCreated, now)
            .target("policy", policy.id, Some(&policy.name))
            .after(&policy),
    )
    .await
}
