//! Who an organization pays for: every rule of the classifier reached through the API, the
//! per-account flag, the listing, the CSV export and the counts agreeing, and the store's
//! running tallies matching a recount from scratch after every kind of change, including many
//! changes at once.

use gatehouse_core::ids::{AccountId, GroupId, InstanceId, OrgId};
use gatehouse_core::services::Services;
use gatehouse_testkit::{Grantee, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

engine_tests!(
    every_rule_is_reached_and_the_flag_the_list_the_export_and_the_counts_agree,
    changes_of_editions_roles_groups_policies_and_status_move_accounts_between_rules,
    the_tallies_hold_when_grants_and_memberships_race,
    bad_filters_answer_422,
    the_bill_prices_each_tier_boundary_and_the_operators_terms_free_everyone,
    a_run_is_stored_once_for_each_ended_cycle_with_its_event,
);

/// Accounts whose stored facts differ from a recount from scratch (must stay 0).
pub async fn drift(app: &TestApp, org: &TestOrg) -> i64 {
    let services = Services::new(app.store.clone(), app.clock.clone());
    let id: OrgId = org.id.parse().expect("org id");
    services.billing.drift(id).await.expect("drift")
}

/// The organization's `by_rule`, checked to sum to its accounts and to agree with the
/// overview's billable count.
pub async fn by_rule(app: &TestApp, org: &TestOrg) -> BTreeMap<String, i64> {
    let b = app.get(org, "/billing").await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    let map: BTreeMap<String, i64> = b.json["by_rule"]
        .as_object()
        .expect("by_rule")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().expect("count")))
        .collect();
    assert_eq!(map.len(), 10, "every rule is present: {map:?}");
    assert_eq!(map.values().sum::<i64>(), b.json["accounts"].as_i64().unwrap());
    assert_eq!(map["billable"], b.json["billable_users"].as_i64().unwrap());
    let overview = app.get(org, "").await;
    assert_eq!(overview.json["counts"]["billable_accounts"], b.json["billable_users"]);
    assert_eq!(overview.json["counts"]["accounts"], b.json["accounts"]);
    assert_eq!(drift(app, org).await, 0, "the tallies match a recount");
    map
}

/// The rule of each account (by email), read from the listing filtered by each rule.
async fn rules_listed(app: &TestApp, org: &TestOrg) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let all = app.get(org, "/billing/accounts?limit=200").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    for a in all.json["items"].as_array().unwrap() {
        let rule = a["rule"].as_str().unwrap().to_owned();
        assert_eq!(a["billable"], rule == "billable", "{a}");
        let only = app.get(org, &format!("/billing/accounts?rule={rule}&limit=200")).await;
        assert!(
            only.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == a["id"]),
            "{rule} lists {a}"
        );
        out.insert(a["email"].as_str().unwrap().to_owned(), rule);
    }
    out
}

struct Sites {
    jira: InstanceId,
    jsm: InstanceId,
    status_startup: InstanceId,
    status_hobby: InstanceId,
    confluence_enterprise: InstanceId,
}

async fn sites(app: &TestApp, org: &TestOrg) -> Sites {
    let mk = |p: &'static str, n: &'static str, e: &'static str| async move {
        app.create_instance(org, p, n, &format!("https://{n}.acme.test"), e)
            .await
    };
    Sites {
        jira: mk("jira-software", "jira", "standard").await,
        jsm: mk("jira-service-management", "help", "standard").await,
        status_startup: mk("statuspage", "status", "startup").await,
        status_hobby: mk("statuspage", "hobbystatus", "hobby").await,
        confluence_enterprise: mk("confluence", "wiki", "enterprise").await,
    }
}

/// Creates `email` in the org with these grants (instance, role).
async fn person(app: &TestApp, org: &TestOrg, email: &str, grants: &[(InstanceId, &str)]) -> AccountId {
    let id = app.create_account(org, email, email.split('@').next().unwrap()).await;
    for (site, role) in grants {
        app.grant_access(org, *site, Grantee::Account(id), role).await;
    }
    id
}

