//! Authentication policies over the admin API (issue 16), on both engines: every org starts
//! with its default policy; policies are added, changed (a merge patch, checked field by
//! field) and deleted with their before and after in the audit log; accounts move one list at
//! a time, each into exactly one policy even when moves race; the simulator says who the
//! proposed rules would stop; and no change may leave every admin without a way in.

use futures::future::join_all;
use gatehouse_core::ids::AccountId;
use gatehouse_testkit::{TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    an_org_starts_with_a_default_policy_and_policies_change_with_their_events,
    another_default_keeps_the_old_ones_members_and_takes_new_accounts,
    bad_settings_are_refused_by_field_and_change_nothing,
    accounts_move_by_list_and_each_is_in_exactly_one_policy_even_when_moves_race,
    the_simulator_names_who_the_proposed_rules_would_stop,
    no_change_leaves_every_admin_without_a_way_in,
    the_providers_enforced_switch_edits_the_default_policy,
    a_non_billable_policys_members_are_not_billed_and_get_no_sso_enforcement,
);

pub(crate) async fn default_policy(app: &TestApp, org: &TestOrg) -> String {
    let list = app.get(org, "/policies").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let first = &list.json["items"][0];
    assert_eq!(first["is_default"], true, "{}", list.text);
    first["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn events(app: &TestApp, org: &TestOrg, action: &str) -> Vec<Value> {
    let r = app.get(org, &format!("/events?action={action}&limit=200")).await;
    r.json["items"].as_array().cloned().unwrap_or_default()
}

/// Acme with acme.test verified, so the accounts made on it are managed.
pub(crate) async fn acme(app: &TestApp) -> TestOrg {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "manual").await;
    org
}

