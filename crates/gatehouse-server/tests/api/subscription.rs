//! Subscriptions (issue 17) over HTTP on both engines: a 30-day trial an admin starts once;
//! monthly and annual subscriptions whose cycles are anchored at their start (month ends clamp
//! and the anchor day returns; February 29 renews on the 28th); cancellation at the end of the
//! cycle; the plan is the operator's (the org's key gets 403); every change is audited. With
//! `--require-subscription`, an organization without a trial or subscription has SSO
//! enforcement, required two-step verification and non-default policies paused (a password
//! sign-in works, nothing is deleted, the console and the policies say so, the audit log
//! records it once) until it starts a trial.

use super::policies::{default_policy, events};
use gatehouse_core::Timestamp;
use gatehouse_core::ports::Clock;
use gatehouse_testkit::{Browser, PERSON_PASSWORD, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Tests that spawn their own (configured) servers.
mod configured {
    use gatehouse_testkit::dialect_tests;
    dialect_tests!(
        without_a_subscription_sso_and_required_two_step_pause_until_a_trial_starts,
        the_admin_lockout_guard_holds_while_enforcement_is_paused,
        the_external_users_policy_pauses_without_a_subscription_too,
    );
    use super::{
        the_admin_lockout_guard_holds_while_enforcement_is_paused,
        the_external_users_policy_pauses_without_a_subscription_too,
        without_a_subscription_sso_and_required_two_step_pause_until_a_trial_starts,
    };
}

engine_tests!(
    a_subscription_trial_starts_once_and_expires_after_30_days,
    a_monthly_subscription_renews_on_its_anchor_day_and_a_cancellation_waits_for_the_cycle_end,
    an_annual_subscription_from_february_29_renews_on_february_28,
    bad_subscription_requests_name_the_field_and_change_nothing,
    the_plan_is_the_operators_and_the_subscription_path_never_changes_it,
);

const SUB: &str = "/billing/subscription";

/// Moves the test clock to `at`, or less than a second after it (the clock moves by whole
/// seconds).
fn move_clock_to(app: &TestApp, at: &str) {
    let target = Timestamp::parse_rfc3339(at, "at").unwrap();
    let ahead = target.millis() - app.clock.now().millis();
    assert!(ahead > 0, "{at} is in the test clock's past");
    app.clock.advance_secs((ahead + 999) / 1000);
}

/// The date and time of an RFC 3339 field to the second (the clock carries milliseconds).
fn second(v: &Value) -> &str {
    v.as_str().map_or("", |s| &s[..19])
}

async fn a_subscription_trial_starts_once_and_expires_after_30_days(app: TestApp) {
    let org = app.create_org("Acme").await;
    let none = app.get(&org, SUB).await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.text);
    assert_eq!(none.json["status"], "none");
    assert_eq!(none.json["enforcement_paused"], false, "nothing is gated by default");
    let started = app.post(&org, "/billing/trial", json!({})).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    assert_eq!(started.json["status"], "trial");
    let ends = Timestamp::parse_rfc3339(started.json["trial_ends_at"].as_str().unwrap(), "t").unwrap();
    let began = Timestamp::parse_rfc3339(started.json["trial_started_at"].as_str().unwrap(), "t").unwrap();
    assert_eq!(ends.millis() - began.millis(), 30 * 86_400_000, "30 days");
    assert!(started.json["renews_at"].is_null() && started.json["cycle"].is_null());

    let again = app.post(&org, "/billing/trial", json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.code(), "trial_already_used");
    assert_eq!(
        app.get(&org, SUB).await.json,
        started.json,
        "the refusal changed nothing"
    );
    let recorded = events(&app, &org, "billing.trial_started").await;
    assert_eq!(recorded.len(), 1, "one trial, one event");
    assert_eq!(recorded[0]["actor"]["type"], "api_key");
    assert_eq!(recorded[0]["changes"]["before"]["trial"], Value::Null);

    app.clock.advance_secs(30 * 86_400 - 2);
    assert_eq!(
        app.get(&org, SUB).await.json["status"],
        "trial",
        "the last second of the trial"
    );
    app.clock.advance_secs(2);
    let expired = app.get(&org, SUB).await;
    assert_eq!(expired.json["status"], "trial_expired");
    assert_eq!(
        app.post(&org, "/billing/trial", json!({})).await.code(),
        "trial_already_used",
        "an expired trial does not start again"
    );
}

