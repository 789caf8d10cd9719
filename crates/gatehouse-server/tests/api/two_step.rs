//! Two-step verification (issue 15) over HTTP on both engines: an authenticator app enrolled
//! on the account page and asked for at sign-in, codes used once, recovery codes, failed
//! second steps counted towards the lockout, the admin's view and reset, and what each sign-in
//! used (`amr`).

use futures::future::join_all;
use gatehouse_core::ports::Clock;
use gatehouse_testkit::{Browser, TestApp, TestOrg, engine_tests, recovery_codes, totp_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    an_authenticator_app_is_enrolled_with_a_first_code_and_asked_for_at_sign_in,
    a_used_code_is_refused_and_the_next_step_works,
    recovery_codes_work_once_even_all_at_once_and_are_made_anew,
    failed_second_steps_lock_like_passwords_and_end_the_pending_sign_in,
    the_managing_org_sees_the_methods_and_resets_them,
    removing_the_last_method_turns_two_step_off,
    the_console_shows_the_methods_and_resets_them,
    a_products_id_token_says_a_second_step_was_used,
);

/// Tests that spawn their own (configured) servers.
mod configured {
    use gatehouse_testkit::dialect_tests;
    dialect_tests!(with_a_second_step_required_an_account_with_no_method_gets_a_code_by_mail);
    use super::with_a_second_step_required_an_account_with_no_method_gets_a_code_by_mail;
}

const PASSWORD: &str = "a person's own long passphrase";

/// A managed admin `ada@acme.test` (domain verified, password set), signed in in a browser.
pub(crate) async fn ada(app: &TestApp) -> (TestOrg, String, Browser) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "manual").await;
    let id = app.create_account(&org, "ada@acme.test", "Ada").await;
    let granted = app.post(&org, "/admins", json!({"account_id": id.to_string()})).await;
    assert_eq!(granted.status, StatusCode::NO_CONTENT, "{}", granted.text);
    let email = app.give_password(id).await;
    let b = Browser::new(&app.base);
    let signed = b
        .sign_in_to(&email, gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    assert_eq!(signed.location.as_deref(), Some("/account"), "{}", signed.body);
    (org, id.to_string(), b)
}

fn events_of(app_events: &Value) -> Vec<Value> {
    app_events["items"].as_array().cloned().unwrap_or_default()
}

pub(crate) async fn events(app: &TestApp, org: &TestOrg, action: &str) -> Vec<Value> {
    events_of(&app.get(org, &format!("/events?action={action}")).await.json)
}

