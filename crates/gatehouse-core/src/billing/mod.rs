//! Who an organization pays for. One classifier decides for every account, and both the
//! per-account `billable` flag and the organization's billable count are computed from it, so
//! the two can never disagree. Billing, like enforcement, applies to the accounts the
//! organization manages only: any other account is the person's own.

pub mod cycle;
pub mod subscription;

use crate::product::AccountStatus;

/// What billing needs to know about one account in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BillingFacts {
    /// Whether the organization manages the account (see `services::management`).
    pub is_managed: bool,
    pub status: AccountStatus,
    /// Access to a product instance of the organization, directly or through a group.
    pub has_product_access: bool,
    /// The account is in a non-billable authentication policy.
    pub non_billable_policy: bool,
}

/// The one rule that decides an account's bill, checked in this order: the first that applies
/// is the account's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingRule {
    /// An account the organization does not manage is the person's own: the organization
    /// does not pay for it, whatever access it grants it.
    NotManaged,
    /// Deactivated accounts are never billed, whatever access they keep.
    Deactivated,
    /// The organization put the account in a non-billable policy (basic protection only).
    NonBillablePolicy,
    /// An account with no access to any product of the organization costs nothing.
    NoProductAccess,
    /// Active, with product access.
    Billable,
}

impl BillingRule {
    /// The stable name of the rule.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotManaged => "not_managed",
            Self::Deactivated => "deactivated",
            Self::NonBillablePolicy => "non_billable_policy",
            Self::NoProductAccess => "no_product_access",
            Self::Billable => "billable",
        }
    }

    pub fn is_billable(self) -> bool {
        self == Self::Billable
    }
}

/// The rule that applies to an account with these facts.
pub fn classify(facts: BillingFacts) -> BillingRule {
    if !facts.is_managed {
        BillingRule::NotManaged
    } else if facts.status != AccountStatus::Active {
        BillingRule::Deactivated
    } else if facts.non_billable_policy {
        BillingRule::NonBillablePolicy
    } else if !facts.has_product_access {
        BillingRule::NoProductAccess
    } else {
        BillingRule::Billable
    }
}

/// How many of an organization's accounts share the same facts (the store counts them in one
/// grouped query; the classifier then needs one call per group, not per account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsCount {
    pub facts: BillingFacts,
    pub accounts: i64,
}

/// The billable accounts among these groups.
pub fn count_billable(groups: &[FactsCount]) -> i64 {
    groups
        .iter()
        .filter(|g| classify(g.facts).is_billable())
        .map(|g| g.accounts)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: AccountStatus, has_product_access: bool) -> BillingFacts {
        BillingFacts {
            is_managed: true,
            status,
            has_product_access,
            non_billable_policy: false,
        }
    }

    #[test]
    fn only_active_accounts_with_product_access_are_billed() {
        assert_eq!(classify(facts(AccountStatus::Active, true)), BillingRule::Billable);
        assert_eq!(
            classify(facts(AccountStatus::Active, false)),
            BillingRule::NoProductAccess
        );
        assert_eq!(
            classify(facts(AccountStatus::Deactivated, true)),
            BillingRule::Deactivated
        );
        assert_eq!(
            classify(facts(AccountStatus::Deactivated, false)),
            BillingRule::Deactivated
        );
    }

    #[test]
    fn a_non_billable_policys_members_are_not_billed() {
        let member = BillingFacts {
            non_billable_policy: true,
            ..facts(AccountStatus::Active, true)
        };
        assert_eq!(classify(member), BillingRule::NonBillablePolicy);
        assert!(!classify(member).is_billable());
    }

    #[test]
    fn an_account_the_organization_does_not_manage_is_never_billed_to_it() {
        let external = BillingFacts {
            is_managed: false,
            ..facts(AccountStatus::Active, true)
        };
        assert_eq!(classify(external), BillingRule::NotManaged);
        assert!(!classify(external).is_billable());
        assert_eq!(
            count_billable(&[FactsCount {
                facts: external,
                accounts: 4
            }]),
            0
        );
    }

    #[test]
    fn the_count_adds_the_billable_groups_only() {
        let groups = [
            FactsCount {
                facts: facts(AccountStatus::Active, true),
                accounts: 7,
            },
            FactsCount {
                facts: facts(AccountStatus::Active, false),
                accounts: 5,
            },
            FactsCount {
                facts: facts(AccountStatus::Deactivated, true),
                accounts: 3,
            },
        ];
        assert_eq!(count_billable(&groups), 7);
    }
}
