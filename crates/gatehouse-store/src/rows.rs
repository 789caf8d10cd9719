//! Row decoding: from columns to core entities. Unknown enum text is an internal error,
//! never silently mapped to a default.

use crate::error::db_err;
use gatehouse_core::audit::{Actor, ActorKind, AuditEvent, Changes, EventRecord, Target};
use gatehouse_core::auth::{PasswordFacts, PasswordState};
use gatehouse_core::ids::{AccessId, AccountId, ApiKeyId, EventId, GroupId, InstanceId, OrgId, SessionId};
use gatehouse_core::model::{
    Access, Account, ApiKey, EffectiveAccess, Group, GroupMember, Instance, Org, OrgAccount, OrgAdminRole, Principal,
    Session,
};
use gatehouse_core::product::{AccountStatus, Edition, FreeKind, Plan, Product, Role};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) fn s(r: &AnyRow, c: &str) -> Result<String> {
    r.try_get::<String, _>(c).map_err(db_err)
}
pub(crate) fn opt_s(r: &AnyRow, c: &str) -> Result<Option<String>> {
    os(r, c)
}
pub(crate) fn os(r: &AnyRow, c: &str) -> Result<Option<String>> {
    r.try_get::<Option<String>, _>(c).map_err(db_err)
}
pub(crate) fn i(r: &AnyRow, c: &str) -> Result<i64> {
    r.try_get::<i64, _>(c).map_err(db_err)
}
pub(crate) fn t(r: &AnyRow, c: &str) -> Result<Timestamp> {
    i(r, c).map(Timestamp::from_millis)
}
pub(crate) fn ot(r: &AnyRow, c: &str) -> Result<Option<Timestamp>> {
    Ok(r.try_get::<Option<i64>, _>(c)
        .map_err(db_err)?
        .map(Timestamp::from_millis))
}
fn corrupt(what: &str) -> impl Fn(CoreError) -> CoreError + '_ {
    move |_| CoreError::Internal(format!("stored {what} is not valid"))
}
macro_rules! parse_col {
    ($ty:ty, $r:expr, $c:expr) => {
        <$ty>::parse(&s($r, $c)?).map_err(corrupt($c))
    };
}

/// The `id` column as an account id.
pub(crate) fn account_id(r: &AnyRow) -> Result<AccountId> {
    parse_col!(AccountId, r, "id")
}

/// The `org_id` column as an organization id.
pub(crate) fn org_id(r: &AnyRow) -> Result<OrgId> {
    parse_col!(OrgId, r, "org_id")
}

/// The account behind a SCIM user (`id`, `account_id`).
pub(crate) fn scim_user_account(r: &AnyRow) -> Result<gatehouse_core::ports::ScimUserAccount> {
    Ok(gatehouse_core::ports::ScimUserAccount {
        user_id: s(r, "id")?,
        account: parse_col!(AccountId, r, "account_id")?,
    })
}

/// A member's group of a directory (`account_id`, `id`, `display_name`).
pub(crate) fn scim_user_group(r: &AnyRow) -> Result<(AccountId, gatehouse_core::ports::ScimGroupRef)> {
    Ok((
        parse_col!(AccountId, r, "account_id")?,
        gatehouse_core::ports::ScimGroupRef {
            id: s(r, "id")?,
            display_name: s(r, "display_name")?,
        },
    ))
}

/// The groups column of `Dialect::push_user_groups_column`: NULL or a JSON array of
/// `[id, displayName]` pairs. Anything else is an internal error, never an empty list.
pub(crate) fn user_groups_json(r: &AnyRow, c: &str) -> Result<Vec<gatehouse_core::ports::ScimGroupRef>> {
    let Some(text) = os(r, c)? else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = serde_json::from_str(&text)
        .map_err(|e| CoreError::Internal(format!("column {c} is not a list of groups: {e}")))?;
    Ok(pairs
        .into_iter()
        .map(|(id, display_name)| gatehouse_core::ports::ScimGroupRef { id, display_name })
        .collect())
}