async fn an_authenticator_app_is_enrolled_with_a_first_code_and_asked_for_at_sign_in(app: TestApp) {
    let (org, id, b) = ada(&app).await;
    let page = b.get("/account/two-step").await;
    assert!(
        page.body.contains("Two-step verification is <strong>off</strong>"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let setup = b.post("/account/two-step/totp", &[("csrf", &csrf)]).await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(
        setup.body.contains("otpauth://totp/Gatehouse:ada%40acme.test?"),
        "{}",
        setup.body
    );
    assert!(setup.body.contains("<svg"), "a QR code rendered here");
    let key = gatehouse_testkit::totp_key(&setup);
    assert_eq!(key.len(), 20, "160 bits");
    // The key is sealed at rest: the stored text is not the key.
    let stored = stored_text(&app, "SELECT pending_sealed_key FROM totp_authenticators").await;
    assert!(!stored.contains(&gatehouse_core::two_step::totp::key_text(&key).replace(' ', "")));
    // A wrong first code shows the same key again, and enrols nothing.
    let wrong = b
        .post("/account/two-step/totp/confirm", &[("csrf", &csrf), ("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert_eq!(gatehouse_testkit::totp_key(&wrong), key);
    let now = app.clock.now();
    let ok = b
        .post(
            "/account/two-step/totp/confirm",
            &[("csrf", &csrf), ("code", &totp_code(&key, now))],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let codes = recovery_codes(&ok);
    assert_eq!(codes.len(), 10, "ten recovery codes with the first method: {}", ok.body);
    assert!(ok.body.contains("shown only now"));
    let enrolled = events(&app, &org, "two_step.enrolled").await;
    assert_eq!(enrolled.len(), 1);
    assert_eq!(enrolled[0]["changes"]["after"]["method"], "totp");
    assert!(
        app.mails()
            .await
            .iter()
            .any(|m| m.contains("authenticator app was added"))
    );
    // The next sign-in asks for a code after the password, offers the other ways, and the
    // session records both.
    app.clock.advance_secs(30);
    let b2 = Browser::new(&app.base);
    let first = b2
        .sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert!(
        first
            .location
            .as_deref()
            .unwrap()
            .starts_with("/login/two-step?method=totp")
    );
    assert_eq!(
        b2.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "not signed in yet"
    );
    let step = b2.get("/login/two-step").await;
    assert!(
        step.body.contains("ada@acme.test") && step.body.contains("Use a recovery code"),
        "{}",
        step.body
    );
    let done = b2
        .second_step("totp", &totp_code(&key, app.clock.now()), "/account")
        .await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(b2.get("/account").await.status, StatusCode::OK);
    let sessions = app.get(&org, &format!("/accounts/{id}/sessions")).await.json;
    let amrs: Vec<Value> = events_of(&sessions).iter().map(|s| s["amr"].clone()).collect();
    assert!(amrs.contains(&json!(["pwd"])), "the first session: {amrs:?}");
    assert!(amrs.contains(&json!(["pwd", "otp", "mfa"])), "{amrs:?}");
    let signed = events(&app, &org, "auth.signed_in").await;
    assert_eq!(signed[0]["changes"]["after"]["amr"], json!(["pwd", "otp", "mfa"]));
}

async fn stored_text(app: &TestApp, sql: &'static str) -> String {
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let s: String = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    s
}

async fn a_used_code_is_refused_and_the_next_step_works(app: TestApp) {
    let (org, _, b) = ada(&app).await;
    let (key, _) = b.enrol_totp(app.clock.now()).await;
    // The code that enrolled the app is spent: the same step is refused at sign-in.
    let same = totp_code(&key, app.clock.now());
    let b2 = Browser::new(&app.base);
    let refused = b2
        .sign_in_with("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "totp", &same)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert!(refused.body.contains("That code is not valid"));
    // The next step's code works once; sent from two browsers at once, one of them wins.
    app.clock.advance_secs(30);
    let next = totp_code(&key, app.clock.now());
    let browsers = [Browser::new(&app.base), Browser::new(&app.base)];
    for b in &browsers {
        let first = b
            .sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER);
    }
    let answers = join_all(browsers.iter().map(|b| b.second_step("totp", &next, "/account"))).await;
    let won = answers.iter().filter(|p| p.status == StatusCode::SEE_OTHER).count();
    assert_eq!(won, 1, "{:?}", answers.iter().map(|p| p.status).collect::<Vec<_>>());
    // A code from two steps back is outside the window.
    app.clock.advance_secs(60);
    let b3 = Browser::new(&app.base);
    let old = b3
        .sign_in_with("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "totp", &next)
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let failed = events(&app, &org, "auth.second_step_failed").await;
    assert!(failed.len() >= 2, "each refusal is audited: {failed:?}");
    assert_eq!(failed[0]["changes"]["after"]["method"], "totp");
}

async fn recovery_codes_work_once_even_all_at_once_and_are_made_anew(app: TestApp) {
    let (org, _, b) = ada(&app).await;
    let (_, codes) = b.enrol_totp(app.clock.now()).await;
    assert_eq!(codes.len(), 10);
    // Eight browsers at the second step send the same code at once: one signs in.
    let browsers: Vec<Browser> = (0..8).map(|_| Browser::new(&app.base)).collect();
    for b in &browsers {
        let first = b
            .sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER);
    }
    let code = codes[0].to_uppercase().replace('-', " ");
    let answers = join_all(
        browsers
            .iter()
            .map(|b| b.second_step("recovery_code", &code, "/account")),
    )
    .await;
    let won: Vec<_> = answers.iter().filter(|p| p.status == StatusCode::SEE_OTHER).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        answers.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    let used = events(&app, &org, "two_step.recovery_code_used").await;
    assert_eq!(used.len(), 1);
    assert_eq!(used[0]["changes"]["after"]["recovery_codes_left"], 9);
    let severity = app.get(&org, "/event-actions").await.json;
    let row = severity["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "two_step.recovery_code_used")
        .cloned()
        .unwrap();
    assert_eq!(row["severity"], "high");
    // New codes: the old ones stop working, the new ones work.
    let csrf = b.get("/account/two-step").await.csrf();
    let fresh = b.post("/account/two-step/recovery-codes", &[("csrf", &csrf)]).await;
    let new_codes = recovery_codes(&fresh);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !codes.contains(c)));
    // (Seven refused codes above locked this address for a while.)
    app.clock.advance_secs(3600);
    let late = Browser::new(&app.base);
    let old = late
        .sign_in_with(
            "ada@acme.test",
            gatehouse_testkit::PERSON_PASSWORD,
            "recovery_code",
            &codes[1],
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.body);
    let ok = late.second_step("recovery_code", &new_codes[0], "/account").await;
    assert_eq!(ok.location.as_deref(), Some("/account"), "{}", ok.body);
    // Only the digests are stored.
    let stored = stored_text(&app, "SELECT digest FROM recovery_codes LIMIT 1").await;
    assert_eq!(stored.len(), 64);
    assert!(new_codes.iter().all(|c| !stored.contains(c.as_str())));
}

async fn failed_second_steps_lock_like_passwords_and_end_the_pending_sign_in(app: TestApp) {
    let (org, _, b) = ada(&app).await;
    let (key, _) = b.enrol_totp(app.clock.now()).await;
    app.clock.advance_secs(30);
    // Twenty wrong codes at once from one browser's pending sign-in: each is counted before it
    // is checked, so at most five are checked (the sign-in limit), and the right code after
    // them does not sign in while the lock lasts.
    let attacker = Browser::new(&app.base);
    let first = attacker
        .sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let csrf = attacker.get("/login/two-step").await.csrf();
    let wrong: Vec<String> = (0..20).map(|n| format!("{:06}", 100_000 + n)).collect();
    let answers = join_all(wrong.iter().map(|c| {
        let (attacker, csrf) = (&attacker, csrf.clone());
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("method", "totp"),
                ("code", c.as_str()),
                ("next", "/account"),
            ];
            attacker.post("/login/two-step", &form).await
        }
    }))
    .await;
    assert!(answers.iter().all(|p| p.status != StatusCode::SEE_OTHER));
    let failed = events(&app, &org, "auth.second_step_failed").await;
    assert!(failed.len() <= 5, "at most five checked: {}", failed.len());
    assert!(answers.iter().any(|p| p.status == StatusCode::TOO_MANY_REQUESTS));
    assert!(!events(&app, &org, "auth.locked_out").await.is_empty());
    let right = totp_code(&key, app.clock.now());
    let page = attacker.get("/login/two-step").await;
    let blocked = if page.status == StatusCode::OK {
        attacker.second_step("totp", &right, "/account").await
    } else {
        page
    };
    assert_ne!(blocked.location.as_deref(), Some("/account"), "{}", blocked.body);
    assert_eq!(attacker.get("/account").await.status, StatusCode::SEE_OTHER);
    // A pending sign-in ends after five attempts, whatever the throttle says: past the lock
    // of the fifth failure (30 s), the sixth attempt, even with the right code, is refused
    // and the password is asked for again.
    app.clock.advance_secs(3600);
    let b2 = Browser::new(&app.base);
    b2.sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    for n in 1..=5 {
        let wrong = b2.second_step("totp", "123456", "/account").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "attempt {n}: {}", wrong.body);
    }
    app.clock.advance_secs(31);
    let sixth = b2
        .second_step("totp", &totp_code(&key, app.clock.now()), "/account")
        .await;
    assert_eq!(sixth.status, StatusCode::UNAUTHORIZED, "{}", sixth.body);
    assert!(
        sixth.body.contains("Too many attempts. Sign in again."),
        "{}",
        sixth.body
    );
    assert_eq!(
        b2.get("/login/two-step").await.status,
        StatusCode::SEE_OTHER,
        "the pending sign-in is gone"
    );
}

async fn the_managing_org_sees_the_methods_and_resets_them(app: TestApp) {
    let (org, id, b) = ada(&app).await;
    let path = format!("/accounts/{id}/two-step");
    let before = app.get(&org, &path).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(before.json["enabled"], false);
    let (_, codes) = b.enrol_totp(app.clock.now()).await;
    let now = app.get(&org, &path).await.json;
    assert_eq!(now["enabled"], true);
    assert_eq!(now["methods"], json!(["totp", "recovery_code"]));
    assert_eq!(now["recovery_codes_left"], 10);
    let text = now.to_string();
    assert!(
        !text.contains("sealed") && !text.contains(&codes[0]),
        "no secret: {text}"
    );
    // The account lists and reads show the methods of managed accounts only.
    let (_, pat) = app.signed_in_member(&org, "pat@elsewhere.test", PASSWORD).await;
    let listed = app.get(&org, "/accounts").await.json;
    let row = |id: &str| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&id)["two_step"], json!(["totp", "recovery_code"]), "{listed}");
    assert!(row(&pat).get("two_step").is_none(), "not managed: nothing shown");
    let read = app.get(&org, &format!("/accounts/{id}")).await.json;
    assert_eq!(read["two_step"], json!(["totp", "recovery_code"]), "{read}");
    let (console, _) = app.console(&org).await;
    let page = console
        .get(&format!("/admin/orgs/{}/accounts?scope=managed", org.id))
        .await;
    assert!(page.body.contains("<th scope=\"col\">Two-step</th>"), "{}", page.body);
    assert!(page.body.contains("<td>On</td>"), "{}", page.body);
    // Another org sees nothing; an account it knows without managing it is refused.
    let other = app.create_org("Other").await;
    assert_eq!(app.get(&other, &path).await.status, StatusCode::NOT_FOUND);
    let unmanaged = app.delete(&org, &format!("/accounts/{pat}/two-step")).await;
    assert_eq!(unmanaged.status, StatusCode::FORBIDDEN);
    assert_eq!(unmanaged.json["code"], "account_not_managed", "{}", unmanaged.text);
    // The reset removes every method, is audited and mailed; the password alone signs in.
    let reset = app.delete(&org, &path).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    assert_eq!(
        reset.json["methods"],
        json!(["totp", "recovery_code"]),
        "what there was"
    );
    assert_eq!(app.get(&org, &path).await.json["enabled"], false);
    let ev = events(&app, &org, "two_step.reset").await;
    assert_eq!(ev.len(), 1);
    assert!(
        app.mails()
            .await
            .iter()
            .any(|m| m.contains("removed the two-step verification"))
    );
    let b2 = Browser::new(&app.base);
    let signed = b2
        .sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    assert_eq!(signed.location.as_deref(), Some("/account"));
}

