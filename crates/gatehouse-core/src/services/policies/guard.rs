//! What no policy change may do: leave the organization with no admin who can still sign in
//! when its identity provider is down. An admin has a way in when the organization does not
//! manage their account (their own organization's rules govern it), when their policy does
//! not enforce single sign-on, or when they are a break-glass admin. Two-step verification
//! and password rules do not take a way in away: enrolment and a new password happen during
//! the sign-in.
//!
//! Also here: the per-provider "enforced" switch of the SSO API, kept for the scripts that
//! use it, as an edit of the default policy's SSO rule.

use crate::Timestamp;
use crate::acting::Acting;
use crate::audit::AuditAction;
use crate::error::{CoreError, Result};
use crate::ids::{IdpId, OrgId};
use crate::policy::SsoRule;
use crate::ports::prelude::*;

/// How many of the organization's admins have a way in (see the module documentation).
pub(super) async fn ways_in<T: Reads + Send>(tx: &mut T, org: OrgId) -> Result<usize> {
    let admins = tx.list_org_admins(org).await?;
    let glass = tx.list_break_glass(org).await?;
    let mut n = 0;
    for a in admins {
        if tx.find_account_manager(a.account_id).await? != Some(org) || glass.contains(&a.account_id) {
            n += 1;
            continue;
        }
        let enforced = tx
            .find_policy_of(a.account_id)
            .await?
            .is_some_and(|p| p.settings.sso_enforced());
        if !enforced {
            n += 1;
        }
    }
    Ok(n)
}

/// Refuses a change after which no admin has a way in, when one had before.
pub(super) async fn refuse_lockout<T: Reads + Send>(tx: &mut T, org: OrgId, before: usize) -> Result<()> {
    if before > 0 && ways_in(tx, org).await? == 0 {
        return Err(CoreError::conflict(
            "admins_locked_out",
            None,
            "This change would leave no admin of the organization a way to sign in without the identity provider. \
             Name a break-glass admin first, or keep at least one admin in a policy that does not enforce single \
             sign-on.",
        ));
    }
    Ok(())
}

/// The SSO API's per-provider switch, as an edit of the default policy: switching `idp` on
/// enforces SSO through it (through each member's domain's provider when another is named
/// already); switching it off stops enforcement through it. Recorded as `policy.updated`.
pub async fn idp_switch<T: Reads + Writes + Send>(
    tx: &mut T,
    acting: &Acting,
    idp: IdpId,
    on: bool,
    now: Timestamp,
) -> Result<()> {
    let org = acting.org();
    tx.lock_org(org).await?;
    let Some(before) = tx.find_default_policy(org).await? else {
        return Err(CoreError::internal("the organization has no default policy"));
    };
    let sso = &before.settings.sso;
    let others = tx.list_idps(org).await?.into_iter().filter(|i| i.id != idp).count();
    let rule = match (on, sso.enforced, sso.identity_provider_id) {
        (true, false, _) => SsoRule {
            enforced: true,
            identity_provider_id: Some(idp),
        },
        (true, true, Some(named)) if named != idp => SsoRule {
            enforced: true,
            identity_provider_id: None,
        },
        (false, true, Some(named)) if named == idp => SsoRule::default(),
        (false, true, None) if others == 0 => SsoRule::default(),
        (false, true, None) => {
            return Err(CoreError::conflict(
                "policy_enforces_sso",
                Some("enforced"),
                "The default policy enforces single sign-on through every provider: change it in the policy.",
            ));
        }
        _ => return Ok(()),
    };
    let mut after = before.clone();
    after.settings.sso = rule;
    after.updated_at = now;
    let ways = ways_in(tx, org).await?;
    tx.update_policy(&after).await?;
    refuse_lockout(tx, org, ways).await?;
    let ev = acting
        .event(AuditAction::PolicyUpdated, now)
        .target("policy", after.id, Some(&after.name))
        .target("identity_provider", idp, None)
        .before(&before)
        .after(&after);
    tx.insert_event(&ev).await
}
