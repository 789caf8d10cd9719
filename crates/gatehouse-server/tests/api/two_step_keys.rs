//! Security keys and passkeys (issue 15, WebAuthn) over HTTP on both engines, with a software
//! authenticator that signs real ES256 assertions over real CBOR: registration on the account
//! page, the second step, the passkey sign-in with no password, and the refusals (a stale
//! counter, a replayed assertion, another account's key, a key on an SSO-only account).

use crate::two_step::{ada, events};
use gatehouse_testkit::{Browser, Dialect, SoftAuthenticator, TestApp, dialect_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

dialect_tests!(
    a_security_key_is_registered_and_asked_for_as_the_second_step,
    a_passkey_signs_in_with_no_password_and_products_hear_how,
    a_stale_counter_a_replayed_answer_and_another_accounts_key_are_refused,
    an_ip_public_url_has_no_security_keys,
);

/// A server whose public URL is `http://localhost:<port>` (WebAuthn needs a host name).
pub(crate) async fn app_on_localhost(dialect: Dialect) -> (TestApp, String) {
    let app = TestApp::spawn_with(dialect, |c| {
        c.public_url = c.public_url.replace("127.0.0.1", "localhost");
    })
    .await;
    let origin = app.state.config.public_url.clone();
    assert!(origin.starts_with("http://localhost:"));
    (app, origin)
}

async fn a_security_key_is_registered_and_asked_for_as_the_second_step(dialect: Dialect) {
    let (app, origin) = app_on_localhost(dialect).await;
    let (org, id, b) = ada(&app).await;
    let mut key = SoftAuthenticator::new();
    let added = b.add_security_key(&mut key, &origin, "YubiKey 5").await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(
        gatehouse_testkit::recovery_codes(&added).len(),
        10,
        "the first method brings the codes"
    );
    let listed = app.get(&org, &format!("/accounts/{id}/two-step")).await.json;
    assert_eq!(listed["methods"], json!(["security_key", "recovery_code"]), "{listed}");
    assert_eq!(listed["security_keys"][0]["name"], "YubiKey 5");
    assert_eq!(listed["security_keys"][0]["synced"], false);
    let ev = events(&app, &org, "two_step.enrolled").await;
    assert_eq!(ev[0]["changes"]["after"]["method"], "security_key");
    // The same key again is refused (the browser would not even offer it: it is excluded).
    let again = b.add_security_key(&mut key, &origin, "Again").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.body);
    // The second step with the key signs in: amr says hardware key and two factors.
    let b2 = Browser::new(&app.base);
    let first = b2
        .sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
        .await;
    assert!(
        first
            .location
            .as_deref()
            .unwrap()
            .starts_with("/login/two-step?method=security_key")
    );
    let page = b2.get("/login/two-step?method=security_key").await;
    assert!(page.body.contains("id=\"key-sign-in\""), "{}", page.body);
    let done = b2.key_second_step(&mut key, &origin, "/account").await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    let sessions = app.get(&org, &format!("/accounts/{id}/sessions")).await.json;
    let amrs: Vec<Value> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["amr"].clone())
        .collect();
    assert!(amrs.contains(&json!(["pwd", "hwk", "mfa"])), "{amrs:?}");
    let used = app.get(&org, &format!("/accounts/{id}/two-step")).await.json;
    assert!(used["security_keys"][0]["last_used_at"].is_string(), "{used}");
}

async fn a_passkey_signs_in_with_no_password_and_products_hear_how(dialect: Dialect) {
    let (app, origin) = app_on_localhost(dialect).await;
    let (org, id, b) = ada(&app).await;
    let mut passkey = SoftAuthenticator::new().with_backup_eligible(true);
    let added = b.add_security_key(&mut passkey, &origin, "Phone").await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let fresh = Browser::new(&app.base);
    let login = fresh.get("/login").await;
    assert!(login.body.contains("Sign in with a passkey"));
    let done = fresh.passkey_sign_in(&mut passkey, &origin, "/account").await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(fresh.get("/account").await.status, StatusCode::OK);
    let sessions = app.get(&org, &format!("/accounts/{id}/sessions")).await.json;
    let amrs: Vec<Value> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["amr"].clone())
        .collect();
    assert!(
        amrs.contains(&json!(["swk", "mfa"])),
        "a synced passkey is a software key: {amrs:?}"
    );
    // A passkey of an account whose domain now signs in through an enforced identity provider
    // is refused, as its password would be.
    let idp = app
        .post(
            &org,
            "/identity-providers",
            json!({"name": "Okta", "protocol": "oidc", "enforced": true, "domains": ["acme.test"],
                   "issuer": "https://idp.acme.test", "client_id": "gh", "client_secret": "s3cret-value",
                   "scopes": ["openid", "email"]}),
        )
        .await;
    assert_eq!(idp.status, StatusCode::CREATED, "{}", idp.text);
    let blocked = Browser::new(&app.base)
        .passkey_sign_in(&mut passkey, &origin, "/account")
        .await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN, "{}", blocked.body);
    assert!(blocked.body.contains("single sign-on"), "{}", blocked.body);
}