pub(crate) fn org(r: &AnyRow) -> Result<Org> {
    Ok(Org {
        id: parse_col!(OrgId, r, "id")?,
        name: s(r, "name")?,
        plan: parse_col!(Plan, r, "plan")?,
        free: opt_s(r, "free_kind")?.map(|f| FreeKind::parse(&f)).transpose()?,
        created_at: t(r, "created_at")?,
    })
}

pub(crate) fn account(r: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: parse_col!(AccountId, r, "id")?,
        email: s(r, "email")?,
        display_name: s(r, "display_name")?,
        status: parse_col!(AccountStatus, r, "status")?,
        created_at: t(r, "created_at")?,
        last_active_at: ot(r, "last_active_at")?,
        delete_after: ot(r, "delete_after")?,
    })
}

pub(crate) fn org_account(r: &AnyRow) -> Result<OrgAccount> {
    Ok(OrgAccount {
        account: account(r)?,
        is_managed: i(r, "is_managed")? == 1,
        suspended_at: ot(r, "suspended_at")?,
        added_at: t(r, "added_at")?,
        billing: facts_of(i(r, "billing_facts")?),
        terms: org_terms(r)?,
        password: password_state(r)?,
    })
}

/// The bits of migration 0022 as core's facts.
pub(crate) fn facts_of(bits: i64) -> gatehouse_core::billing::BillingFacts {
    let on = |b: i64| bits & b != 0;
    gatehouse_core::billing::BillingFacts {
        is_managed: on(1),
        active: on(2),
        has_product_access: on(4),
        non_billable_policy: on(8),
        statuspage_paid: on(16),
        beyond_portal: on(32),
        below_enterprise: on(64),
    }
}

/// The organization's billing terms (`org_plan`, `org_free`).
pub(crate) fn org_terms(r: &AnyRow) -> Result<gatehouse_core::billing::OrgTerms> {
    Ok(gatehouse_core::billing::OrgTerms {
        plan: Plan::parse(&s(r, "org_plan")?)?,
        free: opt_s(r, "org_free")?.map(|f| FreeKind::parse(&f)).transpose()?,
    })
}

/// `password_facts_cols!`: no password, one set before facts were measured, or its facts.
pub(crate) fn password_state(r: &AnyRow) -> Result<PasswordState> {
    if i(r, "has_password")? == 0 {
        return Ok(PasswordState::None);
    }
    let int = |c: &str| r.try_get::<Option<i64>, _>(c).map_err(db_err);
    let (Some(length), Some(score), Some(common), Some(set_at)) = (
        int("password_length")?,
        int("password_strength")?,
        int("password_common")?,
        ot(r, "password_set_at")?,
    ) else {
        return Ok(PasswordState::Unknown);
    };
    Ok(PasswordState::Set(PasswordFacts {
        length: u32::try_from(length).map_err(|_| CoreError::internal("stored password length is not valid"))?,
        score: u8::try_from(score).map_err(|_| CoreError::internal("stored password strength is not valid"))?,
        common: common == 1,
        set_at,
    }))
}

pub(crate) fn instance(r: &AnyRow) -> Result<Instance> {
    Ok(Instance {
        id: parse_col!(InstanceId, r, "id")?,
        org_id: parse_col!(OrgId, r, "org_id")?,
        product: parse_col!(Product, r, "product")?,
        name: s(r, "name")?,
        url: s(r, "url")?,
        edition: parse_col!(Edition, r, "edition")?,
        created_at: t(r, "created_at")?,
    })
}

pub(crate) fn group(r: &AnyRow) -> Result<Group> {
    Ok(Group {
        id: parse_col!(GroupId, r, "id")?,
        org_id: parse_col!(OrgId, r, "org_id")?,
        name: s(r, "name")?,
        description: s(r, "description")?,
        created_at: t(r, "created_at")?,
        member_count: i(r, "member_count")?,
        directory_id: os(r, "directory_id")?
            .map(|d| gatehouse_core::ids::DirectoryId::parse(&d).map_err(corrupt("directory_id")))
            .transpose()?,
    })
}

