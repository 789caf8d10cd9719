//! Product clients and their secrets, who may sign in to them, signing keys and the
//! back-channel logout outbox. Product sessions (grants, codes, refresh tokens) are in
//! `oauth_grants.rs`.

use crate::db::{opt_ms, sql_with};
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::{AccountId, ClientId, ClientSecretId, GrantId, InstanceId, OrgId};
use gatehouse_core::oauth::{Client, ClientSecret, GrantType, LogoutNotice, StoredSigningKey};
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

pub(crate) const CLIENT_COLS: &str = "c.id, c.org_id, c.name, c.is_public, c.redirect_uris, c.post_logout_redirect_uris, \
     c.backchannel_logout_uri, c.grant_types, c.instance_id, c.created_at, c.updated_at";

fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored {what} is not valid"))
}

fn strings(r: &AnyRow, c: &str) -> Result<Vec<String>> {
    serde_json::from_str(&rows::s(r, c)?).map_err(|_| corrupt(c))
}

pub(crate) fn client(r: &AnyRow) -> Result<Client> {
    let grant_types = strings(r, "grant_types")?
        .iter()
        .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant_types")))
        .collect::<Result<Vec<_>>>()?;
    Ok(Client {
        id: ClientId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("client id"))?,
        org_id: rows::org_id(r)?,
        name: rows::s(r, "name")?,
        public: rows::i(r, "is_public")? == 1,
        redirect_uris: strings(r, "redirect_uris")?,
        post_logout_redirect_uris: strings(r, "post_logout_redirect_uris")?,
        backchannel_logout_uri: rows::os(r, "backchannel_logout_uri")?,
        grant_types,
        instance_id: rows::os(r, "instance_id")?
            .map(|s| InstanceId::parse(&s).map_err(|_| corrupt("instance_id")))
            .transpose()?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        updated_at: Timestamp::from_millis(rows::i(r, "updated_at")?),
    })
}

fn secret(r: &AnyRow) -> Result<ClientSecret> {
    Ok(ClientSecret {
        id: ClientSecretId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("secret id"))?,
        client_id: ClientId::parse(&rows::s(r, "client_id")?).map_err(|_| corrupt("client id"))?,
        prefix: rows::s(r, "prefix")?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        expires_at: rows::ot(r, "expires_at")?,
    })
}

fn signing_key(r: &AnyRow) -> Result<StoredSigningKey> {
    Ok(StoredSigningKey {
        kid: rows::s(r, "kid")?,
        alg: rows::s(r, "alg")?,
        sealed_private: rows::s(r, "sealed_private")?,
        public_jwk: rows::s(r, "public_jwk")?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        retired_at: rows::ot(r, "retired_at")?,
        publish_until: rows::ot(r, "publish_until")?,
    })
}

fn notice(r: &AnyRow) -> Result<LogoutNotice> {
    Ok(LogoutNotice {
        id: rows::i(r, "id")?,
        client_id: ClientId::parse(&rows::s(r, "client_id")?).map_err(|_| corrupt("client id"))?,
        uri: rows::s(r, "uri")?,
        account_id: AccountId::parse(&rows::s(r, "account_id")?).map_err(|_| corrupt("account id"))?,
        grant_id: GrantId::parse(&rows::s(r, "grant_id")?).map_err(|_| corrupt("grant id"))?,
        attempts: rows::i(r, "attempts")?,
    })
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).expect("strings serialize")
}

fn grant_types(c: &Client) -> String {
    json(&c.grant_types.iter().map(|g| g.as_str().to_owned()).collect::<Vec<_>>())
}