async fn removing_the_last_method_turns_two_step_off(app: TestApp) {
    let (org, id, b) = ada(&app).await;
    b.enrol_totp(app.clock.now()).await;
    let csrf = b.get("/account/two-step").await.csrf();
    let removed = b.post("/account/two-step/totp/remove", &[("csrf", &csrf)]).await;
    assert_eq!(
        removed.location.as_deref(),
        Some("/account/two-step?notice=totp_removed")
    );
    let now = app.get(&org, &format!("/accounts/{id}/two-step")).await.json;
    assert_eq!(now["enabled"], false);
    assert_eq!(now["recovery_codes_left"], 0, "the codes went with the last method");
    assert_eq!(events(&app, &org, "two_step.removed").await.len(), 1);
    // A forged form (no session token) changes nothing.
    let (key, _) = b.enrol_totp(app.clock.now()).await;
    let forged = b
        .post("/account/two-step/totp/remove", &[("csrf", "csrf_forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&org, &format!("/accounts/{id}/two-step")).await.json["enabled"],
        true
    );
    // A sign-in older than a quarter of an hour changes no method: sign in again first.
    app.clock.advance_secs(16 * 60);
    let csrf = b.get("/account/two-step").await.csrf();
    let stale = b.post("/account/two-step/totp/remove", &[("csrf", &csrf)]).await;
    assert_eq!(
        stale.location.as_deref(),
        Some("/login?reauth=1&next=%2Faccount%2Ftwo-step"),
        "{}",
        stale.body
    );
    let stale = b.post("/account/two-step/totp", &[("csrf", &csrf)]).await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&org, &format!("/accounts/{id}/two-step")).await.json["enabled"],
        true
    );
    // Signed in again (with the app), the person removes it; new recovery codes need a method.
    let again = b
        .sign_in_with(
            "ada@acme.test",
            gatehouse_testkit::PERSON_PASSWORD,
            "totp",
            &totp_code(&key, app.clock.now()),
        )
        .await;
    assert_eq!(again.location.as_deref(), Some("/account"), "{}", again.body);
    let csrf = b.get("/account/two-step").await.csrf();
    b.post("/account/two-step/totp/remove", &[("csrf", &csrf)]).await;
    let none = b.post("/account/two-step/recovery-codes", &[("csrf", &csrf)]).await;
    assert_eq!(none.status, StatusCode::CONFLICT, "{}", none.body);
}