pub(crate) fn member(r: &AnyRow) -> Result<GroupMember> {
    Ok(GroupMember {
        account_id: parse_col!(AccountId, r, "id")?,
        email: s(r, "email")?,
        display_name: s(r, "display_name")?,
        added_at: t(r, "added_at")?,
    })
}

pub(crate) fn access(r: &AnyRow) -> Result<Access> {
    let principal = match (os(r, "account_id")?, os(r, "group_id")?) {
        (Some(a), None) => Principal::Account(AccountId::parse(&a).map_err(corrupt("account_id"))?),
        (None, Some(g)) => Principal::Group(GroupId::parse(&g).map_err(corrupt("group_id"))?),
        _ => return Err(CoreError::Internal("access row without exactly one principal".into())),
    };
    Ok(Access {
        id: parse_col!(AccessId, r, "id")?,
        org_id: parse_col!(OrgId, r, "org_id")?,
        instance_id: parse_col!(InstanceId, r, "instance_id")?,
        principal,
        role: parse_col!(Role, r, "role")?,
        created_at: t(r, "created_at")?,
    })
}

pub(crate) fn effective_access(r: &AnyRow) -> Result<EffectiveAccess> {
    let via = os(r, "via_group")?;
    Ok(EffectiveAccess {
        access: access(r)?,
        product: parse_col!(Product, r, "product")?,
        instance_name: s(r, "instance_name")?,
        via_group: via
            .map(|g| GroupId::parse(&g).map_err(corrupt("via_group")))
            .transpose()?,
    })
}

pub(crate) fn admin(r: &AnyRow) -> Result<OrgAdminRole> {
    Ok(OrgAdminRole {
        account_id: parse_col!(AccountId, r, "id")?,
        email: s(r, "email")?,
        display_name: s(r, "display_name")?,
        granted_at: t(r, "granted_at")?,
    })
}

pub(crate) fn api_key(r: &AnyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: parse_col!(ApiKeyId, r, "id")?,
        org_id: parse_col!(OrgId, r, "org_id")?,
        name: s(r, "name")?,
        prefix: s(r, "prefix")?,
        created_at: t(r, "created_at")?,
        expires_at: t(r, "expires_at")?,
        revoked_at: ot(r, "revoked_at")?,
        last_used_at: ot(r, "last_used_at")?,
    })
}

pub(crate) fn user_api_token(r: &AnyRow) -> Result<gatehouse_core::model::UserApiToken> {
    Ok(gatehouse_core::model::UserApiToken {
        id: parse_col!(gatehouse_core::ids::UserApiTokenId, r, "id")?,
        account_id: parse_col!(AccountId, r, "account_id")?,
        name: s(r, "name")?,
        prefix: s(r, "prefix")?,
        created_at: t(r, "created_at")?,
        expires_at: ot(r, "expires_at")?,
        last_used_at: ot(r, "last_used_at")?,
        revoked_at: ot(r, "revoked_at")?,
    })
}

pub(crate) fn event(r: &AnyRow) -> Result<AuditEvent> {
    let targets: Vec<serde_json::Value> = serde_json::from_str(&s(r, "targets")?).map_err(CoreError::internal)?;
    let targets = targets
        .into_iter()
        .map(|v| Target {
            kind: v["type"].as_str().unwrap_or_default().to_owned(),
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            label: v["label"].as_str().map(str::to_owned),
        })
        .collect();
    let changes: serde_json::Value = serde_json::from_str(&s(r, "changes")?).map_err(CoreError::internal)?;
    let side = |k: &str| match &changes[k] {
        serde_json::Value::Null => None,
        v => Some(v.clone()),
    };
    Ok(AuditEvent {
        id: parse_col!(EventId, r, "id")?,
        org_id: parse_col!(OrgId, r, "org_id")?,
        occurred_at: t(r, "occurred_at")?,
        actor: Actor {
            kind: parse_col!(ActorKind, r, "actor_type")?,
            id: os(r, "actor_id")?,
            label: s(r, "actor_label")?,
        },
        action: s(r, "action")?,
        targets,
        ip: os(r, "ip")?,
        user_agent: os(r, "user_agent")?,
        changes: Changes {
            before: side("before"),
            after: side("after"),
        },
    })
}