async fn a_monthly_subscription_renews_on_its_anchor_day_and_a_cancellation_waits_for_the_cycle_end(app: TestApp) {
    move_clock_to(&app, "2031-01-31T12:00:00Z");
    let org = app.create_org("Acme").await;
    assert_eq!(
        app.post(&org, "/billing/trial", json!({})).await.status,
        StatusCode::CREATED
    );
    let bought = app.post(&org, SUB, json!({"cycle": "monthly"})).await;
    assert_eq!(bought.status, StatusCode::CREATED, "{}", bought.text);
    let b = &bought.json;
    assert_eq!(b["status"], "active");
    assert_eq!(b["cycle"], "monthly");
    assert_eq!(
        b["trial_ends_at"], b["started_at"],
        "the trial converted when subscribing"
    );
    assert_eq!(second(&b["started_at"]), "2031-01-31T12:00:00");
    assert_eq!(b["current_cycle_start"], b["started_at"]);
    assert_eq!(
        second(&b["current_cycle_end"]),
        "2031-02-28T12:00:00",
        "February has no 31st"
    );
    assert_eq!(b["renews_at"], b["current_cycle_end"]);
    assert!(b["annual_tier"].is_null() && b["cancel_at"].is_null());
    let twice = app.post(&org, SUB, json!({"cycle": "annual", "annual_tier": 25})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert_eq!(twice.code(), "already_subscribed");

    move_clock_to(&app, "2031-03-05T00:00:00Z");
    let now = app.get(&org, SUB).await.json;
    assert_eq!(second(&now["current_cycle_start"]), "2031-02-28T12:00:00");
    assert_eq!(
        second(&now["current_cycle_end"]),
        "2031-03-31T12:00:00",
        "back to the anchor's day"
    );
    let cancelled = app.delete(&org, SUB).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.json["status"], "cancelled");
    assert_eq!(
        second(&cancelled.json["cancel_at"]),
        "2031-03-31T12:00:00",
        "at the end of the cycle"
    );
    assert!(cancelled.json["renews_at"].is_null());
    assert_eq!(app.delete(&org, SUB).await.code(), "already_cancelled");
    let resumed = app.post(&org, &format!("{SUB}/resume"), json!({})).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    assert_eq!(resumed.json["status"], "active");
    assert_eq!(resumed.json["renews_at"], cancelled.json["cancel_at"]);
    assert_eq!(app.delete(&org, SUB).await.json["status"], "cancelled");

    move_clock_to(&app, "2031-03-31T11:59:59Z");
    assert_eq!(
        app.get(&org, SUB).await.json["status"],
        "cancelled",
        "active until then"
    );
    move_clock_to(&app, "2031-03-31T12:00:01Z");
    let ended = app.get(&org, SUB).await.json;
    assert_eq!(ended["status"], "ended");
    assert!(ended["current_cycle_end"].is_null());
    let nothing = app.delete(&org, SUB).await;
    assert_eq!(nothing.status, StatusCode::CONFLICT);
    assert_eq!(nothing.code(), "nothing_to_cancel");
    assert_eq!(
        app.post(&org, &format!("{SUB}/resume"), json!({})).await.code(),
        "not_cancelled"
    );

    assert_eq!(events(&app, &org, "billing.subscribed").await.len(), 1);
    let cancels = events(&app, &org, "billing.cancelled").await;
    assert_eq!(cancels.len(), 2);
    assert_eq!(
        second(&cancels[0]["changes"]["after"]["paid"]["cancel_at"]),
        "2031-03-31T12:00:00"
    );
    assert_eq!(events(&app, &org, "billing.resumed").await.len(), 1);
}

async fn an_annual_subscription_from_february_29_renews_on_february_28(app: TestApp) {
    move_clock_to(&app, "2032-02-29T06:00:00Z");
    let org = app.create_org("Acme").await;
    let bought = app
        .post(&org, SUB, json!({"cycle": "annual", "annual_tier": 250}))
        .await;
    assert_eq!(bought.status, StatusCode::CREATED, "{}", bought.text);
    assert_eq!(bought.json["annual_tier"], 250);
    assert!(
        bought.json["trial_started_at"].is_null(),
        "subscribing needs no trial first"
    );
    assert_eq!(second(&bought.json["renews_at"]), "2033-02-28T06:00:00");
    let cancelled = app.delete(&org, SUB).await;
    assert_eq!(second(&cancelled.json["cancel_at"]), "2033-02-28T06:00:00");
    let trial = app.post(&org, "/billing/trial", json!({})).await;
    assert_eq!(trial.status, StatusCode::CONFLICT);
    assert_eq!(
        trial.code(),
        "trial_not_available",
        "a trial is for organizations new to it"
    );
}