async fn a_stale_counter_a_replayed_answer_and_another_accounts_key_are_refused(dialect: Dialect) {
    let (app, origin) = app_on_localhost(dialect).await;
    let (org, _, b) = ada(&app).await;
    let mut key = SoftAuthenticator::new();
    b.add_security_key(&mut key, &origin, "Key").await;
    let ok = Browser::new(&app.base)
        .passkey_sign_in(&mut key, &origin, "/account")
        .await;
    assert_eq!(ok.location.as_deref(), Some("/account"), "{}", ok.body);
    // A cloned key replays an old counter: refused.
    key.set_counter(0);
    let stale = Browser::new(&app.base)
        .passkey_sign_in(&mut key, &origin, "/account")
        .await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED, "{}", stale.body);
    key.set_counter(100);
    // The same answer posted twice: the ceremony was taken by the first.
    let replay = Browser::new(&app.base);
    let csrf = replay.get("/login").await.csrf();
    let (_, started) = replay.webauthn_options("/login/passkey/options", &csrf).await;
    let answer = key.assert(&started["options"], &origin).to_string();
    let token = started["token"].as_str().unwrap().to_owned();
    let form = [
        ("csrf", csrf.as_str()),
        ("token", token.as_str()),
        ("credential", answer.as_str()),
        ("next", "/account"),
    ];
    let first = replay.post("/login/passkey", &form).await;
    assert_eq!(first.location.as_deref(), Some("/account"), "{}", first.body);
    let second = Browser::new(&app.base);
    let csrf2 = second.get("/login").await.csrf();
    let form2 = [
        ("csrf", csrf2.as_str()),
        ("token", token.as_str()),
        ("credential", answer.as_str()),
        ("next", "/account"),
    ];
    let replayed = second.post("/login/passkey", &form2).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "{}", replayed.body);
    // Another account's key does not pass Ada's second step.
    let (bob_browser, _) = app
        .signed_in_member(&org, "bob@elsewhere.test", "bob's own long passphrase")
        .await;
    let mut bobs = SoftAuthenticator::new();
    bob_browser.add_security_key(&mut bobs, &origin, "Bob's").await;
    let mut adas_totp = Browser::new(&app.base);
    adas_totp = {
        let first = adas_totp
            .sign_in_to("ada@acme.test", gatehouse_testkit::PERSON_PASSWORD, "/account")
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER);
        adas_totp
    };
    let csrf = adas_totp.get("/login/two-step?method=security_key").await.csrf();
    let (_, started) = adas_totp.webauthn_options("/login/two-step/key/options", &csrf).await;
    let mut opts = started["options"].clone();
    opts["publicKey"]["allowCredentials"] = json!([]);
    let wrong = bobs.assert(&opts, &origin).to_string();
    let token = started["token"].as_str().unwrap();
    let refused = adas_totp
        .post(
            "/login/two-step/key",
            &[
                ("csrf", &csrf),
                ("token", token),
                ("credential", &wrong),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(adas_totp.get("/account").await.status, StatusCode::SEE_OTHER);
    assert!(!events(&app, &org, "auth.second_step_failed").await.is_empty());
}

async fn an_ip_public_url_has_no_security_keys(dialect: Dialect) {
    let app = TestApp::spawn(dialect).await;
    let (_, _, b) = ada(&app).await;
    let page = b.get("/account/two-step").await;
    assert!(
        page.body.contains("need Gatehouse to be served on a host name"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let (status, _) = b.webauthn_options("/account/two-step/keys/options", &csrf).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!b.get("/login").await.body.contains("passkey"));
}
