//! Product clients: an organization registers, changes, rotates and deletes the OpenID Connect
//! clients its products sign people in with.

use super::provider::ClientCache;
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::{ClientId, ClientSecretId};
use crate::oauth::{Client, ClientSecret, ClientSpec, check_overlap};
use crate::page::{Page, PageRequest};
use crate::ports::prelude::*;
use crate::secret;

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "client" };

/// The kind tag of client secrets (`ghcs_...`): secret scanners can recognise a leaked one.
pub const CLIENT_SECRET_KIND: &str = "ghcs";

/// A client and, for a confidential client just created or rotated, its secret: shown once.
#[derive(Debug)]
pub struct IssuedClient {
    pub client: Client,
    pub secret: Option<String>,
    pub secrets: Vec<ClientSecret>,
}

/// The organization's product clients (OpenID Connect).
pub struct Clients<S: Store> {
    store: S,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
    /// The provider's cache of proven clients, emptied on every change here.
    cache: std::sync::Arc<ClientCache>,
}

impl<S: Store> Clone for Clients<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: std::sync::Arc::clone(&self.clock),
            cache: std::sync::Arc::clone(&self.cache),
        }
    }
}

impl<S: Store> Clients<S> {
    pub(crate) fn new(
        store: S,
        clock: std::sync::Arc<dyn crate::ports::Clock>,
        cache: std::sync::Arc<ClientCache>,
    ) -> Self {
        Self { store, clock, cache }
    }

    pub async fn create(&self, admin: &OrgAdmin, spec: ClientSpec) -> Result<IssuedClient> {
        let now = self.clock.now();
        let client = Client {
            id: ClientId::new(),
            org_id: admin.org(),
            name: spec.name.to_string(),
            public: spec.public,
            redirect_uris: spec.redirect_uris,
            post_logout_redirect_uris: spec.post_logout_redirect_uris,
            backchannel_logout_uri: spec.backchannel_logout_uri,
            grant_types: spec.grant_types,
            instance_id: spec.instance_id,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        check_instance(&mut tx, &client).await?;
        tx.insert_client(&client).await?;
        let secret = if client.public {
            None
        } else {
            Some(mint_secret(&mut tx, client.id, now).await?)
        };
        let ev = admin
            .acting()
            .event(AuditAction::ClientCreated, now)
            .target("client", client.id, Some(&client.name))
            .after(&client);
        tx.insert_event(&ev).await?;
        let secrets = tx.list_client_secrets(client.id, now).await?;
        tx.commit().await?;
        Ok(IssuedClient {
            client,
            secret: secret.map(|(_, v)| v),
            secrets,
        })
    }

    pub async fn list(&self, admin: &OrgAdmin, page: &PageRequest) -> Result<Page<Client>> {
        self.store.reader().await?.list_clients(admin.org(), page).await
    }

    /// The client and its working secrets (prefixes only).
    pub async fn get(&self, admin: &OrgAdmin, id: ClientId) -> Result<IssuedClient> {
        let mut r = self.store.reader().await?;
        let client = r.find_client(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let secrets = r.list_client_secrets(id, self.clock.now()).await?;
        Ok(IssuedClient {
            client,
            secret: None,
            secrets,
        })
    }

    /// Applies a change to the registration. A client made confidential gets its first secret
    /// (shown once); one made public loses its secrets at once.
    pub async fn update(
        &self,
        admin: &OrgAdmin,
        id: ClientId,
        change: impl FnOnce(ClientSpec) -> Result<ClientSpec>,
    ) -> Result<IssuedClient> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_client(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let spec = change(ClientSpec::of(&before)?)?;
        let after = Client {
            name: spec.name.to_string(),
            public: spec.public,
            redirect_uris: spec.redirect_uris,
            post_logout_redirect_uris: spec.post_logout_redirect_uris,
            backchannel_logout_uri: spec.backchannel_logout_uri,
            grant_types: spec.grant_types,
            instance_id: spec.instance_id,
            updated_at: now,
            ..before.clone()
        };
        let unchanged = Client {
            updated_at: before.updated_at,
            ..after.clone()
        } == before;
        if unchanged {
            let secrets = tx.list_client_secrets(id, now).await?;
            return Ok(IssuedClient {
                client: before,
                secret: None,
                secrets,
            });
        }
        check_instance(&mut tx, &after).await?;
        tx.update_client(&after).await?;
        let mut secret = None;
        if before.public && !after.public {
            secret = Some(mint_secret(&mut tx, id, now).await?.1);
        } else if after.public && !before.public {
            tx.expire_client_secrets(id, ClientSecretId::new(), now).await?;
        }
        let ev = admin
            .acting()
            .event(AuditAction::ClientUpdated, now)
            .target("client", id, Some(&after.name))
            .before(&before)
            .after(&after);
        tx.insert_event(&ev).await?;
        let secrets = tx.list_client_secrets(id, now).await?;
        tx.commit().await?;
        self.cache.clear();
        Ok(IssuedClient {
            client: after,
            secret,
            secrets,
        })
    }

    /// Deletes the client, its secrets and every product session it holds (refresh tokens
    /// stop working at once; its access tokens fail introspection).
    pub async fn delete(&self, admin: &OrgAdmin, id: ClientId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_client(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        tx.delete_client(admin.org(), id).await?;
        let ev = admin
            .acting()
            .event(AuditAction::ClientDeleted, now)
            .target("client", id, Some(&before.name))
            .before(&before);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        self.cache.clear();
        Ok(())
    }

    /// A new secret, shown once. The older secrets keep working for `overlap_seconds` (none:
    /// they stop now), so the product can switch without downtime.
    pub async fn rotate_secret(
        &self,
        admin: &OrgAdmin,
        id: ClientId,
        overlap_seconds: Option<i64>,
    ) -> Result<IssuedClient> {
        let overlap = check_overlap(overlap_seconds)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let client = tx.find_client(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if client.public {
            return Err(CoreError::conflict(
                "public_client",
                None,
                "A public client has no secret to rotate.",
            ));
        }
        let (new_id, value) = mint_secret(&mut tx, id, now).await?;
        let cut = tx.expire_client_secrets(id, new_id, now.plus_secs(overlap)).await?;
        let ev = admin
            .acting()
            .event(AuditAction::ClientSecretRotated, now)
            .target("client", id, Some(&client.name))
            .after(&serde_json::json!({ "overlap_seconds": overlap, "older_secrets": cut }));
        tx.insert_event(&ev).await?;
        let secrets = tx.list_client_secrets(id, now).await?;
        tx.commit().await?;
        self.cache.clear();
        Ok(IssuedClient {
            client,
            secret: Some(value),
            secrets,
        })
    }
}

/// A client may be tied only to an instance of its own organization.
async fn check_instance<T: InstanceReads + Send>(tx: &mut T, client: &Client) -> Result<()> {
    if let Some(instance) = client.instance_id
        && tx.find_instance(client.org_id, instance).await?.is_none()
    {
        return Err(CoreError::validation(
            "instance_id",
            "is not a product instance of this organization",
        ));
    }
    Ok(())
}

async fn mint_secret<T: OAuthTx + Send>(
    tx: &mut T,
    client: ClientId,
    now: Timestamp,
) -> Result<(ClientSecretId, String)> {
    let minted = secret::mint(CLIENT_SECRET_KIND)?;
    let s = ClientSecret {
        id: ClientSecretId::new(),
        client_id: client,
        prefix: minted.prefix.clone(),
        created_at: now,
        expires_at: None,
    };
    tx.insert_client_secret(&s, &minted.digest).await?;
    Ok((s.id, minted.value))
}
