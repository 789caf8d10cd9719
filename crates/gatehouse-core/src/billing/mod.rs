//! Who an organization pays for. One classifier decides for every account: the per-account
//! `billable` flag, the organization's billable count, the bill's breakdown by rule and its
//! amount are all computed from it, so they can never disagree. Billing, like enforcement,
//! applies to the accounts the organization manages only: any other account is the person's own.
//!
//! The store keeps each account's [`BillingFacts`] up to date as access, groups, instances,
//! status and policies change, and counts the accounts per set of facts; the classifier then
//! needs one call per distinct set, not one per account.

pub mod bill;
pub mod cycle;
pub mod pricing;
pub mod run;
pub mod subscription;

use crate::product::{FreeKind, Plan};

/// What the organization itself is: its plan and whether it is free (community, academic).
/// These apply to every account it manages at once, so a plan change reclassifies nobody in
/// the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgTerms {
    pub plan: Plan,
    pub free: Option<FreeKind>,
}

/// What billing needs to know about one account in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent yes/no facts, each one bit of the store's facts column"
)]
pub struct BillingFacts {
    /// Whether the organization manages the account (see `services::management`).
    pub is_managed: bool,
    /// Whether the account is active (a deactivated account is never billed).
    pub active: bool,
    /// Access to a product instance of the organization, directly or through a group, and the
    /// account is not suspended there. Every access fact below implies this one.
    pub has_product_access: bool,
    /// The account is in a non-billable authentication policy.
    pub non_billable_policy: bool,
    /// Access to a Statuspage instance on `startup` edition or higher, in any role.
    pub statuspage_paid: bool,
    /// Access in a role other than Jira Service Management's portal-only `customer`.
    pub beyond_portal: bool,
    /// Access, in a role other than `customer`, to an instance below the `enterprise` edition.
    /// *Decided*: portal-only access is free anyway, so it does not make an account that
    /// otherwise uses Enterprise instances only billable.
    pub below_enterprise: bool,
}

/// The one rule that decides an account's bill, checked in this order: the first that applies
/// is the account's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingRule {
    /// Deactivated accounts are never billed, whatever access they keep.
    Deactivated,
    /// An account the organization does not manage is the person's own: the organization
    /// does not pay for it, whatever access it grants it.
    Unmanaged,
    /// A community or academic organization pays for nobody.
    FreeOrg,
    /// An organization on the `enterprise` plan has Gatehouse included.
    EnterprisePlan,
    /// The organization put the account in a non-billable policy (basic protection only).
    NonBillablePolicy,
    /// Access to a paid Statuspage instance includes Gatehouse, whatever else the account uses.
    StatuspagePaid,
    /// Jira Service Management portal-only customers are free.
    JsmPortalOnly,
    /// All of the account's product access is on `enterprise`-edition instances, which include
    /// Gatehouse.
    EnterpriseEditionsOnly,
    /// An account with no access to any product of the organization costs nothing.
    NoProductAccess,
    /// Managed, active, with product access that no rule above excludes.
    Billable,
}

impl BillingRule {
    /// Every rule, in the order they are checked.
    pub const ALL: [BillingRule; 10] = [
        Self::Deactivated,
        Self::Unmanaged,
        Self::FreeOrg,
        Self::EnterprisePlan,
        Self::NonBillablePolicy,
        Self::StatuspagePaid,
        Self::JsmPortalOnly,
        Self::EnterpriseEditionsOnly,
        Self::NoProductAccess,
        Self::Billable,
    ];

    /// The stable name of the rule.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deactivated => "deactivated",
            Self::Unmanaged => "unmanaged",
            Self::FreeOrg => "free_org",
            Self::EnterprisePlan => "enterprise_plan",
            Self::NonBillablePolicy => "non_billable_policy",
            Self::StatuspagePaid => "statuspage_paid",
            Self::JsmPortalOnly => "jsm_portal_only",
            Self::EnterpriseEditionsOnly => "enterprise_editions_only",
            Self::NoProductAccess => "no_product_access",
            Self::Billable => "billable",
        }
    }

    /// The rule with this name (a filter's value), or a validation error naming `field`.
    pub fn parse(s: &str, field: &'static str) -> crate::Result<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
            crate::CoreError::validation(field, format!("must be one of: {}", names.join(", ")))
        })
    }

    pub fn is_billable(self) -> bool {
        self == Self::Billable
    }
}

impl std::fmt::Display for BillingRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule that applies to an account with these facts in an organization on these terms.
pub fn classify(terms: OrgTerms, facts: BillingFacts) -> BillingRule {
    use BillingRule as R;
    if !facts.active {
        R::Deactivated
    } else if !facts.is_managed {
        R::Unmanaged
    } else if terms.free.is_some() {
        R::FreeOrg
    } else if terms.plan == Plan::Enterprise {
        R::EnterprisePlan
    } else if facts.non_billable_policy {
        R::NonBillablePolicy
    } else if facts.statuspage_paid {
        R::StatuspagePaid
    } else if facts.has_product_access && !facts.beyond_portal {
        R::JsmPortalOnly
    } else if facts.has_product_access && !facts.below_enterprise {
        R::EnterpriseEditionsOnly
    } else if !facts.has_product_access {
        R::NoProductAccess
    } else {
        R::Billable
    }
}

/// How many of an organization's accounts share the same facts. `key` is the store's name for
/// the set (what a listing filters on); the classifier never reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsCount {
    pub key: i64,
    pub facts: BillingFacts,
    pub accounts: i64,
}

/// The accounts of an organization counted per rule: every rule appears, in order, and the
/// counts sum to all the organization's accounts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleCounts(pub Vec<(BillingRule, i64)>);

impl RuleCounts {
    pub fn of(terms: OrgTerms, groups: &[FactsCount]) -> Self {
        let mut counts: Vec<(BillingRule, i64)> = BillingRule::ALL.iter().map(|r| (*r, 0)).collect();
        for g in groups {
            let rule = classify(terms, g.facts);
            if let Some(slot) = counts.iter_mut().find(|(r, _)| *r == rule) {
                slot.1 += g.accounts;
            }
        }
        Self(counts)
    }

    pub fn get(&self, rule: BillingRule) -> i64 {
        self.0.iter().find(|(r, _)| *r == rule).map_or(0, |(_, n)| *n)
    }

    pub fn billable(&self) -> i64 {
        self.get(BillingRule::Billable)
    }

    pub fn total(&self) -> i64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// The store keys of the groups that fall under `rules` on these terms (what a listing by rule
/// or by billable flag reads).
pub fn keys_for(terms: OrgTerms, groups: &[FactsCount], rules: &[BillingRule]) -> Vec<i64> {
    groups
        .iter()
        .filter(|g| rules.contains(&classify(terms, g.facts)))
        .map(|g| g.key)
        .collect()
}

/// The billable accounts among these groups.
pub fn count_billable(terms: OrgTerms, groups: &[FactsCount]) -> i64 {
    RuleCounts::of(terms, groups).billable()
}

#[cfg(test)]
mod tests;