/// An active account that is not suspended in the organization (`oa` joined for `$org`).
const ADMITTED: &str = "SELECT 1 FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id \
     WHERE oa.org_id = $1 AND oa.account_id = $2 AND oa.suspended_at IS NULL AND a.status = 'active'";

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) async fn find_client_where(&mut self, q: Sql) -> Result<Option<Client>> {
        self.one(&q, client).await
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> gatehouse_core::ports::OAuthReads for Db<C> {
    async fn find_client(&mut self, org: OrgId, id: ClientId) -> Result<Option<Client>> {
        let mut q = Sql::new("SELECT ");
        q.push(CLIENT_COLS).push(" FROM oauth_clients c WHERE c.org_id = ");
        q.bind(org.to_string()).push(" AND c.id = ").bind(id.to_string());
        self.find_client_where(q).await
    }

    async fn find_client_by_id(&mut self, id: ClientId) -> Result<Option<Client>> {
        let mut q = Sql::new("SELECT ");
        q.push(CLIENT_COLS)
            .push(" FROM oauth_clients c WHERE c.id = ")
            .bind(id.to_string());
        self.find_client_where(q).await
    }

    async fn list_clients(&mut self, org: OrgId, page: &PageRequest) -> Result<Page<Client>> {
        let mut q = Sql::new("SELECT ");
        q.push(CLIENT_COLS)
            .push(" FROM oauth_clients c WHERE c.org_id = ")
            .bind(org.to_string());
        self.page(q, "c.id", false, page, client, |c| c.id.to_string()).await
    }

    async fn list_client_secrets(&mut self, client_id: ClientId, now: Timestamp) -> Result<Vec<ClientSecret>> {
        let q = Sql::new(
            "SELECT id, client_id, prefix, created_at, expires_at FROM oauth_client_secrets \
             WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id DESC",
        )
        .with(client_id.to_string())
        .with(now.millis());
        self.all(&q, secret).await
    }

    async fn client_secret_matches(&mut self, client_id: ClientId, digest: &str, now: Timestamp) -> Result<bool> {
        let q = Sql::new(
            "SELECT 1 FROM oauth_client_secrets WHERE digest = $1 AND client_id = $2 \
             AND (expires_at IS NULL OR expires_at > $3)",
        )
        .with(digest)
        .with(client_id.to_string())
        .with(now.millis());
        self.exists(&q).await
    }

    async fn may_use_instance(&mut self, org: OrgId, instance: InstanceId, account: AccountId) -> Result<bool> {
        let mut q = Sql::new(ADMITTED)
            .with(org.to_string())
            .with(account.to_string())
            .with(instance.to_string());
        q.push(
            " AND (EXISTS (SELECT 1 FROM product_access pa WHERE pa.instance_id = $3 AND pa.account_id = $2) \
             OR EXISTS (SELECT 1 FROM group_members gm JOIN product_access pa ON pa.group_id = gm.group_id \
             WHERE pa.instance_id = $3 AND gm.org_id = $1 AND gm.account_id = $2))",
        );
        self.exists(&q).await
    }

    async fn may_use_org(&mut self, org: OrgId, account: AccountId) -> Result<bool> {
        let mut q = Sql::new(ADMITTED).with(org.to_string()).with(account.to_string());
        q.push(
            " AND (oa.is_managed = 1 OR EXISTS (SELECT 1 FROM product_access pa WHERE pa.org_id = $1 \
             AND pa.account_id = $2) OR EXISTS (SELECT 1 FROM group_members gm JOIN product_access pa ON \
             pa.group_id = gm.group_id WHERE gm.org_id = $1 AND gm.account_id = $2))",
        );
        self.exists(&q).await
    }

    async fn find_subject(&mut self, account: AccountId) -> Result<Option<gatehouse_core::oauth::Subject>> {
        let q = sql_with(
            concat!(
                "SELECT ",
                account_cols!(),
                ", a.email_verified_at FROM accounts a WHERE a.id = "
            ),
            account.to_string(),
        );
        self.one(&q, |r| {
            Ok(gatehouse_core::oauth::Subject {
                account: rows::account(r)?,
                email_verified: rows::ot(r, "email_verified_at")?.is_some(),
            })
        })
        .await
    }

    async fn find_grant(&mut self, id: GrantId) -> Result<Option<gatehouse_core::oauth::Grant>> {
        self.find_grant_row(id).await
    }

    async fn list_product_sessions(
        &mut self,
        org: OrgId,
        account: AccountId,
    ) -> Result<Vec<gatehouse_core::oauth::ProductSession>> {
        self.list_product_session_rows(org, account).await
    }

    async fn list_signing_keys(&mut self) -> Result<Vec<StoredSigningKey>> {
        let q = Sql::new(
            "SELECT kid, alg, sealed_private, public_jwk, created_at, retired_at, publish_until \
             FROM oauth_signing_keys ORDER BY created_at DESC, kid",
        );
        self.all(&q, signing_key).await
    }

    async fn due_logout_notices(&mut self, now: Timestamp, limit: i64) -> Result<Vec<LogoutNotice>> {
        let mut q = Sql::new(
            "SELECT o.id, o.client_id, c.backchannel_logout_uri AS uri, o.account_id, o.grant_id, o.attempts \
             FROM oauth_logout_outbox o JOIN oauth_clients c ON c.id = o.client_id \
             WHERE o.next_attempt_at <= $1 AND c.backchannel_logout_uri IS NOT NULL ORDER BY o.id",
        )
        .with(now.millis());
        self.dialect.push_limit(&mut q, limit, 0);
        self.all(&q, notice).await
    }
}

impl SqlTx {
    pub(crate) async fn insert_client_row(&mut self, c: &Client) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO oauth_clients (id, org_id, name, is_public, redirect_uris, post_logout_redirect_uris, \
             backchannel_logout_uri, grant_types, instance_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .with(c.id.to_string())
        .with(c.org_id.to_string())
        .with(c.name.clone())
        .with(i64::from(c.public))
        .with(json(&c.redirect_uris))
        .with(json(&c.post_logout_redirect_uris))
        .with(c.backchannel_logout_uri.clone())
        .with(grant_types(c))
        .with(c.instance_id.map(|i| i.to_string()))
        .with(c.created_at.millis())
        .with(c.updated_at.millis());
        self.exec(&q).await.map(|_| ())
    }

    pub(crate) async fn update_client_row(&mut self, c: &Client) -> Result<()> {
        let q = Sql::new(
            "UPDATE oauth_clients SET name = $1, is_public = $2, redirect_uris = $3, post_logout_redirect_uris = $4, \
             backchannel_logout_uri = $5, grant_types = $6, instance_id = $7, updated_at = $8 \
             WHERE org_id = $9 AND id = $10",
        )
        .with(c.name.clone())
        .with(i64::from(c.public))
        .with(json(&c.redirect_uris))
        .with(json(&c.post_logout_redirect_uris))
        .with(c.backchannel_logout_uri.clone())
        .with(grant_types(c))
        .with(c.instance_id.map(|i| i.to_string()))
        .with(c.updated_at.millis())
        .with(c.org_id.to_string())
        .with(c.id.to_string());
        self.exec(&q).await.map(|_| ())
    }

    pub(crate) async fn delete_client_row(&mut self, org: OrgId, id: ClientId) -> Result<bool> {
        let mut q = sql_with("DELETE FROM oauth_clients WHERE org_id = ", org.to_string());
        q.push(" AND id = ").bind(id.to_string());
        Ok(self.exec(&q).await? == 1)
    }

    pub(crate) async fn insert_client_secret_row(&mut self, s: &ClientSecret, digest: &str) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO oauth_client_secrets (id, client_id, prefix, digest, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .with(s.id.to_string())
        .with(s.client_id.to_string())
        .with(s.prefix.clone())
        .with(digest)
        .with(s.created_at.millis())
        .with(opt_ms(s.expires_at));
        self.exec(&q).await.map(|_| ())
    }

    pub(crate) async fn expire_client_secret_rows(
        &mut self,
        client_id: ClientId,
        keep: ClientSecretId,
        until: Timestamp,
    ) -> Result<u64> {
        let q = Sql::new(
            "UPDATE oauth_client_secrets SET expires_at = $1 WHERE client_id = $2 AND id <> $3 \
             AND (expires_at IS NULL OR expires_at > $1)",
        )
        .with(until.millis())
        .with(client_id.to_string())
        .with(keep.to_string());
        self.exec(&q).await
    }

    pub(crate) async fn insert_signing_key_row(&mut self, k: &StoredSigningKey) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO oauth_signing_keys (kid, alg, sealed_private, public_jwk, created_at, retired_at, \
             publish_until) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .with(k.kid.clone())
        .with(k.alg.clone())
        .with(k.sealed_private.clone())
        .with(k.public_jwk.clone())
        .with(k.created_at.millis())
        .with(opt_ms(k.retired_at))
        .with(opt_ms(k.publish_until));
        self.exec(&q).await.map(|_| ())
    }

    pub(crate) async fn retire_signing_key_rows(&mut self, keep: &str, at: Timestamp, until: Timestamp) -> Result<u64> {
        let q = Sql::new(
            "UPDATE oauth_signing_keys SET retired_at = $1, publish_until = $2 WHERE kid <> $3 AND retired_at IS NULL",
        )
        .with(at.millis())
        .with(until.millis())
        .with(keep);
        self.exec(&q).await
    }
}
