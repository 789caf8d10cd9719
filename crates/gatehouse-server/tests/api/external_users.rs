//! The external-users policy (issue 16), driven by a real OIDC client on both engines: people
//! an organization gives access but does not manage prove their mailbox with a mailed code
//! (once per session, counted, once per code) and keep sessions no older than the policy says
//! before they sign in to its products; the people it manages are governed by their own
//! policy and asked nothing more.

use crate::oidc_client::{Rp, front_channel, param, register, relying_party, start};
use gatehouse_core::ids::InstanceId;
use gatehouse_testkit::{Browser, Grantee, TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    external_people_prove_their_mailbox_before_the_orgs_products,
    external_sessions_older_than_the_policy_sign_in_again_and_managed_people_are_not_asked,
);

/// The code of the newest verification mail.
async fn mailed_code(app: &TestApp) -> String {
    let mails = app.mails().await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.contains("is your Gatehouse verification code"))
        .expect("a code mail");
    let marker = "Your Gatehouse verification code is ";
    let at = mail.find(marker).expect("the code") + marker.len();
    mail[at..at + 6].to_owned()
}

/// Follows the authorize URL once: where it sends the browser.
async fn authorize(browser: &Browser, url: &str) -> String {
    let res = browser.client.get(url).send().await.expect("authorize");
    assert!(res.status().is_redirection(), "{}", res.status());
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Acme with a product, its client, and Ada (whose account Acme does not manage) with access,
/// signed in.
async fn acme_with_an_outsider(app: &TestApp) -> (TestOrg, InstanceId, Browser, Rp) {
    let org = app.create_org("Acme").await;
    let instance = app
        .create_instance(&org, "confluence", "Wiki", "https://wiki.acme-ext.example", "free")
        .await;
    let (browser, ada) = app
        .signed_in_member(&org, "ada@elsewhere.test", "correct horse battery staple")
        .await;
    let ada = gatehouse_core::ids::AccountId::parse(&ada).unwrap();
    app.grant_access(&org, instance, Grantee::Account(ada), "user").await;
    let client = register(app, &org, json!({"name": "Wiki"})).await;
    let rp = relying_party(app, &client).await;
    (org, instance, browser, rp)
}

async fn external_people_prove_their_mailbox_before_the_orgs_products(app: TestApp) {
    let (org, _, browser, rp) = acme_with_an_outsider(&app).await;
    let flow = start(&rp, &["email"]);
    assert!(
        param(&front_channel(&browser, &flow.url).await, "code").is_some(),
        "no rule yet"
    );

    let set = app
        .patch(&org, "/external-users-policy", json!({"require_email_code": true}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json["require_email_code"], true);
    let bad = app
        .patch(&org, "/external-users-policy", json!({"session_max_minutes": 5}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let logged = app.get(&org, "/events?action=policy.external_updated").await;
    assert_eq!(logged.json["items"][0]["changes"]["after"]["require_email_code"], true);

    let flow = start(&rp, &["email"]);
    let to = authorize(&browser, &flow.url).await;
    assert!(
        to.starts_with("/account/verify-email?next=%2Foauth2%2Fauthorize"),
        "{to}"
    );
    let page = browser.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("ada@elsewhere.test"));
    let csrf = page.csrf();
    let next = page
        .body
        .split("name=\"next\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let mailed = browser
        .post("/account/verify-email/send", &[("csrf", &csrf), ("next", &next)])
        .await;
    assert_eq!(mailed.status, StatusCode::OK, "{}", mailed.body);
    let again = browser
        .post("/account/verify-email/send", &[("csrf", &csrf), ("next", &next)])
        .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS, "one mail a minute");
    let code = mailed_code(&app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = browser
        .post(
            "/account/verify-email",
            &[("csrf", &csrf), ("code", wrong), ("next", &next)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    let forged = browser
        .post(
            "/account/verify-email",
            &[("csrf", "forged"), ("code", &code), ("next", &next)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let done = browser
        .post(
            "/account/verify-email",
            &[("csrf", &csrf), ("code", &code), ("next", &next)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "the page that goes on: {}", done.body);
    let spent = browser
        .post(
            "/account/verify-email",
            &[("csrf", &csrf), ("code", &code), ("next", &next)],
        )
        .await;
    assert_eq!(spent.status, StatusCode::UNAUTHORIZED, "a code works once");
    let flow = start(&rp, &["email"]);
    assert!(
        param(&front_channel(&browser, &flow.url).await, "code").is_some(),
        "verified for this session"
    );
    let verified = app.get(&org, "/events?action=auth.email_code_verified").await;
    assert_eq!(verified.json["items"].as_array().unwrap().len(), 1);
}

async fn external_sessions_older_than_the_policy_sign_in_again_and_managed_people_are_not_asked(app: TestApp) {
    let (org, instance, browser, rp) = acme_with_an_outsider(&app).await;
    // Sessions older than fifteen minutes sign in again; prompt=none is told so.
    app.patch(&org, "/external-users-policy", json!({"session_max_minutes": 15}))
        .await;
    app.clock.advance_secs(10 * 60);
    let flow = start(&rp, &["email"]);
    assert!(
        param(&front_channel(&browser, &flow.url).await, "code").is_some(),
        "ten minutes old"
    );
    app.clock.advance_secs(6 * 60);
    let flow = start(&rp, &["email"]);
    let to = authorize(&browser, &flow.url).await;
    assert!(to.starts_with("/login?next=%2Foauth2%2Fauthorize"), "{to}");
    let silent = authorize(&browser, &format!("{}&prompt=none", flow.url)).await;
    assert!(silent.contains("error=interaction_required"), "{silent}");

    // A person Acme manages is governed by Acme's own policies: nothing more is asked.
    app.verify_domain(&org, "acme.test", "manual").await;
    let (own, bob) = app
        .signed_in_member(&org, "bob@acme.test", "correct horse battery staple")
        .await;
    let bob = gatehouse_core::ids::AccountId::parse(&bob).unwrap();
    app.grant_access(&org, instance, Grantee::Account(bob), "user").await;
    let flow = start(&rp, &["email"]);
    assert!(param(&front_channel(&own, &flow.url).await, "code").is_some());
}
