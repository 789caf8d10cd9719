//! The simulator: which accounts could not sign in (or must enrol, or change their password)
//! under proposed settings or after a proposed move, before anything is saved. It reads only.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{AccountId, IdpId};
use crate::policy::judge::{Lockout, MemberFacts, lockouts};
use crate::policy::{Policy, PolicySettings};
use crate::ports::PolicyMember;
use crate::ports::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The most accounts a report lists (its counts cover every account).
pub const SIMULATION_LIST: usize = 1000;
const PAGE: u32 = 1000;

/// What to simulate: the policy with these settings (a merge patch over its own), and/or
/// these accounts moved into it. With no accounts, the policy's members.
#[derive(Debug, Default, Clone)]
pub struct Proposal {
    pub settings: Option<serde_json::Value>,
    pub account_ids: Option<Vec<AccountId>>,
}

/// One account the proposal would stop or send through an extra step.
#[derive(Debug, Clone)]
pub struct Simulated {
    pub account_id: AccountId,
    pub email: String,
    pub reasons: Vec<Lockout>,
}

/// The simulator's answer.
#[derive(Debug, Clone)]
pub struct SimulationReport {
    /// The settings simulated.
    pub settings: PolicySettings,
    /// Accounts looked at.
    pub accounts_checked: usize,
    /// Accounts named in the proposal that the organization does not manage.
    pub not_managed: usize,
    /// Accounts with at least one reason.
    pub affected: usize,
    /// Accounts per reason (every reason has a count, zero included).
    pub counts: BTreeMap<&'static str, usize>,
    /// The affected accounts, at most [`SIMULATION_LIST`], in account-id order.
    pub accounts: Vec<Simulated>,
    pub truncated: bool,
}

pub(super) async fn run<R: Reads + Send>(
    r: &mut R,
    policy: &Policy,
    proposal: &Proposal,
    now: Timestamp,
) -> Result<SimulationReport> {
    let settings = match &proposal.settings {
        Some(p) => policy.settings.patched(p)?,
        None => policy.settings.clone(),
    };
    let mut domains: HashMap<String, IdpId> = HashMap::new();
    for idp in r.list_idps(policy.org_id).await? {
        for d in &idp.domains {
            domains.insert(d.clone(), idp.id);
        }
    }
    let mut report = SimulationReport {
        settings,
        accounts_checked: 0,
        not_managed: 0,
        affected: 0,
        counts: [
            Lockout::SsoWithoutIdentityProvider,
            Lockout::TwoStepWithoutMethod,
            Lockout::PasswordRefused(""),
            Lockout::PasswordUnknown,
        ]
        .iter()
        .map(|l| (l.code(), 0))
        .collect(),
        accounts: Vec::new(),
        truncated: false,
    };
    if let Some(ids) = &proposal.account_ids {
        super::members::check_move(ids)?;
        for chunk in ids.chunks(PAGE as usize) {
            let found: Vec<PolicyMember> = r
                .find_managed_members(policy.org_id, chunk)
                .await?
                .into_iter()
                .map(|(m, _)| m)
                .collect();
            report.not_managed += chunk.len() - found.len();
            judge_page(r, &mut report, &domains, &found, now).await?;
        }
        return Ok(report);
    }
    let mut after = None;
    loop {
        let page = r.list_policy_members(policy, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.account.id);
        judge_page(r, &mut report, &domains, &page, now).await?;
    }
    Ok(report)
}

async fn judge_page<R: Reads + Send>(
    r: &mut R,
    report: &mut SimulationReport,
    domains: &HashMap<String, IdpId>,
    page: &[PolicyMember],
    now: Timestamp,
) -> Result<()> {
    let ids: Vec<AccountId> = page.iter().map(|m| m.account.id).collect();
    let methods = r.list_two_step_methods(&ids).await?;
    let enrolled: HashSet<AccountId> = methods
        .iter()
        .filter(|(_, m)| crate::two_step::enrolled(std::slice::from_ref(m)))
        .map(|(a, _)| *a)
        .collect();
    for m in page {
        report.accounts_checked += 1;
        let domain = m.account.email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
        let facts = MemberFacts {
            password: m.password,
            enrolled: enrolled.contains(&m.account.id),
            domain_idp: domain.and_then(|d| domains.get(&d).copied()),
        };
        let reasons = lockouts(&report.settings, &facts, now);
        if reasons.is_empty() {
            continue;
        }
        report.affected += 1;
        for l in &reasons {
            *report.counts.entry(l.code()).or_default() += 1;
        }
        if report.accounts.len() < SIMULATION_LIST {
            report.accounts.push(Simulated {
                account_id: m.account.id,
                email: m.account.email.clone(),
                reasons,
            });
        } else {
            report.truncated = true;
        }
    }
    Ok(())
}