async fn bad_subscription_requests_name_the_field_and_change_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    for (body, field) in [
        (json!({"cycle": "annual"}), "annual_tier"),
        (json!({"cycle": "annual", "annual_tier": 251}), "annual_tier"),
        (json!({"cycle": "monthly", "annual_tier": 25}), "annual_tier"),
        (json!({"cycle": "weekly"}), "cycle"),
    ] {
        let r = app.post(&org, SUB, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.json["errors"][0]["field"], field, "{body}: {}", r.text);
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );
    }
    let unknown = app.post(&org, SUB, json!({"cycle": "monthly", "seats": 3})).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.text);
    assert_eq!(app.get(&org, SUB).await.json["status"], "none", "nothing changed");
    assert!(events(&app, &org, "billing.subscribed").await.is_empty());
}

async fn the_plan_is_the_operators_and_the_subscription_path_never_changes_it(app: TestApp) {
    let org = app.create_org("Acme").await;
    let before = app.get(&org, "").await.json;
    assert_eq!(before["plan"], "free");
    assert_eq!(before["free"], Value::Null);
    for body in [
        json!({"plan": "enterprise"}),
        json!({"name": "Acme Corp", "plan": "free"}),
    ] {
        let r = app.patch(&org, "", body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{body}: {}", r.text);
        assert_eq!(r.code(), "plan_operator_only");
    }
    assert_eq!(
        app.get(&org, "").await.json,
        before,
        "neither the plan nor the name changed"
    );
    assert!(events(&app, &org, "org.updated").await.is_empty());
    let renamed = app.patch(&org, "", json!({"name": "Acme Corp"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.json["plan"], "free");

    // The operator's way, as `gatehouse org set-plan` / `set-free` take it.
    let operator = gatehouse_core::authz::operator("operator");
    let id = gatehouse_core::ids::OrgId::parse(&org.id).unwrap();
    let subs = &app.state.services.subscriptions;
    let plan = gatehouse_core::product::Plan::Enterprise;
    subs.set_plan(&operator, id, plan).await.unwrap();
    let academic = Some(gatehouse_core::product::FreeKind::Academic);
    subs.set_free(&operator, id, academic).await.unwrap();
    let after = app.get(&org, "").await.json;
    assert_eq!(
        (&after["plan"], &after["free"]),
        (&json!("enterprise"), &json!("academic"))
    );
    let changed = events(&app, &org, "org.plan_changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["actor"]["type"], "system");
    assert_eq!(changed[0]["changes"]["before"]["plan"], "free");
    assert_eq!(changed[0]["changes"]["after"]["plan"], "enterprise");
    assert_eq!(events(&app, &org, "org.free_changed").await.len(), 1);
    subs.set_plan(&operator, id, plan).await.unwrap();
    assert_eq!(
        events(&app, &org, "org.plan_changed").await.len(),
        1,
        "no change, no event"
    );
}

const DOMAIN: &str = "acme-sso.test";

/// Acme with its domain verified, an enforced OIDC provider on it (so its default policy
/// enforces SSO), Ada in the default policy and Bob in a policy requiring two-step
/// verification, both with passwords. Returns Acme with an API key good for a year (the
/// bootstrap key's 90 days end before the test does), and Ada's and Bob's emails.
async fn acme_enforcing(app: &TestApp) -> (TestOrg, String, String) {
    let org = app.create_org("Acme").await;
    let key = app
        .post(&org, "/api-keys", json!({"name": "billing", "expires_in_days": 365}))
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.text);
    let org = TestOrg {
        key: key.json["secret"].as_str().unwrap().to_owned(),
        ..org
    };
    app.verify_domain(&org, DOMAIN, "automatic").await;
    let ada = app.create_account(&org, &format!("ada@{DOMAIN}"), "Ada").await;
    let bob = app.create_account(&org, &format!("bob@{DOMAIN}"), "Bob").await;
    let idp = app
        .post(
            &org,
            "/identity-providers",
            json!({"name": "Acme Okta", "protocol": "oidc", "domains": [DOMAIN], "enforced": true,
                "issuer": "https://acme.okta.example", "client_id": "gatehouse", "client_secret": "a client secret"}),
        )
        .await;
    assert_eq!(idp.status, StatusCode::CREATED, "{}", idp.text);
    let strict = app
        .post(
            &org,
            "/policies",
            json!({"name": "Strict", "two_step_verification": "required"}),
        )
        .await;
    assert_eq!(strict.status, StatusCode::CREATED, "{}", strict.text);
    let strict = strict.json["id"].as_str().unwrap().to_owned();
    let moved = app
        .post(
            &org,
            &format!("/policies/{strict}/members"),
            json!({"account_ids": [bob.to_string()]}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    (org, app.give_password(ada).await, app.give_password(bob).await)
}

/// Where Ada's and Bob's password sign-ins lead: (Ada's status, Bob's next location).
async fn sign_ins(app: &TestApp, ada: &str, bob: &str) -> (StatusCode, String) {
    let a = Browser::new(&app.base)
        .sign_in_to(ada, PERSON_PASSWORD, "/account")
        .await;
    let b = Browser::new(&app.base)
        .sign_in_to(bob, PERSON_PASSWORD, "/account")
        .await;
    (a.status, b.location.unwrap_or_default())
}

async fn run_enforcement_job(app: &TestApp) {
    let ran = gatehouse_server::jobs::run_now(&app.state, "billing-enforcement", "test-node").await;
    assert!(ran.expect("a job of that name").expect("lease"), "the job ran");
}

async fn paused_in_console(console: &Browser, org: &TestOrg) -> bool {
    let page = console.get(&format!("/admin/orgs/{}/policies", org.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body.contains("Enforcement is paused")
}

async fn without_a_subscription_sso_and_required_two_step_pause_until_a_trial_starts(
    engine: gatehouse_testkit::Dialect,
) {
    let app = TestApp::spawn_with(engine, |c| c.billing.require_subscription = true).await;
    let (org, ada, bob) = acme_enforcing(&app).await;
    let (console, _) = app.console(&org).await;

    // No trial, no subscription: the password works for Ada despite the enforced provider,
    // and Bob is not asked to enrol; nothing was changed or deleted.
    assert_eq!(
        sign_ins(&app, &ada, &bob).await,
        (StatusCode::SEE_OTHER, "/account".to_owned())
    );
    let policies = app.get(&org, "/policies").await.json;
    let items = policies["items"].as_array().unwrap();
    assert!(items.iter().all(|p| p["paused"] == true), "{policies}");
    assert_eq!(items[0]["sso"]["enforced"], true, "the stored rules are untouched");
    assert_eq!(items[1]["two_step_verification"], "required");
    assert_eq!(app.get(&org, SUB).await.json["enforcement_paused"], true);
    assert!(paused_in_console(&console, &org).await, "the console's banner says so");
    let overview = console.get(&format!("/admin/orgs/{}", org.id)).await;
    assert!(overview.body.contains("Enforcement is paused"), "on every page");
    run_enforcement_job(&app).await;
    run_enforcement_job(&app).await;
    let paused = events(&app, &org, "billing.enforcement_paused").await;
    assert_eq!(paused.len(), 1, "recorded once");
    assert_eq!(paused[0]["actor"]["type"], "system");
    assert_eq!(paused[0]["changes"]["after"]["status"], "none");

    // A trial resumes enforcement at once.
    let trial = app.post(&org, "/billing/trial", json!({})).await;
    assert_eq!(trial.status, StatusCode::CREATED, "{}", trial.text);
    assert_eq!(trial.json["enforcement_paused"], false);
    assert_eq!(events(&app, &org, "billing.enforcement_resumed").await.len(), 1);
    let (ada_status, bob_next) = sign_ins(&app, &ada, &bob).await;
    assert_eq!(ada_status, StatusCode::FORBIDDEN, "SSO is enforced again");
    assert_eq!(bob_next, "/login/enrol?next=%2Faccount", "two-step is required again");
    assert!(!paused_in_console(&console, &org).await);
    let default = default_policy(&app, &org).await;
    assert_eq!(
        app.get(&org, &format!("/policies/{default}")).await.json["paused"],
        false
    );

    // The trial ends: paused again, recorded again; subscribing resumes it.
    app.clock.advance_secs(30 * 86_400);
    assert_eq!(sign_ins(&app, &ada, &bob).await.0, StatusCode::SEE_OTHER);
    run_enforcement_job(&app).await;
    let paused = events(&app, &org, "billing.enforcement_paused").await;
    assert_eq!(paused.len(), 2);
    assert_eq!(paused[0]["changes"]["after"]["status"], "trial_expired");
    let bought = app.post(&org, SUB, json!({"cycle": "monthly"})).await;
    assert_eq!(bought.status, StatusCode::CREATED, "{}", bought.text);
    let resumed = events(&app, &org, "billing.enforcement_resumed").await;
    assert_eq!(resumed.len(), 2);
    assert_eq!(resumed[0]["changes"]["after"]["reason"], "billing.subscribed");
    assert_eq!(sign_ins(&app, &ada, &bob).await.0, StatusCode::FORBIDDEN);

    // An operator who stops requiring a subscription: recorded pauses end.
    app.clock.advance_secs(40 * 86_400);
    assert_eq!(app.delete(&org, SUB).await.status, StatusCode::OK);
    app.clock.advance_secs(30 * 86_400);
    run_enforcement_job(&app).await;
    assert_eq!(events(&app, &org, "billing.enforcement_paused").await.len(), 3);
    let free = app.another_node(|c| c.billing.require_subscription = false).await;
    let ran = gatehouse_server::jobs::run_now(&free.state, "billing-enforcement", "test-node").await;
    assert!(ran.unwrap().unwrap());
    let resumed = events(&app, &org, "billing.enforcement_resumed").await;
    assert_eq!(resumed.len(), 3);
    assert_eq!(resumed[0]["changes"]["after"]["reason"], "subscription_not_required");
}

async fn the_admin_lockout_guard_holds_while_enforcement_is_paused(engine: gatehouse_testkit::Dialect) {
    let app = TestApp::spawn_with(engine, |c| c.billing.require_subscription = true).await;
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, DOMAIN, "manual").await;
    let ada = app.create_account(&org, &format!("ada@{DOMAIN}"), "Ada").await;
    let granted = app.post(&org, "/admins", json!({"account_id": ada.to_string()})).await;
    assert_eq!(granted.status, StatusCode::NO_CONTENT, "{}", granted.text);
    let revoked = app.delete(&org, &format!("/admins/{}", org.admin_account_id)).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    // Paused now, but the stored policy is what applies again on subscribing: enforcing SSO
    // would then leave Ada, the only admin, no way in.
    let refused = app
        .post(
            &org,
            "/identity-providers",
            json!({"name": "Acme Okta", "protocol": "oidc", "domains": [DOMAIN], "enforced": true,
                "issuer": "https://acme.okta.example", "client_id": "gatehouse", "client_secret": "a client secret"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.code(), "admins_locked_out");
}

async fn the_external_users_policy_pauses_without_a_subscription_too(engine: gatehouse_testkit::Dialect) {
    use crate::oidc_client::{front_channel, param, register, relying_party, start};
    let app = TestApp::spawn_with(engine, |c| c.billing.require_subscription = true).await;
    let org = app.create_org("Acme").await;
    let wiki = app
        .create_instance(&org, "confluence", "Wiki", "https://wiki.acme-ext.example", "free")
        .await;
    let (browser, ada) = app
        .signed_in_member(&org, "ada@elsewhere.test", "correct horse battery staple")
        .await;
    let ada = gatehouse_core::ids::AccountId::parse(&ada).unwrap();
    app.grant_access(&org, wiki, gatehouse_testkit::Grantee::Account(ada), "user")
        .await;
    let client = register(&app, &org, json!({"name": "Wiki"})).await;
    let rp = relying_party(&app, &client).await;
    let set = app
        .patch(&org, "/external-users-policy", json!({"require_email_code": true}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);

    let flow = start(&rp, &["email"]);
    let answer = front_channel(&browser, &flow.url).await;
    assert!(param(&answer, "code").is_some(), "paused: no mailed code asked");
    assert_eq!(
        app.post(&org, "/billing/trial", json!({})).await.status,
        StatusCode::CREATED
    );
    let flow = start(&rp, &["email"]);
    let res = browser.client.get(&flow.url).send().await.unwrap();
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with("/account/verify-email"),
        "asked again once subscribed: {to}"
    );
}