pub(crate) fn session(r: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: parse_col!(SessionId, r, "id")?,
        account_id: parse_col!(AccountId, r, "account_id")?,
        csrf: s(r, "csrf")?,
        created_at: t(r, "created_at")?,
        last_seen_at: t(r, "last_seen_at")?,
        expires_at: t(r, "expires_at")?,
        ip: os(r, "ip")?,
        user_agent: os(r, "user_agent")?,
        amr: serde_json::from_str(&s(r, "amr")?).map_err(|_| CoreError::Internal("stored amr is not valid".into()))?,
        idle_secs: r.try_get::<Option<i64>, _>("idle_secs").map_err(db_err)?,
        email_verified_at: ot(r, "email_verified_at")?,
    })
}

pub(crate) fn event_record(r: &AnyRow) -> Result<EventRecord> {
    Ok(EventRecord {
        id: s(r, "id")?,
        occurred_at: t(r, "occurred_at")?,
        actor_type: s(r, "actor_type")?,
        actor_id: os(r, "actor_id")?,
        actor_label: s(r, "actor_label")?,
        action: s(r, "action")?,
        targets_json: s(r, "targets")?,
        ip: os(r, "ip")?,
        user_agent: os(r, "user_agent")?,
        changes_json: s(r, "changes")?,
    })
}

/// Event records packed as a JSON array of arrays (columns in `event_record`'s order).
pub(crate) fn packed_event_records(json: &str) -> Result<Vec<EventRecord>> {
    type Packed = (
        String,
        i64,
        String,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
    );
    let packed: Vec<Packed> = serde_json::from_str(json).map_err(CoreError::internal)?;
    Ok(packed
        .into_iter()
        .map(|p| EventRecord {
            id: p.0,
            occurred_at: Timestamp::from_millis(p.1),
            actor_type: p.2,
            actor_id: p.3,
            actor_label: p.4,
            action: p.5,
            targets_json: p.6,
            ip: p.7,
            user_agent: p.8,
            changes_json: p.9,
        })
        .collect())
}

pub(crate) fn domain(r: &AnyRow) -> Result<gatehouse_core::domain::Domain> {
    use gatehouse_core::domain::{ClaimMode, Domain, DomainStatus, ProofMethod};
    Ok(Domain {
        id: parse_col!(gatehouse_core::ids::DomainId, r, "id")?,
        org_id: parse_col!(OrgId, r, "org_id")?,
        name: s(r, "name")?,
        token: s(r, "token")?,
        status: parse_col!(DomainStatus, r, "status")?,
        claim_mode: parse_col!(ClaimMode, r, "claim_mode")?,
        created_at: t(r, "created_at")?,
        verify_by: t(r, "verify_by")?,
        verified_at: ot(r, "verified_at")?,
        verified_method: os(r, "verified_method")?
            .map(|m| ProofMethod::parse(&m).map_err(corrupt("verified_method")))
            .transpose()?,
        last_checked_at: ot(r, "last_checked_at")?,
        last_check_detail: os(r, "last_check_detail")?,
        failing_since: ot(r, "failing_since")?,
    })
}

pub(crate) fn domain_check(r: &AnyRow) -> Result<gatehouse_core::domain::DomainCheck> {
    Ok(gatehouse_core::domain::DomainCheck {
        checked_at: t(r, "checked_at")?,
        method: parse_col!(gatehouse_core::domain::ProofMethod, r, "method")?,
        outcome: s(r, "outcome")?,
        detail: s(r, "detail")?,
    })
}