async fn the_console_shows_the_methods_and_resets_them(app: TestApp) {
    let (org, id, b) = ada(&app).await;
    b.enrol_totp(app.clock.now()).await;
    let page = b.get(&format!("/admin/orgs/{}/accounts/{id}", org.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"two-step-state\">On"), "{}", page.body);
    assert!(page.body.contains("Authenticator app, since") && page.body.contains("10 unused recovery codes"));
    assert!(page.body.contains("<code>pwd</code>"), "the session's method is shown");
    let reset = b
        .post(
            &format!("/admin/orgs/{}/accounts/{id}/two-step/reset", org.id),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    let after = b.get(reset.location.as_deref().unwrap()).await;
    assert!(after.body.contains("Two-step verification is reset"), "{}", after.body);
    assert!(after.body.contains("id=\"two-step-state\">Off"));
    let ev = events(&app, &org, "two_step.reset").await;
    assert_eq!(ev[0]["actor"]["type"], "account", "the admin did it: {}", ev[0]);
}

async fn a_products_id_token_says_a_second_step_was_used(app: TestApp) {
    use crate::oidc_client::{exchange, front_channel, param, payload, register, relying_party, start};
    let (org, id, b) = ada(&app).await;
    let (key, _) = b.enrol_totp(app.clock.now()).await;
    let instance = app
        .create_instance(&org, "confluence", "Wiki", "https://wiki.acme-two-step.example", "free")
        .await;
    let account = gatehouse_core::ids::AccountId::parse(&id).unwrap();
    app.grant_access(&org, instance, gatehouse_testkit::Grantee::Account(account), "user")
        .await;
    app.clock.advance_secs(30);
    let b2 = Browser::new(&app.base);
    let done = b2
        .sign_in_with(
            "ada@acme.test",
            gatehouse_testkit::PERSON_PASSWORD,
            "totp",
            &totp_code(&key, app.clock.now()),
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    let client = register(&app, &org, json!({})).await;
    let rp = relying_party(&app, &client).await;
    let flow = start(&rp, &["email"]);
    let back = front_channel(&b2, &flow.url).await;
    let code = param(&back, "code").expect("a code").to_owned();
    let (status, tokens) = exchange(&app, &client, &code, flow.verifier.secret()).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]), "{claims}");
}

