//! Moving managed accounts between policies, and ending the sessions of a policy's members.

use crate::Timestamp;
use crate::acting::Acting;
use crate::audit::AuditAction;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, PolicyId};
use crate::policy::Policy;
use crate::ports::prelude::*;
use std::collections::{HashMap, HashSet};

/// The most accounts one move takes (the console's CSV upload included).
pub const MAX_MOVE: usize = 10_000;
/// Accounts read per query.
pub(super) const CHUNK: usize = 500;

/// What happened to one account of a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveOutcome {
    Moved {
        from: PolicyId,
    },
    /// It was in the policy already.
    AlreadyMember,
    /// The organization does not manage it (or there is no such account).
    NotManaged,
}

impl MoveOutcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Moved { .. } => "moved",
            Self::AlreadyMember => "already_member",
            Self::NotManaged => "not_managed",
        }
    }
}

/// Every account asked for, in the order asked, with what happened to it.
#[derive(Debug, Clone, Default)]
pub struct MoveReport {
    pub rows: Vec<(AccountId, MoveOutcome)>,
}

impl MoveReport {
    pub fn moved(&self) -> usize {
        self.rows
            .iter()
            .filter(|(_, o)| matches!(o, MoveOutcome::Moved { .. }))
            .count()
    }
}

/// Refuses an empty move, one over [`MAX_MOVE`], and one naming an account twice.
pub(super) fn check_move(accounts: &[AccountId]) -> Result<()> {
    if accounts.is_empty() {
        return Err(CoreError::validation("account_ids", "must name at least one account"));
    }
    if accounts.len() > MAX_MOVE {
        return Err(CoreError::validation(
            "account_ids",
            format!("must name at most {MAX_MOVE} accounts"),
        ));
    }
    let mut seen = HashSet::with_capacity(accounts.len());
    if let Some(dup) = accounts.iter().find(|a| !seen.insert(**a)) {
        return Err(CoreError::validation("account_ids", format!("names {dup} twice")));
    }
    Ok(())
}

/// Moves the accounts into `target` inside the caller's transaction (which holds the
/// organization's lock), one `policy.member_moved` event per account moved.
pub(super) async fn move_in<T: Reads + Writes + Send>(
    tx: &mut T,
    acting: &Acting,
    target: &Policy,
    accounts: &[AccountId],
    now: Timestamp,
) -> Result<MoveReport> {
    let org = target.org_id;
    let names: HashMap<PolicyId, String> = tx
        .list_policies(org)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut report = MoveReport::default();
    for chunk in accounts.chunks(CHUNK) {
        let found: HashMap<AccountId, (String, PolicyId)> = tx
            .find_managed_members(org, chunk)
            .await?
            .into_iter()
            .map(|(m, p)| (m.account.id, (m.account.email, p)))
            .collect();
        let mut moving = Vec::new();
        let mut events = Vec::new();
        for id in chunk {
            let outcome = match found.get(id) {
                None => MoveOutcome::NotManaged,
                Some((_, from)) if *from == target.id => MoveOutcome::AlreadyMember,
                Some((email, from)) => {
                    moving.push(*id);
                    events.push(
                        acting
                            .event(AuditAction::PolicyMemberMoved, now)
                            .target("account", id, Some(email))
                            .target("policy", target.id, Some(&target.name))
                            .before(&serde_json::json!({ "policy_id": from, "policy_name": names.get(from) }))
                            .after(&serde_json::json!({ "policy_id": target.id, "policy_name": target.name })),
                    );
                    MoveOutcome::Moved { from: *from }
                }
            };
            report.rows.push((*id, outcome));
        }
        // One statement and one batch of events per chunk, under the organization's lock.
        if tx.set_accounts_policy(org, &moving, target.id).await? != moving.len() as u64 {
            return Err(CoreError::internal("a managed account vanished during its move"));
        }
        tx.insert_events(&events).await?;
    }
    Ok(report)
}

/// Ends every session (and product session, and sign-in waiting for its second step) of the
/// policy's members, so its session rules apply from their next sign-in.
pub(super) async fn end_sessions<T: Reads + Writes + Send>(
    tx: &mut T,
    acting: &Acting,
    policy: &Policy,
    now: Timestamp,
) -> Result<()> {
    let mut after = None;
    let mut ended = 0u64;
    loop {
        let page = tx.list_policy_members(policy, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.account.id);
        for m in &page {
            ended += tx.delete_sessions_of(m.account.id).await?;
            tx.delete_pending_signins_of(m.account.id).await?;
            crate::services::provider::end_account_grants(tx, m.account.id, now).await?;
        }
    }
    let ev = acting
        .event(AuditAction::PolicySessionsEnded, now)
        .target("policy", policy.id, Some(&policy.name))
        .after(&serde_json::json!({ "sessions_ended": ended }));
    tx.insert_event(&ev).await
}
