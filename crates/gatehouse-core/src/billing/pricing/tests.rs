use super::*;
use proptest::prelude::*;

fn table() -> PriceTable {
    PriceTable::default()
}

fn total(users: u64) -> u128 {
    table().monthly_total(users).total_cents
}

fn spec(up_to: Option<i64>, unit_cents: i64) -> TierSpec {
    TierSpec { up_to, unit_cents }
}

/// The fields a refused table names.
fn refused(currency: &str, tiers: &[TierSpec], annual: &[i64]) -> Vec<(String, String)> {
    match PriceTable::new(currency, tiers, annual) {
        Err(CoreError::Validation { fields }) => fields.into_iter().map(|f| (f.field, f.message)).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn monthly_totals_at_the_tier_boundaries_match_the_hand_computed_figures() {
    let cases: [(u64, u128); 13] = [
        (0, 0),
        (1, 400),
        // 100 × 400
        (100, 40_000),
        // 40,000 + 1 × 350
        (101, 40_350),
        // 40,000 + 900 × 350 = 40,000 + 315,000
        (1_000, 355_000),
        // 355,000 + 1 × 275
        (1_001, 355_275),
        // 355,000 + 4,000 × 275 = 355,000 + 1,100,000
        (5_000, 1_455_000),
        // 1,455,000 + 1 × 160
        (5_001, 1_455_160),
        // 1,455,000 + 5,000 × 160 = 1,455,000 + 800,000
        (10_000, 2_255_000),
        // 2,255,000 + 15,000 × 105 = 2,255,000 + 1,575,000
        (25_000, 3_830_000),
        // 3,830,000 + 25,000 × 85 = 3,830,000 + 2,125,000
        (50_000, 5_955_000),
        // 5,955,000 + 1 × 65
        (50_001, 5_955_065),
        // 5,955,000 + 950,000 × 65 = 5,955,000 + 61,750,000
        (1_000_000, 67_705_000),
    ];
    for (users, cents) in cases {
        assert_eq!(total(users), cents, "{users} users");
    }
}

#[test]
fn a_quote_breaks_the_total_down_by_tier() {
    // The brief's example: 150 users = 100 × 400 + 50 × 350.
    let q = table().monthly_total(150);
    assert_eq!(q.total_cents, 57_500);
    assert_eq!(
        q.tiers,
        vec![
            TierLine {
                from: 1,
                to: Some(100),
                users: 100,
                unit_cents: 400,
                subtotal_cents: 40_000
            },
            TierLine {
                from: 101,
                to: Some(1_000),
                users: 50,
                unit_cents: 350,
                subtotal_cents: 17_500
            },
        ]
    );
    // 57,500 / 150 = 383.33…
    assert_eq!(q.average_cents_per_user, 383);
    let big = table().monthly_total(1_000_000);
    assert_eq!(big.tiers.len(), 7);
    let last = big.tiers[6];
    assert_eq!(
        (last.from, last.to, last.users, last.unit_cents),
        (50_001, None, 950_000, 65)
    );
    assert_eq!(last.subtotal_cents, 61_750_000);
    assert!(table().monthly_total(0).tiers.is_empty());
}

#[test]
fn averages_round_half_up_and_are_zero_for_nobody() {
    let avg = |u| table().monthly_total(u).average_cents_per_user;
    assert_eq!(avg(0), 0);
    assert_eq!(avg(1), 400);
    // 40,350 / 101 = 399.505 → 400
    assert_eq!(avg(101), 400);
    // 355,275 / 1,001 = 354.93 → 355
    assert_eq!(avg(1_001), 355);
    // 5,955,065 / 50,001 = 119.099 → 119
    assert_eq!(avg(50_001), 119);
    // 67,705,000 / 1,000,000 = 67.705 → 68
    assert_eq!(avg(1_000_000), 68);
    assert_eq!(average_cents(5, 2), 3, "2.5 rounds up");
    assert_eq!(average_cents(7, 3), 2, "2.33 rounds down");
}

#[test]
fn annual_tiers_cost_ten_months_of_their_user_count() {
    let prices = table().annual_prices();
    let expected: [(u64, u128); 12] = [
        (25, 100_000),       // 10 × 25 × 400
        (50, 200_000),       // 10 × 50 × 400
        (100, 400_000),      // 10 × 40,000
        (250, 925_000),      // 10 × (40,000 + 150 × 350 = 92,500)
        (500, 1_800_000),    // 10 × (40,000 + 400 × 350 = 180,000)
        (1_000, 3_550_000),  // 10 × 355,000
        (2_000, 6_300_000),  // 10 × (355,000 + 1,000 × 275 = 630,000)
        (5_000, 14_550_000), // 10 × 1,455,000
        (10_000, 22_550_000),
        (25_000, 38_300_000),
        (50_000, 59_550_000),
        (100_000, 92_050_000), // 10 × (5,955,000 + 50,000 × 65 = 9,205,000)
    ];
    assert_eq!(prices, expected);
}

#[test]
fn annual_for_takes_the_smallest_tier_that_holds_the_users() {
    let t = table();
    let a = t.annual_for(26);
    assert_eq!((a.tier, a.total_cents), (Some(50), 200_000));
    assert_eq!(a.monthly.users, 50, "the breakdown is the tier's");
    // 200,000 / 26 = 7,692.3
    assert_eq!(a.average_cents_per_user, 7_692);
    assert_eq!(t.annual_for(25).total_cents, 100_000);
    assert_eq!(t.annual_for(250).total_cents, 925_000);
    assert_eq!(t.annual_for(251).tier, Some(500));
    let nobody = t.annual_for(0);
    assert_eq!(
        (nobody.tier, nobody.total_cents, nobody.average_cents_per_user),
        (Some(25), 100_000, 0)
    );
    assert_eq!(t.annual_for(100_000).tier, Some(100_000));
}

#[test]
fn above_the_last_annual_tier_the_year_is_ten_months_of_the_users_own_total() {
    let t = table();
    let a = t.annual_for(100_001);
    // 10 × (9,205,000 + 65)
    assert_eq!((a.tier, a.total_cents), (None, 92_050_650));
    assert_eq!(a.monthly.users, 100_001);
    // 10 × 67,705,000
    assert_eq!(t.annual_for(1_000_000).total_cents, 677_050_000);
}

#[test]
fn a_tier_outgrown_gives_the_quote_of_the_tier_that_holds_the_users() {
    let t = table();
    assert_eq!(t.next_tier_quote(250, 250), None, "still fits");
    assert_eq!(t.next_tier_quote(250, 10), None);
    let up = t.next_tier_quote(250, 251).unwrap();
    assert_eq!((up.tier, up.total_cents), (Some(500), 1_800_000));
    let beyond = t.next_tier_quote(100_000, 120_000).unwrap();
    assert_eq!(beyond.tier, None);
    // A tier of an older list (300) is still compared by its size.
    assert_eq!(t.next_tier_quote(300, 260), None);
}

#[test]
fn counts_near_the_top_of_u64_do_not_overflow() {
    let q = table().monthly_total(u64::MAX);
    let lines: u128 = q.tiers.iter().map(|l| u128::from(l.users)).sum();
    assert_eq!(lines, u128::from(u64::MAX));
    assert_eq!(q.tiers.iter().map(|l| l.subtotal_cents).sum::<u128>(), q.total_cents);
    let a = table().annual_for(u64::MAX);
    assert_eq!(a.total_cents, 10 * q.total_cents);
    let t = PriceTable::new("USD", &[spec(None, i64::from(u32::MAX))], &[1]).unwrap();
    assert_eq!(
        t.annual_for(u64::MAX).total_cents,
        10 * u128::from(u64::MAX) * u128::from(u32::MAX)
    );
}

#[test]
fn a_custom_table_is_priced_by_its_own_tiers() {
    let t = PriceTable::new("EUR", &[spec(Some(10), 1_000), spec(None, 500)], &[5, 20]).unwrap();
    assert_eq!(t.currency().as_str(), "EUR");
    // 10 × 1,000 + 2 × 500
    assert_eq!(t.monthly_total(12).total_cents, 11_000);
    // tier 20: 10 × (10,000 + 10 × 500)
    assert_eq!(t.annual_for(12).total_cents, 150_000);
    assert_eq!(t.tiers()[1].from(), 11);
    assert_eq!(t.tiers()[1].to(), None);
    let free = PriceTable::new("USD", &[spec(None, 0)], &[1]).unwrap();
    assert_eq!(free.monthly_total(5).total_cents, 0);
}

#[test]
fn a_table_that_breaks_a_rule_is_refused_naming_the_tier() {
    let ok = [spec(Some(100), 400), spec(None, 300)];
    let only = |fields: Vec<(String, String)>| fields.into_iter().map(|(f, _)| f).collect::<Vec<_>>();
    assert_eq!(only(refused("usd", &ok, &[25])), ["currency"]);
    assert_eq!(only(refused("USD", &[], &[25])), ["tiers"]);
    let rising = refused("USD", &[spec(Some(100), 400), spec(None, 450)], &[25]);
    assert_eq!(rising[0].0, "tiers[1].unit_cents");
    assert!(
        rising[0].1.contains("tier 2 costs 450 cents, more than tier 1's 400"),
        "{rising:?}"
    );
    let negative = refused("USD", &[spec(Some(100), -1), spec(None, -2)], &[25]);
    assert_eq!(only(negative.clone()), ["tiers[0].unit_cents", "tiers[1].unit_cents"]);
    assert!(negative[0].1.contains("must not be negative"), "{negative:?}");
    let huge = refused("USD", &[spec(None, i64::from(u32::MAX) + 1)], &[25]);
    assert!(huge[0].1.contains("too large"), "{huge:?}");
    let descending = refused(
        "USD",
        &[spec(Some(100), 400), spec(Some(50), 300), spec(None, 200)],
        &[25],
    );
    assert_eq!(descending[0].0, "tiers[1].up_to");
    assert!(descending[0].1.contains("already prices up to 100"), "{descending:?}");
    let repeated = refused(
        "USD",
        &[spec(Some(100), 400), spec(Some(100), 300), spec(None, 200)],
        &[25],
    );
    assert_eq!(only(repeated), ["tiers[1].up_to"]);
    assert_eq!(
        only(refused("USD", &[spec(Some(0), 400), spec(None, 300)], &[25])),
        ["tiers[0].up_to"]
    );
    assert_eq!(
        only(refused("USD", &[spec(Some(100), 400), spec(Some(200), 300)], &[25])),
        ["tiers[1].up_to"],
        "the last tier must be unbounded"
    );
    assert_eq!(
        only(refused("USD", &[spec(None, 400), spec(None, 300)], &[25])),
        ["tiers[0].up_to"],
        "only the last tier may be unbounded"
    );
    assert_eq!(only(refused("USD", &ok, &[])), ["annual_tiers"]);
    assert_eq!(
        only(refused("USD", &ok, &[25, 25, 0])),
        ["annual_tiers[1]", "annual_tiers[2]"]
    );
    let many = vec![spec(None, 1); MAX_TIERS + 1];
    assert_eq!(only(refused("USD", &many, &[1])), ["tiers"]);
}

#[test]
fn user_counts_are_digits_up_to_the_cap() {
    let parse = |s: &str| parse_user_count(Some(s), "users");
    assert_eq!(parse("0").unwrap(), 0);
    assert_eq!(parse("150").unwrap(), 150);
    assert_eq!(parse("10000000000").unwrap(), MAX_ESTIMATE_USERS);
    let message = |r: Result<u64>| match r {
        Err(CoreError::Validation { fields }) => fields[0].message.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(message(parse("-5")), "must not be negative");
    for wrong in ["", "abc", "1.5", "1e3", " 5", "+5", "-", "0x10"] {
        assert!(message(parse(wrong)).starts_with("must be a whole number"), "{wrong:?}");
    }
    assert_eq!(message(parse("10000000001")), "must be at most 10,000,000,000");
    assert_eq!(
        message(parse("99999999999999999999999")),
        "must be at most 10,000,000,000"
    );
    assert!(message(parse_user_count(None, "users")).starts_with("is required"));
}

#[test]
fn an_estimate_is_the_monthly_quote_or_the_annual_tiers_price() {
    let t = table();
    let m = t.estimate(150, Cycle::Monthly);
    assert_eq!(
        (m.total_cents, m.average_cents_per_user, m.annual_tier),
        (57_500, 383, None)
    );
    let a = t.estimate(150, Cycle::Annual);
    assert_eq!((a.total_cents, a.annual_tier), (925_000, Some(250)));
    assert_eq!(
        a.tiers.iter().map(|l| l.users).sum::<u64>(),
        250,
        "the tier's breakdown"
    );
    // 925,000 / 150 = 6,166.67
    assert_eq!(a.average_cents_per_user, 6_167);
    let top = t.estimate(MAX_ESTIMATE_USERS, Cycle::Annual);
    assert!(
        top.total_cents < 1 << 53,
        "the largest published figure is exact in JSON"
    );
    assert_eq!(Cycle::parse("annual").unwrap(), Cycle::Annual);
    assert!(Cycle::parse("Annual").is_err());
    assert!(Cycle::parse("yearly").is_err());
}

/// A valid table: 1 to 8 tiers with ascending bounds and prices that never rise.
fn any_table() -> impl Strategy<Value = PriceTable> {
    (
        prop::collection::btree_set(1i64..200_000, 0..8),
        prop::collection::vec(0i64..1_000, 1..9),
        prop::collection::btree_set(1i64..300_000, 1..12),
    )
        .prop_map(|(bounds, mut prices, annual)| {
            prices.sort_unstable_by(|a, b| b.cmp(a));
            let mut bounds: Vec<Option<i64>> = bounds.into_iter().map(Some).collect();
            bounds.truncate(prices.len() - 1);
            bounds.push(None);
            let specs: Vec<TierSpec> = bounds.iter().zip(&prices).map(|(&b, &p)| spec(b, p)).collect();
            let annual: Vec<i64> = annual.into_iter().collect();
            PriceTable::new("USD", &specs, &annual).expect("generated tables are valid")
        })
}

proptest! {
    #[test]
    fn adding_a_user_never_lowers_the_monthly_total(users in 0u64..2_000_000) {
        prop_assert!(total(users + 1) >= total(users));
    }

    #[test]
    fn adding_a_user_never_raises_the_average(users in 1u64..2_000_000) {
        let t = table();
        prop_assert!(
            t.monthly_total(users + 1).average_cents_per_user <= t.monthly_total(users).average_cents_per_user
        );
    }

    #[test]
    fn the_annual_price_never_falls_as_users_grow(users in 0u64..300_000, more in 1u64..300_000) {
        let t = table();
        prop_assert!(t.annual_for(users + more).total_cents >= t.annual_for(users).total_cents);
        prop_assert!(t.annual_for(users + 1).total_cents >= t.annual_for(users).total_cents);
    }

    #[test]
    fn every_valid_table_keeps_the_three_promises(t in any_table(), users in 1u64..400_000) {
        let (now, next) = (t.monthly_total(users), t.monthly_total(users + 1));
        prop_assert!(next.total_cents >= now.total_cents);
        prop_assert!(next.average_cents_per_user <= now.average_cents_per_user);
        prop_assert!(t.annual_for(users + 1).total_cents >= t.annual_for(users).total_cents);
        prop_assert_eq!(now.tiers.iter().map(|l| l.users).sum::<u64>(), users);
        prop_assert_eq!(now.tiers.iter().map(|l| l.subtotal_cents).sum::<u128>(), now.total_cents);
    }

    #[test]
    fn a_table_whose_price_rises_is_always_refused(low in 0i64..1_000, rise in 1i64..1_000, at in 1i64..1_000) {
        let tiers = [spec(Some(at), low), spec(None, low + rise)];
        prop_assert!(PriceTable::new("USD", &tiers, &[1]).is_err());
    }
}
