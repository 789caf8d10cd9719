use super::capability::{capability, name_conflict};
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result, Validator};
use crate::ids::InstanceId;
use crate::model::Instance;
use crate::page::{Page, PageRequest};
use crate::ports::prelude::*;
use crate::product::{Edition, Product, check_edition};
use crate::types::{InstanceUrl, Name};

const NOT_FOUND: CoreError = CoreError::NotFound {
    entity: "product instance",
};

/// A product instance to add.
#[derive(Debug)]
pub struct NewInstance {
    pub product: Product,
    pub name: Name,
    pub url: InstanceUrl,
    pub edition: Edition,
}

impl NewInstance {
    pub fn parse(product: &str, name: &str, url: &str, edition: &str) -> Result<Self> {
        let mut v = Validator::default();
        let product = v.check(Product::parse(product));
        let name = v.check(Name::parse(name, "name", 100));
        let url = v.check(InstanceUrl::parse(url));
        let edition = v.check(Edition::parse(edition));
        if let (Some(p), Some(e)) = (product, edition) {
            v.check(check_edition(p, e));
        }
        v.finish()?;
        Ok(Self {
            product: product.expect("validated"),
            name: name.expect("validated"),
            url: url.expect("validated"),
            edition: edition.expect("validated"),
        })
    }
}

/// Changes to an instance; its product and URL are fixed.
#[derive(Debug, Default)]
pub struct InstancePatch {
    pub name: Option<Name>,
    pub edition: Option<Edition>,
}

impl InstancePatch {
    pub fn parse(name: Option<&str>, edition: Option<&str>) -> Result<Self> {
        let mut v = Validator::default();
        let name = name.and_then(|n| v.check(Name::parse(n, "name", 100)));
        let edition = edition.and_then(|e| v.check(Edition::parse(e)));
        v.finish()?;
        Ok(Self { name, edition })
    }
}

capability!(Instances, "Product instances (sites).");

impl<S: Store> Instances<S> {
    pub async fn create(&self, admin: &OrgAdmin, new: NewInstance) -> Result<Instance> {
        let now = self.clock.now();
        let instance = Instance {
            id: InstanceId::new(),
            org_id: admin.org(),
            product: new.product,
            name: new.name.to_string(),
            url: new.url.as_str().to_owned(),
            edition: new.edition,
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        if !tx.insert_instance(&instance).await? {
            return Err(CoreError::conflict(
                "url_taken",
                Some("url"),
                "A product instance with this URL already exists.",
            ));
        }
        let ev = admin
            .acting()
            .event(AuditAction::InstanceCreated, now)
            .target("instance", instance.id, Some(&instance.name))
            .after(&instance);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(instance)
    }

    pub async fn get(&self, admin: &OrgAdmin, id: InstanceId) -> Result<Instance> {
        self.store
            .reader()
            .await?
            .find_instance(admin.org(), id)
            .await?
            .ok_or(NOT_FOUND)
    }

    pub async fn list(&self, admin: &OrgAdmin, product: Option<Product>, page: &PageRequest) -> Result<Page<Instance>> {
        self.store
            .reader()
            .await?
            .list_instances(admin.org(), product, page)
            .await
    }

    pub async fn update(&self, admin: &OrgAdmin, id: InstanceId, patch: InstancePatch) -> Result<Instance> {
        let mut tx = self.store.begin().await?;
        let before = tx.find_instance(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let mut after = before.clone();
        if let Some(n) = patch.name {
            after.name = n.to_string();
        }
        if let Some(e) = patch.edition {
            check_edition(after.product, e)?;
            after.edition = e;
        }
        if after == before {
            return Ok(before);
        }
        tx.update_instance(&after)
            .await
            .map_err(name_conflict("url_taken", "url", "URL taken"))?;
        let ev = admin
            .acting()
            .event(AuditAction::InstanceUpdated, self.clock.now())
            .target("instance", id, Some(&after.name))
            .before(&before)
            .after(&after);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes the instance and every grant of access to it.
    pub async fn delete(&self, admin: &OrgAdmin, id: InstanceId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let before = tx.find_instance(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        tx.delete_instance(admin.org(), id).await?;
        let ev = admin
            .acting()
            .event(AuditAction::InstanceDeleted, self.clock.now())
            .target("instance", id, Some(&before.name))
            .before(&before);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}