async fn an_org_starts_with_a_default_policy_and_policies_change_with_their_events(app: TestApp) {
    let org = acme(&app).await;
    let ada = app.create_account(&org, "ada@acme.test", "Ada").await;
    let default = default_policy(&app, &org).await;
    let got = app.get(&org, &format!("/policies/{default}")).await;
    assert_eq!(got.json["name"], "Default");
    assert_eq!(
        got.json["member_count"], 1,
        "the managed account; the unmanaged admin is no member"
    );
    assert_eq!(got.json["two_step_verification"], "optional");
    assert_eq!(
        got.json["password"],
        json!({"min_length": 12, "min_strength": 0, "expiry_days": null, "history": 0, "refuse_common": true})
    );
    assert_eq!(
        got.json["session"],
        json!({"idle_minutes": null, "absolute_minutes": null})
    );
    assert_eq!(
        got.json["sso"],
        json!({"enforced": false, "identity_provider_id": null})
    );

    let made = app
        .post(
            &org,
            "/policies",
            json!({"name": "Contractors", "session": {"absolute_minutes": 480}, "password": {"expiry_days": 90}}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let id = made.json["id"].as_str().unwrap().to_owned();
    assert_eq!(made.json["is_default"], false);
    assert_eq!(made.json["session"]["absolute_minutes"], 480);
    let again = app.post(&org, "/policies", json!({"name": "CONTRACTORS"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.json["code"], "policy_name_taken");

    let changed = app
        .patch(
            &org,
            &format!("/policies/{id}"),
            json!({"password": {"expiry_days": null, "min_length": 16}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json["password"]["expiry_days"], Value::Null);
    assert_eq!(changed.json["password"]["min_length"], 16);
    assert_eq!(
        changed.json["session"]["absolute_minutes"], 480,
        "untouched fields stay"
    );
    let updated = events(&app, &org, "policy.updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(
        updated[0]["changes"]["before"]["settings"]["password"]["expiry_days"],
        90
    );
    assert_eq!(updated[0]["changes"]["after"]["settings"]["password"]["min_length"], 16);

    // The default cannot be deleted; another policy's members go back to the default.
    let refused = app.delete(&org, &format!("/policies/{default}")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.json["code"], "default_policy");
    let moved = app
        .post(
            &org,
            &format!("/policies/{id}/members"),
            json!({"account_ids": [ada.to_string()]}),
        )
        .await;
    assert_eq!(moved.json["moved"], 1, "{}", moved.text);
    assert_eq!(
        app.get(&org, &format!("/policies/{default}")).await.json["member_count"],
        0
    );
    assert_eq!(
        app.delete(&org, &format!("/policies/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&org, &format!("/policies/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&org, &format!("/policies/{default}")).await.json["member_count"],
        1
    );
    let deleted = events(&app, &org, "policy.deleted").await;
    assert_eq!(deleted[0]["changes"]["before"]["name"], "Contractors");
}

async fn another_default_keeps_the_old_ones_members_and_takes_new_accounts(app: TestApp) {
    let org = acme(&app).await;
    app.create_account(&org, "ada@acme.test", "Ada").await;
    let default = default_policy(&app, &org).await;
    // Another default: the old default's members stay in it; new accounts join the new one.
    let strict = app.post(&org, "/policies", json!({"name": "Strict"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let made_default = app.post(&org, &format!("/policies/{strict}/default"), json!({})).await;
    assert_eq!(made_default.json["is_default"], true, "{}", made_default.text);
    assert_eq!(default_policy(&app, &org).await, strict);
    app.create_account(&org, "bob@acme.test", "Bob").await;
    assert_eq!(
        app.get(&org, &format!("/policies/{default}")).await.json["member_count"],
        1,
        "Ada stayed"
    );
    assert_eq!(
        app.get(&org, &format!("/policies/{strict}")).await.json["member_count"],
        1,
        "Bob joined"
    );
    assert_eq!(events(&app, &org, "policy.default_changed").await.len(), 1);
    // Another org sees none of it.
    let other = app.create_org("Other").await;
    assert_eq!(
        app.get(&other, &format!("/policies/{default}")).await.status,
        StatusCode::NOT_FOUND
    );
    let crossed = app
        .post(
            &other,
            &format!("/policies/{default}/members"),
            json!({"account_ids": [AccountId::new().to_string()]}),
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
}

async fn bad_settings_are_refused_by_field_and_change_nothing(app: TestApp) {
    let org = acme(&app).await;
    let default = default_policy(&app, &org).await;
    let before = app.get(&org, &format!("/policies/{default}")).await.json;
    for (patch, field) in [
        (json!({"password": {"min_length": 7}}), "password.min_length"),
        (json!({"password": {"min_length": 129}}), "password.min_length"),
        (json!({"password": {"history": 25}}), "password.history"),
        (json!({"password": {"min_strength": 5}}), "password.min_strength"),
        (json!({"session": {"idle_minutes": 14}}), "session.idle_minutes"),
        (
            json!({"session": {"absolute_minutes": 43_201}}),
            "session.absolute_minutes",
        ),
        (
            json!({"session": {"idle_minutes": 120, "absolute_minutes": 60}}),
            "session.idle_minutes",
        ),
        (
            json!({"non_billable": true, "two_step_verification": "required"}),
            "two_step_verification",
        ),
        (json!({"two_step_verification": "sometimes"}), "settings"),
        (json!({"password": {"min_lenght": 12}}), "settings"),
        (
            json!({"sso": {"enforced": true, "identity_provider_id": AccountId::new().to_string()}}),
            "sso.identity_provider_id",
        ),
    ] {
        let r = app.patch(&org, &format!("/policies/{default}"), patch.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{patch}: {}", r.text);
        assert!(r.text.contains(field), "{patch} names {field}: {}", r.text);
    }
    let unknown = app
        .patch(&org, &format!("/policies/{default}"), json!({"colour": "red"}))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.text);
    assert_eq!(
        app.get(&org, &format!("/policies/{default}")).await.json,
        before,
        "nothing changed"
    );
    assert!(events(&app, &org, "policy.updated").await.is_empty());
    let malformed = app
        .post(
            &org,
            &format!("/policies/{default}/members"),
            json!({"account_ids": ["nope"]}),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(malformed.text.contains("account_ids[0]"), "{}", malformed.text);
    let twice = AccountId::new().to_string();
    let dup = app
        .post(
            &org,
            &format!("/policies/{default}/members"),
            json!({"account_ids": [twice, twice]}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.text);
    let many: Vec<String> = (0..10_001).map(|_| AccountId::new().to_string()).collect();
    let too_many = app
        .post(
            &org,
            &format!("/policies/{default}/members"),
            json!({"account_ids": many}),
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", too_many.text);
    // The most a move takes fits in one request.
    let most: Vec<String> = (0..10_000).map(|_| AccountId::new().to_string()).collect();
    let r = app
        .post(
            &org,
            &format!("/policies/{default}/members"),
            json!({"account_ids": most}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text.len());
    assert_eq!(r.json["results"].as_array().unwrap().len(), 10_000);
    assert_eq!(r.json["moved"], 0, "none of them is Acme's");
}

async fn accounts_move_by_list_and_each_is_in_exactly_one_policy_even_when_moves_race(app: TestApp) {
    let org = acme(&app).await;
    let ada = app.create_account(&org, "ada@acme.test", "Ada").await;
    let bob = app.create_account(&org, "bob@acme.test", "Bob").await;
    // An account Acme has access to but does not manage: not Acme's to move.
    let outsider = app.create_account(&org, "eve@elsewhere.test", "Eve").await;
    let a = app.post(&org, "/policies", json!({"name": "A"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.post(&org, "/policies", json!({"name": "B"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &org,
            &format!("/policies/{a}/members"),
            json!({"account_ids": [ada.to_string(), outsider.to_string(), bob.to_string()]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let outcomes: Vec<&str> = r.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["moved", "not_managed", "moved"], "in the order asked");
    let again = app
        .post(
            &org,
            &format!("/policies/{a}/members"),
            json!({"account_ids": [ada.to_string()]}),
        )
        .await;
    assert_eq!(again.json["results"][0]["outcome"], "already_member");
    let listed = app.get(&org, &format!("/policies/{a}/members")).await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 2, "{}", listed.text);

    // Forty moves of Ada at once, between A and B: she ends in exactly one policy, and every
    // move that moved her wrote exactly one event.
    let before = events(&app, &org, "policy.member_moved").await.len();
    let racing = (0..40).map(|n| {
        let target = if n % 2 == 0 { &b } else { &a };
        let (app, org) = (&app, &org);
        async move {
            app.post(
                org,
                &format!("/policies/{target}/members"),
                json!({"account_ids": [ada.to_string()]}),
            )
            .await
        }
    });
    let answers = join_all(racing).await;
    let moved = answers
        .iter()
        .inspect(|r| assert_eq!(r.status, StatusCode::OK, "{}", r.text))
        .filter(|r| r.json["results"][0]["outcome"] == "moved")
        .count();
    assert!(moved >= 1);
    let after = events(&app, &org, "policy.member_moved").await;
    assert_eq!(after.len() - before, moved, "one event per move");
    let mut homes = 0;
    for p in app.get(&org, "/policies").await.json["items"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        let members = app.get(&org, &format!("/policies/{id}/members")).await.json;
        homes += members["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["account_id"] == ada.to_string())
            .count();
    }
    assert_eq!(homes, 1, "exactly one policy");
    let last = &after[0];
    assert!(last["changes"]["before"]["policy_id"].as_str().is_some());
    assert_ne!(
        last["changes"]["before"]["policy_id"],
        last["changes"]["after"]["policy_id"]
    );
}

async fn the_simulator_names_who_the_proposed_rules_would_stop(app: TestApp) {
    let org = acme(&app).await;
    let known = app.create_account(&org, "known@acme.test", "Known").await;
    app.give_password(known).await;
    let unknown = app.create_account(&org, "unknown@acme.test", "Unknown").await;
    app.give_password(unknown).await;
    // A password set before facts were recorded.
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    sqlx::query("UPDATE accounts SET password_length = NULL, password_strength = NULL, password_common = NULL, password_set_at = NULL WHERE id = $1")
        .bind(unknown.to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let enrolled = app.create_account(&org, "enrolled@acme.test", "Enrolled").await;
    let email = app.give_password(enrolled).await;
    let b = app.browser_as(&app.base, &email).await;
    b.enrol_totp(gatehouse_core::ports::Clock::now(&*app.clock)).await;
    let default = default_policy(&app, &org).await;

    let sim = app
        .post(
            &org,
            &format!("/policies/{default}/simulate"),
            json!({"two_step_verification": "required", "password": {"min_length": 40}}),
        )
        .await;
    assert_eq!(sim.status, StatusCode::OK, "{}", sim.text);
    let j = &sim.json;
    assert_eq!(j["accounts_checked"], 3, "{j}");
    assert_eq!(j["counts"]["two_step_without_method"], 2, "{j}");
    assert_eq!(j["counts"]["password_refused"], 2, "{j}");
    assert_eq!(j["counts"]["password_unknown"], 1, "{j}");
    assert_eq!(j["counts"]["sso_without_identity_provider"], 0, "{j}");
    let row = |id: AccountId| {
        j["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account_id"] == id.to_string())
            .cloned()
            .unwrap()
    };
    assert_eq!(
        row(known)["reasons"],
        json!(["two_step_without_method", "password_refused"])
    );
    assert_eq!(row(known)["password_refused"], "too_short");
    assert_eq!(
        row(unknown)["reasons"],
        json!(["two_step_without_method", "password_unknown"])
    );
    assert_eq!(row(enrolled)["reasons"], json!(["password_refused"]));
    // Nothing was saved.
    assert_eq!(
        app.get(&org, &format!("/policies/{default}")).await.json["two_step_verification"],
        "optional"
    );

    // Its first use measures the password that had no facts.
    let signed = gatehouse_testkit::Browser::new(&app.base)
        .sign_in("unknown@acme.test", gatehouse_testkit::PERSON_PASSWORD)
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let measured = app.get(&org, &format!("/accounts/{unknown}")).await;
    assert_eq!(measured.json["password"]["state"], "set", "{}", measured.text);
    assert_eq!(
        measured.json["password"]["length"],
        gatehouse_testkit::PERSON_PASSWORD.chars().count()
    );

    // A proposed move: the accounts named, the ones Acme does not manage counted apart.
    let other = app
        .post(
            &org,
            "/policies",
            json!({"name": "Strict", "two_step_verification": "required"}),
        )
        .await;
    let strict = other.json["id"].as_str().unwrap();
    let outsider = app.create_account(&org, "eve@elsewhere.test", "Eve").await;
    let moving = app
        .post(
            &org,
            &format!("/policies/{strict}/simulate"),
            json!({"account_ids": [known.to_string(), enrolled.to_string(), outsider.to_string()]}),
        )
        .await;
    assert_eq!(moving.json["accounts_checked"], 2, "{}", moving.text);
    assert_eq!(moving.json["not_managed"], 1);
    assert_eq!(moving.json["counts"]["two_step_without_method"], 1);
    let bad = app
        .post(
            &org,
            &format!("/policies/{strict}/simulate"),
            json!({"password": {"min_length": 3}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Acme whose only admin is Ada, managed (acme-sso.test verified): the bootstrap admin, whose
/// account Acme does not manage, is revoked.
async fn acme_with_only_a_managed_admin(app: &TestApp) -> (TestOrg, AccountId) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme-sso.test", "manual").await;
    let ada = app.create_account(&org, "ada@acme-sso.test", "Ada").await;
    let granted = app.post(&org, "/admins", json!({"account_id": ada.to_string()})).await;
    assert_eq!(granted.status, StatusCode::NO_CONTENT, "{}", granted.text);
    let revoked = app.delete(&org, &format!("/admins/{}", org.admin_account_id)).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    (org, ada)
}

fn oidc_idp(enforced: bool) -> Value {
    json!({
        "name": "Acme Okta", "protocol": "oidc", "domains": ["acme-sso.test"], "enforced": enforced,
        "issuer": "https://acme.okta.example", "client_id": "gatehouse", "client_secret": "a secret from the IdP",
    })
}

async fn no_change_leaves_every_admin_without_a_way_in(app: TestApp) {
    let (org, ada) = acme_with_only_a_managed_admin(&app).await;
    // Enforcing a provider would leave Ada, the only admin, no way in without it.
    let refused = app.post(&org, "/identity-providers", oidc_idp(true)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.json["code"], "admins_locked_out");
    assert_eq!(
        app.get(&org, "/identity-providers").await.json["items"],
        json!([]),
        "nothing was made"
    );
    let made = app.post(&org, "/identity-providers", oidc_idp(false)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let idp = made.json["id"].as_str().unwrap().to_owned();
    let default = default_policy(&app, &org).await;
    let enforce = json!({"sso": {"enforced": true, "identity_provider_id": idp}});
    let r = app.patch(&org, &format!("/policies/{default}"), enforce.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("break-glass"), "the error says what to do: {}", r.text);
    // A policy that enforces SSO, with Ada moved into it: refused the same way.
    let sso = app
        .post(
            &org,
            "/policies",
            json!({"name": "SSO", "sso": {"enforced": true, "identity_provider_id": idp}}),
        )
        .await;
    assert_eq!(sso.status, StatusCode::CREATED, "{}", sso.text);
    let sso = sso.json["id"].as_str().unwrap().to_owned();
    let moved = app
        .post(
            &org,
            &format!("/policies/{sso}/members"),
            json!({"account_ids": [ada.to_string()]}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::CONFLICT, "{}", moved.text);
    assert_eq!(
        app.get(&org, &format!("/policies/{sso}")).await.json["member_count"],
        0,
        "nothing moved"
    );
    // With Ada a break-glass admin, both go through.
    let glass = app
        .put(&org, "/sso/break-glass", json!({"account_ids": [ada.to_string()]}))
        .await;
    assert!(glass.status.is_success(), "{}", glass.text);
    assert_eq!(
        app.patch(&org, &format!("/policies/{default}"), enforce).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.post(
            &org,
            &format!("/policies/{sso}/members"),
            json!({"account_ids": [ada.to_string()]})
        )
        .await
        .status,
        StatusCode::OK
    );
    // And she cannot stop being one while SSO is enforced.
    let unglass = app.put(&org, "/sso/break-glass", json!({"account_ids": []})).await;
    assert_eq!(unglass.status, StatusCode::CONFLICT, "{}", unglass.text);
}

async fn the_providers_enforced_switch_edits_the_default_policy(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme-sso.test", "manual").await;
    let made = app.post(&org, "/identity-providers", oidc_idp(true)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.json["enforced"], true);
    let idp = made.json["id"].as_str().unwrap().to_owned();
    let default = default_policy(&app, &org).await;
    let p = app.get(&org, &format!("/policies/{default}")).await.json;
    assert_eq!(p["sso"], json!({"enforced": true, "identity_provider_id": idp}));
    let off = app
        .patch(&org, &format!("/identity-providers/{idp}"), json!({"enforced": false}))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(off.json["enforced"], false);
    let p = app.get(&org, &format!("/policies/{default}")).await.json;
    assert_eq!(p["sso"], json!({"enforced": false, "identity_provider_id": null}));
    assert_eq!(
        events(&app, &org, "policy.updated").await.len(),
        2,
        "each switch is a policy change"
    );
    // Deleting a provider a policy names stops its enforcement first.
    app.patch(&org, &format!("/identity-providers/{idp}"), json!({"enforced": true}))
        .await;
    assert_eq!(
        app.delete(&org, &format!("/identity-providers/{idp}")).await.status,
        StatusCode::NO_CONTENT
    );
    let p = app.get(&org, &format!("/policies/{default}")).await.json;
    assert_eq!(p["sso"]["enforced"], false);
}

/// The account's `billable` and the organization's count of billable accounts.
async fn billed(app: &TestApp, org: &TestOrg, id: AccountId) -> (Value, Value) {
    let a = app.get(org, &format!("/accounts/{id}")).await.json["billable"].clone();
    let n = app.get(org, "").await.json["counts"]["billable_accounts"].clone();
    (a, n)
}

async fn a_non_billable_policys_members_are_not_billed_and_get_no_sso_enforcement(app: TestApp) {
    let org = acme(&app).await;
    let site = app
        .create_instance(&org, "jira-software", "Jira", "https://jira.acme.test", "standard")
        .await;
    let bob = app.create_account(&org, "bob@acme.test", "Bob").await;
    app.grant_access(&org, site, gatehouse_testkit::Grantee::Account(bob), "user")
        .await;
    assert_eq!(billed(&app, &org, bob).await, (json!(true), json!(1)));
    let occasional = app
        .post(&org, "/policies", json!({"name": "Occasional", "non_billable": true}))
        .await;
    assert_eq!(occasional.status, StatusCode::CREATED, "{}", occasional.text);
    assert_eq!(occasional.json["non_billable"], true);
    let id = occasional.json["id"].as_str().unwrap();
    app.post(
        &org,
        &format!("/policies/{id}/members"),
        json!({"account_ids": [bob.to_string()]}),
    )
    .await;
    assert_eq!(billed(&app, &org, bob).await, (json!(false), json!(0)), "not billed");
    let enforce = app
        .patch(&org, &format!("/policies/{id}"), json!({"sso": {"enforced": true}}))
        .await;
    assert_eq!(enforce.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", enforce.text);
    assert!(enforce.text.contains("non-billable"), "{}", enforce.text);
    // Back to a billable policy, billed again.
    let default = default_policy(&app, &org).await;
    app.post(
        &org,
        &format!("/policies/{default}/members"),
        json!({"account_ids": [bob.to_string()]}),
    )
    .await;
    assert_eq!(billed(&app, &org, bob).await, (json!(true), json!(1)));
}
