//! Provisioning: what a SCIM User means in the organization. A user is a managed account
//! (created, or the existing account with that email — never a duplicate); `active` is the
//! account's status; every change is one transaction with its audit event, the directory as
//! actor.

use super::ScimFail;
use super::batch::Outcome;
use crate::state::AppState;
use gatehouse_core::CoreError;
use gatehouse_core::audit::AuditAction;
use gatehouse_core::audit::{AuditEvent, RequestMeta};
use gatehouse_core::directory::ScimUser;
use gatehouse_core::ids::AccountId;
use gatehouse_core::model::Account;
use gatehouse_core::ports::prelude::*;
use gatehouse_core::product::AccountStatus;
use gatehouse_core::services::DirectoryCaller;
use gatehouse_core::types::{Email, Name};
use gatehouse_scim::ScimError;
use gatehouse_scim::schema::USER_SCHEMA;
use gatehouse_store::SqlTx;
use serde_json::{Value, json};

/// What a User resource says about the account.
#[derive(Clone)]
pub struct Fields {
    pub user_name: String,
    pub external_id: Option<String>,
    pub email: Email,
    pub display_name: Name,
    pub active: bool,
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        // Entra ID sends booleans as "True"/"False".
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads the fields Gatehouse uses, refusing a resource that lacks them.
pub fn fields(r: &Value) -> Result<Fields, ScimError> {
    let user_name = r["userName"]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::invalid_value("userName is required."))?;
    if user_name.chars().count() > 256 {
        return Err(ScimError::invalid_value("userName must be at most 256 characters."));
    }
    let emails = r["emails"].as_array().cloned().unwrap_or_default();
    let pick = emails
        .iter()
        .find(|e| e["primary"].as_bool() == Some(true))
        .or_else(|| emails.iter().find(|e| e["type"].as_str() == Some("work")))
        .or_else(|| emails.first())
        .and_then(|e| e["value"].as_str());
    let email_text = pick.unwrap_or(user_name);
    let email = Email::parse(email_text).map_err(|_| {
        ScimError::invalid_value(format!(
            "{email_text:?} is not an email address; give the user an email in emails or userName."
        ))
    })?;
    let given = r["name"]["givenName"].as_str().unwrap_or("");
    let family = r["name"]["familyName"].as_str().unwrap_or("");
    let joined = format!("{given} {family}");
    let display = r["displayName"]
        .as_str()
        .or_else(|| r["name"]["formatted"].as_str())
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
        .or_else(|| Some(joined.trim().to_owned()).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_owned());
    let display: String = display.chars().filter(|c| !c.is_control()).take(100).collect();
    let display_name =
        Name::parse(&display, "displayName", 100).map_err(|_| ScimError::invalid_value("displayName is not valid."))?;
    let active = match &r["active"] {
        Value::Null => true,
        v => as_bool(v).ok_or_else(|| ScimError::invalid_value("active must be a boolean."))?,
    };
    let external_id = match &r["externalId"] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        _ => return Err(ScimError::invalid_value("externalId must be a string.")),
    };
    Ok(Fields {
        user_name: user_name.to_owned(),
        external_id,
        email,
        display_name,
        active,
    })
}

/// The resource as stored: no id, meta or password (Gatehouse never keeps an IdP password).
pub fn clean(mut r: Value) -> Result<Value, ScimError> {
    let schemas = r["schemas"].as_array().cloned().unwrap_or_default();
    if !schemas.iter().any(|s| s.as_str() == Some(USER_SCHEMA)) {
        return Err(ScimError::invalid_value(format!("schemas must include {USER_SCHEMA}.")));
    }
    if let Some(o) = r.as_object_mut() {
        o.remove("id");
        o.remove("meta");
        o.remove("password");
        if let Some(a) = o.get("active").and_then(as_bool) {
            o.insert("active".into(), Value::Bool(a));
        }
    }
    Ok(r)
}

/// The resource as served: stored JSON plus id and meta (RFC 7644 §3.1).
pub fn render(u: &ScimUser, base: &str) -> Value {
    let mut r: Value = serde_json::from_str(&u.resource).unwrap_or_else(|_| json!({}));
    if let Some(o) = r.as_object_mut() {
        o.insert("id".into(), Value::String(u.id.clone()));
        o.insert("active".into(), Value::Bool(u.active));
        o.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": u.created_at.to_rfc3339(),
                "lastModified": u.updated_at.to_rfc3339(),
                "location": format!("{base}/Users/{}", u.id),
                "version": etag(u),
            }),
        );
    }
    r
}

