//! Pricing through the real interface (issue 17): the public estimate API and the `/pricing`
//! page, on both engines. Nobody signs in. The figures are the published list's, computed by
//! hand in core's unit tests (`billing/pricing.rs`); here they must come back over HTTP the
//! same, a wrong query must be a 400 that says what was wrong, and an operator's price list
//! must replace the published one everywhere.

use gatehouse_server::config::RateLimit;
use gatehouse_server::state::AppState;
use gatehouse_testkit::{Browser, Dialect, Resp, TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

engine_tests!(
    the_estimate_prices_every_tier_boundary_as_computed_by_hand,
    an_estimate_breaks_the_total_down_by_tier,
    annual_estimates_price_the_tier_that_holds_the_users,
    wrong_queries_are_refused_with_400_naming_the_parameter,
    the_estimate_is_public_and_described_in_the_openapi_document,
    the_pricing_page_lists_the_tiers_and_answers_the_calculator_without_javascript,
    the_pricing_page_says_what_was_wrong_with_its_query,
);

mod configured {
    use gatehouse_testkit::dialect_tests;
    dialect_tests!(
        an_operators_price_list_is_quoted_by_the_api_and_the_page,
        a_price_list_that_breaks_a_rule_stops_the_start_naming_the_tier,
        the_estimate_is_limited_per_address_like_the_rest_of_the_api,
    );
    use super::{
        a_price_list_that_breaks_a_rule_stops_the_start_naming_the_tier,
        an_operators_price_list_is_quoted_by_the_api_and_the_page,
        the_estimate_is_limited_per_address_like_the_rest_of_the_api,
    };
}

/// `GET /api/v1/billing/estimate?{query}` with no credentials.
async fn estimate(app: &TestApp, query: &str) -> Resp {
    app.send(
        app.client.get(format!("{}/api/v1/billing/estimate?{query}", app.base)),
        None,
    )
    .await
}

/// The estimate for a query that must succeed.
async fn priced(app: &TestApp, query: &str) -> Value {
    let r = estimate(app, query).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
    r.json
}

async fn the_estimate_prices_every_tier_boundary_as_computed_by_hand(app: TestApp) {
    // (users, total, average per user rounded half up); the sums are in core's tests.
    let cases: [(u64, u64, u64); 13] = [
        (0, 0, 0),
        (1, 400, 400),
        (100, 40_000, 400),
        (101, 40_350, 400),
        (1_000, 355_000, 355),
        (1_001, 355_275, 355),
        (5_000, 1_455_000, 291),
        (5_001, 1_455_160, 291),
        (10_000, 2_255_000, 226),
        (25_000, 3_830_000, 153),
        (50_000, 5_955_000, 119),
        (50_001, 5_955_065, 119),
        (1_000_000, 67_705_000, 68),
    ];
    for (users, total, average) in cases {
        let e = priced(&app, &format!("users={users}")).await;
        assert_eq!(e["total_cents"], total, "{users} users: {e}");
        assert_eq!(e["average_cents_per_user"], average, "{users} users: {e}");
        assert_eq!(e["users"], users);
        assert_eq!(e["cycle"], "monthly", "monthly is the default");
        assert_eq!(e["currency"], "USD");
        assert_eq!(e["annual_tier"], Value::Null);
        let lines = e["tiers"].as_array().unwrap();
        let counted: u64 = lines.iter().map(|l| l["users"].as_u64().unwrap()).sum();
        let summed: u64 = lines.iter().map(|l| l["subtotal_cents"].as_u64().unwrap()).sum();
        assert_eq!((counted, summed), (users, total), "{e}");
    }
    let explicit = priced(&app, "users=1001&cycle=monthly").await;
    assert_eq!(explicit["total_cents"], 355_275);
}

async fn an_estimate_breaks_the_total_down_by_tier(app: TestApp) {
    let e = priced(&app, "users=150").await;
    assert_eq!(
        e,
        json!({
            "users": 150, "cycle": "monthly", "currency": "USD",
            "total_cents": 57_500, "average_cents_per_user": 383,
            "tiers": [
                {"from": 1, "to": 100, "users": 100, "unit_cents": 400, "subtotal_cents": 40_000},
                {"from": 101, "to": 1_000, "users": 50, "unit_cents": 350, "subtotal_cents": 17_500},
            ],
            "annual_tier": null,
        })
    );
    let big = priced(&app, "users=1000000").await;
    let last = &big["tiers"][6];
    assert_eq!(
        *last,
        json!({"from": 50_001, "to": null, "users": 950_000, "unit_cents": 65, "subtotal_cents": 61_750_000})
    );
    assert_eq!(priced(&app, "users=0").await["tiers"], json!([]));
}

async fn annual_estimates_price_the_tier_that_holds_the_users(app: TestApp) {
    // Each tier: 10 × the monthly total of its user count.
    let tiers: [(u64, u64); 12] = [
        (25, 100_000),
        (50, 200_000),
        (100, 400_000),
        (250, 925_000),
        (500, 1_800_000),
        (1_000, 3_550_000),
        (2_000, 6_300_000),
        (5_000, 14_550_000),
        (10_000, 22_550_000),
        (25_000, 38_300_000),
        (50_000, 59_550_000),
        (100_000, 92_050_000),
    ];
    for (tier, price) in tiers {
        let e = priced(&app, &format!("users={tier}&cycle=annual")).await;
        assert_eq!(
            (&e["annual_tier"], &e["total_cents"]),
            (&json!(tier), &json!(price)),
            "{e}"
        );
    }
    let between = priced(&app, "users=150&cycle=annual").await;
    assert_eq!(between["annual_tier"], 250, "{between}");
    assert_eq!(between["total_cents"], 925_000);
    assert_eq!(between["cycle"], "annual");
    // The breakdown is the tier's month: 100 × 400 + 150 × 350.
    assert_eq!(between["tiers"][0]["users"], 100);
    assert_eq!(between["tiers"][1]["users"], 150);
    assert_eq!(between["tiers"][1]["subtotal_cents"], 52_500);
    // 925,000 / 150 = 6,166.67 per user per year.
    assert_eq!(between["average_cents_per_user"], 6_167);
    let above = priced(&app, "users=100001&cycle=annual").await;
    // 10 × (9,205,000 + 65): no tier, the users' own count.
    assert_eq!(
        (&above["annual_tier"], &above["total_cents"]),
        (&Value::Null, &json!(92_050_650))
    );
    assert_eq!(above["tiers"][6]["users"], 50_001);
    let nobody = priced(&app, "users=0&cycle=annual").await;
    assert_eq!(
        (&nobody["annual_tier"], &nobody["total_cents"]),
        (&json!(25), &json!(100_000))
    );
    assert_eq!(nobody["average_cents_per_user"], 0);
}

async fn wrong_queries_are_refused_with_400_naming_the_parameter(app: TestApp) {
    let cases = [
        ("", "users", "is required"),
        ("cycle=annual", "users", "is required"),
        ("users=-5", "users", "must not be negative"),
        ("users=abc", "users", "must be a whole number"),
        ("users=1.5", "users", "must be a whole number"),
        ("users=", "users", "must be a whole number"),
        ("users=%2B5", "users", "must be a whole number"),
        ("users=10000000001", "users", "must be at most 10,000,000,000"),
        (
            "users=99999999999999999999999999",
            "users",
            "must be at most 10,000,000,000",
        ),
        ("users=10&cycle=yearly", "cycle", "must be monthly or annual"),
        ("users=10&cycle=Annual", "cycle", "must be monthly or annual"),
        ("users=10&cycle=", "cycle", "must be monthly or annual"),
        ("users=10&currency=EUR", "currency", "unknown field"),
        ("users=10&users=20", "users", "duplicate field"),
    ];
    for (query, field, says) in cases {
        let r = estimate(&app, query).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert_eq!(r.headers["content-type"], "application/problem+json", "{query}");
        assert_eq!(r.code(), "invalid_query", "{query}: {}", r.text);
        assert_eq!(r.json["status"], 400);
        assert_eq!(r.json["errors"][0]["field"], field, "{query}: {}", r.text);
        assert!(r.json["detail"].as_str().unwrap().contains(says), "{query}: {}", r.text);
    }
    assert_eq!(
        priced(&app, "users=10000000000").await["users"],
        10_000_000_000u64,
        "the cap itself is priced"
    );
}

async fn the_estimate_is_public_and_described_in_the_openapi_document(app: TestApp) {
    // A stranger's made-up key changes nothing: the estimate reads no credential.
    let r = app
        .send(
            app.client
                .get(format!("{}/api/v1/billing/estimate?users=150", app.base))
                .bearer_auth("ghk_made_up"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["total_cents"], 57_500);
    let post = app
        .send(
            app.client.post(format!("{}/api/v1/billing/estimate?users=1", app.base)),
            None,
        )
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    let doc: Value = serde_json::from_str(&gatehouse_server::api::openapi_document()).unwrap();
    let op = &doc["paths"]["/api/v1/billing/estimate"]["get"];
    assert_eq!(op["tags"][0], "billing", "{op}");
    assert!(op.get("security").is_none(), "no sign-in: {op}");
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["users", "cycle"]);
}

async fn the_pricing_page_lists_the_tiers_and_answers_the_calculator_without_javascript(app: TestApp) {
    let b = Browser::new(&app.base);
    let list = b.get("/pricing").await;
    assert_eq!(list.status, StatusCode::OK, "no sign-in: {}", list.body);
    assert!(list.body.contains("Per user per month (USD)"), "{}", list.body);
    for row in [
        "<td>1–100</td><td>4.00</td>",
        "<td>101–1,000</td><td>3.50</td>",
        "<td>50,001+</td><td>0.65</td>",
    ] {
        assert!(list.body.contains(row), "the tier table shows {row}");
    }
    // The annual column: 250 users, 10 × 925.00.
    assert!(list.body.contains("<td>250</td><td>9,250.00</td>"), "{}", list.body);
    assert!(list.body.contains("<form method=\"get\" action=\"/pricing#estimate\">"));
    assert!(
        !list.body.contains("id=\"estimate-answer\""),
        "nothing asked, nothing answered"
    );

    let monthly = b.get("/pricing?users=150&cycle=monthly").await;
    assert_eq!(monthly.status, StatusCode::OK);
    assert!(
        monthly.body.contains("150 users: 575.00 USD a month"),
        "{}",
        monthly.body
    );
    assert!(
        monthly.body.contains("on average 3.83 USD per user per month"),
        "{}",
        monthly.body
    );
    assert!(monthly.body.contains("<td>101–150</td><td>3.50</td><td>175.00</td>"));
    assert!(monthly.body.contains("value=\"150\""), "the form keeps the count");

    let annual = b.get("/pricing?users=150&cycle=annual").await;
    assert!(
        annual.body.contains("150 users: 9,250.00 USD a year"),
        "{}",
        annual.body
    );
    assert!(annual.body.contains("The 250-user annual tier"), "{}", annual.body);
    assert!(
        annual.body.contains("on average 61.67 USD per user per year"),
        "{}",
        annual.body
    );
    assert!(annual.body.contains("<option value=\"annual\" selected>"));
    let above = b.get("/pricing?users=1000000&cycle=annual").await;
    assert!(
        above.body.contains("1,000,000 users: 6,770,500.00 USD a year"),
        "{}",
        above.body
    );
    assert!(above.body.contains("More users than the largest annual tier"));
    // The breakdown is of the users' own month; its last line holds 950,000 of them.
    assert!(
        above
            .body
            .contains("<td>50,001–1,000,000</td><td>0.65</td><td>617,500.00</td>")
    );
    let one_past = b.get("/pricing?users=101").await;
    assert!(
        one_past.body.contains("<td>101</td><td>3.50</td><td>3.50</td>"),
        "{}",
        one_past.body
    );
    // Tracking parameters a link picks up change nothing.
    let tracked = b.get("/pricing?users=1&utm_source=mail").await;
    assert!(tracked.body.contains("1 user: 4.00 USD a month"), "{}", tracked.body);
}

async fn the_pricing_page_says_what_was_wrong_with_its_query(app: TestApp) {
    let b = Browser::new(&app.base);
    let negative = b.get("/pricing?users=-3&cycle=monthly").await;
    assert_eq!(negative.status, StatusCode::BAD_REQUEST);
    assert!(
        negative.body.contains("The number of users must not be negative."),
        "{}",
        negative.body
    );
    assert!(
        negative.body.contains("<td>1–100</td><td>4.00</td>"),
        "the price list is still shown"
    );
    assert!(!negative.body.contains("id=\"estimate-answer\""));
    assert!(
        negative.body.contains("aria-describedby=\"estimate-error\""),
        "the field points at its error"
    );
    let hostile = b.get("/pricing?users=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST);
    assert!(!hostile.body.contains("<script>alert"), "the input is escaped");
    assert!(hostile.body.contains("&#60;script&#62;") || hostile.body.contains("&lt;script&gt;"));
    let cycle = b.get("/pricing?users=5&cycle=weekly").await;
    assert_eq!(cycle.status, StatusCode::BAD_REQUEST);
    assert!(
        cycle.body.contains("The billing cycle must be monthly or annual."),
        "{}",
        cycle.body
    );
    let huge = b.get("/pricing?users=10000000001").await;
    assert!(huge.body.contains("must be at most 10,000,000,000"), "{}", huge.body);
}

/// A price list in euros: 1–10 at 10.00, 11+ at 5.00; annual tiers of 5 and 20 users.
const EUROS: &str = r#"{"currency":"EUR",
  "tiers":[{"up_to":10,"unit_cents":1000},{"up_to":null,"unit_cents":500}],
  "annual_tiers":[5,20]}"#;

async fn an_operators_price_list_is_quoted_by_the_api_and_the_page(dialect: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pricing.json");
    std::fs::write(&file, EUROS).unwrap();
    let app = TestApp::spawn_with(dialect, |c| c.billing.pricing_file = Some(file.clone())).await;
    let e = priced(&app, "users=12").await;
    // 10 × 1,000 + 2 × 500
    assert_eq!(
        (&e["currency"], &e["total_cents"]),
        (&json!("EUR"), &json!(11_000)),
        "{e}"
    );
    assert_eq!(
        e["tiers"][1],
        json!({"from": 11, "to": null, "users": 2, "unit_cents": 500, "subtotal_cents": 1_000})
    );
    // Tier 20: 10 × (10,000 + 10 × 500).
    let a = priced(&app, "users=12&cycle=annual").await;
    assert_eq!(
        (&a["annual_tier"], &a["total_cents"]),
        (&json!(20), &json!(150_000)),
        "{a}"
    );
    let over = priced(&app, "users=25&cycle=annual").await;
    assert_eq!(over["annual_tier"], Value::Null, "above this list's last tier: {over}");
    let page = Browser::new(&app.base).get("/pricing?users=12").await;
    assert!(page.body.contains("<td>11+</td><td>5.00</td>"), "{}", page.body);
    assert!(page.body.contains("12 users: 110.00 EUR a month"), "{}", page.body);
    assert!(!page.body.contains("USD"), "nothing of the published list shows");
    app.stop().await;
}

async fn a_price_list_that_breaks_a_rule_stops_the_start_naming_the_tier(dialect: Dialect) {
    let app = TestApp::spawn(dialect).await;
    let dir = tempfile::tempdir().unwrap();
    let start_with = |text: &str| {
        let file = dir.path().join(format!("p{}.json", text.len()));
        std::fs::write(&file, text).unwrap();
        let mut config = (*app.state.config).clone();
        config.billing.pricing_file = Some(file);
        AppState::new(app.store.clone(), app.clock.clone(), config)
    };
    let rising = r#"{"currency":"USD","tiers":[{"up_to":100,"unit_cents":400},{"up_to":null,"unit_cents":450}]}"#;
    let err = format!("{:#}", start_with(rising).await.err().expect("refused"));
    assert!(err.contains("pricing file"), "{err}");
    assert!(err.contains("tiers[1].unit_cents"), "{err}");
    assert!(err.contains("tier 2 costs 450 cents, more than tier 1's 400"), "{err}");
    let unbounded = r#"{"currency":"USD","tiers":[{"up_to":100,"unit_cents":400}]}"#;
    let err = format!("{:#}", start_with(unbounded).await.err().expect("refused"));
    assert!(
        err.contains("tiers[0].up_to") && err.contains("must be unbounded"),
        "{err}"
    );
    let typo = r#"{"currency":"USD","tiers":[{"upto":100,"unit_cents":400}]}"#;
    let err = format!("{:#}", start_with(typo).await.err().expect("refused"));
    assert!(err.contains("unknown field `upto`"), "{err}");
    let mut config = (*app.state.config).clone();
    config.billing.pricing_file = Some(dir.path().join("missing.json"));
    let err = format!(
        "{:#}",
        AppState::new(app.store.clone(), app.clock.clone(), config)
            .await
            .err()
            .expect("refused")
    );
    assert!(err.contains("missing.json"), "{err}");
    app.stop().await;
}

async fn the_estimate_is_limited_per_address_like_the_rest_of_the_api(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| {
        c.limits.api_per_ip = Some(RateLimit {
            requests: 3,
            period: Duration::from_hours(1),
        });
    })
    .await;
    for _ in 0..3 {
        priced(&app, "users=10").await;
    }
    let r = estimate(&app, "users=10").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert!(r.headers.contains_key("retry-after"));
    // Made-up keys do not buy more: the address is counted first.
    let keyed = app
        .send(
            app.client
                .get(format!("{}/api/v1/billing/estimate?users=10", app.base))
                .bearer_auth("ghk_another"),
            None,
        )
        .await;
    assert_eq!(keyed.status, StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}
