//! Releasing the changes the safety valve held: each applies as the directory's own, as if it
//! had just sent it, past the valve.

use super::super::directories::DirectoryCaller;
use super::service::Provisioning;
use super::types::{ExpectedVersion, Release, Valve};
use crate::audit::AuditAction;
use crate::audit::RequestMeta;
use crate::authz::OrgAdmin;
use crate::directory::{HeldChange, HeldOperation, ScimUser, SentChange, UserResource};
use crate::error::{CoreError, Result};
use crate::ids::DirectoryId;
use crate::ports::{AuditTx, Commit, DirectoryReads, DirectoryTx, Store};

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "directory" };

impl<S: Store> Provisioning<S> {
    /// Applies the directory's held changes in arrival order, each in its own transaction,
    /// then clears them and records the release with its counts. A change held before
    /// changes were typed is turned into a replacement by `as_sent`, given the user as it is.
    pub async fn release_held<E, F>(
        &self,
        admin: &OrgAdmin,
        meta: &RequestMeta,
        id: DirectoryId,
        as_sent: F,
    ) -> Result<Release<E>>
    where
        E: From<CoreError>,
        F: Fn(&SentChange, &ScimUser) -> Result<UserResource, E>,
    {
        let (directory, ops) = {
            let mut r = self.store.reader().await?;
            let d = r.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
            let ops = r.list_held_operations(id).await?;
            (d, ops)
        };
        let caller = DirectoryCaller::releasing(directory);
        let mut release = Release {
            released: 0,
            failed: Vec::new(),
        };
        for op in ops {
            match self.apply_held(&caller, meta, &op, &as_sent).await {
                Ok(()) => release.released += 1,
                Err(e) => release.failed.push((op, e)),
            }
        }
        self.finish_release(admin, id, release.released, release.failed.len())
            .await?;
        Ok(release)
    }

    async fn apply_held<E, F>(
        &self,
        caller: &DirectoryCaller,
        meta: &RequestMeta,
        op: &HeldOperation,
        as_sent: &F,
    ) -> Result<(), E>
    where
        E: From<CoreError>,
        F: Fn(&SentChange, &ScimUser) -> Result<UserResource, E>,
    {
        let (id, any) = (op.resource_id.as_str(), &ExpectedVersion::Any);
        match &op.change {
            HeldChange::Replace(new) => {
                self.replace_user(caller, meta, id, any, Valve::Bypass, |_| Ok::<_, E>(new.clone()))
                    .await?;
            }
            HeldChange::AsSent(sent) => {
                self.replace_user(caller, meta, id, any, Valve::Bypass, |u| as_sent(sent, u))
                    .await?;
            }
            HeldChange::Delete => {
                self.delete_user(caller, meta, id, any, Valve::Bypass).await?;
            }
        }
        Ok(())
    }

    /// Ends a release: the held changes are gone, and the release is recorded with its counts.
    async fn finish_release(&self, admin: &OrgAdmin, id: DirectoryId, released: usize, failed: usize) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let d = tx.find_directory(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        tx.delete_held_operations(id).await?;
        let ev = admin
            .acting()
            .event(AuditAction::DirectoryHeldReleased, now)
            .target("directory", d.id, Some(&d.name))
            .after(&serde_json::json!({ "released": released, "failed": failed }));
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}