pub fn etag(u: &ScimUser) -> String {
    etag_version(u.version)
}

/// `meta.version` and the ETag header: a weak validator of the write count.
pub fn etag_version(v: i64) -> String {
    format!("W/\"{v}\"")
}

pub(crate) fn uniqueness(what: &str) -> ScimFail {
    ScimFail(ScimError::uniqueness(what.to_owned()))
}

fn map_unique(e: CoreError, what: &str) -> ScimFail {
    match e {
        CoreError::Conflict {
            code: "unique_violation",
            ..
        } => uniqueness(what),
        other => ScimFail::from(other),
    }
}

/// Refuses an account another organization manages, unless this organization verified its
/// email domain: a directory cannot take over someone else's people by naming their email.
async fn check_manager(
    tx: &mut SqlTx,
    org: gatehouse_core::ids::OrgId,
    account: AccountId,
    email: &Email,
) -> Result<(), ScimFail> {
    if let Some(manager) = tx.find_account_manager(account).await?
        && manager != org
    {
        let ours = tx
            .find_verified_domain(email.domain())
            .await?
            .is_some_and(|d| d.org_id == org);
        if !ours {
            return Err(uniqueness(
                "An account with this email is managed by another organization.",
            ));
        }
    }
    Ok(())
}

/// Makes `account` reflect `f` (name, email, status); deactivation ends its sessions and
/// revokes its API tokens.
async fn apply_to_account(
    tx: &mut SqlTx,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    account: &Account,
    f: &Fields,
    now: gatehouse_core::Timestamp,
) -> Result<Account, ScimFail> {
    let status = if f.active {
        AccountStatus::Active
    } else {
        AccountStatus::Deactivated
    };
    let after = Account {
        display_name: f.display_name.to_string(),
        email: f.email.to_string(),
        status,
        ..account.clone()
    };
    if after != *account {
        tx.update_account(&after)
            .await
            .map_err(|e| map_unique(e, "Another account has this email address."))?;
        if status == AccountStatus::Deactivated && account.status == AccountStatus::Active {
            let org = caller.directory().org_id;
            gatehouse_core::services::cut_off(tx, org, &caller.actor(), meta, &after, now).await?;
        }
    }
    Ok(after)
}

fn status_action(before: &Account, after: &Account) -> Option<AuditAction> {
    match (before.status, after.status) {
        (AccountStatus::Active, AccountStatus::Deactivated) => Some(AuditAction::ScimUserDeactivated),
        (AccountStatus::Deactivated, AccountStatus::Active) => Some(AuditAction::ScimUserReactivated),
        _ => None,
    }
}

pub async fn create(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    body: Value,
) -> Result<ScimUser, ScimFail> {
    let resource = clean(body)?;
    let f = fields(&resource)?;
    // The batch gets copies: whatever it does not take, this request does alone.
    match st
        .creates
        .submit(st, caller.clone(), meta.clone(), resource.clone(), f.clone())
        .await
    {
        Outcome::Created(user) => Ok(user),
        Outcome::Alone => create_alone(st, caller, meta, resource, f).await,
    }
}

