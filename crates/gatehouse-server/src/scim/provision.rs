//! Provisioning at the SCIM edge: a User resource read into the fields provisioning takes,
//! and served back with its id and meta. What provisioning means (who may take an account,
//! the safety valve, deprovisioning) is core's `Provisioning`; this module calls it with
//! resources computed here (a PATCH applied to the current user inside core's transaction).

use super::batch::{BatchHost, CreateQueue, Outcome};
use super::common::ScimFail;
use crate::state::AppState;
use gatehouse_core::CoreError;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::directory::{ProvisionedUser, ScimUser, SentChange, UserResource};
use gatehouse_core::ids::AccountId;
use gatehouse_core::ports::ScimGroupRef;
use gatehouse_core::services::{DirectoryCaller, ExpectedVersion, Valve, Written};
use gatehouse_core::types::{Email, Name};
use gatehouse_scim::schema::USER_SCHEMA;
use gatehouse_scim::{ResourceKind, ScimError};
use serde_json::{Value, json};
use std::collections::HashMap;

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
pub fn fields(r: &Value) -> Result<ProvisionedUser, ScimError> {
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
    Ok(ProvisionedUser {
        user_name: user_name.to_owned(),
        external_id,
        email,
        display_name,
        active,
    })
}

/// The resource as stored: no id, meta or password (Gatehouse never keeps an IdP password), and
/// checked against the advertised schemas (extensions the server does not advertise are left out
/// and logged).
pub fn clean(mut r: Value) -> Result<Value, ScimError> {
    let schemas = r["schemas"].as_array().cloned().unwrap_or_default();
    if !schemas.iter().any(|s| s.as_str() == Some(USER_SCHEMA)) {
        return Err(ScimError::invalid_value(format!("schemas must include {USER_SCHEMA}.")));
    }
    log_ignored(&gatehouse_scim::check_resource(&mut r, ResourceKind::User)?);
    Ok(strip(r))
}

/// A checked resource as stored: no id, meta or password; `active` a boolean.
fn strip(mut r: Value) -> Value {
    if let Some(o) = r.as_object_mut() {
        o.remove("id");
        o.remove("meta");
        o.remove("password");
        // readOnly (RFC 7643 §4.1.2): the server computes it from memberships when it serves.
        o.remove("groups");
        if let Some(a) = o.get("active").and_then(as_bool) {
            o.insert("active".into(), Value::Bool(a));
        }
    }
    r
}

/// The resource as served but for `groups`: stored JSON plus id and meta (RFC 7644 §3.1). A
/// `groups` stored before the server computed it is left out.
pub fn render(u: &ScimUser, base: &str) -> Result<Value, ScimFail> {
    let mut r = stored(&u.resource)?;
    if let Some(o) = r.as_object_mut() {
        o.remove("groups");
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
    Ok(r)
}

/// Users as served, each with `groups`: the directory's groups its account is a member of
/// (RFC 7643 §4.1.2), all read at once; left out for a user in none.
pub async fn render_all(
    st: &AppState,
    caller: &DirectoryCaller,
    users: &[ScimUser],
    base: &str,
) -> Result<Vec<Value>, ScimFail> {
    let accounts: Vec<AccountId> = users.iter().map(|u| u.account_id).collect();
    let groups = st.services.provisioning.user_groups(caller, &accounts).await?;
    render_with(users, groups, base)
}

/// Users as served, with the directory's groups of their accounts as read.
pub fn render_with(
    users: &[ScimUser],
    groups: Vec<(AccountId, ScimGroupRef)>,
    base: &str,
) -> Result<Vec<Value>, ScimFail> {
    let mut by_account: HashMap<AccountId, Vec<Value>> = HashMap::new();
    for (account, g) in groups {
        by_account.entry(account).or_default().push(json!({
            "value": g.id,
            "$ref": format!("{base}/Groups/{}", g.id),
            "display": g.display_name,
            "type": "direct",
        }));
    }
    users
        .iter()
        .map(|u| {
            let mut r = render(u, base)?;
            if let (Some(o), Some(mine)) = (r.as_object_mut(), by_account.get(&u.account_id)) {
                o.insert("groups".into(), Value::Array(mine.clone()));
            }
            Ok(r)
        })
        .collect()
}

/// A resource as stored. Only this server writes it, so text that does not parse is an
/// internal error, never an empty resource.
pub fn stored(text: &str) -> Result<Value, ScimFail> {
    serde_json::from_str(text).map_err(|e| ScimFail::from(CoreError::internal(format!("stored SCIM resource: {e}"))))
}

/// A User resource as sent, as provisioning takes it: cleaned for storage, with its fields.
pub fn user_resource(r: Value) -> Result<UserResource, ScimError> {
    let resource = clean(r)?;
    Ok(UserResource {
        user: fields(&resource)?,
        resource,
    })
}

pub fn etag(u: &ScimUser) -> String {
    etag_version(u.version)
}

/// `meta.version` and the ETag header: a weak validator of the write count.
pub fn etag_version(v: i64) -> String {
    format!("W/\"{v}\"")
}

/// The versions `If-Match` accepts (RFC 7232 §3.1): `*` any current representation; otherwise
/// one of the listed tags, in weak (`W/"3"`) or strong (`"3"`) form. A tag that names no
/// version this server writes matches nothing.
pub fn expected_version(if_match: Option<&str>) -> ExpectedVersion {
    match if_match.map(str::trim) {
        None | Some("*") => ExpectedVersion::Any,
        Some(tags) => ExpectedVersion::OneOf(tags.split(',').map(str::trim).filter_map(tag_version).collect()),
    }
}

fn tag_version(tag: &str) -> Option<i64> {
    let quoted = tag.strip_prefix("W/").unwrap_or(tag);
    let digits = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let v: i64 = digits.parse().ok()?;
    // Only the form this server writes: `"+3"` or `"03"` is another tag.
    (v.to_string() == digits).then_some(v)
}

/// The application's state as the create queue's host: the queue lives in it, so the queue
/// takes it through `BatchHost` rather than naming it.
impl BatchHost for AppState {
    fn queue(&self) -> &CreateQueue {
        &self.creates
    }

    fn services(&self) -> &gatehouse_core::services::Services<gatehouse_store::SqlStore> {
        &self.services
    }

    fn linger(&self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::from(self.config.scim.batch_linger_ms))
    }

    fn recorder(&self) -> &metrics_exporter_prometheus::PrometheusRecorder {
        &self.metrics.recorder
    }
}

