//! A policy at sign-in (issue 16), over HTTP on both engines: required two-step verification
//! enrols an account with no method during its next sign-in (nobody else is asked); a password
//! whose recorded facts the rules refuse, or that expired, is replaced before the session opens
//! (and the new one meets the rules, history included); the session's lifetimes are the
//! policy's, and its members' sessions can be ended at once.

use super::policies::{acme, default_policy, events};
use gatehouse_core::ports::Clock;
use gatehouse_testkit::{Browser, PERSON_PASSWORD, TestApp, engine_tests, recovery_codes, totp_code, totp_key};
use reqwest::StatusCode;
use serde_json::json;

/// Tests that spawn their own (configured) servers.
mod configured {
    use gatehouse_testkit::dialect_tests;
    dialect_tests!(the_operators_common_passwords_are_refused_too);
    use super::the_operators_common_passwords_are_refused_too;
}

engine_tests!(
    required_two_step_enrols_an_account_without_a_method_at_its_next_sign_in,
    a_password_the_rules_refuse_is_replaced_before_the_session_opens,
    sessions_last_as_long_as_the_policy_says_and_can_be_ended_now,
    a_member_of_another_policy_is_asked_nothing_more,
    an_enrolment_at_sign_in_cannot_replace_an_app_enrolled_meanwhile,
);