/// Creates one user in its own transaction: the path for anything a batch does not take.
async fn create_alone(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    resource: Value,
    f: Fields,
) -> Result<ScimUser, ScimFail> {
    let now = st.services.now();
    let dir = caller.directory();
    let org = dir.org_id;
    let fresh = Account {
        id: AccountId::new(),
        email: f.email.to_string(),
        display_name: f.display_name.to_string(),
        status: AccountStatus::Active,
        created_at: now,
        last_active_at: None,
        delete_after: None,
    };
    let mut tx = st.services.store.begin().await?;
    if let Some(d) = tx.find_verified_domain(f.email.domain()).await?
        && d.org_id != org
    {
        return Err(uniqueness("This email's domain is verified by another organization."));
    }
    let created = tx.insert_account(&fresh).await?;
    let account = if created {
        fresh
    } else {
        tx.find_account_by_email(f.email.as_str())
            .await?
            .ok_or_else(|| CoreError::internal("account vanished"))?
    };
    if !created {
        check_manager(&mut tx, org, account.id, &f.email).await?;
    }
    if created {
        // A new account has no other manager to take it from: link it, managed, directly.
        let link = gatehouse_core::ports::ManagedLink {
            org,
            account: account.id,
        };
        tx.link_managed_accounts(&[link], now, gatehouse_core::ports::ManagedVia::Scim)
            .await?;
    } else {
        tx.claim_accounts(org, &[account.id], now, gatehouse_core::ports::ManagedVia::Scim)
            .await?;
    }
    let after = apply_to_account(&mut tx, caller, meta, &account, &f, now).await?;
    let user = ScimUser {
        id: uuid::Uuid::now_v7().to_string(),
        directory_id: dir.id,
        account_id: account.id,
        user_name: f.user_name.clone(),
        external_id: f.external_id.clone(),
        email: Some(f.email.to_string()),
        active: f.active,
        resource: resource.to_string(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    tx.insert_scim_user(&user).await.map_err(|e| {
        map_unique(
            e,
            "A user with this userName, externalId or account already exists in this directory.",
        )
    })?;
    let ev = AuditEvent::new(org, &caller.actor(), meta, AuditAction::ScimUserCreated, now)
        .target("account", account.id, Some(&after.email))
        .target("scim_user", &user.id, Some(&user.user_name))
        .after(&after);
    tx.insert_event(&ev).await?;
    tx.commit().await?;
    Ok(user)
}

/// Replaces the user with `resource` (PUT, and PATCH after applying its operations).
pub async fn replace(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<&str>,
    body: ReplaceWith,
    valve: Valve,
) -> Result<Written, ScimFail> {
    let dir = caller.directory();
    let now = st.services.now();
    let mut tx = st.services.store.begin().await?;
    let existing = tx
        .find_scim_user(dir.id, id)
        .await?
        .ok_or_else(|| ScimFail(ScimError::new(404, "The user does not exist.")))?;
    check_version(existing.version, if_match, "user")?;
    let (held_method, held_body) = match &body {
        ReplaceWith::Resource(r) => ("PUT", r.to_string()),
        ReplaceWith::Patch(p) => ("PATCH", p.to_string()),
    };
    let resource = match body {
        ReplaceWith::Resource(r) => clean(r)?,
        ReplaceWith::Patch(p) => {
            let mut current = render(&existing, "");
            gatehouse_scim::apply_patch(&mut current, gatehouse_scim::ResourceKind::User, &p)?;
            clean(current)?
        }
    };
    let f = fields(&resource)?;
    let account = tx
        .find_account(existing.account_id)
        .await?
        .ok_or_else(|| CoreError::internal("provisioned account vanished"))?;
    if f.email.as_str() != account.email
        && let Some(d) = tx.find_verified_domain(f.email.domain()).await?
        && d.org_id != dir.org_id
    {
        return Err(uniqueness("This email's domain is verified by another organization."));
    }
    if valve == Valve::Enforce
        && account.status == AccountStatus::Active
        && !f.active
        && over_limit(&mut tx, caller, now).await?
    {
        hold(&mut tx, caller, meta, &existing, held_method, held_body, now).await?;
        tx.commit().await?;
        return Ok(Written::Held(existing));
    }
    let after = apply_to_account(&mut tx, caller, meta, &account, &f, now).await?;
    let updated = ScimUser {
        user_name: f.user_name.clone(),
        external_id: f.external_id.clone(),
        email: Some(f.email.to_string()),
        active: f.active,
        resource: resource.to_string(),
        version: existing.version + 1,
        updated_at: now,
        ..existing.clone()
    };
    let saved = tx.update_scim_user(&updated, existing.version).await.map_err(|e| {
        map_unique(
            e,
            "A user with this userName or externalId already exists in this directory.",
        )
    })?;
    if !saved {
        return Err(ScimFail(ScimError::new(
            412,
            "The user changed since it was read; read it again.",
        )));
    }
    let event = |action| {
        AuditEvent::new(dir.org_id, &caller.actor(), meta, action, now)
            .target("account", account.id, Some(&after.email))
            .target("scim_user", &updated.id, Some(&updated.user_name))
            .before(&account)
            .after(&after)
    };
    if updated.resource != existing.resource || after != account {
        tx.insert_event(&event(AuditAction::ScimUserUpdated)).await?;
    }
    if let Some(action) = status_action(&account, &after) {
        tx.insert_event(&event(action)).await?;
    }
    tx.commit().await?;
    Ok(Written::Applied(updated))
}

/// Whether the deactivation safety valve applies to a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Valve {
    /// A directory's own request: past its hourly limit, deactivations are held.
    Enforce,
    /// An admin releasing held changes.
    Bypass,
}

/// What a write did.
pub enum Written {
    Applied(ScimUser),
    /// Held by the safety valve; the user is as it was.
    Held(ScimUser),
}

async fn over_limit(
    tx: &mut SqlTx,
    caller: &DirectoryCaller,
    now: gatehouse_core::Timestamp,
) -> Result<bool, ScimFail> {
    let d = caller.directory();
    let recent = tx
        .count_directory_deactivations(d.org_id, d.id, now.plus_secs(-3600))
        .await?;
    Ok(recent >= d.deactivation_limit_per_hour)
}

async fn hold(
    tx: &mut SqlTx,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    user: &ScimUser,
    method: &str,
    body: String,
    now: gatehouse_core::Timestamp,
) -> Result<(), ScimFail> {
    let d = caller.directory();
    let op = gatehouse_core::directory::HeldOperation {
        id: uuid::Uuid::now_v7().to_string(),
        directory_id: d.id,
        resource_id: user.id.clone(),
        method: method.to_owned(),
        body,
        created_at: now,
    };
    tx.upsert_held_operation(&op).await?;
    let ev = AuditEvent::new(d.org_id, &caller.actor(), meta, AuditAction::ScimChangeHeld, now)
        .target("account", user.account_id, user.email.as_deref())
        .target("scim_user", &user.id, Some(&user.user_name))
        .after(&json!({ "method": method, "limit_per_hour": d.deactivation_limit_per_hour }));
    tx.insert_event(&ev).await?;
    Ok(())
}

/// What a write replaces the user with.
pub enum ReplaceWith {
    Resource(Value),
    Patch(Value),
}

/// RFC 7232 §3.1: `*` matches any current representation; otherwise one of the listed tags
/// must be the resource's (weak or strong form).
pub fn check_version(version: i64, if_match: Option<&str>, what: &str) -> Result<(), ScimFail> {
    let current = etag_version(version);
    let strong = format!("\"{version}\"");
    match if_match {
        Some(tag) if tag.trim() != "*" && tag.split(',').map(str::trim).all(|t| t != current && t != strong) => {
            Err(ScimFail(ScimError::new(
                412,
                format!("The {what} changed since it was read (If-Match did not match)."),
            )))
        }
        _ => Ok(()),
    }
}

/// Deprovisions: the SCIM user goes, the account is deactivated (sessions end) and no longer
/// managed by the organization. Returns `false` when the safety valve held it instead.
pub async fn delete(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<&str>,
    valve: Valve,
) -> Result<bool, ScimFail> {
    let dir = caller.directory();
    let now = st.services.now();
    let mut tx = st.services.store.begin().await?;
    let existing = tx
        .find_scim_user(dir.id, id)
        .await?
        .ok_or_else(|| ScimFail(ScimError::new(404, "The user does not exist.")))?;
    check_version(existing.version, if_match, "user")?;
    if valve == Valve::Enforce && existing.active && over_limit(&mut tx, caller, now).await? {
        hold(&mut tx, caller, meta, &existing, "DELETE", String::new(), now).await?;
        tx.commit().await?;
        return Ok(false);
    }
    tx.delete_scim_user(dir.id, id).await?;
    if let Some(account) = tx.find_account(existing.account_id).await? {
        let after = Account {
            status: AccountStatus::Deactivated,
            ..account.clone()
        };
        tx.update_account(&after).await?;
        gatehouse_core::services::cut_off(&mut tx, dir.org_id, &caller.actor(), meta, &after, now).await?;
        tx.unmanage_account(dir.org_id, account.id).await?;
        let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimUserDeleted, now)
            .target("account", account.id, Some(&account.email))
            .target("scim_user", id, Some(&existing.user_name))
            .before(&account)
            .after(&after);
        tx.insert_event(&ev).await?;
    }
    tx.commit().await?;
    Ok(true)
}