/// A user created, and whether its account is new: a batch writes only new accounts, which
/// are in no group yet, so their answer needs no read of memberships.
pub struct Created {
    pub user: ScimUser,
    pub new_account: bool,
}

pub async fn create(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    body: Value,
) -> Result<Created, ScimFail> {
    let new = user_resource(body)?;
    // The batch gets a copy: whatever it does not take, this request does alone.
    match st.creates.submit(st, caller.clone(), meta.clone(), new.clone()).await {
        Outcome::Created(user) => Ok(Created {
            user,
            new_account: true,
        }),
        Outcome::Alone => Ok(Created {
            user: st.services.provisioning.create_user(caller, meta, &new).await?,
            new_account: false,
        }),
    }
}

/// What a write replaces the user with.
pub enum ReplaceWith {
    Resource(Value),
    Patch(Value),
}

/// Extension schemas a directory sent that the server does not advertise: left out, and logged
/// so an administrator can see what an IdP maps that Gatehouse does not keep.
pub fn log_ignored(ignored: &[String]) {
    if !ignored.is_empty() {
        tracing::info!(
            ?ignored,
            "SCIM extension schemas this server does not advertise were ignored"
        );
    }
}

/// The user `patch` makes of `current` (RFC 7644 §3.5.2), ready to store. Only what the patch
/// changed is checked against the schemas: a value stored before the check existed does not
/// block every later change.
fn patched(current: &ScimUser, patch: &Value) -> Result<UserResource, ScimFail> {
    let mut r = render(current, "")?;
    let outcome = gatehouse_scim::apply_patch(&mut r, ResourceKind::User, patch)?;
    log_ignored(&outcome.ignored);
    check_changed(&r, &outcome.changed, ResourceKind::User)?;
    let resource = strip(r);
    Ok(UserResource {
        user: fields(&resource)?,
        resource,
    })
}

/// Checks the attributes a PATCH changed (`changed` as [`gatehouse_scim::PatchOutcome`] names
/// them) against the schemas.
pub fn check_changed(
    r: &Value,
    changed: &std::collections::BTreeSet<String>,
    kind: ResourceKind,
) -> Result<(), ScimError> {
    let mut part = serde_json::Map::new();
    for name in changed {
        let ext = kind.extensions().iter().find(|e| {
            name.len() > e.id.len()
                && name[..e.id.len()].eq_ignore_ascii_case(e.id)
                && name.as_bytes()[e.id.len()] == b':'
        });
        match ext {
            Some(e) => {
                let attr = &name[e.id.len() + 1..];
                let value = r[e.id][attr].clone();
                let slot = part.entry(e.id.to_owned()).or_insert_with(|| json!({}));
                slot[attr] = value;
            }
            None if name != "schemas" => {
                part.insert(name.clone(), r[name.as_str()].clone());
            }
            None => {}
        }
    }
    gatehouse_scim::check_resource(&mut Value::Object(part), kind).map(|_| ())
}

/// Replaces the user with `body` (PUT, and PATCH applied to the user as it is inside core's
/// transaction).
pub async fn replace(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<&str>,
    body: ReplaceWith,
    valve: Valve,
) -> Result<Written, ScimFail> {
    let expected = expected_version(if_match);
    let p = &st.services.provisioning;
    match body {
        ReplaceWith::Resource(r) => {
            p.replace_user(caller, meta, id, &expected, valve, |_| Ok(user_resource(r)?))
                .await
        }
        ReplaceWith::Patch(patch) => {
            p.replace_user(caller, meta, id, &expected, valve, |u| patched(u, &patch))
                .await
        }
    }
}

/// A change held before changes were typed, as a replacement of the user as it is now.
pub fn sent_change(sent: &SentChange, current: &ScimUser) -> Result<UserResource, ScimFail> {
    match sent {
        SentChange::Replace(r) => Ok(user_resource(r.clone())?),
        SentChange::Edit(patch) => patched(current, patch),
    }
}

/// Deprovisions; `false` when the safety valve held it instead.
pub async fn delete(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<&str>,
    valve: Valve,
) -> Result<bool, ScimFail> {
    let expected = expected_version(if_match);
    Ok(st
        .services
        .provisioning
        .delete_user(caller, meta, id, &expected, valve)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::expected_version;
    use gatehouse_core::services::ExpectedVersion;

    #[test]
    fn if_match_names_versions_in_weak_or_strong_form_and_star_any() {
        assert_eq!(expected_version(None), ExpectedVersion::Any);
        assert_eq!(expected_version(Some(" * ")), ExpectedVersion::Any);
        assert_eq!(
            expected_version(Some(r#"W/"3", "4""#)),
            ExpectedVersion::OneOf(vec![3, 4])
        );
        assert_eq!(
            expected_version(Some(r#"W/"03", "+4", W/5, "x""#)),
            ExpectedVersion::OneOf(vec![]),
            "tags this server never writes match nothing"
        );
    }
}