/// The code of the newest sign-in-code mail to `to`.
async fn mailed_code(app: &TestApp) -> String {
    let mails = app.mails().await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.contains("is your Gatehouse sign-in code"))
        .expect("a code mail");
    let at = mail.find("Your Gatehouse sign-in code is ").expect("the code") + "Your Gatehouse sign-in code is ".len();
    mail[at..at + 6].to_owned()
}

async fn with_a_second_step_required_an_account_with_no_method_gets_a_code_by_mail(
    dialect: gatehouse_testkit::Dialect,
) {
    let app = TestApp::spawn_with(dialect, |c| c.sign_in.require_second_step = true).await;
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "manual").await;
    let id = app.create_account(&org, "ada@acme.test", "Ada").await;
    let email = app.give_password(id).await;
    let b = Browser::new(&app.base);
    let first = b
        .sign_in_to(&email, gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    assert!(
        first
            .location
            .as_deref()
            .unwrap()
            .starts_with("/login/two-step?method=email_code"),
        "{first:?}"
    );
    let page = b.get("/login/two-step?method=email_code").await;
    assert!(page.body.contains("Email me a code"), "{}", page.body);
    // Only this method is offered: no app, no key, no recovery codes.
    assert!(!page.body.contains("other-methods"), "{}", page.body);
    let csrf = page.csrf();
    let sent = b
        .post("/login/two-step/email", &[("csrf", &csrf), ("next", "/account")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let code = mailed_code(&app).await;
    // A second mail at once is refused (one a minute); a wrong code is refused and counted.
    let again = b
        .post("/login/two-step/email", &[("csrf", &csrf), ("next", "/account")])
        .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS, "{}", again.body);
    let wrong = b
        .second_step(
            "email_code",
            if code == "000000" { "111111" } else { "000000" },
            "/account",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let ok = b.second_step("email_code", &code, "/account").await;
    assert_eq!(ok.location.as_deref(), Some("/account"), "{}", ok.body);
    let sessions = app.get(&org, &format!("/accounts/{id}/sessions")).await.json;
    assert_eq!(sessions["items"][0]["amr"], json!(["pwd", "otp", "mfa"]));
    // The code worked once: its sign-in is over, and another sign-in cannot reuse it.
    let b2 = Browser::new(&app.base);
    b2.sign_in_to(&email, gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    let reused = b2.second_step("email_code", &code, "/account").await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED, "{}", reused.body);
    // An account with an app of its own is not offered mail.
    let (key, _) = b.enrol_totp(app.clock.now()).await;
    let b3 = Browser::new(&app.base);
    b3.sign_in_to(&email, gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    let csrf = b3.get("/login/two-step").await.csrf();
    let no_mail = b3
        .post("/login/two-step/email", &[("csrf", &csrf), ("next", "/account")])
        .await;
    assert_eq!(no_mail.status, StatusCode::FORBIDDEN, "{}", no_mail.body);
    app.clock.advance_secs(30);
    let ok = b3
        .second_step("totp", &totp_code(&key, app.clock.now()), "/account")
        .await;
    assert_eq!(ok.location.as_deref(), Some("/account"));
}
