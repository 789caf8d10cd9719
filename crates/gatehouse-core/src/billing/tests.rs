use super::*;
use proptest::prelude::*;

const STANDARD: OrgTerms = OrgTerms {
    plan: Plan::Standard,
    free: None,
};

/// A managed, active account with billable access (a Jira user on a standard site).
fn user() -> BillingFacts {
    BillingFacts {
        is_managed: true,
        active: true,
        has_product_access: true,
        beyond_portal: true,
        below_enterprise: true,
        ..BillingFacts::default()
    }
}

#[test]
fn each_rule_is_reached_by_the_facts_it_names() {
    let enterprise = OrgTerms {
        plan: Plan::Enterprise,
        free: None,
    };
    let community = OrgTerms {
        plan: Plan::Standard,
        free: Some(FreeKind::Community),
    };
    let cases = [
        (STANDARD, user(), BillingRule::Billable),
        (
            STANDARD,
            BillingFacts {
                active: false,
                ..user()
            },
            BillingRule::Deactivated,
        ),
        (
            STANDARD,
            BillingFacts {
                is_managed: false,
                ..user()
            },
            BillingRule::Unmanaged,
        ),
        (community, user(), BillingRule::FreeOrg),
        (enterprise, user(), BillingRule::EnterprisePlan),
        (
            STANDARD,
            BillingFacts {
                non_billable_policy: true,
                ..user()
            },
            BillingRule::NonBillablePolicy,
        ),
        (
            STANDARD,
            BillingFacts {
                statuspage_paid: true,
                ..user()
            },
            BillingRule::StatuspagePaid,
        ),
        (
            STANDARD,
            BillingFacts {
                beyond_portal: false,
                below_enterprise: false,
                ..user()
            },
            BillingRule::JsmPortalOnly,
        ),
        (
            STANDARD,
            BillingFacts {
                below_enterprise: false,
                ..user()
            },
            BillingRule::EnterpriseEditionsOnly,
        ),
        (
            STANDARD,
            BillingFacts {
                is_managed: true,
                active: true,
                ..BillingFacts::default()
            },
            BillingRule::NoProductAccess,
        ),
    ];
    for (terms, facts, rule) in cases {
        assert_eq!(classify(terms, facts), rule, "{facts:?} on {terms:?}");
    }
}

#[test]
fn the_first_rule_that_applies_wins() {
    // Deactivated before unmanaged, unmanaged before the organization's terms.
    let gone = BillingFacts {
        active: false,
        is_managed: false,
        ..user()
    };
    assert_eq!(classify(STANDARD, gone), BillingRule::Deactivated);
    let free = OrgTerms {
        plan: Plan::Enterprise,
        free: Some(FreeKind::Academic),
    };
    assert_eq!(
        classify(
            free,
            BillingFacts {
                is_managed: false,
                ..user()
            }
        ),
        BillingRule::Unmanaged
    );
    assert_eq!(classify(free, user()), BillingRule::FreeOrg);
    // A paid Statuspage counts whatever else the account uses, even portal-only access.
    let sp = BillingFacts {
        statuspage_paid: true,
        beyond_portal: false,
        ..user()
    };
    assert_eq!(classify(STANDARD, sp), BillingRule::StatuspagePaid);
}

#[test]
fn rule_names_are_stable_and_parse_back() {
    let names: Vec<&str> = BillingRule::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "deactivated",
            "unmanaged",
            "free_org",
            "enterprise_plan",
            "non_billable_policy",
            "statuspage_paid",
            "jsm_portal_only",
            "enterprise_editions_only",
            "no_product_access",
            "billable"
        ]
    );
    for r in BillingRule::ALL {
        assert_eq!(BillingRule::parse(r.as_str(), "rule").unwrap(), r);
    }
    assert!(BillingRule::parse("billed", "rule").is_err());
}

fn any_facts() -> impl Strategy<Value = BillingFacts> {
    // Access facts only with access, as the store records them.
    (any::<[bool; 7]>()).prop_map(|b| {
        let access = b[2];
        BillingFacts {
            is_managed: b[0],
            active: b[1],
            has_product_access: access,
            non_billable_policy: b[3],
            statuspage_paid: access && b[4],
            beyond_portal: access && b[5],
            below_enterprise: access && b[5] && b[6],
        }
    })
}

fn any_terms() -> impl Strategy<Value = OrgTerms> {
    (0..3usize, 0..3usize).prop_map(|(p, f)| OrgTerms {
        plan: Plan::ALL[p],
        free: [None, Some(FreeKind::Community), Some(FreeKind::Academic)][f],
    })
}

proptest! {
    #[test]
    fn the_billable_count_never_exceeds_the_accounts_with_access(
        terms in any_terms(),
        groups in proptest::collection::vec((any_facts(), 0i64..1_000), 0..40),
    ) {
        let groups: Vec<FactsCount> = groups
            .into_iter()
            .enumerate()
            .map(|(i, (facts, accounts))| FactsCount { key: i as i64, facts, accounts })
            .collect();
        let with_access: i64 = groups.iter().filter(|g| g.facts.has_product_access).map(|g| g.accounts).sum();
        let counts = RuleCounts::of(terms, &groups);
        prop_assert!(counts.billable() <= with_access);
        prop_assert_eq!(counts.total(), groups.iter().map(|g| g.accounts).sum::<i64>());
        prop_assert_eq!(counts.billable(), count_billable(terms, &groups));
    }

    #[test]
    fn every_account_gets_exactly_one_rule(terms in any_terms(), facts in any_facts()) {
        let rule = classify(terms, facts);
        let keys = keys_for(terms, &[FactsCount { key: 7, facts, accounts: 1 }], &[rule]);
        prop_assert_eq!(keys, vec![7]);
        prop_assert_eq!(rule.is_billable(), rule == BillingRule::Billable);
    }
}