async fn required_two_step_enrols_an_account_without_a_method_at_its_next_sign_in(app: TestApp) {
    let org = acme(&app).await;
    let ada = app.create_account(&org, "ada@acme.test", "Ada").await;
    let email = app.give_password(ada).await;
    // Ada signed in before the rule: she is not signed out by it.
    let earlier = app.browser_as(&app.base, &email).await;
    let default = default_policy(&app, &org).await;
    let r = app
        .patch(
            &org,
            &format!("/policies/{default}"),
            json!({"two_step_verification": "required"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        earlier.get("/account").await.status,
        StatusCode::OK,
        "nobody is signed out"
    );

    let b = Browser::new(&app.base);
    let first = b.sign_in_to(&email, PERSON_PASSWORD, "/account").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    assert_eq!(first.location.as_deref(), Some("/login/enrol?next=%2Faccount"));
    assert_eq!(
        b.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "no session before enrolment"
    );
    let setup = b.get("/login/enrol?next=%2Faccount").await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    assert!(setup.body.contains("<svg"), "a QR code");
    let key = totp_key(&setup);
    assert_eq!(
        totp_key(&b.get("/login/enrol?next=%2Faccount").await),
        key,
        "the same key until confirmed"
    );
    let csrf = setup.csrf();
    let wrong = b
        .post(
            "/login/enrol",
            &[("csrf", &csrf), ("code", "000000"), ("next", "/account")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    assert!(wrong.body.contains("not valid"), "{}", wrong.body);
    let forged = b
        .post(
            "/login/enrol",
            &[("csrf", "forged"), ("code", "000000"), ("next", "/account")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let code = totp_code(&key, app.clock.now());
    let done = b
        .post(
            "/login/enrol",
            &[("csrf", &csrf), ("code", &code), ("next", "/account")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(recovery_codes(&done).len(), 10, "shown once");
    assert!(done.body.contains("href=\"/account\""), "{}", done.body);
    let home = b.get("/account").await;
    assert_eq!(home.status, StatusCode::OK, "signed in: {}", home.body);
    let enrolled = events(&app, &org, "two_step.enrolled").await;
    assert_eq!(enrolled[0]["changes"]["after"]["at_sign_in"], true);
    let signed = events(&app, &org, "auth.signed_in").await;
    assert_eq!(signed[0]["changes"]["after"]["amr"], json!(["pwd", "otp", "mfa"]));
    // The next sign-in asks for the second step, and the enrolment page is gone.
    app.clock.advance_secs(60);
    let again = Browser::new(&app.base);
    let next = again.sign_in_to(&email, PERSON_PASSWORD, "/account").await;
    assert!(
        next.location
            .as_deref()
            .unwrap_or_default()
            .starts_with("/login/two-step"),
        "{:?}",
        next.location
    );
    assert_eq!(
        again.get("/login/enrol").await.status,
        StatusCode::SEE_OTHER,
        "not a stage of this sign-in"
    );
}

async fn a_password_the_rules_refuse_is_replaced_before_the_session_opens(app: TestApp) {
    let org = acme(&app).await;
    let ada = app.create_account(&org, "ada@acme.test", "Ada").await;
    let email = app.give_password(ada).await;
    let default = default_policy(&app, &org).await;
    let r = app
        .patch(
            &org,
            &format!("/policies/{default}"),
            json!({"password": {"min_length": 40, "history": 2}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = Browser::new(&app.base);
    let first = b.sign_in_to(&email, PERSON_PASSWORD, "/account").await;
    assert_eq!(
        first.location.as_deref(),
        Some("/login/new-password?next=%2Faccount"),
        "{}",
        first.body
    );
    assert_eq!(events(&app, &org, "auth.password_change_required").await.len(), 1);
    let page = b.get("/login/new-password?next=%2Faccount").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let short = b
        .post(
            "/login/new-password",
            &[
                ("csrf", &csrf),
                ("password", "still far too short"),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", short.body);
    assert!(short.body.contains("at least 40 characters"), "{}", short.body);
    let long = "a long passphrase of unrelated words, forty plus";
    let set = b
        .post(
            "/login/new-password",
            &[("csrf", &csrf), ("password", long), ("next", "/account")],
        )
        .await;
    assert_eq!(set.location.as_deref(), Some("/account"), "{}", set.body);
    assert_eq!(b.get("/account").await.status, StatusCode::OK);
    let old = Browser::new(&app.base)
        .sign_in_to(&email, PERSON_PASSWORD, "/account")
        .await;
    assert_ne!(old.location.as_deref(), Some("/account"), "the old password is gone");

    // Expired: thirty days on, the next sign-in asks again, and the last two are refused.
    app.patch(
        &org,
        &format!("/policies/{default}"),
        json!({"password": {"expiry_days": 30}}),
    )
    .await;
    app.clock.advance_secs(31 * 24 * 3600);
    let b = Browser::new(&app.base);
    let first = b.sign_in_to(&email, long, "/account").await;
    assert_eq!(
        first.location.as_deref(),
        Some("/login/new-password?next=%2Faccount"),
        "{}",
        first.body
    );
    let csrf = b.get("/login/new-password").await.csrf();
    let reused = b
        .post(
            "/login/new-password",
            &[("csrf", &csrf), ("password", long), ("next", "/account")],
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reused.body);
    assert!(reused.body.contains("used recently"), "{}", reused.body);
    let fresh = "another long passphrase of unrelated words, forty";
    let set = b
        .post(
            "/login/new-password",
            &[("csrf", &csrf), ("password", fresh), ("next", "/account")],
        )
        .await;
    assert_eq!(set.location.as_deref(), Some("/account"), "{}", set.body);
    let changed = events(&app, &org, "auth.password_changed").await;
    assert_eq!(changed.len(), 2, "each new password is recorded");
}

async fn sessions_last_as_long_as_the_policy_says_and_can_be_ended_now(app: TestApp) {
    let org = acme(&app).await;
    let ada = app.create_account(&org, "ada@acme.test", "Ada").await;
    let email = app.give_password(ada).await;
    let default = default_policy(&app, &org).await;
    let before = app.browser_as(&app.base, &email).await;
    let r = app
        .patch(
            &org,
            &format!("/policies/{default}"),
            json!({"session": {"idle_minutes": 15, "absolute_minutes": 60}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = app.browser_as(&app.base, &email).await;
    // Sixteen idle minutes end the new session; the one opened before keeps the old rules.
    app.clock.advance_secs(16 * 60);
    assert_eq!(
        b.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "idle for 16 minutes"
    );
    assert_eq!(
        before.get("/account").await.status,
        StatusCode::OK,
        "rules apply from the next sign-in"
    );
    // Active, a session still ends an hour after its sign-in.
    let active = app.browser_as(&app.base, &email).await;
    for _ in 0..5 {
        app.clock.advance_secs(10 * 60);
        let p = active.get("/account").await;
        assert_eq!(p.status, StatusCode::OK, "{:?} {}", p.location, p.body);
    }
    app.clock.advance_secs(11 * 60);
    assert_eq!(
        active.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "past its absolute end"
    );
    // "End existing sessions now".
    let third = app.browser_as(&app.base, &email).await;
    let ended = app
        .patch(
            &org,
            &format!("/policies/{default}"),
            json!({"end_existing_sessions": true}),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    assert_eq!(third.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(before.get("/account").await.status, StatusCode::SEE_OTHER);
    let e = events(&app, &org, "policy.sessions_ended").await;
    assert!(
        e[0]["changes"]["after"]["sessions_ended"].as_u64().unwrap() >= 2,
        "{}",
        e[0]
    );
}

async fn a_member_of_another_policy_is_asked_nothing_more(app: TestApp) {
    let org = acme(&app).await;
    let bob = app.create_account(&org, "bob@acme.test", "Bob").await;
    let bob_email = app.give_password(bob).await;
    let default = default_policy(&app, &org).await;
    app.patch(
        &org,
        &format!("/policies/{default}"),
        json!({"two_step_verification": "required"}),
    )
    .await;
    // Bob is in a policy of his own, where two-step stays optional.
    let relaxed = app.post(&org, "/policies", json!({"name": "Relaxed"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &org,
        &format!("/policies/{relaxed}/members"),
        json!({"account_ids": [bob.to_string()]}),
    )
    .await;
    // Bob's policy leaves two-step optional: he signs in with his password alone.
    let bob_in = Browser::new(&app.base)
        .sign_in_to(&bob_email, PERSON_PASSWORD, "/account")
        .await;
    assert_eq!(bob_in.location.as_deref(), Some("/account"));
}

async fn the_operators_common_passwords_are_refused_too(dialect: gatehouse_testkit::Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("common.txt");
    std::fs::write(&file, "# ours\nAcme Rocks The Whole World\n\n").unwrap();
    let app = TestApp::spawn_with(dialect, |c| c.sign_in.common_passwords_file = Some(file.clone())).await;
    let org = acme(&app).await;
    let ada = app.create_account(&org, "ada@acme.test", "Ada").await;
    let as_ada = gatehouse_testkit::TestOrg {
        admin_account_id: ada.to_string(),
        ..org.clone()
    };
    let (link, _) = app.reset_link(&as_ada).await;
    let refused = Browser::new(&app.base)
        .set_password(&link, "acme rocks the whole world")
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("commonly used"), "{}", refused.body);
    let default = default_policy(&app, &org).await;
    app.patch(
        &org,
        &format!("/policies/{default}"),
        json!({"password": {"refuse_common": false}}),
    )
    .await;
    let set = Browser::new(&app.base)
        .set_password(&link, "acme rocks the whole world")
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let facts = app.get(&org, &format!("/accounts/{ada}")).await.json["password"].clone();
    assert_eq!(facts["common"], true, "measured as common: {facts}");
}

async fn an_enrolment_at_sign_in_cannot_replace_an_app_enrolled_meanwhile(app: TestApp) {
    let org = acme(&app).await;
    let ada = app.create_account(&org, "ada@acme.test", "Ada").await;
    let email = app.give_password(ada).await;
    let earlier = app.browser_as(&app.base, &email).await;
    let default = default_policy(&app, &org).await;
    app.patch(
        &org,
        &format!("/policies/{default}"),
        json!({"two_step_verification": "required"}),
    )
    .await;
    // Someone with the password reaches the enrolment page and gets a key...
    let b = Browser::new(&app.base);
    b.sign_in_to(&email, PERSON_PASSWORD, "/account").await;
    let setup = b.get("/login/enrol?next=%2Faccount").await;
    let key = totp_key(&setup);
    // ...while Ada, signed in before the rule, enrols her own app.
    let (_, codes) = earlier.enrol_totp(app.clock.now()).await;
    assert_eq!(codes.len(), 10, "Ada's app is her first method");
    let code = totp_code(&key, app.clock.now());
    let late = b
        .post(
            "/login/enrol",
            &[("csrf", &setup.csrf()), ("code", &code), ("next", "/account")],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED, "{}", late.body);
    assert!(late.body.contains("expired"), "{}", late.body);
    assert_eq!(b.get("/account").await.status, StatusCode::SEE_OTHER, "not signed in");
    let gone = b.get("/login/enrol").await;
    assert_eq!(
        gone.status,
        StatusCode::SEE_OTHER,
        "the page is gone too: {}",
        gone.body
    );
    assert_eq!(
        events(&app, &org, "two_step.enrolled").await.len(),
        1,
        "only Ada's own app"
    );
}