/// The people of the rule table: each email names the rule it must get.
async fn people(app: &TestApp, org: &TestOrg, s: &Sites) -> (AccountId, GroupId) {
    person(app, org, "billable@acme.test", &[(s.jira, "user")]).await;
    person(app, org, "hobby@acme.test", &[(s.status_hobby, "user")]).await;
    person(app, org, "agent@acme.test", &[(s.jsm, "agent")]).await;
    let dee = person(app, org, "deactivated@acme.test", &[(s.jira, "user")]).await;
    let off = app
        .patch(org, &format!("/accounts/{dee}"), json!({"status": "deactivated"}))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    person(app, org, "guest@partner.test", &[(s.jira, "user")]).await;
    let nb = person(app, org, "occasional@acme.test", &[(s.jira, "user")]).await;
    let policy = app
        .post(org, "/policies", json!({"name": "Occasional", "non_billable": true}))
        .await;
    assert_eq!(policy.status, StatusCode::CREATED, "{}", policy.text);
    let moved = app
        .post(
            org,
            &format!("/policies/{}/members", policy.json["id"].as_str().unwrap()),
            json!({"account_ids": [nb.to_string()]}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    person(
        app,
        org,
        "status@acme.test",
        &[(s.jira, "user"), (s.status_startup, "user")],
    )
    .await;
    person(app, org, "customer@acme.test", &[(s.jsm, "customer")]).await;
    person(app, org, "enterprise@acme.test", &[(s.confluence_enterprise, "user")]).await;
    // Portal-only access beside Enterprise does not make the account billable (decided).
    person(
        app,
        org,
        "enterprise-and-portal@acme.test",
        &[(s.confluence_enterprise, "user"), (s.jsm, "customer")],
    )
    .await;
    person(app, org, "nothing@acme.test", &[]).await;
    // Through a group and directly: one person, counted once.
    let grouped = person(app, org, "grouped@acme.test", &[(s.jira, "user")]).await;
    let team = app.create_group(org, "Team").await;
    app.grant_access(org, s.jira, Grantee::Group(team), "user").await;
    app.add_member(org, team, grouped).await;
    (grouped, team)
}

fn expected_rules(admin_rule: &str) -> BTreeMap<String, String> {
    [
        ("billable", "billable"),
        ("hobby", "billable"),
        ("agent", "billable"),
        ("grouped", "billable"),
        ("deactivated", "deactivated"),
        ("occasional", "non_billable_policy"),
        ("status", "statuspage_paid"),
        ("customer", "jsm_portal_only"),
        ("enterprise", "enterprise_editions_only"),
        ("enterprise-and-portal", "enterprise_editions_only"),
        ("nothing", "no_product_access"),
    ]
    .into_iter()
    .map(|(who, rule)| (format!("{who}@acme.test"), rule.to_owned()))
    .chain([("guest@partner.test".to_owned(), "unmanaged".to_owned())])
    .chain([("admin".to_owned(), admin_rule.to_owned())])
    .collect()
}

/// `rules` with the bootstrap admin's address folded to "admin".
fn fold_admin(rules: BTreeMap<String, String>) -> BTreeMap<String, String> {
    rules
        .into_iter()
        .map(|(k, v)| (if k.starts_with("admin-") { "admin".to_owned() } else { k }, v))
        .collect()
}

async fn every_rule_is_reached_and_the_flag_the_list_the_export_and_the_counts_agree(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let s = sites(&app, &org).await;
    people(&app, &org, &s).await;
    let rules = fold_admin(rules_listed(&app, &org).await);
    assert_eq!(rules, expected_rules("unmanaged"));
    let counts = by_rule(&app, &org).await;
    let mut want: BTreeMap<String, i64> = BTreeMap::new();
    for r in rules.values() {
        *want.entry(r.clone()).or_default() += 1;
    }
    for (rule, n) in &counts {
        assert_eq!(*n, want.get(rule).copied().unwrap_or(0), "{rule}: {counts:?}");
    }
    assert_eq!(counts["billable"], 4);

    // Each account's own `billable` agrees with its rule.
    let accounts = app.get(&org, "/accounts?limit=200").await;
    for a in accounts.json["items"].as_array().unwrap() {
        let email = a["email"].as_str().unwrap();
        let key = if email.starts_with("admin-") { "admin" } else { email };
        assert_eq!(a["billable"], rules[key] == "billable", "{email}");
    }

    // The flag filter and the export list the same accounts.
    let billed = app.get(&org, "/billing/accounts?billable=true").await;
    let mut billed: Vec<&str> = billed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    billed.sort_unstable();
    assert_eq!(
        billed,
        [
            "agent@acme.test",
            "billable@acme.test",
            "grouped@acme.test",
            "hobby@acme.test"
        ]
    );
    let csv = app
        .send(
            app.client
                .get(format!(
                    "{}/api/v1/orgs/{}/billing/accounts/export?billable=false",
                    app.base, org.id
                ))
                .bearer_auth(&org.key),
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "id,email,display_name,status,is_managed,has_product_access,billable,rule"
    );
    assert_eq!(
        lines.len() - 1,
        rules.len() - 4,
        "every account not billed, one line each"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("customer@acme.test") && l.ends_with(",false,jsm_portal_only")),
        "{}",
        csv.text
    );
}

async fn changes_of_editions_roles_groups_policies_and_status_move_accounts_between_rules(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let s = sites(&app, &org).await;
    let (grouped, team) = people(&app, &org, &s).await;
    let rule_of = |email: &'static str| {
        let app = &app;
        let org = &org;
        async move { rules_listed(app, org).await[email].clone() }
    };
    assert_eq!(by_rule(&app, &org).await["billable"], 4);

    // Statuspage down to hobby: its user is billed now.
    let r = app
        .patch(
            &org,
            &format!("/instances/{}", s.status_startup),
            json!({"edition": "hobby"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(rule_of("status@acme.test").await, "billable");
    // Confluence down to premium: both Enterprise users are billed.
    let r = app
        .patch(
            &org,
            &format!("/instances/{}", s.confluence_enterprise),
            json!({"edition": "premium"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(rule_of("enterprise@acme.test").await, "billable");
    assert_eq!(rule_of("enterprise-and-portal@acme.test").await, "billable");
    assert_eq!(by_rule(&app, &org).await["billable"], 7);
    // A renamed instance changes nobody.
    let r = app
        .patch(&org, &format!("/instances/{}", s.jira), json!({"name": "Jira Cloud"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(by_rule(&app, &org).await["billable"], 7);

    // The portal customers become agents.
    let grants = app.get(&org, "/access?limit=200").await;
    let customer_grants: Vec<String> = grants.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["role"] == "customer")
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(customer_grants.len(), 2, "{}", grants.text);
    for g in &customer_grants {
        let r = app.patch(&org, &format!("/access/{g}"), json!({"role": "agent"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(rule_of("customer@acme.test").await, "billable");

    // The non-billable policy stops being one: its member is billed.
    let policies = app.get(&org, "/policies").await;
    let occasional = policies.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Occasional")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .patch(&org, &format!("/policies/{occasional}"), json!({"non_billable": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(rule_of("occasional@acme.test").await, "billable");
    // Deleted, its member joins the default: still billed.
    let r = app.delete(&org, &format!("/policies/{occasional}")).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(rule_of("occasional@acme.test").await, "billable");

    // Reactivated: billed; deleting the group leaves the direct grant.
    let dee = app.get(&org, "/accounts?email=deactivated@acme.test").await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .patch(&org, &format!("/accounts/{dee}"), json!({"status": "active"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(rule_of("deactivated@acme.test").await, "billable");
    let r = app.delete(&org, &format!("/groups/{team}")).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(rule_of("grouped@acme.test").await, "billable");
    // Removing the direct grant too: no product access.
    let direct = app.get(&org, &format!("/access?account_id={grouped}")).await;
    for g in direct.json["items"].as_array().unwrap() {
        let r = app
            .delete(&org, &format!("/access/{}", g["id"].as_str().unwrap()))
            .await;
        assert!(r.status.is_success(), "{}", r.text);
    }
    assert_eq!(rule_of("grouped@acme.test").await, "no_product_access");
    // Deleting an instance ends its users' access.
    let r = app.delete(&org, &format!("/instances/{}", s.jira)).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(rule_of("billable@acme.test").await, "no_product_access");
    // Removing an account it does not manage from the organization takes it out of every count.
    let before = by_rule(&app, &org).await.values().sum::<i64>();
    let nobody = app.get(&org, "/accounts?email=guest@partner.test").await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.delete(&org, &format!("/accounts/{nobody}")).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(by_rule(&app, &org).await.values().sum::<i64>(), before - 1);
}

/// Twenty-three requests at once: grants to a group while people join and leave it, direct grants
/// and revocations, deactivations. The tallies must equal a recount, whatever the interleaving.
async fn the_tallies_hold_when_grants_and_memberships_race(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let s = sites(&app, &org).await;
    let team = app.create_group(&org, "Team").await;
    let mut people = Vec::new();
    for n in 0..20 {
        people.push(app.create_account(&org, &format!("p{n}@acme.test"), "P").await);
    }
    let mut calls = Vec::new();
    for (n, p) in people.iter().enumerate() {
        let (org, app, p) = (&org, &app, *p);
        let jira = s.jira;
        calls.push(Box::pin(async move {
            match n % 4 {
                1 => {
                    app.post(
                        org,
                        "/access",
                        json!({"instance_id": jira.to_string(), "account_id": p.to_string(), "role": "user"}),
                    )
                    .await
                }
                2 => {
                    app.patch(org, &format!("/accounts/{p}"), json!({"status": "deactivated"}))
                        .await
                }
                // 0 and 3: the group.
                _ => {
                    app.post(
                        org,
                        &format!("/groups/{team}/members"),
                        json!({"account_id": p.to_string()}),
                    )
                    .await
                }
            }
        })
            as std::pin::Pin<
                Box<dyn std::future::Future<Output = gatehouse_testkit::Resp> + Send + '_>,
            >);
    }
    for (n, site) in [s.jira, s.status_startup, s.jsm].into_iter().enumerate() {
        let (org, app) = (&org, &app);
        let role = ["user", "user", "customer"][n];
        calls.push(Box::pin(async move {
            app.post(
                org,
                "/access",
                json!({"instance_id": site.to_string(), "group_id": team.to_string(), "role": role}),
            )
            .await
        }));
    }
    let answers = futures::future::join_all(calls).await;
    for a in &answers {
        assert!(a.status.is_success(), "{} {}", a.status, a.text);
    }
    let counts = by_rule(&app, &org).await;
    // 5 joined the group twice over (n % 4 == 0 or 3: 10 people), all with the group's
    // Statuspage startup access; 5 have a direct Jira grant only; 5 are deactivated.
    assert_eq!(counts["statuspage_paid"], 10, "{counts:?}");
    assert_eq!(counts["billable"], 5, "{counts:?}");
    assert_eq!(counts["deactivated"], 5, "{counts:?}");
}

async fn bad_filters_answer_422(app: TestApp) {
    let org = app.create_org("Acme").await;
    for q in [
        "rule=billed",
        "billable=yes",
        "limit=0",
        "cursor=%27%3B--",
        "colour=red",
    ] {
        let r = app.get(&org, &format!("/billing/accounts?{q}")).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
            "{q}: {} {}",
            r.status,
            r.text
        );
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json"),
            "{q}"
        );
    }
    let r = app.get(&org, "/billing/accounts?rule=billed").await;
    assert!(r.text.contains("free_org"), "the error lists the rules: {}", r.text);
    let _: Value = r.json;
}

/// The bill at the first tier boundaries, counted from real accounts (the rest of the
/// boundaries, up to 1,000,000 users, are priced by the same list: `estimate.rs`), then the
/// operator's plan and free status taking everyone out of the bill and back.
async fn the_bill_prices_each_tier_boundary_and_the_operators_terms_free_everyone(app: TestApp) {
    use gatehouse_core::authz::operator;
    use gatehouse_core::product::{FreeKind, Plan};
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let jira = app
        .create_instance(&org, "jira-software", "Jira", "https://jira.acme.test", "standard")
        .await;
    let team = app.create_group(&org, "Everyone").await;
    app.grant_access(&org, jira, Grantee::Group(team), "user").await;
    let amount = || async {
        let b = app.get(&org, "/billing").await;
        assert_eq!(b.status, StatusCode::OK, "{}", b.text);
        assert_eq!(
            (b.json["currency"].as_str(), b.json["cycle"].as_str()),
            (Some("USD"), Some("monthly"))
        );
        assert_eq!(b.json["charged"], false, "no subscription: what a month would cost");
        assert_eq!(b.json["subscription"]["status"], "none");
        (
            b.json["billable_users"].as_i64().unwrap(),
            b.json["amount_cents"].as_i64().unwrap(),
        )
    };
    assert_eq!(amount().await, (0, 0));
    let mut made = 0;
    for (users, cents) in [(1, 400), (100, 40_000), (101, 40_350)] {
        while made < users {
            made += 1;
            let a = app.create_account(&org, &format!("u{made}@acme.test"), "U").await;
            app.add_member(&org, team, a).await;
        }
        assert_eq!(amount().await, (users, cents), "{users} users");
    }
    let services = Services::new(app.store.clone(), app.clock.clone());
    let id: OrgId = org.id.parse().unwrap();
    let op = operator("test operator");
    services
        .subscriptions
        .set_plan(&op, id, Plan::Enterprise)
        .await
        .unwrap();
    let rules = by_rule(&app, &org).await;
    assert_eq!((rules["enterprise_plan"], rules["billable"]), (101, 0), "{rules:?}");
    assert_eq!(amount().await, (0, 0));
    services
        .subscriptions
        .set_free(&op, id, Some(FreeKind::Academic))
        .await
        .unwrap();
    let rules = by_rule(&app, &org).await;
    assert_eq!(
        (rules["free_org"], rules["enterprise_plan"]),
        (101, 0),
        "free comes first: {rules:?}"
    );
    services.subscriptions.set_free(&op, id, None).await.unwrap();
    services.subscriptions.set_plan(&op, id, Plan::Standard).await.unwrap();
    assert_eq!(amount().await, (101, 40_350));
    // The bootstrap admin (not managed) stays out whatever the terms.
    assert_eq!(by_rule(&app, &org).await["unmanaged"], 1);
}

/// The end of each cycle of a paid subscription stores its run once: counts per rule, the
/// amount and the invoice record, with its audit event.
async fn a_run_is_stored_once_for_each_ended_cycle_with_its_event(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let jira = app
        .create_instance(&org, "jira-software", "Jira", "https://jira.acme.test", "standard")
        .await;
    for n in 0..3 {
        person(&app, &org, &format!("u{n}@acme.test"), &[(jira, "user")]).await;
    }
    let s = app
        .post(&org, "/billing/subscription", json!({"cycle": "monthly"}))
        .await;
    assert!(s.status.is_success(), "{}", s.text);
    let run = || async { app.state.services.billing.run_due(&app.state.pricing).await.unwrap() };
    assert_eq!(run().await, 0, "the first cycle has not ended");
    app.clock.advance_secs(32 * 86_400);
    assert_eq!(run().await, 1);
    assert_eq!(run().await, 0, "one run per cycle, however often the job passes");
    let runs = app.get(&org, "/billing/runs").await;
    assert_eq!(runs.status, StatusCode::OK, "{}", runs.text);
    let items = runs.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", runs.text);
    let r = &items[0];
    assert_eq!(
        (r["billable_users"].as_i64(), r["amount_cents"].as_i64()),
        (Some(3), Some(1_200))
    );
    assert_eq!(
        (r["cycle"].as_str(), r["currency"].as_str()),
        (Some("monthly"), Some("USD"))
    );
    assert_eq!(r["by_rule"]["unmanaged"], 1, "{r}");
    assert!(r["invoice_number"].as_str().unwrap().starts_with("GH-"));
    let events = app.get(&org, "/events?action=billing.run_completed").await;
    let e = &events.json["items"][0];
    assert_eq!(
        e["changes"]["after"]["invoice_number"], r["invoice_number"],
        "{}",
        events.text
    );
}
