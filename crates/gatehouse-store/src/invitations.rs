//! Admin invitations: at most one per organization and account (a unique index), answered by
//! taking the row with one conditional `DELETE ... RETURNING`.

use crate::error::db_err;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::{AccountId, AdminInvitationId, OrgId};
use gatehouse_core::model::{AdminInvitation, PendingInvitation};
use gatehouse_core::ports::{InvitationReads, InvitationTx};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

macro_rules! invitation_cols {
    ($p:literal) => {
        prefixed!($p; "id", "org_id", "account_id", "email", "invited_by", "created_at", "expires_at")
    };
}

fn invitation(r: &AnyRow) -> Result<AdminInvitation> {
    let corrupt = |_| CoreError::Internal("stored admin invitation is not valid".into());
    Ok(AdminInvitation {
        id: AdminInvitationId::parse(&rows::s(r, "id")?).map_err(corrupt)?,
        org_id: rows::org_id(r)?,
        account_id: AccountId::parse(&rows::s(r, "account_id")?).map_err(corrupt)?,
        email: rows::s(r, "email")?,
        invited_by: rows::s(r, "invited_by")?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        expires_at: Timestamp::from_millis(rows::i(r, "expires_at")?),
    })
}

fn pending(r: &AnyRow) -> Result<PendingInvitation> {
    Ok(PendingInvitation {
        invitation: invitation(r)?,
        org_name: sqlx::Row::try_get::<String, _>(r, "org_name").map_err(db_err)?,
    })
}

impl<C: DerefMut<Target = AnyConnection> + Send> InvitationReads for Db<C> {
    async fn list_admin_invitations(&mut self, org: OrgId, now: Timestamp) -> Result<Vec<AdminInvitation>> {
        let q = Sql::new(concat!(
            "SELECT ",
            invitation_cols!(""),
            " FROM admin_invitations WHERE org_id = $1 AND expires_at > $2 ORDER BY created_at, id"
        ))
        .with(org.to_string())
        .with(now.millis());
        self.all(&q, invitation).await
    }

    async fn list_invitations_for(&mut self, account: AccountId, now: Timestamp) -> Result<Vec<PendingInvitation>> {
        let q = Sql::new(concat!(
            "SELECT ",
            invitation_cols!("i."),
            ", o.name AS org_name FROM admin_invitations i JOIN orgs o ON o.id = i.org_id \
             WHERE i.account_id = $1 AND i.expires_at > $2 ORDER BY i.created_at, i.id"
        ))
        .with(account.to_string())
        .with(now.millis());
        self.all(&q, pending).await
    }
}

impl InvitationTx for SqlTx {
    async fn insert_admin_invitation(&mut self, i: &AdminInvitation, now: Timestamp) -> Result<bool> {
        // An expired invitation no longer counts: it makes way for the new one.
        let expired =
            Sql::new("DELETE FROM admin_invitations WHERE org_id = $1 AND account_id = $2 AND expires_at <= $3")
                .with(i.org_id.to_string())
                .with(i.account_id.to_string())
                .with(now.millis());
        self.exec(&expired).await?;
        // Of two invitations at once, the second finds the first's row and stores nothing.
        let q = Sql::new(
            "INSERT INTO admin_invitations (id, org_id, account_id, email, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, account_id) DO NOTHING",
        )
        .with(i.id.to_string())
        .with(i.org_id.to_string())
        .with(i.account_id.to_string())
        .with(i.email.clone())
        .with(i.invited_by.clone())
        .with(i.created_at.millis())
        .with(i.expires_at.millis());
        Ok(self.exec(&q).await? == 1)
    }

    async fn take_org_invitation(&mut self, org: OrgId, id: AdminInvitationId) -> Result<Option<AdminInvitation>> {
        let q = Sql::new(concat!(
            "DELETE FROM admin_invitations WHERE id = $1 AND org_id = $2 RETURNING ",
            invitation_cols!("")
        ))
        .with(id.to_string())
        .with(org.to_string());
        self.one(&q, invitation).await
    }

    async fn take_account_invitation(
        &mut self,
        account: AccountId,
        id: AdminInvitationId,
    ) -> Result<Option<AdminInvitation>> {
        let q = Sql::new(concat!(
            "DELETE FROM admin_invitations WHERE id = $1 AND account_id = $2 RETURNING ",
            invitation_cols!("")
        ))
        .with(id.to_string())
        .with(account.to_string());
        self.one(&q, invitation).await
    }

    async fn take_invitation_of(&mut self, org: OrgId, account: AccountId) -> Result<Option<AdminInvitation>> {
        let q = Sql::new(concat!(
            "DELETE FROM admin_invitations WHERE org_id = $1 AND account_id = $2 RETURNING ",
            invitation_cols!("")
        ))
        .with(org.to_string())
        .with(account.to_string());
        self.one(&q, invitation).await
    }
}
