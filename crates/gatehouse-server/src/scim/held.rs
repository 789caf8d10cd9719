//! Held changes (those the safety valve stopped) as the admin API and console release and
//! show them.

use super::common::ScimFail;
use super::provision;
use crate::state::AppState;
use gatehouse_core::CoreError;
use gatehouse_core::directory::{HeldChange, SentChange};
use gatehouse_core::ids::DirectoryId;
use serde_json::Value;

/// Applies a directory's held changes in arrival order, as the directory's own (past the
/// safety valve), then clears them. Returns how many applied and the failures.
pub async fn release_held(
    st: &AppState,
    admin: &gatehouse_core::authz::OrgAdmin,
    meta: &gatehouse_core::audit::RequestMeta,
    id: DirectoryId,
) -> Result<(usize, Vec<String>), CoreError> {
    let release = st
        .services
        .provisioning
        .release_held(admin, meta, id, provision::sent_change)
        .await?;
    let failed = release
        .failed
        .into_iter()
        .map(|(op, e): (_, ScimFail)| {
            format!(
                "{} /Users/{}: {}",
                held_summary(&op.change).0,
                op.resource_id,
                e.0.detail
            )
        })
        .collect();
    Ok((release.released, failed))
}

/// A held change as the admin API and console show it: the SCIM method that does it and
/// its body (a replacement is a PUT of the resource; a change held before changes were
/// typed shows as it was sent).
pub fn held_summary(change: &HeldChange) -> (&'static str, Value) {
    match change {
        HeldChange::Replace(r) => ("PUT", r.resource.clone()),
        HeldChange::Delete => ("DELETE", Value::Null),
        HeldChange::AsSent(SentChange::Replace(v)) => ("PUT", v.clone()),
        HeldChange::AsSent(SentChange::Edit(v)) => ("PATCH", v.clone()),
    }
}
